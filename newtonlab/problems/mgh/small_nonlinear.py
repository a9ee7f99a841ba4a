"""MGH problems 6 and 7: Jennrich-Sampson and the helical valley.

Why a module of their own: both are tiny (n <= 3) but strongly nonlinear in
a way a local model misrepresents: Jennrich-Sampson's residuals grow like
exp(10 x), and the helical valley follows a spiral through an angle function
that jumps across a half-plane.  Neither has data tables.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba.extending import register_jitable

from ..._engine.config import jit
from .._base import Problem
from ._lsq import (GSL, MGH, build, check_scale, gn_product, grad, hess_from, hessp_from,
                   params_of, scaled_x0, sumsq, unit)

# ---------------------------------------------------------------- 6 Jennrich-Sampson
#   r_i = 2 + 2i - (exp(i x1) + exp(i x2)),  i = 1..10


@register_jitable
def _jennrich_sampson_r(x):
    r = np.empty(10)
    for k in range(10):
        i = k + 1.0
        r[k] = 2.0 + 2.0 * i - (math.exp(i * x[0]) + math.exp(i * x[1]))
    return r


@register_jitable
def _jennrich_sampson_J(x):
    J = np.empty((10, 2))
    for k in range(10):
        i = k + 1.0
        J[k, 0] = -i * math.exp(i * x[0])
        J[k, 1] = -i * math.exp(i * x[1])
    return J


@register_jitable
def _jennrich_sampson_sp(x, r, p):
    out = np.zeros(2)
    for k in range(10):
        i = k + 1.0
        out[0] -= r[k] * i * i * math.exp(i * x[0]) * p[0]
        out[1] -= r[k] * i * i * math.exp(i * x[1]) * p[1]
    return out


@jit
def jennrich_sampson_fun(x):
    return sumsq(_jennrich_sampson_r(x))


@jit
def jennrich_sampson_jac(x):
    return grad(_jennrich_sampson_J(x), _jennrich_sampson_r(x))


@jit
def jennrich_sampson_fg(x):
    r = _jennrich_sampson_r(x)
    return sumsq(r), grad(_jennrich_sampson_J(x), r)


@jit
def jennrich_sampson_hess(x):
    r = _jennrich_sampson_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _jennrich_sampson_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_jennrich_sampson_J(x), S)


@jit
def jennrich_sampson_hessp(x, p):
    return hessp_from(_jennrich_sampson_J(x), _jennrich_sampson_sp(x, _jennrich_sampson_r(x), p), p)


@jit
def jennrich_sampson_ggnp(x, v):
    return gn_product(_jennrich_sampson_J(x), v)


_JENNRICH_SAMPSON_FUNCS = (jennrich_sampson_fun, jennrich_sampson_jac, jennrich_sampson_hess, jennrich_sampson_hessp, jennrich_sampson_fg, jennrich_sampson_ggnp)


def jennrich_sampson(x0_scale: float = 1.0) -> Problem:
    """Jennrich and Sampson function (MGH problem 6), n = 2, m = 10.

    .. math:: r_i = 2 + 2i - (e^{i x_1} + e^{i x_2}), \\quad i = 1, \\dots, 10

    x0 = (0.3, 0.4); f* = 124.362182355615 at x1 = x2 = 0.2578... (MGH give
    124.362; the digits are GSL's).  Best known value, not proven global.

    Parameters
    ----------
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _jennrich_sampson(check_scale(x0_scale))


@lru_cache(maxsize=None)
def _jennrich_sampson(s):
    return build(
        "jennrich_sampson", _JENNRICH_SAMPSON_FUNCS, scaled_x0([0.3, 0.4], s),
        124.3621823556148,
        f"Jennrich & Sampson (1968); {MGH}, problem 6 (f* = 124.362 for m = 10); "
        f"f* digits: {GSL}", params=params_of(x0_scale=s))

# ---------------------------------------------------------------- 7 helical valley
#   r1 = 10 (x3 - 10 theta(x1, x2)),  r2 = 10 (sqrt(x1^2 + x2^2) - 1),  r3 = x3
#   theta = atan(x2 / x1) / (2 pi) (+ 1/2 if x1 < 0; +-1/4 if x1 = 0)


@register_jitable
def _helical_valley_r(x):
    x1 = x[0]
    x2 = x[1]
    if x1 > 0.0:
        th = math.atan(x2 / x1) / (2.0 * math.pi)
    elif x1 < 0.0:
        th = math.atan(x2 / x1) / (2.0 * math.pi) + 0.5
    else:
        th = 0.25 if x2 >= 0.0 else -0.25
    r = np.empty(3)
    r[0] = 10.0 * (x[2] - 10.0 * th)
    r[1] = 10.0 * (math.sqrt(x1 * x1 + x2 * x2) - 1.0)
    r[2] = x[2]
    return r


@register_jitable
def _helical_valley_J(x):
    x1 = x[0]
    x2 = x[1]
    q = x1 * x1 + x2 * x2
    rho = math.sqrt(q)
    c = 100.0 / (2.0 * math.pi * q)          # 100 * d(theta) = c * (-x2, x1)
    J = np.zeros((3, 3))
    J[0, 0] = c * x2
    J[0, 1] = -c * x1
    J[0, 2] = 10.0
    J[1, 0] = 10.0 * x1 / rho
    J[1, 1] = 10.0 * x2 / rho
    J[2, 2] = 1.0
    return J


@register_jitable
def _helical_valley_sp(x, r, p):
    x1 = x[0]
    x2 = x[1]
    q = x1 * x1 + x2 * x2
    rho = math.sqrt(q)
    # hess r1 = -100 hess theta, hess theta = [[2 x1 x2, x2^2 - x1^2], [., -2 x1 x2]] / (2 pi q^2)
    a = -100.0 * r[0] / (2.0 * math.pi * q * q)
    t11 = 2.0 * x1 * x2
    t12 = x2 * x2 - x1 * x1
    # hess r2 = 10 [[x2^2, -x1 x2], [-x1 x2, x1^2]] / rho^3
    b = 10.0 * r[1] / (rho * q)
    out = np.zeros(3)
    out[0] = a * (t11 * p[0] + t12 * p[1]) + b * (x2 * x2 * p[0] - x1 * x2 * p[1])
    out[1] = a * (t12 * p[0] - t11 * p[1]) + b * (-x1 * x2 * p[0] + x1 * x1 * p[1])
    return out


@jit
def helical_valley_fun(x):
    return sumsq(_helical_valley_r(x))


@jit
def helical_valley_jac(x):
    return grad(_helical_valley_J(x), _helical_valley_r(x))


@jit
def helical_valley_fg(x):
    r = _helical_valley_r(x)
    return sumsq(r), grad(_helical_valley_J(x), r)


@jit
def helical_valley_hess(x):
    r = _helical_valley_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _helical_valley_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_helical_valley_J(x), S)


@jit
def helical_valley_hessp(x, p):
    return hessp_from(_helical_valley_J(x), _helical_valley_sp(x, _helical_valley_r(x), p), p)


@jit
def helical_valley_ggnp(x, v):
    return gn_product(_helical_valley_J(x), v)


_HELICAL_VALLEY_FUNCS = (helical_valley_fun, helical_valley_jac, helical_valley_hess, helical_valley_hessp, helical_valley_fg, helical_valley_ggnp)


def helical_valley(x0_scale: float = 1.0) -> Problem:
    """Helical valley function of Fletcher and Powell (MGH problem 7), n = m = 3.

    .. math:: r_1 = 10 (x_3 - 10 \\theta(x_1, x_2)), \\quad
              r_2 = 10 (\\sqrt{x_1^2 + x_2^2} - 1), \\quad r_3 = x_3

    with :math:`2 \\pi \\theta = \\arctan(x_2 / x_1)` (plus :math:`\\pi` when
    x1 < 0).  x0 = (-1, 0, 0); global minimizer (1, 0, 0), f* = 0.  theta
    jumps across the half-line x1 = 0, x2 < 0 and f is undefined at x1 = x2 = 0.

    Parameters
    ----------
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _helical_valley(check_scale(x0_scale))


@lru_cache(maxsize=None)
def _helical_valley(s):
    return build(
        "helical_valley", _HELICAL_VALLEY_FUNCS, scaled_x0([-1.0, 0.0, 0.0], s), 0.0,
        f"Fletcher & Powell (1963); {MGH}, problem 7",
        minimizers=([1.0, 0.0, 0.0],), kinds=("minimum",), params=params_of(x0_scale=s))
