"""second_order=True: end points are classified, saddles escaped, and never called minima."""
import numpy as np
import pytest

import newtonlab as nl
from newtonlab import problems

HIM = problems.get("himmelblau")
SADDLES = [c for c in HIM.critical_points if c.kind == "saddle"]


@pytest.mark.parametrize("method", ["newton", "saddle-free-newton", "bfgs", "lbfgs"])
@pytest.mark.parametrize("hess_given", [True, False])
def test_started_at_a_saddle_ends_at_a_minimum(method, hess_given):
    x0 = SADDLES[0].x + 1e-9
    kw = {"hess": HIM.hess} if hess_given else {}
    if kw and not nl.METHODS[method].needs_hess:
        with pytest.warns(RuntimeWarning, match="does not use Hessian"):
            plain = nl.minimize(HIM.fun, x0, method=method, jac=HIM.jac, **kw)
    else:
        plain = nl.minimize(HIM.fun, x0, method=method, jac=HIM.jac, **kw)
    # the gradient test holds at x0; the default end-point check (res.kind) sees the saddle
    assert np.allclose(plain.x, SADDLES[0].x, atol=1e-5) and plain.nit == 0
    assert not plain.success and plain.status == 14 and plain.kind == "saddle"
    res = nl.minimize(HIM.fun, x0, method=method, jac=HIM.jac, options={"second_order": True}, **kw)
    assert res.success and res.second_order["kind"] == "minimum" and res.kind == "minimum"
    assert res.fun == pytest.approx(0.0, abs=1e-10)
    (esc,) = res.second_order["escapes"]
    assert esc["kind"] == "saddle" and esc["lambda_min"] < 0
    assert len(res.trace) == res.nit + 1                      # traces of both legs joined
    assert np.all(np.diff(res.trace["nfev"]) >= 0)
    assert res.nfev > plain.nfev                               # the extra work is counted


def test_maximum_without_escape_budget_reports_saddle_status():
    res = nl.minimize(lambda x: -(x @ x), np.zeros(2), method="bfgs", jac=lambda x: -2 * x,
                      options={"second_order": True, "max_escapes": 0})
    assert not res.success and res.status == 14
    assert res.second_order["kind"] == "maximum"
    np.testing.assert_allclose(res.second_order["eigenvalues"], [-2.0, -2.0], rtol=1e-6)


def test_minimum_is_left_alone():
    p = problems.get("rosenbrock")
    a = nl.minimize(p.fun, p.x0, method="bfgs", jac=p.jac)
    b = nl.minimize(p.fun, p.x0, method="bfgs", jac=p.jac, options={"second_order": True})
    np.testing.assert_array_equal(a.x, b.x)
    assert b.second_order["kind"] == "minimum" and b.second_order["escapes"] == []


@pytest.mark.parametrize("method", ["newton-tr", "sr1", "newton-cg", "cg", "hessian-free"])
def test_every_second_order_solver_offers_the_escape(method):
    assert nl.METHODS[method].defaults["second_order"] is False
    x0 = SADDLES[1].x + 1e-9
    res = nl.minimize(HIM.fun, x0, method=method, jac=HIM.jac, hess=HIM.hess,
                      options={"second_order": True})
    assert res.success and res.second_order["kind"] == "minimum" and res.kind == "minimum"
    assert res.fun == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("method", list(nl.METHODS))
def test_every_method_says_what_its_end_point_is(method):
    """CONTRACT: never plain success at a saddle; a nit-0 stop checks the curvature at x0."""
    m = nl.METHODS[method]
    kw = {"hess": HIM.hess} if m.needs_hess else {"hessp": HIM.hessp} if m.needs_hessp else {}
    res = nl.minimize(HIM.fun, SADDLES[0].x.copy(), method=method, jac=HIM.jac, **kw)
    assert res.nit == 0 and res.kind == "saddle" and res.status == 14 and not res.success
    # a maximum: -(x^2 + y^2) at 0
    mx = nl.minimize(lambda x: -float(x @ x), np.zeros(2), method=method,
                     jac=lambda x: -2.0 * x, **{k: (lambda x: -2.0 * np.eye(2)) if k == "hess"
                                                   else (lambda x, p: -2.0 * p) for k in kw})
    assert mx.kind == "maximum" and mx.status == 14
    # a minimum reached by iterating is "minimum" where the method holds the Hessian there,
    # else "unclassified" (a quasi-Newton or first-order method has no curvature at its end)
    r = nl.minimize(HIM.fun, np.array([1.0, 1.0]), method=method, jac=HIM.jac, **kw)
    expected = "minimum" if method in ("newton", "saddle-free-newton") else "unclassified"
    assert r.kind == (expected if r.success else "unclassified")
