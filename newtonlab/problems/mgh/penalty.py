"""MGH problems 23, 24 and 25: penalty functions and the variably dimensioned function.

Why a module of their own: each couples many tiny residuals (weight 1e-5,
or x_i - 1) with one quadratic or quartic residual in all variables, so the
Hessian is a small diagonal plus a large rank-one term: a test of how a
method copes with one stiff direction.  Penalty I and II accept only the n
for which MGH publish f*.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba.extending import register_jitable

from ..._engine.config import jit
from .._base import Problem
from ._lsq import (GSL, MGH, build, check_choice, check_int, check_scale, gn_product, grad,
                   hess_from, hessp_from, params_of, scaled_x0, sumsq, unit)

# ---------------------------------------------------------------- 23 Penalty I
#   r_i = sqrt(a) (x_i - 1), i = 1..n;  r_{n+1} = sum_j x_j^2 - 1/4;  a = 1e-5

_SQA = math.sqrt(1e-5)


@register_jitable
def _penalty1_r(x):
    n = x.shape[0]
    r = np.empty(n + 1)
    q = 0.0
    for i in range(n):
        r[i] = _SQA * (x[i] - 1.0)
        q += x[i] * x[i]
    r[n] = q - 0.25
    return r


@register_jitable
def _penalty1_J(x):
    n = x.shape[0]
    J = np.zeros((n + 1, n))
    for i in range(n):
        J[i, i] = _SQA
        J[n, i] = 2.0 * x[i]
    return J


@register_jitable
def _penalty1_sp(x, r, p):
    n = x.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = 2.0 * r[n] * p[i]
    return out


@jit
def penalty1_fun(x):
    return sumsq(_penalty1_r(x))


@jit
def penalty1_jac(x):
    return grad(_penalty1_J(x), _penalty1_r(x))


@jit
def penalty1_fg(x):
    r = _penalty1_r(x)
    return sumsq(r), grad(_penalty1_J(x), r)


@jit
def penalty1_hess(x):
    r = _penalty1_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _penalty1_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_penalty1_J(x), S)


@jit
def penalty1_hessp(x, p):
    return hessp_from(_penalty1_J(x), _penalty1_sp(x, _penalty1_r(x), p), p)


@jit
def penalty1_ggnp(x, v):
    return gn_product(_penalty1_J(x), v)


_PENALTY1_FUNCS = (penalty1_fun, penalty1_jac, penalty1_hess, penalty1_hessp, penalty1_fg, penalty1_ggnp)

_PENALTY1_FMIN = {4: 2.24997e-05, 10: 7.08765146709037993e-05}


def penalty1(n: int = 10, x0_scale: float = 1.0) -> Problem:
    """Penalty function I (MGH problem 23), m = n + 1.

    .. math:: r_i = \\sqrt{a} (x_i - 1), \\; i \\le n, \\quad
              r_{n+1} = \\sum_j x_j^2 - \\tfrac14, \\quad a = 10^{-5}

    x0 = (1, 2, ..., n).  f* is published for n = 4 (2.24997e-5) and n = 10
    (7.08765e-5; digits from GSL), so only those n are accepted.

    Parameters
    ----------
    n : {4, 10}, default 10
        Dimension.
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _penalty1(check_choice("n", n, _PENALTY1_FMIN), check_scale(x0_scale))


@lru_cache(maxsize=None)
def _penalty1(n, s):
    return build("penalty1", _PENALTY1_FUNCS, scaled_x0(np.arange(1.0, n + 1.0), s),
                 _PENALTY1_FMIN[n], f"Gill, Murray & Pitfield (1972); {MGH}, problem 23; "
                 f"f* digits (n = 10): {GSL}", labels=("scalable",),
                 params=params_of(n=n, x0_scale=s))

# ---------------------------------------------------------------- 24 Penalty II
#   r_1 = x1 - 0.2
#   r_i = sqrt(a) (exp(x_i/10) + exp(x_{i-1}/10) - y_i),  y_i = exp(i/10) + exp((i-1)/10), 2 <= i <= n
#   r_i = sqrt(a) (exp(x_{i-n+1}/10) - exp(-1/10)),  n < i < 2n
#   r_2n = sum_j (n - j + 1) x_j^2 - 1


@register_jitable
def _penalty2_r(x):
    n = x.shape[0]
    r = np.empty(2 * n)
    r[0] = x[0] - 0.2
    e1 = math.exp(-0.1)
    q = 0.0
    for i in range(n):                    # 0-based variable i
        ei = math.exp(0.1 * x[i])
        if i >= 1:
            y = math.exp(0.1 * (i + 1)) + math.exp(0.1 * i)
            r[i] = _SQA * (ei + math.exp(0.1 * x[i - 1]) - y)
            r[n + i - 1] = _SQA * (ei - e1)
        q += (n - i) * x[i] * x[i]
    r[2 * n - 1] = q - 1.0
    return r


@register_jitable
def _penalty2_J(x):
    n = x.shape[0]
    J = np.zeros((2 * n, n))
    J[0, 0] = 1.0
    for i in range(n):
        d = 0.1 * _SQA * math.exp(0.1 * x[i])
        if i >= 1:
            J[i, i] = d
            J[i, i - 1] = 0.1 * _SQA * math.exp(0.1 * x[i - 1])
            J[n + i - 1, i] = d
        J[2 * n - 1, i] = 2.0 * (n - i) * x[i]
    return J


@register_jitable
def _penalty2_sp(x, r, p):
    n = x.shape[0]
    out = np.empty(n)
    for i in range(n):
        d2 = 0.01 * _SQA * math.exp(0.1 * x[i])
        w = 0.0                           # sum of the residuals whose Hessian has (i, i) = d2
        if i >= 1:
            w += r[i] + r[n + i - 1]
        if i <= n - 2:
            w += r[i + 1]
        out[i] = (w * d2 + 2.0 * (n - i) * r[2 * n - 1]) * p[i]
    return out


@jit
def penalty2_fun(x):
    return sumsq(_penalty2_r(x))


@jit
def penalty2_jac(x):
    return grad(_penalty2_J(x), _penalty2_r(x))


@jit
def penalty2_fg(x):
    r = _penalty2_r(x)
    return sumsq(r), grad(_penalty2_J(x), r)


@jit
def penalty2_hess(x):
    r = _penalty2_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _penalty2_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_penalty2_J(x), S)


@jit
def penalty2_hessp(x, p):
    return hessp_from(_penalty2_J(x), _penalty2_sp(x, _penalty2_r(x), p), p)


@jit
def penalty2_ggnp(x, v):
    return gn_product(_penalty2_J(x), v)


_PENALTY2_FUNCS = (penalty2_fun, penalty2_jac, penalty2_hess, penalty2_hessp, penalty2_fg, penalty2_ggnp)

_PENALTY2_FMIN = {4: 9.37629e-06, 10: 2.93660e-04}


def penalty2(n: int = 10, x0_scale: float = 1.0) -> Problem:
    """Penalty function II (MGH problem 24), m = 2n.

    .. math:: r_1 = x_1 - 0.2, \\quad
              r_i = \\sqrt{a}\\,(e^{x_i/10} + e^{x_{i-1}/10} - y_i), \\; 2 \\le i \\le n,
              \\quad r_i = \\sqrt{a}\\,(e^{x_{i-n+1}/10} - e^{-1/10}), \\; n < i < 2n,
              \\quad r_{2n} = \\sum_j (n - j + 1) x_j^2 - 1

    with a = 1e-5, y_i = e^{i/10} + e^{(i-1)/10}.  x0 = (1/2, ..., 1/2).
    f* is published for n = 4 (9.37629e-6) and n = 10 (2.93660e-4), so only
    those n are accepted.

    Parameters
    ----------
    n : {4, 10}, default 10
        Dimension.
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _penalty2(check_choice("n", n, _PENALTY2_FMIN), check_scale(x0_scale))


@lru_cache(maxsize=None)
def _penalty2(n, s):
    return build("penalty2", _PENALTY2_FUNCS, scaled_x0(np.full(n, 0.5), s),
                 _PENALTY2_FMIN[n], f"Gill, Murray & Pitfield (1972); {MGH}, problem 24",
                 labels=("scalable",), params=params_of(n=n, x0_scale=s))

# ---------------------------------------------------------------- 25 variably dimensioned
#   r_i = x_i - 1 (i <= n),  r_{n+1} = sum_j j (x_j - 1),  r_{n+2} = r_{n+1}^2


@register_jitable
def _variably_dimensioned_r(x):
    n = x.shape[0]
    r = np.empty(n + 2)
    s = 0.0
    for i in range(n):
        r[i] = x[i] - 1.0
        s += (i + 1.0) * (x[i] - 1.0)
    r[n] = s
    r[n + 1] = s * s
    return r


@register_jitable
def _variably_dimensioned_J(x):
    n = x.shape[0]
    J = np.zeros((n + 2, n))
    s = 0.0
    for i in range(n):
        s += (i + 1.0) * (x[i] - 1.0)
    for i in range(n):
        J[i, i] = 1.0
        J[n, i] = i + 1.0
        J[n + 1, i] = 2.0 * s * (i + 1.0)
    return J


@register_jitable
def _variably_dimensioned_sp(x, r, p):
    n = x.shape[0]
    jp = 0.0
    for i in range(n):
        jp += (i + 1.0) * p[i]
    out = np.empty(n)
    for i in range(n):                    # hess r_{n+2} = 2 j j^T
        out[i] = 2.0 * r[n + 1] * (i + 1.0) * jp
    return out


@jit
def variably_dimensioned_fun(x):
    return sumsq(_variably_dimensioned_r(x))


@jit
def variably_dimensioned_jac(x):
    return grad(_variably_dimensioned_J(x), _variably_dimensioned_r(x))


@jit
def variably_dimensioned_fg(x):
    r = _variably_dimensioned_r(x)
    return sumsq(r), grad(_variably_dimensioned_J(x), r)


@jit
def variably_dimensioned_hess(x):
    r = _variably_dimensioned_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _variably_dimensioned_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_variably_dimensioned_J(x), S)


@jit
def variably_dimensioned_hessp(x, p):
    return hessp_from(_variably_dimensioned_J(x), _variably_dimensioned_sp(x, _variably_dimensioned_r(x), p), p)


@jit
def variably_dimensioned_ggnp(x, v):
    return gn_product(_variably_dimensioned_J(x), v)


_VARIABLY_DIMENSIONED_FUNCS = (variably_dimensioned_fun, variably_dimensioned_jac, variably_dimensioned_hess, variably_dimensioned_hessp, variably_dimensioned_fg, variably_dimensioned_ggnp)


def variably_dimensioned(n: int = 10, x0_scale: float = 1.0) -> Problem:
    """Variably dimensioned function (MGH problem 25), m = n + 2.

    .. math:: r_i = x_i - 1, \\; i \\le n, \\quad r_{n+1} = \\sum_j j (x_j - 1),
              \\quad r_{n+2} = r_{n+1}^2

    x0 = (1 - j/n)_j; global minimizer (1, ..., 1), f* = 0.  f is convex
    (a sum of squares of affine forms plus the fourth power of one).

    Parameters
    ----------
    n : int, default 10
        Dimension, at least 1.
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _variably_dimensioned(check_int("n", n, 1), check_scale(x0_scale))


@lru_cache(maxsize=None)
def _variably_dimensioned(n, s):
    x0 = 1.0 - np.arange(1.0, n + 1.0) / n
    return build("variably_dimensioned", _VARIABLY_DIMENSIONED_FUNCS, scaled_x0(x0, s), 0.0,
                 f"{MGH}, problem 25", minimizers=(np.ones(n),), kinds=("minimum",),
                 convex=True, labels=("scalable",),
                 params=params_of(n=n, x0_scale=s))
