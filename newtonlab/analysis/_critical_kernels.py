"""Compiled kernels of :func:`newtonlab.analysis.find_critical_points`.

Levenberg-Marquardt on F(x) = grad f(x) = 0 with Jacobian J = hess f, on the
merit phi = 1/2 ||grad f||^2 (Madsen, Nielsen & Tingleff 2004, Alg. 3.16;
Nocedal & Wright 2006, sec. 10.3):

    (H^T H + mu I) p = -H^T g,        rho = (phi(x) - phi(x + p)) / pred(p),

mu <- mu max(1/3, 1 - (2 rho - 1)^3) after an accepted step (rho > 0), mu <- nu mu,
nu <- 2 nu after a rejected one; mu0 = tau max diag(H^T H).  The damping keeps
the system solvable where H is singular; as mu -> 0 near a non-degenerate
critical point the step is Newton's, -H^{-1} g, quadratically convergent
whatever the Morse index.  Deviations from the source: steps are clipped to a
box (``box_step``) and the predicted reduction is that of the clipped step.

``lm_solve`` runs one start and is the only code here that evaluates the
objective (through ``eval_fg``/``eval_hess``); ``lm_batch`` runs many starts in
a ``prange`` loop.  No LAPACK: the n x n system is solved by the engine's
Cholesky loops, which run allocation-free and report failure instead of raising.
"""
import math

import numpy as np
from numba import prange, types

from .._engine import factor as FA
from .._engine import kernels as K
from .._engine.config import jit
from .._engine.evaluate import eval_fg, eval_hess
from .._engine.signatures import F64_1D, F64_2D, compiled_entry, objective_type

# per-start status codes (OUTSIDE is set by the Python layer)
CONVERGED, MAXITER, STALLED, NONFINITE, OUTSIDE = range(5)
STATUS_NAMES = ("converged", "maxiter", "stalled", "nonfinite", "outside")
# float options: gradient tolerance, step tolerance, initial damping factor, x scale
F_GTOL, F_XTOL, F_TAU, F_XSCALE = range(4)
NF_OPTS = 4


@jit
def lm_system(H, g, A, b):
    """Gauss-Newton normal equations for F = g, J = H: A = H^T H, b = -H^T g."""
    n = g.size
    for i in range(n):
        t = 0.0
        for k in range(n):
            t += H[k, i] * g[k]
        b[i] = -t
        for j in range(i + 1):
            t = 0.0
            for k in range(n):
                t += H[k, i] * H[k, j]
            A[i, j] = t
            A[j, i] = t


@jit
def box_step(x, p, lo, hi, xt):
    """xt = clip(x + p, lo, hi) and p = xt - x (the step actually taken); returns ||p||_inf."""
    m = 0.0
    for i in range(x.size):
        v = min(max(x[i] + p[i], lo[i]), hi[i])
        xt[i] = v
        p[i] = v - x[i]
        m = max(m, abs(p[i]))
    return m


@jit
def predicted_reduction(H, g, p):
    """1/2 ||g||^2 - 1/2 ||g + H p||^2: decrease of phi predicted by the linear model of g."""
    n = g.size
    s = 0.0
    for i in range(n):
        r = 0.0
        for j in range(n):
            r += H[i, j] * p[j]
        s -= r * (2.0 * g[i] + r)
    return 0.5 * s


@jit
def lm_solve(ob, args, x, lo, hi, fopt, maxiter):
    """Levenberg-Marquardt on grad f = 0 from x (overwritten).

    Returns (x, f, ||g||_inf, status, iterations, fg calls, hess calls).
    """
    n = x.size
    g = np.empty(n)
    gt = np.empty(n)
    xt = np.empty(n)
    H = np.empty((n, n))
    Ht = np.empty((n, n))
    A = np.empty((n, n))
    L = np.empty((n, n))
    b = np.empty(n)
    p = np.empty(n)
    f = eval_fg(ob, x, g, args)
    eval_hess(ob, x, H, args)
    nfg = 1
    nh = 1
    if not (math.isfinite(f) and K.all_finite(g) and K.all_finite(H.ravel())):
        return x, f, K.norm_inf(g), NONFINITE, 0, nfg, nh
    phi = 0.5 * K.dot(g, g)
    lm_system(H, g, A, b)
    dmax = 0.0
    for i in range(n):
        dmax = max(dmax, A[i, i])
    mu = fopt[F_TAU] * max(dmax, 1e-300)
    nu = 2.0
    status = MAXITER
    k = 0
    while True:
        gn = K.norm_inf(g)
        if gn <= fopt[F_GTOL] * max(1.0, abs(f)):
            status = CONVERGED
            break
        if k >= maxiter:
            break
        k += 1
        # propose: A + mu I is positive definite for mu > 0 unless round-off says otherwise
        if not FA.cholesky(A, mu, L):
            mu *= nu
            nu *= 2.0
            continue
        FA.cholesky_solve(L, b, p)
        step = box_step(x, p, lo, hi, xt)
        if not step > fopt[F_XTOL] * (K.norm_inf(x) + fopt[F_XSCALE]):
            status = STALLED   # NaN step included
            break
        pred = predicted_reduction(H, g, p)
        # evaluate and validate before committing
        ft = eval_fg(ob, xt, gt, args)
        nfg += 1
        phit = 0.5 * K.dot(gt, gt)
        good = math.isfinite(ft) and math.isfinite(phit) and pred > 0.0 and phit < phi
        if good:
            eval_hess(ob, xt, Ht, args)
            nh += 1
            good = K.all_finite(Ht.ravel())
        if good:
            rho = (phi - phit) / pred
            x, xt = xt, x
            g, gt = gt, g
            H, Ht = Ht, H
            f = ft
            phi = phit
            lm_system(H, g, A, b)
            mu *= max(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
            nu = 2.0
        else:
            mu *= nu
            nu *= 2.0
            if not mu < 1e300:
                status = STALLED
                break
    return x, f, K.norm_inf(g), status, k, nfg, nh


@jit
def lm_batch(ob, args, solve, X, lo, hi, fopt, maxiter, F, GN, stats):
    """Run ``solve`` (``lm_solve``) from every row of X; results overwrite X.

    Compiled by :func:`batch_entry` (``signatures.compiled_entry``) without ``parallel``,
    so the ``prange`` runs as a plain loop (4000 starts of Himmelblau: 14.5 ms on one
    thread or two).  A parallel compile could not be cached safely (two processes
    compiling it at once can leave its gufunc and its body from different compiles, numba
    issue 10128), and an uncached one would cost every process ~3 s.

    F[s] = f, GN[s] = ||g||_inf at the end point; stats[s] = (status, iterations,
    fg calls, hess calls).  ``solve`` arrives as a first-class function, not as
    a global: numba links a called dispatcher's code into the caller and
    re-optimizes it there, once more for the parallel loop body, which made
    this kernel compile in ~20 s; through a function pointer it takes ~3 s.
    """
    for s in prange(X.shape[0]):
        x, f, gn, st, k, nfg, nh = solve(ob, args, X[s].copy(), lo, hi, fopt, maxiter)
        for i in range(x.size):
            X[s, i] = x[i]
        F[s] = f
        GN[s] = gn
        stats[s, 0] = st
        stats[s, 1] = k
        stats[s, 2] = nfg
        stats[s, 3] = nh


# the same source as Python, for Python objectives (prange is range outside numba;
# the objective calls are dual-mode); the functions themselves when the JIT is off
lm_solve_py = getattr(lm_solve, "py_func", lm_solve)
lm_batch_py = getattr(lm_batch, "py_func", lm_batch)
_REST = (F64_2D, F64_1D, F64_1D, F64_1D, types.int64, F64_1D, F64_1D, types.int64[:, ::1])


def batch_entry(A):
    """Compiled ``lm_batch`` and ``lm_solve`` for an args tuple of numba type A."""
    sig = (objective_type(A), A, F64_1D, F64_1D, F64_1D, F64_1D, types.int64)
    lm_solve.compile(sig)
    solve_type = types.FunctionType(lm_solve.overloads[sig].signature)
    return compiled_entry(lm_batch, A, (solve_type,) + _REST, callback=False), lm_solve
