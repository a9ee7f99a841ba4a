"""MGH problems 9, 10 and 11: exponential data fits in three parameters.

Why a module of their own: Gaussian, Meyer and Gulf fit an exponential model
to tabulated or generated data, each at a different extreme: a tiny residual
at the solution (Gaussian), parameters of sizes 1e-2 and 1e4 in an
exp(x2 / (t + x3)) model (Meyer, badly scaled), and a power |y - x2|^x3
inside the exponential (Gulf).  Data are module-level arrays.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba.extending import register_jitable

from ..._engine.config import jit
from .._base import Problem
from ._lsq import (GSL, MGH, MW, build, check_scale, gn_product, grad, hess_from,
                   hessp_from, params_of, scaled_x0, sumsq, unit)

# ---------------------------------------------------------------- 9 Gaussian
#   r_i = x1 exp(-x2 (t_i - x3)^2 / 2) - y_i,  t_i = (8 - i) / 2

_GAUSSIAN_Y = np.array([0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989,
                        0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009])


@register_jitable
def _gaussian_r(x):
    r = np.empty(15)
    for k in range(15):
        s = (7.0 - k) / 2.0 - x[2]
        r[k] = x[0] * math.exp(-0.5 * x[1] * s * s) - _GAUSSIAN_Y[k]
    return r


@register_jitable
def _gaussian_J(x):
    J = np.empty((15, 3))
    for k in range(15):
        s = (7.0 - k) / 2.0 - x[2]
        e = math.exp(-0.5 * x[1] * s * s)
        J[k, 0] = e
        J[k, 1] = -0.5 * x[0] * e * s * s
        J[k, 2] = x[0] * x[1] * e * s
    return J


@register_jitable
def _gaussian_sp(x, r, p):
    x1 = x[0]
    x2 = x[1]
    out = np.zeros(3)
    for k in range(15):
        s = (7.0 - k) / 2.0 - x[2]
        s2 = s * s
        e = r[k] * math.exp(-0.5 * x2 * s2)
        h12 = -0.5 * e * s2
        h13 = e * x2 * s
        h22 = 0.25 * x1 * e * s2 * s2
        h23 = x1 * e * s * (1.0 - 0.5 * x2 * s2)
        h33 = x1 * x2 * e * (x2 * s2 - 1.0)
        out[0] += h12 * p[1] + h13 * p[2]
        out[1] += h12 * p[0] + h22 * p[1] + h23 * p[2]
        out[2] += h13 * p[0] + h23 * p[1] + h33 * p[2]
    return out


@jit
def gaussian_fun(x):
    return sumsq(_gaussian_r(x))


@jit
def gaussian_jac(x):
    return grad(_gaussian_J(x), _gaussian_r(x))


@jit
def gaussian_fg(x):
    r = _gaussian_r(x)
    return sumsq(r), grad(_gaussian_J(x), r)


@jit
def gaussian_hess(x):
    r = _gaussian_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _gaussian_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_gaussian_J(x), S)


@jit
def gaussian_hessp(x, p):
    return hessp_from(_gaussian_J(x), _gaussian_sp(x, _gaussian_r(x), p), p)


@jit
def gaussian_ggnp(x, v):
    return gn_product(_gaussian_J(x), v)


_GAUSSIAN_FUNCS = (gaussian_fun, gaussian_jac, gaussian_hess, gaussian_hessp, gaussian_fg, gaussian_ggnp)


def gaussian(x0_scale: float = 1.0) -> Problem:
    """Gaussian function (MGH problem 9), n = 3, m = 15.

    .. math:: r_i = x_1 \\exp\\bigl(-x_2 (t_i - x_3)^2 / 2\\bigr) - y_i,
              \\quad t_i = (8 - i) / 2

    x0 = (0.4, 1, 0); f* = 1.12793276961872e-8 (MGH: 1.12793...e-8; digits
    from GSL), best known.

    Parameters
    ----------
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _gaussian(check_scale(x0_scale))


@lru_cache(maxsize=None)
def _gaussian(s):
    return build("gaussian", _GAUSSIAN_FUNCS, scaled_x0([0.4, 1.0, 0.0], s),
                 1.12793276961871985e-08,
                 f"{MGH}, problem 9; f* digits: {GSL}", params=params_of(x0_scale=s))

# ---------------------------------------------------------------- 10 Meyer
#   r_i = x1 exp(x2 / (t_i + x3)) - y_i,  t_i = 45 + 5 i

_MEYER_Y = np.array([34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0, 9744.0,
                     8261.0, 7030.0, 6005.0, 5147.0, 4427.0, 3820.0, 3307.0, 2872.0])


@register_jitable
def _meyer_r(x):
    r = np.empty(16)
    for k in range(16):
        r[k] = x[0] * math.exp(x[1] / (50.0 + 5.0 * k + x[2])) - _MEYER_Y[k]
    return r


@register_jitable
def _meyer_J(x):
    J = np.empty((16, 3))
    for k in range(16):
        q = 50.0 + 5.0 * k + x[2]
        e = math.exp(x[1] / q)
        J[k, 0] = e
        J[k, 1] = x[0] * e / q
        J[k, 2] = -x[0] * x[1] * e / (q * q)
    return J


@register_jitable
def _meyer_sp(x, r, p):
    x1 = x[0]
    x2 = x[1]
    out = np.zeros(3)
    for k in range(16):
        q = 50.0 + 5.0 * k + x[2]
        e = r[k] * math.exp(x2 / q)
        h12 = e / q
        h13 = -e * x2 / (q * q)
        h22 = x1 * e / (q * q)
        h23 = -x1 * e * (x2 + q) / (q * q * q)
        h33 = x1 * x2 * e * (x2 + 2.0 * q) / (q * q * q * q)
        out[0] += h12 * p[1] + h13 * p[2]
        out[1] += h12 * p[0] + h22 * p[1] + h23 * p[2]
        out[2] += h13 * p[0] + h23 * p[1] + h33 * p[2]
    return out


@jit
def meyer_fun(x):
    return sumsq(_meyer_r(x))


@jit
def meyer_jac(x):
    return grad(_meyer_J(x), _meyer_r(x))


@jit
def meyer_fg(x):
    r = _meyer_r(x)
    return sumsq(r), grad(_meyer_J(x), r)


@jit
def meyer_hess(x):
    r = _meyer_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _meyer_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_meyer_J(x), S)


@jit
def meyer_hessp(x, p):
    return hessp_from(_meyer_J(x), _meyer_sp(x, _meyer_r(x), p), p)


@jit
def meyer_ggnp(x, v):
    return gn_product(_meyer_J(x), v)


_MEYER_FUNCS = (meyer_fun, meyer_jac, meyer_hess, meyer_hessp, meyer_fg, meyer_ggnp)


def meyer(x0_scale: float = 1.0) -> Problem:
    """Meyer function (MGH problem 10), n = 3, m = 16.

    .. math:: r_i = x_1 \\exp\\Bigl(\\frac{x_2}{t_i + x_3}\\Bigr) - y_i,
              \\quad t_i = 45 + 5 i

    x0 = (0.02, 4000, 250); f* = 87.9458551703958 (MGH: 87.9458...; digits
    from Moré & Wild 2009), best known.  Notoriously badly scaled.

    Parameters
    ----------
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _meyer(check_scale(x0_scale))


@lru_cache(maxsize=None)
def _meyer(s):
    return build("meyer", _MEYER_FUNCS, scaled_x0([0.02, 4000.0, 250.0], s),
                 87.945855170395831,
                 f"Meyer (1970); {MGH}, problem 10; f* digits: {MW}",
                 params=params_of(x0_scale=s))

# ---------------------------------------------------------------- 11 Gulf
#   r_i = exp(-|y_i - x2|^x3 / x1) - t_i,  t_i = i / 100,  y_i = 25 + (-50 ln t_i)^(2/3)


@register_jitable
def _gulf_data(k):
    t = (k + 1.0) / 100.0
    return t, 25.0 + (-50.0 * math.log(t)) ** (2.0 / 3.0)


@register_jitable
def _gulf_r(x):
    r = np.empty(99)
    for k in range(99):
        t, y = _gulf_data(k)
        r[k] = math.exp(-abs(y - x[1]) ** x[2] / x[0]) - t
    return r


@register_jitable
def _gulf_J(x):
    J = np.empty((99, 3))
    for k in range(99):
        t, y = _gulf_data(k)
        d = y - x[1]
        ad = abs(d)
        a = ad ** x[2]
        e = math.exp(-a / x[0])
        J[k, 0] = e * a / (x[0] * x[0])
        J[k, 1] = e * x[2] * ad ** (x[2] - 1.0) * math.copysign(1.0, d) / x[0]
        J[k, 2] = -e * a * math.log(ad) / x[0]
    return J


@register_jitable
def _gulf_sp(x, r, p):
    x1 = x[0]
    x3 = x[2]
    out = np.zeros(3)
    for k in range(99):
        t, y = _gulf_data(k)
        d = y - x[1]
        ad = abs(d)
        sg = math.copysign(1.0, d)
        lg = math.log(ad)
        a = ad ** x3
        a2 = -x3 * ad ** (x3 - 1.0) * sg                  # da/dx2
        a3 = a * lg                                       # da/dx3
        a22 = x3 * (x3 - 1.0) * ad ** (x3 - 2.0)
        a23 = -sg * ad ** (x3 - 1.0) * (1.0 + x3 * lg)
        a33 = a * lg * lg
        g1 = a / (x1 * x1)                                # g = -a / x1, r = exp(g) - t
        g2 = -a2 / x1
        g3 = -a3 / x1
        e = r[k] * math.exp(-a / x1)
        h11 = e * (-2.0 * a / (x1 * x1 * x1) + g1 * g1)
        h12 = e * (a2 / (x1 * x1) + g1 * g2)
        h13 = e * (a3 / (x1 * x1) + g1 * g3)
        h22 = e * (-a22 / x1 + g2 * g2)
        h23 = e * (-a23 / x1 + g2 * g3)
        h33 = e * (-a33 / x1 + g3 * g3)
        out[0] += h11 * p[0] + h12 * p[1] + h13 * p[2]
        out[1] += h12 * p[0] + h22 * p[1] + h23 * p[2]
        out[2] += h13 * p[0] + h23 * p[1] + h33 * p[2]
    return out


@jit
def gulf_fun(x):
    return sumsq(_gulf_r(x))


@jit
def gulf_jac(x):
    return grad(_gulf_J(x), _gulf_r(x))


@jit
def gulf_fg(x):
    r = _gulf_r(x)
    return sumsq(r), grad(_gulf_J(x), r)


@jit
def gulf_hess(x):
    r = _gulf_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _gulf_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_gulf_J(x), S)


@jit
def gulf_hessp(x, p):
    return hessp_from(_gulf_J(x), _gulf_sp(x, _gulf_r(x), p), p)


@jit
def gulf_ggnp(x, v):
    return gn_product(_gulf_J(x), v)


_GULF_FUNCS = (gulf_fun, gulf_jac, gulf_hess, gulf_hessp, gulf_fg, gulf_ggnp)



def gulf(x0_scale: float = 1.0) -> Problem:
    """Gulf research and development function (MGH problem 11), n = 3, m = 99.

    .. math:: r_i = \\exp\\Bigl(-\\frac{|y_i - x_2|^{x_3}}{x_1}\\Bigr) - t_i,
              \\quad t_i = i / 100, \\; y_i = 25 + (-50 \\ln t_i)^{2/3}

    MGH allow 3 <= m <= 100; m = 99 here (as in most ports: at m = 100,
    y_100 = 25 = x2* and the Hessian at the minimizer involves 0^(-1/2)).
    x0 = (5, 2.5, 0.15); global minimizer (50, 25, 1.5), f* = 0.

    Parameters
    ----------
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _gulf(check_scale(x0_scale))


@lru_cache(maxsize=None)
def _gulf(s):
    return build("gulf", _GULF_FUNCS, scaled_x0([5.0, 2.5, 0.15], s), 0.0,
                 f"Cox (1969), Gulf Research and Development Co.; {MGH}, problem 11 (m = 99)",
                 minimizers=([50.0, 25.0, 1.5],), kinds=("minimum",),
                 labels=(), params=params_of(x0_scale=s))
