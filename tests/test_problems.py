"""Checks of the labelled test-problem library ``newtonlab.problems``.

Every solver test trusts these derivatives and reference answers, so each is
checked independently here: derivatives against finite differences, the
compiled functions against their NumPy form, the reference points against
the gradient and Hessian, the labels against the data, and the chained
Rosenbrock against scipy.
"""
import zlib

import numba
import numpy as np
import pytest
from numba import types
from scipy.optimize import rosen, rosen_der, rosen_hess, rosen_hess_prod

from newtonlab import problems as P
from newtonlab.problems import CriticalPoint, Problem

# Standard instances, the large quadratic of the solver matrix, and the
# chained Rosenbrock at n = 4 (smallest n with a local minimizer) and n = 3.
# Learning problems ("ml") have their own checks (tests/test_ml_problems.py): no
# closed-form minimum, products rather than dense Hessians.
PROBS = [p for p in P.all_problems() if "ml" not in p.labels] + [P.quadratic(50, 1e4), P.chained_rosenbrock(4),
                            P.chained_rosenbrock(3)]
IDS = [p.id for p in PROBS]
params = pytest.mark.parametrize("p", PROBS, ids=IDS)


def points(p, k=3):
    """x0 and k seeded points: uniform in ``bounds``, else near x0."""
    rng = np.random.default_rng(zlib.crc32(p.id.encode()))
    pts = [p.x0.copy()]
    for _ in range(k):
        if p.bounds is not None:
            pts.append(rng.uniform(p.bounds[:, 0], p.bounds[:, 1]))
        else:
            pts.append(p.x0 + rng.standard_normal(p.n))
    return pts


def fd(f, x):
    """Fourth-order central difference of f (scalar- or vector-valued)."""
    cols = []
    for i in range(x.shape[0]):
        h = 1e-4 * max(1.0, abs(x[i]))      # 1e-3 is too coarse for osborne1's x4 = 0.01
        e = np.zeros_like(x)
        e[i] = h
        cols.append((f(x - 2 * e) - 8 * f(x - e) + 8 * f(x + e) - f(x + 2 * e)) / (12 * h))
    return np.array(cols).T


def relerr(a, b, floor=1.0):
    return np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(b), floor)


def classify(H):
    """(kind, index) from the eigenvalues of H; 'degenerate' if one is ~0."""
    ev = np.linalg.eigvalsh(H)
    tol = 1e-8 * max(1.0, np.abs(ev).max())
    index = int(np.sum(ev < -tol))
    if np.any(np.abs(ev) <= tol):
        return "degenerate", index
    return ("minimum" if index == 0 else "maximum" if index == H.shape[0] else "saddle"), index


def cond(H):
    ev = np.linalg.eigvalsh(H)
    return np.inf if ev[0] <= 1e-12 * ev[-1] else ev[-1] / ev[0]


# ---------------------------------------------------------------- derivatives
@params
def test_jac_matches_finite_differences(p):
    for x in points(p):
        g = p.jac(x, *p.args)
        assert relerr(fd(lambda z: p.fun(z, *p.args), x), g) < 1e-6


@params
def test_hess_matches_finite_differences_and_is_symmetric(p):
    for x in points(p):
        H = p.hess(x, *p.args)
        assert H.shape == (p.n, p.n) and H.dtype == np.float64
        np.testing.assert_array_equal(H, H.T)
        assert relerr(fd(lambda z: p.jac(z, *p.args), x), H) < 1e-5


@params
def test_hessp_equals_hess_times_p(p):
    rng = np.random.default_rng(7)
    for x in points(p):
        v = rng.standard_normal(p.n)
        H = p.hess(x, *p.args)
        hp = p.hessp(x, v, *p.args)
        assert hp.shape == (p.n,)
        scale = np.linalg.norm(np.abs(H) @ np.abs(v))
        assert np.linalg.norm(hp - H @ v) <= 1e-12 * scale


@params
def test_fg_equals_fun_and_jac(p):
    for x in points(p):
        f, g = p.fg(x, *p.args)
        f0, g0 = p.fun(x, *p.args), p.jac(x, *p.args)
        assert abs(f - f0) <= 1e-14 * max(1.0, abs(f0))
        assert relerr(g, g0) <= 1e-14


@params
def test_compiled_equals_numpy_form(p):
    rng = np.random.default_rng(11)
    for x in points(p):
        v = rng.standard_normal(p.n)
        f = p.fun(x, *p.args)
        assert isinstance(f, float) and not isinstance(f, np.ndarray)
        assert abs(f - p.fun.py_func(x, *p.args)) <= 1e-13 * max(1.0, abs(f))
        assert relerr(p.jac.py_func(x, *p.args), p.jac(x, *p.args)) <= 1e-13
        assert relerr(p.hess.py_func(x, *p.args), p.hess(x, *p.args)) <= 1e-13
        assert relerr(p.hessp.py_func(x, v, *p.args), p.hessp(x, v, *p.args)) <= 1e-13
        fp, gp = p.fg.py_func(x, *p.args)
        fc, gc = p.fg(x, *p.args)
        assert abs(fp - fc) <= 1e-13 * max(1.0, abs(fc)) and relerr(gp, gc) <= 1e-13


@params
def test_outputs_are_new_arrays(p):
    x = p.x0.copy()
    g1, g2 = p.jac(x, *p.args), p.jac(x, *p.args)
    assert g1.shape == (p.n,) and g1.dtype == np.float64
    assert g1 is not g2 and not np.shares_memory(g1, x)
    H = p.hess(x, *p.args)
    for a in (x,) + p.args:
        assert not np.shares_memory(H, a) and not np.shares_memory(g1, a)
    np.testing.assert_array_equal(x, p.x0)           # nothing wrote into x


@params
def test_args_have_the_one_allowed_numba_type(p):
    sig = tuple(numba.typeof(a) for a in p.args)
    assert sig in [(), (types.float64[:, ::1], types.float64[::1])]


# ---------------------------------------------------------------- reference data
@params
def test_minimizers(p):
    if p.fmin is None:
        assert p.minimizers == () and "unbounded-below" in p.labels
        return
    # only published MGH values may come without a minimizer in closed form
    assert len(p.minimizers) >= 1 or "mgh" in p.labels
    for xs in p.minimizers:
        assert np.linalg.norm(p.jac(xs, *p.args)) < 1e-8
        assert abs(p.fun(xs, *p.args) - p.fmin) <= 1e-12
        # every global minimizer is also listed as a critical point
        assert any(np.array_equal(c.x, xs) and c.kind in ("minimum", "degenerate")
                   and abs(c.fun - p.fmin) <= 1e-12 for c in p.critical_points)
    assert p.fmin <= p.fun(p.x0, *p.args)
    assert all(p.fmin <= c.fun + 1e-12 for c in p.critical_points)


@params
def test_critical_points(p):
    # MGH problems may list none: their f* is published, a minimizer often has no closed form
    assert len(p.critical_points) >= 1 or "mgh" in p.labels
    if not p.critical_points:
        return
    for c in p.critical_points:
        assert isinstance(c, CriticalPoint)
        assert np.linalg.norm(p.jac(c.x, *p.args)) < 1e-8
        assert (c.kind, c.index) == classify(p.hess(c.x, *p.args))
        assert abs(c.fun - p.fun(c.x, *p.args)) <= 1e-12 * max(1.0, abs(c.fun))
        if p.bounds is not None:
            assert np.all(c.x >= p.bounds[:, 0]) and np.all(c.x <= p.bounds[:, 1])
    xs = np.array([c.x for c in p.critical_points])
    dist = np.linalg.norm(xs[:, None, :] - xs[None, :, :], axis=-1)
    assert np.all(dist[~np.eye(len(xs), dtype=bool)] > 1e-6), "critical points must be distinct"


@pytest.mark.parametrize("name, total, minima, maxima, saddles, globals_", [
    ("himmelblau", 9, 4, 1, 4, 4),
    ("six_hump_camel", 15, 6, 2, 7, 2),
    ("beale", 3, 1, 0, 2, 1),
    ("wood", 3, 1, 0, 2, 1),
    ("rosenbrock", 1, 1, 0, 0, 1),
])
def test_complete_critical_point_counts(name, total, minima, maxima, saddles, globals_):
    p = P.get(name)
    kinds = [c.kind for c in p.critical_points]
    assert p.critical_points_complete
    assert (len(kinds), kinds.count("minimum"), kinds.count("maximum"),
            kinds.count("saddle")) == (total, minima, maxima, saddles)
    assert len(p.minimizers) == globals_


def test_six_hump_camel_values():
    p = P.six_hump_camel()
    assert p.fmin == -1.0316284534898774
    local = sorted(round(c.fun, 10) for c in p.critical_points if c.kind == "minimum")
    assert local == [-1.0316284535] * 2 + [-0.2154638244] * 2 + [2.1042503103] * 2


def test_wood_nonoptimal_stationary_point():
    c = [c for c in P.wood().critical_points if c.index == 1][0]
    np.testing.assert_allclose(c.x, [-0.968, 0.947, -0.970, 0.951], atol=2e-3)
    assert abs(c.fun - 7.8769671651768675) < 1e-12


def test_degenerate_points():
    p = P.powell_singular()
    (c,) = p.critical_points
    assert c.kind == "degenerate" and c.index == 0
    np.testing.assert_allclose(np.linalg.eigvalsh(p.hess(c.x)), [0, 0, 20, 202], atol=1e-12)
    m = P.monkey_saddle()
    (c,) = m.critical_points
    assert c.kind == "degenerate" and not np.any(m.hess(c.x))
    (s,) = P.saddle_xy().critical_points
    assert (s.kind, s.index) == ("saddle", 1)


def test_literature_starting_values():
    # f(x0) as tabulated by More, Garbow & Hillstrom (1981)
    expect = {"rosenbrock": 24.2, "beale": 14.203125, "wood": 19192.0, "powell_singular": 215.0}
    for name, f0 in expect.items():
        p = P.get(name)
        assert p.fun(p.x0) == pytest.approx(f0, rel=1e-15)
    np.testing.assert_array_equal(P.chained_rosenbrock(6).x0, [-1.2, 1, -1.2, 1, -1.2, 1])


# ---------------------------------------------------------------- labels
@params
def test_labels_follow_their_rules(p):
    assert set(p.labels) <= set(P.LABELS) and len(set(p.labels)) == len(p.labels)
    assert ("convex" in p.labels) == p.convex != ("non-convex" in p.labels)
    kinds = [c.kind for c in p.critical_points]
    assert ("saddle" in p.labels) == ("saddle" in kinds)
    assert ("degenerate" in p.labels) == ("degenerate" in kinds)
    n_min = sum(c.kind == "minimum" or (c.kind == "degenerate" and c.fun == p.fmin)
                for c in p.critical_points)
    assert ("multimodal" in p.labels) == (n_min > 1)
    assert ("unbounded-below" in p.labels) == (p.fmin is None)
    assert ("scalable" in p.labels) == ("n" in dict(p.params))
    conds = [cond(p.hess(xs, *p.args)) for xs in p.minimizers]
    assert ("ill-conditioned" in p.labels) == (max(conds, default=0.0) >= 1e3)
    assert ("singular-hessian-at-min" in p.labels) == (max(conds, default=0.0) == np.inf)


@params
def test_convexity_flag(p):
    rng = np.random.default_rng(3)
    lo, hi = (p.bounds[:, 0], p.bounds[:, 1]) if p.bounds is not None else (p.x0 - 3, p.x0 + 3)
    xs = [rng.uniform(lo, hi) for _ in range(200)] + [c.x for c in p.critical_points]
    evs = [np.linalg.eigvalsh(p.hess(x, *p.args)) for x in xs]
    mins = np.array([ev[0] for ev in evs])
    if p.convex:
        # relative: a singular Hessian's zero eigenvalues come out as -eps ||H||
        assert np.all(mins >= -1e-10 * np.array([max(1.0, np.abs(ev).max()) for ev in evs]))
    else:
        if not np.any(mins < 0) and "mgh" in p.labels:
            # MGH: the negative curvature may lie far out (boundary-value problems) or near
            # the origin (penalty functions), outside the box sampled above
            xs = ([rng.uniform(p.x0 - 30, p.x0 + 30) for _ in range(100)]
                  + [rng.uniform(-0.1, 0.1, p.n) for _ in range(50)])
            mins = np.array([np.linalg.eigvalsh(p.hess(x, *p.args))[0] for x in xs])
        assert np.any(mins < 0)


def test_unbounded_below_problems_go_to_minus_infinity():
    theta = np.linspace(0.0, 2 * np.pi, 64, endpoint=False)
    for p in (P.saddle_xy(), P.monkey_saddle()):
        for r in (1e2, 1e4, 1e6):             # min of f on the circle of radius r
            fr = min(p.fun(np.array([r * np.cos(t), r * np.sin(t)])) for t in theta)
            assert fr <= -0.5 * r * r


# ---------------------------------------------------------------- families
@pytest.mark.parametrize("n", [2, 3, 10, 25])
def test_chained_rosenbrock_agrees_with_scipy(n):
    p = P.chained_rosenbrock(n)
    rng = np.random.default_rng(n)
    for x in [p.x0] + [rng.uniform(-2, 2, n) for _ in range(3)]:
        v = rng.standard_normal(n)
        assert p.fun(x) == pytest.approx(rosen(x), rel=1e-14)
        np.testing.assert_allclose(p.jac(x), rosen_der(x), rtol=1e-13, atol=1e-12)
        np.testing.assert_allclose(p.hess(x), rosen_hess(x), rtol=1e-13, atol=1e-12)
        np.testing.assert_allclose(p.hessp(x, v), rosen_hess_prod(x, v), rtol=1e-12, atol=1e-10)


def test_rosenbrock_is_the_two_dimensional_chained_form():
    r, c = P.rosenbrock(), P.chained_rosenbrock(2)
    assert r.fun is c.fun and r.hessp is c.hessp
    np.testing.assert_array_equal(r.x0, c.x0)


def test_chained_rosenbrock_local_minimizer():
    (loc,) = [c for c in P.chained_rosenbrock(4).critical_points if c.fun > 0]
    # Shang & Qiu (2006): n = 4 has a local minimizer near (-0.7757, 0.6131, 0.3821, 0.1460)
    np.testing.assert_allclose(loc.x, [-0.7757, 0.6131, 0.3821, 0.1460], atol=1e-4)
    assert len(P.chained_rosenbrock(3).critical_points) == 1
    assert not P.chained_rosenbrock(10).critical_points_complete


@pytest.mark.parametrize("n, kappa", [(10, 1e2), (50, 1e4), (2, 1.0), (3, 1e8)])
def test_quadratic(n, kappa):
    p = P.quadratic(n, kappa)
    A, b = p.args
    np.testing.assert_array_equal(A, A.T)
    ev = np.linalg.eigvalsh(A)
    assert ev[-1] / ev[0] == pytest.approx(kappa, rel=1e-8)
    xs = np.linalg.solve(A, b)
    assert relerr(p.minimizers[0], xs, floor=0.0) < 1e-15 * max(kappa, 10.0)
    assert p.fmin == pytest.approx(-0.5 * b @ xs, rel=1e-12)
    assert ("ill-conditioned" in p.labels) == (kappa >= 1e3)
    assert p.convex and p.bounds is None


def test_quadratic_seed_and_shared_functions():
    a, b, c = P.quadratic(10, 1e2, seed=0), P.quadratic(10, 1e2, seed=1), P.quadratic(50, 1e4)
    assert not np.allclose(a.args[0], b.args[0])
    assert a.fun is b.fun is c.fun and a.hessp is c.hessp      # one compiled set for all


# ---------------------------------------------------------------- registry
def test_registry_names_and_standard_instances():
    names = ["rosenbrock", "chained_rosenbrock", "quadratic", "beale", "wood",
             "powell_singular", "himmelblau", "six_hump_camel", "saddle_xy", "monkey_saddle"]
    # the original ten first, in order; the MGH problems last, in MGH order (test_mgh.py)
    assert list(P.PROBLEMS)[:len(names)] == names
    assert [p.name for p in P.all_problems()][:len(names)] == names
    assert list(P.PROBLEMS)[-31:] == [n for n in P.MGH if n not in names]
    assert P.get("chained_rosenbrock").n == 10
    q = P.get("quadratic")
    assert (q.n, dict(q.params)["kappa"]) == (10, 100.0)


def test_standard_matrix():
    ids = [p.id for p in P.standard_matrix()]
    assert ids == ["rosenbrock", "chained_rosenbrock(n=10)", "quadratic(n=10,kappa=100.0,seed=0)",
                   "quadratic(n=50,kappa=10000.0,seed=0)", "beale", "wood", "powell_singular",
                   "himmelblau", "six_hump_camel"]
    assert all(p.fmin is not None for p in P.standard_matrix())


def test_factories_are_cached():
    assert P.get("rosenbrock") is P.rosenbrock() is P.PROBLEMS["rosenbrock"]()
    assert P.quadratic(50, 1e4) is P.quadratic(n=50, kappa=10000) is P.get("quadratic", n=50, kappa=1e4)
    assert P.chained_rosenbrock() is P.chained_rosenbrock(10.0)
    for p in P.standard_matrix():
        assert P.get(p.name, **dict(p.params)) is p


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as err:
        P.get("nope")
    assert "nope" in str(err.value)
    assert all(name in str(err.value) for name in P.PROBLEMS)


@pytest.mark.parametrize("call", [
    lambda: P.chained_rosenbrock(1), lambda: P.quadratic(1), lambda: P.quadratic(10, 0.5),
    lambda: P.quadratic(10, float("inf")), lambda: P.get("rosenbrock", n=3)])
def test_bad_parameters_raise(call):
    with pytest.raises((ValueError, TypeError)):
        call()


def test_problem_rejects_args_that_would_recompile_solvers():
    q = P.quadratic(3)
    A, b = q.args
    base = dict(name="x", n=3, fun=q.fun, jac=q.jac, hess=q.hess, hessp=q.hessp, fg=q.fg,
                x0=np.zeros(3), labels=("convex",), convex=True)
    Problem(**base, args=(A, b))                                   # accepted
    ro = b.copy()
    ro.setflags(write=False)
    for bad in [(np.asfortranarray(A), b), (A.astype(np.float32), b), (A, ro), (A,),
                (A, b, b)]:
        with pytest.raises(TypeError):
            Problem(**base, args=bad)
    with pytest.raises(ValueError):
        Problem(**{**base, "labels": ("convex", "wobbly")})


def test_names_by_tag():
    """CONTRACT: P.names(tag=None) lists names; a tag filters by the labels."""
    assert P.names() == list(P.PROBLEMS)
    for tag in P.LABELS:
        assert all(tag in P.get(n).labels for n in P.names(tag))
    assert set(P.names("convex")) == {n for n in P.PROBLEMS
                                             if P.get(n).convex}
    with pytest.raises(ValueError, match="unknown tag"):
        P.names("no-such-tag")
