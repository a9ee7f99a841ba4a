"""Box constraints: lbfgs / scipy's L-BFGS-B (``minimize(bounds=...)``).

The kernels of ``_engine/box.py`` against NumPy oracles (the compact matrix against the
BFGS recursion, the generalized Cauchy point against a breakpoint walk on the explicit
matrix, the subspace step against the reduced Newton step), then whole runs against scipy's
Fortran L-BFGS-B, a quadratic with a known KKT point, and the front door's checks.
"""
import numpy as np
import pytest
from scipy.optimize import Bounds, minimize as scipy_minimize

import newtonlab as nl
from newtonlab import problems
from newtonlab._engine import box as BX

# also run with NUMBA_DISABLE_JIT=1 (.ci/run): interpreted, the same results
pytestmark = pytest.mark.nojit


def py(f):
    """The plain-Python form of a problem's function (itself without the JIT)."""
    return getattr(f, "py_func", f)


# ---------------------------------------------------------------------------------------
# kernels against NumPy oracles

def _memory(rng, n, k, m):
    """k curvature pairs (y = A s, A SPD) in the circular buffers of size m, as the loop
    stores them; returns the buffers, W, M, theta, and the pairs oldest first."""
    Q = rng.standard_normal((n, n))
    A = Q @ Q.T + 0.5 * np.eye(n)
    S = np.zeros((m, n))
    Y = np.zeros((m, n))
    SY = np.zeros((m, m))
    SS = np.zeros((m, m))
    head, count = -1, 0
    pairs = []
    for _ in range(k):
        s = rng.standard_normal(n)
        y = A @ s
        head, count = BX.push_pair(S, Y, SY, SS, head, count, s, y)
        pairs.append((s, y))
    pairs = pairs[-m:]
    theta = 1.0 if not pairs else pairs[-1][1] @ pairs[-1][1] / (pairs[-1][0] @ pairs[-1][1])
    W = np.zeros((n, 2 * m))
    M = np.zeros((2 * m, 2 * m))
    if count:
        assert BX.middle(S, Y, SY, SS, head, count, theta, W, M, np.zeros((2 * m, 2 * m)),
                         np.zeros(2 * m))
    return W, M, theta, pairs, 2 * count


def _bfgs_matrix(theta, pairs, n):
    """B from theta I by the direct BFGS recursion (N&W eq. 6.19), oldest pair first."""
    B = theta * np.eye(n)
    for s, y in pairs:
        Bs = B @ s
        B = B - np.outer(Bs, Bs) / (s @ Bs) + np.outer(y, y) / (y @ s)
    return B


def _instance(rng, n):
    """A box with a few infinite sides and x in it, some entries on a bound."""
    lb = -rng.uniform(0.1, 2.0, n)
    ub = rng.uniform(0.1, 2.0, n)
    lb[rng.random(n) < 0.2] = -np.inf
    ub[rng.random(n) < 0.2] = np.inf
    x = np.clip(rng.uniform(-1.5, 1.5, n), lb, ub)
    on = rng.random(n) < 0.25
    x[on] = np.where(np.isfinite(lb[on]), lb[on], x[on])
    g = rng.standard_normal(n)
    return x, g, lb, ub


def _cauchy_oracle(x, g, lb, ub, B):
    """The first local minimizer of q(z) = g^T z + z^T B z / 2 along P(x - t g): walk the
    sorted breakpoints with the explicit matrix, recomputing q' and q'' on each segment."""
    n = x.size
    t = np.full(n, np.inf)
    neg = (g < 0) & np.isfinite(ub)
    pos = (g > 0) & np.isfinite(lb)
    t[neg] = (x[neg] - ub[neg]) / g[neg]
    t[pos] = (x[pos] - lb[pos]) / g[pos]
    t_prev = 0.0
    for tj in list(np.unique(t[t > 0])) + [np.inf]:
        xj = np.clip(x - t_prev * g, lb, ub)
        d = np.where(t > t_prev, -g, 0.0)
        z = xj - x
        f1 = g @ d + d @ B @ z
        f2 = d @ B @ d
        if f1 >= 0:
            return xj, t > t_prev
        tau = -f1 / f2 if f2 > 0 else np.inf
        if tau < tj - t_prev:
            return np.clip(xj + tau * d, lb, ub), t > t_prev + tau
        t_prev = tj
    raise AssertionError("unbounded model along the path")


@pytest.mark.parametrize("k", [0, 1, 3, 7])
def test_compact_form_is_the_bfgs_matrix(k):
    rng = np.random.default_rng(k)
    n, m = 6, 5
    W, M, theta, pairs, nc = _memory(rng, n, k, m)
    Bc = theta * np.eye(n) - W[:, :nc] @ M[:nc, :nc] @ W[:, :nc].T
    np.testing.assert_allclose(Bc, _bfgs_matrix(theta, pairs, n), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", range(12))
def test_cauchy_point_matches_breakpoint_walk(seed):
    rng = np.random.default_rng(100 + seed)
    n, m = 7, 4
    k = seed % 6
    W, M, theta, pairs, nc = _memory(rng, n, k, m)
    B = _bfgs_matrix(theta, pairs, n)
    x, g, lb, ub = _instance(rng, n)
    xc, c, d, t = np.empty(n), np.zeros(2 * m), np.empty(n), np.empty(n)
    free = np.zeros(n, np.int64)
    BX.cauchy(x, g, lb, ub, W, nc, theta, M, xc, c, d, t, free)
    ref, moving = _cauchy_oracle(x, g, lb, ub, B)
    np.testing.assert_allclose(xc, ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(c[:nc], W[:, :nc].T @ (xc - x), rtol=1e-8, atol=1e-10)
    # the walk's free set: the variables still moving at the Cauchy point
    fixed_by_box = lb == ub
    assert np.array_equal(free.astype(bool), moving & ~fixed_by_box)
    # a minimizer along the path: no lower model value just before or after it
    q = lambda z: g @ z + 0.5 * z @ B @ z
    tc = max(np.max(np.where(g != 0, (x - xc) / np.where(g != 0, g, 1), 0)), 0.0)
    for dt in (-1e-6, 1e-6):
        z = np.clip(x - max(tc + dt, 0.0) * g, lb, ub) - x
        assert q(xc - x) <= q(z) + 1e-12


@pytest.mark.parametrize("seed", range(8))
def test_subspace_step_is_the_reduced_newton_step(seed):
    rng = np.random.default_rng(200 + seed)
    n, m = 7, 4
    W, M, theta, pairs, nc = _memory(rng, n, 1 + seed % 5, m)
    B = _bfgs_matrix(theta, pairs, n)
    x, g, lb, ub = _instance(rng, n)
    xc, c, d, t = np.empty(n), np.zeros(2 * m), np.empty(n), np.empty(n)
    free = np.zeros(n, np.int64)
    BX.cauchy(x, g, lb, ub, W, nc, theta, M, xc, c, d, t, free)
    xbar, r = np.empty(n), np.empty(n)
    assert BX.subspace(x, g, lb, ub, W, nc, theta, M, xc, c, free, xbar, r,
                       np.zeros((2 * m, 2 * m)), np.zeros((2 * m, 2 * m)))
    F = free.astype(bool)
    du = np.zeros(n)
    if F.any():
        rc = (g + B @ (xc - x))[F]                       # BLNZ eq. 5.4
        du[F] = -np.linalg.solve(B[np.ix_(F, F)], rc)     # eq. 5.5-5.7
    with np.errstate(divide="ignore", invalid="ignore"):
        steps = np.where(du > 0, (ub - xc) / du, np.where(du < 0, (lb - xc) / du, np.inf))
    alpha = min(1.0, steps.min())                          # eq. 5.8
    np.testing.assert_allclose(xbar, np.clip(xc + alpha * du, lb, ub), rtol=1e-8, atol=1e-10)
    assert np.all((lb <= xbar) & (xbar <= ub))
    assert g @ (xbar - x) < 0 or np.allclose(xbar, x)     # a descent direction


def test_projected_gradient_and_max_step():
    x = np.array([0.0, 1.0, 0.5])
    lb = np.array([0.0, -np.inf, 0.0])
    ub = np.array([1.0, 1.0, np.inf])
    g = np.array([3.0, -2.0, 0.25])
    assert BX.proj_grad_norm(x, g, lb, ub) == 0.25        # the first two push out of the box
    assert BX.max_step(x, np.array([1.0, -1.0, -1.0]), lb, ub) == 0.5
    assert BX.max_step(x, np.array([0.0, -1.0, 1.0]), lb, ub) == np.inf


# ---------------------------------------------------------------------------------------
# whole runs against scipy's L-BFGS-B

#: (problem, bounds cutting through its unconstrained minimizer)
CASES = {
    "rosenbrock": [(None, 0.5), (None, None)],
    "beale": [(None, 2.5), (None, None)],
    "wood": [(-2.0, 0.8)] * 4,
    "extended_rosenbrock": [(None, 0.5), (None, None)] * 5,
    "brown_badly_scaled": [(None, 1e5), (None, None)],
    "helical_valley": [(None, 0.5), (None, None), (None, None)],
    "variably_dimensioned": [(None, 0.9)] * 3 + [(None, None)] * 7,
    "penalty1": [(0.25, None)] * 10,
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_scipy_lbfgsb(name):
    p = problems.get(name)
    b = CASES[name]
    res = nl.minimize(p.fun, p.x0, jac=p.jac, method="L-BFGS-B", bounds=b)
    ref = scipy_minimize(py(p.fun), p.x0, jac=py(p.jac), method="L-BFGS-B",
                         bounds=b, options={"gtol": 1e-5, "ftol": 0.0})
    lb, ub = np.array([[-np.inf if lo is None else lo, np.inf if hi is None else hi]
                       for lo, hi in b]).T
    assert res.success, res.message
    assert np.all((lb <= res.x) & (res.x <= ub))
    assert np.max(np.abs(res.x - ref.x) / np.maximum(1.0, np.abs(ref.x))) < 1e-6
    assert abs(res.fun - ref.fun) <= 1e-8 * max(1.0, abs(ref.fun))
    assert res.active_mask.any()                       # the bounds cut the minimizer off
    assert res.nfev <= 2 * ref.nfev + 2
    np.testing.assert_array_equal(res.jac, p.jac(res.x))   # jac is the gradient itself
    proj = np.clip(res.x - res.jac, lb, ub) - res.x
    assert np.abs(proj).max() <= 1e-5
    assert res.trace["gnorm"][-1] == np.abs(proj).max()


def test_bound_constrained_quadratic_kkt():
    rng = np.random.default_rng(7)
    n = 12
    Q = rng.standard_normal((n, n))
    A = Q @ Q.T / n + np.eye(n)
    lb, ub = -np.ones(n), np.ones(n)
    xs = rng.uniform(-0.9, 0.9, n)
    xs[:3], xs[3:6] = -1.0, 1.0                         # 3 at the lower, 3 at the upper bound
    lam = np.zeros(n)
    lam[:3], lam[3:6] = rng.uniform(0.5, 2, 3), -rng.uniform(0.5, 2, 3)
    b = A @ xs - lam                                    # KKT: grad = lam, signs as the bounds

    def f(x):
        return 0.5 * x @ A @ x - b @ x

    def g(x):
        return A @ x - b
    res = nl.minimize(f, np.zeros(n), jac=g, bounds=Bounds(lb, ub), options={"gtol": 1e-7})
    assert res.success
    np.testing.assert_allclose(res.x, xs, atol=1e-6)
    assert res.active_mask.tolist() == [-1] * 3 + [1] * 3 + [0] * (n - 6)


def _undefined_past_one(x):      # (1 - x)^1.5 is NaN for x > 1: a bound at 1 keeps f defined
    return float(np.sum((x - 3.0) ** 2) + np.sum((1.0 - x) ** 1.5))


@pytest.mark.parametrize("jac", ["2-point", "3-point"])
def test_finite_differences_stay_in_the_box(jac):
    """At x = ub a forward step (or a central one) would leave the box, where f is NaN:
    the steps turn one-sided inside it, as scipy's approx_derivative does."""
    x0 = np.array([0.5, 0.9, 0.0])
    seen = []

    def f(x):
        seen.append(x.copy())
        return _undefined_past_one(x)
    res = nl.minimize(f, x0, jac=jac, method="L-BFGS-B", bounds=[(None, 1.0)] * 3)
    ref = scipy_minimize(_undefined_past_one, x0, jac=jac, method="L-BFGS-B",
                         bounds=[(None, 1.0)] * 3)
    assert res.success and np.allclose(res.x, 1.0) and np.allclose(ref.x, 1.0)
    assert max(np.max(z) for z in seen) <= 1.0           # no evaluation outside the box
    assert np.all(res.active_mask == 1)


def test_x0_outside_box_is_clipped():
    from scipy.optimize import rosen, rosen_der
    b = [(-1.0, 0.5), (2.0, 3.0)]
    res = nl.minimize(rosen, np.array([-5.0, 1.0]), jac=rosen_der, bounds=b,
                      options={"return_all": True})
    np.testing.assert_array_equal(res.allvecs[0], [-1.0, 2.0])
    ref = scipy_minimize(rosen, np.array([-5.0, 1.0]), jac=rosen_der, method="L-BFGS-B",
                         bounds=b, options={"ftol": 0.0})
    assert res.success and np.allclose(res.x, ref.x, atol=1e-6)
    assert np.all(res.x >= [-1.0, 2.0]) and np.all(res.x <= [0.5, 3.0])


@pytest.mark.parametrize("bounds", [
    [(None, None)] * 4, [(-np.inf, np.inf)] * 4, Bounds(-np.inf, np.inf),
    Bounds([-np.inf] * 4, [np.inf] * 4)])
def test_infinite_bounds_are_the_unbounded_run(bounds):
    p = problems.get("wood")
    free = nl.minimize(p.fun, p.x0, jac=p.jac)
    res = nl.minimize(p.fun, p.x0, jac=p.jac, bounds=bounds)
    np.testing.assert_array_equal(res.x, free.x)
    assert (res.nit, res.nfev, res.status) == (free.nit, free.nfev, free.status)
    assert "active_mask" not in res


def test_scipy_option_names():
    p = problems.get("extended_rosenbrock")
    b = CASES["extended_rosenbrock"]

    def run(**options):
        return nl.minimize(p.fun, p.x0, jac=p.jac, method="L-BFGS-B", bounds=b,
                           options=options)
    assert run(maxcor=3).nfev == run(m=3).nfev != run().nfev
    short = run(maxfun=5)
    assert short.status == 6 and short.nfev <= 5 + 30   # MAXFEV at the next iteration's top
    assert np.array_equal(run(pgtol=1e-3).x, run(gtol=1e-3).x)
    assert run(pgtol=1e-3).nit < run().nit
    stalled = run(ftol=1e-3)
    assert stalled.status == 9 and stalled.nit < run().nit
    # method=None with bounds is scipy's choice: L-BFGS-B
    res = nl.minimize(p.fun, p.x0, jac=p.jac, bounds=b)
    assert res.method == "lbfgs" and np.array_equal(res.x, run().x)


def test_compiled_and_interpreted_iterates_agree():
    p = problems.get("extended_rosenbrock")
    b = CASES["extended_rosenbrock"]
    comp = nl.minimize(p.fun, p.x0, jac=p.jac, bounds=b, options={"return_all": True})
    interp = nl.minimize(py(p.fun), p.x0, jac=py(p.jac), bounds=b,
                         options={"return_all": True})
    seen = []
    cb = nl.minimize(p.fun, p.x0, jac=p.jac, bounds=b, callback=lambda xk: seen.append(xk))
    assert interp.execution == "interpreted" and cb.execution == "interpreted"
    for other in (interp, cb):
        assert (other.nit, other.nfev) == (comp.nit, comp.nfev)
        np.testing.assert_allclose(other.x, comp.x, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.array(interp.allvecs), np.array(comp.allvecs),
                               rtol=1e-10, atol=1e-14)
    assert len(seen) == comp.nit


@pytest.mark.parametrize("bounds, match", [
    ([(0, 1)] * 3, "pairs"),
    ([(1, 0), (0, 1)], "lower bound"),
    ([(np.nan, 1), (0, 1)], "NaN"),
    (Bounds([0, 0, 0], [1, 1, 1]), "shape"),
    ([(0, 1), 5], "pair"),
    ([(np.inf, np.inf), (0, 1)], "feasible"),
])
def test_bad_bounds(bounds, match):
    from scipy.optimize import rosen, rosen_der
    with pytest.raises(ValueError, match=match):
        nl.minimize(rosen, [0.0, 0.0], jac=rosen_der, bounds=bounds)


def test_bounds_need_lbfgs_and_constraints_are_refused():
    from scipy.optimize import rosen, rosen_der
    with pytest.raises(ValueError, match="L-BFGS-B"):
        nl.minimize(rosen, [0.0, 0.0], jac=rosen_der, method="bfgs", bounds=[(0, 1)] * 2)
    with pytest.raises(ValueError, match="lbfgs"):
        nl.minimize(rosen, [0.0, 0.0], jac=rosen_der, method="newton-tr", bounds=[(0, 1)] * 2)
    with pytest.raises(ValueError, match="constraints"):
        nl.minimize(rosen, [0.0, 0.0], jac=rosen_der,
                    constraints=[{"type": "ineq", "fun": lambda x: x[0]}])
    with pytest.raises(ValueError, match="second_order"):
        nl.minimize(rosen, [0.0, 0.0], jac=rosen_der, bounds=[(0, 1)] * 2,
                    options={"second_order": True})
    # scipy's positional order: bounds and constraints after hessp, before tol
    res = nl.minimize(rosen, [0.0, 0.0], (), "L-BFGS-B", rosen_der, None, None,
                      [(None, 0.5), (None, None)], (), 1e-8)
    assert res.success and np.allclose(res.x, [0.5, 0.25], atol=1e-7)
