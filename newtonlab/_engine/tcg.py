"""Truncated conjugate gradients in reverse communication.

CG on A z = -g with A = H + damp I, where H is only known through products:
the kernel never calls anything.  ``tcg_start`` and ``tcg_next`` return
NEED_PRODUCT when they want H v for v = W[V]; the driver computes it into
W[HV] (``eval_hessp``, or a dense product) and counts it; DONE means the step
is in W[Z], with the exit reason, the iteration count and the model value
phi(z) = g^T z + 1/2 z^T A z in the state vector.

Modes
-----
STEIHAUG  : Steihaug-Toint CG for the trust-region subproblem (N&W Alg. 7.2):
            stops on the boundary ||z|| = delta, on negative curvature (the
            boundary point of lower model value along d, both roots tried, as
            scipy's trust-ncg), or on the residual test.
NEWTON_CG : line-search Newton-CG inner loop (N&W Alg. 7.1): on negative
            curvature returns the current iterate, or -g at the first
            iteration; residual test ||r|| <= tol with the forcing term
            chosen by the driver.
DAMPED    : Hessian-free (Martens 2010): A = H + damp I, optionally started
            from the previous step (W[Z] on entry), stopped by the residual
            test, negative curvature (current iterate: CG decreases phi
            monotonically, so it is the best so far) or Martens' relative
            progress test: i > k, phi_i < 0 and (phi_i - phi_{i-k}) / phi_i <
            k eps with k = max(10, 0.1 i) (§4.4).

Deviation: a warm start whose model value is not negative (no better than
z = 0) is dropped for a cold start (Martens keeps it); the residual test is
added to Martens' progress test so that small problems stop at convergence.
"""
import math

from . import kernels as K
from .config import jit_borrow, logic
from .trustregion import (EXIT_BOUNDARY, EXIT_INTERIOR, EXIT_MAXITER, EXIT_NEGCURV,
                          EXIT_PROGRESS, boundary_taus)
from .workspace import D, HV, NV, R, V, Z  # noqa: F401  (rows of W, also as TC.V, ...)

STEIHAUG, NEWTON_CG, DAMPED = 0, 1, 2     # modes

NEED_PRODUCT, DONE = 0, 1                 # requests

# state vector layout
MODE, DELTA, DAMP, TOL, MAXIT, IT, PHASE, RR, MODEL, EXIT, MEPS, WARMED = range(12)
SIZE = 12

_WARM = 0.0     # waiting for A z0
_LOOP = 1.0     # waiting for A d


@jit_borrow
def _request(W, row):
    """Copy W[row] into W[V], the vector the driver multiplies."""
    for i in range(W.shape[1]):
        W[V, i] = W[row, i]
    return NEED_PRODUCT


@jit_borrow
def _cold(st, W, hist, g):
    """z = 0, r = g, d = -g."""
    rr = 0.0
    for i in range(g.size):
        W[Z, i] = 0.0
        W[R, i] = g[i]
        W[D, i] = -g[i]
        rr += g[i] * g[i]
    st[RR] = rr
    st[MODEL] = 0.0
    st[WARMED] = 0.0
    hist[0] = 0.0
    st[PHASE] = _LOOP
    if math.sqrt(rr) <= st[TOL]:
        st[EXIT] = EXIT_INTERIOR
        return DONE
    return _request(W, D)


@logic
def tcg_start(st, W, hist, g, mode, delta, damp, tol, maxit, meps, warm):
    """Open a CG solve; with ``warm`` (DAMPED mode) W[Z] holds the starting iterate.

    ``hist`` (at least maxit + 1 entries) keeps phi_i for the progress test.
    """
    if _open(st, mode, delta, damp, tol, maxit, meps, warm):
        return _request(W, Z)
    return _cold(st, W, hist, g)


@logic
def _open(st, mode, delta, damp, tol, maxit, meps, warm):
    """A new solve's state; returns ``warm`` (then W[Z] is the first product asked for)."""
    st[MODE] = mode
    st[DELTA] = delta
    st[DAMP] = damp
    st[TOL] = tol
    st[MAXIT] = maxit
    st[MEPS] = meps
    st[IT] = 0.0
    st[EXIT] = EXIT_INTERIOR
    st[PHASE] = _WARM if warm else _LOOP
    return warm


@jit_borrow
def _warm_residual(st, W, hist, g):
    """r0 = A z0 + g from W[HV] = H z0; keep z0 only if phi(z0) < 0."""
    lam = st[DAMP]
    phi = 0.0
    rr = 0.0
    for i in range(g.size):
        r = W[HV, i] + lam * W[Z, i] + g[i]
        W[R, i] = r
        W[D, i] = -r
        phi += 0.5 * W[Z, i] * (r + g[i])
        rr += r * r
    if not phi < 0.0:
        return _cold(st, W, hist, g)
    st[RR] = rr
    st[MODEL] = phi
    st[WARMED] = 1.0
    hist[0] = phi
    st[PHASE] = _LOOP
    if math.sqrt(rr) <= st[TOL]:
        st[EXIT] = EXIT_INTERIOR
        return DONE
    return _request(W, D)


@jit_borrow
def _to_boundary(st, W, rd, dad, negative):
    """Move z along d to the boundary; with ``negative`` curvature try both roots."""
    ta, tb = boundary_taus(W[Z], W[D], st[DELTA])
    mb = st[MODEL] + tb * rd + 0.5 * tb * tb * dad
    tau = tb
    if negative:
        ma = st[MODEL] + ta * rd + 0.5 * ta * ta * dad
        if ma < mb:
            tau = ta
            mb = ma
    for i in range(W.shape[1]):
        W[Z, i] += tau * W[D, i]
    st[MODEL] = mb


@logic
def tcg_next(st, W, hist, g):
    """Digest W[HV] = H W[V]; returns NEED_PRODUCT (again) or DONE.  Logic over vector
    kernels: an interpreted run compiles only those its mode reaches."""
    if st[PHASE] == _WARM:
        return _warm_residual(st, W, hist, g)
    dad, rd = _curvature(W, st[DAMP], True)
    mode = int(st[MODE])
    it = int(st[IT])
    if not dad > 0.0:          # negative or zero curvature (NaN lands here too)
        st[EXIT] = EXIT_NEGCURV
        if mode == STEIHAUG:
            _to_boundary(st, W, rd, dad, True)
        elif it == 0 and st[WARMED] == 0.0:
            K.neg(g, W[Z])      # first iteration: steepest descent (N&W Alg. 7.1)
            st[MODEL] = -st[RR] + 0.5 * dad
        return DONE
    alpha = st[RR] / dad
    if mode == STEIHAUG and _trial_norm(W, alpha) >= st[DELTA]:
        st[EXIT] = EXIT_BOUNDARY
        _to_boundary(st, W, rd, dad, False)
        return DONE
    rr, phi = _cg_step(W, g, alpha)
    it += 1
    st[IT] = it
    st[MODEL] = phi
    hist[it] = phi
    if math.sqrt(rr) <= st[TOL]:
        st[EXIT] = EXIT_INTERIOR
        return DONE
    if mode == DAMPED:
        k = max(10, int(0.1 * it))
        if it > k and phi < 0.0 and (phi - hist[it - k]) / phi < k * st[MEPS]:
            st[EXIT] = EXIT_PROGRESS
            return DONE
    if it >= st[MAXIT]:
        st[EXIT] = EXIT_MAXITER
        return DONE
    beta = rr / st[RR]
    st[RR] = rr
    return _next_direction(W, R, beta)


@jit_borrow
def _curvature(W, lam, with_rd):
    """W[HV] = A d = H d + lam d (W[HV] held H d); returns (d^T A d, r^T d or 0: the
    preconditioned solve has no use for r^T d, and skips its pass over r)."""
    dad = 0.0
    rd = 0.0
    for i in range(W.shape[1]):
        ad = W[HV, i] + lam * W[D, i]
        W[HV, i] = ad
        dad += W[D, i] * ad
        if with_rd:
            rd += W[R, i] * W[D, i]
    return dad, rd


@jit_borrow
def _trial_norm(W, alpha):
    """||z + alpha d||_2 (Steihaug: does the step leave the region?)."""
    zz = 0.0
    for i in range(W.shape[1]):
        t = W[Z, i] + alpha * W[D, i]
        zz += t * t
    return math.sqrt(zz)


@jit_borrow
def _cg_step(W, g, alpha):
    """z += alpha d, r += alpha A d; returns (r^T r, phi(z))."""
    rr = 0.0
    phi = 0.0
    for i in range(W.shape[1]):
        z = W[Z, i] + alpha * W[D, i]
        r = W[R, i] + alpha * W[HV, i]
        W[Z, i] = z
        W[R, i] = r
        rr += r * r
        phi += 0.5 * z * (r + g[i])     # phi(z) = 1/2 z^T (r + g) since r = A z + g
    return rr, phi


@jit_borrow
def _next_direction(W, row, beta):
    """d = -W[row] + beta d (row R, or Y preconditioned); asks for A d (W[V] = d)."""
    for i in range(W.shape[1]):
        d = -W[row, i] + beta * W[D, i]
        W[D, i] = d
        W[V, i] = d
    return NEED_PRODUCT


@jit_borrow
def matvec(A, v, out):
    """out = A v for a dense (n, n) matrix (products when B is held as a matrix)."""
    n = v.size
    for i in range(n):
        s = 0.0
        for j in range(n):
            s += A[i, j] * v[j]
        out[i] = s


@jit_borrow
def set_start(W, p, c):
    """W[Z] = c p: the warm start of a DAMPED solve."""
    for i in range(p.size):
        W[Z, i] = c * p[i]


@jit_borrow
def get_step(W, p):
    """p = W[Z], the step a finished solve produced; returns ||p||_2."""
    s = 0.0
    for i in range(p.size):
        p[i] = W[Z, i]
        s += p[i] * p[i]
    return math.sqrt(s)


# ------------------------------------------------------------------------------------------
# Preconditioned damped CG (hessian-free, Martens 2010 §4.7): N&W Alg. 5.3 on A z = -g,
# A = H + damp I, with a diagonal preconditioner M held in W[MD] (set by the caller before
# ``ptcg_start``).  The mode is DAMPED throughout: warm start from W[Z], the residual test on
# the unpreconditioned ||r||, negative curvature, Martens' relative-progress test on
# phi(z) = g^T z + 1/2 z^T A z.  Preconditioning changes the iterates, not the model (in the
# variables M^{1/2} z the model values are the same), so the progress test reads the same
# quantity phi_i.  With M = 1 every operation is the one of ``tcg_next`` in DAMPED mode
# (r / 1 = r, r^T y = r^T r, and so on): the same bits.

# extra rows of the (NVP, n) workspace: y = M^{-1} r, and the diagonal of M
Y, MD = 5, 6
NVP = 7
# extra entry of the (PSIZE,) state vector: r^T y
RY = 12
PSIZE = 13


@jit_borrow
def _pcold(st, W, hist, g):
    """z = 0, r = g, y = M^{-1} g, d = -y."""
    rr = 0.0
    ry = 0.0
    for i in range(g.size):
        y = g[i] / W[MD, i]
        W[Z, i] = 0.0
        W[R, i] = g[i]
        W[Y, i] = y
        W[D, i] = -y
        rr += g[i] * g[i]
        ry += g[i] * y
    st[RR] = rr
    st[RY] = ry
    st[MODEL] = 0.0
    st[WARMED] = 0.0
    hist[0] = 0.0
    st[PHASE] = _LOOP
    if math.sqrt(rr) <= st[TOL]:
        st[EXIT] = EXIT_INTERIOR
        return DONE
    return _request(W, D)


@logic
def ptcg_start(st, W, hist, g, damp, tol, maxit, meps, warm):
    """Open a preconditioned damped CG solve (W has NVP rows, st PSIZE entries); with
    ``warm`` W[Z] holds the starting iterate.  As ``tcg_start`` in DAMPED mode otherwise."""
    if _open(st, DAMPED, math.inf, damp, tol, maxit, meps, warm):
        return _request(W, Z)
    return _pcold(st, W, hist, g)


@jit_borrow
def _pwarm_residual(st, W, hist, g):
    """r0 = A z0 + g from W[HV] = H z0, y0 = M^{-1} r0; keep z0 only if phi(z0) < 0."""
    lam = st[DAMP]
    phi = 0.0
    rr = 0.0
    ry = 0.0
    for i in range(g.size):
        r = W[HV, i] + lam * W[Z, i] + g[i]
        y = r / W[MD, i]
        W[R, i] = r
        W[Y, i] = y
        W[D, i] = -y
        phi += 0.5 * W[Z, i] * (r + g[i])
        rr += r * r
        ry += r * y
    if not phi < 0.0:
        return _pcold(st, W, hist, g)
    st[RR] = rr
    st[RY] = ry
    st[MODEL] = phi
    st[WARMED] = 1.0
    hist[0] = phi
    st[PHASE] = _LOOP
    if math.sqrt(rr) <= st[TOL]:
        st[EXIT] = EXIT_INTERIOR
        return DONE
    return _request(W, D)


@logic
def ptcg_next(st, W, hist, g):
    """Digest W[HV] = H W[V]; one iteration of N&W Alg. 5.3; NEED_PRODUCT or DONE."""
    if st[PHASE] == _WARM:
        return _pwarm_residual(st, W, hist, g)
    dad, _ = _curvature(W, st[DAMP], False)
    it = int(st[IT])
    if not dad > 0.0:          # negative or zero curvature (NaN lands here too)
        st[EXIT] = EXIT_NEGCURV
        if it == 0 and st[WARMED] == 0.0:
            K.copy_into(W[D], W[Z])     # first iteration: d0 = -M^{-1} g
            st[MODEL] = -st[RY] + 0.5 * dad
        return DONE
    alpha = st[RY] / dad
    rr, ry, phi = _pcg_step(W, g, alpha)
    it += 1
    st[IT] = it
    st[MODEL] = phi
    hist[it] = phi
    if math.sqrt(rr) <= st[TOL]:
        st[EXIT] = EXIT_INTERIOR
        return DONE
    k = max(10, int(0.1 * it))
    if it > k and phi < 0.0 and (phi - hist[it - k]) / phi < k * st[MEPS]:
        st[EXIT] = EXIT_PROGRESS
        return DONE
    if it >= st[MAXIT]:
        st[EXIT] = EXIT_MAXITER
        return DONE
    beta = ry / st[RY]
    st[RR] = rr
    st[RY] = ry
    return _next_direction(W, Y, beta)


@jit_borrow
def _pcg_step(W, g, alpha):
    """z += alpha d, r += alpha A d, y = M^{-1} r; returns (r^T r, r^T y, phi(z))."""
    rr = 0.0
    ry = 0.0
    phi = 0.0
    for i in range(W.shape[1]):
        z = W[Z, i] + alpha * W[D, i]
        r = W[R, i] + alpha * W[HV, i]
        y = r / W[MD, i]
        W[Z, i] = z
        W[R, i] = r
        W[Y, i] = y
        rr += r * r
        ry += r * y
        phi += 0.5 * z * (r + g[i])     # phi(z) = 1/2 z^T (r + g) since r = A z + g
    return rr, ry, phi
