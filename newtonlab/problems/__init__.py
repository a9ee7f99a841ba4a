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
from .multimodal import himmelblau, six_hump_camel
from .powell import powell_singular
from .quadratic import quadratic
from .rosenbrock import chained_rosenbrock, rosenbrock
from .saddles import monkey_saddle, saddle_xy

__all__ = [
    "PROBLEMS", "get", "names", "all_problems", "standard_matrix",
    "Problem", "CriticalPoint", "KINDS", "LABELS",
    "rosenbrock", "chained_rosenbrock", "quadratic", "beale", "wood",
    "powell_singular", "himmelblau", "six_hump_camel", "saddle_xy", "monkey_saddle",
]

#: Problem name -> factory.  Called with no arguments, a factory returns the
#: standard instance (chained_rosenbrock: n=10; quadratic: n=10, kappa=100).
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
}


def get(name: str, **params) -> Problem:
    """Return the problem ``name`` built with ``params``.

    Parameters
    ----------
    name : str
        A key of :data:`PROBLEMS`.
    **params
        Passed to the factory (e.g. ``n=20`` for ``"chained_rosenbrock"``).

    Raises
    ------
    ValueError
        If ``name`` is unknown; the message lists the valid names.
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
    "ill-conditioned", "multimodal", ...); an unknown tag is a ValueError listing them.

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
    """The standard instance of every problem in :data:`PROBLEMS`, in order."""
    return [factory() for factory in PROBLEMS.values()]


def standard_matrix() -> list[Problem]:
    """The problems of the solver test matrix.

    rosenbrock, chained_rosenbrock(10), quadratic(10, 1e2), quadratic(50, 1e4),
    beale, wood, powell_singular, himmelblau, six_hump_camel.  ``saddle_xy``
    and ``monkey_saddle`` are left out: they are unbounded below.
    """
    return [
        rosenbrock(), chained_rosenbrock(10), quadratic(10, 1e2), quadratic(50, 1e4),
        beale(), wood(), powell_singular(), himmelblau(), six_hump_camel(),
    ]
