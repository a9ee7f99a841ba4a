"""Property tests (hypothesis): random SPD quadratics, invariances, quasi-Newton updates.

Examples are derandomized (the same ones on every run and machine) and small, so the
file runs in seconds; objectives are plain Python (the interpreted driver runs the
compiled loops' source, see test_matrix).
"""
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import newtonlab as nl
from newtonlab._engine import kernels as K
from newtonlab._engine import status as S
from newtonlab.methods.lbfgs import lbfgs_push
from newtonlab.methods.sr1 import sr1_update

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None)
QUASI_NEWTON = ["bfgs", "lbfgs"]
SECOND_ORDER = [m for m in nl.METHODS if nl.METHODS[m].family != "firstorder"]


def spd(n, seed, log_kappa):
    """A random SPD matrix with condition number 10**log_kappa, and a random b."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = np.logspace(0.0, log_kappa, n)
    return (Q * lam) @ Q.T, rng.standard_normal(n), rng.standard_normal(n)


def quadratic(A, b):
    return (lambda x: 0.5 * x @ A @ x - b @ x, lambda x: A @ x - b, lambda x: A,
            lambda x, p: A @ p)


# Loops, not A @ x: BLAS results can depend on the arrays' memory alignment, so two calls
# on equal inputs may differ in the last bit, and an exact invariance could not be tested.
@numba.njit
def _matvec(A, x):
    out = np.zeros(x.size)
    for i in range(x.size):
        for j in range(x.size):
            out[i] += A[i, j] * x[j]
    return out


@numba.njit
def q_fun(x, A, b):
    return 0.5 * np.sum(x * _matvec(A, x)) - np.sum(b * x)


@numba.njit
def q_jac(x, A, b):
    return _matvec(A, x) - b


@numba.njit
def q_hess(x, A, b):
    return A.copy()


@numba.njit
def q_hessp(x, p, A, b):
    return _matvec(A, p)


problems = st.tuples(st.integers(2, 6), st.integers(0, 2 ** 32 - 1), st.floats(0.0, 3.0))


@SETTINGS
@given(problems)
def test_newton_solves_an_spd_quadratic_in_one_step(prob):
    A, b, x0 = spd(*prob)
    f, g, h, _ = quadratic(A, b)
    res = nl.minimize(f, x0, method="newton", jac=g, hess=h, options={"gtol": 1e-8})
    assert res.success and res.nit == 1 and res.kind == "minimum"
    np.testing.assert_allclose(res.x, np.linalg.solve(A, b), rtol=1e-8, atol=1e-8)


@SETTINGS
@given(problems, st.sampled_from(QUASI_NEWTON))
def test_quasi_newton_converges_or_says_why(prob, method):
    A, b, x0 = spd(*prob)
    f, g, _, _ = quadratic(A, b)
    res = nl.minimize(f, x0, method=method, jac=g)
    assert res.fun <= f(x0)
    if res.success:
        assert np.max(np.abs(g(res.x))) <= 1e-5
        np.testing.assert_allclose(res.x, np.linalg.solve(A, b), atol=1e-3)
    else:
        assert res.status in (S.LINESEARCH, S.MAXITER, S.STALLED), res.message


@SETTINGS
@given(problems, st.integers(-60, 60), st.sampled_from(SECOND_ORDER))
def test_f_to_c_f_changes_nothing_with_gtol_scale_g0(prob, e, method):
    """c = 2**e scales exactly: iterates and counts identical, values scaled by c
    (compiled: the quadratic problems' args type, warmed up in CI)."""
    A, b, x0 = spd(*prob)
    c = 2.0 ** e
    m = nl.METHODS[method]

    def run(s):
        kw = {"hess": q_hess} if m.needs_hess else {"hessp": q_hessp} if m.needs_hessp else {}
        return nl.minimize(q_fun, x0, args=(s * A, s * b), method=method, jac=q_jac,
                           options={"gtol_scale": "g0"}, **kw)
    r1, rc = run(1.0), run(c)
    assert (rc.nit, rc.nfev, rc.njev, rc.nhev, rc.status) == (r1.nit, r1.nfev, r1.njev,
                                                              r1.nhev, r1.status)
    np.testing.assert_array_equal(rc.x, r1.x)
    assert rc.fun == c * r1.fun


@SETTINGS
@given(st.integers(2, 5), st.integers(0, 2 ** 32 - 1))
def test_newton_is_affine_invariant(n, seed):
    """Newton on F(Q y + t) from y0 = Q^-1 (x0 - t) visits Q^-1 (x_k - t): a strictly
    convex F (no Hessian modification), Q any invertible matrix."""
    rng = np.random.default_rng(seed)
    Q = rng.standard_normal((n, n)) + 3.0 * np.eye(n)
    t = rng.standard_normal(n)
    x0 = rng.standard_normal(n)

    def F(x):
        return float(np.sum(np.exp(x) - x) + 0.5 * x @ x)

    def G(x):
        return np.exp(x) - 1.0 + x

    def H(x):
        return np.diag(np.exp(x) + 1.0)

    opts = {"gtol": 1e-7, "return_all": True}
    rx = nl.minimize(F, x0, method="newton", jac=G, hess=H, options=opts)
    ry = nl.minimize(lambda y: F(Q @ y + t), np.linalg.solve(Q, x0 - t), method="newton",
                     jac=lambda y: Q.T @ G(Q @ y + t), hess=lambda y: Q.T @ H(Q @ y + t) @ Q,
                     options=opts)
    # both end at the minimizer; the last step may differ: the inf-norm gradient test is not
    # affine invariant, and at the precision limit a search may report LINESEARCH instead
    assert {rx.status, ry.status} <= {S.SUCCESS, S.LINESEARCH}
    k = min(rx.nit, ry.nit)
    assert abs(rx.nit - ry.nit) <= 1
    for xk, yk in zip(rx.allvecs[:k], ry.allvecs[:k]):
        np.testing.assert_allclose(Q @ yk + t, xk, rtol=1e-7, atol=1e-9)


pairs = st.tuples(st.integers(2, 8), st.integers(0, 2 ** 32 - 1))


def _pair(n, seed):
    """A random (s, y) with s^T y > 0, and an SPD H."""
    rng = np.random.default_rng(seed)
    s = rng.standard_normal(n)
    y = rng.standard_normal(n)
    if s @ y <= 0.1 * np.linalg.norm(s) * np.linalg.norm(y):
        y = y - (s @ y) / (s @ s) * s + 0.5 * np.linalg.norm(y) / np.linalg.norm(s) * s
    M = rng.standard_normal((n, n))
    return s, y, M @ M.T + np.eye(n)


@SETTINGS
@given(pairs)
def test_bfgs_update_meets_the_secant_equation_and_stays_positive_definite(pair):
    s, y, H = _pair(*pair)
    K.bfgs_inverse_update(H, s, y, 1.0 / (s @ y), np.empty(s.size))
    np.testing.assert_allclose(H @ y, s, rtol=1e-8, atol=1e-10)            # H_{k+1} y = s
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-12)
    assert np.linalg.eigvalsh(H).min() > 0.0


@SETTINGS
@given(pairs, st.integers(1, 6))
def test_lbfgs_two_loop_meets_the_latest_secant_equation(pair, m):
    """The two-loop recursion applies H_k with H_k y_{k-1} = s_{k-1} (N&W Alg. 7.4)."""
    n, seed = pair
    rng = np.random.default_rng(seed)
    S_, Y_ = np.zeros((m, n)), np.zeros((m, n))
    rho = np.zeros(m)
    head, count = m - 1, 0
    for _ in range(m + 2):                  # wrap the ring buffer
        s, y, _ = _pair(n, int(rng.integers(2 ** 32)))
        head, count = lbfgs_push(S_, Y_, rho, head, count, s, y, s @ y)
    gamma = (s @ y) / (y @ y)
    out = np.empty(n)
    K.two_loop(y, S_, Y_, rho, head, count, gamma, np.empty(m), out)     # out = -H_k y
    np.testing.assert_allclose(-out, s, rtol=1e-8, atol=1e-10)


@SETTINGS
@given(pairs)
def test_sr1_update_meets_the_secant_equation(pair):
    s, y, B = _pair(*pair)
    r = y - B @ s
    if abs(r @ s) <= 1e-8 * np.linalg.norm(r) * np.linalg.norm(s):
        return                               # SR1 skips such pairs (N&W eq. 6.26)
    assert sr1_update(B, s, y, 1e-8, np.empty(s.size)) == 0.0
    np.testing.assert_allclose(B @ s, y, rtol=1e-7, atol=1e-9)              # B_{k+1} s = y
    np.testing.assert_allclose(B, B.T, rtol=1e-12, atol=1e-12)


# also run with NUMBA_DISABLE_JIT=1 (.ci/run): interpreted, the same properties
pytestmark = [pytest.mark.filterwarnings("ignore::RuntimeWarning"), pytest.mark.nojit]
