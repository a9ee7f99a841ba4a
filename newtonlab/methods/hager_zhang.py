"""Hager-Zhang (CG_DESCENT): conjugate gradients with guaranteed descent, approximate Wolfe search.

Direction (Hager & Zhang 2005, SIAM J. Optim. 16(1), eqs. 1.4-1.5): with
y_k = g_{k+1} - g_k and the previous direction d_k,

    beta_k^N = (y_k - 2 d_k ||y_k||^2 / d_k^T y_k)^T g_{k+1} / d_k^T y_k
    beta_k   = max(beta_k^N, eta_k),   eta_k = -1 / (||d_k|| min(eta, ||g_k||))
    d_{k+1}  = -g_{k+1} + beta_k d_k

which satisfies g^T d <= -7/8 ||g||^2 whatever the line search (Theorem 1.1).

Line search (Hager & Zhang 2006, ACM TOMS 32(1), Alg. 851, and 2005 §4), in
reverse communication like ``_engine/linesearch.py``.  A trial is accepted
when it satisfies the Wolfe conditions (T1)

    phi(a) - phi(0) <= delta a phi'(0)   and   phi'(a) >= sigma phi'(0)

or the approximate Wolfe conditions (T2)

    (2 delta - 1) phi'(0) >= phi'(a) >= sigma phi'(0),  phi(a) <= phi(0) + eps_k

with eps_k = EPSILON |f_k| (delta = c1 = 0.1, sigma = c2 = 0.9).  The search
brackets (B0-B3, expansion RHO = 5), then repeats secant^2 (S1-S4) with a
bisection (L2) whenever the interval did not shrink by GAMMA; every new point
goes through the interval update U0-U3 (bisection with THETA).  First trial
step: I0 (b)-(c) at the first iteration, c = PSI0 |f_0| / ||g_0||^2 (or 1 when
f_0 = 0); then I1 (QuadStep): phi is evaluated at PSI1 alpha_{k-1} and, if it
is <= phi(0) and the quadratic through phi(0), phi'(0) and that value is
strictly convex, its minimizer is the first trial, else I2: PSI2 alpha_{k-1}.

Restarts (beta = 0, d = -g): at the first iteration, after the loop resets (a
failed search), and every ``restart_every``-th direction (None: 6n, CG_DESCENT's
restart factor 6); a beta that is not finite (d_k^T y_k = 0) also restarts.

Deviations: I0 (a) (PSI0 ||x_0||_inf / ||g_0||_inf) is not used: the search sees
phi and phi' only, and -phi'(0) = ||g_0||^2 since d_0 = -g_0.  A non-finite
phi or phi' at a trial counts as "phi too large" (U3 / B2: the interval shrinks
towards the last good point).  The search stops with FAIL when the interval
collapses or after ``maxls`` evaluations; the lowest trial with
phi <= phi(0) + delta a phi'(0) is kept for the loop (``BEST_A``).  alpha_{k-1}
lives in the state vector between searches (slot PREV_A): the loop allocates it
once per run, and ``ls_start`` keeps that slot.
"""
import math
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine import kernels as K
from .._engine import linesearch as LS
from .._engine.config import jit, jit_borrow
from .._engine.ls_driver import ALPHA0_UNIT, DONE, linesearch_loop, no_curvature
from . import _linesearch as F
from .cg import cg_direction

# CG_DESCENT's default line-search parameters (Hager & Zhang 2005, 2006)
EPSILON = 1e-6     # eps_k = EPSILON |f_k| in T2 and in the interval update
THETA = 0.5        # U3: d = (1 - theta) a + theta b
GAMMA = 0.66       # L2: bisect when a secant^2 step left more than gamma of the interval
RHO = 5.0          # B3: bracket expansion factor
PSI0 = 0.01        # I0
PSI1 = 0.1         # I1: QuadStep probe at psi1 alpha_{k-1}
PSI2 = 2.0         # I2
COLLAPSE = 1e-15   # FAIL when b - a <= COLLAPSE * b

# state vector; PHIHI and BEST_A mean what they mean in linesearch.py (the loop reads them)
PHI0, DPHI0, DELTA, SIGMA, AMAX, STAGE, RET, NEVAL, MAXEVAL = range(9)
A, DA, B, DB, OLD_X, OLD_DX, WIDTH = range(9, 16)   # bracket [a, b], phi' there; S2-S3; L2
PHIHI = LS.PHIHI                   # phi at the last trial (inf if not finite)
PREV_A = 18                        # alpha_{k-1}: kept across searches (I1, I2)
BEST_A, BEST_PHI = LS.BEST_A, LS.BEST_PHI
SIZE = LS.SIZE

# what the trial being evaluated is
_QUAD, _BRACKET, _S1, _S4, _MID, _U3 = 0.0, 1.0, 2.0, 3.0, 4.0, 5.0
# where U3 returns to
_TO_L1, _TO_L2 = 0.0, 1.0


@jit_borrow
def ls_start(st, kind, phi0, dphi0, alpha0, c1, c2, amax, maxeval):
    """Open a search (``kind`` and ``alpha0`` are ignored: the first trial is I0-I2)."""
    st[PHI0] = phi0
    st[DPHI0] = dphi0
    st[DELTA] = c1
    st[SIGMA] = c2
    st[AMAX] = amax
    st[NEVAL] = 0.0
    st[MAXEVAL] = maxeval
    st[A] = 0.0
    st[DA] = dphi0
    st[PHIHI] = phi0
    st[BEST_A] = 0.0
    st[BEST_PHI] = phi0
    prev = st[PREV_A]
    if prev > 0.0:
        st[STAGE] = _QUAD                          # I1: probe first
        return min(PSI1 * prev, amax)
    st[STAGE] = _BRACKET
    c = PSI0 * abs(phi0) / -dphi0 if phi0 != 0.0 else 1.0    # I0 (b), (c)
    return min(c, amax)


@jit_borrow
def secant(a, da, b, db):
    """The zero of the line through (a, phi'(a)) and (b, phi'(b)) (2005, §4)."""
    return (a * db - b * da) / (db - da)


@jit_borrow
def wolfe(st, alpha, phi, dphi):
    """T1 (Wolfe) or T2 (approximate Wolfe) at a finite trial."""
    d0 = st[DPHI0]
    if not dphi >= st[SIGMA] * d0:
        return False
    if phi - st[PHI0] <= st[DELTA] * alpha * d0:
        return True
    return (2.0 * st[DELTA] - 1.0) * d0 >= dphi and phi <= st[PHI0] + EPSILON * abs(st[PHI0])


@jit_borrow
def _set_b(st, alpha, dphi):
    st[B] = alpha
    st[DB] = dphi


@jit_borrow
def _collapsed(st):
    return not st[B] - st[A] > COLLAPSE * st[B]


@jit_borrow
def _u3(st):
    """U3a: the next bisection point of [a_hat, b_hat] = [a, b]."""
    if _collapsed(st):
        return LS.FAIL, 0.0
    st[STAGE] = _U3
    return LS.CONTINUE, (1.0 - THETA) * st[A] + THETA * st[B]


@jit_borrow
def _secant2(st):
    """L1 -> S1: c = secant(a, b); outside (a, b) U0 keeps [a, b], and L2 bisects."""
    if _collapsed(st):
        return LS.FAIL, 0.0
    st[WIDTH] = st[B] - st[A]
    c = secant(st[A], st[DA], st[B], st[DB])
    if st[A] < c < st[B]:
        st[STAGE] = _S1
        return LS.CONTINUE, c
    st[STAGE] = _MID
    return LS.CONTINUE, 0.5 * (st[A] + st[B])


@jit_borrow
def _l2(st):
    """L2: bisect if secant^2 left more than GAMMA of the interval, else the next L1."""
    if st[B] - st[A] > GAMMA * st[WIDTH]:
        st[STAGE] = _MID
        return LS.CONTINUE, 0.5 * (st[A] + st[B])
    return _secant2(st)


@jit_borrow
def _s4(st, cbar):
    """S4: evaluate c_bar when it lies in (A, B) (U0), else on to L2."""
    if st[A] < cbar < st[B]:
        st[STAGE] = _S4
        return LS.CONTINUE, cbar
    return _l2(st)


@jit_borrow
def _advance(st, alpha, phi, dphi):
    """Digest a trial that did not terminate; returns (code, next trial)."""
    finite = math.isfinite(phi) and math.isfinite(dphi)
    d0 = st[DPHI0]
    up = finite and dphi >= 0.0                                    # U1 / B1 / U3a
    low = finite and phi <= st[PHI0] + EPSILON * abs(st[PHI0])     # U2 / B3 / U3b
    stage = st[STAGE]
    if stage == _QUAD:                                             # I1, else I2
        c = PSI2 * st[PREV_A]
        if finite and phi <= st[PHI0]:
            q = (phi - st[PHI0] - d0 * alpha) / (alpha * alpha)
            if q > 0.0:
                c = -d0 / (2.0 * q)
        st[STAGE] = _BRACKET
        return LS.CONTINUE, min(c, st[AMAX])
    if stage == _BRACKET:
        if up:                                  # B1: [c_{j-1} (or 0), c_j]
            _set_b(st, alpha, dphi)
            return _secant2(st)
        if not low:                             # B2: U3 on [0, c_j]
            st[A] = 0.0
            st[DA] = d0
            _set_b(st, alpha, dphi)
            st[RET] = _TO_L1
            return _u3(st)
        if alpha >= st[AMAX]:                   # B3 cannot expand further: phi fell
            return LS.UNBOUNDED, alpha          # all the way to alpha_max (as Wolfe's)
        st[A] = alpha
        st[DA] = dphi
        return LS.CONTINUE, min(RHO * alpha, st[AMAX])
    if stage == _U3:
        if up:                                  # U3a: done
            _set_b(st, alpha, dphi)
            return _secant2(st) if st[RET] == _TO_L1 else _l2(st)
        if low:                                 # U3b
            st[A] = alpha
            st[DA] = dphi
        else:                                   # U3c
            _set_b(st, alpha, dphi)
        return _u3(st)
    # the interval update U1-U3 of c = alpha in (a, b), after S1, S4 or L2's bisection
    if up:                                      # U1: [a, c]; for S1 c = B: S2
        if stage == _S1:
            st[OLD_X] = st[B]
            st[OLD_DX] = st[DB]
        _set_b(st, alpha, dphi)
        if stage == _S1:
            return _s4(st, secant(st[OLD_X], st[OLD_DX], st[B], st[DB]))
    elif low:                                   # U2: [c, b]; for S1 c = A: S3
        if stage == _S1:
            st[OLD_X] = st[A]
            st[OLD_DX] = st[DA]
        st[A] = alpha
        st[DA] = dphi
        if stage == _S1:
            return _s4(st, secant(st[OLD_X], st[OLD_DX], st[A], st[DA]))
    else:                                       # U3 on [a, c]
        _set_b(st, alpha, dphi)
        st[RET] = _TO_L1 if stage == _MID else _TO_L2
        return _u3(st)
    return _secant2(st) if stage == _MID else _l2(st)


@jit_borrow
def ls_next(st, alpha, phi, dphi):
    """Digest phi(alpha), phi'(alpha); return (code, next trial alpha)."""
    st[NEVAL] += 1.0
    finite = math.isfinite(phi) and math.isfinite(dphi)
    st[PHIHI] = phi if finite else math.inf
    if finite and phi < st[BEST_PHI] and phi <= st[PHI0] + st[DELTA] * alpha * st[DPHI0]:
        st[BEST_A] = alpha
        st[BEST_PHI] = phi
    if finite and st[STAGE] != _QUAD and wolfe(st, alpha, phi, dphi):   # the probe only
        st[PREV_A] = alpha                                             # shapes the guess
        return LS.ACCEPT, alpha
    code, anew = _advance(st, alpha, phi, dphi)
    if code == LS.CONTINUE and st[NEVAL] < st[MAXEVAL] or code == LS.UNBOUNDED:
        return code, anew
    if st[BEST_A] > 0.0:
        st[PREV_A] = st[BEST_A]               # the loop steps to the best point
    return LS.FAIL, alpha


@jit
def hz_beta(g, y, d, gnorm_old, eta):
    """beta_k = max(beta_k^N, eta_k) (2005, eqs. 1.4-1.5); 0 (a restart) if not finite."""
    dy = 0.0
    gy = 0.0
    dg = 0.0
    yy = 0.0
    dd = 0.0
    for i in range(g.size):
        dy += d[i] * y[i]
        gy += g[i] * y[i]
        dg += d[i] * g[i]
        yy += y[i] * y[i]
        dd += d[i] * d[i]
    beta = (gy - 2.0 * yy * dg / dy) / dy
    if not math.isfinite(beta):
        return 0.0
    eta_k = -1.0 / (math.sqrt(dd) * min(eta, gnorm_old))
    return max(beta, eta_k)


class Options(NamedTuple):
    eta: float             # eta in the lower bound eta_k of beta
    restart_every: int     # steepest-descent restart after this many directions


class Work(NamedTuple):
    H: np.ndarray          # no matrix: (0, 0)
    W: np.ndarray          # no Hessian products: (0, n)
    y: np.ndarray          # y_k = g_{k+1} - g_k, copied at the update


class State(NamedTuple):
    gnorm_old: float       # ||g_k||_2 (for eta_k)
    fresh: bool            # no pair since the start or the last reset: d = -g
    directions: int        # directions proposed so far
    restarts: float        # steepest-descent directions so far (trace column)
    beta: float            # beta of the last direction (trace column)


@jit
def init(mo, x, g, H):
    return Work(H, np.zeros((0, x.size)), np.zeros(x.size)), State(0.0, True, 0, 0.0, 0.0)


@jit_borrow
def direction(work, state, mo, g, p):
    """d_{k+1} = -g_{k+1} + beta_k d_k; p holds d_k (the loop leaves it between iterations)."""
    count = state.directions + 1
    restarts = state.restarts
    beta = 0.0
    if state.fresh or count % mo.restart_every == 0:
        restarts += 1.0
    else:
        beta = hz_beta(g, work.y, p, state.gnorm_old, mo.eta)
    cg_direction(g, beta, p)               # N&W eq. 5.41b; a restart does not read p
    return State(state.gnorm_old, state.fresh, count, restarts, beta), DONE


@jit_borrow
def reset(work, state, mo):
    return State(state.gnorm_old, True, state.directions, state.restarts, state.beta)


@jit_borrow
def update(work, state, mo, s, y, sy, ss, yy, alpha, g_old):
    K.copy_into(y, work.y)
    return State(K.norm2(g_old), False, state.directions, state.restarts, state.beta)


@jit_borrow
def finish(work, state, mo, status):
    return state, DONE, status


@jit_borrow
def diagnostics(work, state, row):
    row[0] = state.beta
    row[1] = state.restarts


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return linesearch_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init, direction, reset,
                           update, finish, diagnostics, no_curvature, ls_start, ls_next)


def prepare(opts, obj, x0):
    O.real(opts, "c1", 0.0, 0.5, lo_open=True, hi_open=True)    # 2 delta - 1 < 0 in T2
    every = opts["restart_every"]
    mo = Options(eta=O.real(opts, "eta", 0.0, lo_open=True),
                 restart_every=6 * x0.size if every is None
                 else O.positive_int(opts, "restart_every"))
    return F.plan(ENTRY, opts, obj, x0, mo, alpha0=ALPHA0_UNIT)


ENTRY = F.entry(
    "hager-zhang",
    "Hager-Zhang conjugate gradient (CG_DESCENT): guaranteed descent, approximate Wolfe "
    "line search.",
    {**F.SECOND_ORDER, "linesearch": "wolfe", "c1": 0.1, "c2": 0.9, "eta": 0.01,
     "restart_every": None},
    prepare, solve, diagnostics=("beta", "restarts"), scipy="CG",
    choices={"linesearch": ("wolfe",)},
    reusable_plan=True,
    reference="Hager & Zhang (2005), SIAM J. Optim. 16(1), 170-192, eqs. 1.4-1.5 and §4; "
              "Hager & Zhang (2006), ACM TOMS 32(1), 113-137 (Algorithm 851: CG_DESCENT).")
