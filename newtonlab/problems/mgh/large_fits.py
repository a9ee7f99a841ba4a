"""MGH problems 19 and 20: the largest fits (Osborne 2, Watson).

Why a module of their own: these have the most residuals and parameters of
the data-fitting problems (m = 65, n = 11; m = 31, n up to 12), so their
Jacobian products and Hessians are the costliest of the fixed-size ones;
Watson's dimension is a parameter (n in {6, 9, 12}, where f* is published).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba.extending import register_jitable

from ..._engine.config import jit
from .._base import Problem
from ._lsq import (GSL, MGH, MW, build, check_choice, check_scale, gn_product, grad,
                   hess_from, hessp_from, params_of, scaled_x0, sumsq, unit)

# ---------------------------------------------------------------- 19 Osborne 2
#   r_i = y_i - (x1 exp(-t x5) + x2 exp(-(t - x9)^2 x6) + x3 exp(-(t - x10)^2 x7)
#                + x4 exp(-(t - x11)^2 x8)),  t = (i - 1) / 10, i = 1..65

_OSBORNE2_Y = np.array([
    1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679,
    0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644,
    0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391,
    0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668,
    0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581,
    0.428, 0.292, 0.162, 0.098, 0.054])


@register_jitable
def _osborne2_r(x):
    r = np.empty(65)
    for k in range(65):
        t = 0.1 * k
        phi = x[0] * math.exp(-t * x[4])
        for j in range(1, 4):            # amplitude x[j], width x[j + 4], centre x[j + 7]
            s = t - x[j + 7]
            phi += x[j] * math.exp(-s * s * x[j + 4])
        r[k] = _OSBORNE2_Y[k] - phi
    return r


@register_jitable
def _osborne2_J(x):
    J = np.zeros((65, 11))
    for k in range(65):
        t = 0.1 * k
        e = math.exp(-t * x[4])
        J[k, 0] = -e
        J[k, 4] = t * x[0] * e
        for j in range(1, 4):
            s = t - x[j + 7]
            g = math.exp(-s * s * x[j + 4])
            J[k, j] = -g
            J[k, j + 4] = x[j] * g * s * s
            J[k, j + 7] = -2.0 * x[j] * x[j + 4] * g * s
    return J


@register_jitable
def _osborne2_sp(x, r, p):
    out = np.zeros(11)
    for k in range(65):
        t = 0.1 * k
        c = -r[k]                         # hess r = -hess phi
        e = c * math.exp(-t * x[4])
        out[0] += -t * e * p[4]
        out[4] += -t * e * p[0] + t * t * x[0] * e * p[4]
        for j in range(1, 4):
            a = x[j]
            w = x[j + 4]
            s = t - x[j + 7]
            g = c * math.exp(-s * s * w)
            haw = -g * s * s
            hac = 2.0 * w * s * g
            hww = a * g * s * s * s * s
            hwc = 2.0 * a * g * s * (1.0 - w * s * s)
            hcc = 2.0 * a * w * g * (2.0 * w * s * s - 1.0)
            pa = p[j]
            pw = p[j + 4]
            pc = p[j + 7]
            out[j] += haw * pw + hac * pc
            out[j + 4] += haw * pa + hww * pw + hwc * pc
            out[j + 7] += hac * pa + hwc * pw + hcc * pc
    return out


@jit
def osborne2_fun(x):
    return sumsq(_osborne2_r(x))


@jit
def osborne2_jac(x):
    return grad(_osborne2_J(x), _osborne2_r(x))


@jit
def osborne2_fg(x):
    r = _osborne2_r(x)
    return sumsq(r), grad(_osborne2_J(x), r)


@jit
def osborne2_hess(x):
    r = _osborne2_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _osborne2_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_osborne2_J(x), S)


@jit
def osborne2_hessp(x, p):
    return hessp_from(_osborne2_J(x), _osborne2_sp(x, _osborne2_r(x), p), p)


@jit
def osborne2_ggnp(x, v):
    return gn_product(_osborne2_J(x), v)


_OSBORNE2_FUNCS = (osborne2_fun, osborne2_jac, osborne2_hess, osborne2_hessp, osborne2_fg, osborne2_ggnp)


def osborne2(x0_scale: float = 1.0) -> Problem:
    """Osborne 2 function (MGH problem 19), n = 11, m = 65.

    .. math:: r_i = y_i - \\Bigl(x_1 e^{-t_i x_5} + \\sum_{j=2}^{4}
              x_j e^{-(t_i - x_{j+7})^2 x_{j+4}}\\Bigr), \\quad t_i = (i - 1) / 10

    x0 = (1.3, 0.65, 0.65, 0.7, 0.6, 3, 5, 7, 2, 4.5, 5.5);
    f* = 4.01377362935477e-2 (MGH: 4.01377...e-2; digits from GSL), best known.

    Parameters
    ----------
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _osborne2(check_scale(x0_scale))


@lru_cache(maxsize=None)
def _osborne2(s):
    x0 = [1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5]
    return build("osborne2", _OSBORNE2_FUNCS, scaled_x0(x0, s), 4.01377362935477e-02,
                 f"Osborne (1972); {MGH}, problem 19; f* digits: {GSL}",
                 params=params_of(x0_scale=s))

# ---------------------------------------------------------------- 20 Watson
#   r_i = sum_{j>=2} (j-1) x_j t^(j-2) - (sum_j x_j t^(j-1))^2 - 1,  t = i / 29, i = 1..29
#   r_30 = x1,  r_31 = x2 - x1^2 - 1


@register_jitable
def _watson_r(x):
    n = x.shape[0]
    r = np.empty(31)
    for k in range(29):
        t = (k + 1.0) / 29.0
        s1 = 0.0
        s2 = x[0]
        tj = 1.0                          # t^(j-1) for j = 1 (0-based j: x[j] * t^j)
        for j in range(1, n):
            s1 += j * x[j] * tj
            tj *= t
            s2 += x[j] * tj
        r[k] = s1 - s2 * s2 - 1.0
    r[29] = x[0]
    r[30] = x[1] - x[0] * x[0] - 1.0
    return r


@register_jitable
def _watson_J(x):
    n = x.shape[0]
    J = np.zeros((31, n))
    for k in range(29):
        t = (k + 1.0) / 29.0
        s2 = 0.0
        tj = 1.0
        for j in range(n):
            s2 += x[j] * tj
            tj *= t
        tj = 1.0
        for j in range(n):                # d/dx_j: j t^(j-1) - 2 s2 t^j (0-based j)
            J[k, j] = -2.0 * s2 * tj
            if j >= 1:
                J[k, j] += j * tj / t
            tj *= t
    J[29, 0] = 1.0
    J[30, 0] = -2.0 * x[0]
    J[30, 1] = 1.0
    return J


@register_jitable
def _watson_sp(x, r, p):
    n = x.shape[0]
    out = np.zeros(n)
    for k in range(29):                   # hess r_k = -2 tau tau^T, tau_j = t^j
        t = (k + 1.0) / 29.0
        tp = 0.0
        tj = 1.0
        for j in range(n):
            tp += tj * p[j]
            tj *= t
        c = -2.0 * r[k] * tp
        tj = 1.0
        for j in range(n):
            out[j] += c * tj
            tj *= t
    out[0] -= 2.0 * r[30] * p[0]
    return out


@jit
def watson_fun(x):
    return sumsq(_watson_r(x))


@jit
def watson_jac(x):
    return grad(_watson_J(x), _watson_r(x))


@jit
def watson_fg(x):
    r = _watson_r(x)
    return sumsq(r), grad(_watson_J(x), r)


@jit
def watson_hess(x):
    r = _watson_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _watson_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_watson_J(x), S)


@jit
def watson_hessp(x, p):
    return hessp_from(_watson_J(x), _watson_sp(x, _watson_r(x), p), p)


@jit
def watson_ggnp(x, v):
    return gn_product(_watson_J(x), v)


_WATSON_FUNCS = (watson_fun, watson_jac, watson_hess, watson_hessp, watson_fg, watson_ggnp)

# f* by n: MGH give 6 digits, Moré & Wild (2009) 15 (n = 6) and 7 (n = 9, 12)
_WATSON_FMIN = {6: 2.28767005355236e-03, 9: 1.399760e-06, 12: 4.722381e-10}


def watson(n: int = 6, x0_scale: float = 1.0) -> Problem:
    """Watson function (MGH problem 20), 2 <= n <= 31, m = 31.

    .. math:: r_i = \\sum_{j=2}^{n} (j-1) x_j t_i^{j-2}
              - \\Bigl(\\sum_{j=1}^{n} x_j t_i^{j-1}\\Bigr)^2 - 1,
              \\quad t_i = i / 29, \\; i \\le 29; \\quad r_{30} = x_1,
              \\; r_{31} = x_2 - x_1^2 - 1

    x0 = 0 (so the scaled starts are x0_scale * ones, as in MINPACK).
    f* is published only for n = 6, 9, 12 (2.28767e-3, 1.39976e-6,
    4.72238e-10), so only those n are accepted.

    Parameters
    ----------
    n : {6, 9, 12}, default 6
        Dimension.
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _watson(check_choice("n", n, _WATSON_FMIN), check_scale(x0_scale))


@lru_cache(maxsize=None)
def _watson(n, s):
    return build("watson", _WATSON_FUNCS, scaled_x0(np.zeros(n), s), _WATSON_FMIN[n],
                 f"Kowalik & Osborne (1968); {MGH}, problem 20; f* digits: {MW}",
                 labels=("scalable",), params=params_of(n=n, x0_scale=s))
