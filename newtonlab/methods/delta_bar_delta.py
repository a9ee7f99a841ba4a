"""delta-bar-delta: per-coordinate local gains (Jacobs 1988; Hinton 2012, Coursera lecture 6d).

With bar-g the running average of past gradients and eta_t from the schedule:

    gain += kappa          if bar-g_{t-1} g_t > 0   (additive increase when signs agree)
    gain *= 1 - phi        if bar-g_{t-1} g_t < 0   (multiplicative decrease)
    gain = clip(gain, gain_min, gain_max)
    x_{t+1} = x_t - eta_t gain g_t
    bar-g_t = (1 - theta) g_t + theta bar-g_{t-1}

Gains start at 1, bar-g at 0.  theta = 0 compares with the previous gradient:
Hinton's local-gain rule.  In neither PyTorch nor optax.
"""
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine.config import jit, jit_borrow
from .._engine.fo_driver import firstorder_loop
from . import _firstorder as F


class Options(NamedTuple):
    kappa: float           # additive gain increase
    phi: float             # multiplicative gain decrease, in [0, 1)
    theta: float           # averaging of bar-g, in [0, 1)
    gain_min: float
    gain_max: float


class State(NamedTuple):
    gain: np.ndarray       # per-coordinate gains
    gbar: np.ndarray       # running average of the gradient


@jit_borrow
def delta_bar_delta(x, g, gain, gbar, lr, kappa, phi, theta, gmin, gmax, xt):
    """One delta-bar-delta step (module docstring), gain and gbar updated in place."""
    for i in range(x.size):
        p = gbar[i] * g[i]
        gi = gain[i]
        if p > 0.0:
            gi = gi + kappa
        elif p < 0.0:
            gi = gi * (1.0 - phi)
        gi = min(max(gi, gmin), gmax)
        gain[i] = gi
        xt[i] = x[i] - lr * gi * g[i]
        gbar[i] = (1.0 - theta) * g[i] + theta * gbar[i]


@jit
def init(mo, x):
    return State(np.ones(x.size), np.zeros(x.size))


@jit_borrow
def step(state, mo, x, g, t, lr, xt):
    delta_bar_delta(x, g, state.gain, state.gbar, lr, mo.kappa, mo.phi, mo.theta, mo.gain_min,
                    mo.gain_max, xt)
    return lr


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return firstorder_loop(ob, cb, args, x0, lo, mo, trace, allvecs, init, step)


def prepare(opts, obj, x0):
    kappa = O.real(opts, "kappa", 0.0)
    phi = O.real(opts, "phi", **F.UNIT)
    theta = O.real(opts, "theta", **F.UNIT)
    gmin, gmax = F.pair(opts, "gain_bounds", F.POSITIVE, F.POSITIVE, ordered=True)
    mo = Options(kappa=kappa, phi=phi, theta=theta, gain_min=gmin, gain_max=gmax)
    return F.plan(solve, opts, obj, x0, mo)


ENTRY = F.entry(
    "delta-bar-delta", "Local gains (delta-bar-delta): additive increase when gradient "
    "signs agree, multiplicative decrease otherwise, gains clipped.",
    {"lr": 1e-2, "kappa": 0.05, "phi": 0.05, "theta": 0.7, "gain_bounds": (0.1, 10.0)},
    prepare, solve, "Jacobs (1988), Neural Networks 1(4); Hinton (2012), Coursera lecture 6d.")
