"""Line searches in reverse communication.

A line search never calls the objective.  ``ls_start`` opens a search and
returns the first trial step; the driver evaluates phi(alpha) = f(x + alpha p)
and phi'(alpha) = g(x + alpha p)^T p there and hands them to ``ls_next``,
which answers CONTINUE with the next trial step, ACCEPT, or FAIL.  This is the
MINPACK ``dcsrch`` style: the search is a small state machine over scalars, so
it is cacheable, batchable, and the same code serves the compiled and the
interpreted driver, and only the driver counts evaluations.  The search's logic is
``config.logic``: a cached compiled function for a compiled driver, plain Python for an
interpreted one, so a method's first (interpreted) run compiles only the interpolations it
reaches (~0.7 s less of its first result).  Those two, :func:`_armijo_next` and
:func:`cubic_minimizer`, are compiled in both modes: they divide by quantities that may
vanish, which is IEEE inf or NaN compiled and a NumPy warning in Python.

Kinds
-----
ARMIJO : backtracking from alpha0 with quadratic, then cubic interpolation,
         each new step safeguarded to [0.1, 0.5] times the last one
         (N&W §3.5, eqs. 3.57-3.58).
WOLFE  : strong Wolfe conditions, bracketing then zoom with safeguarded cubic
         interpolation (N&W Alg. 3.5 and 3.6, eq. 3.59).

Deviations from N&W: a non-finite phi or phi' at a trial counts as "too
long" (the step shrinks towards the last finite point), so a search that
meets NaN backtracks instead of failing; the lowest trial that satisfied the
sufficient-decrease condition is remembered (``st[BEST_A]``) so that a failed
search can still hand the driver an improving step.
"""
import math

import numpy as np

from .config import jit_borrow, logic

ARMIJO = 0
WOLFE = 1
NONE = 2      # fixed step: accept alpha0 whatever it gives (first-order baselines)

CONTINUE = 0
ACCEPT = 1
FAIL = 2
UNBOUNDED = 3   # sufficient decrease all the way to alpha_max (or over UNBOUNDED_RATIO times
#                 the first step) with phi' still < 0: accept it, and the driver reports f
#                 as unbounded below along the line

# state vector layout
PHI0, DPHI0, C1, C2, AMAX, KIND, STAGE, NEVAL, MAXEVAL = 0, 1, 2, 3, 4, 5, 6, 7, 8
APREV, PHIPREV, DPHIPREV, HAVEPREV = 9, 10, 11, 12
ALO, PHILO, DPHILO, AHI, PHIHI, DPHIHI = 13, 14, 15, 16, 17, 18
BEST_A, BEST_PHI = 19, 20
ALPHA0 = 21
SIZE = 22

#: a Wolfe search that is still expanding when its budget ends, with every step from
#: alpha0 to UNBOUNDED_RATIO alpha0 a sufficient decrease, reports UNBOUNDED
UNBOUNDED_RATIO = 1e6

_BRACKET = 0.0
_ZOOM = 1.0


def new_state():
    """A fresh state vector for ``ls_start``."""
    return np.zeros(SIZE)


@logic
def ls_start(st, kind, phi0, dphi0, alpha0, c1, c2, amax, maxeval):
    """Open a search along a descent direction (dphi0 < 0); return the first trial."""
    st[PHI0] = phi0
    st[DPHI0] = dphi0
    st[C1] = c1
    st[C2] = c2
    st[AMAX] = amax
    st[KIND] = kind
    st[STAGE] = _BRACKET
    st[NEVAL] = 0.0
    st[MAXEVAL] = maxeval
    st[APREV] = 0.0
    st[PHIPREV] = phi0
    st[DPHIPREV] = dphi0
    st[HAVEPREV] = 0.0
    st[BEST_A] = 0.0
    st[BEST_PHI] = phi0
    st[ALPHA0] = min(alpha0, amax)
    return st[ALPHA0]


@jit_borrow
def cubic_minimizer(a, fa, dfa, b, fb, dfb):
    """Minimizer of the cubic interpolating f and f' at a and b (N&W eq. 3.59); NaN if none."""
    if a == b:
        return math.nan
    d1 = dfa + dfb - 3.0 * (fa - fb) / (a - b)
    disc = d1 * d1 - dfa * dfb
    if not disc >= 0.0:
        return math.nan
    d2 = math.copysign(math.sqrt(disc), b - a)
    den = dfb - dfa + 2.0 * d2
    if den == 0.0:
        return math.nan
    return b - (b - a) * (dfb + d2 - d1) / den


@logic
def sufficient_decrease(st, alpha, phi):
    """Armijo condition phi(alpha) <= phi(0) + c1 alpha phi'(0), with strict decrease.

    The strict test matters once c1 alpha phi'(0) underflows relative to phi(0):
    then phi(alpha) == phi(0) would pass the plain test and a search could
    "accept" a step that changes nothing.
    """
    return math.isfinite(phi) and phi <= st[PHI0] + st[C1] * alpha * st[DPHI0] and phi < st[PHI0]


@jit_borrow
def _armijo_next(st, alpha, phi):
    """Next backtracking step after a rejected trial (N&W eqs. 3.57-3.58)."""
    phi0 = st[PHI0]
    dphi0 = st[DPHI0]
    if not math.isfinite(phi):
        st[HAVEPREV] = 0.0
        return 0.25 * alpha
    if st[HAVEPREV] == 0.0:
        anew = -dphi0 * alpha * alpha / (2.0 * (phi - phi0 - dphi0 * alpha))
    else:
        ap = st[APREV]
        d1 = phi - phi0 - dphi0 * alpha
        d2 = st[PHIPREV] - phi0 - dphi0 * ap
        den = alpha * alpha * ap * ap * (alpha - ap)
        ca = (ap * ap * d1 - alpha * alpha * d2) / den
        cb = (-ap * ap * ap * d1 + alpha * alpha * alpha * d2) / den
        if ca == 0.0:
            anew = -dphi0 / (2.0 * cb)
        else:
            disc = cb * cb - 3.0 * ca * dphi0
            anew = (-cb + math.sqrt(disc)) / (3.0 * ca) if disc >= 0.0 else math.nan
    st[APREV] = alpha
    st[PHIPREV] = phi
    st[HAVEPREV] = 1.0
    if not (anew >= 0.1 * alpha):  # NaN lands here too
        anew = 0.1 * alpha if anew < 0.1 * alpha else 0.5 * alpha
    return min(anew, 0.5 * alpha)


@logic
def _zoom_trial(st):
    """Safeguarded cubic step inside the bracket [lo, hi] (N&W Alg. 3.6)."""
    lo = st[ALO]
    hi = st[AHI]
    a = math.nan
    if math.isfinite(st[PHIHI]) and math.isfinite(st[DPHIHI]):
        a = cubic_minimizer(lo, st[PHILO], st[DPHILO], hi, st[PHIHI], st[DPHIHI])
    left = min(lo, hi)
    width = abs(hi - lo)
    if not math.isfinite(a) or a < left or a > left + width:
        return 0.5 * (lo + hi)       # no minimizer inside the bracket: bisect
    # a minimizer too near an end is moved 10% of the width inside, not discarded: in a
    # bracket [0, 1] around a step of 0.01 (a first step of 1 far too long), bisection
    # would take five halvings to get there, the clamped step one
    return min(max(a, left + 0.1 * width), left + 0.9 * width)


@logic
def _set_hi(st, alpha, phi, dphi):
    st[AHI] = alpha
    st[PHIHI] = phi
    st[DPHIHI] = dphi


@logic
def _set_lo(st, alpha, phi, dphi):
    st[ALO] = alpha
    st[PHILO] = phi
    st[DPHILO] = dphi


@logic
def _wolfe_next(st, alpha, phi, dphi):
    """One step of N&W Alg. 3.5 (bracketing) or 3.6 (zoom); returns (code, next alpha)."""
    dphi0 = st[DPHI0]
    finite = math.isfinite(phi) and math.isfinite(dphi)
    sufficient = finite and sufficient_decrease(st, alpha, phi)
    curvature = finite and abs(dphi) <= -st[C2] * dphi0
    if st[STAGE] == _BRACKET:
        if not sufficient or (st[HAVEPREV] != 0.0 and phi >= st[PHIPREV]):
            _set_lo(st, st[APREV], st[PHIPREV], st[DPHIPREV])
            _set_hi(st, alpha, phi if finite else math.inf, dphi if finite else math.inf)
            st[STAGE] = _ZOOM
        elif curvature:
            return ACCEPT, alpha
        elif dphi >= 0.0:
            _set_lo(st, alpha, phi, dphi)
            _set_hi(st, st[APREV], st[PHIPREV], st[DPHIPREV])
            st[STAGE] = _ZOOM
        else:
            if alpha >= st[AMAX]:
                return UNBOUNDED, alpha
            st[APREV] = alpha
            st[PHIPREV] = phi
            st[DPHIPREV] = dphi
            st[HAVEPREV] = 1.0
            return CONTINUE, min(2.0 * alpha, st[AMAX])
    else:
        if not sufficient or phi >= st[PHILO]:
            _set_hi(st, alpha, phi if finite else math.inf, dphi if finite else math.inf)
        elif curvature:
            return ACCEPT, alpha
        else:
            if dphi * (st[AHI] - st[ALO]) >= 0.0:
                _set_hi(st, st[ALO], st[PHILO], st[DPHILO])
            _set_lo(st, alpha, phi, dphi)
    if abs(st[AHI] - st[ALO]) <= 1e-15 * max(abs(st[AHI]), abs(st[ALO])):
        return FAIL, alpha
    return CONTINUE, _zoom_trial(st)


@logic
def ls_next(st, alpha, phi, dphi):
    """Digest phi(alpha), phi'(alpha); return (code, next trial alpha)."""
    st[NEVAL] += 1.0
    if sufficient_decrease(st, alpha, phi) and phi < st[BEST_PHI]:
        st[BEST_A] = alpha
        st[BEST_PHI] = phi
    kind = int(st[KIND])
    if kind == NONE:
        return ACCEPT, alpha
    if kind == ARMIJO:
        if sufficient_decrease(st, alpha, phi):
            return ACCEPT, alpha
        code = CONTINUE
        anew = _armijo_next(st, alpha, phi)
    else:
        code, anew = _wolfe_next(st, alpha, phi, dphi)
        if code != CONTINUE:
            return code, anew
    if st[NEVAL] >= st[MAXEVAL] or not anew > 0.0:
        if kind == WOLFE and st[STAGE] == _BRACKET and anew > alpha \
                and alpha >= UNBOUNDED_RATIO * st[ALPHA0]:
            # phi kept falling with phi' < 0 over six decades of steps: no minimizer ahead
            return UNBOUNDED, alpha
        return FAIL, alpha
    return code, anew
