"""Classification of a point by the gradient and the Hessian spectrum.

Second-order conditions (Nocedal & Wright 2006, Thms 2.2-2.4): at a point with
g = 0, H positive definite means a strict local minimizer, negative definite a
strict maximizer, eigenvalues of both signs a saddle; a singular H decides
nothing.  In floating point "zero" means "inside a tolerance band", so the rules
below are written out in ``docs/analysis/classify.md`` and in :func:`classify`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._operator import as_matvec, check_vector, check_x, probe_symmetry, symmetric_matrix
from .spectrum import lanczos

__all__ = ["classify", "CriticalPoint", "KINDS", "RTOL", "ATOL"]

KINDS = ("minimum", "maximum", "saddle", "degenerate", "non-critical")
#: Default relative eigenvalue tolerance per Hessian source (see :func:`classify`).
RTOL = {"analytic": 1e-10, "finite-difference": 1e-6}
#: Default absolute floor of the eigenvalue tolerance per Hessian source.
ATOL = {"analytic": 1e-12, "finite-difference": 1e-8}
#: Above this n a Hessian from finite differences of ``jac`` is matrix-free (n jac
#: calls and n^2 memory for a dense one; 2 calls per product for Lanczos).
DENSE_FD_MAX_N = 500
_FD_SYM_RTOL = 1e-5  # FD Hessians differ from symmetric by ~eps^(2/3); far more means a bad jac
_EPS = np.finfo(np.float64).eps


@dataclass(frozen=True, eq=False)
class CriticalPoint:
    """A point classified by :func:`classify`.

    Attributes
    ----------
    x : ndarray (n,)
    kind : {"minimum", "maximum", "saddle", "degenerate", "non-critical"}
    eigenvalues : ndarray
        Ascending.  All n when ``complete``; otherwise the k smallest followed by
        the k largest (Lanczos Ritz values).
    index : int
        Morse index: eigenvalues < -tol.  Counted among those computed, so a lower
        bound when not ``complete``.
    grad_norm : float
        ||g||_inf (NaN when no gradient was given).
    tol : float
        The eigenvalue threshold used: max(atol, rtol * max|lambda|).
    gtol_used : float
        The gradient threshold used: gtol * max(1, |f|) (gtol when f is unknown).
    n_zero : int
        Computed eigenvalues with |lambda| <= tol.
    fun : float or None
        f(x) when ``fun`` was given.
    method : {"dense", "lanczos"}
    hessian_source : {"analytic", "finite-difference"}
    complete : bool
        Whether ``eigenvalues`` is the whole spectrum.
    which : str
        Which eigenvalues were computed, in words.
    converged : bool
        All computed eigenvalues converged (always True for "dense").
    """

    x: np.ndarray
    kind: str
    eigenvalues: np.ndarray
    index: int
    grad_norm: float
    tol: float
    gtol_used: float
    n_zero: int
    fun: float | None = None
    method: str = "dense"
    hessian_source: str = "analytic"
    complete: bool = True
    which: str = "all"
    converged: bool = True

    def __repr__(self):
        lam = np.array2string(self.eigenvalues, precision=6, threshold=12)
        return (f"CriticalPoint(kind={self.kind!r}, index={self.index}, eigenvalues={lam}, "
                f"grad_norm={self.grad_norm:.3g}, tol={self.tol:.3g}, method={self.method!r}, "
                f"hessian_source={self.hessian_source!r})")


def _nonneg(v, name):
    v = float(v)
    if not (np.isfinite(v) and v >= 0.0):
        raise ValueError(f"{name} must be a finite number >= 0, got {v}")
    return v


def _fd_hessian(grad, x):
    """Central differences of the gradient, column by column, step eps^(1/3) max(1, |x_j|)
    (scipy's rule; exactly representable), symmetrized with a warning if far from it."""
    n = x.size
    H = np.empty((n, n))
    xw = x.copy()
    for j in range(n):
        h = _EPS ** (1.0 / 3.0) * (1.0 if x[j] >= 0 else -1.0) * max(1.0, abs(x[j]))
        h = (x[j] + h) - x[j]
        xw[j] = x[j] + h
        gp = grad(xw)
        xw[j] = x[j] - h
        gm = grad(xw)
        xw[j] = x[j]
        H[:, j] = (gp - gm) / (2.0 * h)
    return symmetric_matrix(H, n, "finite-difference Hessian of jac", _FD_SYM_RTOL)


def _fd_hessp(grad, x):
    """v -> (g(x + h v) - g(x - h v)) / 2h with h = eps^(1/3) max(1, ||x||) / ||v||."""
    scale = _EPS ** (1.0 / 3.0) * max(1.0, float(np.linalg.norm(x)))

    def hv(v):
        nv = float(np.linalg.norm(v))
        if nv == 0.0:
            return np.zeros_like(v)
        h = scale / nv
        return (grad(x + h * v) - grad(x - h * v)) / (2.0 * h)
    return hv


def _kind(lam, n, tol):
    """Kind from the whole spectrum (the gradient test has passed)."""
    if np.any(np.abs(lam) <= tol):
        return "degenerate"                     # never a minimum with lambda in the band
    neg = int(np.sum(lam < -tol))
    return "minimum" if neg == 0 else "maximum" if neg == n else "saddle"


def _decide(theta, res, anorm, rtol, atol):
    """Kind from the extreme Ritz values theta (ascending) and residuals, or None.

    Ritz values lie inside the spectrum (Cauchy interlacing), so theta_0 < -tol <
    tol < theta_max proves a saddle at once.  Each Ritz value has an eigenvalue
    within its residual r (Kahan-Parlett); the sign of an extreme one is accepted
    once r <= (|theta| - tol) / 10, i.e. that interval clears the band by a
    margin; an extreme with |theta| <= tol and r <= tol puts an eigenvalue within
    2 tol of zero: "degenerate".  Like any Krylov method this cannot exclude an
    eigenvalue the random start vector does not reach (probability ~0).
    """
    t = max(atol, rtol * anorm)
    if theta[0] < -t and theta[-1] > t:
        return "saddle"
    if theta[0] > t and res[0] <= 0.1 * (theta[0] - t):
        return "minimum"
    if theta[-1] < -t and res[-1] <= 0.1 * (-theta[-1] - t):
        return "maximum"
    if (abs(theta[0]) <= t and res[0] <= t) or (abs(theta[-1]) <= t and res[-1] <= t):
        return "degenerate"
    return None


def classify(x, jac=None, hess=None, hessp=None, args=(), gtol=1e-6, rtol=None, atol=None,
             k=6, fd=False, seed=0, fun=None, method=None, lanczos_tol=None, maxiter=1000):
    """Classify ``x`` as a minimum, maximum, saddle, degenerate or non-critical point.

    Parameters
    ----------
    x : array_like (n,)
    jac : callable, array (n,), True or None
        Gradient ``jac(x, *args)``, its value at x, or True when ``fun`` returns
        (f, g).  None skips the gradient test (``grad_norm`` is NaN).
    hess : callable or array (n, n), optional
        Hessian ``hess(x, *args)`` or its value.  Symmetrized; a ``UserWarning``
        when the relative asymmetry exceeds sqrt(eps).
    hessp : callable, optional
        Hessian-vector product ``hessp(x, p, *args)``: matrix-free classification.
    args : tuple
    gtol : float
        Critical when ||g||_inf <= gtol * max(1, |f|) (gtol when fun is not given).
    rtol, atol : float, optional
        Eigenvalue tolerance tol = max(atol, rtol * max|lambda|).  Defaults by
        Hessian source: analytic 1e-10 and 1e-12, finite-difference 1e-6 and 1e-8.
    k : int
        Matrix-free: eigenvalues computed at each end of the spectrum.
    fd : bool
        Use central differences of ``jac`` even when hess/hessp are given (to check
        them).  Implied when only ``jac`` is given.
    seed : int
        Lanczos start vector (matrix-free).
    fun : callable, optional
        f(x, *args): reported as ``fun`` and used to scale gtol.
    method : {None, "dense", "lanczos"}
        None: "dense" with hess, "lanczos" with hessp alone, and for finite
        differences "dense" up to n = 500.  "dense" with hessp forms H by n products.
    lanczos_tol : float, optional
        Ritz residual tolerance relative to ||H||; default rtol / 10.
    maxiter : int
        Lanczos restarts.

    Returns
    -------
    CriticalPoint

    Raises
    ------
    ValueError
        Non-finite x, gradient or Hessian; wrong shapes (expected and received are
        named); nothing to build a Hessian from.

    Notes
    -----
    Kinds with the whole spectrum (dense, or n <= 2k): "non-critical" if the
    gradient test fails; else "degenerate" if any |lambda| <= tol (a singular
    Hessian does not decide, and the problem library labels such points so),
    then "minimum" (all > tol), "maximum" (all < -tol), otherwise "saddle".

    Matrix-free (only the extreme Ritz values theta with residuals r): Ritz values
    lie inside the spectrum, so theta_min < -tol and theta_max > tol prove
    "saddle" (an unseen interior zero eigenvalue is not looked for); "minimum"
    needs theta_min > tol with r_min <= (theta_min - tol) / 10, "maximum"
    symmetrically; an extreme with |theta| <= tol and r <= tol gives "degenerate",
    and so does a run that ends undecided (inconclusive).  Lanczos stops as soon
    as one rule fires, which is what makes n ~ 1e6 take seconds.

    Examples
    --------
    >>> from newtonlab import problems
    >>> from newtonlab.analysis import classify
    >>> p = problems.himmelblau()
    >>> cp = classify(p.critical_points[8].x, p.jac, p.hess, fun=p.fun)
    >>> cp.kind, cp.index
    ('maximum', 2)
    >>> classify([0.0, 0.0], problems.monkey_saddle().jac, problems.monkey_saddle().hess).kind
    'degenerate'
    """
    x = check_x(x)
    n = x.size
    args = args if isinstance(args, tuple) else (args,)
    gtol = _nonneg(gtol, "gtol")
    f = g = None
    if fun is not None:
        out = fun(x, *args)
        if jac is True:
            out, g = out
        f = float(out)
        if not np.isfinite(f):
            raise ValueError(f"fun returned a non-finite value {f}")
    elif jac is True:
        raise ValueError("jac=True needs fun= returning (f, g)")
    if callable(jac):
        def grad(z):
            return check_vector(jac(z, *args), n, "jac")
        g = jac(x, *args)
    else:
        grad = None
        if jac is not None and jac is not True:
            g = jac
    if g is not None:
        g = check_vector(g, n, "jac")
    grad_norm = float(np.max(np.abs(g))) if g is not None else float("nan")
    gtol_used = gtol * max(1.0, abs(f)) if f is not None else gtol

    if fd or (hess is None and hessp is None):
        if grad is None:
            raise ValueError("classify needs hess=, hessp= or a callable jac= "
                             "(for finite differences)")
        source = "finite-difference"
    else:
        source = "analytic"
    if method is None:
        method = ("dense" if (hess is not None if source == "analytic" else n <= DENSE_FD_MAX_N)
                  else "lanczos")
    if method not in ("dense", "lanczos"):
        raise ValueError(f"method must be None, 'dense' or 'lanczos', got {method!r}")
    rtol = RTOL[source] if rtol is None else _nonneg(rtol, "rtol")
    atol = ATOL[source] if atol is None else _nonneg(atol, "atol")

    H = matvec = None
    if source == "finite-difference":
        if method == "dense":
            H = _fd_hessian(grad, x)
        else:
            matvec = _fd_hessp(grad, x)
    elif hess is not None:
        H = symmetric_matrix(hess(x, *args) if callable(hess) else hess, n, "hess")
    else:
        if not callable(hessp):
            raise ValueError("hessp must be a callable hessp(x, p, *args)")
        matvec = as_matvec((hessp, x, args))[0]
        if method == "dense":
            H = symmetric_matrix(np.column_stack([matvec(e) for e in np.eye(n)]), n,
                                 "matrix of hessp products")
        else:
            probe_symmetry(matvec, n, np.random.default_rng(seed))

    ltol = lanczos_tol if lanczos_tol is not None else max(rtol / 10, 4 * _EPS)
    if method == "dense":
        lam = np.linalg.eigvalsh(H)
        complete, which, converged = True, "all", True
        tol = max(atol, rtol * float(np.max(np.abs(lam))))
        kind = _kind(lam, n, tol)
    else:
        res = lanczos(H.dot if H is not None else matvec, k=k, which="both", n=n, seed=seed,
                      maxiter=maxiter, tol=ltol,
                      stop=lambda th, r, _: _decide(th, r, max(-th[0], th[-1]), rtol,
                                                     atol) is not None)
        lam, complete, converged = res.eigenvalues, res.complete, bool(res.converged.all())
        tol = max(atol, rtol * float(np.max(np.abs(lam))))
        if complete:
            kind = _kind(lam, n, tol)
        else:
            kind = _decide(lam, res.residuals, max(-lam[0], lam[-1]), rtol, atol)
            kind = "degenerate" if kind is None else kind   # unconverged: inconclusive
        kk = min(int(k), n)
        which = "all" if complete else (f"{kk} smallest and {kk} largest Ritz values of {n} "
                                        f"({res.n_matvec} products)")
    n_zero = int(np.sum(np.abs(lam) <= tol))
    index = int(np.sum(lam < -tol))
    if g is not None and grad_norm > gtol_used:
        kind = "non-critical"
    return CriticalPoint(x, kind, lam, index, grad_norm, tol, gtol_used, n_zero, f, method,
                         source, complete, which, converged)

