"""Newton's linear algebra per iteration: ``_engine.factor.cholesky`` and its solve, and
``kernels.symmetrize``, against LAPACK through scipy.linalg, on banded and dense matrices.

Run from the repository root::

    python benchmarks/bench_factor.py [--n 100 400] [--out benchmarks/results_factor.md]

Matrices: symmetric positive definite of bandwidth b (b = n - 1: dense), and "arrow":
tridiagonal with its last n / 8 rows and columns dense (a few variables coupled to all,
ordered last: an envelope path trap), diagonally dominant, as a Newton iteration sees
them (a full (n, n) array).  Per matrix, the median
time per call in one warm process (each timed loop runs inside compiled code, so no call
overhead is counted for newtonlab; scipy's calls are timed from Python and include its
argument checks, as a user's would):

* ``cholesky``: newtonlab's factor (left-looking over the envelope);
* scipy ``cholesky`` (LAPACK ``potrf``, dense) and ``cholesky_banded`` (``pbtrf``, given
  the band as a (b + 1, n) array: it is told the bandwidth, newtonlab finds it);
* ``cholesky_solve`` and ``symmetrize`` (a symmetric matrix: the check only).

One BLAS thread (OPENBLAS_NUM_THREADS=1 unless set), as the solvers' own loops use.
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402

from newtonlab._engine import factor as FA  # noqa: E402
from newtonlab._engine import kernels as K  # noqa: E402


@numba.njit
def _repeat_cholesky(A, L, k):
    ok = True
    for _ in range(k):
        ok &= FA.cholesky(A, 0.0, L)
    return ok


@numba.njit
def _repeat_solve(L, b, out, k):
    for _ in range(k):
        FA.cholesky_solve(L, b, out)


@numba.njit
def _repeat_symmetrize(H, k):
    code = 0
    for _ in range(k):
        code += K.symmetrize(H, 1e-8)
    return code


def banded_spd(n, b, rng, arrow=0):
    """Bandwidth b, plus ``arrow`` last rows and columns dense; diagonally dominant."""
    A = np.zeros((n, n))
    for i in range(n):
        for j in range(0 if i >= n - arrow else max(0, i - b), i):
            A[i, j] = A[j, i] = rng.standard_normal()
    A[np.diag_indices(n)] = 2.0 * np.abs(A).sum(axis=1).max() + 1.0
    return A


def per_call(run, k, repeats=7):
    """Median seconds per call of ``run(k)`` (k calls), after one warm-up."""
    run(1)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        run(k)
        times.append((time.perf_counter() - t) / k)
    return statistics.median(times)


def measure(n, b, arrow=0):
    rng = np.random.default_rng(n + b)
    A = banded_spd(n, b, rng, arrow)
    L = np.zeros((n, n))
    k = max(3, int(2e5 / n ** 2))
    assert _repeat_cholesky(A, L, 1)
    np.testing.assert_allclose(L, np.linalg.cholesky(A), rtol=1e-10, atol=1e-12)
    bw = n - 1 if arrow else b
    ab = np.zeros((bw + 1, n))                      # lower band storage for pbtrf
    for d in range(bw + 1):
        ab[d, :n - d] = np.diagonal(A, -d)
    rhs = rng.standard_normal(n)
    out = np.empty(n)
    kpy = max(3, k // 10)

    def py(f):
        def run(kk):
            for _ in range(kk):
                f()
        return run
    return {
        "cholesky": per_call(lambda kk: _repeat_cholesky(A, L, kk), k),
        "potrf": per_call(py(lambda: scipy.linalg.cholesky(A, lower=True)), kpy),
        "pbtrf": per_call(py(lambda: scipy.linalg.cholesky_banded(ab, lower=True)), kpy),
        "solve": per_call(lambda kk: _repeat_solve(L, rhs, out, kk), k),
        "symmetrize": per_call(lambda kk: _repeat_symmetrize(A, kk), k),
    }


def us(t):
    return f"{t * 1e6:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100, 400])
    ap.add_argument("--out", help="write the markdown table here")
    args = ap.parse_args()
    lines = [
        "# Newton's dense linear algebra: factor.cholesky, cholesky_solve, symmetrize",
        "",
        f"`python benchmarks/bench_factor.py --n {' '.join(map(str, args.n))}`, "
        f"{platform.machine()}, numba {numba.__version__}, scipy "
        f"{scipy.__version__}, one BLAS thread; median us per call.  b: bandwidth "
        "(n - 1: dense).  pbtrf is told the band (an arrow's is n - 1); newtonlab's "
        "cholesky finds the envelope.",
        "",
        "| n | matrix | cholesky | scipy cholesky (potrf) | scipy cholesky_banded (pbtrf) "
        "| cholesky_solve | symmetrize (check) |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in args.n:
        cases = [(b, 0) for b in (1, 2, 5, 10, 20, n // 4, n - 1)] + [(1, n // 8)]
        for b, arrow in cases:
            r = measure(n, b, arrow)
            name = f"arrow ({arrow} dense rows)" if arrow else f"b = {b}"
            lines.append(f"| {n} | {name} | {us(r['cholesky'])} | {us(r['potrf'])} | "
                         f"{us(r['pbtrf'])} | {us(r['solve'])} | {us(r['symmetrize'])} |")
            print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
