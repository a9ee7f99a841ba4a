"""Rosenbrock's function, in 2-D and in scipy's chained n-D form.

Why it is here: the curved, narrow valley defeats steepest descent and tests
every globalisation strategy (line search, trust region) of a Newton-type
method; the chained form scales it to any n with a tridiagonal Hessian, so
Hessian-vector products are O(n).  The 2-D problem is the chained form with
n = 2, so both share one set of compiled functions.

All five callables take no ``args``: the dimension comes from ``x.shape``.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.linalg import cholesky_banded, solve_banded

from .._engine.config import jit
from ._base import CriticalPoint, Problem


def _py(f):
    """The Python form of a jitted function (itself when numba's JIT is disabled)."""
    return getattr(f, "py_func", f)

_REF_2D = ("Rosenbrock, H. H. (1960). An automatic method for finding the greatest or "
           "least value of a function. The Computer Journal 3(3), 175-184; "
           "Moré, J. J., Garbow, B. S. & Hillstrom, K. E. (1981). Testing unconstrained "
           "optimization software. ACM TOMS 7(1), 17-41, problem 1.")
_REF_ND = ("Chained form as in scipy.optimize.rosen; local minimizer: Shang, Y.-W. & "
           "Qiu, Y.-H. (2006). A note on the extended Rosenbrock function. "
           "Evolutionary Computation 14(1), 119-126.")


@jit
def rosen_fun(x):
    """Chained Rosenbrock function.

    .. math:: f(x) = \\sum_{i=0}^{n-2} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2
    """
    f = 0.0
    for i in range(x.shape[0] - 1):
        a = x[i + 1] - x[i] * x[i]
        b = 1.0 - x[i]
        f += 100.0 * a * a + b * b
    return f


@jit
def rosen_jac(x):
    """Gradient of :func:`rosen_fun`."""
    g = np.zeros(x.shape[0])
    for i in range(x.shape[0] - 1):
        a = x[i + 1] - x[i] * x[i]
        g[i] += -400.0 * x[i] * a - 2.0 * (1.0 - x[i])
        g[i + 1] += 200.0 * a
    return g


@jit
def rosen_fg(x):
    """Value and gradient of :func:`rosen_fun` in one pass."""
    f = 0.0
    g = np.zeros(x.shape[0])
    for i in range(x.shape[0] - 1):
        a = x[i + 1] - x[i] * x[i]
        b = 1.0 - x[i]
        f += 100.0 * a * a + b * b
        g[i] += -400.0 * x[i] * a - 2.0 * b
        g[i + 1] += 200.0 * a
    return f, g


@jit
def rosen_hess(x):
    """Hessian of :func:`rosen_fun` (tridiagonal, returned dense)."""
    n = x.shape[0]
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0
        H[i + 1, i + 1] += 200.0
        H[i, i + 1] = -400.0 * x[i]
        H[i + 1, i] = -400.0 * x[i]
    return H


@jit
def rosen_hessp(x, p):
    """Hessian of :func:`rosen_fun` times ``p`` in O(n), Hessian never formed."""
    hp = np.zeros(x.shape[0])
    for i in range(x.shape[0] - 1):
        d = 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0
        o = -400.0 * x[i]
        hp[i] += d * p[i] + o * p[i + 1]
        hp[i + 1] += 200.0 * p[i + 1] + o * p[i]
    return hp


@jit
def rosen_ggnp(x, v):
    """Gauss-Newton product 2 J^T (J v) of the residuals 10 (x_{i+1} - x_i^2), 1 - x_i."""
    out = np.zeros(x.shape[0])
    for i in range(x.shape[0] - 1):
        a = 10.0 * (v[i + 1] - 2.0 * x[i] * v[i])       # (J v) for 10 (x_{i+1} - x_i^2)
        out[i] += 2.0 * (-20.0 * x[i] * a + v[i])       # ... and for 1 - x_i: -v_i
        out[i + 1] += 20.0 * a
    return out


def _local_minimizer(n):
    """Newton's method from (-1, 1, ..., 1) on the tridiagonal Hessian.

    Returns the non-global local minimizer of the chained form (n >= 4), or
    None if Newton does not land on a point with gradient < 1e-10 and a
    positive definite Hessian.  Plain NumPy: no compilation.
    """
    def banded_hess(x):                       # rows: upper, diagonal, lower
        ab = np.zeros((3, n))
        ab[1, :-1] = 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
        ab[1, 1:] += 200.0
        ab[0, 1:] = -400.0 * x[:-1]
        ab[2, :-1] = -400.0 * x[:-1]
        return ab

    x = np.ones(n)
    x[0] = -1.0
    for _ in range(50):
        g = _py(rosen_jac)(x)
        if np.linalg.norm(g) < 1e-12:
            break
        x = x - solve_banded((1, 1), banded_hess(x), g)
    if not np.linalg.norm(_py(rosen_jac)(x)) < 1e-10 or np.allclose(x, 1.0):
        return None
    try:                                      # O(n) positive-definiteness test
        cholesky_banded(banded_hess(x)[:2])
    except np.linalg.LinAlgError:
        return None
    return x


@lru_cache(maxsize=None)
def rosenbrock() -> Problem:
    """Rosenbrock's function in 2-D.

    .. math:: f(x, y) = 100 (y - x^2)^2 + (1 - x)^2

    x0 = (-1.2, 1), unique critical point and global minimizer (1, 1) with
    f* = 0 (proven: grad f = 0 forces y = x^2, then x = 1).  cond(hess) at
    the minimizer is about 2508.

    References
    ----------
    Rosenbrock (1960); Moré, Garbow & Hillstrom (1981), problem 1.
    """
    one = np.ones(2)
    return Problem(
        name="rosenbrock", n=2, fun=rosen_fun, jac=rosen_jac, hess=rosen_hess,
        hessp=rosen_hessp, fg=rosen_fg, x0=np.array([-1.2, 1.0]), fmin=0.0,
        minimizers=(one,),
        critical_points=(CriticalPoint(one, "minimum", 0, 0.0),),
        bounds=np.array([[-5.0, 10.0]] * 2), convex=False,
        labels=("non-convex", "ill-conditioned", "mgh", "least-squares"), reference=_REF_2D,
        critical_points_complete=True, ggnp=rosen_ggnp)


def chained_rosenbrock(n: int = 10) -> Problem:
    """Chained (scipy) Rosenbrock function in n dimensions.

    .. math:: f(x) = \\sum_{i=0}^{n-2} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2

    Identical to ``scipy.optimize.rosen``.  x0 = (-1.2, 1, -1.2, 1, ...),
    global minimizer (1, ..., 1) with f* = 0.  For n >= 4 there is also a
    local minimizer near (-1, 1, ..., 1) (f about 3.70 at n = 4, 3.987 at
    n = 10; Shang & Qiu 2006), computed here to full precision by Newton's
    method and listed in ``critical_points``.  For n >= 4 the list is not
    complete: there are saddle points too (e.g. an index-1 saddle with
    f about 9.606 at n = 10) that are not listed.  For n <= 3 the global
    minimizer is the only critical point (checked with a Groebner basis).

    Parameters
    ----------
    n : int, default 10
        Dimension, at least 2.

    References
    ----------
    scipy.optimize.rosen; Shang & Qiu (2006).
    """
    if int(n) != n or n < 2:
        raise ValueError(f"chained_rosenbrock needs an integer n >= 2, got {n!r}")
    return _chained_rosenbrock(int(n))


@lru_cache(maxsize=None)
def _chained_rosenbrock(n):
    x0 = np.where(np.arange(n) % 2 == 0, -1.2, 1.0)
    one = np.ones(n)
    cps = [CriticalPoint(one, "minimum", 0, 0.0)]
    labels = ["non-convex", "ill-conditioned", "scalable"]
    xloc = _local_minimizer(n) if n >= 4 else None
    if xloc is not None:
        cps.append(CriticalPoint(xloc, "minimum", 0, float(_py(rosen_fun)(xloc))))
        labels.append("multimodal")
    return Problem(
        name="chained_rosenbrock", n=n, fun=rosen_fun, jac=rosen_jac, hess=rosen_hess,
        hessp=rosen_hessp, fg=rosen_fg, x0=x0, fmin=0.0, minimizers=(one,),
        critical_points=tuple(cps), bounds=np.array([[-5.0, 10.0]] * n), convex=False,
        labels=tuple(labels), reference=_REF_ND, critical_points_complete=n <= 3,
        params=(("n", n),), ggnp=rosen_ggnp)
