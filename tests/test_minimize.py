"""minimize(): scipy-compatible semantics, bad input, NaN handling, both execution modes."""
import math
import warnings

import numba
import numpy as np
import pytest
from scipy.optimize import OptimizeResult, rosen, rosen_der, rosen_hess

import newtonlab as nl
from newtonlab import problems

ROS = problems.get("rosenbrock")
X0 = ROS.x0
LS_METHODS = ["gd", "newton", "bfgs", "lbfgs"]


def solve(method, fun=ROS.fun, **kw):
    if method == "newton" and "hess" not in kw:
        kw["hess"] = ROS.hess
    kw.setdefault("jac", ROS.jac)
    return nl.minimize(fun, X0, method=method, **kw)


# ------------------------------------------------------------------ results

@pytest.mark.parametrize("method", LS_METHODS)
def test_result_fields_and_trace_schema(method):
    res = solve(method, options={"maxiter": 30})
    assert isinstance(res, OptimizeResult)
    for key in ("x", "fun", "jac", "nit", "nfev", "njev", "nhev", "success", "status", "message",
                "trace"):
        assert key in res
    tr = res.trace
    assert tr.columns[:9] == ("iter", "f", "gnorm", "step", "alpha", "nfev", "njev", "nhev", "time")
    assert tr.columns[9:] == nl.METHODS[method].diagnostics
    assert len(tr) == res.nit + 1
    np.testing.assert_array_equal(tr["iter"], np.arange(res.nit + 1))
    assert tr["nfev"][-1] == res.nfev and tr["njev"][-1] == res.njev
    assert tr["f"][-1] == res.fun
    assert np.all(np.diff(tr["time"]) >= 0) and tr["time"][-1] < 10
    assert np.all(np.diff(tr["f"]) <= 0)          # line searches enforce descent
    assert res.fun == pytest.approx(ROS.fun(res.x), rel=1e-12)


def test_case_insensitive_method_and_defaults_table():
    assert solve("BFGS").success
    for name in LS_METHODS:
        m = nl.METHODS[name]
        assert m.defaults["gtol"] == 1e-5 and m.reference and m.summary


def test_hess_inv_and_hess_returned():
    r = solve("bfgs")
    np.testing.assert_allclose(r.hess_inv, np.linalg.inv(rosen_hess(r.x)), rtol=0.3, atol=0.05)
    r = solve("newton")
    np.testing.assert_allclose(r.hess, rosen_hess(r.x), rtol=1e-12)


# ---------------------------------------------------------- gradient forms

@pytest.mark.parametrize("jac", [None, "2-point", "3-point"])
def test_finite_difference_gradients_counted(jac):
    res = nl.minimize(rosen, X0, method="bfgs", jac=jac)
    assert res.success and np.allclose(res.x, 1.0, atol=1e-4)
    per = 1 + 2 if jac in (None, "2-point") else 1 + 4   # n = 2
    assert res.nfev == per * res.njev


def test_fused_jac_true_compiled_and_python():
    fun, jac = ROS.fun, ROS.jac

    @numba.njit
    def fg(x):
        return fun(x), jac(x)
    r1 = nl.minimize(fg, X0, method="lbfgs", jac=True)
    r2 = nl.minimize(lambda x: (rosen(x), rosen_der(x)), X0, method="lbfgs", jac=True)
    assert r1.execution == "compiled" and r2.execution == "interpreted"
    assert r1.success and r2.success and r1.nit == r2.nit
    np.testing.assert_allclose(r1.x, r2.x, rtol=1e-8)


def test_args_passed_through_both_modes():
    q = problems.get("quadratic", n=5, kappa=10.0)
    r1 = nl.minimize(q.fun, q.x0, args=q.args, jac=q.jac, method="bfgs")
    r2 = nl.minimize(q.fun.py_func, q.x0, args=q.args, jac=q.jac.py_func, method="bfgs")
    assert r1.execution == "compiled" and r2.execution == "interpreted"
    np.testing.assert_allclose(r1.x, q.minimizers[0], atol=1e-5)
    np.testing.assert_allclose(r1.x, r2.x, rtol=1e-10)


def test_newton_with_finite_difference_hessian():
    r = nl.minimize(rosen, X0, jac=rosen_der, method="newton")
    assert r.success and np.allclose(r.x, 1.0, atol=1e-6)
    assert r.nhev == 0 and r.njev > r.nit      # FD Hessian costs gradients, counted


# --------------------------------------------------------------- callbacks

def test_callback_both_forms_and_stopiteration():
    seen_new, seen_old = [], []

    def cb_new(intermediate_result):
        seen_new.append(intermediate_result.fun)
        if len(seen_new) == 3:
            raise StopIteration

    res = solve("bfgs", callback=cb_new)
    assert res.nit == 3 and not res.success and "StopIteration" in res.message
    assert seen_new[-1] == res.fun
    res = solve("lbfgs", callback=lambda xk: seen_old.append(xk))
    assert len(seen_old) == res.nit and res.success
    np.testing.assert_array_equal(seen_old[-1], res.x)


def test_return_all():
    res = solve("lbfgs", options={"return_all": True})
    assert len(res.allvecs) == res.nit + 1
    np.testing.assert_array_equal(res.allvecs[0], X0)
    np.testing.assert_array_equal(res.allvecs[-1], res.x)


def test_tol_sets_gtol_and_maxiter_respected():
    loose = solve("bfgs", tol=1e-2)
    tight = solve("bfgs", tol=1e-9)
    assert loose.nit < tight.nit and np.max(np.abs(tight.jac)) <= 1e-9
    r = solve("bfgs", options={"maxiter": 5})
    assert r.nit == 5 and r.status == 1 and not r.success
    assert r.message == "Maximum number of iterations has been exceeded."


def test_disp_prints(capsys):
    solve("bfgs", options={"disp": True})
    assert "Optimization terminated successfully." in capsys.readouterr().out


# --------------------------------------------------------------- bad input

@pytest.mark.parametrize("x0, msg", [
    ([1.0, np.nan, 2.0], r"non-finite .* indices \[1\]"),
    ([np.inf, 0.0, -np.inf], r"indices \[0, 2\]"),
    (np.zeros((2, 2)), r"1-D"),
    ([], "empty"),
    (["a", "b"], "real numbers"),
])
def test_bad_x0_rejected_before_any_evaluation(x0, msg):
    calls = []

    def f(x):
        calls.append(1)
        return 0.0
    with pytest.raises(ValueError, match=msg):
        nl.minimize(f, x0)
    assert not calls


def test_unknown_method_lists_methods():
    with pytest.raises(ValueError, match=r"unknown method 'nope'.*bfgs"):
        nl.minimize(rosen, X0, method="nope")


def test_unknown_option_names_key():
    with pytest.raises(ValueError, match=r"\['bogus'\].*valid options"):
        solve("bfgs", options={"bogus": 1})


@pytest.mark.parametrize("opts, key", [
    ({"c1": 0.0}, "c1"), ({"c1": 0.5, "c2": 0.4}, "c2"), ({"c2": 1.0}, "c2"),
    ({"maxiter": -1}, "maxiter"), ({"maxiter": 2.5}, "maxiter"), ({"gtol": -1e-3}, "gtol"),
    ({"linesearch": "exact"}, "linesearch"), ({"maxls": 0}, "maxls"),
])
def test_invalid_option_values_named(opts, key):
    with pytest.raises(ValueError, match=key):
        solve("bfgs" if "linesearch" not in opts else "gd", options=opts)


def test_lbfgs_memory_validated():
    with pytest.raises(ValueError, match="'m'"):
        solve("lbfgs", options={"m": 0})


def test_fun_returning_non_scalar_python_and_jitted():
    with pytest.raises(ValueError, match="scalar"):
        nl.minimize(lambda x: x, X0, method="bfgs", jac=rosen_der)

    @numba.njit
    def vec(x):
        return x * 2.0
    with pytest.raises(ValueError, match="fun must return a float"):
        nl.minimize(vec, X0, method="bfgs", jac=ROS.jac)


def test_wrong_gradient_and_hessian_shapes_named():
    with pytest.raises(ValueError, match=r"shape \(2,\), got shape \(3,\)"):
        nl.minimize(rosen, X0, jac=lambda x: np.zeros(3))
    with pytest.raises(ValueError, match=r"shape \(2, 2\), got shape \(2,\)"):
        nl.minimize(rosen, X0, jac=rosen_der, hess=lambda x: np.zeros(2), method="newton")

    @numba.njit
    def bad_jac(x):
        return np.zeros(3)
    with pytest.raises(ValueError, match=r"shape \(2,\), got \(3,\)"):
        nl.minimize(ROS.fun, X0, jac=bad_jac)


def test_hess_for_first_order_method_warns():
    with pytest.warns(RuntimeWarning, match="does not use Hessian"):
        solve("bfgs", hess=rosen_hess)


# ------------------------------------------------------------ non-finite values

def test_nonfinite_f_at_x0_stops_at_once():
    res = nl.minimize(lambda x: np.nan, X0, jac=lambda x: np.zeros(2), method="bfgs")
    assert not res.success and res.nit == 0 and res.nfev == 1
    assert "not finite at x0" in res.message
    np.testing.assert_array_equal(res.x, X0)


@numba.njit
def cliff(x):
    """Rosenbrock that is NaN outside |x| < 1.5: a solver must back off, never return NaN."""
    if abs(x[0]) > 1.5 or abs(x[1]) > 1.5:
        return np.nan
    return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2


@numba.njit
def cliff_jac(x):
    if abs(x[0]) > 1.5 or abs(x[1]) > 1.5:
        return np.full(2, np.nan)
    return np.array([-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]), 200 * (x[1] - x[0] ** 2)])


@pytest.mark.parametrize("method", LS_METHODS)
@pytest.mark.parametrize("compiled", [True, False])
def test_nan_region_backtracked(method, compiled):
    f, g = (cliff, cliff_jac) if compiled else (cliff.py_func, cliff_jac.py_func)
    hess = "3-point" if method == "newton" else None
    res = nl.minimize(f, [-1.2, 1.0], jac=g, hess=hess, method=method, options={"maxiter": 5000})
    assert np.all(np.isfinite(res.x)) and math.isfinite(res.fun)
    assert res.success == (np.max(np.abs(res.jac)) <= 1e-5)
    assert res.fun <= cliff.py_func(np.array([-1.2, 1.0]))


@pytest.mark.parametrize("method", LS_METHODS)
def test_nan_everywhere_but_x0_stops_honestly(method):
    x0 = np.array([1.0, 1.0])

    def f(x):
        return 1.0 if np.array_equal(x, x0) else np.nan

    hess = (lambda x: np.eye(2)) if method == "newton" else None
    res = nl.minimize(f, x0, jac=lambda x: np.ones(2), hess=hess, method=method)
    assert not res.success
    np.testing.assert_array_equal(res.x, x0)
    assert res.fun == 1.0 and res.status in (2, 3)


def test_never_success_without_gradient_test():
    """An unbounded-below function: the solver must not claim success."""
    res = nl.minimize(lambda x: -np.sum(x ** 2) - x[0], [0.1, 0.1],
                      jac=lambda x: -2 * x - np.array([1.0, 0.0]), method="bfgs",
                      options={"maxiter": 50})
    assert not res.success and np.max(np.abs(res.jac)) > 1e-5


# ------------------------------------------------------------ execution modes

@pytest.mark.parametrize("method", LS_METHODS)
def test_compiled_and_interpreted_iterates_equal(method):
    """Same driver source, same objective code: the two modes must agree to round-off."""
    kw = dict(jac=ROS.jac, options={"return_all": True, "maxiter": 60})
    if method == "newton":
        kw["hess"] = ROS.hess
    rc = nl.minimize(ROS.fun, X0, method=method, **kw)
    rp = nl.minimize(ROS.fun.py_func, X0, method=method,
                     **{**kw, "jac": ROS.jac.py_func, **({"hess": ROS.hess.py_func} if method == "newton" else {})})
    assert rc.execution == "compiled" and rp.execution == "interpreted"
    assert rc.nit == rp.nit and rc.nfev == rp.nfev and rc.status == rp.status
    np.testing.assert_allclose(np.array(rc.allvecs), np.array(rp.allvecs), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(rc.trace["f"], rp.trace["f"], rtol=1e-8, atol=1e-14)


def test_jitted_objective_with_python_callback_runs_interpreted_same_iterates():
    rc = solve("bfgs")
    rp = solve("bfgs", callback=lambda xk: None)
    assert rp.execution == "interpreted"
    np.testing.assert_array_equal(rc.x, rp.x)
    assert rc.nit == rp.nit


# ------------------------------------------------------------ compilation

@numba.njit
def _shifted_quadratic(x, c):
    return np.sum((x - c) ** 2), 2.0 * (x - c)


def test_integer_args_share_the_float_compilation():
    """args=(2,) and args=(2.0,) must not compile the solver twice (one args type)."""
    from newtonlab._engine import signatures
    r1 = nl.minimize(_shifted_quadratic, np.zeros(3), args=(2.0,), jac=True, method="bfgs")
    n_compiled = len(signatures._DRIVERS)
    r2 = nl.minimize(_shifted_quadratic, np.zeros(3), args=(2,), jac=True, method="bfgs")
    assert len(signatures._DRIVERS) == n_compiled
    assert r1.execution == r2.execution == "compiled"
    np.testing.assert_array_equal(r1.x, r2.x)
    np.testing.assert_allclose(r2.x, 2.0)


@numba.njit
def _indexed(x, i):
    return (x[i] - 1.0) ** 2 + np.sum(x ** 2) - x[i] ** 2


def test_integer_args_kept_when_the_function_needs_an_integer():
    r = nl.minimize(_indexed, np.zeros(3), args=(1,), method="bfgs")
    assert r.success and r.execution == "compiled"
    np.testing.assert_allclose(r.x, [0.0, 1.0, 0.0], atol=1e-5)


def test_scalar_x0_is_shape_one():
    r = nl.minimize(lambda x: (x[0] - 3.0) ** 2, 0.0, method="bfgs")
    assert r.x.shape == (1,) and abs(r.x[0] - 3.0) < 1e-5


@pytest.mark.parametrize("method", sorted(nl.METHODS))
def test_every_method_same_iterates_compiled_and_interpreted(method):
    """Every registered method: one driver source, two execution modes, the same run."""
    m = nl.METHODS[method]
    kw = {"options": {"return_all": True, "maxiter": 25}}
    given = {"jac": ROS.jac, "hess": ROS.hess if m.needs_hess else None,
             "hessp": ROS.hessp if m.needs_hessp and not m.needs_hess else None}
    rc = nl.minimize(ROS.fun, X0, method=method, **given, **kw)
    plain = {k: (v.py_func if v is not None else None) for k, v in given.items()}
    rp = nl.minimize(ROS.fun.py_func, X0, method=method, **plain, **kw)
    assert rc.execution == "compiled" and rp.execution == "interpreted"
    assert (rc.nit, rc.nfev, rc.njev, rc.nhev, rc.status) == (rp.nit, rp.nfev, rp.njev, rp.nhev,
                                                             rp.status)
    np.testing.assert_allclose(np.array(rc.allvecs), np.array(rp.allvecs), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("method, options, key", [
    ("newton", {"second_order": "False"}, "second_order"),
    ("bfgs", {"disp": "yes"}, "disp"),
    ("newton", {"second_order": True, "max_escapes": "3"}, "max_escapes"),
    ("bfgs", {"return_all": "no"}, "return_all"),
    ("adam", {"schedule": "step", "milestones": 5}, "milestones"),
    ("adam", {"seed": 2 ** 64}, "seed"),
    ("adam", {"lr": "0.1"}, "lr"),
    ("lbfgs", {"m": 2.5}, "m"),
])
def test_option_types_checked_naming_the_key(method, options, key):
    with pytest.raises(ValueError, match=f"option '{key}'"):
        nl.minimize(rosen, X0, jac=rosen_der, hess=rosen_hess if method == "newton" else None,
                    method=method, options=options)


def test_gd_sgd_mode_refuses_line_search_options():
    with pytest.raises(ValueError, match=r"\['c1'\] configure gd's line search"):
        nl.minimize(rosen, X0, jac=rosen_der, method="gd",
                    options={"linesearch": "none", "lr": 1e-3, "c1": 0.3})


# ------------------------------------------------------------------ scipy's names

from newtonlab import _scipy_names  # noqa: E402


@pytest.mark.parametrize("scipy_name", sorted(_scipy_names.METHODS))
def test_scipy_method_names_run_scipys_algorithm(scipy_name):
    """Each scipy name selects a newtonlab method that reaches scipy's answer."""
    from scipy.optimize import minimize as sp_minimize, rosen, rosen_der, rosen_hess
    x0 = np.array([-1.2, 1.0])
    needs_hess = scipy_name in ("newton-cg", "trust-exact", "trust-ncg", "trust-krylov",
                                "dogleg")
    kw = {"hess": rosen_hess} if needs_hess else {}
    res = nl.minimize(rosen, x0, method=scipy_name.upper() if scipy_name != "dogleg"
                      else scipy_name, jac=rosen_der, **kw)
    ref = sp_minimize(rosen, x0, method=scipy_name, jac=rosen_der, **kw)
    name, preset = _scipy_names.METHODS[scipy_name]
    assert res.method == name and res.success and ref.success
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-4)
    np.testing.assert_allclose(res.x, ref.x, atol=1e-3)     # scipy's trust-krylov: 1.4e-4 off
    if preset:   # the preset options are the method's own, also settable by hand
        same = nl.minimize(rosen, x0, method=name, jac=rosen_der, options=preset, **kw)
        assert (same.nit, same.nfev) == (res.nit, res.nfev)


def test_method_none_chooses_as_scipy():
    from scipy.optimize import rosen, rosen_der
    res = nl.minimize(rosen, np.array([-1.2, 1.0]), method=None, jac=rosen_der)
    assert res.method == "bfgs" and res.success


def test_scipy_option_names():
    from scipy.optimize import rosen, rosen_der
    x0 = np.array([-1.2, 1.0])
    a = nl.minimize(rosen, x0, method="L-BFGS-B", jac=rosen_der,
                    options={"maxcor": 3, "maxfun": 20})
    b = nl.minimize(rosen, x0, method="lbfgs", jac=rosen_der, options={"m": 3, "maxfev": 20})
    assert (a.nit, a.nfev, a.status) == (b.nit, b.nfev, b.status)
    np.testing.assert_array_equal(a.x, b.x)
    with pytest.raises(ValueError, match="'eps'.*jac='2-point'"):
        nl.minimize(rosen, x0, method="BFGS", options={"eps": 1e-6})
    with pytest.raises(ValueError, match="'xtol'.*gtol"):
        nl.minimize(rosen, x0, method="Newton-CG", jac=rosen_der, options={"xtol": 1e-8})
    with pytest.raises(ValueError, match="mean the same"):
        nl.minimize(rosen, x0, method="lbfgs", options={"maxcor": 3, "m": 4})
    with pytest.raises(ValueError, match="unknown option"):
        nl.minimize(rosen, x0, method="bfgs", options={"maxcor": 3})    # not bfgs's


def test_stop_iteration_status_is_scipys():
    from scipy.optimize import minimize as sp_minimize, rosen, rosen_der

    def cb(intermediate_result):
        raise StopIteration
    res = nl.minimize(rosen, np.array([-1.2, 1.0]), method="bfgs", jac=rosen_der, callback=cb)
    ref = sp_minimize(rosen, np.array([-1.2, 1.0]), method="BFGS", jac=rosen_der, callback=cb)
    assert res.status == ref.status == 99 and res.message == ref.message
    assert not res.success and res.nit == 1


def test_complex_step_gradient_as_scipy():
    """jac='cs': exact gradients from complex evaluations; same answer and counts rule as
    scipy's (nfev includes the n complex evaluations per gradient)."""
    from scipy.optimize import minimize as sp_minimize

    def f(x):                       # analytic: complex-safe NumPy only
        return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    x0 = np.array([-1.2, 1.0, 0.5])
    res = nl.minimize(f, x0, method="bfgs", jac="cs")
    ref = sp_minimize(f, x0, method="BFGS", jac="cs")
    assert res.success and res.execution == "interpreted"
    np.testing.assert_allclose(res.x, ref.x, atol=1e-5)
    np.testing.assert_allclose(res.x, 1.0, atol=1e-4)
    assert res.nfev == res.njev * (1 + x0.size)
    exact = nl.minimize(f, x0, method="bfgs", jac=lambda x: rosen_der(x))
    assert (res.nit, res.njev) == (exact.nit, exact.njev)      # cs is exact to rounding
    with pytest.raises(ValueError, match="keep complex x complex"):
        nl.minimize(lambda x: float(np.sum(np.abs(x))), x0, method="bfgs", jac="cs")


# ---------------------------------------------------------------- reused plans (_run.plan_for)

@pytest.mark.parametrize("name", [n for n, m in nl.METHODS.items() if m.reusable_plan])
def test_reusable_plans_depend_on_options_and_n_only(name):
    """The contract of ``Method.reusable_plan``: a marked method's ``prepare`` gives the
    same plan for any x0 of the same size and warns of nothing, so ``minimize`` may reuse it;
    and a repeated call (which does reuse it) returns exactly the first call's result."""
    from newtonlab._objective import make_objective
    from newtonlab._registry import get_method
    p = problems.get("chained_rosenbrock", n=6)
    m = get_method(name)
    opts = m.options({})
    for key in ("second_order", "max_escapes"):
        opts.pop(key, None)
    hess = p.hess if m.needs_hess else None
    obj = make_objective(p.fun, p.x0, (), p.jac, hess, None, m.needs_hess, m.needs_hessp)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = m.prepare(dict(opts), obj, p.x0)
        b = m.prepare(dict(opts), obj, -3.0 * p.x0 + 1.0)
    assert a.options == b.options and a.H.shape == b.H.shape and a.solve is b.solve
    assert a.objective is None and b.objective is None
    runs = [nl.minimize(p.fun, p.x0, jac=p.jac, hess=hess, method=name) for _ in range(3)]
    for r in runs[1:]:
        assert np.array_equal(r.x, runs[0].x) and (r.nit, r.nfev) == (runs[0].nit, runs[0].nfev)
        clock = r.trace.columns.index("time")
        assert np.array_equal(np.delete(r.trace.data, clock, axis=1),
                              np.delete(runs[0].trace.data, clock, axis=1), equal_nan=True)
    changed = nl.minimize(p.fun, p.x0, jac=p.jac, hess=hess, method=name,
                          options={"maxiter": 2})
    assert changed.nit <= 2 and runs[0].nit > 2


def test_a_newton_run_classifies_its_end_point_without_the_analysis_package():
    """The end-point rule lives in ``newtonlab._kinds``: a fresh process's first newton
    result does not pay for importing spectra, critical points and plots (~10 ms)."""
    import subprocess
    import sys
    code = ("import sys, newtonlab as nl; from newtonlab import problems; "
            "p = problems.get('rosenbrock'); "
            "r = nl.minimize(p.fun, p.x0, jac=p.jac, hess=p.hess, method='newton'); "
            "print(r.kind, 'newtonlab.analysis' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["minimum", "False"], out.stderr


def test_a_jitted_lbfgs_run_loads_only_what_it_uses():
    """A fresh process's first lbfgs results (jitted objective, fun and jac; the interpreted
    loop over the compiled kernels, then the compiled loop) import neither the
    trust-region and CG kernels, nor the bridge for Python objectives, nor lbfgs's L-BFGS-B
    and compact-form entries, nor any other method's module, and make only the three
    stand-ins of its empty slots (fused, hess, hessp) of args=(), whose machine code no
    run loads, and those of the compiled solve's context args (``_engine/context.py``),
    which only the compiled run loads (issue 12.2: each costs milliseconds of a warm
    process's first result)."""
    import subprocess
    import sys
    code = ("import sys, newtonlab as nl; from newtonlab import problems; "
            "from newtonlab._engine import placeholders as P; "
            "p = problems.get('rosenbrock'); "
            "run = lambda e: nl.minimize(p.fun, p.x0, jac=p.jac, method='lbfgs', "
            "options={'execution': e}); "
            "loaded = lambda: [len(P._MADE[k].overloads) for k in sorted(P._MADE)]; "
            "rs = [run('interpreted')]; seen = loaded(); rs.append(run('compiled')); "
            "print([(r.success, r.execution) for r in rs], sorted(P._MADE), seen, loaded(), "
            "sorted(m for m in sys.modules if m.startswith('newtonlab.methods.') or m in "
            "('newtonlab._engine.tcg', 'newtonlab._engine.trustregion', "
            "'newtonlab._engine.factor', 'newtonlab._engine.krylov', "
            "'newtonlab._engine.box_driver', 'newtonlab._bridge')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == (
        "[(True, 'interpreted'), (True, 'compiled')] [(2, 0), (2, 1), (3, 0), (3, 1), (4, 0), "
        "(4, 1)] [0, 0, 0] [0, 1, 0, 1, 0, 1] "
        "['newtonlab.methods._linesearch', 'newtonlab.methods.lbfgs']"), out.stderr


def test_every_stand_in_raises_when_called():
    """The stand-ins of empty slots are made on first use (``placeholders.standin``), once;
    each refuses to be called instead of returning a made-up value: all 25 as Python (each
    arity's signature), and compiled for args=() (the signatures the warm-up compiles)."""
    from newtonlab._engine.placeholders import MAX_ARGS, standin
    for arity in range(MAX_ARGS + 1):
        for slot in range(5):
            fn = standin(slot, arity)
            assert standin(slot, arity) is fn and hasattr(fn, "py_func")
            call_args = (np.zeros(2),) * (2 if slot == 4 else 1) + (1.0,) * arity
            with pytest.raises(RuntimeError, match="unused objective slot"):
                fn.py_func(*call_args)
            if arity == 0:
                with pytest.raises(RuntimeError, match="unused objective slot"):
                    fn(*call_args)