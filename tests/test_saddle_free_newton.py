"""Saddle-free Newton, Krylov variant (Dauphin et al. 2014, Alg. 1), subproblem="krylov".

* One step of the jitted reverse-communication Lanczos (``direction_krylov``, products
  made here) against a slow NumPy oracle: dense Lanczos with full reorthogonalization,
  |T| by numpy.linalg.eigh, the floor and the damping.
* krylov_dim = n gives the dense variant's step -|H|^{-1} g (also after a breakdown).
* It leaves saddles that attract Newton's step, converges with hessp only, counts its
  products, runs at n = 20,000, ends with the Ritz saddle test, and compiled and
  interpreted runs give the same iterates.
"""
import math
import time
import warnings

import numba
import numpy as np
import pytest

import newtonlab as nl
from newtonlab import problems
from newtonlab._engine import factor as FA
from newtonlab._engine import krylov as KR
from newtonlab._engine import tcg as TC
from newtonlab._engine.ls_driver import DONE, NEED_PRODUCT
from newtonlab.methods import saddle_free_newton as SFN

NO_JIT = numba.config.DISABLE_JIT
RNG = np.random.default_rng(20140)
KRYLOV = {"subproblem": "krylov"}


def _py(f):
    """The plain-Python form of a jitted function (itself with the JIT disabled)."""
    return getattr(f, "py_func", f)


# ------------------------------------------------------------------ the NumPy oracle

def oracle_step(H, g, k, floor=1e-8, damping=0.0):
    """One Krylov saddle-free Newton step, slowly: (p, Ritz values, Lanczos steps)."""
    n = g.size
    Q = np.zeros((k, n))
    a, b = np.zeros(k), np.zeros(k)
    Q[0] = g / np.linalg.norm(g)
    m = k
    for j in range(k):
        w = H @ Q[j] - (b[j - 1] * Q[j - 1] if j > 0 else 0.0)
        a[j] = Q[j] @ w
        w = w - a[j] * Q[j]
        for _ in range(2):                        # full reorthogonalization, twice
            c = Q[:j + 1] @ w
            w = w - Q[:j + 1].T @ c
            a[j] += c[j]
        if j + 1 == k:
            break
        beta = np.linalg.norm(w)
        T = np.diag(a[:j + 1]) + np.diag(b[:j], 1) + np.diag(b[:j], -1)
        rows = np.abs(T).sum(1)
        rows[-1] += beta                          # ||T_{j+1}||_inf with the new beta
        if beta <= KR.BREAKDOWN * rows.max():
            m = j + 1
            break
        b[j] = beta
        Q[j + 1] = w / beta
    T = np.diag(a[:m]) + np.diag(b[:m - 1], 1) + np.diag(b[:m - 1], -1)
    theta, S = np.linalg.eigh(T)
    mu = np.maximum(np.abs(theta), floor * max(1.0, np.abs(theta).max())) + damping
    y = S @ ((S[0] / mu) * np.linalg.norm(g))     # (|T| + lambda I)^{-1} Q^T g, Q^T g = |g| e1
    return -Q[:m].T @ y, theta, m


def random_indefinite(n, gap=0.3, rng=RNG):
    """A random symmetric matrix with eigenvalues +-[gap, 3], both signs."""
    U, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = rng.uniform(gap, 3.0, n) * np.where(np.arange(n) % 3 == 0, -1.0, 1.0)
    return (U * lam) @ U.T, lam


def jitted_step(H, g, k, floor=1e-8, damping=0.0):
    """The method's own component, driven as the line-search loop drives it: one product
    per NEED_PRODUCT request.  Returns (p, smallest Ritz value, products)."""
    n = g.size
    mo = SFN.Options(floor=floor, saddle_tol=1e-8, krylov_dim=k, damping=damping, dense=False)
    x = np.zeros(n)
    work, state = SFN.init_krylov(mo, x, g, np.zeros((0, 0)))
    p = np.empty(n)
    state, request = SFN.direction_krylov(work, state, mo, g, p)
    products = 0
    while request != DONE:
        assert request == NEED_PRODUCT
        hv = H @ work.W[TC.V]
        for i in range(n):
            work.W[TC.HV, i] = hv[i]
        products += 1
        state, request = SFN.direction_krylov(work, state, mo, g, p)
    return p, state.min_ritz, products


@pytest.mark.nojit
@pytest.mark.parametrize("n, k, floor, damping", [(40, 12, 1e-8, 0.0), (40, 12, 1e-8, 0.5),
                                                  (25, 25, 1e-8, 0.0), (30, 8, 0.2, 0.0),
                                                  (7, 3, 1e-8, 2.0)])
def test_step_matches_numpy_oracle(n, k, floor, damping):
    for _ in range(3):
        H, _ = random_indefinite(n)
        g = RNG.standard_normal(n)
        p, lmin, products = jitted_step(H, g, k, floor, damping)
        ref, theta, m = oracle_step(H, g, k, floor, damping)
        assert products == m == k
        assert np.linalg.norm(p - ref) <= 1e-10 * np.linalg.norm(ref)
        assert lmin == pytest.approx(theta[0], rel=1e-10, abs=1e-12)
        assert g @ p < 0.0                          # |T| + lambda I >= delta I: descent


def test_full_dimension_equals_dense_step():
    """krylov_dim = n: |H|^{-1} g lies in the Krylov space of (H, g), where |T| is |H|."""
    for n in (2, 6, 15):
        H, lam = random_indefinite(n, gap=0.5)
        g = RNG.standard_normal(n)
        p, lmin, products = jitted_step(H, g, n)
        dense = np.empty(n)
        lmin_dense = FA.eigen_modified_direction(H, g, 1e-8, True, dense)   # the "eig" kernel
        U = np.linalg.eigh(H)[1]
        exact = -U @ ((U.T @ g) / np.abs(np.linalg.eigvalsh(H)))
        assert products == n
        assert np.linalg.norm(p - dense) <= 1e-9 * np.linalg.norm(dense)
        assert np.linalg.norm(p - exact) <= 1e-9 * np.linalg.norm(exact)
        assert lmin == pytest.approx(lmin_dense, rel=1e-9)


def test_breakdown_stops_early_and_still_equals_dense_step():
    """g in a 3-dimensional invariant subspace: Lanczos ends after 3 products, exactly."""
    n = 12
    H, lam = random_indefinite(n, gap=0.5)
    U = np.linalg.eigh(H)[1]
    g = U[:, [0, 5, 9]] @ np.array([1.0, -2.0, 0.5])
    p, _, products = jitted_step(H, g, n)
    dense = np.empty(n)
    FA.eigen_modified_direction(H, g, 1e-8, True, dense)
    assert products == 3
    assert np.linalg.norm(p - dense) <= 1e-9 * np.linalg.norm(dense)


def test_tridiagonal_eigensolver_against_numpy():
    for m in (1, 2, 5, 20):
        a, b = RNG.standard_normal(m), RNG.standard_normal(m)
        d, e, Z = np.zeros(m), np.zeros(m), np.zeros((m, m))
        assert KR.tridiag_eig(a, b, m, d, e, Z, m)
        T = np.diag(a) + np.diag(b[:m - 1], 1) + np.diag(b[:m - 1], -1)
        np.testing.assert_allclose(np.sort(d), np.linalg.eigvalsh(T), atol=1e-13)
        np.testing.assert_allclose(T @ Z, Z * d, atol=1e-12)            # T S = S diag(theta)
        np.testing.assert_allclose(Z.T @ Z, np.eye(m), atol=1e-13)
    nan = np.full(3, math.nan)
    assert not KR.tridiag_eig(nan, nan, 3, np.zeros(3), np.zeros(3), np.zeros((3, 3)), 3)


# ------------------------------------------------------------------------- whole runs

def quartic_saddle(x):
    """f = x^2 - y^2 + y^4 / 4: a saddle at 0, minima (0, +-sqrt 2), f = -1."""
    return x[0] ** 2 - x[1] ** 2 + 0.25 * x[1] ** 4


def quartic_saddle_jac(x):
    return np.array([2.0 * x[0], -2.0 * x[1] + x[1] ** 3])


def quartic_saddle_hessp(x, v):
    return np.array([2.0 * v[0], (3.0 * x[1] ** 2 - 2.0) * v[1]])


def test_leaves_a_saddle_that_attracts_newtons_step():
    p = problems.get("saddle_xy")
    # saddle_xy (f = x^2 - y^2): the Newton step -H^{-1} g lands on the saddle (0, 0) from any
    # x; the Krylov step (k = 2 = n) is -|H|^{-1} g: y moves away and the search expands
    x0 = np.array([1.0, 0.1])
    H = p.hess(x0)
    np.testing.assert_allclose(x0 - np.linalg.solve(H, p.jac(x0)), 0.0, atol=1e-15)
    r = nl.minimize(p.fun, x0, method="saddle-free-newton", jac=p.jac, hessp=p.hessp,
                    options={**KRYLOV, "maxiter": 3})
    assert r.fun < -100.0 and np.all(np.diff(r.trace["f"]) < 0)
    assert np.all(r.trace["min_eig"][1:] == -2.0)
    assert r.status == 16 and r.nit == 2        # f < -1/eps: unbounded below
    # (backtracking: from the unit step it can only shrink; the default Wolfe search
    # extrapolates along the modified direction and leaves the saddle too)
    newton = nl.minimize(p.fun, x0, method="newton", jac=p.jac, hess=p.hess,
                         options={"maxiter": 3, "linesearch": "armijo"})
    assert r.trace["f"][2] < newton.trace["f"][2]
    # bounded below: from near the saddle to a minimum, in fewer iterations than newton
    x0 = np.array([1.0, 1e-3])
    r = nl.minimize(quartic_saddle, x0, method="saddle-free-newton", jac=quartic_saddle_jac,
                    hessp=quartic_saddle_hessp, options=KRYLOV)
    assert r.success and r.fun == pytest.approx(-1.0) and abs(r.x[1]) == pytest.approx(2 ** .5)
    newton = nl.minimize(quartic_saddle, x0, method="newton", jac=quartic_saddle_jac,
                         hess=lambda x: np.diag([2.0, 3.0 * x[1] ** 2 - 2.0]))
    assert newton.success and r.nit < newton.nit


@pytest.mark.parametrize("name", ["rosenbrock", "chained_rosenbrock"])
def test_converges_with_hessp_only(name):
    p = problems.get(name)
    r = nl.minimize(p.fun, p.x0, method="saddle-free-newton", jac=p.jac, hessp=p.hessp,
                    options=KRYLOV)
    assert r.success and r.execution == "compiled"
    # a listed minimizer (chained_rosenbrock from its x0: the local one near x_0 = -1, as
    # the dense variant)
    c = min(p.critical_points, key=lambda c: np.linalg.norm(r.x - c.x))
    assert c.kind == "minimum" and np.linalg.norm(r.x - c.x) <= 1e-4
    assert "hess" not in r
    k = min(p.x0.size, SFN.KRYLOV_DIM)
    # each direction: at most k products; the end point's Ritz test: k more (or fewer)
    assert r.nit <= r.nhev <= k * (r.nit + 1)
    assert r.njev == r.nfev and r.trace["nhev"][-1] <= r.nhev
    # the same with a smaller subspace
    r4 = nl.minimize(p.fun, p.x0, method="saddle-free-newton", jac=p.jac, hessp=p.hessp,
                     options={**KRYLOV, "krylov_dim": 4})
    assert r4.success and any(np.linalg.norm(r4.x - c.x) <= 1e-4 for c in p.critical_points
                              if c.kind == "minimum")
    assert r4.nhev <= 4 * (r4.nit + 1)


def test_krylov_dim_n_follows_the_dense_variant():
    p = problems.get("rosenbrock")
    d = nl.minimize(p.fun, p.x0, method="saddle-free-newton", jac=p.jac, hess=p.hess)
    r = nl.minimize(p.fun, p.x0, method="saddle-free-newton", jac=p.jac, hessp=p.hessp,
                    options=KRYLOV)
    assert (r.nit, r.nfev) == (d.nit, d.nfev) == (21, 28)     # the pinned "eig" counts
    np.testing.assert_allclose(r.trace["f"], d.trace["f"], rtol=1e-8, atol=1e-14)


def test_products_from_hess_and_from_gradient_differences():
    p = problems.get("chained_rosenbrock")
    # hess only: the Hessian once per iteration (and once at the end), products made here
    rh = nl.minimize(p.fun, p.x0, method="saddle-free-newton", jac=p.jac, hess=p.hess,
                     options=KRYLOV)
    assert rh.success and rh.nhev == rh.nit + 1
    rp = nl.minimize(p.fun, p.x0, method="saddle-free-newton", jac=p.jac, hessp=p.hessp,
                     options=KRYLOV)
    assert rp.nit == rh.nit and np.allclose(rp.x, rh.x, atol=1e-8)
    # neither: central differences of the gradient, two gradient calls per product
    rd = nl.minimize(p.fun, p.x0, method="saddle-free-newton", jac=p.jac, options=KRYLOV)
    assert rd.success and rd.nhev == 0 and rd.njev == rd.nfev >= 2 * 10 * rd.nit  # k = n = 10


def test_end_point_saddle_test_uses_ritz_values():
    p = problems.get("saddle_xy")
    # from the x axis g never sees y: one step lands on the saddle, where the Ritz test
    # (from a pseudo-random start, not from g ~ 0) finds lambda = -2
    r = nl.minimize(p.fun, [1.0, 0.0], method="saddle-free-newton", jac=p.jac, hessp=p.hessp,
                    options=KRYLOV)
    assert r.status == 14 and not r.success and r.kind == "saddle" and r.nit == 1
    assert r.nhev == 1 + 2                      # the step's Lanczos breaks down after 1 product
    # at a saddle from the start (nit = 0): the same test, then the front door's classify
    him = problems.get("himmelblau")
    s = next(c for c in him.critical_points if c.kind == "saddle")
    r = nl.minimize(him.fun, s.x.copy(), method="saddle-free-newton", jac=him.jac,
                    hessp=him.hessp, options=KRYLOV)
    assert r.nit == 0 and r.status == 14 and r.kind == "saddle"
    # a minimum stays a success (Ritz values >= lambda_min never invent negative curvature)
    r = nl.minimize(him.fun, np.array([1.0, 1.0]), method="saddle-free-newton", jac=him.jac,
                    hessp=him.hessp, options=KRYLOV)
    assert r.success and r.status == 0
    # second_order=True escapes the saddle as with the dense variant
    r = nl.minimize(him.fun, s.x + 1e-9, method="saddle-free-newton", jac=him.jac,
                    hessp=him.hessp, options={**KRYLOV, "second_order": True})
    assert r.success and r.fun == pytest.approx(0.0, abs=1e-10)


# ------------------------------------------------------------------ n = 20,000

N_BIG = 20_000


@numba.njit(cache=True)
def chain_quartic(x):
    """sum_i (x_i^4/4 - s_i x_i^2/2) + (1/2) sum_i (x_{i+1} - x_i)^2 / 4 with s_i = +-1:
    the origin is a saddle with n/2 negative directions (s_i = 1 and the chain weak)."""
    f = 0.0
    for i in range(x.size):
        s = 1.0 if i % 2 == 0 else -1.0
        f += 0.25 * x[i] ** 4 - 0.5 * s * x[i] ** 2
    for i in range(x.size - 1):
        f += 0.125 * (x[i + 1] - x[i]) ** 2
    return f


@numba.njit(cache=True)
def chain_quartic_jac(x):
    n = x.size
    g = np.empty(n)
    for i in range(n):
        s = 1.0 if i % 2 == 0 else -1.0
        g[i] = x[i] ** 3 - s * x[i]
    for i in range(n - 1):
        d = 0.25 * (x[i + 1] - x[i])
        g[i] -= d
        g[i + 1] += d
    return g


@numba.njit(cache=True)
def chain_quartic_hessp(x, v):
    n = x.size
    out = np.empty(n)
    for i in range(n):
        s = 1.0 if i % 2 == 0 else -1.0
        out[i] = (3.0 * x[i] ** 2 - s) * v[i]
    for i in range(n - 1):
        d = 0.25 * (v[i + 1] - v[i])
        out[i] -= d
        out[i + 1] += d
    return out


@pytest.mark.skipif(NO_JIT, reason="n = 20,000 interpreted is not the point")
def test_twenty_thousand_variables_in_seconds():
    x0 = 1e-3 * np.random.default_rng(7).standard_normal(N_BIG)       # next to the saddle 0
    f, g, hp = chain_quartic, chain_quartic_jac, chain_quartic_hessp
    nl.minimize(f, x0[:10], method="saddle-free-newton", jac=g, hessp=hp, options=KRYLOV)
    t = time.perf_counter()
    r = nl.minimize(f, x0, method="saddle-free-newton", jac=g, hessp=hp, options=KRYLOV)
    seconds = time.perf_counter() - t
    assert r.execution == "compiled" and r.success, r.message
    assert seconds < 10.0, seconds              # 0.35 s here (see the docs' benchmark)
    # far below the saddle's f = 0 (a local minimum: the signs of the x_i at the saddle pick
    # one of many; all aligned would give about -N / 8)
    assert r.fun < -0.02 * N_BIG
    assert r.trace["min_eig"][1] < 0 < r.trace["min_eig"][-1]   # negative curvature left behind
    assert r.nhev <= SFN.KRYLOV_DIM * (r.nit + 1)


# -------------------------------------------------------------- modes and options

@pytest.mark.nojit
def test_compiled_and_interpreted_iterates_equal():
    p = problems.get("chained_rosenbrock")
    o = {**KRYLOV, "krylov_dim": 5, "return_all": True, "maxiter": 40}
    rc = nl.minimize(p.fun, p.x0, method="saddle-free-newton", jac=p.jac, hessp=p.hessp,
                     options=o)
    rp = nl.minimize(_py(p.fun), p.x0, method="saddle-free-newton", jac=_py(p.jac),
                     hessp=_py(p.hessp), options=o)
    if not NO_JIT:
        assert rc.execution == "compiled" and rp.execution == "interpreted"
    assert (rc.nit, rc.nfev, rc.nhev, rc.status) == (rp.nit, rp.nfev, rp.nhev, rp.status)
    np.testing.assert_array_equal(rc.allvecs, rp.allvecs)
    np.testing.assert_array_equal(rc.trace["min_eig"], rp.trace["min_eig"])


def test_registry_lists_the_krylov_options():
    m = nl.METHODS["saddle-free-newton"]
    assert (m.defaults["subproblem"], m.defaults["krylov_dim"], m.defaults["damping"]) == \
        ("eig", None, 0.0)
    assert m.choices["subproblem"] == ("eig", "krylov") and m.needs_hessp
    assert {"options": {"subproblem": "krylov"}, "hess": False} in m.variants


@pytest.mark.parametrize("opts, key", [
    ({"subproblem": "lanczos"}, "subproblem"), ({**KRYLOV, "krylov_dim": 0}, "krylov_dim"),
    ({**KRYLOV, "krylov_dim": 2.5}, "krylov_dim"), ({**KRYLOV, "damping": -1.0}, "damping"),
    ({"damping": 0.1}, "damping"), ({"krylov_dim": 3}, "krylov_dim"),
])
def test_bad_options_named(opts, key):
    p = problems.get("rosenbrock")
    with pytest.raises(ValueError, match=key):
        nl.minimize(p.fun, p.x0, method="saddle-free-newton", jac=p.jac, hessp=p.hessp,
                    options=opts)


def test_eig_with_hessp_only_warns_and_krylov_does_not():
    p = problems.get("rosenbrock")
    with pytest.warns(RuntimeWarning, match="subproblem"):
        r = nl.minimize(p.fun, p.x0, method="saddle-free-newton", jac=p.jac, hessp=p.hessp)
    assert r.success and "hess" in r               # the finite-difference Hessian
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nl.minimize(p.fun, p.x0, method="saddle-free-newton", jac=p.jac, hessp=p.hessp,
                    options=KRYLOV)
        nl.minimize(p.fun, p.x0, method="saddle-free-newton", jac=p.jac, hess=p.hess)


def test_damping_shortens_the_step_towards_scaled_steepest_descent():
    H, _ = random_indefinite(10)
    g = RNG.standard_normal(10)
    p0, _, _ = jitted_step(H, g, 10)
    p1, _, _ = jitted_step(H, g, 10, damping=1e6)
    assert np.linalg.norm(p1) < np.linalg.norm(p0)
    assert np.linalg.norm(1e6 * p1 + g) <= 1e-5 * np.linalg.norm(g)    # lambda -> inf: -g / lambda


def test_krylov_dim_is_capped_at_n():
    p = problems.get("rosenbrock")
    r = nl.minimize(p.fun, p.x0, method="saddle-free-newton", jac=p.jac, hessp=p.hessp,
                    options={**KRYLOV, "krylov_dim": 50})
    assert r.success and r.nhev <= 2 * (r.nit + 1)


@pytest.mark.nojit
def test_non_finite_product_stops_with_status_17():
    p = problems.get("rosenbrock")
    calls = [0]

    def hessp(x, v):
        calls[0] += 1
        return _py(p.hessp)(x, v) if calls[0] <= 5 else np.full(2, math.nan)

    r = nl.minimize(_py(p.fun), p.x0, method="saddle-free-newton", jac=_py(p.jac), hessp=hessp,
                    options=KRYLOV)
    assert r.status == 17 and not r.success and np.all(np.isfinite(r.x))
    assert r.fun < p.fun(p.x0) and r.nhev == 6      # two directions, then the NaN product
