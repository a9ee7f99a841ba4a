"""Nonlinear conjugate gradient (PR+, FR, HS, DY) with restarts and a strong Wolfe search.

Nocedal & Wright (2006), §5.2: p_k = -g_k + beta_k p_{k-1} (eq. 5.41b) with, for
y_k = g_k - g_{k-1},

    PR+ : beta = max(0, g_k^T y_k / ||g_{k-1}||^2)       (eqs. 5.44-5.45)
    FR  : beta = ||g_k||^2 / ||g_{k-1}||^2                (eq. 5.41a, Alg. 5.4)
    HS  : beta = g_k^T y_k / p_{k-1}^T y_k                (eq. 5.46)
    DY  : beta = ||g_k||^2 / p_{k-1}^T y_k                (eq. 5.49, Dai & Yuan 1999)

Restarts (beta = 0, p = -g): at the first iteration and after the loop resets
(a line-search failure); after ``restart_every`` directions (None: n); when
|g_k^T g_{k-1}| / ||g_k||^2 >= ``restart_threshold`` (eq. 5.52); when beta is
not finite (a zero denominator).  The first trial step is N&W eq. 3.60 capped by
scipy's interpolation rule by default (``docs/methods/cg.md`` has the measurements).
"""
import math
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine import kernels as K
from .._engine import linesearch as LS
from .._engine.config import jit, jit_borrow
from .._engine.ls_driver import DONE, linesearch_loop, no_curvature
from . import _linesearch as F

# beta formulas (N&W §5.2)
BETA_PRP_PLUS = 0     # max(0, g^T (g - g_old) / g_old^T g_old), eqs. 5.44-5.45
BETA_FR = 1           # g^T g / g_old^T g_old, eq. 5.41a
BETA_HS = 2           # g^T y / p^T y, eq. 5.46
BETA_DY = 3           # g^T g / p^T y, eq. 5.49
BETAS = ("PR+", "FR", "HS", "DY")


@jit
def cg_beta(g, g_old, y, p, rule):
    """Nonlinear CG beta_k for the rule (BETA_*) and the restart ratio |g^T g_old| / g^T g.

    ``y = g - g_old`` and ``p`` is the previous direction.  A NaN or infinite
    beta (a zero denominator) is returned as 0, a restart.
    """
    gg = 0.0
    go = 0.0
    oo = 0.0
    gy = 0.0
    py = 0.0
    for i in range(g.size):
        gg += g[i] * g[i]
        go += g[i] * g_old[i]
        oo += g_old[i] * g_old[i]
        gy += g[i] * y[i]
        py += p[i] * y[i]
    if rule == BETA_FR:
        beta = gg / oo
    elif rule == BETA_HS:
        beta = gy / py
    elif rule == BETA_DY:
        beta = gg / py
    else:
        beta = max(0.0, gy / oo)
    if not math.isfinite(beta):
        beta = 0.0
    return beta, abs(go) / gg


@jit
def cg_direction(g, beta, p):
    """p = -g + beta p (N&W eq. 5.41b), in place; a restart (beta = 0) does not read p,
    which may hold anything then (0 * inf is NaN)."""
    if beta == 0.0:
        K.neg(g, p)
        return
    for i in range(g.size):
        p[i] = -g[i] + beta * p[i]


class Options(NamedTuple):
    rule: int              # BETA_*
    restart_every: int     # steepest-descent restart after this many directions
    restart_nu: float      # restart when |g^T g_old| / ||g||^2 >= nu (eq. 5.52)


class Work(NamedTuple):
    H: np.ndarray          # no matrix: (0, 0)
    W: np.ndarray          # no Hessian products: (0, n)
    g_old: np.ndarray      # g_{k-1}, copied at the update
    y: np.ndarray          # y_k = g_k - g_{k-1}, copied at the update


class State(NamedTuple):
    fresh: bool            # no pair since the start or the last reset: restart
    since_restart: int     # directions since the last steepest-descent restart
    restarts: float        # restarts so far (trace column)
    beta: float            # beta of the last direction (trace column)


@jit
def init(mo, x, g, H):
    n = x.size
    return Work(H, np.zeros((0, n)), np.zeros(n), np.zeros(n)), State(True, 0, 0.0, 0.0)


@jit_borrow
def direction(work, state, mo, g, p):
    """Eq. 5.41b; p still holds p_{k-1} (the loop leaves it untouched between iterations)."""
    beta = 0.0
    if not state.fresh and state.since_restart < mo.restart_every:
        beta, ratio = cg_beta(g, work.g_old, work.y, p, mo.rule)
        if ratio >= mo.restart_nu:
            beta = 0.0      # gradients far from orthogonal: restart (N&W eq. 5.52)
    since = state.since_restart
    restarts = state.restarts
    if beta == 0.0:
        since = 0
        restarts += 1.0
    cg_direction(g, beta, p)
    return State(state.fresh, since + 1, restarts, beta), DONE


@jit_borrow
def reset(work, state, mo):
    return State(True, state.since_restart, state.restarts, state.beta)


@jit_borrow
def update(work, state, mo, s, y, sy, ss, yy, alpha, g_old):
    K.copy_into(g_old, work.g_old)
    K.copy_into(y, work.y)
    return State(False, state.since_restart, state.restarts, state.beta)


@jit_borrow
def finish(work, state, mo, status):
    return state, DONE, status


@jit_borrow
def diagnostics(work, state, row):
    row[0] = state.beta
    row[1] = state.restarts


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return linesearch_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init, direction, reset,
                           update, finish, diagnostics, no_curvature, LS.ls_start,
                           LS.ls_next)


def prepare(opts, obj, x0):
    every = opts["restart_every"]
    mo = Options(rule=O.choice(opts, "beta", BETAS),
                 restart_every=x0.size if every is None else O.positive_int(opts, "restart_every"),
                 restart_nu=O.real(opts, "restart_threshold", 0.0, lo_open=True))
    return F.plan(ENTRY, opts, obj, x0, mo, alpha0=F.STEP0[opts["initial_step"]])


ENTRY = F.entry(
    "cg",
    "Nonlinear conjugate gradient (PR+, FR, HS, DY) with restarts and a strong Wolfe search.",
    {**F.SECOND_ORDER, "c2": 0.1, "linesearch": "wolfe", "beta": "PR+", "restart_every": None,
     "restart_threshold": 0.1, "initial_step": "scaled"},
    prepare, solve, diagnostics=("beta", "restarts"), scipy="CG",
    choices={"beta": BETAS, "initial_step": ("scaled", "interpolate", "unit")},
    reusable_plan=True,
    reference="Nocedal & Wright (2006), §5.2: Alg. 5.4, eqs. 5.41-5.52; eq. 3.60; "
              "Dai & Yuan (1999), SIAM J. Optim. 10.")
