"""Figures and the ``profiles.md`` report of a sweep (``newtonlab profile DIR``).

Every figure is a bare Agg-backed :class:`matplotlib.figure.Figure` (no
display, no pyplot state) saved with :func:`newtonlab.plotting.save_figure`.
A solver keeps one colour, line style and marker in every figure (solvers
sorted by name).  The computations are in :mod:`newtonlab.sweep.profiles`; the text of
``profiles.md`` is in :mod:`newtonlab.sweep.report`.
"""
from __future__ import annotations

import math
import os
import re

import numpy as np

from ..plotting import save_figure
from .costs import TAUS, _group, _hist, _num, _reference, is_failure
from .profiles import data_profile, performance_profile
from .records import read_runs
from .report import _report

__all__ = ["solver_styles", "plot_performance_profiles", "plot_data_profiles",
           "plot_convergence", "profile_dir"]

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*", "h", "p")
_LINESTYLES = ("-", "--", "-.", ":")
_METRIC_LABEL = {"time": "wall time", "nfev": "function evaluations (nfev)",
                 "njev": "gradient evaluations (njev)", "nhev": "Hessian evaluations (nhev)",
                 "nit": "iterations"}


def solver_styles(solvers):
    """Solver -> ``Axes.plot`` keywords (colour, line style, marker), fixed by sorted name.

    The i-th solver in sorted order gets the i-th colour of tab10 + Dark2, line style and
    marker (cycling), so a solver looks the same in every figure of a sweep.

    Parameters
    ----------
    solvers : iterable of str
        The method labels.

    Returns
    -------
    dict
        Solver -> ``{"color": (r, g, b), "linestyle": str, "marker": str}``.

    Examples
    --------
    >>> st = solver_styles(["lbfgs", "bfgs"])
    >>> list(st), st["bfgs"]["linestyle"], st["bfgs"]["marker"], st["lbfgs"]["marker"]
    (['bfgs', 'lbfgs'], '-', 'o', 's')
    """
    from matplotlib import colormaps
    colours = colormaps["tab10"].colors + colormaps["Dark2"].colors
    return {s: {"color": colours[i % len(colours)], "linestyle": _LINESTYLES[i % 4],
                "marker": _MARKERS[i % len(_MARKERS)]} for i, s in enumerate(sorted(solvers))}


def _figure(nrows, ncols, panel=(4.6, 3.5), extra_h=0.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(panel[0] * ncols, panel[1] * nrows + extra_h), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, squeeze=False).ravel()


def _grid_shape(k):
    return (1, k) if k <= 3 else (math.ceil(k / 2), 2) if k == 4 else (math.ceil(k / 3), 3)


def _tau_label(tau):
    e = math.log10(tau)
    return rf"$\tau = 10^{{{e:.0f}}}$" if e == round(e) else rf"$\tau$ = {tau:g}"


def _legend_below(fig, handles, labels):
    # at most 4 columns, fewer when long labels would not fit the figure's width
    # (~5 pt per character at "small" plus ~35 pt of handle and padding per entry)
    entry = 35.0 + 5.0 * max((len(str(x)) for x in labels), default=1)
    ncol = max(1, min(4, len(labels), int(fig.get_figwidth() * 72.0 // entry)))
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol,
               fontsize="small", frameon=False)


def _profile_panels(profiles, styles, xlabel, ylabel, suptitle, log_base):
    """One panel per profile (one per tau): step curves, shared legend below."""
    fig, axes = _figure(*_grid_shape(len(profiles)), extra_h=0.5)
    for ax, prof in zip(axes, profiles):
        x = prof.grid
        for j, s in enumerate(prof.solvers):
            st = styles[s]
            ax.step(x, prof.curves[j], where="post", label=s, color=st["color"],
                    linestyle=st["linestyle"], marker=st["marker"], markersize=4.5,
                    markevery=(0.015 * (j % 6), 0.1), linewidth=1.5, alpha=0.9)
        ax.set_xscale("log", base=log_base)
        ax.set_xlim(x[0], x[-1])
        ax.set_ylim(-0.02, 1.04)
        ax.grid(True, which="major", alpha=0.3)
        solved = int(np.isfinite(prof.table).any(axis=1).sum())
        ax.set_title(f"{_tau_label(prof.tau)}: {solved}/{len(prof.instances)} solved by some "
                     f"solver", fontsize="medium")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    for ax in axes[len(profiles):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    _legend_below(fig, handles, labels)
    fig.suptitle(suptitle)
    return fig


def plot_performance_profiles(records, out_dir, *, metrics=("time", "nfev"), taus=TAUS,
                              styles=None):
    """Dolan-Moré performance profiles, one PNG per metric (``performance_<metric>.png``),
    one panel per tau, log2 alpha axis.

    Parameters
    ----------
    records : list of dict
        Records of ``runs.jsonl`` (:func:`~newtonlab.sweep.read_runs`).
    out_dir : str or os.PathLike
        Directory the PNGs are written into (it must exist).
    metrics : sequence of str, default ("time", "nfev")
        The costs, one figure each (see
        :func:`~newtonlab.sweep.profiles.performance_profile`).
    taus : sequence of float, default (1e-1, 1e-3, 1e-5, 1e-7)
        Tolerances of the convergence test, one panel each.
    styles : dict, optional
        Solver -> plot keywords (colour, linestyle, marker) replacing
        :func:`solver_styles`'.

    Returns
    -------
    list of str
        The written paths, one per metric.

    Examples
    --------
    >>> import os, tempfile
    >>> recs = [{"problem": "p", "seed": 0, "n": 2, "method": "a", "status": 0, "fun": 0.0,
    ...          "f0": 1.0, "nfev": 5, "history": {"nfev": [1, 5], "f": [1.0, 0.0]}}]
    >>> paths = plot_performance_profiles(recs, tempfile.mkdtemp(), metrics=("nfev",),
    ...                                   taus=(1e-3,))
    >>> [os.path.basename(p) for p in paths]
    ['performance_nfev.png']
    """
    styles = {**solver_styles({str(r.get("method")) for r in records}), **(styles or {})}
    paths = []
    for metric in metrics:
        profs = [performance_profile(records, metric, tau) for tau in taus]
        fig = _profile_panels(
            profs, styles, r"$\alpha$ (cost within a factor $\alpha$ of the best solver's)",
            r"$\rho_s(\alpha)$: fraction of instances",
            f"Performance profiles, cost = {_METRIC_LABEL.get(metric, metric)} to pass "
            f"the convergence test ({len(profs[0].instances)} instances)", 2)
        paths.append(os.path.join(out_dir, f"performance_{metric}.png"))
        save_figure(fig, paths[-1])
    return paths


def plot_data_profiles(records, out_dir, taus=TAUS, *, budget="nfev", styles=None):
    """Moré-Wild data profiles (``data_profiles.png``): one panel per tau, log kappa axis.

    Parameters
    ----------
    records : list of dict
        Records of ``runs.jsonl`` (:func:`~newtonlab.sweep.read_runs`).
    out_dir : str or os.PathLike
        Directory the PNG is written into (it must exist).
    taus : sequence of float, default (1e-1, 1e-3, 1e-5, 1e-7)
        Tolerances of the convergence test, one panel each.
    budget : str, default "nfev"
        The budget's count, or ``"time"`` (see
        :func:`~newtonlab.sweep.profiles.data_profile`).
    styles : dict, optional
        Solver -> plot keywords (colour, linestyle, marker) replacing
        :func:`solver_styles`'.

    Returns
    -------
    list of str
        The written path (one).

    Examples
    --------
    >>> import os, tempfile
    >>> recs = [{"problem": "p", "seed": 0, "n": 2, "method": "a", "status": 0, "fun": 0.0,
    ...          "f0": 1.0, "nfev": 5, "history": {"nfev": [1, 5], "f": [1.0, 0.0]}}]
    >>> [os.path.basename(p) for p in plot_data_profiles(recs, tempfile.mkdtemp(), (1e-3,))]
    ['data_profiles.png']
    """
    styles = {**solver_styles({str(r.get("method")) for r in records}), **(styles or {})}
    profs = [data_profile(records, tau, budget) for tau in taus]
    unit = "seconds" if budget == "time" else rf"{budget} / $(n_p + 1)$"
    fig = _profile_panels(profs, styles, rf"$\kappa$ (budget: {unit})",
                          r"$d_s(\kappa)$: fraction solved",
                          f"Data profiles: instances solved within a budget of {budget} "
                          f"({len(profs[0].instances)} instances)", 10)
    path = os.path.join(out_dir, "data_profiles.png")
    save_figure(fig, path)
    return [path]


def _safe(name):
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", str(name)).strip("_") or "problem"


def plot_convergence(records, out_dir, *, x_axis="nfev", use_fmin=True, styles=None):
    """Per problem (``convergence_<problem>.png``): f - f_L against evaluations, log y.

    One panel per seed, one line per solver (the first repeat that did not
    fail); f_L as in the profiles (lowest f found on the instance, or a lower
    reference fmin).  A failed run is marked with an x at its last recorded
    point (or listed in the panel when it recorded nothing).

    Parameters
    ----------
    records : list of dict
        Records of ``runs.jsonl`` (:func:`~newtonlab.sweep.read_runs`).
    out_dir : str or os.PathLike
        Directory the PNGs are written into (it must exist).
    x_axis : str, default "nfev"
        The history column on the x axis (``"nfev"`` or ``"time"``).
    use_fmin : bool, default True
        Let a lower reference ``fmin`` define f_L.
    styles : dict, optional
        Solver -> plot keywords (colour, linestyle, marker) replacing
        :func:`solver_styles`'.

    Returns
    -------
    list of str
        The written paths, one per problem (characters other than letters, digits and
        ``_.=-`` of the problem id replaced by ``_`` in the file name).

    Examples
    --------
    >>> import os, tempfile
    >>> recs = [{"problem": "quadratic(n=5)", "seed": 0, "n": 5, "method": "a", "status": 0,
    ...          "fun": 0.0, "f0": 1.0, "nfev": 5,
    ...          "history": {"nfev": [1, 3, 5], "f": [1.0, 1e-3, 0.0]}}]
    >>> [os.path.basename(p) for p in plot_convergence(recs, tempfile.mkdtemp())]
    ['convergence_quadratic_n=5.png']
    """
    from matplotlib.lines import Line2D
    g, instances, solvers = _group(records)
    styles = {**solver_styles(solvers), **(styles or {})}
    paths = []
    for prob in dict.fromkeys(p for p, _ in instances):
        insts = [i for i in instances if i[0] == prob]
        # room for the legend below: ~2 entries per row in a one-panel figure
        legend_h = 0.16 * max(0, math.ceil((len(solvers) + 2) / 2) - 2)
        fig, axes = _figure(*_grid_shape(len(insts)), panel=(4.8, 3.6), extra_h=0.6 + legend_h)
        failed_any, drawn = False, set()
        for ax, inst in zip(axes, insts):
            f_l, f0 = _reference(g[inst], use_fmin)
            floor = 1e-16 * max(1.0, abs(f_l)) if math.isfinite(f_l) else 1e-16
            clipped, silent = False, []
            for s in solvers:
                recs = g[inst].get(s)
                if not recs:
                    continue
                r = next((q for q in recs if not is_failure(q)), recs[0])
                st, failed = styles[s], is_failure(r)
                x, f = _hist(r, x_axis), _hist(r, "f")
                if x.size != f.size or not f.size:
                    x, f = np.array([_num(r.get(x_axis))]), np.array([_num(r.get("fun"))])
                y = f - f_l
                low = np.isfinite(y) & ~(y > floor)
                clipped |= bool(low.any())
                y = np.where(low, floor, y)
                ok = np.isfinite(x) & np.isfinite(y)
                if not ok.any():
                    silent.append(f"{s}: {r.get('status')}")
                    continue
                drawn.add(s)
                ax.plot(x[ok], y[ok], color=st["color"], linestyle=st["linestyle"],
                        marker=st["marker"], markersize=4, markevery=0.12, linewidth=1.4,
                        alpha=0.9)
                if not failed:                    # where the run stopped: hollow circle
                    ax.plot(x[ok][-1], y[ok][-1], marker="o", markersize=8, linestyle="none",
                            markerfacecolor="none", markeredgecolor=st["color"], zorder=4)
                else:
                    failed_any = True
                    ax.plot(x[ok][-1], y[ok][-1], marker="X", markersize=11, color=st["color"],
                            markeredgecolor="k", linestyle="none", zorder=5)
            if silent:
                ax.text(0.98, 0.97, "failed, nothing recorded:\n" + "\n".join(silent),
                        transform=ax.transAxes, ha="right", va="top", fontsize="x-small",
                        bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "0.6"})
            ax.set_yscale("log")
            ax.set_xscale("log")
            ax.grid(True, which="major", alpha=0.3)
            ax.set_title(f"seed {inst[1]}: $f_0 - f_L$ = {f0 - f_l:.3g}", fontsize="medium")
            ax.set_xlabel(_METRIC_LABEL.get(x_axis, x_axis))
            ax.set_ylabel(r"$f - f_L$" + (f" (clipped at {floor:.0e})" if clipped else ""))
        for ax in axes[len(insts):]:
            ax.set_visible(False)
        handles = [Line2D([], [], markersize=5, label=s, **styles[s]) for s in solvers
                   if s in drawn]
        handles.append(Line2D([], [], marker="o", markersize=8, markerfacecolor="none",
                              markeredgecolor="0.3", linestyle="none", label="end of a run"))
        if failed_any:
            handles.append(Line2D([], [], marker="X", markersize=9, color="0.5",
                                  markeredgecolor="k", linestyle="none",
                                  label="failed run (error/timeout): last point"))
        _legend_below(fig, handles, [h.get_label() for h in handles])
        n = next((r.get("n") for i in insts for rs in g[i].values() for r in rs), "?")
        fmin = next((r.get("fmin") for i in insts for rs in g[i].values() for r in rs
                     if r.get("fmin") is not None), None)
        ref = (f"$f_L$ = min(lowest f found, $f_{{min}}$ = {fmin:.6g})" if use_fmin and
               fmin is not None else "$f_L$ = lowest f found on the instance")
        sep = ": " if len(prob) + len(ref) < 8 * fig.get_figwidth() else "\n"  # fits?
        fig.suptitle(f"{prob} (n = {n}){sep}{ref}")
        paths.append(os.path.join(out_dir, f"convergence_{_safe(prob)}.png"))
        save_figure(fig, paths[-1])
    return paths


def profile_dir(out_dir, *, taus=TAUS, baseline=None, styles=None):
    """Read ``out_dir/runs.jsonl``; write the figures and ``profiles.md`` into ``out_dir``.

    Writes ``performance_time.png``, ``performance_nfev.png``,
    ``data_profiles.png``, one ``convergence_<problem>.png`` per problem, and
    ``profiles.md`` (summary table, performance-profile scores, speed ratios
    against each ``scipy:*`` solver -- or ``baseline``, or with repeats the
    first solver -- with their spread, flagged minima, failed runs).  ``styles``: solver ->
    plot keywords (colour, linestyle, marker) replacing :func:`solver_styles`'.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The sweep's output directory.
    taus : sequence of float, default (1e-1, 1e-3, 1e-5, 1e-7)
        Tolerances of the convergence test.
    baseline : str, optional
        The solver of the speed ratios (see above).
    styles : dict, optional
        Solver -> plot keywords.

    Returns
    -------
    list of str
        The written paths, ``profiles.md`` last.

    Raises
    ------
    ValueError
        ``runs.jsonl`` holds no finished run.
    """
    out_dir = os.fspath(out_dir)
    records = read_runs(out_dir)
    if not records:
        raise ValueError(f"{out_dir}: runs.jsonl holds no finished run")
    taus = tuple(taus)
    paths = plot_performance_profiles(records, out_dir, taus=taus, styles=styles)
    paths += plot_data_profiles(records, out_dir, taus, styles=styles)
    paths += plot_convergence(records, out_dir, styles=styles)
    md = os.path.join(out_dir, "profiles.md")
    with open(md, "w", encoding="utf-8") as fh:
        fh.write(_report(records, taus, paths, baseline, out_dir))
    return paths + [md]
