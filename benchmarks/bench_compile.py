"""Compile time per method: a new user's first result, cold and warm numba cache.

For each method, a fresh process with an empty numba cache imports newtonlab and
solves the 2-D Rosenbrock problem once with jitted derivatives (what a new
user's first script does), with the default ``execution="auto"`` (on a cold cache the
loop runs interpreted, over its compiled kernels) and, in another fresh process with an
empty cache, with ``execution="compiled"`` (the whole compiled loop: what
``newtonlab warmup`` compiles); a third fresh process runs the default again on the cache
the first one left (a returning user).  scipy's first result (fresh process,
``scipy.optimize.minimize(rosen, ..., method="BFGS")``) is measured in the same
run as the yardstick.  Times are wall-clock seconds from process start.

Run from a checkout (works on any version that has ``nl.minimize``, so the same
script measures the engine before and after a change)::

    python benchmarks/bench_compile.py [--methods bfgs lbfgs ...] [--out results_compile.md]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import time, json, sys
t0 = time.perf_counter()
import numpy as np
import newtonlab as nl
from newtonlab import problems
t1 = time.perf_counter()
m = nl.METHODS[sys.argv[1]]
p = problems.get("rosenbrock")
kw = {"jac": p.jac}
if m.needs_hess:
    kw["hess"] = p.hess
if getattr(m, "needs_hessp", False) and not m.needs_hess:
    kw["hessp"] = p.hessp
res = nl.minimize(p.fun, p.x0, method=sys.argv[1],
                  options={"maxiter": 5, "execution": sys.argv[2]}, **kw)
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first": t2 - t1, "execution": res.get("execution")}))
"""

SCIPY = r"""
import time, json
t0 = time.perf_counter()
import numpy as np
from scipy.optimize import minimize, rosen, rosen_der
res = minimize(rosen, np.array([-1.2, 1.0]), jac=rosen_der, method="BFGS")
print(json.dumps({"first": time.perf_counter() - t0}))
"""


def child(code, args, cache):
    env = {**os.environ, "NUMBA_CACHE_DIR": cache}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                         text=True, check=True)
    wall = time.perf_counter() - t0
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "wall": wall}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", nargs="*", default=None)
    ap.add_argument("--out", default=None, help="append a markdown table to this file")
    ap.add_argument("--label", default="", help="a label for the table (e.g. the git revision)")
    a = ap.parse_args()
    if a.methods is None:
        import newtonlab as nl
        a.methods = list(nl.METHODS)
    sp = child(SCIPY, [], tempfile.mkdtemp())["wall"]
    rows = [f"### Compile time per method {a.label}".rstrip(), "",
            f"scipy.optimize.minimize(BFGS) first result, fresh process: **{sp:.2f} s**", "",
            "| method | cold, default options: first result (s) | ratio to scipy | "
            "cold, `execution=\"compiled\"` (s) | ratio to scipy | warm cache (s) |",
            "|---|---|---|---|---|---|"]
    print("\n".join(rows), flush=True)
    for name in a.methods:
        cache = tempfile.mkdtemp(prefix="nl-cold-")
        try:
            cold = child(CHILD, [name, "auto"], cache)
            warm = child(CHILD, [name, "auto"], cache)
            comp = child(CHILD, [name, "compiled"], tempfile.mkdtemp(prefix="nl-cold-"))
        except subprocess.CalledProcessError as exc:
            row = f"| {name} | failed: {exc.stderr.strip().splitlines()[-1][:80]} | | | | |"
        else:
            row = (f"| {name} | {cold['wall']:.1f} ({cold['execution']}) | "
                   f"{cold['wall'] / sp:.1f}x | {comp['wall']:.1f} | {comp['wall'] / sp:.1f}x | "
                   f"{warm['wall']:.2f} ({warm['execution']}) |")
        print(row, flush=True)
        rows.append(row)
    if a.out:
        with open(a.out, "a") as fh:
            fh.write("\n".join(rows) + "\n\n")


if __name__ == "__main__":
    main()
