"""The :class:`Problem` record shared by every test-problem family.

Why a record and not a class hierarchy: a solver needs the five callables and
``args``, a test needs the reference data (minimizers, critical points, bounds),
and both must be able to hold many problems in a list.  A frozen dataclass is
the smallest thing that carries all of it and can be checked once, in
``__post_init__``, instead of in every solver.

Why the ``args`` rule: compiled code is specialised on the *types* of ``args``
(``minimize``'s adapters, ``newtonlab.jit``'s solvers, the problems' own functions).
Every problem therefore passes its data either as no args at all or as exactly
``(float64[:, ::1], float64[::1])`` (a C-contiguous matrix and a vector, of any
shapes: a quadratic's (A, b), a learning problem's data), so that what is compiled
for one parameterised problem serves every other.  :class:`Problem` rejects
anything else.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from numba.extending import register_jitable

#: Allowed values of :attr:`CriticalPoint.kind`.
KINDS = ("minimum", "maximum", "saddle", "degenerate")

#: The label vocabulary and the rule each label follows.  The rules are
#: checked against the data by ``tests/test_problems.py``.
LABELS = {
    "convex": "f is convex on R^n (Problem.convex is True)",
    "non-convex": "f is not convex",
    "ill-conditioned": "cond(hess f(x*)) >= 1e3 at some listed global minimizer "
                       "(infinite when the Hessian there is singular)",
    "saddle": "at least one listed critical point is a non-degenerate saddle",
    "degenerate": "at least one listed critical point has a singular Hessian",
    "multimodal": "more than one local minimizer is listed",
    "singular-hessian-at-min": "the Hessian is singular at a global minimizer",
    "unbounded-below": "inf f = -inf: no fmin and no minimizers",
    "scalable": "the dimension n is a parameter",
    "mgh": "one of the 35 Moré-Garbow-Hillstrom problems (ACM TOMS 7, 1981)",
    "least-squares": "f = sum_i r_i(x)^2; ggnp(x, v) is the Gauss-Newton product 2 J^T J v",
    "ml": "a learning problem: a loss over generated data, with a ggnp product",
}


@dataclass(frozen=True, eq=False)
class CriticalPoint:
    """A point where the gradient vanishes.

    Attributes
    ----------
    x : ndarray, shape (n,)
        Location, correctly rounded to double precision.
    kind : {"minimum", "maximum", "saddle", "degenerate"}
        ``"degenerate"`` when the Hessian is singular there (whatever the
        point is otherwise: the minimizer of ``powell_singular`` is a
        degenerate critical point); otherwise given by the signs of the
        Hessian eigenvalues.
    index : int
        Morse index: the number of negative Hessian eigenvalues.
    fun : float
        f(x), evaluated in double precision at the rounded ``x``.
    """

    x: np.ndarray
    kind: str
    index: int
    fun: float

    def __post_init__(self):
        x = np.ascontiguousarray(self.x, dtype=np.float64)
        if x.ndim != 1:
            raise ValueError("CriticalPoint.x must be 1-D")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if not 0 <= int(self.index) <= x.shape[0]:
            raise ValueError("index must lie in [0, n]")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "index", int(self.index))
        object.__setattr__(self, "fun", float(self.fun))

    def __repr__(self):
        return (f"CriticalPoint(x={np.array2string(self.x, precision=17)}, "
                f"kind={self.kind!r}, index={self.index}, fun={self.fun!r})")


def _is_matrix_arg(a):
    return (isinstance(a, np.ndarray) and a.dtype == np.float64 and a.ndim == 2
            and a.flags.c_contiguous and a.flags.writeable)


def _is_vector_arg(a):
    return (isinstance(a, np.ndarray) and a.dtype == np.float64 and a.ndim == 1
            and a.flags.c_contiguous and a.flags.writeable)


@dataclass(frozen=True, eq=False, repr=False)
class Problem:
    """A labelled unconstrained test problem ``min f(x), x in R^n``.

    Instances are cached by their factories and shared: treat every array
    field (and the arrays in ``args``) as read-only and copy ``x0`` before
    modifying it.  They are kept writeable on purpose: numba types a
    read-only array differently, and a different type means a recompiled
    solver.

    Attributes
    ----------
    name : str
        Key of the factory in :data:`newtonlab.problems.PROBLEMS`.
    n : int
        Dimension.
    fun, jac, hess, hessp, fg : numba dispatchers
        ``fun(x, *args) -> float``, ``jac(x, *args) -> ndarray (n,)``,
        ``hess(x, *args) -> ndarray (n, n)``, ``hessp(x, p, *args) -> ndarray
        (n,)`` and ``fg(x, *args) -> (float, ndarray)``, scipy's calling
        convention.  ``hess`` is None where only products make sense (large
        learning problems).  Each returns new arrays.  ``f.py_func`` is the same
        function uncompiled; it runs on NumPy arrays (the "NumPy form").
    x0 : ndarray, shape (n,)
        Standard starting point.
    args : tuple
        ``()`` or ``(A, b)`` with ``A`` a float64 C-contiguous matrix and ``b``
        a float64 C-contiguous vector (a quadratic's data, a learning
        problem's inputs and targets).
    fmin : float or None
        Global minimum value (as published, for the MGH problems, some of
        which list a local value); None when f is unbounded below or unknown.
    minimizers : tuple of ndarray
        Known *global* minimizers; may be empty when ``fmin`` is known but a
        minimizer has no closed form.  Local minimizers are the ``"minimum"``
        entries of ``critical_points`` whose ``fun`` exceeds ``fmin``.
    critical_points : tuple of CriticalPoint
        Known critical points inside ``bounds`` (every one, when
        ``critical_points_complete``), global minimizers included.
    bounds : ndarray, shape (n, 2), or None
        Standard search box (lower, upper) per coordinate.
    convex : bool
        Whether f is convex on R^n.
    labels : tuple of str
        Drawn from :data:`LABELS`.
    reference : str
        Citation(s) for the definition, x0 and the reference data.
    critical_points_complete : bool
        True when ``critical_points`` is proven to be every critical point of
        f in ``bounds`` (or in R^n when ``bounds`` is None).
    params : tuple of (str, value) pairs
        Factory parameters; ``get(p.name, **dict(p.params))`` returns ``p``.
    ggnp : numba dispatcher or None
        ``ggnp(x, v, *args) -> ndarray (n,)``, the generalized Gauss-Newton
        product G v (Schraudolph 2002) for least-squares and learning
        problems; G is positive semidefinite and equals the Hessian where the
        residuals (or the output loss's arguments) are linear in x.
    """

    name: str
    n: int
    fun: Callable
    jac: Callable
    hess: Callable | None
    hessp: Callable
    fg: Callable
    x0: np.ndarray
    args: tuple = ()
    fmin: float | None = None
    minimizers: tuple = ()
    critical_points: tuple = ()
    bounds: np.ndarray | None = None
    convex: bool = False
    labels: tuple = ()
    reference: str = ""
    critical_points_complete: bool = False
    params: tuple[tuple[str, Any], ...] = field(default=())
    ggnp: Callable | None = None

    def __post_init__(self):
        n = int(self.n)
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731
        set_("n", n)
        x0 = np.array(self.x0, dtype=np.float64)
        if x0.shape != (n,):
            raise ValueError(f"x0 must have shape ({n},)")
        set_("x0", x0)
        args = tuple(self.args)
        if not (args == () or (len(args) == 2 and _is_matrix_arg(args[0])
                               and _is_vector_arg(args[1]))):
            raise TypeError("args must be () or (float64[:, ::1], float64[::1]) writeable "
                            "arrays: any other type recompiles every solver")
        set_("args", args)
        mins = tuple(np.array(m, dtype=np.float64) for m in self.minimizers)
        if any(m.shape != (n,) for m in mins):
            raise ValueError(f"minimizers must have shape ({n},)")
        set_("minimizers", mins)
        if self.fmin is None and mins:
            raise ValueError("minimizers need fmin")
        if self.fmin is not None:
            set_("fmin", float(self.fmin))
        cps = tuple(self.critical_points)
        if any(not isinstance(c, CriticalPoint) or c.x.shape != (n,) for c in cps):
            raise ValueError(f"critical_points must be CriticalPoints of dimension {n}")
        set_("critical_points", cps)
        if self.bounds is not None:
            b = np.array(self.bounds, dtype=np.float64)
            if b.shape != (n, 2) or np.any(b[:, 0] >= b[:, 1]):
                raise ValueError(f"bounds must have shape ({n}, 2) with lower < upper")
            set_("bounds", b)
        labels = tuple(self.labels)
        unknown = set(labels) - set(LABELS)
        if unknown:
            raise ValueError(f"unknown labels {sorted(unknown)}; see LABELS")
        if ("convex" in labels) != bool(self.convex) or ("non-convex" in labels) == bool(self.convex):
            raise ValueError("exactly one of 'convex'/'non-convex' must be labelled, matching convex")
        set_("labels", labels)
        set_("params", tuple((str(k), v) for k, v in self.params))

    @property
    def id(self) -> str:
        """``name`` plus parameters, e.g. ``"quadratic(n=10,kappa=100.0,seed=0)"``."""
        if not self.params:
            return self.name
        return f"{self.name}({','.join(f'{k}={v!r}' for k, v in self.params)})"

    def __repr__(self):
        return f"<Problem {self.id} n={self.n} labels={list(self.labels)}>"


def critical_points_from_table(fun, table, args=()):
    """Build :class:`CriticalPoint` objects from ``(x, kind, index)`` rows.

    ``fun`` is evaluated through its uncompiled ``py_func`` so that building
    a problem never triggers a numba compilation.
    """
    out = []
    for x, kind, index in table:
        x = np.array(x, dtype=np.float64)
        out.append(CriticalPoint(x, kind, index, float(getattr(fun, "py_func", fun)(x, *args))))
    return tuple(out)


@register_jitable
def sym2(h11, h12, h22):
    """The symmetric 2 x 2 matrix [[h11, h12], [h12, h22]] (2-D problems' Hessians)."""
    H = np.empty((2, 2))
    H[0, 0] = h11
    H[0, 1] = h12
    H[1, 0] = h12
    H[1, 1] = h22
    return H


@register_jitable
def sym2_times(h11, h12, h22, p):
    """[[h11, h12], [h12, h22]] @ p without forming the matrix (2-D problems' hessp)."""
    hp = np.empty(2)
    hp[0] = h11 * p[0] + h12 * p[1]
    hp[1] = h12 * p[0] + h22 * p[1]
    return hp
