"""Derivative checks: gradient, Hessian and Hessian-vector products against finite differences.

Each check compares the user's derivative with a finite difference along a few
random unit directions d (seeded), which costs O(n_dirs) evaluations instead of
the O(n) of a full difference gradient and still catches any wrong entry with
probability 1.  The differences use the fourth-order central stencil

    D_h phi(0) = (phi(-2h) - 8 phi(-h) + 8 phi(h) - phi(2h)) / (12 h),

with h = eps^(1/5) max(1, ||x||): truncation O(h^4) and rounding O(eps / h) are
then both ~ eps^(4/5) ~ 3e-13 relative, so a default tolerance of 1e-6 leaves
six orders of magnitude between a correct derivative and a flagged one.

Errors are relative to the size of the derivative as a whole (||g|| for
directional derivatives, ||H d|| and ||D_h g|| for Hessian products) or to the
slope that the function shows across the stencil, whichever is larger (floored
at ``atol``): a direction nearly orthogonal to the gradient, or a check at a
critical point, then does not inflate them.  The estimated error of the
difference itself (its change from step h to 2h, which measures truncation,
plus the rounding 3 eps max|phi| / h) is subtracted first, so that a correct
derivative at a critical point (g = 0, where only that error is left) passes.
Six evaluations per direction.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._operator import check_x

__all__ = ["check_grad", "check_hess", "check_hessp", "DerivCheck"]

_EPS = np.finfo(float).eps
_H_REL = _EPS ** 0.2


@dataclass(frozen=True, eq=False)
class DerivCheck:
    """Result of a derivative check.

    Attributes
    ----------
    max_rel_error : float
        Worst relative error over the directions (and the symmetry test).
    ok : bool
        ``max_rel_error <= rtol``.
    rtol : float
        The tolerance used.
    errors : ndarray (n_dirs,)
        Relative error per direction, beyond the estimated error of the difference.
    fd_errors : ndarray (n_dirs,)
        That estimated error of the finite difference, relative (the resolution of the check).
    directions : ndarray (n_dirs, n)
        The unit directions tried.
    analytic, numeric : ndarray
        Per direction: the user's value (g^T d, or H d as rows) and the finite difference.
    symmetry_error : float or None
        Hessian checks: ||H - H^T||_max / ||H||_max (dense) or
        |u^T H v - v^T H u| / (||H u|| ||v||) (products); None for gradients.
    worst : int
        Index of the worst direction.
    what : str
        "grad", "hess" or "hessp".
    """

    max_rel_error: float
    ok: bool
    rtol: float
    errors: np.ndarray
    fd_errors: np.ndarray
    directions: np.ndarray
    analytic: np.ndarray
    numeric: np.ndarray
    symmetry_error: float | None
    worst: int
    what: str

    def __bool__(self):
        return bool(self.ok)

    def __repr__(self):
        sym = "" if self.symmetry_error is None else f", symmetry_error={self.symmetry_error:.2e}"
        return (f"DerivCheck({self.what}: ok={self.ok}, max_rel_error={self.max_rel_error:.2e}"
                f"{sym}, rtol={self.rtol:g}, n_dirs={len(self.errors)})")


def _directions(n, n_dirs, seed):
    n_dirs = int(n_dirs)
    if n_dirs < 1:
        raise ValueError(f"n_dirs must be >= 1, got {n_dirs}")
    D = np.random.default_rng(seed).standard_normal((n_dirs, n))
    return D / np.linalg.norm(D, axis=1, keepdims=True)


def _stencil(phi, h):
    """Fourth-order central difference of phi(t) at t = 0 (phi scalar- or vector-valued).

    Returns (D_h, error estimate, slope scale): the error estimate is |D_h - D_2h|
    (truncation, as in Richardson extrapolation) plus the rounding 3 eps max|phi| / h;
    the slope scale is the spread of phi over the stencil divided by its width 8h.
    """
    v = np.array([np.asarray(phi(t * h), dtype=float) for t in (-4, -2, -1, 1, 2, 4)])
    d1 = (v[1] - 8.0 * v[2] + 8.0 * v[3] - v[4]) / (12.0 * h)
    d2 = (v[0] - 8.0 * v[1] + 8.0 * v[4] - v[5]) / (24.0 * h)
    err = np.abs(d1 - d2) + 3.0 * _EPS * np.max(np.abs(v)) / h
    return d1, err, np.linalg.norm(np.ptp(v, axis=0)) / (8.0 * h)


def _finite(v, name):
    v = np.asarray(v, dtype=float)
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} returned non-finite values")
    return v


def _vec(v, n, name):
    v = _finite(v, name)
    if v.shape != (n,):
        raise ValueError(f"{name} must return shape ({n},), got {v.shape}")
    return v


def _result(diff, noise, scale, D, an, nu, sym, rtol, what):
    errors = np.maximum(diff - noise, 0.0) / scale
    worst = int(np.argmax(errors))
    m = float(errors[worst])
    if sym is not None:
        m = max(m, sym)
    return DerivCheck(m, bool(m <= rtol), float(rtol), errors, noise / scale, D, an, nu, sym,
                      worst, what)


def check_grad(fun, jac, x, args=(), n_dirs=8, seed=0, rtol=1e-6, atol=1e-12, h=None):
    """Check a gradient against finite differences of ``fun`` along random directions.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float`` (or ``-> (f, g)`` with ``jac=True``).
    jac : callable or True
        ``jac(x, *args) -> (n,)``.
    x : array_like (n,)
        Where to check.
    args : tuple
    n_dirs : int, default 8
        Random unit directions (seeded by ``seed``).
    rtol : float, default 1e-6
        Largest acceptable relative error.
    atol : float, default 1e-12
        Floor of the error scale (for a vanishing gradient).
    h : float, optional
        Difference step; default eps^(1/5) max(1, ||x||).

    Returns
    -------
    DerivCheck
        error_i = max(|g^T d_i - D_h f(x + t d_i)| - err(D_h)_i, 0) / scale_i, scale_i =
        max(||g||, spread of f over the stencil / its width, atol).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.optimize import rosen, rosen_der
    >>> from newtonlab.analysis import check_grad
    >>> check_grad(rosen, rosen_der, [-1.2, 1.0]).ok
    True
    >>> check_grad(rosen, lambda x: 1.01 * rosen_der(x), [-1.2, 1.0]).ok
    False
    """
    x = check_x(x)
    args = args if isinstance(args, tuple) else (args,)
    n = x.size
    if jac is True:
        def f(z):
            return float(fun(z, *args)[0])
        g = _vec(fun(x.copy(), *args)[1], n, "fun (with jac=True)")
    elif callable(jac):
        def f(z):
            return float(fun(z, *args))
        g = _vec(jac(x.copy(), *args), n, "jac")
    else:
        raise ValueError("jac must be a callable or True")
    h = _H_REL * max(1.0, float(np.linalg.norm(x))) if h is None else float(h)
    D = _directions(n, n_dirs, seed)
    an = D @ g
    nu, noise, slope = map(np.array, zip(*[_stencil(lambda t, d=d: f(x + t * d), h) for d in D]))
    _finite(nu, "fun")
    scale = np.maximum(max(float(np.linalg.norm(g)), atol), slope)
    return _result(np.abs(an - nu), noise, scale, D, an, nu, None, rtol, "grad")


def _hv_check(grad, Hd, x, D, h, atol):
    """(||Hd_i - D_h g||, its FD error estimate, scale, D_h g) per direction D[i]."""
    nu, noise, slope = map(np.array, zip(*[_stencil(lambda t, d=d: grad(x + t * d), h)
                                           for d in D]))
    _finite(nu, "jac")
    scale = np.maximum(np.maximum(np.linalg.norm(Hd, axis=1), np.linalg.norm(nu, axis=1)),
                       np.maximum(slope, atol))
    noise = np.linalg.norm(noise, axis=1)    # per-entry error estimates -> 2-norm
    return np.linalg.norm(Hd - nu, axis=1), noise, scale, nu


def check_hess(jac, hess, x, args=(), n_dirs=8, seed=0, rtol=1e-6, atol=1e-12, h=None):
    """Check a Hessian: products H d against differences of ``jac``, and symmetry.

    error_i = ||H d_i - D_h g(x + t d_i)|| / max(||H d_i||, ||D_h g||, atol); the
    symmetry error ||H - H^T||_max / ||H||_max counts towards ``max_rel_error``.

    Parameters
    ----------
    jac : callable
        The gradient, ``jac(x, *args) -> (n,)``, assumed correct (check it with
        :func:`check_grad`).
    hess : callable
        The Hessian to check, ``hess(x, *args) -> (n, n)`` (dense).
    x : array_like (n,)
        Where to check.
    args : tuple, default ()
        Extra arguments of ``jac`` and ``hess`` (a non-tuple is wrapped in one).
    n_dirs : int, default 8
        Random unit directions (seeded by ``seed``), >= 1.
    seed : int, default 0
        Seed of the directions.
    rtol : float, default 1e-6
        Largest acceptable relative error.
    atol : float, default 1e-12
        Floor of the error scale (for a vanishing Hessian).
    h : float, optional
        Difference step; default eps^(1/5) max(1, ||x||).

    Returns
    -------
    DerivCheck
        ``what="hess"``; ``analytic`` holds the rows H d_i, ``numeric`` the differences
        of ``jac``, ``symmetry_error`` the relative asymmetry of H.

    Raises
    ------
    ValueError
        ``x`` is not a finite non-empty 1-D array, ``hess`` returns a wrong shape,
        ``hess`` or ``jac`` return non-finite values, or ``n_dirs < 1``.

    Examples
    --------
    >>> from scipy.optimize import rosen_der, rosen_hess
    >>> from newtonlab.analysis import check_hess
    >>> check_hess(rosen_der, rosen_hess, [-1.2, 1.0]).ok
    True
    """
    x = check_x(x)
    args = args if isinstance(args, tuple) else (args,)
    n = x.size
    H = _finite(hess(x.copy(), *args), "hess")
    if H.shape != (n, n):
        raise ValueError(f"hess must return shape ({n}, {n}), got {H.shape}")
    h = _H_REL * max(1.0, float(np.linalg.norm(x))) if h is None else float(h)
    D = _directions(n, n_dirs, seed)
    Hd = D @ H.T
    diff, noise, scale, nu = _hv_check(lambda z: _vec(jac(z, *args), n, "jac"), Hd, x, D, h, atol)
    sym = float(np.max(np.abs(H - H.T))) / max(float(np.max(np.abs(H))), atol)
    return _result(diff, noise, scale, D, Hd, nu, sym, rtol, "hess")


def check_hessp(jac, hessp, x, args=(), n_dirs=8, seed=0, rtol=1e-6, atol=1e-12, h=None):
    """Check Hessian-vector products against differences of ``jac``, and their symmetry.

    As :func:`check_hess` with ``hessp(x, p, *args) -> (n,)``; symmetry is
    tested on the first two directions: |u^T H v - v^T H u| / max(||H u|| ||v||,
    ||H v|| ||u||, atol).

    Parameters
    ----------
    jac : callable
        The gradient, ``jac(x, *args) -> (n,)``, assumed correct.
    hessp : callable
        The Hessian-vector product to check, ``hessp(x, p, *args) -> (n,)``.
    x : array_like (n,)
        Where to check.
    args : tuple, default ()
        Extra arguments of ``jac`` and ``hessp`` (a non-tuple is wrapped in one).
    n_dirs : int, default 8
        Random unit directions (seeded by ``seed``); at least 2 are used (the symmetry
        test needs two).
    seed : int, default 0
        Seed of the directions.
    rtol : float, default 1e-6
        Largest acceptable relative error.
    atol : float, default 1e-12
        Floor of the error scale.
    h : float, optional
        Difference step; default eps^(1/5) max(1, ||x||).

    Returns
    -------
    DerivCheck
        ``what="hessp"``; ``analytic`` holds the products H d_i as rows.

    Raises
    ------
    ValueError
        ``x`` is not a finite non-empty 1-D array, ``hessp`` or ``jac`` return a wrong
        shape or non-finite values, or ``n_dirs < 1``.

    Examples
    --------
    >>> from scipy.optimize import rosen_der, rosen_hess_prod
    >>> from newtonlab.analysis import check_hessp
    >>> check_hessp(rosen_der, rosen_hess_prod, [-1.2, 1.0, 0.5]).ok
    True
    """
    x = check_x(x)
    args = args if isinstance(args, tuple) else (args,)
    n = x.size
    h = _H_REL * max(1.0, float(np.linalg.norm(x))) if h is None else float(h)
    D = _directions(n, max(int(n_dirs), 2) if int(n_dirs) >= 1 else n_dirs, seed)
    Hd = np.array([_vec(hessp(x.copy(), d.copy(), *args), n, "hessp") for d in D])
    diff, noise, scale, nu = _hv_check(lambda z: _vec(jac(z, *args), n, "jac"), Hd, x, D, h, atol)
    u, v, Hu, Hv = D[0], D[1], Hd[0], Hd[1]
    sym = abs(float(u @ Hv - v @ Hu)) / max(float(np.linalg.norm(Hu)),
                                           float(np.linalg.norm(Hv)), atol)
    return _result(diff, noise, scale, D, Hd, nu, sym, rtol, "hessp")
