"""The comparison's report, computed from a sweep's ``runs.jsonl`` alone: one row per
(problem, newtonlab method) beside its scipy counterpart, the terminal table,
``compare.csv``, ``compare.md`` (with the MGH profile summary when there is one).

Speed-ups are ``t_scipy / t_newtonlab`` (above 1: newtonlab faster) from the repeats of
both runs: the ratio of the median times, and as its spread the quartiles of all pairwise
ratios ``t_scipy,i / t_newtonlab,j`` (:func:`newtonlab.sweep.profiles.speed_ratios`).
Times are the records' ``cpu_time`` (CPU seconds of the worker's thread during the solve:
unlike wall time, not inflated when other processes share the cores, which would bias
against the longer runs), or ``time`` (wall) for records without it; wall-time medians
are in the CSV.
"""
from __future__ import annotations

import csv
import math
import os

import numpy as np

from .. import METHODS
from ..sweep.profiles import (TAUS, _group, is_failure, performance_profile, speed_ratios,
                              summary)
from .counterparts import scipy_label

COLUMNS = ["problem", "n", "method", "scipy_method", "nl_success", "sp_success", "nl_nit",
           "sp_nit", "nl_nfev", "sp_nfev", "nl_njev", "sp_njev", "nl_nhev", "sp_nhev", "nl_f",
           "sp_f", "nl_err", "sp_err", "nl_time_s", "sp_time_s", "speedup", "speedup_q25",
           "speedup_q75", "nl_wall_s", "sp_wall_s", "nl_repeats", "sp_repeats", "flag",
           "nl_status", "sp_status", "nl_message", "sp_message"]


def fmt_time(t):
    if t is None or not math.isfinite(t):
        return "-"
    if t < 1e-3:
        return f"{t * 1e6:.0f} us"
    if t < 1.0:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def _num(v):
    return math.nan if v is None else float(v)


def time_metric(records):
    """``cpu_time`` when every record that did not fail has it, else ``time`` (wall)."""
    ok = [r for r in records if not is_failure(r)]
    return "cpu_time" if ok and all(r.get("cpu_time") is not None for r in ok) else "time"


def _median(recs, key):
    v = [r[key] for r in recs if not is_failure(r) and r.get(key) is not None]
    return float(np.median(v)) if v else math.nan


def _side(recs, prefix, metric="cpu_time"):
    """The columns of one side (nl_ or sp_) from the records of its repeats."""
    if not recs:
        return {}
    rep = next((r for r in recs if not is_failure(r)), recs[0])
    fun, fmin = _num(rep.get("fun")), _num(rep.get("fmin"))
    out = {"success": bool(rep.get("success")), "status": rep.get("status"),
           "message": str(rep.get("message") or "")[:120], "f": fun,
           "err": abs(fun - fmin) if math.isfinite(fmin) else math.nan,
           "time_s": _median(recs, metric), "wall_s": _median(recs, "time"),
           "repeats": len(recs),
           "failed": is_failure(rep), "different_minimum": rep.get("different_minimum")}
    for k in ("nit", "nfev", "njev", "nhev"):
        out[k] = rep.get(k)
    return {f"{prefix}{k}": v for k, v in out.items()}


def _flag(row):
    """Why a row needs a look: a failure, an end at a different minimum than the reference
    fmin, or (fmin unknown) newtonlab and scipy ending at different f."""
    flags = []
    for side, who in (("nl_", "newtonlab"), ("sp_", "scipy")):
        if row.get(side + "failed"):
            flags.append(f"{who} {row.get(side + 'status')}")
        elif row.get(side + "different_minimum") is True:
            flags.append(f"{who}: different minimum (f - f* = {row[side + 'err']:.2g})")
    if "sp_f" in row and not math.isfinite(row["nl_err"]) and row["nl_success"] and \
            row["sp_success"] and math.isfinite(row["nl_f"]) and math.isfinite(row["sp_f"]):
        if abs(row["nl_f"] - row["sp_f"]) > 1e-6 * max(1.0, abs(row["sp_f"])):
            flags.append(f"different minima: f newtonlab - f scipy = "
                         f"{row['nl_f'] - row['sp_f']:.2g}")
    return "; ".join(flags)


def rows_from_records(records):
    """One dict per (problem, newtonlab method) with its counterpart's columns, in the
    records' order of problems and the registry's order of methods; scipy solvers
    without a newtonlab partner get rows of their own (``method`` "-")."""
    g, instances, solvers = _group(records)
    nl = [s for s in METHODS if s in solvers]
    paired = {scipy_label(m) for m in nl}
    solo_sp = [s for s in solvers if s.startswith("scipy:") and s not in paired]
    problems = list(dict.fromkeys(r["problem"] for r in records))
    metric = time_metric(records)
    ratios = {m: speed_ratios(records, m, metric) for m in nl if
              any(not is_failure(r) for runs in g.values() for r in runs.get(m, []))}
    rows = []
    for prob in problems:
        for inst in (i for i in instances if i[0] == prob):
            runs = g[inst]
            n = next((r.get("n") for rs in runs.values() for r in rs), None)
            for m in nl + solo_sp:
                if m not in runs:
                    continue
                sp = scipy_label(m) if m in METHODS else m
                row = {"problem": prob, "seed": inst[1], "n": n,
                       "method": m if m in METHODS else "-",
                       "scipy_method": (sp or "")[6:]}
                if m in METHODS:
                    row.update(_side(runs[m], "nl_", metric))
                if sp in runs:
                    row.update(_side(runs[sp], "sp_", metric))
                sr = ratios.get(m)
                if sr is not None and sp in sr.solvers:
                    i, j = sr.instances.index(inst), sr.solvers.index(sp)
                    row.update(speedup=sr.ratio[i, j], speedup_q25=sr.lo[i, j],
                               speedup_q75=sr.hi[i, j])
                row.setdefault("nl_err", math.nan)
                row.setdefault("nl_success", False)
                row["flag"] = _flag(row)
                rows.append(row)
    return rows


# ------------------------------------------------------------------ the table

def _pair(a, b):
    sa = "-" if a is None or a == "" else str(a)
    return sa if b is None or b == "" else f"{sa}/{b}"


def _sci(v):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1e}"


def fmt_speedup(row):
    v = row.get("speedup", math.nan)
    if not math.isfinite(v):
        return "-"
    lo, hi = row.get("speedup_q25", math.nan), row.get("speedup_q75", math.nan)
    g = lambda x: f"{x:.3g}"  # noqa: E731
    return f"x{g(v)} [{g(lo)}-{g(hi)}]" if math.isfinite(lo) and math.isfinite(hi) else \
        f"x{g(v)}"


HEAD = ("problem", "method", "scipy", "success", "nit", "nfev", "njev", "nhev",
        "|f-f*| nl/sp", "t newtonlab", "t scipy", "speed-up [IQR]", "flag")


def cells(row):
    ok = lambda v, has: None if not has else ("yes" if v else "NO")  # noqa: E731
    has_nl, has_sp = "nl_status" in row, "sp_status" in row
    return (row["problem"], row["method"], row["scipy_method"] or "-",
            _pair(ok(row.get("nl_success"), has_nl), ok(row.get("sp_success"), has_sp)),
            *(_pair(row.get(f"nl_{k}"), row.get(f"sp_{k}")) for k in ("nit", "nfev", "njev",
                                                                       "nhev")),
            _pair(_sci(row.get("nl_err")) if has_nl else None,
                  _sci(row.get("sp_err")) if has_sp else None),
            fmt_time(row.get("nl_time_s")), fmt_time(row.get("sp_time_s")), fmt_speedup(row),
            row.get("flag") or "")


def table_lines(rows):
    """The terminal table: one line per row; a/b = newtonlab/scipy."""
    body = [tuple(map(str, cells(r))) for r in rows]
    widths = [max(len(x) for x in col) for col in zip(HEAD, *body)]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    return [fmt.format(*HEAD), fmt.format(*("-" * w for w in widths))] + \
        [fmt.format(*b).rstrip() for b in body]


def md_table(rows):
    out = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    return out + ["| " + " | ".join(str(c).replace("|", "/") for c in cells(r)) + " |"
                  for r in rows]


def write_csv(rows, path):
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


# ------------------------------------------------------------------ the MGH part

def mgh_lines(records, taus=TAUS, tau=1e-5):
    """Markdown: per solver, solved fractions, performance-profile scores, failures,
    flagged minima; per pair the median speed-up across the problems."""
    rows = summary(records, taus)
    pn, pt = performance_profile(records, "nfev", tau), performance_profile(records, "time", tau)
    r1n, r1t = pn.at(1.0), pt.at(1.0)
    g, instances, solvers = _group(records)
    speed = {}
    for m in (s for s in METHODS if s in solvers):
        sp = scipy_label(m)
        if sp in solvers:
            sr = speed_ratios(records, m, time_metric(records))
            speed[m] = (sr.median[sp], sr.count[sp])
    head = ["solver", "runs", "success", *(f"solved τ={t:g}" for t in taus),
            f"ρ(1) nfev τ={tau:g}", f"ρ(1) wall time τ={tau:g}",
            "not successful (status: runs)", "different minimum",
            "speed-up vs scipy (CPU time, median over problems)"]
    L = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        s = row["solver"]
        fails = ", ".join(f"{k}: {v}" for k, v in sorted(row["failures"].items(), key=str))
        sp = speed.get(s)
        L.append("| " + " | ".join(map(str, [
            f"`{s}`", row["runs"], row["success"], *(f"{row['solved'][t]:.2f}" for t in taus),
            f"{r1n[s]:.2f}", f"{r1t[s]:.2f}", fails or "–",
            row["different_minimum"],
            f"x{sp[0]:.3g} vs `{scipy_label(s)}` ({sp[1]} problems)" if sp else "–"])) + " |")
    return L


def md_report(rows, out, notes, mgh_records=None, mgh_dir="mgh", figures=(), extra=()):
    """The text of compare.md."""
    L = ["# newtonlab vs scipy.optimize", ""]
    L += [f"  - {ln.strip()}" if ln.startswith("  ") else f"- {ln}" for ln in notes]
    L += [f"- {ln}" for ln in extra]
    L += ["", "## Standard problems", "",
          "a/b = newtonlab/scipy (the scipy counterpart of the method); times are medians "
          "over the repeats of warm solves (CPU time of the solve); speed-up = t_scipy / "
          "t_newtonlab (above 1: newtonlab faster), median with the interquartile range "
          "of the pairwise repeat ratios in brackets. Flags: failed runs, runs that "
          "reported success at an f above the problem's reference minimum f* "
          "(`different_minimum`), or, where f* is unknown, newtonlab and scipy ending at "
          "different f.", ""]
    L += md_table(rows)
    flagged = [r for r in rows if r.get("flag")]
    L += ["", f"{len(flagged)} flagged row(s)." if flagged else "No flagged row.", ""]
    L += ["Profiles of these runs (performance and data profiles, solved fractions, speed "
          "ratios against each scipy solver): [profiles.md](profiles.md).", ""]
    if mgh_records:
        n = len({r["problem"] for r in mgh_records})
        L += ["## MGH test set", "",
              f"{n} Moré–Garbow–Hillstrom problems × the second-order and quasi-Newton "
              f"methods and their scipy counterparts, standard x0. Solved: the fraction of "
              f"problems where the solver passes the Moré–Wild test f ≤ f_L + τ (f0 − f_L) "
              f"(f_L: the lowest f any solver found, or f* when lower). ρ(1): the fraction "
              f"where it is the cheapest (ties count for all). Details and figures: "
              f"[{mgh_dir}/profiles.md]({mgh_dir}/profiles.md).", ""]
        L += mgh_lines(mgh_records) + [""]
        L += [f"![{os.path.basename(p)}]({mgh_dir}/{os.path.basename(p)})" for p in
              ("performance_nfev.png", "performance_time.png", "data_profiles.png")] + [""]
    if figures:
        L += ["## Figures", ""] + [f"![{os.path.basename(p)}]({os.path.basename(p)})"
                                   for p in figures] + [""]
    return "\n".join(L)
