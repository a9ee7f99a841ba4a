"""Where sweep tasks run: a local pool of worker processes, or dask.distributed.

Why a pool of our own rather than ``concurrent.futures``: a task whose objective hangs
(in Python or in compiled code, which no signal or exception reaches) must not stall the
sweep.  Each local worker is a ``spawn``-ed process with its own pipe; the parent sends
it one task at a time, and when a task exceeds its timeout the parent kills that worker,
records ``"timeout"`` and starts a replacement.  A worker that dies (out of memory, a
segfault) gives an ``"error"`` record the same way.  ``concurrent.futures`` can do
neither: a running future cannot be cancelled and a dead worker breaks the whole pool.

Workers run with one thread each (``NUMBA_NUM_THREADS``, ``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` = 1, set before they start): parallelism
comes from the pool, and timings are not disturbed by oversubscribed cores.  Workers
ignore SIGINT (the parent stops them) and exit when the parent disappears.

Before the tasks, both backends run the compile warm-up (``newtonlab warmup``'s
``warm_one``) for every method the tasks need, with all their args types, one job per
worker, so that no method is compiled twice at once and no task's timeout counts a
compilation.

The dask backend submits at most one task per worker at a time, so a task's clock starts
about when it starts.  A dask task that exceeds the timeout is recorded as ``"timeout"``
and abandoned, but dask cannot stop a running task: it keeps its worker busy until it
returns, and the sweep goes on with the other workers.
"""
from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections import deque

from . import records

#: seconds a warm-up job may take before it counts as compiling (a cache load is faster)
NOTICE_AFTER = 1.5
PINNED = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
          "MKL_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}


class BackendError(RuntimeError):
    """A backend cannot run (dask missing, workers failing to start)."""


@contextlib.contextmanager
def pinned_env():
    """One thread per process for anything started inside (children inherit the env)."""
    old = {k: os.environ.get(k) for k in PINNED}
    os.environ.update(PINNED)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# ------------------------------------------------------------------ local: worker side

def _watch_parent(parent_pid):
    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:      # the parent died: nobody will read our results
            os._exit(1)


def _die_with_parent():
    """Linux: the kernel kills this worker when its parent dies (PR_SET_PDEATHSIG), even
    while it runs compiled code holding the GIL, where _watch_parent cannot run."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)      # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass                                         # _watch_parent remains


def _worker_main(conn, parent_pid):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if os.getppid() != parent_pid:       # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    from . import tasks
    lock = threading.Lock()

    def send(msg):
        with lock:
            conn.send(msg)
    send(("ready", os.getpid()))
    while True:
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):
            return
        if kind == "stop":
            return
        if kind == "warm":
            timer = threading.Timer(NOTICE_AFTER, send, args=(("compiling", payload),))
            timer.daemon = True
            timer.start()
            try:
                result = tasks.warm(payload)
            finally:
                timer.cancel()
            send(("warmed", payload, result))
        else:
            send(("done", tasks.run_task_safe(payload)))


# ------------------------------------------------------------------ local: parent side

class _Worker:
    def __init__(self, proc, conn):
        self.proc, self.conn = proc, conn
        self.ready = False
        self.item = None
        self.t0 = 0.0
        self.started = None


class LocalBackend:
    """``jobs`` spawned worker processes with per-task timeouts (see the module doc)."""

    name = "local"

    def __init__(self, jobs):
        self.jobs = max(1, int(jobs))
        self.ctx = mp.get_context("spawn")
        self.workers = []
        self.failed_starts = 0
        self.warm_seconds = 0.0     # wall seconds of the compile warm-up (worker start-up too)

    def _start(self):
        parent, child = self.ctx.Pipe()
        with pinned_env():
            proc = self.ctx.Process(target=_worker_main, args=(child, os.getpid()),
                                    daemon=True, name="newtonlab-sweep-worker")
            proc.start()
        child.close()
        self.workers.append(_Worker(proc, parent))

    def _retire(self, w, replace):
        if w.proc.is_alive():
            w.proc.kill()
        w.proc.join(5.0)
        w.conn.close()
        self.workers.remove(w)
        if not w.ready:
            self.failed_starts += 1
            if self.failed_starts > 3 * self.jobs:
                raise BackendError("sweep worker processes keep dying before they start "
                                   "(see the errors printed above)")
        if replace:
            self._start()

    def run(self, warm_jobs, tasks, timeout, emit, notice):
        """Warm up, then run ``tasks``; ``emit(records)`` for each batch of finished tasks
        (in this process)."""
        n = min(self.jobs, max(len(tasks), len(warm_jobs), 1))
        for kind, items in (("warm", warm_jobs), ("task", tasks)):
            if not items:
                continue
            while len(self.workers) < n:
                self._start()
            if kind == "warm":
                t0 = time.perf_counter()
                self._drain(kind, items, None, lambda batch: None, notice)
                self.warm_seconds = time.perf_counter() - t0
            else:
                self._drain(kind, items, timeout, emit, notice)

    def _drain(self, kind, items, timeout, emit, notice):
        queue = deque(items)
        finished = []
        while True:
            for w in list(self.workers):
                if w.ready and w.item is None and queue:
                    item = queue.popleft()
                    try:
                        w.conn.send((kind, item))
                    except OSError:                  # died while idle
                        queue.appendleft(item)
                        self._retire(w, replace=True)
                        continue
                    w.item, w.t0, w.started = item, time.monotonic(), records.now()
            if finished:        # written while the workers already run their next tasks
                emit(finished)
                finished = []
            if not queue and all(w.item is None for w in self.workers):
                return
            deadlines = [w.t0 + timeout for w in self.workers
                         if timeout and w.item is not None]
            wait = max(0.0, min(deadlines) - time.monotonic()) + 0.01 if deadlines else None
            handles = [w.conn for w in self.workers] + [w.proc.sentinel for w in self.workers]
            mp.connection.wait(handles, timeout=wait)
            done = lambda item, result: finished.append(result)  # noqa: E731
            for w in list(self.workers):
                self._poll(w, kind, timeout, done, notice, bool(queue))

    def _poll(self, w, kind, timeout, done, notice, more):
        dead = False
        while True:
            try:
                if not w.conn.poll():
                    break
                msg = w.conn.recv()
            except (EOFError, OSError):
                dead = True
                break
            if msg[0] == "ready":
                w.ready = True
            elif msg[0] == "compiling":
                notice(msg[1])
            else:                                    # "warmed" or "done"
                item, w.item = w.item, None
                done(item, msg[-1])
        if dead or not w.proc.is_alive():
            item = w.item
            w.proc.join(1.0)
            if item is not None:
                msg = f"worker process died (exit code {w.proc.exitcode})"
                done(item, (0.0, msg) if kind == "warm" else
                     records.failure_record(item, "error", msg, w.started))
            self._retire(w, replace=more or item is not None)
        elif w.item is not None and timeout and time.monotonic() - w.t0 > timeout:
            item = w.item
            done(item, records.failure_record(
                item, "timeout", f"no result within {timeout:g} s: worker process killed",
                w.started))
            self._retire(w, replace=more)

    def close(self, now=False):
        for w in self.workers:
            if not now:
                try:
                    w.conn.send(("stop", None))
                except OSError:
                    pass
        for w in self.workers:
            if not now:
                w.proc.join(2.0)
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join(5.0)
            w.conn.close()
        self.workers = []


# ------------------------------------------------------------------ dask

def _import_tasks():
    from . import tasks  # noqa: F401


class DaskBackend:
    """dask.distributed: a LocalCluster of ``jobs`` single-threaded worker processes, or
    the scheduler at ``scheduler``."""

    name = "dask"

    def __init__(self, jobs, scheduler=None):
        try:
            import distributed
        except ImportError:
            raise BackendError("--backend dask needs dask.distributed: "
                               "pip install newtonlab[dask]") from None
        self.distributed = distributed
        self.cluster = None
        self.warm_seconds = 0.0
        if scheduler:
            self.client = distributed.Client(scheduler)
        else:
            with pinned_env():
                self.cluster = distributed.LocalCluster(
                    n_workers=max(1, int(jobs)), threads_per_worker=1, processes=True,
                    dashboard_address=":0", silence_logs=logging.ERROR)
            self.client = distributed.Client(self.cluster)
        self.client.wait_for_workers(1)

    def _wait(self, futures, timeout):
        try:
            return self.distributed.wait(futures, timeout=timeout,
                                         return_when="FIRST_COMPLETED").done
        except (TimeoutError, self.distributed.TimeoutError):
            return set()

    def run(self, warm_jobs, tasks, timeout, emit, notice):
        from . import tasks as tasks_mod
        client = self.client
        if warm_jobs:
            client.run(_import_tasks)        # worker start-up is not compiling: not timed
            pending = {client.submit(tasks_mod.warm, job, pure=False) for job in warm_jobs}
            t0 = time.monotonic()
            while pending:
                pending -= self._wait(list(pending), 0.25)
                if pending and time.monotonic() - t0 > NOTICE_AFTER:
                    notice(None)
            self.warm_seconds = time.monotonic() - t0
        nworkers = max(1, len(client.scheduler_info()["workers"]))
        queue, inflight, abandoned = deque(tasks), {}, set()
        while queue or inflight:
            abandoned = {f for f in abandoned if not f.done()}     # still occupying a worker
            # a task is submitted only to a free worker: its clock starts at submission, so
            # one queued behind an abandoned task would time out without having run
            while queue and len(inflight) < nworkers - len(abandoned):
                task = queue.popleft()
                fut = client.submit(tasks_mod.run_task_safe, task, pure=False,
                                    key=f"newtonlab-sweep-{task['key']}-{time.time_ns()}")
                inflight[fut] = (task, time.monotonic(), records.now())
            if queue and not inflight:
                # every worker still runs a timed-out task: wait one timeout for one to return
                if not self._wait(list(abandoned), timeout or 60.0):
                    started = records.now()
                    emit([records.failure_record(
                        task, "error", f"not run: all {nworkers} dask workers are still busy "
                        f"with timed-out tasks", started) for task in queue])
                    queue.clear()
                continue
            wait = 1.0
            if timeout:
                first = min(t for _, t, _ in inflight.values())
                wait = max(0.01, min(wait, first + timeout - time.monotonic()))
            batch = []
            for fut in self._wait(list(inflight), wait):
                task, _, started = inflight.pop(fut)
                try:
                    rec = fut.result()
                except Exception as exc:              # e.g. KilledWorker
                    rec = records.failure_record(task, "error",
                                                 f"{type(exc).__name__}: {exc}", started)
                batch.append(rec)
            if timeout:
                for fut, (task, t, started) in list(inflight.items()):
                    if time.monotonic() - t > timeout:
                        del inflight[fut]
                        abandoned.add(fut)          # (not cancelled: done() tells when
                                                    # its worker is free again)
                        batch.append(records.failure_record(
                            task, "timeout", f"no result within {timeout:g} s (dask cannot "
                            f"stop a running task: its worker stays busy until it returns)",
                            started))
            if batch:
                emit(batch)

    def close(self, now=False):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_backend(name, jobs, scheduler=None):
    if name == "local":
        if scheduler:
            raise BackendError("--scheduler needs --backend dask")
        return LocalBackend(jobs)
    if name == "dask":
        return DaskBackend(jobs, scheduler)
    raise BackendError(f"unknown backend {name!r}: local or dask")
