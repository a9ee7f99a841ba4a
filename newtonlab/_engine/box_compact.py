"""The compact limited-memory matrix of L-BFGS-B, kept up to date and factored, not inverted.

Byrd, Nocedal & Schnabel (1994), "Representations of quasi-Newton matrices and their use in
limited memory methods", Math. Prog. 63 (below: BNS), and Byrd, Lu, Nocedal & Zhu (1995)
(below: BLNZ).  With the k stored pairs, oldest first (BLNZ eqs. 3.2-3.4; N&W eq. 7.24),

    B = theta I - W M W^T,   W = [Y, theta S]  (n x 2k),
    M^{-1} = K = [[-D, L^T], [L, theta S^T S]]  (2k x 2k),

D = diag(s_i^T y_i), L_ij = s_i^T y_j for i > j.  M is never formed.  Eliminating the
(1, 1) block of K leaves the Schur complement (BNS §3; as L-BFGS-B's own ``formt``)

    T = theta S^T S + L D^{-1} L^T   (k x k, positive definite when D > 0 and S has full rank),

so one Cholesky factor T = J J^T of a k x k matrix per iteration replaces the inverse of a
2k x 2k one, and M v costs two triangular solves (:func:`bmv`).

The small matrices are held oldest pair first and shifted by one when the oldest pair
leaves (the Fortran code's ``matupd``: O(m^2), against O(m n) for the new row); S and Y
stay in circular (m, n) buffers, pair j (oldest first) in row (head - k + 1 + j) mod m.
Besides S^T Y and S^T S, :func:`push_pair` keeps the blocks of the subspace step's reduced
matrix (``box.reduced``; the Fortran code's ``formk``), sums over the free set Z or the
fixed set A of the last subspace step, ``zprev``:

    WN[:m, :m]   lower:  Y^T Z Z^T Y
    WN[m:, :m]   full:   S^T A A^T Y below the diagonal, S^T Z Z^T Y on and above it
    WN[m:, m:]   lower:  S^T A A^T S

and :func:`update_free` moves the variables whose set changed, O(m^2) each, so the
O(n m^2) sums are never formed again while the free set changes little.

Loops only (no slice assignment, no BLAS): see docs/design.md.
"""
import math

import numpy as np

from .config import jit_borrow

#: offsets passed to the helpers below are int64 values, never a literal 0: numba compiles
#: a separate specialization for each literal argument (seconds of first-run compile)


@jit_borrow
def push_pair(S, Y, SY, SS, WN, zprev, head, count, s, y):
    """Store (s, y) as the newest pair and give it its row and column of SY (S^T Y), SS
    (S^T S, lower triangle) and the free-set blocks WN (sums over zprev, see the module
    docstring), in one pass over n per stored pair; returns (head, count)."""
    m = S.shape[0]
    n = s.size
    head = head + 1 if head + 1 < m else 0
    for i in range(n):
        S[head, i] = s[i]
        Y[head, i] = y[i]
    if count == m:
        # the oldest pair leaves: every kept matrix moves up and left by one
        for a in range(m - 1):
            for b in range(m - 1):
                SY[a, b] = SY[a + 1, b + 1]
                WN[m + a, b] = WN[m + a + 1, b + 1]
            for b in range(a + 1):
                SS[a, b] = SS[a + 1, b + 1]
                WN[a, b] = WN[a + 1, b + 1]
                WN[m + a, m + b] = WN[m + a + 1, m + b + 1]
    else:
        count += 1
    k = count
    a = k - 1                              # the new pair, newest: L's row, U's column
    o = head - a
    if o < 0:
        o += m
    for b in range(k):
        rb = o + b if o + b < m else o + b - m
        sy_ab = 0.0                        # s_a^T y_b: SY, and its A part (L_A, b < a)
        sy_ab_a = 0.0
        sy_ba = 0.0                        # s_b^T y_a: SY, and its Z part (U_Z, b <= a)
        sy_ba_z = 0.0
        ss_ab = 0.0
        ss_ab_a = 0.0
        yy_ab_z = 0.0
        for i in range(n):
            p1 = s[i] * Y[rb, i]
            p2 = S[rb, i] * y[i]
            p3 = s[i] * S[rb, i]
            sy_ab += p1
            sy_ba += p2
            ss_ab += p3
            if zprev[i] != 0:
                sy_ba_z += p2
                yy_ab_z += y[i] * Y[rb, i]
            else:
                sy_ab_a += p1
                ss_ab_a += p3
        SY[a, b] = sy_ab
        SY[b, a] = sy_ba
        SS[a, b] = ss_ab
        WN[a, b] = yy_ab_z
        WN[m + a, m + b] = ss_ab_a
        WN[m + b, a] = sy_ba_z
        if b < a:
            WN[m + a, b] = sy_ab_a
    return head, count


@jit_borrow
def update_free(S, Y, head, count, WN, zprev, free, ya, sa):
    """Bring the blocks WN from the set ``zprev`` to ``free`` (1: in Z), then zprev <- free.
    Each variable that changed set is taken out of the sums of its old set and added to
    those of its new one (O(k^2) each); when at least half of the n variables changed, the
    blocks are summed again from zero instead (n additions: no more work, and it drops the
    rounding of the updates).  ``ya``, ``sa`` (m): workspace."""
    m = S.shape[0]
    n = free.size
    k = count
    changed = 0
    for i in range(n):
        if (free[i] != 0) != (zprev[i] != 0):
            changed += 1
    rebuild = 2 * changed >= n
    if k > 0 and changed > 0:
        if rebuild:
            for a in range(k):
                for b in range(k):
                    WN[a, b] = 0.0
                    WN[m + a, b] = 0.0
                    WN[m + a, m + b] = 0.0
        o = head - k + 1
        if o < 0:
            o += m
        for i in range(n):
            now = free[i] != 0
            if not rebuild and now == (zprev[i] != 0):
                continue
            for a in range(k):
                r = o + a if o + a < m else o + a - m
                ya[a] = Y[r, i]
                sa[a] = S[r, i]
            # the weights of i's terms in the sums over Z and over A: +1 into its new set,
            # -1 out of its old one (nothing to take out when the sums start from zero)
            if rebuild:
                wz = 1.0 if now else 0.0
                wa = 1.0 - wz
            else:
                wz = 1.0 if now else -1.0
                wa = -wz
            for a in range(k):
                if wz != 0.0:
                    for b in range(a + 1):
                        WN[a, b] += wz * ya[a] * ya[b]             # Y^T Z Z^T Y
                    for b in range(a, k):
                        WN[m + a, b] += wz * sa[a] * ya[b]         # S^T Z Z^T Y, on and above
                if wa != 0.0:
                    for b in range(a + 1):
                        WN[m + a, m + b] += wa * sa[a] * sa[b]     # S^T A A^T S
                    for b in range(a):
                        WN[m + a, b] += wa * sa[a] * ya[b]         # S^T A A^T Y, below
    for i in range(n):
        zprev[i] = free[i]


@jit_borrow
def chol(A, o, k):
    """A[o:o+k, o:o+k] <- its lower Cholesky factor F, in place, with 1 / F_jj in place of
    F_jj: the triangular solves then multiply, and a chain of dependent divisions (the
    solves' critical path) becomes one of multiplications.  The strict upper part is not
    read and is left as it was.  False if the block is not positive definite to working
    precision (a non-positive or NaN pivot)."""
    for j in range(o, o + k):
        dj = A[j, j]
        for l in range(o, j):
            dj -= A[j, l] * A[j, l]
        if not dj > 0.0:
            return False
        rj = 1.0 / math.sqrt(dj)
        A[j, j] = rj
        for i in range(j + 1, o + k):
            acc = A[i, j]
            for l in range(o, j):
                acc -= A[i, l] * A[j, l]
            A[i, j] = acc * rj
    return True


@jit_borrow
def fsolve(A, o, k, b, q):
    """b[q:q+k] <- F^{-1} b[q:q+k], F the factor of :func:`chol` in A[o:o+k, o:o+k]."""
    for i in range(k):
        acc = b[q + i]
        for l in range(i):
            acc -= A[o + i, o + l] * b[q + l]
        b[q + i] = acc * A[o + i, o + i]


@jit_borrow
def bsolve(A, o, k, b, q):
    """b[q:q+k] <- F^{-T} b[q:q+k], F the factor of :func:`chol` in A[o:o+k, o:o+k]."""
    for i in range(k - 1, -1, -1):
        acc = b[q + i]
        for l in range(i + 1, k):
            acc -= A[o + l, o + i] * b[q + l]
        b[q + i] = acc * A[o + i, o + i]


@jit_borrow
def compact(S, Y, SY, SS, head, count, theta, W, LD, J):
    """The compact form of the k = count stored pairs, oldest first (column/row j of each
    output is pair j):

    * W[:, :2k] = [Y, theta S];
    * LD[:k, :k] lower triangle = S^T Y's: L below the diagonal, D on it; above it,
      LD[j, a] = L_aj / D_j (j < a): L D^{-1} once, so that no loop divides;
    * J[:k, :k] lower triangle = the Cholesky factor of T = theta S^T S + L D^{-1} L^T
      (:func:`chol`: reciprocals on the diagonal).

    O(n k) for W, O(k^3) for T and J, nothing allocated.  Returns False if T is not
    positive definite to working precision (the loop then forgets the pairs, as the
    Fortran code refreshes its memory when ``formt`` fails)."""
    m = S.shape[0]
    k = count
    n = W.shape[0]
    o = head - k + 1
    if o < 0:
        o += m
    for i in range(n):                     # row by row: W's rows are what the kernels read
        for j in range(k):
            r = o + j if o + j < m else o + j - m      # no integer division in the loops
            W[i, j] = Y[r, i]
            W[i, k + j] = theta * S[r, i]
    for a in range(k):
        for b in range(a + 1):
            LD[a, b] = SY[a, b]
    for a in range(k):
        for b in range(a):
            LD[b, a] = LD[a, b] / LD[b, b]
    for a in range(k):
        for b in range(a + 1):
            acc = theta * SS[a, b]
            for j in range(b):             # L_aj L_bj / D_j, j < b <= a
                acc += LD[a, j] * LD[j, b]
            J[a, b] = acc
    return chol(J, np.int64(0), k)


@jit_borrow
def bmv(LD, J, k, v, out):
    """out[:2k] = M v[:2k], M = [[-D, L^T], [L, theta S^T S]]^{-1}, from the factors of
    :func:`compact`: with v = (v1, v2) and u = (u1, u2) = M v (block elimination of K u = v),

        T u2 = v2 + L D^{-1} v1,      u1 = D^{-1} (L^T u2 - v1).

    ``out`` may be ``v`` itself (each entry of v1 is read before out[a] is written)."""
    for a in range(k):
        acc = v[k + a]
        for j in range(a):
            acc += LD[j, a] * v[j]         # (L D^{-1})_aj v1_j
        out[k + a] = acc
    z0 = np.int64(0)
    fsolve(J, z0, k, out, k)
    bsolve(J, z0, k, out, k)
    for a in range(k):
        acc = -v[a]
        for j in range(a + 1, k):
            acc += LD[j, a] * out[k + j]
        out[a] = acc / LD[a, a]
