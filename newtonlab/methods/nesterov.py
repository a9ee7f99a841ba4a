"""nesterov: Nesterov accelerated gradient, in two forms.

With d_t = g_t + wd x_t (PyTorch's L2 ``weight_decay``) and eta_t from the schedule:

* ``form="sutskever"`` (``torch.optim.SGD(nesterov=True)``; the reformulation of
  Sutskever et al. 2013 / Bengio et al. 2013 that takes the gradient at the
  iterate): b_1 = d_1, b_t = mu b_{t-1} + d_t, x_{t+1} = x_t - eta_t (d_t + mu b_t);
* ``form="lookahead"`` (Nesterov 1983; Sutskever et al. 2013, eqs. 3-4):
  v_{t+1} = mu v_t - eta_t grad f(y_t), theta_{t+1} = theta_t + v_{t+1}, with the
  gradient at the look-ahead point y_t = theta_t + mu v_t.  The loop's iterates
  are the y_t (where f and g are evaluated); theta_1 = y_1 since v_1 = 0.

With a constant eta the two forms give the same iterates.  mu must be > 0
(as PyTorch); no dampening (PyTorch requires 0).
"""
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine.config import jit, jit_borrow
from .._engine.fo_driver import firstorder_loop
from . import _firstorder as F

FORMS = ("sutskever", "lookahead")
SUTSKEVER, LOOKAHEAD = range(2)


class Options(NamedTuple):
    momentum: float        # mu > 0
    weight_decay: float    # wd
    form: int              # SUTSKEVER | LOOKAHEAD


class State(NamedTuple):
    buf: np.ndarray        # b (sutskever) or v (lookahead)
    theta: np.ndarray      # theta_t (lookahead; the iterate is y = theta + mu v)


@jit_borrow
def sutskever(x, g, b, t, lr, mu, wd, xt):
    """b = mu b + d (b_1 = d); x+ = x - lr (d + mu b)."""
    for i in range(x.size):
        d = g[i] + wd * x[i]
        bi = d if t == 1 else mu * b[i] + d
        b[i] = bi
        xt[i] = x[i] - lr * (d + mu * bi)


@jit_borrow
def lookahead(y, g, v, theta, lr, mu, wd, yt):
    """v = mu v - lr grad f(y) (d at y); theta += v; y+ = theta + mu v."""
    for i in range(y.size):
        vi = mu * v[i] - lr * (g[i] + wd * y[i])
        v[i] = vi
        theta[i] = theta[i] + vi
        yt[i] = theta[i] + mu * vi


@jit
def init(mo, x):
    theta = x.copy() if mo.form == LOOKAHEAD else np.zeros(0)
    return State(np.zeros(x.size), theta)


@jit_borrow
def step(state, mo, x, g, t, lr, xt):
    if mo.form == SUTSKEVER:
        sutskever(x, g, state.buf, t, lr, mo.momentum, mo.weight_decay, xt)
    else:
        lookahead(x, g, state.buf, state.theta, lr, mo.momentum, mo.weight_decay, xt)
    return lr


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return firstorder_loop(ob, cb, args, x0, lo, mo, trace, allvecs, init, step)


def prepare(opts, obj, x0):
    wd = O.real(opts, "weight_decay", 0.0)
    mo = Options(momentum=O.real(opts, "momentum", **F.UNIT), weight_decay=wd,
                 form=O.choice(opts, "form", FORMS))
    if mo.momentum == 0.0:
        raise ValueError("option 'momentum' must be > 0 for nesterov (as torch.optim.SGD)")
    return F.plan(solve, opts, obj, x0, mo)


ENTRY = F.entry(
    "nesterov", "Nesterov accelerated gradient (PyTorch/Sutskever or look-ahead form).",
    {"lr": 1e-3, "momentum": 0.9, **F.L2, "form": "sutskever"},
    prepare, solve,
    "Nesterov (1983); Sutskever et al. (2013), eqs. 3-4; torch.optim.SGD(nesterov=True).",
    {"form": FORMS})
