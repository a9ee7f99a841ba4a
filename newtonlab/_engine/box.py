"""Kernels of L-BFGS-B (box constraints l <= x <= u), compiled, arrays and scalars only.

Byrd, Lu, Nocedal & Zhu (1995), "A limited memory algorithm for bound constrained
optimization", SIAM J. Sci. Comput. 16(5) (below: BLNZ).  The limited-memory BFGS
matrix is held in the compact form of ``box_compact.py`` (BLNZ eqs. 3.2-3.4; N&W eq. 7.24)

    B = theta I - W M W^T,   W = [Y, theta S]  (n x 2k),
    M = [[-D, L^T], [L, theta S^T S]]^{-1}     (2k x 2k, never formed: ``box_compact.bmv``),

with S, Y the k stored pairs (oldest first), D = diag(s_i^T y_i), L_ij = s_i^T y_j for
i > j (strictly lower), theta = y^T y / s^T y of the newest pair (1 with no pairs).

* :func:`cauchy`: the generalized Cauchy point, the first local minimizer of the model
  m(x + z) = g^T z + z^T B z / 2 along the projected steepest-descent path
  P(x - t g) (BLNZ §4, Algorithm CP, eqs. 4.1-4.10; f'' guarded as the Fortran code), the
  breakpoints taken from a binary heap (:func:`heap_build`, :func:`heap_pop`) so that only
  those passed are ordered, and one product with M per breakpoint.
* :func:`subspace`: the direct primal method of BLNZ §5.1: the model minimized over the
  free variables at the Cauchy point (eqs. 5.4-5.7, B's reduced inverse by
  Sherman-Morrison-Woodbury, eq. 5.11, through the factored 2k x 2k matrix of
  :func:`reduced`), then the backtrack into the box (eq. 5.8).
* :func:`project`, :func:`proj_grad_norm` (||P(x - g) - x||_inf, the stopping test,
  scipy's pgtol), :func:`max_step` (the longest step along d inside the box).

Every workspace is the caller's: nothing is allocated per iteration.  Loops only (no slice
assignment, no BLAS): see docs/design.md.
"""
import math

import numpy as np

from .box_compact import bmv, bsolve, chol, fsolve
from .config import jit_borrow

EPS = 2.220446049250313e-16


@jit_borrow
def project(x, lb, ub):
    """x <- P(x), the projection onto [lb, ub], in place."""
    for i in range(x.size):
        if x[i] < lb[i]:
            x[i] = lb[i]
        elif x[i] > ub[i]:
            x[i] = ub[i]


@jit_borrow
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


@jit_borrow
def max_step(x, d, lb, ub):
    """The largest alpha with lb <= x + alpha d <= ub (inf when d meets no bound)."""
    a = math.inf
    for i in range(x.size):
        if d[i] > 0.0 and ub[i] < math.inf:
            a = min(a, max(ub[i] - x[i], 0.0) / d[i])
        elif d[i] < 0.0 and lb[i] > -math.inf:
            a = min(a, max(x[i] - lb[i], 0.0) / -d[i])
    return max(a, 0.0)


@jit_borrow
def active_count(x, lb, ub):
    """Variables at a bound."""
    c = 0
    for i in range(x.size):
        if x[i] <= lb[i] or x[i] >= ub[i]:
            c += 1
    return c


@jit_borrow
def _sift_down(heap, t, i, size):
    """Restore the min-heap order of heap[:size] (keys t[heap[.]]) below position i."""
    while True:
        j = 2 * i + 1
        if j >= size:
            return
        if j + 1 < size and t[heap[j + 1]] < t[heap[j]]:
            j += 1
        if not t[heap[j]] < t[heap[i]]:
            return
        h = heap[i]
        heap[i] = heap[j]
        heap[j] = h
        i = j


@jit_borrow
def heap_build(heap, t, size):
    """Order heap[:size] (indices into t) as a binary min-heap on t, in O(size).  The Cauchy
    walk usually stops after a few breakpoints: a heap orders only those it passes
    (O(log n) each), where a full sort costs O(n log n) every iteration (BLNZ §4; the Fortran
    code's ``hpsolb``)."""
    for i in range(size // 2 - 1, -1, -1):
        _sift_down(heap, t, i, size)


@jit_borrow
def heap_pop(heap, t, size):
    """The index with the least t in heap[:size]; heap[:size - 1] is a heap again after it."""
    top = heap[0]
    heap[0] = heap[size - 1]
    _sift_down(heap, t, np.int64(0), size - 1)     # int64: see box_compact's offsets
    return top


@jit_borrow
def cauchy(x, g, lb, ub, W, k, theta, LD, J, xc, c, p, v, d, t, heap, free):
    """The generalized Cauchy point (BLNZ Algorithm CP) into ``xc``; ``c`` <- W^T (xc - x)
    (first 2k entries), ``free[i]`` = 1 for the variables not at a bound of the path
    (the free set of the subspace step), 0 for those fixed by the walk.  ``LD``, ``J``: the
    factors of ``box_compact.compact``; ``p``, ``v`` (2m), ``d``, ``t``, ``heap`` (n):
    workspace.  Returns the number of breakpoints passed."""
    n = x.size
    nc = 2 * k
    fp = 0.0
    nb = np.int64(0)                # not a literal 0: numba would type heap_build for it too
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
            if ti > 0.0 and ti < math.inf:
                heap[nb] = i
                nb += 1
    for j in range(nc):
        c[j] = 0.0
        p[j] = 0.0
    for i in range(n):                                 # p = W^T d, by rows of W
        di = d[i]
        if di != 0.0:
            for j in range(nc):
                p[j] += W[i, j] * di
    if not fp < 0.0:
        return 0
    bmv(LD, J, k, p, v)
    fpp = -theta * fp
    for j in range(nc):
        fpp -= p[j] * v[j]                             # f'' = theta d^T d - p^T M p (eq. 4.4)
    fpp0 = fpp
    fpp = max(fpp, EPS * fpp0)
    dtmin = -fp / fpp
    heap_build(heap, t, nb)
    told = 0.0
    passed = 0
    while nb > 0:
        b = heap_pop(heap, t, nb)
        nb -= 1
        tb = t[b]
        dt = tb - told
        if dtmin < dt:
            break
        # the path reaches breakpoint b: x_b at its bound, d_b = 0 from here (eqs. 4.7-4.10)
        xc[b] = ub[b] if d[b] > 0.0 else lb[b]
        zb = xc[b] - x[b]
        gb = g[b]
        for j in range(nc):
            c[j] += dt * p[j]
        # v = M w_b serves the three products of the updates (M symmetric: w_b^T M c =
        # c^T v), one product with M per breakpoint as the Fortran code
        bmv(LD, J, k, W[b], v)
        wmc = 0.0
        wmp = 0.0
        wmw = 0.0
        for j in range(nc):
            wmc += c[j] * v[j]
            wmp += p[j] * v[j]
            wmw += W[b, j] * v[j]
        fp = fp + dt * fpp + gb * gb + theta * gb * zb - gb * wmc
        fpp = fpp - theta * gb * gb - 2.0 * gb * wmp - gb * gb * wmw
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
            vi = x[i] + told * d[i]
            xc[i] = min(max(vi, lb[i]), ub[i])
    for j in range(nc):
        c[j] += dtmin * p[j]
    return passed


@jit_borrow
def reduced(WN, k, theta, LD, P):
    """Factor the reduced middle matrix of the subspace step (BLNZ eq. 5.11 with
    M^{-1} = K; the Fortran code's ``formk``), with Z the free and A the other variables:

        P = K - W^T Z Z^T W / theta = [[-E, R^T], [R, G]],
        E = D + Y^T Z Z^T Y / theta,  G = theta S^T A A^T S,
        R = L - S^T Z Z^T Y = L_A - U_Z,

    L_A the strictly lower triangle of S^T A A^T Y, U_Z the upper one (with the diagonal)
    of S^T Z Z^T Y: every block a sum over one set, never a difference (L - S^T Z Z^T Y
    cancels when few variables are active), as ``box_compact`` keeps them in ``WN``.
    Factored as P = [[E1, 0], [C^T, F1]] diag(-I, I) [[E1^T, C], [0, F1^T]] with
    E = E1 E1^T, C = -E1^{-1} R^T and F = G + C^T C = F1 F1^T: two k x k Cholesky factors
    where a 2k x 2k system was solved, E positive definite as D is.  Stored in the lower
    triangle of P[:2k, :2k] (E1, C^T below it, F1; ``box_compact.chol``'s form, reciprocals
    on the diagonal).  O(k^3); False if F is not positive definite to working precision."""
    m = WN.shape[0] // 2
    rt = 1.0 / theta
    for a in range(k):
        for b in range(a + 1):
            P[a, b] = WN[a, b] * rt
            P[k + a, k + b] = WN[m + a, m + b] * theta
        P[a, a] += LD[a, a]
    z0 = np.int64(0)                                   # see box_compact's offsets
    if not chol(P, z0, k):
        return False
    for a in range(k):
        for b in range(k):
            P[k + a, b] = -WN[m + a, b] if b < a else WN[m + a, b]    # -R
        fsolve(P, z0, k, P[k + a], z0)                 # row a of C^T = -E1^{-1} R[a]^T
    for a in range(k):
        for b in range(a + 1):
            acc = P[k + a, k + b]
            for j in range(k):
                acc += P[k + a, j] * P[k + b, j]
            P[k + a, k + b] = acc
    return chol(P, k, k)


@jit_borrow
def reduced_solve(P, k, v):
    """v[:2k] <- P^{-1} v[:2k] with the factors of :func:`reduced`."""
    z0 = np.int64(0)                                   # see box_compact's offsets
    fsolve(P, z0, k, v, z0)
    for a in range(k):
        acc = v[k + a]
        for j in range(k):
            acc -= P[k + a, j] * v[j]
        v[k + a] = acc
    fsolve(P, k, k, v, k)
    bsolve(P, k, k, v, k)
    for j in range(k):
        acc = -v[j]
        for a in range(k):
            acc -= P[k + a, j] * v[k + a]
        v[j] = acc
    bsolve(P, z0, k, v, z0)


@jit_borrow
def subspace(x, g, lb, ub, W, k, theta, LD, J, WN, xc, c, free, xbar, r, P, u, v):
    """Direct primal subspace minimization (BLNZ §5.1) from the Cauchy point ``xc``:
    xbar = xc + alpha* du on the free variables, du = -Bhat^{-1} r^c,

        r^c = Z^T (g + theta (xc - x) - W M c)                          (eq. 5.4)
        Bhat^{-1} = I/theta + Z^T W P^{-1} W^T Z / theta^2,  P = M^{-1} - W^T Z Z^T W / theta
                                                                         (eq. 5.11)
        alpha* = max{a <= 1 : lb <= xc + a du <= ub}                    (eq. 5.8)

    (P^{-1} = (I - M W^T Z Z^T W / theta)^{-1} M, the form of eq. 5.11, without M).
    ``WN``: the blocks of ``box_compact`` over Z = {free != 0} (``update_free``); ``r`` (n),
    ``P`` (2m x 2m), ``u``, ``v`` (2m): workspace.  Returns False (xbar = xc) if the small
    system is singular."""
    n = x.size
    nc = 2 * k
    bmv(LD, J, k, c, u)                                # u = M c
    for j in range(nc):
        v[j] = 0.0
    nfree = 0
    for i in range(n):
        xbar[i] = xc[i]
        if free[i] != 0:
            nfree += 1
            ri = g[i] + theta * (xc[i] - x[i])
            for j in range(nc):
                ri -= W[i, j] * u[j]
            r[i] = ri
            for j in range(nc):
                v[j] += W[i, j] * ri                  # v = W^T Z r^c
        else:
            r[i] = 0.0
    if nfree == 0:
        return True
    if k > 0:
        if not reduced(WN, k, theta, LD, P):
            return False
        reduced_solve(P, k, v)                         # v = P^{-1} W^T Z r^c
    alpha = 1.0
    for i in range(n):
        if free[i] != 0:
            du = -r[i] / theta
            if k > 0:
                wv = 0.0
                for j in range(nc):
                    wv += W[i, j] * v[j]
                du -= wv / (theta * theta)
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
