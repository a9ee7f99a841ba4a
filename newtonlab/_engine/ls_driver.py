"""The line-search driver: one loop, assembled per method from its components.

Only this loop calls the objective, counts, records the trace, calls back and
decides termination (Optim.jl style).  Each iteration proposes a direction
(the method's ``direction``), evaluates trial points until the line search
accepts, validates, and only then commits the new iterate and lets the method
update its memory (propose, evaluate, validate, commit): x is never
overwritten by a non-finite point.

A method plugs in by passing its components to :func:`linesearch_loop` from its
own ``solve`` entry (see ``newtonlab/methods/bfgs.py``).  The loop is dual-mode
and inlined (``config.dual(inline=True)``): compiled inside each method's
``solve``, which therefore compiles only that method's parts and is cached on
disk on its own; interpreted, ``solve.py_func`` runs this same source as Python
over the same components (compiled kernels, or ``config.logic`` over them).

The component protocol (functions of the method's module)::

    init(mo, x, g, H) -> (work, state)
    direction(work, state, mo, g, p) -> (state, request)
    reset(work, state, mo) -> state   # forget curvature memory (after a failure)
    update(work, state, mo, s, y, sy, ss, yy, alpha, g_old) -> state
    finish(work, state, mo, status) -> (state, request, status)
    diagnostics(work, state, row)     # writes the method's trace columns into row
    pair(work, state) -> (s, y)       # optional: where the loop writes the next pair
    trial(x, p, alpha, out)           # optional: out = x + alpha p (kernels.trial_point)
    commit(x_new, x, g_new, g, s, y)  # optional: the accepted step's pass
    #                                   (kernels.step_pair_gnorm: s, y, s^T y, s^T s,
    #                                   y^T y, ||g_new||_inf)

``work`` is a NamedTuple of arrays (fields H and W first, then the method's own),
made once by ``init`` and changed only in place; ``state`` is a NamedTuple of
scalars, a value each component returns anew.  Why the split: a NamedTuple
holding arrays, rebuilt and returned at every call, costs two reference-count
operations (atomic increments and decrements) per array per call, which were
most of an iteration's time at small n; a tuple of scalars costs none (1000
Rosenbrock starts with lbfgs: 21.0 -> 16 ms on one thread).

``mo`` is the method's options record.  ``direction`` and ``finish`` work in
reverse communication: ``request`` is DONE, NEED_HESS (the loop evaluates the
Hessian at x into ``work.H`` and calls again) or NEED_PRODUCT (the loop
writes H(x) ``work.W[V]`` into ``work.W[HV]``, rows of tcg's workspace
(``workspace.py``), and calls again); every evaluation is counted here.  Which of these
the method can ask for is the component ``curvature`` it passes (one of the
functions below): a method that never asks compiles no Hessian code.  The line search
is a component too (``ls_start``/``ls_next``, reverse communication, see
``linesearch.py``), so a method may bring its own.

``pair`` says where the loop writes s_k = x_{k+1} - x_k and y_k = g_{k+1} - g_k at
each accepted step: by default (``pair=None``) into the loop's own vectors, which it
passes on to ``update``; a method that stores pairs may hand out the rows its next pair
will occupy, so that storing it copies nothing (L-BFGS's compact form: 4 passes over
n-vectors per iteration less at large n).  The pair's storage must stay as written until
``update`` returns.  ``trial`` and ``commit`` are the loop's own two passes over n-vectors
(the trial point, the accepted step's pass), replaceable so that L-BFGS's ``parallel``
entry runs them on threads (``chunks.trial_point_threads``, ``chunks.commit_threads``).

Passes over n-vectors per iteration (what the loop costs at large n, benchmarks/
results_large.md): g^T p; then per trial x + alpha p, the gradient's copy out of the
objective and g_t^T p (whose finiteness also vouches for g_t's: see the trial loop); at
the accepted step one pass forms s, y, their three products and ||g_{k+1}||_inf.
"""
import math
from typing import NamedTuple

import numpy as np

from . import kernels as K
from . import linesearch as LS
from . import status as S
from . import trace as T
from . import workspace as WS
from .config import dual, logic
from .signatures import functions
from .evaluate import (CURV_ASYMMETRIC, CURV_NONFINITE, CURV_OK, eval_fg, eval_hess, eval_hessp,
                       scale_point, scaled)

# what a component asks the loop for
DONE = 0
NEED_HESS = 1       # the Hessian at x, into work.H
NEED_PRODUCT = 2    # H(x) work.W[WS.V] -> work.W[WS.HV]

# first trial step alpha_0 of each line search
ALPHA0_UNIT = 0     # 1 (N&W §3.5 advice for quasi-Newton); min(1, 1/||p||) after a reset
ALPHA0_INTERP = 1   # min(1, 2.02 (f_k - f_{k-1}) / phi'(0)), as scipy's BFGS (N&W eq. 3.60)
ALPHA0_SCALED = 2   # alpha_{k-1} phi'_{k-1}(0) / phi'_k(0) (N&W eq. 3.60), capped by the
#                     ALPHA0_INTERP value (nonlinear CG, see docs/methods/cg.md)
ALPHA0_NEWTON = 3   # always 1: the Newton step is the model's own step length
ALPHA0_SLOPE = 4    # min(1, 1.01 alpha_{k-1} phi'_{k-1}(0) / phi'_k(0)) (steepest descent)
ALPHA0_FIXED = 5    # the option lr, every iteration (with linesearch="none": a fixed step)

# gradient-test scales
GTOL_ABS = 0        # ||g||_inf <= gtol
GTOL_F = 1          # ||g||_inf <= gtol * max(1, |f|)
GTOL_G0 = 2         # ||g||_inf <= gtol * ||g0||_inf

D_LS_EVALS = T.NCOL  # first diagnostics column: evaluations spent by the line search


class LineSearchOptions(NamedTuple):
    """Options of the loop itself (every line-search method has them)."""
    maxiter: int
    maxfev: int
    gtol: float
    gtol_mode: int       # GTOL_*
    linesearch: int      # linesearch.ARMIJO | WOLFE | NONE
    c1: float            # sufficient decrease (N&W eq. 3.6a)
    c2: float            # curvature condition (N&W eq. 3.6b)
    maxls: int           # evaluations per line search
    alpha_max: float
    alpha0: int          # ALPHA0_*
    lr: float            # the first trial step for ALPHA0_FIXED
    ftol: float          # relative-reduction stall test (0: off)
    time_ticks: float    # wall-clock budget in cycle-counter ticks (inf: none)


#: f below this is taken as unbounded below (status UNBOUNDED): -1/eps, as Optim.jl's
#: and CUTEst's conventions, far below any objective a well-scaled problem reaches
F_UNBOUNDED = -1.0 / 2.220446049250313e-16


@dual(inline=True)
def linesearch_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H,
                    init, direction, reset, update, finish, diagnostics, curvature, ls_start,
                    ls_next, pair=None, trial=K.trial_point, commit=K.step_pair_gnorm):
    """Minimize with a line-search method; returns (x, f, g, status, nit, nfev, nhev,
    events), ``events`` the counters ``trace.EV_*`` (int64[NEVENTS]).

    ``trace`` has maxiter + 1 rows; ``allvecs`` maxiter + 1 rows when iterates are kept,
    else 0; ``H`` the method's (n, n) matrix (Hessian or its inverse's model) or (0, 0).
    """
    ob, cb = functions(ob, cb, args)     # addresses -> callables (signatures.py)
    n = x0.size
    x = x0.copy()
    g = np.empty(n)
    xt = np.empty(n)
    gt = np.empty(n)
    p = np.zeros(n)                  # zeros: CG-type directions read p_{k-1} (-g + 0 p at a
    #                                  restart), and 0 * garbage may be NaN
    # the pair's vectors, bound once: rebinding an array variable costs two reference counts
    s = np.empty(n)
    y = np.empty(n)
    st = np.zeros(LS.SIZE)

    f = eval_fg(ob, x, g, args)
    nf = np.int64(1)                 # counters typed int64, not literals: numba would compile
    nh = np.int64(0)                 # callees once more for the literal row-0 values
    k = np.int64(0)
    gnorm = K.norm_inf(g)
    work, state = init(mo, x, g, H)
    T.record(trace, k, f, gnorm, 0.0, 0.0, nf, nh)
    trace[k, D_LS_EVALS] = 0.0
    diagnostics(work, state, trace[k, D_LS_EVALS + 1:])
    T.save_iterate(allvecs, k, x)
    if not (math.isfinite(f) and K.all_finite(g)):
        return x, f, g, S.NONFINITE_X0, 0, nf, nh, np.zeros(T.NEVENTS, np.int64)
    ob, f, gnorm, sigma = scale_run(lo, ob, f, g, gnorm)
    events = np.zeros(T.NEVENTS, np.int64)
    alpha_prev = 0.0
    dphi_prev = 0.0
    restarted = True                 # the last direction was steepest descent after a reset
    failed_once = False
    stalled = False
    f_old = f
    status = S.MAXITER
    while True:
        status = stop_test(lo, f, gnorm, stalled, k, nf,
                           trace[k, T.CLOCK] - trace[0, T.CLOCK])
        if status != RUNNING:
            break
        # propose a direction (the method may ask for curvature first)
        state, request = direction(work, state, mo, g, p)
        curv = CURV_OK
        while request != DONE:
            spent, curv = curvature(ob, x, args, work, request)
            nh += spent
            events[T.EV_ASYMMETRIC] += curv == CURV_ASYMMETRIC
            if curv == CURV_NONFINITE:
                break
            state, request = direction(work, state, mo, g, p)
        if curv == CURV_NONFINITE:
            status = S.NONFINITE_HESS
            break
        dphi0 = K.dot(g, p)
        if not dphi0 < 0.0:
            # not a descent direction (or NaN): fall back to steepest descent, counted
            events[T.EV_NONDESCENT] += 1
            K.neg(g, p)
            dphi0 = K.dot(g, p)
            state = reset(work, state, mo)
            restarted = True
            if not dphi0 < 0.0:
                status = S.NOT_DESCENT
                break
        alpha0 = _first_trial(lo, restarted, p, f, f_old, dphi0, alpha_prev, dphi_prev)
        # line search: evaluate trial points until accepted
        alpha = ls_start(st, lo.linesearch, f, dphi0, alpha0, lo.c1, lo.c2, lo.alpha_max,
                         lo.maxls)
        nf_start = nf
        ft = math.nan
        gt_finite = True
        while True:
            trial(x, p, alpha, xt)
            ft = eval_fg(ob, xt, gt, args)
            nf += 1
            dphi = K.dot(gt, p)
            # a finite sum of g_i p_i has no inf or NaN g_i (inf * p_i is inf, or NaN
            # when p_i = 0; either stays in any sum): the entrywise check, a pass over
            # g_t, only runs when the slope is not finite (or overflowed)
            gt_finite = math.isfinite(dphi) or K.all_finite(gt)
            # a trial whose gradient is not finite is no better than NaN f: backtrack from it
            phi = ft if gt_finite else math.nan
            code, anew = ls_next(st, alpha, phi, dphi)
            if code != LS.CONTINUE:
                break
            alpha = anew
        # validate
        if code == LS.FAIL or not (math.isfinite(ft) and gt_finite):
            if lo.linesearch == LS.NONE:
                status = S.NONFINITE
                break
            best = st[LS.BEST_A]
            if best > 0.0 and best != alpha:
                alpha = best
                trial(x, p, alpha, xt)
                ft = eval_fg(ob, xt, gt, args)
                nf += 1
            if not (best > 0.0 and math.isfinite(ft) and K.all_finite(gt)):
                # no improving finite point on this line: reset once, then give up
                if failed_once or restarted:
                    status = S.NONFINITE if not math.isfinite(st[LS.PHIHI]) \
                        and lo.linesearch == LS.WOLFE else S.LINESEARCH
                    break
                failed_once = True
                state = reset(work, state, mo)
                restarted = True
                continue
            failed_once = True       # an improving step exists: take it, then reset
        else:
            failed_once = False
        # commit the new iterate: s, y, their products and ||g_{k+1}||_inf in one pass
        if pair is not None:         # (decided at compile time)
            s, y = pair(work, state)
        sy, ss, yy, gnorm = commit(xt, x, gt, g, s, y)
        f_old = f
        x, xt = xt, x
        g, gt = gt, g
        f = ft
        k += 1
        if failed_once:
            state = reset(work, state, mo)
        else:
            state = update(work, state, mo, s, y, sy, ss, yy, alpha, gt)
        restarted = failed_once
        alpha_prev = alpha
        dphi_prev = dphi0
        T.record(trace, k, f, gnorm, step_norm(s, ss), alpha, nf, nh)
        trace[k, D_LS_EVALS] = nf - nf_start
        diagnostics(work, state, trace[k, D_LS_EVALS + 1:])
        T.save_iterate(allvecs, k, x)
        if cb(k, x, f, g) != 0:
            status = S.CALLBACK
            break
        if code == LS.UNBOUNDED:
            status = S.UNBOUNDED
            break
        # relative reduction test: checked after the gradient test at the loop top,
        # so a stall is reported as such and never as success
        stalled = lo.ftol > 0.0 and f_old - f <= lo.ftol * max(abs(f_old), abs(f), 1.0)
    # the method's last word (e.g. Newton: the Hessian at the solution, saddle test)
    state, request, status = finish(work, state, mo, status)
    while request != DONE:
        spent, curv = curvature(ob, x, args, work, request)
        nh += spent
        events[T.EV_ASYMMETRIC] += curv == CURV_ASYMMETRIC
        if curv == CURV_NONFINITE:
            status = S.NONFINITE_HESS
            break
        state, request, status = finish(work, state, mo, status)
    f = unscale_run(f, g, trace, k, sigma)
    return x, f, g, status, k, nf, nh, events


RUNNING = -1        # stop_test: no test fired

#: ||s||_2^2 inside this range is an accurate sum (no overflow, no loss to underflow)
SS_MIN = 1e-280


@logic
def step_norm(s, ss):
    """||s||_2 for the trace from ss = s^T s (``step_pair``): no pass over s, unless ss
    overflowed or underflowed (then the scaled ``norm2``).  This is the step actually
    taken, x_{k+1} - x_k; it decides nothing."""
    if SS_MIN < ss < math.inf:
        return math.sqrt(ss)
    return K.norm2(s)


@dual(inline=True)
def scale_run(lo, ob, f, g, gnorm):
    """gtol_scale="g0": the run sees f / sigma, sigma = ||g(x0)||_inf, so f -> c f changes no
    iterate; (ob, f, ||g||, sigma) at x0 for the run (g scaled in place), undone by
    :func:`unscale_run`."""
    sigma = gnorm if lo.gtol_mode == GTOL_G0 and gnorm > 0.0 else 1.0
    if sigma != 1.0:
        ob = scaled(ob, 1.0 / sigma)
        f = scale_point(f, g, 1.0 / sigma)
        gnorm = K.norm_inf(g)
    return ob, f, gnorm, sigma


@dual(inline=True)
def unscale_run(f, g, trace, k, sigma):
    """Back to the user's f after a run on f / sigma: g in place, the trace's f and gnorm
    columns of rows 1..k (row 0 was recorded before scaling); returns f."""
    if sigma == 1.0:
        return f
    for r in range(1, k + 1):
        trace[r, T.F] *= sigma
        trace[r, T.GNORM] *= sigma
    return scale_point(f, g, sigma)


@dual(inline=True)
def stop_test(lo, f, gnorm, stalled, k, nf, elapsed):
    """The tests before an iteration, shared by the line-search and trust-region loops:
    f unbounded below (f < F_UNBOUNDED; with GTOL_G0 f and ``gnorm`` are those the run
    sees, relative to ||g(x0)||, so the test is scale invariant too), the gradient test
    (scale max(1, |f|) with GTOL_F, else 1), a
    stall, the iteration and evaluation budgets, the time limit (``elapsed`` ticks), in
    that order; a status, or RUNNING."""
    if f < F_UNBOUNDED:
        return S.UNBOUNDED
    gscale = 1.0
    if lo.gtol_mode == GTOL_F:
        gscale = max(1.0, abs(f))
    if gnorm <= lo.gtol * gscale:
        return S.SUCCESS
    if stalled:
        return S.STALLED
    if k >= lo.maxiter:
        return S.MAXITER
    if nf >= lo.maxfev:
        return S.MAXFEV
    if elapsed > lo.time_ticks:
        return S.TIME_LIMIT
    return RUNNING


# The curvature components answer a request; each returns (evaluations spent, CURV_* code).

@dual(borrow=True)
def no_curvature(ob, x, args, work, request):
    """For methods that never ask for curvature."""
    return 0, CURV_OK


@dual(borrow=True)
def hessian(ob, x, args, work, request):
    """NEED_HESS: the Hessian at x into work.H."""
    return 1, eval_hess(ob, x, work.H, args)


@dual(borrow=True)
def products(ob, x, args, work, request):
    """NEED_HESS or NEED_PRODUCT (products from a Hessian matrix, or hessp)."""
    if request == NEED_HESS:
        return 1, eval_hess(ob, x, work.H, args)
    return 1, eval_hessp(ob, x, work.W[WS.V], work.W[WS.HV], args)


@logic
def _first_trial(lo, restarted, p, f, f_old, dphi0, alpha_prev, dphi_prev):
    """The first trial step alpha_0 by the rule lo.alpha0 (N&W §3.5)."""
    rule = lo.alpha0
    if rule == ALPHA0_NEWTON:
        return 1.0
    if rule == ALPHA0_FIXED:
        return lo.lr
    if restarted:
        return min(1.0, 1.0 / K.norm2(p))
    if rule == ALPHA0_SLOPE:
        return min(1.0, 1.01 * alpha_prev * dphi_prev / dphi0)    # N&W eq. 3.60
    if rule == ALPHA0_SCALED:
        # N&W eq. 3.60, capped by scipy's interpolation rule: after a restart the slope
        # ratio alone can overestimate by orders of magnitude, and the search then
        # bisects its way back
        a0 = min(alpha_prev * dphi_prev / dphi0, 2.02 * (f - f_old) / dphi0, 1.0)
        return a0 if a0 > 0.0 else 1.0
    if rule == ALPHA0_INTERP:
        # quadratic interpolation of the last decrease, capped at the unit step
        a0 = min(1.0, 1.01 * 2.0 * (f - f_old) / dphi0)
        return a0 if a0 > 0.0 else 1.0
    return 1.0
