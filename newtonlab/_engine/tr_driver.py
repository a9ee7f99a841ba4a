"""The trust-region driver: one loop, assembled per method from its components.

Each iteration (N&W Alg. 4.1 in outline) proposes a step p from the method's
model subproblem, evaluates the trial point x + p, validates it (a non-finite
trial is rejected: rho = -inf, and the method shrinks its region), forms the
ratio of actual to predicted reduction

    rho_k = (f(x_k) - f(x_k + p_k)) / (m_k(0) - m_k(p_k))          (N&W eq. 4.4)

lets the method update its radius (or damping) and decide acceptance, commits
x only for an accepted finite point, lets the method update its memory (SR1),
then records, calls back and tests termination.  Only this loop calls the
objective, counts, records the trace and decides termination.

A method plugs in by passing its components to :func:`trust_region_loop` from
its own ``solve`` (``newtonlab/methods/newton_tr.py``, ``sr1.py``,
``hessian_free.py``).  The loop is dual-mode and inlined
(``config.dual(inline=True)``), as ``ls_driver.py``: compiled inside each
method's ``solve``, which compiles only that method's parts; interpreted,
``solve.py_func`` runs this source as Python over the same compiled kernels.
The trust-region methods' components are ``dual(borrow=True)`` (their array
work is in compiled kernels): compiled, each is compiled into ``solve`` without
reference counts (inlined, the seven arrays of a method's ``work`` cost two counts
each per call); interpreted, they are plain Python, so no call pays numba's
dispatch on a NamedTuple state (~20 us).

The component protocol (functions of the method's module)::

    init(mo, x, g, B) -> (work, state)
    propose(work, state, mo, g, p) -> (state, request, pred, pnorm)
    judge(work, state, mo, trial, alpha, rho, finite, f, ft, g, gt, p, pnorm)
        -> (state, verdict, alpha)
    update(work, state, mo, accepted, finite, x, g, xt, gt, p) -> state
    radius(state) -> float            # the trace's ALPHA column (the trust radius delta_k)
    collapsed(state, mo, x) -> bool   # the region (or the damping) passed its floor
    diagnostics(work, state, row)     # the method's trace columns

``work`` (a NamedTuple of arrays, fields H and W first, changed in place) and ``state``
(a NamedTuple of scalars, returned anew) as in ``ls_driver.py``, for the same reason.

``propose`` works in reverse communication, as in ``ls_driver.py``: ``request``
is DONE (p written, with the predicted reduction pred = m(0) - m(p) and
||p||_2), NEED_HESS (the loop evaluates the Hessian at x into ``work.H``),
NEED_PRODUCT (H(x) ``work.W[V]`` -> ``work.W[HV]``, rows of ``tcg.py``'s
workspace) or NOT_DESCENT (no descent step: stop).  The ``curvature``
component answers the requests: ``no_curvature`` (SR1), ``hessian`` (a
Hessian matrix, also when CG takes its products from it) or ``hessp_products``
(products only), so a method run compiles only the evaluation code it uses.
``judge`` sees the trial just evaluated (``trial`` = 0 for alpha = 1) and
answers ACCEPT, REJECT, or RETRY with a new alpha to evaluate x + alpha p
(hessian-free's backtracking), or RESTEP: as RETRY after writing a new p (hessian-free's
CG-iteration backtracking; the loop recomputes ||p||, so STEP is alpha ||p|| of the step
taken); ``update`` gets the previous iterate (x, g)
and the trial (xt, gt) after the commit.

Trace: ALPHA holds ``radius(state)`` (trust region: delta_k after the update;
hessian-free: the accepted step length, 0 when rejected); STEP is
alpha ||p|| for an accepted step, else 0.
"""
import math
from typing import NamedTuple

import numpy as np

from . import kernels as K
from . import status as S
from . import tcg as TC
from . import trace as T
from . import trustregion as TR
from .config import dual, jit_borrow, logic
from .signatures import functions
from .evaluate import CURV_ASYMMETRIC, CURV_NONFINITE, CURV_OK, eval_fg, eval_hessp
from .ls_driver import (DONE, GTOL_ABS, GTOL_F, GTOL_G0, NEED_HESS, NEED_PRODUCT,  # noqa: F401
                        RUNNING, hessian, no_curvature, scale_run, stop_test, unscale_run)

NOT_DESCENT = 3     # a request: the proposed step is not a descent direction, stop

# judge's verdicts
REJECT = 0
ACCEPT = 1
RETRY = 2           # evaluate x + alpha p and judge again
RESTEP = 3          # as RETRY, after judge replaced p (hessian-free's CG backtracking): ||p|| anew

# the first diagnostics of every trust-region method (row = trace[k, T.NCOL:])
D_RHO, D_ITERS, D_LAM, D_EXIT, D_HARD = 0, 1, 2, 3, 4


class TrustRegionOptions(NamedTuple):
    """Options of the loop itself (every trust-region method has them)."""
    maxiter: int
    maxfev: int
    gtol: float
    gtol_mode: int       # ls_driver.GTOL_*
    time_ticks: float    # wall-clock budget in cycle-counter ticks (inf: none)


@dual(inline=True)
def trust_region_loop(ob, cb, args, x0, lo, mo, trace, allvecs, B,
                      init, propose, judge, update, radius, collapsed, diagnostics, curvature):
    """Minimize with a trust-region (or damped) method; returns (x, f, g, status, nit, nfev,
    nhev, events) as ``ls_driver.linesearch_loop``.

    ``trace`` has maxiter + 1 rows; ``allvecs`` maxiter + 1 rows when iterates
    are kept, else 0; ``B`` is the method's (n, n) matrix (Hessian or SR1
    approximation) or (0, 0).
    """
    ob, cb = functions(ob, cb, args)     # addresses -> callables (signatures.py)
    n = x0.size
    x = x0.copy()
    g = np.empty(n)
    xt = np.empty(n)
    gt = np.empty(n)
    p = np.empty(n)

    f = eval_fg(ob, x, g, args)
    # typed int64, not literals: callees then compile once, not once more for row 0
    nf = np.int64(1)
    nh = np.int64(0)
    k = np.int64(0)
    gnorm = K.norm_inf(g)
    work, state = init(mo, x, g, B)
    T.record(trace, k, f, gnorm, 0.0, radius(state), nf, nh)
    diagnostics(work, state, trace[k, T.NCOL:])
    T.save_iterate(allvecs, k, x)
    if not (math.isfinite(f) and K.all_finite(g)):
        return x, f, g, S.NONFINITE_X0, 0, nf, nh, np.zeros(T.NEVENTS, np.int64)
    ob, f, gnorm, sigma = scale_run(lo, ob, f, g, gnorm)
    events = np.zeros(T.NEVENTS, np.int64)
    status = S.MAXITER
    while True:
        status = stop_test(lo, f, gnorm, False, k, nf,
                           trace[k, T.CLOCK] - trace[0, T.CLOCK])
        if status != RUNNING:
            break
        # propose: the model subproblem (curvature evaluated here, on request)
        curv = CURV_OK
        while True:
            state, request, pred, pnorm = propose(work, state, mo, g, p)
            if request != NEED_HESS and request != NEED_PRODUCT:
                break
            spent, curv = curvature(ob, x, args, work, request)
            nh += spent
            events[T.EV_ASYMMETRIC] += curv == CURV_ASYMMETRIC
            if curv == CURV_NONFINITE:
                break
        if curv == CURV_NONFINITE:
            status = S.NONFINITE_HESS
            break
        if request != DONE:
            status = S.NOT_DESCENT
            break
        # evaluate and validate the trial point; the ratio rho (eq. 4.4)
        alpha = 1.0
        K.trial_point(x, p, alpha, xt)
        ft = eval_fg(ob, xt, gt, args)
        nf += 1
        finite = math.isfinite(ft) and K.all_finite(gt)
        rho = (f - ft) / pred if finite and pred > 0.0 else -math.inf
        # the method's radius (or damping) rule; it may ask for more trials along p
        trial = np.int64(0)        # not a literal (as nf, nh, k above)
        while True:
            state, verdict, anew = judge(work, state, mo, trial, alpha, rho, finite, f, ft, g, gt,
                                         p, pnorm)
            if verdict != RETRY and verdict != RESTEP:
                break
            if verdict == RESTEP:
                pnorm = K.norm2(p)
            alpha = anew
            K.trial_point(x, p, alpha, xt)
            ft = eval_fg(ob, xt, gt, args)
            nf += 1
            finite = math.isfinite(ft) and K.all_finite(gt)
            trial += 1
        # commit (never a non-finite point), then the method's update from the pair
        accepted = verdict == ACCEPT and finite
        step = 0.0
        if accepted:
            x, xt = xt, x
            g, gt = gt, g
            f = ft
            gnorm = K.norm_inf(g)
            step = alpha * pnorm
            # (two call sites, not four new names: rebinding an array variable costs two
            # reference counts per iteration)
            state = update(work, state, mo, accepted, finite, xt, gt, x, g, p)  # old, trial
        else:
            state = update(work, state, mo, accepted, finite, x, g, xt, gt, p)
        k += 1
        T.record(trace, k, f, gnorm, step, radius(state), nf, nh)
        diagnostics(work, state, trace[k, T.NCOL:])
        T.save_iterate(allvecs, k, x)
        if cb(k, x, f, g) != 0:
            status = S.CALLBACK
            break
        if collapsed(state, mo, x):
            status = S.TR_COLLAPSED
            break
    f = unscale_run(f, g, trace, k, sigma)
    return x, f, g, status, k, nf, nh, events


@dual(borrow=True)
def hessp_products(ob, x, args, work, request):
    """NEED_PRODUCT only: H(x) work.W[V] -> work.W[HV] by ``hessp`` (or differences of the
    gradient); a method whose Hessian is never a matrix compiles no Hessian code."""
    return 1, eval_hessp(ob, x, work.W[TC.V], work.W[TC.HV], args)


# ------------------------------------------------------------------------------------------
# Shared pieces of the methods' components: the region (newton-tr, sr1) and the subproblems.

@dual(inline=True)
def region_radius(state):
    """``radius`` of a method whose state holds the trust radius ``delta``."""
    return state.delta


@dual(borrow=True)
def region_collapsed(state, mo, x):
    """delta < delta_min max(1, ||x||): the region collapsed (status TR_COLLAPSED)."""
    return not state.delta >= mo.delta_min * max(1.0, K.norm2(x))


@logic
def model_step(B, g, delta, p, L, w, dogleg, rtol, maxiter, d):
    """A dense subproblem step into p: dogleg or exact (Moré-Sorensen), ``trustregion.py``.

    Writes the diagnostics (factorizations, multiplier, exit, hard case) into
    ``d``; returns (pred, ||p||) with pred = -m(p).
    """
    if dogleg:
        lam, nfac, ex, hard = TR.dogleg_step(B, g, delta, p, L, w, rtol, maxiter)
    else:
        lam, nfac, ex, hard = TR.exact_step(B, g, delta, p, L, w, rtol, maxiter)
    return model_result(B, g, p, w, d, lam, nfac, ex, hard)


@logic
def model_result(B, g, p, w, d, lam, nfac, ex, hard):
    """Diagnostics of a dense subproblem solve into ``d``; returns (pred, ||p||)."""
    d[D_ITERS] = nfac
    d[D_LAM] = lam
    d[D_EXIT] = ex
    d[D_HARD] = 1.0 if hard else 0.0
    return -TR.model_value(B, g, p, w), K.norm2(p)


@logic
def cg_begin(cst, W, hist, g, B, mode, delta, damp, maxit, meps, warm):
    """Open a truncated CG solve (``tcg.py``) with the forcing term min(1/2, sqrt ||g||) ||g||
    (N&W eq. 7.3); products by a dense B are answered at once (they cost no evaluation)."""
    gn = K.norm2(g)
    code = TC.tcg_start(cst, W, hist, g, mode, delta, damp, min(0.5, math.sqrt(gn)) * gn, maxit,
                        meps, warm)
    return dense_products(cst, W, hist, g, B, code)


@logic
def cg_resume(cst, W, hist, g, B):
    """Continue a CG solve after the loop wrote W[HV] = H W[V]."""
    return dense_products(cst, W, hist, g, B, TC.tcg_next(cst, W, hist, g))


@logic
def dense_products(cst, W, hist, g, B, code):
    """Answer CG's product requests with B W[V] while B is held as an (n, n) matrix;
    returns tcg.NEED_PRODUCT only when it is not (then the loop evaluates the product)."""
    while code == TC.NEED_PRODUCT and B.shape[0] == g.size:
        TC.matvec(B, W[TC.V], W[TC.HV])
        code = TC.tcg_next(cst, W, hist, g)
    return code


@jit_borrow
def cg_step(cst, W, p, d):
    """The step of a finished Steihaug solve into p; diagnostics into d; (pred, ||p||)."""
    pnorm = TC.get_step(W, p)
    d[D_ITERS] = cst[TC.IT]
    d[D_LAM] = math.nan
    d[D_EXIT] = cst[TC.EXIT]
    d[D_HARD] = 0.0
    return -cst[TC.MODEL], pnorm

