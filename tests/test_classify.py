"""classify(): the problem library's critical points, tolerance rules, dense vs
matrix-free agreement, finite differences and bad input."""
import warnings

import numpy as np
import pytest

import newtonlab as nl
from newtonlab import problems
from newtonlab.analysis import CriticalPoint, classify
from newtonlab.analysis.classify import ATOL, RTOL

LIBRARY = ["rosenbrock", "beale", "wood", "powell_singular", "himmelblau", "six_hump_camel",
           "saddle_xy", "monkey_saddle", "quadratic", "chained_rosenbrock"]


def _points():
    for name in LIBRARY:
        p = problems.get(name)
        for i, cp in enumerate(p.critical_points):
            yield pytest.param(p, cp, id=f"{name}-{i}-{cp.kind}")


@pytest.mark.parametrize("p, cp", list(_points()))
@pytest.mark.parametrize("form", ["hess", "hessp", "fd"])
def test_library_critical_points(p, cp, form):
    kw = {"hess": {"hess": p.hess}, "hessp": {"hessp": p.hessp}, "fd": {}}[form]
    r = classify(cp.x, p.jac, args=p.args, fun=p.fun, **kw)
    assert r.kind == cp.kind
    assert r.index == cp.index
    assert r.fun == pytest.approx(cp.fun, rel=1e-12, abs=1e-12)
    assert r.hessian_source == ("finite-difference" if form == "fd" else "analytic")
    assert r.method == ("lanczos" if form == "hessp" else "dense")
    lam = np.linalg.eigvalsh(p.hess(cp.x, *p.args))
    rtol = 1e-5 if form == "fd" else 1e-9
    np.testing.assert_allclose(r.eigenvalues, lam, rtol=rtol, atol=rtol * np.abs(lam).max())


def test_top_level_export_and_record():
    assert nl.classify is classify and nl.CriticalPoint is CriticalPoint
    r = classify([0.0, 0.0], problems.saddle_xy().jac, problems.saddle_xy().hess)
    with pytest.raises(AttributeError):
        r.kind = "minimum"                      # frozen
    assert (r.kind, r.index, r.n_zero, r.complete, r.which) == ("saddle", 1, 0, True, "all")
    assert r.grad_norm == 0.0 and r.fun is None and r.gtol_used == 1e-6
    assert "saddle" in repr(r)


# ---------------------------------------------------------------- degenerate cases

@pytest.mark.parametrize("kw", [{"hess": lambda x: np.array([[12.0 * x[0] ** 2]])},
                                {"hessp": lambda x, p: 12.0 * x[0] ** 2 * p}, {}])
def test_quartic_is_degenerate(kw):
    r = classify([0.0], jac=lambda x: 4.0 * x ** 3, **kw)
    assert r.kind == "degenerate" and r.n_zero == 1 and r.index == 0


def test_never_minimum_inside_band():
    # analytic: rtol 1e-10 -> 1e-9 is outside the band, 1e-11 inside
    assert classify(np.zeros(2), hess=np.diag([1.0, 1e-9])).kind == "minimum"
    r = classify(np.zeros(2), hess=np.diag([1.0, 1e-11]))
    assert r.kind == "degenerate" and r.tol == pytest.approx(1e-10) and r.n_zero == 1
    assert classify(np.zeros(2), hess=np.diag([-1.0, -1e-11])).kind == "degenerate"
    # a zero eigenvalue beside eigenvalues of both signs: still degenerate (library convention)
    r = classify(np.zeros(3), hess=np.diag([-1.0, 0.0, 1.0]))
    assert (r.kind, r.index, r.n_zero) == ("degenerate", 1, 1)
    # finite-difference defaults are looser: rtol 1e-6
    r = classify(np.zeros(2), jac=lambda x: np.array([1.0, 1e-8]) * x)
    assert r.kind == "degenerate" and r.hessian_source == "finite-difference"
    assert r.tol == pytest.approx(max(ATOL["finite-difference"], RTOL["finite-difference"]))


def test_tolerance_rule_and_overrides():
    H = np.diag([-3.0, 2e-6, 5.0])
    r = classify(np.zeros(3), hess=H)
    assert r.tol == pytest.approx(5.0 * RTOL["analytic"]) and r.kind == "saddle"
    r = classify(np.zeros(3), hess=H, rtol=1e-6)
    assert r.tol == pytest.approx(5e-6) and r.kind == "degenerate"
    r = classify(np.zeros(3), hess=H * 1e-20)           # absolute floor takes over
    assert r.tol == ATOL["analytic"] and r.kind == "degenerate"
    assert classify(np.zeros(3), hess=H * 1e-20, atol=0.0).kind == "saddle"


def test_gradient_test_scales_with_f():
    p = problems.himmelblau()
    cp = p.critical_points[8]                            # maximum, f = 181.6
    g = np.array([1e-5, 0.0])
    r = classify(cp.x, jac=g, hess=p.hess, fun=p.fun)
    assert r.kind == "maximum" and r.gtol_used == pytest.approx(1e-6 * cp.fun)
    assert classify(cp.x, jac=g, hess=p.hess).kind == "non-critical"
    r = classify(p.x0, p.jac, p.hess)
    assert r.kind == "non-critical" and r.grad_norm > 1.0 and r.eigenvalues.size == 2
    r = classify(cp.x, hess=p.hess)                      # no gradient: test skipped
    assert np.isnan(r.grad_norm) and r.kind == "maximum"
    fg = p.fg
    assert classify(cp.x, jac=True, fun=fg, hess=p.hess).kind == "maximum"


# ---------------------------------------------------------------- dense vs matrix-free

@pytest.mark.parametrize("kind", ["minimum", "maximum", "saddle", "degenerate"])
def test_dense_and_matrix_free_agree(kind):
    rng = np.random.default_rng(3)
    n = 40
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    d = rng.uniform(0.5, 3.0, n)
    if kind == "maximum":
        d = -d
    elif kind == "saddle":
        d[:7] *= -1.0
    elif kind == "degenerate":
        d[0] = 0.0
    H = (Q * d) @ Q.T
    H = 0.5 * (H + H.T)
    a = classify(np.zeros(n), hess=H)
    b = classify(np.zeros(n), hessp=lambda x, p: H @ p, k=3)
    c = classify(np.zeros(n), hess=H, method="lanczos", k=3)
    assert a.kind == b.kind == c.kind == kind
    assert b.method == "lanczos" and not b.complete and b.eigenvalues.size == 6
    assert "3 smallest and 3 largest" in b.which
    # Lanczos stops once the signs are certain: extremes within 10 % (residual rule)
    np.testing.assert_allclose(b.eigenvalues[[0, -1]], a.eigenvalues[[0, -1]], rtol=0.1, atol=1e-9)
    dense_from_hessp = classify(np.zeros(n), hessp=lambda x, p: H @ p, method="dense")
    assert dense_from_hessp.kind == kind and dense_from_hessp.complete


@pytest.mark.parametrize("sign, kind", [(1.0, "minimum"), (-1.0, "maximum"), (0.0, "saddle")])
def test_matrix_free_large_n(sign, kind):
    n = 100_000
    d = np.linspace(0.1, 2.0, n) * (sign if sign else 1.0)
    if sign == 0.0:
        d[:10] = -np.arange(1.0, 11.0)
    r = classify(np.zeros(n), jac=np.zeros(n), hessp=lambda x, p: d * p)
    assert r.kind == kind and r.method == "lanczos"
    if kind == "saddle":
        assert r.index >= 1 and r.eigenvalues[0] < -1.0
    else:
        assert abs(r.eigenvalues[0 if sign > 0 else -1] - (0.1 * sign)) < 1e-2


def test_matrix_free_degenerate_and_fd_products():
    n = 5000
    d = np.linspace(0.0, 1.0, n)                     # exactly one zero eigenvalue at the end
    assert classify(np.zeros(n), hessp=lambda x, p: d * p).kind == "degenerate"
    # n > 500: finite differences of jac become matrix-free products
    r = classify(np.ones(n), jac=lambda x: (np.linspace(1.0, 2.0, n) * (x - 1.0)))
    assert (r.kind, r.method, r.hessian_source) == ("minimum", "lanczos", "finite-difference")


# ---------------------------------------------------------------- finite differences

def test_fd_flag_checks_given_hessian():
    p = problems.wood()
    cp = p.critical_points[2]
    r = classify(cp.x, p.jac, hess=p.hess, fd=True)
    assert r.hessian_source == "finite-difference" and r.kind == cp.kind
    np.testing.assert_allclose(r.eigenvalues, np.linalg.eigvalsh(p.hess(cp.x)), rtol=1e-6)
    with pytest.raises(ValueError, match="jac"):
        classify(cp.x, hess=p.hess, fd=True)


# ---------------------------------------------------------------- bad input

def test_asymmetric_hessian_warns_and_symmetrizes():
    H = np.array([[2.0, 1.0], [0.0, 2.0]])
    with pytest.warns(UserWarning, match="not symmetric"):
        r = classify(np.zeros(2), hess=H)
    np.testing.assert_allclose(r.eigenvalues, [1.5, 2.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # rounding-level asymmetry: silent
        classify(np.zeros(2), hess=np.array([[2.0, 1.0], [1.0 + 1e-15, 2.0]]))
    with pytest.warns(UserWarning, match="not symmetric"):
        classify(np.zeros(30), hessp=lambda x, p: np.triu(np.ones((30, 30))) @ p, k=2)


@pytest.mark.parametrize("kw, match", [
    ({"x": [np.nan, 0.0], "hess": np.eye(2)}, "finite"),
    ({"x": np.zeros((2, 2)), "hess": np.eye(2)}, r"1-D.*\(2, 2\)"),
    ({"x": [0.0, 0.0], "hess": np.eye(3)}, r"\(2, 2\).*\(3, 3\)"),
    ({"x": [0.0, 0.0], "hess": [[1.0, np.inf], [np.inf, 1.0]]}, "non-finite"),
    ({"x": [0.0, 0.0], "hess": np.eye(2), "jac": np.zeros(3)}, r"\(2,\).*\(3,\)"),
    ({"x": [0.0, 0.0], "hess": np.eye(2), "jac": lambda x: np.array([np.nan, 0.0])},
     "non-finite"),
    ({"x": [0.0, 0.0], "hessp": lambda x, p: np.zeros(3)}, r"\(2,\).*\(3,\)"),
    ({"x": [0.0, 0.0], "hessp": lambda x, p: p * np.nan}, "non-finite"),
    ({"x": [0.0, 0.0]}, "hess=, hessp= or a callable jac="),
    ({"x": [0.0, 0.0], "hess": np.eye(2), "rtol": -1.0}, "rtol"),
    ({"x": [0.0, 0.0], "hess": np.eye(2), "method": "qr"}, "method"),
    ({"x": [0.0, 0.0], "hess": np.eye(2), "jac": True}, "jac=True"),
])
def test_bad_input(kw, match):
    x = kw.pop("x")
    with pytest.raises(ValueError, match=match):
        classify(x, **kw)
