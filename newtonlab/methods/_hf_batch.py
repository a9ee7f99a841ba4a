"""Mini-batch curvature products for Hessian-free (Martens 2010, §4.3).

Why a module of its own: the mini-batch is an optional part of ``hessian_free``
with its own record (:class:`Batch`), draw, product component and option checks; the
method module keeps the Levenberg-Marquardt/CG algorithm.  Martens
computes f and the gradient on all the data and the curvature-vector products inside
CG on a smaller mini-batch, fixed for one CG solve and redrawn every iteration.  The
product ``bhp(x, v, idx, *args)`` (e.g. ``newtonlab.problems.ml.batch_ggnp(p)``)
travels in the options record: in a compiled run as a numba entry, that of its context
adapter (``_engine/context.py``: the loop is compiled once for every args type), or its
own for args that fit no context, so an exception the product raises propagates; in an
interpreted run as the callable; runs without it carry 0.
"""
from typing import NamedTuple

import numba
import numpy as np
from numba.core.registry import CPUDispatcher

from .. import _options as O
from .._engine import context as CX
from .._engine import fo_driver as FD
from .._engine import kernels as K
from .._engine import tcg as TC
from .._engine.config import dual, jit, release
from .._engine.evaluate import CURV_NONFINITE, CURV_OK, _scale
from .._engine.signatures import product_signature, resolved


class Batch(NamedTuple):
    """Mini-batch curvature products (Martens §4.3); size 0: full products (``hessp``)."""
    bhp: object            # bhp(x, v, idx, *args) -> B_idx v, or (a compiled run) a numba
    #                        entry (context.run_function); 0 when off
    size: int              # samples per CG solve (0: off)
    n_samples: int         # N: idx is drawn from 0..N-1
    seed: int


@jit
def draw_batch(rng, perm, idx):
    """idx.size samples of 0..perm.size-1 without replacement, sorted, into idx: a partial
    Fisher-Yates shuffle of perm (kept between draws) from stream 0 of fo_driver's
    generator, so compiled and interpreted runs draw the same batches for a seed."""
    m = idx.size
    N = perm.size
    for i in range(m):
        j = i + int(FD.rng_uniform(rng, 0) * (N - i))
        perm[i], perm[j] = perm[j], perm[i]
    # sorted by marking and one scan, O(N): np.sort and a slice assignment would compile
    # numba's quicksort and its shape-error message builder (~2.4 s of a first run)
    chosen = np.zeros(N, np.bool_)
    for i in range(m):
        chosen[perm[i]] = True
    k = 0
    for j in range(N):
        if chosen[j]:
            idx[k] = j
            k += 1


@dual(borrow=True)
def batch_products(ob, x, args, work, request):
    """NEED_PRODUCT only: the mini-batch product B_idx work.W[V] -> work.W[HV] on this
    iteration's batch (Martens §4.3), one count each.  It borrows its arrays and releases
    the product the user's function returned (``evaluate._jac_into``)."""
    r = CX.product_of(work.bhp, args)(x, work.W[TC.V], work.bidx, *args)
    out = work.W[TC.HV]
    if r.shape[0] != x.size:
        release(r)
        raise ValueError("curvature_batch must return an array of shape (n,) like x0")
    K.copy_into(r, out)
    release(r)
    if ob[8] != 1.0:
        _scale(out, ob[8])
    return 1, CURV_OK if K.all_finite(out) else CURV_NONFINITE


def _python_product(fn, n):
    """Validating shim around a Python (or interpreted) mini-batch product."""
    def bhp(x, v, idx, *args):
        r = np.asarray(fn(x.copy(), v.copy(), idx.copy(), *args), dtype=float)
        if r.shape != (n,):
            raise ValueError(f"curvature_batch must return an array of shape ({n},) like x0, "
                             f"got {r.shape}")
        return r
    return bhp


def batch_options(opts, obj, n):
    """The validated :class:`Batch` record (Martens §4.3) from ``opts``."""
    fn, size = opts["curvature_batch"], opts["curvature_batch_size"]
    seed = O.positive_int(opts, "seed", 0)
    if seed >= 2 ** 63:
        raise ValueError(f"option 'seed' must be < 2**63, got {seed!r}")
    A = obj.args_type if obj.compiled else None
    if size is None:
        if fn is not None:
            raise ValueError("option 'curvature_batch' needs option 'curvature_batch_size' "
                             "(the samples per CG solve)")
        return Batch(0, 0, 0, seed)
    size = O.positive_int(opts, "curvature_batch_size")
    if fn is None or not callable(fn):
        raise ValueError("option 'curvature_batch_size' needs option 'curvature_batch': a "
                         "product bhp(x, v, idx, *args) -> the mean curvature-vector product "
                         "over the samples idx, e.g. newtonlab.problems.ml.batch_ggnp(problem)")
    if opts["n_samples"] is None:
        raise ValueError("option 'curvature_batch_size' needs option 'n_samples' (the number "
                         "of samples idx is drawn from)")
    N = O.positive_int(opts, "n_samples")
    if size > N:
        raise ValueError(f"option 'curvature_batch_size' must be <= n_samples = {N}, "
                         f"got {size}")
    if A is None:
        return Batch(_python_product(fn, n), size, N, seed)
    if not isinstance(fn, CPUDispatcher):
        raise ValueError("option 'curvature_batch' must be an @njit function when the "
                         "objective is compiled (or pass Python functions throughout)")
    if not all(isinstance(f, CPUDispatcher) for f in obj.user if callable(f)):
        # a bridged run (_bridge): its args are the bridge's, not the user's
        raise ValueError("a compiled curvature_batch with a Python objective runs "
                         "interpreted (options={'execution': 'interpreted'})")
    if obj.context is not None:            # a compiled run (_run.solver_objective)
        A = obj.context[2]                 # the user's args type
    sig = product_signature(A)
    try:
        bhp = resolved(fn, sig)
    except numba.core.errors.TypingError as exc:
        first = str(exc).strip().splitlines()[0]
        raise ValueError(f"curvature_batch must return a float64 1-D array; it could not be "
                         f"compiled as {sig}. numba said: {first}") from None
    if obj.context is None:                # interpreted: called from Python
        return Batch(bhp, size, N, seed)
    return Batch(CX.run_function(obj.context, CX.PRODUCT, bhp), size, N, seed)
