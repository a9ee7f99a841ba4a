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
The stall tests (:func:`detect_saddle_stall`, :class:`SaddleStall`,
:class:`StallEpisode`) live in :mod:`newtonlab.analysis._stalls` and are
re-exported here.
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


# Stall detection reads the curvature computed above; it lives in its own module and is
# re-exported here (imported last: _stalls imports _iterates and curvature_along_path).
from ._stalls import SaddleStall, StallEpisode, detect_saddle_stall  # noqa: E402
