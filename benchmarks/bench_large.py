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
(``maxcor`` = m, no bounds).  newtonlab runs three times: the two-loop recursion, the
compact representation (option ``direction_form``, two fused passes over S and Y; "auto"
picks it at this n), and the compact form with ``parallel=True`` (its passes on numba's
threads; the floor is then also shown for as many threads).  **Setup** is a run with
maxiter = 0 (allocation of the iterate's vectors and the pair memory, one evaluation
subtracted): part of "per iteration" (spread over the run's iterations, as a user pays
it), also shown alone.  Run::

    python benchmarks/bench_large.py [--n 1000000] [--m 10] [--iters 40] [--reps 3]
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("NEWTONLAB_AUTO_COMPILE_AFTER", "0")  # compiled loops only

import numba  # noqa: E402
import numpy as np  # noqa: E402


@numba.njit(cache=True, nogil=True)
def quad_fg(x, d):
    f = 0.0
    g = np.empty_like(x)
    for i in range(x.size):
        gi = d[i] * x[i]
        g[i] = gi
        f += 0.5 * gi * x[i]
    return f, g


@numba.njit(cache=True, nogil=True, fastmath={"reassoc"}, parallel=True)
def _stream_threads(A):
    t = 0.0
    for i in range(A.shape[0]):
        for j in numba.prange(A.shape[1]):
            t += A[i, j]
    return t


@numba.njit(cache=True, nogil=True, fastmath={"reassoc"})
def _stream(A):
    t = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            t += A[i, j]
    return t


def floor_seconds(S, Y, reps, stream=_stream):
    """Median time to stream S and Y twice (the two-loop's unavoidable reads)."""
    stream(S)
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        stream(S) + stream(Y) + stream(S) + stream(Y)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def direction_seconds(S, Y, reps):
    """Median time of the direction alone with a full memory (m pairs): the two-loop
    recursion (``kernels.two_loop``) and the compact form (``methods/_lbfgs_compact.direction``,
    a pending newest pair included, as every iteration after an update)."""
    from newtonlab._engine import kernels as K
    from newtonlab.methods import _lbfgs_compact as C
    m, n = S.shape
    rng = np.random.default_rng(1)
    g = rng.standard_normal(n)
    p = np.empty(n)
    rho = 1.0 / np.abs(np.einsum("ij,ij->i", S, Y))
    _, _, _, _, rows, acc, moved, coef = C.workspace_arrays(m, 2)
    SY = S @ Y.T
    YY = Y @ Y.T
    SY[np.diag_indices(m)] = 1.0 / rho
    g_seen = np.zeros(n)
    forms = {"two-loop": lambda: K.two_loop(g, S, Y, rho, m - 1, m, 0.5, coef[0], p),
             "compact": lambda: C.direction(g, g_seen, S, Y, SY, YY, m - 1, m, True, 0.5,
                                            False, rows, acc, moved, coef, p),
             "compact on threads": lambda: C.direction_threads(
                 g, g_seen, S, Y, SY, YY, m - 1, m, True, 0.5, False, rows, acc, moved, coef,
                 p)}
    out = {}
    for label, f in forms.items():
        f()
        ts = []
        for _ in range(reps):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
        out[label] = statistics.median(ts)
    return out


def objective_seconds(x, d, reps):
    quad_fg(x, d)
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        quad_fg(x, d)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def run_newtonlab(x0, d, m, iters, form="auto", parallel=False):
    import newtonlab as nl
    t = time.perf_counter()
    r = nl.minimize(quad_fg, x0, args=(d,), jac=True, method="lbfgs",
                    options={"m": m, "maxiter": iters, "gtol": 0.0, "unbounded_probe": False,
                             "direction_form": form, "parallel": parallel})
    return time.perf_counter() - t, r.nit, r.nfev, r.fun


def two_loop(x0, d, m, iters):
    return run_newtonlab(x0, d, m, iters, "two-loop")


def compact(x0, d, m, iters):
    return run_newtonlab(x0, d, m, iters, "compact")


def compact_threads(x0, d, m, iters):
    return run_newtonlab(x0, d, m, iters, "compact", parallel=True)


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
    for form, par in (("two-loop", False), ("compact", False), ("compact", True)):
        run_newtonlab(x0[:10].copy(), d[:10].copy(), a.m, 2, form, par)   # compile / load
    t_compile = time.perf_counter() - t_c
    floor = floor_seconds(S, Y, 5)
    floor2 = floor_seconds(S, Y, 5, _stream_threads)
    t_dir = direction_seconds(S, Y, 5)
    del S, Y
    t_obj = objective_seconds(x0, d, 5)
    rows = {}
    solvers = (("newtonlab lbfgs, two-loop", two_loop), ("newtonlab lbfgs, compact", compact),
               ("newtonlab lbfgs, compact, parallel=True", compact_threads),
               ("scipy L-BFGS-B", run_scipy))
    runs = {label: [] for label, _ in solvers}
    for _ in range(a.reps):          # interleaved: a busy spell on the machine hits them all
        for label, run in solvers:
            runs[label].append(run(x0, d, a.m, a.iters))
    setup = {}
    for label, run in solvers[:3]:
        ts = [run(x0, d, a.m, 0) for _ in range(3)]
        setup[label] = statistics.median(r[0] for r in ts) - ts[0][2] * t_obj
    for label, _ in solvers:
        runs_ = runs[label]
        t = statistics.median(r[0] for r in runs_)
        _, nit, nfev, f = runs_[0]
        own = (t - nfev * t_obj) / nit
        rows[label] = (t, nit, nfev, f, own)
    print(f"n = {a.n:,}, m = {a.m}, {a.iters} iterations (gtol = 0), median of {a.reps} runs; "
          f"one objective call {t_obj * 1e3:.1f} ms; newtonlab compile/load "
          f"{t_compile:.2f} s (excluded)\n")
    print(f"Memory floor (stream S and Y twice, one thread): **{floor * 1e3:.1f} ms** per "
          f"iteration; on {numba.get_num_threads()} threads: {floor2 * 1e3:.1f} ms\n")
    print("Direction alone, full memory (m pairs), median of 5: "
          + ", ".join(f"{k} **{v * 1e3:.1f} ms** ({v / floor:.2f}x floor)"
                      for k, v in t_dir.items()) + "\n")
    print("| solver | total (s) | nit | nfev | f | per iteration, objective excluded (ms) | "
          "x floor | setup per run (ms) |")
    print("|---|---|---|---|---|---|---|---|")
    for label, (t, nit, nfev, f, own) in rows.items():
        su = f"{setup[label] * 1e3:.0f}" if label in setup else ""
        print(f"| {label} | {t:.2f} | {nit} | {nfev} | {f:.3e} | {own * 1e3:.1f} | "
              f"{own / floor:.2f}x | {su} |")
    sp_own = rows["scipy L-BFGS-B"][4]
    print()
    for label in [k for k in rows if k.startswith("newtonlab")]:
        print(f"scipy / {label} per iteration (objective excluded): "
              f"{sp_own / rows[label][4]:.2f}x")
    print("targets: <= 1.6x floor, >= 5x scipy")


if __name__ == "__main__":
    main()
