"""MGH problems 32, 33 and 34: the three linear least-squares functions.

Why a module of their own: their residuals are affine, so f is a convex
quadratic, the Hessian is the Gauss-Newton matrix 2 J^T J and both are
constant; rank 1 and rank 1 with zero rows/columns have whole hyperplanes of
minimizers (singular Hessians).  MGH leave m >= n free; m = 2n here.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba.extending import register_jitable

from ..._engine.config import jit
from .._base import Problem
from ._lsq import (MGH, build, check_int, check_scale, gn_product, grad, hess_from,
                   hessp_from, params_of, scaled_x0, sumsq, unit)

# ---------------------------------------------------------------- 32 linear full rank
#   r_i = x_i - (2/m) sum_j x_j - 1 (i <= n),  r_i = -(2/m) sum_j x_j - 1 (i > n);  m = 2n


@register_jitable
def _linear_full_rank_r(x):
    n = x.shape[0]
    m = 2 * n
    s = 0.0
    for j in range(n):
        s += x[j]
    r = np.empty(m)
    for i in range(m):
        r[i] = -2.0 * s / m - 1.0
        if i < n:
            r[i] += x[i]
    return r


@register_jitable
def _linear_full_rank_J(x):
    n = x.shape[0]
    m = 2 * n
    J = np.full((m, n), -2.0 / m)
    for i in range(n):
        J[i, i] += 1.0
    return J


@register_jitable
def _linear_full_rank_sp(x, r, p):
    return np.zeros(x.shape[0])


@jit
def linear_full_rank_fun(x):
    return sumsq(_linear_full_rank_r(x))


@jit
def linear_full_rank_jac(x):
    return grad(_linear_full_rank_J(x), _linear_full_rank_r(x))


@jit
def linear_full_rank_fg(x):
    r = _linear_full_rank_r(x)
    return sumsq(r), grad(_linear_full_rank_J(x), r)


@jit
def linear_full_rank_hess(x):
    r = _linear_full_rank_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _linear_full_rank_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_linear_full_rank_J(x), S)


@jit
def linear_full_rank_hessp(x, p):
    return hessp_from(_linear_full_rank_J(x), _linear_full_rank_sp(x, _linear_full_rank_r(x), p), p)


@jit
def linear_full_rank_ggnp(x, v):
    return gn_product(_linear_full_rank_J(x), v)


_LINEAR_FULL_RANK_FUNCS = (linear_full_rank_fun, linear_full_rank_jac, linear_full_rank_hess, linear_full_rank_hessp, linear_full_rank_fg, linear_full_rank_ggnp)


def linear_full_rank(n: int = 10, x0_scale: float = 1.0) -> Problem:
    """Linear function, full rank (MGH problem 32), m = 2n.

    .. math:: r_i = x_i - \\frac2m \\sum_j x_j - 1 \\; (i \\le n), \\quad
              r_i = -\\frac2m \\sum_j x_j - 1 \\; (n < i \\le m)

    MGH leave m >= n free; m = 2n here (CUTEst's ARGLINA).  x0 = (1, ..., 1);
    unique minimizer (-1, ..., -1), f* = m - n = n.  f is a convex quadratic.

    Parameters
    ----------
    n : int, default 10
        Dimension, at least 1.
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _linear_full_rank(check_int("n", n, 1), check_scale(x0_scale))


@lru_cache(maxsize=None)
def _linear_full_rank(n, s):
    return build("linear_full_rank", _LINEAR_FULL_RANK_FUNCS, scaled_x0(np.ones(n), s),
                 float(n), f"{MGH}, problem 32 (m = 2n)", minimizers=(-np.ones(n),),
                 kinds=("minimum",), convex=True, labels=("scalable",),
                 params=params_of(n=n, x0_scale=s))

# ---------------------------------------------------------------- 33 linear rank 1
#   r_i = i sum_j j x_j - 1,  i = 1..m;  m = 2n


@register_jitable
def _linear_rank1_r(x):
    n = x.shape[0]
    s = 0.0
    for j in range(n):
        s += (j + 1.0) * x[j]
    r = np.empty(2 * n)
    for i in range(2 * n):
        r[i] = (i + 1.0) * s - 1.0
    return r


@register_jitable
def _linear_rank1_J(x):
    n = x.shape[0]
    J = np.empty((2 * n, n))
    for i in range(2 * n):
        for j in range(n):
            J[i, j] = (i + 1.0) * (j + 1.0)
    return J


@register_jitable
def _linear_rank1_sp(x, r, p):
    return np.zeros(x.shape[0])


@jit
def linear_rank1_fun(x):
    return sumsq(_linear_rank1_r(x))


@jit
def linear_rank1_jac(x):
    return grad(_linear_rank1_J(x), _linear_rank1_r(x))


@jit
def linear_rank1_fg(x):
    r = _linear_rank1_r(x)
    return sumsq(r), grad(_linear_rank1_J(x), r)


@jit
def linear_rank1_hess(x):
    r = _linear_rank1_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _linear_rank1_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_linear_rank1_J(x), S)


@jit
def linear_rank1_hessp(x, p):
    return hessp_from(_linear_rank1_J(x), _linear_rank1_sp(x, _linear_rank1_r(x), p), p)


@jit
def linear_rank1_ggnp(x, v):
    return gn_product(_linear_rank1_J(x), v)


_LINEAR_RANK1_FUNCS = (linear_rank1_fun, linear_rank1_jac, linear_rank1_hess, linear_rank1_hessp, linear_rank1_fg, linear_rank1_ggnp)


def linear_rank1(n: int = 10, x0_scale: float = 1.0) -> Problem:
    """Linear function, rank 1 (MGH problem 33), m = 2n.

    .. math:: r_i = i \\sum_j j x_j - 1, \\quad i = 1, \\dots, m

    MGH leave m >= n free; m = 2n here.  x0 = (1, ..., 1).  f* =
    m (m - 1) / (2 (2m + 1)) on the hyperplane sum_j j x_j = 3 / (2m + 1);
    the point of it on the x1 axis is listed (the Hessian has rank 1 there:
    "degenerate").

    Parameters
    ----------
    n : int, default 10
        Dimension, at least 1.
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _linear_rank1(check_int("n", n, 1), check_scale(x0_scale))


@lru_cache(maxsize=None)
def _linear_rank1(n, s):
    m = 2 * n
    xs = np.zeros(n)
    xs[0] = 3.0 / (2 * m + 1)
    labels = ("degenerate",) if n > 1 else ()
    return build("linear_rank1", _LINEAR_RANK1_FUNCS, scaled_x0(np.ones(n), s),
                 m * (m - 1) / (2.0 * (2 * m + 1)), f"{MGH}, problem 33 (m = 2n)",
                 minimizers=(xs,), kinds=("degenerate" if n > 1 else "minimum",), convex=True,
                 labels=labels + ("scalable",), params=params_of(n=n, x0_scale=s))

# ---------------------------------------------------------------- 34 linear rank 1, zero columns and rows
#   r_1 = r_m = -1,  r_i = (i - 1) sum_{j=2}^{n-1} j x_j - 1 (2 <= i <= m - 1);  m = 2n


@register_jitable
def _linear_rank1_zero_r(x):
    n = x.shape[0]
    m = 2 * n
    s = 0.0
    for j in range(1, n - 1):
        s += (j + 1.0) * x[j]
    r = np.empty(m)
    for i in range(m):
        r[i] = i * s - 1.0
    r[m - 1] = -1.0
    return r


@register_jitable
def _linear_rank1_zero_J(x):
    n = x.shape[0]
    m = 2 * n
    J = np.zeros((m, n))
    for i in range(1, m - 1):
        for j in range(1, n - 1):
            J[i, j] = i * (j + 1.0)
    return J


@register_jitable
def _linear_rank1_zero_sp(x, r, p):
    return np.zeros(x.shape[0])


@jit
def linear_rank1_zero_fun(x):
    return sumsq(_linear_rank1_zero_r(x))


@jit
def linear_rank1_zero_jac(x):
    return grad(_linear_rank1_zero_J(x), _linear_rank1_zero_r(x))


@jit
def linear_rank1_zero_fg(x):
    r = _linear_rank1_zero_r(x)
    return sumsq(r), grad(_linear_rank1_zero_J(x), r)


@jit
def linear_rank1_zero_hess(x):
    r = _linear_rank1_zero_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _linear_rank1_zero_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_linear_rank1_zero_J(x), S)


@jit
def linear_rank1_zero_hessp(x, p):
    return hessp_from(_linear_rank1_zero_J(x), _linear_rank1_zero_sp(x, _linear_rank1_zero_r(x), p), p)


@jit
def linear_rank1_zero_ggnp(x, v):
    return gn_product(_linear_rank1_zero_J(x), v)


_LINEAR_RANK1_ZERO_FUNCS = (linear_rank1_zero_fun, linear_rank1_zero_jac, linear_rank1_zero_hess, linear_rank1_zero_hessp, linear_rank1_zero_fg, linear_rank1_zero_ggnp)


def linear_rank1_zero(n: int = 10, x0_scale: float = 1.0) -> Problem:
    """Linear function, rank 1 with zero columns and rows (MGH problem 34), m = 2n.

    .. math:: r_1 = r_m = -1, \\quad r_i = (i - 1) \\sum_{j=2}^{n-1} j x_j - 1
              \\; (2 \\le i \\le m - 1)

    MGH leave m >= n free; m = 2n here.  x0 = (1, ..., 1).  f* =
    (m^2 + 3m - 6) / (2 (2m - 3)) on the hyperplane sum_{j=2}^{n-1} j x_j =
    3 / (2m - 3); the point of it on the x2 axis is listed (rank-1 Hessian:
    "degenerate").

    Parameters
    ----------
    n : int, default 10
        Dimension, at least 3.
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _linear_rank1_zero(check_int("n", n, 3), check_scale(x0_scale))


@lru_cache(maxsize=None)
def _linear_rank1_zero(n, s):
    m = 2 * n
    xs = np.zeros(n)
    xs[1] = 1.5 / (2 * m - 3)
    return build("linear_rank1_zero", _LINEAR_RANK1_ZERO_FUNCS, scaled_x0(np.ones(n), s),
                 (m * m + 3 * m - 6) / (2.0 * (2 * m - 3)), f"{MGH}, problem 34 (m = 2n)",
                 minimizers=(xs,), kinds=("degenerate",), convex=True,
                 labels=("degenerate", "scalable"),
                 params=params_of(n=n, x0_scale=s))
