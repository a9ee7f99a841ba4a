"""MGH problems 8, 15 and 16: small data fits (Bard, Kowalik-Osborne, Brown-Dennis).

Why a module of their own: each fits a short table (m <= 20, n <= 4) where
the difficulty is in the model, not the size: Bard's and Kowalik-Osborne's
rational models have poles and a second, non-global "minimum" approached at
infinity, and Brown-Dennis has a large residual at the solution (f* ~ 8.6e4),
so Gauss-Newton and Newton steps differ there.  The data are module-level
arrays, so every callable takes no ``args``.
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

# ---------------------------------------------------------------- 8 Bard
#   r_i = y_i - (x1 + u_i / (v_i x2 + w_i x3)),  u = i, v = 16 - i, w = min(u, v)

_BARD_Y = np.array([0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73,
                    0.96, 1.34, 2.10, 4.39])


@register_jitable
def _bard_r(x):
    r = np.empty(15)
    for k in range(15):
        u = k + 1.0
        v = 16.0 - u
        w = min(u, v)
        r[k] = _BARD_Y[k] - (x[0] + u / (v * x[1] + w * x[2]))
    return r


@register_jitable
def _bard_J(x):
    J = np.empty((15, 3))
    for k in range(15):
        u = k + 1.0
        v = 16.0 - u
        w = min(u, v)
        d = v * x[1] + w * x[2]
        J[k, 0] = -1.0
        J[k, 1] = u * v / (d * d)
        J[k, 2] = u * w / (d * d)
    return J


@register_jitable
def _bard_sp(x, r, p):
    out = np.zeros(3)
    for k in range(15):
        u = k + 1.0
        v = 16.0 - u
        w = min(u, v)
        d = v * x[1] + w * x[2]
        c = -2.0 * r[k] * u / (d * d * d) * (v * p[1] + w * p[2])
        out[1] += c * v
        out[2] += c * w
    return out


@jit
def bard_fun(x):
    return sumsq(_bard_r(x))


@jit
def bard_jac(x):
    return grad(_bard_J(x), _bard_r(x))


@jit
def bard_fg(x):
    r = _bard_r(x)
    return sumsq(r), grad(_bard_J(x), r)


@jit
def bard_hess(x):
    r = _bard_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _bard_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_bard_J(x), S)


@jit
def bard_hessp(x, p):
    return hessp_from(_bard_J(x), _bard_sp(x, _bard_r(x), p), p)


@jit
def bard_ggnp(x, v):
    return gn_product(_bard_J(x), v)


_BARD_FUNCS = (bard_fun, bard_jac, bard_hess, bard_hessp, bard_fg, bard_ggnp)


def bard(x0_scale: float = 1.0) -> Problem:
    """Bard function (MGH problem 8), n = 3, m = 15.

    .. math:: r_i = y_i - \\Bigl(x_1 + \\frac{u_i}{v_i x_2 + w_i x_3}\\Bigr),
              \\quad u_i = i, \\; v_i = 16 - i, \\; w_i = \\min(u_i, v_i)

    x0 = (1, 1, 1); f* = 8.21487730657896e-3 (MGH: 8.21487...e-3; digits
    from GSL).  MGH also list f = 17.4286... approached as x2, x3 -> -inf.

    Parameters
    ----------
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _bard(check_scale(x0_scale))


@lru_cache(maxsize=None)
def _bard(s):
    return build("bard", _BARD_FUNCS, scaled_x0([1.0, 1.0, 1.0], s), 8.214877306578963e-03,
                 f"Bard (1970), SIAM J. Numer. Anal. 7, 157-186; {MGH}, problem 8; "
                 f"f* digits: {GSL}", params=params_of(x0_scale=s))

# ---------------------------------------------------------------- 15 Kowalik-Osborne
#   r_i = y_i - x1 (u_i^2 + u_i x2) / (u_i^2 + u_i x3 + x4)

_KOWALIK_Y = np.array([0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342,
                       0.0323, 0.0235, 0.0246])
_KOWALIK_U = np.array([4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625])


@register_jitable
def _kowalik_osborne_r(x):
    r = np.empty(11)
    for k in range(11):
        u = _KOWALIK_U[k]
        r[k] = _KOWALIK_Y[k] - x[0] * (u * u + u * x[1]) / (u * u + u * x[2] + x[3])
    return r


@register_jitable
def _kowalik_osborne_J(x):
    J = np.empty((11, 4))
    for k in range(11):
        u = _KOWALIK_U[k]
        N = u * u + u * x[1]
        D = u * u + u * x[2] + x[3]
        J[k, 0] = -N / D
        J[k, 1] = -x[0] * u / D
        J[k, 2] = x[0] * N * u / (D * D)
        J[k, 3] = x[0] * N / (D * D)
    return J


@register_jitable
def _kowalik_osborne_sp(x, r, p):
    x1 = x[0]
    out = np.zeros(4)
    for k in range(11):
        u = _KOWALIK_U[k]
        N = u * u + u * x[1]
        D = u * u + u * x[2] + x[3]
        c = -r[k]                       # hess r = -hess(x1 N / D)
        D2 = D * D
        D3 = D2 * D
        h12 = c * u / D
        h13 = -c * N * u / D2
        h14 = -c * N / D2
        h23 = -c * x1 * u * u / D2
        h24 = -c * x1 * u / D2
        h33 = 2.0 * c * x1 * N * u * u / D3
        h34 = 2.0 * c * x1 * N * u / D3
        h44 = 2.0 * c * x1 * N / D3
        out[0] += h12 * p[1] + h13 * p[2] + h14 * p[3]
        out[1] += h12 * p[0] + h23 * p[2] + h24 * p[3]
        out[2] += h13 * p[0] + h23 * p[1] + h33 * p[2] + h34 * p[3]
        out[3] += h14 * p[0] + h24 * p[1] + h34 * p[2] + h44 * p[3]
    return out


@jit
def kowalik_osborne_fun(x):
    return sumsq(_kowalik_osborne_r(x))


@jit
def kowalik_osborne_jac(x):
    return grad(_kowalik_osborne_J(x), _kowalik_osborne_r(x))


@jit
def kowalik_osborne_fg(x):
    r = _kowalik_osborne_r(x)
    return sumsq(r), grad(_kowalik_osborne_J(x), r)


@jit
def kowalik_osborne_hess(x):
    r = _kowalik_osborne_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _kowalik_osborne_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_kowalik_osborne_J(x), S)


@jit
def kowalik_osborne_hessp(x, p):
    return hessp_from(_kowalik_osborne_J(x), _kowalik_osborne_sp(x, _kowalik_osborne_r(x), p), p)


@jit
def kowalik_osborne_ggnp(x, v):
    return gn_product(_kowalik_osborne_J(x), v)


_KOWALIK_OSBORNE_FUNCS = (kowalik_osborne_fun, kowalik_osborne_jac, kowalik_osborne_hess, kowalik_osborne_hessp, kowalik_osborne_fg, kowalik_osborne_ggnp)


def kowalik_osborne(x0_scale: float = 1.0) -> Problem:
    """Kowalik and Osborne function (MGH problem 15), n = 4, m = 11.

    .. math:: r_i = y_i - \\frac{x_1 (u_i^2 + u_i x_2)}{u_i^2 + u_i x_3 + x_4}

    x0 = (0.25, 0.39, 0.415, 0.39); f* = 3.07505603849238e-4 (MGH:
    3.07505...e-4; digits from GSL), best known.  MGH also list
    f = 1.02734...e-3 approached as x1 -> inf.

    Parameters
    ----------
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _kowalik_osborne(check_scale(x0_scale))


@lru_cache(maxsize=None)
def _kowalik_osborne(s):
    return build("kowalik_osborne", _KOWALIK_OSBORNE_FUNCS,
                 scaled_x0([0.25, 0.39, 0.415, 0.39], s), 3.07505603849238e-04,
                 f"Kowalik & Osborne (1968); {MGH}, problem 15; f* digits: {GSL}",
                 params=params_of(x0_scale=s))

# ---------------------------------------------------------------- 16 Brown and Dennis
#   r_i = (x1 + t x2 - exp(t))^2 + (x3 + x4 sin t - cos t)^2,  t = i / 5, i = 1..20


@register_jitable
def _brown_dennis_r(x):
    r = np.empty(20)
    for k in range(20):
        t = (k + 1.0) / 5.0
        a = x[0] + t * x[1] - math.exp(t)
        b = x[2] + x[3] * math.sin(t) - math.cos(t)
        r[k] = a * a + b * b
    return r


@register_jitable
def _brown_dennis_J(x):
    J = np.empty((20, 4))
    for k in range(20):
        t = (k + 1.0) / 5.0
        st = math.sin(t)
        a = x[0] + t * x[1] - math.exp(t)
        b = x[2] + x[3] * st - math.cos(t)
        J[k, 0] = 2.0 * a
        J[k, 1] = 2.0 * a * t
        J[k, 2] = 2.0 * b
        J[k, 3] = 2.0 * b * st
    return J


@register_jitable
def _brown_dennis_sp(x, r, p):
    out = np.zeros(4)
    for k in range(20):
        t = (k + 1.0) / 5.0
        st = math.sin(t)
        ca = 2.0 * r[k] * (p[0] + t * p[1])      # hess r = 2 [1 t]^T[1 t] (+) 2 [1 s]^T[1 s]
        cb = 2.0 * r[k] * (p[2] + st * p[3])
        out[0] += ca
        out[1] += ca * t
        out[2] += cb
        out[3] += cb * st
    return out


@jit
def brown_dennis_fun(x):
    return sumsq(_brown_dennis_r(x))


@jit
def brown_dennis_jac(x):
    return grad(_brown_dennis_J(x), _brown_dennis_r(x))


@jit
def brown_dennis_fg(x):
    r = _brown_dennis_r(x)
    return sumsq(r), grad(_brown_dennis_J(x), r)


@jit
def brown_dennis_hess(x):
    r = _brown_dennis_r(x)
    n = x.shape[0]
    S = np.empty((n, n))
    for k in range(n):
        c = _brown_dennis_sp(x, r, unit(n, k))
        for i in range(n):
            S[i, k] = c[i]
    return hess_from(_brown_dennis_J(x), S)


@jit
def brown_dennis_hessp(x, p):
    return hessp_from(_brown_dennis_J(x), _brown_dennis_sp(x, _brown_dennis_r(x), p), p)


@jit
def brown_dennis_ggnp(x, v):
    return gn_product(_brown_dennis_J(x), v)


_BROWN_DENNIS_FUNCS = (brown_dennis_fun, brown_dennis_jac, brown_dennis_hess, brown_dennis_hessp, brown_dennis_fg, brown_dennis_ggnp)


def brown_dennis(x0_scale: float = 1.0) -> Problem:
    """Brown and Dennis function (MGH problem 16), n = 4, m = 20.

    .. math:: r_i = (x_1 + t_i x_2 - e^{t_i})^2 + (x_3 + x_4 \\sin t_i - \\cos t_i)^2,
              \\quad t_i = i / 5

    x0 = (25, 5, -5, -1); f* = 85822.20162635 (MGH: 85822.2...; digits from
    Moré & Wild 2009).  f is convex (each r_i is a convex sum of squares of
    affine forms and r_i >= 0, so r_i^2 is convex), so f* is the global minimum.

    Parameters
    ----------
    x0_scale : float, default 1.0
        Multiplies the standard x0 (MGH use 1, 10 and 100).
    """
    return _brown_dennis(check_scale(x0_scale))


@lru_cache(maxsize=None)
def _brown_dennis(s):
    return build("brown_dennis", _BROWN_DENNIS_FUNCS, scaled_x0([25.0, 5.0, -5.0, -1.0], s),
                 85822.20162635,
                 f"Brown & Dennis (1971); {MGH}, problem 16; f* digits: {MW}",
                 convex=True, params=params_of(x0_scale=s))
