"""L-BFGS: limited-memory BFGS by the two-loop recursion, strong Wolfe line search.

Nocedal & Wright (2006), Alg. 7.5 with the two-loop recursion Alg. 7.4:
p_k = -H_k g_k where H_k is the BFGS matrix (eq. 6.17) built from the m most
recent pairs s_i = x_{i+1} - x_i, y_i = g_{i+1} - g_i over H_k^0 = gamma_k I,

    gamma_k = s_{k-1}^T y_{k-1} / y_{k-1}^T y_{k-1}                    (eq. 7.20)

Deviations and choices: gamma = 1 until the first pair (scipy's L-BFGS-B takes
the same first step); a pair with s^T y <= eps ||s|| ||y|| is skipped and
counted (trace ``skipped``) instead of stored.  Every reset by the loop (a
failed line search, a direction that is not a descent direction) empties the
memory; gamma goes back to 1 only when the loop resets after taking a step (a
search that failed but found a lower point).  After a search that found no
lower point the retry is -gamma g with the last gamma, as the engine always did:
``reset`` cannot tell the two apart, so ``direction`` does, from whether g
changed since the last direction (an accepted step moves x, hence g).

Bounds (``minimize(..., bounds=...)``, scipy's ``method="L-BFGS-B"``): L-BFGS-B of
Byrd, Lu, Nocedal & Zhu (1995) in its own loop, ``_engine/box_driver.py`` (generalized
Cauchy point, direct primal subspace minimization, a search on the feasible segment;
kernels in ``_engine/box.py``), entered by :func:`solve_box` with the box as the
workspace ``H`` = [lb; ub] (2, n).  Without finite bounds nothing of it is compiled.
"""
import math
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine import kernels as K
from .._engine import linesearch as LS
from .._engine.config import jit
from .._engine.box_driver import box_loop
from .._engine.ls_driver import DONE, linesearch_loop, no_curvature
from . import _linesearch as F


@jit
def lbfgs_push(S, Y, rho, head, count, s, y, sy):
    """Store (s, y) as the newest pair; returns the new (head, count)."""
    m = S.shape[0]
    head = (head + 1) % m
    for i in range(s.size):
        S[head, i] = s[i]
        Y[head, i] = y[i]
    rho[head] = 1.0 / sy
    return head, min(count + 1, m)


class Options(NamedTuple):
    m: int                 # pairs kept
    curvature_eps: float   # skip a pair when s^T y <= eps ||s|| ||y||


class State(NamedTuple):
    H: np.ndarray          # no matrix: (0, 0)
    W: np.ndarray          # no Hessian products: (0, n)
    S: np.ndarray          # pairs s_i, rows of an (m, n) circular buffer
    Y: np.ndarray          # pairs y_i, same rows
    rho: np.ndarray        # 1 / s_i^T y_i
    work: np.ndarray       # the two-loop's alpha_i (m)
    head: int              # row of the newest pair (-1: none yet)
    count: int             # pairs stored
    gamma: float           # H_k^0 = gamma I (eq. 7.20)
    skipped: float         # pairs skipped so far (trace column)
    g_seen: np.ndarray     # g at the last direction
    reset_pending: bool    # reset since the last direction or update


@jit
def init(mo, x, g, H):
    n = x.size
    m = mo.m
    return State(H, np.zeros((0, n)), np.zeros((m, n)), np.zeros((m, n)), np.zeros(m),
                 np.zeros(m), -1, 0, 1.0, 0.0, np.zeros(n), False)


@jit
def _moved(g, g_seen):
    """g differs from g_seen (then copied into it)."""
    moved = False
    for i in range(g.size):
        if g[i] != g_seen[i]:
            moved = True
        g_seen[i] = g[i]
    return moved


@jit
def direction(state, mo, g, p):
    gamma = state.gamma
    if _moved(g, state.g_seen) and state.reset_pending:
        gamma = 1.0                          # reset after a step: H_0 = I
    K.two_loop(g, state.S, state.Y, state.rho, state.head, state.count, gamma,
               state.work, p)              # p = -H_k g (Alg. 7.4)
    return State(state.H, state.W, state.S, state.Y, state.rho, state.work, state.head,
                 state.count, gamma, state.skipped, state.g_seen, False), DONE


@jit
def reset(state, mo):
    return State(state.H, state.W, state.S, state.Y, state.rho, state.work, state.head, 0,
                 state.gamma, state.skipped, state.g_seen, True)


@jit
def update(state, mo, s, y, sy, ss, yy, alpha, g_old):
    if not sy > mo.curvature_eps * math.sqrt(ss * yy):
        return State(state.H, state.W, state.S, state.Y, state.rho, state.work, state.head,
                     state.count, state.gamma, state.skipped + 1.0, state.g_seen, False)
    head, count = lbfgs_push(state.S, state.Y, state.rho, state.head, state.count, s, y, sy)
    return State(state.H, state.W, state.S, state.Y, state.rho, state.work, head, count,
                 sy / yy, state.skipped, state.g_seen, False)


@jit
def finish(state, mo, status):
    return state, DONE, status


@jit
def diagnostics(state, row):
    row[0] = state.skipped


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return linesearch_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init, direction, reset,
                           update, finish, diagnostics, no_curvature, LS.ls_start,
                           LS.ls_next)


@jit
def solve_box(ob, cb, args, x0, o, trace, allvecs, H):
    """L-BFGS-B: the box lb = H[0] <= x <= ub = H[1]."""
    lo, mo = o
    return box_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H[0], H[1])


#: the key under which ``minimize`` hands (lb, ub) to :func:`prepare` (not an option)
BOUNDS_KEY = "_bounds"


def prepare(opts, obj, x0):
    box = opts.pop(BOUNDS_KEY, None)
    mo = Options(m=O.positive_int(opts, "m"), curvature_eps=O.real(opts, "curvature_eps", 0.0))
    p = F.plan(ENTRY, opts, obj, x0, mo, alpha0=F.STEP0[opts["initial_step"]])
    if box is not None:
        p.solve = solve_box
        p.H = np.ascontiguousarray(np.vstack(box), dtype=np.float64)
    return p


ENTRY = F.entry(
    "lbfgs", "Limited-memory BFGS (two-loop recursion), strong Wolfe line search.",
    {**F.SECOND_ORDER, "linesearch": "wolfe", "m": 10, "curvature_eps": 1e-8,
     "initial_step": "unit"},
    prepare, solve, diagnostics=("skipped",), scipy="L-BFGS-B",
    variants=({}, {"bounds": True}),          # warmup: the box loop too (L-BFGS-B)
    choices={"initial_step": ("unit", "interpolate")},
    reference="Nocedal & Wright (2006), Alg. 7.4 and 7.5; Liu & Nocedal (1989).")
