"""momentum: SGD with heavy-ball momentum, in three forms.

With d_t = g_t + wd x_t (PyTorch's L2 ``weight_decay``) and eta_t from the schedule:

* ``form="pytorch"`` (``torch.optim.SGD(momentum=mu, dampening=tau)``):
  b_1 = d_1, b_t = mu b_{t-1} + (1 - tau) d_t, x_{t+1} = x_t - eta_t b_t
  (mu = 0 is plain SGD, as in PyTorch);
* ``form="velocity"`` (Sutskever et al. 2013, eq. 1; Goodfellow et al., Deep
  Learning, Alg. 8.2): v_t = mu v_{t-1} - eta_t d_t, x_{t+1} = x_t + v_t (v_0 = 0);
* ``form="heavy-ball"`` (Polyak 1964): x_{t+1} = x_t - eta_t d_t + mu (x_t - x_{t-1})
  (the first step is a gradient step).

With a constant eta and tau = 0 the three forms give the same iterates; under a
schedule the PyTorch form rescales the whole buffer by the current eta, the
other two keep past steps at their old eta.  optax's ``trace`` is the PyTorch
form with tau = 0: ``dampening`` is rejected with ``convention="optax"``.
"""
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine.config import jit, jit_borrow
from .._engine.fo_driver import firstorder_loop
from . import _firstorder as F

FORMS = ("pytorch", "velocity", "heavy-ball")
PYTORCH, VELOCITY, HEAVY_BALL = range(3)


class Options(NamedTuple):
    momentum: float        # mu
    dampening: float       # tau (PyTorch form only)
    weight_decay: float    # wd
    form: int              # PYTORCH | VELOCITY | HEAVY_BALL


class State(NamedTuple):
    buf: np.ndarray        # b (pytorch), v (velocity) or x_{t-1} (heavy-ball)


@jit_borrow
def pytorch(x, g, b, t, lr, mu, tau, wd, xt):
    """b = d (t = 1), b = mu b + (1 - tau) d; x+ = x - lr b."""
    for i in range(x.size):
        d = g[i] + wd * x[i]
        if mu != 0.0:
            d = d if t == 1 else mu * b[i] + (1.0 - tau) * d
            b[i] = d
        xt[i] = x[i] - lr * d


@jit_borrow
def velocity(x, g, v, lr, mu, wd, xt):
    """v = mu v - lr d; x+ = x + v."""
    for i in range(x.size):
        vi = mu * v[i] - lr * (g[i] + wd * x[i])
        v[i] = vi
        xt[i] = x[i] + vi


@jit_borrow
def heavy_ball(x, g, x_prev, t, lr, mu, wd, xt):
    """x+ = x - lr d + mu (x - x_prev); x_prev <- x."""
    for i in range(x.size):
        s = -lr * (g[i] + wd * x[i])
        if t > 1:
            s += mu * (x[i] - x_prev[i])
        x_prev[i] = x[i]
        xt[i] = x[i] + s


@jit
def init(mo, x):
    return State(np.zeros(x.size))


@jit_borrow
def step(state, mo, x, g, t, lr, xt):
    if mo.form == PYTORCH:
        pytorch(x, g, state.buf, t, lr, mo.momentum, mo.dampening, mo.weight_decay, xt)
    elif mo.form == VELOCITY:
        velocity(x, g, state.buf, lr, mo.momentum, mo.weight_decay, xt)
    else:
        heavy_ball(x, g, state.buf, t, lr, mo.momentum, mo.weight_decay, xt)
    return lr


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return firstorder_loop(ob, cb, args, x0, lo, mo, trace, allvecs, init, step)


def prepare(opts, obj, x0):
    wd = O.real(opts, "weight_decay", 0.0)
    mo = Options(momentum=O.real(opts, "momentum", **F.UNIT),
                 dampening=O.real(opts, "dampening", 0.0, 1.0), weight_decay=wd,
                 form=O.choice(opts, "form", FORMS))
    if mo.dampening != 0.0 and (mo.form != PYTORCH or F.optax(opts)):
        raise ValueError("option 'dampening' exists only in form='pytorch' with "
                         "convention='pytorch' (optax's trace has no dampening)")
    return F.plan(solve, opts, obj, x0, mo)


ENTRY = F.entry(
    "momentum", "SGD with heavy-ball momentum (PyTorch buffer, velocity or Polyak form).",
    {"lr": 1e-3, "momentum": 0.9, "dampening": 0.0, **F.L2, "form": "pytorch"},
    prepare, solve, "Polyak (1964); Sutskever et al. (2013), ICML, eq. 1; torch.optim.SGD.",
    {"form": FORMS})
