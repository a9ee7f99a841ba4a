"""Passes over n-vectors in fixed chunks, serial or on numba's threads, with the same bits.

A pass splits n into :data:`NCHUNK` fixed chunks and adds the chunks' partial sums in
chunk order, so its result does not depend on how many threads run the chunks: a serial
entry and a threaded one give the same iterates.  L-BFGS's compact form
(``methods/_lbfgs_compact.py``) runs its two passes over S and Y this way; the functions here are
the line-search loop's own passes (its ``trial`` and ``commit`` components, see
``ls_driver.py``) in the same chunks, for L-BFGS's ``parallel`` entry.

A chunk's work is one function; the serial and the threaded pass are two short loops over
it, not one loop compiled twice (serial and parallel): numba's cache index does not key on
the ``parallel`` flag, so two compilations of one function would share cache entries.
"""
import numpy as np
from numba import prange

from . import kernels as K
from .config import dual, jit, jit_borrow, jit_parallel

#: fixed chunks of n (partial sums combined in this order): at most NCHUNK threads
NCHUNK = 2


@jit_parallel
def trial_point_threads(x, p, alpha, out):
    """out = x + alpha p (``kernels.trial_point``) in :data:`NCHUNK` chunks on numba's
    threads: elementwise, so the same bits."""
    n = x.size
    for c in prange(NCHUNK):
        lo = c * n // NCHUNK
        hi = (c + 1) * n // NCHUNK
        K.trial_point(x[lo:hi], p[lo:hi], alpha, out[lo:hi])


@dual(inline=True)
def _commit_chunks(commit_chunk, x_new, x, g_new, g, s, y):
    """``kernels.step_pair_gnorm`` over :data:`NCHUNK` chunks by ``commit_chunk``, the
    chunks' sums added in chunk order (the same for any thread count)."""
    part = np.empty((NCHUNK, 4))
    commit_chunk(x_new, x, g_new, g, s, y, part)
    sy = 0.0
    ss = 0.0
    yy = 0.0
    gmax = 0.0
    for c in range(NCHUNK):
        sy += part[c, 0]
        ss += part[c, 1]
        yy += part[c, 2]
        v = part[c, 3]
        if v > gmax or v != v:
            gmax = v
    return sy, ss, yy, gmax


@jit_borrow
def _commit_chunk(c, x_new, x, g_new, g, s, y, part):
    """Chunk c's (s^T y, s^T s, y^T y, ||g_new||_inf) into part[c]."""
    n = x.size
    lo = c * n // NCHUNK
    hi = (c + 1) * n // NCHUNK
    part[c, 0], part[c, 1], part[c, 2], part[c, 3] = K.step_pair_gnorm(
        x_new[lo:hi], x[lo:hi], g_new[lo:hi], g[lo:hi], s[lo:hi], y[lo:hi])


@jit_borrow
def _commit_serial(x_new, x, g_new, g, s, y, part):
    for c in range(NCHUNK):
        _commit_chunk(c, x_new, x, g_new, g, s, y, part)


@jit_parallel
def _commit_parallel(x_new, x, g_new, g, s, y, part):
    for c in prange(NCHUNK):
        _commit_chunk(c, x_new, x, g_new, g, s, y, part)


@jit
def commit(x_new, x, g_new, g, s, y):
    """The line-search loop's accepted-step pass (``kernels.step_pair_gnorm``) in
    :data:`NCHUNK` chunks, one after the other: the compact entries' ``commit``."""
    return _commit_chunks(_commit_serial, x_new, x, g_new, g, s, y)


@jit
def commit_threads(x_new, x, g_new, g, s, y):
    """:func:`commit` with the chunks on numba's threads: the same bits."""
    return _commit_chunks(_commit_parallel, x_new, x, g_new, g, s, y)
