"""Warm-cache fresh-process latency: one user script, solved by scipy and by newtonlab.

Issue 12, item 2: a returning user's script (numba-jitted objective, already in
numba's disk cache) should reach its first result with newtonlab within 1.1x of
the time the same script takes with scipy.  Both scripts import numpy,
scipy.optimize and numba and define the same ``@njit(cache=True)`` 2-D
Rosenbrock (in a module of their own, so that numba can cache it); they differ
only in the solver call::

    scipy:      scipy.optimize.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B")
    newtonlab:  import newtonlab; newtonlab.minimize(rosen, x0, jac=rosen_der, method=M)

Each script runs once to fill an empty cache of its own (its time is reported as "cold"),
then ``--reps`` more times in fresh interpreters with the default options, in rounds
(one run of every script per round); the last column is the median over rounds of each
round's ratio to the scipy script, which a slow spell of the machine does not move, and
the median over rounds of what the two scripts differ in, timed inside each process
(``import newtonlab`` and the first call, minus scipy's first call in the same round; the
process start and common imports, and their noise, are left out), with the ratio it
gives on the scipy script's median time.  newtonlab's
script is measured twice: after a cold run that compiled the method's loop (a returning
user after ``newtonlab warmup``, or after the method ran for a second in some process), and
after a cold run with the default tiered ``execution="auto"``, which compiles the kernels
only (the warm runs then run interpreted over them); the table gives the median wall
time from spawning the interpreter to reading the result line, with the split
reported by the child (imports / first result).  Run::

    python benchmarks/bench_startup.py [--reps 7] [--methods lbfgs bfgs newton]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

OBJECTIVE = '''
import numpy as np
from numba import njit


@njit(cache=True)
def rosen(x):
    return 100.0 * (x[1] - x[0] ** 2) ** 2 + (1.0 - x[0]) ** 2


@njit(cache=True)
def rosen_der(x):
    return np.array([-400.0 * x[0] * (x[1] - x[0] ** 2) - 2.0 * (1.0 - x[0]),
                     200.0 * (x[1] - x[0] ** 2)])


@njit(cache=True)
def rosen_hess(x):
    return np.array([[1200.0 * x[0] ** 2 - 400.0 * x[1] + 2.0, -400.0 * x[0]],
                     [-400.0 * x[0], 200.0]])
'''

SCRIPT = '''
import time
t0 = time.perf_counter()
import json, sys
import numpy as np
import scipy.optimize
import numba
from user_objective import rosen, rosen_der, rosen_hess
tc = time.perf_counter()
{extra_import}
t1 = time.perf_counter()
x0 = np.array([-1.2, 1.0])
res = {call}
t2 = time.perf_counter()
print("RESULT", bool(res.success), flush=True)
print(json.dumps({{"imports": t1 - t0, "first": t2 - t1, "own": t2 - tc}}), flush=True)
'''


def script(method):
    if method is None:
        call = 'scipy.optimize.minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B")'
        return SCRIPT.format(extra_import="", call=call)
    hess = ", hess=rosen_hess" if method in ("newton", "newton-tr") else ""
    call = f'newtonlab.minimize(rosen, x0, jac=rosen_der{hess}, method="{method}")'
    return SCRIPT.format(extra_import="import newtonlab", call=call)


def spawn(path, env):
    """Wall seconds from spawning the interpreter to its RESULT line, and its split."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, path], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    wall = time.perf_counter() - t
    rest = proc.stdout.read()          # not communicate(): it would skip readline's buffer
    err = proc.stderr.read()
    proc.wait()
    if not line.startswith("RESULT"):
        raise RuntimeError(f"child failed: {line}{rest}{err}")
    return wall, json.loads(rest.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--methods", nargs="*", default=["lbfgs", "bfgs", "newton"])
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="nl-startup-")
    with open(os.path.join(work, "user_objective.py"), "w") as fh:
        fh.write(textwrap.dedent(OBJECTIVE))
    # (an inherited PYTHONPATH after ours: it selects the newtonlab measured, e.g. a worktree)
    base = {**os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, (work, os.environ.get("PYTHONPATH"))))}
    base.pop("PYTHONDONTWRITEBYTECODE", None)     # a user's install keeps its .pyc files
    base.pop("NEWTONLAB_AUTO_COMPILE_AFTER", None)
    # (label, method, how the cold run fills the cache): with the default tiered "auto" a
    # cold run compiles a method's kernels, not its loop (it runs interpreted); a cache
    # where the loop is compiled too is a returning user's after `newtonlab warmup`, or
    # after any process ran the method for a second (here: NEWTONLAB_AUTO_COMPILE_AFTER=0)
    cases = [("scipy L-BFGS-B", None, {})]
    for m in a.methods:
        cases += [(f"newtonlab {m} (loop compiled)", m, {"NEWTONLAB_AUTO_COMPILE_AFTER": "0"}),
                  (f"newtonlab {m} (kernels only)", m, {})]
    paths, envs, colds = [], [], []
    for i, (label, method, fill) in enumerate(cases):
        env = {**base, "NUMBA_CACHE_DIR": os.path.join(work, f"cache{i}")}
        path = os.path.join(work, f"user_{(method or 'scipy').replace('-', '_')}.py")
        with open(path, "w") as fh:
            fh.write(script(method))
        colds.append(spawn(path, {**env, **fill})[0])
        paths.append(path)
        envs.append(env)
    # the warm runs in rounds, one of each script per round: a slow spell of this machine
    # (other jobs, frequency) hits every script alike instead of one script's runs
    runs = [[] for _ in cases]
    for _ in range(a.reps):
        for i in range(len(cases)):
            runs[i].append(spawn(paths[i], envs[i]))
    rows = []
    for (label, _, _), cold, rs in zip(cases, colds, runs):
        walls = [w for w, _ in rs]
        # the ratio within each round (this script's run over the scipy script's run of the
        # same round): a slow spell of the machine cancels out of it
        paired = [w / r[0] for w, r in zip(walls, runs[0])]
        # what differs between the scripts, timed inside each process (the solver's import
        # and first call), minus the scipy script's in the same round: the process start
        # and the common imports, and their noise, are not in it
        extra = [s["own"] - r[1]["own"] for (_, s), r in zip(rs, runs[0])]
        rows.append((label, cold, statistics.median(walls), min(walls), max(walls),
                     statistics.median(s["imports"] for _, s in rs),
                     statistics.median(s["first"] for _, s in rs), statistics.median(paired),
                     statistics.median(extra)))
    ref = rows[0][2]
    print(f"Warm-cache fresh-process latency, median of {a.reps} runs (wall, spawn to "
          f"result); target for newtonlab: <= 1.1x the scipy script\n")
    print("| script | cold (s) | warm median (s) | min-max (s) | of which imports (s) | "
          "first result (s) | ratio of medians | median of ratios in a round | "
          "extra over scipy (ms) | ratio from the extra |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, cold, med, lo, hi, imp, first, paired, extra in rows:
        print(f"| {label} | {cold:.2f} | {med:.3f} | {lo:.3f}-{hi:.3f} | {imp:.3f} | "
              f"{first:.3f} | {med / ref:.2f}x | {paired:.3f}x | {1e3 * extra:.1f} | "
              f"{1 + extra / ref:.3f}x |")


if __name__ == "__main__":
    main()
