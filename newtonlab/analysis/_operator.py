"""Normalizing the ways a symmetric operator can be given, and validating what comes out.

Accepted forms (``op``): a dense (n, n) array; anything with ``.shape`` and
``.matvec`` or ``@`` (a scipy sparse matrix or ``LinearOperator``); a callable
``matvec(v) -> H v`` together with ``n``; or a tuple ``(hessp, x)`` /
``(hessp, x, args)`` meaning ``v -> hessp(x, v, *args)`` (scipy's convention).
"""
from __future__ import annotations

import warnings

import numpy as np

#: Relative asymmetry ||H - H^T||_max / ||H||_max above which a UserWarning is
#: issued (sqrt(eps): rounding in two formulas for H_ij and H_ji stays far below,
#: a wrong Hessian entry is far above).
SYM_RTOL = 1.5e-8


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
    return 0.5 * (H + H.T)


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
