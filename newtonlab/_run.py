"""The one runner: a method's plan -> compiled or interpreted solve -> OptimizeResult.

Compiled when the objective is jitted and no Python callback is given: the
method's ``solve`` is compiled once per args type (cached on disk) and called
through its machine-code entry point.  Otherwise ``solve.py_func`` runs the
same source as Python over the same compiled kernels (``_engine/config.dual``).
"""
import time
import warnings

import numba
import numpy as np

from ._engine import trace as T
from ._engine.clock import ticks
from ._engine.evaluate import SYM_RTOL
from ._engine.ls_driver import GTOL_G0
from ._engine.signatures import F64_1D, F64_2D, compiled_entry, no_callback
from ._result import build_result, make_trace
from ._unbounded import probe

_OPTION_TYPES = {}


class AsymmetricHessianWarning(UserWarning):
    """The user's ``hess`` returned a non-symmetric matrix; its symmetric part was used.

    Public as ``newtonlab.AsymmetricHessianWarning`` (filter it with ``warnings``)."""


def _never(k, x, f, g):
    return 0


def python_form(solve):
    """The interpreted form of a compiled entry (itself when numba's JIT is disabled)."""
    return getattr(solve, "py_func", solve)


def compiled_solve(m, solve, A, options):
    """Machine-code entry of ``solve`` for args type ``A`` and these options' record type."""
    key = (solve, A)
    otype = _OPTION_TYPES.get(key)
    if otype is None:
        otype = _OPTION_TYPES[key] = numba.typeof(options)
    return compiled_entry(solve, A, (F64_1D, otype, F64_2D, F64_2D, F64_2D), label=m.name)


def _lbfgs_probe(obj, x, maxiter):
    """newtonlab's lbfgs on ``obj`` from ``x``, interpreted, without a probe of its own."""
    from ._registry import get_method
    m = get_method("lbfgs")
    opts = m.options({"maxiter": maxiter})
    opts.pop("second_order", None)
    opts.pop("max_escapes", None)
    return run_method(m, obj, x, opts, _never, probe_unbounded=False)


def run_method(m, obj, x0, opts, callback, probe_unbounded=True):
    """Run method ``m`` on the normalized objective ``obj`` from ``x0``.

    ``probe_unbounded``: after a maxiter stop while f kept falling, check whether f is
    unbounded below (``_unbounded.probe``; not for stochastic runs, whose f is noisy, nor
    with ``options={"unbounded_probe": False}``).
    """
    probe_unbounded = probe_unbounded and opts.get("unbounded_probe", True)
    plan = m.prepare(opts, obj, x0)
    if plan.objective is not None:      # the method evaluates another form of fun
        obj = plan.objective
        probe_unbounded = False
    n = x0.size
    trace = np.empty((plan.maxiter + 1, T.NCOL + len(plan.columns)))   # rows past nit unread
    allvecs = np.empty((plan.maxiter + 1 if opts["return_all"] else 0, n))
    compiled = obj.compiled and callback is None and hasattr(plan.solve, "py_func")
    if compiled:
        solve = compiled_solve(m, plan.solve, obj.args_type, plan.options)
        cb = no_callback()
    else:
        solve = python_form(plan.solve)
        cb = _never if callback is None else callback
    tick0 = ticks()
    t0 = time.perf_counter()
    try:
        x, f, g, status, nit, n_fg, n_h, events = solve(obj.ob, cb, obj.args, x0,
                                                        plan.options, trace, allvecs, plan.H)
    except ValueError:
        if compiled and plan.objective is None:
            obj.explain(x0)          # raises a ValueError naming the shapes, if that was it
        raise
    t_wall = time.perf_counter() - t0
    nsym = int(events[T.EV_ASYMMETRIC])
    if nsym:
        warnings.warn(f"hess returned a matrix that is not symmetric (|H - H^T| > "
                      f"{SYM_RTOL:g} max|H|) at {nsym} point(s); newtonlab used (H + H^T)/2",
                      AsymmetricHessianWarning, stacklevel=4)
    tr = make_trace(trace, nit, plan.columns, plan.cost, tick0, ticks(), t_wall)
    extra = {}
    if m.family == "linesearch":
        # directions the method proposed that were not descent directions (-g used instead)
        extra["nondescent_resets"] = int(events[T.EV_NONDESCENT])
    if opts["return_all"]:
        extra["allvecs"] = [v.copy() for v in allvecs[: nit + 1]]
    if plan.matrix is not None and plan.H.shape[0] == n and (plan.matrix != "hess" or n_h > 0):
        extra[plan.matrix] = plan.H
        sigma = trace[0, T.GNORM]
        if m.family != "firstorder" and plan.options[0].gtol_mode == GTOL_G0 and sigma > 0:
            # the run saw f / sigma (gtol_scale="g0"): its matrix back in the user's units
            plan.H *= sigma if plan.matrix == "hess" else 1.0 / sigma
    res = build_result(x, f, g, int(status), int(nit), int(n_fg), int(n_h), plan.cost, tr,
                       execution="compiled" if compiled else "interpreted", **extra)
    return probe(res, obj, _lbfgs_probe) if probe_unbounded else res
