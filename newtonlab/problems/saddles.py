"""The two model saddles: x^2 - y^2 and the monkey saddle x^3 - 3 x y^2.

Why they are here: both are unbounded below, so they are *not* minimization
problems (they are left out of :func:`newtonlab.problems.standard_matrix`);
they exist for critical-point analysis.  The origin of x^2 - y^2 is a
non-degenerate saddle (Morse index 1): plain Newton jumps onto it in one
step, and a negative-curvature method must escape.  The origin of the
monkey saddle has a zero Hessian, so second-order information cannot
classify it, and Newton's method on grad f = 0 converges there only
linearly.  In both the origin is the only critical point.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._engine.config import jit
from ._base import Problem, critical_points_from_table, sym2

_REF_SADDLE = ("Nocedal, J. & Wright, S. J. (2006). Numerical Optimization, 2nd ed., "
               "Springer, sec. 2.1 (second-order conditions; saddle points).")
_REF_MONKEY = ("Hilbert, D. & Cohn-Vossen, S. (1952). Geometry and the Imagination. "
               "Chelsea (the monkey saddle).")


@jit
def saddle_fun(x):
    return x[0] * x[0] - x[1] * x[1]


@jit
def saddle_jac(x):
    g = np.empty(2)
    g[0] = 2.0 * x[0]
    g[1] = -2.0 * x[1]
    return g


@jit
def saddle_fg(x):
    g = np.empty(2)
    g[0] = 2.0 * x[0]
    g[1] = -2.0 * x[1]
    return x[0] * x[0] - x[1] * x[1], g


@jit
def saddle_hess(x):
    H = np.zeros((2, 2))
    H[0, 0] = 2.0
    H[1, 1] = -2.0
    return H


@jit
def saddle_hessp(x, p):
    hp = np.empty(2)
    hp[0] = 2.0 * p[0]
    hp[1] = -2.0 * p[1]
    return hp


@lru_cache(maxsize=None)
def saddle_xy() -> Problem:
    """The quadratic saddle f(x, y) = x^2 - y^2.

    Unbounded below (``fmin`` None, no minimizers).  Only critical point: the
    origin, a saddle of index 1 (Hessian diag(2, -2)).  x0 = (1, 1e-8) lies
    almost on the x axis, the stable manifold of the saddle for gradient
    flow.  Box [-1, 1]^2 (a library choice).

    References
    ----------
    Nocedal & Wright (2006), section 2.1.
    """
    return Problem(
        name="saddle_xy", n=2, fun=saddle_fun, jac=saddle_jac, hess=saddle_hess,
        hessp=saddle_hessp, fg=saddle_fg, x0=np.array([1.0, 1e-8]), fmin=None,
        minimizers=(),
        critical_points=critical_points_from_table(saddle_fun, (((0.0, 0.0), "saddle", 1),)),
        bounds=np.array([[-1.0, 1.0]] * 2), convex=False,
        labels=("non-convex", "saddle", "unbounded-below"), reference=_REF_SADDLE,
        critical_points_complete=True)


@jit
def monkey_fun(x):
    return x[0] * (x[0] * x[0] - 3.0 * x[1] * x[1])


@jit
def monkey_jac(x):
    g = np.empty(2)
    g[0] = 3.0 * (x[0] * x[0] - x[1] * x[1])
    g[1] = -6.0 * x[0] * x[1]
    return g


@jit
def monkey_fg(x):
    xx = x[0] * x[0]
    yy = x[1] * x[1]
    g = np.empty(2)
    g[0] = 3.0 * (xx - yy)
    g[1] = -6.0 * x[0] * x[1]
    return x[0] * (xx - 3.0 * yy), g


@jit
def monkey_hess(x):
    return sym2(6.0 * x[0], -6.0 * x[1], -6.0 * x[0])


@jit
def monkey_hessp(x, p):
    hp = np.empty(2)
    hp[0] = 6.0 * (x[0] * p[0] - x[1] * p[1])
    hp[1] = -6.0 * (x[1] * p[0] + x[0] * p[1])
    return hp


@lru_cache(maxsize=None)
def monkey_saddle() -> Problem:
    """The monkey saddle f(x, y) = x^3 - 3 x y^2 = Re((x + i y)^3).

    Unbounded below (``fmin`` None, no minimizers).  Only critical point: the
    origin, where the Hessian vanishes (``kind="degenerate"``, index 0); f
    falls along three directions out of it.  x0 = (1, 1e-8), as for
    :func:`saddle_xy`: gradient flow from the positive x axis runs into the
    origin.  Box [-1, 1]^2 (a library choice).

    References
    ----------
    Hilbert & Cohn-Vossen (1952), Geometry and the Imagination.
    """
    return Problem(
        name="monkey_saddle", n=2, fun=monkey_fun, jac=monkey_jac, hess=monkey_hess,
        hessp=monkey_hessp, fg=monkey_fg, x0=np.array([1.0, 1e-8]), fmin=None,
        minimizers=(),
        critical_points=critical_points_from_table(monkey_fun, (((0.0, 0.0), "degenerate", 0),)),
        bounds=np.array([[-1.0, 1.0]] * 2), convex=False,
        labels=("non-convex", "degenerate", "unbounded-below"), reference=_REF_MONKEY,
        critical_points_complete=True)
