"""MGH problems 12, 17 and 18: sums of exponentials (Box, Osborne 1, Biggs EXP6).

Why a module of their own: all three fit a sum of decaying exponentials,
whose terms can be swapped or merged without changing f, so their
minimizers come in symmetric pairs or continua (Box's line x1 = x2, x3 = 0)
and their Hessians are badly conditioned there.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba.extending import register_jitable

from ..._engine.config import jit
from .._base import Problem
from ._lsq import (MGH, MW, build, check_scale, gn_product, grad, hess_from, hessp_from,
                   params_of, scaled_x0, sumsq, unit)

# ---------------------------------------------------------------- 12 Box three-dimensional
#   r_i = exp(-t x1) - exp(-t x2) - x3 (exp(-t) - exp(-10 t)),  t = i / 10, i = 1..10


@register_jitable
def _box_3d_r(x):
    r = np.empty(10)
    for k in range(10):
        t = 0.1 * (k + 1.0)
        r[k] = math.exp(-t * x[0]) - math.exp(-t * x[1]) - x[2] * (math.exp(-t) - math.exp(-10.0 * t))
    return r


@register_jitable
def _box_3d_J(x):
    J = np.empty((10, 3))
    for k in range(10):
        t = 0.1 * (k + 1.0)
        J[k, 0] = -t * math.exp(-t * x[0])
        J[k, 1] = t * math.exp(-t * x[1])
        J[k, 2] = -(math.exp(-t) - math.exp(-10.0 * t))
    return J


@register_jitable
def _box_3d_sp(x, r, p):
    out = np.zeros(3)
    for k in range(10):
        t = 0.1 * (k + 1.0)
        out[0] += r[k] * t * t * math.exp(-t * x[0]) * p[0]
        out[1] -= r[k] * t * t * math.exp(-t * x[1]) * p[1]
    return out


@jit
def box_3d_fun(x):
    return sumsq(_box_3d_r(x))


@jit
def box_3d_jac(x):
    return grad(_box_3d_J(x), _box_3d_r(x))


@jit
def box_3d_fg(x):
    r = _box_3d_r(x)
    return sumsq(r), grad(_box_3d_J(x), r)


@jit
def box_3d_hess(x):
    r = _box_3d_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _box_3d_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_box_3d_J(x), S)


@jit
def box_3d_hessp(x, p):
    return hessp_from(_box_3d_J(x), _box_3d_sp(x, _box_3d_r(x), p), p)


@jit
def box_3d_ggnp(x, v):
    return gn_product(_box_3d_J(x), v)


_BOX_3D_FUNCS = (box_3d_fun, box_3d_jac, box_3d_hess, box_3d_hessp, box_3d_fg, box_3d_ggnp)


def box_3d(x0_scale: float = 1.0) -> Problem:
    """Box three-dimensional function (MGH problem 12), n = 3, m = 10.

    .. math:: r_i = e^{-t_i x_1} - e^{-t_i x_2} - x_3 (e^{-t_i} - e^{-10 t_i}),
              \\quad t_i = 0.1 i

    MGH allow m >= 3; m = 10 here (as in most ports).  x0 = (0, 10, 20);
    f* = 0 at (1, 10, 1), at (10, 1, -1) (both listed, hence "multimodal")
    and on the whole line x1 = x2, x3 = 0 (not listed).

    Parameters
    ----------
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _box_3d(check_scale(x0_scale))


@lru_cache(maxsize=None)
def _box_3d(s):
    return build("box_3d", _BOX_3D_FUNCS, scaled_x0([0.0, 10.0, 20.0], s), 0.0,
                 f"Box (1966), The Computer Journal 9, 67-77; {MGH}, problem 12 (m = 10)",
                 minimizers=([1.0, 10.0, 1.0], [10.0, 1.0, -1.0]),
                 kinds=("minimum", "minimum"), labels=("multimodal",),
                 params=params_of(x0_scale=s))

# ---------------------------------------------------------------- 17 Osborne 1
#   r_i = y_i - (x1 + x2 exp(-t x4) + x3 exp(-t x5)),  t = 10 (i - 1), i = 1..33

_OSBORNE1_Y = np.array([
    0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718,
    0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467,
    0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406])


@register_jitable
def _osborne1_r(x):
    r = np.empty(33)
    for k in range(33):
        t = 10.0 * k
        r[k] = _OSBORNE1_Y[k] - (x[0] + x[1] * math.exp(-t * x[3]) + x[2] * math.exp(-t * x[4]))
    return r


@register_jitable
def _osborne1_J(x):
    J = np.empty((33, 5))
    for k in range(33):
        t = 10.0 * k
        e4 = math.exp(-t * x[3])
        e5 = math.exp(-t * x[4])
        J[k, 0] = -1.0
        J[k, 1] = -e4
        J[k, 2] = -e5
        J[k, 3] = t * x[1] * e4
        J[k, 4] = t * x[2] * e5
    return J


@register_jitable
def _osborne1_sp(x, r, p):
    out = np.zeros(5)
    for k in range(33):
        t = 10.0 * k
        e4 = r[k] * math.exp(-t * x[3])
        e5 = r[k] * math.exp(-t * x[4])
        out[1] += t * e4 * p[3]
        out[2] += t * e5 * p[4]
        out[3] += t * e4 * p[1] - t * t * x[1] * e4 * p[3]
        out[4] += t * e5 * p[2] - t * t * x[2] * e5 * p[4]
    return out


@jit
def osborne1_fun(x):
    return sumsq(_osborne1_r(x))


@jit
def osborne1_jac(x):
    return grad(_osborne1_J(x), _osborne1_r(x))


@jit
def osborne1_fg(x):
    r = _osborne1_r(x)
    return sumsq(r), grad(_osborne1_J(x), r)


@jit
def osborne1_hess(x):
    r = _osborne1_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _osborne1_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_osborne1_J(x), S)


@jit
def osborne1_hessp(x, p):
    return hessp_from(_osborne1_J(x), _osborne1_sp(x, _osborne1_r(x), p), p)


@jit
def osborne1_ggnp(x, v):
    return gn_product(_osborne1_J(x), v)


_OSBORNE1_FUNCS = (osborne1_fun, osborne1_jac, osborne1_hess, osborne1_hessp, osborne1_fg, osborne1_ggnp)


# A box around x0 and the solution (0.375, 1.94, -1.46, 0.0129, 0.0221) where the rates
# x4, x5 >= 0 keep exp(-t x) <= 1 for t up to 320 (outside it f overflows quickly).
_OSBORNE1_BOX = np.array([[0.0, 1.0], [0.0, 3.0], [-3.0, 0.0], [0.0, 0.1], [0.0, 0.1]])


def osborne1(x0_scale: float = 1.0) -> Problem:
    """Osborne 1 function (MGH problem 17), n = 5, m = 33.

    .. math:: r_i = y_i - (x_1 + x_2 e^{-t_i x_4} + x_3 e^{-t_i x_5}),
              \\quad t_i = 10 (i - 1)

    x0 = (0.5, 1.5, -1, 0.01, 0.02); f* = 5.46489469748e-5 (MGH:
    5.46489...e-5; digits from Moré & Wild 2009), best known.  ``bounds`` is a
    box around x0 and x* with x4, x5 >= 0 (not from MGH): for t up to 320,
    exp(-t x) overflows soon after x4 or x5 turns negative.

    Parameters
    ----------
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _osborne1(check_scale(x0_scale))


@lru_cache(maxsize=None)
def _osborne1(s):
    return build("osborne1", _OSBORNE1_FUNCS, scaled_x0([0.5, 1.5, -1.0, 0.01, 0.02], s),
                 5.464894697483e-05,
                 f"Osborne (1972); {MGH}, problem 17; f* digits: {MW}",
                 bounds=_OSBORNE1_BOX, params=params_of(x0_scale=s))

# ---------------------------------------------------------------- 18 Biggs EXP6
#   r_i = x3 exp(-t x1) - x4 exp(-t x2) + x6 exp(-t x5) - y_i,  t = i / 10, i = 1..13
#   y_i = exp(-t) - 5 exp(-10 t) + 3 exp(-4 t)


@register_jitable
def _biggs_exp6_r(x):
    r = np.empty(13)
    for k in range(13):
        t = 0.1 * (k + 1.0)
        y = math.exp(-t) - 5.0 * math.exp(-10.0 * t) + 3.0 * math.exp(-4.0 * t)
        r[k] = (x[2] * math.exp(-t * x[0]) - x[3] * math.exp(-t * x[1])
                + x[5] * math.exp(-t * x[4]) - y)
    return r


@register_jitable
def _biggs_exp6_J(x):
    J = np.empty((13, 6))
    for k in range(13):
        t = 0.1 * (k + 1.0)
        e1 = math.exp(-t * x[0])
        e2 = math.exp(-t * x[1])
        e5 = math.exp(-t * x[4])
        J[k, 0] = -t * x[2] * e1
        J[k, 1] = t * x[3] * e2
        J[k, 2] = e1
        J[k, 3] = -e2
        J[k, 4] = -t * x[5] * e5
        J[k, 5] = e5
    return J


@register_jitable
def _biggs_exp6_sp(x, r, p):
    out = np.zeros(6)
    for k in range(13):
        t = 0.1 * (k + 1.0)
        e1 = r[k] * math.exp(-t * x[0])
        e2 = r[k] * math.exp(-t * x[1])
        e5 = r[k] * math.exp(-t * x[4])
        out[0] += t * t * x[2] * e1 * p[0] - t * e1 * p[2]
        out[2] += -t * e1 * p[0]
        out[1] += -t * t * x[3] * e2 * p[1] + t * e2 * p[3]
        out[3] += t * e2 * p[1]
        out[4] += t * t * x[5] * e5 * p[4] - t * e5 * p[5]
        out[5] += -t * e5 * p[4]
    return out


@jit
def biggs_exp6_fun(x):
    return sumsq(_biggs_exp6_r(x))


@jit
def biggs_exp6_jac(x):
    return grad(_biggs_exp6_J(x), _biggs_exp6_r(x))


@jit
def biggs_exp6_fg(x):
    r = _biggs_exp6_r(x)
    return sumsq(r), grad(_biggs_exp6_J(x), r)


@jit
def biggs_exp6_hess(x):
    r = _biggs_exp6_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _biggs_exp6_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_biggs_exp6_J(x), S)


@jit
def biggs_exp6_hessp(x, p):
    return hessp_from(_biggs_exp6_J(x), _biggs_exp6_sp(x, _biggs_exp6_r(x), p), p)


@jit
def biggs_exp6_ggnp(x, v):
    return gn_product(_biggs_exp6_J(x), v)


_BIGGS_EXP6_FUNCS = (biggs_exp6_fun, biggs_exp6_jac, biggs_exp6_hess, biggs_exp6_hessp, biggs_exp6_fg, biggs_exp6_ggnp)


def biggs_exp6(x0_scale: float = 1.0) -> Problem:
    """Biggs EXP6 function (MGH problem 18), n = 6, m = 13.

    .. math:: r_i = x_3 e^{-t_i x_1} - x_4 e^{-t_i x_2} + x_6 e^{-t_i x_5} - y_i,
              \\quad t_i = i / 10, \\; y_i = e^{-t_i} - 5 e^{-10 t_i} + 3 e^{-4 t_i}

    x0 = (1, 2, 1, 1, 1, 1); global minimizer (1, 10, 1, 5, 4, 3) with
    f* = 0 (the data are generated by the model; (4, 10, 3, 5, 1, 1) is the
    same point with terms swapped).  MGH also list the local value
    f = 5.65565...e-3 for m = 13.

    Parameters
    ----------
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _biggs_exp6(check_scale(x0_scale))


@lru_cache(maxsize=None)
def _biggs_exp6(s):
    return build("biggs_exp6", _BIGGS_EXP6_FUNCS, scaled_x0([1.0, 2.0, 1.0, 1.0, 1.0, 1.0], s),
                 0.0, f"Biggs (1971); {MGH}, problem 18 (m = 13)",
                 minimizers=([1.0, 10.0, 1.0, 5.0, 4.0, 3.0],), kinds=("minimum",),
                 labels=(), params=params_of(x0_scale=s))
