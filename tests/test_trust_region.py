"""Trust-region kernels against slow NumPy oracles.

The subproblem kernels of ``_engine/trustregion.py`` (exact with the hard case,
dogleg; the SR1 update of ``methods/sr1.py``) and the reverse-communication truncated CG of
``_engine/tcg.py`` (Steihaug, Newton-CG and damped modes).  The methods built
on them are tested in ``test_trust_region_driver.py`` and ``test_matrix.py``.
"""
import math

import numpy as np
import pytest
from scipy.optimize import brentq

from newtonlab._engine import tcg as TC
from newtonlab._engine import trustregion as TR
from newtonlab.methods import sr1 as SR1

# also run with NUMBA_DISABLE_JIT=1 (.ci/run): interpreted, the same results
pytestmark = pytest.mark.nojit

RNG = np.random.default_rng(7)


def rotated(eigs, rng=RNG):
    Q, _ = np.linalg.qr(rng.standard_normal((len(eigs), len(eigs))))
    return Q @ np.diag(eigs) @ Q.T, Q


def model(B, g, p):
    return g @ p + 0.5 * p @ B @ p


def exact_oracle(B, g, delta):
    """Global minimizer of the model on the ball from the eigendecomposition (N&W Thm. 4.1)."""
    lam, V = np.linalg.eigh(B)
    ghat = V.T @ g
    if lam[0] > 0 and np.linalg.norm(np.linalg.solve(B, -g)) <= delta:
        return np.linalg.solve(B, -g)
    lo = max(0.0, -lam[0])
    norm = lambda t: np.sqrt(np.sum((ghat / (lam + t)) ** 2)) - delta   # noqa: E731
    cluster = np.abs(lam - lam[0]) <= 1e-12 * max(1.0, np.abs(lam).max())
    if np.all(np.abs(ghat[cluster]) < 1e-14) and lam[0] < 0:
        p = -V[:, ~cluster] @ (ghat[~cluster] / (lam[~cluster] - lam[0]))
        if np.linalg.norm(p) <= delta:              # hard case (N&W eq. 4.45)
            return p + math.sqrt(delta ** 2 - p @ p) * V[:, 0]
    hi = lo + np.linalg.norm(g) / delta + 1.0
    t = brentq(norm, lo + 1e-13 * max(1.0, lo), hi, xtol=1e-15, rtol=1e-15, maxiter=500)
    return -V @ (ghat / (lam + t))


def exact(B, g, delta):
    n = g.size
    p = np.empty(n)
    lam, nfac, ex, hard = TR.exact_step(B, g, delta, p, np.empty((n, n)), np.empty(n), 1e-10, 100)
    return p, lam, ex, hard


# ------------------------------------------------------------------ exact subproblem

@pytest.mark.parametrize("eigs, delta", [
    ([1.0, 2.0, 5.0], 10.0),           # interior Newton step
    ([1.0, 2.0, 5.0], 0.1),            # positive definite, boundary
    ([-2.0, 1.0, 3.0, 8.0], 0.5),      # indefinite, easy case
    ([-2.0, -2.0, 1.0, 3.0], 2.0),     # repeated negative eigenvalue
    ([0.0, 1.0, 4.0], 0.3),            # singular
])
def test_exact_step_matches_eigen_oracle(eigs, delta):
    B, _ = rotated(eigs)
    g = RNG.standard_normal(len(eigs))
    p, lam, ex, hard = exact(B, g, delta)
    ref = exact_oracle(B, g, delta)
    assert np.linalg.norm(p) <= delta * (1 + 1e-8)
    assert model(B, g, p) == pytest.approx(model(B, g, ref), rel=1e-8, abs=1e-12)
    np.testing.assert_allclose(p, ref, rtol=1e-6, atol=1e-8)
    if ex == TR.EXIT_BOUNDARY:
        # optimality (N&W Thm. 4.1): (B + lam I) p = -g with B + lam I PSD
        np.testing.assert_allclose((B + lam * np.eye(len(g))) @ p, -g, atol=1e-7)
        assert np.linalg.eigvalsh(B)[0] + lam >= -1e-7
    assert not hard


def test_exact_step_hard_case():
    # g orthogonal to the eigenvector of lambda_1 = -2 and ||p(-lambda_1)|| < delta
    B, Q = rotated([-2.0, 1.0, 3.0])
    g = Q @ np.array([0.0, 1.0, 1.0])
    p, lam, ex, hard = exact(B, g, 1.0)
    assert hard and ex == TR.EXIT_BOUNDARY
    assert lam == pytest.approx(2.0, rel=1e-6)
    assert np.linalg.norm(p) == pytest.approx(1.0, rel=1e-10)
    ref = exact_oracle(B, g, 1.0)
    assert model(B, g, p) == pytest.approx(model(B, g, ref), rel=1e-7)
    # g = 0 at a saddle: the step is along the negative-curvature direction
    p, lam, ex, hard = exact(B, np.zeros(3), 0.5)
    assert hard and abs(abs(p @ Q[:, 0]) - 0.5) < 1e-10


def test_exact_step_brute_force_disc():
    """n = 2: no point of a fine polar grid over the disc beats the kernel's step."""
    r, t = np.meshgrid(np.linspace(0, 1, 401), np.linspace(0, 2 * np.pi, 721))
    for _ in range(5):
        B = RNG.standard_normal((2, 2))
        B = B + B.T
        g = RNG.standard_normal(2)
        delta = RNG.uniform(0.1, 3.0)
        P = delta * np.stack([r * np.cos(t), r * np.sin(t)], axis=-1).reshape(-1, 2)
        grid_min = np.min(P @ g + 0.5 * np.einsum("ij,jk,ik->i", P, B, P))
        p, *_ = exact(B, g, delta)
        assert model(B, g, p) <= grid_min + 1e-9
        assert np.linalg.norm(p) <= delta * (1 + 1e-8)


# ------------------------------------------------------------------------- dogleg

def dogleg_oracle(B, g, delta):
    pb = -np.linalg.solve(B, g)
    if np.linalg.norm(pb) <= delta:
        return pb
    pu = -(g @ g) / (g @ B @ g) * g
    if np.linalg.norm(pu) >= delta:
        return -delta * g / np.linalg.norm(g)
    d = pb - pu
    a, b, c = d @ d, 2 * pu @ d, pu @ pu - delta ** 2
    return pu + (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a) * d


@pytest.mark.parametrize("where", ["newton", "segment", "cauchy"])
def test_dogleg_matches_formula(where):
    B, _ = rotated([1.0, 4.0, 30.0])
    g = np.array([1.0, -2.0, 0.5])
    nb = np.linalg.norm(np.linalg.solve(B, g))
    nu = (g @ g) / (g @ B @ g) * np.linalg.norm(g)
    assert nu < nb
    delta = {"newton": 2 * nb, "segment": 0.5 * (nu + nb), "cauchy": 0.5 * nu}[where]
    p = np.empty(3)
    lam, _, ex, _ = TR.dogleg_step(B, g, delta, p, np.empty((3, 3)), np.empty(3), 1e-10, 50)
    np.testing.assert_allclose(p, dogleg_oracle(B, g, delta), rtol=1e-10, atol=1e-14)
    assert math.isnan(lam) and ex == (TR.EXIT_INTERIOR if where == "newton" else TR.EXIT_BOUNDARY)


def test_dogleg_falls_back_to_exact_when_indefinite():
    B, _ = rotated([-1.0, 2.0, 3.0])
    g = RNG.standard_normal(3)
    p = np.empty(3)
    lam, _, ex, _ = TR.dogleg_step(B, g, 0.7, p, np.empty((3, 3)), np.empty(3), 1e-10, 50)
    assert ex == TR.EXIT_FALLBACK
    np.testing.assert_allclose(p, exact(B, g, 0.7)[0], rtol=1e-12)


def test_boundary_taus_and_model_value():
    z, d = RNG.standard_normal(4) * 0.1, RNG.standard_normal(4)
    ta, tb = TR.boundary_taus(z, d, 2.0)
    assert ta < 0 < tb
    for t in (ta, tb):
        assert np.linalg.norm(z + t * d) == pytest.approx(2.0, rel=1e-12)
    B, _ = rotated([1.0, -2.0, 3.0, 0.5])
    w = np.empty(4)
    assert TR.model_value(B, z, d, w) == pytest.approx(model(B, z, d), rel=1e-13)
    np.testing.assert_allclose(w, B @ d, rtol=1e-13)


# ------------------------------------------------------------------- SR1 update

def test_sr1_update_and_skip_rule():
    B, _ = rotated([1.0, 2.0, 3.0])
    s, y = RNG.standard_normal(3), RNG.standard_normal(3)
    r = y - B @ s
    ref = B + np.outer(r, r) / (r @ s)
    Bk = B.copy()
    assert SR1.sr1_update(Bk, s, y, 1e-8, np.empty(3)) == 0.0
    np.testing.assert_allclose(Bk, ref, rtol=1e-12)
    np.testing.assert_allclose(Bk @ s, y, rtol=1e-10, atol=1e-12)    # secant equation
    # s orthogonal to y - Bs: |s^T (y - Bs)| < 1e-8 ||s|| ||y - Bs||  -> skipped, B unchanged
    s2 = np.array([1.0, 0.0, 0.0])
    y2 = B @ s2 + np.array([0.0, 1.0, 0.0])
    Bk = B.copy()
    assert SR1.sr1_update(Bk, s2, y2, 1e-8, np.empty(3)) == 1.0
    np.testing.assert_array_equal(Bk, B)


# -------------------------------------------------------- truncated CG (tcg.py)

def run_tcg(H, g, mode, delta=np.inf, damp=0.0, tol=1e-12, maxit=100, warm=None, meps=5e-4):
    n = g.size
    W = np.zeros((TC.NV, n))
    st = np.zeros(TC.SIZE)
    hist = np.zeros(maxit + 1)
    if warm is not None:
        TC.set_start(W, warm, 1.0)
    code = TC.tcg_start(st, W, hist, g, mode, delta, damp, tol, maxit, meps, warm is not None)
    products = 0
    while code == TC.NEED_PRODUCT:
        W[TC.HV] = H @ W[TC.V]          # the driver's job: here a dense NumPy product
        products += 1
        code = TC.tcg_next(st, W, hist, g)
    p = np.empty(n)
    TC.get_step(W, p)
    return p, st, products


def steihaug_oracle(H, g, delta, tol, maxit):
    """N&W Alg. 7.2 in plain NumPy (scipy trust-ncg's choice of root on negative curvature)."""
    z, r, d = np.zeros_like(g), g.copy(), -g
    m = lambda p: g @ p + 0.5 * p @ H @ p      # noqa: E731
    for _ in range(maxit):
        dBd = d @ H @ d
        if dBd <= 0:
            ts = np.roots([d @ d, 2 * z @ d, z @ z - delta ** 2]).real
            return min((z + t * d for t in ts), key=m)
        a = (r @ r) / dBd
        if np.linalg.norm(z + a * d) >= delta:
            return z + max(np.roots([d @ d, 2 * z @ d, z @ z - delta ** 2]).real) * d
        z = z + a * d
        rn = r + a * (H @ d)
        if np.linalg.norm(rn) < tol:
            return z
        d = -rn + (rn @ rn) / (r @ r) * d
        r = rn
    return z


@pytest.mark.parametrize("eigs, delta", [
    (np.linspace(1, 50, 8), 1e3),          # converges inside: equals the dense solve
    (np.linspace(1, 50, 8), 0.3),          # leaves the region
    (np.r_[-3.0, np.linspace(1, 5, 5)], 2.0),   # negative curvature
])
def test_steihaug_matches_dense_cg(eigs, delta):
    H, _ = rotated(eigs)
    g = RNG.standard_normal(len(eigs))
    p, st, products = run_tcg(H, g, TC.STEIHAUG, delta=delta, tol=1e-10)
    ref = steihaug_oracle(H, g, delta, 1e-10, 100)
    np.testing.assert_allclose(p, ref, rtol=1e-8, atol=1e-10)
    assert st[TC.MODEL] == pytest.approx(model(H, g, p), rel=1e-9, abs=1e-12)
    assert products == st[TC.IT] + 1 or st[TC.EXIT] == TR.EXIT_INTERIOR
    if delta == 1e3:
        np.testing.assert_allclose(p, np.linalg.solve(H, -g), rtol=1e-7)
        assert st[TC.EXIT] == TR.EXIT_INTERIOR
    else:
        assert np.linalg.norm(p) == pytest.approx(delta, rel=1e-10)


def test_newton_cg_mode_and_negative_curvature():
    H, _ = rotated(np.linspace(1, 20, 6))
    g = RNG.standard_normal(6)
    p, st, _ = run_tcg(H, g, TC.NEWTON_CG, tol=1e-12)
    np.testing.assert_allclose(p, np.linalg.solve(H, -g), rtol=1e-8)
    # negative curvature along d0 = -g at the first iteration: p = -g (N&W Alg. 7.1)
    Hn = -np.eye(6)
    p, st, _ = run_tcg(Hn, g, TC.NEWTON_CG)
    np.testing.assert_array_equal(p, -g)
    assert st[TC.EXIT] == TR.EXIT_NEGCURV and st[TC.MODEL] == pytest.approx(model(Hn, g, p))


def test_damped_mode_warm_start_and_progress_test():
    H, _ = rotated(np.linspace(-1, 30, 10))
    g = RNG.standard_normal(10)
    A = H + 2.0 * np.eye(10)
    ref = np.linalg.solve(A, -g)
    p, st, _ = run_tcg(H, g, TC.DAMPED, damp=2.0, tol=1e-11)
    np.testing.assert_allclose(p, ref, rtol=1e-7)
    assert st[TC.MODEL] == pytest.approx(model(A, g, p), rel=1e-10)
    # a good warm start is kept (fewer products), a bad one (phi >= 0) is dropped
    tol = 0.1 * np.linalg.norm(g)
    _, cold, n_cold = run_tcg(H, g, TC.DAMPED, damp=2.0, tol=tol)
    pw, warm, n_warm = run_tcg(H, g, TC.DAMPED, damp=2.0, tol=tol, warm=0.95 * ref)
    assert warm[TC.WARMED] == 1.0 and n_warm == 1 < n_cold     # residual 0.05 ||g|| < tol
    np.testing.assert_allclose(pw, 0.95 * ref, rtol=1e-14)
    _, bad, _ = run_tcg(H, g, TC.DAMPED, damp=2.0, tol=tol, warm=-ref)
    assert bad[TC.WARMED] == 0.0
    # Martens' relative-progress test stops long before the residual test on a hard system
    Hs, _ = rotated(np.linspace(1.0, 1e3, 300))
    gs = RNG.standard_normal(300)
    ps, st, _ = run_tcg(Hs, gs, TC.DAMPED, damp=0.0, tol=1e-14, maxit=1000, meps=5e-4)
    assert st[TC.EXIT] == TR.EXIT_PROGRESS and 10 < st[TC.IT] < 300
    phi_star = -0.5 * gs @ np.linalg.solve(Hs, gs)
    assert st[TC.MODEL] <= 0.99 * phi_star < 0          # most of the model decrease reached
