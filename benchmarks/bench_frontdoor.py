"""The front door's fixed cost: per-call time of ``newtonlab.minimize`` at n = 2, warm process.

Issue 12, item 1: with numba-jitted ``fun``/``jac`` on 2-D Rosenbrock, a call that
makes no iteration (``options={"maxiter": 0}``) measures what ``minimize`` costs
around the compiled solve (checks, options, objective, plan, trace, result); a
full solve adds the iterations.  Both are timed, per method, for

* newtonlab with the jitted callables (the compiled loop),
* ``scipy.optimize.minimize`` with the same jitted callables (its counterpart
  method: ``newtonlab.METHODS[m].scipy``),
* ``scipy.optimize.minimize`` with the NumPy forms (``py_func``) of the callables,

and, for the full solve, newtonlab's compiled solve alone: the machine-code entry that
``minimize`` runs, called with a prepared plan (its trace and workspace allocated per call,
as ``minimize`` does), without the front door.  It bounds what any front door could reach.

Every call is timed on its own with ``time.perf_counter`` after a warm-up; the
configurations are interleaved in rounds (so a burst of load from other jobs hits
them all alike) and each cell is the median over all calls of all rounds.  Run::

    python benchmarks/bench_frontdoor.py [--rounds 10] [--calls 200] [--methods ...]
        [--json out.json]

For a before/after table, measure each tree a few times in alternation (``PYTHONPATH``
selects the newtonlab measured; ``--label`` names it), then combine the runs (the
median of each cell over the runs)::

    python benchmarks/bench_frontdoor.py --before b1.json b2.json ... --after a1.json ...
        --out benchmarks/results_frontdoor.md
"""
import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")     # scipy's L-BFGS-B calls BLAS on tiny matrices
os.environ.setdefault("NEWTONLAB_AUTO_COMPILE_AFTER", "0")  # compiled loops only

import argparse                      # noqa: E402
import gc                            # noqa: E402
import json                          # noqa: E402
import platform                      # noqa: E402
import statistics                    # noqa: E402
import subprocess                    # noqa: E402
import time                          # noqa: E402

import numpy as np                   # noqa: E402
import scipy.optimize                # noqa: E402

import newtonlab as nl               # noqa: E402
from newtonlab import problems       # noqa: E402


NEEDS_HESS = ("newton", "newton-tr", "newton-cg", "trust-exact", "trust-ncg", "dogleg")


def problem(n):
    """The library's jitted Rosenbrock (its ``.py_func`` forms are the NumPy callables): the
    2-D one from (-1.2, 1), or the chained one of size n from its standard x0."""
    return problems.get("rosenbrock") if n == 2 else problems.get("chained_rosenbrock", n=n)


def label(method, n):
    return method if n == 2 else f"{method} (n={n})"


def calls(method, n):
    """{(solver, kind): zero-argument call} for one newtonlab method at size n."""
    P = problem(n)
    rosen, rosen_der, rosen_hess, X0 = P.fun, P.jac, P.hess, P.x0
    sp = nl.METHODS[method].scipy      # None: no scipy counterpart, newtonlab's cells only
    hess_nl = {"hess": rosen_hess} if nl.METHODS[method].needs_hess else {}
    hess_sp = {"hess": rosen_hess} if sp and sp.lower() in NEEDS_HESS else {}
    hess_py = {"hess": rosen_hess.py_func} if hess_sp else {}
    out = {}
    for kind, opts in (("maxiter=0", {"maxiter": 0}), ("full", None)):
        out["newtonlab", kind] = (lambda o=opts: nl.minimize(
            rosen, X0, method=method, jac=rosen_der, options=o, **hess_nl))
        if sp is None:
            continue
        out["scipy jitted", kind] = (lambda o=opts: scipy.optimize.minimize(
            rosen, X0, method=sp, jac=rosen_der, options=o, **hess_sp))
        out["scipy NumPy", kind] = (lambda o=opts: scipy.optimize.minimize(
            rosen.py_func, X0, method=sp, jac=rosen_der.py_func, options=o, **hess_py))
    alone = bare(method, P)
    if alone is not None:
        out["newtonlab solve alone", "full"] = alone
    return out


def bare(method, P):
    """A zero-argument call of ``method``'s compiled solve alone on problem ``P`` (the loop
    ``minimize`` runs, without the front door), or None on a tree without these internals."""
    try:
        from types import SimpleNamespace

        from newtonlab import _run as R
        from newtonlab._engine import trace as T
        from newtonlab._engine.signatures import no_callback
        from newtonlab._objective import make_objective
        from newtonlab._registry import get_method
        m = get_method(method)
        opts = m.options({})
        for key in ("second_order", "max_escapes"):
            opts.pop(key, None)
        hess = P.hess if m.needs_hess else None
        obj = make_objective(P.fun, P.x0, (), P.jac, hess, None, m.needs_hess, m.needs_hessp)
        obj = R.solver_objective(obj, opts)
        plan, H = R.plan_for(m, opts, obj, P.x0)
        solve = R.compiled_solve(m, plan.solve, obj.args_type, plan.options)
        ob, cb, args, x0, o = obj.addresses, no_callback().addr, obj.args, P.x0, plan.options
        rows, cols, shape = plan.maxiter + 1, T.NCOL + len(plan.columns), H.shape
        allvecs = np.empty((0, x0.size))
    except (ImportError, AttributeError, TypeError):
        return None

    def call():
        out = solve(ob, cb, args, x0, o, np.empty((rows, cols)), allvecs, np.zeros(shape))
        return SimpleNamespace(nit=out[4])
    return call


def interleaved_medians(calls, rounds, ncalls):
    """{key: median seconds of one call} for the zero-argument ``calls``: every call timed
    on its own (an interruption spoils one sample, not a batch), ``ncalls[key]`` calls of
    each per round, the keys interleaved in each round."""
    times = {key: [] for key in calls}
    gc.disable()                             # a collection inside one timed call is noise
    try:
        for _ in range(rounds):
            for key, f in calls.items():
                ts = times[key]
                for _ in range(ncalls[key]):
                    t0 = time.perf_counter()
                    f()
                    ts.append(time.perf_counter() - t0)
            gc.collect()
    finally:
        gc.enable()
    return {key: statistics.median(ts) for key, ts in times.items()}


def measure(methods, sizes, rounds, ncalls):
    """{label: {"solver|kind": median seconds per call}}, with nit of each full solve."""
    table = {label(m, n): calls(m, n) for n in sizes for m in methods}
    nit = {}
    for m, cells in table.items():           # warm-up: compile or load, first-call paths
        for key, f in cells.items():
            for _ in range(20):
                res = f()
            nit[f"{m}|{key[0]}|{key[1]}"] = int(res.nit)
    flat = {(m, key): f for m, cells in table.items() for key, f in cells.items()}
    med = interleaved_medians(flat, rounds, dict.fromkeys(flat, ncalls))
    return {m: {f"{s}|{k}": med[m, (s, k)] for (s, k) in cells} for m, cells in table.items()}, nit


def revision():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rev = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "newtonlab"],
                           capture_output=True, text=True).stdout.strip()
    return rev + (" + uncommitted changes in newtonlab/" if dirty else "")


def us(t):
    return "-" if t is None else f"{1e6 * t:.1f}"


def ratio(a, b):
    """a / b to one decimal, "-" without a scipy counterpart."""
    return "-" if a is None or b is None else f"{a / b:.1f}"


def combine(paths):
    """The runs in ``paths`` (``--json`` files): per-cell medians, nit, loads, labels."""
    runs = []
    for p in paths:
        with open(p) as fh:
            runs.append(json.load(fh))
    med = {m: {c: statistics.median(r["median"][m][c] for r in runs)
               for c in runs[0]["median"][m]} for m in runs[0]["median"]}
    loads = [x for r in runs for x in r["load"]]
    return med, runs[0]["nit"], loads, runs[0].get("label", "")


def render(med, nit, before=None):
    cols = ["method", "call", "newtonlab (us)", "scipy jitted (us)", "scipy NumPy (us)",
            "x scipy jitted", "x scipy NumPy"]
    if before:
        cols[2:3] = ["newtonlab before (us)", "newtonlab after (us)"]
        cols[-2:] = ["x scipy jitted before -> after", "x scipy NumPy before -> after"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for m, cells in med.items():
        for kind in ("maxiter=0", "full"):
            t_nl, t_sj, t_sn = (cells.get(f"{s}|{kind}") for s in
                                ("newtonlab", "scipy jitted", "scipy NumPy"))
            call = kind if kind != "full" else f"full (nit {nit[f'{m}|newtonlab|full']})"
            row = [m, call]
            if before:
                b = before[m][f"newtonlab|{kind}"]
                row += [us(b), us(t_nl), us(t_sj), us(t_sn),
                        f"{ratio(t_sj, b)} -> {ratio(t_sj, t_nl)}",
                        f"{ratio(t_sn, b)} -> {ratio(t_sn, t_nl)}"]
            else:
                row += [us(t_nl), us(t_sj), us(t_sn), ratio(t_sj, t_nl), ratio(t_sn, t_nl)]
            lines.append("| " + " | ".join(row) + " |")
        alone = cells.get("newtonlab solve alone|full")
        if alone is not None:       # the bound on any front door
            t_sj, t_sn = cells.get("scipy jitted|full"), cells.get("scipy NumPy|full")
            if before and before[m].get("newtonlab solve alone|full") is not None:
                row = [m, "full, compiled solve alone",
                       us(before[m]["newtonlab solve alone|full"]), us(alone)]
            else:
                row = [m, "full, compiled solve alone"] + [us(alone)] * (2 if before else 1)
            row += [us(t_sj), us(t_sn), ratio(t_sj, alone), ratio(t_sn, alone)]
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", nargs="*", default=["lbfgs", "bfgs", "newton"])
    ap.add_argument("--n", nargs="*", type=int, default=[2],
                    help="sizes: 2 is Rosenbrock, others chained Rosenbrock")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--calls", type=int, default=200, help="calls per cell per round")
    ap.add_argument("--json", help="write this run's medians here")
    ap.add_argument("--label", default="", help="names the newtonlab measured (--json)")
    ap.add_argument("--before", nargs="*", help="--json files of the tree before a change")
    ap.add_argument("--after", nargs="*", help="--json files of the tree after it")
    ap.add_argument("--out", help="write the markdown table here")
    a = ap.parse_args()
    common = (f"Per-call time at n = 2 (Rosenbrock from (-1.2, 1); other n: chained "
              f"Rosenbrock from its standard x0), one warm process per run, "
              f"{platform.machine()}, {os.cpu_count()} cores, one BLAS thread; each cell the "
              f"median over all calls (after a warm-up), calls interleaved in rounds.  "
              f"`maxiter=0`: `options={{'maxiter': 0}}`, the fixed cost; full: default "
              f"options.  x: scipy's time / newtonlab's.")
    if a.after:
        med, nit, loads, label = combine(a.after)
        bmed, _, bloads, blabel = combine(a.before) if a.before else (None, None, [], "")
        head = (f"{common}\n\nnewtonlab {revision()}; after: {label}"
                + (f"; before: {blabel}" if a.before else "")
                + f".  Medians of {len(a.after)} runs"
                + (" each (before and after in alternation)" if a.before else "")
                + f"; load average (1 min) {min(loads + bloads):.2f}-"
                f"{max(loads + bloads):.2f} during the runs.")
        text = head + "\n\n" + render(med, nit, bmed)
    else:
        load0 = os.getloadavg()[0]
        med, nit = measure(a.methods, a.n, a.rounds, a.calls)
        load1 = os.getloadavg()[0]
        if a.json:
            with open(a.json, "w") as fh:
                json.dump({"median": med, "nit": nit, "load": [load0, load1],
                           "label": a.label or f"newtonlab {revision()}"}, fh, indent=1)
        text = (f"{common}\n\nnewtonlab {a.label or revision()}, {a.rounds} x {a.calls} "
                f"calls per cell, load average {load0:.2f} at start / {load1:.2f} at end."
                f"\n\n" + render(med, nit))
    print(text)
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
