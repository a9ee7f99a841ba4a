"""The compile warm-up machinery behind ``newtonlab warmup`` (and the sweeps' and
``newtonlab compare``'s compile step), apart from the command line so that worker processes
import only this and not the CLI (click).

``warmup`` compiles every method of :data:`newtonlab.METHODS` into numba's
disk cache before first use, in parallel worker processes: each worker runs
one tiny compiled :func:`newtonlab.minimize` per method (a jitted 2-D
quadratic with ``jac``, plus ``hess`` / ``hessp`` where the method uses them,
``args=()``), which compiles the method's ``solve`` exactly as a user's first
call would.  Later processes load it in a fraction of a second.

A job is one method and the problems whose args types it runs on, in order, in one
worker: every args type runs the method's one compiled ``solve``
(``_engine/context.py``), so a job compiles it once and the other args types add only
their adapters; two workers never compile the same ``solve`` at once.

:func:`compile_jobs` is the same machinery for any list of such jobs;
:mod:`newtonlab.sweep` calls :func:`warm_one` in its own workers.

A note on parallel compiles: numba's cache index (one ``.nbi`` file per
function) is read, updated and replaced without a lock (numba issue #4807), so
two processes that save *different signatures of the same function* in the
same instant can lose one entry (it is then compiled again on its next use).
Each method's ``solve`` lives in its own module, so workers mostly write
different index files; the shared kernels are compiled with the same
signatures by every method.  ``--jobs 1`` compiles in one process.
"""
import sys
import time

import numpy as np

from ._engine.config import jit

#: the one-line counter's width in methods' names
_NAME_WIDTH = 18


# ----------------------------------------------------------- worker side

@jit
def _quad(x):
    """The warm-up objective f = (x0^2 + 10 x1^2) / 2 (cached, like its derivatives)."""
    return 0.5 * (x[0] * x[0] + 10.0 * x[1] * x[1])


@jit
def _quad_jac(x):
    return np.array([x[0], 10.0 * x[1]])


@jit
def _quad_hess(x):
    return np.array([[1.0, 0.0], [0.0, 10.0]])


@jit
def _quad_hessp(x, p):
    return np.array([p[0], 10.0 * p[1]])


def _objective(problem):
    """(fun, jac, hess, hessp, x0, args) of the warm-up quadratic or of a library problem
    given as ``(name, params)``."""
    if problem is None:
        return _quad, _quad_jac, _quad_hess, _quad_hessp, np.array([1.0, 1.0]), ()
    from . import problems
    p = problems.get(problem[0], **dict(problem[1]))
    return p.fun, p.jac, getattr(p, "hess", None), getattr(p, "hessp", None), p.x0, p.args


def warm_one(method, problems=(None,)):
    """Compile ``method`` for the args type of each of ``problems`` (None: ``args=()``;
    else ``(name, params)`` of a library problem) by short compiled runs; returns
    (seconds, error message or None)."""
    import warnings

    from . import METHODS, minimize
    from ._engine.signatures import compile_notice
    compile_notice.enabled = False           # the parent reports progress
    t = time.perf_counter()
    error = None
    try:
        m = METHODS[method]
        for problem in problems:         # in order: args=() first, then the others' adapters
            fun, jac, hess, hessp, x0, args = _objective(problem)
            for v in m.variants:         # one run per compiled entry of the method
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = minimize(
                        fun, x0, args=args, method=method, jac=jac,
                        hess=hess if m.needs_hess and v.get("hess", True) else None,
                        hessp=hessp if m.needs_hessp and v.get("hessp", True) else None,
                        # a finite box selects the bounded loop (lbfgs: L-BFGS-B)
                        bounds=[(-1e3, 1e3)] * x0.size if v.get("bounds") else None,
                        options={"maxiter": 2, "execution": "compiled", **v.get("options", {})})
                if res.execution != "compiled":
                    error = "ran interpreted"
    except Exception as exc:                  # reported by the parent, per method
        error = f"{type(exc).__name__}: {exc}"
    return time.perf_counter() - t, error


# ----------------------------------------------------------- parent side

class _Progress:
    """tqdm when installed (``pip install newtonlab[progress]``); else a one-line ``\\r``
    counter on a terminal, or one plain line per finished job."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.done, self.stream = total, 0, stream
        try:
            from tqdm import tqdm
            self.bar = tqdm(total=total, unit="method", desc="compiling", file=stream)
        except ImportError:
            self.bar = None
        self.tty = stream.isatty()

    def update(self, label, seconds, error):
        self.done += 1
        state = f"{seconds:.1f} s" if error is None else "FAILED"
        if self.bar is not None:
            self.bar.set_postfix_str(f"{label} {state}")
            self.bar.update(1)
        elif self.tty:
            self.stream.write(f"\r[{self.done}/{self.total}] {label:<{_NAME_WIDTH}} {state:<8}")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {label} {state}\n")
        self.stream.flush()

    def close(self):
        if self.bar is not None:
            self.bar.close()
        elif self.tty:
            self.stream.write("\n")
            self.stream.flush()


def compile_jobs(jobs, workers, progress=True):
    """Run :func:`warm_one` for each ``(method, problems)`` of ``jobs`` in ``workers``
    processes; returns ``{(method, problems): (seconds, error)}``.

    Workers are fresh interpreters (``spawn``: no fork of a process holding
    LLVM state) that each import newtonlab once and take jobs in order.
    """
    import concurrent.futures as cf
    import multiprocessing as mp
    bar = _Progress(len(jobs)) if progress else None
    out = {}
    if workers <= 1:
        for job in jobs:
            out[job] = warm_one(*job)
            if bar:
                bar.update(_label(job), *out[job])
    else:
        pool = cf.ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"))
        try:
            futures = {pool.submit(warm_one, *job): job for job in jobs}
            for fut in cf.as_completed(futures):
                job = futures[fut]
                try:
                    out[job] = fut.result()
                except Exception as exc:          # a worker died (e.g. out of memory)
                    out[job] = (0.0, f"worker failed: {exc}")
                if bar:
                    bar.update(_label(job), *out[job])
        except KeyboardInterrupt:
            # Ctrl-C: drop the queued jobs and stop the workers now (a plain shutdown
            # would wait for every queued compilation, minutes)
            pool.shutdown(wait=False, cancel_futures=True)
            for child in mp.active_children():
                child.terminate()
            raise
        pool.shutdown()
    if bar:
        bar.close()
    return out


def _label(job):
    method, problems = job
    names = [p[0] for p in problems if p is not None]
    return method if not names else f"{method} (+ {', '.join(names)})"
