"""The records of a sweep: ``runs.jsonl`` (one JSON object per finished task) and
``traces.csv`` (per-iteration rows, tidy long format).

Why append-only JSON lines, fsync'ed as they come, written by the parent process alone:
a sweep can be killed at any moment (Ctrl-C, a lost SSH session, the OOM killer) and must
lose nothing it reported finished.  One line per task, written by one process and flushed
to disk at once (the records of tasks that finished together in one ``write`` and one
``fsync``, ~4 ms on a VM disk: per record it would cap a sweep of tiny tasks at ~250
tasks/s), cannot interleave and survives a crash; a reader skips a torn last line.  On ``--resume`` the file is compacted (rewritten to a temporary file
and atomically renamed) so that it keeps at most one record per task: the finished ones
stay, failed ones (status ``"error"`` / ``"timeout"``) are dropped and run again.

Floats that are not finite (a diverged ``fun``) are written as ``null``: strict JSON,
readable by every tool.  The schema is in docs/sweeps.md and :data:`RECORD_KEYS`.
"""
from __future__ import annotations

import csv
import datetime
import io
import json
import math
import os
import platform
import socket
import warnings

import numpy as np

#: every record's keys, in order (the schema of runs.jsonl)
RECORD_KEYS = (
    "key", "problem", "problem_name", "n", "method", "method_name", "library", "options",
    "seed", "repeat", "status", "success", "message", "fun", "f0", "fmin", "nit", "nfev",
    "njev", "nhev", "time", "cpu_time", "kind", "different_minimum", "history", "error", "started",
    "finished", "host", "versions")
"""Every record's keys, in order: the schema of ``runs.jsonl`` (docs/sweeps.md describes
each).  A record holds all of them (None where they do not apply, e.g. ``fun`` of a
timed-out task); its ``key`` is the task's :func:`~newtonlab.sweep.tasks.task_key`."""
#: statuses of tasks that did not finish (retried by --resume)
FAILED = ("error", "timeout")
#: points kept in a record's history (first and last always among them)
HISTORY_CAP = 500
#: traces.csv columns
TRACE_COLUMNS = ("key", "problem", "method", "seed", "repeat", "iteration", "f", "gnorm",
                 "nfev", "njev", "nhev", "step", "alpha", "time")
TRACE_DATA = ("f", "gnorm", "nfev", "njev", "nhev", "step", "alpha", "time")
RUNS, TRACES, CONFIG = "runs.jsonl", "traces.csv", "config.toml"


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")


_VERSIONS = {}


def versions():
    if not _VERSIONS:
        import numba
        import scipy

        from .. import __version__
        _VERSIONS.update(python=platform.python_version(), newtonlab=__version__,
                         numpy=np.__version__, scipy=scipy.__version__,
                         numba=numba.__version__)
    return dict(_VERSIONS)


def finite(v):
    """A JSON-safe number: float, or None when missing or not finite."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def norm_inf(g):
    g = np.asarray(g, dtype=float)
    return float(np.max(np.abs(g))) if g.size else 0.0


def history(nfev, f, t, cap=HISTORY_CAP):
    """{"nfev", "f", "time"} lists, subsampled evenly to at most ``cap`` points (first and
    last always kept)."""
    k = len(f)
    idx = range(k) if k <= cap else np.unique(np.linspace(0, k - 1, cap).round().astype(int))
    return {"nfev": [int(nfev[i]) for i in idx], "f": [finite(f[i]) for i in idx],
            "time": [finite(t[i]) for i in idx]}


def _base(task, started):
    pb, m = task["problem"], task["method"]
    return {"key": task["key"], "problem": pb["id"], "problem_name": pb["name"],
            "n": pb.get("n"), "method": m["label"], "method_name": m["name"],
            "library": m["library"], "options": m["options"], "seed": task["seed"],
            "repeat": task["repeat"], "fmin": finite(pb.get("fmin")), "started": started,
            "host": socket.gethostname()}


def _ordered(rec):
    return {k: rec.get(k) for k in RECORD_KEYS} | {k: v for k, v in rec.items()
                                                    if k not in RECORD_KEYS}


def result_record(task, p, res, f0, elapsed, started, cpu=None):
    """The record of a run that returned ``res`` (newtonlab's or scipy's result);
    ``elapsed``: its wall seconds, ``cpu``: its CPU seconds (of the worker's thread)."""
    rec = _base(task, started)
    fmin = rec["fmin"]
    fun = finite(res.fun)
    success = bool(res.success)
    different = None
    if fmin is not None:
        different = bool(success and (fun is None or fun - fmin > 1e-6 * max(1.0, abs(fmin))))
    rec.update(n=int(np.size(p.x0)), status=int(res.status), success=success,
               message=str(res.message), fun=fun, f0=finite(f0),
               nit=int(res.get("nit", 0) or 0), nfev=int(res.get("nfev", 0) or 0),
               njev=int(res.get("njev", 0) or 0), nhev=int(res.get("nhev", 0) or 0),
               time=elapsed, cpu_time=finite(cpu), kind=res.get("kind"),
               different_minimum=different, error=None, finished=now(), versions=versions())
    return _ordered(rec)


def failure_record(task, status, message, started, error=None):
    """The record of a task that raised (``"error"``) or ran out of time (``"timeout"``)."""
    rec = _base(task, started)
    rec.update(status=status, success=False, message=message, error=error or message,
               finished=now(), versions=versions(), history={"nfev": [], "f": [], "time": []})
    return _ordered(rec)


# ------------------------------------------------------------------ reading

def _parse(line, dec=json.JSONDecoder()):
    """The record on one line, or (a fragment of a killed write) the complete record
    appended after it, or None."""
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        pass
    start = line.find('{"', 1)
    while start > 0:
        try:
            obj, end = dec.raw_decode(line, start)
            if end == len(line) and isinstance(obj, dict):
                return [obj]                     # recovered, but the line was damaged
        except json.JSONDecodeError:
            pass
        start = line.find('{"', start + 1)
    return None


def read_runs(path_or_dir, missing_ok=False):
    """The records of a sweep's ``runs.jsonl`` (a file, or the directory holding it).

    A line that does not parse -- the truncated last line of a killed run -- is
    skipped with a :class:`RuntimeWarning` saying how many lines were skipped (a
    complete record appended after such a fragment is kept).  Of several records
    with one ``key`` (a task run again), the last one is kept.

    Parameters
    ----------
    path_or_dir : str or os.PathLike
        The ``runs.jsonl`` file, or the sweep's output directory holding it.
    missing_ok : bool, default False
        When true, a missing file is no records (a sweep that has not finished a task
        yet) instead of an error.

    Returns
    -------
    list of dict
        The records, in file order (one per ``key``), keys as in :data:`RECORD_KEYS`.

    Raises
    ------
    FileNotFoundError
        No such file, unless ``missing_ok``.

    Warns
    -----
    RuntimeWarning
        Some lines did not parse (a run killed while writing); they are skipped.

    Examples
    --------
    >>> import json, os, tempfile, warnings
    >>> d = tempfile.mkdtemp()
    >>> with open(os.path.join(d, "runs.jsonl"), "w") as fh:
    ...     _ = fh.write(json.dumps({"problem": "beale", "seed": 0}) + '\\n{"problem": "be')
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     recs = read_runs(d)
    >>> len(recs), "skipped 1" in str(w[0].message)
    (1, True)
    """
    path = os.fspath(path_or_dir)
    if os.path.isdir(path):
        path = os.path.join(path, "runs.jsonl")
    records, bad = [], []
    if missing_ok and not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                rec = _parse(line.strip())
                if isinstance(rec, dict):
                    records.append(rec)
                    continue
                bad.append(lineno)       # a fragment (maybe with a record after it), or junk
                if isinstance(rec, list):
                    records += [r for r in rec if isinstance(r, dict)]
    if bad:
        warnings.warn(f"{path}: skipped {len(bad)} unparseable line(s) (line "
                      f"{', '.join(map(str, bad[:5]))}{', ...' if len(bad) > 5 else ''}): "
                      f"a run killed while writing", RuntimeWarning, stacklevel=2)
    last = {r["key"]: i for i, r in enumerate(records) if r.get("key") is not None}
    return [r for i, r in enumerate(records) if last.get(r.get("key"), i) == i]


def is_finished(rec):
    return rec.get("status") not in FAILED


# ------------------------------------------------------------------ writing

def _fsync_write(fh, text):
    fh.write(text)
    fh.flush()
    os.fsync(fh.fileno())


def _atomic_rewrite(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        _fsync_write(fh, text)
    os.replace(tmp, path)


class Store:
    """The output directory's record files, open for appending (parent process only)."""

    def __init__(self, directory, trace):
        self.dir = directory
        self.runs_path = os.path.join(directory, RUNS)
        self.traces_path = os.path.join(directory, TRACES)
        self.trace = trace
        self.runs = self.traces = None

    def compact(self):
        """Keep one finished record per key in runs.jsonl (and only their rows in
        traces.csv); returns the finished keys."""
        keep = [r for r in read_runs(self.dir, missing_ok=True) if is_finished(r)]
        done = {r["key"] for r in keep}
        if os.path.exists(self.runs_path):
            _atomic_rewrite(self.runs_path, "".join(_line(r) for r in keep))
        if os.path.exists(self.traces_path):
            with open(self.traces_path, encoding="utf-8", newline="") as fh:
                rows = [row for row in csv.DictReader(fh) if row.get("key") in done]
            buf = io.StringIO()
            w = csv.DictWriter(buf, TRACE_COLUMNS, extrasaction="ignore", lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
            _atomic_rewrite(self.traces_path, buf.getvalue())
        return done

    def open(self):
        self.runs = open(self.runs_path, "a", encoding="utf-8")
        if self.trace:
            new = not os.path.exists(self.traces_path) or os.path.getsize(self.traces_path) == 0
            self.traces = open(self.traces_path, "a", encoding="utf-8", newline="")
            if new:
                _fsync_write(self.traces, ",".join(TRACE_COLUMNS) + "\n")
        return self

    def append(self, recs):
        """Write a batch of records (one write, flush and fsync), their trace rows first:
        a record on disk means its rows are too (compaction drops rows of tasks without a
        finished record)."""
        if isinstance(recs, dict):
            recs = [recs]
        rows_text = io.StringIO()
        w = csv.writer(rows_text, lineterminator="\n")
        for rec in recs:
            rows = rec.pop("_trace", None)
            for r in rows or ():
                w.writerow([rec["key"], rec["problem"], rec["method"], rec["seed"],
                            rec["repeat"], r.get("iteration")]
                           + [_csv_num(r.get(c), c in _COUNTS) for c in TRACE_DATA])
        if self.traces is not None and rows_text.getvalue():
            _fsync_write(self.traces, rows_text.getvalue())
        _fsync_write(self.runs, "".join(_line(rec) for rec in recs))

    def close(self):
        for fh in (self.runs, self.traces):
            if fh is not None:
                fh.close()
        self.runs = self.traces = None


_COUNTS = ("nfev", "njev", "nhev")


def _csv_num(v, count=False):
    if v is None:
        return ""
    if count:
        return str(int(v))
    v = float(v)
    return repr(v) if math.isfinite(v) else ("nan" if math.isnan(v) else
                                               ("inf" if v > 0 else "-inf"))


def _line(rec):
    return json.dumps(_clean(rec), allow_nan=False, default=_json_default) + "\n"


def _clean(o):
    """Non-finite floats (anywhere in a record) as None."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    return o


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return repr(o)
