"""rmsprop: steps scaled by a running RMS of the gradient (Hinton 2012; centered: Graves 2013).

As ``torch.optim.RMSprop``, with d_t = g_t + wd x_t and eta_t from the schedule:

    v_t = alpha v_{t-1} + (1 - alpha) d_t^2
    centered: m_t = alpha m_{t-1} + (1 - alpha) d_t, v~_t = v_t - m_t^2 (else v~_t = v_t)
    u_t = d_t / (sqrt(v~_t) + eps)
    momentum mu > 0: b_t = mu b_{t-1} + u_t, x_{t+1} = x_t - eta_t b_t
    else:            x_{t+1} = x_t - eta_t u_t

optax (``convention="optax"``): u_t = d_t / sqrt(v~_t + eps) (``eps_in_sqrt``), and
b_t = mu b_{t-1} + eta_t u_t, x_{t+1} = x_t - b_t (its trace follows the learning
rate: the two differ under a schedule).
"""
import math
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine.config import jit, jit_borrow
from .._engine.fo_driver import firstorder_loop
from . import _firstorder as F


class Options(NamedTuple):
    alpha: float           # decay of the running averages
    eps: float
    weight_decay: float    # wd
    momentum: float        # mu (0: none)
    centered: bool         # subtract the squared running mean (Graves 2013)
    optax: bool            # optax's eps inside the root and trace after the rate


class State(NamedTuple):
    v: np.ndarray          # running mean of d^2
    m: np.ndarray          # running mean of d (centered)
    b: np.ndarray          # momentum buffer


@jit_borrow
def rmsprop(x, g, v, m, b, lr, a, eps, mu, wd, centered, optax, xt):
    """One RMSprop step (module docstring), state arrays updated in place."""
    for i in range(x.size):
        d = g[i] + wd * x[i]
        vi = a * v[i] + (1.0 - a) * d * d
        v[i] = vi
        if centered:
            mi = a * m[i] + (1.0 - a) * d
            m[i] = mi
            vi = vi - mi * mi
        u = d / math.sqrt(vi + eps) if optax else d / (math.sqrt(vi) + eps)
        if mu > 0.0:
            bi = mu * b[i] + (lr * u if optax else u)
            b[i] = bi
            xt[i] = x[i] - (bi if optax else lr * bi)
        else:
            xt[i] = x[i] - lr * u


@jit
def init(mo, x):
    n = x.size
    return State(np.zeros(n), np.zeros(n), np.zeros(n))


@jit_borrow
def step(state, mo, x, g, t, lr, xt):
    rmsprop(x, g, state.v, state.m, state.b, lr, mo.alpha, mo.eps, mo.momentum,
            mo.weight_decay, mo.centered, mo.optax, xt)
    return lr


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return firstorder_loop(ob, cb, args, x0, lo, mo, trace, allvecs, init, step)


def prepare(opts, obj, x0):
    wd = O.real(opts, "weight_decay", 0.0)
    mom = O.real(opts, "momentum", **F.UNIT)
    eps = O.real(opts, "eps", 0.0)
    mo = Options(alpha=O.real(opts, "alpha", **F.UNIT), eps=eps, weight_decay=wd,
                 momentum=mom, centered=O.flag(opts, "centered"), optax=F.optax(opts))
    return F.plan(solve, opts, obj, x0, mo)


ENTRY = F.entry(
    "rmsprop", "RMSprop: steps scaled by a running RMS of the gradient (plain, centered, "
    "momentum).",
    {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, **F.L2, "momentum": 0.0, "centered": False},
    prepare, solve,
    "Hinton (2012), Coursera lecture 6e; Graves (2013), arXiv:1308.0850 (centered); "
    "torch.optim.RMSprop.")
