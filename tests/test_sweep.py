"""`newtonlab sweep`: config validation, stable keys, seeded starts, local and dask runs,
records, resume, failures (raising, hanging, killed), the command line.

Cheap on purpose: only bfgs (cached by .ci/run's warmup), scipy:BFGS, two tiny library
problems and ad-hoc problems given as hooks (a ``hooks.py`` written next to the config:
worker processes import it themselves, a monkeypatch would not reach them).
"""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from newtonlab import cli
from newtonlab.sweep import (RECORD_KEYS, ConfigError, SweepError, expand, parse_config,
                             read_runs, run_sweep, start_point, task_key)
from newtonlab.sweep import backends

HOOKS = '''
import time
import numpy as np
import numba


def _quad(x):
    return float(np.sum((x - 1.0) ** 2))


def _quad_jac(x):
    return 2.0 * (x - 1.0)


def raising():
    def fun(x):
        raise ValueError("objective exploded")
    return {"fun": fun, "jac": _quad_jac, "x0": [0.0, 0.0]}


def sleeping():
    def fun(x):
        time.sleep(1000.0)
        return 0.0
    return {"fun": fun, "jac": _quad_jac, "x0": [0.0, 0.0]}


@numba.njit
def _spin(x):
    s = 0.0
    for i in range(10 ** 13):           # hours of dependent float work in compiled code
        s = 0.5 * s + x[0]
    return s


def spinning():
    return {"fun": _spin, "x0": [0.0, 0.0]}


def slow(delay=0.05, n=2):
    def fun(x):
        time.sleep(delay)
        return _quad(x)
    return {"fun": fun, "jac": _quad_jac, "x0": np.zeros(n), "fmin": 0.0}
'''


def write(tmp_path, toml, hooks=False, name="sweep.toml"):
    if hooks:
        (tmp_path / "hooks.py").write_text(HOOKS)
    path = tmp_path / name
    path.write_text(textwrap.dedent(toml))
    return str(path)


def lines(out):
    with open(os.path.join(out, "runs.jsonl")) as fh:
        return [json.loads(ln) for ln in fh]


# ------------------------------------------------------------------ configuration

@pytest.mark.parametrize("raw, match", [
    ({"problems": ["nope"], "methods": ["bfgs"]}, "unknown problem or tag 'nope'"),
    ({"problems": ["rosenbrock"], "methods": ["nope"]}, "unknown method 'nope'"),
    ({"problems": ["rosenbrock"], "methods": ["scipy:nope"]}, "unknown scipy method"),
    ({"problems": ["rosenbrock"], "methods": ["bfgs"], "options": {"lr": 1.0}},
     r"\[options\] for method 'bfgs'.*'lr'"),
    ({"problems": ["rosenbrock"], "methods": [{"name": "bfgs", "options": {"zz": 1}}]},
     "methods: 'bfgs'.*'zz'"),
    ({"problems": ["rosenbrock"], "methods": ["bfgs"], "options": {"gtol": "tiny"}},
     "option 'gtol' = 'tiny'"),
    ({"problems": ["rosenbrock"], "methods": [{"name": "newton-tr",
                                               "options": {"subproblem": "magic"}}]},
     "subproblem.*magic"),
    ({"problems": ["rosenbrock"], "methods": [{"name": "scipy:BFGS",
                                               "options": {"bogus": 1}}]},
     "scipy:BFGS.*bogus"),
    ({"problems": [{"name": "quadratic", "params": {"nn": 3}}], "methods": ["bfgs"]},
     "'quadratic' with params.*nn"),
    ({"problems": ["rosenbrock"], "methods": ["bfgs"], "seeds": [0, -1]}, "seeds: -1"),
    ({"problems": ["rosenbrock"], "methods": ["bfgs"], "repeats": 0}, "repeats"),
    ({"problems": ["rosenbrock"], "methods": ["bfgs"], "timeout": "long"}, "timeout"),
    ({"problems": ["rosenbrock"], "methods": ["bfgs", "BFGS"]}, "duplicate method label"),
    ({"problems": ["rosenbrock"], "methods": ["bfgs"], "seed": [1]}, r"unknown key\(s\) \['seed'\]"),
    ({"methods": ["bfgs"]}, "missing key 'problems'"),
    ({"problems": ["rosenbrock"], "methods": ["bfgs"], "trace": "yes"}, "trace"),
])
def test_invalid_configs_are_refused_naming_the_key(raw, match):
    with pytest.raises(ConfigError, match=match):
        parse_config(raw)


def test_config_expansion_labels_tags_and_scipy_options():
    cfg = parse_config({
        "problems": ["convex", "rosenbrock", {"name": "quadratic", "params": {"n": 5}}],
        "methods": ["BFGS", {"name": "newton-tr", "options": {"subproblem": "cg"}},
                    "scipy:l-bfgs-b", "scipy:Nelder-Mead"],
        "seeds": 2, "options": {"gtol": 1e-7, "maxiter": 500}})
    ids = [p.id for p in cfg.problems]
    assert "rosenbrock" in ids and any(i.startswith("quadratic(n=5,") for i in ids)
    assert len(ids) == len(set(ids)) and {"quadratic", "powell_singular"} <= {
        p.name for p in cfg.problems}
    assert [m.label for m in cfg.methods] == ["bfgs", "newton-tr[subproblem=cg]",
                                              "scipy:L-BFGS-B", "scipy:Nelder-Mead"]
    assert cfg.methods[1].options == {"gtol": 1e-7, "maxiter": 500, "subproblem": "cg"}
    # scipy gets [options]'s gtol as `newtonlab compare` translates it, where it has one
    assert cfg.methods[2].options == {"gtol": 1e-7, "ftol": 0.0, "maxiter": 500}
    assert cfg.methods[3].options == {"maxiter": 500}
    assert cfg.seeds == [0, 1] and cfg.timeout == 60.0 and cfg.repeats == 1


def test_task_keys_are_stable_and_distinct():
    # pinned: a change of the key formula would orphan every existing sweep's records
    assert task_key("rosenbrock", "bfgs", {"gtol": 1e-6}, 1, 0) == \
        task_key("rosenbrock", "bfgs", {"gtol": 1e-6}, 1, 0) == "eddf01258e70"
    raw = {"problems": ["rosenbrock", "beale"], "methods": ["bfgs", "scipy:BFGS"],
           "seeds": [0, 1, 2], "repeats": 2}
    a, b = expand(parse_config(raw)), expand(parse_config(dict(raw)))
    assert [t["key"] for t in a] == [t["key"] for t in b]
    assert len({t["key"] for t in a}) == len(a) == 24
    c = expand(parse_config({**raw, "options": {"gtol": 1e-8}}))
    assert not {t["key"] for t in a} & {t["key"] for t in c}


def test_seeded_start_points_are_reproducible():
    x0 = np.array([-1.2, 1.0, 30.0])
    np.testing.assert_array_equal(start_point(x0, "p", 0), x0)
    a, b = start_point(x0, "p", 3), start_point(x0, "p", 3)
    np.testing.assert_array_equal(a, b)
    import zlib
    z = np.random.default_rng(np.random.SeedSequence([3, zlib.crc32(b"p")])).standard_normal(3)
    np.testing.assert_array_equal(a, x0 + 0.1 * np.array([1.2, 1.0, 30.0]) * z)
    assert not np.array_equal(a, start_point(x0, "p", 4))
    assert not np.array_equal(a, start_point(x0, "q", 3))


# ------------------------------------------------------------------ local sweeps

SMALL = """
problems = ["rosenbrock", "beale"]
methods = ["bfgs", "scipy:BFGS"]
seeds = [0, 1]
trace = true
[options]
gtol = 1e-6
"""


def test_local_sweep_records_and_resume(tmp_path):
    cfg = write(tmp_path, SMALL)
    out = str(tmp_path / "out")
    s = run_sweep(cfg, out, jobs=2, progress=False, log=False)
    assert (s.total, s.ran, s.successful, s.failed) == (8, 8, 8, 0)
    recs = lines(out)
    assert len(recs) == 8
    keys = {t["key"] for t in expand(parse_config(__import__("tomllib").loads(SMALL)))}
    assert {r["key"] for r in recs} == keys
    for r in recs:
        assert tuple(r) == RECORD_KEYS
        assert r["status"] == 0 and r["success"] and r["error"] is None
        assert r["fmin"] == 0.0 and r["different_minimum"] is False
        assert r["fun"] < 1e-8 < r["f0"] and r["nit"] > 0 and r["nfev"] >= r["nit"]
        assert 0 < r["time"] < 5 and r["versions"]["newtonlab"]
        h = r["history"]
        assert len(h["f"]) == len(h["nfev"]) == len(h["time"]) >= 2
        assert h["f"][0] == r["f0"] and h["f"][-1] == pytest.approx(r["fun"], abs=1e-12)
        assert r["method"] in ("bfgs", "scipy:BFGS") and r["options"]
    assert {r["kind"] for r in recs if r["library"] == "scipy"} == {None}
    with open(os.path.join(out, "traces.csv")) as fh:
        head, *rows = fh.read().splitlines()
    assert head.startswith("key,problem,method,seed,repeat,iteration,f,gnorm,nfev")
    assert {row.split(",")[0] for row in rows} == keys
    assert open(os.path.join(out, "config.toml")).read() == open(cfg).read()

    # a second run must be a --resume; finished tasks are skipped
    with pytest.raises(SweepError, match="--resume"):
        run_sweep(cfg, out, jobs=2, progress=False, log=False)
    s = run_sweep(cfg, out, jobs=2, resume=True, progress=False, log=False)
    assert (s.skipped, s.ran) == (8, 0) and len(lines(out)) == 8

    # lost and failed records are run again, finished ones are not
    recs[0]["status"] = "error"
    recs[1]["status"] = "timeout"
    with open(os.path.join(out, "runs.jsonl"), "w") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in recs[:-1])
        fh.write('{"key": "torn li')                     # a write cut by a crash
    with pytest.warns(RuntimeWarning, match="unparseable line"):
        s = run_sweep(cfg, out, jobs=2, resume=True, progress=False, log=False)
    assert (s.skipped, s.ran, s.successful) == (5, 3, 3)
    after = lines(out)
    assert sorted(r["key"] for r in after) == sorted(keys)
    assert after[:5] == recs[2:7]                        # untouched, in order
    with open(os.path.join(out, "traces.csv")) as fh:
        assert {ln.split(",")[0] for ln in fh.read().splitlines()[1:]} == keys

    # a different configuration is refused
    other = write(tmp_path, SMALL.replace("[0, 1]", "[0, 2]"), name="other.toml")
    with pytest.raises(SweepError, match="different configuration.*seeds"):
        run_sweep(other, out, resume=True, progress=False, log=False)


def test_raising_and_hanging_objectives_become_records(tmp_path):
    cfg = write(tmp_path, """
        problems = ["rosenbrock", "hooks.py:raising", "hooks.py:sleeping", "hooks.py:spinning",
                    "beale"]
        methods = ["bfgs"]
        timeout = 4
    """, hooks=True)
    out = str(tmp_path / "out")
    t = time.perf_counter()
    s = run_sweep(cfg, out, jobs=2, progress=False, log=False)
    assert time.perf_counter() - t < 30
    by = {r["problem"]: r for r in lines(out)}
    assert (s.ran, s.successful, s.failed) == (5, 2, 3)
    assert by["rosenbrock"]["success"] and by["beale"]["success"]
    err = by["hooks.py:raising"]
    assert err["status"] == "error" and not err["success"]
    assert "ValueError: objective exploded" in err["message"]
    assert err["error"].startswith("Traceback") and "hooks.py" in err["error"]
    for name in ("hooks.py:sleeping", "hooks.py:spinning"):     # Python and compiled code
        assert by[name]["status"] == "timeout", by[name]
        assert "4 s" in by[name]["message"] and by[name]["fun"] is None


def test_killed_sweep_loses_nothing_and_resumes(tmp_path):
    cfg = write(tmp_path, """
        problems = [{name = "hooks.py:slow", params = {delay = 0.1}}]
        methods = ["bfgs"]
        seeds = 6
    """, hooks=True)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "newtonlab", "sweep", cfg, "--out", str(out),
                             "--jobs", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    runs = out / "runs.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and not (runs.exists() and runs.read_text().count("\n") >= 2):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)                     # no chance to clean up
    proc.communicate(timeout=30)
    before = lines(str(out))                             # every line whole
    assert 2 <= len(before) < 6
    s = run_sweep(cfg, str(out), jobs=2, resume=True, progress=False, log=False)
    assert (s.skipped, s.ran) == (len(before), 6 - len(before))
    after = lines(str(out))
    assert after[:len(before)] == before and len({r["key"] for r in after}) == 6
    assert all(r["success"] and r["fmin"] == 0.0 for r in after)


def test_cli_sweep_and_errors(tmp_path, capsys):
    from click.testing import CliRunner
    r = CliRunner().invoke(cli.newtonlab, ["sweep", "--help"])
    assert r.exit_code == 0 and "--resume" in r.output and "--backend" in r.output
    cfg = write(tmp_path, """
        problems = ["beale"]
        methods = ["bfgs"]
    """)
    out = str(tmp_path / "out")
    p = subprocess.run([sys.executable, "-m", "newtonlab", "sweep", cfg, "-o", out, "-j", "1"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "[1/1] beale bfgs seed=0 repeat=0: ok" in p.stdout and "1 successful" in p.stdout
    assert read_runs(out)[0]["success"]
    bad = write(tmp_path, 'problems = ["beale"]\nmethods = ["bfgs"]\nseeds = [0, "x"]\n',
                name="bad.toml")
    assert cli.main(["sweep", bad, "--out", str(tmp_path / "o2")]) == 1
    assert "seeds: 'x'" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "o2" / "runs.jsonl")


def test_dask_backend_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(backends.BackendError, match=r"pip install newtonlab\[dask\]"):
        backends.make_backend("dask", 1)


def test_dask_local_cluster_sweep(tmp_path):
    pytest.importorskip("distributed")
    cfg = write(tmp_path, """
        problems = ["rosenbrock", "hooks.py:raising"]
        methods = ["bfgs", "scipy:BFGS"]
    """, hooks=True)
    out = str(tmp_path / "out")
    s = run_sweep(cfg, out, jobs=2, backend="dask", progress=False, log=False)
    assert (s.ran, s.successful, s.failed) == (4, 2, 2)
    recs = {(r["problem"], r["method"]): r for r in lines(out)}
    assert recs[("rosenbrock", "scipy:BFGS")]["success"]
    assert recs[("rosenbrock", "bfgs")]["success"]
    assert recs[("hooks.py:raising", "bfgs")]["status"] == "error"
