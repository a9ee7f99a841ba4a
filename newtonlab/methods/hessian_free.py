"""Hessian-free Newton (Martens 2010): damped truncated CG from Hessian-vector products.

Martens (2010), Alg. 1: each iteration runs CG (N&W Alg. 5.2, in the
truncated form of Alg. 7.1) on the damped Newton system

    (H_k + lambda_k I) p = -g_k                                    (§4.1)

from the warm start decay * p_{k-1} (§4.5), stopped by the relative-progress
test i > k, phi_i < 0, (phi_i - phi_{i-k}) / phi_i < k eps with
k = max(10, 0.1 i) (§4.4), by negative curvature or by the residual test
||r|| <= min(1/2, sqrt ||g||) ||g|| (N&W eq. 7.3).  The damping follows
Levenberg-Marquardt with the reduction ratio rho = ared / pred, where pred
is measured against the undamped model q(p) = g^T p + 1/2 p^T H p:

    rho < 1/4 -> lambda *= 3/2,     rho > 3/4 -> lambda *= 2/3,

and the step is x + alpha p with alpha from Armijo backtracking from 1
(Martens & Sutskever 2012; N&W §3.5).  Products come from ``hessp``
(one ``nhev`` each, or two gradient calls by central differences) or from
the Hessian matrix when ``hess`` is given (one Hessian per new point).

Deviations: a warm start whose model value is not negative is dropped for a
cold start (``tcg.py``); a step that is not a descent direction after a warm
start is recomputed from zero (and ends the run, NOT_DESCENT, after a cold
one); when the backtracking finds no acceptable point x stays and lambda
grows by at least 3/2; the run stops with status TR_COLLAPSED when lambda
exceeds ``damping_max``.  No mini-batches or Gauss-Newton matrix: this is the
deterministic method on the true Hessian.  Trace: ALPHA holds the accepted
step length (0 when rejected), ``lam`` the damping after the update.
"""
import math
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine import kernels as K
from .._engine import linesearch as LS
from .._engine import tcg as TC
from .._engine import tr_driver as TD
from .._engine.config import dual, jit
from . import _trust as F

D_LS_EVALS = TD.D_EXIT + 1      # diagnostics column: evaluations of the backtracking


class Options(NamedTuple):
    damp0: float           # initial damping lambda_0
    damp_max: float        # stop (TR_COLLAPSED) when lambda exceeds it
    decay: float           # warm start decay * p_{k-1} (0: cold starts)
    meps: float            # eps of the relative-progress test
    c1: float              # Armijo sufficient decrease
    maxls: int             # evaluations per backtracking (the trial at alpha = 1 included)
    cg_maxiter: int        # CG iterations per solve


class State(NamedTuple):
    H: np.ndarray          # the Hessian at x (n, n) when hess is given, else (0, 0)
    W: np.ndarray          # CG workspace (tcg.NV, n)
    cst: np.ndarray        # CG state vector (tcg.SIZE)
    hist: np.ndarray       # CG model values (cg_maxiter + 1), for the progress test
    lst: np.ndarray        # line-search state vector (linesearch.SIZE)
    pprev: np.ndarray      # the last CG solution, the next warm start
    d: np.ndarray          # diagnostics: rho, cg_iters, lam, cg_exit, ls_evals
    lam: float             # damping lambda_k
    lam_old: float         # lambda before this iteration's update
    shown: float           # the accepted step length (0 when rejected), for the trace
    stale: bool            # H must be evaluated at x (when held as a matrix)
    running: bool          # a CG solve waits for a product
    warm: bool             # the CG solve under way was warm-started
    have_prev: bool        # a warm start is available


@dual(inline=True)
def _with(s, lam, lam_old, shown, stale, running, warm, have_prev):
    """The state with new scalars (numba has no NamedTuple._replace); inlined, so
    literal arguments do not compile variants."""
    return State(s.H, s.W, s.cst, s.hist, s.lst, s.pprev, s.d, lam, lam_old, shown, stale,
                 running, warm, have_prev)


@dual(inline=True)
def init(mo, x, g, H):
    n = x.size
    d = np.zeros(D_LS_EVALS + 1)
    d[TD.D_RHO] = math.nan
    d[TD.D_LAM] = mo.damp0
    return State(H, np.zeros((TC.NV, n)), np.zeros(TC.SIZE), np.zeros(mo.cg_maxiter + 1),
                 np.zeros(LS.SIZE), np.zeros(n), d, mo.damp0, mo.damp0, 0.0, True, False, False,
                 False)


@dual(inline=True)
def propose(state, mo, g, p):
    """Damped CG (Martens §4.1, §4.4, §4.5); pred against the undamped model."""
    s = state
    lam = s.lam
    have_prev = s.have_prev
    warm = s.warm
    start = not s.running
    if start:
        if s.H.shape[0] == g.size and s.stale:
            return (_with(s, lam, s.lam_old, s.shown, False, False, False, have_prev),
                    TD.NEED_HESS, 0.0, 0.0)
        warm = have_prev and mo.decay > 0.0
    while True:
        if start:           # one call site: warm is never a literal, one compiled cg_begin
            if warm:
                TC.set_start(s.W, s.pprev, mo.decay)
            code = TD.cg_begin(s.cst, s.W, s.hist, g, s.H, TC.DAMPED, 0.0, lam, mo.cg_maxiter,
                               mo.meps, warm)
        else:
            code = TD.cg_resume(s.cst, s.W, s.hist, g, s.H)
        if code == TC.NEED_PRODUCT:
            return (_with(s, lam, s.lam_old, s.shown, s.stale, True, warm, have_prev),
                    TD.NEED_PRODUCT, 0.0, 0.0)
        pnorm = TC.get_step(s.W, p)
        s.d[TD.D_ITERS] = s.cst[TC.IT]
        s.d[TD.D_EXIT] = s.cst[TC.EXIT]
        if K.dot(g, p) < 0.0:
            break
        # a warm start can leave an ascent direction: solve again from zero
        have_prev = False
        if not warm:
            return (_with(s, lam, s.lam_old, s.shown, s.stale, False, False, False),
                    TD.NOT_DESCENT, 0.0, 0.0)
        warm = False
        start = True
    model = s.cst[TC.MODEL] - 0.5 * lam * pnorm * pnorm      # the undamped model q(p)
    return (_with(s, lam, s.lam_old, s.shown, s.stale, False, warm, have_prev), TD.DONE, -model,
            pnorm)


@dual(inline=True)
def judge(state, mo, trial, alpha, rho, finite, f, ft, g, gt, p, pnorm):
    """Levenberg-Marquardt damping (Martens §4.1), then Armijo backtracking along p."""
    s = state
    if trial == 0:
        lam_old = s.lam
        lam = lam_old
        if rho < 0.25:
            lam *= 1.5
        elif rho > 0.75:
            lam *= 2.0 / 3.0
        s.d[TD.D_RHO] = rho
        # alpha = 1 is the trial the loop just evaluated
        LS.ls_start(s.lst, LS.ARMIJO, f, K.dot(g, p), 1.0, mo.c1, 0.9, 1.0, mo.maxls)
    else:
        lam_old = s.lam_old
        lam = s.lam
    code, anew = LS.ls_next(s.lst, alpha, ft, K.dot(gt, p))
    if code == LS.CONTINUE:
        return (_with(s, lam, lam_old, s.shown, s.stale, s.running, s.warm, s.have_prev),
                TD.RETRY, anew)
    accepted = code == LS.ACCEPT and finite
    if not accepted:
        lam = max(lam, 1.5 * lam_old)
    s.d[TD.D_LAM] = lam
    s.d[D_LS_EVALS] = trial
    return (_with(s, lam, lam_old, alpha if accepted else 0.0, s.stale, s.running, s.warm,
                  s.have_prev), TD.ACCEPT if accepted else TD.REJECT, alpha)


@dual(inline=True)
def update(state, mo, accepted, finite, x, g, xt, gt, p):
    """Keep p for the next warm start; a new point needs a new Hessian."""
    K.copy_into(p, state.pprev)
    s = state
    return _with(s, s.lam, s.lam_old, s.shown, s.stale or accepted, s.running, s.warm, True)


@dual(inline=True)
def radius(state):
    return state.shown


@dual(inline=True)
def collapsed(state, mo, x):
    return not state.lam <= mo.damp_max


@dual(inline=True)
def diagnostics(state, row):
    for i in range(D_LS_EVALS + 1):
        row[i] = state.d[i]


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    """Products from hessp (or differences of the gradient)."""
    lo, mo = o
    return TD.trust_region_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init, propose,
                                judge, update, radius, collapsed, diagnostics, TD.hessp_products)


@jit
def solve_dense(ob, cb, args, x0, o, trace, allvecs, H):
    """Products by the Hessian matrix (hess given), one Hessian per new point."""
    lo, mo = o
    return TD.trust_region_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init, propose,
                                judge, update, radius, collapsed, diagnostics, TD.hessian)


def prepare(opts, obj, x0):
    n = x0.size
    cgmax = F.cg_maxiter(opts, min(20 * n, 250))      # Martens: at most 250
    damp0 = O.real(opts, "damping", 0.0, lo_open=True)
    mo = Options(damp0=damp0, damp_max=O.real(opts, "damping_max", damp0, lo_open=True),
                 decay=O.real(opts, "cg_decay", 0.0, 1.0),
                 meps=O.real(opts, "cg_progress_eps", 0.0, lo_open=True),
                 c1=O.real(opts, "c1", 0.0, 1.0, lo_open=True, hi_open=True),
                 maxls=O.positive_int(opts, "maxls"), cg_maxiter=cgmax)
    # products from hessp (each counted), or from the Hessian matrix when hess is given
    dense = obj.hessp_kind == "from-hess"
    return F.plan(ENTRY, opts, obj, x0, mo, solve_dense if dense else solve,
                  B=np.zeros((n, n) if dense else (0, 0)), cost=F.products_cost(obj, dense))


ENTRY = F.entry(
    "hessian-free",
    "Hessian-free Newton (Martens 2010): damped truncated CG from Hessian-vector products, "
    "Levenberg-Marquardt damping, Armijo backtracking.",
    {**F.SECOND_ORDER, "damping": 1.0, "damping_max": 1e16, "cg_decay": 0.95, "cg_maxiter": None,
     "cg_progress_eps": 5e-4, "c1": 1e-2, "maxls": 20},
    prepare, solve, needs_hess=True, needs_hessp=True, variants=({}, {"hessp": False}),
    diagnostics=("rho", "cg_iters", "lam", "cg_exit", "ls_evals"), scipy=None,
    reference="Martens (2010), Deep learning via Hessian-free optimization, ICML, Alg. 1, "
              "§4.1, §4.4, §4.5; Martens & Sutskever (2012) (line search); Nocedal & Wright "
              "(2006), Alg. 7.1.")
