"""newtonlab.jit: the same solvers from inside users' @njit code."""
import numba
import numpy as np
import pytest

import newtonlab as nl
import newtonlab.jit as nlj
from newtonlab import problems

ROS = problems.get("rosenbrock")
fun, jac, hess = ROS.fun, ROS.jac, ROS.hess


@numba.njit
def shifted(x, c):
    return (x[0] - c) ** 2 + 10.0 * (x[1] + c) ** 2


@numba.njit
def shifted_jac(x, c):
    return np.array([2.0 * (x[0] - c), 20.0 * (x[1] + c)])


# Each compiled call site links the whole driver into the caller (numba has no separate
# linkage), ~1-2 s of machine-code generation each: the call sites here are kept few.
@numba.njit
def solve_all_from_njit(x0):
    a = nlj.lbfgs(fun, jac, x0, ())
    c = nlj.newton(fun, jac, hess, x0, ())
    return a, c


def test_solvers_inside_njit_match_minimize():
    a, c = solve_all_from_njit(ROS.x0)
    for rec, method in [(a, "lbfgs"), (c, "newton")]:
        ref = nl.minimize(fun, ROS.x0, method=method, jac=jac,
                          hess=hess if method == "newton" else None)
        assert rec.success == ref.success and rec.status == ref.status
        assert rec.nit == ref.nit and rec.nfev == ref.nfev
        np.testing.assert_allclose(rec.x, ref.x, rtol=1e-12)


@numba.njit(parallel=True)
def sweep(cs):
    out = np.empty((cs.size, 2))
    for i in numba.prange(cs.size):
        out[i] = nlj.lbfgs(shifted, shifted_jac, np.zeros(2), (cs[i],)).x
    return out


def test_parameter_sweep_in_prange_with_args():
    cs = np.linspace(-2.0, 2.0, 64)
    xs = sweep(cs)
    np.testing.assert_allclose(xs[:, 0], cs, atol=1e-5)   # gtol = 1e-5, curvature 2
    np.testing.assert_allclose(xs[:, 1], -cs, atol=1e-5)


def test_python_call_returns_same_record():
    r = nlj.bfgs(fun, jac, ROS.x0)
    assert isinstance(r, nlj.JitResult) and r.success
    np.testing.assert_allclose(r.x, 1.0, atol=1e-5)
    d = nlj.gd(fun, jac, ROS.x0, (), 1e-5, 50)
    assert not d.success and d.nit == 50 and nlj.message(d.status).startswith("Maximum number")
    with pytest.raises(ValueError, match="non-finite"):
        nlj.lbfgs(fun, jac, np.array([np.nan, 1.0]))
