"""Convergence-rate estimates against sequences and runs where theory is exact."""
import numpy as np
import pytest

import newtonlab as nl
from newtonlab.analysis import errors_from, estimate_rate, theoretical_rate

# a strongly convex, non-quadratic test function with x* = 0, f* = 3, H(x*) = M + I
M = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.5]])


def fun(x):
    return 0.5 * x @ M @ x + np.sum(np.exp(x) - x)


def jac(x):
    return M @ x + np.exp(x) - 1.0


def hess(x):
    return M + np.diag(np.exp(x))


X0 = np.array([1.0, -0.8, 0.9])


def gd_exact(kappa, steps):
    """Steepest descent with exact line search on f = x^T A x / 2, A = diag(1, kappa), from
    the worst-case start x0 = (1, 1/kappa) (g0 = (1, 1)), where the bound is attained."""
    A = np.diag([1.0, kappa])
    x = np.array([1.0, 1.0 / kappa])
    X = [x.copy()]
    for _ in range(steps):
        g = A @ x
        x = x - (g @ g) / (g @ A @ g) * g          # alpha = g^T g / g^T A g
        X.append(x.copy())
    X = np.array(X)
    return X, 0.5 * np.einsum("ij,jk,ik->i", X, A, X)


# ------------------------------------------------------------------ analytic sequences

def test_analytic_sequences_and_round_off_floor():
    e = 0.5 ** (2.0 ** np.arange(6))                              # e_{k+1} = e_k^2
    r = estimate_rate(np.concatenate([e, [1e-17, 3e-17, 1e-17]]))   # + round-off floor
    assert r.order == pytest.approx(2.0, abs=1e-9) and r.constant == pytest.approx(1.0)
    assert r.kind == "quadratic" and r.window[1] <= 5
    r = estimate_rate(0.3 ** np.arange(30))
    assert r.order == pytest.approx(1.0, abs=1e-9) and r.linear_rate == pytest.approx(0.3)
    assert r.kind == "linear"
    e = [0.5]                                       # e_{k+1} = 2^-k e_k: ratios -> 0
    for k in range(8):
        e.append(e[-1] * 0.5 ** k)
    r = estimate_rate(e)
    assert r.superlinear and r.kind == "superlinear"
    r = estimate_rate(0.5 ** (1.5 ** np.arange(12)))                # order 1.5
    assert r.order == pytest.approx(1.5, abs=1e-9) and r.kind == "superlinear"
    assert estimate_rate(1.0 / np.arange(1, 200)).kind == "sublinear"
    # pre-asymptotic phase: 5 linear steps with ratio 0.9, then quadratic
    e = list(0.9 ** np.arange(5) * 0.5)
    for _ in range(4):
        e.append(e[-1] ** 2)
    r = estimate_rate(e)
    assert r.kind == "quadratic" and r.window[0] >= 3
    assert estimate_rate([1.0, 1e-20]).kind == "insufficient data"


@pytest.mark.parametrize("kappa", [4.0, 10.0, 100.0])
def test_gd_exact_line_search_attains_theory(kappa):
    X, f = gd_exact(kappa, 60)
    rx = estimate_rate(X, x_star=np.zeros(2))
    rf = estimate_rate(f, f_star=0.0)
    tx = theoretical_rate("gd", kappa=kappa)
    tf = theoretical_rate("gd", kappa=kappa, measure="f")
    assert rx.linear_rate == pytest.approx(tx.constant, rel=1e-9)
    assert rf.linear_rate == pytest.approx(tf.constant, rel=1e-9)
    assert rx.order == pytest.approx(1.0, abs=1e-6) and rx.kind == "linear"
    assert rx.matches(tx) and rf.matches(tf)
    assert not rx.matches(theoretical_rate("gd", kappa=2 * kappa))


def test_newton_is_quadratic():
    res = nl.minimize(fun, X0, jac=jac, hess=hess, method="newton",
                      options={"return_all": True, "gtol": 1e-13})
    r = estimate_rate(res, x_star=np.zeros(3))
    assert r.order == pytest.approx(2.0, abs=0.3) and r.kind == "quadratic"
    assert r.matches(theoretical_rate("newton"))
    rf = estimate_rate(res, f_star=3.0)              # f - f* ~ e^2: also order 2
    assert rf.order == pytest.approx(2.0, abs=0.3)


def test_bfgs_is_superlinear():
    res = nl.minimize(fun, X0, jac=jac, method="bfgs",
                      options={"return_all": True, "gtol": 1e-13})
    r = estimate_rate(res, x_star=np.zeros(3))
    assert r.superlinear and r.ratios[-1] < 0.05 and r.order < 1.8
    assert r.matches(theoretical_rate("bfgs"))
    assert not r.matches(theoretical_rate("gd", kappa=10.0))


def test_gd_armijo_is_linear():
    res = nl.minimize(fun, X0, jac=jac, method="gd", options={"return_all": True, "gtol": 1e-10})
    r = estimate_rate(res, x_star=np.zeros(3))
    assert r.kind == "linear" and 0.0 < r.linear_rate < 1.0


# ------------------------------------------------------------------ inputs and theory

def test_errors_from_every_input_form():
    res = nl.minimize(fun, X0, jac=jac, method="bfgs", options={"return_all": True})
    ex = np.linalg.norm(np.array(res.allvecs), axis=1)
    np.testing.assert_allclose(errors_from(res, x_star=np.zeros(3)), ex)
    np.testing.assert_allclose(errors_from(res, f_star=3.0), np.abs(res.trace["f"] - 3.0))
    np.testing.assert_allclose(errors_from(res.trace, f_star=3.0), np.abs(res.trace["f"] - 3.0))
    np.testing.assert_allclose(errors_from(np.array(res.allvecs), x_star=np.zeros(3)), ex)
    np.testing.assert_array_equal(errors_from([0.5, -0.25]), [0.5, 0.25])
    with pytest.raises(ValueError, match="f_star"):
        errors_from(res.trace)
    with pytest.raises(ValueError, match="x_star"):
        errors_from(np.array(res.allvecs))
    with pytest.raises(ValueError, match="shape"):
        errors_from(np.array(res.allvecs), x_star=np.zeros(2))
    res2 = nl.minimize(fun, X0, jac=jac, method="bfgs")
    with pytest.raises(ValueError, match="return_all"):
        errors_from(res2, x_star=np.zeros(3))
    r = estimate_rate(0.3 ** np.arange(30), window=(2, 8))
    assert r.window == (2, 8) and r.ratios.size == 6
    r = estimate_rate(0.3 ** np.arange(30), window=4)   # 0.3^24 is the last above the floor
    assert r.window == (20, 24) and r.floor == pytest.approx(1e3 * np.finfo(float).eps)
    with pytest.raises(ValueError, match="window"):
        estimate_rate(0.3 ** np.arange(30), window=(5, 2))


def test_theoretical_rates():
    assert theoretical_rate("gd", kappa=3.0).constant == pytest.approx(0.5)
    assert theoretical_rate("GD", kappa=3.0, measure="f").constant == pytest.approx(0.25)
    assert theoretical_rate("gd-1/L", kappa=4.0).constant == pytest.approx(0.75)
    assert theoretical_rate("heavy-ball", kappa=9.0).constant == pytest.approx(0.5)
    t = theoretical_rate("newton", hess_lipschitz=2.0, mu=0.5)
    assert (t.order, t.constant, t.superlinear) == (2.0, 2.0, True)
    t = theoretical_rate("bfgs")
    assert (t.order, t.constant, t.superlinear) == (1.0, 0.0, True)
    assert theoretical_rate("lbfgs").constant is None
    for bad in (dict(method="gd"), dict(method="gd", kappa=0.5), dict(method="adam"),
                dict(method="gd", kappa=2.0, measure="g")):
        with pytest.raises(ValueError):
            theoretical_rate(**bad)
