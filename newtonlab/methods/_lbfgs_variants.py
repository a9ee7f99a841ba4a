"""lbfgs's entries other than its default two-loop one, imported by ``lbfgs.prepare`` only
when a run asks for one, so that a default run neither imports nor compiles them:

* :func:`solve_box`, L-BFGS-B (``minimize(..., bounds=...)``): the box loop of
  ``_engine/box_driver.py``;
* :func:`solve_compact` and :func:`solve_compact_threads` (option ``direction_form``,
  "auto" from n = ``lbfgs.COMPACT_MIN_N``): the line-search loop with the direction by the
  compact representation (``_lbfgs_compact.py``), serial or on numba's threads (option
  ``parallel``), with their arrays ``lbfgs.CompactWork``.

They share the two-loop entry's memory rules: its ``State``, ``reset``, ``finish`` and
``diagnostics`` (``lbfgs.py``).
"""
import math

import numpy as np

from .._engine import chunks as CH
from .._engine import kernels as K
from .._engine import linesearch as LS
from .._engine.box_driver import box_loop
from .._engine.config import dual, jit, jit_borrow
from .._engine.ls_driver import DONE, linesearch_loop, no_curvature
from . import _lbfgs_compact as C
from .lbfgs import CompactWork, State, diagnostics, finish, reset


@jit
def solve_box(ob, cb, args, x0, o, trace, allvecs, H):
    """L-BFGS-B: the box lb = H[0] <= x <= ub = H[1]."""
    lo, mo = o
    return box_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H[0], H[1])


@jit
def init_compact(mo, x, g, H):
    S, Y, SY, YY, rows, acc, moved, coef = C.workspace(mo.m, x.size)
    return (CompactWork(H, np.zeros((0, x.size)), S, Y, SY, YY, rows, acc, moved, coef,
                        np.zeros(x.size)),
            State(-1, 0, False, 1.0, 0.0, False))


@dual(inline=True)
def _direction_compact(compact_direction, work, state, g, p):
    """The compact direction by ``compact_direction`` (serial or threaded kernel)."""
    w = work
    gamma = compact_direction(g, w.g_seen, w.S, w.Y, w.SY, w.YY, state.head, state.count,
                              state.pending, state.gamma, state.reset_pending, w.rows, w.acc,
                              w.moved, w.coef, p)
    return State(state.head, state.count, False, gamma, state.skipped, False), DONE


@jit_borrow
def direction_compact(work, state, mo, g, p):
    """p = -H_k g by the compact form (``_lbfgs_compact.direction``), the gamma rule of
    ``lbfgs.direction``; the pending pair's products are formed on the way."""
    return _direction_compact(C.direction, work, state, g, p)


@jit_borrow
def direction_compact_threads(work, state, mo, g, p):
    """:func:`direction_compact` on numba's threads (option ``parallel``): same bits."""
    return _direction_compact(C.direction_threads, work, state, g, p)


@jit
def pair_compact(work, state):
    """The loop's ``pair`` component: the next pair is written straight into the free row
    of S and Y (``_lbfgs_compact.next_row``), so that :func:`update_compact` copies nothing."""
    r = C.next_row(state.head, work.S.shape[0])
    return work.S[r], work.Y[r]


@jit_borrow
def update_compact(work, state, mo, s, y, sy, ss, yy, alpha, g_old):
    """Store (s, y) unless the curvature guard skips it, as ``lbfgs.update`` (in place when
    they are the free row, :func:`pair_compact`); its products with the stored pairs are
    left to the next direction's first pass (``pending``)."""
    if not sy > mo.curvature_eps * math.sqrt(ss * yy):
        return State(state.head, state.count, state.pending, state.gamma,
                     state.skipped + 1.0, False)
    w = work
    head, count = C.push(w.S, w.Y, w.SY, w.YY, w.rows, state.head, state.count,
                         state.pending, s, y, sy)
    return State(head, count, True, sy / yy, state.skipped, False)


@dual(inline=True)
def _solve_compact(direction_compact, trial, commit, ob, cb, args, x0, o, trace, allvecs, H):
    """The compact entries' loop, with their direction and the loop's two passes (serial or
    threaded)."""
    lo, mo = o
    return linesearch_loop(ob, cb, args, x0, lo, mo, trace, allvecs, H, init_compact,
                           direction_compact, reset, update_compact, finish,
                           diagnostics, no_curvature, LS.ls_start, LS.ls_next, pair_compact,
                           trial, commit)


@jit
def solve_compact(ob, cb, args, x0, o, trace, allvecs, H):
    """Unbounded L-BFGS with the compact-form direction (option ``direction_form``)."""
    return _solve_compact(direction_compact, K.trial_point, CH.commit, ob, cb, args, x0, o,
                          trace, allvecs, H)


@jit
def solve_compact_threads(ob, cb, args, x0, o, trace, allvecs, H):
    """:func:`solve_compact` with the direction's passes and the loop's trial point and
    accepted-step pass on numba's threads (``parallel``)."""
    return _solve_compact(direction_compact_threads, CH.trial_point_threads, CH.commit_threads,
                          ob, cb, args, x0, o, trace, allvecs, H)
