"""Every critical point in a box: seeded multi-start Levenberg-Marquardt on grad f = 0.

Minimizers miss maxima and saddles by design, so the search solves the
nonlinear system grad f(x) = 0 instead, by Levenberg-Marquardt on
1/2 ||grad f||^2 (kernels and references in ``_critical_kernels.py``): near a
non-degenerate critical point of any Morse index the step becomes Newton's and
converges quadratically, and the damping handles singular Hessians on the way.
Runs that stall at a stationary point of 1/2 ||grad f||^2 where grad f != 0,
leave the box, or run out of iterations are dropped, never reported.

Starts are a scrambled Sobol sequence over the box (default): low discrepancy
covers the box evenly with few starts, so small basins of attraction are hit
more reliably than with i.i.d. uniform points, and the scrambling seed makes
runs reproducible.  All starts run in one compiled ``prange`` batch when the
objective is jitted; plain-Python objectives run the same source interpreted, with
the same iterates.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np

from .._engine.evaluate import eval_fg, eval_hess
from .._objective import make_objective
from . import _critical_kernels as CK
from ._critical_kernels import CONVERGED, OUTSIDE, STATUS_NAMES
from .classify import ATOL, RTOL, CriticalPoint, classify

KIND_ORDER = {"minimum": 0, "saddle": 1, "maximum": 2, "degenerate": 3}
#: Distance to the critical point, in Newton steps, assumed by the second merge (``_merge_slow``).
DIST_FACTOR = 4.0


@dataclass(frozen=True, eq=False)
class FoundPoint:
    """A critical point found by :func:`find_critical_points`.

    Attributes
    ----------
    x : ndarray, shape (n,)
        Location (the converged start with the smallest gradient among those merged here).
    fun : float
        f(x).
    kind : str
        "minimum", "saddle", "maximum" or "degenerate" (from :func:`classify`).
    index : int
        Morse index (number of negative Hessian eigenvalues).
    eigenvalues : ndarray
        Hessian eigenvalues, ascending.
    grad_norm : float
        ||grad f(x)||_inf.
    step : float
        ||H^+ grad f(x)||_inf, the Newton step: about the distance to the exact
        critical point (times m when grad f ~ dist^m at a degenerate point).
    n_hits : int
        Starts that converged here (a measure of the basin of attraction),
        summed over the end points merged into this one.
    classification : CriticalPoint
        The full record returned by :func:`classify`.
    """

    x: np.ndarray
    fun: float
    kind: str
    index: int
    eigenvalues: np.ndarray
    grad_norm: float
    step: float
    n_hits: int
    classification: CriticalPoint

    def __repr__(self):
        return (f"FoundPoint(x={np.array2string(self.x, precision=6)}, kind={self.kind!r}, "
                f"index={self.index}, fun={self.fun:.10g}, n_hits={self.n_hits})")


class CriticalPointList(list):
    """A list of :class:`FoundPoint` with the search statistics in ``info``.

    Returned by :func:`find_critical_points`: the points sorted by kind (minimum,
    saddle, maximum, degenerate), then f.

    Attributes
    ----------
    info : dict
        The search statistics: ``n_starts``, ``status_counts`` (starts per end
        status), ``n_converged``, ``n_points``, ``n_dropped_noncritical``, ``nfev``,
        ``njev``, ``nhev``, ``seconds`` (batch run only), ``execution`` ("compiled"
        or "interpreted"), ``sampling``.

    Examples
    --------
    >>> import newtonlab as nl
    >>> from newtonlab import problems
    >>> p = problems.get("himmelblau")
    >>> pts = nl.find_critical_points(p.fun, p.jac, p.hess, p.bounds, n_starts=64, seed=0)
    >>> isinstance(pts, list), pts.info["n_starts"], pts.info["n_points"] == len(pts)
    (True, 64, True)
    >>> pts[0].kind
    'minimum'
    """

    info: dict


def check_bounds(bounds):
    """bounds -> (lower, upper) float arrays; ValueError naming the problem."""
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):       # scipy.optimize.Bounds
        bounds = np.column_stack(np.broadcast_arrays(bounds.lb, bounds.ub))
    try:
        b = np.array(bounds, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"bounds must be an (n, 2) array of (lower, upper) pairs: {exc}") from None
    if b.ndim != 2 or b.shape[1] != 2 or b.shape[0] == 0:
        raise ValueError(f"bounds must have shape (n, 2) with n >= 1, got shape {b.shape}")
    if not np.all(np.isfinite(b)):
        raise ValueError("bounds must be finite: the search samples starts inside a box; "
                         f"non-finite entries in rows {np.flatnonzero(~np.isfinite(b).all(1))}")
    empty = np.flatnonzero(b[:, 0] >= b[:, 1])
    if empty.size:
        raise ValueError(f"bounds describe an empty box: lower >= upper in rows {empty}")
    return np.ascontiguousarray(b[:, 0]), np.ascontiguousarray(b[:, 1])


def sample_box(lo, hi, n_starts, seed, sampling="sobol"):
    """n_starts seeded points in the box: scrambled Sobol (default), Halton or uniform.

    Sobol points are drawn in the next power of two and the first n_starts
    kept: a prefix of a scrambled Sobol sequence is still low-discrepancy.
    """
    from scipy.stats import qmc     # scipy.stats costs ~0.3 s to import: only when searching
    d = lo.size
    rng = np.random.default_rng(seed)
    if sampling in ("sobol", "halton"):
        engine = qmc.Sobol if sampling == "sobol" else qmc.Halton
        try:
            gen = engine(d, scramble=True, rng=rng)
        except TypeError:                 # scipy < 1.15 calls it seed
            gen = engine(d, scramble=True, seed=rng)
        m = max(0, math.ceil(math.log2(n_starts)))
        u = gen.random_base2(m)[:n_starts] if sampling == "sobol" else gen.random(n_starts)
    elif sampling == "uniform":
        u = rng.random((n_starts, d))
    else:
        raise ValueError(f"sampling must be 'sobol', 'halton' or 'uniform', got {sampling!r}")
    return np.ascontiguousarray(lo + u * (hi - lo))


def _merge(Z, order, merge_tol):
    """Greedy clustering in box-scaled coordinates Z, best rows (``order``) first.

    The best unassigned row founds a cluster and takes every unassigned row
    within ``merge_tol`` (max-norm); returns (founding rows, cluster sizes).
    """
    Z = Z[order]
    free = np.ones(len(order), dtype=bool)
    reps, hits = [], []
    while free.any():
        i = int(np.argmax(free))
        near = free & (np.max(np.abs(Z - Z[i]), axis=1) <= merge_tol)
        reps.append(int(order[i]))
        hits.append(int(near.sum()))
        free &= ~near
    return reps, hits


def _merge_slow(found, radius, lo, width, merge_tol):
    """Merge classified points whose distances to their critical points may overlap.

    Newton converges only linearly at a degenerate point (grad f ~ dist^m, the
    step delta is dist / m), so runs stop at ||grad f|| <= tol in a ring of radius
    ~ m ||delta|| around it: the four end points at (+/-2.5e-4, +/-2.5e-4) of
    x^4 - y^4 are 20 times ``merge_tol`` apart.  A point's distance to its
    critical point is taken as at most DIST_FACTOR ||delta|| (m <= 3, quartic
    degeneracy, with a margin); points (best gradient first) whose balls overlap
    beyond ``merge_tol`` are one point.  At a non-degenerate point ||delta|| ~
    1e-15 and this is the first merge again.
    """
    keep, rad = [], []
    for q, r in zip(found, radius):
        z = (q.x - lo) / width
        for j, p in enumerate(keep):
            if np.max(np.abs(z - (p.x - lo) / width)) <= merge_tol + DIST_FACTOR * (r + rad[j]):
                keep[j] = replace(p, n_hits=p.n_hits + q.n_hits)
                break
        else:
            keep.append(q)
            rad.append(r)
    return keep


def _check_positive(name, v, integer=False):
    if integer:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
        return int(v)
    v = float(v)
    if not (v > 0.0 and math.isfinite(v)):
        raise ValueError(f"{name} must be a positive finite number, got {v!r}")
    return v


def find_critical_points(fun, jac, hess, bounds, n_starts=256, seed=0, args=(), tol=1e-10,
                         maxiter=100, merge_tol=1e-4, *, sampling="sobol", starts=None,
                         margin=0.1, rtol=None, atol=None):
    """Find the critical points of f in a box: minima, saddles and maxima alike.

    Multi-start Levenberg-Marquardt on grad f(x) = 0 (see the module
    docstring), one run per start, batched in compiled code when ``fun``,
    ``jac`` and ``hess`` are ``@njit`` functions.  Converged end points inside
    the box are merged and each is classified with :func:`classify`.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float`` (``-> (f, g)`` with ``jac=True``).
    jac : callable, True, None, "2-point" or "3-point"
        Gradient, as in :func:`newtonlab.minimize`.
    hess : callable, None, "2-point" or "3-point"
        Hessian ``hess(x, *args) -> (n, n)``; None: differences of the gradient.
    bounds : array_like, shape (n, 2), or scipy.optimize.Bounds
        Finite box (lower, upper) with lower < upper: starts are drawn in it
        and only critical points inside it are returned.
    n_starts : int, default 256
        Number of starts.
    seed : int, default 0
        Seed of the scrambled start sequence; equal seeds give equal results.
    args : tuple
        Extra arguments of the callables.
    tol : float, default 1e-10
        A run converges when ||grad f||_inf <= tol * max(1, |f|).
    maxiter : int, default 100
        Iterations per start.
    merge_tol : float, default 1e-4
        End points closer than this in max-norm, measured in units of the box
        widths, are the same point.  After classification, points whose
        distances to their critical points (``DIST_FACTOR`` Newton steps, see
        ``_merge_slow``) overlap beyond ``merge_tol`` are merged too: at a
        degenerate point Newton converges only linearly and runs stop on a ring
        around it far wider than merge_tol.
    sampling : {"sobol", "halton", "uniform"}
        How starts are drawn.
    starts : array_like, shape (m, n), optional
        Explicit starts (``n_starts``, ``seed`` and ``sampling`` are then unused).
    margin : float, default 0.1
        Iterates may leave the box by this fraction of its widths.
    rtol, atol : float, optional
        Eigenvalue tolerances of :func:`classify` (its defaults by Hessian
        source).  ``atol`` is raised to the eigenvalue uncertainty that the
        remaining distance to the exact critical point implies (Weyl), so that a
        degenerate point found only approximately is reported "degenerate".

    Returns
    -------
    CriticalPointList
        :class:`FoundPoint` objects (``.x, .fun, .kind, .index, .eigenvalues,
        .n_hits``), sorted by kind (minimum, saddle, maximum, degenerate), then
        f; search statistics in ``.info``.

    Raises
    ------
    ValueError
        Non-finite bounds, an empty box (lower >= upper), bounds not of shape
        (n, 2), n_starts < 1, or a bad tolerance.

    Examples
    --------
    >>> import newtonlab as nl
    >>> from newtonlab import problems
    >>> p = problems.get("himmelblau")
    >>> pts = nl.find_critical_points(p.fun, p.jac, p.hess, p.bounds, n_starts=256, seed=0)
    >>> [q.kind for q in pts].count("saddle"), len(pts)
    (4, 9)
    >>> pts[-1].kind, round(pts[-1].fun, 4)
    ('maximum', 181.6165)
    """
    lo, hi = check_bounds(bounds)
    n = lo.size
    tol = _check_positive("tol", tol)
    maxiter = _check_positive("maxiter", maxiter, integer=True)
    merge_tol = _check_positive("merge_tol", merge_tol)
    margin = float(margin)
    if not (margin >= 0.0 and math.isfinite(margin)):
        raise ValueError(f"margin must be a finite number >= 0, got {margin!r}")
    if starts is None:
        n_starts = _check_positive("n_starts", n_starts, integer=True)
        X = sample_box(lo, hi, n_starts, seed, sampling)
    else:
        X = np.array(starts, dtype=float, ndmin=2)
        if X.ndim != 2 or X.shape[1] != n or X.shape[0] == 0 or not np.all(np.isfinite(X)):
            raise ValueError(f"starts must be a finite (m, {n}) array with m >= 1, "
                             f"got shape {X.shape}")
        X = np.ascontiguousarray(X)
        sampling = "given"
    width = hi - lo
    wlo, whi = lo - margin * width, hi + margin * width
    obj = make_objective(fun, 0.5 * (lo + hi), args, jac, hess, None,
                         need_hess=True, need_hessp=False)
    fopt = np.zeros(CK.NF_OPTS)
    fopt[CK.F_GTOL] = tol
    fopt[CK.F_XTOL] = 1e-15       # steps below ~5 ulp of the box scale make no progress
    fopt[CK.F_TAU] = 1e-3         # mu0 = 1e-3 max diag(H^T H): close to Newton from the start
    fopt[CK.F_XSCALE] = float(np.max(width))
    m = X.shape[0]
    F = np.empty(m)
    GN = np.empty(m)
    stats = np.zeros((m, 4), dtype=np.int64)
    run, solve = (CK.batch_entry(obj.args_type) if obj.compiled
                  else (CK.lm_batch_py, CK.lm_solve_py))
    t0 = time.perf_counter()
    run(obj.ob, obj.args, solve, X, wlo, whi, fopt, maxiter, F, GN, stats)
    seconds = time.perf_counter() - t0

    status = stats[:, 0].copy()
    slack = 1e-9 * width
    inside = np.all((X >= lo - slack) & (X <= hi + slack), axis=1)
    status[(status == CONVERGED) & ~inside] = OUTSIDE
    ok = np.flatnonzero(status == CONVERGED)
    order = ok[np.lexsort((ok, GN[ok]))]          # smallest gradient first, ties by start
    reps, hits = _merge((X - lo) / width, order, merge_tol)

    grad, hessf = _python_derivatives(obj)
    source = "analytic" if obj.hess_kind == "analytic" else "finite-difference"
    rtol = RTOL[source] if rtol is None else rtol
    atol = ATOL[source] if atol is None else atol

    def symmetric_hess(z):
        Hz = hessf(z, *obj.args)
        return 0.5 * (Hz + Hz.T)
    found, radius, dropped = [], [], 0
    for i, h in zip(reps, hits):
        x = X[i]                          # inside the box up to the 1e-9 slack
        g, H = grad(x, *obj.args), hessf(x, *obj.args)
        H = 0.5 * (H + H.T)
        unc, delta = _eigen_uncertainty(x, g, H, hessf, obj.args)
        # a callable Hessian lets classify check the inertia over the Newton step too
        cp = classify(x, jac=g, hess=symmetric_hess, gtol=10.0 * tol * max(1.0, abs(F[i])),
                      rtol=rtol, atol=max(atol, unc))
        if cp.kind == "non-critical":
            dropped += 1
            continue
        found.append(FoundPoint(x.copy(), float(F[i]), cp.kind, int(cp.index),
                                np.asarray(cp.eigenvalues), float(cp.grad_norm),
                                float(np.max(np.abs(delta))), int(h), cp))
        radius.append(float(np.max(np.abs(delta) / width)))
    out = CriticalPointList(_merge_slow(found, radius, lo, width, merge_tol))
    out.sort(key=lambda q: (KIND_ORDER.get(q.kind, 4), q.fun, tuple(q.x)))
    nfev, njev, nhev = obj.cost.counts(int(stats[:, 2].sum()), int(stats[:, 3].sum()))
    out.info = dict(n_starts=m, n_converged=int(ok.size), n_points=len(out),
                    n_dropped_noncritical=dropped,
                    status_counts={s: int(np.sum(status == c)) for c, s in enumerate(STATUS_NAMES)},
                    nfev=nfev, njev=njev, nhev=nhev, seconds=seconds, sampling=sampling,
                    execution="compiled" if obj.compiled else "interpreted")
    return out


def _eigen_uncertainty(x, g, H, hessf, args):
    """(eigenvalue uncertainty, Newton step delta) at x, a point near a critical point x*.

    delta = H^+ g is the Newton step; the distance to x* is about m ||delta||
    when grad f ~ dist^m (m = 1 non-degenerate, m = 2 at the monkey saddle).  By
    Weyl's inequality the eigenvalues of H(x*) differ from those of H(x) by at
    most ||H(x*) - H(x)||_2, estimated at x - 2 delta and doubled.  Negligible
    at a non-degenerate point (delta ~ 1e-15); at a degenerate one it covers the
    spurious eigenvalues ~ dist that would otherwise make it look like a saddle.
    """
    delta = np.linalg.lstsq(H, g, rcond=None)[0]
    if not np.any(delta):
        return 0.0, delta
    dH = hessf(x - 2.0 * delta, *args) - H
    if not np.all(np.isfinite(dH)):
        return 0.0, delta
    return 2.0 * float(np.linalg.norm(0.5 * (dH + dH.T), 2)), delta


def _python_derivatives(obj):
    """grad(x, *args) and hess(x, *args) through the engine, for :func:`classify`.

    Going through ``eval_fg``/``eval_hess`` (dual-mode: plain Python here) serves
    every form the user may pass: callables, ``jac=True``, finite differences.
    """
    fg, hs = eval_fg, eval_hess

    def grad(x, *a):
        g = np.empty(x.size)
        fg(obj.ob, np.ascontiguousarray(x, dtype=float), g, a)
        return g

    def hessf(x, *a):
        H = np.empty((x.size, x.size))
        hs(obj.ob, np.ascontiguousarray(x, dtype=float), H, a)
        return H
    return grad, hessf


__all__ = ["find_critical_points", "FoundPoint", "CriticalPointList", "sample_box",
           "check_bounds", "STATUS_NAMES"]
