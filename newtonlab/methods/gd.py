"""gd: gradient descent, as steepest descent with a line search or as PyTorch's SGD.

Line-search mode (the default; Nocedal & Wright 2006, §3.1-3.3): p_k = -g_k
(eq. 3.2 with B_k = I), x_{k+1} = x_k + alpha_k p_k with alpha_k from an
Armijo (eq. 3.4) or strong Wolfe (eq. 3.7) line search on the generic loop
``_engine/ls_driver.py``.  First trial step (``ALPHA0_SLOPE``): min(1, 1/||p||)
at the start and after a restart, else min(1, 1.01 alpha_{k-1} phi'_{k-1}(0) /
phi'_k(0)) (eq. 3.60); with ``lr`` set (``ALPHA0_FIXED``), lr at every iteration.

SGD mode (``torch.optim.SGD`` without momentum) on the first-order loop
``_engine/fo_driver.py``:

    x_{t+1} = x_t - eta_t (g_t + wd x_t)

with eta_t from the schedule.  It runs when ``linesearch="none"``, when a
first-order-only option (schedule, mini-batches, noise, stopping rules,
weight_decay, convention) differs from its default, or when ``fun`` is a
:class:`newtonlab.stochastic.FiniteSum`; ``lr=None`` then means PyTorch's 1e-3.
``prepare`` picks the mode: its plan's ``solve`` is one of the two entries below.
"""
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .. import stochastic as SC
from .._engine import kernels as K
from .._engine import linesearch as LS
from .._engine import ls_driver as LD
from .._engine.config import jit, jit_borrow
from .._engine.fo_driver import firstorder_loop
from . import _firstorder as F
from . import _linesearch as L


class Options(NamedTuple):
    weight_decay: float    # wd, PyTorch's L2 term (0 in line-search mode)


class State(NamedTuple):
    """SGD, and steepest descent with a search, keep no state."""


class SearchWork(NamedTuple):
    H: np.ndarray          # unused (0, 0): steepest descent keeps no matrix
    W: np.ndarray          # no Hessian products: (0, n)


# ---------------------------------------------------------------- SGD rule

@jit_borrow
def sgd(x, g, lr, wd, xt):
    """x+ = x - lr (g + wd x)."""
    for i in range(x.size):
        xt[i] = x[i] - lr * (g[i] + wd * x[i])


@jit
def init(mo, x):
    return State()


@jit_borrow
def step(state, mo, x, g, t, lr, xt):
    sgd(x, g, lr, mo.weight_decay, xt)
    return lr


# ------------------------------------------------- line-search components

@jit
def search_init(mo, x, g, H):
    return SearchWork(H, np.zeros((0, x.size))), State()


@jit_borrow
def direction(work, state, mo, g, p):
    K.neg(g, p)                          # p = -g
    return state, LD.DONE


@jit_borrow
def reset(work, state, mo):
    return state


@jit_borrow
def update(work, state, mo, s, y, sy, ss, yy, alpha, g_old):
    return state


@jit_borrow
def finish(work, state, mo, status):
    return state, LD.DONE, status


@jit_borrow
def diagnostics(work, state, row):
    return


# ------------------------------------------------------------------ entries

@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return LD.linesearch_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, search_init,
                              direction, reset, update, finish, diagnostics, LD.no_curvature,
                              LS.ls_start, LS.ls_next)


@jit
def solve_sgd(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return firstorder_loop(ob, cb, args, x0, lo, mo, trace, allvecs, init, step)


_FIRST_ORDER_ONLY = tuple(F.FIRST_ORDER) + ("weight_decay",)


def _same(value, default):
    if value is None or default is None:
        return value is default
    return bool(np.array_equal(value, default))


def prepare(opts, obj, x0):
    """The line-search plan, or the SGD plan (see the module docstring)."""
    changed = [k for k in _FIRST_ORDER_ONLY if not _same(opts[k], ENTRY.defaults[k])]
    finite_sum = SC.finite_sum_of(obj) is not None
    if opts["linesearch"] == "none" or changed or finite_sum:
        if opts["linesearch"] == "wolfe":
            raise ValueError(f"option(s) {changed or ['fun=FiniteSum']} select gd's fixed-step "
                             f"first-order driver; they cannot be combined with "
                             f"linesearch='wolfe'")
        searching = [k for k in L.DEFAULTS if not _same(opts[k], ENTRY.defaults[k])]
        if searching:
            raise ValueError(f"option(s) {searching} configure gd's line search; fixed-step "
                             f"SGD (selected by {changed or ['linesearch=none or a FiniteSum']}) "
                             f"has none")
        if opts["lr"] is None:
            opts["lr"] = 1e-3                       # PyTorch's SGD default
        mo = Options(weight_decay=O.real(opts, "weight_decay", 0.0))
        return F.plan(solve_sgd, opts, obj, x0, mo)
    return L.plan(ENTRY, opts, obj, x0, Options(weight_decay=0.0), alpha0=LD.ALPHA0_SLOPE)


ENTRY = L.entry(
    "gd", "Gradient descent: steepest descent with a line search, or (PyTorch) SGD with a "
    "fixed or scheduled learning rate, full-batch or mini-batch.",
    {"linesearch": "armijo", "lr": None, **F.L2, **F.FIRST_ORDER},
    prepare, solve, scipy=None, variants=({}, {"options": {"linesearch": "none", "lr": 0.1}}),
    choices={**F.CHOICES, "linesearch": ("armijo", "wolfe", "none")},
    reference="Nocedal & Wright (2006), Numerical Optimization, 2nd ed., §3.1-3.3. "
              "torch.optim.SGD.")
