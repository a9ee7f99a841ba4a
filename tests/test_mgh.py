"""Checks of the 35 Moré-Garbow-Hillstrom problems (``problems.MGH``).

Every MGH problem is f = sum_i r_i(x)^2, so besides the generic checks of
tests/test_problems.py (which also run over these problems) this file checks
the definitions against values published elsewhere, the derivatives and the
Gauss-Newton product against finite differences of the residuals, and the
factories' parameters.  The NumPy form (``.py_func``) is the oracle; each
compiled function is called once per problem, at x0, and compared with it.
"""
import sys
import zlib

import numpy as np
import pytest

from newtonlab import problems as P

MGH = P.MGH
PROBS = [P.get(name) for name in MGH]
params = pytest.mark.parametrize("p", PROBS, ids=[p.name for p in PROBS])
OLD = {"rosenbrock", "beale", "powell_singular", "wood"}     # predate the mgh package

# f at a published point, to the digits published.  (name, factory kwargs, point or None
# for x0, value, relative tolerance, source).  Sources: G = gonum optimize/functions
# tests; J = OptimizationProblems.jl (JuliaSmoothOptimizers) meta, best_known_upper_bound
# (f at x0); W = Moré & Wild (2009), SIAM J. Optim. 20(1), Table (via optimagic's
# more_wild benchmark; 7 digits); O = optimagic's stored history of Bard from x0;
# T = MGH's own f(x0) of problems 1 and 13, times the number of uncoupled blocks.
LITERATURE = [
    ("rosenbrock", {}, None, 24.2, 1e-15, "W"),
    ("freudenstein_roth", {}, None, 400.5, 1e-15, "W"),
    ("freudenstein_roth", {"x0_scale": 10.0}, None, 1.545754e8, 5e-7, "W"),
    ("powell_badly_scaled", {}, None, 1.13526171734838, 1e-13, "G"),
    ("brown_badly_scaled", {}, None, 999998000003.0, 1e-13, "G"),
    ("beale", {}, None, 14.203125, 1e-15, "G"),
    ("jennrich_sampson", {}, None, 4171.306161960493, 1e-13, "J"),
    ("helical_valley", {}, None, 2500.0, 1e-15, "G"),
    ("helical_valley", {"x0_scale": 10.0}, None, 10600.0, 1e-13, "W"),
    ("bard", {}, None, 41.68169586, 2e-10, "O"),
    ("bard", {"x0_scale": 10.0}, None, 1306.234, 5e-7, "W"),
    ("gaussian", {}, None, 3.88810699116688e-06, 1e-13, "G"),
    ("meyer", {}, None, 1.693608e9, 5e-7, "W"),
    ("gulf", {}, None, 12.11070582556949, 1e-13, "G"),
    ("box_3d", {}, None, 1031.1538106093985, 1e-13, "G"),
    ("powell_singular", {}, None, 215.0, 1e-15, "W"),
    ("wood", {}, None, 19192.0, 1e-15, "G"),
    ("kowalik_osborne", {}, None, 5.313172e-3, 5e-7, "W"),
    ("brown_dennis", {}, None, 7.926693336997432e6, 1e-13, "J"),
    ("brown_dennis", {"x0_scale": 10.0}, None, 3.081064e11, 5e-7, "W"),
    # no published f(x0) found for Osborne 1; Moré & Wild start from x3 = +1 instead of -1
    ("osborne1", {}, [0.5, 1.5, 1.0, 0.01, 0.02], 16.17411, 5e-7, "W"),
    ("biggs_exp6", {}, None, 0.77907007565597, 1e-13, "G"),
    ("osborne2", {}, None, 2.093420, 5e-7, "W"),
    ("osborne2", {"x0_scale": 10.0}, None, 199.6847, 5e-7, "W"),
    ("watson", {}, None, 30.0, 1e-15, "G"),
    ("watson", {"n": 9}, None, 30.0, 1e-15, "G"),
    ("watson", {"n": 12}, None, 30.0, 1e-15, "G"),
    ("extended_rosenbrock", {}, None, 5 * 24.2, 1e-15, "T"),
    ("extended_powell", {}, None, 3 * 215.0, 1e-15, "T"),
    ("penalty1", {}, None, 148032.56535, 1e-13, "G"),
    ("penalty1", {"n": 4}, [1.0, 2.0, 3.0, 4.0], 885.06264, 1e-13, "G"),
    ("penalty2", {}, None, 162.65277656596712, 1e-13, "G"),
    ("penalty2", {"n": 4}, None, 2.34000880546302, 1e-13, "G"),
    ("variably_dimensioned", {"n": 4}, None, 3222.1875, 1e-15, "G"),
    ("variably_dimensioned", {"n": 100}, None, 1.3105836968932622e14, 1e-13, "J"),
    ("trigonometric", {}, None, 0.00707575946622261, 1e-13, "G"),
    ("brown_almost_linear", {}, None, 273.2480, 5e-7, "W"),
    ("brown_almost_linear", {"n": 100}, None, 2.524757e5, 5e-7, "W"),
    ("broyden_banded", {"n": 100}, None, 3600.0, 1e-15, "J"),
    ("linear_full_rank", {"n": 100}, None, 500.0, 1e-13, "J"),
    ("linear_rank1", {}, None, 8.65867e6, 5e-7, "J"),
    ("linear_rank1_zero", {"n": 100}, None, 6.3854440574201e13, 1e-13, "J"),
    ("chebyquad", {}, None, 3.861770e-2, 5e-7, "W"),
    ("chebyquad", {"n": 6}, None, 4.642817e-2, 5e-7, "W"),
    ("chebyquad", {"n": 7}, None, 3.377064e-2, 5e-7, "W"),
    ("chebyquad", {"n": 9}, None, 2.888298e-2, 5e-7, "W"),
    ("chebyquad", {"n": 10}, None, 3.376327e-2, 5e-7, "W"),
]
# Problems without a published f at any point found: definitions checked only through
# the derivative, residual and minimizer tests below (and against the MGH formulas).
NO_LITERATURE = {"discrete_boundary_value", "discrete_integral_equation", "broyden_tridiagonal"}


# Residuals of the four problems that predate the mgh package (MGH's definitions).
def _rosen_r(x):
    return np.concatenate([10.0 * (x[1::2] - x[::2] ** 2), 1.0 - x[::2]])


def _beale_r(x):
    return np.array([1.5, 2.25, 2.625]) - x[0] * (1.0 - x[1] ** np.arange(1, 4))


def _wood_r(x):
    s10 = np.sqrt(10.0)
    return np.array([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0], np.sqrt(90.0) * (x[3] - x[2] ** 2),
                     1.0 - x[2], s10 * (x[1] + x[3] - 2.0), (x[1] - x[3]) / s10])


def _powell_r(x):
    return np.array([x[0] + 10.0 * x[1], np.sqrt(5.0) * (x[2] - x[3]), (x[1] - 2.0 * x[2]) ** 2,
                     np.sqrt(10.0) * (x[0] - x[3]) ** 2])


def residuals(p):
    """The residual function r(x) (NumPy/Python form) of an MGH problem."""
    old = {"rosenbrock": _rosen_r, "beale": _beale_r, "wood": _wood_r,
           "powell_singular": _powell_r}
    if p.name in old:
        return old[p.name]
    return getattr(sys.modules[P.PROBLEMS[p.name].__module__], f"_{p.name}_r")


def fd(f, x):
    """Fourth-order central differences of f (scalar- or vector-valued), one column per x_i."""
    cols = []
    for i in range(x.shape[0]):
        h = 1e-4 * max(1.0, abs(x[i]))
        e = np.zeros_like(x)
        e[i] = h
        cols.append((f(x - 2 * e) - 8 * f(x - e) + 8 * f(x + e) - f(x + 2 * e)) / (12 * h))
    return np.array(cols).T


def relerr(a, b):
    return np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(b), 1e-300)


def points(p):
    """x0 and two seeded points near it (relative perturbations of 5 %)."""
    rng = np.random.default_rng(zlib.crc32(p.name.encode()))
    return [p.x0] + [p.x0 + 0.05 * np.maximum(1.0, np.abs(p.x0)) * rng.standard_normal(p.n)
                     for _ in range(2)]


# ---------------------------------------------------------------- registry
def test_mgh_names():
    assert len(MGH) == len(set(MGH)) == 35
    assert set(P.names("mgh")) == set(MGH) and len(P.names("mgh")) == 35
    assert set(P.names("least-squares")) >= set(MGH)
    assert MGH[0] == "rosenbrock" and MGH[4] == "beale" and MGH[12] == "powell_singular"
    assert MGH[13] == "wood" and MGH[34] == "chebyquad"
    new = [n for n in P.PROBLEMS if n in MGH and n not in OLD]
    assert new == [n for n in MGH if n not in OLD]          # registered in MGH order


@params
def test_labels_and_reference(p):
    assert "mgh" in p.labels and "least-squares" in p.labels and p.ggnp is not None
    assert "Moré" in p.reference and "problem" in p.reference
    assert p.fmin is not None and p.fmin >= 0.0 and p.args == ()


# ---------------------------------------------------------------- literature values
@pytest.mark.parametrize("name, kw, x, value, rtol, source", LITERATURE,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(LITERATURE)])
def test_published_values(name, kw, x, value, rtol, source):
    p = P.get(name, **kw)
    x = p.x0 if x is None else np.array(x, dtype=float)
    assert abs(p.fun.py_func(x) - value) <= rtol * abs(value), source


def test_every_problem_has_a_published_value_or_is_listed_as_missing():
    assert {r[0] for r in LITERATURE} | NO_LITERATURE == set(MGH)


# ---------------------------------------------------------------- derivatives (NumPy form)
@params
def test_residuals_define_f(p):
    r = residuals(p)
    for x in points(p):
        rx = np.asarray(r(x), dtype=float)
        assert p.fun.py_func(x) == pytest.approx(rx @ rx, rel=1e-13, abs=1e-300)


@params
def test_derivatives_against_finite_differences(p):
    f, g, H = p.fun.py_func, p.jac.py_func, p.hess.py_func
    hp, gn, r = p.hessp.py_func, p.ggnp.py_func, residuals(p)
    rng = np.random.default_rng(5)
    for x in points(p):
        v = rng.standard_normal(p.n)
        assert relerr(g(x), fd(f, x)) < 1e-6
        Hx = H(x)
        np.testing.assert_array_equal(Hx, Hx.T)
        assert relerr(Hx, fd(g, x)) < 1e-5
        assert relerr(hp(x, v), Hx @ v) < 1e-12
        J = fd(lambda z: np.asarray(r(z), dtype=float), x)
        assert relerr(gn(x, v), 2.0 * J.T @ (J @ v)) < 1e-6
        fx, gx = p.fg.py_func(x)
        assert fx == f(x) and np.array_equal(gx, g(x))


@params
def test_compiled_agrees_with_numpy_form(p):
    """One compiled call per function, at x0."""
    x = p.x0.copy()
    v = np.random.default_rng(1).standard_normal(p.n)
    assert p.fun(x) == pytest.approx(p.fun.py_func(x), rel=1e-13, abs=1e-300)
    assert relerr(p.jac(x), p.jac.py_func(x)) <= 1e-13
    assert relerr(p.hess(x), p.hess.py_func(x)) <= 1e-13
    assert relerr(p.hessp(x, v), p.hessp.py_func(x, v)) <= 1e-13
    assert relerr(p.ggnp(x, v), p.ggnp.py_func(x, v)) <= 1e-13
    fc, gc = p.fg(x)
    assert fc == pytest.approx(p.fun.py_func(x), rel=1e-13, abs=1e-300)
    assert relerr(gc, p.jac.py_func(x)) <= 1e-13
    np.testing.assert_array_equal(x, p.x0)


@params
def test_gauss_newton_product_is_positive_semidefinite(p):
    rng = np.random.default_rng(2)
    for x in points(p):
        G = np.array([p.ggnp.py_func(x, e) for e in np.eye(p.n)])
        assert relerr(G, G.T) < 1e-12
        scale = np.abs(G).max()
        assert np.linalg.eigvalsh(0.5 * (G + G.T))[0] >= -1e-12 * scale
        for _ in range(5):
            v = rng.standard_normal(p.n)
            assert v @ p.ggnp.py_func(x, v) >= -1e-12 * scale * (v @ v)


# ---------------------------------------------------------------- reference answers
@params
def test_minimizers_give_fmin(p):
    for xs in p.minimizers:
        assert abs(p.fun.py_func(xs) - p.fmin) <= 1e-12 * max(1.0, p.fmin)
        assert np.linalg.norm(p.jac.py_func(xs)) < 1e-8
    assert p.fmin < p.fun.py_func(p.x0)


def test_published_minimum_values():
    fmin = {"jennrich_sampson": 124.362, "bard": 8.21487e-3, "gaussian": 1.12793e-8,
            "meyer": 87.9458, "kowalik_osborne": 3.07505e-4, "brown_dennis": 85822.2,
            "osborne1": 5.46489e-5, "osborne2": 4.01377e-2, "watson": 2.28767e-3,
            "penalty1": 7.08765e-5, "penalty2": 2.93660e-4, "chebyquad": 3.51687e-3}
    for name, f in fmin.items():                   # MGH's truncated digits
        assert 0.0 <= P.get(name).fmin - f < 1e-5 * f, name
    assert P.watson(9).fmin == 1.39976e-6 and P.penalty1(4).fmin == 2.24997e-5
    assert P.chebyquad(10).fmin == 6.50395e-3 and "local" in P.chebyquad(10).reference
    assert P.chebyquad(7).fmin == 0.0
    m = 20                                          # linear problems, m = 2n = 20
    assert P.linear_full_rank().fmin == m - 10
    assert P.linear_rank1().fmin == pytest.approx(m * (m - 1) / (2 * (2 * m + 1)), rel=1e-15)
    assert P.linear_rank1_zero().fmin == pytest.approx((m * m + 3 * m - 6) / (2 * (2 * m - 3)),
                                                       rel=1e-15)


def test_freudenstein_roth_local_minimizer():
    (loc,) = [c for c in P.freudenstein_roth().critical_points if c.fun > 0]
    assert loc.fun == pytest.approx(48.98425367924, rel=1e-12)   # MGH: 48.9842...
    np.testing.assert_allclose(loc.x, [11.41, -0.8968], atol=5e-3)


# ---------------------------------------------------------------- parameters
@pytest.mark.parametrize("name", [n for n in MGH if n not in OLD])
def test_x0_scale_round_trip(name):
    p = P.get(name)
    assert "x0_scale" not in dict(p.params)
    assert P.get(name, **dict(p.params)) is p
    for s in (10.0, 100.0):
        q = P.get(name, x0_scale=s)
        assert dict(q.params)["x0_scale"] == s and q.n == p.n
        assert P.get(q.name, **dict(q.params)) is q
        expect = s * p.x0 if np.any(p.x0) else np.full(p.n, s)
        np.testing.assert_array_equal(q.x0, expect)
        assert q.fun is p.fun and q.ggnp is p.ggnp            # one compiled set
    assert P.get(name, x0_scale=1) is p


@pytest.mark.parametrize("call", [
    lambda: P.watson(7), lambda: P.penalty1(5), lambda: P.penalty2(3), lambda: P.chebyquad(11),
    lambda: P.extended_rosenbrock(5), lambda: P.extended_powell(6), lambda: P.bard(x0_scale=0),
    lambda: P.linear_rank1_zero(2), lambda: P.trigonometric(0),
    lambda: P.get("helical_valley", n=4)])
def test_bad_parameters_raise(call):
    with pytest.raises((ValueError, TypeError)):
        call()


def test_scalable_instances():
    for name in ("extended_rosenbrock", "variably_dimensioned", "trigonometric",
                 "brown_almost_linear", "discrete_boundary_value", "discrete_integral_equation",
                 "broyden_tridiagonal", "broyden_banded", "linear_full_rank"):
        p = P.get(name, n=20)
        assert p.n == 20 and dict(p.params)["n"] == 20 and "scalable" in p.labels
        assert P.get(name, **dict(p.params)) is p
        x = p.x0 + 0.1
        assert abs(p.jac.py_func(x) @ np.ones(20)
                   - (p.fun.py_func(x + 1e-6) - p.fun.py_func(x - 1e-6)) / 2e-6) \
            <= 1e-5 * max(1.0, np.abs(p.jac.py_func(x)).sum())
