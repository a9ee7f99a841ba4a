"""L-BFGS direction by the compact representation of the inverse matrix, in two fused passes.

Byrd, Nocedal & Schnabel (1994), Thm 2.2 (N&W §7.2 gives the direct form, eq. 7.24):
with the k stored pairs in chronological order as columns of S and Y, H_k^0 = gamma I,
R the upper triangle of S^T Y (R_ij = s_i^T y_j, i <= j) and D = diag(s_i^T y_i),

    H_k = gamma I + [S  gamma Y] [ R^-T (D + gamma Y^T Y) R^-1   -R^-T ] [ S^T ]
                                 [ -R^-1                          0    ] [ Y^T ]

so with a = S^T g and b = Y^T g, w = R^-1 a and c = R^-T ((D + gamma Y^T Y) w - gamma b),

    -H_k g = -(gamma g + S c - gamma Y w).

Why: the two-loop recursion (Alg. 7.4) reads S and Y twice too, but also reads and
writes its n-vector 4m more times.  Here one pass reads S, Y and g once for all 2m dot
products (:func:`_first_chunks`, added up by :func:`_combine`), an O(m^2) triangular pair
of solves gives c and w, and one pass reads S, Y and g and writes the direction once
(:func:`second_pass`).  Both passes
go over the columns in blocks of :data:`BLOCK` so that the block of g (and of the output)
stays in cache while the 2m rows stream past.

S and Y have m + 1 rows, a circular buffer that always has a free row after the newest
pair (:func:`next_row`): the line-search loop writes the next pair straight into it
(``_engine/ls_driver.py``'s ``pair`` component), and :func:`push` then only moves ``head`` (at
n = 10^6 the copy was 4 passes over 8 MB vectors, 1.2 ms per iteration).  A pair the
curvature guard skips is simply overwritten by the next one.

S^T Y and Y^T Y are kept as full (m + 1, m + 1) matrices indexed by buffer row.  A new pair's row
and column (s_new^T y_i, s_i^T y_new, y_new^T y_i for every stored i) are not computed when
it is pushed but in the next first pass, which reads every row anyway: no extra
pass over S and Y (``pending``).

Threads: each pass splits n into ``chunks.NCHUNK`` fixed chunks whose partial sums are added
in chunk order, so the result does not depend on how many threads run the chunks.
:func:`direction` runs them one after the other; :func:`direction_threads` (lbfgs option
``parallel``, its own compiled entry, so serial users compile no parallel code) runs them
under ``prange``, with the same bits.  At n = 10^6, m = 10 on the 2-core development
machine, quiet: both passes 22.8 ms serial, 11.5 ms on two threads
(benchmarks/results_large.md).
"""
import numpy as np
from numba import prange

from .._engine import kernels as K
from .._engine.chunks import NCHUNK
from .._engine.config import dual, jit, jit_borrow, jit_parallel, jit_reduce

#: columns per block: g, s_new, y_new blocks (3 x 32 KB) stay in L1/L2 while S, Y stream
BLOCK = 4096
#: rows of ``acc`` (the first pass): S^T g, Y^T g, s_new^T Y, S^T y_new, y_new^T Y
A_SG, A_YG, A_SNY, A_SYN, A_YNY = 0, 1, 2, 3, 4


@jit_borrow
def chronological(head, count, slots, rows):
    """rows[0:count] = buffer rows from the oldest pair to the newest (row ``head``) of a
    buffer of ``slots`` rows."""
    for k in range(count):
        rows[k] = (head - count + 1 + k) % slots


@jit_borrow
def next_row(head, slots):
    """The buffer row the next pair goes to: never a stored pair's (count < slots)."""
    return (head + 1) % slots


@jit_borrow
def is_row(v, A, r):
    """v is row r of A itself (the same memory), not a copy."""
    return v.ctypes.data == A[r].ctypes.data


@jit_reduce
def _dots_block(g, S, Y, rows, count, h, pending, j0, j1, acc):
    """acc[:, r] += this block's share of every dot product of row r (pure reductions:
    reassociated so that LLVM vectorizes them, as ``kernels.dot``).

    Every loop here runs over views from index 0: with ``range(j0, j1)`` LLVM cannot
    prove the index non-negative, keeps numba's negative-index wraparound in the loop
    and does not vectorize it (measured 2.5x slower)."""
    gb = g[j0:j1]
    sh = S[h, j0:j1]
    yh = Y[h, j0:j1]
    for k in range(count):
        r = rows[k]
        sr = S[r, j0:j1]
        yr = Y[r, j0:j1]
        sg = 0.0
        yg = 0.0
        if pending:
            sny = 0.0
            syn = 0.0
            yny = 0.0
            for i in range(gb.size):
                si = sr[i]
                yi = yr[i]
                sg += si * gb[i]
                yg += yi * gb[i]
                sny += sh[i] * yi
                syn += si * yh[i]
                yny += yh[i] * yi
            acc[A_SNY, r] += sny
            acc[A_SYN, r] += syn
            acc[A_YNY, r] += yny
        else:
            for i in range(gb.size):
                sg += sr[i] * gb[i]
                yg += yr[i] * gb[i]
        acc[A_SG, r] += sg
        acc[A_YG, r] += yg


@jit_borrow
def _first_chunk(c, g, g_seen, S, Y, rows, count, h, pending, acc, moved):
    """Chunk c of the first pass (:func:`_first_chunks`): block by block over its columns."""
    n = g.size
    lo = c * n // NCHUNK
    hi = (c + 1) * n // NCHUNK
    for r in range(acc.shape[1]):
        for q in range(acc.shape[0]):
            acc[q, r] = 0.0
    mv = False
    for j0 in range(lo, hi, BLOCK):
        j1 = min(j0 + BLOCK, hi)
        if K.g_moved(g, g_seen, j0, j1):
            mv = True
        _dots_block(g, S, Y, rows, count, h, pending, j0, j1, acc)
    moved[c] = mv


@jit_borrow
def _out_chunk(c, g, S, Y, rows, count, gamma, cs, ds, out):
    """Chunk c of :func:`second_pass`: out = -(gamma g + S cs + Y ds), block by block so
    that the block of out stays in cache while the rows are added, two pairs at a time
    (half the loads and stores of out; measured 1 ms of 10 at n = 10^6).  Elementwise, in
    a fixed order: no reassociation, the result does not depend on memory layout."""
    n = g.size
    lo = c * n // NCHUNK
    hi = (c + 1) * n // NCHUNK
    for j0 in range(lo, hi, BLOCK):
        j1 = min(j0 + BLOCK, hi)
        gb = g[j0:j1]
        ob = out[j0:j1]
        for i in range(gb.size):
            ob[i] = -gamma * gb[i]
        k = 0
        while k + 1 < count:
            s0 = S[rows[k], j0:j1]
            y0 = Y[rows[k], j0:j1]
            s1 = S[rows[k + 1], j0:j1]
            y1 = Y[rows[k + 1], j0:j1]
            c0 = cs[k]
            d0 = ds[k]
            c1 = cs[k + 1]
            d1 = ds[k + 1]
            for i in range(ob.size):
                ob[i] -= (c0 * s0[i] + d0 * y0[i]) + (c1 * s1[i] + d1 * y1[i])
            k += 2
        if k < count:
            r = rows[k]
            sr = S[r, j0:j1]
            yr = Y[r, j0:j1]
            ck = cs[k]
            dk = ds[k]
            for i in range(ob.size):
                ob[i] -= ck * sr[i] + dk * yr[i]


@jit_borrow
def _first_chunks(g, g_seen, S, Y, rows, count, h, pending, acc, moved):
    """The first pass, chunk after chunk: partial sums into ``acc[c]``, g into g_seen."""
    for c in range(NCHUNK):
        _first_chunk(c, g, g_seen, S, Y, rows, count, h, pending, acc[c], moved)


@jit_parallel
def _first_chunks_threads(g, g_seen, S, Y, rows, count, h, pending, acc, moved):
    """:func:`_first_chunks` with the chunks on numba's threads (each writes only its own
    ``acc[c]`` and ``moved[c]``)."""
    for c in prange(NCHUNK):
        _first_chunk(c, g, g_seen, S, Y, rows, count, h, pending, acc[c], moved)


@jit_borrow
def _combine(SY, YY, rows, count, h, pending, acc, moved, a, b):
    """The chunks' partial sums added in chunk order (deterministic for any thread count):
    a, b and, with ``pending``, row and column h of S^T Y and Y^T Y."""
    mv = False
    for c in range(NCHUNK):
        mv = mv or moved[c] != 0
    for k in range(count):
        r = rows[k]
        sg = 0.0
        yg = 0.0
        for c in range(NCHUNK):              # fixed order: deterministic
            sg += acc[c, A_SG, r]
            yg += acc[c, A_YG, r]
        a[k] = sg
        b[k] = yg
        if pending:
            sny = 0.0
            syn = 0.0
            yny = 0.0
            for c in range(NCHUNK):
                sny += acc[c, A_SNY, r]
                syn += acc[c, A_SYN, r]
                yny += acc[c, A_YNY, r]
            if r != h:                       # keep the diagonal D from the skip test
                SY[h, r] = sny
                SY[r, h] = syn
            YY[h, r] = yny
            YY[r, h] = yny
    return mv


@jit_borrow
def middle_solve(SY, YY, rows, count, gamma, a, b, w, cs, ds):
    """The m x m part: w = R^-1 a, c = R^-T ((D + gamma Y^T Y) w - gamma b) (BNS 1994
    Thm 2.2); cs = c, ds = -gamma w, so that -H_k g = -(gamma g + S cs + Y ds)."""
    for k in range(count - 1, -1, -1):       # back substitution, R upper triangular
        t = a[k]
        rk = rows[k]
        for j in range(k + 1, count):
            t -= SY[rk, rows[j]] * w[j]
        w[k] = t / SY[rk, rk]
    for k in range(count):                   # forward substitution with R^T
        rk = rows[k]
        t = SY[rk, rk] * w[k] - gamma * b[k]
        for j in range(count):
            t += gamma * YY[rk, rows[j]] * w[j]
        for j in range(k):
            t -= SY[rows[j], rk] * cs[j]
        cs[k] = t / SY[rk, rk]
    for k in range(count):
        ds[k] = -gamma * w[k]


@jit_borrow
def second_pass(g, S, Y, rows, count, gamma, cs, ds, out):
    """out = -(gamma g + sum_k cs_k s_k + ds_k y_k): one read of S, Y, g, one write."""
    for c in range(NCHUNK):
        _out_chunk(c, g, S, Y, rows, count, gamma, cs, ds, out)


@jit_parallel
def _second_pass_threads(g, S, Y, rows, count, gamma, cs, ds, out):
    """:func:`second_pass` with the chunks (disjoint slices of out) on numba's threads."""
    for c in prange(NCHUNK):
        _out_chunk(c, g, S, Y, rows, count, gamma, cs, ds, out)


@jit_borrow
def products(S, Y, SY, YY, rows, count, h):
    """The new pair's row and column of S^T Y and Y^T Y (row h) by themselves: for a
    second push before any direction (the driver never does that; kept correct anyway)."""
    for k in range(count):
        r = rows[k]
        sny = 0.0
        syn = 0.0
        yny = 0.0
        for i in range(S.shape[1]):
            sny += S[h, i] * Y[r, i]
            syn += S[r, i] * Y[h, i]
            yny += Y[h, i] * Y[r, i]
        if r != h:
            SY[h, r] = sny
            SY[r, h] = syn
        YY[h, r] = yny
        YY[r, h] = yny


@jit_borrow
def push(S, Y, SY, YY, rows, head, count, pending, s, y, sy):
    """Store (s, y) as the newest pair with D entry s^T y = ``sy``; returns the new
    (head, count <= m = S.shape[0] - 1).  When s and y are already the rows
    :func:`next_row` (written there by the driver) nothing is copied.  Its products with
    the other pairs are left pending for the next first pass (the caller sets
    ``pending``)."""
    slots = S.shape[0]
    if pending and count > 0:
        chronological(head, count, slots, rows)
        products(S, Y, SY, YY, rows, count, head)
    head = next_row(head, slots)
    if not is_row(s, S, head):
        for i in range(s.size):
            S[head, i] = s[i]
    if not is_row(y, Y, head):
        for i in range(y.size):
            Y[head, i] = y[i]
    SY[head, head] = sy
    return head, min(count + 1, slots - 1)


@dual(inline=True)
def _direction(first_chunks, out_pass, g, g_seen, S, Y, SY, YY, head, count, pending, gamma,
               reset_pending, rows, acc, moved, coef, out):
    """:func:`direction`, its two passes' chunks run by ``first_chunks`` and ``out_pass``
    (serial, or on threads)."""
    chronological(head, count, S.shape[0], rows)
    a, b, w, cs, ds = coef[0], coef[1], coef[2], coef[3], coef[4]
    pending = pending and count > 0
    first_chunks(g, g_seen, S, Y, rows, count, head, pending, acc, moved)
    mv = _combine(SY, YY, rows, count, head, pending, acc, moved, a, b)
    if mv and reset_pending:
        gamma = 1.0
    middle_solve(SY, YY, rows, count, gamma, a, b, w, cs, ds)
    out_pass(g, S, Y, rows, count, gamma, cs, ds, out)
    return gamma


@jit_borrow
def direction(g, g_seen, S, Y, SY, YY, head, count, pending, gamma, reset_pending, rows, acc,
              moved, coef, out):
    """out = -H_k g by the compact form; returns the gamma used: 1 instead of ``gamma``
    when a reset is pending and g changed since the last direction (a step was taken:
    the lbfgs rule, see ``methods/lbfgs.py``).  ``coef`` (5, m) is workspace."""
    return _direction(_first_chunks, second_pass, g, g_seen, S, Y, SY, YY, head, count,
                      pending, gamma, reset_pending, rows, acc, moved, coef, out)


@jit
def direction_threads(g, g_seen, S, Y, SY, YY, head, count, pending, gamma, reset_pending,
                      rows, acc, moved, coef, out):
    """:func:`direction` with both passes' chunks on numba's threads (lbfgs option
    ``parallel``): the same chunks, added in the same order, so the same bits."""
    return _direction(_first_chunks_threads, _second_pass_threads, g, g_seen, S, Y, SY, YY,
                      head, count, pending, gamma, reset_pending, rows, acc, moved, coef, out)


def workspace_arrays(m, n):
    """(S, Y, SY, YY, rows, acc, moved, coef) for m pairs of n-vectors (S and Y with the
    free row: m + 1 rows, uninitialized: only stored rows are read, and zeroing them cost
    74 ms per run at n = 10^6), plain NumPy, for Python callers (tests, benchmarks).
    Compiled callers use :func:`workspace`; once, a cache-loaded compiled ``workspace``
    called from Python failed to box its int64 arrays (numba: "'descr' is NULL"), so
    Python does not go through it."""
    slots = m + 1
    return (np.empty((slots, n)), np.empty((slots, n)), np.zeros((slots, slots)),
            np.zeros((slots, slots)), np.zeros(m, np.int64), np.zeros((NCHUNK, 5, slots)),
            np.zeros(NCHUNK, np.int64), np.zeros((5, m)))


#: :func:`workspace_arrays` compiled, for ``methods/_lbfgs_variants.py``'s ``init_compact``
workspace = jit(workspace_arrays)
