"""The line-search driver: one loop for every direction family.

Only this loop calls the objective, counts, records the trace, calls back and
decides termination (Optim.jl style); directions and line searches are
components that return numbers.  Each iteration proposes a direction,
evaluates trial points until the line search accepts, validates, and only
then commits the new iterate, so x is never overwritten by a non-finite
point (propose, evaluate, validate, commit).

The same source runs compiled (objectives are first-class numba functions)
and interpreted (``linesearch_driver.py_func`` with Python callables); the
interpreted loop calls the compiled kernels, so both give the same iterates.

The objective ``ob`` is evaluated only through ``eval_fg`` / ``eval_hess``
(``evaluate.py``); ``cb(k, x, f, g) -> int`` is called after each iteration
and a nonzero answer stops the run.
"""
import math

import numpy as np

from . import directions as D
from . import kernels as K
from . import linesearch as LS
from . import status as S
from . import trace as T
from .clock import ticks
from .config import jit
from .evaluate import eval_fg, eval_hess

# float options
F_GTOL, F_C1, F_C2, F_ALPHA0, F_BETA, F_FLOOR, F_CURV_EPS, F_AMAX, F_FTOL = range(9)
NF_OPTS = 9
# integer options
(I_MAXITER, I_MAXFEV, I_LS, I_M, I_MAXLS, I_MOD, I_UPDATE, I_GTOL_MODE, I_RETURN_ALL, I_ALPHA0_RULE,
 I_H0_SCALE) = range(11)
NI_OPTS = 11

# first trial step of quasi-Newton line searches
ALPHA0_UNIT = 0     # alpha0 = 1 (N&W §3.5 advice for quasi-Newton)
ALPHA0_INTERP = 1   # alpha0 = min(1, 2.02 (f_k - f_{k-1}) / phi'(0)), as scipy's BFGS

# gradient-test scales
GTOL_ABS = 0      # ||g||_inf <= gtol
GTOL_F = 1        # ||g||_inf <= gtol * max(1, |f|)
GTOL_G0 = 2       # ||g||_inf <= gtol * ||g0||_inf

# method diagnostics columns after the common schema
D_LS_EVALS = T.NCOL       # evaluations spent by this iteration's line search
D_METHOD = T.NCOL + 1     # Newton: shift tau or min eigenvalue; quasi-Newton: skipped updates
NCOL = T.NCOL + 2


@jit
def _record(trace, k, f, gnorm, step, alpha, nf, nh, ls_evals, diag):
    trace[k, T.ITER] = k
    trace[k, T.F] = f
    trace[k, T.GNORM] = gnorm
    trace[k, T.STEP] = step
    trace[k, T.ALPHA] = alpha
    trace[k, T.NFEV] = nf
    trace[k, T.NJEV] = nf
    trace[k, T.NHEV] = nh
    trace[k, T.CLOCK] = ticks()
    trace[k, D_LS_EVALS] = ls_evals
    trace[k, D_METHOD] = diag


@jit
def _save_iterate(allvecs, k, x):
    if allvecs.shape[0] > k:
        for i in range(x.size):
            allvecs[k, i] = x[i]


@jit
def linesearch_driver(ob, cb, args, x0, family, fopt, iopt, trace, allvecs, Hmat):
    """Minimize with a line-search method; returns (x, f, g, status, nit, nfev, nhev).

    ``trace`` has maxiter + 1 rows and ``NCOL`` columns; ``allvecs`` has
    maxiter + 1 rows when iterates are kept, else 0; ``Hmat`` is (n, n) for
    NEWTON (last Hessian) and BFGS (inverse Hessian approximation), else (0, 0).
    """
    n = x0.size
    maxiter = iopt[I_MAXITER]
    maxfev = iopt[I_MAXFEV]
    ls_kind = iopt[I_LS]
    gtol = fopt[F_GTOL]
    x = x0.copy()
    g = np.empty(n)
    xt = np.empty(n)
    gt = np.empty(n)
    p = np.empty(n)
    s = np.empty(n)
    y = np.empty(n)
    work = np.empty(n)
    st = np.zeros(LS.SIZE)
    # quasi-Newton and Newton state
    m = iopt[I_M] if family == D.LBFGS else 0
    Sbuf = np.zeros((m, n))         # L-BFGS pairs s_i (rows, circular)
    Ybuf = np.zeros((m, n))         # L-BFGS pairs y_i
    rho = np.zeros(m)               # 1 / s_i^T y_i
    abuf = np.zeros(m)              # two-loop workspace
    head = -1                       # row of the newest pair
    count = 0                       # pairs stored
    gamma = 1.0                     # H0 = gamma I
    L = np.zeros((n, n)) if family == D.NEWTON else np.zeros((0, 0))
    scale_h0 = iopt[I_H0_SCALE] != 0  # BFGS: rescale H0 from each fresh start
    h_fresh = scale_h0              # BFGS: next accepted pair scales H0
    skipped = 0.0                   # quasi-Newton updates skipped so far
    if family == D.BFGS:
        K.set_identity(Hmat, 1.0)

    f = eval_fg(ob, x, g, args)
    nf = 1
    nh = 0
    gnorm = K.norm_inf(g)
    _record(trace, 0, f, gnorm, 0.0, 0.0, nf, nh, 0.0, 0.0)
    _save_iterate(allvecs, 0, x)
    if not (math.isfinite(f) and K.all_finite(g)):
        return x, f, g, S.NONFINITE_X0, 0, nf, nh
    gmode = iopt[I_GTOL_MODE]
    gscale = gnorm if gmode == GTOL_G0 else 1.0
    alpha_prev = 0.0
    dphi_prev = 0.0
    restarted = True               # last direction was steepest descent after a reset
    failed_once = False
    stalled = False
    f_old = f
    k = 0
    status = S.MAXITER
    while True:
        if gmode == GTOL_F:
            gscale = max(1.0, abs(f))
        if gnorm <= gtol * gscale:
            status = S.SUCCESS
            break
        if stalled:
            status = S.STALLED
            break
        if k >= maxiter:
            status = S.MAXITER
            break
        if nf >= maxfev:
            status = S.MAXFEV
            break
        # propose a direction
        diag = skipped
        if family == D.NEWTON:
            eval_hess(ob, x, Hmat, args)
            nh += 1
            diag = D.newton_direction(Hmat, g, p, L, iopt[I_MOD], fopt[F_BETA], fopt[F_FLOOR])
        elif family == D.BFGS:
            K.neg_matvec(Hmat, g, p)
        elif family == D.LBFGS:
            K.two_loop(g, Sbuf, Ybuf, rho, head, count, gamma, abuf, p)
        else:
            K.neg(g, p)
        dphi0 = K.dot(g, p)
        if not dphi0 < 0.0:
            # not a descent direction (or NaN): fall back to steepest descent
            K.neg(g, p)
            dphi0 = K.dot(g, p)
            h_fresh = scale_h0
            count = 0
            if family == D.BFGS:
                K.set_identity(Hmat, 1.0)
            restarted = True
            if not dphi0 < 0.0:
                status = S.NOT_DESCENT
                break
        # first trial step
        if family == D.NEWTON:
            alpha0 = 1.0
        elif family == D.STEEPEST and fopt[F_ALPHA0] > 0.0:
            alpha0 = fopt[F_ALPHA0]
        elif restarted:
            alpha0 = min(1.0, 1.0 / K.norm2(p))
        elif family == D.STEEPEST:
            alpha0 = min(1.0, 1.01 * alpha_prev * dphi_prev / dphi0)   # N&W eq. 3.60
        elif iopt[I_ALPHA0_RULE] == ALPHA0_INTERP:
            # quadratic interpolation of the last decrease, capped at the unit step
            # (N&W eq. 3.60 with phi'(0) (alpha0) = 2 (f_k - f_{k-1}); scipy's choice)
            alpha0 = min(1.0, 1.01 * 2.0 * (f - f_old) / dphi0)
            if not alpha0 > 0.0:
                alpha0 = 1.0
        else:
            alpha0 = 1.0
        # line search: evaluate trial points until accepted
        alpha = LS.ls_start(st, ls_kind, f, dphi0, alpha0, fopt[F_C1], fopt[F_C2],
                            fopt[F_AMAX], iopt[I_MAXLS])
        nf_start = nf
        ft = math.nan
        while True:
            K.trial_point(x, p, alpha, xt)
            ft = eval_fg(ob, xt, gt, args)
            nf += 1
            dphi = K.dot(gt, p)
            code, anew = LS.ls_next(st, alpha, ft, dphi)
            if code != LS.CONTINUE:
                break
            alpha = anew
        if code == LS.FAIL or not (math.isfinite(ft) and K.all_finite(gt)):
            if ls_kind == LS.NONE:
                status = S.NONFINITE
                break
            best = st[LS.BEST_A]
            if best > 0.0 and best != alpha:
                alpha = best
                K.trial_point(x, p, alpha, xt)
                ft = eval_fg(ob, xt, gt, args)
                nf += 1
            if not (best > 0.0 and math.isfinite(ft) and K.all_finite(gt)):
                # no improving finite point on this line
                if failed_once or restarted:
                    status = S.NONFINITE if not math.isfinite(st[LS.PHIHI]) and ls_kind == LS.WOLFE \
                        else S.LINESEARCH
                    break
                failed_once = True
                h_fresh = scale_h0
                count = 0
                if family == D.BFGS:
                    K.set_identity(Hmat, 1.0)
                restarted = True
                continue
            # an improving step exists: take it, then reset the memory
            failed_once = True
        else:
            failed_once = False
        # validate passed: commit the new iterate
        sy, ss, yy = K.step_pair(xt, x, gt, g, s, y)
        f_old = f
        x, xt = xt, x
        g, gt = gt, g
        f = ft
        gnorm = K.norm_inf(g)
        k += 1
        if family == D.BFGS:
            if failed_once:
                K.set_identity(Hmat, 1.0)
                h_fresh = scale_h0
            else:
                skip = D.bfgs_update(Hmat, s, y, gt, alpha, sy, ss, yy, h_fresh,
                                     iopt[I_UPDATE], fopt[F_CURV_EPS], work)
                skipped += skip
                if skip == 0.0:
                    h_fresh = False
            diag = skipped
        elif family == D.LBFGS:
            if failed_once:
                count = 0
                gamma = 1.0
            elif sy > fopt[F_CURV_EPS] * math.sqrt(ss * yy):
                head, count = D.lbfgs_push(Sbuf, Ybuf, rho, head, count, s, y, sy)
                gamma = sy / yy
            else:
                skipped += 1.0
            diag = skipped
        restarted = failed_once
        alpha_prev = alpha
        dphi_prev = dphi0
        _record(trace, k, f, gnorm, abs(alpha) * K.norm2(p), alpha, nf, nh, nf - nf_start, diag)
        _save_iterate(allvecs, k, x)
        if cb(k, x, f, g) != 0:
            status = S.CALLBACK
            break
        # relative reduction test: checked after the gradient test at the loop top,
        # so a stall is reported as such and never as success
        stalled = fopt[F_FTOL] > 0.0 and f_old - f <= fopt[F_FTOL] * max(abs(f_old), abs(f), 1.0)
    if family == D.NEWTON and status == S.SUCCESS:
        eval_hess(ob, x, Hmat, args)   # Hessian at the solution, for OptimizeResult.hess
        nh += 1
    return x, f, g, status, k, nf, nh
