"""The L-BFGS-B loop: lbfgs with box constraints lb <= x <= ub (``minimize(bounds=...)``).

Its own loop, so that the unbounded line-search loop (``ls_driver.py``) and every
method compiled from it stay as they are; it reuses the loop's option record, its
stopping tests (``ls_driver.stop_test``), the scaling helpers, the kernels and the
reverse-communication line search of ``linesearch.py``.  One iteration (Byrd, Lu,
Nocedal & Zhu 1995, §2 and §6):

1. the compact form B = theta I - W M W^T of the stored pairs (``box_compact.compact``:
   S^T Y and S^T S kept up to date by ``box_compact.push_pair`` as pairs enter, M held as
   the Cholesky factor of a k x k matrix, never inverted);
2. the generalized Cauchy point x^c along P(x - t g) (``box.cauchy``, Algorithm CP);
3. subspace minimization over the free variables and the backtrack into the box,
   giving xbar (``box.subspace``, direct primal method, eqs. 5.4-5.8), its 2k x 2k
   reduced matrix from blocks over the free set that ``box_compact.update_free`` moves
   along with the variables that changed set (the Fortran code's ``formk``);
4. a line search along d = xbar - x on the feasible segment: alpha_max is the longest
   step that stays in the box (1 at the first iteration, as the Fortran code), the first
   trial is 1, except at the first iteration and after a memory reset where it is
   min(1, 1/||d||) (1 when every variable has both bounds); trial points are projected
   onto the box (a rounding guard: alpha <= alpha_max keeps them inside);
5. the pair (s, y) is stored unless s^T y <= eps_mach y^T y (BLNZ §6) or
   s^T y <= curvature_eps ||s|| ||y|| (lbfgs's own guard); theta = y^T y / s^T y.

Stopping: ``stop_test`` on the projected gradient ||P(x - g) - x||_inf (the trace's
gnorm column), the relative-reduction test ``ftol`` and the budgets, as the unbounded
loop.  A failed search resets the memory (theta = 1) and retries once, as there.
"""
import math

import numpy as np

from . import box as B
from . import box_compact as BC
from . import kernels as K
from . import linesearch as LS
from . import status as S
from . import trace as T
from .config import dual
from .signatures import functions
from .evaluate import G_FD2, G_FD3, _scale, eval_fg, fd_step
from .ls_driver import D_LS_EVALS, RUNNING, scale_run, stop_test, unscale_run


@dual
def _fd_in_box(fun, x, f0, args, g, central, lb, ub):
    """Finite-difference gradient whose trial points stay in the box, as scipy's
    ``approx_derivative`` with bounds: f may be undefined outside it (sqrt, log).  A
    central difference whose step leaves the box becomes the one-sided three-point
    formula (-3 f0 + 4 f(x + h) - f(x + 2h)) / 2h on the side that fits (two
    evaluations either way); a forward step that leaves it is taken backwards.  Inside
    the box the steps and values are those of ``evaluate.fd_gradient``."""
    xw = x.copy()
    for i in range(x.size):
        xi = x[i]
        h = fd_step(xi, central)
        if central:
            if xi - abs(h) >= lb[i] and xi + abs(h) <= ub[i]:
                xw[i] = xi + h
                fp = fun(xw, *args)
                xw[i] = xi - h
                g[i] = (fp - fun(xw, *args)) / (2.0 * h)
            else:
                h = abs(h) if xi + 2.0 * abs(h) <= ub[i] else -abs(h)
                xw[i] = xi + h
                f1 = fun(xw, *args)
                xw[i] = xi + 2.0 * h
                g[i] = (-3.0 * f0 + 4.0 * f1 - fun(xw, *args)) / (2.0 * h)
        else:
            if not lb[i] <= xi + h <= ub[i]:
                h = -h
            xw[i] = xi + h
            g[i] = (fun(xw, *args) - f0) / h
        xw[i] = xi


@dual
def _eval_fg_box(ob, x, g, args, lb, ub):
    """``evaluate.eval_fg``, with finite-difference gradients kept in the box."""
    mode = ob[5]
    if mode != G_FD2 and mode != G_FD3:
        return eval_fg(ob, x, g, args)
    f = ob[0](x, *args)
    _fd_in_box(ob[0], x, f, args, g, mode == G_FD3, lb, ub)
    if ob[8] != 1.0:
        f *= ob[8]
        _scale(g, ob[8])
    return f


@dual(inline=True)
def box_loop(ob, cb, args, x0, lo, mo, trace, allvecs, lb, ub):
    """Minimize over the box [lb, ub]; returns (x, f, g, status, nit, nfev, nhev, events)
    as ``linesearch_loop``.  ``mo`` is lbfgs's options record (m, curvature_eps)."""
    ob, cb = functions(ob, cb, args)     # addresses -> callables (signatures.py)
    n = x0.size
    m = mo.m
    x = x0.copy()
    B.project(x, lb, ub)
    g = np.empty(n)
    xt = np.empty(n)
    gt = np.empty(n)
    d = np.empty(n)
    s = np.empty(n)
    y = np.empty(n)
    xc = np.empty(n)
    xbar = np.empty(n)
    tb = np.empty(n)
    r = np.empty(n)
    free = np.zeros(n, np.int64)
    heap = np.zeros(n, np.int64)
    zprev = np.ones(n, np.int64)
    Sb = np.zeros((m, n))
    Yb = np.zeros((m, n))
    SY = np.zeros((m, m))
    SS = np.zeros((m, m))
    W = np.zeros((n, 2 * m))
    LD = np.zeros((m, m))
    WN = np.zeros((2 * m, 2 * m))
    J = np.zeros((m, m))
    P = np.zeros((2 * m, 2 * m))
    c = np.zeros(2 * m)
    p = np.zeros(2 * m)
    v = np.zeros(2 * m)
    st = np.zeros(LS.SIZE)
    boxed = True
    for i in range(n):
        if not (lb[i] > -math.inf and ub[i] < math.inf):
            boxed = False

    f = _eval_fg_box(ob, x, g, args, lb, ub)
    nf = np.int64(1)
    nh = np.int64(0)
    k = np.int64(0)
    pg = B.proj_grad_norm(x, g, lb, ub)
    skipped = 0.0
    T.record(trace, k, f, pg, 0.0, 0.0, nf, nh)
    trace[k, D_LS_EVALS] = 0.0
    trace[k, D_LS_EVALS + 1] = skipped
    T.save_iterate(allvecs, k, x)
    if not (math.isfinite(f) and K.all_finite(g)):
        return x, f, g, S.NONFINITE_X0, 0, nf, nh, np.zeros(T.NEVENTS, np.int64)
    ob, f, pg, sigma = scale_run(lo, ob, f, g, pg)
    pg = B.proj_grad_norm(x, g, lb, ub)
    events = np.zeros(T.NEVENTS, np.int64)
    head = np.int64(-1)
    count = np.int64(0)
    theta = 1.0
    restarted = True
    failed_once = False
    stalled = False
    f_old = f
    code = LS.ACCEPT
    status = S.MAXITER
    while True:
        status = stop_test(lo, f, pg, stalled, k, nf, trace[k, T.CLOCK] - trace[0, T.CLOCK])
        if status != RUNNING:
            break
        # the compact L-BFGS matrix, the Cauchy point, the subspace step
        if count > 0 and not BC.compact(Sb, Yb, SY, SS, head, count, theta, W, LD, J):
            count = 0                      # singular middle matrix: forget the pairs
            theta = 1.0
        B.cauchy(x, g, lb, ub, W, count, theta, LD, J, xc, c, p, v, d, tb, heap, free)
        BC.update_free(Sb, Yb, head, count, WN, zprev, free, p, v)   # p, v: free here
        if not B.subspace(x, g, lb, ub, W, count, theta, LD, J, WN, xc, c, free, xbar, r, P,
                          p, v):
            K.copy_into(xc, xbar)
        for i in range(n):
            d[i] = xbar[i] - x[i]
        dphi0 = K.dot(g, d)
        if not dphi0 < 0.0:
            if count > 0:
                # not a descent direction (rounding): reset the memory and retry, counted
                events[T.EV_NONDESCENT] += 1
                count = 0
                theta = 1.0
                restarted = True
                continue
            status = S.NOT_DESCENT
            break
        # the feasible segment and the first trial
        if k == 0:
            amax = 1.0
        else:
            amax = min(B.max_step(x, d, lb, ub), lo.alpha_max)
        alpha0 = 1.0
        if restarted and not boxed:
            alpha0 = min(1.0, 1.0 / K.norm2(d))
        alpha = LS.ls_start(st, lo.linesearch, f, dphi0, alpha0, lo.c1, lo.c2, amax, lo.maxls)
        nf_start = nf
        ft = math.nan
        while True:
            K.trial_point(x, d, alpha, xt)
            B.project(xt, lb, ub)
            ft = _eval_fg_box(ob, xt, gt, args, lb, ub)
            nf += 1
            phi = ft if K.all_finite(gt) else math.nan
            code, anew = LS.ls_next(st, alpha, phi, K.dot(gt, d))
            if code != LS.CONTINUE:
                break
            alpha = anew
        if code == LS.UNBOUNDED and amax < lo.alpha_max:
            code = LS.ACCEPT               # f still falling where the box stops the segment
        # validate
        if code == LS.FAIL or not (math.isfinite(ft) and K.all_finite(gt)):
            best = st[LS.BEST_A]
            if best > 0.0 and best != alpha:
                alpha = best
                K.trial_point(x, d, alpha, xt)
                B.project(xt, lb, ub)
                ft = _eval_fg_box(ob, xt, gt, args, lb, ub)
                nf += 1
            if not (best > 0.0 and math.isfinite(ft) and K.all_finite(gt)):
                if failed_once or restarted:
                    status = S.NONFINITE if not math.isfinite(st[LS.PHIHI]) \
                        and lo.linesearch == LS.WOLFE else S.LINESEARCH
                    break
                failed_once = True
                count = 0
                theta = 1.0
                restarted = True
                continue
            failed_once = True
        else:
            failed_once = False
        # commit
        sy, ss, yy = K.step_pair(xt, x, gt, g, s, y)
        f_old = f
        x, xt = xt, x
        g, gt = gt, g
        f = ft
        pg = B.proj_grad_norm(x, g, lb, ub)
        k += 1
        if failed_once:
            count = 0
            theta = 1.0
        elif sy > B.EPS * yy and sy > mo.curvature_eps * math.sqrt(ss * yy):
            head, count = BC.push_pair(Sb, Yb, SY, SS, WN, zprev, head, count, s, y)
            theta = yy / sy
        else:
            skipped += 1.0
        restarted = failed_once
        T.record(trace, k, f, pg, abs(alpha) * K.norm2(d), alpha, nf, nh)
        trace[k, D_LS_EVALS] = nf - nf_start
        trace[k, D_LS_EVALS + 1] = skipped
        T.save_iterate(allvecs, k, x)
        if cb(k, x, f, g) != 0:
            status = S.CALLBACK
            break
        if code == LS.UNBOUNDED:
            status = S.UNBOUNDED
            break
        stalled = lo.ftol > 0.0 and f_old - f <= lo.ftol * max(abs(f_old), abs(f), 1.0)
    f = unscale_run(f, g, trace, k, sigma)
    return x, f, g, status, k, nf, nh, events
