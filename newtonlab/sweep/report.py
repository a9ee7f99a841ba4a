"""The text of a sweep's ``profiles.md`` report (written by ``newtonlab profile DIR``).

Why a module of its own: the report is Markdown tables of numbers -- the summary,
performance-profile scores, speed ratios, flagged and failed runs -- and needs no
matplotlib; :mod:`newtonlab.sweep.plots` draws the figures and writes this text next to
them (:func:`newtonlab.sweep.plots.profile_dir`).
"""
from __future__ import annotations

import math
import os

import numpy as np

from .costs import _group, _num, is_failure
from .profiles import performance_profile
from .tables import speed_ratios, summary


def _fmt(v, spec=".2f"):
    return "–" if v is None or (isinstance(v, float) and not math.isfinite(v)) else \
        format(v, spec)


def _table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return out + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def _report(records, taus, images, baseline, out_dir):
    """The text of profiles.md."""
    g, instances, solvers = _group(records)
    reps = max((len(rs) for runs in g.values() for rs in runs.values()), default=0)
    problems = sorted({p for p, _ in instances})
    L = [f"# Profiles of `{out_dir}`", "",
         f"{len(records)} records: {len(problems)} problems, {len(instances)} instances "
         f"(problem, seed), {len(solvers)} solvers, up to {reps} repeat(s) per run. "
         "How to read these: docs/profiles.md (Dolan & Moré 2002; Moré & Wild 2009).", "",
         "## Summary", "",
         "Solved: fraction of all instances where the solver passes the Moré–Wild test "
         "f ≤ f_L + τ (f0 − f_L). Not successful: runs (repeats once) whose result says "
         "`success = false`, by status.", ""]
    rows = []
    for row in summary(records, taus):
        fails = ", ".join(f"{k}: {v}" for k, v in sorted(row["failures"].items(), key=str))
        rows.append([f"`{row['solver']}`", row["runs"], row["success"],
                     *(_fmt(row["solved"][t]) for t in taus), fails or "–",
                     row["different_minimum"]])
    L += _table(["solver", "runs", "success", *(f"solved τ={t:g}" for t in taus),
                 "not successful", "different minimum"], rows)
    L += ["", "## Performance profiles", "",
          "ρ(1) / ρ(∞): fraction of instances where the solver is the cheapest (ties count "
          "for all) / solves at all.", ""]
    cells = {}
    for metric in ("nfev", "time"):
        for t in taus:
            p = performance_profile(records, metric, t)
            cells[metric, t] = (p.at(1.0), p.at(math.inf))
    L += _table(["solver", *(f"{m} τ={t:g}" for m in ("nfev", "time") for t in taus)],
                [[f"`{s}`", *(f"{_fmt(cells[m, t][0][s])} / {_fmt(cells[m, t][1][s])}"
                              for m in ("nfev", "time") for t in taus)] for s in solvers])
    bases = [baseline] if baseline else [s for s in solvers if s.startswith("scipy:")]
    if not bases and reps > 1:
        bases = solvers[:1]
    for b in bases:
        st, sn = speed_ratios(records, b, "time"), speed_ratios(records, b, "nfev")
        L += ["", f"## Speed ratios against `{b}`", "",
              f"Per instance: the solver's median time over repeats / `{b}`'s (> 1: slower); "
              "runs that failed are left out. Columns: median across instances; the range "
              "across instances; the median across instances of the repeat spread (quartiles "
              "of the pairwise repeat ratios).", ""]
        rows = []
        for j, s in enumerate(st.solvers):
            col = st.ratio[:, j][~np.isnan(st.ratio[:, j])]
            lo, hi = st.lo[:, j], st.hi[:, j]
            rows.append([f"`{s}`", _fmt(st.median[s], ".3g"),
                         f"{_fmt(col.min(), '.3g')} – {_fmt(col.max(), '.3g')}" if col.size
                         else "–",
                         f"{_fmt(np.nanmedian(lo), '.3g')} – {_fmt(np.nanmedian(hi), '.3g')}"
                         if col.size else "–", _fmt(sn.median[s], ".3g"), st.count[s]])
        L += _table(["solver", "time ratio", "across instances", "repeat spread",
                     "nfev ratio", "instances"], rows)
    flagged = sorted({(str(r.get("problem")), str(r.get("seed")), str(r.get("method")),
                       _num(r.get("fun")), _num(r.get("fmin"))) for r in records
                      if r.get("different_minimum") is True})
    L += ["", "## Runs flagged `different_minimum`", ""]
    L += _table(["problem", "seed", "solver", "f", "fmin"],
                [[p, sd, f"`{m}`", f"{f:.6g}", f"{fm:.6g}"] for p, sd, m, f, fm in flagged]) \
        if flagged else ["None."]
    failed = sorted({(str(r.get("problem")), str(r.get("seed")), str(r.get("method")),
                      str(r.get("status")), str(r.get("error") or r.get("message") or "")[:80])
                     for r in records if is_failure(r)})
    L += ["", "## Failed runs (error, timeout, non-finite f)", ""]
    L += _table(["problem", "seed", "solver", "status", "error"],
                [[p, sd, f"`{m}`", st, e.replace("|", "/")] for p, sd, m, st, e in failed]) \
        if failed else ["None."]
    L += ["", "## Figures", ""] + [f"![{os.path.basename(p)}]({os.path.basename(p)})"
                                   for p in images]
    return "\n".join(L) + "\n"

