"""Kernels of L-BFGS-B (box constraints l <= x <= u), compiled, arrays and scalars only.

Byrd, Lu, Nocedal & Zhu (1995), "A limited memory algorithm for bound constrained
optimization", SIAM J. Sci. Comput. 16(5) (below: BLNZ).  The limited-memory BFGS
matrix is held in the compact form (BLNZ eqs. 3.2-3.4; N&W eq. 7.24)

    B = theta I - W M W^T,   W = [Y, theta S]  (n x 2k),
    M = [[-D, L^T], [L, theta S^T S]]^{-1}     (2k x 2k),

with S, Y the k stored pairs (oldest first), D = diag(s_i^T y_i), L_ij = s_i^T y_j for
i > j (strictly lower), theta = y^T y / s^T y of the newest pair (1 with no pairs).

* :func:`cauchy`: the generalized Cauchy point, the first local minimizer of the model
  m(x + z) = g^T z + z^T B z / 2 along the projected steepest-descent path
  P(x - t g) (BLNZ §4, Algorithm CP, eqs. 4.1-4.10; f'' guarded as the Fortran code).
* :func:`subspace`: the direct primal method of BLNZ §5.1: the model minimized over the
  free variables at the Cauchy point (eqs. 5.4-5.7, with B's reduced inverse by
  Sherman-Morrison-Woodbury, eq. 5.11), then the backtrack into the box (eq. 5.8).
* :func:`middle`: W and M for the current memory; :func:`push_pair` keeps S^T Y and
  S^T S up to date as pairs enter the circular buffer (O(m n) per pair).
* :func:`project`, :func:`proj_grad_norm` (||P(x - g) - x||_inf, the stopping test,
  scipy's pgtol), :func:`max_step` (the longest step along d inside the box).

Loops only (no slice assignment, no BLAS): see docs/design.md.
"""
import math

import numpy as np

from . import kernels as K
from .config import jit

EPS = 2.220446049250313e-16


@jit
def project(x, lb, ub):
    """x <- P(x), the projection onto [lb, ub], in place."""
    for i in range(x.size):
        if x[i] < lb[i]:
            x[i] = lb[i]
        elif x[i] > ub[i]:
            x[i] = ub[i]


@jit
def proj_grad_norm(x, g, lb, ub):
    """||P(x - g) - x||_inf (BLNZ §6; L-BFGS-B's projected gradient test)."""
    r = 0.0
    for i in range(x.size):
        v = x[i] - g[i]
        if v < lb[i]:
            v = lb[i]
        elif v > ub[i]:
            v = ub[i]
        a = abs(v - x[i])
        if not a <= r:          # NaN propagates
            r = a
    return r


@jit
def max_step(x, d, lb, ub):
    """The largest alpha with lb <= x + alpha d <= ub (inf when d meets no bound)."""
    a = math.inf
    for i in range(x.size):
        if d[i] > 0.0 and ub[i] < math.inf:
            a = min(a, max(ub[i] - x[i], 0.0) / d[i])
        elif d[i] < 0.0 and lb[i] > -math.inf:
            a = min(a, max(x[i] - lb[i], 0.0) / -d[i])
    return max(a, 0.0)


@jit
def active_count(x, lb, ub):
    """Variables at a bound."""
    c = 0
    for i in range(x.size):
        if x[i] <= lb[i] or x[i] >= ub[i]:
            c += 1
    return c


@jit
def push_pair(S, Y, SY, SS, head, count, s, y):
    """Store (s, y) as the newest pair of the circular buffers and update
    SY[a, b] = S[a]^T Y[b], SS[a, b] = S[a]^T S[b] for the stored rows; returns
    (head, count)."""
    m = S.shape[0]
    head = (head + 1) % m
    for i in range(s.size):
        S[head, i] = s[i]
        Y[head, i] = y[i]
    count = min(count + 1, m)
    for j in range(count):
        r = (head - j + m) % m
        SY[head, r] = K.dot(S[head], Y[r])
        SY[r, head] = K.dot(S[r], Y[head])
        v = K.dot(S[head], S[r])
        SS[head, r] = v
        SS[r, head] = v
    return head, count


@jit
def gauss_solve(A, b, nn):
    """Solve A[:nn, :nn] z = b[:nn] in place (b <- z; A destroyed) by Gaussian elimination
    with partial pivoting; False if A is singular to working precision."""
    scale = 0.0
    for i in range(nn):
        for j in range(nn):
            scale = max(scale, abs(A[i, j]))
    for col in range(nn):
        piv = col
        for r in range(col + 1, nn):
            if abs(A[r, col]) > abs(A[piv, col]):
                piv = r
        if not abs(A[piv, col]) > EPS * scale * nn:
            return False
        if piv != col:
            for j in range(nn):
                t = A[col, j]
                A[col, j] = A[piv, j]
                A[piv, j] = t
            t = b[col]
            b[col] = b[piv]
            b[piv] = t
        for r in range(col + 1, nn):
            f = A[r, col] / A[col, col]
            if f != 0.0:
                for j in range(col, nn):
                    A[r, j] -= f * A[col, j]
                b[r] -= f * b[col]
    for i in range(nn - 1, -1, -1):
        acc = b[i]
        for j in range(i + 1, nn):
            acc -= A[i, j] * b[j]
        b[i] = acc / A[i, i]
    return True


@jit
def middle(S, Y, SY, SS, head, count, theta, W, M, A, e):
    """W = [Y, theta S] (columns 0..2k-1, oldest pair first) and M = the inverse of
    [[-D, L^T], [L, theta S^T S]] (BLNZ eq. 3.4) into M[:2k, :2k]; A, e: workspace
    (2m x 2m, 2m).  Returns False if the middle matrix is singular."""
    m = S.shape[0]
    k = count
    n = W.shape[0]
    for j in range(k):
        r = (head - k + 1 + j + m) % m
        for i in range(n):
            W[i, j] = Y[r, i]
            W[i, k + j] = theta * S[r, i]
    nc = 2 * k
    for col in range(nc):
        for a in range(k):
            ra = (head - k + 1 + a + m) % m
            for b in range(k):
                rb = (head - k + 1 + b + m) % m
                # rows/cols a < k: the Y block; >= k: the S block
                A[a, b] = -SY[ra, ra] if a == b else 0.0
                A[a, k + b] = SY[rb, ra] if b > a else 0.0       # L^T
                A[k + a, b] = SY[ra, rb] if a > b else 0.0       # L
                A[k + a, k + b] = theta * SS[ra, rb]
        for i in range(nc):
            e[i] = 1.0 if i == col else 0.0
        if not gauss_solve(A, e, nc):
            return False
        for i in range(nc):
            M[i, col] = e[i]
    return True


@jit
def _mv(M, v, nc, out):
    for i in range(nc):
        acc = 0.0
        for j in range(nc):
            acc += M[i, j] * v[j]
        out[i] = acc


@jit
def _wdot(W, i, v, nc):
    acc = 0.0
    for j in range(nc):
        acc += W[i, j] * v[j]
    return acc


@jit
def cauchy(x, g, lb, ub, W, nc, theta, M, xc, c, d, t, free):
    """The generalized Cauchy point (BLNZ Algorithm CP) into ``xc``; ``c`` <- W^T (xc - x)
    (first nc entries), ``free[i]`` = 1 for the variables not at a bound of the path
    (the free set of the subspace step), 0 for those fixed by the walk; ``d``, ``t``:
    workspace (n).  Returns the number of breakpoints passed."""
    n = x.size
    p = np.zeros(max(nc, 1))
    Mv = np.zeros(max(nc, 1))
    fp = 0.0
    for i in range(n):
        gi = g[i]
        if gi < 0.0 and ub[i] < math.inf:
            ti = (x[i] - ub[i]) / gi
        elif gi > 0.0 and lb[i] > -math.inf:
            ti = (x[i] - lb[i]) / gi
        else:
            ti = math.inf
        t[i] = ti
        xc[i] = x[i]
        if ti == 0.0 or lb[i] == ub[i]:
            d[i] = 0.0
            free[i] = 0
        else:
            d[i] = -gi
            free[i] = 1
            fp -= gi * gi                              # f' = g^T d = -d^T d (eq. 4.3)
    for j in range(nc):
        c[j] = 0.0
        acc = 0.0
        for i in range(n):
            acc += W[i, j] * d[i]
        p[j] = acc                                     # p = W^T d
    if not fp < 0.0:
        return 0
    _mv(M, p, nc, Mv)
    fpp = -theta * fp
    for j in range(nc):
        fpp -= p[j] * Mv[j]                            # f'' = theta d^T d - p^T M p (eq. 4.4)
    fpp0 = fpp
    fpp = max(fpp, EPS * fpp0)
    dtmin = -fp / fpp
    order = np.argsort(t)
    told = 0.0
    passed = 0
    for q in range(n):
        b = order[q]
        tb = t[b]
        if tb == math.inf:
            break
        if not (tb > 0.0) or d[b] == 0.0:
            continue
        dt = tb - told
        if dtmin < dt:
            break
        # the path reaches breakpoint b: x_b at its bound, d_b = 0 from here (eqs. 4.7-4.10)
        xc[b] = ub[b] if d[b] > 0.0 else lb[b]
        zb = xc[b] - x[b]
        gb = g[b]
        for j in range(nc):
            c[j] += dt * p[j]
        _mv(M, c, nc, Mv)
        fp = fp + dt * fpp + gb * gb + theta * gb * zb - gb * _wdot(W, b, Mv, nc)
        _mv(M, p, nc, Mv)
        wMp = _wdot(W, b, Mv, nc)
        for j in range(nc):
            Mv[j] = 0.0
            for l in range(nc):
                Mv[j] += M[j, l] * W[b, l]
        wMw = _wdot(W, b, Mv, nc)
        fpp = fpp - theta * gb * gb - 2.0 * gb * wMp - gb * gb * wMw
        fpp = max(fpp, EPS * fpp0)
        for j in range(nc):
            p[j] += gb * W[b, j]
        d[b] = 0.0
        free[b] = 0
        told = tb
        passed += 1
        if not fp < 0.0:
            dtmin = 0.0
            break
        dtmin = -fp / fpp
    dtmin = max(dtmin, 0.0)
    told += dtmin
    for i in range(n):
        if d[i] != 0.0:
            v = x[i] + told * d[i]
            xc[i] = min(max(v, lb[i]), ub[i])
    for j in range(nc):
        c[j] += dtmin * p[j]
    return passed


@jit
def subspace(x, g, lb, ub, W, nc, theta, M, xc, c, free, xbar, r, A, Nm):
    """Direct primal subspace minimization (BLNZ §5.1) from the Cauchy point ``xc``:
    xbar = xc + alpha* du on the free variables, du = -Bhat^{-1} r^c,

        r^c = Z^T (g + theta (xc - x) - W M c)                          (eq. 5.4)
        Bhat^{-1} = I/theta + Z^T W (I - M W^T Z Z^T W / theta)^{-1} M W^T Z / theta^2
                                                                         (eq. 5.11)
        alpha* = max{a <= 1 : lb <= xc + a du <= ub}                    (eq. 5.8)

    ``r`` (n), ``A``, ``Nm`` (2m x 2m): workspace.  Returns False (xbar = xc) if the small
    system is singular."""
    n = x.size
    nb = max(nc, 1)
    Mc = np.zeros(nb)
    v = np.zeros(nb)
    w = np.zeros(nb)
    _mv(M, c, nc, Mc)
    nfree = 0
    for i in range(n):
        xbar[i] = xc[i]
        if free[i] != 0:
            nfree += 1
            ri = g[i] + theta * (xc[i] - x[i]) - _wdot(W, i, Mc, nc)
            r[i] = ri
            for j in range(nc):
                v[j] += W[i, j] * ri                  # v = W^T Z r^c
        else:
            r[i] = 0.0
    if nfree == 0:
        return True
    ok = True
    if nc > 0:
        _mv(M, v, nc, w)                               # w = M W^T Z r^c
        for a in range(nc):
            for b in range(nc):
                A[a, b] = 0.0
        for i in range(n):
            if free[i] != 0:
                for a in range(nc):
                    wa = W[i, a]
                    if wa != 0.0:
                        for b in range(nc):
                            A[a, b] += wa * W[i, b]     # A = W^T Z Z^T W (temporarily)
        for a in range(nc):                            # N = I - M A / theta
            for b in range(nc):
                acc = 0.0
                for l in range(nc):
                    acc += M[a, l] * A[l, b]
                Nm[a, b] = (1.0 if a == b else 0.0) - acc / theta
        ok = gauss_solve(Nm, w, nc)
    if not ok:
        return False
    alpha = 1.0
    for i in range(n):
        if free[i] != 0:
            du = -r[i] / theta
            if nc > 0:
                du -= _wdot(W, i, w, nc) / (theta * theta)
            r[i] = du
            if du > 0.0:
                alpha = min(alpha, (ub[i] - xc[i]) / du)
            elif du < 0.0:
                alpha = min(alpha, (lb[i] - xc[i]) / du)
    alpha = max(alpha, 0.0)
    for i in range(n):
        if free[i] != 0:
            xbar[i] = min(max(xc[i] + alpha * r[i], lb[i]), ub[i])
    return True

