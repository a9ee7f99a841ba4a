"""The ``newtonlab`` command (also ``python -m newtonlab``): ``warmup``, ``compare``, ``list``.

``warmup`` compiles every method of :data:`newtonlab.METHODS` into numba's
disk cache before first use, in parallel worker processes: each worker runs
one tiny compiled :func:`newtonlab.minimize` per method (a jitted 2-D
quadratic with ``jac``, plus ``hess`` / ``hessp`` where the method uses them,
``args=()``), which compiles the method's ``solve`` for the standard objective
signatures exactly as a user's first call would.  Later processes load it in
a fraction of a second.

:func:`compile_jobs` is the same machinery for any list of (method, problem)
pairs; ``python -m newtonlab.compare`` uses it for the problems' args types.

A note on parallel compiles: numba's cache index (one ``.nbi`` file per
function) is read, updated and replaced without a lock (numba issue #4807), so
two processes that save *different signatures of the same function* in the
same instant can lose one entry (it is then compiled again on its next use).
Each method's ``solve`` lives in its own module, so workers mostly write
different index files; the shared kernels are compiled with the same
signatures by every method.  ``--jobs 1`` compiles in one process.
"""
import argparse
import os
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


def warm_one(method, problem=None):
    """Compile ``method`` for the args type of ``problem`` (None: ``args=()``) by one short
    compiled run; returns (seconds, error message or None)."""
    import warnings

    from . import METHODS, minimize
    from ._engine.signatures import compile_notice
    compile_notice.enabled = False           # the parent reports progress
    t = time.perf_counter()
    try:
        fun, jac, hess, hessp, x0, args = _objective(problem)
        m = METHODS[method]
        error = None
        for v in m.variants:                 # one run per compiled entry of the method
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = minimize(fun, x0, args=args, method=method, jac=jac,
                               hess=hess if m.needs_hess and v.get("hess", True) else None,
                               hessp=hessp if m.needs_hessp and v.get("hessp", True) else None,
                               options={"maxiter": 2, **v.get("options", {})})
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
    """Run :func:`warm_one` for each ``(method, problem)`` of ``jobs`` in ``workers``
    processes; returns ``{(method, problem): (seconds, error)}``.

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
    method, problem = job
    return method if problem is None else f"{method} on {problem[0]}"


def warmup(argv=None):
    """``newtonlab warmup``: compile every method ahead of use; returns the exit code."""
    ap = argparse.ArgumentParser(
        prog="newtonlab warmup",
        description="Compile every newtonlab method into numba's disk cache "
                    "(NUMBA_CACHE_DIR, else __pycache__ beside the sources), in parallel, "
                    "so that first calls load instead of compiling.")
    ap.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                    help="worker processes (default: the number of cores, %(default)s)")
    ap.add_argument("--methods", nargs="+", metavar="M",
                    help="only these methods (default: every method of newtonlab.METHODS)")
    ap.add_argument("--problems", nargs="+", metavar="P", default=[],
                    help="also compile for the args type of these library problems "
                         "(e.g. quadratic: args (A, b)); each args type is one more "
                         "compilation of every method")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar or counter")
    a = ap.parse_args(argv)
    import numba

    from . import METHODS
    if numba.config.DISABLE_JIT:
        print("NUMBA_DISABLE_JIT is set: nothing is compiled, nothing to warm up")
        return 0
    methods = list(METHODS) if not a.methods else [m.lower() for m in a.methods]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        ap.error(f"unknown method(s) {unknown}; implemented: {', '.join(METHODS)}")
    jobs = [(m, None) for m in methods] + [(m, (p, ())) for p in a.problems for m in methods]
    workers = max(1, min(a.jobs, len(jobs)))
    print(f"compiling {len(methods)} methods"
          + (f" for {1 + len(a.problems)} args types" if a.problems else "")
          + f" in {workers} process(es)", flush=True)
    t0 = time.perf_counter()
    out = compile_jobs(jobs, workers, progress=not a.no_progress)
    wall = time.perf_counter() - t0
    failed = 0
    for job in jobs:
        seconds, error = out[job]
        print(f"  {_label(job):<{_NAME_WIDTH}} {seconds:6.1f} s"
              + (f"  FAILED: {error}" if error else ""))
        failed += error is not None
    total = sum(s for s, _ in out.values())
    print(f"{wall:.1f} s wall for {total:.1f} s of compiling"
          + (f"; {failed} failed" if failed else ""))
    return 1 if failed else 0


def compare(argv=None):
    """``newtonlab compare``: newtonlab against scipy.optimize on the built-in problems.

    Runs ``python -m newtonlab.compare`` in its own process, which pins BLAS to one
    thread before numpy is loaded (``newtonlab compare --help`` for its options).
    """
    import subprocess
    return subprocess.call([sys.executable, "-m", "newtonlab.compare", *(argv or [])])


def list_(argv=None):
    """``newtonlab list [methods|problems]``: what is implemented, with defaults or labels."""
    import textwrap
    ap = argparse.ArgumentParser(prog="newtonlab list",
                                 description="List the methods (with every option's default) "
                                             "or the problems (with their labels).")
    ap.add_argument("what", nargs="?", choices=("methods", "problems"), default="methods")
    a = ap.parse_args(argv)
    if a.what == "methods":
        from . import METHODS
        for name, m in METHODS.items():
            print(f"{name:<{_NAME_WIDTH + 2}}{m.family:<13}{m.summary}")
            opts = ", ".join(f"{k}={v!r}" for k, v in m.defaults.items())
            print(textwrap.fill(opts, width=100, initial_indent="    ",
                                subsequent_indent="    "))
    else:
        from . import problems
        for name in problems.names():
            p = problems.get(name)
            print(f"{name:<{_NAME_WIDTH + 2}}n = {p.n:<5d}{', '.join(p.labels)}")
    return 0


COMMANDS = {"warmup": warmup, "compare": compare, "list": list_}
_HELP = ("warmup: compile every method ahead of use; compare: newtonlab against "
         "scipy.optimize; list: the methods and problems (newtonlab COMMAND --help)")


def main(argv=None):
    """Entry point of the ``newtonlab`` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    ap = argparse.ArgumentParser(prog="newtonlab", description="newtonlab command line.")
    ap.add_argument("command", choices=sorted(COMMANDS), help=_HELP)
    if not argv or argv[0] in ("-h", "--help"):
        ap.print_help()
        return 0 if argv else 2
    if argv[0] not in COMMANDS:
        ap.parse_args(argv[:1])                   # prints the usage error, exits 2
    try:
        return COMMANDS[argv[0]](argv[1:])
    except KeyboardInterrupt:
        print("\nnewtonlab: interrupted", file=sys.stderr)
        return 130                                # the shell's code for SIGINT
    except BrokenPipeError:                       # a reader (`| head`) closed the pipe
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
