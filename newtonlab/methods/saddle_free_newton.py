"""Saddle-free Newton: p = -|H|^{-1} g with |H| = V |Lambda| V^T, strong Wolfe search.

Dauphin et al. (2014), §5 and Alg. 1: replacing the eigenvalues of the Hessian by
their absolute values keeps Newton's scaling but turns the step *away* from a
saddle along negative curvature, where Newton's step is attracted to it.  As in
N&W §3.4 the moduli are floored at delta = eig_floor * max(1, max |lambda|).
The strong Wolfe search (N&W Alg. 3.5) may expand the unit step, so the method
leaves a saddle region quickly.

Deviations: Dauphin et al. use a Krylov subspace and a fixed step; here |H| is
formed exactly (an eigendecomposition per iteration, fine for small n) and the
step comes from a line search.  The gradient test holds at a saddle as well as
at a minimum, so a run that ends with SUCCESS evaluates the Hessian there
(returned as ``res.hess``) and reports SADDLE (status 14) when
lambda_min / max(1, |lambda|_max) < -saddle_tol.  Trace ``min_eig``: the
smallest eigenvalue of the Hessian of each iteration.
"""
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine import kernels as K
from .._engine import linesearch as LS
from .._engine import status as S
from .._engine.config import jit
from .._engine.ls_driver import ALPHA0_NEWTON, DONE, NEED_HESS, hessian, linesearch_loop
from . import _linesearch as F
from .newton import State, diagnostics, reset, update   # no memory, as Newton


@jit
def relative_min_eigenvalue(A):
    """lambda_min(A) / max(1, max |lambda|): the scale-free saddle test of saddle-free Newton."""
    lam = np.linalg.eigvalsh(A)
    return lam[0] / max(1.0, abs(lam[0]), abs(lam[lam.size - 1]))


class Options(NamedTuple):
    floor: float           # eigenvalue floor, relative to max(1, max |lambda|)
    saddle_tol: float      # SADDLE when lambda_min / max(1, |lambda|_max) < -saddle_tol


@jit
def init(mo, x, g, H):
    return State(H, np.zeros((0, x.size)), np.zeros((0, 0)), False, 0.0)


@jit
def direction(state, mo, g, p):
    if not state.have_hess:
        return State(state.H, state.W, state.L, True, state.shift), NEED_HESS
    lmin = K.eigen_modified_direction(state.H, g, mo.floor, True, p)   # p = -|H|^{-1} g
    return State(state.H, state.W, state.L, False, lmin), DONE


@jit
def finish(state, mo, status):
    """At a solution: the Hessian there (``res.hess``), and the saddle test."""
    if status != S.SUCCESS:
        return state, DONE, status
    if not state.have_hess:
        return State(state.H, state.W, state.L, True, state.shift), NEED_HESS, status
    if relative_min_eigenvalue(state.H) < -mo.saddle_tol:
        status = S.SADDLE      # the gradient test holds at a saddle: not a minimum
    return state, DONE, status


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return linesearch_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init, direction, reset,
                           update, finish, diagnostics, hessian, LS.ls_start, LS.ls_next)


def prepare(opts, obj, x0):
    n = x0.size
    mo = Options(floor=O.real(opts, "eig_floor", 0.0, lo_open=True),
                 saddle_tol=O.real(opts, "saddle_tol", 0.0))
    return F.plan(ENTRY, opts, obj, x0, mo, alpha0=ALPHA0_NEWTON, matrix="hess",
                  H=np.zeros((n, n)))


ENTRY = F.entry(
    "saddle-free-newton",
    "Saddle-free Newton: p = -|H|^{-1} g with |H| = V |Lambda| V^T, strong Wolfe search "
    "that may expand the step away from saddles.",
    {**F.SECOND_ORDER, "linesearch": "wolfe", "eig_floor": 1e-8, "saddle_tol": 1e-8},
    prepare, solve, needs_hess=True, diagnostics=("min_eig",),
    reference="Dauphin, Pascanu, Gulcehre, Cho, Ganguli & Bengio (2014), NeurIPS, §5 and "
              "Alg. 1; Nocedal & Wright (2006), §3.4.")
