"""Least-squares building blocks shared by every MGH problem module.

Why this module exists: all 35 Moré-Garbow-Hillstrom problems are
f(x) = sum_i r_i(x)^2, so each problem only has to supply its residuals r,
its Jacobian J and the product (sum_i w_i hess r_i) p; the value, gradient
2 J^T r, Hessian 2 (J^T J + sum_i r_i hess r_i), Hessian-vector product and
Gauss-Newton product 2 J^T (J v) are assembled here, once, with loops only
(no slicing, no np.dot: compile time matters).  The Python-side helpers
(:func:`scaled_x0`, :func:`check_choice`, :func:`build`) keep the factories
short and uniform.
"""
from __future__ import annotations

import math

import numpy as np
from numba.extending import register_jitable

from .._base import Problem, critical_points_from_table

MGH = ("Moré, J. J., Garbow, B. S. & Hillstrom, K. E. (1981). Testing "
       "unconstrained optimization software. ACM TOMS 7(1), 17-41")
GSL = "GNU Scientific Library, multifit_nlinear test suite (sumsq_exact)"
MW = ("Moré, J. J. & Wild, S. M. (2009). Benchmarking derivative-free "
      "optimization algorithms. SIAM J. Optim. 20(1), 172-191")


# ---------------------------------------------------------------- compiled helpers
@register_jitable
def sumsq(r):
    """sum_i r_i^2."""
    f = 0.0
    for i in range(r.shape[0]):
        f += r[i] * r[i]
    return f


@register_jitable
def grad(J, r):
    """2 J^T r."""
    m, n = J.shape
    g = np.zeros(n)
    for i in range(m):
        ri = 2.0 * r[i]
        for j in range(n):
            g[j] += J[i, j] * ri
    return g


@register_jitable
def gn_product(J, v):
    """2 J^T (J v), never forming J^T J."""
    m, n = J.shape
    out = np.zeros(n)
    for i in range(m):
        s = 0.0
        for j in range(n):
            s += J[i, j] * v[j]
        s *= 2.0
        for j in range(n):
            out[j] += J[i, j] * s
    return out


@register_jitable
def hess_from(J, S):
    """2 (J^T J) + S + S^T with S's columns the products of sum_i r_i hess r_i.

    ``S`` holds ``(sum_i r_i hess r_i) e_k`` in column k; averaging it with its
    transpose (S + S^T is what is added: the factor 2 of the Hessian) makes the
    result exactly symmetric.
    """
    m, n = J.shape
    H = np.empty((n, n))
    for a in range(n):
        for b in range(a, n):
            s = 0.0
            for i in range(m):
                s += J[i, a] * J[i, b]
            h = 2.0 * s + (S[a, b] + S[b, a])
            H[a, b] = h
            H[b, a] = h
    return H


@register_jitable
def hessp_from(J, sp, p):
    """2 J^T (J p) + 2 sp, with sp = (sum_i r_i hess r_i) p."""
    out = gn_product(J, p)
    for j in range(out.shape[0]):
        out[j] += 2.0 * sp[j]
    return out


@register_jitable
def unit(n, k):
    """The k-th unit vector of length n."""
    e = np.zeros(n)
    e[k] = 1.0
    return e


# ---------------------------------------------------------------- factory helpers
def check_choice(name, value, allowed):
    """``value`` as an int if it is one of ``allowed``, else ValueError."""
    if int(value) != value or int(value) not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}, got {value!r}")
    return int(value)


def check_int(name, value, low, multiple=1, high=None):
    """``value`` as an int >= low (and <= high, a multiple of ``multiple``)."""
    if (int(value) != value or value < low or int(value) % multiple
            or (high is not None and value > high)):
        extra = f" and a multiple of {multiple}" if multiple > 1 else ""
        top = f" and <= {high}" if high is not None else ""
        raise ValueError(f"{name} must be an integer >= {low}{top}{extra}, got {value!r}")
    return int(value)


def check_scale(x0_scale):
    """The starting-point multiplier as a float (1, 10 and 100 are MGH's)."""
    s = float(x0_scale)
    if not math.isfinite(s) or s == 0.0:
        raise ValueError(f"x0_scale must be finite and nonzero, got {x0_scale!r}")
    return s


def scaled_x0(x0, s):
    """MGH's scaled start: s * x0 (and s * ones when the standard x0 is 0)."""
    x0 = np.asarray(x0, dtype=np.float64)
    if s == 1.0:
        return x0.copy()
    if not np.any(x0):
        return np.full(x0.shape, s)
    return s * x0


def build(name, funcs, x0, fmin, reference, *, minimizers=(), kinds=(), extra_cps=(),
          convex=False, labels=(), params=(), bounds=None):
    """A :class:`Problem` for an MGH least-squares problem.

    ``funcs`` = (fun, jac, hess, hessp, fg, ggnp); each minimizer in
    ``minimizers`` is also listed as a critical point of kind ``kinds[i]``
    (``"minimum"`` or ``"degenerate"``, index 0); ``extra_cps`` adds other
    ``(x, kind)`` critical points (local minimizers, index 0).
    """
    fun, jac, hess, hessp, fg, ggnp = funcs
    x0 = np.asarray(x0, dtype=np.float64)
    mins = tuple(np.asarray(m, dtype=np.float64) for m in minimizers)
    table = tuple((m, k, 0) for m, k in zip(mins, kinds)) + tuple(
        (np.asarray(c, dtype=np.float64), k, 0) for c, k in extra_cps)
    base = ("convex",) if convex else ("non-convex",)
    # "ill-conditioned" and "singular-hessian-at-min" follow from the Hessians at the
    # listed minimizers (LABELS' rules), computed in NumPy: they depend on n.
    conds = [_cond(getattr(hess, "py_func", hess)(m)) for m in mins]
    worst = max(conds, default=0.0)
    auto = (("ill-conditioned",) if worst >= 1e3 else ()) + (
        ("singular-hessian-at-min",) if worst == np.inf else ())
    return Problem(
        name=name, n=x0.shape[0], fun=fun, jac=jac, hess=hess, hessp=hessp, fg=fg,
        x0=x0, fmin=fmin, minimizers=mins,
        critical_points=critical_points_from_table(fun, table), convex=convex,
        labels=base + auto + tuple(labels) + ("mgh", "least-squares"), reference=reference,
        params=tuple(params), ggnp=ggnp, bounds=bounds)


def _cond(H):
    """Condition number of a symmetric matrix; inf when it is singular (to rounding)."""
    ev = np.linalg.eigvalsh(H)
    return np.inf if ev[0] <= 1e-12 * ev[-1] else float(ev[-1] / ev[0])


def params_of(**kw):
    """Factory parameters for ``Problem.params``: x0_scale only when not 1."""
    out = []
    for k, v in kw.items():
        if k == "x0_scale" and v == 1.0:
            continue
        out.append((k, v))
    return tuple(out)
