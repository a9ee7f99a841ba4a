"""The comparison as a sweep: choosing problems and methods, writing the sweep's
configuration, and running it through :func:`newtonlab.sweep.run_sweep`.

Everything that runs, times and records is the sweep's (:mod:`newtonlab.sweep`): spawned
single-threaded workers (BLAS and numba pinned to one thread by environment variables set
before numpy loads in them), a compile warm-up before the tasks, an untimed one-iteration
solve of every (problem, method) in each worker before its first timed solve, one record
per timed solve in ``runs.jsonl``.  This module only decides *what* to run.
"""
from __future__ import annotations

import math
import os
import tempfile

from .. import METHODS, problems
from .counterparts import scipy_label

GTOL = 1e-5
#: tasks of a `compare` sweep say so in the configuration's description
DESCRIPTION = "newtonlab compare"
QUICK_PROBLEMS = ("rosenbrock", "chained_rosenbrock(n=10)", "quadratic(n=10,kappa=100.0,seed=0)",
                  "wood")
#: the second-order (and quasi-Newton) methods of the MGH part
MGH_METHODS = ("newton", "newton-tr", "newton-cg", "bfgs", "lbfgs", "sr1")
#: files a compare run writes into --out (replaced by the next fresh run)
OUTPUTS = ("runs.jsonl", "traces.csv", "config.toml", "compare.md", "compare.csv",
           "summary.png", "profiles.md", "performance_time.png", "performance_nfev.png",
           "data_profiles.png")


# ------------------------------------------------------------------ selection

def select_problems(names, quick):
    """Problem entries of the sweep config: ``{name, params}`` tables or tag strings.

    Default: :func:`newtonlab.problems.standard_matrix` (``quick``: 4 of them).  A name
    selects every standard instance of that problem (or its default instance), an id
    (``quadratic(n=10,kappa=100.0,seed=0)``) that instance, a tag (``mgh``) its problems.
    """
    std = problems.standard_matrix()
    if not names:
        sel = [p for p in std if p.id in QUICK_PROBLEMS] if quick else std
        return [_entry(p) for p in sel]
    out = []
    for name in names:
        hit = [p for p in std if p.name == name or p.id == name]
        if hit:
            out += [_entry(p) for p in hit]
        elif name in problems.PROBLEMS:
            out.append({"name": name})
        elif name in problems.LABELS:
            out.append(name)
        else:
            raise SystemExit(f"unknown problem {name!r}; problems: "
                             f"{', '.join(problems.PROBLEMS)}; tags: "
                             f"{', '.join(sorted(problems.LABELS))}")
    return out


def _entry(p):
    params = dict(p.params)
    return {"name": p.name, "params": params} if params else {"name": p.name}


def select_methods(names, with_counterpart_only=True):
    """newtonlab methods: default every one with a scipy counterpart; ``all``: every
    method; else the names given (``scipy:NAME`` entries pass through)."""
    if not names:
        return [m for m, info in METHODS.items() if info.scipy or not with_counterpart_only]
    if [n.lower() for n in names] == ["all"]:
        return list(METHODS)
    out = []
    for name in names:
        key = name if name.lower().startswith("scipy:") else name.lower()
        if not key.startswith("scipy:") and key not in METHODS:
            raise SystemExit(f"unknown method {name!r}; implemented: {', '.join(METHODS)}")
        out.append(key)
    return list(dict.fromkeys(out))


def solvers(methods):
    """The sweep's method labels: each newtonlab method, then its scipy counterpart (once)."""
    out = []
    for m in methods:
        out.append(m)
        s = scipy_label(m)
        if s:
            out.append(s)
    return list(dict.fromkeys(out))


def sweep_config(problem_entries, methods, *, gtol, repeats, timeout, part):
    """The sweep configuration (a dict, as TOML would parse it)."""
    return {"description": f"{DESCRIPTION}: {part}", "problems": problem_entries,
            "methods": solvers(methods), "seeds": [0], "repeats": int(repeats),
            "timeout": float(timeout), "options": {"gtol": float(gtol)}}


# ------------------------------------------------------------------ TOML

def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("nan" if math.isnan(v) else
                                                 ("inf" if v > 0 else "-inf"))
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"no TOML for {v!r}")


def _toml_key(k):
    return k if k.replace("_", "").replace("-", "").isalnum() else _toml_value(k)


def to_toml(cfg):
    """TOML text of a config dict (top-level scalars and lists, then its tables)."""
    lines, tables = [], []
    for k, v in cfg.items():
        if isinstance(v, dict):
            tables.append((k, v))
        elif k == "problems" and len(v) > 1:
            lines.append(f"{k} = [\n" + "".join(f"  {_toml_value(x)},\n" for x in v) + "]")
        else:
            lines.append(f"{k} = {_toml_value(v)}")
    for k, v in tables:
        lines += ["", f"[{k}]"] + [f"{_toml_key(a)} = {_toml_value(b)}" for a, b in v.items()]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ running

def prepare_out(out, resume):
    """Make ``out``; unless ``resume``, clear the outputs of an earlier compare there.

    A directory holding another sweep (not made by compare) is refused, not cleared.
    """
    os.makedirs(out, exist_ok=True)
    cfg_path = os.path.join(out, "config.toml")
    if resume:
        return
    if os.path.exists(cfg_path):
        import tomllib
        try:
            with open(cfg_path, "rb") as fh:
                desc = tomllib.load(fh).get("description", "")
        except (OSError, tomllib.TOMLDecodeError):
            desc = ""
        if not str(desc).startswith(DESCRIPTION):
            raise SystemExit(f"{out} holds a sweep not made by `newtonlab compare` "
                             f"({cfg_path}): choose another --out")
    elif os.path.exists(os.path.join(out, "runs.jsonl")):
        raise SystemExit(f"{out} has a runs.jsonl but no config.toml: not a compare "
                         f"directory; choose another --out")
    for name in os.listdir(out):
        if name in OUTPUTS or (name.startswith("convergence_") and name.endswith(".png")):
            os.remove(os.path.join(out, name))


def run(cfg, out, *, jobs, resume=False):
    """Run the sweep ``cfg`` into ``out``; returns the sweep's :class:`Summary`."""
    from ..sweep import SweepError, run_sweep
    prepare_out(out, resume)
    fd, path = tempfile.mkstemp(prefix="newtonlab-compare-", suffix=".toml")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(to_toml(cfg))
        return run_sweep(path, out, jobs=jobs, resume=resume, log=False)
    except SweepError as exc:
        raise SystemExit(f"newtonlab compare: {exc}") from None
    finally:
        os.remove(path)
