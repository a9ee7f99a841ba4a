"""Every compiled kernel against a slow NumPy oracle."""
import math

import numpy as np
import pytest

from newtonlab._engine import factor as FA
from newtonlab._engine import kernels as K
from newtonlab._engine import linesearch as LS
from newtonlab.methods.lbfgs import lbfgs_push

# also run with NUMBA_DISABLE_JIT=1 (.ci/run): interpreted, the same results
pytestmark = pytest.mark.nojit

RNG = np.random.default_rng(42)


def spd(n, rng=RNG):
    M = rng.standard_normal((n, n))
    return M @ M.T + n * np.eye(n)


@pytest.mark.parametrize("n", [1, 3, 17])
def test_vector_kernels(n):
    a, b = RNG.standard_normal(n), RNG.standard_normal(n)
    assert K.dot(a, b) == pytest.approx(a @ b, rel=1e-14)
    assert K.norm_inf(a) == np.max(np.abs(a))
    assert K.norm2(a) == pytest.approx(np.linalg.norm(a), rel=1e-14)
    out = np.empty(n)
    K.trial_point(a, b, 0.3, out)
    np.testing.assert_allclose(out, a + 0.3 * b, rtol=1e-15)
    K.neg(a, out)
    np.testing.assert_array_equal(out, -a)
    K.copy_into(b, out)
    np.testing.assert_array_equal(out, b)
    K.fill(out, 2.5)
    np.testing.assert_array_equal(out, np.full(n, 2.5))
    A = RNG.standard_normal((n, n))
    K.neg_matvec(A, a, out)
    np.testing.assert_allclose(out, -A @ a, rtol=1e-12, atol=1e-14)
    K.matvec(A, a, out)
    np.testing.assert_allclose(out, A @ a, rtol=1e-12, atol=1e-14)
    K.matvec_t(A, a, out)
    np.testing.assert_allclose(out, A.T @ a, rtol=1e-12, atol=1e-14)


def test_norms_see_nan_and_scale():
    assert math.isnan(K.norm_inf(np.array([1.0, np.nan, 2.0])))
    assert not K.all_finite(np.array([0.0, np.inf]))
    big = np.array([1e200, 1e200])
    assert K.norm2(big) == pytest.approx(math.sqrt(2) * 1e200)   # no overflow


def test_step_pair():
    x, xn, g, gn = (RNG.standard_normal(5) for _ in range(4))
    s, y = np.empty(5), np.empty(5)
    sy, ss, yy = K.step_pair(xn, x, gn, g, s, y)
    np.testing.assert_allclose(s, xn - x)
    np.testing.assert_allclose(y, gn - g)
    assert (sy, ss, yy) == pytest.approx(((xn - x) @ (gn - g), (xn - x) @ (xn - x), (gn - g) @ (gn - g)))


@pytest.mark.parametrize("n", [1, 5, 37])
def test_step_pair_gnorm(n):
    """The fused commit pass: step_pair's results bit for bit, and ||g_new||_inf."""
    x, xn, g, gn = (RNG.standard_normal(n) for _ in range(4))
    s, y, s2, y2 = (np.empty(n) for _ in range(4))
    sy, ss, yy, gnorm = K.step_pair_gnorm(xn, x, gn, g, s, y)
    np.testing.assert_array_equal(s, xn - x)
    np.testing.assert_array_equal(y, gn - g)
    assert (sy, ss, yy) == K.step_pair(xn, x, gn, g, s2, y2)        # the same sums, same bits
    assert (sy, ss, yy) == pytest.approx(((xn - x) @ (gn - g), (xn - x) @ (xn - x),
                                          (gn - g) @ (gn - g)))
    assert gnorm == np.max(np.abs(gn)) == K.norm_inf(gn)
    gn[n // 2] = np.nan
    assert math.isnan(K.step_pair_gnorm(xn, x, gn, g, s, y)[3])


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_dot_is_not_finite_when_a_factor_is_not(bad):
    """What the line-search loop relies on to skip all_finite(g_t) after a finite slope:
    one inf or NaN g_i makes g^T p inf or NaN, even where p_i = 0 (inf * 0 = NaN)."""
    n = 41                                       # vector body and scalar remainder
    p = RNG.standard_normal(n)
    p[::3] = 0.0
    for i in (0, 3, 7, 20, 39, 40):
        g = RNG.standard_normal(n)
        g[i] = bad
        assert not math.isfinite(K.dot(g, p))
        assert not K.all_finite(g)


def test_bfgs_inverse_update_matches_eq_6_17():
    n = 6
    H = np.linalg.inv(spd(n))
    s = RNG.standard_normal(n)
    y = spd(n) @ s
    rho = 1.0 / (s @ y)
    ref = (np.eye(n) - rho * np.outer(s, y)) @ H @ (np.eye(n) - rho * np.outer(y, s)) + rho * np.outer(s, s)
    K.bfgs_inverse_update(H, s, y, rho, np.empty(n))
    np.testing.assert_allclose(H, ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(H @ y, s, rtol=1e-10)   # secant equation


def test_two_loop_equals_dense_bfgs_recursion():
    """L-BFGS two-loop = dense BFGS from gamma*I over the stored pairs (N&W §7.2)."""
    n, m, pairs = 7, 4, 6
    A = spd(n)
    S = np.zeros((m, n))
    Y = np.zeros((m, n))
    rho = np.zeros(m)
    head, count = -1, 0
    hist = []
    for _ in range(pairs):
        s = RNG.standard_normal(n)
        y = A @ s
        hist.append((s, y))
        head, count = lbfgs_push(S, Y, rho, head, count, s, y, s @ y)
    s_last, y_last = hist[-1]
    gamma = (s_last @ y_last) / (y_last @ y_last)
    H = gamma * np.eye(n)
    for s, y in hist[-m:]:
        r = 1.0 / (s @ y)
        H = (np.eye(n) - r * np.outer(s, y)) @ H @ (np.eye(n) - r * np.outer(y, s)) + r * np.outer(s, s)
    g = RNG.standard_normal(n)
    out = np.empty(n)
    K.two_loop(g, S, Y, rho, head, count, gamma, np.zeros(m), out)
    np.testing.assert_allclose(out, -H @ g, rtol=1e-10)
    assert count == m


def test_cholesky_and_solve():
    A = spd(8)
    L = np.zeros_like(A)
    assert FA.cholesky(A, 0.0, L)
    np.testing.assert_allclose(L, np.linalg.cholesky(A), rtol=1e-12)
    b = RNG.standard_normal(8)
    out = np.empty(8)
    FA.cholesky_solve(L, b, out)
    np.testing.assert_allclose(out, np.linalg.solve(A, b), rtol=1e-10)
    assert not FA.cholesky(-A, 0.0, L)
    assert not FA.cholesky(np.full((2, 2), np.nan), 0.0, np.zeros((2, 2)))


@pytest.mark.parametrize("n", [1, 7, 100, 131])
def test_cholesky_vectorized_rows_match_numpy(n):
    """Sizes beyond and between the vector width: rows_dot's vector body and its tail."""
    A = spd(n)
    L = np.full_like(A, np.nan)             # every entry written, upper triangle zeroed
    assert FA.cholesky(A, 0.5, L)
    np.testing.assert_allclose(L, np.linalg.cholesky(A + 0.5 * np.eye(n)), rtol=1e-10,
                               atol=1e-12)
    i, j = n - 1, n // 2
    assert np.isclose(FA.rows_dot(L, i, j, j), L[i, :j] @ L[j, :j], rtol=1e-12, atol=1e-14)
    lo = j // 3
    assert np.isclose(FA.rows_dot_from(L, i, j, lo, j), L[i, lo:j] @ L[j, lo:j], rtol=1e-12,
                      atol=1e-14)


def banded_spd(n, b, rng):
    """A symmetric positive definite matrix of bandwidth b (diagonally dominant)."""
    A = np.zeros((n, n))
    for i in range(n):
        for j in range(max(0, i - b), i):
            A[i, j] = A[j, i] = rng.standard_normal()
        A[i, i] = 2.0 * b + 3.0
    return A


@pytest.mark.parametrize("n, b", [(2, 1), (7, 1), (40, 1), (40, 3), (131, 2), (100, 10)])
def test_cholesky_over_the_envelope_matches_numpy(n, b):
    """Banded matrices: the factor is NumPy's, zeros outside the band included, whatever
    L held before (the envelope's bookkeeping borrows L's diagonal and last column)."""
    rng = np.random.default_rng(n + b)
    A = banded_spd(n, b, rng)
    for garbage in (np.nan, 7.0, -3.0):
        L = np.full_like(A, garbage)
        assert FA.cholesky(A, 0.25, L)
        np.testing.assert_allclose(L, np.linalg.cholesky(A + 0.25 * np.eye(n)), rtol=1e-10,
                                   atol=1e-12)
    b_ = rng.standard_normal(n)
    out = np.empty(n)
    FA.cholesky_solve(L, b_, out)
    np.testing.assert_allclose(out, np.linalg.solve(A + 0.25 * np.eye(n), b_), rtol=1e-10)


def test_cholesky_of_dense_wide_and_arrow_matrices():
    """Dense, wide-banded and arrow matrices (a few dense rows last: every column reaches
    the last row, most rows start late) match NumPy's factor."""
    rng = np.random.default_rng(3)
    n = 100
    arrow = banded_spd(n, 1, rng)
    arrow[-12:, :] = rng.standard_normal((12, n))
    arrow = arrow + arrow.T
    arrow[np.diag_indices(n)] = 2.0 * np.abs(arrow).sum(axis=1).max()
    for A in (spd(n), banded_spd(n, 30, rng), arrow):
        L = np.full_like(A, np.nan)
        assert FA.cholesky(A, 0.0, L)
        np.testing.assert_allclose(L, np.linalg.cholesky(A), rtol=1e-10, atol=1e-12)


def test_cholesky_envelope_with_holes_and_a_late_row():
    """An envelope that is not monotone (a last row coupled only to the first), zeros
    inside an envelope that fill in, a row with no off-diagonal entry."""
    rng = np.random.default_rng(5)
    n = 30
    A = banded_spd(n, 2, rng)
    A[10, 5] = A[5, 10] = 0.5                       # row 10: [x 0 0 x x d], holes at 6, 7
    A[10, 8] = A[8, 10] = 0.0                       # ... and at 8
    A[n - 1, :n - 1] = A[:n - 1, n - 1] = 0.0
    A[n - 1, 0] = A[0, n - 1] = 0.7                 # row n-1's envelope starts at 0
    A[15, 13:15] = A[13:15, 15] = 0.0               # row 15: diagonal only
    A[np.diag_indices(n)] = 2.0 * np.abs(A).sum(axis=1).max()
    expected = np.linalg.cholesky(A)
    assert expected[10, 6] != 0.0 and expected[10, 8] != 0.0    # the holes fill in
    L = np.full_like(A, 3.0)
    assert FA.cholesky(A, 0.0, L)
    np.testing.assert_allclose(L, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_cholesky_of_random_sparsity_patterns(seed):
    """Random symmetric patterns (any envelope: late starts, holes, rows reaching back to
    column 0, empty rows), random n from 1 to 45, L full of garbage, a shift tau: NumPy's
    factor; and a pattern made indefinite is reported, whatever its envelope."""
    rng = np.random.default_rng(100 + seed)
    for _ in range(8):
        n = int(rng.integers(1, 46))
        A = np.where(rng.random((n, n)) < rng.uniform(0.0, 0.3), rng.standard_normal((n, n)),
                     0.0)
        A = np.tril(A, -1)
        A = A + A.T
        A[np.diag_indices(n)] = np.abs(A).sum(axis=1) + rng.uniform(0.1, 1.0, n)
        L = rng.standard_normal((n, n)) * 1e3
        assert FA.cholesky(A, 0.5, L)
        np.testing.assert_allclose(L, np.linalg.cholesky(A + 0.5 * np.eye(n)), rtol=1e-10,
                                   atol=1e-12)
        k = int(rng.integers(0, n))
        A[k, k] = -1.0
        assert not FA.cholesky(A, 0.0, L)


def test_cholesky_envelope_reports_failure():
    """Not positive definite, or NaN inside or at the start of an envelope: False."""
    rng = np.random.default_rng(6)
    A = banded_spd(20, 1, rng)
    L = np.zeros_like(A)
    assert not FA.cholesky(-A, 0.0, L)
    B = A.copy()
    B[12, 12] = -50.0
    assert not FA.cholesky(B, 0.0, L)
    for i, j in [(7, 6), (7, 0), (7, 7)]:
        B = A.copy()
        B[i, j] = np.nan
        assert not FA.cholesky(B, 0.0, L)


def test_cholesky_rejects_an_infinite_pivot():
    """+inf on the diagonal, tau = inf, or a diagonal that overflows with tau: False (an
    infinite pivot made the column below it 0 and the factor "succeed"); the shift of
    Alg. 3.3 then ends at inf, which newton treats as a failed direction."""
    for A, tau in [(np.array([[np.inf]]), 0.0), (np.array([[1.0, 0.0], [0.5, np.inf]]), 0.0),
                   (np.eye(2), np.inf), (np.diag([1.7e308, 1.0]), 1.7e308)]:
        for dense in (True, False):
            B = A.copy()
            if not dense and B.shape[0] == 2:
                B[1, 0] = 0.0                       # the envelope loop
            assert not FA.cholesky(B, tau, np.zeros_like(B))
    L = np.zeros((2, 2))
    assert FA.modified_cholesky_shift(np.array([[1.7e308, 0.0], [0.0, -1e307]]), 1e-3, L) \
        == np.inf


@pytest.mark.parametrize("m", [0, 1, 5, 17, 40])
def test_first_nonzero_matches_numpy(m):
    rng = np.random.default_rng(m)
    a = np.zeros(40)
    for _ in range(3):
        a[:] = 0.0
        if m:
            a[rng.integers(0, m, size=rng.integers(1, 3))] = rng.standard_normal()
        nz = np.flatnonzero(a[:m])
        assert FA.first_nonzero(a, m) == (nz[0] if nz.size else m)
    a[:] = 0.0
    a[m // 2:] = np.nan
    assert FA.first_nonzero(a, m) == (m // 2 if m else 0)


def modified_cholesky_oracle(A, beta):
    """N&W Alg. 3.3, literally."""
    amin = np.min(np.diag(A))
    tau = 0.0 if amin > 0 else -amin + beta
    while True:
        try:
            np.linalg.cholesky(A + tau * np.eye(len(A)))
            return tau
        except np.linalg.LinAlgError:
            tau = max(2 * tau, beta)


@pytest.mark.parametrize("shift", [0.0, -3.0, -50.0])
def test_modified_cholesky_matches_alg_3_3(shift):
    A = spd(5) + shift * np.eye(5) - 8 * np.eye(5)
    L = np.zeros_like(A)
    tau = FA.modified_cholesky_shift(A, 1e-3, L)
    assert tau == modified_cholesky_oracle(A, 1e-3)
    np.testing.assert_allclose(L @ L.T, A + tau * np.eye(5), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("absolute", [False, True])
def test_eigen_modified_direction(absolute):
    A = np.diag([-4.0, 1e-12, 2.0]) + 0.0
    Q, _ = np.linalg.qr(RNG.standard_normal((3, 3)))
    A = Q @ A @ Q.T
    A = 0.5 * (A + A.T)
    g = RNG.standard_normal(3)
    lam, V = np.linalg.eigh(A)
    delta = 1e-8 * max(1.0, np.max(np.abs(lam)))
    mu = np.maximum(np.abs(lam) if absolute else lam, delta)
    ref = -V @ ((V.T @ g) / mu)
    out = np.empty(3)
    lmin = FA.eigen_modified_direction(A, g, 1e-8, absolute, out)
    assert lmin == pytest.approx(-4.0)
    np.testing.assert_allclose(out, ref, rtol=1e-8)


def test_cubic_minimizer_exact_on_a_cubic():
    f = np.poly1d([1.0, -2.0, -1.0, 3.0])       # local minimizer at (2 + sqrt(7)) / 3
    df = f.deriv()
    xm = (2 + math.sqrt(7)) / 3
    assert LS.cubic_minimizer(0.0, f(0.0), df(0.0), 3.0, f(3.0), df(3.0)) == pytest.approx(xm)
    assert LS.cubic_minimizer(3.0, f(3.0), df(3.0), 0.5, f(0.5), df(0.5)) == pytest.approx(xm)


def run_search(kind, phi, dphi, alpha0, c1=1e-4, c2=0.9, maxeval=40):
    st = LS.new_state()
    alpha = LS.ls_start(st, kind, phi(0.0), dphi(0.0), alpha0, c1, c2, 1e10, maxeval)
    evals = 0
    while True:
        evals += 1
        code, nxt = LS.ls_next(st, alpha, phi(alpha), dphi(alpha))
        if code != LS.CONTINUE:
            return code, alpha, evals
        alpha = nxt


ONE_D = [  # phi, dphi: 1-D test functions of Moré & Thuente (1994), Table 1 and 2 shapes
    (lambda a: -a / (a * a + 2.0), lambda a: (a * a - 2.0) / (a * a + 2.0) ** 2),
    (lambda a: (a + 0.004) ** 5 - 2 * (a + 0.004) ** 4, lambda a: 5 * (a + 0.004) ** 4 - 8 * (a + 0.004) ** 3),
    (lambda a: (a - 3.0) ** 2 - 9.0, lambda a: 2 * (a - 3.0)),
]


@pytest.mark.parametrize("fn", range(len(ONE_D)))
@pytest.mark.parametrize("alpha0", [1e-3, 1e-1, 1.0, 10.0, 1e3])
def test_wolfe_search_satisfies_strong_wolfe(fn, alpha0):
    # function 1 has phi'(0) ~ -5e-7 and |phi'| ~ 1 elsewhere: the curvature condition
    # holds only within ~1e-7 of the minimizer, so the search is an exact one there
    # (Moré & Thuente's own search needs 8-12 evaluations; the N&W zoom needs more)
    c2, budget = (0.5, 35) if fn == 1 else (0.1, 15)
    phi, dphi = ONE_D[fn]
    code, a, evals = run_search(LS.WOLFE, phi, dphi, alpha0, c2=c2)
    assert code == LS.ACCEPT
    assert phi(a) <= phi(0) + 1e-4 * a * dphi(0)
    assert abs(dphi(a)) <= c2 * abs(dphi(0))
    assert evals <= budget


@pytest.mark.parametrize("fn", range(len(ONE_D)))
@pytest.mark.parametrize("alpha0", [1e-1, 1.0, 10.0, 1e3])
def test_armijo_search_satisfies_sufficient_decrease(fn, alpha0):
    phi, dphi = ONE_D[fn]
    code, a, _ = run_search(LS.ARMIJO, phi, dphi, alpha0)
    assert code == LS.ACCEPT
    assert phi(a) <= phi(0) + 1e-4 * a * dphi(0)
    assert a <= alpha0


@pytest.mark.parametrize("kind", [LS.ARMIJO, LS.WOLFE])
def test_searches_back_off_from_nan(kind):
    """phi is NaN beyond 0.5: the search must shrink into the finite region and accept."""
    def phi(a):
        return math.nan if a > 0.5 else (a - 0.3) ** 2

    def dphi(a):
        return math.nan if a > 0.5 else 2 * (a - 0.3)
    code, a, _ = run_search(kind, phi, dphi, 4.0)
    assert code == LS.ACCEPT and a <= 0.5 and math.isfinite(phi(a))


def test_search_fails_honestly_on_an_ascent_line():
    code, _, evals = run_search(LS.ARMIJO, lambda a: a, lambda a: 1.0 + 0 * a, 1.0, maxeval=10)
    assert code == LS.FAIL and evals == 10


def test_fd_hessian_product_scales_with_huge_x():
    """h = eps^(1/3) max(1, ||x||) / ||v|| with a scaled norm: no overflow past 1.3e154."""
    from newtonlab._engine import evaluate as E

    def fun(x):
        return 0.0

    def jac(x):
        return 2.0 * x               # H = 2 I

    ob = (fun, jac, None, None, None, E.G_JAC, E.H_NONE, E.HP_FD, 1.0)
    x = np.full(3, 1e200)
    v = np.array([1.0, -2.0, 0.5])
    out = np.empty(3)
    E.eval_hessp(ob, x, v, out, ())
    np.testing.assert_allclose(out, 2.0 * v, rtol=1e-6)
    E.eval_hessp(ob, x, np.zeros(3), out, ())
    np.testing.assert_array_equal(out, 0.0)


def test_symmetrize_against_numpy():
    A = RNG.standard_normal((4, 4))
    S = A + A.T
    H = S.copy()
    assert K.symmetrize(H, 1e-8) == 0 and np.array_equal(H, S)          # already symmetric
    H = A.copy()
    assert K.symmetrize(H, 1e-8) == 1
    np.testing.assert_allclose(H, 0.5 * (A + A.T), rtol=1e-15)
    H = S.copy()
    H[0, 1] += 1e-12 * np.abs(S).max()                                   # within tolerance
    expected = 0.5 * H + 0.5 * H.T
    assert K.symmetrize(H, 1e-8) == 0
    np.testing.assert_array_equal(H, expected)                           # ... yet averaged
    H[2, 3] = np.nan
    assert K.symmetrize(H, 1e-8) == 2


def test_symmetrize_an_asymmetric_pair_near_overflow():
    """a - b overflows to inf: still asymmetric (code 1), averaged without overflow."""
    H = np.eye(3)
    H[0, 1] = 1e308
    H[1, 0] = -1e308
    assert K.symmetrize(H, 1e-8) == 1
    assert H[0, 1] == H[1, 0] == 0.0 and np.isfinite(H).all()


def test_symmetrize_leaves_a_symmetric_matrix_near_overflow_alone():
    """(a + b) / 2 of the diagonal overflowed: 1e308 I became inf I (an earlier version)."""
    H = 1e308 * np.eye(3)
    H[0, 1] = H[1, 0] = -1.5e308
    S = H.copy()
    assert K.symmetrize(H, 1e-8) == 0 and np.array_equal(H, S)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [(0, 0), (99, 0), (0, 99), (57, 58)])
def test_symmetrize_finds_every_nonfinite_entry(bad, where):
    """The vectorized finiteness pass: any entry, diagonal or not, at n = 100; a finite
    matrix of large entries (whose products overflow nothing: 0 * x) passes."""
    H = RNG.standard_normal((100, 100)) * 1e300
    H = H + H.T
    assert K.symmetrize(H.copy(), 1e-8) == 0
    H[where] = bad
    assert K.symmetrize(H, 1e-8) == 2


@pytest.mark.parametrize("n", [1, 5, 100])
def test_cholesky_solve_in_place_matches_numpy(n):
    A = spd(n)
    L = np.zeros_like(A)
    assert FA.cholesky(A, 0.0, L)
    b = RNG.standard_normal(n)
    out = np.empty(n)
    FA.cholesky_solve(L, b, out)
    np.testing.assert_allclose(out, np.linalg.solve(A, b), rtol=1e-10, atol=1e-13)
    inplace = b.copy()
    FA.cholesky_solve(L, inplace, inplace)                  # out is b: newton's call
    np.testing.assert_array_equal(inplace, out)
    assert np.isclose(FA.row_vec_dot(L, n - 1, b, n - 1), L[n - 1, :n - 1] @ b[:n - 1])
