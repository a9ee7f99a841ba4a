"""classify(): the problem library's critical points, tolerance rules, dense vs
matrix-free agreement, finite differences and bad input."""
import importlib
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
    # a zero eigenvalue beside eigenvalues of both signs: a saddle (issue #8), index unchanged
    r = classify(np.zeros(3), hess=np.diag([-1.0, 0.0, 1.0]))
    assert (r.kind, r.index, r.n_zero) == ("saddle", 1, 1)
    # zero eigenvalues with the rest of one sign, or all zero: degenerate
    for d in ([0.0, 0.0, 1.0], [-2.0, 0.0, -1.0], [0.0, 0.0, 0.0]):
        r = classify(np.zeros(3), hess=np.diag(d))
        assert (r.kind, r.index, r.n_zero) == ("degenerate", int(np.sum(np.less(d, 0))),
                                               d.count(0.0))
    # finite-difference defaults are looser: rtol 1e-6
    r = classify(np.zeros(2), jac=lambda x: np.array([1.0, 1e-8]) * x)
    assert r.kind == "degenerate" and r.hessian_source == "finite-difference"
    assert r.tol == pytest.approx(max(ATOL["finite-difference"], RTOL["finite-difference"]))


def test_tolerance_rule_and_overrides():
    H = np.diag([-3.0, 2e-6, 5.0])
    r = classify(np.zeros(3), hess=H)
    assert r.tol == pytest.approx(5.0 * RTOL["analytic"]) and r.kind == "saddle"
    r = classify(np.zeros(3), hess=H, rtol=1e-6)        # 2e-6 in the band, -3 and 5 beyond
    assert r.tol == pytest.approx(5e-6) and (r.kind, r.n_zero, r.index) == ("saddle", 1, 1)
    r = classify(np.zeros(3), hess=np.abs(H), rtol=1e-6)
    assert r.tol == pytest.approx(5e-6) and (r.kind, r.n_zero, r.index) == ("degenerate", 1, 0)
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
    assert a.index == b.index == c.index and not b.index_is_lower_bound
    assert b.method == "lanczos" and b.n_products > 0
    if kind == "saddle":          # the 7 negative eigenvalues are resolved: k grows past them
        np.testing.assert_allclose(b.eigenvalues[:7], a.eigenvalues[:7], rtol=1e-9)
        assert np.all(b.residuals[:7] <= 1e-10 * np.abs(a.eigenvalues).max())
    else:
        assert not b.complete and b.eigenvalues.size == 6
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


# ---------------------------------------------------------------- issue #8

def _factorization():
    """f(u, v) = 1/2 ||u v^T - A||_F^2, A = diag(3, 1), u, v in R^2, at u = v = e2 (the second
    singular pair): grad = 0, H = [[I, D], [D, I]] with D = diag(-3, 1), spectrum {-2, 0, 2, 4};
    the 0 is the scaling symmetry (u, v) -> (t u, v / t)."""
    A = np.diag([3.0, 1.0])

    def jac(x):
        u, v = x[:2], x[2:]
        R = np.outer(u, v) - A
        return np.r_[R @ v, R.T @ u]

    def hess(x):
        u, v = x[:2], x[2:]
        R = np.outer(u, v) - A
        B = np.outer(u, v) + R
        return np.block([[(v @ v) * np.eye(2), B], [B.T, (u @ u) * np.eye(2)]])
    return np.array([0.0, 1.0, 0.0, 1.0]), jac, hess


@pytest.mark.parametrize("form", ["hess", "hessp", "fd"])
def test_saddle_with_flat_directions(form):
    x, jac, hess = _factorization()
    kw = {"hess": {"hess": hess}, "hessp": {"hessp": lambda z, p: hess(z) @ p}, "fd": {}}[form]
    r = classify(x, jac, **kw)
    np.testing.assert_allclose(r.eigenvalues, [-2.0, 0.0, 2.0, 4.0], atol=1e-6)
    assert (r.kind, r.index, r.n_zero) == ("saddle", 1, 1)
    # matrix-free at n = 2000: two flat directions beside the negative one
    d = np.r_[-2.0, 0.0, 0.0, np.linspace(1.0, 2.0, 1997)]
    r = classify(np.zeros(2000), jac=np.zeros(2000), hessp=lambda z, p: d * p)
    assert (r.kind, r.index, r.index_is_lower_bound) == ("saddle", 1, False)


def _diagonal_saddle(n, neg, seed=0):
    d = np.random.default_rng(seed).uniform(1.0, 10.0, n)
    d[:len(neg)] = neg
    count = [0]

    def hessp(x, p):
        count[0] += 1
        return d * p
    return d, hessp, count


def test_matrix_free_morse_index_counts_every_negative_eigenvalue():
    """Issue #8: n = 1e5, eigenvalues -3, -1, -0.25 and the rest in [1, 10].  Before: stopped
    at the first proof of a saddle (~16 products), index 2, lambda_min unconverged."""
    n = 100_000
    d, hessp, count = _diagonal_saddle(n, [-3.0, -1.0, -0.25])
    r = classify(np.zeros(n), jac=np.zeros(n), hessp=hessp)
    assert (r.kind, r.index) == ("saddle", 3)
    assert not r.index_is_lower_bound and r.note == ""
    np.testing.assert_allclose(r.eigenvalues[:3], [-3.0, -1.0, -0.25], rtol=0, atol=1e-9)
    assert np.all(r.residuals[:3] <= 1e-11 * 10.0)           # rtol / 10 * ||H||
    assert r.eigenvalues[3] > r.tol                           # the next one clears the band
    assert r.n_products == count[0] < 150 and f"({count[0]} products)" in r.which


def test_matrix_free_index_beyond_k_matches_dense_oracle():
    """More negative eigenvalues than k (k grows), a rotated spectrum: the NumPy oracle."""
    rng = np.random.default_rng(1)
    n = 300
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = np.r_[-np.linspace(0.5, 4.0, 11), rng.uniform(0.5, 3.0, n - 11)]
    H = (Q * lam) @ Q.T
    H = 0.5 * (H + H.T)
    want = np.linalg.eigvalsh(H)
    r = classify(np.zeros(n), jac=np.zeros(n), hessp=lambda x, p: H @ p, k=3)
    assert (r.kind, r.index, r.index_is_lower_bound) == ("saddle", 11, False)
    np.testing.assert_allclose(r.eigenvalues[:11], want[:11], rtol=0, atol=1e-9)
    assert r.eigenvalues.size == 2 * (r.eigenvalues.size // 2) > 2 * 11


def test_matrix_free_index_lower_bound_says_why(monkeypatch):
    C = importlib.import_module("newtonlab.analysis.classify")  # not the function `classify`
    n = 2000
    d, hessp, _ = _diagonal_saddle(n, -np.linspace(1.0, 3.0, 20))
    monkeypatch.setattr(C, "_BASIS_CAP", 32 * n)          # room for k <= 7 only
    r = classify(np.zeros(n), jac=np.zeros(n), hessp=hessp, k=3)
    assert r.kind == "saddle" and r.index_is_lower_bound and 1 <= r.index < 20
    assert "more than 6 negative" in r.note and "basis of 32 vectors" in r.note
    assert "(lower bound)" in repr(r) and "note=" in repr(r)
    monkeypatch.undo()
    _, clustered, _ = _diagonal_saddle(n, -np.linspace(1.0, 1.0001, 20))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # lanczos: unconverged
        r = classify(np.zeros(n), jac=np.zeros(n), hessp=clustered, maxiter=0, k=30)
    assert r.kind == "saddle" and r.index_is_lower_bound and 1 <= r.index <= 20
    assert "not resolved in 0 restarts" in r.note
    r = classify(np.zeros(n), jac=np.zeros(n), hessp=hessp)
    assert (r.index, r.index_is_lower_bound) == (20, False)
    # eigenvalues clustered just above zero (flat directions): the index budget ends it
    d[20:1000] = np.random.default_rng(2).uniform(1e-8, 1e-3, 980)
    r = classify(np.zeros(n), jac=np.zeros(n), hessp=hessp, index_budget=200)
    assert r.kind == "saddle" and r.index == 20 and r.index_is_lower_bound
    assert "within 200 products (index_budget)" in r.note and r.n_products < 400


def _cubic(x):       # f = x^3 + y^2: no minimizer, a degenerate critical point at 0
    return np.array([3.0 * x[0] ** 2, 2.0 * x[1]])


@pytest.mark.parametrize("kw", [{"hess": lambda x: np.diag([6.0 * x[0], 2.0])},
                                {"hessp": lambda x, p: np.array([6.0 * x[0], 2.0]) * p},
                                {}])
def test_near_degenerate_point_is_not_a_minimum(kw):
    r = classify([5e-4, 0.0], jac=_cubic, **kw)
    assert r.grad_norm <= r.gtol_used and r.eigenvalues[0] > 1e-3     # looks like a minimum
    assert r.kind == "degenerate" and r.index == 0
    assert r.newton_step == pytest.approx(2.5e-4, rel=1e-3)
    assert r.hess_change == pytest.approx(3e-3, rel=1e-3) and r.tol == 2.0 * r.hess_change
    # the same point with curvature that does not vanish nearby: a minimum
    r = classify([2e-4, 0.0], jac=lambda x: np.array([3e-3 * x[0], 2.0 * x[1]]),
                 hess=lambda x: np.diag([3e-3, 2.0]))
    assert r.kind == "minimum" and r.hess_change == 0.0


def test_near_degenerate_matrix_free_and_other_kinds():
    n = 1000
    d = np.linspace(1.0, 2.0, n - 1)

    def jac(x):
        return np.r_[3.0 * x[0] ** 2, 2.0 * d * x[1:]]
    x = np.zeros(n)
    x[0] = 5e-4
    r = classify(x, jac=jac, hessp=lambda z, p: np.r_[6.0 * z[0], 2.0 * d] * p)
    assert (r.kind, r.method) == ("degenerate", "lanczos") and r.n_products > 0
    # monkey saddle near 0: a saddle of H(x), degenerate at the critical point
    m = problems.monkey_saddle()
    assert classify([0.0, 0.0], m.jac, m.hess).kind == "degenerate"
    assert classify([1e-4, 0.0], m.jac, m.hess).kind == "degenerate"
    # a genuine approximate maximum and saddle survive the check
    p = problems.himmelblau()
    for cp in (p.critical_points[8], p.critical_points[4]):
        r = classify(cp.x + 1e-7, p.jac, p.hess, fun=p.fun)
        assert (r.kind, r.index) == (cp.kind, cp.index) and 0 < r.hess_change < 1e-4
    # a Hessian given as an array cannot be evaluated elsewhere: unchecked, and said so
    r = classify([5e-4, 0.0], jac=_cubic, hess=np.diag([3e-3, 2.0]))
    assert r.kind == "minimum" and np.isnan(r.hess_change) and "not checked" in r.note


def test_inertia_check_helpers_against_numpy():
    from newtonlab.analysis._operator import minres_solve, newton_step_change, norm_of_difference
    rng = np.random.default_rng(4)
    n = 60
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = (Q * np.r_[-2.0, -0.5, rng.uniform(0.5, 3.0, n - 2)]) @ Q.T
    A = 0.5 * (A + A.T)
    B = A + 1e-3 * np.diag(rng.standard_normal(n))
    b = rng.standard_normal(n)
    x, p = minres_solve(A.dot, n, b)                       # indefinite: MINRES, not CG
    scale = np.linalg.norm(A, 2) * np.linalg.norm(x) + np.linalg.norm(b)   # MINRES' own test
    assert np.linalg.norm(A @ x - b) <= 1e-3 * scale and 0 < p <= n + 1
    want = np.linalg.norm(B - A, 2)
    assert norm_of_difference(A, B, n)[0] == pytest.approx(want, rel=1e-12)
    est, p = norm_of_difference(A.dot, B.dot, n)
    assert want <= est <= 1.25 * want and p > 0            # Ritz value + residual bounds it
    # the Newton step over the eigenvalues outside the band: the pseudo-inverse
    A0 = (Q * np.r_[0.0, 1.0, rng.uniform(0.5, 3.0, n - 2)]) @ Q.T
    x0 = np.zeros(n)
    step, change, p, note = newton_step_change(lambda z: A0 if z is x0 else B, A0, x0, b, 1e-8,
                                               n, 0)
    assert step == pytest.approx(np.max(np.abs(np.linalg.pinv(A0, rcond=1e-8) @ b)), rel=1e-8)
    assert change == pytest.approx(np.linalg.norm(B - A0, 2), rel=1e-12) and note == ""


@pytest.mark.parametrize("seed", range(30))
def test_kind_of_symmetric_answers_what_the_eigenvalues_would(seed):
    """The end-point rule's Cholesky shortcut (``_kinds.kind_of_symmetric``) only ever says
    "minimum" where the eigenvalues say so: spectra whose smallest eigenvalue sits inside
    the band |lambda| <= tol, at its edge, just beyond (where only the eigenvalues decide),
    far beyond, or below zero."""
    from newtonlab._kinds import CHOLESKY_FIRST, kind_of_ascending, kind_of_symmetric
    rng = np.random.default_rng(seed)
    n = int(rng.integers(CHOLESKY_FIRST, 60))
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = rng.uniform(1.0, 10.0, n)
    edge = 1e-10 * lam.max()                      # the rule's tol for this spectrum
    lam[0] = edge * [0.0, 0.5, 0.999, 1.001, 1.5, 2.5, 1e3, -1.0, -1e3][seed % 9]
    H = (Q * lam) @ Q.T
    H = 0.5 * (H + H.T)
    ev = np.linalg.eigvalsh(H)
    expected = kind_of_ascending(ev.tolist(), max(1e-12, 1e-10 * max(-ev[0], ev[-1])))
    assert kind_of_symmetric(H, 1e-10, 1e-12) == expected
    assert kind_of_symmetric(-H, 1e-10, 1e-12) == kind_of_ascending(
        (-ev[::-1]).tolist(), max(1e-12, 1e-10 * max(ev[-1], -ev[0])))


def test_kind_of_symmetric_proves_a_minimum_without_eigenvalues(monkeypatch):
    """Smallest eigenvalue well beyond the shortcut's shift (2 rtol ||H||_F): the Cholesky
    factorization alone answers (eigvalsh would raise here); one not finite is never a
    minimum, and a 0-d matrix stays an error the caller turns into "unclassified"."""
    from newtonlab import _kinds
    rng = np.random.default_rng(7)
    n = 40
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = rng.uniform(1.0, 10.0, n)
    lam[0] = 4e-10 * np.sqrt(np.sum(lam ** 2))
    H = (Q * lam) @ Q.T
    H = 0.5 * (H + H.T)

    def no_eigenvalues(*a, **k):
        raise AssertionError("eigvalsh called")
    with monkeypatch.context() as m:
        m.setattr(_kinds.np.linalg, "eigvalsh", no_eigenvalues)
        assert _kinds.kind_of_symmetric(H, 1e-10, 1e-12) == "minimum"
    for bad in (np.nan, np.inf):
        B = H.copy()
        B[5, 3] = B[3, 5] = bad
        with pytest.raises((ValueError, np.linalg.LinAlgError)):
            _kinds.kind_of_symmetric(B, 1e-10, 1e-12)
    with pytest.raises(np.linalg.LinAlgError):
        _kinds.kind_of_symmetric(np.array(2.0), 1e-10, 1e-12)
