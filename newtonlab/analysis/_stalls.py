"""Saddle stalls: the iterations where a run sat near a saddle point, found after the fact.

Why this module exists: :mod:`newtonlab.analysis.saddle` computes curvature
along a path (eigenvalues per iterate, escape directions); this module reads
that curvature together with the run's trace (f, gradient norm) and applies
the stall tests of :func:`detect_saddle_stall`: small gradient, negative
curvature and little progress ahead, grouped into :class:`StallEpisode` runs.
Import it from :mod:`newtonlab.analysis` (or :mod:`newtonlab.analysis.saddle`,
which re-exports it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .saddle import _iterates, curvature_along_path

__all__ = ["detect_saddle_stall", "SaddleStall", "StallEpisode"]


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
