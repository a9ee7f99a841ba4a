"""Saddle-free Newton: p = -|H|^{-1} g with |H| = V |Lambda| V^T, strong Wolfe search.

Dauphin et al. (2014), §5 and Alg. 1: replacing the eigenvalues of the Hessian by
their absolute values keeps Newton's scaling but turns the step *away* from a
saddle along negative curvature, where Newton's step is attracted to it.  As in
N&W §3.4 the moduli are floored at delta = eig_floor * max(1, max |lambda|).
The strong Wolfe search (N&W Alg. 3.5) may expand the unit step, so the method
leaves a saddle region quickly.

Two subproblems (option ``subproblem``; each its own compiled ``solve``):

``"eig"`` (default): |H| formed exactly from the dense Hessian (an
eigendecomposition per iteration, fine for small n).

``"krylov"``: Dauphin et al.'s Alg. 1, matrix-free.  k = ``krylov_dim`` (default
min(n, 20)) Lanczos steps on H from q_0 = g / ||g||, with full
reorthogonalization (Golub & Van Loan 2013, Alg. 10.1.1, §10.3.1), give the
basis Q (n x m, m <= k; fewer when the Krylov space is invariant) and
T = Q^T H Q, tridiagonal; |T| = S diag(max(|theta_i|, delta)) S^T from T's small
eigendecomposition (delta = eig_floor * max(1, max |theta|), the Ritz values
theta replacing the eigenvalues), and

    p = -Q (|T| + lambda I)^{-1} Q^T g = -||g|| Q (|T| + lambda I)^{-1} e_1.

Because the Krylov space is built from g it contains g: Q^T g = ||g|| e_1 and
the component of -g outside span(Q) is exactly zero, so the projected step
loses nothing of the gradient (Dauphin et al. treat that component separately
for a subspace not built from g).  Every product H q_j is requested from the
line-search loop (NEED_PRODUCT, ``W[tcg.V] -> W[tcg.HV]``, as newton-cg's CG),
so the Lanczos run is resumable across requests and every product is counted
in ``nhev``; when only ``hess`` is given, the Hessian is asked for once per
iteration (NEED_HESS) and multiplied here, one count each.  The kernels are in
``_engine/krylov.py``.  With k = n (and no floor active) the step is the
``"eig"`` step: |H|^{-1} g lies in the Krylov space of (H, g), on which |T| is
|H| (tests/test_saddle_free_newton.py).

Damping lambda (option ``damping``, default 0; krylov only): Alg. 1 of Dauphin
et al. chooses lambda per iteration by minimizing f over a few values along the
family p(lambda).  Here the strong Wolfe search along p(lambda fixed) takes that
role, for three reasons: (1) the family p(lambda) is a curve, not a line, and a
search over it has no sufficient-decrease/curvature guarantees, whereas p is a
descent direction with |T| + lambda I >= delta I, so the Wolfe search gives the
global convergence of N&W Thm. 3.2 (Zoutendijk); (2) each lambda costs an f
evaluation just like each trial step, and the Wolfe search is already
expansion-capable (it doubles alpha while phi' stays negative, which is what
leaves a saddle); (3) the driver's line search is shared, so a lambda search
would be a second loop in a shared engine file.  The floor delta is the
minimal damping; ``damping`` > 0 adds Levenberg-Marquardt-style damping for
noisy or strongly non-quadratic objectives (Dauphin et al., §6: "damping").

Which subproblem runs is the option alone, as newton-tr's ``subproblem``: the
arguments only say how curvature is obtained.  ``"eig"`` with ``hessp`` and no
``hess`` would form the Hessian by finite differences of the gradient
(n + 1 gradient calls per iteration) and ignore hessp; it warns and names
``subproblem="krylov"``.

Deviations: the step comes from a line search, not from Alg. 1's search over
lambda (above).  The gradient test holds at a saddle as well as at a minimum,
so a run that ends with SUCCESS checks the end point: ``"eig"`` evaluates the
Hessian there (returned as ``res.hess``) and reports SADDLE (status 14) when
lambda_min / max(1, |lambda|_max) < -saddle_tol; ``"krylov"`` runs one more
Lanczos (k products, counted) at the end point from a fixed pseudo-random
start vector (g is ~0 there and may miss the negative curvature) and applies
the same test to its Ritz values: theta_min >= lambda_min, so it never reports
a saddle that is not one, but may miss a negative eigenvalue that k steps do
not resolve; no ``res.hess``.  Trace ``min_eig``: the smallest eigenvalue of the
Hessian of each iteration (``"krylov"``: the smallest Ritz value of T).
"""
import warnings
from dataclasses import replace
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine import factor as FA
from .._engine import kernels as K
from .._engine import krylov as KR
from .._engine import linesearch as LS
from .._engine import status as S
from .._engine import tcg as TC
from .._engine.config import dual, jit, jit_borrow, logic
from .._engine.ls_driver import (ALPHA0_NEWTON, DONE, NEED_HESS, NEED_PRODUCT, hessian,
                                 linesearch_loop, products)
from . import _linesearch as F
from .newton import State, Work, diagnostics, reset, update   # no memory, as Newton

SUB_EIG, SUB_KRYLOV = 0, 1
SUBPROBLEMS = ("eig", "krylov")
KRYLOV_DIM = 20            # krylov_dim=None: min(n, KRYLOV_DIM)


@jit
def relative_min_eigenvalue(A):
    """lambda_min(A) / max(1, max |lambda|): the scale-free saddle test of saddle-free Newton."""
    lam = np.linalg.eigvalsh(A)
    return lam[0] / max(1.0, abs(lam[0]), abs(lam[lam.size - 1]))


class Options(NamedTuple):
    floor: float           # eigenvalue floor, relative to max(1, max |lambda|)
    saddle_tol: float      # SADDLE when lambda_min / max(1, |lambda|_max) < -saddle_tol
    krylov_dim: int        # Lanczos steps per direction ("krylov"; 0 with "eig")
    damping: float         # lambda added to the moduli ("krylov"; 0 with "eig")
    dense: bool            # "krylov" with products from the Hessian matrix (hess, no hessp)


# ------------------------------------------------------------------ "eig": dense |H|

@jit
def init(mo, x, g, H):
    return Work(H, np.zeros((0, x.size)), np.zeros((0, 0))), State(False, 0.0)


@logic
def direction(work, state, mo, g, p):
    if not state.have_hess:
        return State(True, state.shift), NEED_HESS
    lmin = FA.eigen_modified_direction(work.H, g, mo.floor, True, p)   # p = -|H|^{-1} g
    return State(False, lmin), DONE


@logic
def finish(work, state, mo, status):
    """At a solution: the Hessian there (``res.hess``), and the saddle test."""
    if status != S.SUCCESS:
        return state, DONE, status
    if not state.have_hess:
        return State(True, state.shift), NEED_HESS, status
    if relative_min_eigenvalue(work.H) < -mo.saddle_tol:
        status = S.SADDLE      # the gradient test holds at a saddle: not a minimum
    return state, DONE, status


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return linesearch_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init, direction, reset,
                           update, finish, diagnostics, hessian, LS.ls_start, LS.ls_next)


# ------------------------------------------------------- "krylov": Lanczos on products

# where a Lanczos run stands (KState.phase)
_IDLE = 0          # no run open
_HESS = 1          # asked for the Hessian (dense products): start the run on return
_PRODUCT = 2       # asked for H q_j: W[HV] holds it on return
_FIN_HESS = 3      # finish's saddle-test run: the same two waits
_FIN_PRODUCT = 4


class KWork(NamedTuple):
    H: np.ndarray          # the Hessian (n, n) with dense products, else (0, 0)
    W: np.ndarray          # product rows (tcg.NV, n): the loop writes H W[V] into W[HV]
    Q: np.ndarray          # Lanczos basis, rows q_0..q_{k-1} (k, n)
    a: np.ndarray          # diagonal of T (k)
    b: np.ndarray          # off-diagonal of T (k; b[j] couples q_j and q_{j+1})
    c: np.ndarray          # reorthogonalization coefficients (k)
    d: np.ndarray          # Ritz values theta (k)
    e: np.ndarray          # eigensolver workspace (k)
    y: np.ndarray          # the step in the basis, (|T| + lambda I)^{-1} Q^T g (k)
    Z: np.ndarray          # eigenvectors S of T (k, k)


class KState(NamedTuple):
    gnorm: float           # ||g|| of the direction being built (Q^T g = gnorm e_1)
    j: int                 # the basis vector whose product is awaited
    phase: int             # _IDLE | _HESS | _PRODUCT | _FIN_HESS | _FIN_PRODUCT
    min_ritz: float        # smallest Ritz value of the last direction (trace min_eig)


@jit
def init_krylov(mo, x, g, H):
    n = x.size
    k = mo.krylov_dim
    return (KWork(H, np.zeros((TC.NV, n)), np.zeros((k, n)), np.zeros(k), np.zeros(k),
                  np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k), np.zeros((k, k))),
            KState(0.0, 0, _IDLE, 0.0))


@dual(inline=True)
def _lanczos(w, mo, j, fresh):
    """Advance the open Lanczos run; returns (j, m): m > 0 when it ended with m steps,
    else 0 and the product H q_j is awaited.  ``fresh``: q_0 was just written and has
    no product yet.  With dense products every product is made here.  Inlined (its
    literal arguments would otherwise compile variants of it and of lanczos_next)."""
    while True:
        if not fresh:
            m = KR.lanczos_next(w.Q, w.a, w.b, j, mo.krylov_dim, w.W[TC.HV], w.W[TC.V], w.c)
            if m > 0:
                return j, m
            j += 1
        fresh = False
        if not mo.dense:
            return j, 0
        K.matvec(w.H, w.W[TC.V], w.W[TC.HV])


@jit_borrow
def direction_krylov(work, state, mo, g, p):
    """Dauphin et al. Alg. 1: k Lanczos steps from g, then p = -Q (|T| + lambda I)^{-1} Q^T g;
    one product per request (or the Hessian once, with dense products)."""
    w = work
    phase = state.phase
    if phase == _IDLE and mo.dense:
        return KState(state.gnorm, 0, _HESS, state.min_ritz), NEED_HESS
    if phase == _PRODUCT:
        gn = state.gnorm
        j, m = _lanczos(w, mo, state.j, False)
    else:
        gn = KR.lanczos_start(w.Q, g, w.W[TC.V])
        if not gn > 0.0:             # g = 0 (gtol = 0) or not finite: the loop's fallback
            K.neg(g, p)
            return KState(gn, 0, _IDLE, state.min_ritz), DONE
        j, m = _lanczos(w, mo, np.int64(0), True)
    if m == 0:
        return KState(gn, j, _PRODUCT, state.min_ritz), NEED_PRODUCT
    lmin = KR.abs_step(w.Q, w.a, w.b, m, gn, mo.floor, mo.damping, w.d, w.e, w.Z, w.y, p)
    return KState(gn, 0, _IDLE, lmin), DONE


@jit_borrow
def finish_krylov(work, state, mo, status):
    """At a solution: k Lanczos steps from a fixed pseudo-random vector, and the saddle
    test on their Ritz values."""
    w = work
    if status != S.SUCCESS:
        return state, DONE, status
    phase = state.phase
    if phase < _FIN_HESS and mo.dense:
        return KState(state.gnorm, 0, _FIN_HESS, state.min_ritz), NEED_HESS, status
    if phase == _FIN_PRODUCT:
        j, m = _lanczos(w, mo, state.j, False)
    else:
        KR.random_start(w.Q, w.W[TC.V])
        j, m = _lanczos(w, mo, np.int64(0), True)
    if m == 0:
        return KState(state.gnorm, j, _FIN_PRODUCT, state.min_ritz), NEED_PRODUCT, status
    if KR.relative_min_ritz(w.a, w.b, m, w.d, w.e, w.Z) < -mo.saddle_tol:
        status = S.SADDLE
    return KState(state.gnorm, 0, _IDLE, state.min_ritz), DONE, status


@jit_borrow
def reset_krylov(work, state, mo):
    return state           # no memory across iterations


@jit_borrow
def update_krylov(work, state, mo, s, y, sy, ss, yy, alpha, g_old):
    return state


@jit_borrow
def diagnostics_krylov(work, state, row):
    row[0] = state.min_ritz


@jit
def solve_krylov(ob, cb, args, x0, o, trace, allvecs, H):
    """Krylov saddle-free Newton: products from hessp (or differences of the gradient), or
    from the Hessian matrix when only hess is given."""
    lo, mo = o
    return linesearch_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init_krylov,
                           direction_krylov, reset_krylov, update_krylov, finish_krylov,
                           diagnostics_krylov, products, LS.ls_start, LS.ls_next)


def prepare(opts, obj, x0):
    n = x0.size
    sub = O.choice(opts, "subproblem", SUBPROBLEMS)
    floor = O.real(opts, "eig_floor", 0.0, lo_open=True)
    saddle_tol = O.real(opts, "saddle_tol", 0.0)
    damping = O.real(opts, "damping", 0.0)
    if sub == SUB_EIG:
        if damping != 0.0:
            raise ValueError("option 'damping' applies to subproblem='krylov' only")
        if opts["krylov_dim"] is not None:
            raise ValueError("option 'krylov_dim' applies to subproblem='krylov' only")
        if obj.hessp_kind == "analytic" and obj.user[2] is None:
            warnings.warn("saddle-free-newton with subproblem='eig' forms the Hessian by "
                          "finite differences of the gradient and does not use hessp; "
                          "options={'subproblem': 'krylov'} uses hessp", RuntimeWarning,
                          stacklevel=4)
        mo = Options(floor=floor, saddle_tol=saddle_tol, krylov_dim=0, damping=0.0, dense=False)
        return F.plan(ENTRY, opts, obj, x0, mo, alpha0=ALPHA0_NEWTON, matrix="hess",
                      H=np.zeros((n, n)))
    k = min(n, KRYLOV_DIM if opts["krylov_dim"] is None else O.positive_int(opts, "krylov_dim"))
    dense = obj.hessp_kind == "from-hess"
    mo = Options(floor=floor, saddle_tol=saddle_tol, krylov_dim=k, damping=damping, dense=dense)
    plan = F.plan(ENTRY, opts, obj, x0, mo, alpha0=ALPHA0_NEWTON,
                  H=np.zeros((n, n) if dense else (0, 0)), cost=F.products_cost(obj, dense))
    return replace(plan, solve=solve_krylov)


ENTRY = F.entry(
    "saddle-free-newton",
    "Saddle-free Newton: p = -|H|^{-1} g with |H| = V |Lambda| V^T (dense, or in a Lanczos "
    "Krylov subspace from Hessian-vector products), strong Wolfe search that may expand the "
    "step away from saddles.",
    {**F.SECOND_ORDER, "linesearch": "wolfe", "eig_floor": 1e-8, "saddle_tol": 1e-8,
     "subproblem": "eig", "krylov_dim": None, "damping": 0.0},
    prepare, solve, needs_hess=True, needs_hessp=True, diagnostics=("min_eig",),
    variants=({}, {"options": {"subproblem": "krylov"}, "hess": False}),
    choices={"subproblem": SUBPROBLEMS},
    reference="Dauphin, Pascanu, Gulcehre, Cho, Ganguli & Bengio (2014), NeurIPS, §5 and "
              "Alg. 1; Nocedal & Wright (2006), §3.4; Golub & Van Loan (2013), Alg. 10.1.1.")
