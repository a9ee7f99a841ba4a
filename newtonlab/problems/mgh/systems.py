"""MGH problems 28 and 29: discretized boundary-value and integral equations.

Why a module of their own: both are m = n systems from discretizing the same
two-point problem u'' = (u + t + 1)^3 / 2 (tridiagonal Jacobian) and its
integral-equation form (dense Jacobian); f* = 0 at the discrete solution,
which has no closed form.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba.extending import register_jitable

from ..._engine.config import jit
from .._base import Problem
from ._lsq import (MGH, build, check_int, check_scale, gn_product, grad, hess_from,
                   hessp_from, params_of, scaled_x0, sumsq, unit)

# ---------------------------------------------------------------- 28 discrete boundary value
#   r_i = 2 x_i - x_{i-1} - x_{i+1} + h^2 (x_i + t_i + 1)^3 / 2,  h = 1/(n+1), t_i = i h


@register_jitable
def _discrete_boundary_value_r(x):
    n = x.shape[0]
    h = 1.0 / (n + 1.0)
    r = np.empty(n)
    for i in range(n):
        left = x[i - 1] if i > 0 else 0.0
        right = x[i + 1] if i < n - 1 else 0.0
        c = x[i] + (i + 1.0) * h + 1.0
        r[i] = 2.0 * x[i] - left - right + 0.5 * h * h * c * c * c
    return r


@register_jitable
def _discrete_boundary_value_J(x):
    n = x.shape[0]
    h = 1.0 / (n + 1.0)
    J = np.zeros((n, n))
    for i in range(n):
        c = x[i] + (i + 1.0) * h + 1.0
        J[i, i] = 2.0 + 1.5 * h * h * c * c
        if i > 0:
            J[i, i - 1] = -1.0
        if i < n - 1:
            J[i, i + 1] = -1.0
    return J


@register_jitable
def _discrete_boundary_value_sp(x, r, p):
    n = x.shape[0]
    h = 1.0 / (n + 1.0)
    out = np.empty(n)
    for i in range(n):
        out[i] = 3.0 * h * h * (x[i] + (i + 1.0) * h + 1.0) * r[i] * p[i]
    return out


@jit
def discrete_boundary_value_fun(x):
    return sumsq(_discrete_boundary_value_r(x))


@jit
def discrete_boundary_value_jac(x):
    return grad(_discrete_boundary_value_J(x), _discrete_boundary_value_r(x))


@jit
def discrete_boundary_value_fg(x):
    r = _discrete_boundary_value_r(x)
    return sumsq(r), grad(_discrete_boundary_value_J(x), r)


@jit
def discrete_boundary_value_hess(x):
    r = _discrete_boundary_value_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _discrete_boundary_value_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_discrete_boundary_value_J(x), S)


@jit
def discrete_boundary_value_hessp(x, p):
    return hessp_from(_discrete_boundary_value_J(x), _discrete_boundary_value_sp(x, _discrete_boundary_value_r(x), p), p)


@jit
def discrete_boundary_value_ggnp(x, v):
    return gn_product(_discrete_boundary_value_J(x), v)


_DISCRETE_BOUNDARY_VALUE_FUNCS = (discrete_boundary_value_fun, discrete_boundary_value_jac, discrete_boundary_value_hess, discrete_boundary_value_hessp, discrete_boundary_value_fg, discrete_boundary_value_ggnp)


def discrete_boundary_value(n: int = 10, x0_scale: float = 1.0) -> Problem:
    """Discrete boundary value function (MGH problem 28), m = n.

    .. math:: r_i = 2 x_i - x_{i-1} - x_{i+1} + h^2 (x_i + t_i + 1)^3 / 2,
              \\quad h = 1/(n+1), \\; t_i = i h, \\; x_0 = x_{n+1} = 0

    x0 = (t_i (t_i - 1))_i; f* = 0 at the solution of the discretized
    two-point boundary value problem (no closed form; not listed).

    Parameters
    ----------
    n : int, default 10
        Dimension, at least 1.
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _discrete_boundary_value(check_int("n", n, 1), check_scale(x0_scale))


@lru_cache(maxsize=None)
def _discrete_boundary_value(n, s):
    t = np.arange(1.0, n + 1.0) / (n + 1.0)
    return build("discrete_boundary_value", _DISCRETE_BOUNDARY_VALUE_FUNCS,
                 scaled_x0(t * (t - 1.0), s), 0.0, f"{MGH}, problem 28", labels=("scalable",),
                 params=params_of(n=n, x0_scale=s))

# ---------------------------------------------------------------- 29 discrete integral equation
#   r_i = x_i + h/2 [(1 - t_i) sum_{j<=i} t_j c_j + t_i sum_{j>i} (1 - t_j) c_j],
#   c_j = (x_j + t_j + 1)^3


@register_jitable
def _die_w(i, j, h):
    """Kernel weight w_ij of the integral-equation discretization (0-based i, j)."""
    ti = (i + 1.0) * h
    tj = (j + 1.0) * h
    return (1.0 - ti) * tj if j <= i else ti * (1.0 - tj)


@register_jitable
def _discrete_integral_equation_r(x):
    n = x.shape[0]
    h = 1.0 / (n + 1.0)
    r = np.empty(n)
    for i in range(n):
        s = 0.0
        for j in range(n):
            c = x[j] + (j + 1.0) * h + 1.0
            s += _die_w(i, j, h) * c * c * c
        r[i] = x[i] + 0.5 * h * s
    return r


@register_jitable
def _discrete_integral_equation_J(x):
    n = x.shape[0]
    h = 1.0 / (n + 1.0)
    J = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            c = x[j] + (j + 1.0) * h + 1.0
            J[i, j] = 1.5 * h * _die_w(i, j, h) * c * c
        J[i, i] += 1.0
    return J


@register_jitable
def _discrete_integral_equation_sp(x, r, p):
    n = x.shape[0]
    h = 1.0 / (n + 1.0)
    out = np.empty(n)
    for j in range(n):                    # hess r_i = diag_j(3 h w_ij c_j)
        s = 0.0
        for i in range(n):
            s += r[i] * _die_w(i, j, h)
        out[j] = 3.0 * h * (x[j] + (j + 1.0) * h + 1.0) * s * p[j]
    return out


@jit
def discrete_integral_equation_fun(x):
    return sumsq(_discrete_integral_equation_r(x))


@jit
def discrete_integral_equation_jac(x):
    return grad(_discrete_integral_equation_J(x), _discrete_integral_equation_r(x))


@jit
def discrete_integral_equation_fg(x):
    r = _discrete_integral_equation_r(x)
    return sumsq(r), grad(_discrete_integral_equation_J(x), r)


@jit
def discrete_integral_equation_hess(x):
    r = _discrete_integral_equation_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _discrete_integral_equation_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_discrete_integral_equation_J(x), S)


@jit
def discrete_integral_equation_hessp(x, p):
    return hessp_from(_discrete_integral_equation_J(x), _discrete_integral_equation_sp(x, _discrete_integral_equation_r(x), p), p)


@jit
def discrete_integral_equation_ggnp(x, v):
    return gn_product(_discrete_integral_equation_J(x), v)


_DISCRETE_INTEGRAL_EQUATION_FUNCS = (discrete_integral_equation_fun, discrete_integral_equation_jac, discrete_integral_equation_hess, discrete_integral_equation_hessp, discrete_integral_equation_fg, discrete_integral_equation_ggnp)


def discrete_integral_equation(n: int = 10, x0_scale: float = 1.0) -> Problem:
    """Discrete integral equation function (MGH problem 29), m = n.

    .. math:: r_i = x_i + \\frac h2 \\Bigl[(1 - t_i) \\sum_{j \\le i} t_j
              (x_j + t_j + 1)^3 + t_i \\sum_{j > i} (1 - t_j) (x_j + t_j + 1)^3\\Bigr]

    with h = 1/(n+1), t_i = i h.  x0 = (t_i (t_i - 1))_i; f* = 0 at the
    solution of the discretized integral equation (no closed form; not listed).

    Parameters
    ----------
    n : int, default 10
        Dimension, at least 1.
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _discrete_integral_equation(check_int("n", n, 1), check_scale(x0_scale))


@lru_cache(maxsize=None)
def _discrete_integral_equation(n, s):
    t = np.arange(1.0, n + 1.0) / (n + 1.0)
    return build("discrete_integral_equation", _DISCRETE_INTEGRAL_EQUATION_FUNCS,
                 scaled_x0(t * (t - 1.0), s), 0.0, f"{MGH}, problem 29", labels=("scalable",),
                 params=params_of(n=n, x0_scale=s))
