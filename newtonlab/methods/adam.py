"""adam: Adam with bias correction (Kingma & Ba 2015, Alg. 1), AMSGrad option, L2 decay.

As ``torch.optim.Adam``, with d_t = g_t + wd x_t and eta_t from the schedule:

    m_t = b1 m_{t-1} + (1 - b1) d_t,  v_t = b2 v_{t-1} + (1 - b2) d_t^2
    c1 = 1 - b1^t,  c2 = 1 - b2^t
    x_{t+1} = x_t - (eta_t / c1) m_t / (sqrt(v_t) / sqrt(c2) + eps)

(PyTorch's order of the operations).  ``amsgrad`` (Reddi, Kale & Kumar 2018):
PyTorch uses vmax_t = max(vmax_{t-1}, v_t) in place of v_t.  optax
(``convention="optax"``): x_{t+1} = x_t - eta_t (m_t / c1) / (sqrt(v^_t) + eps) with
v^_t = v_t / c2, or with amsgrad the running maximum of v_t / c2.

The same kernel serves ``adamw`` (``newtonlab/methods/adamw.py``): with
``decoupled`` (Loshchilov & Hutter 2019, Alg. 2) d_t = g_t and PyTorch first
shrinks x <- x (1 - eta_t wd); optax adds eta_t wd x_t to the step.
"""
import math
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine.config import jit, jit_borrow
from .._engine.fo_driver import firstorder_loop
from . import _firstorder as F


class Options(NamedTuple):
    beta1: float           # b1, decay of the first moment
    beta2: float           # b2, decay of the second moment
    eps: float
    weight_decay: float    # wd: L2 (adam) or decoupled (adamw)
    amsgrad: bool          # use the running maximum of the second moment
    decoupled: bool        # AdamW's decoupled weight decay
    optax: bool            # optax's forms (module docstring)


class State(NamedTuple):
    m: np.ndarray          # first moment
    v: np.ndarray          # second moment
    vmax: np.ndarray       # running maximum of v (PyTorch) or of v / c2 (optax), amsgrad


@jit_borrow
def adam(x, g, m, v, vmax, t, lr, b1, b2, eps, wd, amsgrad, decoupled, optax, xt):
    """One Adam / AdamW step (module docstring), state arrays updated in place."""
    c1 = 1.0 - b1 ** t
    c2 = 1.0 - b2 ** t
    step_size = lr / c1
    c2_sqrt = math.sqrt(c2)
    for i in range(x.size):
        xi = x[i]
        d = g[i] if decoupled else g[i] + wd * xi
        mi = b1 * m[i] + (1.0 - b1) * d
        vi = b2 * v[i] + (1.0 - b2) * d * d
        m[i] = mi
        v[i] = vi
        if optax:
            vh = vi / c2
            if amsgrad:
                vh = max(vmax[i], vh)
                vmax[i] = vh
            u = (mi / c1) / (math.sqrt(vh) + eps)
            xt[i] = xi - lr * (u + wd * xi) if decoupled else xi - lr * u
        else:
            if amsgrad:
                vi = max(vmax[i], vi)
                vmax[i] = vi
            if decoupled:
                xi = xi * (1.0 - lr * wd)
            xt[i] = xi - step_size * (mi / (math.sqrt(vi) / c2_sqrt + eps))


@jit
def init(mo, x):
    n = x.size
    return State(np.zeros(n), np.zeros(n), np.zeros(n))


@jit_borrow
def step(state, mo, x, g, t, lr, xt):
    adam(x, g, state.m, state.v, state.vmax, t, lr, mo.beta1, mo.beta2, mo.eps,
         mo.weight_decay, mo.amsgrad, mo.decoupled, mo.optax, xt)
    return lr


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return firstorder_loop(ob, cb, args, x0, lo, mo, trace, allvecs, init, step)


def options(opts, decoupled):
    """The validated :class:`Options` (adam and adamw)."""
    wd = O.real(opts, "weight_decay", 0.0)
    eps = O.real(opts, "eps", 0.0)
    b1, b2 = F.pair(opts, "betas", F.UNIT, F.UNIT)
    return Options(beta1=b1, beta2=b2, eps=eps, weight_decay=wd,
                   amsgrad=O.flag(opts, "amsgrad"), decoupled=decoupled, optax=F.optax(opts))


def prepare(opts, obj, x0):
    return F.plan(solve, opts, obj, x0, options(opts, decoupled=False))


ENTRY = F.entry(
    "adam", "Adam with bias correction (AMSGrad option), L2 weight decay.",
    {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, **F.L2, "amsgrad": False},
    prepare, solve,
    "Kingma & Ba (2015), ICLR, Alg. 1; Reddi, Kale & Kumar (2018), ICLR (AMSGrad); "
    "torch.optim.Adam.")
