"""Finite-sum objectives for stochastic, mini-batch and online first-order runs.

A finite sum J(x) = (1/N) sum_i J_i(x) is described by a :class:`FiniteSum`:
its ``batch_fg(x, idx, *args) -> (f, g)`` returns the MEAN of J_i and of its
gradient over the samples in the int64 index array ``idx``.  Means, not sums,
because a mean keeps one learning rate meaningful across batch sizes (PyTorch's
losses are means for the same reason); the minimizers are those of the sum.

Pass it as ``fun`` to :func:`newtonlab.minimize` with a first-order method;
``options={"batch_size": B, "seed": s}`` selects mini-batches of B samples drawn
without replacement, reshuffled every epoch (B = 1 is online SGD; no
``batch_size`` is full batch).  When ``batch_fg`` is an ``@njit`` function and
``args`` has a numba type, the loop runs fully compiled; a plain Python
``batch_fg`` runs the same loop interpreted, with the same iterates and the
same batches for a seed.  The method's loop (``newtonlab/_engine/fo_driver.py``)
receives ``batch_fg`` in its options record; compiled, as the numba entry of a
small adapter that reads ``args`` from the run's context (``_engine/context.py``:
one loop per method for every args type that fits a context), or as its own numba
entry; either way an exception ``batch_fg`` raises propagates
(``newtonlab/methods/_firstorder.py``).  A FiniteSum is also an
ordinary objective: called as ``fs(x, *args)`` it returns the full-batch
(f, g), so ``jac=True`` makes it usable by every other method.

Examples
--------
>>> import numpy as np, newtonlab as nl
>>> from newtonlab.stochastic import FiniteSum, least_squares_fg
>>> rng = np.random.default_rng(0)
>>> A = rng.standard_normal((200, 3)); b = A @ np.array([1.0, -2.0, 0.5])
>>> fs = FiniteSum(least_squares_fg, n_samples=200)
>>> res = nl.minimize(fs, np.zeros(3), args=(A, b), method="momentum",
...                   options={"lr": 0.05, "batch_size": 20, "seed": 0, "maxiter": 2000})
>>> bool(np.allclose(res.x, [1.0, -2.0, 0.5], atol=1e-6))
True
"""

from dataclasses import replace

import numba
import numpy as np
from numba.core.registry import CPUDispatcher

from ._engine import context as CX
from ._engine import fo_driver as FD
from ._engine.config import jit
from ._engine.signatures import MAX_ARGS, batch_fg_signature, resolved

__all__ = ["FiniteSum", "least_squares_fg", "minibatches", "batch_signature"]


class FiniteSum:
    """A finite-sum objective J(x) = (1/N) sum_i J_i(x), evaluated by mini-batches.

    Parameters
    ----------
    batch_fg : callable
        ``batch_fg(x, idx, *args) -> (f, g)``: the mean of J_i(x) over the
        samples ``idx`` (int64 array, C-contiguous, values in 0..N-1) and the
        mean of their gradients, shape (n,).  An ``@njit`` function runs
        compiled (signature :func:`batch_signature`).
    n_samples : int
        N, the number of terms.

    Examples
    --------
    >>> import numpy as np
    >>> from newtonlab.stochastic import FiniteSum, least_squares_fg
    >>> A = np.eye(2); b = np.array([1.0, 2.0])
    >>> f, g = FiniteSum(least_squares_fg, 2)(np.zeros(2), A, b)
    >>> f, g.tolist()
    (1.25, [-0.5, -1.0])
    """

    def __init__(self, batch_fg, n_samples):
        if not callable(batch_fg):
            raise ValueError(f"batch_fg must be callable, got {type(batch_fg).__name__}")
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) \
                or n_samples < 1:
            raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}")
        self.batch_fg = batch_fg
        self.n_samples = int(n_samples)

    def __call__(self, x, *args):
        """Full-batch (f, g): the mean over all N samples."""
        x = np.ascontiguousarray(x, dtype=float)
        f, g = self.batch_fg(x, np.arange(self.n_samples, dtype=np.int64), *args)
        return float(f), np.asarray(g, dtype=float)

    @property
    def compiled(self):
        """True when ``batch_fg`` is an ``@njit`` function."""
        return isinstance(self.batch_fg, CPUDispatcher)

    def __repr__(self):
        name = getattr(self.batch_fg, "__name__", type(self.batch_fg).__name__)
        return f"FiniteSum({name}, n_samples={self.n_samples})"


@jit
def least_squares_fg(x, idx, A, b):
    """Mean over i in idx of 1/2 (a_i^T x - b_i)^2 and of its gradient a_i (a_i^T x - b_i)."""
    n = x.size
    g = np.zeros(n)
    f = 0.0
    for r in range(idx.size):
        i = idx[r]
        res = -b[i]
        for j in range(n):
            res += A[i, j] * x[j]
        f += 0.5 * res * res
        for j in range(n):
            g[j] += res * A[i, j]
    m = max(idx.size, 1)
    return f / m, g / m


def minibatches(n_samples, batch_size, seed=0, epochs=1):
    """The index batches the solver draws for ``seed``, epoch after epoch.

    Each epoch is a fresh permutation of 0..N-1 cut into consecutive batches of
    ``batch_size`` (the last one smaller when ``batch_size`` does not divide N),
    so every sample is seen exactly once per epoch.

    Examples
    --------
    >>> from newtonlab.stochastic import minibatches
    >>> bs = minibatches(5, 2, seed=0)
    >>> [len(b) for b in bs], sorted(int(i) for b in bs for i in b)
    ([2, 2, 1], [0, 1, 2, 3, 4])
    """
    rng = np.zeros(2, dtype=np.uint64)
    FD.rng_seed(rng, int(seed))
    perm = np.arange(n_samples, dtype=np.int64)
    out, pos = [], n_samples
    for _ in range(epochs * -(-n_samples // batch_size)):
        start, stop = FD.next_batch(rng, perm, pos, batch_size)
        pos = stop
        out.append(perm[start:stop].copy())
    return out


# --------------------------------------------------------------- engine side

def batch_signature(A):
    """numba signature of ``batch_fg`` for an args tuple of type A."""
    return batch_fg_signature(A)


def args_type(args):
    """numba type of args when a compiled batch run can take it, else None."""
    try:
        A = numba.typeof(args)
    except (ValueError, TypeError):
        return None
    return A if len(args) <= MAX_ARGS else None


def compiled_batch(fs, A):
    """The user's ``batch_fg`` compiled for the batch signature; ValueError if it cannot be."""
    sig = batch_signature(A)
    try:
        return resolved(fs.batch_fg, sig)
    except numba.core.errors.TypingError as exc:
        first = str(exc).strip().splitlines()[0]
        raise ValueError(f"batch_fg must return a tuple (float, float64 1-D array); it could not "
                         f"be compiled as {sig}. numba said: {first}") from None


def python_batch(fs, n):
    """Validating shim around a Python ``batch_fg`` (copies what users might keep)."""
    def bfg(x, idx, *args):
        out = fs.batch_fg(x.copy(), idx.copy(), *args)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise ValueError("batch_fg must return a tuple (f, g)")
        f, g = out
        if np.ndim(f) != 0:
            raise ValueError(f"batch_fg must return a scalar f, got shape {np.shape(f)}")
        g = np.asarray(g, dtype=float)
        if g.shape != (n,):
            raise ValueError(f"batch_fg must return a gradient of shape ({n},), got {g.shape}")
        return float(f), g
    return bfg


def finite_sum_of(obj):
    """The FiniteSum the user passed as ``fun`` to ``minimize``, or None."""
    return obj.fun if isinstance(obj.fun, FiniteSum) else None


def in_context(obj):
    """The objective ``obj`` of a compiled run: for a FiniteSum whose ``batch_fg`` is jitted,
    its args behind a context (``_engine/context.py``; the method's plan puts ``batch_fg`` in
    it), or only marked compiled (``context`` without a buffer) when they do not fit one;
    ``obj`` itself otherwise.  An interpreted run keeps ``obj``: its loop calls ``batch_fg``
    from Python."""
    fs = finite_sum_of(obj)
    A = args_type(obj.args) if fs is not None and fs.compiled else None
    if A is None:
        return obj
    buf = CX.args_context(obj.args, A)
    if buf is None:
        return replace(obj, context=(None, obj.args, A))
    return replace(obj, args=(buf.buffer_info()[0],), args_type=CX.CONTEXT,
                   context=(buf, obj.args, A))
