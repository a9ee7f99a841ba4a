"""``python -m newtonlab.compare``: the command line; builds the sweeps, runs them, reports."""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time

from .counterparts import tolerance_notes
from .study import GTOL, MGH_METHODS, run, select_methods, select_problems, sweep_config

MGH_DIR = "mgh"


def parse(argv):
    ap = argparse.ArgumentParser(
        prog="python -m newtonlab.compare",
        description="Run newtonlab and scipy.optimize on the built-in problems as a sweep "
                    "(newtonlab.sweep) into --out; print a table, write runs.jsonl, "
                    "compare.md, compare.csv, profiles and figures.")
    ap.add_argument("--problems", nargs="+", metavar="NAME",
                    help="problem names, ids or tags (default: problems.standard_matrix(); a "
                         "name selects every standard instance of that problem)")
    ap.add_argument("--methods", nargs="+", metavar="M",
                    help="newtonlab methods (each brings its scipy counterpart), scipy:NAME, "
                         "or 'all' (default: every method with a scipy counterpart)")
    ap.add_argument("--out", default="./newtonlab-out",
                    help="output directory (default ./newtonlab-out); a fresh run replaces "
                         "the outputs of an earlier compare there")
    ap.add_argument("--quick", action="store_true",
                    help="4 problems, 3 repeats, no MGH part (a smoke test)")
    ap.add_argument("--gtol", type=float, default=GTOL, help="gradient tolerance (default 1e-5)")
    ap.add_argument("--repeats", type=int, default=None,
                    help="timed repetitions of every run (default 5; --quick 3); speed-ups "
                         "are medians over them, with their spread")
    ap.add_argument("--budget", type=float, default=60.0, metavar="SECONDS",
                    help="time limit of one run: a longer one is recorded as a timeout "
                         "(default 60; the number of timed repetitions is --repeats)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="worker processes of the sweeps (default: the number of cores)")
    ap.add_argument("--mgh", action=argparse.BooleanOptionalAction, default=None,
                    help="also sweep the 35 MGH problems x the second-order methods (newton, "
                         "newton-tr, newton-cg, bfgs, lbfgs, sr1) and their scipy "
                         "counterparts into OUT/mgh, with profiles (default: on, except with "
                         "--quick)")
    ap.add_argument("--resume", action="store_true",
                    help="continue an interrupted compare in --out (same arguments)")
    ap.add_argument("--report-only", action="store_true",
                    help="run nothing: report from the runs.jsonl already in --out")
    a = ap.parse_args(argv)
    if a.repeats is None:
        a.repeats = 3 if a.quick else 5
    if a.repeats < 1 or a.jobs < 1 or a.budget <= 0:
        ap.error("--repeats and --jobs must be >= 1, --budget > 0")
    if a.mgh is None:
        a.mgh = not a.quick and not a.problems
    return a


def _sweep(cfg, out, a, what):
    t = time.perf_counter()
    s = run(cfg, out, jobs=a.jobs, resume=a.resume)
    print(f"{what}: {s.line()}", flush=True)
    print(f"  of which compile warm-up (worker start-up, compiling or loading every "
          f"(method, args type) from numba's cache): {s.warmup:.1f} s", flush=True)
    return s, time.perf_counter() - t


def notes(a, nl_methods):
    """The lines on tolerances and timing (printed, and in compare.md)."""
    return [f"gtol = {a.gtol:g} for both libraries, same x0 (each problem's standard one), "
            "the same jitted fun/jac/hess; iteration limits at both libraries' defaults.",
            "scipy tolerances:"] + [f"  {ln}" for ln in tolerance_notes(nl_methods, a.gtol)] + [
            f"times: CPU time of the solve call alone (the worker thread's; wall times are in "
            f"compare.csv and runs.jsonl), {a.repeats} repetition(s) of every run, in "
            f"single-threaded worker processes (numba, OpenBLAS, MKL, OpenMP pinned to one "
            f"thread by environment variables set before numpy loads there); each worker runs "
            f"an untimed one-iteration solve of every (problem, method) before timing it; "
            f"compiling happens before, in the sweep's warm-up (reported apart)."]


def report(a, note_lines, extra, t_start):
    """Everything from the records: table, CSV, markdown, figures (``note_lines`` None:
    made from the records' methods)."""
    from .. import METHODS
    from ..sweep.plots import profile_dir
    from ..sweep.records import read_runs
    from .plots import pair_styles, plot_summary
    from .report import md_report, rows_from_records, table_lines, write_csv
    records = read_runs(a.out)
    if not records:
        raise SystemExit(f"{a.out}: no records in runs.jsonl")
    rows = rows_from_records(records)
    if note_lines is None:
        note_lines = notes(a, [m for m in METHODS if m in {r["method"] for r in records}])
    csv_path = os.path.join(a.out, "compare.csv")
    write_csv(rows, csv_path)
    figs = [os.path.join(a.out, "summary.png")]
    plot_summary(rows, figs[0], a.gtol)
    styles = pair_styles({r["method"] for r in records})
    figs += [p for p in profile_dir(a.out, styles=styles) if p.endswith(".png")]
    mgh_dir = os.path.join(a.out, MGH_DIR)
    mgh = read_runs(mgh_dir, missing_ok=True) if os.path.isdir(mgh_dir) else []
    n_mgh = len(profile_dir(mgh_dir, styles=pair_styles({r["method"] for r in mgh}))) \
        if mgh else 0
    extra = list(extra) + [f"total {time.perf_counter() - t_start:.1f} s wall (this report "
                           f"included)"] if t_start else list(extra)
    with open(os.path.join(a.out, "compare.md"), "w", encoding="utf-8") as fh:
        fh.write(md_report(rows, a.out, note_lines, mgh, MGH_DIR, figs, extra))
    print()
    print("\n".join(table_lines(rows)))
    print()
    flagged = sum(bool(r.get("flag")) for r in rows)
    print(f"{flagged} flagged row(s)" if flagged else "no flagged row")
    print(f"wrote {csv_path}, compare.md, profiles.md and {len(figs)} PNG files to {a.out}"
          + (f"; the MGH part ({n_mgh} files) to {mgh_dir}" if mgh else ""))
    return rows


def _config_of(out, gtol, repeats):
    """(gtol, repeats) of the sweep in ``out`` (for --report-only)."""
    import tomllib
    try:
        with open(os.path.join(out, "config.toml"), "rb") as fh:
            cfg = tomllib.load(fh)
        return float(cfg["options"]["gtol"]), int(cfg.get("repeats", 1))
    except (OSError, KeyError, ValueError, TypeError, tomllib.TOMLDecodeError):
        return gtol, repeats


def main(argv=None):
    t_start = time.perf_counter()
    a = parse(sys.argv[1:] if argv is None else argv)
    if a.report_only:
        a.gtol, a.repeats = _config_of(a.out, a.gtol, a.repeats)
    methods = select_methods(a.methods)
    nl_methods = [m for m in methods if not m.startswith("scipy:")]
    if a.report_only:
        report(a, None, [], None)
        return 0
    for ln in notes(a, nl_methods):
        print(ln)
    print(flush=True)
    extra = []
    cfg = sweep_config(select_problems(a.problems, a.quick), methods, gtol=a.gtol,
                       repeats=a.repeats, timeout=a.budget, part="standard problems")
    s, wall = _sweep(cfg, a.out, a, "standard problems")
    extra.append(f"standard problems: {s.total} runs in {wall:.1f} s wall, of which the "
                 f"compile warm-up {s.warmup:.1f} s")
    if a.mgh:
        mgh_methods = [m for m in (nl_methods if a.methods else MGH_METHODS)]
        cfg = sweep_config(["mgh"], mgh_methods, gtol=a.gtol, repeats=a.repeats,
                           timeout=a.budget, part="MGH")
        s, wall = _sweep(cfg, os.path.join(a.out, MGH_DIR), a, "MGH")
        extra.append(f"MGH: {s.total} runs in {wall:.1f} s wall, of which the compile "
                     f"warm-up {s.warmup:.1f} s")
    else:
        if not a.resume and os.path.isdir(os.path.join(a.out, MGH_DIR)):
            from .study import prepare_out
            prepare_out(os.path.join(a.out, MGH_DIR), False)     # no stale MGH part
        extra.append("MGH part not run: `python -m newtonlab.compare --mgh` adds it "
                     "(35 problems x newton, newton-tr, newton-cg, bfgs, lbfgs, sr1 and their "
                     "scipy counterparts)")
    report(a, notes(a, nl_methods), extra, t_start)
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"total {time.perf_counter() - t_start:.1f} s wall; CPU "
          f"{me.ru_utime + me.ru_stime:.1f} s in this process, "
          f"{kids.ru_utime + kids.ru_stime:.1f} s in worker processes; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0
