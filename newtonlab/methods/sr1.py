"""SR1 trust-region method: a symmetric rank-one model of the Hessian in a trust region.

Nocedal & Wright (2006), Alg. 6.2: the step p_k solves the subproblem on the
model with B_k (exact, N&W Alg. 4.3, or Steihaug CG, Alg. 7.2); with
rho_k = ared / pred (eq. 4.4),

    rho_k > 3/4 and ||p_k|| > 0.8 delta_k -> delta_{k+1} = min(2 delta_k, delta_max)
    rho_k < 0.1                           -> delta_{k+1} = delta_k / 2
    x_{k+1} = x_k + p_k if rho_k > eta, else x_k,

and after every trial, accepted or not, with s = p_k, y = g(x_k + p_k) - g_k,

    B_{k+1} = B_k + (y - B_k s)(y - B_k s)^T / ((y - B_k s)^T s)       (eq. 6.24)

unless |s^T (y - B_k s)| < r ||s|| ||y - B_k s|| (eq. 6.26, r = ``skip_tol``):
then the update is skipped and counted.  Conn, Gould & Toint (1991) prove the
convergence of the SR1 matrices under this rule.

Deviations and choices: B_0 = I; ``init_scale="auto"`` sets B_0 = (y^T y /
s^T y) I from the first pair with s^T y > 0 (cf. eq. 6.20).  A non-finite trial
is rejected without an update and halves min(delta, ||p||).  N&W's eta is in
(0, 10^-3); the default 1e-4 is theirs.  The run stops with status
TR_COLLAPSED when delta < min_trust_radius max(1, ||x||).  The products
of the CG subproblem are by the matrix B: they cost no evaluation.
"""
import math
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine import kernels as K
from .._engine import tcg as TC
from .._engine import tr_driver as TD
from .._engine import trustregion as TR
from .._engine.config import dual, jit, jit_borrow
from . import _trust as F

SUBPROBLEMS = ("exact", "cg")
D_SKIPPED = TD.D_HARD + 1      # diagnostics column: updates skipped so far


class Options(NamedTuple):
    delta0: float          # initial trust radius
    delta_max: float       # largest trust radius
    eta: float             # accept the step when rho > eta
    delta_min: float       # collapse floor, relative to max(1, ||x||)
    cg: bool               # Steihaug CG subproblem (else exact)
    cg_maxiter: int        # CG iterations per subproblem
    sub_rtol: float        # exact subproblem: | ||p|| - delta | <= sub_rtol delta
    sub_maxiter: int       # exact subproblem: factorizations
    skip_tol: float        # r of the skip rule (eq. 6.26)
    init_scale: bool       # B_0 = (y^T y / s^T y) I from the first pair


class Work(NamedTuple):
    B: np.ndarray          # SR1 approximation B_k (n, n)
    W: np.ndarray          # CG workspace (tcg.NV, n), or (0, n)
    L: np.ndarray          # Cholesky factor workspace (n, n), or (0, 0) with CG
    w: np.ndarray          # vector workspace (n,)
    s: np.ndarray          # trial step s = x_trial - x
    y: np.ndarray          # y = g(x_trial) - g(x)
    cst: np.ndarray        # CG state vector (tcg.SIZE)
    hist: np.ndarray       # CG model values (cg_maxiter + 1)
    d: np.ndarray          # diagnostics: rho, sub_iters, lam, sub_exit, hard_case, skipped


class State(NamedTuple):
    delta: float           # trust radius delta_k
    fresh: bool            # the next pair with s^T y > 0 scales B_0


@jit_borrow
def sr1_update(B, s, y, r, w):
    """SR1 update B += (y - Bs)(y - Bs)^T / ((y - Bs)^T s) (N&W eq. 6.24); returns 1.0 if skipped.

    Skipped when |s^T (y - Bs)| < r ||s|| ||y - Bs|| (N&W eq. 6.26), which
    keeps the update bounded; ``w`` is workspace (holds y - Bs).
    """
    n = s.size
    ws = 0.0
    ww = 0.0
    ss = 0.0
    for i in range(n):
        t = 0.0
        for j in range(n):
            t += B[i, j] * s[j]
        w[i] = y[i] - t
        ws += w[i] * s[i]
        ww += w[i] * w[i]
        ss += s[i] * s[i]
    if ww == 0.0:
        return 0.0            # the secant equation B s = y already holds
    if not abs(ws) >= r * math.sqrt(ss * ww):
        return 1.0
    c = 1.0 / ws
    for i in range(n):
        for j in range(n):
            B[i, j] += c * w[i] * w[j]
    return 0.0


@dual(inline=True)
def init(mo, x, g, B):
    n = x.size
    K.set_identity(B, 1.0)
    d = np.zeros(D_SKIPPED + 1)
    d[TD.D_RHO] = math.nan
    d[TD.D_LAM] = math.nan
    return (Work(B, np.zeros((TC.NV, n)) if mo.cg else np.zeros((0, n)),
                 np.zeros((0, 0)) if mo.cg else np.zeros((n, n)), np.empty(n), np.empty(n),
                 np.empty(n), np.zeros(TC.SIZE), np.zeros(mo.cg_maxiter + 1), d),
            State(mo.delta0, mo.init_scale))


@dual(borrow=True)
def propose(work, state, mo, g, p):
    """The exact step on B (N&W Alg. 4.3)."""
    w = work
    lam, nfac, ex, hard = TR.exact_step(w.B, g, state.delta, p, w.L, w.w, mo.sub_rtol,
                                        mo.sub_maxiter)
    pred, pnorm = TD.model_result(w.B, g, p, w.w, w.d, lam, nfac, ex, hard)
    return state, TD.DONE, pred, pnorm


@dual(borrow=True)
def propose_cg(work, state, mo, g, p):
    """Steihaug CG on B (N&W Alg. 7.2): every product is B v, so it never waits."""
    w = work
    TD.cg_begin(w.cst, w.W, w.hist, g, w.B, TC.STEIHAUG, state.delta, 0.0, mo.cg_maxiter, 0.0,
                False)
    pred, pnorm = TD.cg_step(w.cst, w.W, p, w.d)
    return state, TD.DONE, pred, pnorm


@dual(borrow=True)
def judge(work, state, mo, trial, alpha, rho, finite, f, ft, g, gt, p, pnorm):
    """N&W Alg. 6.2: the radius rule, then accept iff rho > eta."""
    delta = state.delta
    if rho > 0.75:
        if pnorm > 0.8 * delta:
            delta = min(2.0 * delta, mo.delta_max)
    elif not rho >= 0.1:
        delta = 0.5 * (delta if finite else min(delta, pnorm))
    work.d[TD.D_RHO] = rho
    verdict = TD.ACCEPT if rho > mo.eta else TD.REJECT
    return State(delta, state.fresh), verdict, 1.0


@dual(borrow=True)
def update(work, state, mo, accepted, finite, x, g, xt, gt, p):
    """Eq. 6.24 with the pair of every finite trial (accepted or not), or skip it (eq. 6.26)."""
    if not finite:
        return state
    w = work
    sy, ss, yy = K.step_pair(xt, x, gt, g, w.s, w.y)
    fresh = state.fresh
    if fresh and sy > 0.0:
        K.set_identity(w.B, yy / sy)              # B_0 = (y^T y / s^T y) I, cf. N&W eq. 6.20
        fresh = False
    w.d[D_SKIPPED] += sr1_update(w.B, w.s, w.y, mo.skip_tol, w.w)
    return State(state.delta, fresh)


@dual(borrow=True)
def diagnostics(work, state, row):
    for i in range(D_SKIPPED + 1):
        row[i] = work.d[i]


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, B):
    lo, mo = o
    return TD.trust_region_loop(ob, cb, args, x0, lo, mo, trace, allvecs, B, init, propose,
                                judge, update, TD.region_radius, TD.region_collapsed,
                                diagnostics, TD.no_curvature)


@jit
def solve_cg(ob, cb, args, x0, o, trace, allvecs, B):
    lo, mo = o
    return TD.trust_region_loop(ob, cb, args, x0, lo, mo, trace, allvecs, B, init, propose_cg,
                                judge, update, TD.region_radius, TD.region_collapsed,
                                diagnostics, TD.no_curvature)


def prepare(opts, obj, x0):
    n = x0.size
    cgmax = F.cg_maxiter(opts, 20 * n)
    region = F.region(opts)
    cg = O.choice(opts, "subproblem", SUBPROBLEMS) == 1
    mo = Options(**region, cg=cg, cg_maxiter=cgmax, sub_rtol=F.SUB_RTOL,
                 sub_maxiter=F.SUB_MAXITER,
                 skip_tol=O.real(opts, "skip_tol", 0.0, 1.0, hi_open=True),
                 init_scale=O.choice(opts, "init_scale", ("auto", "none")) == 0)
    return F.plan(ENTRY, opts, obj, x0, mo, solve_cg if cg else solve, B=np.zeros((n, n)))


ENTRY = F.entry(
    "sr1", "SR1 quasi-Newton with a trust region (exact or Steihaug-CG subproblem on B).",
    {**F.REGION, **F.SECOND_ORDER, "eta": 1e-4, "subproblem": "exact", "skip_tol": 1e-8,
     "init_scale": "none", "cg_maxiter": None},
    prepare, solve, diagnostics=F.DIAGNOSTICS + ("skipped",), scipy=None,
    variants=({}, {"options": {"subproblem": "cg"}}),
    choices={"subproblem": SUBPROBLEMS, "init_scale": ("auto", "none")},
    reusable_plan=True,
    reference="Nocedal & Wright (2006), Alg. 6.2 (SR1 trust region), eqs. 6.24 and 6.26; "
              "Conn, Gould & Toint (1991), Math. Prog. 50.")
