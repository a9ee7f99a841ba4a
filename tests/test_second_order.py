"""second_order=True: end points are classified, saddles escaped, and never called minima."""
import numpy as np
import pytest

import newtonlab as nl
from newtonlab import problems

HIM = problems.get("himmelblau")
SADDLES = [c for c in HIM.critical_points if c.kind == "saddle"]


@pytest.mark.parametrize("method", ["newton", "bfgs", "lbfgs"])
@pytest.mark.parametrize("hess_given", [True, False])
def test_started_at_a_saddle_ends_at_a_minimum(method, hess_given):
    x0 = SADDLES[0].x + 1e-9
    kw = {"hess": HIM.hess} if hess_given else {}
    if kw and method != "newton":
        with pytest.warns(RuntimeWarning, match="does not use Hessian"):
            plain = nl.minimize(HIM.fun, x0, method=method, jac=HIM.jac, **kw)
    else:
        plain = nl.minimize(HIM.fun, x0, method=method, jac=HIM.jac, **kw)
    assert plain.success and np.allclose(plain.x, SADDLES[0].x, atol=1e-5)  # gradient test only
    res = nl.minimize(HIM.fun, x0, method=method, jac=HIM.jac, options={"second_order": True}, **kw)
    assert res.success and res.second_order["kind"] == "minimum"
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
    assert res.success and res.second_order["kind"] == "minimum"
    assert res.fun == pytest.approx(0.0, abs=1e-9)
