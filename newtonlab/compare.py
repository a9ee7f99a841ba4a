"""newtonlab versus scipy.optimize on the built-in problems.

Run ``python -m newtonlab.compare`` (``--help`` for the options).  For every
problem of :func:`newtonlab.problems.standard_matrix` and every method of
:data:`newtonlab.METHODS` (except the first-order family unless ``--methods
all``) it runs ``newtonlab.minimize`` and, where the method has a scipy
counterpart (``METHODS[name].scipy``), ``scipy.optimize.minimize`` from the
same ``x0`` with comparable tolerances.  It prints a table and writes to
``--out`` (default ``./newtonlab-out``):

* ``compare.csv``: one row per (problem, method): success, nit, nfev, njev,
  final f, |f - f*|, final gradient norm, warm solve time of each (CPU and
  wall), newtonlab's first call (compile / warm-up) and the speed ratio;
* ``compare.md``: the same table and the notes on tolerances and timing;
* ``convergence_<problem>.png``: f - f* against the iteration for every run
  (newtonlab solid, scipy dashed in the same colour; scipy's trace is recorded
  with its ``callback``), methods without a scipy counterpart in a second panel;
* ``summary.png``: speed ratio and evaluation ratio of every pair.

How the runs are made comparable
--------------------------------
Both sides get the same jitted problem functions (``p.fun``, ``p.jac``, and
``p.hess`` or ``p.hessp`` where the method uses them), the same ``x0`` and the
same ``gtol`` (default 1e-5).  Iteration limits stay at both libraries'
defaults, which agree (200 n for BFGS and Newton-type methods, 15000 for
L-BFGS).  Per scipy method (:data:`SCIPY_TOLERANCES`):

* ``BFGS``, ``CG``: ``gtol``; both test ``||g||_inf <= gtol``.
* ``L-BFGS-B``: ``gtol`` (projected gradient: ``||g||_inf`` without bounds)
  and ``ftol=0``, which turns off scipy's relative-reduction stop (default
  2.2e-9), so both stop on the gradient test; newtonlab's own ``ftol`` stall
  test is off by default.
* ``trust-exact`` (and the other trust-region methods): ``gtol``, but scipy
  tests ``||g||_2 < gtol``, up to sqrt(n) stricter; the final gradient norms
  are reported so the difference shows.
* ``Newton-CG``: scipy has no gradient test; it stops when the mean absolute
  step falls below ``xtol``, which is set to ``gtol``.

Timing: the first newtonlab call of each (problem, method) is reported apart
as "first call" (wall clock: it includes compiling, or loading from the disk
cache, the driver for the problem's ``args`` type and the problem's
functions).  Solve times are medians over repeated warm calls of the CPU time
of the calling thread (wall-clock medians are in the CSV), newtonlab and scipy
interleaved.  BLAS is pinned to one thread for the whole run (scipy's
L-BFGS-B calls BLAS on tiny matrices, where extra threads only add latency).

With a cold numba cache most of a run is compiling drivers; a helper process
compiles the later (args type, driver) pairs in parallel (``--jobs 2``, the
default), which roughly halves the wall time of a cold run on two cores.
"""
from __future__ import annotations

import argparse
import csv
import ctypes
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings

import numpy as np

from . import METHODS, minimize, problems
from ._result import Trace

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


# ------------------------------------------------------------------ helpers

def single_thread_blas():
    """Pin every loaded OpenBLAS to one thread (ctypes; no extra dependency).

    Returns the number of libraries changed.  The environment variables are
    set too, for child processes.
    """
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    done = 0
    try:
        with open("/proc/self/maps") as fh:
            libs = {line.split()[-1] for line in fh if "openblas" in line and ".so" in line}
    except OSError:
        return 0
    for lib in sorted(libs):
        try:
            handle = ctypes.CDLL(lib)
        except OSError:
            continue
        for name in ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                     "openblas_set_num_threads64_", "openblas_set_num_threads"):
            fn = getattr(handle, name, None)
            if fn is not None:
                fn.argtypes = [ctypes.c_int]
                fn(1)
                done += 1
                break
    return done


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


def fmt_time(t):
    if t is None or not math.isfinite(t):
        return "-"
    if t < 1e-3:
        return f"{t * 1e6:.0f} us"
    if t < 1.0:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


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
        names = [m for m, info in METHODS.items() if info.kind != "firstorder"]
    elif [n.lower() for n in names] == ["all"]:
        names = list(METHODS)
    out = []
    for name in names:
        key = name.lower()
        if key not in METHODS:
            raise SystemExit(f"unknown method {name!r}; implemented: {', '.join(METHODS)}")
        out.append(key)
    return out


# ------------------------------------------------- parallel compile warm-up
#
# With a cold numba cache most of the run is compiling: one driver per runner
# kind and per ``args`` type (a few tens of seconds each).  A helper process
# compiles, in the order this process will need them, every (args type,
# driver) pair except the first, so on a 2-core machine the two compile in
# parallel; this process waits for a pair the helper owns instead of compiling
# it a second time, and then loads it from the disk cache.  numba's cache
# index is read-modify-written without a lock, so both processes serialize
# their cache reads and writes on one lock file.

def _driver_key(method):
    """Which compiled driver a method runs (gd with default options: the line-search one)."""
    kind = METHODS[method].kind
    return "linesearch" if kind == "gd" else kind


def _args_key(p):
    return tuple(f"{type(a).__name__}{getattr(a, 'ndim', '')}" for a in p.args)


def warm_jobs(probs, methods):
    """(key, problem, method) for each (args type, driver) pair, in first-use order."""
    jobs, seen = [], set()
    for p in probs:
        for m in methods:
            key = (_args_key(p), _driver_key(m))
            if key not in seen:
                seen.add(key)
                jobs.append((key, p, m))
    return jobs


def serialize_numba_cache_io():
    """Hold an exclusive file lock around numba's cache index reads and writes."""
    import fcntl

    from numba.core import caching
    cls = caching.IndexDataCacheFile
    if getattr(cls, "_newtonlab_locked", False):
        return
    lock_path = os.path.join(tempfile.gettempdir(), f"newtonlab-compare-{os.getuid()}.lock")

    def wrap(fn):
        def locked(self, *args, **kwargs):
            with open(lock_path, "a") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    return fn(self, *args, **kwargs)
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
        return locked
    cls.save = wrap(cls.save)
    cls.load = wrap(cls.load)
    cls._newtonlab_locked = True


class WarmupHelper:
    """A child process compiling jobs[1:]; ``wait(key)`` blocks until it has done ``key``."""

    def __init__(self, jobs, gtol):
        self.keys = {key: i for i, (key, _, _) in enumerate(jobs)}
        self.done = set()
        self.cond = threading.Condition()
        spec = [[p.name, dict(p.params), m] for _, p, m in jobs]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newtonlab.compare", "--warmup-helper", json.dumps(spec),
             "--gtol", repr(gtol)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("DONE"):
                with self.cond:
                    self.done.add(int(line.split()[1]))
                    self.cond.notify_all()
        with self.cond:
            self.done = None      # helper gone: stop waiting for it
            self.cond.notify_all()

    def wait(self, p, method):
        i = self.keys.get((_args_key(p), _driver_key(method)))
        if not i:                  # job 0 (or unknown) belongs to this process
            return 0.0
        t = time.perf_counter()
        with self.cond:
            while self.done is not None and i not in self.done:
                self.cond.wait()
        return time.perf_counter() - t

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def warmup_helper_main(spec, gtol):
    """Child side: compile jobs 1.. by a one-iteration run each, saying DONE i after each."""
    serialize_numba_cache_io()
    for i, (name, params, method) in enumerate(spec):
        if i == 0:
            continue
        p = problems.get(name, **params)
        info = METHODS[method]
        kw = {"jac": p.jac}
        if info.needs_hess:
            kw["hess"] = p.hess
        if info.needs_hessp:
            kw["hessp"] = p.hessp
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                minimize(p.fun, p.x0, args=p.args, method=method,
                         options={"gtol": gtol, "maxiter": 1}, **kw)
        except Exception:          # main will meet (and report) the same error
            pass
        print(f"DONE {i}", flush=True)


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


def compare_one(p, method, gtol, budget, min_reps, helper=None):
    """All measurements for one (problem, method); returns (row, nl result, scipy result)."""
    fstar = p.fmin
    smeth = METHODS[method].scipy
    row = {"problem": p.id, "n": p.n, "method": method, "scipy_method": smeth or ""}
    run_nl = nl_call(p, method, gtol)
    waited = helper.wait(p, method) if helper is not None else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        r = run_nl()
        row["nl_first_call_s"] = time.perf_counter() - t + waited
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


# ----------------------------------------------------------------- figures

def _colors():
    from matplotlib import colormaps
    return colormaps["tab10"].colors + colormaps["Dark2"].colors


def plot_problem(p, runs, path, gtol):
    """f - f* vs iteration: pairs (newtonlab solid, scipy dashed) left, solo methods right."""
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from .plotting import plot_convergence
    pair_colors = colormaps["tab10"].colors
    solo_colors = colormaps["tab20"].colors[::2] + colormaps["tab20"].colors[1::2]
    pairs, solo, styles_p, styles_s = {}, {}, {}, {}
    scipy_label = {}            # scipy method -> its label (one line even if shared)
    for method, (r, s) in runs.items():
        if s is not None:
            c = pair_colors[(len(pairs) - len(scipy_label)) % len(pair_colors)]
            lab_n = f"newtonlab {method}"
            pairs[lab_n] = r
            styles_p[lab_n] = {"color": c, "linestyle": "-", "marker": "o"}
            smeth = METHODS[method].scipy
            if smeth not in scipy_label:
                scipy_label[smeth] = lab_s = f"scipy {smeth}"
                pairs[lab_s] = s
                styles_p[lab_s] = {"color": c, "linestyle": "--", "marker": "s",
                                   "markerfacecolor": "none"}
            else:               # shared counterpart: say so in its label
                old = scipy_label[smeth]
                new = (old + f", {method})" if old.endswith(")") else
                       old + f" (also vs {method})")
                pairs = {(new if k == old else k): v for k, v in pairs.items()}
                styles_p[new] = styles_p.pop(old)
                scipy_label[smeth] = new
        else:
            solo[method] = r
            styles_s[method] = {"color": solo_colors[(len(solo) - 1) % len(solo_colors)]}
    ncol = int(bool(pairs)) + int(bool(solo))
    fig = Figure(figsize=(6.6 * ncol, 6.2), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncol, squeeze=False)[0]
    k = 0
    if pairs:
        plot_convergence(pairs, fstar=p.fmin, ax=axes[k], styles=styles_p, legend_loc="below",
                         title="with a scipy counterpart: newtonlab solid, scipy dashed")
        k += 1
    if solo:
        plot_convergence(solo, fstar=p.fmin, ax=axes[k], styles=styles_s, legend_loc="below",
                         title="without a scipy counterpart (newtonlab only)")
    for ax in axes:
        # runs take from 1 to thousands of iterations: linear start, log tail
        ax.set_xscale("symlog", linthresh=10, linscale=0.6)
        ax.set_xlim(left=0)
        ax.set_xlabel("iteration (linear to 10, then log)")
    fstar = "unknown" if p.fmin is None else f"{p.fmin:.6g}"
    fig.suptitle(f"{p.id}: f - f* against iteration (f* = {fstar}), gtol = {gtol:g}",
                 fontsize="medium")
    fig.savefig(path, dpi=110)
    return fig


def plot_summary(rows, path, gtol):
    """Per pair: warm-time speed ratio (scipy / newtonlab) and nfev ratio, log scale."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    pairs = [r for r in rows if r.get("scipy_method") and "ratio" in r]
    fig = Figure(figsize=(11, 7.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    if not pairs:
        ax1.text(0.5, 0.5, "no method with a scipy counterpart was run", ha="center",
                 transform=ax1.transAxes)
        fig.savefig(path, dpi=110)
        return fig
    probs = list(dict.fromkeys(r["problem"] for r in pairs))
    labels = list(dict.fromkeys(r["label"] for r in pairs))
    meths = list(dict.fromkeys(r["method"] for r in pairs))
    colors = _colors()       # same order as the pairs in the per-problem figures
    width = 0.8 / len(meths)
    all_sp, all_ev, handles = [], [], []
    for j, m in enumerate(meths):
        c = colors[j % len(colors)]
        xs, sp, ev, hatch = [], [], [], []
        for r in pairs:
            if r["method"] != m:
                continue
            xs.append(probs.index(r["problem"]) - 0.4 + (j + 0.5) * width)
            sp.append(r["ratio"])
            ev.append(r["nl_nfev"] / r["sp_nfev"] if r["sp_nfev"] else math.nan)
            hatch.append("" if r["nl_success"] and r["sp_success"] else "///")
        lab = f"{m} vs {METHODS[m].scipy}"
        ax1.bar(xs, sp, width=width * 0.9, color=c, hatch=hatch, edgecolor="white")
        handles.append(Patch(facecolor=c, label=lab))
        ax2.bar(xs, ev, width=width * 0.9, color=c, hatch=hatch, edgecolor="white")
        all_sp += [v for v in sp if v > 0 and math.isfinite(v)]
        all_ev += [v for v in ev if v > 0 and math.isfinite(v)]
        for x, v in zip(xs, sp):
            ax1.annotate(f"{v:.0f}" if v >= 10 else f"{v:.2g}", (x, v), ha="center",
                         va="bottom", fontsize=6.5, rotation=90, xytext=(0, 2),
                         textcoords="offset points")
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    for ax in (ax1, ax2):
        ax.set_yscale("log")
        ax.axhline(1.0, color="k", linewidth=0.8)
        ax.grid(True, axis="y", which="major", alpha=0.3)
    ax1.set_ylabel("speed-up  t_scipy / t_newtonlab\n(warm solves, median CPU time)")
    if all_sp:
        ax1.set_ylim(min(min(all_sp) / 2, 0.5), max(max(all_sp) * 6, 20.0))
    fig.legend(handles=handles, fontsize="small", ncol=min(len(meths), 4),
               loc="outside lower center")
    ax1.set_title("above 1: newtonlab faster", fontsize="small", loc="right")
    ax2.set_ylabel("evaluations  nfev_newtonlab / nfev_scipy")
    ax2.set_title("above 1: newtonlab uses more function evaluations", fontsize="small",
                  loc="right")
    ax2.set_xticks(range(len(probs)), labels, rotation=25, ha="right")
    if all_ev:
        ax2.set_ylim(min(min(all_ev) / 1.5, 0.4), max(max(all_ev) * 1.5, 2.5))
    ax2.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax2.yaxis.set_minor_formatter(NullFormatter())
    ax1.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    fig.suptitle(f"newtonlab (jitted objective, compiled loop) vs scipy.optimize, same x0, "
                 f"gtol = {gtol:g}; hatched: newtonlab or scipy did not converge",
                 fontsize="medium")
    fig.savefig(path, dpi=110)
    return fig


# ------------------------------------------------------------------ output

COLUMNS = ["problem", "n", "method", "scipy_method", "nl_execution", "nl_success", "sp_success",
           "nl_nit", "sp_nit", "nl_nfev", "sp_nfev", "nl_njev", "sp_njev", "nl_nhev", "sp_nhev",
           "nl_f", "sp_f", "nl_err", "sp_err", "nl_gnorm", "sp_gnorm", "nl_time_s", "sp_time_s",
           "ratio", "nl_wall_s", "sp_wall_s", "ratio_wall", "nl_first_call_s", "reps",
           "nl_message", "sp_message", "error"]


def _pair(a, b, fmt="{}"):
    sa = "-" if a is None or a == "" else fmt.format(a)
    return sa if b is None or b == "" else f"{sa}/{fmt.format(b)}"


def _sci(v):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1e}"


def table_lines(rows):
    """The terminal table, one line per (problem, method); a/b = newtonlab/scipy."""
    head = ("problem", "method", "scipy", "success", "nit", "nfev", "njev", "f (newtonlab)",
            "|f-f*| nl/sp", "t newtonlab", "t scipy", "ratio", "first call")
    body = []
    for r in rows:
        if r.get("error"):
            body.append((r["label"], r["method"], r["scipy_method"] or "-", "ERROR", "", "", "",
                         "", "", "", "", "", r["error"][:60]))
            continue
        ok = lambda v: "-" if v is None else ("yes" if v else "NO")  # noqa: E731
        body.append((r["label"], r["method"], r["scipy_method"] or "-",
                     _pair(ok(r["nl_success"]), ok(r.get("sp_success")) if r["scipy_method"]
                           else None),
                     _pair(r["nl_nit"], r.get("sp_nit")), _pair(r["nl_nfev"], r.get("sp_nfev")),
                     _pair(r["nl_njev"], r.get("sp_njev")), f"{r['nl_f']:.6g}",
                     _pair(_sci(r["nl_err"]), _sci(r["sp_err"]) if "sp_err" in r else None),
                     fmt_time(r["nl_time_s"]), fmt_time(r.get("sp_time_s")),
                     f"x{r['ratio']:.3g}" if "ratio" in r else "-",
                     fmt_time(r["nl_first_call_s"])))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*map(str, b)) for b in body]
    return lines


def notes(gtol, methods, blas_libs):
    out = [f"gtol = {gtol:g} for both libraries, same x0, same jitted fun/jac/hess; "
           "iteration limits at both libraries' defaults.",
           "scipy tolerances per method:"]
    for m in methods:
        s = METHODS[m].scipy
        if s is None:
            out.append(f"  {m}: no scipy counterpart (newtonlab only)")
        else:
            opts, how = scipy_options(s, gtol)
            opts = ", ".join(f"{k}={v!r}" for k, v in opts.items())
            out.append(f"  {m} <-> {s}: options {{{opts}}}; {how}")
    out.append("times: medians of the CPU time of warm calls (newtonlab and scipy interleaved; "
               "wall-clock medians are in the CSV); 'first call' = newtonlab's first call of "
               "that (problem, method) in this process (wall), including compile or disk-cache "
               "load; ratio = t_scipy / t_newtonlab.")
    out.append(f"BLAS pinned to 1 thread ({blas_libs} OpenBLAS libraries set); "
               "a/b columns = newtonlab/scipy.")
    return out


def write_csv(rows, path):
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


def write_md(rows, path, note_lines, elapsed, compile_total):
    lines = ["# newtonlab vs scipy.optimize", ""]
    lines += [f"- {ln.strip()}" if not ln.startswith("  ") else f"  - {ln.strip()}"
              for ln in note_lines]
    lines += [f"- total run time {elapsed:.1f} s, of which newtonlab first calls "
              f"(compile / cache load) {compile_total:.1f} s", "", "```"]
    lines += table_lines(rows) + ["```", ""]
    with open(path, "w") as fh:
        fh.write("\n".join(lines))


# -------------------------------------------------------------------- main

def run_all(probs, methods, a, budget, min_reps, helper):
    """Every (problem, method): measure, print progress, plot per problem."""
    rows, figs = [], []
    for p in probs:
        runs = {}
        for m in methods:
            try:
                row, r, s = compare_one(p, m, a.gtol, budget, min_reps, helper)
                runs[m] = (r, s)
            except Exception as exc:   # one failing pair must not stop the study
                row = {"problem": p.id, "n": p.n, "method": m,
                       "scipy_method": METHODS[m].scipy or "",
                       "error": f"{type(exc).__name__}: {exc}"}
            row["label"] = short_id(p)
            rows.append(row)
            done = (f"x{row['ratio']:.3g}" if "ratio" in row else
                    row.get("error", "newtonlab only")[:70])
            print(f"  {p.id:<38} {m:<16} {done}", flush=True)
        if runs:
            png = os.path.join(a.out, f"convergence_{file_id(p)}.png")
            plot_problem(p, runs, png, a.gtol)
            figs.append(png)
    return rows, figs


def main(argv=None):
    t_start = time.perf_counter()
    ap = argparse.ArgumentParser(
        prog="python -m newtonlab.compare",
        description="Run newtonlab and scipy.optimize on the built-in problems; print a "
                    "table, write CSV, markdown and convergence plots.")
    ap.add_argument("--problems", nargs="+", metavar="NAME",
                    help="problem names or ids (default: problems.standard_matrix(); a name "
                         "selects every standard instance of that problem)")
    ap.add_argument("--methods", nargs="+", metavar="M",
                    help="newtonlab methods, or 'all' (default: every method of "
                         "newtonlab.METHODS except the first-order family (momentum, adam, ...), "
                         "which has no scipy counterpart and whose driver adds ~25 s of "
                         "compiling to a cold run)")
    ap.add_argument("--out", default="./newtonlab-out", help="output directory "
                    "(default ./newtonlab-out)")
    ap.add_argument("--quick", action="store_true",
                    help="4 problems, gd and the methods with a scipy counterpart only, short "
                         "timing (~0.03 s per pair)")
    ap.add_argument("--gtol", type=float, default=GTOL, help="gradient tolerance (default 1e-5)")
    ap.add_argument("--budget", type=float, default=None,
                    help="seconds of timing repeats per (problem, method) (default 0.1; "
                         "--quick 0.03)")
    ap.add_argument("--jobs", type=int, default=2, choices=(1, 2),
                    help="2 (default): compile in a helper process in parallel (pays off "
                         "with a cold numba cache); 1: everything in this process")
    ap.add_argument("--warmup-helper", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.warmup_helper:
        warmup_helper_main(json.loads(a.warmup_helper), a.gtol)
        return 0
    blas = single_thread_blas()
    probs = select_problems(a.problems, a.quick)
    methods = select_methods(a.methods, a.quick)
    budget = a.budget if a.budget is not None else (0.03 if a.quick else 0.1)
    min_reps = 1 if a.quick else 3
    os.makedirs(a.out, exist_ok=True)
    note_lines = notes(a.gtol, methods, blas)
    for ln in note_lines:
        print(ln)
    print(flush=True)
    jobs = warm_jobs(probs, methods)
    helper = None
    if a.jobs == 2 and len(jobs) > 1:
        serialize_numba_cache_io()
        helper = WarmupHelper(jobs, a.gtol)
    try:
        rows, figs = run_all(probs, methods, a, budget, min_reps, helper)
    finally:
        if helper is not None:
            helper.close()
    png = os.path.join(a.out, "summary.png")
    plot_summary(rows, png, a.gtol)
    figs.append(png)
    csv_path = os.path.join(a.out, "compare.csv")
    write_csv(rows, csv_path)
    elapsed = time.perf_counter() - t_start
    first = sum(r.get("nl_first_call_s", 0.0) - r.get("nl_time_s", 0.0) for r in rows
                if "nl_first_call_s" in r)
    write_md(rows, os.path.join(a.out, "compare.md"), note_lines, elapsed, first)
    print()
    print("\n".join(table_lines(rows)))
    print()
    print(f"newtonlab first calls beyond a warm solve (compile / cache load): {first:.1f} s")
    print(f"wrote {csv_path}, compare.md and {len(figs)} PNG files to {a.out}")
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"total {elapsed:.1f} s wall; CPU {me.ru_utime + me.ru_stime:.1f} s in this process, "
          f"{kids.ru_utime + kids.ru_stime:.1f} s in the compile helper; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
