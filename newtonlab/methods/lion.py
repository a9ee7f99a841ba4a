"""lion: the sign of an interpolated momentum (Chen et al. 2023, Alg. 2).

With eta_t from the schedule (sign(0) = 0):

    c_t = b1 m_{t-1} + (1 - b1) g_t
    x_{t+1} = x_t (1 - eta_t wd) - eta_t sign(c_t)     (the authors' reference code)
    m_t = b2 m_{t-1} + (1 - b2) g_t

optax (``convention="optax"``): x_{t+1} = x_t - eta_t (sign(c_t) + wd x_t), the same
value with other rounding.  PyTorch has no Lion (pytorch#94904).  Each
coordinate moves by exactly eta_t per step: use a decaying schedule to converge.
"""
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine.config import jit, jit_borrow
from .._engine.fo_driver import firstorder_loop
from . import _firstorder as F


class Options(NamedTuple):
    beta1: float           # b1, interpolation for the sign
    beta2: float           # b2, decay of the momentum
    weight_decay: float    # wd, decoupled
    optax: bool            # optax's form of the decay


class State(NamedTuple):
    m: np.ndarray          # momentum


@jit
def _sign(v):
    return 1.0 if v > 0.0 else (-1.0 if v < 0.0 else 0.0)


@jit_borrow
def lion(x, g, m, lr, b1, b2, wd, optax, xt):
    """One Lion step (module docstring), m updated in place."""
    for i in range(x.size):
        c = b1 * m[i] + (1.0 - b1) * g[i]
        if optax:
            xt[i] = x[i] - lr * (_sign(c) + wd * x[i])
        else:
            xt[i] = x[i] * (1.0 - lr * wd) - lr * _sign(c)
        m[i] = b2 * m[i] + (1.0 - b2) * g[i]


@jit
def init(mo, x):
    return State(np.zeros(x.size))


@jit_borrow
def step(state, mo, x, g, t, lr, xt):
    lion(x, g, state.m, lr, mo.beta1, mo.beta2, mo.weight_decay, mo.optax, xt)
    return lr


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return firstorder_loop(ob, cb, args, x0, lo, mo, trace, allvecs, init, step)


def prepare(opts, obj, x0):
    wd = O.real(opts, "weight_decay", 0.0)
    b1, b2 = F.pair(opts, "betas", F.UNIT, F.UNIT)
    mo = Options(beta1=b1, beta2=b2, weight_decay=wd, optax=F.optax(opts))
    return F.plan(solve, opts, obj, x0, mo)


ENTRY = F.entry(
    "lion", "Lion: sign of an interpolated momentum, decoupled weight decay.",
    {"lr": 1e-4, "betas": (0.9, 0.99), **F.L2},
    prepare, solve, "Chen et al. (2023), Symbolic Discovery of Optimization Algorithms, Alg. 2.")
