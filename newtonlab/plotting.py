"""Figures for convergence studies (matplotlib, Agg rendering: no display needed).

Every function draws on a bare :class:`matplotlib.figure.Figure` attached to an
Agg canvas, so it works on headless machines and never touches pyplot's global
backend or figure registry; pass ``ax=`` to draw into your own axes instead.
matplotlib is imported on the first call, so ``import newtonlab`` never pays
for it.  Each function returns the Figure and writes it to ``path`` if given.

Results are anything with a ``trace`` (a :class:`newtonlab.Trace`, or a mapping
of column name -> array) holding the columns ``iter``, ``f``, ``gnorm``,
``nfev`` and ``time``: every ``newtonlab.minimize`` result, or a trace recorded
for another solver (see :mod:`newtonlab.compare`).
"""
from __future__ import annotations


import os

import numpy as np

__all__ = ["plot_convergence", "plot_paths_2d"]

_X_AXES = {"iter": ("iter", "iteration"), "nfev": ("nfev", "function evaluations (nfev)"),
           "time": ("time", "time since solver start [s]")}
_Y_AXES = ("f-fstar", "gnorm")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")


def _figure(ax, figsize=(6.4, 4.4)):
    """(fig, ax): the caller's axes, or a fresh Agg-backed Figure."""
    if ax is not None:
        return ax.figure, ax
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def save_figure(fig, path):
    """Write ``fig`` to ``path`` (format from the extension), making missing folders:
    ``path="docs/img/x.png"`` works from any directory.  None: nothing."""
    if path is not None:
        parent = os.path.dirname(os.fspath(path))
        if parent:
            os.makedirs(parent, exist_ok=True)
        fig.savefig(path, dpi=120)


def _column(trace, name, label):
    """One trace column as a float array; ValueError naming what is missing."""
    try:
        return np.asarray(trace[name], dtype=float)
    except (KeyError, IndexError, TypeError):
        raise ValueError(f"the trace of {label!r} has no column {name!r}") from None


def _trace_of(res, label):
    tr = getattr(res, "trace", None)
    if tr is None and isinstance(res, dict):
        tr = res.get("trace")
    if tr is None:
        raise ValueError(f"result {label!r} has no trace: pass newtonlab results, or attach a "
                         f"Trace (columns iter, f, gnorm, nfev, time) to the result as `trace`")
    return tr


def plot_convergence(results, fstar=None, x_axis="iter", y="f-fstar", ax=None, path=None,
                     *, title=None, styles=None, legend_loc="best"):
    """Convergence curves of several runs on one log-scale plot.

    One line per run, with sparse markers (about ten per line) so that lines
    stay distinguishable in grey-scale print.

    Parameters
    ----------
    results : dict of str -> OptimizeResult
        Label -> result with a ``trace`` (columns ``iter, f, gnorm, nfev,
        time``).  Every ``newtonlab.minimize`` result qualifies.
    fstar : float, optional
        Reference value for ``y="f-fstar"``.  Default: the lowest ``f`` in
        any of the traces (the axis then says ``f - f_best``).
    x_axis : {"iter", "nfev", "time"}
        Iteration number, cumulative function evaluations, or seconds since
        the solver started.
    y : {"f-fstar", "gnorm"}
        ``f(x_k) - fstar`` or the gradient's infinity norm.  Values that are
        not positive (``f`` at or below ``fstar`` after rounding) are drawn at
        a floor of ``1e-16 * max(1, |fstar|)``, and the axis label says so.
    ax : matplotlib Axes, optional
        Draw here instead of on a new figure.
    path : str or path-like, optional
        Write the figure to this file (format from the suffix).
    title : str, optional
        Axes title.
    styles : dict of str -> dict, optional
        Extra ``Axes.plot`` keyword arguments per label (``color``,
        ``linestyle``, ``marker``, ...).
    legend_loc : str or None
        A matplotlib legend location, ``"below"`` (under the axes, where it
        cannot hide a line), or None for no legend.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import newtonlab as nl
    >>> from newtonlab import problems
    >>> from newtonlab.plotting import plot_convergence
    >>> p = problems.get("rosenbrock")
    >>> runs = {m: nl.minimize(p.fun, p.x0, jac=p.jac, method=m) for m in ("bfgs", "lbfgs")}
    >>> fig = plot_convergence(runs, fstar=p.fmin, title=p.id)
    >>> fig.axes[0].get_yscale()
    'log'
    """
    if x_axis not in _X_AXES:
        raise ValueError(f"x_axis must be one of {tuple(_X_AXES)}, got {x_axis!r}")
    if y not in _Y_AXES:
        raise ValueError(f"y must be one of {_Y_AXES}, got {y!r}")
    if not results:
        raise ValueError("results is empty: nothing to plot")
    traces = {label: _trace_of(res, label) for label, res in results.items()}
    fig, ax = _figure(ax)
    xcol, xlabel = _X_AXES[x_axis]
    ref_label = "f*"
    if y == "f-fstar" and fstar is None:
        fstar = min(float(np.nanmin(_column(tr, "f", lb))) for lb, tr in traces.items())
        ref_label = "f_best"
    floor = 1e-16 * max(1.0, abs(fstar)) if y == "f-fstar" else 0.0
    clipped = False
    styles = styles or {}
    for i, (label, tr) in enumerate(traces.items()):
        xs = _column(tr, xcol, label)
        if y == "f-fstar":
            ys = _column(tr, "f", label) - fstar
            low = ~(ys > floor) & np.isfinite(ys)
            clipped |= bool(low.any())
            ys = np.where(low, floor, ys)
        else:
            ys = _column(tr, "gnorm", label)
            ys = np.where(ys > 0, ys, np.nan)
        kw = {"marker": _MARKERS[i % len(_MARKERS)], "markersize": 4.5,
              "markevery": max(1, len(xs) // 10), "linewidth": 1.4, "label": label}
        kw.update(styles.get(label, {}))
        ax.plot(xs, ys, **kw)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    if y == "f-fstar":
        ylabel = r"$f(x_k) - f^*$" if ref_label == "f*" else r"$f(x_k) - f_{best}$"
        if clipped:
            ylabel += f"  (values $\\leq$ 0 drawn at {floor:.0e})"
    else:
        ylabel = r"$\|\nabla f(x_k)\|_\infty$"
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    if legend_loc == "below":
        ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.13),
                  ncol=2 if len(traces) > 3 else 1, framealpha=0.85)
    elif legend_loc is not None:
        ax.legend(fontsize="small", ncol=2 if len(traces) > 6 else 1, framealpha=0.85,
                  loc=legend_loc)
    save_figure(fig, path)
    return fig


def _view_box(problem, paths, bounds):
    """Plot window: the given bounds, else the paths' box with margins, inside problem.bounds."""
    if bounds is not None:
        b = np.asarray(bounds, dtype=float)
        return b[0, 0], b[0, 1], b[1, 0], b[1, 1]
    pts = [p for p in paths if len(p)]
    pts = np.vstack(pts) if pts else problem.x0[None, :]
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    near = [m for m in problem.minimizers]
    pts = np.vstack([pts] + [m[None, :] for m in near]) if near else pts
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, 0.5)
    lo, hi = lo - 0.2 * span, hi + 0.2 * span
    if problem.bounds is not None:
        lo = np.maximum(lo, problem.bounds[:, 0])
        hi = np.minimum(hi, problem.bounds[:, 1])
    return lo[0], hi[0], lo[1], hi[1]


def plot_paths_2d(problem, results, ax=None, path=None, *, bounds=None, grid=160, title=None):
    """Contours of a 2-D problem with the iterate path of each run.

    The contour levels are equally spaced in ``log10(f - f_low + delta)``
    (``f_low`` the lowest value on the grid, ``delta`` 1e-5 of the grid's
    range), which shows both the narrow valleys and the far field.  Known
    critical points inside the window are marked: global minimizers with a
    star, other minima with a plus, saddles with an x, maxima with a triangle.

    Parameters
    ----------
    problem : newtonlab.problems.Problem
        A problem with ``n == 2``.
    results : dict of str -> OptimizeResult
        Label -> result with ``allvecs`` (run ``minimize`` with
        ``options={"return_all": True}``).
    ax : matplotlib Axes, optional
        Draw here instead of on a new figure.
    path : str or path-like, optional
        Write the figure to this file.
    bounds : array_like, shape (2, 2), optional
        Window ``[[x_lo, x_hi], [y_lo, y_hi]]``.  Default: the paths' bounding
        box with 20 % margins, clipped to ``problem.bounds``.
    grid : int
        Grid points per axis for the contours.
    title : str, optional
        Axes title (default: ``problem.id``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import newtonlab as nl
    >>> from newtonlab import problems
    >>> from newtonlab.plotting import plot_paths_2d
    >>> p = problems.get("himmelblau")
    >>> runs = {"gd": nl.minimize(p.fun, p.x0, jac=p.jac, method="gd",
    ...                           options={"return_all": True}),
    ...         "newton": nl.minimize(p.fun, p.x0, jac=p.jac, hess=p.hess, method="newton",
    ...                               options={"return_all": True})}
    >>> fig = plot_paths_2d(p, runs)
    >>> len(fig.axes[0].lines) >= 2
    True
    """
    if problem.n != 2:
        raise ValueError(f"plot_paths_2d needs a 2-D problem, got n = {problem.n} ({problem.id})")
    paths = {}
    for label, res in results.items():
        vecs = getattr(res, "allvecs", None)
        if vecs is None and isinstance(res, dict):
            vecs = res.get("allvecs")
        if vecs is None:
            raise ValueError(f"result {label!r} has no allvecs: run minimize with "
                             f"options={{'return_all': True}}")
        paths[label] = np.asarray(vecs, dtype=float).reshape(-1, 2)
    fig, ax = _figure(ax, figsize=(6.0, 5.0))
    x_lo, x_hi, y_lo, y_hi = _view_box(problem, list(paths.values()), bounds)
    xs = np.linspace(x_lo, x_hi, grid)
    ys = np.linspace(y_lo, y_hi, grid)
    Z = np.empty((grid, grid))
    pt = np.empty(2)
    fun = problem.fun
    for i, yv in enumerate(ys):
        pt[1] = yv
        for j, xv in enumerate(xs):
            pt[0] = xv
            Z[i, j] = fun(pt, *problem.args)
    finite = Z[np.isfinite(Z)]
    f_low = float(finite.min())
    delta = max(1e-5 * (float(finite.max()) - f_low), 1e-12)
    L = np.log10(np.where(np.isfinite(Z), Z - f_low + delta, np.nan))
    levels = np.linspace(np.nanmin(L), np.nanmax(L), 25)
    cf = ax.contourf(xs, ys, L, levels=levels, cmap="Greys_r", alpha=0.55)
    ax.contour(xs, ys, L, levels=levels, colors="0.35", linewidths=0.4)
    cbar = fig.colorbar(cf, ax=ax, shrink=0.85)
    from matplotlib.ticker import MaxNLocator
    cbar.locator = MaxNLocator(6)
    cbar.update_ticks()
    cbar.set_label(rf"$\log_{{10}}(f - f_{{low}} + \delta)$, $f_{{low}}$={f_low:.3g}, "
                   rf"$\delta$={delta:.0e}", fontsize="small")
    marks = {"minimum": ("+", 9), "saddle": ("x", 8), "maximum": ("^", 7), "degenerate": ("d", 7)}
    shown = set()
    for cp in problem.critical_points:
        cx, cy = cp.x
        if not (x_lo <= cx <= x_hi and y_lo <= cy <= y_hi):
            continue
        is_global = problem.fmin is not None and cp.kind == "minimum" and \
            abs(cp.fun - problem.fmin) <= 1e-9 * max(1.0, abs(problem.fmin))
        kind = "global minimum" if is_global else cp.kind
        m, s = ("*", 13) if is_global else marks.get(cp.kind, ("o", 6))
        ax.plot([cx], [cy], linestyle="none", marker=m, markersize=s, color="gold" if is_global
                else "k", markeredgecolor="k", zorder=5,
                label=kind if kind not in shown else None)
        shown.add(kind)
    for i, (label, P) in enumerate(paths.items()):
        line, = ax.plot(P[:, 0], P[:, 1], marker=_MARKERS[i % len(_MARKERS)], markersize=3.5,
                        linewidth=1.3, label=f"{label} ({len(P) - 1} it.)", zorder=4)
        ax.plot(P[-1, 0], P[-1, 1], marker="o", markersize=7, markerfacecolor="none",
                markeredgecolor=line.get_color(), markeredgewidth=1.5, zorder=6)
    x0 = next(iter(paths.values()))[0] if paths else problem.x0
    ax.plot([x0[0]], [x0[1]], marker="s", markersize=7, color="white", markeredgecolor="k",
            linestyle="none", label="x0", zorder=6)
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_xlabel("x[0]")
    ax.set_ylabel("x[1]")
    ax.set_title(title if title is not None else problem.id)
    # below the axes: inside, it would hide minimizers or paths
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3,
              framealpha=0.85)
    save_figure(fig, path)
    return fig

