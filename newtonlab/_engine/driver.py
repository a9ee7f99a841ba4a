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

The objective ``ob`` is evaluated only through ``eval_fg`` / ``eval_hess`` /
``eval_hessp`` (``evaluate.py``); ``cb(k, x, f, g) -> int`` is called after
each iteration and a nonzero answer stops the run.  Newton-CG's inner CG
(``tcg.py``) asks for Hessian-vector products in reverse communication; this
loop computes and counts them (or, when the Hessian is given as a matrix,
evaluates it once per iteration and multiplies).
"""
import math

import numpy as np

from . import directions as D
from . import kernels as K
from . import linesearch as LS
from . import status as S
from . import tcg as TC
from . import trace as T
from .config import jit
from .evaluate import HP_FROM_HESS, eval_fg, eval_hess, eval_hessp

# float options
(F_GTOL, F_C1, F_C2, F_ALPHA0, F_BETA, F_FLOOR, F_CURV_EPS, F_AMAX, F_FTOL, F_RESTART_NU,
 F_SADDLE_TOL) = range(11)
NF_OPTS = 11
# integer options
(I_MAXITER, I_MAXFEV, I_LS, I_M, I_MAXLS, I_MOD, I_UPDATE, I_GTOL_MODE, I_RETURN_ALL, I_ALPHA0_RULE,
 I_H0_SCALE, I_BETA_RULE, I_RESTART, I_CG_MAXITER) = range(14)
NI_OPTS = 14

# first trial step of quasi-Newton line searches
ALPHA0_UNIT = 0     # alpha0 = 1 (N&W §3.5 advice for quasi-Newton)
ALPHA0_INTERP = 1   # alpha0 = min(1, 2.02 (f_k - f_{k-1}) / phi'(0)), as scipy's BFGS
ALPHA0_SCALED = 2   # alpha0 = alpha_{k-1} phi'_{k-1}(0) / phi'_k(0) (N&W eq. 3.60), capped by
#                     the ALPHA0_INTERP value (nonlinear CG, see docs/methods/cg.md)

# gradient-test scales
GTOL_ABS = 0      # ||g||_inf <= gtol
GTOL_F = 1        # ||g||_inf <= gtol * max(1, |f|)
GTOL_G0 = 2       # ||g||_inf <= gtol * ||g0||_inf

# method diagnostics columns after the common schema
D_LS_EVALS = T.NCOL       # evaluations spent by this iteration's line search
D_METHOD = T.NCOL + 1     # Newton: shift tau or min eigenvalue; quasi-Newton: skipped updates;
#                           CG: beta_k; Newton-CG: inner CG iterations
D_EXTRA = T.NCOL + 2      # CG: restarts so far; Newton-CG: how the inner CG ended (tcg exit)
NCOL = T.NCOL + 3


@jit
def _record(trace, k, f, gnorm, step, alpha, nf, nh, ls_evals, diag):
    T.record(trace, k, f, gnorm, step, alpha, nf, nh)
    trace[k, D_LS_EVALS] = ls_evals
    trace[k, D_METHOD] = diag


@jit
def linesearch_driver(ob, cb, args, x0, family, fopt, iopt, trace, allvecs, Hmat):
    """Minimize with a line-search method; returns (x, f, g, status, nit, nfev, nhev).

    ``trace`` has maxiter + 1 rows and ``NCOL`` columns; ``allvecs`` has
    maxiter + 1 rows when iterates are kept, else 0; ``Hmat`` is (n, n) for
    NEWTON and SADDLE_FREE (last Hessian), BFGS (inverse Hessian
    approximation) and NEWTON_CG with a Hessian matrix (products from it),
    else (0, 0).
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
    newton_like = family == D.NEWTON or family == D.SADDLE_FREE
    # Newton-CG: inner CG workspace; products from Hmat when the Hessian is a matrix
    ncg = family == D.NEWTON_CG
    dense_hp = ncg and ob[7] == HP_FROM_HESS and Hmat.shape[0] == n
    W = np.zeros((TC.NV, n)) if ncg else np.zeros((0, n))
    hist = np.zeros(iopt[I_CG_MAXITER] + 1 if ncg else 1)
    cst = np.zeros(TC.SIZE)
    since_restart = 0               # CG: directions since the last steepest-descent restart
    restarts = 0.0                  # CG: restarts so far
    extra = 0.0

    f = eval_fg(ob, x, g, args)
    nf = 1
    nh = 0
    gnorm = K.norm_inf(g)
    _record(trace, 0, f, gnorm, 0.0, 0.0, nf, nh, 0.0, 0.0)
    trace[0, D_EXTRA] = 0.0
    T.save_iterate(allvecs, 0, x)
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
    sy = ss = yy = 0.0              # last step's s^T y, s^T s, y^T y
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
        if newton_like:
            eval_hess(ob, x, Hmat, args)
            nh += 1
            mod = D.MOD_ABS if family == D.SADDLE_FREE else iopt[I_MOD]
            diag = D.newton_direction(Hmat, g, p, L, mod, fopt[F_BETA], fopt[F_FLOOR])
        elif family == D.CG:
            beta = 0.0
            if not restarted and since_restart < iopt[I_RESTART]:
                beta, ratio = D.cg_beta(g, gt, y, p, iopt[I_BETA_RULE])
                if ratio >= fopt[F_RESTART_NU]:
                    beta = 0.0      # gradients far from orthogonal: restart (N&W eq. 5.52)
            if beta == 0.0:
                since_restart = 0
                restarts += 1.0
            since_restart += 1
            D.cg_direction(g, beta, p)
            diag = beta
            extra = restarts
        elif ncg:
            gn = K.norm2(g)
            code = TC.tcg_start(cst, W, hist, g, TC.NEWTON_CG, math.inf, 0.0,
                                min(0.5, math.sqrt(gn)) * gn, iopt[I_CG_MAXITER], 0.0, False)
            if dense_hp:
                eval_hess(ob, x, Hmat, args)
                nh += 1
            while code == TC.NEED_PRODUCT:
                if dense_hp:
                    TC.matvec(Hmat, W[TC.V], W[TC.HV])
                else:
                    eval_hessp(ob, x, W[TC.V], W[TC.HV], args)
                    nh += 1
                code = TC.tcg_next(cst, W, hist, g)
            TC.get_step(W, p)
            diag = cst[TC.IT]
            extra = cst[TC.EXIT]
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
        if newton_like or ncg:
            alpha0 = 1.0
        elif family == D.STEEPEST and fopt[F_ALPHA0] > 0.0:
            alpha0 = fopt[F_ALPHA0]
        elif restarted:
            alpha0 = min(1.0, 1.0 / K.norm2(p))
        elif family == D.STEEPEST:
            alpha0 = min(1.0, 1.01 * alpha_prev * dphi_prev / dphi0)   # N&W eq. 3.60
        elif iopt[I_ALPHA0_RULE] == ALPHA0_SCALED:
            # N&W eq. 3.60, capped by scipy's interpolation rule min(1, 2.02 (f_k - f_{k-1}) /
            # phi'(0)): after a restart the slope ratio alone can overestimate by orders of
            # magnitude, and the line search then bisects its way back
            alpha0 = min(alpha_prev * dphi_prev / dphi0, 2.02 * (f - f_old) / dphi0, 1.0)
            if not alpha0 > 0.0:
                alpha0 = 1.0
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
        trace[k, D_EXTRA] = extra
        T.save_iterate(allvecs, k, x)
        if cb(k, x, f, g) != 0:
            status = S.CALLBACK
            break
        # relative reduction test: checked after the gradient test at the loop top,
        # so a stall is reported as such and never as success
        stalled = fopt[F_FTOL] > 0.0 and f_old - f <= fopt[F_FTOL] * max(abs(f_old), abs(f), 1.0)
    if newton_like and status == S.SUCCESS:
        eval_hess(ob, x, Hmat, args)   # Hessian at the solution, for OptimizeResult.hess
        nh += 1
        if family == D.SADDLE_FREE and D.relative_min_eigenvalue(Hmat) < -fopt[F_SADDLE_TOL]:
            status = S.SADDLE          # the gradient test holds at a saddle: not a minimum
    return x, f, g, status, k, nf, nh
