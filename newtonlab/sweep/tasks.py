"""Sweep tasks: their stable keys, their start points, and running one (in a worker).

Why stable keys: ``--resume`` must recognise a finished task across processes, machines
and days, so a task is named by a short hash of what defines it (problem id, method
label, options, seed, repeat) and never by its position in the list.

Why a seeded start point formula: a sweep over seeds must be reproducible anywhere.  Seed
0 is the problem's standard ``x0``; seed ``s > 0`` draws
``z ~ N(0, I)`` from ``numpy.random.default_rng(SeedSequence([s, crc32(problem_id)]))``
and starts at ``x0 + 0.1 * max(1, |x0|) * z`` (elementwise), so every problem gets its own
stream and a change of the problem list changes no other problem's start points.

Problem hooks: a problem given as ``"package.module:function"`` or
``"path/to/file.py:function"`` (relative to the config file) is built by calling the
function with the entry's ``params``; it returns a :class:`newtonlab.problems.Problem`
or a dict with ``fun``, ``x0`` and optionally ``jac``, ``hess``, ``hessp``, ``args``,
``fmin``.  Worker processes import the hook themselves, so it must be importable there
(a file path always is).

Everything here runs in worker processes; :func:`run_task_safe` never raises: a task
that raises becomes a record with status ``"error"``.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import sys
import time
import traceback
import types
import warnings
import zlib

import numpy as np

from . import records


def task_key(problem_id, method_label, options, seed, repeat):
    """A task's stable key: 12 hex digits of sha1 over its defining fields.

    The fields are hashed as JSON with sorted keys (values JSON cannot hold by their
    ``repr``), so the key is the same in every process, on every machine, and does
    not depend on the task's position in the sweep.

    Parameters
    ----------
    problem_id : str
        The problem's stable id (``ProblemSpec.id``).
    method_label : str
        The method's label (``MethodSpec.label``), e.g. ``"newton-tr[subproblem=cg]"``.
    options : dict
        The options passed to the method.
    seed : int
        The start-point seed.
    repeat : int
        The timing repetition, from 0.

    Returns
    -------
    str
        12 lower-case hex digits.

    Examples
    --------
    >>> k = task_key("rosenbrock", "bfgs", {"gtol": 1e-6}, 0, 0)
    >>> len(k), k == task_key("rosenbrock", "bfgs", {"gtol": 1e-6}, 0, 0)
    (12, True)
    >>> k == task_key("rosenbrock", "bfgs", {"gtol": 1e-6}, 1, 0)
    False
    """
    blob = json.dumps([problem_id, method_label, options, int(seed), int(repeat)],
                      sort_keys=True, default=repr)
    return hashlib.sha1(blob.encode()).hexdigest()[:12]


def expand(config):
    """Every task of a :class:`~newtonlab.sweep.config.SweepConfig`, as plain dicts.

    Plain dicts, so that they pickle cheaply to worker processes.  The order is
    problem-major: problem, then method, then seed, then repeat.

    Parameters
    ----------
    config : SweepConfig
        A validated configuration (:func:`~newtonlab.sweep.config.parse_config`).

    Returns
    -------
    list of dict
        One dict per task, with keys ``"key"`` (:func:`task_key`), ``"problem"`` and
        ``"method"`` (dicts of the problem's and method's specs), ``"seed"``,
        ``"repeat"`` and ``"trace"``; ``len(problems) * len(methods) * len(seeds) *
        repeats`` of them.

    Examples
    --------
    >>> from newtonlab.sweep import parse_config
    >>> cfg = parse_config({"problems": ["beale"], "methods": ["bfgs", "lbfgs"],
    ...                     "seeds": [0, 1]})
    >>> tasks = expand(cfg)
    >>> [(t["method"]["label"], t["seed"]) for t in tasks]
    [('bfgs', 0), ('bfgs', 1), ('lbfgs', 0), ('lbfgs', 1)]
    """
    out = []
    for p in config.problems:
        for m in config.methods:
            for s in config.seeds:
                for r in range(config.repeats):
                    out.append({"key": task_key(p.id, m.label, m.options, s, r),
                                "problem": p.as_task(), "method": m.as_task(), "seed": s,
                                "repeat": r, "trace": config.trace})
    return out


def start_point(x0, problem_id, seed):
    """The start point of seed ``seed``: ``x0`` for seed 0, else a seeded perturbation.

    For ``seed > 0`` it is ``x0 + 0.1 * max(1, |x0|) * z`` (elementwise), with
    ``z ~ N(0, I)`` drawn from
    ``numpy.random.default_rng(SeedSequence([seed, crc32(problem_id)]))``: reproducible
    anywhere, and a stream of its own for every problem.

    Parameters
    ----------
    x0 : array_like, shape (n,)
        The problem's standard start point.
    problem_id : str
        The problem's stable id (its crc32 seeds the stream).
    seed : int
        The seed, >= 0.

    Returns
    -------
    numpy.ndarray, shape (n,)
        A new float64 array (a copy of ``x0`` for seed 0).

    Examples
    --------
    >>> import numpy as np
    >>> start_point([-1.2, 1.0], "rosenbrock", 0)
    array([-1.2,  1. ])
    >>> x = start_point([-1.2, 1.0], "rosenbrock", 3)
    >>> x.shape, np.array_equal(x, start_point([-1.2, 1.0], "rosenbrock", 3))
    ((2,), True)
    """
    x0 = np.array(x0, dtype=np.float64)
    if seed == 0:
        return x0
    ss = np.random.SeedSequence([int(seed), zlib.crc32(problem_id.encode())])
    z = np.random.default_rng(ss).standard_normal(x0.shape)
    return x0 + 0.1 * np.maximum(1.0, np.abs(x0)) * z


# ------------------------------------------------------------------ problems

def hook_path(name, base_dir):
    """A hook string with a relative ``file.py`` made absolute (against ``base_dir``)."""
    mod, _, fn = name.rpartition(":")
    if mod.endswith(".py") and not os.path.isabs(mod):
        mod = os.path.normpath(os.path.join(base_dir, mod))
    return f"{mod}:{fn}"


def _load_hook(hook):
    mod, _, fn = hook.rpartition(":")
    if not mod or not fn:
        raise ValueError(f"a hook is 'module:function' or 'file.py:function', got {hook!r}")
    if mod.endswith(".py"):
        name = f"_newtonlab_sweep_hook_{zlib.crc32(mod.encode()):08x}"
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.util.spec_from_file_location(name, mod)
            if spec is None or not os.path.exists(mod):
                raise FileNotFoundError(f"no hook file {mod}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]
                raise
    else:
        module = importlib.import_module(mod)
    return getattr(module, fn)


_PROBLEMS = {}


def resolve_problem(spec):
    """The problem of a task's ``problem`` dict (library problem, or a hook's), cached."""
    cache_key = json.dumps([spec["name"], spec["params"], spec.get("hook")], sort_keys=True,
                           default=repr)
    if cache_key in _PROBLEMS:
        return _PROBLEMS[cache_key]
    if spec.get("hook"):
        made = _load_hook(spec["hook"])(**spec["params"])
        if isinstance(made, dict):
            if "fun" not in made or "x0" not in made:
                raise TypeError(f"hook {spec['name']!r} returned a dict without 'fun' and 'x0'")
            x0 = np.atleast_1d(np.array(made["x0"], dtype=np.float64))
            made = types.SimpleNamespace(
                name=spec["name"], fun=made["fun"], jac=made.get("jac"),
                hess=made.get("hess"), hessp=made.get("hessp"), x0=x0,
                args=tuple(made.get("args", ())), fmin=made.get("fmin"), n=x0.size)
        elif not all(hasattr(made, a) for a in ("fun", "x0", "n")):
            raise TypeError(f"hook {spec['name']!r} returned {type(made).__name__}, not a "
                            f"Problem or a dict with 'fun' and 'x0'")
    else:
        from .. import problems
        made = problems.get(spec["name"], **spec["params"])
    _PROBLEMS[cache_key] = made
    return made


# ------------------------------------------------------------------ running

_PRIMED = set()


def _newtonlab_call(p, method, x0):
    from .. import METHODS, minimize
    info = METHODS[method["name"]]
    kw = {"jac": p.jac}
    if info.needs_hess and getattr(p, "hess", None) is not None:
        kw["hess"] = p.hess
    if info.needs_hessp and getattr(p, "hessp", None) is not None:
        kw["hessp"] = p.hessp
    opts = dict(method["options"])

    # the unboundedness probe (a short L-BFGS run after a maxiter stop) would sit inside the
    # timed call: a benchmark times the method alone (its status stays "maxiter")
    opts.setdefault("unbounded_probe", False)

    def run(maxiter=None):
        o = opts if maxiter is None else {**opts, "maxiter": maxiter}
        return minimize(p.fun, x0.copy(), args=p.args, method=method["name"], options=o, **kw)
    return run


def _scipy_call(p, method, x0, history, want_gnorm):
    """A scipy run recording (nfev, f, time[, gnorm]) per iteration through ``callback``;
    function calls are counted by a thin wrapper (inside the timed call)."""
    from scipy.optimize import minimize

    from .config import scipy_functions
    count = [0]
    fun0 = p.fun

    def fun(x, *a):
        count[0] += 1
        return fun0(x, *a)
    t0 = [0.0]

    def callback(intermediate_result):
        r = intermediate_result
        f = float(r.fun) if "fun" in r else float(fun0(r.x, *p.args))
        t = time.perf_counter() - t0[0]
        # the iterate, not its gradient norm: run_task evaluates those after the timed
        # call, so a traced scipy run is not charged for a gradient per iteration
        x = np.array(r.x, dtype=float) if want_gnorm and p.jac is not None else None
        history.append((count[0], f, t, x))
    kw = scipy_functions(method["name"], p.jac, getattr(p, "hess", None),
                         getattr(p, "hessp", None))

    def run(maxiter=None):
        o = dict(method["options"]) if maxiter is None else {**method["options"],
                                                              "maxiter": maxiter}
        count[0] = 0
        t0[0] = time.perf_counter()
        return minimize(fun, x0.copy(), args=p.args, method=method["name"], options=o,
                        callback=callback, **kw)
    return run


def run_task(task):
    """Run one task; returns its record (plus ``_trace`` rows when ``task["trace"]``)."""
    started = records.now()
    p = resolve_problem(task["problem"])
    pid, method = task["problem"]["id"], task["method"]
    x0 = start_point(p.x0, pid, task["seed"])
    f0 = float(p.fun(x0, *p.args))
    history = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method["library"] == "scipy":
            run = _scipy_call(p, method, x0, history, task["trace"])
        else:
            run = _newtonlab_call(p, method, x0)
        if (pid, method["label"]) not in _PRIMED:
            # one iteration first, so that loading the compiled solver and the problem's
            # functions (fun, jac, hess or hessp) from numba's cache, and scipy's lazy
            # imports, happen once per process and are not timed
            try:
                run(maxiter=1)
            except Exception:
                pass
            history.clear()
            _PRIMED.add((pid, method["label"]))
        c, t = time.thread_time(), time.perf_counter()
        res = run()
        elapsed, cpu = time.perf_counter() - t, time.thread_time() - c
    rec = records.result_record(task, p, res, f0, elapsed, started, cpu)
    if method["library"] == "scipy":
        g0 = (records.norm_inf(p.jac(x0, *p.args)) if task["trace"] and p.jac is not None
              else None)
        history[:] = [(nf, fv, tv, None if x is None else records.norm_inf(p.jac(x, *p.args)))
                      for nf, fv, tv, x in history]
        history.insert(0, (1, f0, 0.0, g0))
        nfev, f, t, g = (list(col) for col in zip(*history))
        rec["history"] = records.history(nfev, f, t)
        rows = [dict(iteration=i, f=f[i], gnorm=g[i], nfev=nfev[i], time=t[i])
                for i in range(len(f))]
    else:
        tr = res.trace
        rec["history"] = records.history(tr["nfev"], tr["f"], tr["time"])
        rows = None
        if task["trace"]:
            cols = tr.as_dict()
            rows = [{c: (cols[c][i].item() if c in cols else None) for c in records.TRACE_DATA}
                    for i in range(len(tr))]
            for i, r in enumerate(rows):
                r["iteration"] = int(cols["iter"][i])
    if task["trace"]:
        rec["_trace"] = rows
    return rec


def run_task_safe(task):
    """:func:`run_task`, with an exception turned into an ``"error"`` record."""
    started = records.now()
    try:
        return run_task(task)
    except BaseException as exc:          # (KeyboardInterrupt too: a record, not a crash)
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        summary = tb[0] + "".join(tb[1:][-3:])[-2000:]     # header and the last frames
        return records.failure_record(task, "error", f"{type(exc).__name__}: {exc}",
                                      started, error=summary)


def warm(job):
    """Compile (or load) one (method, problems) job: ``newtonlab warmup``'s :func:`warm_one`."""
    from .._warmup import warm_one
    return warm_one(*job)
