"""Labelled test problems with known minimizers and critical points.

Why a library of its own: every solver test, benchmark and convergence study
in newtonlab needs the same few functions with *trusted* derivatives and
*trusted* reference answers (minimizers, minimum values, the complete set of
critical points with their Morse indices).  Keeping them in one place, each
checked against finite differences and against the literature once, means a
failing solver test points at the solver.

Every problem is a :class:`Problem`; its five callables are numba functions
in scipy's calling convention, and each ``.py_func`` is the same function in
plain NumPy.  Factories are cached: the same parameters return the same
object (and the same compiled functions).

Examples
--------
>>> from newtonlab import problems
>>> p = problems.get("rosenbrock")
>>> p.fun(p.x0, *p.args)
24.199999999999996
>>> [q.id for q in problems.standard_matrix()][:3]
['rosenbrock', 'chained_rosenbrock(n=10)', 'quadratic(n=10,kappa=100.0,seed=0)']
"""
from __future__ import annotations

from ._base import KINDS, LABELS, CriticalPoint, Problem
from .classic import beale, wood
from .mgh import (bard, biggs_exp6, box_3d, brown_almost_linear, brown_badly_scaled,
                  brown_dennis, broyden_banded, broyden_tridiagonal, chebyquad,
                  discrete_boundary_value, discrete_integral_equation, extended_powell,
                  extended_rosenbrock, freudenstein_roth, gaussian, gulf, helical_valley,
                  jennrich_sampson, kowalik_osborne, linear_full_rank, linear_rank1,
                  linear_rank1_zero, meyer, osborne1, osborne2, penalty1, penalty2,
                  powell_badly_scaled, trigonometric, variably_dimensioned, watson)
from .multimodal import himmelblau, six_hump_camel
from .powell import powell_singular
from .quadratic import quadratic
from .rosenbrock import chained_rosenbrock, rosenbrock
from .saddles import monkey_saddle, saddle_xy
from .ml import autoencoder, deep_linear, logistic, matrix_factorization, mlp

__all__ = [
    "PROBLEMS", "get", "names", "all_problems", "standard_matrix",
    "Problem", "CriticalPoint", "KINDS", "LABELS",
    "rosenbrock", "chained_rosenbrock", "quadratic", "beale", "wood",
    "powell_singular", "himmelblau", "six_hump_camel", "saddle_xy", "monkey_saddle",
    "logistic", "mlp", "autoencoder", "matrix_factorization", "deep_linear", "MGH",
    "freudenstein_roth", "powell_badly_scaled", "brown_badly_scaled", "jennrich_sampson",
    "helical_valley", "bard", "gaussian", "meyer", "gulf", "box_3d", "kowalik_osborne",
    "brown_dennis", "osborne1", "biggs_exp6", "osborne2", "watson", "extended_rosenbrock",
    "extended_powell", "penalty1", "penalty2", "variably_dimensioned", "trigonometric",
    "brown_almost_linear", "discrete_boundary_value", "discrete_integral_equation",
    "broyden_tridiagonal", "broyden_banded", "linear_full_rank", "linear_rank1",
    "linear_rank1_zero", "chebyquad",
]

#: Problem name -> factory.  Called with no arguments, a factory returns the
#: standard instance (chained_rosenbrock: n=10; quadratic: n=10, kappa=100; the
#: scalable MGH problems: the n given in their factories).  The MGH problems
#: come last, in MGH number order.
PROBLEMS = {
    "rosenbrock": rosenbrock,
    "chained_rosenbrock": chained_rosenbrock,
    "quadratic": quadratic,
    "beale": beale,
    "wood": wood,
    "powell_singular": powell_singular,
    "himmelblau": himmelblau,
    "six_hump_camel": six_hump_camel,
    "saddle_xy": saddle_xy,
    "monkey_saddle": monkey_saddle,
    "logistic": logistic,
    "mlp": mlp,
    "autoencoder": autoencoder,
    "matrix-factorization": matrix_factorization,
    "deep-linear": deep_linear,
    "freudenstein_roth": freudenstein_roth,
    "powell_badly_scaled": powell_badly_scaled,
    "brown_badly_scaled": brown_badly_scaled,
    "jennrich_sampson": jennrich_sampson,
    "helical_valley": helical_valley,
    "bard": bard,
    "gaussian": gaussian,
    "meyer": meyer,
    "gulf": gulf,
    "box_3d": box_3d,
    "kowalik_osborne": kowalik_osborne,
    "brown_dennis": brown_dennis,
    "osborne1": osborne1,
    "biggs_exp6": biggs_exp6,
    "osborne2": osborne2,
    "watson": watson,
    "extended_rosenbrock": extended_rosenbrock,
    "extended_powell": extended_powell,
    "penalty1": penalty1,
    "penalty2": penalty2,
    "variably_dimensioned": variably_dimensioned,
    "trigonometric": trigonometric,
    "brown_almost_linear": brown_almost_linear,
    "discrete_boundary_value": discrete_boundary_value,
    "discrete_integral_equation": discrete_integral_equation,
    "broyden_tridiagonal": broyden_tridiagonal,
    "broyden_banded": broyden_banded,
    "linear_full_rank": linear_full_rank,
    "linear_rank1": linear_rank1,
    "linear_rank1_zero": linear_rank1_zero,
    "chebyquad": chebyquad,
}

#: The 35 Moré-Garbow-Hillstrom (1981) problems, in MGH order (problem k is
#: ``MGH[k - 1]``); each is also labelled "mgh".  Four predate the set
#: (rosenbrock = 1, beale = 5, powell_singular = 13, wood = 14), so
#: ``names("mgh")`` (registry order) lists the same names in another order.
MGH = (
    "rosenbrock", "freudenstein_roth", "powell_badly_scaled", "brown_badly_scaled",
    "beale", "jennrich_sampson", "helical_valley", "bard", "gaussian", "meyer", "gulf",
    "box_3d", "powell_singular", "wood", "kowalik_osborne", "brown_dennis", "osborne1",
    "biggs_exp6", "osborne2", "watson", "extended_rosenbrock", "extended_powell",
    "penalty1", "penalty2", "variably_dimensioned", "trigonometric", "brown_almost_linear",
    "discrete_boundary_value", "discrete_integral_equation", "broyden_tridiagonal",
    "broyden_banded", "linear_full_rank", "linear_rank1", "linear_rank1_zero", "chebyquad",
)


def get(name: str, **params) -> Problem:
    """Return the problem ``name`` built with ``params``.

    Parameters
    ----------
    name : str
        A key of :data:`PROBLEMS`.
    **params
        Passed to the factory (e.g. ``n=20`` for ``"chained_rosenbrock"``).

    Returns
    -------
    Problem
        The instance; factories are cached, so equal parameters give the same object.

    Raises
    ------
    ValueError
        If ``name`` is unknown; the message lists the valid names.

    Examples
    --------
    >>> from newtonlab import problems
    >>> p = problems.get("chained_rosenbrock", n=20)
    >>> p.id, p.n, p.x0.shape
    ('chained_rosenbrock(n=20)', 20, (20,))
    >>> p is problems.get("chained_rosenbrock", n=20)
    True
    """
    try:
        factory = PROBLEMS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown problem {name!r}; valid names: "
                         f"{', '.join(PROBLEMS)}") from None
    return factory(**params)


def names(tag: str | None = None) -> list[str]:
    """Problem names, all or those whose standard instance has label ``tag``.

    Tags are the problems' ``labels`` (:data:`LABELS`: "convex", "non-convex",
    "ill-conditioned", "multimodal", ...).

    Parameters
    ----------
    tag : str, optional
        A label of :data:`LABELS`; default: every problem.

    Returns
    -------
    list of str
        Keys of :data:`PROBLEMS`, in registry order.

    Raises
    ------
    ValueError
        An unknown tag; the message lists the tags.

    Examples
    --------
    >>> from newtonlab import problems
    >>> "rosenbrock" in problems.names() and "quadratic" in problems.names("convex")
    True
    """
    if tag is None:
        return list(PROBLEMS)
    if tag not in LABELS:
        raise ValueError(f"unknown tag {tag!r}; tags: {', '.join(sorted(LABELS))}")
    return [name for name, factory in PROBLEMS.items() if tag in factory().labels]


def all_problems() -> list[Problem]:
    """The standard instance of every problem in :data:`PROBLEMS`, in order.

    Returns
    -------
    list of Problem
        ``[PROBLEMS[name]() for name in PROBLEMS]`` (the factories' defaults).

    Examples
    --------
    >>> from newtonlab import problems
    >>> ps = problems.all_problems()
    >>> len(ps) == len(problems.PROBLEMS), ps[0].id
    (True, 'rosenbrock')
    """
    return [factory() for factory in PROBLEMS.values()]


def standard_matrix() -> list[Problem]:
    """The problems of the solver test matrix.

    rosenbrock, chained_rosenbrock(10), quadratic(10, 1e2), quadratic(50, 1e4),
    beale, wood, powell_singular, himmelblau, six_hump_camel.  ``saddle_xy``
    and ``monkey_saddle`` are left out: they are unbounded below.

    Returns
    -------
    list of Problem
        The nine instances, in the order above.

    Examples
    --------
    >>> from newtonlab import problems
    >>> [q.id for q in problems.standard_matrix()][3:6]
    ['quadratic(n=50,kappa=10000.0,seed=0)', 'beale', 'wood']
    """
    return [
        rosenbrock(), chained_rosenbrock(10), quadratic(10, 1e2), quadratic(50, 1e4),
        beale(), wood(), powell_singular(), himmelblau(), six_hump_camel(),
    ]
