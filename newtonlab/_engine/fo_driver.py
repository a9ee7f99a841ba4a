"""The first-order loop: one loop, assembled per method from its rule, full-batch or mini-batch.

Each iteration takes the learning rate from the schedule, optionally perturbs
the gradient (Gaussian noise) or the step (Langevin), asks the method's rule
(``step``) for a candidate, evaluates it, validates it, and only then commits
it (propose, evaluate, validate, commit).  f may increase: first-order methods
take every finite step.  Only this loop evaluates, counts, records the trace,
calls back and decides termination.

A method plugs in by passing its compiled components to :func:`firstorder_loop`
from its own ``solve`` entry (see ``newtonlab/methods/adam.py``).  The loop is
dual-mode and inlined (``config.dual(inline=True)``), as the line-search loop
(``ls_driver.py``): compiled inside each method's ``solve``, which compiles
only that method's rule; interpreted, ``solve.py_func`` runs this same source
as Python over the same compiled rule and kernels.  The component protocol::

    init(mo, x0) -> state               # a NamedTuple of the rule's arrays
    step(state, mo, x, g, t, lr, xt) -> lr_used

``step`` reads the iterate x and the gradient g (mini-batch or noisy, if so),
the step number t (1 for the first step, PyTorch's ``state["step"]``) and the
scheduled learning rate, updates the arrays of ``state`` in place and writes
the proposed point into xt; it never touches x.  It returns the learning rate
in effect (Adagrad's decayed rate; ``lr`` otherwise) for the trace.

Objectives: full-batch runs call the objective tuple ``ob`` through
``evaluate.eval_fg``.  Mini-batch runs call ``lo.bfg(x, idx, *args) -> (f, g)``,
the MEAN over the samples ``idx`` of a finite sum (``newtonlab.stochastic``),
through :func:`eval_batch`; the batch function travels in the options record
(compiled: its numba entry, ``context.slot_function``; 0 in full-batch runs).
Batches are slices of a permutation of 0..N-1 drawn afresh each epoch (without
replacement, the last batch of an epoch smaller when the batch size does not
divide N).  With ``FULL_EVAL_EPOCH`` the full objective is evaluated at each
epoch's end: the stopping tests on f and g then use exact values, never
mini-batch estimates.

Random numbers come from a counter-based splitmix64 generator (Steele, Lea &
Flood 2014) in compiled kernels with explicit state, so compiled and
interpreted runs draw the same numbers for a seed, and the global NumPy state
is never touched.
"""
import math
from typing import NamedTuple

import numpy as np

from . import kernels as K
from . import status as S
from . import trace as T
from .clock import ticks
from .config import dual, jit_borrow, release
from .context import batch_fg_of
from .signatures import functions
from .evaluate import eval_fg
from .ls_driver import GTOL_F, GTOL_G0
from .schedules import Schedule, lr_at

NOISE_NONE, NOISE_GAUSSIAN, NOISE_LANGEVIN = 0, 1, 2
FULL_EVAL_EPOCH, FULL_EVAL_END = 0, 1

# diagnostics columns after the common schema
D_EPOCH = T.NCOL          # epochs of samples consumed (full batch: = iteration)
D_FULL_F = T.NCOL + 1     # full objective at x_k (NaN where not evaluated)
D_FULL_G = T.NCOL + 2     # ||full gradient||_inf at x_k (NaN where not evaluated)
NCOL = T.NCOL + 3
DIAGNOSTICS = ("epoch", "full_f", "full_gnorm")


class FirstOrderOptions(NamedTuple):
    """Options of the loop itself (every first-order method has them).

    A float test set to NaN is off: comparisons with NaN are false.
    """
    maxiter: int
    maxfev: int
    gtol: float
    gtol_mode: int       # GTOL_*
    fstar: float         # known optimal value (TARGET_F)
    ftarget: float       # f - fstar <= ftarget -> TARGET_F
    frel: float          # f <= frel f0 -> REL_F
    grel: float          # ||g|| <= grel ||g0|| -> REL_G
    divergence: float    # f - f0 > divergence max(1, |f0|) -> DIVERGED
    time_ticks: float    # cycle-counter budget (time_limit in ticks)
    schedule: Schedule   # the learning-rate schedule (schedules.Schedule)
    noise: int           # NOISE_*
    noise_std: float     # sigma_0 of the gradient noise
    noise_decay: float   # sigma_k = sigma_0 / (1 + k) ** noise_decay
    temperature: float   # Langevin temperature T
    batch: bool          # evaluate through bfg (a finite sum), not ob
    n_samples: int       # N of the finite sum (0 without one)
    batch_size: int      # samples per step (N: full batch)
    seed: int            # splitmix64 seed (batches and noise)
    full_eval: int       # FULL_EVAL_*
    bfg: object          # bfg(x, idx, *args) -> (f, g): the finite sum's batch mean (or
    #                      its numba entry, compiled; 0 in full-batch runs)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@jit_borrow
def rng_seed(state, seed):
    """Two independent splitmix64 streams: state[0] batches, state[1] noise."""
    state[0] = np.uint64(seed)
    state[1] = np.uint64(seed) ^ np.uint64(0xD1B54A32D192ED03)


@jit_borrow
def rng_uniform(state, j):
    """Next double in [0, 1) of stream j (splitmix64, top 53 bits)."""
    z = state[j] + _GOLDEN
    state[j] = z
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@jit_borrow
def rng_shuffle(state, perm):
    """Fisher-Yates shuffle of perm in place, from stream 0."""
    for i in range(perm.size - 1, 0, -1):
        j = int(rng_uniform(state, 0) * (i + 1))
        perm[i], perm[j] = perm[j], perm[i]


@jit_borrow
def rng_normal(state, out):
    """Standard normal draws into out (Box-Muller), from stream 1."""
    n = out.size
    for i in range(0, n, 2):
        u1 = 1.0 - rng_uniform(state, 1)
        u2 = rng_uniform(state, 1)
        r = math.sqrt(-2.0 * math.log(u1))
        out[i] = r * math.cos(2.0 * math.pi * u2)
        if i + 1 < n:
            out[i + 1] = r * math.sin(2.0 * math.pi * u2)


@jit_borrow
def next_batch(state, perm, pos, size):
    """(start, stop) of the next batch; reshuffles perm when the epoch is used up."""
    if pos >= perm.size:
        rng_shuffle(state, perm)
        pos = 0
    return pos, min(pos + size, perm.size)


@jit_borrow
def axpy(a, x, y, out):
    """out = y + a x."""
    for i in range(x.size):
        out[i] = y[i] + a * x[i]


@jit_borrow
def dist2(a, b):
    """||a - b||_2."""
    s = 0.0
    for i in range(a.size):
        s += (a[i] - b[i]) ** 2
    return math.sqrt(s)


@dual(borrow=True)
def eval_batch(bfg, x, idx, g, args):
    """Mean f over the samples idx, with the mean gradient written into g.  It borrows its
    arrays and releases the gradient the batch function returned (``evaluate._jac_into``)."""
    f, gv = batch_fg_of(bfg, args)(x, idx, *args)
    if gv.shape[0] != x.shape[0]:
        release(gv)
        # a constant message (see evaluate.eval_fg); Python batch functions are checked
        # with shapes by newtonlab.stochastic.python_batch
        raise ValueError("batch_fg must return a gradient of shape (n,) like x0")
    K.copy_into(gv, g)      # a loop: g[:] = gv would compile numba's shape-error formatting
    release(gv)
    return f


@jit_borrow
def _record(trace, k, f, gnorm, step, alpha, nf, epoch, full_f, full_g):
    T.record(trace, k, f, gnorm, step, alpha, nf, 0.0)
    trace[k, D_EPOCH] = epoch
    trace[k, D_FULL_F] = full_f
    trace[k, D_FULL_G] = full_g


@dual(inline=True)
def firstorder_loop(ob, cb, args, x0, lo, mo, trace, allvecs, init, step):
    """Minimize with a first-order rule; returns (x, f, g, status, nit, nfev, 0, events) (no events counted).

    ``trace`` has maxiter + 1 rows of ``NCOL`` columns, ``allvecs`` maxiter + 1
    rows when iterates are kept, else 0.  The returned f and g are full-batch
    values at x.
    """
    ob, cb = functions(ob, cb, args)     # addresses -> callables (signatures.py)
    n = x0.size
    bfg = lo.bfg
    batch = lo.batch
    nsamp = lo.n_samples
    single = batch and lo.batch_size >= nsamp     # one batch = the whole sum: no shuffling
    noise = lo.noise
    x = x0.copy()
    g = np.empty(n)
    xt = np.empty(n)
    gt = np.empty(n)
    gu = np.empty(n)                       # the gradient the rule sees (noisy or not)
    xi = np.empty(n)                       # standard normal draws
    full_idx = np.arange(nsamp)            # every sample, in order
    perm = np.arange(nsamp)                # this epoch's sample order
    rng = np.zeros(2, dtype=np.uint64)
    rng_seed(rng, lo.seed)
    pos = nsamp                            # perm used up: the first draw shuffles
    tick0 = ticks()

    f = eval_batch(bfg, x, full_idx, g, args) if batch else eval_fg(ob, x, g, args)
    # int64 values, not the literals 0 and 1: numba would compile the callees that see them
    # (_record, save_iterate, lr_at) once more for the literal types
    nf = np.int64(1)
    k = np.int64(0)
    gnorm = K.norm_inf(g)
    _record(trace, k, f, gnorm, 0.0, 0.0, nf, 0.0, f, gnorm)
    T.save_iterate(allvecs, k, x)
    if not (math.isfinite(f) and K.all_finite(g)):
        return x, f, g, S.NONFINITE_X0, 0, nf, 0, np.zeros(T.NEVENTS, np.int64)
    state = init(mo, x)
    f0 = f
    g0 = gnorm
    full_f = f                             # latest full-batch values at x
    full_g = gnorm
    full_now = True                        # full values known at the current x
    m_cur = nsamp                          # samples behind the gradient in g
    stop = nsamp
    if batch and not single:
        start, stop = next_batch(rng, perm, pos, lo.batch_size)
        pos = stop
        m_cur = stop - start
        f = eval_batch(bfg, x, perm[start:stop], g, args)
        nf += 1
        gnorm = K.norm_inf(g)
    consumed = 0                           # samples behind the steps taken (mini-batch)
    # the best iterate so far (full-batch runs; a mini-batch f is too noisy to rank points):
    # first-order rules need not descend, and a diverging run returns it, not its last point
    x_best = x.copy()
    g_best = g.copy()
    f_best = f
    gscale = g0 if lo.gtol_mode == GTOL_G0 else 1.0
    status = S.MAXITER
    while True:
        # stopping tests at x_k; the f and g tests only on full-batch values
        if full_now:
            if lo.gtol_mode == GTOL_F:
                gscale = max(1.0, abs(full_f))
            if full_g <= lo.gtol * gscale:
                status = S.SUCCESS
                break
            if full_f - lo.fstar <= lo.ftarget:
                status = S.TARGET_F
                break
            if full_f <= lo.frel * f0:
                status = S.REL_F
                break
            if full_g <= lo.grel * g0:
                status = S.REL_G
                break
        if f - f0 > lo.divergence * max(1.0, abs(f0)):
            status = S.DIVERGED
            break
        if ticks() - tick0 > lo.time_ticks:
            status = S.TIME_LIMIT
            break
        if k >= lo.maxiter:
            status = S.MAXITER
            break
        if nf >= lo.maxfev:
            status = S.MAXFEV
            break
        # propose
        lr = lr_at(lo.schedule, k)
        if noise == NOISE_GAUSSIAN:
            rng_normal(rng, xi)
            axpy(lo.noise_std / (1.0 + k) ** lo.noise_decay, xi, g, gu)
        else:
            K.copy_into(g, gu)
        lr_used = step(state, mo, x, gu, k + 1, lr, xt)
        if noise == NOISE_LANGEVIN:
            rng_normal(rng, xi)
            axpy(math.sqrt(2.0 * lr_used * lo.temperature), xi, xt, xt)
        consumed += m_cur
        # evaluate
        if not batch:
            ft = eval_fg(ob, xt, gt, args)
            nf += 1
        elif single:
            ft = eval_batch(bfg, xt, full_idx, gt, args)
            nf += 1
        else:
            full_now = False
            if stop == nsamp and lo.full_eval == FULL_EVAL_EPOCH:
                # x_{k+1} ends an epoch: the full objective, for the trace and the tests
                full_f = eval_batch(bfg, xt, full_idx, gt, args)
                nf += 1
                full_g = K.norm_inf(gt)
                full_now = math.isfinite(full_f) and K.all_finite(gt)
            start, stop = next_batch(rng, perm, pos, lo.batch_size)
            pos = stop
            m_cur = stop - start
            ft = eval_batch(bfg, xt, perm[start:stop], gt, args)
            nf += 1
        # validate, then commit
        if not (math.isfinite(ft) and K.all_finite(gt) and K.all_finite(xt)):
            status = S.NONFINITE
            break
        step_len = dist2(xt, x)
        x, xt = xt, x
        g, gt = gt, g
        f = ft
        gnorm = K.norm_inf(g)
        if not batch or single:
            full_f = f
            full_g = gnorm
            if f < f_best:
                f_best = f
                K.copy_into(x, x_best)
                K.copy_into(g, g_best)
        k += 1
        _record(trace, k, f, gnorm, step_len, lr_used, nf,
                consumed / nsamp if batch else float(k),
                full_f if full_now else math.nan, full_g if full_now else math.nan)
        T.save_iterate(allvecs, k, x)
        if cb(k, x, f, g) != 0:
            status = S.CALLBACK
            break
    if batch and not single:
        # the result reports the full objective at the returned x
        f = eval_batch(bfg, x, full_idx, g, args)
        nf += 1
    elif f_best < f:
        return x_best, f_best, g_best, status, k, nf, 0, np.zeros(T.NEVENTS, np.int64)
    return x, f, g, status, k, nf, 0, np.zeros(T.NEVENTS, np.int64)
