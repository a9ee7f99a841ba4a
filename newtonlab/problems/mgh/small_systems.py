"""MGH problems 2, 3 and 4: two-variable systems.

Why a module of their own: Freudenstein-Roth and the two badly scaled
functions of Powell and Brown are the smallest MGH problems (n = 2, m <= 3),
each built to defeat one mechanism: Freudenstein-Roth has a non-global local
minimizer that attracts Newton-type methods, Powell's and Brown's put the
solution at wildly different scales in the two variables, so any test on
||step|| or ||g|| without scaling misjudges convergence.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba.extending import register_jitable

from ..._engine.config import jit
from .._base import Problem
from ._lsq import (MGH, build, check_scale, gn_product, grad, hess_from, hessp_from,
                   params_of, scaled_x0, sumsq, unit)

# ---------------------------------------------------------------- 2 Freudenstein-Roth
#   r1 = -13 + x1 + ((5 - x2) x2 - 2) x2,  r2 = -29 + x1 + ((x2 + 1) x2 - 14) x2


@register_jitable
def _freudenstein_roth_r(x):
    t = x[1]
    r = np.empty(2)
    r[0] = -13.0 + x[0] + ((5.0 - t) * t - 2.0) * t
    r[1] = -29.0 + x[0] + ((t + 1.0) * t - 14.0) * t
    return r


@register_jitable
def _freudenstein_roth_J(x):
    t = x[1]
    J = np.empty((2, 2))
    J[0, 0] = 1.0
    J[0, 1] = (10.0 - 3.0 * t) * t - 2.0
    J[1, 0] = 1.0
    J[1, 1] = (3.0 * t + 2.0) * t - 14.0
    return J


@register_jitable
def _freudenstein_roth_sp(x, r, p):
    t = x[1]
    out = np.zeros(2)
    out[1] = (r[0] * (10.0 - 6.0 * t) + r[1] * (6.0 * t + 2.0)) * p[1]
    return out


@jit
def freudenstein_roth_fun(x):
    return sumsq(_freudenstein_roth_r(x))


@jit
def freudenstein_roth_jac(x):
    return grad(_freudenstein_roth_J(x), _freudenstein_roth_r(x))


@jit
def freudenstein_roth_fg(x):
    r = _freudenstein_roth_r(x)
    return sumsq(r), grad(_freudenstein_roth_J(x), r)


@jit
def freudenstein_roth_hess(x):
    r = _freudenstein_roth_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _freudenstein_roth_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_freudenstein_roth_J(x), S)


@jit
def freudenstein_roth_hessp(x, p):
    return hessp_from(_freudenstein_roth_J(x), _freudenstein_roth_sp(x, _freudenstein_roth_r(x), p), p)


@jit
def freudenstein_roth_ggnp(x, v):
    return gn_product(_freudenstein_roth_J(x), v)


_FREUDENSTEIN_ROTH_FUNCS = (freudenstein_roth_fun, freudenstein_roth_jac, freudenstein_roth_hess, freudenstein_roth_hessp, freudenstein_roth_fg, freudenstein_roth_ggnp)

# Local minimizer: Newton's method on the analytic gradient from (11.41, -0.8968) to
# ||g|| ~ 3e-14; f there is 48.98425367924001 (Moré & Wild 2009: 48.984253679240013).
_FR_LOCAL = (11.412778986902095, -0.8968052532744764)


def freudenstein_roth(x0_scale: float = 1.0) -> Problem:
    """Freudenstein and Roth function (MGH problem 2), n = m = 2.

    .. math:: r_1 = -13 + x_1 + ((5 - x_2) x_2 - 2) x_2, \\quad
              r_2 = -29 + x_1 + ((x_2 + 1) x_2 - 14) x_2

    x0 = (0.5, -2); global minimizer (5, 4), f* = 0; a local minimizer near
    (11.41, -0.8968) with f = 48.9842... is listed too ("multimodal").

    Parameters
    ----------
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _freudenstein_roth(check_scale(x0_scale))


@lru_cache(maxsize=None)
def _freudenstein_roth(s):
    return build(
        "freudenstein_roth", _FREUDENSTEIN_ROTH_FUNCS, scaled_x0([0.5, -2.0], s), 0.0,
        f"Freudenstein & Roth (1963); {MGH}, problem 2",
        minimizers=([5.0, 4.0],), kinds=("minimum",),
        extra_cps=((_FR_LOCAL, "minimum"),),
        labels=("multimodal",), params=params_of(x0_scale=s))

# ---------------------------------------------------------------- 3 Powell badly scaled
#   r1 = 1e4 x1 x2 - 1,  r2 = exp(-x1) + exp(-x2) - 1.0001


@register_jitable
def _powell_badly_scaled_r(x):
    r = np.empty(2)
    r[0] = 1e4 * x[0] * x[1] - 1.0
    r[1] = math.exp(-x[0]) + math.exp(-x[1]) - 1.0001
    return r


@register_jitable
def _powell_badly_scaled_J(x):
    J = np.empty((2, 2))
    J[0, 0] = 1e4 * x[1]
    J[0, 1] = 1e4 * x[0]
    J[1, 0] = -math.exp(-x[0])
    J[1, 1] = -math.exp(-x[1])
    return J


@register_jitable
def _powell_badly_scaled_sp(x, r, p):
    out = np.empty(2)
    out[0] = 1e4 * r[0] * p[1] + r[1] * math.exp(-x[0]) * p[0]
    out[1] = 1e4 * r[0] * p[0] + r[1] * math.exp(-x[1]) * p[1]
    return out


@jit
def powell_badly_scaled_fun(x):
    return sumsq(_powell_badly_scaled_r(x))


@jit
def powell_badly_scaled_jac(x):
    return grad(_powell_badly_scaled_J(x), _powell_badly_scaled_r(x))


@jit
def powell_badly_scaled_fg(x):
    r = _powell_badly_scaled_r(x)
    return sumsq(r), grad(_powell_badly_scaled_J(x), r)


@jit
def powell_badly_scaled_hess(x):
    r = _powell_badly_scaled_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _powell_badly_scaled_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_powell_badly_scaled_J(x), S)


@jit
def powell_badly_scaled_hessp(x, p):
    return hessp_from(_powell_badly_scaled_J(x), _powell_badly_scaled_sp(x, _powell_badly_scaled_r(x), p), p)


@jit
def powell_badly_scaled_ggnp(x, v):
    return gn_product(_powell_badly_scaled_J(x), v)


_POWELL_BADLY_SCALED_FUNCS = (powell_badly_scaled_fun, powell_badly_scaled_jac, powell_badly_scaled_hess, powell_badly_scaled_hessp, powell_badly_scaled_fg, powell_badly_scaled_ggnp)


def powell_badly_scaled(x0_scale: float = 1.0) -> Problem:
    """Powell badly scaled function (MGH problem 3), n = m = 2.

    .. math:: r_1 = 10^4 x_1 x_2 - 1, \\quad r_2 = e^{-x_1} + e^{-x_2} - 1.0001

    x0 = (0, 1); f* = 0 at (1.098...e-5, 9.106...), a root of r with no
    closed form (not listed).

    Parameters
    ----------
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _powell_badly_scaled(check_scale(x0_scale))


@lru_cache(maxsize=None)
def _powell_badly_scaled(s):
    return build(
        "powell_badly_scaled", _POWELL_BADLY_SCALED_FUNCS, scaled_x0([0.0, 1.0], s), 0.0,
        f"Powell (1970); {MGH}, problem 3", params=params_of(x0_scale=s))

# ---------------------------------------------------------------- 4 Brown badly scaled
#   r1 = x1 - 1e6,  r2 = x2 - 2e-6,  r3 = x1 x2 - 2


@register_jitable
def _brown_badly_scaled_r(x):
    r = np.empty(3)
    r[0] = x[0] - 1e6
    r[1] = x[1] - 2e-6
    r[2] = x[0] * x[1] - 2.0
    return r


@register_jitable
def _brown_badly_scaled_J(x):
    J = np.zeros((3, 2))
    J[0, 0] = 1.0
    J[1, 1] = 1.0
    J[2, 0] = x[1]
    J[2, 1] = x[0]
    return J


@register_jitable
def _brown_badly_scaled_sp(x, r, p):
    out = np.empty(2)
    out[0] = r[2] * p[1]
    out[1] = r[2] * p[0]
    return out


@jit
def brown_badly_scaled_fun(x):
    return sumsq(_brown_badly_scaled_r(x))


@jit
def brown_badly_scaled_jac(x):
    return grad(_brown_badly_scaled_J(x), _brown_badly_scaled_r(x))


@jit
def brown_badly_scaled_fg(x):
    r = _brown_badly_scaled_r(x)
    return sumsq(r), grad(_brown_badly_scaled_J(x), r)


@jit
def brown_badly_scaled_hess(x):
    r = _brown_badly_scaled_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _brown_badly_scaled_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_brown_badly_scaled_J(x), S)


@jit
def brown_badly_scaled_hessp(x, p):
    return hessp_from(_brown_badly_scaled_J(x), _brown_badly_scaled_sp(x, _brown_badly_scaled_r(x), p), p)


@jit
def brown_badly_scaled_ggnp(x, v):
    return gn_product(_brown_badly_scaled_J(x), v)


_BROWN_BADLY_SCALED_FUNCS = (brown_badly_scaled_fun, brown_badly_scaled_jac, brown_badly_scaled_hess, brown_badly_scaled_hessp, brown_badly_scaled_fg, brown_badly_scaled_ggnp)


def brown_badly_scaled(x0_scale: float = 1.0) -> Problem:
    """Brown badly scaled function (MGH problem 4), n = 2, m = 3.

    .. math:: r_1 = x_1 - 10^6, \\quad r_2 = x_2 - 2 \\cdot 10^{-6}, \\quad
              r_3 = x_1 x_2 - 2

    x0 = (1, 1); f* = 0 at (1e6, 2e-6).  That minimizer is not listed: its
    Hessian has eigenvalues about 2 and 2e12, a condition number at the
    resolution limit of double-precision eigenvalues, so neither "degenerate"
    nor "minimum" could be asserted reliably.

    Parameters
    ----------
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _brown_badly_scaled(check_scale(x0_scale))


@lru_cache(maxsize=None)
def _brown_badly_scaled(s):
    return build(
        "brown_badly_scaled", _BROWN_BADLY_SCALED_FUNCS, scaled_x0([1.0, 1.0], s), 0.0,
        f"{MGH}, problem 4", params=params_of(x0_scale=s))
