"""Small helpers shared by the experiment scripts (output folders, JSON, timing, figures).

Each experiment writes to ``experiments/out/<name>/`` (figures, ``results.json``,
``report.md``) and copies its key figures to ``docs/img/experiments/``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import time
from contextlib import contextmanager

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "experiments", "out")
DOCS_IMG = os.path.join(ROOT, "docs", "img", "experiments")


def outdir(name):
    """``experiments/out/<name>/``, created if missing."""
    path = os.path.join(OUT, name)
    os.makedirs(path, exist_ok=True)
    return path


def parse_args(doc, argv=None):
    """The common command line: ``--quick`` (a smoke run of at most ~30 s)."""
    ap = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small budgets: a smoke run (<= 30 s)")
    return ap.parse_args(argv)


def _plain(o):
    """JSON-able version of numpy scalars/arrays, tuples, NaN/inf (as None/strings)."""
    if isinstance(o, dict):
        return {str(k): _plain(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_plain(v) for v in o]
    if isinstance(o, np.ndarray):
        return _plain(o.tolist())
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating, float)):
        o = float(o)
        if math.isnan(o):
            return None
        if math.isinf(o):
            return "inf" if o > 0 else "-inf"
        return o
    if isinstance(o, (np.bool_,)):
        return bool(o)
    return o


def write_json(path, data):
    """Write ``data`` as indented JSON (numpy types converted, NaN -> null)."""
    with open(path, "w") as fh:
        json.dump(_plain(data), fh, indent=1)
        fh.write("\n")
    print("wrote", os.path.relpath(path, ROOT))


def write_text(path, text):
    with open(path, "w") as fh:
        fh.write(text)
    print("wrote", os.path.relpath(path, ROOT))


@contextmanager
def timed(label, store=None):
    """``with timed("hf", times): ...`` prints the wall time and stores it in ``store[label]``."""
    t0 = time.perf_counter()
    yield
    dt = time.perf_counter() - t0
    if store is not None:
        store[label] = dt
    print(f"  [{label}: {dt:.1f} s]")


def save_fig(fig, path, docs_name=None):
    """Save a matplotlib figure as PNG (dpi 110); with ``docs_name``, copy it to
    ``docs/img/experiments/<docs_name>`` too."""
    fig.savefig(path, dpi=110)
    print("wrote", os.path.relpath(path, ROOT))
    if docs_name:
        os.makedirs(DOCS_IMG, exist_ok=True)
        shutil.copyfile(path, os.path.join(DOCS_IMG, docs_name))
