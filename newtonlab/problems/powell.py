"""Powell's singular function (Moré, Garbow & Hillstrom 1981, problem 13).

Why it is here: f is convex, yet its Hessian is singular (rank 2) at the
unique minimizer, so Newton's method converges only linearly and any test
that assumes a positive definite Hessian at x* (superlinear-rate checks,
second-order sufficiency) must treat it as the exception.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba.extending import register_jitable

from .._engine.config import jit
from ._base import Problem, critical_points_from_table

_MGH = ("Moré, J. J., Garbow, B. S. & Hillstrom, K. E. (1981). Testing "
        "unconstrained optimization software. ACM TOMS 7(1), 17-41")
_SB = ("Surjanovic, S. & Bingham, D. Virtual Library of Simulation "
       "Experiments: test functions (search box)")

#   f = a^2 + 5 b^2 + c^4 + 10 d^4 with the linear forms
#   a = x1 + 10 x2, b = x3 - x4, c = x2 - 2 x3, d = x1 - x4.
#   hess = 2 u u^T + 10 v v^T + 12 c^2 w w^T + 120 d^2 z z^T,
#   u = (1, 10, 0, 0), v = (0, 0, 1, -1), w = (0, 1, -2, 0), z = (1, 0, 0, -1).


@jit
def powell_fun(x):
    a = x[0] + 10.0 * x[1]
    b = x[2] - x[3]
    c = x[1] - 2.0 * x[2]
    d = x[0] - x[3]
    c2 = c * c
    d2 = d * d
    return a * a + 5.0 * b * b + c2 * c2 + 10.0 * d2 * d2


@register_jitable
def _powell_fg(x):
    a = x[0] + 10.0 * x[1]
    b = x[2] - x[3]
    c = x[1] - 2.0 * x[2]
    d = x[0] - x[3]
    c2 = c * c
    d2 = d * d
    c3 = 4.0 * c2 * c               # d(c^4)/dc
    d3 = 40.0 * d2 * d              # d(10 d^4)/dd
    g = np.empty(4)
    g[0] = 2.0 * a + d3
    g[1] = 20.0 * a + c3
    g[2] = 10.0 * b - 2.0 * c3
    g[3] = -10.0 * b - d3
    return a * a + 5.0 * b * b + c2 * c2 + 10.0 * d2 * d2, g


@jit
def powell_fg(x):
    return _powell_fg(x)


@jit
def powell_jac(x):
    return _powell_fg(x)[1]


@jit
def powell_hess(x):
    c = x[1] - 2.0 * x[2]
    d = x[0] - x[3]
    s = 12.0 * c * c
    q = 120.0 * d * d
    H = np.zeros((4, 4))
    H[0, 0] = 2.0 + q
    H[0, 1] = 20.0
    H[1, 0] = H[0, 1]
    H[0, 3] = -q
    H[3, 0] = H[0, 3]
    H[1, 1] = 200.0 + s
    H[1, 2] = -2.0 * s
    H[2, 1] = H[1, 2]
    H[2, 2] = 10.0 + 4.0 * s
    H[2, 3] = -10.0
    H[3, 2] = H[2, 3]
    H[3, 3] = 10.0 + q
    return H


@jit
def powell_hessp(x, p):
    c = x[1] - 2.0 * x[2]
    d = x[0] - x[3]
    s = 12.0 * c * c
    q = 120.0 * d * d
    up = 2.0 * (p[0] + 10.0 * p[1])
    vp = 10.0 * (p[2] - p[3])
    wp = s * (p[1] - 2.0 * p[2])
    zp = q * (p[0] - p[3])
    hp = np.empty(4)
    hp[0] = up + zp
    hp[1] = 10.0 * up + wp
    hp[2] = vp - 2.0 * wp
    hp[3] = -vp - zp
    return hp


@jit
def powell_ggnp(x, v):
    """Gauss-Newton product 2 J^T (J v) of r = (a, sqrt5 b, c^2, sqrt10 d^2)."""
    c = x[1] - 2.0 * x[2]
    d = x[0] - x[3]
    up = 2.0 * (v[0] + 10.0 * v[1])
    vp = 10.0 * (v[2] - v[3])
    wp = 8.0 * c * c * (v[1] - 2.0 * v[2])          # 2 (2c)^2 w w^T v
    zp = 80.0 * d * d * (v[0] - v[3])               # 2 (2 sqrt10 d)^2 z z^T v
    out = np.empty(4)
    out[0] = up + zp
    out[1] = 10.0 * up + wp
    out[2] = vp - 2.0 * wp
    out[3] = -vp - zp
    return out


@lru_cache(maxsize=None)
def powell_singular() -> Problem:
    """Powell's singular function (MGH problem 13).

    .. math:: f(x) = (x_1 + 10 x_2)^2 + 5 (x_3 - x_4)^2 + (x_2 - 2 x_3)^4
              + 10 (x_1 - x_4)^4

    x0 = (3, -1, 0, 1); global minimizer 0, f* = 0.  f is convex (a sum of
    even powers of linear forms) and the four forms are independent, so 0
    is the only critical point.  The Hessian there has rank 2 (eigenvalues
    0, 0, 20, 202): the critical point is ``"degenerate"``.  Box [-4, 5]^4.

    References
    ----------
    Powell, M. J. D. (1962). An iterative method for finding stationary values
    of a function of several variables. The Computer Journal 5(2), 147-151;
    Moré, Garbow & Hillstrom (1981), problem 13.
    """
    zero = np.zeros(4)
    return Problem(
        name="powell_singular", n=4, fun=powell_fun, jac=powell_jac, hess=powell_hess,
        hessp=powell_hessp, fg=powell_fg, x0=np.array([3.0, -1.0, 0.0, 1.0]), fmin=0.0,
        minimizers=(zero,),
        critical_points=critical_points_from_table(powell_fun, ((zero, "degenerate", 0),)),
        bounds=np.array([[-4.0, 5.0]] * 4), convex=True,
        labels=("convex", "degenerate", "singular-hessian-at-min", "ill-conditioned", "mgh",
                "least-squares"),
        reference=f"Powell (1962), The Computer Journal 5(2), 147-151; {_MGH}, problem 13; {_SB}",
        critical_points_complete=True, ggnp=powell_ggnp)
