"""adagrad: per-coordinate steps from the sum of squared gradients (Duchi, Hazan & Singer 2011).

As ``torch.optim.Adagrad``, with d_t = g_t + wd x_t and eta_t from the schedule:

    s_t = s_{t-1} + d_t^2            (s_0 = initial_accumulator_value)
    clr_t = eta_t / (1 + (t - 1) lr_decay)
    x_{t+1} = x_t - clr_t d_t / (sqrt(s_t) + eps)

optax (``convention="optax"``): d_t / sqrt(s_t + eps), and 0 where s_t = 0.
The trace's ``alpha`` is clr_t.
"""
import math
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine.config import jit, jit_borrow
from .._engine.fo_driver import firstorder_loop
from . import _firstorder as F


class Options(NamedTuple):
    lr_decay: float                   # inverse-time decay of the rate, on top of the schedule
    weight_decay: float               # wd
    initial_accumulator_value: float  # s_0
    eps: float
    optax: bool                       # optax's d / sqrt(s + eps)


class State(NamedTuple):
    s: np.ndarray                     # sum of squared gradients


@jit_borrow
def adagrad(x, g, s, clr, wd, eps, optax, xt):
    """s += d^2; x+ = x - clr d / (sqrt(s) + eps)  [optax: d / sqrt(s + eps), 0 if s = 0]."""
    for i in range(x.size):
        d = g[i] + wd * x[i]
        si = s[i] + d * d
        s[i] = si
        if optax:
            u = d / math.sqrt(si + eps) if si > 0.0 else 0.0
        else:
            u = d / (math.sqrt(si) + eps)
        xt[i] = x[i] - clr * u


@jit
def init(mo, x):
    return State(np.full(x.size, mo.initial_accumulator_value))


@jit_borrow
def step(state, mo, x, g, t, lr, xt):
    clr = lr / (1.0 + (t - 1) * mo.lr_decay)
    adagrad(x, g, state.s, clr, mo.weight_decay, mo.eps, mo.optax, xt)
    return clr


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return firstorder_loop(ob, cb, args, x0, lo, mo, trace, allvecs, init, step)


def prepare(opts, obj, x0):
    wd = O.real(opts, "weight_decay", 0.0)
    mo = Options(lr_decay=O.real(opts, "lr_decay", 0.0), weight_decay=wd,
                 initial_accumulator_value=O.real(opts, "initial_accumulator_value", 0.0),
                 eps=O.real(opts, "eps", 0.0), optax=F.optax(opts))
    return F.plan(solve, opts, obj, x0, mo)


ENTRY = F.entry(
    "adagrad", "Adagrad: per-coordinate steps from the sum of squared gradients.",
    {"lr": 1e-2, "lr_decay": 0.0, **F.L2, "initial_accumulator_value": 0.0, "eps": 1e-10},
    prepare, solve, "Duchi, Hazan & Singer (2011), JMLR 12; torch.optim.Adagrad.")
