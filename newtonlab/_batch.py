"""``newtonlab.minimize_batch``: one method from many starts.

With jitted objectives the starts run in a compiled loop that calls the
method's own compiled ``solve`` (the machine code ``minimize`` uses, cached
per args type) through a function pointer, so the loop itself is small and
compiles once per method and args type, cached on disk.  The loop releases the
GIL (``nogil``), and one Python thread per core runs it over its share of the
starts: numba's ``prange`` cannot carry the typed option records and function
values into its parallel region.  Each thread reuses one trace and workspace.
Otherwise (Python callables, a callback) the starts run one after the other
through :func:`newtonlab.minimize`; the results are the same either way.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import types
from scipy.optimize import OptimizeResult

from . import _options, _scipy_names
from ._engine import trace as T
from ._engine.config import CACHE, FLAGS
from ._engine.signatures import (CALLBACK_TYPE, F64_1D, F64_2D, driver_for, no_callback,
                                 objective_type, resolved)
from ._objective import make_objective
from ._registry import get_method
from ._result import MESSAGES, SUCCESSFUL

I64_1D = types.int64[::1]


def batch_loop(solve, ob, cb, args, X0, o, rows, cols, hrows, hcols, X, G, F, OUT):
    """Run ``solve`` from every row of X0; OUT[i] = (status, nit, nf, nh)."""
    k, n = X0.shape
    # one trace and workspace for all starts: the driver writes the trace rows it reads, and
    # a fresh (maxiter + 1)-row trace per start (1.2 MB for lbfgs) cost more than the solve
    trace = np.empty((rows, cols))
    H = np.empty((hrows, hcols))
    allvecs = np.empty((0, n))
    for i in range(k):
        x0 = np.empty(n)
        for j in range(n):
            x0[j] = X0[i, j]
        for r in range(hrows):
            for c in range(hcols):
                H[r, c] = 0.0
        x, f, g, status, nit, nf, nh, events = solve(ob, cb, args, x0, o, trace, allvecs, H)
        for j in range(n):          # loops, not X[i] = x: no shape-error machinery compiled
            X[i, j] = x[j]
            G[i, j] = g[j]
        F[i] = f
        OUT[i, 0] = status
        OUT[i, 1] = nit
        OUT[i, 2] = nf
        OUT[i, 3] = nh


_LOOPS = {}


def _compiled_loop(solve_disp, A, otype):
    """``batch_loop`` compiled for this solve's signature (cached on disk, GIL released),
    and the solve as a first-class function value."""
    # the one signature the solve's dispatcher holds (driver_for compiles exactly one)
    solve_fc = resolved(solve_disp, solve_disp.overloads[solve_disp.signatures[0]].signature)
    key = (solve_disp, A, otype)
    if key not in _LOOPS:
        head = (types.FunctionType(solve_fc.sig), objective_type(A), CALLBACK_TYPE, A,
                F64_2D, otype, types.int64, types.int64, types.int64, types.int64, F64_2D,
                F64_2D, F64_1D, types.int64[:, ::1])
        _LOOPS[key] = numba.njit(head, cache=CACHE, **FLAGS)(batch_loop)
    return _LOOPS[key], solve_fc


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
        Threads running the compiled loop (default: the number of cores).

    Returns
    -------
    scipy.optimize.OptimizeResult
        Arrays with one row (or entry) per start: ``x`` and ``jac`` (k, n); ``fun``,
        ``success``, ``status``, ``nit``, ``nfev``, ``njev``, ``nhev`` (k,); ``message``
        (list of str); ``execution`` ("compiled": one parallel loop over the starts, or
        "interpreted": one ``minimize`` call per start) and ``method``.  No traces and
        no ``res.kind`` per start: call ``minimize`` on a start to see those.

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
    if opts.get("second_order") or opts["return_all"]:
        raise ValueError("minimize_batch runs without second_order and return_all: call "
                         "minimize on the starts that need them")
    X0 = np.ascontiguousarray(X0)
    k, n = X0.shape
    obj = make_objective(fun, X0[0], args, jac, hess if m.needs_hess else None,
                         hessp if m.needs_hessp else None, m.needs_hess, m.needs_hessp)
    plan = m.prepare(dict(opts), obj, X0[0].copy())
    compiled = obj.compiled and plan.objective is None and hasattr(plan.solve, "py_func")
    if not compiled:
        from ._minimize import minimize
        runs = [minimize(fun, x0, args=args, method=m.name, jac=jac, hess=hess, hessp=hessp,
                         options=options) for x0 in X0]
        return _result([r.x for r in runs], [r.jac for r in runs],
                       [r.fun for r in runs], [r.status for r in runs], [r.nit for r in runs],
                       [r.nfev for r in runs], [r.njev for r in runs], [r.nhev for r in runs],
                       m.name, "interpreted")
    otype = numba.typeof(plan.options)
    disp = driver_for(plan.solve, obj.args_type, (F64_1D, otype, F64_2D, F64_2D, F64_2D),
                      label=m.name)
    loop, solve_fc = _compiled_loop(disp, obj.args_type, otype)
    X, G = np.empty((k, n)), np.empty((k, n))
    F = np.empty(k)
    OUT = np.zeros((k, 4), dtype=np.int64)
    rows, cols = plan.maxiter + 1, T.NCOL + len(plan.columns)
    cb = no_callback()

    def chunk(sl):
        loop(solve_fc, obj.ob, cb, obj.args, X0[sl], plan.options, rows, cols,
             plan.H.shape[0], plan.H.shape[1], X[sl], G[sl], F[sl], OUT[sl])
    workers = min(k, workers or os.cpu_count() or 1)
    bounds = np.linspace(0, k, workers + 1).astype(int)
    slices = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    if workers == 1:
        chunk(slices[0])
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(chunk, slices))
    nfev, njev, nhev = plan.cost.counts(OUT[:, 2], OUT[:, 3])
    return _result(X, G, F, OUT[:, 0], OUT[:, 1], nfev, njev, nhev, m.name, "compiled")


def _result(X, G, F, status, nit, nfev, njev, nhev, method, execution):
    status = np.asarray(status, dtype=np.int64)
    return OptimizeResult(
        x=np.asarray(X), jac=np.asarray(G), fun=np.asarray(F, dtype=float), status=status,
        success=np.isin(status, list(SUCCESSFUL)), nit=np.asarray(nit, dtype=np.int64),
        nfev=np.asarray(nfev, dtype=np.int64), njev=np.asarray(njev, dtype=np.int64),
        nhev=np.asarray(nhev, dtype=np.int64), message=[MESSAGES[int(s)] for s in status],
        method=method, execution=execution)
