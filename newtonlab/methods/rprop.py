"""rprop: sign-based steps with per-coordinate adaptive step sizes, iRprop-.

Rprop without weight backtracking (Riedmiller & Braun 1993; iRprop-, Igel &
Huesken 2000), as ``torch.optim.Rprop``: with p = g_t g_{t-1},

    s_t = clip(s_{t-1} * (eta+ if p > 0, eta- if p < 0, 1 if p = 0), smin, smax)
    g_t <- 0 where p < 0   (no step, and no sign comparison next time)
    x_{t+1} = x_t - (eta_t / lr) s_t sign(g_t)

Step sizes start at s_0 = lr; a schedule scales the steps by eta_t / lr
(PyTorch's schedulers have no effect on Rprop).  optax (``convention="optax"``):
s is neither changed nor clipped when p = 0.  optax's released
``scale_by_rprop`` emits the previous step's update (one step late; optax PR
#1725); this is the intended rule.  No weight decay (PyTorch has none).
"""
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine.config import jit, jit_borrow
from .._engine.fo_driver import firstorder_loop
from . import _firstorder as F


class Options(NamedTuple):
    eta_minus: float       # step-size factor after a sign change, in (0, 1)
    eta_plus: float        # step-size factor when signs agree, > 1
    step_min: float        # smin
    step_max: float        # smax
    lr0: float             # the base lr: initial step size, and eta_t / lr0 scales the steps
    optax: bool            # no change and no clipping where g g_prev = 0


class State(NamedTuple):
    g_prev: np.ndarray     # the previous gradient (0 where its sign flipped)
    s: np.ndarray          # per-coordinate step sizes


@jit
def _sign(v):
    return 1.0 if v > 0.0 else (-1.0 if v < 0.0 else 0.0)


@jit_borrow
def rprop(x, g, g_prev, s, scale, em, ep, smin, smax, optax, xt):
    """One iRprop- step (module docstring), g_prev and s updated in place."""
    for i in range(x.size):
        gi = g[i]
        p = gi * g_prev[i]
        si = s[i]
        if p > 0.0:
            si = si * ep
        elif p < 0.0:
            si = si * em
            gi = 0.0
        if p != 0.0 or not optax:
            si = min(max(si, smin), smax)
        s[i] = si
        g_prev[i] = gi
        xt[i] = x[i] - scale * si * _sign(gi)


@jit
def init(mo, x):
    return State(np.zeros(x.size), np.full(x.size, mo.lr0))


@jit_borrow
def step(state, mo, x, g, t, lr, xt):
    rprop(x, g, state.g_prev, state.s, lr / mo.lr0, mo.eta_minus, mo.eta_plus, mo.step_min,
          mo.step_max, mo.optax, xt)
    return lr


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return firstorder_loop(ob, cb, args, x0, lo, mo, trace, allvecs, init, step)


def prepare(opts, obj, x0):
    em, ep = F.pair(opts, "etas", {"lo": 0.0, "hi": 1.0, "lo_open": True, "hi_open": True},
                    {"lo": 1.0, "lo_open": True})
    smin, smax = F.pair(opts, "step_sizes", F.POSITIVE, F.POSITIVE, ordered=True)
    mo = Options(eta_minus=em, eta_plus=ep, step_min=smin, step_max=smax,
                 lr0=O.real(opts, "lr", **F.POSITIVE), optax=F.optax(opts))
    return F.plan(solve, opts, obj, x0, mo)


ENTRY = F.entry(
    "rprop", "Rprop: sign-based steps with per-coordinate adaptive step sizes (iRprop-).",
    {"lr": 1e-2, "etas": (0.5, 1.2), "step_sizes": (1e-6, 50.0)},
    prepare, solve,
    "Riedmiller & Braun (1993); Igel & Huesken (2000) (iRprop-); torch.optim.Rprop.")
