"""Trust-region subproblem kernels: arrays and scalars in, arrays out, no callables.

Each kernel approximately solves

    min_p  m(p) = g^T p + 1/2 p^T B p   subject to  ||p||_2 <= delta

for a dense symmetric B and writes p.  Kernels return numbers (the multiplier,
the work done, an exit code); the trust-region driver decides what to do with
the step.  The matrix-free solver (Steihaug-Toint truncated CG) needs
Hessian-vector products and therefore lives in reverse communication in
``tcg.py``.

exact_step  : Moré & Sorensen (1983); N&W Alg. 4.3 (Newton's method on
              1/||p(lambda)|| - 1/delta with Cholesky factors of B + lambda I),
              with the hard case of N&W §4.3 (eq. 4.45) handled.
dogleg_step : N&W §4.1, eqs. 4.15-4.16, for positive definite B.

(The SR1 update of B lives with its only user, ``newtonlab/methods/sr1.py``.)

Deviations from N&W Alg. 4.3: the smallest eigenpair (for the lower bound
-lambda_1 and the hard case) comes from one symmetric eigendecomposition, done
only when the Cholesky factorization of B itself fails; Newton's iteration
starts to the left of the root (lambda = 0 for positive definite B, else
-lambda_1 + sqrt(eps) scale), where it increases monotonically to the root
(1/||p(lambda)|| is concave), and is safeguarded into the bracket anyway.
"""
import math

import numpy as np

from . import factor as FA
from . import kernels as K
from .config import jit, jit_borrow, logic

# how a subproblem solve ended (trace column ``sub_exit``); shared with tcg.py
EXIT_INTERIOR = 0    # unconstrained minimizer inside the region (or CG residual test)
EXIT_BOUNDARY = 1    # solution on the boundary ||p|| = delta
EXIT_NEGCURV = 2     # CG met negative curvature
EXIT_MAXITER = 3     # CG iteration budget spent
EXIT_FALLBACK = 4    # dogleg: B not positive definite, the exact step was used instead
EXIT_PROGRESS = 5    # CG stopped by Martens' relative-progress test (hessian-free)

SQRT_EPS = 1.4901161193847656e-08


@jit_borrow
def model_value(B, g, p, Bp):
    """m(p) = g^T p + 1/2 p^T B p; Bp is workspace (holds B p on return)."""
    n = p.size
    m = 0.0
    for i in range(n):
        t = 0.0
        for j in range(n):
            t += B[i, j] * p[j]
        Bp[i] = t
        m += p[i] * (g[i] + 0.5 * t)
    return m


@jit_borrow
def boundary_taus(z, d, delta):
    """Both roots ta <= tb of ||z + tau d||_2 = delta (ta <= 0 <= tb when ||z|| <= delta).

    Uses the cancellation-free form of the quadratic formula, as scipy's
    ``get_boundaries_intersections``.
    """
    a = K.dot(d, d)
    b = 2.0 * K.dot(z, d)
    c = K.dot(z, z) - delta * delta
    sq = math.sqrt(max(b * b - 4.0 * a * c, 0.0))
    aux = b + math.copysign(sq, b)
    if aux == 0.0:
        return 0.0, 0.0
    t1 = -aux / (2.0 * a)
    t2 = -2.0 * c / aux
    return min(t1, t2), max(t1, t2)


@jit_borrow
def _forward_norm2(L, p, q):
    """||q||^2 with L q = p (forward substitution)."""
    n = p.size
    s = 0.0
    for i in range(n):
        t = p[i]
        for k in range(i):
            t -= L[i, k] * q[k]
        q[i] = t / L[i, i]
        s += q[i] * q[i]
    return s


@jit_borrow
def _eigen_step(lam_eig, V, ghat, shift, p):
    """p = -(B + shift I)^{-1} g in the eigenbasis B = V diag(lam_eig) V^T; returns ||p||^2."""
    n = p.size
    for i in range(n):
        p[i] = 0.0
    pp = 0.0
    for k in range(n):
        c = ghat[k] / (lam_eig[k] + shift)
        pp += c * c
        for i in range(n):
            p[i] -= c * V[i, k]
    return pp


@logic(borrow=False)
def _indefinite_start(B, g, delta, p, L, w):
    """Indefinite or singular B: the smallest eigenpair bounds lambda and decides the hard
    case.  Returns (lambda, pole, hi, exit): exit -1 when Newton's iteration on lambda
    must follow from lambda in (pole, hi); else p is the step, interior (a singular PSD B
    with g in its range) or on the boundary in the hard case (exit EXIT_BOUNDARY).
    ``config.logic`` (reference counted: it holds the eigenvectors), over kernels."""
    n = g.size
    lam_eig, V = _eigh(B)
    lam1 = lam_eig[0]
    scale = max(1.0, abs(lam_eig[0]), abs(lam_eig[n - 1]))
    pole = max(0.0, -lam1)
    lam = pole + SQRT_EPS * scale
    ghat = np.empty(n)
    K.matvec_t(V, g, ghat)
    pp = _eigen_step(lam_eig, V, ghat, lam, p)
    if not pp <= delta * delta:     # (NaN too: on to Newton's iteration, as always)
        return lam, pole, _quotient(K.norm2(g), delta) + pole, -1
    if lam1 >= 0.0:
        return lam, pole, lam, EXIT_INTERIOR       # singular PSD B, g in its range
    # hard case (g nearly orthogonal to the eigenspace of lambda_1): the root lies within
    # sqrt(eps) scale of -lambda_1; move along z = q_1 to the boundary (eq. 4.45)
    _hard_case(B, g, delta, p, L, w, np.ascontiguousarray(V[:, 0]))
    return lam, pole, lam, EXIT_BOUNDARY


@jit
def _eigh(B):
    """(eigenvalues, eigenvectors) of B by numba's LAPACK binding, in both modes."""
    return np.linalg.eigh(B)


@jit_borrow
def _hard_case(B, g, delta, p, L, w, z):
    """p += tau z with tau the boundary root of ||p + tau z|| = delta of lower model value."""
    n = g.size
    ta, tb = boundary_taus(p, z, delta)
    for i in range(n):
        w[i] = p[i] + ta * z[i]
    ma = model_value(B, g, w, L[0])
    for i in range(n):
        w[i] = p[i] + tb * z[i]
    tau = ta if ma < model_value(B, g, w, L[0]) else tb
    for i in range(n):
        p[i] += tau * z[i]


@logic
def exact_step(B, g, delta, p, L, w, rtol, maxiter):
    """Nearly exact trust-region step (Moré-Sorensen; N&W Alg. 4.3, hard case eq. 4.45).

    Finds lambda >= 0 with (B + lambda I) p = -g, B + lambda I positive
    semidefinite and lambda (delta - ||p||) = 0, up to | ||p|| - delta | <=
    rtol delta.  ``L`` (n, n) and ``w`` (n,) are workspace.

    Returns (lambda, factorizations, exit code, hard case flag).  ``config.logic``:
    run interpreted, it compiles only the kernels it reaches (the eigendecomposition of
    :func:`_indefinite_start` only once a B is indefinite); its divisions are
    :func:`_quotient`'s, IEEE in both modes (Python floats would raise at a zero).
    """
    if FA.cholesky(B, 0.0, L):
        K.neg(g, p)
        FA.cholesky_solve(L, p, p)
        if K.norm2(p) <= delta:
            return 0.0, 1, EXIT_INTERIOR, False
        pole = 0.0           # B is positive definite: every lambda >= 0 is admissible
        lam = 0.0            # ||p(0)|| > delta: left of the root
        hi = _quotient(K.norm2(g), delta)   # ||p(lam)|| < ||g|| / lam  for lam > 0
    else:
        lam, pole, hi, ex = _indefinite_start(B, g, delta, p, L, w)
        if ex >= 0:
            return lam, 1, ex, ex == EXIT_BOUNDARY
    nfac = 1
    # Newton's iteration on phi(lambda) = 1/||p(lambda)|| - 1/delta (N&W Alg. 4.3)
    lo = lam
    for it in range(maxiter):
        if not FA.cholesky(B, lam, L):
            # rounding made B + lam I numerically indefinite: move right within the bracket
            lo = lam
            lam = min(lam + 4.0 * (lam - pole) + SQRT_EPS, 0.5 * (lam + hi))
            nfac += 1
            continue
        nfac += 1
        K.neg(g, p)
        FA.cholesky_solve(L, p, p)
        pn = K.norm2(p)
        if abs(pn - delta) <= rtol * delta:
            break
        if pn > delta:
            lo = lam
        else:
            hi = lam
        qq = _forward_norm2(L, p, w)
        lam_new = lam + _quotient(_quotient(pn * pn, qq) * (pn - delta), delta)
        if not (lo < lam_new < hi):
            lam_new = 0.5 * (lo + hi)
        if lam_new == lam:
            break
        lam = lam_new
    return lam, nfac, EXIT_BOUNDARY, False


@jit_borrow
def _quotient(a, b):
    """a / b, IEEE (inf or NaN at b = 0) also when the caller runs as Python."""
    return a / b


@logic
def dogleg_step(B, g, delta, p, L, w, rtol, maxiter):
    """Dogleg step (N&W §4.1, eqs. 4.15-4.16) for positive definite B.

    p_B = -B^{-1} g if it fits; else the steepest-descent point p_U =
    -(g^T g / g^T B g) g cut at the boundary; else the point where the path
    p_U -> p_B leaves the region.  If B is not positive definite the path is
    undefined: ``exact_step`` answers instead (exit code EXIT_FALLBACK).

    Returns (lambda (NaN unless fallen back), factorizations, exit code, hard case flag).
    """
    if not FA.cholesky(B, 0.0, L):
        lam, nfac, _, hard = exact_step(B, g, delta, p, L, w, rtol, maxiter)
        return lam, nfac + 1, EXIT_FALLBACK, hard
    return math.nan, 1, _dogleg_path(B, g, delta, p, L, w), False


@jit_borrow
def _dogleg_path(B, g, delta, p, L, w):
    """The dogleg step for positive definite B (its factor in L) into p; returns the exit
    code (interior: the Newton step fits; else on the boundary)."""
    n = g.size
    K.neg(g, p)
    FA.cholesky_solve(L, p, p)
    if K.norm2(p) <= delta:
        return EXIT_INTERIOR
    gg = K.dot(g, g)
    gBg = 0.0
    for i in range(n):
        t = 0.0
        for j in range(n):
            t += B[i, j] * g[j]
        gBg += g[i] * t
    t_u = gg / gBg
    gn = math.sqrt(gg)
    if t_u * gn >= delta:
        for i in range(n):
            p[i] = -delta * g[i] / gn
        return EXIT_BOUNDARY
    # p = p_U + t (p_B - p_U), t in [0, 1], ||p|| = delta
    for i in range(n):
        w[i] = -t_u * g[i]          # p_U
        p[i] -= w[i]                # p_B - p_U
    _, t = boundary_taus(w, p, delta)
    for i in range(n):
        p[i] = w[i] + t * p[i]
    return EXIT_BOUNDARY
