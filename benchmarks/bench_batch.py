"""minimize_batch: many starts of 2-D Rosenbrock against a Python loop over scipy.

One run, one process, same starts and tolerance (gtol 1e-5, L-BFGS-B's pgtol is
the same infinity-norm test): scipy.optimize.minimize(method="L-BFGS-B") in a
Python loop on scipy's own rosen/rosen_der (what a scipy user runs; with the
problem library's pure-Python functions too), newtonlab.minimize in a Python
loop, and newtonlab.minimize_batch
(one compiled loop, one thread per core).  Compile time (the first call, cold
cache when run with an empty NUMBA_CACHE_DIR) is reported apart, and so is the
fixed cost of one minimize_batch call (one start); solve times are the median
of --repeat calls.  The load average is printed before and after: another
process busy on the machine takes a core from the two-thread run (its median
then equals the one-thread time), so compare runs where it is about half.
OpenBLAS runs one thread (OPENBLAS_NUM_THREADS=1 unless set): with its default
threads scipy's loop keeps a second core spinning (1.95 s of CPU in 0.98 s)
and, when another process wanted that core, took 2 to 73 s instead of 1; with
one thread it is 3% faster and steady (a stricter baseline).

    python benchmarks/bench_batch.py [--starts 1000] [--repeat 5] [--method lbfgs]
"""
import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before numpy loads OpenBLAS (see above)
os.environ.setdefault("NEWTONLAB_AUTO_COMPILE_AFTER", "0")  # compiled loops only

import numpy as np  # noqa: E402
from scipy.optimize import minimize as sp_minimize  # noqa: E402
from scipy.optimize import rosen, rosen_der, rosen_hess  # noqa: E402

import newtonlab as nl  # noqa: E402
from newtonlab import problems  # noqa: E402

SCIPY = {"lbfgs": "L-BFGS-B", "bfgs": "BFGS", "newton-tr": "trust-exact"}


def timed(fn, repeat):
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)), float(np.min(ts)), float(np.max(ts)), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--method", default="lbfgs", choices=sorted(SCIPY))
    a = ap.parse_args()
    p = problems.get("rosenbrock")
    X0 = np.random.default_rng(0).uniform(-2.0, 2.0, size=(a.starts, 2))
    kw = {"hess": p.hess} if nl.METHODS[a.method].needs_hess else {}
    skw = {"hess": rosen_hess} if kw else {}
    pkw = {"hess": p.hess.py_func} if kw else {}

    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    nl.minimize_batch(p.fun, X0[:2], method=a.method, jac=p.jac, **kw)
    compile_s = time.perf_counter() - t0
    one = timed(lambda: nl.minimize_batch(p.fun, X0[:1], method=a.method, jac=p.jac, **kw),
                50)

    sp = timed(lambda: [sp_minimize(rosen, x, jac=rosen_der, method=SCIPY[a.method], **skw)
                        for x in X0], max(1, a.repeat // 2))
    sp_py = timed(lambda: [sp_minimize(p.fun.py_func, x, jac=p.jac.py_func,
                                       method=SCIPY[a.method], **pkw) for x in X0],
                  max(1, a.repeat // 2))
    loop = timed(lambda: [nl.minimize(p.fun, x, method=a.method, jac=p.jac, **kw) for x in X0],
                 a.repeat)
    batch1 = timed(lambda: nl.minimize_batch(p.fun, X0, method=a.method, jac=p.jac, workers=1,
                                             **kw), a.repeat)
    batch = timed(lambda: nl.minimize_batch(p.fun, X0, method=a.method, jac=p.jac, **kw),
                  a.repeat)
    solved = lambda xs: int(sum(np.allclose(x, 1.0, atol=1e-4) for x in xs))  # noqa: E731
    rows = [("scipy " + SCIPY[a.method] + ", Python loop (scipy.optimize.rosen)", sp,
             solved(r.x for r in sp[3])),
            ("scipy " + SCIPY[a.method] + ", Python loop (pure-Python rosenbrock)", sp_py,
             solved(r.x for r in sp_py[3])),
            ("newtonlab.minimize, Python loop", loop, solved(r.x for r in loop[3])),
            ("newtonlab.minimize_batch, 1 thread", batch1, solved(batch1[3].x)),
            ("newtonlab.minimize_batch, all cores", batch, solved(batch[3].x))]
    print(f"{a.starts} starts of 2-D Rosenbrock, method {a.method}; first minimize_batch call "
          f"(compile or cache load) {compile_s:.2f} s; a call with one start (fixed cost) "
          f"{one[0] * 1e3:.3f} ms median; load average {load0:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after; OPENBLAS_NUM_THREADS="
          f"{os.environ['OPENBLAS_NUM_THREADS']}\n")
    print("| runner | median (s) | min-max (s) | speed-up vs scipy | solved (|x - 1| <= 1e-4) |")
    print("|---|---|---|---|---|")
    for name, (med, lo, hi, _), ok in rows:
        print(f"| {name} | {med:.4f} | {lo:.4f}-{hi:.4f} | {sp[0] / med:.0f}x | {ok} |")


if __name__ == "__main__":
    main()
