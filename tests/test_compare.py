"""`newtonlab compare` on the sweep machinery: a --quick run of 2 problems x 2 methods (and
their scipy counterparts) writes the records, table, CSV and figures; speed-ups carry their
spread; runs at another minimum are flagged; the scipy map is the registry's."""
import csv
import json
import math
import os
import re

import pytest

import newtonlab as nl
from newtonlab.bench import counterparts, report, study
from newtonlab.bench.main import main
from newtonlab.sweep import parse_config, read_runs

ARGS = ["--quick", "--problems", "rosenbrock", "beale", "--methods", "bfgs", "lbfgs",
        "--repeats", "3", "--jobs", "2"]


def test_scipy_map_is_the_registrys():
    derived = {m: info.scipy for m, info in nl.METHODS.items() if info.scipy is not None}
    assert counterparts.scipy_map() == derived and derived
    labels = study.solvers(list(nl.METHODS))
    assert {s for s in labels if s.startswith("scipy:")} == {f"scipy:{v}"
                                                             for v in derived.values()}
    for m, s in derived.items():       # every counterpart gets comparable tolerances
        assert s in counterparts.SCIPY_TOLERANCES
        assert labels.index(f"scipy:{s}") > labels.index(m) or \
            any(derived[k] == s and labels.index(k) < labels.index(m) for k in derived)
    # the sweep translates gtol with the same table
    cfg = parse_config(study.sweep_config([{"name": "beale"}], ["lbfgs", "newton-cg"],
                                          gtol=1e-7, repeats=1, timeout=10, part="t"))
    opts = {m.label: m.options for m in cfg.methods}
    assert opts["scipy:L-BFGS-B"] == {"gtol": 1e-7, "ftol": 0.0}
    assert opts["scipy:Newton-CG"] == {"xtol": 1e-7}
    assert opts["lbfgs"] == {"gtol": 1e-7}


def test_config_round_trips_through_toml():
    import tomllib
    cfg = study.sweep_config(study.select_problems(None, False), ["bfgs"], gtol=1e-5,
                             repeats=5, timeout=60.0, part="standard problems")
    assert tomllib.loads(study.to_toml(cfg)) == cfg
    ids = [p.id for p in parse_config(cfg).problems]
    assert ids == [p.id for p in nl.problems.standard_matrix()]


def test_quick_compare_writes_everything_and_flags(tmp_path, capsys):
    out = str(tmp_path / "out")
    assert main(ARGS + ["--out", out]) == 0
    printed = capsys.readouterr().out
    recs = read_runs(out)
    assert len(recs) == 2 * 4 * 3                     # problems x solvers x repeats
    assert {r["method"] for r in recs} == {"bfgs", "lbfgs", "scipy:BFGS", "scipy:L-BFGS-B"}
    for name in ("runs.jsonl", "config.toml", "compare.md", "compare.csv", "profiles.md",
                 "summary.png", "performance_time.png", "performance_nfev.png",
                 "data_profiles.png", "convergence_rosenbrock.png", "convergence_beale.png"):
        assert os.path.getsize(os.path.join(out, name)) > 0, name
    with open(os.path.join(out, "compare.csv")) as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["problem"], r["method"], r["scipy_method"]) for r in rows] == [
        ("rosenbrock", "bfgs", "BFGS"), ("rosenbrock", "lbfgs", "L-BFGS-B"),
        ("beale", "bfgs", "BFGS"), ("beale", "lbfgs", "L-BFGS-B")]
    for r in rows:
        lo, med, hi = (float(r[k]) for k in ("speedup_q25", "speedup", "speedup_q75"))
        assert 0 < lo <= hi and med > 0
        assert r["nl_repeats"] == r["sp_repeats"] == "3"
        assert int(r["nl_nfev"]) > 0 and int(r["sp_nfev"]) > 0 and not r["flag"]
    md = open(os.path.join(out, "compare.md")).read()
    ratio_cells = re.findall(r"\| x([0-9.e+-]+) \[([0-9.e+-]+)-([0-9.e+-]+)\] \|", md)
    assert len(ratio_cells) == 4                      # median [interquartile range]
    assert len(re.findall(r"\| yes/yes \| \d+/\d+ \| \d+/\d+ \|", md)) == 4  # nl/sp
    assert "speed-up [IQR]" in printed and "MGH part not run" in md

    # a run ending at another minimum than the reference: rewrite scipy:BFGS on beale
    # as if it had stopped, "successfully", at f = 0.5 (f* = 0) -> flagged in the report
    path = os.path.join(out, "runs.jsonl")
    lines = [json.loads(ln) for ln in open(path)]
    for r in lines:
        if r["problem"] == "beale" and r["method"] == "scipy:BFGS":
            r.update(fun=0.5, different_minimum=True)
    with open(path, "w") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in lines)
    assert main(["--out", out, "--report-only"]) == 0
    with open(os.path.join(out, "compare.csv")) as fh:
        rows = {(r["problem"], r["method"]): r for r in csv.DictReader(fh)}
    assert "scipy: different minimum" in rows["beale", "bfgs"]["flag"]
    assert not rows["beale", "lbfgs"]["flag"] and not rows["rosenbrock", "bfgs"]["flag"]
    md = open(os.path.join(out, "compare.md")).read()
    assert "1 flagged row" in md and "scipy: different minimum (f - f* = 0.5)" in md


def test_flags_without_reference_and_failures():
    def rec(method, lib, fun, fmin=None, status=0, rep=0):
        return {"key": f"{method}{rep}", "problem": "p", "seed": 0, "n": 2, "method": method,
                "library": lib, "status": status, "success": status == 0, "fun": fun,
                "f0": 3.0, "fmin": fmin, "nit": 5, "nfev": 7, "njev": 7, "nhev": 0,
                "time": 1e-3 * (1 + rep), "different_minimum": None,
                "history": {"nfev": [1, 7], "f": [3.0, fun], "time": [0.0, 1e-3]}}
    recs = [rec("bfgs", "newtonlab", 0.0, rep=k) for k in range(3)] + \
        [rec("scipy:BFGS", "scipy", 1.0, rep=k) for k in range(3)] + \
        [rec("lbfgs", "newtonlab", None, status="timeout"),
         rec("scipy:L-BFGS-B", "scipy", 0.0)]
    rows = {r["method"]: r for r in report.rows_from_records(recs)}
    assert "different minima" in rows["bfgs"]["flag"]
    assert rows["bfgs"]["speedup"] == pytest.approx(1.0)
    assert rows["bfgs"]["speedup_q25"] < 1.0 < rows["bfgs"]["speedup_q75"]
    assert "newtonlab timeout" in rows["lbfgs"]["flag"]
    assert math.isnan(rows["lbfgs"].get("speedup", math.nan))
    assert report.fmt_speedup(rows["bfgs"]).startswith("x1 [")


def test_out_dir_of_another_sweep_is_refused(tmp_path):
    (tmp_path / "config.toml").write_text('problems = ["beale"]\nmethods = ["bfgs"]\n')
    (tmp_path / "runs.jsonl").write_text("{}\n")
    with pytest.raises(SystemExit, match="not made by `newtonlab compare`"):
        study.prepare_out(str(tmp_path), resume=False)
    assert (tmp_path / "runs.jsonl").exists()
