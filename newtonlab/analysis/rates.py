"""Convergence-rate estimation from a run, and the rates theory predicts.

A sequence e_k -> 0 converges with q-order p and rate constant C when
e_{k+1} ~ C e_k^p (Nocedal & Wright 2006, sec. A.2): p = 1 with 0 < C < 1 is
linear, p = 1 with e_{k+1}/e_k -> 0 superlinear, p = 2 quadratic.  Taking logs,
log e_{k+1} = log C + p log e_k, so p and C are the slope and intercept of a
least-squares line through the points (log e_k, log e_{k+1}) of the asymptotic
window.  Two things spoil the fit and are excluded: the pre-asymptotic phase
(damped steps, a line search still searching) and the round-off floor, where
e_k stops decreasing and only reflects rounding in x or f.

Errors come from e_k = ||x_k - x*||_2 (iterates, e.g. ``res.allvecs``) or
e_k = f_k - f* (values, e.g. ``res.trace["f"]``).  For a linear method the rate
in f is the square of the rate in x when f is locally quadratic.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["estimate_rate", "RateEstimate", "errors_from", "theoretical_rate", "TheoreticalRate"]

_EPS = np.finfo(float).eps


@dataclass(frozen=True, eq=False)
class RateEstimate:
    """Output of :func:`estimate_rate`.

    Attributes
    ----------
    order : float
        Estimated q-order p (slope of log e_{k+1} against log e_k).
    constant : float
        Estimated rate constant C (e_{k+1} ~ C e_k^p).
    linear_rate : float
        Geometric mean of e_{k+1}/e_k over the window (the rate if p = 1).
    ratios : ndarray
        e_{k+1}/e_k for the pairs in the window.
    window : tuple (k0, k1)
        The pairs (e_k, e_{k+1}) with k0 <= k < k1 were used.
    residual : float
        Largest |residual| of the fit, in decades (log10 units).
    errors : ndarray
        The whole error sequence e_k.
    floor : float
        Round-off floor: errors at or below it (and everything after) are excluded.
    kind : str
        Heuristic verdict: "quadratic" (|p - 2| <= 0.3); "superlinear" (p > 1.2,
        or ratios falling toward 0: last ratio < 0.1 and the fitted trend of the
        ratios shrinking them by a factor < 0.8 per step); "sublinear" (ratios
        -> 1: geometric mean >= 0.999, or last ratio > 0.9 with 1 - ratio halved
        across the window); else "linear"; "insufficient data" with fewer than
        2 pairs above the floor.
    """

    order: float
    constant: float
    linear_rate: float
    ratios: np.ndarray
    window: tuple
    residual: float
    errors: np.ndarray
    floor: float
    kind: str

    @property
    def superlinear(self):
        """True when the window shows a superlinear (or higher-order) rate."""
        return self.kind in ("superlinear", "quadratic")

    def matches(self, theory, order_tol=0.3, rate_rtol=0.05):
        """Whether this estimate agrees with a :class:`TheoreticalRate`.

        Superlinear theory needs a superlinear verdict; otherwise the orders must
        agree within ``order_tol`` and, for linear rates, the digits gained per
        step, -log(rate), within ``rate_rtol`` relative (0.98 and 0.99 differ by
        a factor 2 in speed, which a plain relative test of the rates would miss).
        """
        if theory.superlinear and theory.order == 1:
            return self.superlinear
        if abs(self.order - theory.order) > order_tol:
            return False
        if theory.order == 1 and theory.constant is not None:
            if not 0.0 < theory.constant < 1.0:
                return self.linear_rate == theory.constant
            want = -math.log(theory.constant)
            return abs(-math.log(self.linear_rate) - want) <= rate_rtol * want
        return True


def errors_from(data, x_star=None, f_star=None):
    """The error sequence e_k of a run.

    ``data`` is an OptimizeResult (``allvecs`` with ``x_star``, else its trace's f
    with ``f_star``), a :class:`newtonlab.Trace` (f with ``f_star``), an (m, n)
    array of iterates (with ``x_star``), or a 1-D array: values f_k when
    ``f_star`` is given, otherwise the errors themselves.

    Parameters
    ----------
    data : OptimizeResult, Trace or array_like
        The run: a result of :func:`newtonlab.minimize` (its ``allvecs``, which need
        ``options={"return_all": True}``, with ``x_star``; else its ``trace``'s f with
        ``f_star``), a :class:`newtonlab.Trace`, iterates of shape (m, n), or a 1-D
        sequence of length m.
    x_star : array_like (n,), optional
        The solution: errors ``||x_k - x*||`` (2-norm) of iterates.
    f_star : float, optional
        The optimal value: errors ``|f_k - f*|`` of function values.

    Returns
    -------
    numpy.ndarray (m,)
        The errors e_k >= 0, one per iterate (absolute values of a 1-D ``data`` given
        without ``f_star``).

    Raises
    ------
    ValueError
        The needed ``x_star`` or ``f_star`` is missing, ``x_star`` has the wrong
        shape, a result lacks ``allvecs`` for x errors, or ``data`` is neither 1-D
        nor (m, n).

    Examples
    --------
    >>> import numpy as np
    >>> errors_from([3.0, 1.5, 1.1], f_star=1.0)
    array([2. , 0.5, 0.1])
    >>> errors_from(np.array([[3.0, 4.0], [0.0, 1.0]]), x_star=[0.0, 0.0])
    array([5., 1.])
    """
    if hasattr(data, "keys") and "x" in data:            # OptimizeResult
        if x_star is not None:
            if "allvecs" not in data:
                raise ValueError("x errors need the iterates: run minimize with "
                                 "options={'return_all': True}, or pass f_star")
            data = np.asarray(data["allvecs"], dtype=float)
        else:
            data = data["trace"]
    if hasattr(data, "columns") and "f" in data.columns:  # Trace
        if f_star is None:
            raise ValueError("a trace gives f_k: pass f_star to get errors f_k - f*")
        data = data["f"]
    a = np.asarray(data, dtype=float)
    if a.ndim == 2:
        if x_star is None:
            raise ValueError("iterates need x_star to give errors ||x_k - x*||")
        xs = np.asarray(x_star, dtype=float)
        if xs.shape != (a.shape[1],):
            raise ValueError(f"x_star must have shape ({a.shape[1]},), got {xs.shape}")
        return np.linalg.norm(a - xs, axis=1)
    if a.ndim != 1:
        raise ValueError(f"expected a 1-D sequence or (m, n) iterates, got shape {a.shape}")
    return np.abs(a - f_star) if f_star is not None else np.abs(a)


def _fit(le0, le1):
    """Least-squares line le1 = c + p le0; returns (p, c, max |residual| in decades)."""
    if le0.size == 1 or np.ptp(le0) == 0.0:
        return 1.0, float(np.mean(le1 - le0)), 0.0
    p, c = np.polyfit(le0, le1, 1)
    r = le1 - (c + p * le0)
    return float(p), float(c), float(np.max(np.abs(r)) / math.log(10.0))


def estimate_rate(data, x_star=None, f_star=None, window=None, floor=None, resid_tol=0.1):
    """Estimate the q-order and rate constant of a converging sequence.

    Parameters
    ----------
    data, x_star, f_star
        See :func:`errors_from`.
    window : int or (k0, k1), optional
        Pairs to fit: the last ``window`` pairs above the floor, or pairs
        k0 <= k < k1.  Default: the longest tail (at least 3 pairs when there are
        3) that one power law fits within ``resid_tol`` decades.
    floor : float, optional
        Round-off floor; default 1e3 eps max(1, scale), scale = ||x*||_inf or |f*|.
        The sequence is cut at the first error at or below it.
    resid_tol : float, default 0.1
        Largest residual (decades) of the automatic window.

    Returns
    -------
    RateEstimate

    Examples
    --------
    >>> import numpy as np
    >>> from newtonlab.analysis import estimate_rate
    >>> e = 0.5 ** (2.0 ** np.arange(6))           # e_{k+1} = e_k^2
    >>> r = estimate_rate(e)
    >>> round(r.order, 6), r.kind
    (2.0, 'quadratic')
    >>> round(estimate_rate(0.3 ** np.arange(30)).linear_rate, 6)
    0.3
    """
    e = errors_from(data, x_star, f_star)
    if floor is None:
        scale = (np.max(np.abs(x_star)) if x_star is not None
                 else abs(f_star) if f_star is not None else 0.0)
        floor = 1e3 * _EPS * max(1.0, float(scale))
    bad = np.flatnonzero(~(e > floor))                 # NaN counts as bad
    m = int(bad[0]) if bad.size else e.size            # e_0..e_{m-1} usable
    npairs = max(m - 1, 0)
    if npairs < 1:
        return RateEstimate(math.nan, math.nan, math.nan, np.empty(0), (0, 0), math.nan,
                            e, float(floor), "insufficient data")
    le = np.log(e[:m])
    if window is None:
        def tail_resid(w):     # residual of the fit to the last w pairs
            return _fit(le[npairs - w:npairs], le[npairs - w + 1:npairs + 1])[2]
        w = min(3, npairs)
        while w < npairs and tail_resid(w + 1) <= resid_tol:
            w += 1
        k0, k1 = npairs - w, npairs
    elif np.ndim(window) == 0:
        w = int(window)
        if w < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        k0, k1 = max(0, npairs - w), npairs
    else:
        k0, k1 = (int(v) for v in window)
        if not 0 <= k0 < k1 <= npairs:
            raise ValueError(f"window must satisfy 0 <= k0 < k1 <= {npairs}, got {window}")
    p, c, resid = _fit(le[k0:k1], le[k0 + 1:k1 + 1])
    ratios = e[k0 + 1:k1 + 1] / e[k0:k1]
    lin = float(np.exp(np.mean(np.log(ratios))))
    return RateEstimate(p, float(np.exp(c)), lin, ratios, (k0, k1), resid, e, float(floor),
                        _kind(p, ratios, k1 - k0))


def _kind(p, ratios, n):
    """Verbal verdict on a fitted window (heuristic thresholds, see RateEstimate.kind)."""
    if n < 2:
        return "insufficient data"
    if abs(p - 2.0) <= 0.3:
        return "quadratic"
    lr = np.log(ratios)
    decay = math.exp(np.polyfit(np.arange(lr.size), lr, 1)[0])   # per-step factor on the ratio
    if p > 1.2 or (ratios[-1] < 0.1 and decay < 0.8):
        return "superlinear"
    gap0, gap1 = 1.0 - ratios[0], 1.0 - ratios[-1]
    if math.exp(float(np.mean(lr))) >= 0.999 or (ratios[-1] > 0.9 and gap1 < 0.5 * gap0):
        return "sublinear"          # ratios -> 1
    return "linear"


@dataclass(frozen=True)
class TheoreticalRate:
    """A rate predicted by theory (:func:`theoretical_rate`).

    Attributes
    ----------
    order : float
        The q-order: 1.0 (linear, or superlinear with ``superlinear=True``) or 2.0.
    constant : float or None
        The rate constant (e_{k+1} <= constant e_k^order); 0.0 for a q-superlinear
        rate, None when it depends on unknowns.
    superlinear : bool
        Whether the ratios e_{k+1} / e_k tend to 0.
    measure : str
        The error it applies to: ``"x"`` (||x_k - x*||) or ``"f"`` (f_k - f*).
    note : str
        The assumptions and the source.

    Examples
    --------
    >>> r = theoretical_rate("gd-1/L", kappa=4.0)
    >>> r.order, r.constant, r.superlinear, r.measure
    (1.0, 0.75, False, 'x')
    """

    order: float
    constant: float | None
    superlinear: bool
    measure: str
    note: str


def theoretical_rate(method, kappa=None, measure="x", hess_lipschitz=None, mu=None):
    """The convergence rate theory predicts for ``method``.

    Parameters
    ----------
    method : str
        ``"gd"`` (steepest descent with exact line search on a strongly convex
        quadratic), ``"gd-fixed"`` (fixed step 2 / (L + mu)), ``"gd-1/L"`` (step
        1/L), ``"heavy-ball"`` (Polyak's optimal parameters, quadratic),
        ``"newton"``, ``"bfgs"``, ``"lbfgs"``.
    kappa : float, optional
        Condition number L / mu of the Hessian at the solution (linear methods).
    measure : {"x", "f"}
        Error in ||x - x*|| or in f - f*.  On a quadratic the f-rate of a linear
        method is the square of its x-rate.
    hess_lipschitz, mu : float, optional
        Newton: with the Lipschitz constant L of the Hessian and mu = lambda_min at
        x*, ``constant`` = L / (2 mu) in x (N&W Thm 3.5 gives L ||H*^-1||).

    Returns
    -------
    TheoreticalRate

    Notes
    -----
    gd: f_{k+1} - f* <= ((kappa - 1) / (kappa + 1))^2 (f_k - f*) (N&W Thm 3.3),
    attained for the worst starting points, so the error in the H-norm (and,
    asymptotically, in x) contracts by (kappa - 1) / (kappa + 1) per step.
    gd-fixed: ||x_{k+1} - x*|| <= (kappa - 1) / (kappa + 1) ||x_k - x*|| (same
    constant, no line search); gd-1/L: 1 - 1/kappa.  heavy-ball:
    (sqrt(kappa) - 1) / (sqrt(kappa) + 1) asymptotically (Polyak 1964).  Newton:
    order 2 (N&W Thm 3.5).  BFGS: q-superlinear, order 1 with ratio -> 0 (N&W Thm
    6.6).  L-BFGS: R-linear only, constant unknown (Liu & Nocedal 1989).

    Examples
    --------
    >>> from newtonlab.analysis import theoretical_rate
    >>> theoretical_rate("gd", kappa=3.0).constant
    0.5
    >>> theoretical_rate("gd", kappa=3.0, measure="f").constant
    0.25
    >>> theoretical_rate("newton").order, theoretical_rate("bfgs").superlinear
    (2.0, True)
    """
    if measure not in ("x", "f"):
        raise ValueError(f"measure must be 'x' or 'f', got {measure!r}")
    name = str(method).lower()
    linear = {"gd": lambda k: (k - 1.0) / (k + 1.0),
              "gd-fixed": lambda k: (k - 1.0) / (k + 1.0),
              "gd-1/l": lambda k: 1.0 - 1.0 / k,
              "heavy-ball": lambda k: (math.sqrt(k) - 1.0) / (math.sqrt(k) + 1.0)}
    if name in linear:
        if kappa is None or not (float(kappa) >= 1.0):
            raise ValueError(f"theoretical_rate({method!r}) needs kappa >= 1, got {kappa!r}")
        r = linear[name](float(kappa))
        return TheoreticalRate(1.0, r * r if measure == "f" else r, False, measure,
                               f"linear, kappa = {float(kappa):g}; strongly convex quadratic")
    if name == "newton":
        c = None
        if hess_lipschitz is not None and mu is not None:
            c = float(hess_lipschitz) / (2.0 * float(mu))
            c = c if measure == "x" else None
        return TheoreticalRate(2.0, c, True, measure, "quadratic near a non-degenerate "
                               "minimizer with Lipschitz Hessian (N&W Thm 3.5)")
    if name == "bfgs":
        return TheoreticalRate(1.0, 0.0, True, measure, "q-superlinear: e_{k+1}/e_k -> 0 "
                               "(N&W Thm 6.6)")
    if name == "lbfgs":
        return TheoreticalRate(1.0, None, False, measure, "R-linear, constant unknown "
                               "(Liu & Nocedal 1989)")
    raise ValueError(f"unknown method {method!r}; known: gd, gd-fixed, gd-1/L, heavy-ball, "
                     "newton, bfgs, lbfgs")
