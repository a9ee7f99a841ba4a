"""Low-rank matrix factorization M ~ U V^T, the simplest non-convex learning problem.

Why it is here: the loss is a degree-four polynomial with a rotation/scaling
symmetry (U V^T = (U Q)(V Q^-T)^T), saddle points (x = 0 among them) and yet,
fully observed and L2-penalised, no spurious local minima; its global
minimum is known in closed form (a soft-thresholded truncated SVD), so a
solver's end value can be checked exactly on a non-convex problem.  It is
also a two-layer linear network with one-hot inputs, so the Gauss-Newton
matrix differs from the Hessian exactly by the residual term.

``args = (M, y)``: M the (m, k) data matrix (row i is sample i), ``y = [r,
lam]``; x stacks U (m, r) and V (k, r), both row-major.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba.extending import register_jitable

from ..._engine.config import jit
from .._base import CriticalPoint, Problem

_REF = ("Srebro, N., Rennie, J. D. M. & Jaakkola, T. S. (2005). Maximum-margin matrix "
        "factorization. NIPS 17 (||Z||_* = min over U V^T = Z of (||U||^2 + ||V||^2) / 2); "
        "Ge, R., Jin, C. & Zheng, Y. (2017). No spurious local minima in nonconvex low rank "
        "problems: a unified geometric analysis. ICML; Pearlmutter (1994) and "
        "Schraudolph (2002) for the products.")


@register_jitable
def _fg(x, M, y, idx, grad):
    """Mean over the rows idx of (1/2k) ||U_i V^T - M_i||^2, plus lam/2 ||x||^2."""
    r = int(y[0])
    lam = y[1]
    m, k = M.shape
    n = x.shape[0]
    B = idx.shape[0]
    c = 1.0 / (max(B, 1) * k)
    g = np.zeros(n)
    f = 0.0
    for t in range(B):
        i = idx[t]
        for j in range(k):
            res = -M[i, j]
            for q in range(r):
                res += x[i * r + q] * x[m * r + j * r + q]
            f += 0.5 * res * res
            if grad:
                for q in range(r):
                    g[i * r + q] += c * res * x[m * r + j * r + q]
                    g[m * r + j * r + q] += c * res * x[i * r + q]
    s = 0.0
    for p in range(n):
        s += x[p] * x[p]
        g[p] += lam * x[p]
    return c * f + 0.5 * lam * s, g


@register_jitable
def _curv(x, v, M, y, exact):
    """H v (exact: Pearlmutter's R-operator) or the Gauss-Newton product G v."""
    r = int(y[0])
    lam = y[1]
    m, k = M.shape
    c = 1.0 / (m * k)
    out = lam * v
    for i in range(m):
        for j in range(k):
            res = -M[i, j]
            rres = 0.0                               # R{res} = dU_i.V_j + U_i.dV_j
            for q in range(r):
                u, w = x[i * r + q], x[m * r + j * r + q]
                res += u * w
                rres += v[i * r + q] * w + u * v[m * r + j * r + q]
            if not exact:
                res = 0.0                            # G drops the residual curvature
            for q in range(r):
                out[i * r + q] += c * (rres * x[m * r + j * r + q] + res * v[m * r + j * r + q])
                out[m * r + j * r + q] += c * (rres * x[i * r + q] + res * v[i * r + q])
    return out


@jit
def mf_fun(x, M, y):
    """f(U, V) = 1/(2 m k) ||U V^T - M||_F^2 + lam/2 (||U||^2 + ||V||^2)."""
    return _fg(x, M, y, np.arange(M.shape[0]), False)[0]


@jit
def mf_jac(x, M, y):
    """Gradient: (R V / mk + lam U, R^T U / mk + lam V), R = U V^T - M."""
    return _fg(x, M, y, np.arange(M.shape[0]), True)[1]


@jit
def mf_fg(x, M, y):
    """Value and gradient in one pass over M."""
    return _fg(x, M, y, np.arange(M.shape[0]), True)


@jit
def mf_batch_fg(x, idx, M, y):
    """Mean over the rows idx (the samples) of the row losses and gradients, penalty included."""
    return _fg(x, M, y, idx, True)


@jit
def mf_hessp(x, v, M, y):
    """Exact Hessian-vector product (R-operator of the gradient)."""
    return _curv(x, v, M, y, True)


@jit
def mf_ggnp(x, v, M, y):
    """Gauss-Newton product (J^T J / mk + lam I) v, J the Jacobian of U V^T."""
    return _curv(x, v, M, y, False)


@jit
def mf_hess(x, M, y):
    """Dense Hessian, column by column from exact products."""
    n = x.shape[0]
    H = np.empty((n, n))
    e = np.zeros(n)
    for i in range(n):
        e[i] = 1.0
        col = _curv(x, e, M, y, True)
        e[i] = 0.0
        for j in range(n):
            H[j, i] = col[j]
    for i in range(n):                              # symmetrise the rounding
        for j in range(i):
            H[i, j] = H[j, i] = 0.5 * (H[i, j] + H[j, i])
    return H


def fmin_closed_form(M, rank, lam):
    """Global minimum of the factorization loss (exact, any noise and penalty).

    With c = 1/(m k): min over rank-r Z of c/2 ||Z - M||^2 + lam ||Z||_* (the
    penalty's variational form, Srebro et al. 2005), solved by soft-thresholding
    the top r singular values sigma_i of M at lam / c (von Neumann's trace
    inequality): each contributes lam sigma_i - lam^2 / (2c) if sigma_i > lam/c,
    else c sigma_i^2 / 2; the others contribute c sigma_i^2 / 2.
    """
    m, k = M.shape
    c = 1.0 / (m * k)
    s = np.linalg.svd(M, compute_uv=False)
    top, rest = s[:rank], s[rank:]
    val = np.where(top > lam / c, lam * top - lam * lam / (2 * c), 0.5 * c * top ** 2).sum()
    return float(val + 0.5 * c * (rest ** 2).sum())


def _origin(M, rank, lam):
    """x = 0 is critical; its Hessian eigenvalues are lam +- c sigma_i (r times each), lam."""
    m, k = M.shape
    c = 1.0 / (m * k)
    s = np.linalg.svd(M, compute_uv=False)
    ev = np.concatenate([np.repeat(lam - c * s, rank), np.repeat(lam + c * s, rank),
                         np.full(rank * abs(m - k), lam)])
    tol = 1e-8 * max(1.0, np.abs(ev).max())
    index = int((ev < -tol).sum())
    kind = "degenerate" if np.any(np.abs(ev) <= tol) else ("minimum" if index == 0 else "saddle")
    f0 = 0.5 * c * float((M * M).sum())
    return CriticalPoint(np.zeros((m + k) * rank), kind, index, f0)


def matrix_factorization(n_rows: int = 30, n_cols: int = 20, rank: int = 3,
                         noise: float = 0.1, lam: float = 1e-4, seed: int = 0) -> Problem:
    """Factorize a noisy rank-``rank`` matrix as U V^T, squared loss plus small L2.

    .. math:: f(U, V) = \\frac{1}{2mk} \\|U V^T - M\\|_F^2
              + \\frac{\\lambda}{2} (\\|U\\|_F^2 + \\|V\\|_F^2)

    ``M = U* V*^T + noise * E`` with U* (m, r), V* (k, r) and E standard
    normal, drawn in that order from ``numpy.random.default_rng(seed)``; x0
    (the standard start) stacks U and V with entries N(0, 0.1^2), drawn next.
    A sample is a row of M: the loss is the mean of the row losses, and
    :func:`mf_batch_fg` its mini-batch form.  ``fmin`` is exact
    (:func:`fmin_closed_form`; 0 when noise = lam = 0), ``x = 0`` is listed as
    a critical point (a saddle when some sigma_i(M) > lam m k).

    Parameters
    ----------
    n_rows, n_cols : int, default 30, 20
        m and k, the shape of M.
    rank : int, default 3
        r, the rank of the planted matrix and of the factors.
    noise : float, default 0.1
        Standard deviation of the additive noise.
    lam : float, default 1e-4
        L2 penalty.
    seed : int, default 0

    References
    ----------
    Srebro, Rennie & Jaakkola (2005); Ge, Jin & Zheng (2017).
    """
    for name, v in (("n_rows", n_rows), ("n_cols", n_cols), ("rank", rank), ("seed", seed)):
        if int(v) != v or v < (0 if name == "seed" else 1):
            raise ValueError(f"matrix_factorization: {name} must be a positive integer, got {v!r}")
    if not (float(noise) >= 0 and float(lam) >= 0):
        raise ValueError("matrix_factorization: noise and lam must be >= 0")
    return _build(int(n_rows), int(n_cols), int(rank), float(noise), float(lam), int(seed))


@lru_cache(maxsize=None)
def _build(m, k, r, noise, lam, seed):
    rng = np.random.default_rng(seed)
    U, V = rng.standard_normal((m, r)), rng.standard_normal((k, r))
    M = np.ascontiguousarray(U @ V.T + noise * rng.standard_normal((m, k)))
    x0 = 0.1 * rng.standard_normal((m + k) * r)
    fmin = 0.0 if noise == 0.0 and lam == 0.0 else fmin_closed_form(M, r, lam)
    cp = _origin(M, r, lam)
    labels = ["ml", "non-convex"] + ([cp.kind] if cp.kind in ("saddle", "degenerate") else [])
    return Problem(
        name="matrix-factorization", n=(m + k) * r, fun=mf_fun, jac=mf_jac, hess=mf_hess,
        hessp=mf_hessp, fg=mf_fg, x0=x0, args=(M, np.array([float(r), lam])), fmin=fmin,
        critical_points=(cp,), convex=False, labels=tuple(labels), reference=_REF,
        params=(("n_rows", m), ("n_cols", k), ("rank", r), ("noise", noise), ("lam", lam),
                ("seed", seed)),
        ggnp=mf_ggnp)
