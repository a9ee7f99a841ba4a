"""Compile time of a new args type: what a second kind of ``args`` costs a process.

A method's compiled loop calls the user's functions with ``args``; compiled for the type of
``args``, each new type of args would compile the loop again.  Each case runs in a fresh
process with an empty numba cache: the user's functions are compiled first (not timed),
then the method runs once with a first args type (its loop compiled) and once with a
second one; both runs are timed (wall seconds).  Cases:

* ``lbfgs``, ``newton``: ``minimize`` on Rosenbrock (``args=()``), then on the quadratic
  problem (``args=(A, b)``);
* ``hessian-free batch``: hessian-free with a mini-batch curvature product
  (``curvature_batch``) on the logistic-regression problem (``args=(X, y)``), then on a
  quadratic whose product takes ``args=(A, b, c)``;
* ``adam batch``: mini-batch adam on a ``FiniteSum`` with ``args=(A, b)``, then
  ``(A, b, c)``, after a full-batch adam run (its loop compiled, not timed).

Works on any version with these options, so one script measures before and after a
change (``PYTHONPATH`` at a worktree)::

    python benchmarks/bench_args_types.py [--cases lbfgs adam-batch ...] [--repeat 2]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, sys, time
import numba, numpy as np
import newtonlab as nl
import newtonlab._run as R
from newtonlab import problems
from newtonlab.stochastic import FiniteSum, least_squares_fg
R.AUTO_COMPILE_AFTER = 0.0          # the compiled loop at once (what a long study runs)
T = time.perf_counter
case = sys.argv[1]


def timed(run):
    t = T()
    res = run()
    return T() - t, res.execution


@numba.njit
def cquad(x, A, b, c):
    return c * (0.5 * x @ (A @ x) - b @ x)


@numba.njit
def cquad_jac(x, A, b, c):
    return c * (A @ x - b)


@numba.njit
def cquad_batch(x, v, idx, A, b, c):
    return c * (A @ v)


@numba.njit
def scaled_fg(x, idx, A, b, c):
    f, g = least_squares_fg(x, idx, A, b)
    return c * f, c * g


if case in ("lbfgs", "newton"):
    r, q = problems.get("rosenbrock"), problems.get("quadratic")
    for p in (r, q):
        p.fun(p.x0, *p.args), p.jac(p.x0, *p.args), p.hess(p.x0, *p.args)
    runs = [lambda p=p: nl.minimize(p.fun, p.x0, args=p.args, jac=p.jac, hess=p.hess,
                                    method=case) for p in (r, q)]
elif case == "hessian-free-batch":
    from newtonlab.problems import ml
    p, q = problems.get("logistic"), problems.get("quadratic")
    a3 = (*q.args, 2.0)
    p.fun(p.x0, *p.args), p.jac(p.x0, *p.args)
    ml.batch_ggnp(p)(p.x0, p.x0, np.arange(5), *p.args)
    cquad(q.x0, *a3), cquad_jac(q.x0, *a3), cquad_batch(q.x0, q.x0, np.arange(3), *a3)
    runs = [lambda: nl.minimize(p.fun, p.x0, args=p.args, jac=p.jac, method="hessian-free",
                                options={**ml.curvature_batch(p, 40, seed=1), "maxiter": 5}),
            lambda: nl.minimize(cquad, np.zeros(q.n), args=a3, jac=cquad_jac,
                                method="hessian-free",
                                options={"curvature_batch": cquad_batch,
                                         "curvature_batch_size": 3, "n_samples": 5})]
else:
    rng = np.random.default_rng(0)
    A = rng.standard_normal((60, 3))
    b = A @ np.array([1.0, -2.0, 0.5])
    least_squares_fg(np.zeros(3), np.arange(5), A, b)
    scaled_fg(np.zeros(3), np.arange(5), A, b, 1.0)
    ros = problems.get("rosenbrock")
    nl.minimize(ros.fun, ros.x0, jac=ros.jac, method="adam", options={"maxiter": 5})
    opts = {"lr": 0.05, "batch_size": 10, "seed": 3, "maxiter": 300}
    runs = [lambda: nl.minimize(FiniteSum(least_squares_fg, 60), np.zeros(3), args=(A, b),
                                method="adam", options=opts),
            lambda: nl.minimize(FiniteSum(scaled_fg, 60), np.zeros(3), args=(A, b, 1.0),
                                method="adam", options=opts)]
print(json.dumps([timed(run) for run in runs]))
"""

CASES = ("lbfgs", "newton", "hessian-free-batch", "adam-batch")
LABELS = {"lbfgs": "lbfgs: Rosenbrock `()`, then quadratic `(A, b)`",
          "newton": "newton: Rosenbrock `()`, then quadratic `(A, b)`",
          "hessian-free-batch": "hessian-free `curvature_batch`: logistic `(X, y)`, then "
                                "`(A, b, c)`",
          "adam-batch": "mini-batch adam (`FiniteSum`): `(A, b)`, then `(A, b, c)`"}


def run_case(case):
    """[(seconds, execution) of the first run, of the second] in a fresh process."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run([sys.executable, "-c", CHILD, case], env=env,
                             capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    ap.add_argument("--repeat", type=int, default=1, help="fresh processes per case")
    a = ap.parse_args()
    print("| case | first args type (s) | second args type (s) |")
    print("|---|---|---|")
    for case in a.cases:
        runs = [run_case(case) for _ in range(a.repeat)]
        first = " / ".join(f"{r[0][0]:.2f}" for r in runs)
        second = " / ".join(f"{r[1][0]:.2f}" for r in runs)
        modes = {m for r in runs for _, m in r}
        note = "" if modes == {"compiled"} else f" ({', '.join(sorted(modes))})"
        print(f"| {LABELS[case]}{note} | {first} | {second} |", flush=True)


if __name__ == "__main__":
    main()
