"""The kind of a critical point from its Hessian spectrum, and the default tolerances.

Second-order conditions (Nocedal & Wright 2006, Thms 2.2-2.4) with "zero" meaning
"inside the band |lambda| <= tol".  Why a module of its own, outside
``newtonlab.analysis``: every successful newton run classifies its end point with this rule
(``_second_order.end_point_kind``), and importing the analysis package (spectra, critical
points, plots, rates) for it cost a fresh process ~10 ms.  ``analysis.classify`` uses and
documents the same rule.

>>> import numpy as np
>>> kind(np.array([-1.0, 2.0]), 2, 1e-12), kind(np.array([0.0, 2.0]), 2, 1e-12)
('saddle', 'degenerate')
"""
import math
from bisect import bisect_left, bisect_right

import numpy as np

#: Default relative eigenvalue tolerance per Hessian source (see ``analysis.classify``).
RTOL = {"analytic": 1e-10, "finite-difference": 1e-6}
#: Default absolute floor of the eigenvalue tolerance per Hessian source.
ATOL = {"analytic": 1e-12, "finite-difference": 1e-8}


def kind(lam, n, tol):
    """Kind from the whole spectrum ``lam`` of an n x n Hessian (the gradient test has
    passed).  Both signs beyond the band make a saddle even beside zero eigenvalues:
    rank-deficient models have symmetry-induced flat directions at *every* critical
    point."""
    return _decide(int(np.sum(lam < -tol)), int(np.sum(lam > tol)), n)


def kind_of_ascending(lam, tol):
    """:func:`kind` of a whole spectrum given as an ascending list (``eigvalsh``'s order,
    ``.tolist()``): two bisections instead of two array passes, ~1 us at n = 2 against
    ~6 us (every successful newton run classifies its end point).

    >>> kind_of_ascending([-1.0, 2.0], 1e-12), kind_of_ascending([0.0, 2.0], 1e-12)
    ('saddle', 'degenerate')
    """
    n = len(lam)
    return _decide(bisect_left(lam, -tol), n - bisect_right(lam, tol), n)


def _decide(neg, pos, n):
    """The rule, from the counts of eigenvalues below -tol and above tol."""
    if neg and pos:
        return "saddle"
    if neg + pos < n:
        return "degenerate"                     # never a minimum with lambda in the band
    return "minimum" if neg == 0 else "maximum"


#: From this n, :func:`kind_of_symmetric` tries a Cholesky factorization first.
CHOLESKY_FIRST = 16
EPS = float(np.finfo(float).eps)


def kind_of_symmetric(H, rtol, atol):
    """:func:`kind` of a symmetric matrix by the dense rule (tol = max(atol, rtol
    max |lambda|)); ValueError or ``numpy.linalg.LinAlgError`` if its curvature is not finite.

    The common answer, a minimum, is proven without eigenvalues when n >= CHOLESKY_FIRST.
    With t = max(atol, rtol ||H||_F) >= tol (||H||_F >= max |lambda|) and a margin
    e = (n + 1)^2 eps ||H||_F above the factorization's backward error (Higham 2002,
    Thm. 10.3), a finite Cholesky factor of H - (t + max(t, e)) I puts every eigenvalue
    above t >= tol.  n^3 / 3 flops against eigvalsh's reduction to tridiagonal form
    (4 n^3 / 3) and its QR sweeps: 44 against 330 us at n = 100, on every successful
    newton run.  Unproven (no factor), the eigenvalues decide.

    >>> kind_of_symmetric(np.diag([1.0, 2.0]), 1e-10, 1e-12)
    'minimum'
    >>> kind_of_symmetric(np.diag(np.r_[np.ones(20), 0.0]), 1e-10, 1e-12)
    'degenerate'
    """
    if H.ndim == 2 and H.shape[0] >= CHOLESKY_FIRST:
        n = H.shape[0]
        norm = float(np.linalg.norm(H))
        if math.isfinite(norm):          # (max(atol, nan) would be atol)
            t = max(atol, rtol * norm)
            A = H.copy()
            A.flat[::n + 1] -= t + max(t, (n + 1) ** 2 * EPS * norm)
            try:
                # (an OpenBLAS potrf passes a NaN pivot: the factor's diagonal is checked)
                if np.isfinite(np.diagonal(np.linalg.cholesky(A))).all():
                    return "minimum"
            except np.linalg.LinAlgError:
                pass
    lam = np.linalg.eigvalsh(H).tolist()
    if not all(map(math.isfinite, lam)):
        raise ValueError("non-finite curvature")
    return kind_of_ascending(lam, max(atol, rtol * max(-lam[0], lam[-1])))
