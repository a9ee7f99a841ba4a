"""Figures of a landscape: critical points on a contour map, and eigenvector slices.

Rendered on a bare matplotlib ``Figure`` (Agg; no display, no pyplot state);
matplotlib is imported on the first call.
"""
from __future__ import annotations

import numpy as np

from ..plotting import save_figure
from ._operator import check_x
from .saddle import _extremes, _orient

__all__ = ["plot_critical_points", "plot_eigen_slices", "KIND_STYLE"]

#: Marker style per kind: shape and colour differ, so kinds stay distinct in grey print.
KIND_STYLE = {
    "minimum": dict(marker="o", color="#ffffff", label="minimum"),
    "saddle": dict(marker="X", color="#ff7f0e", label="saddle"),
    "maximum": dict(marker="^", color="#d62728", label="maximum"),
    "degenerate": dict(marker="D", color="#e377c2", label="degenerate"),
    "non-critical": dict(marker=".", color="#7f7f7f", label="non-critical"),
}


def _figure(ax, size):
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _grid_values(fun, lo, hi, args, resolution):
    xs = np.linspace(lo[0], hi[0], resolution)
    ys = np.linspace(lo[1], hi[1], resolution)
    Z = np.empty((resolution, resolution))
    p = np.empty(2)
    for j, y in enumerate(ys):
        p[1] = y
        for i, x in enumerate(xs):
            p[0] = x
            Z[j, i] = fun(p.copy(), *args)
    return xs, ys, Z


def plot_critical_points(fun, bounds, points=(), args=(), ax=None, path=None, title=None,
                         resolution=241, levels=24):
    """Contour map of a 2-D function with its critical points marked by kind.

    Filled contours at quantiles of f on the grid (every band covers the same
    area, so both the deep valleys and the high ridges show structure); one
    marker shape and colour per kind, with counts in the legend.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float`` with x of shape (2,).
    bounds : array_like (2, 2)
        Plot box ((xmin, xmax), (ymin, ymax)).
    points : sequence
        Objects with ``.x`` and ``.kind`` (from :func:`find_critical_points`,
        :func:`classify`, or ``Problem.critical_points``).
    args : tuple
    ax : matplotlib Axes, optional
    path : str or path-like, optional
        Save as PNG there.
    title : str, optional
    resolution : int
        Grid points per axis.
    levels : int
        Number of contour bands.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from newtonlab import problems
    >>> from newtonlab.analysis import plot_critical_points
    >>> p = problems.get("himmelblau")
    >>> fig = plot_critical_points(p.fun, p.bounds, p.critical_points, resolution=41)
    >>> [t.get_text() for t in fig.legends[0].get_texts()]
    ['minimum (4)', 'saddle (4)', 'maximum (1)']
    """
    b = np.asarray(bounds, dtype=float)
    if b.shape != (2, 2) or not np.all(np.isfinite(b)) or np.any(b[:, 0] >= b[:, 1]):
        raise ValueError(f"bounds must be a finite (2, 2) box with lower < upper, got {b.tolist()}")
    args = args if isinstance(args, tuple) else (args,)
    xs, ys, Z = _grid_values(fun, b[:, 0], b[:, 1], args, int(resolution))
    # height from the box's aspect, so that the equal-aspect axes fill the figure
    fig, ax = _figure(ax, (6.4, min(9.0, 4.6 * np.ptp(b[1]) / np.ptp(b[0]) + 1.6)))
    from matplotlib.colors import BoundaryNorm
    lv = np.unique(np.quantile(Z, np.linspace(0.0, 1.0, int(levels) + 1)))
    # one colour per band (not per value): quantile bands then use the whole colormap
    cs = ax.contourf(xs, ys, Z, levels=lv, cmap="viridis", norm=BoundaryNorm(lv, 256))
    ax.contour(xs, ys, Z, levels=lv, colors="k", linewidths=0.3, alpha=0.4)
    cb = fig.colorbar(cs, ax=ax, shrink=0.9, spacing="uniform", ticks=lv[::max(1, lv.size // 8)])
    cb.set_label("f (bands at quantiles of f on the grid)")
    cb.ax.yaxis.set_major_formatter("{x:.3g}")
    for kind, st in KIND_STYLE.items():
        P = np.array([np.asarray(q.x, dtype=float) for q in points if q.kind == kind])
        if P.size:
            ax.scatter(P[:, 0], P[:, 1], s=90, marker=st["marker"], c=st["color"],
                       edgecolors="k", linewidths=1.0, zorder=3,
                       label=f"{st['label']} ({len(P)})")
    if len(points):
        fig.legend(loc="outside lower center", ncols=4, frameon=False, handletextpad=0.3,
                   columnspacing=1.2)
    ax.set_xlim(b[0])
    ax.set_ylim(b[1])
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    save_figure(fig, path)
    return fig


def plot_eigen_slices(fun, x, hess=None, hessp=None, jac=None, args=(), radius=1.0, num=201,
                      axes=None, path=None, title=None):
    """f along the eigenvectors of the most negative and most positive Hessian eigenvalue.

    Two panels (each with its own f scale, since the curvatures can differ by
    orders of magnitude): f(x + t v) for t in [-radius, radius] with its quadratic
    model f(x) + t g^T v + lambda t^2 / 2 dashed.  At a saddle the first curve
    bends down and the second up.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``.
    x : array_like (n,)
        The point (any dimension).
    hess, hessp : callable
        Hessian or Hessian-vector products (see :func:`escape_direction`).
    jac : callable, optional
        Gradient: orients v_min as a descent direction and enters the models.
    radius : float
        Half-width of the t interval.
    num : int
        Points per curve.
    axes : pair of matplotlib Axes, optional
    path, title
        As in :func:`plot_critical_points`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from newtonlab import problems
    >>> from newtonlab.analysis import plot_eigen_slices
    >>> p = problems.get("himmelblau")
    >>> fig = plot_eigen_slices(p.fun, p.critical_points[4].x, hess=p.hess, jac=p.jac)
    >>> [ax.get_title()[:22] for ax in fig.axes]
    ['most negative curvatur', 'most positive curvatur']
    """
    x = check_x(x)
    args = args if isinstance(args, tuple) else (args,)
    lo, hi, vmin, vmax = _extremes(x, hess, hessp, args, 1, None, 500, 0)
    g = np.asarray(jac(x, *args), dtype=float) if callable(jac) else np.zeros_like(x)
    f0 = float(fun(x, *args))
    t = np.linspace(-float(radius), float(radius), int(num))
    if axes is None:
        from matplotlib.figure import Figure
        fig = Figure(figsize=(8.8, 3.8), layout="constrained")
        axes = fig.subplots(1, 2)
    fig = axes[0].figure
    panels = ((float(lo[0]), vmin, "#1f77b4", "most negative curvature", "min"),
              (float(hi[-1]), vmax, "#d62728", "most positive curvature", "max"))
    for ax, (lam, v, color, what, sub) in zip(axes, panels):
        v = _orient(v, g)
        ax.plot(t, [fun(x + s * v, *args) for s in t], color=color, lw=2,
                label=f"f(x + t $v_{{\\{sub}}}$)")
        ax.plot(t, f0 + t * float(g @ v) + 0.5 * lam * t * t, color=color, lw=1, ls="--",
                label="quadratic model")
        ax.plot([0.0], [f0], "ko", ms=5, label="x")
        ax.axvline(0.0, color="0.6", lw=0.6, zorder=0)
        ax.set_title(f"{what}: $\\lambda_{{\\{sub}}}$ = {lam:.4g}", fontsize="medium")
        ax.set_xlabel("t")
        ax.legend(fontsize="small")
    axes[0].set_ylabel("f")
    fig.suptitle(title or f"Slices of f at x = {np.array2string(x, precision=4, separator=', ')}"
                 f" (f = {f0:.6g})", fontsize="medium")
    save_figure(fig, path)
    return fig
