"""Hessian spectra: dense eigendecomposition, thick-restart Lanczos, power iteration.

The stochastic estimators (Hutchinson trace, SLQ density) are in
:mod:`newtonlab.analysis.spectrum_stochastic`; the compiled kernels in
:mod:`newtonlab.analysis._lanczos`.  Operators may be given as a dense array, a
scipy ``LinearOperator`` or sparse matrix, a callable ``matvec(v)`` with ``n=``,
or a tuple ``(hessp, x, args)`` (see :func:`newtonlab.analysis._operator.as_matvec`).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from . import _lanczos as K
from ._operator import as_matvec, symmetric_matrix

__all__ = ["dense_spectrum", "lanczos", "LanczosResult", "power_iteration", "PowerResult"]


def dense_spectrum(H, return_vectors=False):
    """All eigenvalues (ascending) of a symmetric matrix, via LAPACK ``syevd``.

    Validates shape and finiteness and symmetrizes, with a ``UserWarning`` when
    the relative asymmetry exceeds sqrt(eps).

    Parameters
    ----------
    H : array_like, shape (n, n)
        A real symmetric matrix (nearly symmetric: it is symmetrized as (H + H^T) / 2).
    return_vectors : bool, default False
        Also return the eigenvectors.

    Returns
    -------
    numpy.ndarray or tuple
        The eigenvalues, shape (n,), ascending; with ``return_vectors=True`` the pair
        ``(eigenvalues, eigenvectors)`` of :func:`numpy.linalg.eigh` (unit eigenvectors
        as the columns of an (n, n) array).

    Raises
    ------
    ValueError
        ``H`` is not square or has non-finite entries.

    Warns
    -----
    UserWarning
        ``H`` is not symmetric to within sqrt(eps) (relative).

    Examples
    --------
    >>> from newtonlab.analysis import dense_spectrum
    >>> dense_spectrum([[2.0, 1.0], [1.0, 2.0]])
    array([1., 3.])
    """
    H = symmetric_matrix(H, name="H")
    return np.linalg.eigh(H) if return_vectors else np.linalg.eigvalsh(H)


@dataclass(frozen=True, eq=False)
class LanczosResult:
    """Output of :func:`lanczos`.

    Attributes
    ----------
    eigenvalues : ndarray
        The wanted Ritz values, ascending (k smallest, k largest, or both).
    eigenvectors : ndarray (n, len(eigenvalues)) or None
        Matching unit Ritz vectors as columns, when ``return_vectors=True``.
    residuals : ndarray
        ||A y - theta y|| for each pair (= beta_m |s_mi|, never formed explicitly).
    converged : ndarray of bool
        residual <= tol * anorm.
    anorm : float
        max |theta| over all Ritz values seen: the estimate of ||A||_2 used in the test.
    complete : bool
        True when the eigenvalues are the *whole* spectrum (n <= 2k for "both").
    n_matvec, n_restart : int
        Operator applications and thick restarts used.
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray | None
    residuals: np.ndarray
    converged: np.ndarray
    anorm: float
    complete: bool
    n_matvec: int
    n_restart: int


def _extend(matvec, V, T, h, c, j0, j1, rng, scale):
    """Lanczos steps j0..j1-1 with full reorthogonalization; returns (beta, scale, j).

    Fills V[j0+1..j] and T[j0..j-1, j0..j-1] (Golub & Van Loan Alg. 10.1.1 with
    complete reorthogonalization); j = j1 unless the Krylov space became all of
    R^n (j = n, beta = 0).  An invariant subspace (beta ~ 0) is left by a fresh
    random vector orthogonal to the basis, with zero coupling, so that n steps
    always give the whole spectrum.
    """
    n = V.shape[1]
    beta = 0.0
    for j in range(j0, j1):
        w = matvec(V[j])
        alpha, beta = K.lanczos_step(V, j, w, T[j, j - 1] if j > j0 else 0.0, c)
        if not np.isfinite(beta):
            raise ValueError("the operator returned non-finite values")
        T[j, j] = alpha
        scale = max(scale, abs(alpha) + beta)
        if j + 1 == n:           # Krylov space is all of R^n: the residual is rounding
            return 0.0, scale, n
        if beta <= 64.0 * K.EPS * scale:  # breakdown: restart with an orthogonal random vector
            w = rng.standard_normal(n)
            for _ in range(2):
                nw = K.orthogonalize(V, j, w, h, c)
            V[j + 1] = w / nw
            beta = 0.0
        else:
            V[j + 1] = w / beta
        if j + 1 < T.shape[0]:
            T[j, j + 1] = T[j + 1, j] = beta
    return beta, scale, j1


def lanczos(op, k=6, which="both", n=None, ncv=None, tol=1e-10, maxiter=1000, seed=0,
            return_vectors=False, stop=None):
    """Extreme eigenvalues of a symmetric operator from matrix-vector products.

    Thick-restart Lanczos (Wu & Simon 2000) with full reorthogonalization: a
    basis of ``ncv`` vectors is built, the Ritz pairs of the projected matrix are
    computed, and the basis is restarted from the ``k + extra`` Ritz vectors at
    each wanted end plus the residual direction, until every wanted pair has
    residual ||A y - theta y|| <= ``tol`` * ||A||.  By the Kahan-Parlett bound each
    converged Ritz value is then within ``tol`` * ||A|| of an eigenvalue (and in
    practice within residual^2 / gap).

    Parameters
    ----------
    op : operator
        Dense array, ``LinearOperator``, sparse matrix, callable ``matvec(v)`` with
        ``n``, or ``(hessp, x[, args])``.  Must be symmetric.
    k : int
        Eigenvalues wanted at each requested end.
    which : {"both", "LA", "SA"}
        k largest and k smallest (algebraic), k largest, or k smallest.
    n : int, optional
        Dimension; required for a bare callable.
    ncv : int, optional
        Maximum basis size (memory: (ncv + 1) n doubles); default max(3 w + 15, 40)
        for w wanted eigenvalues, lowered towards 2 w + 4 to keep the basis under
        ~256 MB.  Convergence is tested every 10 steps, so easy problems stop early.
    tol : float
        Relative residual tolerance (relative to the largest |Ritz value|).
    maxiter : int
        Maximum number of restarts; a ``RuntimeWarning`` if some pair is unconverged.
    seed : int
        Seed of the random start vector.
    return_vectors : bool
        Also return the Ritz vectors.
    stop : callable, optional
        ``stop(theta, residuals, anorm) -> bool`` on all current Ritz values
        (ascending) at every convergence test; True ends the iteration early, without a
        warning (:func:`classify` stops once the signs it needs are certain).

    Returns
    -------
    LanczosResult

    Examples
    --------
    >>> import numpy as np
    >>> from newtonlab.analysis import lanczos
    >>> d = np.linspace(-1.0, 2.0, 1000)
    >>> r = lanczos(lambda v: d * v, k=2, n=1000)
    >>> np.allclose(r.eigenvalues, [d[0], d[1], d[-2], d[-1]])
    True

    References
    ----------
    Wu, K. & Simon, H. (2000). Thick-restart Lanczos method for large symmetric
    eigenvalue problems. SIAM J. Matrix Anal. Appl. 22(2), 602-616.
    """
    matvec, n = as_matvec(op, n)
    if which not in ("both", "LA", "SA"):
        raise ValueError(f"which must be 'both', 'LA' or 'SA', got {which!r}")
    k = int(k)
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    ends = 2 if which == "both" else 1
    k = min(k, n)
    nw = ends * k
    if ncv is None:   # 3 nw + 15 measured best on clustered spectra; capped at ~256 MB of basis
        ncv = min(max(3 * nw + 15, 40), max(2 * nw + 4, 2 ** 25 // n))
    m = min(n, int(ncv))
    if m < min(n, nw + 2):
        raise ValueError(f"ncv = {m} too small: need at least {min(n, nw + 2)}")
    rng = np.random.default_rng(seed)
    V = np.zeros((m + 1, n))
    T = np.zeros((m, m))
    h, c = np.zeros(m + 1), np.zeros(m + 1)
    v0 = rng.standard_normal(n)
    V[0] = v0 / np.linalg.norm(v0)
    # Keep the wanted Ritz vectors plus a third of the spare room, split between the
    # ends: kept vectors speed convergence, the rest is room for new Krylov directions
    # (a third measured fastest among 1/5, 1/4, 1/3, 1/2, 3/4 on clustered spectra).
    kk = k + (m - nw) // 3 // ends
    p, scale, restarts, nmv, stopped = 0, 0.0, 0, 0, False
    while True:
        j = p
        while True:   # grow the basis, testing convergence every 10 steps (easy cases stop early)
            j1 = min(m, max(j + 10, nw + 2))
            beta, scale, j = _extend(matvec, V, T, h, c, j, j1, rng, scale)
            theta, S = np.linalg.eigh(T[:j, :j])
            anorm = max(scale, float(np.max(np.abs(theta))))
            res = np.abs(beta * S[j - 1])
            lo = np.arange(min(k, j)) if which != "LA" else np.arange(0)
            hi = np.arange(max(j - k, 0), j) if which != "SA" else np.arange(0)
            want = np.unique(np.concatenate([lo, hi]))
            conv = res[want] <= tol * anorm
            stopped = stop is not None and not conv.all() and bool(stop(theta, res, anorm))
            if j >= m or conv.all() or j == n or stopped:
                break
        nmv += j - p
        if stopped or conv.all() or j == n or restarts >= maxiter:
            break
        keep = np.concatenate([np.arange(kk) if which != "LA" else np.arange(0),
                               np.arange(m - kk, m) if which != "SA" else np.arange(0)])
        p = keep.size
        K.combine_rows(V, m, np.ascontiguousarray(S[:, keep]), V)
        V[p] = V[m]
        T[:] = 0.0
        T[np.arange(p), np.arange(p)] = theta[keep]
        T[p, :p] = T[:p, p] = beta * S[m - 1, keep]
        restarts += 1
    if not conv.all() and not stopped:
        warnings.warn(f"lanczos: {int((~conv).sum())} of {want.size} Ritz pairs unconverged "
                      f"after {restarts} restarts (max residual {res[want].max():.2e}, "
                      f"tol * anorm = {tol * anorm:.2e})", RuntimeWarning, stacklevel=2)
    vecs = None
    if return_vectors:
        Y = np.empty((want.size, n))
        K.combine_rows(V, j, np.ascontiguousarray(S[:, want]), Y)
        vecs = Y.T
    return LanczosResult(theta[want], vecs, res[want], conv, anorm, j == n and want.size == n,
                         nmv, restarts)


@dataclass(frozen=True, eq=False)
class PowerResult:
    """Output of :func:`power_iteration`.

    Attributes
    ----------
    eigenvalue : float
        The eigenvalue estimate lambda (of A, the shift added back).
    eigenvector : ndarray (n,)
        The matching unit vector v.
    residual : float
        ||A v - lambda v||.
    converged : bool
        Whether ``residual <= tol * |lambda - shift|`` was reached within ``maxiter``.
    n_iter : int
        Iterations (= matvecs) of the final run (the shift-finding run not included).
    shift : float
        The shift sigma the final run iterated with (0 for ``which="LM"``).

    Examples
    --------
    >>> import numpy as np
    >>> r = power_iteration(np.diag([1.0, 4.0]))
    >>> round(r.eigenvalue, 6), r.converged, r.shift, round(float(abs(r.eigenvector[1])), 6)
    (4.0, True, 0.0, 1.0)
    """

    eigenvalue: float
    eigenvector: np.ndarray
    residual: float
    converged: bool
    n_iter: int
    shift: float


def _power(matvec, n, shift, tol, maxiter, rng):
    v = rng.standard_normal(n)
    v /= np.linalg.norm(v)
    rho, res = 0.0, np.inf
    for it in range(1, maxiter + 1):
        w = matvec(v)
        rho, res, nw = K.power_update(v, w, shift)
        if not np.isfinite(nw):
            raise ValueError("the operator returned non-finite values")
        if nw == 0.0 or res <= tol * abs(rho):
            return rho + shift, v, res, True, it
    return rho + shift, v, res, False, maxiter


def power_iteration(op, which="LM", n=None, shift=None, tol=1e-8, maxiter=10000, seed=0):
    """One extreme eigenvalue by power iteration on A - shift I.

    ``which="LM"`` (largest magnitude) iterates on A.  ``"SA"`` (most negative)
    and ``"LA"`` (largest algebraic) first find |lambda|_max, then iterate on
    A - sigma I with sigma = +/-(|lambda|_max + residual), which makes the wanted
    end dominant (every eigenvalue of A - sigma I then has the sign of the wanted
    one).  Converged when ||A v - lambda v|| <= tol |lambda - shift|.  Linear
    convergence with ratio |lambda_2 - sigma| / |lambda_1 - sigma|: slow for
    clustered spectra, where :func:`lanczos` is the better tool.

    Parameters
    ----------
    op : operator
        Dense array, ``LinearOperator``, sparse matrix, callable ``matvec(v)`` with
        ``n``, or ``(hessp, x[, args])``.  Must be symmetric.
    which : {"LM", "SA", "LA"}, default "LM"
        Largest magnitude, most negative (smallest algebraic), or largest algebraic.
    n : int, optional
        Dimension; required for a bare callable.
    shift : float, optional
        Iterate on A - shift I with this shift instead of the automatic one (which is
        0 for "LM", +/-(|lambda|_max + residual) for "SA" / "LA").
    tol : float, default 1e-8
        Relative residual tolerance.
    maxiter : int, default 10000
        Maximum iterations (matvecs) per run.
    seed : int, default 0
        Seed of the random start vector.

    Returns
    -------
    PowerResult

    Raises
    ------
    ValueError
        An unknown ``which``, or the operator returned non-finite values.

    Warns
    -----
    RuntimeWarning
        No convergence within ``maxiter`` iterations (the last estimate is returned,
        ``converged=False``).

    Examples
    --------
    >>> import numpy as np
    >>> from newtonlab.analysis import power_iteration
    >>> A = np.diag([-3.0, 0.5, 1.0, 2.0])
    >>> round(power_iteration(A).eigenvalue, 6), round(power_iteration(A, "LA").eigenvalue, 6)
    (-3.0, 2.0)
    """
    matvec, n = as_matvec(op, n)
    if which not in ("LM", "SA", "LA"):
        raise ValueError(f"which must be 'LM', 'SA' or 'LA', got {which!r}")
    rng = np.random.default_rng(seed)
    if shift is None:
        shift = 0.0
        if which != "LM":
            lam, _, res, _, _ = _power(matvec, n, 0.0, 1e-3, maxiter, rng)
            bound = abs(lam) + res   # >= |lambda|_max up to the accuracy of the estimate
            shift = bound if which == "SA" else -bound
    lam, v, res, ok, it = _power(matvec, n, float(shift), tol, maxiter, rng)
    if not ok:
        warnings.warn(f"power_iteration did not converge in {maxiter} iterations "
                      f"(residual {res:.2e})", RuntimeWarning, stacklevel=2)
    return PowerResult(float(lam), v, float(res), ok, it, float(shift))
