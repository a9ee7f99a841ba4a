"""MGH problems 30 and 31: Broyden's tridiagonal and banded systems.

Why a module of their own: both are square nonlinear systems (m = n) with
banded Jacobians, f* = 0 at a root with no closed form: the scalable sparse
systems of the set.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba.extending import register_jitable

from ..._engine.config import jit
from .._base import Problem
from ._lsq import (MGH, build, check_int, check_scale, gn_product, grad, hess_from,
                   hessp_from, params_of, scaled_x0, sumsq, unit)

# ---------------------------------------------------------------- 30 Broyden tridiagonal
#   r_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1,  x_0 = x_{n+1} = 0


@register_jitable
def _broyden_tridiagonal_r(x):
    n = x.shape[0]
    r = np.empty(n)
    for i in range(n):
        left = x[i - 1] if i > 0 else 0.0
        right = x[i + 1] if i < n - 1 else 0.0
        r[i] = (3.0 - 2.0 * x[i]) * x[i] - left - 2.0 * right + 1.0
    return r


@register_jitable
def _broyden_tridiagonal_J(x):
    n = x.shape[0]
    J = np.zeros((n, n))
    for i in range(n):
        J[i, i] = 3.0 - 4.0 * x[i]
        if i > 0:
            J[i, i - 1] = -1.0
        if i < n - 1:
            J[i, i + 1] = -2.0
    return J


@register_jitable
def _broyden_tridiagonal_sp(x, r, p):
    n = x.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = -4.0 * r[i] * p[i]
    return out


@jit
def broyden_tridiagonal_fun(x):
    return sumsq(_broyden_tridiagonal_r(x))


@jit
def broyden_tridiagonal_jac(x):
    return grad(_broyden_tridiagonal_J(x), _broyden_tridiagonal_r(x))


@jit
def broyden_tridiagonal_fg(x):
    r = _broyden_tridiagonal_r(x)
    return sumsq(r), grad(_broyden_tridiagonal_J(x), r)


@jit
def broyden_tridiagonal_hess(x):
    r = _broyden_tridiagonal_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _broyden_tridiagonal_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_broyden_tridiagonal_J(x), S)


@jit
def broyden_tridiagonal_hessp(x, p):
    return hessp_from(_broyden_tridiagonal_J(x), _broyden_tridiagonal_sp(x, _broyden_tridiagonal_r(x), p), p)


@jit
def broyden_tridiagonal_ggnp(x, v):
    return gn_product(_broyden_tridiagonal_J(x), v)


_BROYDEN_TRIDIAGONAL_FUNCS = (broyden_tridiagonal_fun, broyden_tridiagonal_jac, broyden_tridiagonal_hess, broyden_tridiagonal_hessp, broyden_tridiagonal_fg, broyden_tridiagonal_ggnp)


def broyden_tridiagonal(n: int = 10, x0_scale: float = 1.0) -> Problem:
    """Broyden tridiagonal function (MGH problem 30), m = n.

    .. math:: r_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1,
              \\quad x_0 = x_{n+1} = 0

    x0 = (-1, ..., -1); f* = 0 at a root with no closed form (not listed).

    Parameters
    ----------
    n : int, default 10
        Dimension, at least 1.
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _broyden_tridiagonal(check_int("n", n, 1), check_scale(x0_scale))


@lru_cache(maxsize=None)
def _broyden_tridiagonal(n, s):
    return build("broyden_tridiagonal", _BROYDEN_TRIDIAGONAL_FUNCS, scaled_x0(-np.ones(n), s),
                 0.0, f"Broyden (1965); {MGH}, problem 30", labels=("scalable",),
                 params=params_of(n=n, x0_scale=s))

# ---------------------------------------------------------------- 31 Broyden banded
#   r_i = x_i (2 + 5 x_i^2) + 1 - sum_{j in J_i} x_j (1 + x_j),
#   J_i = {j != i : max(1, i - 5) <= j <= min(n, i + 1)}


@register_jitable
def _broyden_banded_r(x):
    n = x.shape[0]
    r = np.empty(n)
    for i in range(n):
        s = 0.0
        for j in range(max(0, i - 5), min(n, i + 2)):
            if j != i:
                s += x[j] * (1.0 + x[j])
        r[i] = x[i] * (2.0 + 5.0 * x[i] * x[i]) + 1.0 - s
    return r


@register_jitable
def _broyden_banded_J(x):
    n = x.shape[0]
    J = np.zeros((n, n))
    for i in range(n):
        for j in range(max(0, i - 5), min(n, i + 2)):
            if j != i:
                J[i, j] = -(1.0 + 2.0 * x[j])
        J[i, i] = 2.0 + 15.0 * x[i] * x[i]
    return J


@register_jitable
def _broyden_banded_sp(x, r, p):
    n = x.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = 30.0 * x[i] * r[i] * p[i]
    for i in range(n):                    # hess r_i has -2 at (j, j), j in J_i
        for j in range(max(0, i - 5), min(n, i + 2)):
            if j != i:
                out[j] -= 2.0 * r[i] * p[j]
    return out


@jit
def broyden_banded_fun(x):
    return sumsq(_broyden_banded_r(x))


@jit
def broyden_banded_jac(x):
    return grad(_broyden_banded_J(x), _broyden_banded_r(x))


@jit
def broyden_banded_fg(x):
    r = _broyden_banded_r(x)
    return sumsq(r), grad(_broyden_banded_J(x), r)


@jit
def broyden_banded_hess(x):
    r = _broyden_banded_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _broyden_banded_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_broyden_banded_J(x), S)


@jit
def broyden_banded_hessp(x, p):
    return hessp_from(_broyden_banded_J(x), _broyden_banded_sp(x, _broyden_banded_r(x), p), p)


@jit
def broyden_banded_ggnp(x, v):
    return gn_product(_broyden_banded_J(x), v)


_BROYDEN_BANDED_FUNCS = (broyden_banded_fun, broyden_banded_jac, broyden_banded_hess, broyden_banded_hessp, broyden_banded_fg, broyden_banded_ggnp)


def broyden_banded(n: int = 10, x0_scale: float = 1.0) -> Problem:
    """Broyden banded function (MGH problem 31), m = n.

    .. math:: r_i = x_i (2 + 5 x_i^2) + 1 - \\sum_{j \\in J_i} x_j (1 + x_j),
              \\quad J_i = \\{j \\ne i: \\max(1, i - 5) \\le j \\le \\min(n, i + 1)\\}

    x0 = (-1, ..., -1); f* = 0 at a root with no closed form (not listed).

    Parameters
    ----------
    n : int, default 10
        Dimension, at least 1.
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _broyden_banded(check_int("n", n, 1), check_scale(x0_scale))


@lru_cache(maxsize=None)
def _broyden_banded(n, s):
    return build("broyden_banded", _BROYDEN_BANDED_FUNCS, scaled_x0(-np.ones(n), s), 0.0,
                 f"Broyden (1971); {MGH}, problem 31", labels=("scalable",),
                 params=params_of(n=n, x0_scale=s))
