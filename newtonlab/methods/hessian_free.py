"""Hessian-free Newton (Martens 2010): damped truncated CG from curvature-vector products.

Martens (2010), Alg. 1: each iteration runs CG (N&W Alg. 5.2, in the
truncated form of Alg. 7.1; preconditioned, Alg. 5.3, when asked) on the
damped Newton system

    (B_k + lambda_k I) p = -g_k                                    (§4.1)

where B_k v is what ``hessp`` returns: the Hessian, or Martens' generalized
Gauss-Newton matrix (§4.2, Schraudolph 2002) when ``hessp`` is a GGN product
such as ``problem.ggnp`` (then every model below is the GGN model).  CG starts
from the warm start decay * p_{k-1} (§4.5; ``cg_decay = 0``: from zero) and
is stopped by the relative-progress test i > k, phi_i < 0,
(phi_i - phi_{i-k}) / phi_i < k eps with k = max(10, 0.1 i) (§4.4), by
negative curvature or by the residual test ||r|| <= min(1/2, sqrt ||g||) ||g||
(N&W eq. 7.3).  Preconditioning (§4.7, ``preconditioner="gradient-squared"``):
M = (s + lambda)^xi with s the bias-corrected running average of g o g (Adam's
second moment) in place of Martens' sum of squared per-case gradients.
CG-iteration backtracking (§4.6, ``cg_backtracking``): the iterates at
i = ceil(1.3^j) and the last are kept (``_engine/cg_backtrack.py``); f(x + p_i)
is evaluated backwards from the last while it decreases and the best is the
step (``judge`` rewrites p and asks the loop for x + p with RESTEP).  The
damping follows Levenberg-Marquardt with the reduction ratio rho = ared / pred
of the chosen step, pred measured against the undamped model
q(p) = g^T p + 1/2 p^T B p:

    rho < 1/4 -> lambda *= 3/2,     rho > 3/4 -> lambda *= 2/3,

and the step is x + alpha p with alpha from Armijo backtracking from 1
(Martens & Sutskever 2012; N&W §3.5).  Products come from ``hessp``
(one ``nhev`` each, or two gradient calls by central differences) or from
the Hessian matrix when ``hess`` is given (one Hessian per new point).  The
defaults (no backtracking, M = I) reproduce the method before these options.

Deviations: a warm start whose model value is not negative is dropped for a
cold start (``tcg.py``); a step that is not a descent direction after a warm
start is recomputed from zero (and ends the run, NOT_DESCENT, after a cold
one); when the backtracking finds no acceptable point x stays and lambda
grows by at least 3/2; the run stops with status TR_COLLAPSED when lambda
exceeds ``damping_max``; the preconditioner's s (above); in CG backtracking a
kept iterate that is not a descent direction ends the walk, and the chosen
point is evaluated again when the walk went past it and the line search
accepts it at alpha = 1 (the loop commits the point it evaluated last).

Mini-batch curvature (§4.3): ``_hf_batch.py``.  Trace:
ALPHA holds the accepted step length (0 when rejected), ``lam`` the damping
after the update, ``bt_evals`` the evaluations of the CG backtracking,
``cg_pick`` the CG iteration of the chosen iterate.
"""
import math
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine import cg_backtrack as CB
from .._engine import fo_driver as FD
from .._engine import kernels as K
from .._engine import linesearch as LS
from .._engine import tcg as TC
from .._engine import tr_driver as TD
from .._engine.config import dual, jit, jit_borrow
from .._objective import Cost
from . import _trust as F
from ._hf_batch import Batch, batch_options, batch_products, draw_batch

# diagnostics columns after the trust-region ones (rho, cg_iters, lam, cg_exit)
D_LS_EVALS = TD.D_EXIT + 1      # evaluations of the Armijo search after its unit trial
D_BT_EVALS = D_LS_EVALS + 1     # evaluations of the CG-iteration backtracking (§4.6)
D_PICK = D_BT_EVALS + 1         # the CG iteration whose iterate is the step
NDIAG = D_PICK + 1

PRECONDITIONERS = ("none", "gradient-squared")
PRECOND_NONE, PRECOND_GRADSQ = 0, 1

# State.aux: the kept iterates' storage state (cg_backtrack, its first KSIZE entries), then
# the scalars of judge's CG backtracking and of the preconditioner
A_PHASE, A_CUR, A_BEST, A_FBEST, A_BTEV, A_PCK, A_CORR, A_NEWPT = range(CB.KSIZE, CB.KSIZE + 8)
NAUX = CB.KSIZE + 8
S2 = TC.NVP         # the row of State.W after CG's rows: s, the running average of g o g
PH_LS = 0.0         # the Armijo search along p (the only phase without CG backtracking)
PH_BACK = 1.0       # evaluating kept CG iterates backwards from the last
PH_RECALL = 2.0     # the chosen iterate, evaluated again so that the loop can commit it


class Options(NamedTuple):
    damp0: float           # initial damping lambda_0
    damp_max: float        # stop (TR_COLLAPSED) when lambda exceeds it
    decay: float           # warm start decay * p_{k-1} (0: cold starts)
    meps: float            # eps of the relative-progress test
    c1: float              # Armijo sufficient decrease
    maxls: int             # evaluations per backtracking (the trial at alpha = 1 included)
    cg_maxiter: int        # CG iterations per solve
    backtrack: bool        # CG-iteration backtracking (§4.6)
    precond: int           # PRECOND_NONE | PRECOND_GRADSQ (§4.7)
    xi: float              # M = (s + lambda)^xi
    pbeta: float           # decay of the running average s of g o g
    batch: Batch           # mini-batch curvature products (§4.3)


class Work(NamedTuple):
    H: np.ndarray          # the Hessian at x (n, n) when hess is given, else (0, 0)
    W: np.ndarray          # CG workspace (tcg.NVP + 1, n): row tcg.MD holds the preconditioner
    #                        M, row S2 the running average s of g o g ("gradient-squared")
    cst: np.ndarray        # CG state vector (tcg.PSIZE)
    hist: np.ndarray       # CG model values (cg_maxiter + 1), for the progress test
    lst: np.ndarray        # line-search state vector (linesearch.SIZE)
    pprev: np.ndarray      # the last CG iterate of the last solve, the next warm start
    d: np.ndarray          # diagnostics: rho, cg_iters, lam, cg_exit, ls_evals, bt_evals, cg_pick
    keep: np.ndarray       # kept CG iterates (cg_backtrack.capacity rows, or 0), n columns
    kinfo: np.ndarray      # their CG iteration indices and damped model values phi_i (rows, 2)
    aux: np.ndarray        # storage state, backtracking and preconditioner scalars (NAUX)
    bhp: object            # the mini-batch product (Batch.bhp: a callable, or a numba entry)
    rng: np.ndarray        # splitmix64 state of the batch draws (fo_driver's generator)
    perm: np.ndarray       # a permutation of 0..N-1 (0 entries when off), partially reshuffled
    bidx: np.ndarray       # this iteration's batch, sorted (Batch.size entries)


class State(NamedTuple):
    lam: float             # damping lambda_k
    lam_old: float         # lambda before this iteration's update
    shown: float           # the accepted step length (0 when rejected), for the trace
    stale: bool            # H must be evaluated at x (when held as a matrix)
    running: bool          # a CG solve waits for a product
    warm: bool             # the CG solve under way was warm-started
    have_prev: bool        # a warm start is available


@dual(inline=True)
def init(mo, x, g, H):
    n = x.size
    d = np.zeros(NDIAG)
    d[TD.D_RHO] = math.nan
    d[TD.D_LAM] = mo.damp0
    W = np.zeros((TC.NVP + 1, n))
    K.fill(W[TC.MD], 1.0)           # M = I unless a preconditioner is chosen
    kcap = CB.capacity(mo.cg_maxiter) if mo.backtrack else 0
    aux = np.zeros(NAUX)
    aux[A_NEWPT] = 1.0
    bt = mo.batch
    rng = np.zeros(2, np.uint64)
    FD.rng_seed(rng, bt.seed)
    perm = np.arange(bt.n_samples if bt.size > 0 else 0)
    return (Work(H, W, np.zeros(TC.PSIZE), np.zeros(mo.cg_maxiter + 1), np.zeros(LS.SIZE),
                 np.zeros(n), d, np.zeros((kcap, n)), np.zeros((kcap, 2)), aux, bt.bhp, rng,
                 perm, np.zeros(bt.size, np.int64)),
            State(mo.damp0, mo.damp0, 0.0, True, False, False, False))


@dual(borrow=True)
def propose(work, state, mo, g, p):
    """Damped (preconditioned) CG (Martens §4.1, §4.4, §4.5, §4.7); pred against the
    undamped model."""
    s = state
    w = work
    lam = s.lam
    have_prev = s.have_prev
    warm = s.warm
    start = not s.running
    if start:
        if w.H.shape[0] == g.size and s.stale:
            return (State(lam, s.lam_old, s.shown, False, False, False, have_prev),
                    TD.NEED_HESS, 0.0, 0.0)
        warm = have_prev and mo.decay > 0.0
        if mo.batch.size > 0:       # this iteration's curvature mini-batch (§4.3)
            draw_batch(w.rng, w.perm, w.bidx)
        if mo.precond == PRECOND_GRADSQ:
            if w.aux[A_NEWPT] != 0.0:       # once per point: s = beta s + (1 - beta) g o g
                w.aux[A_PCK] += 1.0
                w.aux[A_CORR] = CB.second_moment(w.W[S2], g, mo.pbeta, w.aux[A_PCK])
                w.aux[A_NEWPT] = 0.0
            CB.precondition(w.W, w.W[S2], w.aux[A_CORR], lam, mo.xi)
    while True:
        if start:           # one call site: warm is never a literal, one compiled begin
            if warm:
                TC.set_start(w.W, w.pprev, mo.decay)
            code = CB.begin(w.cst, w.W, w.hist, g, w.H, lam, mo.cg_maxiter, mo.meps, warm,
                            w.aux, w.keep, w.kinfo)
        else:
            code = CB.resume(w.cst, w.W, w.hist, g, w.H, w.aux, w.keep, w.kinfo)
        if code == TC.NEED_PRODUCT:
            return (State(lam, s.lam_old, s.shown, s.stale, True, warm, have_prev),
                    TD.NEED_PRODUCT, 0.0, 0.0)
        pnorm = TC.get_step(w.W, p)
        w.d[TD.D_ITERS] = w.cst[TC.IT]
        w.d[TD.D_EXIT] = w.cst[TC.EXIT]
        w.d[D_PICK] = w.cst[TC.IT]
        if K.dot(g, p) < 0.0:
            break
        # a warm start can leave an ascent direction: solve again from zero
        have_prev = False
        if not warm:
            return (State(lam, s.lam_old, s.shown, s.stale, False, False, False),
                    TD.NOT_DESCENT, 0.0, 0.0)
        warm = False
        start = True
    K.copy_into(p, w.pprev)         # the next warm start: the last CG iterate (Martens §4.6)
    model = w.cst[TC.MODEL] - 0.5 * lam * pnorm * pnorm      # the undamped model q(p)
    return (State(lam, s.lam_old, s.shown, s.stale, False, warm, have_prev), TD.DONE, -model,
            pnorm)


@jit_borrow
def _damping(lam, rho):
    """Levenberg-Marquardt (Martens §4.1): 3/2 lambda if rho < 1/4, 2/3 lambda if rho > 3/4."""
    if rho < 0.25:
        lam *= 1.5
    elif rho > 0.75:
        lam *= 2.0 / 3.0
    return lam


RESTEP_CODE = -1    # _backtrack's answer: p rewritten, evaluate x + anew p (verdict RESTEP)


@jit_borrow
def _backtrack(aux, keep, kinfo, d, lst, g, p, trial, finite, f, ft, lam, c1, maxls):
    """One step of the CG-iteration backtracking (Martens §4.6) after f(x + p) was evaluated.

    Walks back over the kept iterates while f decreases (RESTEP_CODE with the next one in p);
    then for the best: rho against the undamped model, the damping, and the first Armijo test
    at alpha = 1 (its value is known).  Returns (code, alpha, lambda) with code RESTEP_CODE
    or a line-search code (linesearch.CONTINUE / ACCEPT / FAIL) for the caller's tail.  A
    compiled kernel, not inlined into ``solve``: the method compiles it once."""
    if aux[A_PHASE] == PH_RECALL:       # the chosen point, evaluated again: commit it
        aux[A_BTEV] += 1.0
        aux[A_PHASE] = PH_LS
        return LS.ACCEPT, 1.0, lam
    cur = int(aux[A_CUR])
    more = True
    if trial > 0:                       # f(x + z_cur) was just evaluated
        aux[A_BTEV] += 1.0
        fc = ft if finite else math.inf
        if fc < aux[A_FBEST]:
            aux[A_BEST] = cur
            aux[A_FBEST] = fc
        else:
            more = False                # f stopped decreasing
    if more and cur > 0 and K.dot(g, keep[cur - 1]) < 0.0:
        aux[A_CUR] = cur - 1.0
        K.copy_into(keep[cur - 1], p)
        return RESTEP_CODE, 1.0, lam
    b = int(aux[A_BEST])
    fb = aux[A_FBEST]
    pb = K.norm2(keep[b])
    pred = -(kinfo[b, CB.KPHI] - 0.5 * lam * pb * pb)
    rho = (f - fb) / pred if fb < math.inf and pred > 0.0 else -math.inf
    lam = _damping(lam, rho)
    d[TD.D_RHO] = rho
    d[D_PICK] = kinfo[b, CB.KIT]
    if b != cur:
        K.copy_into(keep[b], p)
    LS.ls_start(lst, LS.ARMIJO, f, K.dot(g, p), 1.0, c1, 0.9, 1.0, maxls)
    code, anew = LS.ls_next(lst, 1.0, fb, 0.0)          # ARMIJO reads no slope
    aux[A_PHASE] = PH_LS
    if b != cur and code != LS.FAIL:
        # x + p is not the point the loop holds: evaluate it (again, when accepted)
        if code == LS.ACCEPT:
            aux[A_PHASE] = PH_RECALL
            anew = 1.0
        return RESTEP_CODE, anew, lam
    return code, anew, lam


@dual(borrow=True)
def judge(work, state, mo, trial, alpha, rho, finite, f, ft, g, gt, p, pnorm):
    """CG-iteration backtracking (Martens §4.6) when on, Levenberg-Marquardt damping
    (§4.1), then Armijo backtracking along the chosen p."""
    s = state
    w = work
    if trial == 0:
        lam_old = s.lam
        lam = lam_old
        w.aux[A_BTEV] = 0.0
        if mo.backtrack and w.aux[CB.NKEPT] > 1.0:    # the last kept iterate (p) was evaluated
            last = w.aux[CB.NKEPT] - 1.0
            w.aux[A_PHASE] = PH_BACK
            w.aux[A_CUR] = last
            w.aux[A_BEST] = last
            w.aux[A_FBEST] = ft if finite else math.inf
        else:
            w.aux[A_PHASE] = PH_LS
            lam = _damping(lam, rho)
            w.d[TD.D_RHO] = rho
            # alpha = 1 is the trial the loop just evaluated
            LS.ls_start(w.lst, LS.ARMIJO, f, K.dot(g, p), 1.0, mo.c1, 0.9, 1.0, mo.maxls)
    else:
        lam_old = s.lam_old
        lam = s.lam
    if w.aux[A_PHASE] == PH_LS:
        code, anew = LS.ls_next(w.lst, alpha, ft, K.dot(gt, p))
    else:
        code, anew, lam = _backtrack(w.aux, w.keep, w.kinfo, w.d, w.lst, g, p, trial, finite, f,
                                     ft, lam, mo.c1, mo.maxls)
    if code == LS.CONTINUE or code == RESTEP_CODE:
        return (State(lam, lam_old, s.shown, s.stale, s.running, s.warm, s.have_prev),
                TD.RETRY if code == LS.CONTINUE else TD.RESTEP, anew)
    accepted = code == LS.ACCEPT and finite
    if not accepted:
        lam = max(lam, 1.5 * lam_old)
    w.d[TD.D_LAM] = lam
    w.d[D_LS_EVALS] = trial - w.aux[A_BTEV]
    w.d[D_BT_EVALS] = w.aux[A_BTEV]
    return (State(lam, lam_old, alpha if accepted else 0.0, s.stale, s.running, s.warm,
                  s.have_prev), TD.ACCEPT if accepted else TD.REJECT, alpha)


@dual(borrow=True)
def update(work, state, mo, accepted, finite, x, g, xt, gt, p):
    """A new point needs a new Hessian (and a new second moment for the preconditioner);
    the warm start was kept by ``propose``."""
    s = state
    w = work
    if accepted:
        w.aux[A_NEWPT] = 1.0
    return State(s.lam, s.lam_old, s.shown, s.stale or accepted, s.running, s.warm, True)


@dual(inline=True)
def radius(state):
    return state.shown


@dual(borrow=True)
def collapsed(state, mo, x):
    return not state.lam <= mo.damp_max


@dual(borrow=True)
def diagnostics(work, state, row):
    for i in range(NDIAG):
        row[i] = work.d[i]


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


@jit
def solve_batch(ob, cb, args, x0, o, trace, allvecs, H):
    """Products from the mini-batch product on each iteration's batch (Martens §4.3)."""
    lo, mo = o
    return TD.trust_region_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init, propose,
                                judge, update, radius, collapsed, diagnostics, batch_products)


def prepare(opts, obj, x0):
    n = x0.size
    cgmax = F.cg_maxiter(opts, min(20 * n, 250))      # Martens: at most 250
    damp0 = O.real(opts, "damping", 0.0, lo_open=True)
    mo = Options(damp0=damp0, damp_max=O.real(opts, "damping_max", damp0, lo_open=True),
                 decay=O.real(opts, "cg_decay", 0.0, 1.0),
                 meps=O.real(opts, "cg_progress_eps", 0.0, lo_open=True),
                 c1=O.real(opts, "c1", 0.0, 1.0, lo_open=True, hi_open=True),
                 maxls=O.positive_int(opts, "maxls"), cg_maxiter=cgmax,
                 backtrack=O.flag(opts, "cg_backtracking"),
                 precond=O.choice(opts, "preconditioner", PRECONDITIONERS),
                 xi=O.real(opts, "precond_exponent", 0.0, 1.0),
                 pbeta=O.real(opts, "precond_decay", 0.0, 1.0, hi_open=True),
                 batch=batch_options(opts, obj, n))
    if mo.batch.size > 0:       # every product from the mini-batch product, one nhev each
        c = obj.cost
        return F.plan(ENTRY, opts, obj, x0, mo, solve_batch, B=np.zeros((0, 0)),
                      cost=Cost(c.fev_per_fg, c.jev_per_fg, 0, 0, 1))
    # products from hessp (each counted), or from the Hessian matrix when hess is given
    dense = obj.hessp_kind == "from-hess"
    return F.plan(ENTRY, opts, obj, x0, mo, solve_dense if dense else solve,
                  B=np.zeros((n, n) if dense else (0, 0)), cost=F.products_cost(obj, dense))


ENTRY = F.entry(
    "hessian-free",
    "Hessian-free Newton (Martens 2010): damped truncated CG from Hessian-vector products, "
    "Levenberg-Marquardt damping, Armijo backtracking.",
    {**F.SECOND_ORDER, "damping": 1.0, "damping_max": 1e16, "cg_decay": 0.95, "cg_maxiter": None,
     "cg_progress_eps": 5e-4, "c1": 1e-2, "maxls": 20, "cg_backtracking": False,
     "preconditioner": "none", "precond_exponent": 0.75, "precond_decay": 0.95,
     "curvature_batch": None, "curvature_batch_size": None, "n_samples": None, "seed": 0},
    prepare, solve, choices={"preconditioner": PRECONDITIONERS},
    needs_hess=True, needs_hessp=True, variants=({}, {"hessp": False}),
    diagnostics=("rho", "cg_iters", "lam", "cg_exit", "ls_evals", "bt_evals", "cg_pick"),
    scipy=None,
    reference="Martens (2010), Deep learning via Hessian-free optimization, ICML, Alg. 1, "
              "§4.1, §4.2, §4.4-§4.7; Schraudolph (2002) (Gauss-Newton products); Martens & "
              "Sutskever (2012) (line search); Nocedal & Wright (2006), Alg. 5.3, Alg. 7.1.")
