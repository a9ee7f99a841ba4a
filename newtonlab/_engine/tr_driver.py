"""The trust-region driver: one loop for newton-tr, sr1 and hessian-free.

Each iteration solves a model subproblem for a step p (a kernel of
``trustregion.py``, or the reverse-communication CG of ``tcg.py`` whose
Hessian-vector products this loop computes and counts), evaluates the trial
point x + p, validates it, compares the actual with the predicted reduction,
rho = (f(x) - f(x + p)) / (m(0) - m(p)), updates the radius (or the damping)
and only then commits (propose, evaluate, validate, commit).  A non-finite
trial is rejected and shrinks the region.  Only this loop evaluates, counts,
records the trace, calls back and decides termination.

Families (one compiled loop, dispatching on an integer code)
-------------------------------------------------------------
NEWTON_TR : B = Hessian; N&W Alg. 4.1 (shrink by 1/4 when rho < 1/4, double
            up to delta_max when rho > 3/4 on the boundary, accept when
            rho > eta); subproblem exact, dogleg or Steihaug CG.
SR1       : B = SR1 approximation, B0 = I or (y^T y / s^T y) I; N&W Alg. 6.2
            (radius rules 0.75 / 0.8 delta / 0.1, update B after every finite
            trial, accepted or not, unless the skip rule fires).
HF        : Hessian-free (Martens 2010): truncated CG on (H + lam I) p = -g,
            warm-started from the decayed previous step; lam *= 3/2 when
            rho < 1/4, *= 2/3 when rho > 3/4, with rho measured against the
            undamped model; Armijo backtracking along p from alpha = 1.

The same source runs compiled and interpreted (``interpreted.twin``); ``B``
is (n, n) when the family keeps a dense matrix (Hessian or SR1), else (0, 0),
in which case products come from ``eval_hessp``.  Trace: ALPHA holds the
trust radius delta_k after the update (HF: the accepted step length).
"""
import math

import numpy as np

from . import kernels as K
from . import linesearch as LS
from . import status as S
from . import tcg as TC
from . import trace as T
from . import trustregion as TR
from .config import jit
from .evaluate import eval_fg, eval_hess, eval_hessp

NEWTON_TR, SR1, HF = 0, 1, 2
SUB_EXACT, SUB_DOGLEG, SUB_CG = 0, 1, 2
GTOL_ABS, GTOL_F, GTOL_G0 = 0, 1, 2      # as the line-search driver

# float options
(F_GTOL, F_DELTA0, F_DELTA_MAX, F_ETA, F_DELTA_MIN, F_SKIP, F_DAMP0, F_DAMP_MAX, F_C1, F_DECAY,
 F_MEPS, F_SUB_RTOL) = range(12)
NF_OPTS = 12
# integer options
(I_MAXITER, I_MAXFEV, I_GTOL_MODE, I_SUB, I_CG_MAXITER, I_INIT_SCALE, I_MAXLS,
 I_SUB_MAXITER) = range(8)
NI_OPTS = 8

# diagnostics columns after the common schema (each method shows a subset, see _trust.py)
D_RHO, D_SUB_ITERS, D_LAM, D_SUB_EXIT, D_HARD, D_SKIPPED, D_LS_EVALS = range(T.NCOL, T.NCOL + 7)
NCOL = T.NCOL + 7


@jit
def _record(trace, k, f, gnorm, step, alpha, nf, nh, rho, iters, lam, ex, hard, skipped, lse):
    T.record(trace, k, f, gnorm, step, alpha, nf, nh)
    trace[k, D_RHO] = rho
    trace[k, D_SUB_ITERS] = iters
    trace[k, D_LAM] = lam
    trace[k, D_SUB_EXIT] = ex
    trace[k, D_HARD] = hard
    trace[k, D_SKIPPED] = skipped
    trace[k, D_LS_EVALS] = lse


@jit
def tr_driver(ob, cb, args, x0, family, fopt, iopt, trace, allvecs, B):
    """Minimize with a trust-region (or damped) method; returns (x, f, g, status, nit, nfev, nhev).

    ``trace`` has maxiter + 1 rows and ``NCOL`` columns; ``allvecs`` has
    maxiter + 1 rows when iterates are kept, else 0; ``B`` is (n, n) for the
    dense families (NEWTON_TR with exact/dogleg or a Hessian given as a
    matrix, SR1, HF with a Hessian matrix), else (0, 0).
    """
    n = x0.size
    maxiter = iopt[I_MAXITER]
    maxfev = iopt[I_MAXFEV]
    sub = iopt[I_SUB]
    gtol = fopt[F_GTOL]
    delta = fopt[F_DELTA0]
    lam = fopt[F_DAMP0]
    dense = B.shape[0] == n
    use_cg = family == HF or sub == SUB_CG
    x = x0.copy()
    g = np.empty(n)
    xt = np.empty(n)
    gt = np.empty(n)
    p = np.empty(n)
    s = np.empty(n)
    y = np.empty(n)
    w = np.empty(n)
    pprev = np.zeros(n)                 # HF: last CG solution, the next warm start
    L = np.zeros((0, 0)) if use_cg else np.zeros((n, n))   # Cholesky factor workspace
    W = np.zeros((TC.NV, n)) if use_cg else np.zeros((0, n))
    cgmax = iopt[I_CG_MAXITER]
    hist = np.zeros(cgmax + 1)          # CG model values (Martens' progress test)
    cst = np.zeros(TC.SIZE)
    lst = np.zeros(LS.SIZE)
    if family == SR1:
        K.set_identity(B, 1.0)

    f = eval_fg(ob, x, g, args)
    nf = 1
    nh = 0
    gnorm = K.norm_inf(g)
    _record(trace, 0, f, gnorm, 0.0, 0.0 if family == HF else delta, nf, nh,
            math.nan, 0.0, lam if family == HF else math.nan, 0.0, 0.0, 0.0, 0.0)
    T.save_iterate(allvecs, 0, x)
    if not (math.isfinite(f) and K.all_finite(g)):
        return x, f, g, S.NONFINITE_X0, 0, nf, nh
    gmode = iopt[I_GTOL_MODE]
    gscale = gnorm if gmode == GTOL_G0 else 1.0
    stale = True                        # the Hessian matrix must be evaluated at x
    fresh_b = iopt[I_INIT_SCALE] != 0   # SR1: scale B0 by the first curvature pair
    have_prev = False                   # HF: a warm start is available
    skipped = 0.0
    k = 0
    status = S.MAXITER
    while True:
        if gmode == GTOL_F:
            gscale = max(1.0, abs(f))
        if gnorm <= gtol * gscale:
            status = S.SUCCESS
            break
        if k >= maxiter:
            status = S.MAXITER
            break
        if nf >= maxfev:
            status = S.MAXFEV
            break
        if dense and stale and family != SR1:
            eval_hess(ob, x, B, args)
            nh += 1
            stale = False
        # propose: solve the model subproblem
        hard = 0.0
        lam_sub = math.nan
        if use_cg:
            gn = K.norm2(g)
            warm = family == HF and have_prev and fopt[F_DECAY] > 0.0
            if warm:
                TC.set_start(W, pprev, fopt[F_DECAY])
            code = TC.tcg_start(cst, W, hist, g, TC.DAMPED if family == HF else TC.STEIHAUG,
                                delta, lam if family == HF else 0.0,
                                min(0.5, math.sqrt(gn)) * gn, cgmax, fopt[F_MEPS], warm)
            while code == TC.NEED_PRODUCT:
                if dense:
                    TC.matvec(B, W[TC.V], W[TC.HV])
                else:
                    eval_hessp(ob, x, W[TC.V], W[TC.HV], args)
                    nh += 1
                code = TC.tcg_next(cst, W, hist, g)
            pnorm = TC.get_step(W, p)
            iters = cst[TC.IT]
            ex = cst[TC.EXIT]
            model = cst[TC.MODEL]
            if family == HF:
                model -= 0.5 * lam * pnorm * pnorm     # rho against the undamped model
                lam_sub = lam
                if not K.dot(g, p) < 0.0:
                    # a warm start can leave an ascent direction: solve again from zero
                    have_prev = False
                    if warm:
                        continue
                    status = S.NOT_DESCENT
                    break
        else:
            if sub == SUB_DOGLEG:
                lam_sub, nfac, ex, hardb = TR.dogleg_step(B, g, delta, p, L, w, fopt[F_SUB_RTOL],
                                                          iopt[I_SUB_MAXITER])
            else:
                lam_sub, nfac, ex, hardb = TR.exact_step(B, g, delta, p, L, w, fopt[F_SUB_RTOL],
                                                         iopt[I_SUB_MAXITER])
            iters = nfac
            hard = 1.0 if hardb else 0.0
            model = TR.model_value(B, g, p, w)
            pnorm = K.norm2(p)
        pred = -model
        # evaluate and validate the trial point
        K.trial_point(x, p, 1.0, xt)
        ft = eval_fg(ob, xt, gt, args)
        nf += 1
        finite = math.isfinite(ft) and K.all_finite(gt)
        rho = (f - ft) / pred if finite and pred > 0.0 else -math.inf
        alpha = 1.0
        lse = 0.0
        if family == HF:
            # Levenberg-Marquardt damping (Martens 2010, §4.1)
            lam_old = lam
            if rho < 0.25:
                lam *= 1.5
            elif rho > 0.75:
                lam *= 2.0 / 3.0
            # Armijo backtracking along p (Martens & Sutskever 2012); alpha = 1 is the trial
            # just evaluated
            K.copy_into(p, pprev)
            have_prev = True
            dphi0 = K.dot(g, p)
            LS.ls_start(lst, LS.ARMIJO, f, dphi0, 1.0, fopt[F_C1], 0.9, 1.0, iopt[I_MAXLS])
            code, anew = LS.ls_next(lst, alpha, ft, K.dot(gt, p))
            while code == LS.CONTINUE:
                alpha = anew
                K.trial_point(x, p, alpha, xt)
                ft = eval_fg(ob, xt, gt, args)
                nf += 1
                lse += 1.0
                code, anew = LS.ls_next(lst, alpha, ft, K.dot(gt, p))
            accepted = code == LS.ACCEPT and math.isfinite(ft) and K.all_finite(gt)
            if not accepted:
                lam = max(lam, 1.5 * lam_old)
        else:
            if family == SR1:                      # N&W Alg. 6.2
                if rho > 0.75:
                    if pnorm > 0.8 * delta:
                        delta = min(2.0 * delta, fopt[F_DELTA_MAX])
                elif not rho >= 0.1:
                    delta = 0.5 * (delta if finite else min(delta, pnorm))
            else:                                  # N&W Alg. 4.1
                if not rho >= 0.25:
                    delta = 0.25 * (delta if finite else min(delta, pnorm))
                elif rho > 0.75 and pnorm >= (1.0 - 1e-6) * delta:
                    delta = min(2.0 * delta, fopt[F_DELTA_MAX])
            accepted = rho > fopt[F_ETA]
            if family == SR1 and finite:
                sy, ss, yy = K.step_pair(xt, x, gt, g, s, y)
                if fresh_b and sy > 0.0:
                    K.set_identity(B, yy / sy)      # B0 = (y^T y / s^T y) I, cf. N&W eq. 6.20
                    fresh_b = False
                skipped += TR.sr1_update(B, s, y, fopt[F_SKIP], w)
        # commit
        step = 0.0
        if accepted:
            x, xt = xt, x
            g, gt = gt, g
            f = ft
            gnorm = K.norm_inf(g)
            stale = True
            step = alpha * pnorm
        k += 1
        _record(trace, k, f, gnorm, step, (alpha if accepted else 0.0) if family == HF else delta,
                nf, nh, rho, iters, lam if family == HF else lam_sub, ex, hard, skipped, lse)
        T.save_iterate(allvecs, k, x)
        if cb(k, x, f, g) != 0:
            status = S.CALLBACK
            break
        if family == HF:
            if not lam <= fopt[F_DAMP_MAX]:
                status = S.TR_COLLAPSED
                break
        elif not delta >= fopt[F_DELTA_MIN] * max(1.0, K.norm2(x)):
            status = S.TR_COLLAPSED
            break
    return x, f, g, status, k, nf, nh
