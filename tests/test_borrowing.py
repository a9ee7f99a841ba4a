"""Functions compiled without reference counting (``config.jit_borrow``) keep its rule,
and no method's compiled run leaks memory.

A borrowing function that returned an array would hand out a reference it never
counted (freed while still in use); one that called a function returning an array
would never free it.  numba's runtime counts its allocations and frees
(``rtsys.get_allocation_stats``): every array a run allocates must be freed once the
result is dropped.
"""
import json
import os
import subprocess
import sys

import numba
import numpy as np
import pytest
from numba import types

import newtonlab as nl
from newtonlab import problems
from newtonlab._engine import config
from newtonlab.stochastic import FiniteSum, least_squares_fg

pytestmark = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="numba's runtime only")


def holds_array(t):
    """Whether values of numba type ``t`` hold an array (tuples and records searched)."""
    if isinstance(t, types.Array):
        return True
    if isinstance(t, types.BaseTuple):
        return any(holds_array(e) for e in t.types)
    return False


def test_holds_array_sees_nested_arrays():
    arr = types.float64[::1]
    assert holds_array(types.Tuple((types.float64, types.Tuple((types.int64, arr)))))
    assert not holds_array(types.Tuple((types.float64, types.int64, types.boolean)))
    assert not holds_array(types.float64)


ROSENBROCK = problems.get("rosenbrock")
_JAC, _HESS, _HESSP = ROSENBROCK.jac, ROSENBROCK.hess, ROSENBROCK.hessp


# Rosenbrock's derivatives at x0 = (-1.2, 1), where minimize checks their shapes, then one
# of the wrong shape once the run has moved away (x_1 > -1.1): only the compiled loop sees it
@numba.njit
def late_wrong_jac(x):
    return np.zeros(x.size + 1) if x[0] > -1.1 else _JAC(x)


@numba.njit
def late_wrong_hess(x):
    return np.zeros((x.size, x.size + 1)) if x[0] > -1.1 else _HESS(x)


@numba.njit
def late_wrong_hessp(x, v):
    return np.zeros(x.size + 1) if x[0] > -1.1 else _HESSP(x, v)


@numba.njit
def quadratic_batch_product(x, v, idx, A, b):
    """A mini-batch curvature product for the quadratic (the full one: the batch is unused)."""
    return A @ v


def leak_report():
    """Run every method's compiled entries on Rosenbrock, in this process (the child of
    :func:`report`); print the allocations and frees of each second run, and the
    borrowing functions that return an array."""
    import gc

    from numba.core.runtime import rtsys

    p = ROSENBROCK
    runs = []
    for name in sorted(nl.METHODS):
        m = nl.METHODS[name]
        for v in m.variants:
            kw = dict(jac=p.jac, method=name, options={"maxiter": 50, **v.get("options", {})})
            if m.needs_hess and v.get("hess", True):
                kw["hess"] = p.hess
            if m.needs_hessp and v.get("hessp", True):
                kw["hessp"] = p.hessp
            if v.get("bounds"):
                kw["bounds"] = [(-3.0, 3.0)] * p.x0.size
            runs.append((name, str(v), p.fun, p.x0, kw))
    # the other evaluation paths: a fused (f, g), arrays in args, gradients by differences
    q = problems.get("quadratic")
    runs += [("lbfgs", "fused", p.fg, p.x0, dict(jac=True, method="lbfgs")),
             ("newton", "args", q.fun, q.x0, dict(jac=q.jac, hess=q.hess, args=q.args,
                                                  method="newton")),
             ("bfgs", "2-point", p.fun, p.x0, dict(method="bfgs"))]
    # Python parts called back from the compiled loop (_bridge): objmode boxes and unboxes
    runs += [("newton", "python", p.fun.py_func, p.x0,
              dict(jac=p.jac.py_func, hess=p.hess.py_func, method="newton",
                   options={"execution": "compiled"})),
             ("newton-cg", "python hessp", p.fun.py_func, p.x0,
              dict(jac=p.jac.py_func, hessp=p.hessp.py_func, method="newton-cg",
                   options={"execution": "compiled"})),
             ("lbfgs", "python fused", p.fg.py_func, p.x0,
              dict(jac=True, method="lbfgs", options={"execution": "compiled"})),
             ("bfgs", "python callback", p.fun, p.x0,
              dict(jac=p.jac, method="bfgs", callback=lambda xk: None,
                   options={"execution": "compiled"}))]
    # the mini-batch paths: a FiniteSum's batch gradients (fo_driver.eval_batch) and
    # hessian-free's mini-batch products (_hf_batch.batch_products), released as they come
    A, b = q.args
    runs += [("adam", "mini-batch", FiniteSum(least_squares_fg, A.shape[0]), np.zeros(q.n),
              dict(args=(A, b), method="adam", options={"batch_size": 5, "maxiter": 30})),
             ("hessian-free", "curvature_batch", q.fun, q.x0,
              dict(jac=q.jac, hessp=q.hessp, args=q.args, method="hessian-free",
                   options={"curvature_batch": quadratic_batch_product,
                            "curvature_batch_size": 3, "n_samples": 5, "maxiter": 5}))]
    rows = []
    for name, variant, fun, x0, kw in runs:
        res = nl.minimize(fun, x0, **kw)                 # compiles or loads: not counted
        compiled = res.execution == "compiled"
        del res
        gc.collect()
        a = rtsys.get_allocation_stats()
        res = nl.minimize(fun, x0, **kw)
        nit = int(res.nit)
        del res
        gc.collect()
        b = rtsys.get_allocation_stats()
        rows.append([name, variant, compiled, nit, b.alloc - a.alloc, b.free - a.free,
                     b.mi_alloc - a.mi_alloc, b.mi_free - a.mi_free])
    returns = [f"{d.__name__} {sig}" for d in config.BORROWING
               for sig, cres in d.overloads.items() if holds_array(cres.signature.return_type)]
    json.dump({"rows": rows, "returns": returns}, sys.stdout)


@pytest.fixture(scope="module")
def report():
    """:func:`leak_report` in a child process: numba counts allocations only when
    NUMBA_NRT_STATS=1 is set before its runtime starts."""
    env = {**os.environ, "NUMBA_NRT_STATS": "1"}
    out = subprocess.run([sys.executable, __file__], env=env, capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def test_compiled_runs_free_what_they_allocate(report):
    rows = report["rows"]
    assert {r[0] for r in rows} == set(nl.METHODS)
    assert {"fused", "args", "2-point", "python", "python callback", "mini-batch",
            "curvature_batch"} <= {r[1] for r in rows}
    for name, variant, compiled, nit, alloc, free, mi_alloc, mi_free in rows:
        assert compiled and nit > 0, (name, variant)
        assert alloc > 0, (name, variant)              # the counters do count
        assert (free, mi_free) == (alloc, mi_alloc), (name, variant)


@pytest.mark.parametrize("method, derivatives, message", [
    ("bfgs", dict(jac=late_wrong_jac), "jac must return an array of shape (n,) like x0"),
    ("newton", dict(jac=_JAC, hess=late_wrong_hess),
     "hess must return an array of shape (n, n), n = len(x0)"),
    ("newton-cg", dict(jac=_JAC, hessp=late_wrong_hessp),
     "hessp must return an array of shape (n,) like x0")])
def test_compiled_shape_checks_release_and_raise(method, derivatives, message):
    """The borrowing wrappers release the wrong-shaped array the user returned, then raise
    (twice: the process is sound after the first).  numba documents that a raising function
    leaks what it allocated, so the leak report runs only runs that return."""
    for _ in range(2):
        with pytest.raises(ValueError) as info:
            nl.minimize(ROSENBROCK.fun, ROSENBROCK.x0, method=method,
                        options={"execution": "compiled"}, **derivatives)
        assert str(info.value) == message


def test_borrowing_functions_return_no_array(report):
    assert report["returns"] == []


def test_borrowing_functions_are_registered():
    from newtonlab._engine import kernels
    from newtonlab.methods import bfgs, lbfgs
    for fn in (kernels.neg, bfgs.direction, lbfgs.update):
        assert fn in config.BORROWING


if __name__ == "__main__":
    leak_report()
