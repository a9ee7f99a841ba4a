"""Strictly convex quadratics with a prescribed condition number.

Why it is here: on f(x) = 1/2 x^T A x - b^T x every convergence theory is
exact (steepest descent contracts by (kappa-1)/(kappa+1), CG finishes in at
most n steps, Newton in one), so solver bugs show up as deviations from a
known rate, and kappa is the one knob that moves that rate.

The data travel through ``args = (A, b)`` of type ``(float64[:, ::1],
float64[::1])``: every instance shares the same compiled functions and the
same compiled solver.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .._engine.config import jit
from ._base import CriticalPoint, Problem

_REF = ("Nocedal, J. & Wright, S. J. (2006). Numerical Optimization, 2nd ed., "
        "Springer: sec. 3.3 (steepest-descent rate on quadratics) and sec. 5.1 "
        "(conjugate gradients).")


@jit
def quad_fun(x, A, b):
    """f(x) = 1/2 x^T A x - b^T x."""
    n = x.shape[0]
    f = 0.0
    for i in range(n):
        s = 0.0
        for j in range(n):
            s += A[i, j] * x[j]
        f += x[i] * (0.5 * s - b[i])
    return f


@jit
def quad_jac(x, A, b):
    """Gradient A x - b."""
    n = x.shape[0]
    g = np.empty(n)
    for i in range(n):
        s = 0.0
        for j in range(n):
            s += A[i, j] * x[j]
        g[i] = s - b[i]
    return g


@jit
def quad_fg(x, A, b):
    """Value and gradient sharing the product A x."""
    n = x.shape[0]
    f = 0.0
    g = np.empty(n)
    for i in range(n):
        s = 0.0
        for j in range(n):
            s += A[i, j] * x[j]
        f += x[i] * (0.5 * s - b[i])
        g[i] = s - b[i]
    return f, g


@jit
def quad_hess(x, A, b):
    """Hessian A (a copy)."""
    return A.copy()


@jit
def quad_hessp(x, p, A, b):
    """Hessian times vector: A p."""
    n = x.shape[0]
    hp = np.empty(n)
    for i in range(n):
        s = 0.0
        for j in range(n):
            s += A[i, j] * p[j]
        hp[i] = s
    return hp


def quadratic(n: int = 10, kappa: float = 100.0, seed: int = 0) -> Problem:
    """Random strictly convex quadratic with cond(A) = kappa.

    .. math:: f(x) = \\tfrac12 x^T A x - b^T x, \\qquad A = Q\\,\\mathrm{diag}(d)\\,Q^T

    ``d`` is log-spaced from 1 to ``kappa`` (both ends exact, so
    cond(A) = kappa up to rounding), ``Q`` is a Haar-random orthogonal matrix
    and ``b`` a standard normal vector, both drawn from
    ``numpy.random.default_rng(seed)``.  x0 = 0 (a library choice).  The unique
    critical point is the minimizer x* = A^{-1} b = Q diag(1/d) Q^T b, with
    f* = -1/2 b^T x*.  Labelled ``"ill-conditioned"`` when kappa >= 1e3.

    Parameters
    ----------
    n : int, default 10
        Dimension, at least 2.
    kappa : float, default 100.0
        Condition number of A, at least 1.
    seed : int, default 0
        Seed for Q and b.

    References
    ----------
    Nocedal & Wright (2006), sections 3.3 and 5.1.
    """
    if int(n) != n or n < 2:
        raise ValueError(f"quadratic needs an integer n >= 2, got {n!r}")
    kappa = float(kappa)
    if not (math.isfinite(kappa) and kappa >= 1.0):
        raise ValueError(f"kappa must be finite and >= 1, got {kappa!r}")
    if int(seed) != seed:
        raise ValueError(f"seed must be an integer, got {seed!r}")
    return _quadratic(int(n), kappa, int(seed))


@lru_cache(maxsize=None)
def _quadratic(n, kappa, seed):
    rng = np.random.default_rng(seed)
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    Q = Q * np.sign(np.diag(R))                    # Haar measure (Mezzadri 2007)
    b = np.ascontiguousarray(rng.standard_normal(n))
    d = np.geomspace(1.0, kappa, n)
    A = (Q * d) @ Q.T
    A = np.ascontiguousarray(0.5 * (A + A.T))
    xs = Q @ ((Q.T @ b) / d)
    xs = xs + np.linalg.solve(A, b - A @ xs)      # one step of iterative refinement
    fmin = -0.5 * float(b @ xs)
    labels = ["convex", "scalable"] + (["ill-conditioned"] if kappa >= 1e3 else [])
    return Problem(
        name="quadratic", n=n, fun=quad_fun, jac=quad_jac, hess=quad_hess,
        hessp=quad_hessp, fg=quad_fg, x0=np.zeros(n), args=(A, b), fmin=fmin,
        minimizers=(xs,), critical_points=(CriticalPoint(xs, "minimum", 0, fmin),),
        bounds=None, convex=True, labels=tuple(labels), reference=_REF,
        critical_points_complete=True,
        params=(("n", n), ("kappa", kappa), ("seed", seed)))
