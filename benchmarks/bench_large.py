"""L-BFGS at n = 10^6: per-iteration cost against the memory floor and against scipy.

Issue 12, item 3.  With m = 10 pairs the L-BFGS direction (two-loop recursion,
N&W Alg. 7.4) reads the (m, n) buffers S and Y twice per iteration: 4 m n
doubles, 320 MB at n = 10^6.  No implementation of the recursion can read less,
so the **floor** is the time one thread takes to stream S and Y twice (a
compiled sum over both, twice), measured in the same process and run.

Both solvers minimize the same ill-conditioned separable quadratic
f = 1/2 sum d_i x_i^2 (d log-spaced in [1, 10^4], a compiled fused f and g) for
a fixed number of iterations (gtol = 0: no early stop); the objective's own cost
(calls x time per call, measured apart) is subtracted, so the table compares
what each solver spends per iteration on its own work.  scipy is L-BFGS-B
(``maxcor`` = m, no bounds).  Run::

    python benchmarks/bench_large.py [--n 1000000] [--m 10] [--iters 40] [--reps 3]
"""
import argparse
import statistics
import time

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def quad_fg(x, d):
    f = 0.0
    g = np.empty_like(x)
    for i in range(x.size):
        gi = d[i] * x[i]
        g[i] = gi
        f += 0.5 * gi * x[i]
    return f, g


@numba.njit(cache=True, nogil=True, fastmath={"reassoc"})
def _stream(A):
    t = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            t += A[i, j]
    return t


def floor_seconds(S, Y, reps):
    """Median time to stream S and Y twice (the two-loop's unavoidable reads)."""
    _stream(S)
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        _stream(S) + _stream(Y) + _stream(S) + _stream(Y)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def objective_seconds(x, d, reps):
    quad_fg(x, d)
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        quad_fg(x, d)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def run_newtonlab(x0, d, m, iters):
    import newtonlab as nl
    t = time.perf_counter()
    r = nl.minimize(quad_fg, x0, args=(d,), jac=True, method="lbfgs",
                    options={"m": m, "maxiter": iters, "gtol": 0.0, "unbounded_probe": False})
    return time.perf_counter() - t, r.nit, r.nfev, r.fun


def run_scipy(x0, d, m, iters):
    from scipy.optimize import minimize
    t = time.perf_counter()
    r = minimize(quad_fg, x0.copy(), args=(d,), jac=True, method="L-BFGS-B",
                 options={"maxcor": m, "maxiter": iters, "gtol": 0.0, "ftol": 0.0,
                          "maxfun": 10 * iters})
    return time.perf_counter() - t, r.nit, r.nfev, float(r.fun)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--m", type=int, default=10)
    ap.add_argument("--iters", type=int, default=40)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    d = np.logspace(0.0, 4.0, a.n)
    x0 = rng.standard_normal(a.n)
    S = rng.standard_normal((a.m, a.n))
    Y = rng.standard_normal((a.m, a.n))
    t_c = time.perf_counter()
    run_newtonlab(x0[:10].copy(), d[:10].copy(), a.m, 2)     # compile / load, not timed
    t_compile = time.perf_counter() - t_c
    floor = floor_seconds(S, Y, 5)
    del S, Y
    t_obj = objective_seconds(x0, d, 5)
    rows = {}
    for label, run in (("newtonlab lbfgs", run_newtonlab), ("scipy L-BFGS-B", run_scipy)):
        runs = [run(x0, d, a.m, a.iters) for _ in range(a.reps)]
        t = statistics.median(r[0] for r in runs)
        _, nit, nfev, f = runs[0]
        own = (t - nfev * t_obj) / nit
        rows[label] = (t, nit, nfev, f, own)
    print(f"n = {a.n:,}, m = {a.m}, {a.iters} iterations (gtol = 0), median of {a.reps} runs; "
          f"one objective call {t_obj * 1e3:.1f} ms; newtonlab compile/load "
          f"{t_compile:.2f} s (excluded)\n")
    print(f"Memory floor (stream S and Y twice, one thread): **{floor * 1e3:.1f} ms** per "
          "iteration\n")
    print("| solver | total (s) | nit | nfev | f | per iteration, objective excluded (ms) | "
          "x floor |")
    print("|---|---|---|---|---|---|---|")
    for label, (t, nit, nfev, f, own) in rows.items():
        print(f"| {label} | {t:.2f} | {nit} | {nfev} | {f:.3e} | {own * 1e3:.1f} | "
              f"{own / floor:.2f}x |")
    nl_own, sp_own = rows["newtonlab lbfgs"][4], rows["scipy L-BFGS-B"][4]
    print(f"\nscipy / newtonlab per iteration (objective excluded): {sp_own / nl_own:.2f}x; "
          f"targets: <= 1.6x floor, >= 5x scipy")


if __name__ == "__main__":
    main()
