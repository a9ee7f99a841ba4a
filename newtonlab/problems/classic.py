"""Non-convex classics from Moré, Garbow & Hillstrom (1981): Beale and Wood.

Why these two: each has a saddle a Newton-type method can be drawn to.
Beale has a flat valley (Hessian eigenvalues 0.30 and 49 at the minimizer)
and two saddles, one on the line x1 = 0 where f is constant in x2; Wood has a
non-optimal stationary point (an index-1 saddle near (-0.97, 0.95, -0.97,
0.95)) that stalls methods which only test the gradient.

Critical points: the gradient of each is a polynomial system; a lex Groebner
basis gives every complex solution (Beale 7, Wood 9), the real ones were
refined to 50 digits (mpmath) and rounded to double.  The tables below are
therefore complete in R^n, not only in ``bounds``.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba.extending import register_jitable

from .._engine.config import jit
from ._base import Problem, critical_points_from_table, sym2, sym2_times

_MGH = ("Moré, J. J., Garbow, B. S. & Hillstrom, K. E. (1981). Testing "
        "unconstrained optimization software. ACM TOMS 7(1), 17-41")
_SB = ("Surjanovic, S. & Bingham, D. Virtual Library of Simulation "
       "Experiments: test functions (search box)")

# ---------------------------------------------------------------- Beale
#   f = sum_{i=1}^{3} r_i^2,  r_i = y_i - x1 (1 - x2^i),  y = (1.5, 2.25, 2.625)


@jit
def beale_fun(x):
    t = x[1]
    t2 = t * t
    r1 = 1.5 - x[0] * (1.0 - t)
    r2 = 2.25 - x[0] * (1.0 - t2)
    r3 = 2.625 - x[0] * (1.0 - t2 * t)
    return r1 * r1 + r2 * r2 + r3 * r3


@register_jitable
def _beale_fg(x):
    t = x[1]
    t2 = t * t
    u1 = 1.0 - t
    u2 = 1.0 - t2
    u3 = 1.0 - t2 * t
    r1 = 1.5 - x[0] * u1
    r2 = 2.25 - x[0] * u2
    r3 = 2.625 - x[0] * u3
    g = np.empty(2)
    g[0] = -2.0 * (r1 * u1 + r2 * u2 + r3 * u3)
    g[1] = 2.0 * x[0] * (r1 + 2.0 * t * r2 + 3.0 * t2 * r3)
    return r1 * r1 + r2 * r2 + r3 * r3, g


@jit
def beale_fg(x):
    return _beale_fg(x)


@jit
def beale_jac(x):
    return _beale_fg(x)[1]


@register_jitable
def _beale_h(x):
    """Hessian entries (h11, h12, h22) of Beale's function."""
    x1 = x[0]
    t = x[1]
    t2 = t * t
    u1 = 1.0 - t
    u2 = 1.0 - t2
    u3 = 1.0 - t2 * t
    r1 = 1.5 - x1 * u1
    r2 = 2.25 - x1 * u2
    r3 = 2.625 - x1 * u3
    c2 = 2.0 * t                     # d(t^i)/dt for i = 2, 3 (c1 = 1)
    c3 = 3.0 * t2
    h11 = 2.0 * (u1 * u1 + u2 * u2 + u3 * u3)
    h12 = 2.0 * ((r1 - x1 * u1) + c2 * (r2 - x1 * u2) + c3 * (r3 - x1 * u3))
    h22 = 2.0 * x1 * x1 * (1.0 + c2 * c2 + c3 * c3) + 2.0 * x1 * (2.0 * r2 + 6.0 * t * r3)
    return h11, h12, h22


@jit
def beale_hess(x):
    return sym2(*_beale_h(x))


@jit
def beale_hessp(x, p):
    h11, h12, h22 = _beale_h(x)
    return sym2_times(h11, h12, h22, p)


@jit
def beale_ggnp(x, v):
    """Gauss-Newton product 2 J^T (J v) of r_i = y_i - x1 (1 - x2^i)."""
    t = x[1]
    out = np.zeros(2)
    ti = 1.0                                   # t^(i-1)
    for i in range(1, 4):
        j1 = -(1.0 - ti * t)                   # dr_i/dx1
        j2 = x[0] * i * ti                     # dr_i/dx2
        s = 2.0 * (j1 * v[0] + j2 * v[1])
        out[0] += j1 * s
        out[1] += j2 * s
        ti *= t
    return out


# Complete list (Groebner basis: 7 complex solutions, 3 real).
_BEALE_CP = (
    ((3.0, 0.5), "minimum", 0),                                   # f = 0
    ((0.10053793732415836, -2.644513585023125), "saddle", 1),     # f = 9.8645122847555602
    ((0.0, 1.0), "saddle", 1),                                    # f = 14.203125
)


@lru_cache(maxsize=None)
def beale() -> Problem:
    """Beale's function (MGH problem 5).

    .. math:: f(x) = \\sum_{i=1}^{3} \\bigl(y_i - x_1 (1 - x_2^i)\\bigr)^2,
              \\quad y = (1.5, 2.25, 2.625)

    x0 = (1, 1); global minimizer (3, 0.5), f* = 0.  Two saddles:
    (0, 1) (f = 14.203125, where f is constant along x1 = 0) and
    (0.1005379..., -2.6445135...) (f = 9.86451).  Box [-4.5, 4.5]^2.

    References
    ----------
    Beale, E. M. L. (1958). On an iterative method for finding a local minimum
    of a function of more than one variable. Tech. Rep. 25, Statistical
    Techniques Research Group, Princeton University; Moré, Garbow & Hillstrom
    (1981), problem 5.
    """
    return Problem(
        name="beale", n=2, fun=beale_fun, jac=beale_jac, hess=beale_hess,
        hessp=beale_hessp, fg=beale_fg, x0=np.array([1.0, 1.0]), fmin=0.0,
        minimizers=(np.array([3.0, 0.5]),),
        critical_points=critical_points_from_table(beale_fun, _BEALE_CP),
        bounds=np.array([[-4.5, 4.5]] * 2), convex=False,
        labels=("non-convex", "saddle", "mgh", "least-squares"),
        reference=f"Beale (1958), Tech. Rep. 25, Princeton; {_MGH}, problem 5; {_SB}",
        critical_points_complete=True, ggnp=beale_ggnp)


# ---------------------------------------------------------------- Wood
@register_jitable
def _wood_fg(x):
    a = x[1] - x[0] * x[0]
    c = x[3] - x[2] * x[2]
    b1 = 1.0 - x[0]
    b3 = 1.0 - x[2]
    e2 = x[1] - 1.0
    e4 = x[3] - 1.0
    f = (100.0 * a * a + b1 * b1 + 90.0 * c * c + b3 * b3
         + 10.1 * (e2 * e2 + e4 * e4) + 19.8 * e2 * e4)
    g = np.empty(4)
    g[0] = -400.0 * x[0] * a - 2.0 * b1
    g[1] = 200.0 * a + 20.2 * e2 + 19.8 * e4
    g[2] = -360.0 * x[2] * c - 2.0 * b3
    g[3] = 180.0 * c + 20.2 * e4 + 19.8 * e2
    return f, g


@jit
def wood_fun(x):
    a = x[1] - x[0] * x[0]
    c = x[3] - x[2] * x[2]
    b1 = 1.0 - x[0]
    b3 = 1.0 - x[2]
    e2 = x[1] - 1.0
    e4 = x[3] - 1.0
    return (100.0 * a * a + b1 * b1 + 90.0 * c * c + b3 * b3
            + 10.1 * (e2 * e2 + e4 * e4) + 19.8 * e2 * e4)


@jit
def wood_fg(x):
    return _wood_fg(x)


@jit
def wood_jac(x):
    return _wood_fg(x)[1]


@jit
def wood_hess(x):
    H = np.zeros((4, 4))
    H[0, 0] = 1200.0 * x[0] * x[0] - 400.0 * x[1] + 2.0
    H[0, 1] = -400.0 * x[0]
    H[1, 0] = H[0, 1]
    H[1, 1] = 220.2
    H[1, 3] = 19.8
    H[3, 1] = H[1, 3]
    H[2, 2] = 1080.0 * x[2] * x[2] - 360.0 * x[3] + 2.0
    H[2, 3] = -360.0 * x[2]
    H[3, 2] = H[2, 3]
    H[3, 3] = 200.2
    return H


@jit
def wood_hessp(x, p):
    h11 = 1200.0 * x[0] * x[0] - 400.0 * x[1] + 2.0
    h12 = -400.0 * x[0]
    h33 = 1080.0 * x[2] * x[2] - 360.0 * x[3] + 2.0
    h34 = -360.0 * x[2]
    hp = np.empty(4)
    hp[0] = h11 * p[0] + h12 * p[1]
    hp[1] = h12 * p[0] + 220.2 * p[1] + 19.8 * p[3]
    hp[2] = h33 * p[2] + h34 * p[3]
    hp[3] = 19.8 * p[1] + h34 * p[2] + 200.2 * p[3]
    return hp


@jit
def wood_ggnp(x, v):
    """Gauss-Newton product 2 J^T (J v) of MGH's six residuals of Wood's function.

    r = (10 (x2 - x1^2), 1 - x1, sqrt90 (x4 - x3^2), 1 - x3, sqrt10 (x2 + x4 - 2),
    (x2 - x4) / sqrt10).
    """
    a = 10.0 * (v[1] - 2.0 * x[0] * v[0])
    c = 90.0 * (v[3] - 2.0 * x[2] * v[2])      # sqrt90 * (J v)_3, pre-multiplied by sqrt90
    e = 10.0 * (v[1] + v[3])                   # sqrt10 * (J v)_5 * sqrt10
    d = 0.1 * (v[1] - v[3])                    # (J v)_6 / sqrt10
    out = np.empty(4)
    out[0] = 2.0 * (-20.0 * x[0] * a + v[0])
    out[1] = 2.0 * (10.0 * a + e + d)
    out[2] = 2.0 * (-2.0 * x[2] * c + v[2])
    out[3] = 2.0 * (c + e - d)
    return out


# Complete list (Groebner basis: 9 complex solutions, 3 real).
_WOOD_CP = (
    ((1.0, 1.0, 1.0, 1.0), "minimum", 0),                                 # f = 0
    ((-0.9679740249375931, 0.9471391408178418,
      -0.9695163103315911, 0.9512476657923252), "saddle", 1),             # f = 7.8769671651768675
    ((-0.03125102339433596, 0.16597138685578314,
      -0.031258171023264066, 0.18426393469672842), "saddle", 2),          # f = 35.090034210435626
)


@lru_cache(maxsize=None)
def wood() -> Problem:
    """Wood's function (MGH problem 14; Colville's function).

    .. math:: f(x) = 100(x_2 - x_1^2)^2 + (1 - x_1)^2 + 90(x_4 - x_3^2)^2
              + (1 - x_3)^2 + 10.1\\bigl((x_2 - 1)^2 + (x_4 - 1)^2\\bigr)
              + 19.8 (x_2 - 1)(x_4 - 1)

    x0 = (-3, -1, -3, -1); global minimizer (1, 1, 1, 1), f* = 0.  Saddles:
    index 1 near (-0.968, 0.947, -0.970, 0.951) with f = 7.87697 (the
    "non-optimal stationary point"), index 2 near (-0.031, 0.166, -0.031,
    0.184).  Box [-10, 10]^4.

    References
    ----------
    Colville, A. R. (1968). A comparative study on nonlinear programming codes.
    IBM New York Scientific Center Report 320-2949; Moré, Garbow & Hillstrom
    (1981), problem 14.
    """
    return Problem(
        name="wood", n=4, fun=wood_fun, jac=wood_jac, hess=wood_hess, hessp=wood_hessp,
        fg=wood_fg, x0=np.array([-3.0, -1.0, -3.0, -1.0]), fmin=0.0,
        minimizers=(np.ones(4),),
        critical_points=critical_points_from_table(wood_fun, _WOOD_CP),
        bounds=np.array([[-10.0, 10.0]] * 4), convex=False,
        labels=("non-convex", "saddle", "ill-conditioned", "mgh", "least-squares"),
        reference=f"Colville (1968), IBM NYSC Report 320-2949; {_MGH}, problem 14; {_SB}",
        critical_points_complete=True, ggnp=wood_ggnp)
