"""Running a sweep: the output directory's rules, the compile step, progress, the summary.

Why the rules on the output directory: ``runs.jsonl`` is only meaningful together with the
configuration that produced it.  So ``DIR/config.toml`` is a copy of the config; a second
run into the same DIR must be a ``--resume`` of the same configuration (compared as parsed
TOML, so comments and layout may change), else it is refused with a message saying why.
``--resume`` compacts runs.jsonl (see :mod:`~newtonlab.sweep.records`), skips the tasks
with a finished record and runs the rest, failed ones (error, timeout) included.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
import tomllib
from dataclasses import dataclass

try:
    import fcntl
except ImportError:         # Windows
    fcntl = None

from . import records
from .backends import BackendError, make_backend
from .config import ConfigError, load_config
from .tasks import expand


class SweepError(Exception):
    """The sweep cannot run: a configuration error, an output directory conflict, a
    missing backend.  The message says what to change.

    Raised by :func:`run_sweep` before any task runs (a :class:`ConfigError` of the
    configuration is re-raised as a ``SweepError`` with the same message), or when the
    backend fails.

    Examples
    --------
    >>> run_sweep("no/such/sweep.toml", "out")
    Traceback (most recent call last):
        ...
    newtonlab.sweep.runner.SweepError: [Errno 2] No such file or directory: 'no/such/sweep.toml'
    """


@dataclass
class Summary:
    """What :func:`run_sweep` did: task counts and times.

    Attributes
    ----------
    out : str
        The output directory.
    total : int
        The tasks of the sweep.
    skipped : int
        Tasks already finished in ``out`` (``--resume``), not run again.
    successful : int
        Tasks run whose record has ``success`` true.
    unsuccessful : int
        Tasks run that finished with ``success`` false (e.g. ``maxiter``).
    failed : int
        Tasks run that raised or timed out (status ``"error"`` or ``"timeout"``).
    wall : float
        Wall seconds of the whole call.
    warmup : float
        Of ``wall``, the seconds of the compile warm-up before the tasks.
    ran : int
        (property) ``successful + unsuccessful + failed``.

    Examples
    --------
    >>> s = Summary("out", total=4, skipped=1, successful=2, failed=1)
    >>> s.ran
    3
    """
    out: str
    total: int
    skipped: int = 0
    successful: int = 0
    unsuccessful: int = 0
    failed: int = 0
    wall: float = 0.0
    warmup: float = 0.0       # of ``wall``: the compile warm-up before the tasks (seconds)

    @property
    def ran(self):
        return self.successful + self.unsuccessful + self.failed

    def line(self):
        return (f"sweep: {self.total} tasks"
                + (f" ({self.skipped} already finished)" if self.skipped else "")
                + f"; ran {self.ran} in {self.wall:.1f} s: {self.successful} successful, "
                f"{self.unsuccessful} unsuccessful, {self.failed} failed (error or timeout); "
                f"records in {os.path.join(self.out, records.RUNS)}")


def warm_jobs(config):
    """(method, problems) jobs for ``newtonlab warmup``'s ``warm_one``: every newtonlab
    method of the sweep, each with one problem per args type of its problems (hooks count
    as ``args=()``), run in order by one worker (they share the method's compiled loop)."""
    import numba
    if numba.config.DISABLE_JIT:
        return []
    methods = list(dict.fromkeys(m.name for m in config.methods if m.library == "newtonlab"))
    specs = {}
    for p in config.problems:
        key = "" if p.hook else p.args_key
        if key not in specs:
            specs[key] = None if key == "" else (p.name, tuple(sorted(p.params.items())))
    return [(m, tuple(specs.values())) for m in methods]


def _progress_default():
    return sys.stdout.isatty() and os.environ.get("CI", "").lower() not in ("true", "1")


class _Reporter:
    """A tqdm bar (done / failed counts, ETA), else one plain line per task, or nothing."""

    def __init__(self, summary, pending, progress, log, n_methods, n_types):
        self.s, self.pending, self.log = summary, pending, log
        self.count = 0
        self.noticed = False
        self.notice_text = (f"newtonlab sweep: compiling {n_methods} method(s)"
                            + (f" for {n_types} args types" if n_types > 1 else "")
                            + " before the tasks (first use; cached for later runs) ...")
        self.bar = None
        if progress:
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=pending, unit="task", desc="sweep", file=sys.stderr,
                                dynamic_ncols=True)
            except ImportError:
                pass

    def notice(self, _job):
        if not self.noticed:
            self.noticed = True
            if self.bar is not None:
                self.bar.write(self.notice_text, file=sys.stderr)
            else:
                print(self.notice_text, file=sys.stderr, flush=True)

    def record(self, rec):
        self.count += 1
        if rec["status"] in records.FAILED:
            self.s.failed += 1
        elif rec["success"]:
            self.s.successful += 1
        else:
            self.s.unsuccessful += 1
        if self.bar is not None:
            self.bar.set_postfix(ok=self.s.successful, unsuccessful=self.s.unsuccessful,
                                 failed=self.s.failed, refresh=False)
            self.bar.update(1)
        elif self.log:
            st = rec["status"]
            state = st if st in records.FAILED else ("ok" if rec["success"] else f"status {st}")
            fun = rec.get("fun")
            tail = ("" if st in records.FAILED else
                    f" f={fun:.6g}" if fun is not None else " f=nan")
            tail += f" nit={rec['nit']} {rec['time']:.3g} s" if st not in records.FAILED else ""
            print(f"[{self.count}/{self.pending}] {rec['problem']} {rec['method']} "
                  f"seed={rec['seed']} repeat={rec['repeat']}: {state}{tail}", flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


@contextlib.contextmanager
def _exclusive(out):
    """One sweep at a time per directory: an exclusive lock on ``out/.lock`` (POSIX).  A
    second sweep, resumed into the same directory while the first runs, would rewrite
    runs.jsonl under it and lose the first one's records."""
    os.makedirs(out, exist_ok=True)
    if fcntl is None:                      # no flock (Windows): unguarded
        yield
        return
    with open(os.path.join(out, ".lock"), "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SweepError(f"another sweep is running in {out}") from None
        yield


def _prepare_dir(config_path, cfg, out, resume):
    """Check ``out`` against the config; copy the config there (first run)."""
    os.makedirs(out, exist_ok=True)
    copy = os.path.join(out, records.CONFIG)
    runs = os.path.join(out, records.RUNS)
    has_runs = os.path.exists(runs) and os.path.getsize(runs) > 0
    if os.path.exists(copy):
        try:
            with open(copy, "rb") as fh:
                old = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SweepError(f"{copy} is unreadable ({exc}): not a sweep directory?") from None
        if old != cfg.raw:
            keys = sorted(k for k in set(old) | set(cfg.raw) if old.get(k) != cfg.raw.get(k))
            raise SweepError(f"{out} holds a sweep of a different configuration (differing "
                             f"key(s): {', '.join(keys)}); refusing to mix their records: "
                             f"choose another --out, or rerun with the original config file")
        if has_runs and not resume:
            raise SweepError(f"{out} already holds records of this sweep: pass --resume to "
                             f"run only what is missing, or choose another --out")
    elif has_runs:
        raise SweepError(f"{out} has a {records.RUNS} but no {records.CONFIG}: not a sweep "
                         f"directory of newtonlab, refusing to append to it")
    if not (os.path.exists(copy) and os.path.samefile(config_path, copy)):
        shutil.copyfile(config_path, copy + ".tmp")
        os.replace(copy + ".tmp", copy)


def run_sweep(config_path, out, *, jobs=None, backend="local", scheduler=None, resume=False,
              progress=None, log=True):
    """Run the sweep of the TOML file ``config_path`` into directory ``out``.

    Parameters
    ----------
    config_path : str or os.PathLike
        The sweep's TOML file (copied to ``out/config.toml`` on the first run).
    out : str or os.PathLike
        The output directory (created if missing): ``runs.jsonl``, ``config.toml`` and,
        with ``trace = true``, ``traces.csv``.
    jobs : int, optional
        Worker processes (local) or LocalCluster workers (dask); default: the cores.
    backend : {"local", "dask"}, default "local"
        Local worker processes, or a dask cluster.
    scheduler : str, optional
        A dask scheduler's address (default: a LocalCluster).
    resume : bool, default False
        Continue the sweep in ``out``: finished tasks are skipped, failed ones rerun.
    progress : bool, optional
        tqdm bar; default on when stdout is a terminal and ``CI`` is not set.
    log : bool, default True
        Without a bar, one line per finished task on stdout.

    Returns
    -------
    Summary
        The task counts (skipped, successful, unsuccessful, failed) and wall seconds;
        ``summary.line()`` is the one-line report the CLI prints.

    Raises
    ------
    SweepError
        A configuration error, an output directory conflict (``out`` holds another
        configuration's sweep, or records without ``--resume``, or another sweep is
        running there), or a missing backend: all before anything runs.

    Examples
    --------
    A sweep of one fast task (not run here: the first call compiles the solver)::

        import pathlib
        pathlib.Path("s.toml").write_text('problems = ["beale"]\\nmethods = ["bfgs"]\\n')
        summary = run_sweep("s.toml", "out", jobs=1, progress=False, log=False)
        print(summary.line())
    """
    t0 = time.perf_counter()
    try:
        cfg = load_config(config_path)
    except (ConfigError, OSError) as exc:
        raise SweepError(str(exc)) from None
    with _exclusive(out):
        _prepare_dir(config_path, cfg, out, resume)
        store = records.Store(out, cfg.trace)
        done = store.compact() if resume else set()
        tasks = expand(cfg)
        pending = [t for t in tasks if t["key"] not in done]
        summary = Summary(out, len(tasks), skipped=len(tasks) - len(pending))
        if not pending:
            summary.wall = time.perf_counter() - t0
            return summary
        wj = warm_jobs(cfg)
        jobs = jobs or os.cpu_count() or 1
        try:
            be = make_backend(backend, jobs, scheduler)
        except BackendError as exc:
            raise SweepError(str(exc)) from None
        show = _progress_default() if progress is None else progress
        rep = _Reporter(summary, len(pending), show, log, len(wj),
                        max((len(ps) for _, ps in wj), default=1))
        store.open()

        def emit(batch):
            store.append(batch)
            for rec in batch:
                rep.record(rec)
        clean = False
        try:
            be.run(wj, pending, cfg.timeout, emit, rep.notice)
            clean = True
        except BackendError as exc:
            raise SweepError(str(exc)) from None
        finally:
            summary.warmup = getattr(be, "warm_seconds", 0.0)
            be.close(now=not clean)
            store.close()
            rep.close()
        summary.wall = time.perf_counter() - t0
        return summary
