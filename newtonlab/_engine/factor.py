"""Factorizations of dense symmetric matrices, for Newton-type directions.

Cholesky (over A's envelope when it is narrow, else densely) and its solve, the
shift of N&W Alg. 3.3 that makes A + tau I positive definite, and the
eigenvalue-modified direction of §3.4 and of saddle-free Newton.  Leaf kernels, as
``kernels.py``'s: arrays and scalars in and out, each with a NumPy oracle in
``tests/test_kernels.py``.
"""
import math

import numpy as np

from .config import jit, jit_borrow, jit_reduce


@jit_borrow
def cholesky(A, tau, L):
    """Lower Cholesky factor of A + tau I into L (zeros above the diagonal); returns False
    if it is not positive definite.  Reads A's lower triangle only.

    A factor has no fill outside A's envelope (George & Liu 1981, ch. 4): with f_i the
    column of the first nonzero in A[i, :i], L[i, :f_i] = 0.  When that is cheaper
    (:func:`envelope_pays`: banded Hessians of chained problems, discretized equations)
    :func:`_cholesky_envelope` computes only the envelope; otherwise
    :func:`_cholesky_columns` factors densely.  At n = 100 (``benchmarks/results_factor.md``):
    tridiagonal 2.4 us (23 densely), bandwidth 10 8.4 us (23), dense 24 us.

    A plain loop rather than LAPACK so that it runs allocation-free inside batched
    (prange) code and reports failure instead of raising.
    """
    if envelope_pays(A):
        return _cholesky_envelope(A, tau, L)
    return _cholesky_columns(A, tau, L)


@jit_borrow
def envelope_pays(A):
    """Whether factoring A row by row over its envelope costs less than densely.

    Row by row, each of the envelope's E = sum_i (i - f_i) entries waits for the one
    before it (a row is a forward substitution): ~15 ns each, plus ~0.45 ns per
    multiply-add of their inner products, W = sum_i (i - f_i)^2 / 2; by columns, n^3 / 6
    multiply-adds at ~0.11 ns.  Fitted on ``benchmarks/bench_factor.py`` (n = 100 and 400,
    banded, arrow and dense matrices): the envelope pays when 34 E + W <= n^3 / 25.  A
    scan of A's lower triangle, vectorized."""
    n = A.shape[0]
    entries = 0
    work = 0
    for i in range(n):
        r = i - first_nonzero(A[i], i)
        entries += r
        work += r * r
    return 34 * entries + work // 2 <= n * n * n // 25


@jit_borrow
def _cholesky_columns(A, tau, L):
    """:func:`cholesky` column by column (left-looking).  The inner products of rows of
    L (:func:`rows_dot`, vectorized) for one column do not depend on each other, so they
    overlap: a dense n = 100 factor in 23 us (58 us as scalar loops)."""
    n = A.shape[0]
    for j in range(n):
        d = A[j, j] + tau - rows_dot(L, j, j, 0, j)
        if not d > 0.0:  # also catches NaN
            return False
        d = math.sqrt(d)
        L[j, j] = d
        for i in range(j + 1, n):
            L[i, j] = (A[i, j] - rows_dot(L, i, j, 0, j)) / d
    for i in range(n):
        L[i, i + 1:] = 0.0
    return True


@jit_borrow
def _cholesky_envelope(A, tau, L):
    """:func:`cholesky` row by row, each over its envelope [f_i, i]: the inner products
    start at f_i.  Each entry of a row waits for the one before it (a row is a forward
    substitution), so dense rows cost more than by columns (103 against 23 us at
    n = 100, ``benchmarks/results_factor.md``); a short envelope costs little."""
    n = A.shape[0]
    for i in range(n):
        f = first_nonzero(A[i], i)
        L[i, :f] = 0.0
        for j in range(f, i):
            L[i, j] = (A[i, j] - rows_dot(L, i, j, f, j)) / L[j, j]
        d = A[i, i] + tau - rows_dot(L, i, i, f, i)
        if not d > 0.0:  # also catches NaN
            return False
        L[i, i] = math.sqrt(d)
        L[i, i + 1:] = 0.0
    return True


@jit_borrow
def first_nonzero(a, m):
    """min {k < m : a[k] != 0} (m if there is none; a NaN counts as nonzero).

    A branch-free min reduction, which vectorizes: an early-exit scan was 5x slower on
    a tridiagonal matrix's rows (2.5 against 0.5 us at n = 100)."""
    f = m
    for k in range(m):
        f = min(f, k if a[k] != 0.0 else m)
    return f


@jit_reduce
def rows_dot(A, i, j, lo, hi):
    """sum_{lo <= k < hi} A[i, k] A[j, k]: a pure reduction, reassociated (as :func:`dot`)."""
    t = 0.0
    for k in range(lo, hi):
        t += A[i, k] * A[j, k]
    return t


@jit_borrow
def cholesky_solve(L, b, out):
    """Solve (L L^T) out = b (out may be b): forward substitution by rows of L
    (:func:`row_vec_dot`), then backward substitution by rows too, as updates of the
    remaining right-hand side (L^T's columns are L's rows: contiguous)."""
    n = b.size
    for i in range(n):
        out[i] = (b[i] - row_vec_dot(L, i, out, i)) / L[i, i]
    for i in range(n - 1, -1, -1):
        xi = out[i] / L[i, i]
        out[i] = xi
        for k in range(i):
            out[k] -= L[i, k] * xi


@jit_reduce
def row_vec_dot(A, i, v, m):
    """sum_{k < m} A[i, k] v[k]: a pure reduction, reassociated (as :func:`dot`)."""
    t = 0.0
    for k in range(m):
        t += A[i, k] * v[k]
    return t


@jit_borrow
def modified_cholesky_shift(A, beta, L):
    """Smallest tried tau >= 0 with A + tau I positive definite (N&W Alg. 3.3).

    tau starts at 0 when min a_ii > 0, else at beta - min a_ii, and doubles
    (at least to beta) until the Cholesky factorization succeeds.  L holds the
    factor on return.  Returns tau, or inf if A is not finite.
    """
    n = A.shape[0]
    amin = math.inf
    for i in range(n):
        if not math.isfinite(A[i, i]):
            return math.inf
        amin = min(amin, A[i, i])
    tau = 0.0 if amin > 0.0 else beta - amin
    for _ in range(200):
        if cholesky(A, tau, L):
            return tau
        tau = max(2.0 * tau, beta)
    return math.inf


@jit
def eigen_modified_direction(A, g, floor, absolute, out):
    """out = -V diag(1/mu) V^T g, with mu the eigenvalues of A modified.

    absolute=False: mu = max(lambda, delta) (eigenvalue floor, N&W §3.4).
    absolute=True:  mu = max(|lambda|, delta) (saddle-free Newton, Dauphin et al. 2014).
    delta = floor * max(1, max|lambda|).  Returns the smallest eigenvalue of A.
    """
    lam, V = np.linalg.eigh(A)
    n = g.size
    lmax = 1.0
    for i in range(n):
        lmax = max(lmax, abs(lam[i]))
    delta = floor * lmax
    for i in range(n):
        out[i] = 0.0
    for k in range(n):
        mu = abs(lam[k]) if absolute else lam[k]
        if mu < delta:
            mu = delta
        c = 0.0
        for i in range(n):
            c += V[i, k] * g[i]
        c /= mu
        for i in range(n):
            out[i] -= c * V[i, k]
    return lam[0]
