"""Performance and data profiles of a sweep (newtonlab.sweep.profiles / .plots).

Synthetic ``runs.jsonl`` records only: nothing is compiled.  The profiles are
checked against hand-computed values and against a brute-force oracle written
here independently of the module (plain loops over every history point).
"""
import doctest
import json
import math
import os
import warnings

import numpy as np
import pytest

from newtonlab.sweep import profiles
from newtonlab.sweep.profiles import (data_profile, performance_profile, profile_dir, read_runs,
                                      speed_ratios, summary)

pytestmark = pytest.mark.nojit
INF = math.inf


def rec(problem, seed, method, fs, nfevs=None, times=None, *, n=2, status=0, success=True,
        fmin=0.0, repeat=0, fun="last", total_time=None, history=True, **extra):
    """One record in the runs.jsonl schema; history from per-iteration f, nfev, time."""
    fs = [None if v is None else float(v) for v in fs]
    nfevs = list(nfevs) if nfevs is not None else list(range(1, len(fs) + 1))
    times = list(times) if times is not None else [0.01 * k for k in range(len(fs))]
    r = {"key": f"{problem}|{method}|{seed}|{repeat}", "problem": problem, "problem_name": problem,
         "n": n, "method": method, "method_name": method, "options": {}, "seed": seed,
         "repeat": repeat, "status": status, "success": success, "message": "",
         "fun": fs[-1] if fun == "last" else fun, "f0": fs[0], "fmin": fmin,
         "nit": len(fs) - 1, "nfev": nfevs[-1], "njev": nfevs[-1], "nhev": 0,
         "time": times[-1] if total_time is None else total_time, "kind": "unclassified",
         "different_minimum": None,
         "history": {"nfev": nfevs, "f": fs, "time": times} if history else None}
    r.update(extra)
    return r


def hand_records():
    """Three instances, three solvers; s3 fails everywhere (see the comments)."""
    return [
        # instance (p1, 0): f0 = 100, f_L = 0 -> threshold at tau=1e-3: 0.1
        rec("p1", 0, "s1", [100, 10, 1e-3, 0], [1, 4, 8, 12]),       # passes at nfev 8
        rec("p1", 0, "s2", [100, 1, 0], [1, 3, 6]),                  # passes at nfev 6
        rec("p1", 0, "s3", [100, -50], [1, 2], status="timeout", success=False, fun=None),
        # (p1, 1): f0 = 10, f_L = fmin = 0 -> threshold 0.01; s2 stops at 2: unsolved
        rec("p1", 1, "s1", [10, 5, 1e-9], [1, 5, 9]),
        rec("p1", 1, "s2", [10, 2], [1, 4], status=1, success=False),
        rec("p1", 1, "s3", [10], status="error", success=False, fun=None, history=False,
            error="ZeroDivisionError"),
        # (p2, 0), n = 5: s1 and s2 tie; s3 reaches 0 but its final f is NaN: a failure
        rec("p2", 0, "s1", [4, 0], [1, 7], n=5),
        rec("p2", 0, "s2", [4, 0], [1, 7], n=5),
        rec("p2", 0, "s3", [4, 0], [1, 7], n=5, fun=float("nan"), success=False),
    ]


def test_performance_profile_hand_computed():
    pp = performance_profile(hand_records(), "nfev", tau=1e-3)
    assert pp.solvers == ("s1", "s2", "s3")
    assert pp.instances == (("p1", 0), ("p1", 1), ("p2", 0))
    np.testing.assert_array_equal(pp.costs, [[8, 6, INF], [9, INF, INF], [7, 7, INF]])
    np.testing.assert_allclose(pp.table, [[8 / 6, 1, INF], [1, INF, INF], [1, 1, INF]])
    assert pp.at(1.0) == {"s1": 2 / 3, "s2": 2 / 3, "s3": 0.0}
    assert pp.at(4 / 3) == {"s1": 1.0, "s2": 2 / 3, "s3": 0.0}
    assert pp.at(1.3)["s1"] == 2 / 3
    assert pp.at(INF) == {"s1": 1.0, "s2": 2 / 3, "s3": 0.0}
    assert not pp.curves[2].any()                         # failing everywhere: rho == 0
    assert pp.grid[0] == 1.0 and pp.grid[-1] >= 4 / 3 and 4 / 3 in pp.grid
    assert np.all(np.diff(pp.grid) > 0)


def test_data_profile_hand_computed():
    dp = data_profile(hand_records(), 1e-3)
    np.testing.assert_allclose(dp.table, [[8 / 3, 2, INF], [3, INF, INF], [7 / 6, 7 / 6, INF]])
    assert dp.at(2.9) == {"s1": 2 / 3, "s2": 2 / 3, "s3": 0.0}
    assert dp.at(3.0) == {"s1": 1.0, "s2": 2 / 3, "s3": 0.0}
    assert dp.at(1.0) == {"s1": 0.0, "s2": 0.0, "s3": 0.0}
    assert not dp.curves[2].any()


def test_loose_tau_and_fmin_choice():
    recs = hand_records()
    # tau = 0.1: (p1, 1) threshold 1, so s2 (f = 2) still fails; (p1, 0) threshold 10: s1 and s2
    # both pass at their second point (nfev 4 and 3)
    pp = performance_profile(recs, "nfev", tau=0.1)
    np.testing.assert_allclose(pp.costs[:2, :2], [[4, 3], [9, INF]])
    # a stall at a local minimum: solved relative to the best found, not to a lower fmin
    stall = [rec("q", 0, "a", [10, 4, 4.0], fmin=0.0), rec("q", 0, "b", [10, 5, 4.0], fmin=0.0)]
    assert performance_profile(stall, "nfev", 1e-3).at(INF) == {"a": 0.0, "b": 0.0}
    loose = performance_profile(stall, "nfev", 1e-3, use_fmin=False)
    np.testing.assert_array_equal(loose.costs, [[2, 3]])
    # f_L counts every history value, not only the final ones (a run may end above its best)
    dip = [rec("h", 0, "a", [10, -5, 3], fmin=None), rec("h", 0, "b", [10, 2], fmin=None)]
    np.testing.assert_array_equal(performance_profile(dip, "nfev", 0.1).costs, [[2, INF]])


def test_time_uses_median_over_repeats_and_start_point_ties():
    recs = [rec("p", 0, "a", [1, 0.5, 0], times=[0, t / 2, t], repeat=k)
            for k, t in enumerate((0.1, 0.5, 0.2))]
    recs.append(rec("p", 0, "b", [1, 0], times=[0, 0.1]))
    pp = performance_profile(recs, "time", tau=1e-3)
    np.testing.assert_allclose(pp.costs, [[0.2, 0.1]])   # median of 0.1, 0.5, 0.2
    np.testing.assert_allclose(pp.table, [[2.0, 1.0]])
    # a start point already optimal costs 0 s for everyone: a tie, not 0/0
    same = [rec("z", 0, m, [0.0, 0.0], times=[1e-4, 2e-4]) for m in ("a", "b")]
    assert performance_profile(same, "time", 1e-5).at(1.0) == {"a": 1.0, "b": 1.0}
    # history without the metric column: the run's total (an upper bound)
    r = rec("p", 0, "a", [1, 0])
    del r["history"]["nfev"]
    r["nfev"] = 11
    np.testing.assert_array_equal(performance_profile([r], "nfev").costs, [[11]])


def synthetic_sweep(rng, n_problems=4, seeds=3, solvers=("a", "b", "c", "d"), repeats=2):
    """Random records: decreasing f histories, random costs, failures and missing runs."""
    recs = []
    for ip in range(n_problems):
        n = int(rng.integers(1, 6))
        fmin = [None, 0.0, -1.0][ip % 3]
        for seed in range(seeds):
            f0 = float(rng.uniform(5, 50))
            for s in solvers:
                if s == "d" and seed == 0:
                    continue                                   # a missing run: never solves
                k = int(rng.integers(1, 12))
                base = -1.0 if fmin == -1.0 else 0.0
                fs = [f0] + list(base + (f0 - base) * np.sort(rng.uniform(0, 1, k))[::-1]
                                 * 10.0 ** -rng.uniform(0, 9, k).cumsum())
                fs = [None if v is None else float(v) for v in fs]
                nfevs = np.cumsum(rng.integers(1, 5, len(fs))).tolist()
                kind = rng.uniform()
                for rep in range(repeats):
                    times = np.cumsum(rng.uniform(0.001, 0.01, len(fs))).tolist()
                    extra = {}
                    if kind < 0.15:
                        extra = {"status": str(rng.choice(["error", "timeout"])),
                                 "success": False, "fun": None}
                    elif kind < 0.2:
                        extra = {"fun": float("inf")}
                    recs.append(rec(f"p{ip}", seed, s, fs, nfevs, times, n=n, fmin=fmin,
                                    repeat=rep, **extra))
    return recs


def oracle_costs(recs, tau, metric):
    """Brute force: {(problem, seed): {solver: median cost}}, plus dims."""
    inst = {}
    for r in recs:
        inst.setdefault((r["problem"], r["seed"]), []).append(r)
    out, dims = {}, {}
    for key, rs in inst.items():
        def failed(r):
            return isinstance(r["status"], str) or r["fun"] is None or not math.isfinite(r["fun"])
        vals = [f for r in rs if not failed(r) for f in r["history"]["f"] + [r["fun"]]]
        vals += [r["fmin"] for r in rs if r["fmin"] is not None]
        f_l = min(vals)
        f0 = rs[0]["f0"]
        thr = f_l + tau * (f0 - f_l)
        costs = {}
        for r in rs:
            c = INF
            if not failed(r):
                for i, f in enumerate(r["history"]["f"]):
                    if f <= thr:
                        c = 0.0 if (metric == "time" and i == 0) else r["history"][metric][i]
                        break
            costs.setdefault(r["method"], []).append(c)
        out[key] = {s: float(np.median(c)) for s, c in costs.items()}
        dims[key] = rs[0]["n"]
    return out, dims


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("metric", ["nfev", "time"])
@pytest.mark.parametrize("tau", [1e-1, 1e-4, 1e-8])
def test_profiles_match_brute_force_oracle(seed, metric, tau):
    recs = synthetic_sweep(np.random.default_rng(seed))
    costs, dims = oracle_costs(recs, tau, metric)
    solvers = sorted({r["method"] for r in recs})
    pp = performance_profile(recs, metric, tau)
    dp = data_profile(recs, tau, "nfev")
    dcost, _ = oracle_costs(recs, tau, "nfev")
    P = len(costs)
    assert len(pp.instances) == P
    for alpha in list(pp.grid[::7]) + [1.0, 1.5, 3.0, 1e6]:
        for j, s in enumerate(solvers):
            count = 0
            for key, c in costs.items():
                t = c.get(s, INF)
                best = min(c.values())
                if t < INF and (t == best or t / best <= alpha):
                    count += 1
            assert pp.at(alpha)[s] == count / P, (alpha, s)
            k = int(np.searchsorted(pp.grid, alpha))
            if k < pp.grid.size and pp.grid[k] == alpha:
                assert pp.curves[j, k] == count / P
    for kappa in list(dp.grid[::5]) + [0.5, 2.0, 10.0]:
        for s in solvers:
            count = sum(1 for key, c in dcost.items()
                        if c.get(s, INF) / (dims[key] + 1) <= kappa)
            assert dp.at(kappa)[s] == count / P
    # failures never solve
    for r in recs:
        if isinstance(r["status"], str) or not math.isfinite(r["fun"] or math.nan):
            i = pp.instances.index((r["problem"], r["seed"]))
            runs = [q for q in recs if (q["problem"], q["seed"], q["method"]) ==
                    (r["problem"], r["seed"], r["method"])]
            if all(q is r or q["status"] == r["status"] for q in runs):
                assert pp.costs[i, solvers.index(r["method"])] == INF


def test_speed_ratios_medians_and_spread():
    recs = [rec("p", 0, "a", [1, 0], total_time=t, repeat=k) for k, t in enumerate((1, 2, 3))]
    recs += [rec("p", 0, "b", [1, 0], total_time=t, repeat=k) for k, t in enumerate((4, 6))]
    recs += [rec("q", 0, "a", [1, 0], total_time=1.0), rec("q", 0, "b", [1, 0], total_time=1.0)]
    recs += [rec("r", 0, "a", [1, 0], total_time=1.0, status="timeout", fun=None),
             rec("r", 0, "b", [1, 0], total_time=1.0)]
    sr = speed_ratios(recs, "b")
    pairs = np.array([a / b for a in (1, 2, 3) for b in (4, 6)])
    np.testing.assert_allclose(sr.ratio[:, 0], [2 / 5, 1.0, np.nan])
    np.testing.assert_allclose([sr.lo[0, 0], sr.hi[0, 0]], np.quantile(pairs, [0.25, 0.75]))
    assert sr.median["a"] == pytest.approx(0.7) and sr.count["a"] == 2
    assert sr.median["b"] == 1.0 and sr.count["b"] == 3
    assert speed_ratios(recs, "b", "nfev").median["a"] == 1.0
    with pytest.raises(ValueError, match="baseline"):
        speed_ratios(recs, "nope")


def test_summary_counts_failures_and_flags():
    recs = hand_records() + [rec("p2", 0, "s1", [4, 0], [1, 7], n=5, repeat=1,
                                 different_minimum=True)]
    rows = {r["solver"]: r for r in summary(recs, taus=(1e-1, 1e-3))}
    assert rows["s1"]["runs"] == 3 and rows["s1"]["solved"] == {1e-1: 1.0, 1e-3: 1.0}
    assert rows["s2"]["failures"] == {1: 1} and rows["s2"]["solved"][1e-3] == 2 / 3
    assert rows["s3"]["failures"] == {"timeout": 1, "error": 1, 0: 1}
    assert rows["s3"]["solved"] == {1e-1: 0.0, 1e-3: 0.0}
    assert rows["s1"]["different_minimum"] == 0      # the run's first record is the one counted


def write_jsonl(path, recs, tail=""):
    with open(path, "w", encoding="utf-8") as fh:
        for r in recs:
            fh.write(json.dumps(r) + "\n")
        fh.write(tail)


def test_read_runs_skips_truncated_last_line(tmp_path):
    recs = hand_records()
    write_jsonl(tmp_path / "runs.jsonl", recs, tail='{"key": "p1|s1|9", "problem": "p')
    with pytest.warns(RuntimeWarning, match="skipped 1 unparseable line"):
        got = read_runs(tmp_path)
    assert got == json.loads(json.dumps(recs))
    # a resumed sweep appends after the fragment: the appended record is recovered
    write_jsonl(tmp_path / "runs.jsonl", recs[:2], tail='{"key": "x", "pro' +
                json.dumps(recs[2]) + "\n\n")
    with pytest.warns(RuntimeWarning, match="skipped 1"):
        got = read_runs(tmp_path / "runs.jsonl")
    assert len(got) == 3 and got[2]["method"] == "s3"
    write_jsonl(tmp_path / "runs.jsonl", recs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(read_runs(tmp_path)) == len(recs)


def test_runner_record_shapes(tmp_path):
    """What the sweep runner writes: failures without n and with empty histories, null f in
    a history, a task run again (same key: the last record wins)."""
    recs = [rec("p", 0, "a", [10, None, 1, 0], n=3),
            rec("p", 0, "b", [10, 0], n=3, status="error", fun=None),
            rec("p", 0, "b", [10, 0.5, 0], [1, 2, 6], n=3)]           # same key: a re-run
    recs[1].update(n=None, history={"nfev": [], "f": [], "time": []})
    recs.insert(0, {**recs[1], "method": "c", "key": "other"})      # failure first: no n
    write_jsonl(tmp_path / "runs.jsonl", recs)
    got = read_runs(tmp_path)
    assert [r["key"] for r in got] == ["other", "p|a|0|0", "p|b|0|0"]
    assert got[2]["status"] == 0
    dp = data_profile(got, 1e-3)
    np.testing.assert_allclose(dp.table, [[4 / 4, 6 / 4, INF]])      # n from a record with n
    pp = performance_profile(got, "nfev", 1e-3)
    np.testing.assert_allclose(pp.table, [[1, 1.5, INF]])


def test_import_does_not_load_matplotlib():
    import subprocess
    import sys
    code = ("import sys, newtonlab.sweep.profiles, newtonlab.sweep.plots; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_profile_dir_writes_figures_and_report(tmp_path):
    recs = hand_records() + [rec("p1", 0, "scipy:BFGS", [100, 1e-6], [1, 20], repeat=k,
                                 total_time=0.01 * (k + 1)) for k in range(2)]
    recs.append(rec("p2", 0, "s4", [4, 3.9], n=5, different_minimum=True))
    write_jsonl(tmp_path / "runs.jsonl", recs, tail='{"trunc')
    with pytest.warns(RuntimeWarning):
        paths = profile_dir(tmp_path, taus=(1e-1, 1e-3))
    names = sorted(os.path.basename(p) for p in paths)
    assert names == sorted(["performance_time.png", "performance_nfev.png", "data_profiles.png",
                            "convergence_p1.png", "convergence_p2.png", "profiles.md"])
    for p in paths:
        assert os.path.getsize(p) > 1000
    md = (tmp_path / "profiles.md").read_text(encoding="utf-8")
    assert "## Speed ratios against `scipy:BFGS`" in md
    assert "| p2 | 0 | `s4` | 3.9 | 0 |" in md                 # the flagged different minimum
    assert "| p1 | 1 | `s3` | error | ZeroDivisionError |" in md
    assert "solved τ=0.001" in md
    with open(paths[0], "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_docstring_examples():
    result = doctest.testmod(profiles, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5 and result.failed == 0
