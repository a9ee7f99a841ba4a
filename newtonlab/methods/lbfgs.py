"""L-BFGS: limited-memory BFGS by the two-loop recursion, strong Wolfe line search.

Nocedal & Wright (2006), Alg. 7.5 with the two-loop recursion Alg. 7.4:
p_k = -H_k g_k where H_k is the BFGS matrix (eq. 6.17) built from the m most
recent pairs s_i = x_{i+1} - x_i, y_i = g_{i+1} - g_i over H_k^0 = gamma_k I,

    gamma_k = s_{k-1}^T y_{k-1} / y_{k-1}^T y_{k-1}                    (eq. 7.20)

Deviations and choices: gamma = 1 until the first pair (scipy's L-BFGS-B takes
the same first step); a pair with s^T y <= eps ||s|| ||y|| is skipped and
counted (trace ``skipped``) instead of stored.  Every reset by the loop (a
failed line search, a direction that is not a descent direction) empties the
memory; gamma goes back to 1 only when the loop resets after taking a step (a
search that failed but found a lower point).  After a search that found no
lower point the retry is -gamma g with the last gamma, as the engine always did:
``reset`` cannot tell the two apart, so ``direction`` does, from whether g
changed since the last direction (an accepted step moves x, hence g).

Bounds (``minimize(..., bounds=...)``, scipy's ``method="L-BFGS-B"``): L-BFGS-B of
Byrd, Lu, Nocedal & Zhu (1995) in its own loop, ``_engine/box_driver.py`` (generalized
Cauchy point, direct primal subspace minimization, a search on the feasible segment;
kernels in ``_engine/box.py``), entered by :func:`solve_box` with the box as the
workspace ``H`` = [lb; ub] (2, n).  Without finite bounds nothing of it is compiled.

Large n (option ``direction_form``): the same direction -H_k g by the compact
representation (Byrd, Nocedal & Schnabel 1994; N&W §7.2), two fused passes over S and Y
where the two-loop recursion adds 6m passes over its n-vector (``_engine/lbfgs_compact.py``),
in its own compiled entry :func:`solve_compact` with its own state :class:`CompactState`
(the loop writes each new pair straight into its buffer rows: :func:`pair_compact`);
"auto" takes it from n = :data:`COMPACT_MIN_N`, so small problems run the two-loop
entry, unchanged.  Same memory rules (skips, resets, gamma) as the two-loop form.
"""
import math
from typing import NamedTuple

import numpy as np

from .. import _options as O
from .._engine import kernels as K
from .._engine import lbfgs_compact as C
from .._engine import linesearch as LS
from .._engine.config import jit
from .._engine.box_driver import box_loop
from .._engine.ls_driver import DONE, linesearch_loop, no_curvature
from . import _linesearch as F


@jit
def lbfgs_push(S, Y, rho, head, count, s, y, sy):
    """Store (s, y) as the newest pair; returns the new (head, count)."""
    m = S.shape[0]
    head = (head + 1) % m
    for i in range(s.size):
        S[head, i] = s[i]
        Y[head, i] = y[i]
    rho[head] = 1.0 / sy
    return head, min(count + 1, m)


class Options(NamedTuple):
    m: int                 # pairs kept
    curvature_eps: float   # skip a pair when s^T y <= eps ||s|| ||y||


class State(NamedTuple):
    H: np.ndarray          # no matrix: (0, 0)
    W: np.ndarray          # no Hessian products: (0, n)
    S: np.ndarray          # pairs s_i, rows of an (m, n) circular buffer
    Y: np.ndarray          # pairs y_i, same rows
    rho: np.ndarray        # 1 / s_i^T y_i
    work: np.ndarray       # the two-loop's alpha_i (m)
    head: int              # row of the newest pair (-1: none yet)
    count: int             # pairs stored
    gamma: float           # H_k^0 = gamma I (eq. 7.20)
    skipped: float         # pairs skipped so far (trace column)
    g_seen: np.ndarray     # g at the last direction
    reset_pending: bool    # reset since the last direction or update


@jit
def init(mo, x, g, H):
    n = x.size
    m = mo.m
    # S, Y uninitialized: only stored rows are ever read, and zeros would write all 2mn
    # numbers up front (at n = 10^6 a memset as long as two iterations)
    return State(H, np.zeros((0, n)), np.empty((m, n)), np.empty((m, n)), np.zeros(m),
                 np.zeros(m), -1, 0, 1.0, 0.0, np.zeros(n), False)


@jit
def direction(state, mo, g, p):
    gamma = state.gamma
    if C.g_moved(g, state.g_seen, 0, g.size) and state.reset_pending:
        gamma = 1.0                          # reset after a step: H_0 = I
    K.two_loop(g, state.S, state.Y, state.rho, state.head, state.count, gamma,
               state.work, p)              # p = -H_k g (Alg. 7.4)
    return State(state.H, state.W, state.S, state.Y, state.rho, state.work, state.head,
                 state.count, gamma, state.skipped, state.g_seen, False), DONE


@jit
def reset(state, mo):
    return State(state.H, state.W, state.S, state.Y, state.rho, state.work, state.head, 0,
                 state.gamma, state.skipped, state.g_seen, True)


@jit
def update(state, mo, s, y, sy, ss, yy, alpha, g_old):
    if not sy > mo.curvature_eps * math.sqrt(ss * yy):
        return State(state.H, state.W, state.S, state.Y, state.rho, state.work, state.head,
                     state.count, state.gamma, state.skipped + 1.0, state.g_seen, False)
    head, count = lbfgs_push(state.S, state.Y, state.rho, state.head, state.count, s, y, sy)
    return State(state.H, state.W, state.S, state.Y, state.rho, state.work, head, count,
                 sy / yy, state.skipped, state.g_seen, False)


@jit
def finish(state, mo, status):
    return state, DONE, status


@jit
def diagnostics(state, row):
    row[0] = state.skipped


@jit
def solve(ob, cb, args, x0, o, trace, allvecs, H):
    lo, mo = o
    return linesearch_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init, direction, reset,
                           update, finish, diagnostics, no_curvature, LS.ls_start,
                           LS.ls_next)


@jit
def solve_box(ob, cb, args, x0, o, trace, allvecs, H):
    """L-BFGS-B: the box lb = H[0] <= x <= ub = H[1]."""
    lo, mo = o
    return box_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H[0], H[1])


class CompactState(NamedTuple):
    """The state of the compact entry: :class:`State`'s fields (same meaning) with S^T Y
    and Y^T Y kept in place of rho, and the workspaces of ``lbfgs_compact``."""
    H: np.ndarray
    W: np.ndarray
    S: np.ndarray          # (m + 1, n): the pairs and the free row the next one goes to
    Y: np.ndarray
    SY: np.ndarray         # s_i^T y_j by buffer rows (m + 1, m + 1): R and D of BNS Thm 2.2
    YY: np.ndarray         # y_i^T y_j (m + 1, m + 1)
    rows: np.ndarray       # workspace: buffer rows, oldest pair first (int64, m)
    acc: np.ndarray        # workspace: per-chunk partial sums (NCHUNK, 5, m + 1)
    moved: np.ndarray      # workspace: per-chunk "g changed" flags (int64, NCHUNK)
    coef: np.ndarray       # workspace: a, b, w, c, d of the middle solve (5, m)
    head: int
    count: int
    pending: bool          # the newest pair's products with the others not yet computed
    gamma: float
    skipped: float
    g_seen: np.ndarray
    reset_pending: bool


@jit
def init_compact(mo, x, g, H):
    S, Y, SY, YY, rows, acc, moved, coef = C.workspace(mo.m, x.size)
    return CompactState(H, np.zeros((0, x.size)), S, Y, SY, YY, rows, acc, moved, coef, -1, 0,
                        False, 1.0, 0.0, np.zeros(x.size), False)


@jit
def _compact(st, head, count, pending, gamma, skipped, reset_pending):
    """``st`` with its scalar fields replaced (the arrays are shared)."""
    return CompactState(st.H, st.W, st.S, st.Y, st.SY, st.YY, st.rows, st.acc, st.moved,
                        st.coef, head, count, pending, gamma, skipped, st.g_seen, reset_pending)


@jit
def direction_compact(state, mo, g, p):
    """p = -H_k g by the compact form (``lbfgs_compact.direction``), the gamma rule of
    :func:`direction`; the pending pair's products are formed on the way."""
    st = state
    gamma = C.direction(g, st.g_seen, st.S, st.Y, st.SY, st.YY, st.head, st.count, st.pending,
                        st.gamma, st.reset_pending, st.rows, st.acc, st.moved, st.coef, p)
    return _compact(st, st.head, st.count, False, gamma, st.skipped, False), DONE


@jit
def reset_compact(state, mo):
    """Empty the memory: count = 0 (no pending products either); S^T Y and Y^T Y fill
    again as pairs come back, each new pair's products taken with the new pairs only."""
    return _compact(state, state.head, 0, False, state.gamma, state.skipped, True)


@jit
def pair_compact(state, s, y):
    """The loop's ``pair`` component: the next pair is written straight into the free row
    of S and Y (``lbfgs_compact.next_row``), so that :func:`update_compact` copies nothing."""
    r = C.next_row(state.head, state.S.shape[0])
    return state.S[r], state.Y[r]


@jit
def update_compact(state, mo, s, y, sy, ss, yy, alpha, g_old):
    """Store (s, y) unless the curvature guard skips it, as :func:`update` (in place when
    they are the free row, :func:`pair_compact`); its products with the stored pairs are
    left to the next direction's first pass (``pending``)."""
    st = state
    if not sy > mo.curvature_eps * math.sqrt(ss * yy):
        return _compact(st, st.head, st.count, st.pending, st.gamma, st.skipped + 1.0, False)
    head, count = C.push(st.S, st.Y, st.SY, st.YY, st.rows, st.head, st.count, st.pending, s,
                         y, sy)
    return _compact(st, head, count, True, sy / yy, st.skipped, False)


@jit
def solve_compact(ob, cb, args, x0, o, trace, allvecs, H):
    """Unbounded L-BFGS with the compact-form direction (option ``direction_form``)."""
    lo, mo = o
    return linesearch_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init_compact,
                           direction_compact, reset_compact, update_compact, finish,
                           diagnostics, no_curvature, LS.ls_start, LS.ls_next, pair_compact)


#: direction_form="auto" takes the compact form from this n on (below it the two-loop's
#: extra passes over an n-vector that fits in cache cost little, and small runs stay
#: bit-identical to the two-loop entry)
COMPACT_MIN_N = 65536
DIRECTION_FORMS = ("auto", "two-loop", "compact")

#: the key under which ``minimize`` hands (lb, ub) to :func:`prepare` (not an option)
BOUNDS_KEY = "_bounds"


def prepare(opts, obj, x0):
    box = opts.pop(BOUNDS_KEY, None)
    mo = Options(m=O.positive_int(opts, "m"), curvature_eps=O.real(opts, "curvature_eps", 0.0))
    p = F.plan(ENTRY, opts, obj, x0, mo, alpha0=F.STEP0[opts["initial_step"]])
    form = opts["direction_form"]
    if box is None and (form == "compact" or (form == "auto" and x0.size >= COMPACT_MIN_N)):
        p.solve = solve_compact
    if box is not None:
        p.solve = solve_box
        p.H = np.ascontiguousarray(np.vstack(box), dtype=np.float64)
    return p


ENTRY = F.entry(
    "lbfgs", "Limited-memory BFGS (two-loop recursion), strong Wolfe line search.",
    {**F.SECOND_ORDER, "linesearch": "wolfe", "m": 10, "curvature_eps": 1e-8,
     "initial_step": "unit", "direction_form": "auto"},
    prepare, solve, diagnostics=("skipped",), scipy="L-BFGS-B",
    # warmup: the compact entry and the box loop (L-BFGS-B) too
    variants=({}, {"options": {"direction_form": "compact"}}, {"bounds": True}),
    choices={"initial_step": ("unit", "interpolate"), "direction_form": DIRECTION_FORMS},
    reference="Nocedal & Wright (2006), Alg. 7.4 and 7.5; Liu & Nocedal (1989); "
              "Byrd, Nocedal & Schnabel (1994).")
