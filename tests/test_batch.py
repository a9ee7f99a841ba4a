"""minimize_batch: per start, the same result as minimize (compiled loop or per-start calls)."""
import numpy as np
import pytest

import newtonlab as nl
from newtonlab import problems

ROS = problems.get("rosenbrock")
X0 = np.random.default_rng(0).uniform(-2.0, 2.0, size=(40, 2))


def derivs(m, p, py=False):
    info = nl.METHODS[m]
    get = (lambda f: f.py_func) if py else (lambda f: f)
    if info.needs_hess:
        return {"hess": get(p.hess)}
    if info.needs_hessp:
        return {"hessp": get(p.hessp)}
    return {}


@pytest.mark.parametrize("method", ["lbfgs", "bfgs", "newton", "newton-tr", "newton-cg", "adam"])
def test_each_row_is_minimize_from_that_start(method):
    R = nl.minimize_batch(ROS.fun, X0, method=method, jac=ROS.jac, **derivs(method, ROS))
    assert R.execution == "compiled" and R.x.shape == X0.shape and R.method == method
    for i in range(0, len(X0), 7):
        r = nl.minimize(ROS.fun, X0[i], method=method, jac=ROS.jac, **derivs(method, ROS))
        np.testing.assert_array_equal(R.x[i], r.x)
        np.testing.assert_array_equal(R.jac[i], r.jac)
        assert (R.fun[i], R.nit[i], R.nfev[i], R.njev[i], R.nhev[i], R.status[i],
                R.success[i], R.message[i]) == (r.fun, r.nit, r.nfev, r.njev, r.nhev, r.status,
                                                 r.success, r.message)


def test_python_objectives_run_start_by_start_with_the_same_results():
    Rc = nl.minimize_batch(ROS.fun, X0[:8], method="bfgs", jac=ROS.jac)
    Rp = nl.minimize_batch(ROS.fun.py_func, X0[:8], method="BFGS", jac=ROS.jac.py_func)
    assert Rp.execution == "interpreted" and Rp.method == "bfgs"
    np.testing.assert_allclose(Rp.x, Rc.x, rtol=1e-8, atol=1e-12)
    np.testing.assert_array_equal(Rp.nit, Rc.nit)


def test_args_workers_and_options():
    q = problems.get("quadratic", n=5, kappa=10.0)
    X = np.random.default_rng(1).standard_normal((12, 5))
    R1 = nl.minimize_batch(q.fun, X, args=q.args, method="lbfgs", jac=q.jac, workers=1,
                           options={"maxcor": 3})
    R2 = nl.minimize_batch(q.fun, X, args=q.args, method="lbfgs", jac=q.jac, workers=3,
                           options={"m": 3})
    np.testing.assert_array_equal(R1.x, R2.x)
    assert R1.success.all()
    np.testing.assert_allclose(R1.x, np.tile(q.minimizers[0], (12, 1)), atol=1e-4)


def test_bad_starts_and_unsupported_options_raise():
    with pytest.raises(ValueError, match=r"\(k, n\)"):
        nl.minimize_batch(ROS.fun, np.ones(2), jac=ROS.jac)
    bad = X0[:3].copy()
    bad[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"rows \[1\]"):
        nl.minimize_batch(ROS.fun, bad, jac=ROS.jac)
    with pytest.raises(ValueError, match="second_order"):
        nl.minimize_batch(ROS.fun, X0[:2], method="bfgs", jac=ROS.jac,
                          options={"second_order": True})
    with pytest.raises(ValueError, match="unknown method"):
        nl.minimize_batch(ROS.fun, X0[:2], method="nope", jac=ROS.jac)
