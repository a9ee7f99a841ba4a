"""MGH problems 21 and 22: block-separable extensions to any n.

Why a module of their own: the extended Rosenbrock and extended Powell
functions are n / 2 (n / 4) uncoupled copies of MGH problems 1 and 13, so
their Jacobians are block diagonal and their difficulty is that of the small
problem, repeated: the scalable counterparts of known answers.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba.extending import register_jitable

from ..._engine.config import jit
from .._base import Problem
from ._lsq import (MGH, build, check_int, check_scale, gn_product, grad, hess_from,
                   hessp_from, params_of, scaled_x0, sumsq, unit)

# ---------------------------------------------------------------- 21 extended Rosenbrock
#   r_{2i-1} = 10 (x_{2i} - x_{2i-1}^2),  r_{2i} = 1 - x_{2i-1}


@register_jitable
def _extended_rosenbrock_r(x):
    n = x.shape[0]
    r = np.empty(n)
    for i in range(0, n, 2):
        r[i] = 10.0 * (x[i + 1] - x[i] * x[i])
        r[i + 1] = 1.0 - x[i]
    return r


@register_jitable
def _extended_rosenbrock_J(x):
    n = x.shape[0]
    J = np.zeros((n, n))
    for i in range(0, n, 2):
        J[i, i] = -20.0 * x[i]
        J[i, i + 1] = 10.0
        J[i + 1, i] = -1.0
    return J


@register_jitable
def _extended_rosenbrock_sp(x, r, p):
    n = x.shape[0]
    out = np.zeros(n)
    for i in range(0, n, 2):
        out[i] = -20.0 * r[i] * p[i]
    return out


@jit
def extended_rosenbrock_fun(x):
    return sumsq(_extended_rosenbrock_r(x))


@jit
def extended_rosenbrock_jac(x):
    return grad(_extended_rosenbrock_J(x), _extended_rosenbrock_r(x))


@jit
def extended_rosenbrock_fg(x):
    r = _extended_rosenbrock_r(x)
    return sumsq(r), grad(_extended_rosenbrock_J(x), r)


@jit
def extended_rosenbrock_hess(x):
    r = _extended_rosenbrock_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _extended_rosenbrock_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_extended_rosenbrock_J(x), S)


@jit
def extended_rosenbrock_hessp(x, p):
    return hessp_from(_extended_rosenbrock_J(x), _extended_rosenbrock_sp(x, _extended_rosenbrock_r(x), p), p)


@jit
def extended_rosenbrock_ggnp(x, v):
    return gn_product(_extended_rosenbrock_J(x), v)


_EXTENDED_ROSENBROCK_FUNCS = (extended_rosenbrock_fun, extended_rosenbrock_jac, extended_rosenbrock_hess, extended_rosenbrock_hessp, extended_rosenbrock_fg, extended_rosenbrock_ggnp)


def extended_rosenbrock(n: int = 10, x0_scale: float = 1.0) -> Problem:
    """Extended Rosenbrock function (MGH problem 21), n even, m = n.

    .. math:: r_{2i-1} = 10 (x_{2i} - x_{2i-1}^2), \\quad r_{2i} = 1 - x_{2i-1}

    n / 2 uncoupled copies of Rosenbrock's function (not scipy's chained
    form: see ``chained_rosenbrock``).  x0 = (-1.2, 1, ..., -1.2, 1); global
    minimizer (1, ..., 1), f* = 0.

    Parameters
    ----------
    n : int, default 10
        Dimension, even, at least 2.
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _extended_rosenbrock(check_int("n", n, 2, multiple=2), check_scale(x0_scale))


@lru_cache(maxsize=None)
def _extended_rosenbrock(n, s):
    x0 = np.where(np.arange(n) % 2 == 0, -1.2, 1.0)
    return build("extended_rosenbrock", _EXTENDED_ROSENBROCK_FUNCS, scaled_x0(x0, s), 0.0,
                 f"Spedicato (1975); {MGH}, problem 21", minimizers=(np.ones(n),),
                 kinds=("minimum",), labels=("scalable",),
                 params=params_of(n=n, x0_scale=s))

# ---------------------------------------------------------------- 22 extended Powell singular
#   per block of 4: r1 = x1 + 10 x2, r2 = sqrt5 (x3 - x4), r3 = (x2 - 2 x3)^2,
#   r4 = sqrt10 (x1 - x4)^2

_S5 = math.sqrt(5.0)
_S10 = math.sqrt(10.0)


@register_jitable
def _extended_powell_r(x):
    n = x.shape[0]
    r = np.empty(n)
    for i in range(0, n, 4):
        c = x[i + 1] - 2.0 * x[i + 2]
        d = x[i] - x[i + 3]
        r[i] = x[i] + 10.0 * x[i + 1]
        r[i + 1] = _S5 * (x[i + 2] - x[i + 3])
        r[i + 2] = c * c
        r[i + 3] = _S10 * d * d
    return r


@register_jitable
def _extended_powell_J(x):
    n = x.shape[0]
    J = np.zeros((n, n))
    for i in range(0, n, 4):
        c = 2.0 * (x[i + 1] - 2.0 * x[i + 2])
        d = 2.0 * _S10 * (x[i] - x[i + 3])
        J[i, i] = 1.0
        J[i, i + 1] = 10.0
        J[i + 1, i + 2] = _S5
        J[i + 1, i + 3] = -_S5
        J[i + 2, i + 1] = c
        J[i + 2, i + 2] = -2.0 * c
        J[i + 3, i] = d
        J[i + 3, i + 3] = -d
    return J


@register_jitable
def _extended_powell_sp(x, r, p):
    n = x.shape[0]
    out = np.zeros(n)
    for i in range(0, n, 4):
        wp = 2.0 * r[i + 2] * (p[i + 1] - 2.0 * p[i + 2])          # hess r3 = 2 w w^T
        zp = 2.0 * _S10 * r[i + 3] * (p[i] - p[i + 3])             # hess r4 = 2 sqrt10 z z^T
        out[i] = zp
        out[i + 1] = wp
        out[i + 2] = -2.0 * wp
        out[i + 3] = -zp
    return out


@jit
def extended_powell_fun(x):
    return sumsq(_extended_powell_r(x))


@jit
def extended_powell_jac(x):
    return grad(_extended_powell_J(x), _extended_powell_r(x))


@jit
def extended_powell_fg(x):
    r = _extended_powell_r(x)
    return sumsq(r), grad(_extended_powell_J(x), r)


@jit
def extended_powell_hess(x):
    r = _extended_powell_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _extended_powell_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_extended_powell_J(x), S)


@jit
def extended_powell_hessp(x, p):
    return hessp_from(_extended_powell_J(x), _extended_powell_sp(x, _extended_powell_r(x), p), p)


@jit
def extended_powell_ggnp(x, v):
    return gn_product(_extended_powell_J(x), v)


_EXTENDED_POWELL_FUNCS = (extended_powell_fun, extended_powell_jac, extended_powell_hess, extended_powell_hessp, extended_powell_fg, extended_powell_ggnp)


def extended_powell(n: int = 12, x0_scale: float = 1.0) -> Problem:
    """Extended Powell singular function (MGH problem 22), n a multiple of 4, m = n.

    n / 4 uncoupled copies of ``powell_singular``.  x0 = (3, -1, 0, 1, ...);
    global minimizer 0, f* = 0, where the Hessian has rank n / 2
    ("degenerate").  f is convex.

    Parameters
    ----------
    n : int, default 12
        Dimension, a multiple of 4.
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _extended_powell(check_int("n", n, 4, multiple=4), check_scale(x0_scale))


@lru_cache(maxsize=None)
def _extended_powell(n, s):
    x0 = np.tile([3.0, -1.0, 0.0, 1.0], n // 4)
    return build("extended_powell", _EXTENDED_POWELL_FUNCS, scaled_x0(x0, s), 0.0,
                 f"Spedicato (1975); {MGH}, problem 22", minimizers=(np.zeros(n),),
                 kinds=("degenerate",), convex=True,
                 labels=("degenerate", "scalable"),
                 params=params_of(n=n, x0_scale=s))
