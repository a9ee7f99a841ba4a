"""newtonlab.analysis.lanczos vs ARPACK (scipy eigsh + LinearOperator), matrix-free, n = 1e5.

Run from the repository root::

    python benchmarks/bench_spectrum.py            # n = 1e5 (outliers), 2e4 (bulk-edge), k = 5
    python benchmarks/bench_spectrum.py --n 20000 --repeats 1

The operator is a jitted Hessian-vector product H p = (c L + diag(d)) p with L the
1-D Laplacian tridiag(-1, 2, -1): a sparse, indefinite Hessian whose spectrum is a
bulk plus a few outliers (the shape Ghorbani et al. 2019 report for networks):

* "outliers": d = bulk uniform in [-0.3, 1] plus 5 eigenvalues pushed up and 5
  down; the reference is eigsh with tol = 0 (machine precision) and a wide basis.
* "bulk-edge": c = 1, d = 0.5 cos(2 pi i / n) - 0.2 (no outliers): the extreme
  eigenvalues sit in dense clusters, the hard case for every Krylov method.

Both solvers get the same operator, start-vector-independent tolerance 1e-10 and
one thread of BLAS (OPENBLAS_NUM_THREADS=1 unless set: on a loaded 2-core machine
threaded BLAS made ARPACK's memory-bound gemv up to 100x slower).  Times are the
best of ``--repeats`` after a warm-up (numba compile reported apart).
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy.sparse.linalg import LinearOperator, eigsh  # noqa: E402

from newtonlab._engine.config import jit  # noqa: E402
from newtonlab.analysis import lanczos  # noqa: E402


@jit
def tridiag_hessp(x, p, d, c):
    """(c L + diag(d)) p, L = tridiag(-1, 2, -1) (x unused: a quadratic's Hessian)."""
    n = p.size
    out = np.empty(n)
    for i in range(n):
        s = (2.0 * c + d[i]) * p[i]
        if i > 0:
            s -= c * p[i - 1]
        if i + 1 < n:
            s -= c * p[i + 1]
        out[i] = s
    return out


def operator(case, n, seed=0):
    rng = np.random.default_rng(seed)
    if case == "outliers":
        c = 0.1
        d = rng.uniform(-0.3, 1.0, n)
        idx = rng.choice(n, 10, replace=False)
        d[idx[:5]] = [8.0, 7.0, 6.0, 5.0, 4.0]
        d[idx[5:]] = [-5.0, -4.0, -3.0, -2.5, -2.0]
    else:
        c = 1.0
        d = 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n) - 0.2
    x = np.zeros(n)
    return (lambda v: tridiag_hessp(x, v, d, c)), n


def best_of(fn, repeats):
    out, best = None, np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return out, best


def run(case, n, k, repeats, tol):
    mv, n = operator(case, n)
    counter = [0]

    def counted(v):
        counter[0] += 1
        return mv(v)
    A = LinearOperator((n, n), matvec=counted, dtype=np.float64)
    t = time.perf_counter()
    ref_lo = np.sort(eigsh(A, k, which="SA", tol=0.0, ncv=60)[0])
    ref_hi = np.sort(eigsh(A, k, which="LA", tol=0.0, ncv=60)[0])
    t_ref = time.perf_counter() - t
    ref = np.r_[ref_lo, ref_hi]
    rows = []
    for label, which in (("top-k", "LA"), ("bottom-k", "SA"), ("both ends", "both")):
        want = {"LA": ref_hi, "SA": ref_lo, "both": ref}[which]
        counter[0] = 0
        r, t_nl = best_of(lambda: lanczos(counted, k=k, which=which, n=n, tol=tol), repeats)
        mv_nl = counter[0] // repeats
        if which == "both":   # ARPACK needs two runs (or BE with 2k, which also converges both)
            def arpack():
                return np.r_[np.sort(eigsh(A, k, which="SA", tol=tol)[0]),
                             np.sort(eigsh(A, k, which="LA", tol=tol)[0])]
        else:
            def arpack():
                return np.sort(eigsh(A, k, which=which, tol=tol)[0])
        counter[0] = 0
        lam_ar, t_ar = best_of(arpack, repeats)
        mv_ar = counter[0] // repeats
        err = lambda lam: (np.abs(lam - want).max(),  # noqa: E731
                           (np.abs(lam - want) / np.abs(want)).max())
        rows.append((label, t_nl, t_ar, mv_nl, mv_ar, *err(r.eigenvalues), *err(lam_ar)))
    print(f"\ncase {case!r}: n = {n}, k = {k}, tol = {tol:g}; reference (eigsh tol=0) "
          f"{t_ref:.2f} s: bottom {np.array2string(ref_lo, precision=6)}, "
          f"top {np.array2string(ref_hi, precision=6)}")
    print(f"{'':10s} {'newtonlab s':>11s} {'ARPACK s':>9s} {'ratio':>6s} {'matvecs nl/AR':>14s} "
          f"{'nl max abs':>10s} {'nl max rel':>10s} {'AR max abs':>10s} {'AR max rel':>10s}")
    for label, tn, ta, mn, ma, ea, er, fa, fr in rows:
        print(f"{label:10s} {tn:11.3f} {ta:9.3f} {ta / tn:6.2f} {mn:>6d}/{ma:<7d} "
              f"{ea:10.2e} {er:10.2e} {fa:10.2e} {fr:10.2e}")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--n-hard", type=int, default=20_000,
                    help="n of the bulk-edge case (its clusters tighten as 1/n^2: the "
                         "tol=0 reference alone takes minutes at n=1e5)")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tol", type=float, default=1e-10)
    ap.add_argument("--cases", default="outliers,bulk-edge")
    a = ap.parse_args()
    t = time.perf_counter()
    mv, n = operator("outliers", 1000)
    lanczos(mv, k=2, n=n)      # compiles (or loads) the hessp and the Lanczos kernels
    print(f"warm-up (numba compile or cache load of hessp + kernels): "
          f"{time.perf_counter() - t:.2f} s; OPENBLAS_NUM_THREADS="
          f"{os.environ['OPENBLAS_NUM_THREADS']}; ratio = ARPACK time / newtonlab time")
    for case in a.cases.split(","):
        run(case, a.n if case == "outliers" else a.n_hard, a.k, a.repeats, a.tol)


if __name__ == "__main__":
    main()
