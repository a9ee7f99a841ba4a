"""Spectrum estimators: compiled kernels against slow NumPy oracles, Lanczos and power
iteration against numpy.linalg.eigh and scipy's eigsh, Hutchinson and SLQ, plots."""
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, eigsh

from newtonlab import problems
from newtonlab.analysis import (dense_spectrum, hutchinson_trace, lanczos, plot_spectral_density,
                                plot_spectrum, power_iteration, slq_density)
from newtonlab.analysis import _lanczos as K

RNG = np.random.default_rng(20240601)


def known_spectrum(n, d, seed=0):
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    A = (Q * d) @ Q.T
    return 0.5 * (A + A.T)


# ---------------------------------------------------------------- kernels vs oracles

@pytest.mark.parametrize("j", [0, 4, 19])
def test_orthogonalize_oracle(j):
    n = 257
    Q, _ = np.linalg.qr(RNG.standard_normal((n, 20)))
    V = np.ascontiguousarray(Q.T)
    w = RNG.standard_normal(n) + 5.0 * V[j]          # strong component: DGKS second pass
    h, c = np.zeros(21), np.zeros(21)
    want_h = V[:j + 1] @ w
    want_w = w - V[:j + 1].T @ want_h
    nw = K.orthogonalize(V, j, w, h, c)
    np.testing.assert_allclose(h[:j + 1], want_h, atol=1e-12)
    np.testing.assert_allclose(w, want_w, atol=1e-12)
    assert nw == pytest.approx(np.linalg.norm(want_w), rel=1e-13)
    assert np.abs(V[:j + 1] @ w).max() < 1e-14 * nw
    w[3] = np.nan
    assert np.isnan(K.orthogonalize(V, j, w, h, c))


def test_lanczos_step_oracle():
    n, j = 300, 6
    A = known_spectrum(n, np.linspace(-2.0, 3.0, n), seed=4)
    # an exact Lanczos basis V[0..j] and beta_{j-1} from NumPy (Golub & Van Loan 10.1.1)
    V = np.zeros((j + 2, n))
    v = RNG.standard_normal(n)
    V[0] = v / np.linalg.norm(v)
    beta = 0.0
    for i in range(j):
        w = A @ V[i] - beta * (V[i - 1] if i else 0.0)
        w -= V[:i + 1].T @ (V[:i + 1] @ w)
        w -= V[:i + 1].T @ (V[:i + 1] @ w)
        beta = np.linalg.norm(w)
        V[i + 1] = w / beta
    w = A @ V[j]
    want_alpha = V[j] @ w
    want_w = w - V[:j + 1].T @ (V[:j + 1] @ w)
    c = np.zeros(j + 2)
    alpha, b = K.lanczos_step(V, j, w, beta, c)
    assert alpha == pytest.approx(want_alpha, abs=1e-12)
    np.testing.assert_allclose(w, want_w, atol=1e-11)
    assert b == pytest.approx(np.linalg.norm(want_w), rel=1e-12)
    assert np.abs(V[:j + 1] @ w).max() < 1e-13 * b
    w = A @ V[j]
    w[0] = np.inf
    assert np.isnan(K.lanczos_step(V, j, w, beta, c)[1])


def test_combine_rows_oracle_and_in_place():
    V = RNG.standard_normal((9, 1300))                 # not a multiple of the block size
    C = np.ascontiguousarray(RNG.standard_normal((8, 5)))
    want = C.T @ V[:8]
    out = np.empty((5, 1300))
    K.combine_rows(V, 8, C, out)
    np.testing.assert_allclose(out, want, atol=1e-12)
    K.combine_rows(V, 8, C, V)                          # aliasing, as in a thick restart
    np.testing.assert_allclose(V[:5], want, atol=1e-12)


@pytest.mark.parametrize("m, split", [(1, None), (2, None), (40, None), (40, 17)])
def test_gauss_quadrature_oracle(m, split):
    a, b = RNG.standard_normal(m), RNG.uniform(0.1, 1.0, max(m - 1, 0))
    if split is not None:
        b[split] = 0.0                                  # a reducible T: the QL must deflate
    nodes, weights = np.zeros(m), np.zeros(m)
    assert K.gauss_quadrature(a, b, nodes, weights) >= 0
    T = np.diag(a) + np.diag(b, 1) + np.diag(b, -1)
    lam, S = np.linalg.eigh(T)
    np.testing.assert_allclose(nodes, lam, atol=1e-13)
    if split is None:                                   # eigenvector signs/order unambiguous
        np.testing.assert_allclose(weights, S[0] ** 2, atol=1e-13)
    assert weights.sum() == pytest.approx(1.0, abs=1e-14)
    # the rule integrates e_1^T T^k e_1 exactly for k < 2m
    for k in range(min(2 * m, 6)):
        assert weights @ nodes ** k == pytest.approx(np.linalg.matrix_power(T, k)[0, 0],
                                                     rel=1e-10, abs=1e-10)


def test_gaussian_density_oracle():
    nodes, weights = RNG.standard_normal(30), RNG.uniform(0, 1, 30)
    grid, sigma = np.linspace(-4, 4, 101), 0.3
    out = np.empty(101)
    K.gaussian_density(nodes, weights, grid, sigma, out)
    want = (weights * np.exp(-(grid[:, None] - nodes) ** 2 / (2 * sigma ** 2))).sum(1)
    np.testing.assert_allclose(out, want / (sigma * np.sqrt(2 * np.pi)), rtol=1e-13)


def test_power_update_oracle():
    A = known_spectrum(50, np.linspace(-1, 3, 50))
    v = RNG.standard_normal(50)
    v /= np.linalg.norm(v)
    v0, w = v.copy(), A @ v
    rho, res, nw = K.power_update(v, w, 0.5)
    w_ref = A @ v0 - 0.5 * v0
    assert rho == pytest.approx(v0 @ w_ref, rel=1e-13)
    assert res == pytest.approx(np.linalg.norm(w_ref - rho * v0), rel=1e-12)
    np.testing.assert_allclose(v, w_ref / np.linalg.norm(w_ref), atol=1e-14)


# ---------------------------------------------------------------- dense

def test_dense_spectrum():
    A = known_spectrum(30, np.arange(30.0) - 10.0)
    np.testing.assert_allclose(dense_spectrum(A), np.arange(30.0) - 10.0, atol=1e-12)
    lam, U = dense_spectrum(A, return_vectors=True)
    np.testing.assert_allclose(A @ U, U * lam, atol=1e-11)
    with pytest.warns(UserWarning, match="not symmetric"):
        dense_spectrum([[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"\(n, n\).*\(2, 3\)"):
        dense_spectrum(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="non-finite"):
        dense_spectrum([[np.nan]])


# ---------------------------------------------------------------- Lanczos

@pytest.mark.parametrize("which", ["both", "LA", "SA"])
def test_lanczos_known_spectrum_vs_eigh_and_eigsh(which):
    n, k = 300, 5
    d = np.sort(RNG.uniform(-3.0, 5.0, n))
    A = known_spectrum(n, d, seed=1)
    r = lanczos(A, k=k, which=which, return_vectors=True)
    want = {"both": np.r_[d[:k], d[-k:]], "LA": d[-k:], "SA": d[:k]}[which]
    np.testing.assert_allclose(r.eigenvalues, want, atol=1e-9)
    ref = np.sort(np.r_[eigsh(A, k, which="SA", tol=1e-12)[0] if which != "LA" else [],
                        eigsh(A, k, which="LA", tol=1e-12)[0] if which != "SA" else []])
    np.testing.assert_allclose(r.eigenvalues, ref, atol=1e-9)
    assert r.converged.all() and not r.complete
    Y = r.eigenvectors
    np.testing.assert_allclose(A @ Y, Y * r.eigenvalues, atol=1e-8)
    np.testing.assert_allclose(Y.T @ Y, np.eye(Y.shape[1]), atol=1e-10)


@pytest.mark.parametrize("name, params", [("chained_rosenbrock", {"n": 60}),
                                          ("quadratic", {"n": 50, "kappa": 1e4}), ("wood", {})])
def test_lanczos_problem_hessians(name, params):
    p = problems.get(name, **params)
    H = p.hess(p.x0, *p.args)
    lam = np.linalg.eigvalsh(H)
    k = min(3, p.n // 2)
    r = lanczos((p.hessp, p.x0, p.args), k=k)
    np.testing.assert_allclose(r.eigenvalues, np.r_[lam[:k], lam[-k:]], atol=1e-8 * abs(lam).max())


def test_lanczos_small_and_exact_cases():
    r = lanczos(np.diag([2.0, -2.0]), k=6)              # n <= 2k: the whole spectrum
    assert r.complete and np.allclose(r.eigenvalues, [-2.0, 2.0])
    r = lanczos(np.zeros((3, 3)), k=1)
    np.testing.assert_array_equal(r.eigenvalues, [0.0, 0.0])
    # a repeated eigenvalue makes the Krylov space invariant early: restart by a new vector
    d = np.r_[np.full(20, 1.0), np.full(20, -1.0)]
    r = lanczos(np.diag(d), k=20, ncv=40)
    np.testing.assert_allclose(r.eigenvalues, np.sort(d), atol=1e-12)


def test_lanczos_operator_forms_agree():
    n = 200
    A = sp.diags([np.full(n - 1, -1.0), np.linspace(-1, 3, n), np.full(n - 1, -1.0)], [-1, 0, 1])
    want = np.linalg.eigvalsh(A.toarray())
    forms = [A.toarray(), A.tocsr(), LinearOperator((n, n), matvec=A.dot, dtype=float)]
    for op in forms:
        np.testing.assert_allclose(lanczos(op, k=3).eigenvalues, np.r_[want[:3], want[-3:]],
                                   atol=1e-9)
    r = lanczos(A.dot, k=3, n=n)
    np.testing.assert_allclose(r.eigenvalues, np.r_[want[:3], want[-3:]], atol=1e-9)


def test_lanczos_matrix_free_n_1e5():
    n, k = 100_000, 5
    d = RNG.uniform(-0.5, 1.0, n)
    d[:10] = [6.0, 5.0, 4.5, 4.0, 3.0, -3.0, -2.5, -2.0, -1.8, -1.5]
    r = lanczos(lambda v: d * v, k=k, n=n, return_vectors=True)
    ds = np.sort(d)
    np.testing.assert_allclose(r.eigenvalues, np.r_[ds[:k], ds[-k:]], atol=1e-9)
    assert abs(r.eigenvectors[np.argmin(d), 0]) == pytest.approx(1.0, abs=1e-8)


def test_lanczos_errors_and_warnings():
    with pytest.raises(ValueError, match="n="):
        lanczos(lambda v: v, k=2)
    with pytest.raises(ValueError, match="which"):
        lanczos(np.eye(3), which="LM")
    with pytest.raises(ValueError, match=r"shape \(10,\), got \(9,\)"):
        lanczos(lambda v: v[:-1], n=10, k=2)
    with pytest.raises(ValueError, match="non-finite"):
        lanczos(lambda v: v * np.nan, n=10, k=2)
    with pytest.raises(TypeError):
        lanczos("matrix")
    with pytest.warns(RuntimeWarning, match="unconverged"):
        r = lanczos(np.diag(np.linspace(0, 1, 2000)), k=4, maxiter=0)
    assert not r.converged.all()


# ---------------------------------------------------------------- power iteration

def test_power_iteration_against_eigh():
    d = np.r_[-4.0, np.linspace(-1.0, 2.5, 98), 3.0]
    A = known_spectrum(100, d, seed=2)
    for which, want in (("LM", -4.0), ("SA", -4.0), ("LA", 3.0)):
        r = power_iteration(A, which, tol=1e-10)
        assert r.converged and r.eigenvalue == pytest.approx(want, abs=1e-8)
        assert np.linalg.norm(A @ r.eigenvector - r.eigenvalue * r.eigenvector) < 1e-7
    with pytest.warns(RuntimeWarning, match="did not converge"):
        power_iteration(np.diag([1.0, -1.0, 0.5]), maxiter=50)   # |+1| = |-1|: no dominant one
    with pytest.raises(ValueError, match="which"):
        power_iteration(A, "BE")


# ---------------------------------------------------------------- Hutchinson, SLQ

def test_hutchinson():
    A = known_spectrum(200, np.linspace(-2.0, 4.0, 200), seed=3)
    t = hutchinson_trace(A, n_probes=400, seed=1)
    assert abs(t.trace - np.trace(A)) < 4.0 * t.stderr
    # per-probe variance 2 (||A||_F^2 - sum A_ii^2) (Hutchinson 1989)
    var = 2.0 * (np.sum(A * A) - np.sum(np.diag(A) ** 2))
    assert np.var(t.samples, ddof=1) == pytest.approx(var, rel=0.25)
    assert hutchinson_trace(A, n_probes=400, seed=1).trace == t.trace   # seeded
    assert hutchinson_trace(np.diag([1.0, 2.0, 3.0]), n_probes=3).trace == 6.0


def test_slq_density_moments_and_shape():
    n = 2000
    d = np.r_[np.linspace(-1.0, 1.0, n - 3), 4.0, 5.0, -3.0]
    A = sp.diags(d)
    sd = slq_density(A, n_probes=20, m=60, seed=0)
    assert np.trapezoid(sd.density, sd.grid) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(sd.weights.sum(1), 1.0, atol=1e-12)
    # each Gauss rule reproduces z^T A^k z / n exactly for k < 2m: moments match tr(A^k)/n
    for k in (1, 2):
        est = np.mean((sd.weights * sd.nodes ** k).sum(1))
        assert est == pytest.approx(np.mean(d ** k), abs=0.05 * np.mean(np.abs(d) ** k))
    # outliers are found as nodes (Lanczos converges to extreme eigenvalues first)
    assert sd.nodes.max() == pytest.approx(5.0, abs=1e-8)
    assert sd.nodes.min() == pytest.approx(-3.0, abs=1e-8)
    again = slq_density(A, n_probes=20, m=60, seed=0)
    np.testing.assert_array_equal(again.density, sd.density)
    # tiny n: m is capped at n and every probe's rule is exact
    small = slq_density(np.diag([1.0, 2.0, 3.0]), n_probes=3, m=50)
    np.testing.assert_allclose(np.sort(np.unique(np.round(small.nodes, 10))), [1.0, 2.0, 3.0])


def test_plots(tmp_path):
    fig, ax = plot_spectrum([-2.0, -0.5, 0.0, 1.0, 3.0], path=tmp_path / "stem.png")
    assert (tmp_path / "stem.png").stat().st_size > 1000 and ax.get_ylabel() == "eigenvalue"
    _, ax = plot_spectrum(RNG.standard_normal(500))
    assert ax.get_ylabel() == "count"
    sd = slq_density(np.diag(np.linspace(-1.0, 2.0, 300)), n_probes=3, m=30)
    fig, ax = plot_spectral_density(sd.grid, sd.density, eigenvalues=np.linspace(-1, 2, 300),
                                    path=tmp_path / "slq.png")
    assert ax.get_yscale() == "log" and (tmp_path / "slq.png").stat().st_size > 1000
    _, ax = plot_spectral_density(sd.grid, sd.density, log=False)
    assert ax.get_yscale() == "linear"
    with pytest.raises(ValueError, match="equal length"):
        plot_spectral_density(sd.grid, sd.density[:-1])
    with pytest.raises(ValueError, match="kind"):
        plot_spectrum([1.0], kind="pie")


@pytest.mark.parametrize("page", ["classify.md", "spectra.md"])
def test_doc_examples_run(page, tmp_path, monkeypatch):
    """The ```python blocks of docs/analysis/*.md run (files they write go to tmp_path)."""
    import os
    import re
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "docs", "analysis", page), encoding="utf-8") as fh:
        blocks = re.findall(r"^```python[^\n]*\n(.*?)^```", fh.read(), re.S | re.M)
    assert blocks
    (tmp_path / "docs" / "img").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    for code in blocks:
        exec(compile(code, page, "exec"), {"__name__": "__docs__"})
