"""Plain-Python objectives: newtonlab's interpreted loop, its compiled loop calling Python
back, and scipy.optimize, on the same NumPy functions (issue 12, item 1: "plain-Python
objectives never slower than scipy").

Run from the repository root::

    python benchmarks/bench_python.py [--n 2 10 100] [--methods lbfgs bfgs newton]
        [--out benchmarks/results_python.md]

Each objective is a problem's ``.py_func`` (the NumPy/Python source of the jitted
problem function, as a user would write it); newtonlab runs it with
``options={"execution": "interpreted"}`` and ``{"execution": "compiled"}``, scipy with
its counterpart method at the same gtol.  Times are medians of interleaved rounds in one
warm process (the first call of each, which loads or compiles, is printed apart).
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy.optimize import minimize as scipy_minimize  # noqa: E402

import newtonlab as nl  # noqa: E402
from newtonlab import problems  # noqa: E402
from newtonlab.bench.counterparts import scipy_options  # noqa: E402

GTOL = 1e-5
NEEDS_HESS = ("newton", "newton-tr")
PROBLEMS = ("chained_rosenbrock", "quadratic")


def runners(p, method):
    """Zero-argument calls: newtonlab interpreted, newtonlab compiled loop, scipy."""
    f, g = p.fun.py_func, p.jac.py_func
    h = p.hess.py_func if method in NEEDS_HESS else None
    smeth = nl.METHODS[method].scipy
    sopts, _ = scipy_options(smeth, GTOL)
    sh = p.hess.py_func if smeth == "trust-exact" else None

    def ours(mode):
        return lambda: nl.minimize(f, p.x0, args=p.args, method=method, jac=g, hess=h,
                                   options={"gtol": GTOL, "execution": mode})
    return {"interpreted": ours("interpreted"), "compiled loop": ours("compiled"),
            "scipy": lambda: scipy_minimize(f, p.x0.copy(), args=p.args, method=smeth,
                                            jac=g, hess=sh, options=sopts)}, smeth


def median_times(calls, budget):
    """Median seconds per call of each entry, calls interleaved in rounds."""
    one = {k: max(1e-6, _timed(fn)[0]) for k, fn in calls.items()}
    number = {k: max(1, int(0.05 / t)) for k, t in one.items()}
    rounds = max(3, min(15, int(budget / (sum(one[k] * number[k] for k in calls) + 1e-9))))
    samples = {k: [] for k in calls}
    for _ in range(rounds):
        for k, fn in calls.items():
            t = time.perf_counter()
            for _ in range(number[k]):
                fn()
            samples[k].append((time.perf_counter() - t) / number[k])
    return {k: statistics.median(v) for k, v in samples.items()}, rounds


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def fmt(t):
    return f"{t * 1e6:.0f} us" if t < 1e-3 else f"{t * 1e3:.2f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[2, 10, 100])
    ap.add_argument("--methods", nargs="+", default=["lbfgs", "bfgs", "newton", "newton-tr",
                                                     "hager-zhang"])
    ap.add_argument("--budget", type=float, default=3.0, help="seconds per cell (about)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip()
    rows = []
    for name in PROBLEMS:
        for n in args.n:
            p = problems.get(name, n=n)
            for method in args.methods:
                calls, smeth = runners(p, method)
                first = {k: _timed(fn) for k, fn in calls.items()}     # loads / compiles
                res = {k: v[1] for k, v in first.items()}
                a, b = res["interpreted"], res["compiled loop"]
                assert np.array_equal(a.x, b.x) and a.nit == b.nit, (name, n, method)
                assert b.execution == "compiled" and a.execution == "interpreted"
                med, rounds = median_times(calls, args.budget)
                rows.append(dict(problem=name, n=n, method=method, smeth=smeth,
                                 nit=a.nit, nfev=a.nfev, snit=res["scipy"].nit,
                                 snfev=res["scipy"].nfev, first=first["compiled loop"][0],
                                 rounds=rounds, **med))
                r = rows[-1]
                print(f"{name:<19} n={n:<4} {method:<12} interp {fmt(r['interpreted']):>9}  "
                      f"loop {fmt(r['compiled loop']):>9}  scipy {fmt(r['scipy']):>9}  "
                      f"x{r['scipy'] / r['compiled loop']:.2f} / x{r['scipy'] / r['interpreted']:.2f}",
                      flush=True)
    lines = [
        "# Plain-Python objectives: interpreted loop, compiled loop calling Python, scipy",
        "",
        f"`python benchmarks/bench_python.py` at {rev}, {time.strftime('%Y-%m-%d')}; median "
        "per call of interleaved rounds in one warm process; each objective is the problem's "
        "`.py_func` (its NumPy/Python source).  x = scipy's time / newtonlab's (above 1: "
        "newtonlab faster).  `execution=\"auto\"` (the default) runs the interpreted loop "
        "first and the compiled loop once the method has run for 1 s in the process.",
        "",
        "| problem | n | method vs scipy | interpreted | compiled loop | scipy | x loop | "
        "x interpreted | nit / nfev (scipy) | first call (loop) |",
        "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['problem']} | {r['n']} | {r['method']} vs {r['smeth']} | "
            f"{fmt(r['interpreted'])} | {fmt(r['compiled loop'])} | {fmt(r['scipy'])} | "
            f"**{r['scipy'] / r['compiled loop']:.2f}** | {r['scipy'] / r['interpreted']:.2f} | "
            f"{r['nit']} / {r['nfev']} ({r['snit']} / {r['snfev']}) | {r['first']:.2f} s |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
