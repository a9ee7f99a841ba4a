"""Compiled kernels of the Lanczos-type spectrum estimators (arrays and scalars only).

Why these loops are compiled and the rest is not: the matrix-vector products are
the user's code (Python or jitted callables), so the Lanczos *driver* stays in
Python (``spectrum.py``); what is left per step is full reorthogonalization
against the stored basis, O(j n) work that dominates every step once j exceeds a
few dozen, and the tridiagonal eigenproblems of stochastic Lanczos quadrature.
The basis kernels are plain row loops (as fast as single-threaded BLAS ``gemv``
here, measured at n = 1e5, 30 rows) and call no BLAS: on a busy 2-core machine
threaded OpenBLAS was 2-300x slower for these memory-bound shapes (a 1e5 dot
product took 9 ms threaded vs 25 us single-threaded).  Blocking over columns was
measured 2x slower than row loops and dropped.

Every kernel has a slow NumPy oracle in ``tests/test_spectrum.py``.

References
----------
Daniel, Gragg, Kaufman & Stewart (1976), Math. Comp. 30: reorthogonalization
(the "twice is enough" criterion).  Golub & Welsch (1969), Math. Comp. 23:
Gauss quadrature from a tridiagonal matrix.  Press et al., Numerical Recipes,
sec. 11.4 (``tqli``: implicit QL with Wilkinson-type shifts).
"""
import math

import numpy as np

from .._engine.config import jit
from .._engine.krylov import tridiag_eig

_BLOCK = 512  # columns per block in combine_rows: the (p, 512) buffer stays in L1/L2
_DGKS = 0.7071067811865476  # reorthogonalize again when ||w|| shrinks below 1/sqrt(2) of itself
EPS = 2.220446049250313e-16   # breakdown thresholds of the callers (spectrum.py)


@jit
def _project_out(V, j, w, c):
    """c = V[:j+1] w; w -= V[:j+1]^T c (one classical Gram-Schmidt pass)."""
    n = w.size
    for i in range(j + 1):
        Vi = V[i]
        # four partial sums break the add dependency chain (no fastmath to reorder)
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        t = 0
        while t + 3 < n:
            s0 += Vi[t] * w[t]
            s1 += Vi[t + 1] * w[t + 1]
            s2 += Vi[t + 2] * w[t + 2]
            s3 += Vi[t + 3] * w[t + 3]
            t += 4
        while t < n:
            s0 += Vi[t] * w[t]
            t += 1
        c[i] = (s0 + s1) + (s2 + s3)
    for i in range(j + 1):
        ci = c[i]
        Vi = V[i]
        for t in range(n):
            w[t] -= ci * Vi[t]


@jit
def _norm2(w):
    s = 0.0
    for t in range(w.size):
        s += w[t] * w[t]
    return math.sqrt(s)


@jit
def orthogonalize(V, j, w, h, c):
    """Orthogonalize w against the rows V[0..j] (CGS with one DGKS correction).

    ``h[:j+1]`` receives the projection coefficients V[:j+1] w of the input (so
    ``h[j]`` is the Lanczos alpha_j), ``c`` is workspace of length >= j+1.  A
    second pass runs only when the first removed more than ~30 % of ||w||
    (Daniel et al. 1976), which is when rounding could leave w non-orthogonal.
    Returns ||w|| after orthogonalization; NaN when w held a non-finite value.
    """
    before = _norm2(w)
    _project_out(V, j, w, c)
    for i in range(j + 1):
        h[i] = c[i]
    after = _norm2(w)
    if after < _DGKS * before:
        _project_out(V, j, w, c)
        for i in range(j + 1):
            h[i] += c[i]
        after = _norm2(w)
    if not math.isfinite(before):
        return np.nan
    return after


@jit
def lanczos_step(V, j, w, beta_prev, c):
    """One Lanczos step with full reorthogonalization; w = A V[j] on entry.

    The three-term recurrence w -= beta_prev V[j-1] + alpha V[j] (Golub & Van Loan
    Alg. 10.1.1) removes the large components first, so the full Gram-Schmidt pass
    against V[0..j] that follows only removes rounding and rarely needs the DGKS
    second pass: about one pass over the basis per step instead of two.  Pass
    beta_prev = 0 for the first step after a (thick) restart, whose couplings to
    the kept Ritz vectors are removed by the full passes.  Returns (alpha, beta)
    with beta = ||w|| (NaN when w held a non-finite value).
    """
    n = w.size
    if beta_prev != 0.0:
        Vp = V[j - 1]
        for t in range(n):
            w[t] -= beta_prev * Vp[t]
    Vj = V[j]
    alpha = 0.0
    for t in range(n):
        alpha += Vj[t] * w[t]
    for t in range(n):
        w[t] -= alpha * Vj[t]
    before = _norm2(w)
    if not math.isfinite(before):
        return np.nan, np.nan
    for _ in range(2):
        _project_out(V, j, w, c)
        alpha += c[j]
        after = _norm2(w)
        if after >= _DGKS * before:
            break
        before = after
    return alpha, after


@jit
def combine_rows(V, m, C, out):
    """out[q] = sum_{i<m} C[i, q] V[i] for q < C.shape[1] (Ritz vectors from coefficients).

    ``out`` may be ``V`` itself: each column block is formed in a local buffer
    before it is written back, which is how a thick restart overwrites the
    basis in place without an (p, n) temporary.
    """
    n = V.shape[1]
    p = C.shape[1]
    buf = np.empty((p, _BLOCK))
    for t0 in range(0, n, _BLOCK):
        t1 = min(n, t0 + _BLOCK)
        buf[:, :] = 0.0
        for i in range(m):
            Vi = V[i, t0:t1]
            for q in range(p):
                cq = C[i, q]
                bq = buf[q]
                for t in range(t1 - t0):
                    bq[t] += cq * Vi[t]
        for q in range(p):
            bq = buf[q]
            oq = out[q, t0:t1]
            for t in range(t1 - t0):
                oq[t] = bq[t]


@jit
def gauss_quadrature(alpha, beta, nodes, weights):
    """Eigenvalues of the symmetric tridiagonal T(alpha, beta) and the squared first
    components of its eigenvectors: the nodes and weights of the Gauss rule that the
    Lanczos process defines (Golub & Welsch 1969).

    Implicit QL with shifts (``_engine/krylov.tridiag_eig``, shared with the Krylov
    saddle-free Newton step), carrying only the first row of the eigenvector
    matrix, so the cost is O(m^2) rather than O(m^3).  Results are sorted
    ascending.  Returns 0, or -1 when an eigenvalue failed to converge in 60 sweeps.
    """
    m = alpha.size
    d = np.empty(m)
    e = np.empty(m)
    z = np.empty((1, m))
    if not tridiag_eig(alpha, beta, m, d, e, z, 1):
        return -1
    order = np.argsort(d)
    for i in range(m):
        nodes[i] = d[order[i]]
        weights[i] = z[0, order[i]] * z[0, order[i]]
    return 0


@jit
def gaussian_density(nodes, weights, grid, sigma, out):
    """out[g] = sum_i weights[i] N(grid[g]; nodes[i], sigma^2): a Gaussian-broadened
    sum of point masses, the SLQ spectral density estimate (Ubaru et al. 2017 eq. 3.9)."""
    c = 1.0 / (sigma * math.sqrt(2.0 * math.pi))
    inv = 1.0 / (2.0 * sigma * sigma)
    for g in range(grid.size):
        s = 0.0
        for i in range(nodes.size):
            d = grid[g] - nodes[i]
            s += weights[i] * math.exp(-d * d * inv)
        out[g] = c * s


@jit
def power_update(v, w, shift):
    """One power-iteration update with w = A v on entry (v of unit norm).

    Forms w = (A - shift I) v in place, then returns (rho, res, nw): the Rayleigh
    quotient rho = v^T w, the residual ||w - rho v|| and ||w||, and overwrites v
    with w / ||w||.  NaN in all three when w held a non-finite value.
    """
    rho = 0.0
    nw2 = 0.0
    for t in range(v.size):
        wt = w[t] - shift * v[t]
        w[t] = wt
        rho += v[t] * wt
        nw2 += wt * wt
    res2 = 0.0
    for t in range(v.size):
        r = w[t] - rho * v[t]
        res2 += r * r
    nw = math.sqrt(nw2)
    if not math.isfinite(nw):
        return np.nan, np.nan, np.nan
    if nw > 0.0:
        for t in range(v.size):
            v[t] = w[t] / nw
    return rho, math.sqrt(res2), nw
