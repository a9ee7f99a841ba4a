"""``summary.png``: per (problem, method) pair, the speed-up t_scipy / t_newtonlab (median
over repeats, interquartile range of the pairwise repeat ratios as error bars) and the
ratio of function evaluations.  The profiles and per-problem convergence figures are
:func:`newtonlab.sweep.plots.profile_dir`'s.  matplotlib is imported only here."""
from __future__ import annotations

import math

from .. import METHODS


def pair_styles(solvers):
    """Solver -> plot keywords for the sweep's figures: a newtonlab method and its scipy
    counterpart share a colour (newtonlab solid with its own marker, scipy dashed with
    crosses; a counterpart shared by two methods takes the first one's colour); methods
    without a counterpart dash-dotted."""
    from matplotlib import colormaps
    from .counterparts import scipy_label
    colors = colormaps["tab10"].colors + colormaps["Dark2"].colors
    markers = ("o", "s", "^", "D", "v", "P", "<", ">", "*", "h")
    nl = [m for m in METHODS if m in solvers]
    order = [m for m in nl if scipy_label(m) in solvers] + \
        [m for m in nl if scipy_label(m) not in solvers]
    order += [s for s in sorted(solvers) if s not in METHODS and
              s not in {scipy_label(m) for m in nl}]
    out = {}
    for k, s in enumerate(order):
        c, mk = colors[k % len(colors)], markers[k % len(markers)]
        sp = scipy_label(s) if s in METHODS else None
        paired = sp in solvers
        out[s] = {"color": c, "linestyle": "-" if paired else "-.", "marker": mk}
        if paired and sp not in out:
            out[sp] = {"color": c, "linestyle": "--", "marker": "x"}
    return out


def plot_summary(rows, path, gtol):
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    from ..plotting import save_figure
    pairs = [r for r in rows if r["method"] in METHODS and r.get("scipy_method")
             and math.isfinite(r.get("speedup", math.nan))]
    fig = Figure(figsize=(11, 7.4), layout="constrained")
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    if not pairs:
        ax1.text(0.5, 0.5, "no method with a scipy counterpart ran successfully",
                 ha="center", transform=ax1.transAxes)
        save_figure(fig, path)
        return fig
    probs = list(dict.fromkeys(r["problem"] for r in pairs))
    meths = list(dict.fromkeys(r["method"] for r in pairs))
    colors = colormaps["tab10"].colors + colormaps["Dark2"].colors
    width = 0.8 / len(meths)
    all_sp, all_ev, handles = [], [], []
    for j, m in enumerate(meths):
        c = colors[j % len(colors)]
        xs, sp, lo, hi, ev, hatch = [], [], [], [], [], []
        for r in (r for r in pairs if r["method"] == m):
            xs.append(probs.index(r["problem"]) - 0.4 + (j + 0.5) * width)
            sp.append(r["speedup"])
            lo.append(r["speedup"] - r.get("speedup_q25", r["speedup"]))
            hi.append(r.get("speedup_q75", r["speedup"]) - r["speedup"])
            nf, sf = r.get("nl_nfev"), r.get("sp_nfev")
            ev.append(nf / sf if nf and sf else math.nan)
            ok = r.get("nl_success") and r.get("sp_success") and not r.get("flag")
            hatch.append("" if ok else "///")
        # bars grow from 1 (no difference), up or down
        kw = {"width": width * 0.9, "color": c, "hatch": hatch, "edgecolor": "white",
              "bottom": 1.0}
        ax1.bar(xs, [v - 1.0 for v in sp], **kw)
        ax1.errorbar(xs, sp, yerr=[[max(v, 0.0) for v in lo], [max(v, 0.0) for v in hi]],
                     fmt="none", elinewidth=0.9, capsize=1.5, ecolor="0.25")
        ax2.bar(xs, [v - 1.0 for v in ev], **kw)
        handles.append(Patch(facecolor=c, label=f"{m} vs scipy {METHODS[m].scipy}"))
        all_sp += [v + h for v, h in zip(sp, hi) if v > 0 and math.isfinite(v + h)]
        all_sp += [v - d for v, d in zip(sp, lo) if v - d > 0 and math.isfinite(v - d)]
        all_sp += [v for v in sp if v > 0 and math.isfinite(v)]
        all_ev += [v for v in ev if v > 0 and math.isfinite(v)]
        for x, v, h in zip(xs, sp, hi):
            ax1.annotate(f"{v:.0f}" if v >= 10 else f"{v:.2g}", (x, v + max(h, 0.0)),
                         ha="center", va="bottom", fontsize=6.5, rotation=90, xytext=(0, 2),
                         textcoords="offset points")
    for ax in (ax1, ax2):
        ax.set_yscale("log")
        ax.axhline(1.0, color="k", linewidth=0.8)
        ax.grid(True, axis="y", which="major", alpha=0.3)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax1.set_ylabel("speed-up  t_scipy / t_newtonlab\n(CPU time of warm solves:\n"
                   "median, bars: IQR)")
    if all_sp:
        ax1.set_ylim(min(min(all_sp) / 1.5, 0.5), max(max(all_sp) * 4, 20.0))
    ax1.set_title("above 1: newtonlab faster", fontsize="small", loc="right")
    ax2.set_ylabel("evaluations  nfev_newtonlab / nfev_scipy")
    ax2.set_title("above 1: newtonlab uses more function evaluations", fontsize="small",
                  loc="right")
    if all_ev:
        ax2.set_ylim(min(min(all_ev) / 1.5, 0.4), max(max(all_ev) * 1.5, 2.5))
    ax2.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax2.set_xticks(range(len(probs)), [_short(p) for p in probs], rotation=25, ha="right")
    fig.legend(handles=handles, fontsize="small", ncol=min(len(meths), 4),
               loc="outside lower center")
    fig.suptitle(f"newtonlab vs scipy.optimize, same x0, gtol = {gtol:g}; hatched: a run "
                 f"failed, did not converge or is flagged", fontsize="medium")
    save_figure(fig, path)
    return fig


def _short(pid):
    """``quadratic(n=10,kappa=100.0,seed=0)`` -> ``quadratic(10, 100)``."""
    if "(" not in pid:
        return pid
    name, _, rest = pid.partition("(")
    vals = []
    for kv in rest.rstrip(")").split(","):
        k, _, v = kv.partition("=")
        if k == "seed":
            continue
        try:
            f = float(v)
            v = f"{f:.0e}" if f >= 1e3 else f"{f:g}"
        except ValueError:
            pass
        vals.append(v)
    return f"{name}({', '.join(vals)})"
