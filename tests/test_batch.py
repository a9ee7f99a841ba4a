"""minimize_batch: per start, the same result as minimize (compiled loop or per-start calls)."""
import multiprocessing

import numba
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


def assert_rows_are_minimize(R, fun, X0, method, rows=None, **kw):
    """Row i of R is, field for field and bit for bit, minimize's result from X0[i]."""
    for i in range(len(X0)) if rows is None else rows:
        r = nl.minimize(fun, X0[i], method=method, **kw)
        np.testing.assert_array_equal(R.x[i], r.x)
        np.testing.assert_array_equal(R.jac[i], r.jac)
        assert (R.fun[i], R.nit[i], R.nfev[i], R.njev[i], R.nhev[i], R.status[i],
                R.success[i], R.message[i]) == (r.fun, r.nit, r.nfev, r.njev, r.nhev, r.status,
                                                 r.success, r.message), (i, method)


@pytest.mark.parametrize("method", ["lbfgs", "bfgs", "newton", "newton-tr", "newton-cg", "adam"])
def test_each_row_is_minimize_from_that_start(method):
    R = nl.minimize_batch(ROS.fun, X0, method=method, jac=ROS.jac, **derivs(method, ROS))
    assert R.execution == "compiled" and R.x.shape == X0.shape and R.method == method
    assert_rows_are_minimize(R, ROS.fun, X0, method, rows=range(0, len(X0), 7), jac=ROS.jac,
                             **derivs(method, ROS))


def test_python_objectives_run_start_by_start_with_the_same_results():
    Rc = nl.minimize_batch(ROS.fun, X0[:8], method="bfgs", jac=ROS.jac)
    Rp = nl.minimize_batch(ROS.fun.py_func, X0[:8], method="BFGS", jac=ROS.jac.py_func)
    assert Rp.execution == "interpreted" and Rp.method == "bfgs"
    np.testing.assert_allclose(Rp.x, Rc.x, rtol=1e-8, atol=1e-12)
    np.testing.assert_array_equal(Rp.nit, Rc.nit)


@pytest.mark.nojit
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


def test_uneven_shares_fill_every_row():
    """Threads take every workers-th start: any k and any workers give the same rows."""
    X = X0[:11]
    R1 = nl.minimize_batch(ROS.fun, X, jac=ROS.jac, workers=1)
    for w in (2, 4, 50):
        R = nl.minimize_batch(ROS.fun, X, jac=ROS.jac, workers=w)
        for key in ("x", "jac", "fun", "nit", "nfev", "status"):
            np.testing.assert_array_equal(R[key], R1[key])


@pytest.mark.nojit
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


# f = x^4/4 - x^2/2 + y^2: minima at (+-1, 0), a saddle at the origin; starts on x = 0
# stay on it, and Newton converges to the saddle from them
@numba.njit(cache=True)
def w_fun(x):
    return 0.25 * x[0] ** 4 - 0.5 * x[0] ** 2 + x[1] ** 2


@numba.njit(cache=True)
def w_jac(x):
    return np.array([x[0] ** 3 - x[0], 2.0 * x[1]])


@numba.njit(cache=True)
def w_hess(x):
    return np.array([[3.0 * x[0] ** 2 - 1.0, 0.0], [0.0, 2.0]])


@numba.njit(cache=True)
def ramp(x):
    """Unbounded below: first-order methods stop on maxiter with f still falling."""
    return -x[0] + 0.0 * x[1]


@numba.njit(cache=True)
def ramp_jac(x):
    return np.array([-1.0, 0.0])


@pytest.mark.nojit
@pytest.mark.parametrize("method,options", [("lbfgs", {}), ("newton", {}),
                                            ("newton", {"gtol_scale": "g0"})])
def test_end_point_checks_as_minimize(method, options):
    """minimize checks the curvature at a start where the gradient test already holds, and
    Newton classifies its end point with the Hessian it holds: a start at the saddle, and
    Newton runs converging to it, end with status SADDLE (not success) in every row as in
    minimize; the other starts reach a minimum."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [0.5, 0.3], [-0.7, 2.0], [0.0, -0.4]])
    kw = dict(jac=w_jac, options=options, **({"hess": w_hess} if method == "newton" else {}))
    R = nl.minimize_batch(w_fun, X, method=method, workers=2, **kw)
    assert R.status[0] == 14 and not R.success[0]
    if method == "newton":
        assert (R.status[[1, 4]] == 14).all()
    assert R.success[[2, 3]].all()
    assert_rows_are_minimize(R, w_fun, X, method, **kw)


@pytest.mark.nojit
@pytest.mark.parametrize("method", ["gd", "adam"])
def test_maxiter_stops_still_falling_are_probed_as_minimize(method):
    """minimize follows a maxiter stop with f still falling by its unboundedness probe."""
    X = np.array([[0.0, 0.0], [3.0, -1.0]])
    kw = dict(jac=ramp_jac, options={"maxiter": 40})
    R = nl.minimize_batch(ramp, X, method=method, **kw)
    assert (R.status == 16).all() and not R.success.any()       # UNBOUNDED
    assert_rows_are_minimize(R, ramp, X, method, **kw)
    off = nl.minimize_batch(ramp, X, method=method, jac=ramp_jac,
                            options={"maxiter": 40, "unbounded_probe": False})
    assert (off.status == 1).all()


def _child(q):
    q.put(bool(nl.minimize_batch(ROS.fun, X0[:6], jac=ROS.jac, workers=2).success.all()))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork")
def test_a_forked_child_gets_threads_of_its_own():
    """The thread pool is kept for the process; a forked child's copy of it has no threads,
    and waiting on those would hang."""
    nl.minimize_batch(ROS.fun, X0[:4], jac=ROS.jac, workers=2)     # the parent's pool
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    child = ctx.Process(target=_child, args=(q,))
    child.start()
    child.join(120)
    if child.is_alive():
        child.kill()
    assert child.exitcode == 0 and q.get(timeout=5)


@numba.njit(cache=True)
def short_jac(x):     # the wrong shape away from the origin only: found mid-run
    if abs(x[0]) < 0.5:
        return np.array([2.0 * x[0], 2.0 * x[1], 0.0])
    return np.array([2.0 * x[0], 2.0 * x[1]])


@numba.njit(cache=True)
def bowl(x):
    return x[0] ** 2 + x[1] ** 2


@pytest.mark.nojit
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # numba's print
@pytest.mark.parametrize("workers", [1, 2])
def test_an_error_in_a_start_raises_what_minimize_raises(workers):
    """A compiled solve called through a function pointer cannot raise (numba prints the
    exception and returns zeros): the batch must neither crash nor return garbage."""
    X = np.ones((5, 2))
    with pytest.raises(ValueError) as alone:
        nl.minimize(bowl, X[0], jac=short_jac)
    with pytest.raises(ValueError) as batch:
        nl.minimize_batch(bowl, X, jac=short_jac, workers=workers)
    assert str(batch.value) == str(alone.value)
