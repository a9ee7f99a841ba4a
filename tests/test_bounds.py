"""Box constraints: lbfgs / scipy's L-BFGS-B (``minimize(bounds=...)``).

The kernels of ``_engine/box.py`` and ``_engine/box_compact.py`` against NumPy oracles
(the blocks kept up to date as pairs enter and leave and variables change set against a
from-scratch build, the factors against NumPy's, M v against a solve with M^{-1}, the
compact matrix against the BFGS recursion, the generalized Cauchy point against a
breakpoint walk on the explicit matrix, the subspace step against the reduced Newton step),
then whole runs against scipy's Fortran L-BFGS-B, a quadratic with a known KKT point, and
the front door's checks.
"""
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.optimize import Bounds, minimize as scipy_minimize

import newtonlab as nl
from newtonlab import problems
from newtonlab._engine import box as BX
from newtonlab._engine import box_compact as BC

# also run with NUMBA_DISABLE_JIT=1 (.ci/run): interpreted, the same results
pytestmark = pytest.mark.nojit


def py(f):
    """The plain-Python form of a problem's function (itself without the JIT)."""
    return getattr(f, "py_func", f)


# ---------------------------------------------------------------------------------------
# kernels against NumPy oracles

def _memory(rng, n, k, m, z=None):
    """k curvature pairs (y = A s, A SPD) pushed into buffers of size m as the loop does,
    with the free-set blocks summed over the mask z (random if None), and the factors of
    ``compact``; the pairs kept, oldest first, in ``pairs``."""
    Q = rng.standard_normal((n, n))
    A = Q @ Q.T + 0.5 * np.eye(n)
    z = (rng.random(n) < 0.6) if z is None else z
    mem = SimpleNamespace(S=np.zeros((m, n)), Y=np.zeros((m, n)), SY=np.zeros((m, m)),
                          SS=np.zeros((m, m)), WN=np.zeros((2 * m, 2 * m)),
                          zprev=z.astype(np.int64), head=-1, count=0, pairs=[])
    for _ in range(k):
        _push(mem, rng.standard_normal(n), A)
    _factor(mem)
    return mem


def _push(mem, s, A):
    """Push (s, A s) as the loop does and keep the pair list in step."""
    y = A @ s
    mem.head, mem.count = BC.push_pair(mem.S, mem.Y, mem.SY, mem.SS, mem.WN, mem.zprev,
                                       mem.head, mem.count, s, y)
    mem.pairs = (mem.pairs + [(s, y)])[-mem.S.shape[0]:]


def _factor(mem):
    n, m = mem.S.shape[1], mem.S.shape[0]
    s, y = mem.pairs[-1] if mem.pairs else (np.ones(1), np.ones(1))
    mem.theta, mem.k = y @ y / (s @ y), mem.count
    mem.W, mem.LD, mem.J = np.zeros((n, 2 * m)), np.zeros((m, m)), np.zeros((m, m))
    if mem.k:
        assert BC.compact(mem.S, mem.Y, mem.SY, mem.SS, mem.head, mem.k, mem.theta, mem.W,
                          mem.LD, mem.J)


def _chrono(mem):
    """S, Y (n x k, oldest first) and K = M^{-1} = [[-D, L^T], [L, theta S^T S]], in NumPy."""
    S = np.array([s for s, _ in mem.pairs]).T
    Y = np.array([y for _, y in mem.pairs]).T
    SY = S.T @ Y
    L = np.tril(SY, -1)
    K = np.block([[-np.diag(np.diag(SY)), L.T], [L, mem.theta * S.T @ S]])
    return S, Y, K


def _blocks_oracle(mem, z):
    """The free-set blocks from scratch: (Y^T Z Z^T Y, [S^T A A^T Y below the diagonal,
    S^T Z Z^T Y on and above], S^T A A^T S)."""
    S, Y, _ = _chrono(mem)
    Z, A = z != 0, z == 0
    low = np.tril(np.ones((mem.k, mem.k), bool), -1)
    return Y[Z].T @ Y[Z], np.where(low, S[A].T @ Y[A], S[Z].T @ Y[Z]), S[A].T @ S[A]


def _bfgs_matrix(theta, pairs, n):
    """B from theta I by the direct BFGS recursion (N&W eq. 6.19), oldest pair first."""
    B = theta * np.eye(n)
    for s, y in pairs:
        Bs = B @ s
        B = B - np.outer(Bs, Bs) / (s @ Bs) + np.outer(y, y) / (y @ s)
    return B


def _m_times(mem, v):
    out = np.zeros(2 * mem.S.shape[0])
    BC.bmv(mem.LD, mem.J, mem.k, np.concatenate([v, np.zeros(out.size - v.size)]), out)
    return out[:2 * mem.k]


@pytest.mark.parametrize("seed", range(4))
def test_pairs_and_free_set_blocks_match_a_fresh_numpy_build(seed):
    """S^T Y, S^T S and the free-set blocks, updated as pairs enter and leave the circular
    buffer and as variables change set (one at a time, and most at once: the rebuild),
    against a from-scratch build of the pairs kept; a memory reset (count = 0, as the loop
    does) leaves nothing stale behind."""
    rng = np.random.default_rng(300 + seed)
    n, m = 7, 4
    Q = rng.standard_normal((n, n))
    A = Q @ Q.T + np.eye(n)
    mem = _memory(rng, n, 0, m)
    lo = np.tril(np.ones((m, m), bool))
    ya, sa = np.zeros(m), np.zeros(m)
    for step in range(14):                      # wraps the buffer, resets, wraps again
        if step == 7:
            mem.count, mem.pairs = 0, []
        _push(mem, rng.standard_normal(n), A)
        free = mem.zprev.copy()
        flip = rng.choice(n, 1 if step % 3 else 5, replace=False)
        free[flip] = 1 - free[flip]
        BC.update_free(mem.S, mem.Y, mem.head, mem.count, mem.WN, mem.zprev, free, ya, sa)
        assert np.array_equal(mem.zprev, free)
        _factor(mem)
        k = mem.k
        S, Y, _ = _chrono(mem)
        yzy, rza, sas = _blocks_oracle(mem, free)
        close = dict(rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(mem.SY[:k, :k], S.T @ Y, **close)
        np.testing.assert_allclose(mem.SS[:k, :k][lo[:k, :k]], (S.T @ S)[lo[:k, :k]], **close)
        np.testing.assert_allclose(mem.WN[:k, :k][lo[:k, :k]], yzy[lo[:k, :k]], **close)
        np.testing.assert_allclose(mem.WN[m:m + k, :k], rza, **close)
        np.testing.assert_allclose(mem.WN[m:m + k, m:m + k][lo[:k, :k]], sas[lo[:k, :k]],
                                   **close)


@pytest.mark.parametrize("k", [1, 3, 7])
def test_compact_factors(k):
    rng = np.random.default_rng(k)
    mem = _memory(rng, 6, k, 5)
    k = mem.k
    S, Y, _ = _chrono(mem)
    SY = S.T @ Y
    D, L = np.diag(SY), np.tril(SY, -1)
    np.testing.assert_allclose(np.tril(mem.LD[:k, :k]), np.tril(SY), rtol=1e-12)
    np.testing.assert_allclose(np.triu(mem.LD[:k, :k], 1), (L / D).T, rtol=1e-12)
    F = np.linalg.cholesky(mem.theta * S.T @ S + L @ np.diag(1 / D) @ L.T)
    J = mem.J[:k, :k]
    np.testing.assert_allclose(np.tril(J, -1), np.tril(F, -1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.diag(J), 1 / np.diag(F), rtol=1e-10)   # reciprocals


@pytest.mark.parametrize("k", [1, 2, 6])
def test_bmv_is_the_inverse_middle_matrix(k):
    rng = np.random.default_rng(10 + k)
    mem = _memory(rng, 6, k, 4)
    _, _, K = _chrono(mem)
    v = rng.standard_normal(2 * mem.k)
    np.testing.assert_allclose(_m_times(mem, v), np.linalg.solve(K, v), rtol=1e-9, atol=1e-12)
    w = np.concatenate([v, np.zeros(8 - v.size)])
    BC.bmv(mem.LD, mem.J, mem.k, w, w)             # in place
    np.testing.assert_allclose(w[:v.size], np.linalg.solve(K, v), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("k", [0, 1, 3, 7])
def test_compact_form_is_the_bfgs_matrix(k):
    rng = np.random.default_rng(k)
    n = 6
    mem = _memory(rng, n, k, 5)
    nc = 2 * mem.k
    M = np.array([_m_times(mem, e) for e in np.eye(nc)]).reshape(nc, nc).T
    Bc = mem.theta * np.eye(n) - mem.W[:, :nc] @ M @ mem.W[:, :nc].T
    np.testing.assert_allclose(Bc, _bfgs_matrix(mem.theta, mem.pairs, n), rtol=1e-9, atol=1e-9)


def test_cholesky_and_triangular_solves_on_a_block():
    rng = np.random.default_rng(5)
    Q = rng.standard_normal((4, 4))
    T = Q @ Q.T + np.eye(4)
    A = rng.standard_normal((7, 7))
    A[2:6, 2:6] = np.tril(T) + np.triu(rng.standard_normal((4, 4)), 1)  # upper: not read
    upper = np.triu(A, 1).copy()
    assert BC.chol(A, 2, 4)
    F = np.linalg.cholesky(T)
    np.testing.assert_allclose(np.tril(A[2:6, 2:6], -1), np.tril(F, -1), rtol=1e-12)
    np.testing.assert_allclose(np.diag(A[2:6, 2:6]), 1 / np.diag(F), rtol=1e-12)
    np.testing.assert_array_equal(np.triu(A, 1), upper)
    b = rng.standard_normal(6)
    x = b.copy()
    BC.fsolve(A, 2, 4, x, 1)
    np.testing.assert_allclose(x[1:5], np.linalg.solve(F, b[1:5]), rtol=1e-12)
    BC.bsolve(A, 2, 4, x, 1)
    np.testing.assert_allclose(x[1:5], np.linalg.solve(T, b[1:5]), rtol=1e-10)
    assert x[0] == b[0] and x[5] == b[5]
    assert not BC.chol(np.diag([1.0, -1.0, 2.0]), 0, 3)
    assert not BC.chol(np.diag([1.0, np.nan]), 0, 2)


@pytest.mark.parametrize("seed", range(4))
def test_heap_gives_breakpoints_in_order(seed):
    rng = np.random.default_rng(seed)
    t = np.round(rng.uniform(0.0, 3.0, 13), 1)             # ties
    idx = rng.permutation(13)[:9].astype(np.int64)
    heap = idx.copy()
    BX.heap_build(heap, t, heap.size)
    got = [BX.heap_pop(heap, t, size) for size in range(heap.size, 0, -1)]
    assert sorted(got) == sorted(idx.tolist())
    assert np.all(np.diff(t[got]) >= 0)


@pytest.mark.parametrize("seed", range(6))
def test_reduced_matrix_factors(seed):
    """P = K - W^T Z Z^T W / theta from the kept blocks, factored as
    [[E1, 0], [C^T, F1]] diag(-I, I) [[E1, 0], [C^T, F1]]^T, and its solve."""
    rng = np.random.default_rng(400 + seed)
    n, m = 8, 4
    mem = _memory(rng, n, 2 + seed, m)
    k = mem.k
    free = (rng.random(n) < [0.2, 0.5, 0.8][seed % 3]).astype(np.int64)
    BC.update_free(mem.S, mem.Y, mem.head, k, mem.WN, mem.zprev, free, np.zeros(m),
                   np.zeros(m))
    _, _, K = _chrono(mem)
    Wz = mem.W[free != 0, :2 * k]
    P_ref = K - Wz.T @ Wz / mem.theta
    P = np.zeros((2 * m, 2 * m))
    assert BX.reduced(mem.WN, k, mem.theta, mem.LD, P)
    Lp = np.tril(P[:2 * k, :2 * k])
    for o in (0, k):                       # the diagonals hold reciprocals
        Lp[o:o + k, o:o + k] = np.tril(Lp[o:o + k, o:o + k], -1) + np.diag(
            1 / np.diag(P[o:o + k, o:o + k]))
    sig = np.diag([-1.0] * k + [1.0] * k)
    np.testing.assert_allclose(Lp @ sig @ Lp.T, P_ref, rtol=1e-9, atol=1e-9)
    v = rng.standard_normal(2 * k)
    w = np.concatenate([v, np.zeros(2 * (m - k))])
    BX.reduced_solve(P, k, w)
    np.testing.assert_allclose(w[:2 * k], np.linalg.solve(P_ref, v), rtol=1e-8, atol=1e-10)


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


def _cauchy(mem, x, g, lb, ub):
    n, m = x.size, mem.S.shape[0]
    xc, c, d, t = np.empty(n), np.zeros(2 * m), np.empty(n), np.empty(n)
    free = np.zeros(n, np.int64)
    BX.cauchy(x, g, lb, ub, mem.W, mem.k, mem.theta, mem.LD, mem.J, xc, c, np.zeros(2 * m),
              np.zeros(2 * m), d, t, np.zeros(n, np.int64), free)
    return xc, c, free


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


@pytest.mark.parametrize("seed", range(12))
def test_cauchy_point_matches_breakpoint_walk(seed):
    rng = np.random.default_rng(100 + seed)
    n, m = 7, 4
    mem = _memory(rng, n, seed % 6, m)
    nc = 2 * mem.k
    B = _bfgs_matrix(mem.theta, mem.pairs, n)
    x, g, lb, ub = _instance(rng, n)
    xc, c, free = _cauchy(mem, x, g, lb, ub)
    ref, moving = _cauchy_oracle(x, g, lb, ub, B)
    np.testing.assert_allclose(xc, ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(c[:nc], mem.W[:, :nc].T @ (xc - x), rtol=1e-8, atol=1e-10)
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
    mem = _memory(rng, n, 1 + seed % 5, m)
    B = _bfgs_matrix(mem.theta, mem.pairs, n)
    x, g, lb, ub = _instance(rng, n)
    xc, c, free = _cauchy(mem, x, g, lb, ub)
    BC.update_free(mem.S, mem.Y, mem.head, mem.k, mem.WN, mem.zprev, free, np.zeros(m),
                   np.zeros(m))
    xbar, r = np.empty(n), np.empty(n)
    assert BX.subspace(x, g, lb, ub, mem.W, mem.k, mem.theta, mem.LD, mem.J, mem.WN, xc, c,
                       free, xbar, r, np.zeros((2 * m, 2 * m)), np.zeros(2 * m),
                       np.zeros(2 * m))
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
