"""adadelta: unit-corrected RMS steps (Zeiler 2012, arXiv:1212.5701, Alg. 1).

As ``torch.optim.Adadelta`` and optax, with d_t = g_t + wd x_t and eta_t from the schedule:

    v_t = rho v_{t-1} + (1 - rho) d_t^2
    delta_t = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) d_t
    u_t = rho u_{t-1} + (1 - rho) delta_t^2
    x_{t+1} = x_t - eta_t delta_t

On deterministic problems sqrt(u)/sqrt(v) grows as the gradient vanishes;
a decaying schedule makes it converge (docs/methods/first_order.md).
"""
import math
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine.config import jit, jit_borrow
from .._engine.fo_driver import firstorder_loop
from . import _firstorder as F


class Options(NamedTuple):
    rho: float             # decay of the running averages
    eps: float
    weight_decay: float    # wd


class State(NamedTuple):
    v: np.ndarray          # running mean of d^2
    u: np.ndarray          # running mean of delta^2


@jit_borrow
def adadelta(x, g, v, u, lr, rho, eps, wd, xt):
    """One Adadelta step (module docstring), v and u updated in place."""
    for i in range(x.size):
        d = g[i] + wd * x[i]
        vi = rho * v[i] + (1.0 - rho) * d * d
        v[i] = vi
        delta = math.sqrt(u[i] + eps) / math.sqrt(vi + eps) * d
        u[i] = rho * u[i] + (1.0 - rho) * delta * delta
        xt[i] = x[i] - lr * delta


@jit
def init(mo, x):
    return State(np.zeros(x.size), np.zeros(x.size))


@jit_borrow
def step(state, mo, x, g, t, lr, xt):
    adadelta(x, g, state.v, state.u, lr, mo.rho, mo.eps, mo.weight_decay, xt)
    return lr


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return firstorder_loop(ob, cb, args, x0, lo, mo, trace, allvecs, init, step)


def prepare(opts, obj, x0):
    wd = O.real(opts, "weight_decay", 0.0)
    eps = O.real(opts, "eps", 0.0)
    mo = Options(rho=O.real(opts, "rho", **F.UNIT), eps=eps, weight_decay=wd)
    return F.plan(solve, opts, obj, x0, mo)


ENTRY = F.entry(
    "adadelta", "Adadelta: unit-corrected RMS steps, no learning rate needed.",
    {"lr": 1.0, "rho": 0.9, "eps": 1e-6, **F.L2},
    prepare, solve, "Zeiler (2012), arXiv:1212.5701, Alg. 1; torch.optim.Adadelta.")
