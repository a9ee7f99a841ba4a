"""Trust-region methods (newton-tr, sr1, hessian-free) through minimize: the driver.

Both execution modes, the radius and damping rules read back from the trace,
the hard case, scipy parity per subproblem, Hessian-vector product counting,
non-finite trials and bad options.  Kernels: ``test_trust_region.py``.
"""
import math

import numba
import numpy as np
import pytest
from scipy.optimize import minimize as scipy_minimize

import newtonlab as nl
from newtonlab import problems
from newtonlab._engine import trustregion as TR

ROS = problems.get("rosenbrock")
TR_METHODS = [("newton-tr", {}), ("newton-tr", {"subproblem": "dogleg"}),
              ("newton-tr", {"subproblem": "cg"}), ("sr1", {}), ("sr1", {"subproblem": "cg"}),
              ("hessian-free", {})]


def solve(method, opts=None, fun=ROS.fun, jac=ROS.jac, hess=ROS.hess, x0=ROS.x0, **kw):
    if not nl.METHODS[method].needs_hess:
        hess = None
    return nl.minimize(fun, x0, method=method, jac=jac, hess=hess, options=opts, **kw)


@pytest.mark.parametrize("method, opts", TR_METHODS, ids=[f"{m}-{o}" for m, o in TR_METHODS])
def test_compiled_and_interpreted_iterates_equal(method, opts):
    o = {**opts, "return_all": True, "maxiter": 60}
    rc = solve(method, o)
    rp = solve(method, o, fun=ROS.fun.py_func, jac=ROS.jac.py_func, hess=ROS.hess.py_func)
    assert rc.execution == "compiled" and rp.execution == "interpreted"
    assert (rc.nit, rc.nfev, rc.njev, rc.nhev, rc.status) == (rp.nit, rp.nfev, rp.njev, rp.nhev,
                                                              rp.status)
    np.testing.assert_allclose(np.array(rc.allvecs), np.array(rp.allvecs), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(rc.trace["f"], rp.trace["f"], rtol=1e-8, atol=1e-14)
    assert rc.success


@pytest.mark.parametrize("method, opts", TR_METHODS, ids=[f"{m}-{o}" for m, o in TR_METHODS])
def test_trace_schema_and_radius_rules(method, opts):
    res = solve(method, opts)
    tr = res.trace
    assert tr.columns[9:] == nl.METHODS[method].diagnostics
    assert len(tr) == res.nit + 1 and tr["nfev"][-1] == res.nfev and tr["nhev"][-1] == res.nhev
    assert np.all(np.diff(tr["f"]) <= 0)                 # only improving steps are committed
    moved = tr["step"][1:] > 0
    if method == "hessian-free":
        lam, rho = tr["lam"], tr["rho"][1:]
        ok = np.where(rho < 0.25, lam[1:] >= 1.5 * lam[:-1] * (1 - 1e-12),
                      np.where(rho > 0.75, np.isclose(lam[1:], lam[:-1] * 2 / 3),
                               np.isclose(lam[1:], lam[:-1]) | ~moved))
        assert np.all(ok)
        return
    delta, rho = tr["alpha"], tr["rho"][1:]
    eta = nl.METHODS[method].defaults["eta"]
    np.testing.assert_array_equal(moved, rho > eta)     # accepted iff rho > eta
    ratio = delta[1:] / delta[:-1]
    shrink = 0.25 if method == "newton-tr" else 0.5
    assert set(np.round(ratio, 12)) <= {shrink, 1.0, 2.0} | {np.round(1000 / d, 12) for d in delta}
    assert np.all(ratio[rho < (0.25 if method == "newton-tr" else 0.1)] == shrink)
    assert delta.max() <= 1000.0


@numba.njit
def double_well(x):
    return (x[0] ** 2 - 1.0) ** 2 + x[1] ** 2


@numba.njit
def double_well_jac(x):
    return np.array([4.0 * x[0] * (x[0] ** 2 - 1.0), 2.0 * x[1]])


@numba.njit
def double_well_hess(x):
    return np.array([[12.0 * x[0] ** 2 - 4.0, 0.0], [0.0, 2.0]])


def test_hard_case_met_by_the_driver():
    """At (0, 0.5) the Hessian is diag(-4, 2) and g = (0, 1) is orthogonal to e_1."""
    res = solve("newton-tr", fun=double_well, jac=double_well_jac, hess=double_well_hess,
                x0=np.array([0.0, 0.5]))
    assert res.trace["hard_case"][1] == 1.0 and res.success
    np.testing.assert_allclose(np.abs(res.x), [1.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("sub, scipy_method, problem", [
    ("cg", "trust-ncg", "rosenbrock"), ("cg", "trust-ncg", "wood"),
    ("dogleg", "dogleg", "rosenbrock"), ("exact", "trust-exact", "beale")])
def test_same_iterations_as_scipy(sub, scipy_method, problem):
    p = problems.get(problem)
    res = nl.minimize(p.fun, p.x0, method="newton-tr", jac=p.jac, hess=p.hess,
                      options={"subproblem": sub})
    ref = scipy_minimize(p.fun, p.x0, method=scipy_method, jac=p.jac, hess=p.hess,
                         options={"gtol": 1e-5})
    assert res.success and ref.success
    assert abs(res.nit - ref.nit) <= 1 and abs(res.nfev - ref.nfev) <= 1
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-5, atol=1e-7)


def test_hessian_vector_products_counted():
    # analytic hessp: one nhev per product, gradients only at trial points
    r = nl.minimize(ROS.fun, ROS.x0, method="newton-tr", jac=ROS.jac, hessp=ROS.hessp,
                    options={"subproblem": "cg"})
    assert r.success and r.njev == r.nfev and r.nhev > r.nit
    # no hess, no hessp: central differences of the gradient, two (f, g) calls per product
    r2 = nl.minimize(ROS.fun, ROS.x0, method="newton-tr", jac=ROS.jac,
                     options={"subproblem": "cg"})
    trials = r2.nit + 1                  # one (f, g) call at x0 and at each trial point
    assert r2.success and r2.nhev == 0 and r2.njev == r2.nfev
    assert (r2.nfev - trials) % 2 == 0 and r2.nfev - trials >= 2 * r2.nit
    # hess given: one Hessian per accepted point, products by matrix multiplication
    r3 = nl.minimize(ROS.fun, ROS.x0, method="hessian-free", jac=ROS.jac, hess=ROS.hess)
    assert r3.success and r3.nhev <= r3.nit and r3.njev == r3.nfev


def test_hessian_free_negative_curvature_and_warm_start():
    p = problems.get("wood")
    res = nl.minimize(p.fun, p.x0, method="hessian-free", jac=p.jac, hessp=p.hessp)
    assert res.success and np.any(res.trace["cg_exit"] == TR.EXIT_NEGCURV)
    cold = nl.minimize(p.fun, p.x0, method="hessian-free", jac=p.jac, hessp=p.hessp,
                       options={"cg_decay": 0.0})
    assert cold.success and cold.nit != res.nit       # the warm start changes the path


@pytest.mark.parametrize("method", ["newton-tr", "sr1", "hessian-free"])
@pytest.mark.parametrize("compiled", [True, False])
def test_nan_trial_rejected_and_region_shrinks(method, compiled):
    from test_minimize import cliff, cliff_jac
    f, g = (cliff, cliff_jac) if compiled else (cliff.py_func, cliff_jac.py_func)
    res = nl.minimize(f, [-1.2, 1.0], jac=g, hess="3-point" if method != "sr1" else None,
                      method=method, options={"initial_trust_radius": 100.0,
                                              "max_trust_radius": 1e3}
                      if method != "hessian-free" else {"damping": 1e-6})
    assert np.all(np.isfinite(res.x)) and math.isfinite(res.fun)
    assert res.success and np.allclose(res.x, 1.0, atol=1e-4)
    if method != "hessian-free":
        nan_trials = np.flatnonzero(np.isneginf(res.trace["rho"]))   # rho = -inf: NaN trial
        assert nan_trials.size and np.all(res.trace["step"][nan_trials] == 0)
        delta = res.trace["alpha"]
        assert np.all(delta[nan_trials] < delta[nan_trials - 1])


@pytest.mark.parametrize("method", ["newton-tr", "sr1", "hessian-free"])
def test_nan_everywhere_but_x0_collapses(method):
    x0 = np.array([1.0, 1.0])

    def f(x):
        return 1.0 if np.array_equal(x, x0) else np.nan
    res = nl.minimize(f, x0, jac=lambda x: np.ones(2), method=method,
                      hess=(lambda x: np.eye(2)) if method != "sr1" else None)
    assert not res.success and res.status == 8 and "collapsed" in res.message
    np.testing.assert_array_equal(res.x, x0)


def test_min_trust_radius_stops_with_its_own_status():
    res = solve("newton-tr", {"initial_trust_radius": 1.0, "min_trust_radius": 0.5})
    assert res.status == 8 and not res.success and res.nit >= 1


def test_callback_maxiter_and_return_all():
    seen = []
    res = solve("sr1", {"maxiter": 7, "return_all": True}, callback=lambda xk: seen.append(xk))
    assert res.nit == 7 and res.status == 1 and len(seen) == 7 and len(res.allvecs) == 8

    def stop(intermediate_result):
        raise StopIteration
    res = solve("newton-tr", callback=stop)
    assert res.nit == 1 and res.status == 99 and not res.success


@pytest.mark.parametrize("method, opts, key", [
    ("newton-tr", {"initial_trust_radius": 0.0}, "initial_trust_radius"),
    ("newton-tr", {"initial_trust_radius": 2000.0}, "initial_trust_radius"),
    ("newton-tr", {"max_trust_radius": -1.0}, "max_trust_radius"),
    ("newton-tr", {"max_trust_radius": np.inf}, "max_trust_radius"),
    ("newton-tr", {"eta": 0.25}, "eta"), ("sr1", {"eta": -0.1}, "eta"),
    ("newton-tr", {"eta": np.nan}, "eta"),
    ("newton-tr", {"subproblem": "lanczos"}, "subproblem"),
    ("sr1", {"subproblem": "dogleg"}, "subproblem"),
    ("newton-tr", {"min_trust_radius": 5.0}, "min_trust_radius"),
    ("newton-tr", {"cg_maxiter": 0}, "cg_maxiter"),
    ("sr1", {"skip_tol": -1.0}, "skip_tol"), ("sr1", {"init_scale": "yes"}, "init_scale"),
    ("hessian-free", {"damping": 0.0}, "damping"),
    ("hessian-free", {"cg_decay": 1.5}, "cg_decay"),
    ("hessian-free", {"c1": 1.0}, "c1"), ("hessian-free", {"maxls": 0}, "maxls"),
    ("hessian-free", {"damping_max": 0.5}, "damping_max"),
    ("hessian-free", {"initial_trust_radius": 1.0}, "initial_trust_radius"),
])
def test_bad_options_named(method, opts, key):
    with pytest.raises(ValueError, match=key):
        solve(method, opts)


def test_sr1_skips_counted():
    res = solve("sr1", {"skip_tol": 0.999, "maxiter": 20})
    skipped = res.trace["skipped"]
    assert np.all(np.diff(skipped) >= 0) and skipped[-1] > 0
    assert solve("sr1").trace["skipped"][-1] == 0        # the default rule never fires here
