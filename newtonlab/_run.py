"""The one runner: a method's plan -> compiled or interpreted solve -> OptimizeResult.

Compiled: the method's ``solve`` is compiled once, for the context args that carry any
args type (``_engine/context.py``; cached on disk), and called through its machine-code
entry point.  Python parts (a plain objective or a
callback) are called back from the compiled loop (``_bridge``).  Interpreted: the loop
runs as Python, ``solve.py_func``, the same source over the same compiled kernels
(``_engine/config.dual``), which compile in about half the time.  :func:`execution_mode`
chooses, tiered for ``"auto"``: the compiled loop when it is ready, else interpreted until
the method's runs have earned a compile.
"""
import functools
import math
import os
import time
import warnings
from array import array
from contextlib import nullcontext
from dataclasses import replace

import numba
import numpy as np

from ._engine import trace as T
from ._engine.clock import ticks
from ._engine.context import CONTEXT
from ._engine.evaluate import SYM_RTOL
from ._engine.ls_driver import GTOL_G0
from ._engine.signatures import F64_1D, F64_2D, compile_notice, compiled_entry, no_callback
from ._interrupts import deferred_sigint, raise_pending
from ._result import build_result, make_trace
from ._unbounded import probe


def _seconds(text):
    """``NEWTONLAB_AUTO_COMPILE_AFTER``'s value (unset or empty: 1 s)."""
    if not text.strip():
        return 1.0
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value >= 0.0:
        raise ValueError(f"NEWTONLAB_AUTO_COMPILE_AFTER must be a number of seconds >= 0 "
                         f"(or inf), not {text!r}")
    return value


_ENTRIES = {}           # (solve, args type) -> machine-code entry of the compiled solve
_NOT_CACHED = set()     # (solve, args type) that numba's disk cache did not hold when asked

#: ``execution="auto"`` is tiered.  It runs the method's compiled loop when that is ready:
#: loaded in this process, or (for a jitted objective) in numba's disk cache (a load takes
#: ~0.1-0.2 s).  Otherwise the loop runs interpreted (its kernels compile in 2-5 s on a cold
#: cache, the compiled loop in 6-14 s) until the method's interpreted runs in this process
#: (after its first, which loads its kernels) have taken this many seconds in all; then the
#: loop is compiled, or loaded.  Ski rental: a short script gets its first result at once,
#: and only a program that runs a method long enough to repay compiling pays for it, and
#: then runs up to ~10x faster.  ``math.inf`` switches the tiers off: "auto" then compiles
#: a jitted objective's loop at once and runs Python parts interpreted (the test suite's
#: setting: a run's mode never depends on what ran before it, nor on the disk cache, except
#: the unboundedness probe's, which never compiles, with the same iterates either way); 0
#: compiles at first use.  The environment variable ``NEWTONLAB_AUTO_COMPILE_AFTER`` sets it
#: for a process and its children (the benchmarks set 0: they time the compiled loop).
AUTO_COMPILE_AFTER = _seconds(os.environ.get("NEWTONLAB_AUTO_COMPILE_AFTER", "1.0"))
_INTERPRETED = {}       # method name -> [runs, seconds] of its interpreted runs
_NO_CONTEXT = nullcontext()


class AsymmetricHessianWarning(UserWarning):
    """The user's ``hess`` returned a non-symmetric matrix; its symmetric part was used.

    Public as ``newtonlab.AsymmetricHessianWarning`` (filter it with ``warnings``)."""


def _never(k, x, f, g):
    raise_pending()                       # a Ctrl-C deferred out of numba's code
    return 0


def _checked(callback):
    """The interpreted loop's callback: a deferred Ctrl-C first (``_interrupts``)."""
    def cb(k, x, f, g):
        raise_pending()
        return callback(k, x, f, g)
    return cb


def python_form(solve):
    """The interpreted form of a compiled entry (itself when numba's JIT is disabled)."""
    return getattr(solve, "py_func", solve)


def compiled_solve(m, solve, A, options, compile=True):
    """Machine-code entry of ``solve`` for args type ``A`` and these options' record type
    (the same for every run of ``solve``), looked up once per (solve, A).  ``compile=False``:
    None unless it is loaded or in numba's disk cache (asked once per process)."""
    key = (solve, A)
    entry = _ENTRIES.get(key)
    if entry is None:
        if not compile and key in _NOT_CACHED:
            return None
        rest = (F64_1D, numba.typeof(options), F64_2D, F64_2D, F64_2D)
        entry = compiled_entry(solve, A, rest, label=m.name, compile=compile)
        if entry is None:
            _NOT_CACHED.add(key)
            return None
        _ENTRIES[key] = entry
    return entry


def execution_mode(m, obj, callback, choice):
    """The loop a run asks for: "compiled" (the jitted objective inside the compiled loop),
    "bridged" (the compiled loop calling Python parts back) or "interpreted".

    ``options={"execution": choice}``: "interpreted" always; "compiled" and "auto"
    the compiled loop whenever numba's JIT is on ("auto" may still run it interpreted:
    :func:`tiered`).  A ``FiniteSum`` runs compiled when its batch function is jitted and
    no callback is given, else interpreted.
    """
    if numba.config.DISABLE_JIT or choice == "interpreted":
        return "interpreted"
    if obj.compiled and callback is None:
        return "compiled"
    if not obj.compiled:
        from .stochastic import finite_sum_of
        if finite_sum_of(obj) is not None:     # compiled when its batch function is jitted
            return "interpreted" if callback is not None else "compiled"
    return "bridged"


def tiered(m, loop, plan, key, entry, jitted, may_compile=True):
    """``execution="auto"``'s choice between ``loop`` (compiled or bridged) and the
    interpreted loop for ``plan``, as :data:`AUTO_COMPILE_AFTER` says; ``key`` is the
    compiled solve's (solve, args type), ``entry`` that solve if this process has it, and
    ``jitted`` whether the objective is (a Python callback may still bridge it).
    ``may_compile=False``: ``loop`` only when this process or the disk cache has it.

    Only a jitted objective asks numba's disk cache: a Python objective's plan is not the
    bridged run's (that one's records hold compiled stand-ins), and making the bridged
    objective costs ~0.15 s in a new process, more than a short interpreted run.
    """
    if AUTO_COMPILE_AFTER == math.inf and may_compile:
        return "compiled" if loop == "compiled" else "interpreted"
    if entry is not None or not hasattr(plan.solve, "py_func"):
        return loop
    if jitted and compiled_solve(m, plan.solve, key[1], plan.options,
                                 compile=False) is not None:
        return loop
    seconds = _INTERPRETED.get(m.name, (0, 0.0))[1]
    return loop if may_compile and seconds >= AUTO_COMPILE_AFTER else "interpreted"


_NO_VECS = {}


def _no_vecs(n):
    """The (0, n) ``allvecs`` of a run without ``return_all`` (nothing is written to it:
    one per n serves every run)."""
    empty = _NO_VECS.get(n)
    if empty is None:
        empty = _NO_VECS[n] = np.empty((0, n))
    return empty


def _count_interpreted(m, seconds):
    entry = _INTERPRETED.setdefault(m.name, [0, 0.0])
    if entry[0]:                      # the first run includes loading the kernels
        entry[1] += seconds
    entry[0] += 1


def _lbfgs_probe(obj, x, maxiter, cached=False):
    """newtonlab's lbfgs on ``obj`` from ``x``, without a probe of its own, interpreted;
    with ``cached`` (a jitted objective whose run was not asked to be interpreted) compiled
    when lbfgs's loop is loaded or in numba's disk cache (50 iterations at n = 2: ~30 us
    against ~0.7 ms).  Never compiled for it: a method never pays lbfgs's compile, nor
    counts towards it (``tiered``)."""
    from ._registry import get_method
    m = get_method("lbfgs")
    execution = "auto" if cached and obj.compiled else "interpreted"
    opts = m.options({"maxiter": maxiter, "execution": execution})
    opts.pop("second_order", None)
    opts.pop("max_escapes", None)
    return run_method(m, obj, x, opts, None, probe_unbounded=False, may_compile=False)


_lbfgs_probe_cached = functools.partial(_lbfgs_probe, cached=True)


def _immutable(record):
    """Whether a (nested) options record holds scalars only (no array, which a solve could
    modify, nor any other object)."""
    return all(_immutable(v) if isinstance(v, tuple)
               else isinstance(v, (bool, int, float, str, type(None), np.generic))
               for v in record)


# plans by (method, options, n, objective): a repeated minimize() skips prepare's checks
# (~5 us, more than a small solve).  Kept only for options that minimize validated once and
# shares (``_minimize._checked_options``), for compiled objectives (``make_objective``
# hands back the same ``ob`` for the same callables), for methods whose entry is marked
# ``reusable_plan`` (``_registry.Method``), and for plans whose only mutable part is a zero
# workspace H, which every run gets afresh.  Keyed by identities (cheap to hash), with the objects
# kept in the entry: an id is not reused while its object is alive.
_PLANS = {}
_PLANS_MAX = 256


def plan_for(m, opts, obj, x0, shared=False):
    """(plan, H): method ``m``'s :class:`~newtonlab._registry.Plan` for this run and the
    workspace H to give its solve (the plan's own, or a fresh one of the same shape).

    ``shared``: ``opts`` is a dict that is never modified and stands for its content
    (``_minimize._checked_options``), so the plan may be reused.  A reused plan is
    shared between runs: it must not be modified.
    """
    key = None
    if shared and obj.compiled and m.reusable_plan:
        key = (m.name, id(opts), x0.size, id(obj.ob))
        hit = _PLANS.get(key)
        if hit is not None and hit[0] is opts and hit[1] is obj.ob and hit[2] is obj.cost:
            return hit[3], np.zeros(hit[4])
    plan = m.prepare(dict(opts), obj, x0)     # a copy: prepare may fill in a default
    H = plan.H
    if (key is not None and plan.objective is None and H.dtype == np.float64
            and H.ndim == 2 and H.flags.c_contiguous and not H.any()
            and _immutable(plan.options)):
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.clear()
        # the plan without its H (which goes to the caller's result)
        _PLANS[key] = (opts, obj.ob, obj.cost, replace(plan, H=None), H.shape)
    return plan, H


def solver_objective(obj, opts):
    """The objective ``obj`` as the method's compiled ``solve`` takes it: in context form
    (``_engine/context.py``: one ``solve`` for every args type).  When the options hold
    another function of the user's args (hessian-free's ``curvature_batch``), the method's
    ``prepare`` writes it into the context (``context.run_function``): the run gets a copy
    of the buffer that every call of this objective shares (or, for args that fit no
    context, a context without a buffer: what marks a compiled run).  A FiniteSum (no
    compiled objective) gets a context of its own, for its batch function
    (``stochastic.in_context``)."""
    if not obj.compiled:
        from .stochastic import in_context
        return in_context(obj)
    form = obj.in_context()
    if not callable(opts.get("curvature_batch")):
        return form
    if form is obj:          # args that fit no context: a compiled run all the same
        return replace(obj, context=(None, obj.args, obj.args_type))
    buffer = array("q", form.context[0])
    return replace(form, args=(buffer.buffer_info()[0],), context=(buffer,) + form.context[1:])


def run_method(m, obj, x0, opts, callback, probe_unbounded=True, shared_opts=False,
               may_compile=True):
    """Run method ``m`` on the normalized objective ``obj`` from ``x0``.

    ``opts`` (validated) is not modified: callers may share one dict between runs.
    ``probe_unbounded``: after a maxiter stop while f kept falling, check whether f is
    unbounded below (``_unbounded.probe``; not for stochastic runs, whose f is noisy, nor
    with ``options={"unbounded_probe": False}``).  ``shared_opts``: see :func:`plan_for`.
    ``callback``: cb(k, x, f, g) -> int (1 stops), or None.
    """
    probe_unbounded = probe_unbounded and opts.get("unbounded_probe", True)
    choice = opts.get("execution", "auto")
    if obj.compiled and callback is None and choice == "auto":
        mode = "compiled"          # (the common case, without a call: a small solve is ~10 us)
    else:
        mode = execution_mode(m, obj, callback, choice)
    given, context = obj, _NO_CONTEXT
    if mode == "compiled" or mode == "bridged" and obj.compiled:
        obj = solver_objective(obj, opts)
    plan, H = plan_for(m, opts, obj, x0, shared_opts)
    entry = None
    run = obj if plan.objective is None else plan.objective
    if mode == "compiled" and not run.compiled:
        mode = "interpreted"                     # a FiniteSum whose batch function is Python
    elif choice == "auto" and mode != "interpreted":
        key = (plan.solve, run.args_type if run.compiled else CONTEXT)
        entry = _ENTRIES.get(key)                # (the common path's one lookup)
        if mode == "bridged" or entry is None:
            mode = tiered(m, mode, plan, key, entry, run.compiled, may_compile)
    if mode == "interpreted" and obj is not given:       # the user's own functions and args
        obj = given
        plan, H = plan_for(m, opts, obj, x0, shared_opts)
    if mode == "bridged":
        from . import _bridge       # (its trampolines: ~1 ms of import no other run needs)
    if mode == "bridged" and not obj.compiled:
        try:
            bridged = _bridge.objective(obj)
            plan_b, H_b = plan_for(m, opts, bridged, x0, shared_opts)
        except ValueError:
            if choice != "auto":
                raise
            mode = "interpreted"     # options only the interpreted loop takes (Python functions)
        else:
            obj, plan, H = bridged, plan_b, H_b
    if mode == "bridged":     # (a FiniteSum is never bridged: plan.objective stays None)
        context = _bridge.calling(None if given.compiled else given.ob[:5], given.args, callback)
    if plan.objective is not None:      # the method evaluates another form of fun
        obj = plan.objective
        probe_unbounded = False
    n = x0.size
    trace = np.empty((plan.maxiter + 1, T.NCOL + len(plan.columns)))   # rows past nit unread
    allvecs = np.empty((plan.maxiter + 1, n)) if opts["return_all"] else _no_vecs(n)
    compiled = mode != "interpreted" and obj.compiled and hasattr(plan.solve, "py_func")
    if compiled:
        solve = entry or compiled_solve(m, plan.solve, obj.args_type, plan.options)
        ob = obj.addresses
        # bridged: the callback trampoline even without a callback, to stop the loop at the
        # next iteration once a Python function raised (_bridge)
        cb = (_bridge.callback() if mode == "bridged" else no_callback()).addr
    else:
        solve = python_form(plan.solve)
        ob = obj.ob
        cb = _never if callback is None else _checked(callback)
    tick0 = ticks()
    t0 = time.perf_counter()
    try:
        if mode == "compiled":
            x, f, g, status, nit, n_fg, n_h, events = solve(ob, cb, obj.args, x0,
                                                            plan.options, trace, allvecs, H)
        else:
            # Python parts: Ctrl-C delivered where numba cannot crash on it (_interrupts)
            with context, deferred_sigint(), \
                    (_NO_CONTEXT if compiled else compile_notice(f"the kernels of {m.name}")):
                x, f, g, status, nit, n_fg, n_h, events = solve(ob, cb, obj.args, x0,
                                                                plan.options, trace, allvecs, H)
    except ValueError as exc:
        # the engine's shape checks ("jac must return an array of shape ..."), not a
        # ValueError of the user's own, which propagates from a compiled run too: only
        # then are the user's functions called again, at x0
        if (compiled and mode == "compiled" and plan.objective is None
                and "must return" in str(exc)):
            given.explain(x0)        # raises a ValueError naming the shapes, if that was it
        raise
    t_wall = time.perf_counter() - t0
    if not compiled and choice == "auto" and may_compile:
        _count_interpreted(m, t_wall)
    events = events.tolist()
    nsym = events[T.EV_ASYMMETRIC]
    if nsym:
        warnings.warn(f"hess returned a matrix that is not symmetric (|H - H^T| > "
                      f"{SYM_RTOL:g} max|H|) at {nsym} point(s); newtonlab used (H + H^T)/2",
                      AsymmetricHessianWarning, stacklevel=4)
    tr = make_trace(trace, nit, plan.columns, plan.cost, tick0, ticks(), t_wall)
    extra = {}
    if m.family == "linesearch":
        # directions the method proposed that were not descent directions (-g used instead)
        extra["nondescent_resets"] = events[T.EV_NONDESCENT]
    if opts["return_all"]:
        extra["allvecs"] = [v.copy() for v in allvecs[: nit + 1]]
    if plan.matrix is not None and H.shape[0] == n and (plan.matrix != "hess" or n_h > 0):
        extra[plan.matrix] = H
        sigma = trace[0, T.GNORM]
        if m.family != "firstorder" and plan.options[0].gtol_mode == GTOL_G0 and sigma > 0:
            # the run saw f / sigma (gtol_scale="g0"): its matrix back in the user's units
            H *= sigma if plan.matrix == "hess" else 1.0 / sigma
    res = build_result(x, f, g, int(status), int(nit), int(n_fg), int(n_h), plan.cost, tr,
                       execution="compiled" if compiled else "interpreted", **extra)
    if not probe_unbounded:
        return res
    return probe(res, given, _lbfgs_probe if choice == "interpreted" else _lbfgs_probe_cached)
