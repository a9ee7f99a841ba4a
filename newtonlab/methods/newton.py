"""Newton's method with a line search and a Hessian modification.

Nocedal & Wright (2006), Alg. 3.2: p_k = -(H_k + E_k)^{-1} g_k with E_k making
the matrix positive definite, by ``hess_mod``:

    "cholesky"    : E = tau I, tau from Alg. 3.3 (0 if H is positive definite,
                    else doubled from beta - min h_ii until Cholesky succeeds)
    "eigen-floor" : H = V diag(lambda) V^T -> V diag(max(lambda, delta)) V^T   (§3.4)
    "abs-eigen"   : V diag(max(|lambda|, delta)) V^T (saddle-free Newton's |H|)

with delta = eig_floor * max(1, max |lambda|).  The first trial step is always 1
(the Newton step is the model's own step length).  The Hessian is evaluated
once per iteration (NEED_HESS, counted by the loop) and, when the run ends with
SUCCESS, once more at the solution: it is returned as ``res.hess``.  Trace
``shift``: tau (Cholesky) or the smallest eigenvalue of H (eigen modifications).
A Hessian that is not finite gives tau = inf and a NaN direction, which the loop
replaces by steepest descent.
"""
import math
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine import factor as FA
from .._engine import kernels as K
from .._engine import linesearch as LS
from .._engine import status as S
from .._engine.config import dual, jit, logic
from .._engine.ls_driver import ALPHA0_NEWTON, DONE, NEED_HESS, hessian, linesearch_loop
from . import _linesearch as F

# Hessian modifications
MOD_CHOLESKY = 0      # N&W Alg. 3.3: A + tau I, tau doubled until Cholesky succeeds
MOD_EIGFLOOR = 1      # eigenvalues floored at delta (N&W §3.4)
MOD_ABS = 2           # |eigenvalues| floored at delta (saddle-free Newton)
MODS = ("cholesky", "eigen-floor", "abs-eigen")


@logic
def newton_direction(H, g, p, L, mod, beta, floor):
    """p = -(H + E)^{-1} g with E the chosen modification; returns the shift
    tau (Cholesky) or the smallest eigenvalue of H (eigen modifications)."""
    if mod == MOD_CHOLESKY:
        tau = FA.modified_cholesky_shift(H, beta, L)
        if not math.isfinite(tau):
            K.fill(p, math.nan)
            return tau
        K.neg(g, p)
        FA.cholesky_solve(L, p, p)
        return tau
    return FA.eigen_modified_direction(H, g, floor, mod == MOD_ABS, p)


class Options(NamedTuple):
    mod: int               # MOD_*
    beta: float            # Alg. 3.3: the first nonzero shift tau
    floor: float           # eigenvalue floor, relative to max(1, max |lambda|)


class Work(NamedTuple):
    H: np.ndarray          # the Hessian at x (n, n), filled by the loop on NEED_HESS
    W: np.ndarray          # no Hessian products: (0, n)
    L: np.ndarray          # Cholesky factor of H + tau I (n, n; (0, 0) for eigen modifications)


class State(NamedTuple):
    have_hess: bool        # work.H holds the Hessian at the current x
    shift: float           # tau or lambda_min of the last direction (trace column)


@jit
def init(mo, x, g, H):
    n = x.size
    L = np.zeros((n, n)) if mo.mod == MOD_CHOLESKY else np.zeros((0, 0))
    return Work(H, np.zeros((0, n)), L), State(False, 0.0)


@logic
def direction(work, state, mo, g, p):
    if not state.have_hess:
        return State(True, state.shift), NEED_HESS
    shift = newton_direction(work.H, g, p, work.L, mo.mod, mo.beta, mo.floor)
    return State(False, shift), DONE


# reset and update are dual, not cached dispatchers: saddle-free Newton passes them its own
# work record, and the disk-cache index of a dispatcher lists every signature it was compiled
# for; reading it (an interpreted newton run calls them from Python) would import that module
@dual(borrow=True)
def reset(work, state, mo):
    return state           # no memory: the next direction evaluates a fresh Hessian


@dual(borrow=True)
def update(work, state, mo, s, y, sy, ss, yy, alpha, g_old):
    return state


@logic
def finish(work, state, mo, status):
    """At a solution: the Hessian there, for ``res.hess`` (one more evaluation, counted)."""
    if status == S.SUCCESS and not state.have_hess:
        return State(True, state.shift), NEED_HESS, status
    return state, DONE, status


@logic
def diagnostics(work, state, row):
    row[0] = state.shift


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return linesearch_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init, direction, reset,
                           update, finish, diagnostics, hessian, LS.ls_start, LS.ls_next)


def prepare(opts, obj, x0):
    n = x0.size
    mo = Options(mod=O.choice(opts, "hess_mod", MODS),
                 beta=O.real(opts, "beta", 0.0, lo_open=True),
                 floor=O.real(opts, "eig_floor", 0.0, lo_open=True))
    return F.plan(ENTRY, opts, obj, x0, mo, alpha0=ALPHA0_NEWTON, matrix="hess",
                  H=np.zeros((n, n)))


ENTRY = F.entry(
    "newton",
    "Newton's method with a line search and Hessian modification (modified Cholesky or "
    "eigenvalue floor).",
    {**F.SECOND_ORDER, "linesearch": "wolfe", "hess_mod": "cholesky", "beta": 1e-3,
     "eig_floor": 1e-8},
    prepare, solve, needs_hess=True, diagnostics=("shift",), scipy="trust-exact",
    choices={"hess_mod": MODS},
    reusable_plan=True,
    reference="Nocedal & Wright (2006), Alg. 3.2 (line search Newton with modification), "
              "Alg. 3.3 (Cholesky with added multiple of the identity), §3.4.")
