"""Lanczos kernels of the Krylov saddle-free Newton step (arrays and scalars only).

The Lanczos iteration runs in reverse communication, as ``tcg.py``'s CG: the
method's ``direction`` (``newtonlab/methods/saddle_free_newton.py``) asks the
line-search loop for each product H q_j (NEED_PRODUCT: ``W[tcg.V]`` ->
``W[tcg.HV]``) and hands it to :func:`lanczos_next`, which extends the basis
by one vector.  Nothing here calls user code.

With the basis Q = [q_0 .. q_{m-1}] (rows of ``Q``, q_0 = g / ||g||) and the
tridiagonal T = Q^T H Q (diagonal ``a``, off-diagonal ``b``), the step is

    p = -Q (|T|_delta + lambda I)^{-1} Q^T g = -||g|| Q (|T|_delta + lambda I)^{-1} e_1

because Q^T g = ||g|| e_1 (g is the first basis vector): the component of -g
outside span(Q) is zero, nothing is lost by the projection.  |T|_delta =
S diag(max(|theta_i|, delta)) S^T from the eigendecomposition T = S diag(theta) S^T
(:func:`tridiag_eig`, implicit QL with Wilkinson-type shifts, eigenvectors
accumulated: Numerical Recipes ``tqli``; O(m^3) with m <= krylov_dim, no LAPACK).

References: Golub & Van Loan (2013), Alg. 10.1.1 (Lanczos) and §10.3.1 (full
reorthogonalization); Daniel, Gragg, Kaufman & Stewart (1976), Math. Comp. 30
("twice is enough" reorthogonalization test); Press et al., Numerical Recipes
§11.4 (``tqli``); Dauphin et al. (2014), Alg. 1.
"""
import math

from . import kernels as K
from .config import jit_borrow

#: reorthogonalize again when ||w|| shrank below 1/sqrt(2) of itself (DGKS)
DGKS = 0.7071067811865476
#: the Krylov space is taken as invariant (Lanczos stops early) when beta_j <= BREAKDOWN ||T_j||
BREAKDOWN = 1e-10
#: the golden ratio's fractional part: the deterministic start vector of the saddle test
_WEYL = 0.6180339887498949


@jit_borrow
def lanczos_start(Q, g, v):
    """q_0 = g / ||g|| into Q[0] and v (the vector the loop multiplies next); returns
    ||g|| (0 or not finite: no start, nothing written)."""
    nrm = K.norm2(g)
    if not (nrm > 0.0 and math.isfinite(nrm)):
        return nrm
    for t in range(v.size):
        q = g[t] / nrm
        Q[0, t] = q
        v[t] = q
    return nrm


@jit_borrow
def random_start(Q, v):
    """q_0 = a fixed pseudo-random unit vector into Q[0] and v: the Weyl sequence
    frac((i + 1) phi) - 1/2 normalized (identical compiled and interpreted, never 0)."""
    n = v.size
    s = 0.0
    for t in range(n):
        r = (t + 1) * _WEYL
        r = r - math.floor(r) - 0.5
        v[t] = r
        s += r * r
    nrm = math.sqrt(s)
    for t in range(n):
        q = v[t] / nrm
        Q[0, t] = q
        v[t] = q


@jit_borrow
def _project_out(Q, j, w, c):
    """One classical Gram-Schmidt pass: c = Q[:j+1] w; w -= Q[:j+1]^T c."""
    n = w.size
    for i in range(j + 1):
        c[i] = K.dot(Q[i], w)
    for i in range(j + 1):
        ci = c[i]
        for t in range(n):
            w[t] -= ci * Q[i, t]


@jit_borrow
def lanczos_next(Q, a, b, j, k, w, v, c):
    """Absorb w = H q_j (overwritten) into the Lanczos run; returns m > 0 when the run
    ended with m steps (m = k, or breakdown: an invariant subspace), else 0 with q_{j+1}
    in Q[j+1] and in v, awaiting its product.

    The three-term recurrence (Golub & Van Loan Alg. 10.1.1) removes the large
    components, then full classical Gram-Schmidt against q_0..q_j, repeated once
    when it removed more than ~30 % of ||w|| (DGKS).  A non-finite w gives
    a[j] = NaN and ends the run (the step is then NaN: the loop falls back to -g).
    """
    n = w.size
    if j > 0:
        bp = b[j - 1]
        for t in range(n):
            w[t] -= bp * Q[j - 1, t]
    alpha = K.dot(Q[j], w)
    for t in range(n):
        w[t] -= alpha * Q[j, t]
    before = K.norm2(w)
    if not (math.isfinite(before) and math.isfinite(alpha)):
        a[j] = math.nan
        return j + 1
    after = before
    for _ in range(2):
        _project_out(Q, j, w, c)
        alpha += c[j]
        after = K.norm2(w)
        if after >= DGKS * before:
            break
        before = after
    a[j] = alpha
    if j + 1 >= k:
        return j + 1
    tnorm = 0.0                      # max row sum of |T_{j+1}| (with the new beta)
    for i in range(j + 1):
        r = abs(a[i]) + (b[i - 1] if i > 0 else 0.0) + (b[i] if i < j else after)
        tnorm = max(tnorm, r)
    if after <= BREAKDOWN * tnorm:
        return j + 1
    b[j] = after
    for t in range(n):
        q = w[t] / after
        Q[j + 1, t] = q
        v[t] = q
    return 0


@jit_borrow
def tridiag_eig(a, b, m, d, e, Z, rows):
    """Eigenvalues d[:m] and the first ``rows`` rows of the eigenvectors Z[:rows, :m]
    (columns) of the m x m symmetric tridiagonal matrix with diagonal a[:m] and
    off-diagonal b[:m-1], by implicit QL with shifts (Numerical Recipes ``tqli``,
    eigenvectors accumulated).  Unsorted.  ``rows = m``: every eigenvector (the
    Krylov step); ``rows = 1``: their first components only, O(m^2), enough for the
    Gauss quadrature of the Lanczos process (``analysis/_lanczos.gauss_quadrature``).
    Returns False when an eigenvalue did not converge in 60 sweeps (or input is NaN)."""
    for i in range(m):
        d[i] = a[i]
        e[i] = b[i] if i < m - 1 else 0.0
        for r in range(rows):
            Z[r, i] = 1.0 if r == i else 0.0
    for l in range(m):
        it = 0
        while True:
            mm = l
            while mm < m - 1:
                dd = abs(d[mm]) + abs(d[mm + 1])
                if abs(e[mm]) <= 2.220446049250313e-16 * dd:
                    break
                mm += 1
            if mm == l:
                break
            it += 1
            if it > 60:
                return False
            g = (d[l + 1] - d[l]) / (2.0 * e[l])
            r = math.hypot(g, 1.0)
            g = d[mm] - d[l] + e[l] / (g + math.copysign(r, g))
            s = 1.0
            c = 1.0
            p = 0.0
            i = mm - 1
            deflated = False
            while i >= l:
                f = s * e[i]
                bb = c * e[i]
                r = math.hypot(f, g)
                e[i + 1] = r
                if r == 0.0:         # underflow: split the matrix and start again
                    d[i + 1] -= p
                    e[mm] = 0.0
                    deflated = True
                    break
                s = f / r
                c = g / r
                g = d[i + 1] - p
                r = (d[i] - g) * s + 2.0 * c * bb
                p = s * r
                d[i + 1] = g + p
                g = c * r - bb
                for q in range(rows):
                    f = Z[q, i + 1]
                    Z[q, i + 1] = s * Z[q, i] + c * f
                    Z[q, i] = c * Z[q, i] - s * f
                i -= 1
            if deflated:
                continue
            d[l] -= p
            e[l] = g
            e[mm] = 0.0
    for i in range(m):
        if not math.isfinite(d[i]):
            return False
    return True


@jit_borrow
def abs_step(Q, a, b, m, gnorm, floor, damping, d, e, Z, y, p):
    """p = -gnorm Q[:m]^T (|T|_delta + damping I)^{-1} e_1 with |T|_delta = S diag(mu) S^T,
    mu_i = max(|theta_i|, delta), delta = floor max(1, max |theta|); returns the smallest
    Ritz value theta_min (NaN, and a NaN step, when the eigensolver failed)."""
    n = p.size
    if not tridiag_eig(a, b, m, d, e, Z, m):
        for t in range(n):
            p[t] = math.nan
        return math.nan
    lmax = 1.0
    lmin = math.inf
    for i in range(m):
        lmax = max(lmax, abs(d[i]))
        lmin = min(lmin, d[i])
    delta = floor * lmax
    for r in range(m):
        y[r] = 0.0
    for i in range(m):
        mu = max(abs(d[i]), delta) + damping
        ci = gnorm * Z[0, i] / mu
        for r in range(m):
            y[r] += ci * Z[r, i]
    for t in range(n):
        p[t] = 0.0
    for r in range(m):
        yr = y[r]
        for t in range(n):
            p[t] -= yr * Q[r, t]
    return lmin


@jit_borrow
def relative_min_ritz(a, b, m, d, e, Z):
    """theta_min / max(1, max |theta|) of T_m: the scale-free saddle test on Ritz values
    (theta_min >= lambda_min(H), so it never reports a saddle that is not one); NaN when
    the eigensolver failed."""
    if not tridiag_eig(a, b, m, d, e, Z, m):
        return math.nan
    lmax = 1.0
    lmin = math.inf
    for i in range(m):
        lmax = max(lmax, abs(d[i]))
        lmin = min(lmin, d[i])
    return lmin / lmax

