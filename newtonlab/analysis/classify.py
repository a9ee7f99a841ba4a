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

from ._operator import (as_matvec, check_vector, check_x, fd_hessian, fd_hessp,
                        newton_step_change, probe_symmetry, symmetric_matrix)
from .._kinds import ATOL, RTOL  # noqa: F401  (documented here: see classify)
from .._kinds import kind as _kind
from .spectrum import lanczos

__all__ = ["classify", "CriticalPoint", "KINDS", "RTOL", "ATOL"]

KINDS = ("minimum", "maximum", "saddle", "degenerate", "non-critical")
#: Above this n a Hessian from finite differences of ``jac`` is matrix-free (n jac
#: calls and n^2 memory for a dense one; 2 calls per product for Lanczos).
DENSE_FD_MAX_N = 500
#: Lanczos basis cap in doubles (256 MB): bounds how many negative eigenvalues a
#: matrix-free Morse index can resolve (~80 at n = 1e5).
_BASIS_CAP = 2 ** 25
_EPS = np.finfo(np.float64).eps
_fd_hessian = fd_hessian        # the old private name, used by newtonlab._second_order


@dataclass(frozen=True, eq=False)
class CriticalPoint:
    """A point classified by :func:`classify`.

    Attributes
    ----------
    x : ndarray (n,)
    kind : {"minimum", "maximum", "saddle", "degenerate", "non-critical"}
    eigenvalues : ndarray
        Ascending.  All n when ``complete``; otherwise the k smallest followed by
        the k largest Ritz values (k grown past the Morse index).
    index : int
        Morse index: eigenvalues < -tol (n at a matrix-free maximum; a lower
        bound when ``index_is_lower_bound``).
    grad_norm : float
        ||g||_inf (NaN when no gradient was given).
    tol : float
        The eigenvalue threshold used: max(atol, rtol * max|lambda|, 2 * hess_change).
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
    residuals : ndarray
        ||H y - theta y|| per eigenvalue, an eigenvalue lies within it
        (Kahan-Parlett); zeros for "dense" (LAPACK: backward stable).
    index_is_lower_bound : bool
        Matrix-free: the negative end was not resolved (``note`` says why).
    note : str
        Why the result is weaker than it looks; empty otherwise.
    n_products : int
        Hessian-vector products used (matrix-free; 0 for "dense").
    newton_step, hess_change : float
        ||delta||_inf for the Newton step delta = H^+ g, and ||H(x - 2 delta) -
        H(x)||_2: the band is at least twice the latter (see Notes of classify).
        0 when g = 0, NaN when not computed.
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
    residuals: np.ndarray | None = None
    index_is_lower_bound: bool = False
    note: str = ""
    n_products: int = 0
    newton_step: float = float("nan")
    hess_change: float = float("nan")

    def __repr__(self):
        lam = np.array2string(self.eigenvalues, precision=6, threshold=12)
        bound = " (lower bound)" if self.index_is_lower_bound else ""
        note = f", note={self.note!r}" if self.note else ""
        return (f"CriticalPoint(kind={self.kind!r}, index={self.index}{bound}, eigenvalues={lam}, "
                f"grad_norm={self.grad_norm:.3g}, tol={self.tol:.3g}, method={self.method!r}, "
                f"hessian_source={self.hessian_source!r}{note})")


def _nonneg(v, name):
    v = float(v)
    if not (np.isfinite(v) and v >= 0.0):
        raise ValueError(f"{name} must be a finite number >= 0, got {v}")
    return v


def _state(theta, res, anorm, rtol, atol, ltol, k):
    """(kind or None, q, resolved, grow) from Ritz values theta (ascending, the k
    smallest first) and residuals r; q counts theta < -tol, tol = max(atol, rtol
    max|theta|).  Interlacing: at least q eigenvalues are < -tol.  *Resolved*: the
    q negative pairs have r <= ltol * anorm and the next one clears the band
    (theta > tol, r <= (theta - tol) / 10) or is a zero eigenvalue (|theta| <= tol,
    r <= tol).  ``grow``: all k smallest are negative, k must grow.
    """
    t = max(atol, rtol * max(-theta[0], theta[-1]))
    q = int(np.sum(theta < -t))
    top, rt = theta[-1], res[-1]
    if top < -t and rt <= 0.1 * (-top - t):
        return "maximum", q, True, False
    if q == theta.size:
        return None, q, False, False
    grow = q >= k
    b, rb = theta[q], res[q]
    clears = b > t and rb <= 0.1 * (b - t)
    zero = abs(b) <= t and rb <= t
    resolved = not grow and bool(np.all(res[:q] <= ltol * anorm)) and (clears or zero)
    kind = ("saddle" if q and top > t else "minimum" if not q and clears else
            "degenerate" if (not q and zero) or (abs(top) <= t and rt <= t) else None)
    return kind, q, resolved, grow


def _lanczos_index(matvec, n, k, rtol, atol, ltol, maxiter, seed, budget):
    """Thick-restart Lanczos until the kind is decided *and* the negative end resolved.

    Thick restarts keep the converged negative pairs in the basis, and full
    reorthogonalization against them steers the search to the next ones; when
    all k smallest Ritz values are negative k grows (Lanczos starts again), up to
    the memory cap.  Resolving gets ``budget`` products once the kind is known
    (eigenvalues clustered just above zero can take thousands).  Returns
    (LanczosResult, state, q_seen, products, note, k).
    """
    kmax = max(k, (_BASIS_CAP // n - 4) // 4)         # thick restart needs ~4 k + 4 rows
    nmv = [0]
    seen, since = [0], [None]

    def counted(v):
        nmv[0] += 1
        return matvec(v)

    def stop(theta, r, anorm):
        kind, q, resolved, grow = _state(theta, r, anorm, rtol, atol, ltol, k)
        seen[0] = max(seen[0], q)             # a lower bound at every step (interlacing)
        if kind == "maximum" or (kind is not None and resolved):
            return True
        if kind is not None:
            since[0] = nmv[0] if since[0] is None else since[0]
            if nmv[0] - since[0] >= budget:
                return True
        return grow
    while True:
        res = lanczos(counted, k=k, which="both", n=n, seed=seed, maxiter=maxiter, tol=ltol,
                      stop=stop)
        st = _state(res.eigenvalues, res.residuals, res.anorm, rtol, atol, ltol, k)
        seen[0] = max(seen[0], st[1])
        out = since[0] is not None and nmv[0] - since[0] >= budget
        if res.complete or not st[3] or k >= kmax or out:
            break
        k = min(kmax, max(2 * k, seen[0] + 2))
    note = "" if st[2] or res.complete else "index is a lower bound: " + (
        f"the negative end was not resolved within {budget} products (index_budget) after the "
        "kind was known" if out else
        f"more than {k - 1} negative eigenvalues, beyond what a Lanczos basis of "
        f"{_BASIS_CAP // n} vectors of length {n} can resolve" if st[3] else
        f"the negative end was not resolved in {maxiter} restarts ({nmv[0]} products)")
    return res, st, seen[0], nmv[0], note, k


def classify(x, jac=None, hess=None, hessp=None, args=(), gtol=1e-6, rtol=None, atol=None,
             k=6, fd=False, seed=0, fun=None, method=None, lanczos_tol=None, maxiter=1000,
             index_budget=1000):
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
    index_budget : int
        Matrix-free: products spent resolving the Morse index once the kind is
        known (then ``index_is_lower_bound``).

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
    "non-critical" if the gradient test fails.  Whole spectrum known: "saddle" when
    eigenvalues of both signs lie beyond the band, even beside zero ones; else
    "degenerate" if any |lambda| <= tol; else "minimum" or "maximum".

    Matrix-free (Ritz values theta, residuals r): theta_min < -tol < tol <
    theta_max proves "saddle" (interlacing); "minimum" needs theta_min > tol and
    r_min <= (theta_min - tol) / 10, "maximum" symmetrically; a converged extreme
    in the band, or a run that ends undecided, gives "degenerate" (the latter
    with a ``note``).  The index counts Ritz values < -tol, never more than the
    true count; Lanczos goes on until each has r <= lanczos_tol * ||H|| and the
    next Ritz value clears the band or is a zero eigenvalue.  If ``maxiter``,
    ``index_budget`` or the 256 MB basis run out first, ``index_is_lower_bound``.

    Approximately critical points (0 < ||g|| <= gtol): H(x) may be nonsingular
    where H(x*) at the critical point x* nearby is not, e.g. x^3 + y^2 at
    (5e-4, 0), H = diag(3e-3, 2).  So a "minimum", "maximum" or "saddle" is
    checked over the Newton step delta = H^+ g (over the eigenvalues outside the
    band; MINRES when matrix-free): the band is widened to tol >= 2 hess_change,
    hess_change = ||H(x - 2 delta) - H(x)||_2 ~ 2 gamma ||delta|| (gamma the
    Lipschitz constant of H), and the kind recomputed.  A minimum then has h =
    gamma ||delta|| / lambda_min < 1/4, half Kantorovich's 1/2 (Dennis & Schnabel
    1983, sec. 5.3) as gamma is estimated along one direction: Newton converges
    to a unique x* within 1.2 ||delta||, where no eigenvalue has moved by 0.3
    lambda_min (Weyl), so H(x*) has the inertia of H(x).  For a saddle only the
    Weyl part applies.  Needs H at another point (a callable hess, hessp or
    jac); with ``hess`` an array ``note`` says unchecked.

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
    >>> jac = lambda z: np.array([3.0 * z[0] ** 2, 2.0 * z[1]])       # f = x^3 + y^2
    >>> classify([5e-4, 0.0], jac, lambda z: np.diag([6.0 * z[0], 2.0])).kind
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
    dense = method == "dense"
    rtol = RTOL[source] if rtol is None else _nonneg(rtol, "rtol")
    atol = ATOL[source] if atol is None else _nonneg(atol, "atol")
    if source == "analytic" and hess is None and not callable(hessp):
        raise ValueError("hessp must be a callable hessp(x, p, *args)")

    def build(z):
        """H at z: a matrix (dense) or a product (matrix-free); None if only H(x) is known."""
        if source == "finite-difference":
            return fd_hessian(grad, z) if dense else fd_hessp(grad, z)
        if hess is not None:
            if not callable(hess) and z is not x:
                return None
            H = symmetric_matrix(hess(z, *args) if callable(hess) else hess, n, "hess")
            return H if dense else H.dot
        mv = as_matvec((hessp, z, args))[0]
        return (symmetric_matrix(np.column_stack([mv(e) for e in np.eye(n)]), n,
                                 "matrix of hessp products") if dense else mv)

    op = build(x)
    ltol = lanczos_tol if lanczos_tol is not None else max(rtol / 10, 4 * _EPS)
    nprod, note, lower, q = 0, "", False, 0
    if dense:
        lam = np.linalg.eigvalsh(op)
        complete, converged, resid = True, True, np.zeros(n)
    else:
        if source == "analytic" and hess is None:
            probe_symmetry(op, n, np.random.default_rng(seed))
            nprod = 2
        res, st, q, nmv, note, k = _lanczos_index(op, n, int(k), rtol, atol, ltol, maxiter, seed,
                                               int(index_budget))
        lam, resid, complete = res.eigenvalues, res.residuals, res.complete
        converged, nprod = bool(res.converged.all()), nprod + nmv
        lower = bool(note) and st[0] != "maximum" and not complete
        note = "" if complete else note
        if st[0] is None and not complete:
            note = (f"inconclusive: the signs at the ends of the spectrum were not decided in "
                    f"{maxiter} restarts ({nmv} products); the index is a lower bound")
    tol = max(atol, rtol * float(np.max(np.abs(lam))))

    def kind_for(t):
        if complete:
            return _kind(lam, n, t)
        return _state(lam, resid, 1.0, rtol, t, ltol, lam.size)[0] or "degenerate"
    kind = kind_for(tol)
    step = change = float("nan")
    if g is not None and grad_norm <= gtol_used and kind in ("minimum", "maximum", "saddle"):
        step, change, p, why = newton_step_change(build, op, x, g, tol, n, seed)
        nprod, note = nprod + p, why or note
        if 2.0 * change > tol:
            tol, q = 2.0 * change, 0          # q was counted with the narrower band
            kind = kind_for(tol)
    index = n if kind == "maximum" and not complete else int(np.sum(lam < -tol))
    index = max(index, q) if lower else index     # q: the count over every Lanczos step
    if g is not None and grad_norm > gtol_used:
        kind = "non-critical"
    ends = f"{k} smallest and {k} largest" if lam.size == 2 * k else f"{lam.size} extreme"
    which = "all" if complete else f"{ends} Ritz values of {n} ({nprod} products)"
    return CriticalPoint(x, kind, lam, index, grad_norm, tol, gtol_used,
                         int(np.sum(np.abs(lam) <= tol)), f, method, source, complete, which,
                         converged, resid, lower, note, nprod, step, change)
