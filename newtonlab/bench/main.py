"""``python -m newtonlab.compare``: argument parsing and the study's main loop."""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time

from .. import METHODS
from .plots import plot_problem, plot_summary
from .report import table_lines, notes, write_csv, write_md
from .run import (GTOL, compare_one, file_id, pin_blas, select_methods, select_problems,
                  short_id, warm_jobs)


def run_all(probs, methods, a, budget, min_reps):
    """Every (problem, method): measure, print progress, plot per problem."""
    rows, figs = [], []
    for p in probs:
        runs = {}
        for m in methods:
            try:
                row, r, s = compare_one(p, m, a.gtol, budget, min_reps)
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


def parse(argv):
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
                         "which has no scipy counterpart)")
    ap.add_argument("--out", default="./newtonlab-out", help="output directory "
                    "(default ./newtonlab-out)")
    ap.add_argument("--quick", action="store_true",
                    help="4 problems, gd and the methods with a scipy counterpart only, short "
                         "timing (~0.03 s per pair)")
    ap.add_argument("--gtol", type=float, default=GTOL, help="gradient tolerance (default 1e-5)")
    ap.add_argument("--budget", type=float, default=None,
                    help="seconds of timing repeats per (problem, method) (default 0.1; "
                         "--quick 0.03)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="processes compiling the (args type, method) pairs ahead of the study "
                         "(default: the number of cores; pays off with a cold numba cache); "
                         "1: each method compiles on its first call, in this process")
    return ap.parse_args(argv)


def main(argv=None):
    t_start = time.perf_counter()
    a = parse(argv)
    # run as `python -m newtonlab.compare`: may restart itself to pin BLAS (see pin_blas)
    blas = pin_blas(sys.argv[1:] if argv is None else None)
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
    t_warm = 0.0
    if a.jobs > 1 and len(jobs) > 1:
        from ..cli import compile_jobs
        workers = min(a.jobs, len(jobs))
        print(f"compiling {len(jobs)} (args type, method) pairs in {workers} processes "
              f"(a warm cache only loads them)", flush=True)
        t = time.perf_counter()
        compile_jobs(jobs, workers, progress=sys.stderr.isatty())
        t_warm = time.perf_counter() - t
        print(f"compile warm-up {t_warm:.1f} s\n", flush=True)
    rows, figs = run_all(probs, methods, a, budget, min_reps)
    png = os.path.join(a.out, "summary.png")
    plot_summary(rows, png, a.gtol)
    figs.append(png)
    csv_path = os.path.join(a.out, "compare.csv")
    write_csv(rows, csv_path)
    elapsed = time.perf_counter() - t_start
    first = t_warm + sum(r.get("nl_first_call_s", 0.0) - r.get("nl_time_s", 0.0) for r in rows
                         if "nl_first_call_s" in r)
    write_md(rows, os.path.join(a.out, "compare.md"), note_lines, elapsed, first)
    print()
    print("\n".join(table_lines(rows)))
    print()
    print(f"newtonlab compile warm-up and first calls beyond a warm solve (compile / cache "
          f"load): {first:.1f} s")
    print(f"wrote {csv_path}, compare.md and {len(figs)} PNG files to {a.out}")
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"total {elapsed:.1f} s wall; CPU {me.ru_utime + me.ru_stime:.1f} s in this process, "
          f"{kids.ru_utime + kids.ru_stime:.1f} s in compile workers; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0
