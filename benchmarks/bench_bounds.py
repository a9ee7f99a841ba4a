"""Bounded L-BFGS-B: newtonlab (`method="L-BFGS-B"`, `bounds=`) against scipy's, one run.

The bounded MGH cases of tests/test_bounds.py (each bound cuts through the unconstrained
minimizer), then two at n = 1000 where the O(n) work per iteration counts (chained
Rosenbrock, one bound active, and half of the variables at a bound), from the standard x0,
gtol = 1e-5, scipy with `ftol=0` (gradient test only, as newtonlab). Both sides get the
same jitted `fun`/`jac`. Times are medians of the CPU time of warm calls; the first
newtonlab call (compile or cache load of the bounded loop) is reported apart.
ratio = t_scipy / t_newtonlab.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_bounds.py [--out benchmarks/results_bounds.md]

Before/after a change: run an older checkout first (its own numba cache), then this one:

    PYTHONPATH=<old checkout> python benchmarks/bench_bounds.py --json /tmp/before.json
    python benchmarks/bench_bounds.py --before /tmp/before.json --out benchmarks/results_bounds.md
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # scipy's L-BFGS-B: BLAS on tiny matrices
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NEWTONLAB_AUTO_COMPILE_AFTER", "0")  # compiled loops only

import numpy as np                                    # noqa: E402
from scipy.optimize import minimize as scipy_minimize  # noqa: E402

import newtonlab as nl                                # noqa: E402
from newtonlab import problems                        # noqa: E402

CASES = {
    "rosenbrock": [(None, 0.5), (None, None)],
    "beale": [(None, 2.5), (None, None)],
    "wood": [(-2.0, 0.8)] * 4,
    "extended_rosenbrock": [(None, 0.5), (None, None)] * 5,
    "brown_badly_scaled": [(None, 1e5), (None, None)],
    "helical_valley": [(None, 0.5), (None, None), (None, None)],
    "variably_dimensioned": [(None, 0.9)] * 3 + [(None, None)] * 7,
    "penalty1": [(0.25, None)] * 10,
}

#: (name, size, bounds, what) at n = 1000: the per-iteration O(n m) and O(n m^2) terms
LARGE = [
    ("chained_rosenbrock", 1000, [(None, 0.5), (None, None)] * 500, "odd xi <= 0.5"),
    ("chained_rosenbrock", 1000, [(1.2, None), (None, None)] * 500, "odd xi >= 1.2"),
]


def cpu_median(fn, budget):
    times, t_end = [], time.perf_counter() + budget
    while len(times) < 5 or time.perf_counter() < t_end:
        t = time.thread_time()
        fn()
        times.append(time.thread_time() - t)
    return statistics.median(times), len(times)


def measure(budget):
    """One row per case: counts, the difference from scipy's x, the first call and the
    medians (seconds) of both sides."""
    rows = []
    cases = [(problems.get(name), b, "") for name, b in CASES.items()]
    cases += [(problems.get(name, n=n), b, ", " + what) for name, n, b, what in LARGE]
    for p, b, what in cases:
        def ours():
            return nl.minimize(p.fun, p.x0, jac=p.jac, method="L-BFGS-B", bounds=b)

        def theirs():
            return scipy_minimize(p.fun, p.x0, jac=p.jac, method="L-BFGS-B", bounds=b,
                                  options={"gtol": 1e-5, "ftol": 0.0})
        t0 = time.perf_counter()
        r = ours()
        first = time.perf_counter() - t0
        s = theirs()
        t_nl, k = cpu_median(ours, budget)
        t_sp, _ = cpu_median(theirs, budget)
        dx = float(np.max(np.abs(r.x - s.x)) / max(1.0, float(np.max(np.abs(s.x)))))
        rows.append({"problem": f"{p.name} (n={p.n}{what})", "counts": f"{r.nit}/{r.nfev}",
                     "scipy_counts": f"{s.nit}/{s.nfev}", "dx": dx, "first": first,
                     "t_nl": t_nl, "t_sp": t_sp, "samples": k})
        print(" | ".join(str(v) for v in rows[-1].values()), flush=True)
    return rows


def table(rows, before):
    """Markdown rows; with ``before`` (rows of an older checkout, same cases), its
    newtonlab counts, first call, time and ratio beside this run's."""
    us = "{:.1f} µs".format
    if before is None:
        head = ["problem", "newtonlab nit/nfev", "scipy nit/nfev", "max rel. diff of x",
                "first call", "newtonlab (CPU)", "scipy (CPU)", "ratio", "samples"]
        body = [[r["problem"], r["counts"], r["scipy_counts"], f"{r['dx']:.1e}",
                 f"{r['first'] * 1e3:.1f} ms", us(r["t_nl"] * 1e6), us(r["t_sp"] * 1e6),
                 f"{r['t_sp'] / r['t_nl']:.1f}", str(r["samples"])] for r in rows]
    else:
        old = {r["problem"]: r for r in before}
        head = ["problem", "nit/nfev before → after", "scipy nit/nfev", "max rel. diff of x",
                "first call before → after", "newtonlab before (CPU)",
                "newtonlab after (CPU)", "speed-up", "scipy (CPU)",
                "ratio before → after"]
        body = []
        for r in rows:
            o = old[r["problem"]]
            counts = r["counts"] if o["counts"] == r["counts"] else \
                f"{o['counts']} → {r['counts']}"
            body.append([r["problem"], counts, r["scipy_counts"], f"{r['dx']:.1e}",
                         f"{o['first'] * 1e3:.0f} → {r['first'] * 1e3:.0f} ms",
                         us(o["t_nl"] * 1e6), us(r["t_nl"] * 1e6),
                         f"{o['t_nl'] / r['t_nl']:.1f}x", us(r["t_sp"] * 1e6),
                         f"{o['t_sp'] / o['t_nl']:.1f} → {r['t_sp'] / r['t_nl']:.1f}"])
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + \
        ["| " + " | ".join(b) + " |" for b in body]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=0.3, help="seconds of repeats per side")
    ap.add_argument("--out", default=None, help="write a markdown report here")
    ap.add_argument("--json", default=None, help="write the rows here (for --before)")
    ap.add_argument("--before", default=None,
                    help="rows (--json) of an older checkout, measured just before: "
                         "before/after columns")
    a = ap.parse_args()
    rows = measure(a.budget)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh)
    before = None
    if a.before:
        with open(a.before, encoding="utf-8") as fh:
            before = json.load(fh)
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip()
    text = "\n".join([
        "# Bounded L-BFGS-B: newtonlab vs scipy.optimize", "",
        f"Generated by `python benchmarks/bench_bounds.py` (newtonlab {rev}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.2f}). gtol = 1e-5; scipy `ftol=0`; same jitted fun/jac; "
        "medians of warm-call CPU times; 'first call' is newtonlab's first solve in this "
        "process (loading the bounded loop from numba's cache, or compiling it).", "",
        *table(rows, before), ""])
    if a.out:
        with open(a.out, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
