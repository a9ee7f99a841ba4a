"""Figures: per-problem convergence (f - f* against the iteration) and the summary of
speed and evaluation ratios.  matplotlib is imported only here, on first use."""
from __future__ import annotations

import math

from .. import METHODS


def _colors():
    from matplotlib import colormaps
    return colormaps["tab10"].colors + colormaps["Dark2"].colors


def plot_problem(p, runs, path, gtol):
    """f - f* vs iteration: pairs (newtonlab solid, scipy dashed) left, solo methods right."""
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ..plotting import plot_convergence
    pair_colors = colormaps["tab10"].colors
    solo_colors = colormaps["tab20"].colors[::2] + colormaps["tab20"].colors[1::2]
    pairs, solo, styles_p, styles_s = {}, {}, {}, {}
    scipy_label = {}            # scipy method -> its label (one line even if shared)
    for method, (r, s) in runs.items():
        if s is not None:
            c = pair_colors[(len(pairs) - len(scipy_label)) % len(pair_colors)]
            lab_n = f"newtonlab {method}"
            pairs[lab_n] = r
            styles_p[lab_n] = {"color": c, "linestyle": "-", "marker": "o"}
            smeth = METHODS[method].scipy
            if smeth not in scipy_label:
                scipy_label[smeth] = lab_s = f"scipy {smeth}"
                pairs[lab_s] = s
                styles_p[lab_s] = {"color": c, "linestyle": "--", "marker": "s",
                                   "markerfacecolor": "none"}
            else:               # shared counterpart: say so in its label
                old = scipy_label[smeth]
                new = (old + f", {method})" if old.endswith(")") else
                       old + f" (also vs {method})")
                pairs = {(new if k == old else k): v for k, v in pairs.items()}
                styles_p[new] = styles_p.pop(old)
                scipy_label[smeth] = new
        else:
            solo[method] = r
            styles_s[method] = {"color": solo_colors[(len(solo) - 1) % len(solo_colors)]}
    ncol = int(bool(pairs)) + int(bool(solo))
    fig = Figure(figsize=(6.6 * ncol, 6.2), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncol, squeeze=False)[0]
    k = 0
    if pairs:
        plot_convergence(pairs, fstar=p.fmin, ax=axes[k], styles=styles_p, legend_loc="below",
                         title="with a scipy counterpart: newtonlab solid, scipy dashed")
        k += 1
    if solo:
        plot_convergence(solo, fstar=p.fmin, ax=axes[k], styles=styles_s, legend_loc="below",
                         title="without a scipy counterpart (newtonlab only)")
    for ax in axes:
        # runs take from 1 to thousands of iterations: linear start, log tail
        ax.set_xscale("symlog", linthresh=10, linscale=0.6)
        ax.set_xlim(left=0)
        ax.set_xlabel("iteration (linear to 10, then log)")
    fstar = "unknown" if p.fmin is None else f"{p.fmin:.6g}"
    fig.suptitle(f"{p.id}: f - f* against iteration (f* = {fstar}), gtol = {gtol:g}",
                 fontsize="medium")
    fig.savefig(path, dpi=110)
    return fig


def plot_summary(rows, path, gtol):
    """Per pair: warm-time speed ratio (scipy / newtonlab) and nfev ratio, log scale."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    pairs = [r for r in rows if r.get("scipy_method") and "ratio" in r]
    fig = Figure(figsize=(11, 7.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    if not pairs:
        ax1.text(0.5, 0.5, "no method with a scipy counterpart was run", ha="center",
                 transform=ax1.transAxes)
        fig.savefig(path, dpi=110)
        return fig
    probs = list(dict.fromkeys(r["problem"] for r in pairs))
    labels = list(dict.fromkeys(r["label"] for r in pairs))
    meths = list(dict.fromkeys(r["method"] for r in pairs))
    colors = _colors()       # same order as the pairs in the per-problem figures
    width = 0.8 / len(meths)
    all_sp, all_ev, handles = [], [], []
    for j, m in enumerate(meths):
        c = colors[j % len(colors)]
        xs, sp, ev, hatch = [], [], [], []
        for r in pairs:
            if r["method"] != m:
                continue
            xs.append(probs.index(r["problem"]) - 0.4 + (j + 0.5) * width)
            sp.append(r["ratio"])
            ev.append(r["nl_nfev"] / r["sp_nfev"] if r["sp_nfev"] else math.nan)
            hatch.append("" if r["nl_success"] and r["sp_success"] else "///")
        lab = f"{m} vs {METHODS[m].scipy}"
        ax1.bar(xs, sp, width=width * 0.9, color=c, hatch=hatch, edgecolor="white")
        handles.append(Patch(facecolor=c, label=lab))
        ax2.bar(xs, ev, width=width * 0.9, color=c, hatch=hatch, edgecolor="white")
        all_sp += [v for v in sp if v > 0 and math.isfinite(v)]
        all_ev += [v for v in ev if v > 0 and math.isfinite(v)]
        for x, v in zip(xs, sp):
            ax1.annotate(f"{v:.0f}" if v >= 10 else f"{v:.2g}", (x, v), ha="center",
                         va="bottom", fontsize=6.5, rotation=90, xytext=(0, 2),
                         textcoords="offset points")
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    for ax in (ax1, ax2):
        ax.set_yscale("log")
        ax.axhline(1.0, color="k", linewidth=0.8)
        ax.grid(True, axis="y", which="major", alpha=0.3)
    ax1.set_ylabel("speed-up  t_scipy / t_newtonlab\n(warm solves, median CPU time)")
    if all_sp:
        ax1.set_ylim(min(min(all_sp) / 2, 0.5), max(max(all_sp) * 6, 20.0))
    fig.legend(handles=handles, fontsize="small", ncol=min(len(meths), 4),
               loc="outside lower center")
    ax1.set_title("above 1: newtonlab faster", fontsize="small", loc="right")
    ax2.set_ylabel("evaluations  nfev_newtonlab / nfev_scipy")
    ax2.set_title("above 1: newtonlab uses more function evaluations", fontsize="small",
                  loc="right")
    ax2.set_xticks(range(len(probs)), labels, rotation=25, ha="right")
    if all_ev:
        ax2.set_ylim(min(min(all_ev) / 1.5, 0.4), max(max(all_ev) * 1.5, 2.5))
    ax2.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax2.yaxis.set_minor_formatter(NullFormatter())
    ax1.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    fig.suptitle(f"newtonlab (jitted objective, compiled loop) vs scipy.optimize, same x0, "
                 f"gtol = {gtol:g}; hatched: newtonlab or scipy did not converge",
                 fontsize="medium")
    fig.savefig(path, dpi=110)
    return fig
