"""What bounds lbfgs's speed ratio to scipy at small n: its iterations taken apart.

Issue 12, item 1 asks lbfgs for 50x scipy's L-BFGS-B with NumPy objectives and 20x with the
same jitted callables.  A ratio is (scipy's time per call) / (ours), so each target is a
budget per call, B = scipy / target.  This script measures, in one warm process, on the
problems of ``bench_frontdoor.py`` (2-D Rosenbrock; chained Rosenbrock at other n):

* ``minimize`` per call, the compiled solve alone (``bench_frontdoor.bare``: no front
  door), and scipy's ``L-BFGS-B`` with the jitted and the NumPy callables, with their
  iteration and evaluation counts;
* the two kernels every iteration runs, each in a compiled loop: the two-loop recursion
  (``kernels.two_loop``, N&W Alg. 7.4) with c = 0..m stored pairs, and one evaluation of f
  and g (the problem's jitted ``fun`` and ``jac``, called directly: no dearer than the
  solver's call through the run's context); each the minimum over rounds.

The kernel floor of a solve is sum over its iterations k of two_loop(min(k, m)) plus nfev
evaluations: what the same iterations cost with these kernels and nothing else (no line
search logic, copies, trace, front door).  Above it a call spends the loop's own work and
the front door; the table shows how much room B leaves them.  Run::

    python benchmarks/bench_lbfgs_floor.py [--n 2 100] [--rounds 7] [--out FILE]
"""
import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")     # scipy's L-BFGS-B calls BLAS on tiny matrices
os.environ.setdefault("NEWTONLAB_AUTO_COMPILE_AFTER", "0")  # compiled loops only

import argparse                      # noqa: E402
import platform                      # noqa: E402
import statistics                    # noqa: E402
import time                          # noqa: E402

import numba                         # noqa: E402
import numpy as np                   # noqa: E402
import scipy                         # noqa: E402
import scipy.optimize                # noqa: E402

import newtonlab as nl               # noqa: E402
from bench_frontdoor import bare, interleaved_medians, problem, revision   # noqa: E402
from newtonlab._engine import kernels as K            # noqa: E402

TARGETS = {"scipy NumPy": 50.0, "scipy jitted": 20.0}   # issue 12, item 1


@numba.njit
def _two_loops(S, Y, rho, count, g, reps):
    """``reps`` two-loop recursions over ``count`` stored pairs (timed by the caller)."""
    m, n = S.shape
    alpha = np.zeros(m)
    out = np.empty(n)
    acc = 0.0
    for _ in range(reps):
        g[0] += 1e-300 * acc                 # a dependence: the calls cannot be hoisted
        K.two_loop(g, S, Y, rho, count - 1, count, 1.0, alpha, out)
        acc += out[0]
    return acc


def _per_call(f, reps, rounds, best=False):
    """Median (``best``: minimum) over rounds of (time of ``reps`` calls of f) / reps."""
    f()
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(reps):
            f()
        out.append((time.perf_counter() - t0) / reps)
    return min(out) if best else statistics.median(out)


def _medians(calls, rounds):
    """{name: median seconds of one call} (``bench_frontdoor.interleaved_medians``), in
    rounds of ~20 ms of calls of each."""
    per_round = {k: min(200, max(1, int(0.02 / _per_call(c, 3, 1)))) for k, c in calls.items()}
    return interleaved_medians(calls, rounds, per_round)


def kernel_times(P, m, rounds):
    """(two_loop seconds by stored pairs c = 0..m, seconds per f-and-g evaluation)."""
    n = P.x0.size
    rng = np.random.default_rng(0)
    S = rng.standard_normal((m, n))
    Y = S + 0.1 * rng.standard_normal((m, n))
    rho = 1.0 / np.einsum("ij,ij->i", S, Y)
    g = rng.standard_normal(n)
    reps = max(2000, 50_000_000 // (4 * m * n + 50))      # ~5-30 ms per round
    # the minimum over rounds: a floor is the kernel's best time (load only adds to it)
    two = [_per_call(lambda c=c: _two_loops(S, Y, rho, c, g, reps), 1, rounds, True) / reps
           for c in range(m + 1)]
    fun, jac = P.fun, P.jac

    @numba.njit
    def evals(x, reps):
        s = 0.0
        for _ in range(reps):
            x[0] += 1e-300 * s
            s += fun(x) + jac(x)[-1]
        return s
    x = P.x0.copy()
    fg = _per_call(lambda: evals(x, reps), 1, rounds, True) / reps
    return two, fg


def measure(n, m, rounds):
    P = problem(n)
    f, g, x0 = P.fun, P.jac, P.x0
    opts = {"m": m}
    res = nl.minimize(f, x0, method="lbfgs", jac=g, options=opts)
    spj = scipy.optimize.minimize(f, x0, method="L-BFGS-B", jac=g, options={"maxcor": m})
    spn = scipy.optimize.minimize(f.py_func, x0, method="L-BFGS-B", jac=g.py_func,
                                  options={"maxcor": m})
    alone = bare("lbfgs", P)
    calls = {
        "minimize": lambda: nl.minimize(f, x0, method="lbfgs", jac=g, options=opts),
        "solve alone": alone,
        "scipy jitted": lambda: scipy.optimize.minimize(f, x0, method="L-BFGS-B", jac=g,
                                                        options={"maxcor": m}),
        "scipy NumPy": lambda: scipy.optimize.minimize(f.py_func, x0, method="L-BFGS-B",
                                                       jac=g.py_func, options={"maxcor": m}),
    }
    t = _medians(calls, rounds)
    two, fg = kernel_times(P, m, rounds)
    floor = sum(two[min(k, m)] for k in range(res.nit)) + res.nfev * fg
    return dict(n=n, nit=res.nit, nfev=res.nfev, sp_nit=spj.nit, sp_nfev=spj.nfev,
                spn_nit=spn.nit, t=t, two=two, fg=fg, floor=floor)


def render(rows, m):
    us = lambda s: f"{1e6 * s:.1f}"          # noqa: E731
    ns = lambda s: f"{1e9 * s:.0f}"          # noqa: E731
    out = ["| n | nit, nfev: newtonlab / scipy | two-loop at c = m (ns) | f and g (ns) | "
           "kernel floor (us) | solve alone (us) | minimize (us) |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        t = r["t"]
        out.append(f"| {r['n']} | {r['nit']}, {r['nfev']} / {r['sp_nit']}, {r['sp_nfev']} | "
                   f"{ns(r['two'][m])} | {ns(r['fg'])} | {us(r['floor'])} | "
                   f"{us(t['solve alone'])} | {us(t['minimize'])} |")
    out += ["", "The budget B = scipy / target.  Above the kernel floor a call spends the loop's "
            "own work (solve alone - floor) and the front door (minimize - solve alone); both "
            "must fit in the room B - floor.", "",
            "| n | against | scipy (us) | target | x now (minimize) | budget B (us) | "
            "room B - floor (us) | loop's own work (us) | front door (us) | met |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        t = r["t"]
        own, door = t["solve alone"] - r["floor"], t["minimize"] - t["solve alone"]
        for who, target in TARGETS.items():
            B = t[who] / target
            out.append(f"| {r['n']} | {who} | {us(t[who])} | {target:.0f}x | "
                       f"{t[who] / t['minimize']:.1f} | {us(B)} | {us(B - r['floor'])} | "
                       f"{us(own)} | {us(door)} | {'yes' if t['minimize'] <= B else 'no'} |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", nargs="*", type=int, default=[2, 100])
    ap.add_argument("--m", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--out", help="write the markdown here")
    a = ap.parse_args()
    load0 = os.getloadavg()[0]
    rows = [measure(n, a.m, a.rounds) for n in a.n]
    load1 = os.getloadavg()[0]
    head = (f"newtonlab {revision()}, scipy {scipy.__version__}, numba {numba.__version__}, "
            f"{platform.machine()}, {os.cpu_count()} cores, one BLAS thread, m = {a.m}; "
            f"{a.rounds} rounds, each call timed on its own, medians; load average "
            f"{load0:.2f} at start / {load1:.2f} at end.  Kernel floor: sum over the "
            f"iterations k of two_loop(min(k, m)) plus nfev f-and-g evaluations, each kernel "
            f"at its best round.  x: scipy's time / ours.")
    text = head + "\n\n" + render(rows, a.m)
    print(text)
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
