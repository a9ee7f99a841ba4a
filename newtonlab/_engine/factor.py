"""Factorizations of dense symmetric matrices, for Newton-type directions.

Cholesky (left-looking over A's envelope: O(n b^2) on a band of width b) and its
solve, the shift of N&W Alg. 3.3 that makes A + tau I positive definite, and the
eigenvalue-modified direction of §3.4 and of saddle-free Newton.  Leaf kernels, as
``kernels.py``'s: arrays and scalars in and out, each with a NumPy oracle in
``tests/test_kernels.py``.
"""
import math

import numpy as np

from .config import jit, jit_borrow, jit_reduce, logic


@jit_borrow
def cholesky(A, tau, L):
    """Lower Cholesky factor of A + tau I into L (zeros above the diagonal); returns False
    if it is not positive definite.  Reads A's lower triangle only.

    Left-looking (column by column) over A's envelope.  With f_i the column of the first
    nonzero in A[i, :i], L[i, :f_i] = 0 (a factor has no fill outside the envelope: George
    & Liu 1981, ch. 4), so column j has entries only in rows i > j with f_i <= j, up to
    the last such row r_j, each an inner product of two rows of L over the columns
    k >= max(f_i, f_j) (:func:`rows_dot_from`).  Over a band of width b that is O(n b^2)
    work after an O(n^2) scan; a full envelope takes the dense loop (:func:`rows_dot`).
    The inner products of one column do not depend on each other, so they overlap (row
    by row, each waits for the one before: 5x slower on dense rows).  At n = 100
    (``benchmarks/results_factor.md``): tridiagonal 2.6 us, bandwidth 10 4.6 us, dense
    20 us (58 with scalar inner products).  Both loops in one function: every compiled
    helper adds to its callers' compile time (helpers by path cost 0.5 s more).

    Bookkeeping without allocation (it runs inside batched prange code): f_i waits in
    L's diagonal until column i overwrites it, and r_j in L[j, n - 1], above the diagonal,
    zeroed at the end; both are always integers (a NaN in A counts as nonzero for f_i).
    L is unspecified after False.  A plain loop rather than LAPACK, which raises instead
    of reporting failure.
    """
    n = A.shape[0]
    last = n - 1
    starts = 0
    for i in range(n):
        f = first_nonzero(A[i], i)
        starts += f
        Li = L[i]
        for k in range(np.uint64(f)):       # (unsigned: no negative-index wraparound,
            Li[k] = 0.0                     # so the loop vectorizes)
        Li[i] = f
        if i < last:
            Li[last] = i                    # r_i >= i
    if starts == 0:
        # a full envelope: the dense loop, inner products from column 0 (a signed index
        # known to start at 0 vectorizes best: rows_dot_from is 10% slower at n = 400)
        for j in range(n):
            d = A[j, j] + tau - rows_dot(L, j, j, j)
            if not 0.0 < d < math.inf:      # NaN, and overflow to inf, too
                return False
            d = math.sqrt(d)
            L[j, j] = d
            for i in range(j + 1, n):
                L[i, j] = (A[i, j] - rows_dot(L, i, j, j)) / d
    else:
        for i in range(1, n):               # r_f >= i for f = f_i ...
            f = int(L[i, i])
            if f < last and L[f, last] < i:
                L[f, last] = i
        for j in range(1, last):            # ... and r_j is their running maximum
            L[j, last] = max(L[j, last], L[j - 1, last])
        for j in range(n):
            fj = int(L[j, j])
            d = A[j, j] + tau - rows_dot_from(L, j, j, fj, j)
            if not 0.0 < d < math.inf:      # NaN, and overflow to inf, too
                return False
            d = math.sqrt(d)
            rj = int(L[j, last]) if j < last else j
            L[j, j] = d
            for i in range(j + 1, rj + 1):
                fi = int(L[i, i])
                if fi <= j:
                    L[i, j] = (A[i, j] - rows_dot_from(L, i, j, max(fi, fj), j)) / d
    for i in range(n):
        Li = L[i]
        for k in range(np.uint64(i + 1), np.uint64(n)):
            Li[k] = 0.0
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
def rows_dot(A, i, j, m):
    """sum_{k < m} A[i, k] A[j, k]: a pure reduction, reassociated (as :func:`dot`)."""
    t = 0.0
    for k in range(m):
        t += A[i, k] * A[j, k]
    return t


@jit_reduce
def rows_dot_from(A, i, j, lo, hi):
    """sum_{lo <= k < hi} A[i, k] A[j, k], reassociated.  Unsigned k: with a signed index
    numba adds negative-index wraparound, which kept the loop scalar for any lo not known
    to be 0 (5x slower)."""
    t = 0.0
    for k in range(np.uint64(lo), np.uint64(hi)):
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


@logic
def modified_cholesky_shift(A, beta, L):
    """Smallest tried tau >= 0 with A + tau I positive definite (N&W Alg. 3.3).

    tau starts at 0 when min a_ii > 0, else at beta - min a_ii, and doubles
    (at least to beta) until the Cholesky factorization succeeds.  L holds the
    factor on return.  Returns tau, or inf if A is not finite.  (``config.logic``: run
    interpreted, it compiles only its kernels.)
    """
    amin = _diagonal_min(A)
    if math.isnan(amin):
        return math.inf
    tau = 0.0 if amin > 0.0 else beta - amin
    for _ in range(200):
        if cholesky(A, tau, L):
            return tau
        tau = max(2.0 * tau, beta)
    return math.inf


@jit_borrow
def _diagonal_min(A):
    """min a_ii, or NaN if a diagonal entry is not finite."""
    amin = math.inf
    for i in range(A.shape[0]):
        if not math.isfinite(A[i, i]):
            return math.nan
        amin = min(amin, A[i, i])
    return amin


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
