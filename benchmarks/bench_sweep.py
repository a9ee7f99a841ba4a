"""newtonlab sweep: throughput with 1 and 2 local workers, and the dask backend's overhead.

Two small sweeps of cached methods, --seeds start points each: "tiny" (bfgs, lbfgs, gd,
scipy:BFGS on rosenbrock, beale, wood and quadratic(n=10)), tasks of about a millisecond,
so the numbers measure the sweep machinery, not the solvers; "heavier" (bfgs, lbfgs on
chained_rosenbrock with n = 200 and 300), tasks of tens of milliseconds, where the
workers' parallelism shows.  For each sweep and backend it reports
the wall time of the whole sweep (worker start-up and the compile step, a cache load
here, included), the start-up (until the first record), the steady throughput (records
per second between the first and the last) and the machinery's cost per task: worker-
seconds per task in the steady state minus the same tasks' cost run in-process by
``newtonlab.sweep.tasks.run_task`` (start point, f0, solve, history), i.e. what the
pipe or dask, the JSON record and its fsync add.

    python benchmarks/bench_sweep.py [--seeds 10] [--out benchmarks/results_sweep.md]

Run it with a warm numba cache (``python -m newtonlab warmup --methods bfgs lbfgs gd
--problems quadratic``), else the first sweep also compiles.
"""
import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time

CONFIG = """
problems = ["rosenbrock", "beale", "wood", {{name = "quadratic", params = {{n = 10}}}}]
methods = ["bfgs", "lbfgs", "gd", "scipy:BFGS"]
seeds = {seeds}
"""
HEAVIER = """
problems = [{{name = "chained_rosenbrock", params = {{n = 200}}}},
            {{name = "chained_rosenbrock", params = {{n = 300}}}}]
methods = ["bfgs", "lbfgs"]
seeds = {seeds}
"""


def iso(t):
    return datetime.datetime.fromisoformat(t).timestamp()


def in_process(cfg_path):
    """Seconds per task run by run_task in this process (after one pass to load)."""
    from newtonlab.sweep import expand, load_config
    from newtonlab.sweep.tasks import run_task
    tasks = expand(load_config(cfg_path))
    for t in tasks[:: max(1, len(tasks) // 16)]:
        run_task(t)                                   # load every method and problem
    for t in tasks:
        run_task(t)
    t0 = time.perf_counter()
    for t in tasks:
        run_task(t)
    return (time.perf_counter() - t0) / len(tasks), len(tasks)


def one(cfg_path, backend, jobs):
    from newtonlab.sweep import read_runs, run_sweep
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out")
        t0 = time.time()
        s = run_sweep(cfg_path, out, jobs=jobs, backend=backend, progress=False, log=False)
        wall = time.time() - t0
        recs = read_runs(out)
    fin = sorted(iso(r["finished"]) for r in recs)
    n = len(fin)
    span = fin[-1] - fin[0]
    return {"backend": backend, "jobs": jobs, "tasks": n, "wall": wall,
            "startup": fin[0] - t0, "rate": (n - 1) / span if span > 0 else float("nan"),
            "worker_s_per_task": jobs * span / (n - 1),
            "solve": statistics.mean(r["time"] for r in recs),
            "failed": s.failed}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__),
                                                   "results_sweep.md"))
    ap.add_argument("--no-dask", action="store_true")
    a = ap.parse_args()
    sweeps = [("tiny", CONFIG, "rosenbrock, beale, wood, quadratic(n=10) x bfgs, lbfgs, gd, "
                               "scipy:BFGS"),
              ("heavier", HEAVIER, "chained_rosenbrock(n=200, 300) x bfgs, lbfgs")]
    runs = [("local", 1), ("local", 2)]
    if not a.no_dask:
        try:
            import distributed  # noqa: F401
            runs.append(("dask", 2))
        except ImportError:
            print("dask.distributed not installed: no dask row")
    lines = [
        "# newtonlab sweep: throughput and backend overhead",
        "",
        f"`python benchmarks/bench_sweep.py --seeds {a.seeds}` on {platform.node()} "
        f"({os.cpu_count()} cores, Python {platform.python_version()}), "
        f"{datetime.date.today()}; warm numba cache.",
    ]
    for label, text, what in sweeps:
        with tempfile.TemporaryDirectory() as d:
            cfg = os.path.join(d, "bench.toml")
            with open(cfg, "w") as fh:
                fh.write(text.format(seeds=a.seeds))
            base, ntasks = in_process(cfg)
            print(f"{label}: {ntasks} tasks; in-process run_task: {base * 1e3:.2f} ms per task",
                  flush=True)
            rows = []
            for backend, jobs in runs:
                r = one(cfg, backend, jobs)
                r["overhead"] = r["worker_s_per_task"] - base
                rows.append(r)
                print(f"  {backend} x{jobs}: wall {r['wall']:.2f} s, start-up "
                      f"{r['startup']:.2f} s, {r['rate']:.0f} tasks/s, overhead "
                      f"{r['overhead'] * 1e3:.2f} ms per task", flush=True)
        lines += [
            "",
            f"## {label}: {ntasks} tasks",
            "",
            f"{what} x {a.seeds} seeds. In-process `run_task` (start point, f0, solve, "
            f"history): {base * 1e3:.2f} ms per task.",
            "",
            "| backend | workers | wall (s) | start-up (s) | steady tasks/s | worker-ms per "
            "task | overhead ms per task | mean solve ms |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            lines.append(f"| {r['backend']} | {r['jobs']} | {r['wall']:.2f} | "
                         f"{r['startup']:.2f} | {r['rate']:.0f} | "
                         f"{r['worker_s_per_task'] * 1e3:.2f} | {r['overhead'] * 1e3:.2f} | "
                         f"{r['solve'] * 1e3:.3f} |")
    lines += [
        "",
        "Columns: *wall* is the whole `run_sweep` call; *start-up* the time until the first "
        "record (spawning workers, importing newtonlab, the compile step loading each method "
        "from the cache, or starting the LocalCluster); *steady tasks/s* counts records "
        "between the first and the last; *worker-ms per task* is workers x that span / "
        "(tasks - 1); *overhead* subtracts the in-process cost of the same tasks, leaving "
        "what the backend (pipe or dask scheduler), the first-use priming solve per worker "
        "and (problem, method), and writing + fsync-ing each record add.",
    ]
    with open(a.out, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
