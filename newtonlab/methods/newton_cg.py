"""Line-search Newton-CG (truncated Newton) from Hessian-vector products.

Nocedal & Wright (2006), Alg. 7.1: the Newton equations H_k p = -g_k are solved
by CG (``_engine/tcg.py``, mode NEWTON_CG) to the forcing tolerance

    ||r|| <= eps_k = min(0.5, sqrt(||g_k||)) ||g_k||                     (eq. 7.3)

stopping at negative curvature with the current CG iterate (-g_k at the first
CG iteration); the step p_k gets a line search with first trial 1.

The inner CG runs in reverse communication: ``direction`` asks the loop for
each product H_k v (NEED_PRODUCT: ``hessp``, or central differences of the
gradient), one count each.  When the Hessian is given as a matrix (``hess``
without ``hessp``) it asks once for the matrix (NEED_HESS, one count per
iteration) and multiplies itself, which is what makes the matrix form cheap.
Trace ``cg_iters`` (CG iterations of the direction) and ``cg_exit`` (how the
CG ended, ``_engine/trustregion.py``'s EXIT_* codes).
"""
import math
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine import kernels as K
from .._engine import linesearch as LS
from .._engine import tcg as TC
from .._engine.config import jit, logic
from .._engine.ls_driver import (ALPHA0_NEWTON, DONE, NEED_HESS, NEED_PRODUCT, linesearch_loop,
                                 products)
from . import _linesearch as F

# where direction() stands in a CG solve
_START = 0         # a new solve
_HESS = 1          # the loop has put the Hessian into work.H
_PRODUCT = 2       # the loop has put H W[V] into W[HV]


class Options(NamedTuple):
    cg_maxiter: int        # inner CG iterations per direction
    dense: bool            # products from the Hessian matrix (one evaluation per iteration)


class Work(NamedTuple):
    H: np.ndarray          # the Hessian (n, n) when dense, else (0, 0)
    W: np.ndarray          # the CG workspace (tcg.NV, n): rows Z, R, D, V, HV
    hist: np.ndarray       # CG model values (cg_maxiter + 1), tcg's history
    cst: np.ndarray        # the CG state vector (tcg.SIZE)


class State(NamedTuple):
    phase: int             # _START | _HESS | _PRODUCT
    code: int              # the CG's last answer (tcg.NEED_PRODUCT | tcg.DONE)
    cg_iters: float        # CG iterations of the last direction (trace column)
    cg_exit: float         # how that CG ended (trace column)


@jit
def init(mo, x, g, H):
    return (Work(H, np.zeros((TC.NV, x.size)), np.zeros(mo.cg_maxiter + 1), np.zeros(TC.SIZE)),
            State(_START, TC.DONE, 0.0, 0.0))


@logic
def direction(work, state, mo, g, p):
    """Alg. 7.1's inner CG, one product (or the Hessian) per request."""
    w = work
    code = state.code
    if state.phase == _START:
        gn = K.norm2(g)
        code = TC.tcg_start(w.cst, w.W, w.hist, g, TC.NEWTON_CG, math.inf, 0.0,
                            min(0.5, math.sqrt(gn)) * gn, mo.cg_maxiter, 0.0, False)
        if mo.dense:
            return State(_HESS, code, state.cg_iters, state.cg_exit), NEED_HESS
    elif state.phase == _HESS:
        while code == TC.NEED_PRODUCT:
            TC.matvec(w.H, w.W[TC.V], w.W[TC.HV])
            code = TC.tcg_next(w.cst, w.W, w.hist, g)
    else:
        code = TC.tcg_next(w.cst, w.W, w.hist, g)
    if code == TC.NEED_PRODUCT:
        return State(_PRODUCT, code, state.cg_iters, state.cg_exit), NEED_PRODUCT
    TC.get_step(w.W, p)
    return State(_START, code, w.cst[TC.IT], w.cst[TC.EXIT]), DONE


@logic
def reset(work, state, mo):
    return state           # no memory across iterations


@logic
def update(work, state, mo, s, y, sy, ss, yy, alpha, g_old):
    return state


@logic
def finish(work, state, mo, status):
    return state, DONE, status


@logic
def diagnostics(work, state, row):
    row[0] = state.cg_iters
    row[1] = state.cg_exit


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return linesearch_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init, direction, reset,
                           update, finish, diagnostics, products, LS.ls_start, LS.ls_next)


def prepare(opts, obj, x0):
    n = x0.size
    dense = obj.hessp_kind == "from-hess"
    cgmax = opts["cg_maxiter"]
    mo = Options(cg_maxiter=20 * n if cgmax is None else O.positive_int(opts, "cg_maxiter"),
                 dense=dense)
    return F.plan(ENTRY, opts, obj, x0, mo, alpha0=ALPHA0_NEWTON,
                  H=np.zeros((n, n) if dense else (0, 0)), cost=F.products_cost(obj, dense))


ENTRY = F.entry(
    "newton-cg", "Line-search Newton-CG (truncated Newton) from Hessian-vector products.",
    {**F.SECOND_ORDER, "linesearch": "armijo", "cg_maxiter": None},
    prepare, solve, needs_hess=True, needs_hessp=True, diagnostics=("cg_iters", "cg_exit"),
    scipy="Newton-CG",
    reusable_plan=True,
    reference="Nocedal & Wright (2006), Alg. 7.1 (line search Newton-CG), eq. 7.3.")
