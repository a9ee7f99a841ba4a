"""Normalizing the ways a symmetric operator can be given, and validating what comes out.

Accepted forms (``op``): a dense (n, n) array; anything with ``.shape`` and
``.matvec`` or ``@`` (a scipy sparse matrix or ``LinearOperator``); a callable
``matvec(v) -> H v`` together with ``n``; or a tuple ``(hessp, x)`` /
``(hessp, x, args)`` meaning ``v -> hessp(x, v, *args)`` (scipy's convention).
A Hessian known only through its gradient is differenced: :func:`fd_hessian`
(dense) and :func:`fd_hessp` (products).  :func:`newton_step_change`
(with :func:`minres_solve` and :func:`norm_of_difference`) serves the inertia
check of ``classify`` at approximately critical points.
"""
from __future__ import annotations

import warnings

import numpy as np

#: Relative asymmetry ||H - H^T||_max / ||H||_max above which a UserWarning is
#: issued (sqrt(eps): rounding in two formulas for H_ij and H_ji stays far below,
#: a wrong Hessian entry is far above).
SYM_RTOL = 1.5e-8
#: Finite-difference Hessians differ from symmetric by ~eps^(2/3); far more means a bad jac.
FD_SYM_RTOL = 1e-5
_EPS = np.finfo(np.float64).eps


def check_x(x, name="x"):
    """x as a finite 1-D float64 array (copied), or ValueError."""
    x = np.array(x, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite, got non-finite entries")
    return x


def check_vector(g, n, name):
    """g as a finite float64 (n,) array, or ValueError naming expected and received."""
    g = np.asarray(g, dtype=np.float64)
    if g.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {g.shape}")
    if not np.all(np.isfinite(g)):
        raise ValueError(f"{name} returned non-finite values")
    return g


def symmetric_matrix(H, n=None, name="hess", sym_rtol=SYM_RTOL):
    """H as a finite symmetric float64 (n, n) array: validated, and symmetrized with a
    UserWarning when its relative asymmetry exceeds ``sym_rtol``."""
    H = np.array(H, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or (n is not None and H.shape[0] != n):
        want = "(n, n)" if n is None else f"({n}, {n})"
        raise ValueError(f"{name} must have shape {want}, got {H.shape}")
    if not np.all(np.isfinite(H)):
        raise ValueError(f"{name} has non-finite entries")
    scale = np.max(np.abs(H)) if H.size else 0.0
    asym = np.max(np.abs(H - H.T)) if H.size else 0.0
    if asym > sym_rtol * scale:
        warnings.warn(f"{name} is not symmetric (max |H - H^T| = {asym:.3g}, "
                      f"{asym / scale:.3g} relative); using (H + H^T)/2", UserWarning,
                      stacklevel=3)
    return 0.5 * H + 0.5 * H.T           # not 0.5 (H + H^T): no overflow for |H_ij| near max


def as_matvec(op, n=None):
    """Return ``(matvec, n)`` for any accepted operator form; matvec validates its output.

    The returned ``matvec(v)`` gives a C-contiguous float64 (n,) array; a wrong
    shape raises ValueError (finiteness is checked by the kernels that consume it).
    """
    if isinstance(op, tuple):
        if len(op) not in (2, 3) or not callable(op[0]):
            raise ValueError("an operator tuple must be (hessp, x) or (hessp, x, args)")
        hessp, x = op[0], check_x(op[1])
        args = tuple(op[2]) if len(op) == 3 else ()
        if n is not None and n != x.size:
            raise ValueError(f"n = {n} does not match x of size {x.size}")

        def raw(v):
            return hessp(x, v, *args)
        n, name = x.size, "hessp"
    elif isinstance(op, np.ndarray):
        H = np.ascontiguousarray(op, dtype=np.float64)
        if H.ndim != 2 or H.shape[0] != H.shape[1]:
            raise ValueError(f"a matrix operator must have shape (n, n), got {H.shape}")
        raw, n, name = H.dot, H.shape[0], "matrix"
    elif hasattr(op, "shape") and (hasattr(op, "matvec") or hasattr(op, "__matmul__")):
        if len(op.shape) != 2 or op.shape[0] != op.shape[1]:
            raise ValueError(f"an operator must have shape (n, n), got {op.shape}")
        raw = op.matvec if hasattr(op, "matvec") else op.__matmul__
        n, name = op.shape[0], "operator"
    elif callable(op):
        if n is None:
            raise ValueError("a matvec callable needs n= (the dimension)")
        raw, name = op, "matvec"
    else:
        raise TypeError("op must be an (n, n) array, a LinearOperator/sparse matrix, a "
                        f"callable matvec (with n=) or a (hessp, x[, args]) tuple, got {type(op)}")
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")

    def matvec(v):
        w = np.asarray(raw(v), dtype=np.float64)
        if w.shape != (n,):
            raise ValueError(f"{name} must return shape ({n},), got {w.shape}")
        return np.ascontiguousarray(w)
    return matvec, n


def probe_symmetry(matvec, n, rng, sym_rtol=SYM_RTOL):
    """Warn (UserWarning) when u^T (A v) differs from v^T (A u) for random u, v.

    Two extra products; a matrix-free operator cannot be symmetrized, so an
    asymmetric one makes every Lanczos result meaningless and the user must know.
    """
    u = rng.standard_normal(n)
    v = rng.standard_normal(n)
    Au, Av = matvec(u), matvec(v)
    a, b = float(u @ Av), float(v @ Au)
    scale = max(np.linalg.norm(Au) * np.linalg.norm(v), np.linalg.norm(Av) * np.linalg.norm(u))
    if abs(a - b) > sym_rtol * scale:
        warnings.warn(f"the operator is not symmetric (u^T A v - v^T A u = {a - b:.3g}); "
                      "Lanczos results assume a symmetric operator", UserWarning, stacklevel=3)


def fd_hessian(grad, x):
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
    return symmetric_matrix(H, n, "finite-difference Hessian of jac", FD_SYM_RTOL)


def fd_hessp(grad, x):
    """v -> (g(x + h v) - g(x - h v)) / 2h with h = eps^(1/3) max(1, ||x||) / ||v||."""
    scale = _EPS ** (1.0 / 3.0) * max(1.0, float(np.linalg.norm(x)))

    def hv(v):
        nv = float(np.linalg.norm(v))
        if nv == 0.0:
            return np.zeros_like(v)
        h = scale / nv
        return (grad(x + h * v) - grad(x - h * v)) / (2.0 * h)
    return hv


def minres_solve(matvec, n, b, rtol=1e-3):
    """(x ~ H^+ b, products) by MINRES (Paige & Saunders 1975): H symmetric, maybe
    indefinite or singular (then the iterates stay in the Krylov space of b)."""
    from scipy.sparse.linalg import LinearOperator, minres
    count = [0]

    def mv(v):
        count[0] += 1
        return matvec(np.ravel(v))
    A = LinearOperator((n, n), matvec=mv, dtype=np.float64)
    maxiter = min(10 * int(np.sqrt(n)) + 50, 500)   # an estimate: 500 products at most
    try:
        x = minres(A, b, rtol=rtol, maxiter=maxiter)[0]
    except TypeError:                     # scipy < 1.12 calls it tol
        x = minres(A, b, tol=rtol, maxiter=maxiter)[0]
    return x, count[0]


def norm_of_difference(A, B, n, seed=0):
    """(||B - A||_2, products): exact for matrices, else from the extreme Lanczos Ritz
    values plus their residuals (within ~10 %, two products per step)."""
    if isinstance(A, np.ndarray):
        return float(np.max(np.abs(np.linalg.eigvalsh(B - A)))), 0
    from .spectrum import lanczos         # spectrum imports this module
    with warnings.catch_warnings():       # a rough estimate is all the caller needs
        warnings.simplefilter("ignore", RuntimeWarning)
        r = lanczos(lambda v: B(v) - A(v), k=1, which="both", n=n, tol=0.1, maxiter=3,
                    seed=seed)
    return float(np.max(np.abs(r.eigenvalues) + r.residuals)), 2 * r.n_matvec


def newton_step_change(build, op, x, g, tol, n, seed):
    """(||delta||_inf, ||H(x - 2 delta) - H(x)||_2, products, note): the Newton step
    delta = H^+ g (over the eigenvalues outside the band ``tol``) towards the
    critical point near x, and how much the Hessian changes over twice it.

    ``op`` is H(x), a matrix or a product; ``build(z)`` gives the same at z, or
    None when it cannot (then the change is NaN and ``note`` says why).  The
    rule that uses these is in :func:`newtonlab.analysis.classify`.
    """
    if not np.any(g):
        return 0.0, 0.0, 0, ""
    p = 0
    if isinstance(op, np.ndarray):
        mu, Q = np.linalg.eigh(op)
        keep = np.abs(mu) > tol
        delta = Q[:, keep] @ ((Q[:, keep].T @ g) / mu[keep])
    else:
        delta, p = minres_solve(op, n, g)
    step = float(np.max(np.abs(delta)))
    try:
        op2 = build(x - 2.0 * delta)
        if op2 is None:
            return step, float("nan"), p, ("inertia at the nearby critical point not checked: "
                                           "hess is an array, not a callable")
        change, p2 = norm_of_difference(op, op2, n, seed)
    except (ValueError, ArithmeticError) as exc:
        return step, float("nan"), p, f"inertia not checked: the Hessian at x - 2 delta: {exc}"
    return step, change, p + p2, ""
