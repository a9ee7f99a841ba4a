"""Running and timing: problem and method selection, scipy's matching options, one
measured (problem, method) pair, and pinning BLAS to one thread.

Both sides get the same jitted problem functions (``p.fun``, ``p.jac``, and
``p.hess`` or ``p.hessp`` where the method uses them), the same ``x0`` and the
same ``gtol``; a method's scipy counterpart is ``newtonlab.METHODS[m].scipy``
and :data:`SCIPY_TOLERANCES` makes scipy's stopping test comparable.
"""
from __future__ import annotations

import math
import os
import re
import statistics
import sys
import time
import warnings

import numpy as np

from .. import METHODS, minimize, problems
from .._result import Trace

GTOL = 1e-5

#: scipy method -> (options for a gradient tolerance g, how its stopping test compares)
SCIPY_TOLERANCES = {
    "BFGS": (lambda g: {"gtol": g}, "gtol on ||g||_inf, as newtonlab"),
    "L-BFGS-B": (lambda g: {"gtol": g, "ftol": 0.0},
                 "gtol on ||proj g||_inf (= ||g||_inf, no bounds); ftol=0 turns off its "
                 "relative-reduction stop"),
    "CG": (lambda g: {"gtol": g}, "gtol on ||g||_inf, as newtonlab"),
    "Newton-CG": (lambda g: {"xtol": g},
                  "scipy has no gradient test here: it stops when the mean |step| <= xtol; "
                  "xtol = gtol"),
    "trust-exact": (lambda g: {"gtol": g},
                    "gtol on ||g||_2 (up to sqrt(n) stricter than ||g||_inf)"),
    "trust-ncg": (lambda g: {"gtol": g},
                  "gtol on ||g||_2 (up to sqrt(n) stricter than ||g||_inf)"),
    "trust-krylov": (lambda g: {"gtol": g},
                     "gtol on ||g||_2 (up to sqrt(n) stricter than ||g||_inf)"),
    "dogleg": (lambda g: {"gtol": g},
               "gtol on ||g||_2 (up to sqrt(n) stricter than ||g||_inf)"),
}


def scipy_options(smeth, gtol):
    """(options dict, note) making scipy's stopping test comparable with newtonlab's."""
    make, how = SCIPY_TOLERANCES.get(smeth, (lambda g: {"gtol": g}, "gtol passed as is"))
    return make(gtol), how


_SCIPY_HESS = {"trust-exact", "dogleg"}                    # need hess
_SCIPY_HESS_OR_P = {"Newton-CG", "trust-ncg", "trust-krylov"}  # hess or hessp
_QUICK_PROBLEMS = ("rosenbrock", "chained_rosenbrock(n=10)", "quadratic(n=10,kappa=100.0,seed=0)",
                   "wood")


def short_id(p):
    """Compact problem label: ``quadratic(10, 1e+02)``, ``chained_rosenbrock(10)``."""
    vals = []
    for k, v in p.params:
        if k == "seed":
            continue
        vals.append(f"{v:.0e}" if isinstance(v, float) and v >= 1e3 else
                    (f"{v:g}" if isinstance(v, float) else str(v)))
    return f"{p.name}({', '.join(vals)})" if vals else p.name


def file_id(p):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", p.id).strip("_")


def norm_inf(g):
    return float(np.max(np.abs(g))) if np.size(g) else 0.0


def select_problems(names, quick):
    std = problems.standard_matrix()
    if not names:
        return [p for p in std if p.id in _QUICK_PROBLEMS] if quick else std
    out = []
    for name in names:
        hit = [p for p in std if p.name == name or p.id == name]
        out.extend(hit if hit else [problems.get(name)])
    return out


def select_methods(names, quick):
    """Default: every method except the first-order family (``--methods all`` adds it)."""
    if not names and quick:
        names = [m for m, info in METHODS.items() if info.scipy is not None or m == "gd"]
    elif not names:
        names = [m for m, info in METHODS.items() if info.family != "firstorder"]
    elif [n.lower() for n in names] == ["all"]:
        names = list(METHODS)
    out = []
    for name in names:
        key = name.lower()
        if key not in METHODS:
            raise SystemExit(f"unknown method {name!r}; implemented: {', '.join(METHODS)}")
        out.append(key)
    return out


# ---------------------------------------------------------------- BLAS threads

BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_LIMITS = []     # keeps threadpoolctl's limiter alive


def pin_blas(reexec_argv=None):
    """Pin BLAS to one thread by supported means; returns how, for the notes.

    scipy's L-BFGS-B calls BLAS on tiny matrices, where extra threads only add
    latency.  A BLAS reads its thread count when it is loaded, so the
    environment variables work only if set before numpy is imported: they
    are set here for child processes; this process is pinned by
    ``threadpoolctl`` when it is installed, or else, given ``reexec_argv``,
    restarted as ``python -m newtonlab.compare *reexec_argv`` with them set.
    """
    preset = all(os.environ.get(v) == "1" for v in BLAS_VARS)
    for var in BLAS_VARS:
        os.environ[var] = "1"
    if preset:
        return "environment variables set before numpy was loaded"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        if reexec_argv is not None:
            sys.stdout.flush()
            os.execv(sys.executable, [sys.executable, "-m", "newtonlab.compare", *reexec_argv])
        return "not pinned in this process (no threadpoolctl); child processes pinned"
    _LIMITS.append(threadpool_limits(limits=1, user_api="blas"))
    return "threadpoolctl"


# ----------------------------------------------------------- compile warm-up

def warm_jobs(probs, methods):
    """(method, problem spec) for each (args type, method) pair, in first-use order: what
    ``newtonlab.cli.compile_jobs`` compiles ahead, in parallel."""
    jobs, seen = [], set()
    for p in probs:
        args_key = tuple(f"{type(a).__name__}{getattr(a, 'ndim', '')}" for a in p.args)
        for m in methods:
            if (args_key, m) not in seen:
                seen.add((args_key, m))
                jobs.append((m, (p.name, tuple(p.params))))
    return jobs


# ----------------------------------------------------------------- running

def nl_call(p, method, gtol):
    """A zero-argument function running newtonlab on problem p."""
    info = METHODS[method]
    kw = {"jac": p.jac}
    if info.needs_hess:
        kw["hess"] = p.hess
    if info.needs_hessp:
        kw["hessp"] = p.hessp
    opts = {"gtol": gtol}

    def run():
        return minimize(p.fun, p.x0, args=p.args, method=method, options=opts, **kw)
    return run


def sp_call(p, method, gtol, fun=None, jac=None, callback=None):
    """A zero-argument function running scipy's counterpart of ``method``, or None."""
    from scipy.optimize import minimize as sp_minimize
    smeth = METHODS[method].scipy
    if smeth is None:
        return None
    opts, _ = scipy_options(smeth, gtol)
    kw = {"jac": jac or p.jac}
    if smeth in _SCIPY_HESS or (smeth in _SCIPY_HESS_OR_P and METHODS[method].needs_hess):
        kw["hess"] = p.hess
    elif smeth in _SCIPY_HESS_OR_P:
        kw["hessp"] = p.hessp
    f = fun or p.fun

    def run():
        return sp_minimize(f, p.x0.copy(), args=p.args, method=smeth, options=opts,
                           callback=callback, **kw)
    return run


def scipy_traced(p, method, gtol):
    """One scipy run with its per-iteration history recorded through ``callback``.

    Returns the result with ``trace`` (a :class:`newtonlab.Trace` with
    columns iter, f, gnorm, nfev, njev, time) attached.  Evaluations are
    counted by wrapping fun and jac; the gradient norm in the trace is
    computed outside the counters.
    """
    count = {"f": 0, "g": 0}

    def fun(x, *a):
        count["f"] += 1
        return p.fun(x, *a)

    def jac(x, *a):
        count["g"] += 1
        return p.jac(x, *a)
    rows = []
    t0 = [0.0]

    def callback(intermediate_result):
        r = intermediate_result
        x = np.array(r if isinstance(r, np.ndarray) else r.x, dtype=float)
        f = float(r.fun) if not isinstance(r, np.ndarray) and "fun" in r else \
            float(p.fun(x, *p.args))
        g = p.jac(x, *p.args)
        rows.append((len(rows) + 1, f, norm_inf(g), count["f"], count["g"],
                     time.perf_counter() - t0[0]))
    run = sp_call(p, method, gtol, fun=fun, jac=jac, callback=callback)
    x0 = p.x0
    row0 = (0, float(p.fun(x0, *p.args)), norm_inf(p.jac(x0, *p.args)), 1, 1, 0.0)
    t0[0] = time.perf_counter()
    res = run()
    data = np.array([row0] + rows, dtype=float)
    res["trace"] = Trace(data, ("iter", "f", "gnorm", "nfev", "njev", "time"))
    return res


def _timed(fn):
    """(CPU seconds of this thread, wall seconds) of one call."""
    c, w = time.thread_time(), time.perf_counter()
    fn()
    return time.thread_time() - c, time.perf_counter() - w


def time_pair(run_nl, run_sp, budget, min_reps, max_reps=2000):
    """Medians over warm calls, newtonlab and scipy interleaved.

    Returns ((cpu, wall) newtonlab, (cpu, wall) scipy or None, repeats).  CPU
    time of the calling thread is the primary measure: it is what the solve
    costs, and it stays meaningful when other processes share the machine
    (wall time then includes waiting for a core).
    """
    t_nl, t_sp = [], []
    start = time.perf_counter()
    while len(t_nl) < max_reps:
        if len(t_nl) >= min_reps and time.perf_counter() - start > budget:
            break
        t_nl.append(_timed(run_nl))
        if run_sp is not None:
            t_sp.append(_timed(run_sp))
    med = lambda ts: tuple(statistics.median(col) for col in zip(*ts))  # noqa: E731
    return med(t_nl), (med(t_sp) if t_sp else None), len(t_nl)


def compare_one(p, method, gtol, budget, min_reps):
    """All measurements for one (problem, method); returns (row, nl result, scipy result)."""
    fstar = p.fmin
    smeth = METHODS[method].scipy
    row = {"problem": p.id, "n": p.n, "method": method, "scipy_method": smeth or ""}
    run_nl = nl_call(p, method, gtol)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        r = run_nl()
        row["nl_first_call_s"] = time.perf_counter() - t
        run_sp = sp_call(p, method, gtol)
        s = scipy_traced(p, method, gtol) if run_sp is not None else None
        if run_sp is not None:
            run_sp()       # warm scipy too (first calls of the jitted problem functions)
        t_nl, t_sp, reps = time_pair(run_nl, run_sp, budget, min_reps)
        if run_sp is not None:
            s_timed = run_sp()
    row.update(nl_execution=r.get("execution", ""), nl_success=bool(r.success),
               nl_message=r.message, nl_nit=r.nit, nl_nfev=r.nfev, nl_njev=r.njev,
               nl_nhev=r.get("nhev", 0), nl_f=r.fun,
               nl_err=abs(r.fun - fstar) if fstar is not None else math.nan,
               nl_gnorm=norm_inf(r.jac), nl_time_s=t_nl[0], nl_wall_s=t_nl[1], reps=reps)
    if s is not None:
        row.update(sp_success=bool(s_timed.success), sp_message=str(s_timed.message),
                   sp_nit=s_timed.nit, sp_nfev=s_timed.nfev, sp_njev=s_timed.get("njev", 0),
                   sp_nhev=s_timed.get("nhev", 0), sp_f=float(s_timed.fun),
                   sp_err=abs(s_timed.fun - fstar) if fstar is not None else math.nan,
                   sp_gnorm=norm_inf(p.jac(s_timed.x, *p.args)), sp_time_s=t_sp[0],
                   sp_wall_s=t_sp[1], ratio=t_sp[0] / t_nl[0] if t_nl[0] > 0 else math.nan,
                   ratio_wall=t_sp[1] / t_nl[1] if t_nl[1] > 0 else math.nan)
    return row, r, s
