"""MGH problems 26, 27 and 35: scalable problems with dense Jacobians.

Why a module of their own: in the trigonometric, Brown almost-linear and
Chebyquad functions every residual depends on every variable, so J is dense
and each product costs O(n^2): the scalable problems where Hessian-vector
products are not cheap.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba.extending import register_jitable

from ..._engine.config import jit
from .._base import Problem
from ._lsq import (MGH, MW, build, check_choice, check_int, check_scale, gn_product, grad,
                   hess_from, hessp_from, params_of, scaled_x0, sumsq, unit)

# ---------------------------------------------------------------- 26 trigonometric
#   r_i = n - sum_j cos x_j + i (1 - cos x_i) - sin x_i


@register_jitable
def _trigonometric_r(x):
    n = x.shape[0]
    c = 0.0
    for j in range(n):
        c += math.cos(x[j])
    r = np.empty(n)
    for i in range(n):
        r[i] = n - c + (i + 1.0) * (1.0 - math.cos(x[i])) - math.sin(x[i])
    return r


@register_jitable
def _trigonometric_J(x):
    n = x.shape[0]
    J = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            J[i, j] = math.sin(x[j])
        J[i, i] += (i + 1.0) * math.sin(x[i]) - math.cos(x[i])
    return J


@register_jitable
def _trigonometric_sp(x, r, p):
    n = x.shape[0]
    rs = 0.0
    for i in range(n):
        rs += r[i]
    out = np.empty(n)
    for j in range(n):                    # hess r_i = diag(cos x) + ((i) cos x_i + sin x_i) e_i e_i^T
        cj = math.cos(x[j])
        out[j] = (rs * cj + r[j] * ((j + 1.0) * cj + math.sin(x[j]))) * p[j]
    return out


@jit
def trigonometric_fun(x):
    return sumsq(_trigonometric_r(x))


@jit
def trigonometric_jac(x):
    return grad(_trigonometric_J(x), _trigonometric_r(x))


@jit
def trigonometric_fg(x):
    r = _trigonometric_r(x)
    return sumsq(r), grad(_trigonometric_J(x), r)


@jit
def trigonometric_hess(x):
    r = _trigonometric_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _trigonometric_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_trigonometric_J(x), S)


@jit
def trigonometric_hessp(x, p):
    return hessp_from(_trigonometric_J(x), _trigonometric_sp(x, _trigonometric_r(x), p), p)


@jit
def trigonometric_ggnp(x, v):
    return gn_product(_trigonometric_J(x), v)


_TRIGONOMETRIC_FUNCS = (trigonometric_fun, trigonometric_jac, trigonometric_hess, trigonometric_hessp, trigonometric_fg, trigonometric_ggnp)


def trigonometric(n: int = 10, x0_scale: float = 1.0) -> Problem:
    """Trigonometric function (MGH problem 26), m = n.

    .. math:: r_i = n - \\sum_j \\cos x_j + i (1 - \\cos x_i) - \\sin x_i

    x0 = (1/n, ..., 1/n); f* = 0.  The origin is a global minimizer
    (every r_i vanishes there; f is 2 pi-periodic, so there are infinitely
    many); it is listed.

    Parameters
    ----------
    n : int, default 10
        Dimension, at least 1.
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _trigonometric(check_int("n", n, 1), check_scale(x0_scale))


@lru_cache(maxsize=None)
def _trigonometric(n, s):
    return build("trigonometric", _TRIGONOMETRIC_FUNCS, scaled_x0(np.full(n, 1.0 / n), s), 0.0,
                 f"Spedicato (1975); {MGH}, problem 26", minimizers=(np.zeros(n),),
                 kinds=("minimum",), labels=("scalable",), params=params_of(n=n, x0_scale=s))

# ---------------------------------------------------------------- 27 Brown almost-linear
#   r_i = x_i + sum_j x_j - (n + 1), i < n;  r_n = prod_j x_j - 1


@register_jitable
def _brown_almost_linear_r(x):
    n = x.shape[0]
    s = 0.0
    prod = 1.0
    for j in range(n):
        s += x[j]
        prod *= x[j]
    r = np.empty(n)
    for i in range(n - 1):
        r[i] = x[i] + s - (n + 1.0)
    r[n - 1] = prod - 1.0
    return r


@register_jitable
def _brown_almost_linear_J(x):
    n = x.shape[0]
    J = np.ones((n, n))
    for i in range(n - 1):
        J[i, i] = 2.0
    for j in range(n):                    # prod_{k != j} x_k, no division
        q = 1.0
        for k in range(n):
            if k != j:
                q *= x[k]
        J[n - 1, j] = q
    return J


@register_jitable
def _brown_almost_linear_sp(x, r, p):
    n = x.shape[0]
    out = np.empty(n)
    for j in range(n):                    # d/dt prod_{k != j} (x_k + t p_k) at t = 0
        q = 1.0
        dq = 0.0
        for k in range(n):
            if k != j:
                dq = dq * x[k] + q * p[k]
                q *= x[k]
        out[j] = r[n - 1] * dq
    return out


@jit
def brown_almost_linear_fun(x):
    return sumsq(_brown_almost_linear_r(x))


@jit
def brown_almost_linear_jac(x):
    return grad(_brown_almost_linear_J(x), _brown_almost_linear_r(x))


@jit
def brown_almost_linear_fg(x):
    r = _brown_almost_linear_r(x)
    return sumsq(r), grad(_brown_almost_linear_J(x), r)


@jit
def brown_almost_linear_hess(x):
    r = _brown_almost_linear_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _brown_almost_linear_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_brown_almost_linear_J(x), S)


@jit
def brown_almost_linear_hessp(x, p):
    return hessp_from(_brown_almost_linear_J(x), _brown_almost_linear_sp(x, _brown_almost_linear_r(x), p), p)


@jit
def brown_almost_linear_ggnp(x, v):
    return gn_product(_brown_almost_linear_J(x), v)


_BROWN_ALMOST_LINEAR_FUNCS = (brown_almost_linear_fun, brown_almost_linear_jac, brown_almost_linear_hess, brown_almost_linear_hessp, brown_almost_linear_fg, brown_almost_linear_ggnp)


def brown_almost_linear(n: int = 10, x0_scale: float = 1.0) -> Problem:
    """Brown almost-linear function (MGH problem 27), m = n.

    .. math:: r_i = x_i + \\sum_j x_j - (n + 1), \\; i < n, \\quad
              r_n = \\prod_j x_j - 1

    x0 = (1/2, ..., 1/2); f* = 0 at (a, ..., a, a^(1-n)) for every root a
    of n a^n - (n+1) a^(n-1) + 1 = 0, in particular at (1, ..., 1) (listed);
    MGH also give f = 1 at (0, ..., 0, n + 1).

    Parameters
    ----------
    n : int, default 10
        Dimension, at least 2.
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _brown_almost_linear(check_int("n", n, 2), check_scale(x0_scale))


@lru_cache(maxsize=None)
def _brown_almost_linear(n, s):
    return build("brown_almost_linear", _BROWN_ALMOST_LINEAR_FUNCS,
                 scaled_x0(np.full(n, 0.5), s), 0.0, f"Brown (1969); {MGH}, problem 27",
                 minimizers=(np.ones(n),), kinds=("minimum",), labels=("scalable",),
                 params=params_of(n=n, x0_scale=s))

# ---------------------------------------------------------------- 35 Chebyquad
#   r_i = (1/n) sum_j T_i(x_j) - int_0^1 T_i,  T_i the Chebyshev polynomial shifted to [0, 1]


@register_jitable
def _cheb(n, x):
    """T_i(2x - 1) and its first two x-derivatives for i = 1..n (arrays of n)."""
    y = 2.0 * x - 1.0
    T = np.empty(n)
    D = np.empty(n)
    D2 = np.empty(n)
    t0, t1 = 1.0, y                       # values, y-derivatives, second y-derivatives
    d0, d1 = 0.0, 1.0
    s0, s1 = 0.0, 0.0
    for i in range(n):
        T[i] = t1
        D[i] = 2.0 * d1
        D2[i] = 4.0 * s1
        t0, t1 = t1, 2.0 * y * t1 - t0
        s0, s1 = s1, 4.0 * d1 + 2.0 * y * s1 - s0
        d0, d1 = d1, 2.0 * t0 + 2.0 * y * d1 - d0
    return T, D, D2


@register_jitable
def _chebyquad_r(x):
    n = x.shape[0]
    r = np.zeros(n)
    for j in range(n):
        T, D, D2 = _cheb(n, x[j])
        for i in range(n):
            r[i] += T[i] / n
    for i in range(1, n, 2):              # even degree i + 1: int_0^1 T = -1 / ((i+1)^2 - 1)
        r[i] += 1.0 / ((i + 1.0) * (i + 1.0) - 1.0)
    return r


@register_jitable
def _chebyquad_J(x):
    n = x.shape[0]
    J = np.empty((n, n))
    for j in range(n):
        T, D, D2 = _cheb(n, x[j])
        for i in range(n):
            J[i, j] = D[i] / n
    return J


@register_jitable
def _chebyquad_sp(x, r, p):
    n = x.shape[0]
    out = np.empty(n)
    for j in range(n):                    # hess r_i = diag_j(T_i''(x_j) / n)
        T, D, D2 = _cheb(n, x[j])
        s = 0.0
        for i in range(n):
            s += r[i] * D2[i]
        out[j] = s / n * p[j]
    return out


@jit
def chebyquad_fun(x):
    return sumsq(_chebyquad_r(x))


@jit
def chebyquad_jac(x):
    return grad(_chebyquad_J(x), _chebyquad_r(x))


@jit
def chebyquad_fg(x):
    r = _chebyquad_r(x)
    return sumsq(r), grad(_chebyquad_J(x), r)


@jit
def chebyquad_hess(x):
    r = _chebyquad_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _chebyquad_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_chebyquad_J(x), S)


@jit
def chebyquad_hessp(x, p):
    return hessp_from(_chebyquad_J(x), _chebyquad_sp(x, _chebyquad_r(x), p), p)


@jit
def chebyquad_ggnp(x, v):
    return gn_product(_chebyquad_J(x), v)


_CHEBYQUAD_FUNCS = (chebyquad_fun, chebyquad_jac, chebyquad_hess, chebyquad_hessp, chebyquad_fg, chebyquad_ggnp)

# f* by n (m = n): MGH give 0 for n <= 7 and n = 9, and the values below
_CHEBYQUAD_FMIN = {1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0, 5: 0.0, 6: 0.0, 7: 0.0,
                   8: 3.516873725677e-03, 9: 0.0, 10: 6.50395e-03}


def chebyquad(n: int = 8, x0_scale: float = 1.0) -> Problem:
    """Chebyquad function of Fletcher (MGH problem 35), m = n.

    .. math:: r_i = \\frac1n \\sum_{j=1}^{n} T_i(x_j) - \\int_0^1 T_i(t)\\,dt

    with T_i the Chebyshev polynomial of degree i shifted to [0, 1] (the
    integral is 0 for odd i and -1 / (i^2 - 1) for even i).
    x0 = (j / (n + 1))_j.  MGH publish f* = 0 for n <= 7 and n = 9,
    3.51687e-3 for n = 8 (digits from Moré & Wild 2009) and 6.50395e-3 for
    n = 10; only those n are accepted.  The n = 10 value is a local
    minimum: Moré & Wild (2009) report 4.77271e-3.  The default is n = 8
    for that reason.

    Parameters
    ----------
    n : int in 1..10, default 8
        Dimension.
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _chebyquad(check_choice("n", n, _CHEBYQUAD_FMIN), check_scale(x0_scale))


@lru_cache(maxsize=None)
def _chebyquad(n, s):
    note = (" (n = 10: the published f* is a local minimum value; Moré & Wild report "
            "4.77271e-3)" if n == 10 else "")
    return build("chebyquad", _CHEBYQUAD_FUNCS, scaled_x0(np.arange(1.0, n + 1.0) / (n + 1), s),
                 _CHEBYQUAD_FMIN[n], f"Fletcher (1965); {MGH}, problem 35{note}; "
                 f"f* digits (n = 8): {MW}", labels=("scalable",),
                 params=params_of(n=n, x0_scale=s))
