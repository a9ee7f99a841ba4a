"""Reports: the terminal table, the notes on tolerances and timing, CSV and markdown."""
from __future__ import annotations

import csv
import math

from .. import METHODS
from .run import scipy_options


def fmt_time(t):
    if t is None or not math.isfinite(t):
        return "-"
    if t < 1e-3:
        return f"{t * 1e6:.0f} us"
    if t < 1.0:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


COLUMNS = ["problem", "n", "method", "scipy_method", "nl_execution", "nl_success", "sp_success",
           "nl_nit", "sp_nit", "nl_nfev", "sp_nfev", "nl_njev", "sp_njev", "nl_nhev", "sp_nhev",
           "nl_f", "sp_f", "nl_err", "sp_err", "nl_gnorm", "sp_gnorm", "nl_time_s", "sp_time_s",
           "ratio", "nl_wall_s", "sp_wall_s", "ratio_wall", "nl_first_call_s", "reps",
           "nl_message", "sp_message", "error"]


def _pair(a, b, fmt="{}"):
    sa = "-" if a is None or a == "" else fmt.format(a)
    return sa if b is None or b == "" else f"{sa}/{fmt.format(b)}"


def _sci(v):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1e}"


def table_lines(rows):
    """The terminal table, one line per (problem, method); a/b = newtonlab/scipy."""
    head = ("problem", "method", "scipy", "success", "nit", "nfev", "njev", "f (newtonlab)",
            "|f-f*| nl/sp", "t newtonlab", "t scipy", "ratio", "first call")
    body = []
    for r in rows:
        if r.get("error"):
            body.append((r["label"], r["method"], r["scipy_method"] or "-", "ERROR", "", "", "",
                         "", "", "", "", "", r["error"][:60]))
            continue
        ok = lambda v: "-" if v is None else ("yes" if v else "NO")  # noqa: E731
        body.append((r["label"], r["method"], r["scipy_method"] or "-",
                     _pair(ok(r["nl_success"]), ok(r.get("sp_success")) if r["scipy_method"]
                           else None),
                     _pair(r["nl_nit"], r.get("sp_nit")), _pair(r["nl_nfev"], r.get("sp_nfev")),
                     _pair(r["nl_njev"], r.get("sp_njev")), f"{r['nl_f']:.6g}",
                     _pair(_sci(r["nl_err"]), _sci(r["sp_err"]) if "sp_err" in r else None),
                     fmt_time(r["nl_time_s"]), fmt_time(r.get("sp_time_s")),
                     f"x{r['ratio']:.3g}" if "ratio" in r else "-",
                     fmt_time(r["nl_first_call_s"])))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*map(str, b)) for b in body]
    return lines


def notes(gtol, methods, blas):
    out = [f"gtol = {gtol:g} for both libraries, same x0, same jitted fun/jac/hess; "
           "iteration limits at both libraries' defaults.",
           "scipy tolerances per method:"]
    for m in methods:
        s = METHODS[m].scipy
        if s is None:
            out.append(f"  {m}: no scipy counterpart (newtonlab only)")
        else:
            opts, how = scipy_options(s, gtol)
            opts = ", ".join(f"{k}={v!r}" for k, v in opts.items())
            out.append(f"  {m} <-> {s}: options {{{opts}}}; {how}")
    out.append("times: medians of the CPU time of warm calls (newtonlab and scipy interleaved; "
               "wall-clock medians are in the CSV); 'first call' = newtonlab's first call of "
               "that (problem, method) in this process (wall), including compile or disk-cache "
               "load; ratio = t_scipy / t_newtonlab.")
    out.append(f"BLAS pinned to 1 thread ({blas}); a/b columns = newtonlab/scipy.")
    return out


def write_csv(rows, path):
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


def write_md(rows, path, note_lines, elapsed, compile_total):
    lines = ["# newtonlab vs scipy.optimize", ""]
    lines += [f"- {ln.strip()}" if not ln.startswith("  ") else f"  - {ln.strip()}"
              for ln in note_lines]
    lines += [f"- total run time {elapsed:.1f} s, of which newtonlab first calls "
              f"(compile / cache load) {compile_total:.1f} s", "", "```"]
    lines += table_lines(rows) + ["```", ""]
    with open(path, "w") as fh:
        fh.write("\n".join(lines))
