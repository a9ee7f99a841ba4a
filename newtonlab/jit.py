"""newtonlab's solvers, callable from your own ``@njit`` code.

A long-standing request in the numba world (scipy#11783, QuantEcon#416):
call a quasi-Newton solver inside a compiled function, for example inside a
``prange`` loop over thousands of starts or parameter values.  Each function
here works in both worlds: inside ``@njit`` code it compiles into your
function (no Python per iteration); called from Python it runs
:func:`newtonlab.minimize` and returns the same record.

Objectives follow scipy's convention: ``fun(x, *args) -> float``,
``jac(x, *args) -> ndarray``, ``hess(x, *args) -> ndarray`` (all ``@njit``).
Pass ``args`` positionally when calling from compiled code (a tuple, possibly
empty).

Examples
--------
>>> import numpy as np, numba, newtonlab.jit as nlj
>>> @numba.njit
... def f(x, c):
...     return (x[0] - c) ** 2 + 10.0 * x[1] ** 2
>>> @numba.njit
... def g(x, c):
...     return np.array([2.0 * (x[0] - c), 20.0 * x[1]])
>>> @numba.njit
... def solve_many(cs):
...     out = np.empty(cs.size)
...     for i in range(cs.size):
...         r = nlj.lbfgs(f, g, np.array([0.0, 1.0]), (cs[i],))
...         out[i] = r.x[0]
...     return out
>>> np.allclose(solve_many(np.array([1.0, 2.0, 3.0])), [1.0, 2.0, 3.0], atol=1e-6)
True
"""
from collections import namedtuple

import numpy as np
from numba import types
from numba.extending import overload

from ._engine import directions as D
from ._engine import driver as DRV
from ._engine import evaluate as EV
from ._engine.placeholders import STANDINS
from ._engine.signatures import (F64_1D, F64_2D, I64_1D, _no_callback, driver_for, no_callback,
                                 placeholder)
from ._result import MESSAGES, SUCCESSFUL
from ._engine.config import jit, jit_nocache

JitResult = namedtuple("JitResult", "x fun jac nit nfev njev nhev status success")
JitResult.__doc__ = "Result of a newtonlab.jit solver: scipy's fields, as a numba-friendly record."

_SUCCESS = tuple(sorted(SUCCESSFUL))
_REST = (F64_1D, types.int64, F64_1D, I64_1D, F64_2D, F64_2D, F64_2D)


def _prepare(args):
    """At typing time: the line-search driver's cached machine code for this args
    type, and the stand-ins of the empty objective slots, compiled for their signatures."""
    A = types.Tuple(()) if isinstance(args, types.Omitted) or args is None else args
    drv = driver_for(DRV.linesearch_driver, A, _REST)
    k = len(A.types)
    for slot in (2, 3, 4):
        placeholder(slot, A)
    no_callback()
    return drv, STANDINS[2][k], STANDINS[3][k], STANDINS[4][k]


def _default_arrays():
    """Option arrays of every line-search family, from the registry's defaults.

    Built once in Python with the same code ``minimize`` uses, so a compiled
    caller gets exactly the defaults documented in ``newtonlab.METHODS``.
    Row = direction family; maxiter, gtol and m are set per call.
    """
    from ._registry import METHODS
    from ._runners import linesearch_arrays
    fopts = np.zeros((4, DRV.NF_OPTS))
    iopts = np.zeros((4, DRV.NI_OPTS), dtype=np.int64)
    for name, family in (("gd", D.STEEPEST), ("newton", D.NEWTON), ("bfgs", D.BFGS),
                         ("lbfgs", D.LBFGS)):
        fopts[family], iopts[family] = linesearch_arrays(METHODS[name],
                                                         dict(METHODS[name].defaults), 1)
    return fopts, iopts


_FOPTS, _IOPTS = _default_arrays()


@jit
def _options(family, n, gtol, maxiter, m):
    """The registry's default option arrays for ``family`` with the caller's settings."""
    fopt = _FOPTS[family].copy()
    iopt = _IOPTS[family].copy()
    fopt[DRV.F_GTOL] = gtol
    if maxiter <= 0:
        maxiter = 15000 if family == D.LBFGS else 200 * n
    iopt[DRV.I_MAXITER] = maxiter
    if family == D.LBFGS:
        iopt[DRV.I_M] = m
    return fopt, iopt


@jit_nocache   # a thin layer typed by the user's dispatchers; the driver it calls is cached
def _solve(driver, ob, args, x0, family, gtol, maxiter, m):
    n = x0.size
    fopt, iopt = _options(family, n, gtol, maxiter, m)
    trace = np.empty((iopt[DRV.I_MAXITER] + 1, DRV.NCOL))
    Hmat = np.empty((n, n)) if family == D.NEWTON or family == D.BFGS else np.empty((0, 0))
    x, f, g, status, nit, nf, nh = driver(
        ob, _no_callback, args, np.ascontiguousarray(x0).astype(np.float64), family, fopt, iopt,
        trace, np.empty((0, n)), Hmat)
    success = False
    for s in _SUCCESS:
        success = success or status == s
    return JitResult(x, f, g, nit, nf, nf, nh, status, success)


def _python_call(method, fun, jac, hess, x0, args, gtol, maxiter, m):
    from ._minimize import minimize
    opts = {"gtol": gtol}
    if maxiter > 0:
        opts["maxiter"] = maxiter
    if method == "lbfgs":
        opts["m"] = m
    r = minimize(fun, x0, args=tuple(args), method=method, jac=jac, hess=hess, options=opts)
    return JitResult(r.x, r.fun, r.jac, r.nit, r.nfev, r.njev, r.nhev, r.status, r.success)


def lbfgs(fun, jac, x0, args=(), gtol=1e-5, maxiter=0, m=10):
    """L-BFGS with a strong Wolfe line search (maxiter=0: 15000)."""
    return _python_call("lbfgs", fun, jac, None, x0, args, gtol, maxiter, m)


def bfgs(fun, jac, x0, args=(), gtol=1e-5, maxiter=0):
    """BFGS with a strong Wolfe line search (maxiter=0: 200 n)."""
    return _python_call("bfgs", fun, jac, None, x0, args, gtol, maxiter, 0)


def newton(fun, jac, hess, x0, args=(), gtol=1e-5, maxiter=0):
    """Newton with Armijo backtracking and modified Cholesky (maxiter=0: 200 n)."""
    return _python_call("newton", fun, jac, hess, x0, args, gtol, maxiter, 0)


def gd(fun, jac, x0, args=(), gtol=1e-5, maxiter=0):
    """Steepest descent with Armijo backtracking (maxiter=0: 200 n)."""
    return _python_call("gd", fun, jac, None, x0, args, gtol, maxiter, 0)


@overload(lbfgs)
def _ol_lbfgs(fun, jac, x0, args=(), gtol=1e-5, maxiter=0, m=10):
    drv, fused, hs, hp = _prepare(args)

    def impl(fun, jac, x0, args=(), gtol=1e-5, maxiter=0, m=10):
        ob = (fun, jac, fused, hs, hp, EV.G_JAC, EV.H_NONE, EV.HP_NONE)
        return _solve(drv, ob, args, x0, D.LBFGS, gtol, maxiter, m)
    return impl


def _gradient_only(family):
    """The compiled implementation of a method that needs f and g only (bfgs, gd)."""
    def ol(fun, jac, x0, args=(), gtol=1e-5, maxiter=0):
        drv, fused, hs, hp = _prepare(args)

        def impl(fun, jac, x0, args=(), gtol=1e-5, maxiter=0):
            ob = (fun, jac, fused, hs, hp, EV.G_JAC, EV.H_NONE, EV.HP_NONE)
            return _solve(drv, ob, args, x0, family, gtol, maxiter, 0)
        return impl
    return ol


overload(bfgs)(_gradient_only(D.BFGS))
overload(gd)(_gradient_only(D.STEEPEST))


@overload(newton)
def _ol_newton(fun, jac, hess, x0, args=(), gtol=1e-5, maxiter=0):
    drv, fused, _, hp = _prepare(args)

    def impl(fun, jac, hess, x0, args=(), gtol=1e-5, maxiter=0):
        ob = (fun, jac, fused, hess, hp, EV.G_JAC, EV.H_ANALYTIC, EV.HP_NONE)
        return _solve(drv, ob, args, x0, D.NEWTON, gtol, maxiter, 0)
    return impl


def message(status):
    """scipy-style message for a JitResult status."""
    return MESSAGES[int(status)]


__all__ = ["lbfgs", "bfgs", "newton", "gd", "JitResult", "message"]
