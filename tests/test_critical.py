"""find_critical_points: complete critical-point sets, compiled vs interpreted, oracles, bad input.

The reference sets are the problem library's ``critical_points`` (complete for
every problem used here, computed independently from Groebner bases); the
compiled kernels are checked against slow NumPy oracles written from the
algorithm's equations, not from the kernels.
"""
import math

import numpy as np
import pytest

import newtonlab as nl
from newtonlab import problems as P
from newtonlab._objective import make_objective
from newtonlab.analysis import _critical_kernels as CK
from newtonlab.analysis.critical import find_critical_points, sample_box

COMPLETE = ["himmelblau", "six_hump_camel", "beale", "wood", "saddle_xy", "monkey_saddle",
            "powell_singular"]


def match(found, problem, tol=1e-6):
    """For each reference point: the found point within tol (box-scaled), or None."""
    w = problem.bounds[:, 1] - problem.bounds[:, 0]
    out = []
    for cp in problem.critical_points:
        d = [np.max(np.abs(q.x - cp.x) / w) for q in found]
        j = int(np.argmin(d)) if d else -1
        out.append(found[j] if j >= 0 and d[j] <= tol else None)
    return out


# ------------------------------------------------------------------ reference sets

@pytest.mark.parametrize("name,count", [("himmelblau", 9), ("six_hump_camel", 15)])
def test_finds_every_critical_point_with_its_kind(name, count):
    p = P.get(name)
    pts = nl.find_critical_points(p.fun, p.jac, p.hess, p.bounds, n_starts=256, seed=0)
    assert len(pts) == count == len(p.critical_points)
    for cp, q in zip(p.critical_points, match(pts, p, 1e-9)):
        assert q is not None, f"missed {cp}"
        assert (q.kind, q.index) == (cp.kind, cp.index)
        assert q.fun == pytest.approx(cp.fun, rel=1e-12, abs=1e-12)
        assert q.eigenvalues.shape == (2,) and q.grad_norm <= 1e-9 * max(1.0, abs(q.fun))
    assert sum(q.n_hits for q in pts) == pts.info["n_converged"] == 256
    kinds = [q.kind for q in pts]
    assert kinds == sorted(kinds, key=["minimum", "saddle", "maximum"].index)
    for a, b in zip(pts, pts[1:]):           # sorted by (kind, fun)
        assert a.kind != b.kind or a.fun <= b.fun


@pytest.mark.parametrize("name", ["beale", "wood", "saddle_xy", "monkey_saddle", "powell_singular"])
def test_other_complete_sets(name):
    """Saddles of Beale and Wood, and degenerate points (monkey saddle, Powell's minimizer)."""
    p = P.get(name)
    pts = nl.find_critical_points(p.fun, p.jac, p.hess, p.bounds, n_starts=512, seed=0)
    assert len(pts) == len(p.critical_points)
    for cp, q in zip(p.critical_points, match(pts, p, 1e-4)):
        assert q is not None and q.kind == cp.kind, (cp, q)


def test_compiled_batch_equals_interpreted_twin():
    p = P.get("six_hump_camel")
    a = find_critical_points(p.fun, p.jac, p.hess, p.bounds, n_starts=128, seed=3)
    b = find_critical_points(p.fun.py_func, p.jac.py_func, p.hess.py_func, p.bounds,
                             n_starts=128, seed=3)
    assert (a.info["execution"], b.info["execution"]) == ("compiled", "interpreted")
    assert [q.kind for q in a] == [q.kind for q in b]
    assert [q.n_hits for q in a] == [q.n_hits for q in b]
    np.testing.assert_allclose([q.x for q in a], [q.x for q in b], rtol=0, atol=1e-13)
    assert (a.info["nfev"], a.info["nhev"]) == (b.info["nfev"], b.info["nhev"])


def test_seeded_reproducible_and_seed_independent_answer():
    p = P.get("himmelblau")
    a = find_critical_points(p.fun, p.jac, p.hess, p.bounds, n_starts=200, seed=7)
    b = find_critical_points(p.fun, p.jac, p.hess, p.bounds, n_starts=200, seed=7)
    c = find_critical_points(p.fun, p.jac, p.hess, p.bounds, n_starts=200, seed=8)
    assert all(np.array_equal(q.x, r.x) and q.n_hits == r.n_hits for q, r in zip(a, b))
    assert [q.n_hits for q in a] != [q.n_hits for q in c]   # other starts...
    assert [q.kind for q in a] == [q.kind for q in c]       # ...same answer
    for s in ("sobol", "halton", "uniform"):
        X = sample_box(p.bounds[:, 0], p.bounds[:, 1], 100, 1, s)
        assert X.shape == (100, 2) and np.array_equal(X, sample_box(p.bounds[:, 0],
                                                                    p.bounds[:, 1], 100, 1, s))
        assert np.all((X >= -5) & (X <= 5))


def test_finite_differences_args_and_explicit_starts():
    p = P.get("six_hump_camel")
    pts = find_critical_points(p.fun, "3-point", "3-point", p.bounds, n_starts=256, tol=1e-7)
    assert [q.kind for q in pts] == [cp.kind for cp in p.critical_points]
    assert all(q is not None for q in match(pts, p, 1e-6))
    # plain-Python callables with args: Himmelblau shifted by c
    h = P.get("himmelblau")
    c = np.array([0.5, -0.25])
    pts = find_critical_points(lambda x, c: h.fun.py_func(x - c), lambda x, c: h.jac.py_func(x - c),
                               lambda x, c: h.hess.py_func(x - c), h.bounds + c[:, None],
                               n_starts=128, args=(c,))
    assert pts.info["execution"] == "interpreted"
    got = np.array(sorted(tuple(q.x - c) for q in pts))
    want = np.array(sorted(tuple(cp.x) for cp in h.critical_points))
    np.testing.assert_allclose(got, want, atol=1e-9)
    one = find_critical_points(h.fun, h.jac, h.hess, h.bounds, starts=[[3.3, 0.1]])
    assert len(one) == 1 and one[0].kind == "saddle" and one.info["sampling"] == "given"


def test_slowly_converging_degenerate_point_is_merged():
    """Issue #8: f = x^4 - y^4 has one critical point, the degenerate origin; the runs stop at
    ||grad|| <= tol on a ring of radius ~2.5e-4 around it, 20 x merge_tol apart.  Before:
    4 copies.  The merge radius is DIST_FACTOR Newton steps (distance 3 steps here)."""
    fun = lambda x: x[0] ** 4 - x[1] ** 4                      # noqa: E731
    jac = lambda x: np.array([4.0 * x[0] ** 3, -4.0 * x[1] ** 3])  # noqa: E731
    hess = lambda x: np.diag([12.0 * x[0] ** 2, -12.0 * x[1] ** 2])  # noqa: E731
    pts = find_critical_points(fun, jac, hess, [[-1.0, 1.0], [-1.0, 1.0]], n_starts=256)
    assert len(pts) == 1 and pts[0].kind == "degenerate"
    assert pts[0].n_hits == pts.info["n_converged"] > 4 and np.max(np.abs(pts[0].x)) < 1e-3
    assert pts[0].step == pytest.approx(np.max(np.abs(pts[0].x)) / 3.0, rel=1e-6)


def test_merge_keeps_close_nondegenerate_points_apart():
    """f = x^3/3 - eps^2 x + y^2: a minimum at (eps, 0) and a saddle at (-eps, 0), 2e-3 apart
    in box units (20 merge_tol): Newton converges quadratically there, tiny steps, no merge."""
    eps = 2e-3
    fun = lambda x: x[0] ** 3 / 3.0 - eps ** 2 * x[0] + x[1] ** 2  # noqa: E731
    jac = lambda x: np.array([x[0] ** 2 - eps ** 2, 2.0 * x[1]])   # noqa: E731
    hess = lambda x: np.diag([2.0 * x[0], 2.0])                   # noqa: E731
    pts = find_critical_points(fun, jac, hess, [[-1.0, 1.0], [-1.0, 1.0]], n_starts=256,
                               tol=1e-12)
    assert [(q.kind, q.index) for q in pts] == [("minimum", 0), ("saddle", 1)]
    np.testing.assert_allclose([q.x[0] for q in pts], [eps, -eps], rtol=1e-9)


def test_points_outside_the_box_are_not_reported():
    s = P.get("saddle_xy")      # only critical point: the origin
    pts = find_critical_points(s.fun, s.jac, s.hess, [[0.5, 1.0], [0.5, 1.0]], n_starts=16)
    assert len(pts) == 0 and pts.info["n_converged"] == 0
    pts = find_critical_points(s.fun, s.jac, s.hess, [[0.5, 1.0], [0.5, 1.0]], n_starts=16,
                               margin=1.0)
    assert len(pts) == 0 and pts.info["status_counts"]["outside"] == 16


@pytest.mark.parametrize("bounds,msg", [
    ([[-1.0, np.inf], [0.0, 1.0]], "finite"),
    ([[np.nan, 1.0], [0.0, 1.0]], "finite"),
    ([[1.0, 1.0], [0.0, 1.0]], "empty box"),
    ([[2.0, 1.0], [0.0, 1.0]], "empty box"),
    ([-1.0, 1.0], "shape"),
    ([[-1.0, 0.0, 1.0]], "shape"),
    (np.zeros((0, 2)), "shape"),
    ("abc", "bounds"),
])
def test_bad_bounds(bounds, msg):
    p = P.get("himmelblau")
    with pytest.raises(ValueError, match=msg):
        find_critical_points(p.fun, p.jac, p.hess, bounds)


@pytest.mark.parametrize("kw,msg", [
    (dict(n_starts=0), "n_starts"), (dict(n_starts=-3), "n_starts"),
    (dict(n_starts=2.5), "n_starts"), (dict(n_starts=True), "n_starts"),
    (dict(tol=0.0), "tol"), (dict(tol=math.nan), "tol"), (dict(maxiter=0), "maxiter"),
    (dict(merge_tol=-1.0), "merge_tol"), (dict(margin=-0.1), "margin"),
    (dict(sampling="grid"), "sampling"), (dict(starts=[[0.0, 0.0, 0.0]]), "starts"),
])
def test_bad_options(kw, msg):
    p = P.get("himmelblau")
    with pytest.raises(ValueError, match=msg):
        find_critical_points(p.fun.py_func, p.jac.py_func, p.hess.py_func, p.bounds, **kw)


# ------------------------------------------------------------------ kernel oracles

def test_leaf_kernels_match_numpy():
    rng = np.random.default_rng(0)
    for n in (1, 2, 5):
        H = rng.standard_normal((n, n))
        g, p, x = rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal(n)
        A, b = np.empty((n, n)), np.empty(n)
        CK.lm_system(H, g, A, b)
        np.testing.assert_allclose(A, H.T @ H, rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(b, -H.T @ g, rtol=1e-14, atol=1e-14)
        pred = 0.5 * g @ g - 0.5 * np.sum((g + H @ p) ** 2)
        assert CK.predicted_reduction(H, g, p) == pytest.approx(pred, rel=1e-12, abs=1e-13)
        lo, hi = -0.5 * np.ones(n), 0.5 * np.ones(n)
        xt, q = np.empty(n), p.copy()
        m = CK.box_step(x, q, lo, hi, xt)
        np.testing.assert_array_equal(xt, np.clip(x + p, lo, hi))
        np.testing.assert_allclose(q, np.clip(x + p, lo, hi) - x, atol=1e-15)
        assert m == np.max(np.abs(q))


def lm_oracle(fun, jac, hess, x, lo, hi, gtol, xtol, tau, xscale, maxiter):
    """Levenberg-Marquardt on grad f = 0 from the equations (Madsen-Nielsen-Tingleff 3.16)."""
    g, H = jac(x), hess(x)
    f = fun(x)
    mu, nu, k = tau * max(np.max(np.diag(H.T @ H)), 1e-300), 2.0, 0
    while True:
        if np.max(np.abs(g)) <= gtol * max(1.0, abs(f)):
            return x, CK.CONVERGED, k
        if k >= maxiter:
            return x, CK.MAXITER, k
        k += 1
        p = np.linalg.solve(H.T @ H + mu * np.eye(x.size), -H.T @ g)
        xt = np.clip(x + p, lo, hi)
        p = xt - x
        if not np.max(np.abs(p)) > xtol * (np.max(np.abs(x)) + xscale):
            return x, CK.STALLED, k
        pred = 0.5 * g @ g - 0.5 * np.sum((g + H @ p) ** 2)
        gt = jac(xt)
        if pred > 0 and gt @ gt < g @ g:
            rho = (g @ g - gt @ gt) / (2 * pred)
            x, g, H, f = xt, gt, hess(xt), fun(xt)
            mu *= max(1 / 3, 1 - (2 * rho - 1) ** 3)
            nu = 2.0
        else:
            mu *= nu
            nu *= 2.0


@pytest.mark.parametrize("name", ["himmelblau", "wood"])
def test_batch_kernel_matches_numpy_oracle(name):
    p = P.get(name)
    lo, hi = p.bounds[:, 0], p.bounds[:, 1]
    X0 = sample_box(lo, hi, 24, 5)
    wlo, whi = lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo)
    fopt = np.zeros(CK.NF_OPTS)
    fopt[[CK.F_GTOL, CK.F_XTOL, CK.F_TAU, CK.F_XSCALE]] = 1e-10, 1e-15, 1e-3, np.max(hi - lo)
    obj = make_objective(p.fun, X0[0], (), p.jac, p.hess, None, True, False)
    run, solve = CK.batch_entry(obj.args_type)
    X, F, GN = X0.copy(), np.empty(24), np.empty(24)
    stats = np.zeros((24, 4), dtype=np.int64)
    run(obj.ob, (), solve, X, wlo, whi, fopt, 60, F, GN, stats)
    f, j, h = p.fun.py_func, p.jac.py_func, p.hess.py_func
    for s in range(24):
        x, st, k = lm_oracle(f, j, h, X0[s], wlo, whi, 1e-10, 1e-15, 1e-3, np.max(hi - lo), 60)
        assert (stats[s, 0], stats[s, 1]) == (st, k)
        # unconverged runs (Wood's valleys) drift apart by rounding over 60 slow steps
        tol = 1e-10 if st == CK.CONVERGED else 1e-6
        np.testing.assert_allclose(X[s], x, rtol=tol, atol=tol)
        assert F[s] == pytest.approx(f(X[s]), rel=1e-14, abs=1e-14)   # f at the end point
