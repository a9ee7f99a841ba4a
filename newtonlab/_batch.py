"""``newtonlab.minimize_batch``: one method from many starts.

With jitted objectives the starts run in a compiled loop that calls the
method's own compiled ``solve`` (the machine code ``minimize`` uses, for the
context args of every args type) through a function pointer, so the loop itself
is small and compiles once per method, cached on disk.  The loop releases the
GIL (``nogil``); the calling thread and ``workers - 1`` threads of a pool kept
for the process run it, each over every ``workers``-th start (strided, so that
runs of hard starts in X0 are shared out).  numba's ``prange`` cannot carry the
typed option records and function values into its parallel region.  Each
thread reuses one trace, workspace and x0 buffer for all its starts.  What
``minimize`` does after its solve is done here too (:func:`_as_minimize`), so
every row is the ``minimize`` result from that start.  Otherwise (Python
callables) the starts run one after the other through
:func:`newtonlab.minimize`; the results are the same either way.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

import numba
import numpy as np
from numba import types
from scipy.optimize import OptimizeResult

from . import _options, _scipy_names
from ._engine import status as S
from ._engine import trace as T
from ._engine.config import CACHE, FLAGS
from ._engine.ls_driver import GTOL_G0
from ._engine.signatures import (F64_1D, F64_2D, OB_ADDRESSES, driver_for, no_callback,
                                 resolved)
from ._kinds import ATOL, RTOL
from ._objective import make_objective
from ._registry import get_method
from ._result import MESSAGES, SUCCESSFUL
from ._run import _lbfgs_probe, solver_objective
from ._second_order import end_point_kind
from ._unbounded import PROBE_MAXITER, decrease_not_slowing

# columns of the loop's integer output OUT
STATUS, NIT, NFG, NH, FALLING = range(5)
NOUT = 5
FAILED = -2          # OUT status of a start whose solve raised (no driver status is < 0)
#: SUCCESS_OF[status]: whether that status is a success (a lookup, not np.isin per call)
SUCCESS_OF = np.array([s in SUCCESSFUL for s in range(max(MESSAGES) + 1)])


def batch_loop(solve, ob, cb, args, X0, o, first, step, rows, cols, H0, X, G, F, SIG, HOUT,
               OUT, STOP):
    """Run ``solve`` from rows first, first + step, ... of X0 (the rows of this thread).

    Row i gets X[i], G[i], F[i] = x, g, f; OUT[i] = (status, nit, fg calls, Hessian calls,
    f still falling at a maxiter stop); SIG[i] = ||g(x0)||_inf (trace row 0, the gtol_scale
    "g0" scale); HOUT[i] = the workspace H after the run when HOUT has rows.  A start whose
    solve raised gets status FAILED and sets STOP[0], which ends every thread's loop.
    """
    k, n = X0.shape
    hr, hc = H0.shape
    # one trace, workspace and x0 for all this thread's starts: the driver writes the trace
    # rows it reads, and a fresh (maxiter + 1)-row trace per start (1.2 MB for lbfgs) cost
    # more than the solve; the drivers copy x0 before moving (x0 is refilled per start)
    trace = np.empty((rows, cols))
    H = np.empty((hr, hc))
    allvecs = np.empty((0, n))
    x0 = np.empty(n)
    keep_h = HOUT.shape[0] > 0
    for i in range(first, k, step):
        if STOP[0] != 0:
            return
        for j in range(n):
            x0[j] = X0[i, j]
        for r in range(hr):            # each start gets the workspace minimize would get
            for c in range(hc):
                H[r, c] = H0[r, c]
        x, f, g, status, nit, nf, nh, events = solve(ob, cb, args, x0, o, trace, allvecs, H)
        if x.shape[0] != n:
            # the solve raised: through a function pointer numba prints the exception
            # ("Exception ignored") and returns zeros (x of size 0, never n >= 1); this
            # start runs again through minimize, which raises it as it would alone
            OUT[i, STATUS] = FAILED
            STOP[0] = 1
            return
        for j in range(n):          # loops, not X[i] = x: no shape-error machinery compiled
            X[i, j] = x[j]
            G[i, j] = g[j]
        F[i] = f
        SIG[i] = trace[0, T.GNORM]
        OUT[i, STATUS] = status
        OUT[i, NIT] = nit
        OUT[i, NFG] = nf
        OUT[i, NH] = nh
        OUT[i, FALLING] = status == S.MAXITER and decrease_not_slowing(trace[:nit + 1, T.F])
        if keep_h:
            for r in range(hr):
                for c in range(hc):
                    HOUT[i, r, c] = H[r, c]


_LOOPS = {}


def _compiled_loop(plan, A, label):
    """(entry point of ``batch_loop`` compiled for this solve, the solve as a function value).

    Keyed as ``_run.compiled_solve`` keys solves, by (solve, args type): the options'
    record type is fixed per solve, and hashing it costs more than a whole small start.
    The entry point skips the dispatcher's argument typing (~0.2 ms per call).
    """
    key = (plan.solve, A)
    hit = _LOOPS.get(key)
    if hit is None:
        otype = numba.typeof(plan.options)
        disp = driver_for(plan.solve, A, (F64_1D, otype, F64_2D, F64_2D, F64_2D), label=label)
        # the one signature the solve's dispatcher holds (driver_for compiles exactly one)
        solve_fc = resolved(disp, disp.overloads[disp.signatures[0]].signature)
        head = (types.FunctionType(solve_fc.sig), OB_ADDRESSES, types.int64, A,
                F64_2D, otype, types.int64, types.int64, types.int64, types.int64, F64_2D,
                F64_2D, F64_2D, F64_1D, F64_1D, types.float64[:, :, ::1], types.int64[:, ::1],
                types.int64[::1])
        loop = numba.njit(head, cache=CACHE, **FLAGS)(batch_loop)
        hit = _LOOPS[key] = (loop.overloads[loop.signatures[0]].entry_point, solve_fc)
    return hit


_POOL = [None, 0, None]          # (pid, threads, executor)
_POOL_LOCK = threading.Lock()


def _pool(threads):
    """A thread pool of at least ``threads`` threads, kept for the process: starting threads
    per call cost ~0.2 ms.  Made anew in a forked child, whose copy has no threads.  A
    smaller pool is dropped, not shut down: a concurrent call may still be submitting to
    it, and its idle threads exit when it is collected."""
    with _POOL_LOCK:
        pid, size, ex = _POOL
        if ex is None or pid != os.getpid() or size < threads:
            ex = ThreadPoolExecutor(threads, thread_name_prefix="newtonlab-batch")
            _POOL[:] = [os.getpid(), threads, ex]
        return ex


def _cores():
    try:
        return len(os.sched_getaffinity(0))     # the cores this process may run on
    except AttributeError:
        return os.cpu_count() or 1


def minimize_batch(fun, X0, args=(), method="lbfgs", jac=None, hess=None, hessp=None,
                   options=None, workers=None):
    """Minimize from every row of ``X0``: ``minimize`` run per start, in parallel when jitted.

    Parameters
    ----------
    fun, args, method, jac, hess, hessp, options
        As for :func:`newtonlab.minimize` (scipy's method and option names too).
    X0 : array_like, shape (k, n)
        One start per row; each must be finite.
    workers : int, optional
        Threads running the compiled loop (default: the cores this process may use).

    Returns
    -------
    scipy.optimize.OptimizeResult
        Arrays with one row (or entry) per start: ``x`` and ``jac`` (k, n); ``fun``,
        ``success``, ``status``, ``nit``, ``nfev``, ``njev``, ``nhev`` (k,); ``message``
        (list of str); ``execution`` ("compiled": one parallel loop over the starts; else
        one ``minimize`` call per start, and "interpreted", "compiled per start" (the
        method's compiled loop calling Python parts back) or "mixed per start", as those
        calls ran: ``execution="auto"`` switches partway) and ``method``.  Each row is what
        ``minimize`` returns from that start, end-point checks included (a start at a
        saddle, a Newton run ending at one, a maxiter stop on an unbounded f: its probe,
        which ``options={"unbounded_probe": False}`` skips); no traces and no ``res.kind``
        per start: call ``minimize`` on a start to see those.

    Examples
    --------
    >>> import numpy as np, newtonlab as nl
    >>> from newtonlab import problems
    >>> p = problems.get("rosenbrock")
    >>> X0 = np.random.default_rng(0).uniform(-2, 2, size=(100, 2))
    >>> R = nl.minimize_batch(p.fun, X0, method="lbfgs", jac=p.jac)
    >>> R.x.shape, bool(R.success.all()), bool(np.allclose(R.x, 1.0, atol=1e-4))
    ((100, 2), True, True)
    """
    name, preset = _scipy_names.resolve(method)
    m = get_method(name)
    X0 = np.asarray(X0, dtype=float)
    if X0.ndim != 2 or X0.shape[0] == 0 or X0.shape[1] == 0:
        raise ValueError(f"X0 must be a non-empty (k, n) array of starts, got shape {X0.shape}")
    bad = np.flatnonzero(~np.isfinite(X0).all(axis=1))
    if bad.size:
        raise ValueError(f"X0 has non-finite entries in rows {bad[:10].tolist()}")
    options = {**preset, **_scipy_names.translate(m.name, m.defaults, dict(options or {}))}
    opts = m.options(options)
    _options.flag(opts, "return_all")
    _options.flag(opts, "unbounded_probe")
    if opts.get("second_order") or opts["return_all"]:
        raise ValueError("minimize_batch runs without second_order and return_all: call "
                         "minimize on the starts that need them")
    if opts.get("parallel"):
        # threads inside threads: numba's workqueue layer aborts the process on it
        raise ValueError("minimize_batch already runs the starts in parallel: drop the "
                         "option parallel=True (it is for one minimize at large n)")
    X0 = np.ascontiguousarray(X0)
    k, n = X0.shape
    obj = make_objective(fun, X0[0], args, jac, hess if m.needs_hess else None,
                         hessp if m.needs_hessp else None, m.needs_hess, m.needs_hessp)
    compiled = obj.compiled and opts.get("execution", "auto") != "interpreted"
    run = solver_objective(obj, opts) if compiled else obj    # (as minimize's compiled runs)
    plan = m.prepare(dict(opts), run, X0[0].copy())
    compiled = compiled and plan.objective is None and hasattr(plan.solve, "py_func")

    def one(x0):
        from ._minimize import minimize
        return minimize(fun, x0, args=args, method=m.name, jac=jac, hess=hess, hessp=hessp,
                        options={**options, "disp": False})
    if not compiled:
        return _per_start(one, X0, m.name)
    loop, solve_fc = _compiled_loop(plan, run.args_type, m.name)
    X, G = np.empty((k, n)), np.empty((k, n))
    F, SIG = np.empty(k), np.empty(k)
    OUT = np.zeros((k, NOUT), dtype=np.int64)
    keep_h = plan.matrix == "hess" and plan.H.shape[0] == n     # the end-point test reads it
    HOUT = np.empty((k,) + plan.H.shape if keep_h else (0, 0, 0))
    rows, cols = plan.maxiter + 1, T.NCOL + len(plan.columns)
    cb = no_callback().addr
    H0 = np.ascontiguousarray(plan.H, dtype=float)
    workers = max(1, min(k, workers or _cores()))
    STOP = np.zeros(1, dtype=np.int64)

    def chunk(first):
        loop(solve_fc, run.addresses, cb, run.args, X0, plan.options, first, workers, rows, cols,
             H0, X, G, F, SIG, HOUT, OUT, STOP)
    futures = [_pool(workers - 1).submit(chunk, t) for t in range(1, workers)]
    try:
        chunk(0)                     # the calling thread takes a share too
    finally:
        wait(futures)                # every thread done before the arrays are read
    for fu in futures:
        fu.result()
    if STOP[0]:
        for i in np.flatnonzero(OUT[:, STATUS] == FAILED).tolist():
            one(X0[i])               # raises what minimize raises from that start
        return _per_start(one, X0, m.name)     # it did not raise again: minimize per start
    status = OUT[:, STATUS].copy()
    nfev, njev, nhev = plan.cost.counts(OUT[:, NFG], OUT[:, NH])
    R = _result(X, G, F, status, OUT[:, NIT], nfev, njev, nhev, m.name, "compiled")
    return _as_minimize(R, m, plan, obj, opts, one, X0, OUT, SIG, HOUT,
                        lambda r: end_point_kind(r, m, obj, hess, hessp))


def _as_minimize(R, m, plan, obj, opts, one, X0, OUT, SIG, HOUT, classify_end):
    """What ``minimize`` does after its solve, for the rows where it changes anything.

    ``_second_order.end_point_kind``: a method holding the Hessian at its end point
    (``plan.matrix == "hess"``) classifies it, and a success at a saddle or maximum
    becomes status SADDLE; here for all such rows at once (the same arithmetic).  A run
    that stopped where it started (nit 0) is classified with extra evaluations: those
    rows (rare) run again through ``minimize`` itself.  ``_unbounded.probe`` follows a
    maxiter stop with f still falling (the loop's FALLING flag): its L-BFGS run, and its
    verdict, as ``probe`` does.  ``classify_end(res)`` is ``end_point_kind`` for one
    result holding ``hess``.
    """
    status, nit = R.status, R.nit
    checked = R.success | (status == S.SADDLE)
    redo = checked & (nit == 0)
    if opts["unbounded_probe"]:
        for i in np.flatnonzero(OUT[:, FALLING]).tolist():
            # _unbounded.probe's own steps (its test of the f trace was the loop's)
            p = _lbfgs_probe(obj, np.ascontiguousarray(R.x[i], dtype=float),
                             min(PROBE_MAXITER, int(nit[i])),
                             cached=opts.get("execution", "auto") != "interpreted")
            if p.status == S.UNBOUNDED:
                R.x[i], R.jac[i], R.fun[i] = p.x, p.jac, p.fun
                status[i], R.success[i], R.message[i] = S.UNBOUNDED, False, MESSAGES[S.UNBOUNDED]
    if HOUT.shape[0] > 0:
        rows = np.flatnonzero(checked & ~redo & (OUT[:, NH] > 0))
        Hs = HOUT[rows]
        if m.family != "firstorder" and plan.options[0].gtol_mode == GTOL_G0:
            # as _run: the run saw f / sigma, its Hessian goes back to the user's units
            sig = SIG[rows]
            Hs = np.where((sig > 0.0)[:, None, None], Hs * sig[:, None, None], Hs)
        finite = np.isfinite(Hs).all(axis=(1, 2))
        saddle = np.zeros(rows.size, dtype=bool)
        if finite.any():
            H = Hs[finite]
            lam = np.linalg.eigvalsh(0.5 * H + 0.5 * np.swapaxes(H, 1, 2))
            tol = np.maximum(ATOL["analytic"], RTOL["analytic"] * np.abs(lam).max(axis=1))
            neg = (lam < -tol[:, None]).sum(axis=1)
            pos = (lam > tol[:, None]).sum(axis=1)
            # _kinds.kind: "saddle" (both signs) or "maximum" (all negative)
            saddle[finite] = (neg > 0) & ((pos > 0) | (neg == lam.shape[1]))
        for j in np.flatnonzero(~finite):     # as minimize would: its own test, per row
            r = OptimizeResult(x=R.x[rows[j]], jac=R.jac[rows[j]], status=int(status[rows[j]]),
                               success=bool(R.success[rows[j]]), nit=int(nit[rows[j]]),
                               hess=Hs[j], nfev=0, njev=0, nhev=0)
            saddle[j] = classify_end(r).status == S.SADDLE
        hit = rows[saddle]
        status[hit] = S.SADDLE
        R.success[hit] = False
        for i in hit.tolist():
            R.message[i] = MESSAGES[S.SADDLE]
    for i in np.flatnonzero(redo).tolist():
        r = one(X0[i])
        R.x[i], R.jac[i] = r.x, r.jac
        R.fun[i], status[i], R.success[i], R.message[i] = r.fun, r.status, r.success, r.message
        R.nit[i], R.nfev[i], R.njev[i], R.nhev[i] = r.nit, r.nfev, r.njev, r.nhev
    return R


def _per_start(one, X0, method):
    """The result of ``one(x0)`` (``minimize``) for every start, in order."""
    runs = [one(x0) for x0 in X0]
    modes = {r.execution for r in runs}
    execution = "interpreted" if modes == {"interpreted"} else (
        "compiled per start" if modes == {"compiled"} else "mixed per start")
    return _result(np.array([r.x for r in runs]), np.array([r.jac for r in runs]),
                   [r.fun for r in runs], [r.status for r in runs], [r.nit for r in runs],
                   [r.nfev for r in runs], [r.njev for r in runs], [r.nhev for r in runs],
                   method, execution)


def _result(X, G, F, status, nit, nfev, njev, nhev, method, execution):
    status = np.asarray(status, dtype=np.int64)
    return OptimizeResult(
        x=np.asarray(X), jac=np.asarray(G), fun=np.asarray(F, dtype=float), status=status,
        success=SUCCESS_OF[status], nit=np.ascontiguousarray(nit, dtype=np.int64),
        nfev=np.asarray(nfev, dtype=np.int64), njev=np.asarray(njev, dtype=np.int64),
        nhev=np.asarray(nhev, dtype=np.int64),
        message=[MESSAGES[s] for s in status.tolist()], method=method, execution=execution)
