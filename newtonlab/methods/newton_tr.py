"""Trust-region Newton: B_k = the Hessian, subproblem exact, dogleg or Steihaug-CG.

Nocedal & Wright (2006), Alg. 4.1: with the model m_k(p) = f_k + g_k^T p +
1/2 p^T B_k p and rho_k = (f(x_k) - f(x_k + p_k)) / (m_k(0) - m_k(p_k))
(eq. 4.4),

    rho_k < 1/4                       -> delta_{k+1} = delta_k / 4
    rho_k > 3/4 and ||p_k|| = delta_k -> delta_{k+1} = min(2 delta_k, delta_max)
    x_{k+1} = x_k + p_k if rho_k > eta, else x_k.

Subproblems (kernels in ``_engine/trustregion.py`` and ``_engine/tcg.py``):
``exact``: Moré & Sorensen (1983), N&W Alg. 4.3 with the hard case (eq. 4.45);
``dogleg``: N&W §4.1, eqs. 4.15-4.16; ``cg``: Steihaug (1983), N&W Alg. 7.2,
with the forcing term min(1/2, sqrt ||g||) ||g|| (eq. 7.3), products from
``hessp`` (counted one each) or from the Hessian matrix (one Hessian per point).

Deviations: a non-finite trial is rejected and the region shrinks to
min(delta, ||p||) / 4; ``||p_k|| = delta_k`` is tested as ||p|| >= (1 - 1e-6)
delta; dogleg with an indefinite Hessian takes the exact step (``sub_exit`` 4);
the run stops with status TR_COLLAPSED when delta < min_trust_radius
max(1, ||x||).  With scipy's defaults the iterates match scipy's
trust-exact, dogleg and trust-ncg.
"""
import math
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine import tcg as TC
from .._engine import tr_driver as TD
from .._engine.config import dual, jit
from . import _trust as F

SUB_EXACT, SUB_DOGLEG, SUB_CG = 0, 1, 2
SUBPROBLEMS = ("exact", "dogleg", "cg")


class Options(NamedTuple):
    delta0: float          # initial trust radius
    delta_max: float       # largest trust radius
    eta: float             # accept the step when rho > eta
    delta_min: float       # collapse floor, relative to max(1, ||x||)
    subproblem: int        # SUB_EXACT | SUB_DOGLEG | SUB_CG
    cg_maxiter: int        # CG iterations per subproblem
    sub_rtol: float        # exact subproblem: | ||p|| - delta | <= sub_rtol delta
    sub_maxiter: int       # exact subproblem: factorizations


class Work(NamedTuple):
    H: np.ndarray          # the Hessian at x (n, n); (0, 0) when CG takes products from hessp
    W: np.ndarray          # CG workspace (tcg.NV, n), or (0, n)
    L: np.ndarray          # Cholesky factor workspace (n, n), or (0, 0) with CG
    w: np.ndarray          # vector workspace (n,)
    cst: np.ndarray        # CG state vector (tcg.SIZE)
    hist: np.ndarray       # CG model values (cg_maxiter + 1)
    d: np.ndarray          # this iteration's diagnostics: rho, sub_iters, lam, sub_exit, hard_case


class State(NamedTuple):
    delta: float           # trust radius delta_k
    stale: bool            # H must be evaluated at x before the next subproblem
    running: bool          # a CG solve waits for a product


@dual(inline=True)
def init(mo, x, g, H):
    n = x.size
    cg = mo.subproblem == SUB_CG
    d = np.zeros(5)
    d[TD.D_RHO] = math.nan
    d[TD.D_LAM] = math.nan
    return (Work(H, np.zeros((TC.NV, n)) if cg else np.zeros((0, n)),
                 np.zeros((0, 0)) if cg else np.zeros((n, n)), np.empty(n), np.zeros(TC.SIZE),
                 np.zeros(mo.cg_maxiter + 1), d),
            State(mo.delta0, True, False))


@dual(borrow=True)
def propose(work, state, mo, g, p):
    """Exact or dogleg step on the Hessian at x (asked for once per new point)."""
    if state.stale:
        return State(state.delta, False, False), TD.NEED_HESS, 0.0, 0.0
    w = work
    pred, pnorm = TD.model_step(w.H, g, state.delta, p, w.L, w.w, mo.subproblem == SUB_DOGLEG,
                                mo.sub_rtol, mo.sub_maxiter, w.d)
    return state, TD.DONE, pred, pnorm


@dual(borrow=True)
def propose_cg(work, state, mo, g, p):
    """Steihaug CG; its products come from the Hessian matrix if held, else from the loop."""
    w = work
    dense = w.H.shape[0] == g.size
    if state.running:
        code = TD.cg_resume(w.cst, w.W, w.hist, g, w.H)
    elif dense and state.stale:
        return State(state.delta, False, False), TD.NEED_HESS, 0.0, 0.0
    else:
        code = TD.cg_begin(w.cst, w.W, w.hist, g, w.H, TC.STEIHAUG, state.delta, 0.0,
                           mo.cg_maxiter, 0.0, False)
    if code == TC.NEED_PRODUCT:
        return State(state.delta, state.stale, True), TD.NEED_PRODUCT, 0.0, 0.0
    pred, pnorm = TD.cg_step(w.cst, w.W, p, w.d)
    return State(state.delta, state.stale, False), TD.DONE, pred, pnorm


@dual(borrow=True)
def judge(work, state, mo, trial, alpha, rho, finite, f, ft, g, gt, p, pnorm):
    """N&W Alg. 4.1: the radius rule, then accept iff rho > eta."""
    delta = state.delta
    if not rho >= 0.25:
        delta = 0.25 * (delta if finite else min(delta, pnorm))
    elif rho > 0.75 and pnorm >= (1.0 - 1e-6) * delta:
        delta = min(2.0 * delta, mo.delta_max)
    work.d[TD.D_RHO] = rho
    verdict = TD.ACCEPT if rho > mo.eta else TD.REJECT
    return State(delta, state.stale, state.running), verdict, 1.0


@dual(borrow=True)
def update(work, state, mo, accepted, finite, x, g, xt, gt, p):
    """No memory to update: an accepted point only makes the Hessian stale."""
    if accepted:
        return State(state.delta, True, state.running)
    return state


@dual(borrow=True)
def diagnostics(work, state, row):
    for i in range(5):
        row[i] = work.d[i]


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return TD.trust_region_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init, propose,
                                judge, update, TD.region_radius, TD.region_collapsed,
                                diagnostics, TD.hessian)


@jit
def solve_cg(ob, cb, args, x0, o, trace, allvecs, H):
    """CG with products from hessp (or differences of the gradient)."""
    lo, mo = o
    return TD.trust_region_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init, propose_cg,
                                judge, update, TD.region_radius, TD.region_collapsed,
                                diagnostics, TD.hessp_products)


@jit
def solve_cg_dense(ob, cb, args, x0, o, trace, allvecs, H):
    """CG with products by the Hessian matrix (hess given)."""
    lo, mo = o
    return TD.trust_region_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init, propose_cg,
                                judge, update, TD.region_radius, TD.region_collapsed,
                                diagnostics, TD.hessian)


def prepare(opts, obj, x0):
    n = x0.size
    cgmax = F.cg_maxiter(opts, 20 * n)
    mo = Options(**F.region(opts), subproblem=O.choice(opts, "subproblem", SUBPROBLEMS),
                 cg_maxiter=cgmax, sub_rtol=F.SUB_RTOL, sub_maxiter=F.SUB_MAXITER)
    if mo.subproblem != SUB_CG:
        return F.plan(ENTRY, opts, obj, x0, mo, solve, B=np.zeros((n, n)))
    # CG: products from hessp (each counted), or from the Hessian matrix when hess is given
    dense = obj.hessp_kind == "from-hess"
    return F.plan(ENTRY, opts, obj, x0, mo, solve_cg_dense if dense else solve_cg,
                  B=np.zeros((n, n) if dense else (0, 0)), cost=F.products_cost(obj, dense))


ENTRY = F.entry(
    "newton-tr",
    "Trust-region Newton: exact (Moré-Sorensen), dogleg or Steihaug-CG subproblem.",
    {**F.REGION, **F.SECOND_ORDER, "subproblem": "exact", "cg_maxiter": None},
    prepare, solve, needs_hess=True, needs_hessp=True, diagnostics=F.DIAGNOSTICS,
    variants=({}, {"options": {"subproblem": "cg"}, "hess": False},
              {"options": {"subproblem": "cg"}, "hessp": False}),
    scipy="trust-exact", choices={"subproblem": SUBPROBLEMS},
    reusable_plan=True,
    reference="Nocedal & Wright (2006), Alg. 4.1 (trust region), Alg. 4.3 and §4.3 (Moré & "
              "Sorensen 1983, hard case eq. 4.45), §4.1 (dogleg), Alg. 7.2 (Steihaug 1983).")
