"""CG-type line-search methods: nonlinear CG, Newton-CG, saddle-free Newton.

Kernels against NumPy oracles (beta formulas), both execution modes, restart
rules, Hessian-vector product counting, saddle handling and bad options.  The
shared matrix (test_matrix.py) checks minima, scipy parity and pinned counts.
"""
import numpy as np
import pytest

import newtonlab as nl
from newtonlab import problems
from newtonlab._engine import trustregion as TR
from newtonlab.methods import cg as CG
from newtonlab.methods.saddle_free_newton import relative_min_eigenvalue

RNG = np.random.default_rng(3)
ROS = problems.get("rosenbrock")
CG_METHODS = [("cg", {}), ("cg", {"beta": "FR"}), ("cg", {"beta": "HS"}), ("cg", {"beta": "DY"}),
              ("newton-cg", {}), ("newton-cg", {"linesearch": "wolfe"}),
              ("saddle-free-newton", {})]


@pytest.mark.parametrize("rule, name", [(CG.BETA_PRP_PLUS, "PR+"), (CG.BETA_FR, "FR"),
                                        (CG.BETA_HS, "HS"), (CG.BETA_DY, "DY")])
def test_beta_formulas(rule, name):
    for _ in range(20):
        g, g_old, p = RNG.standard_normal((3, 7))
        y = g - g_old
        ref = {"PR+": max(0.0, g @ y / (g_old @ g_old)), "FR": (g @ g) / (g_old @ g_old),
               "HS": (g @ y) / (p @ y), "DY": (g @ g) / (p @ y)}[name]
        beta, ratio = CG.cg_beta(g, g_old, y, p, rule)
        assert beta == pytest.approx(ref, rel=1e-12)
        assert ratio == pytest.approx(abs(g @ g_old) / (g @ g), rel=1e-12)    # N&W eq. 5.52
    # a zero denominator restarts (beta = 0) instead of producing inf/NaN
    z = np.zeros(3)
    assert CG.cg_beta(np.ones(3), z, np.ones(3), z, rule)[0] == 0.0


def test_cg_direction_and_relative_min_eigenvalue():
    g, p = RNG.standard_normal((2, 5))
    out = p.copy()
    CG.cg_direction(g, 0.7, out)
    np.testing.assert_allclose(out, -g + 0.7 * p, rtol=1e-15)
    A = np.diag([-3.0, 1.0, 6.0])
    assert relative_min_eigenvalue(A) == pytest.approx(-0.5)


@pytest.mark.nojit
def test_a_restart_does_not_read_the_previous_direction():
    """beta = 0 gives -g whatever p held (the loop's first p, or garbage: 0 * inf is NaN);
    hager-zhang's direction goes through the same kernel."""
    g = RNG.standard_normal(4)
    out = np.array([np.inf, np.nan, -np.inf, 1e308])
    CG.cg_direction(g, 0.0, out)
    assert np.array_equal(out, -g)


def solve(method, opts=None, fun=ROS.fun, jac=ROS.jac, hess=ROS.hess, x0=ROS.x0, **kw):
    if not nl.METHODS[method].needs_hess:
        hess = None
    return nl.minimize(fun, x0, method=method, jac=jac, hess=hess, options=opts, **kw)


@pytest.mark.parametrize("method, opts", CG_METHODS, ids=[f"{m}-{o}" for m, o in CG_METHODS])
def test_compiled_and_interpreted_iterates_equal(method, opts):
    o = {**opts, "return_all": True, "maxiter": 60}
    rc = solve(method, o)
    rp = solve(method, o, fun=ROS.fun.py_func, jac=ROS.jac.py_func, hess=ROS.hess.py_func)
    assert rc.execution == "compiled" and rp.execution == "interpreted"
    assert (rc.nit, rc.nfev, rc.nhev, rc.status) == (rp.nit, rp.nfev, rp.nhev, rp.status)
    np.testing.assert_allclose(np.array(rc.allvecs), np.array(rp.allvecs), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(rc.trace["f"], rp.trace["f"], rtol=1e-8, atol=1e-14)
    tr = rc.trace
    assert tr.columns[9:] == nl.METHODS[method].diagnostics
    assert np.all(np.diff(tr["f"]) <= 0)


def test_cg_restarts():
    p = problems.get("chained_rosenbrock")
    every = solve("cg", {"restart_every": 3}, fun=p.fun, jac=p.jac, x0=p.x0)
    beta = every.trace["beta"][1:]
    # never more than 3 directions in a row without a steepest-descent restart
    runs = np.diff(np.flatnonzero(np.r_[True, beta == 0.0, True]))
    assert runs.max() <= 3 + 1 and every.trace["restarts"][-1] == np.sum(beta == 0.0)
    # a tiny threshold in N&W eq. 5.52 restarts every iteration: steepest descent throughout
    sd = solve("cg", {"restart_threshold": 1e-300, "maxiter": 20})
    assert np.all(sd.trace["beta"][1:] == 0.0) and sd.trace["restarts"][-1] == 20


def test_cg_first_trial_step_rules_all_converge():
    counts = {}
    for rule in ("scaled", "interpolate", "unit"):
        r = solve("cg", {"initial_step": rule})
        assert r.success and np.allclose(r.x, 1.0, atol=1e-4)
        counts[rule] = r.nfev
    assert counts["scaled"] <= counts["unit"]


def test_newton_cg_products_counted_and_cg_exits():
    p = problems.get("wood")
    r = nl.minimize(p.fun, p.x0, method="newton-cg", jac=p.jac, hessp=p.hessp)
    tr = r.trace
    assert r.success and r.njev == r.nfev
    # one product per CG iteration, plus the one that revealed negative curvature
    products = tr["cg_iters"][1:] + (tr["cg_exit"][1:] == TR.EXIT_NEGCURV)
    assert r.nhev == products.sum() and np.any(tr["cg_exit"] == TR.EXIT_NEGCURV)
    assert tr["cg_iters"].max() <= 20 * 4
    # with the Hessian as a matrix: one Hessian per iteration, products by multiplication
    r2 = nl.minimize(p.fun, p.x0, method="newton-cg", jac=p.jac, hess=p.hess)
    assert r2.nhev == r2.nit and r2.success
    # neither: central differences of the gradient
    r3 = nl.minimize(p.fun, p.x0, method="newton-cg", jac=p.jac)
    assert r3.success and r3.nhev == 0 and r3.njev == r3.nfev > r.nfev
    r4 = solve("newton-cg", {"cg_maxiter": 1, "maxiter": 20}, hess=None, hessp=ROS.hessp)
    assert r4.trace["cg_iters"].max() == 1 and r4.nhev == 20


def test_saddle_free_newton_moves_away_from_a_saddle():
    p = problems.get("saddle_xy")
    # Newton's unit step lands on the saddle (0, 0); |H| sends y away, and the search expands
    r = nl.minimize(p.fun, [1.0, 0.1], method="saddle-free-newton", jac=p.jac, hess=p.hess,
                    options={"maxiter": 3})
    assert r.fun < -100.0 and np.all(np.diff(r.trace["f"]) < 0)
    assert np.all(np.diff(r.trace["step"][1:]) > 0)          # ever longer steps away
    assert np.all(r.trace["min_eig"][1:] == -2.0)
    # f = x^2 - y^2 is unbounded below: f < -1/eps after two steps ends the run
    assert r.status == 16 and r.nit == 2 and not r.success
    # (backtracking: from the unit step it can only shrink; the default Wolfe search
    # extrapolates along the modified direction and leaves the saddle too)
    newton = nl.minimize(p.fun, [1.0, 0.1], method="newton", jac=p.jac, hess=p.hess,
                         options={"maxiter": 3, "linesearch": "armijo"})
    assert r.trace["f"][2] < newton.trace["f"][2]


def test_saddle_free_newton_reports_a_saddle_honestly():
    p = problems.get("saddle_xy")
    r = nl.minimize(p.fun, [0.0, 0.0], method="saddle-free-newton", jac=p.jac, hess=p.hess)
    assert r.status == 14 and not r.success and r.nit == 0 and "saddle" in r.message.lower()
    m = problems.get("himmelblau")
    r = nl.minimize(m.fun, m.x0, method="saddle-free-newton", jac=m.jac, hess=m.hess)
    assert r.success and np.all(np.linalg.eigvalsh(r.hess) > 0)


@pytest.mark.parametrize("method, opts, key", [
    ("cg", {"beta": "PRP"}, "beta"), ("cg", {"restart_every": 0}, "restart_every"),
    ("cg", {"restart_threshold": 0.0}, "restart_threshold"),
    ("cg", {"initial_step": "exact"}, "initial_step"), ("cg", {"c2": 1e-5}, "c2"),
    ("newton-cg", {"cg_maxiter": 0}, "cg_maxiter"), ("newton-cg", {"beta": "PR+"}, "beta"),
    ("saddle-free-newton", {"saddle_tol": -1.0}, "saddle_tol"),
    ("saddle-free-newton", {"eig_floor": 0.0}, "eig_floor"),
    ("saddle-free-newton", {"hess_mod": "cholesky"}, "hess_mod"),
])
def test_bad_options_named(method, opts, key):
    with pytest.raises(ValueError, match=key):
        solve(method, opts)


@pytest.mark.parametrize("method", ["cg", "newton-cg", "saddle-free-newton"])
@pytest.mark.parametrize("compiled", [True, False])
def test_nan_region_backtracked(method, compiled):
    from test_minimize import cliff, cliff_jac
    f, g = (cliff, cliff_jac) if compiled else (cliff.py_func, cliff_jac.py_func)
    hess = "3-point" if nl.METHODS[method].needs_hess else None
    res = nl.minimize(f, [-1.2, 1.0], jac=g, hess=hess, method=method, options={"maxiter": 5000})
    assert np.all(np.isfinite(res.x)) and np.isfinite(res.fun)
    assert res.success and np.allclose(res.x, 1.0, atol=1e-4)
