"""Saddle-point diagnostics along a run: curvature per iterate, stalls, escape directions.

Near a strict saddle the gradient is small, so first-order methods slow down
and a run can sit there for many iterations before the negative-curvature
direction takes over (Dauphin et al. 2014; Jin et al. 2017).  These functions
make that visible after the fact: the extreme Hessian eigenvalues at every
iterate (trace columns), the iterations where a run stalled at a saddle, and
the direction of most negative curvature that escapes it.

Everything here is a pure function of the iterates and the user's derivatives:
dense ``eigh`` up to ``dense_max`` unknowns (when ``hess`` is given), thick-
restart Lanczos on ``hessp`` products above (:func:`newtonlab.analysis.lanczos`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._operator import check_x, symmetric_matrix
from .spectrum import lanczos

__all__ = ["escape_direction", "curvature_along_path", "PathCurvature", "add_curvature_columns",
           "detect_saddle_stall", "SaddleStall", "StallEpisode"]

DENSE_MAX = 500


def _orient(v, g):
    """Sign of v: g^T v <= 0 (descent) when g has a component along v, else largest entry > 0."""
    v = np.asarray(v, dtype=float)
    v = v / np.linalg.norm(v)
    if g is not None:
        gv = float(np.dot(g, v))
        if gv != 0.0:
            return (-v if gv > 0.0 else v) + 0.0     # + 0.0 turns -0.0 into 0.0
    return (v if v[np.argmax(np.abs(v))] > 0.0 else -v) + 0.0


def _extremes(x, hess, hessp, args, k, method, dense_max, seed):
    """(k smallest ascending, k largest ascending, unit eigenvectors of the smallest and
    of the largest)."""
    n = x.size
    k = min(int(k), n)
    if method is None:
        method = "dense" if hess is not None and n <= dense_max else "lanczos"
    if method == "dense":
        if hess is None:
            if hessp is None:
                raise ValueError("curvature needs hess= or hessp=")
            H = np.column_stack([hessp(x, e, *args) for e in np.eye(n)])
        else:
            H = hess(x, *args) if callable(hess) else hess
        lam, V = np.linalg.eigh(symmetric_matrix(H, n, "hess"))
        return lam[:k], lam[n - k:], V[:, 0], V[:, -1]
    if method != "lanczos":
        raise ValueError(f"method must be None, 'dense' or 'lanczos', got {method!r}")
    if hessp is not None:
        op = (hessp, x, args)
    elif hess is not None:
        op = symmetric_matrix(hess(x, *args) if callable(hess) else hess, n, "hess")
    else:
        raise ValueError("curvature needs hess= or hessp=")
    r = lanczos(op, k=k, which="both", seed=seed, return_vectors=True)
    return r.eigenvalues[:k], r.eigenvalues[-k:], r.eigenvectors[:, 0], r.eigenvectors[:, -1]


def escape_direction(x, hess=None, hessp=None, jac=None, g=None, args=(), method=None,
                     dense_max=DENSE_MAX, seed=0):
    """Direction of most negative curvature at x: returns ``(lambda_min, v)``.

    ``v`` is a unit eigenvector of the smallest Hessian eigenvalue, signed so
    that g^T v <= 0: when the gradient has a component along v, v is then a
    descent direction, and f(x + t v) <= f(x) + t g^T v + t^2 lambda_min / 2
    decreases for every t > 0 when lambda_min < 0.  At g^T v = 0 (exactly at a
    saddle) either sign escapes; the largest entry of v is made positive so that
    the answer is reproducible.  ``lambda_min >= 0`` means there is no negative
    curvature (v is still returned).

    Parameters
    ----------
    x : array_like (n,)
    hess : callable or array (n, n), optional
        ``hess(x, *args)`` or its value at x.
    hessp : callable, optional
        ``hessp(x, p, *args)``; used (by Lanczos) when ``hess`` is not given or n > ``dense_max``.
    jac : callable, optional
        ``jac(x, *args)``, for the sign; or pass the gradient value as ``g``.
    g : array (n,), optional
        Gradient at x (overrides ``jac``).
    args : tuple
    method : {None, "dense", "lanczos"}
        None: dense ``eigh`` when ``hess`` is given and n <= ``dense_max``, else Lanczos.
    dense_max : int, default 500
    seed : int
        Lanczos start vector.

    Returns
    -------
    lambda_min : float
    v : ndarray (n,), unit norm

    Examples
    --------
    >>> import numpy as np
    >>> from newtonlab.analysis import escape_direction
    >>> lam, v = escape_direction([0.0, 0.0], hess=np.diag([2.0, -2.0]), g=[0.0, 0.5])
    >>> lam, v
    (-2.0, array([ 0., -1.]))
    """
    x = check_x(x)
    args = args if isinstance(args, tuple) else (args,)
    if g is None and callable(jac):
        g = jac(x, *args)
    g = None if g is None else np.asarray(g, dtype=float)
    lo, _, v, _ = _extremes(x, hess, hessp, args, 1, method, dense_max, seed)
    return float(lo[0]), _orient(v, g)


@dataclass(frozen=True, eq=False)
class PathCurvature:
    """Extreme Hessian eigenvalues along a run (one row per iterate).

    Attributes
    ----------
    smallest, largest : ndarray (m, k)
        The k smallest and k largest eigenvalues at each iterate, ascending.
    v_min : ndarray (m, n)
        Unit eigenvector of the smallest eigenvalue, oriented by :func:`escape_direction`'s
        rule (descent when the gradient is known and has a component along it).
    grad_along : ndarray (m,)
        g^T v_min (<= 0), NaN when no gradient was given.
    method : str
        "dense" or "lanczos".
    """

    smallest: np.ndarray
    largest: np.ndarray
    v_min: np.ndarray
    grad_along: np.ndarray
    method: str

    @property
    def lambda_min(self):
        """Smallest eigenvalue per iterate, shape (m,)."""
        return self.smallest[:, 0]

    @property
    def lambda_max(self):
        """Largest eigenvalue per iterate, shape (m,)."""
        return self.largest[:, -1]

    def add_to_trace(self, trace):
        """Append columns ``lambda_min`` and ``lambda_max`` to a :class:`newtonlab.Trace`
        of the same run (one row per iterate); existing columns of those names are
        replaced.  Returns the trace."""
        if len(trace) != self.smallest.shape[0]:
            raise ValueError(f"the trace has {len(trace)} rows but the curvature "
                             f"{self.smallest.shape[0]}: pass the iterates of the same run")
        for name, col in (("lambda_min", self.lambda_min), ("lambda_max", self.lambda_max)):
            if name in trace:
                trace.data[:, trace.columns.index(name)] = col
            else:
                trace.add_column(name, col)
        return trace


def _iterates(res_or_iterates):
    if hasattr(res_or_iterates, "keys") and "x" in res_or_iterates:
        if "allvecs" not in res_or_iterates:
            raise ValueError("the result has no iterates: run minimize with "
                             "options={'return_all': True}")
        res_or_iterates = res_or_iterates["allvecs"]
    X = np.array(res_or_iterates, dtype=float, ndmin=2)
    if X.ndim != 2 or X.shape[0] == 0 or not np.all(np.isfinite(X)):
        raise ValueError(f"iterates must be a finite (m, n) array, got shape {X.shape}")
    return X


def curvature_along_path(res_or_iterates, hess=None, hessp=None, jac=None, args=(), k=1,
                         method=None, dense_max=DENSE_MAX, seed=0):
    """The k smallest and k largest Hessian eigenvalues at every iterate of a run.

    Parameters
    ----------
    res_or_iterates : OptimizeResult or array_like (m, n)
        A result of :func:`newtonlab.minimize` run with ``return_all=True``
        (its ``allvecs``), or the iterates themselves.
    hess, hessp : callable
        ``hess(x, *args)`` or ``hessp(x, p, *args)`` (see :func:`escape_direction`).
    jac : callable, optional
        Orients ``v_min`` and gives ``grad_along``.
    k : int, default 1
        Eigenvalues at each end.
    method, dense_max, seed
        As in :func:`escape_direction`.

    Returns
    -------
    PathCurvature
        ``.lambda_min``, ``.lambda_max``, ``.add_to_trace(res.trace)``.

    Examples
    --------
    >>> import newtonlab as nl
    >>> from newtonlab import problems
    >>> from newtonlab.analysis import curvature_along_path
    >>> p = problems.get("rosenbrock")
    >>> res = nl.minimize(p.fun, p.x0, jac=p.jac, method="bfgs", options={"return_all": True})
    >>> c = curvature_along_path(res, hess=p.hess)
    >>> c.add_to_trace(res.trace).columns[-2:]
    ('lambda_min', 'lambda_max')
    >>> round(float(res.trace["lambda_min"][-1]), 2)     # lambda_min of hess f(1, 1)
    0.4
    """
    X = _iterates(res_or_iterates)
    args = args if isinstance(args, tuple) else (args,)
    if hess is None and hessp is None:
        raise ValueError("curvature_along_path needs hess= or hessp=")
    k = int(k)
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    m, n = X.shape
    kk = min(k, n)
    lo, hi = np.empty((m, kk)), np.empty((m, kk))
    V, ga = np.empty((m, n)), np.full(m, np.nan)
    for i, x in enumerate(X):
        lo[i], hi[i], v, _ = _extremes(x, hess, hessp, args, kk, method, dense_max, seed)
        g = np.asarray(jac(x, *args), dtype=float) if callable(jac) else None
        V[i] = _orient(v, g)
        if g is not None:
            ga[i] = float(g @ V[i])
    used = method or ("dense" if hess is not None and n <= dense_max else "lanczos")
    return PathCurvature(lo, hi, V, ga, used)


def add_curvature_columns(res, hess=None, hessp=None, jac=None, args=(), **kw):
    """:func:`curvature_along_path` of ``res`` added to ``res.trace`` as columns
    ``lambda_min``/``lambda_max``.

    Parameters
    ----------
    res : OptimizeResult
        A result of :func:`newtonlab.minimize` run with
        ``options={"return_all": True}`` (its ``allvecs`` and ``trace``); its trace is
        modified in place.
    hess, hessp : callable
        ``hess(x, *args)`` or ``hessp(x, p, *args)``; one is required.
    jac : callable, optional
        Orients ``v_min`` and gives ``grad_along``.
    args : tuple, default ()
        Extra arguments of the derivatives.
    **kw
        ``k``, ``method``, ``dense_max``, ``seed``: as in :func:`curvature_along_path`.

    Returns
    -------
    PathCurvature
        The curvature that was added (one row per iterate).

    Raises
    ------
    ValueError
        Neither ``hess`` nor ``hessp``, or ``res`` has no iterates (see
        :func:`curvature_along_path`).

    Examples
    --------
    >>> import newtonlab as nl
    >>> from newtonlab import problems
    >>> p = problems.get("rosenbrock")
    >>> res = nl.minimize(p.fun, p.x0, jac=p.jac, method="bfgs", options={"return_all": True})
    >>> c = add_curvature_columns(res, hess=p.hess)
    >>> "lambda_min" in res.trace.columns, c.lambda_min.shape == (len(res.trace),)
    (True, True)
    """
    c = curvature_along_path(res, hess=hess, hessp=hessp, jac=jac, args=args, **kw)
    c.add_to_trace(res["trace"])
    return c


@dataclass(frozen=True, eq=False)
class StallEpisode:
    """Consecutive iterations ``start..end`` (inclusive) flagged as a saddle stall.

    One of :attr:`SaddleStall.episodes` (:func:`detect_saddle_stall`).

    Attributes
    ----------
    start, end : int
        The first and last flagged iteration of the episode (inclusive).
    k : int
        The flagged iteration with the smallest gradient (the closest approach).
    x : ndarray (n,)
        The iterate at ``k``.
    f : float
        f at ``k``.
    gnorm : float
        The gradient norm at ``k``.
    lambda_min : float
        The smallest Hessian eigenvalue at ``k`` (negative).
    direction : ndarray (n,)
        The unit escape direction at ``x`` (:func:`escape_direction`'s sign rule).
    escaped : bool
        True when f later fell below the stall level by more than the progress
        threshold.
    length : int
        (property) ``end - start + 1``.

    Examples
    --------
    >>> import numpy as np
    >>> e = StallEpisode(3, 7, 5, np.zeros(2), 0.0, 1e-6, -2.0, np.array([0.0, 1.0]), True)
    >>> e.length, e.escaped
    (5, True)
    """

    start: int
    end: int
    k: int
    x: np.ndarray
    f: float
    gnorm: float
    lambda_min: float
    direction: np.ndarray
    escaped: bool

    @property
    def length(self):
        return self.end - self.start + 1


@dataclass(frozen=True, eq=False)
class SaddleStall:
    """Result of :func:`detect_saddle_stall`.

    Attributes
    ----------
    flags : ndarray of bool (m,)
        Per iterate: whether all three stall tests hold there.
    lambda_min : ndarray (m,)
        Per iterate: the smallest Hessian eigenvalue.
    episodes : list of StallEpisode
        The stall episodes, in order.
    thresholds : dict
        The thresholds used: ``gnorm`` (the absolute gradient threshold), ``ftol``,
        ``window``, ``neg_rtol``, ``neg_atol``, ``min_length``.
    stalled : bool
        (property) Whether there is any episode.

    Examples
    --------
    >>> import numpy as np
    >>> st = SaddleStall(np.zeros(4, dtype=bool), np.ones(4), [], {})
    >>> st.stalled
    False
    """

    flags: np.ndarray
    lambda_min: np.ndarray
    episodes: list
    thresholds: dict

    @property
    def stalled(self):
        return bool(self.episodes)


def detect_saddle_stall(res, hess=None, hessp=None, jac=None, args=(), curvature=None,
                        gtol=None, grel=1e-2, neg_rtol=1e-6, neg_atol=1e-12, ftol=1e-4,
                        window=5, min_length=3):
    """Find the iterations where a run stalled near a saddle point.

    Iteration k is flagged when all three hold:

    * small gradient: ``gnorm_k <= gtol`` (default ``grel * gnorm_0``);
    * negative curvature: ``lambda_min_k < -max(neg_atol, neg_rtol * max|lambda_k|)``;
    * little progress ahead: ``f_k - f_{k+window} <= ftol * max(1, |f_k|)``
      (to the last iterate near the end of the run).

    Runs of at least ``min_length`` consecutive flagged iterations are
    episodes, and so is a shorter run that reaches the last iterate: the
    solver stopped near a saddle (a gradient test can "succeed" there).

    Parameters
    ----------
    res : OptimizeResult
        From :func:`newtonlab.minimize` with ``options={"return_all": True}``
        (``trace`` gives f and the gradient norm, ``allvecs`` the iterates).
    hess, hessp, jac, args
        Derivatives for :func:`curvature_along_path`; ``jac`` orients the directions.
    curvature : PathCurvature, optional
        Precomputed curvature of the same run (then hess/hessp are not needed).
    gtol, grel, neg_rtol, neg_atol, ftol, window, min_length
        Thresholds above.

    Returns
    -------
    SaddleStall

    Examples
    --------
    >>> import numpy as np, newtonlab as nl
    >>> from newtonlab import problems
    >>> from newtonlab.analysis import detect_saddle_stall
    >>> p = problems.get("saddle_xy")
    >>> res = nl.minimize(p.fun, p.x0, jac=p.jac, method="gd",
    ...                   options={"return_all": True, "maxiter": 150, "lr": 0.1,
    ...                            "linesearch": "none"})
    >>> st = detect_saddle_stall(res, hess=p.hess, jac=p.jac)
    >>> e = st.episodes[0]
    >>> st.stalled, e.escaped, round(e.lambda_min, 12), np.abs(e.direction).round(6)
    (True, True, -2.0, array([0., 1.]))
    """
    X = _iterates(res)
    tr = res["trace"]
    f, gn = np.asarray(tr["f"], dtype=float), np.asarray(tr["gnorm"], dtype=float)
    if not (len(f) == X.shape[0]):
        raise ValueError(f"trace has {len(f)} rows but allvecs {X.shape[0]}")
    if curvature is None:
        curvature = curvature_along_path(X, hess=hess, hessp=hessp, jac=jac, args=args)
    lmin, lmax = curvature.lambda_min, curvature.lambda_max
    if lmin.shape[0] != f.shape[0]:
        raise ValueError("curvature does not match the run (different number of iterates)")
    window, min_length = int(window), int(min_length)
    if window < 1 or min_length < 1:
        raise ValueError("window and min_length must be >= 1")
    g_thr = float(gtol) if gtol is not None else grel * gn[0]
    neg_thr = np.maximum(neg_atol, neg_rtol * np.maximum(np.abs(lmin), np.abs(lmax)))
    ahead = f[np.minimum(np.arange(f.size) + window, f.size - 1)]
    f_thr = ftol * np.maximum(1.0, np.abs(f))
    flags = (gn <= g_thr) & (lmin < -neg_thr) & (f - ahead <= f_thr)
    episodes = []
    k = 0
    while k < f.size:
        if not flags[k]:
            k += 1
            continue
        j = k
        while j + 1 < f.size and flags[j + 1]:
            j += 1
        if j - k + 1 >= min_length or j == f.size - 1:
            best = k + int(np.argmin(gn[k:j + 1]))
            after = f[j + 1:]
            escaped = bool(after.size and after.min() < f[best] - f_thr[best])
            episodes.append(StallEpisode(k, j, best, X[best].copy(), float(f[best]),
                                         float(gn[best]), float(lmin[best]),
                                         curvature.v_min[best].copy(), escaped))
        k = j + 1
    return SaddleStall(flags, lmin.copy(), episodes,
                       dict(gnorm=g_thr, ftol=ftol, window=window, neg_rtol=neg_rtol,
                            neg_atol=neg_atol, min_length=min_length))
