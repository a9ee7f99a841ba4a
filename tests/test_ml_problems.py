"""Checks of the learning problems (``newtonlab.problems.ml``, tag "ml").

Each derivative is checked against something computed independently: the
gradient and the Hessian products against finite differences, the
Gauss-Newton product against J^T H_L J built here in NumPy from a
finite-difference Jacobian of the model outputs, the value against a NumPy
loss written here from the documented layout; the GGN must be symmetric
positive semidefinite and differ from the Hessian by exactly the residual
curvature term.  Small instances carry the dense checks; the standard
instances the directional ones and the solver smoke tests.
"""
import importlib

import numpy as np
import pytest
from scipy.special import expit, logsumexp

import newtonlab as nl
from newtonlab import problems as P
from newtonlab.problems import ml
from newtonlab.stochastic import FiniteSum

NAMES = ["logistic", "mlp", "autoencoder", "matrix-factorization", "deep-linear"]
STD = {name: P.get(name) for name in NAMES}
SMALL = {
    "logistic": P.get("logistic", n_samples=30, n_features=4),
    "mlp": P.get("mlp", n_samples=20, hidden=(5, 4)),
    "autoencoder": P.get("autoencoder", n_samples=10, size=4, hidden=(6, 3), sparsity=4),
    "matrix-factorization": P.get("matrix-factorization", n_rows=6, n_cols=5, rank=2, lam=0.01),
    "deep-linear": P.get("deep-linear", n_samples=20, n_in=4, hidden=(3, 5), n_out=3, lam=0.01),
}
std = pytest.mark.parametrize("name", NAMES)


def points(p, k=2, scale=0.3):
    """x0 and k seeded perturbations of it."""
    rng = np.random.default_rng(len(p.id))
    return [p.x0.copy()] + [p.x0 + scale * rng.standard_normal(p.n) for _ in range(k)]


def rel(a, b, floor=1e-8):
    return np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(b), floor)


# ------------------------------------------------- independent NumPy model
class Model:
    """Outputs z(x) (B, k), per-sample loss terms and penalty, from the documented layout."""

    def __init__(self, p):
        self.p = p
        X, y = p.args
        self.X = X
        if p.name == "matrix-factorization":
            self.r, self.lam = int(y[0]), y[1]
            self.mask = np.ones(p.n)
            return
        s = ml.unpack_spec(y)
        self.s, self.lam = s, s["lam"]
        self.mask = np.zeros(p.n)
        o = 0
        for a, b in zip(s["widths"][:-1], s["widths"][1:]):
            self.mask[o:o + a * b] = 1.0                      # weights penalised, biases not
            o += a * b + (b if s["bias"] else 0)
        assert o == p.n

    def outputs(self, x):
        if self.p.name == "matrix-factorization":
            m, k = self.X.shape
            return x[:m * self.r].reshape(m, self.r) @ x[m * self.r:].reshape(k, self.r).T
        s = self.s
        w = s["widths"]
        A, o = self.X[:, :w[0]], 0
        for l, (a, b) in enumerate(zip(w[:-1], w[1:])):
            Z = A @ x[o:o + a * b].reshape(a, b)
            o += a * b
            if s["bias"]:
                Z = Z + x[o:o + b]
                o += b
            if l < len(w) - 2:
                act = s["acts"][l]
                A = np.tanh(Z) if act == "tanh" else expit(Z) if act == "logistic" else Z
        return Z

    def terms(self, Z):
        """Per-sample loss (B,), its gradient in z (B, k) and Hessian in z (B, k, k)."""
        B, k = Z.shape
        if self.p.name == "matrix-factorization":
            R = Z - self.X
            return 0.5 * (R * R).sum(1) / k, R / k, np.broadcast_to(np.eye(k) / k, (B, k, k))
        loss, t0 = self.s["loss"], self.s["t0"]
        if loss == "softmax":
            c = self.X[:, t0].astype(int)
            P_ = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
            G = P_.copy()
            G[np.arange(B), c] -= 1.0
            H = np.einsum("bi,ij->bij", P_, np.eye(k)) - np.einsum("bi,bj->bij", P_, P_)
            return logsumexp(Z, axis=1) - Z[np.arange(B), c], G, H
        T = self.X[:, t0:t0 + k]
        if loss == "bernoulli":
            S = expit(Z)
            return ((np.logaddexp(0.0, Z) - T * Z).sum(1), S - T,
                    np.einsum("bi,ij->bij", S * (1 - S), np.eye(k)))
        return 0.5 * ((Z - T) ** 2).sum(1), Z - T, np.broadcast_to(np.eye(k), (B, k, k))

    def fun(self, x):
        return self.terms(self.outputs(x))[0].mean() + 0.5 * self.lam * (self.mask * x * x).sum()

    def jacobian(self, x, h=1e-6):
        """d vec(z) / dx, (B, k, n), central differences."""
        cols = []
        for i in range(x.size):
            e = np.zeros_like(x)
            e[i] = h
            cols.append((self.outputs(x + e) - self.outputs(x - e)) / (2 * h))
        return np.stack(cols, axis=-1)

    def ggn(self, x):
        Z = self.outputs(x)
        J = self.jacobian(x)
        H = self.terms(Z)[2]
        G = np.einsum("bkn,bkl,blm->nm", J, H, J) / Z.shape[0]
        return G + self.lam * np.diag(self.mask)

    def residual_curvature(self, x, v, h=1e-3):
        """(1/B) sum_i dl_i/dz . d^2/dt^2 z_i(x + t v) at t = 0: v^T (H - G) v."""
        z = lambda t: self.outputs(x + t * v)                 # noqa: E731
        d2 = (16 * (z(h) + z(-h)) - (z(2 * h) + z(-2 * h)) - 30 * z(0.0)) / (12 * h * h)
        D = self.terms(self.outputs(x))[1]
        return (D * d2).sum() / D.shape[0]


# ---------------------------------------------------------------- registry
def test_registered_and_labelled():
    assert P.names("ml") == NAMES
    for name in NAMES:
        p = STD[name]
        assert p.name == name and P.get(name) is p and "ml" in p.labels
        assert p.convex == (name == "logistic")
        assert ("scalable" in p.labels) == ("n" in dict(p.params))
        assert (p.hess is None) == (name == "autoencoder")
        assert P.get(name, **dict(p.params)) is p
        assert callable(p.ggnp) and callable(ml.batch_fg(p))
    assert 10 <= min(p.n for p in STD.values()) and max(p.n for p in STD.values()) <= 10_000
    with pytest.raises(ValueError, match="not a learning problem"):
        ml.batch_fg(P.get("rosenbrock"))


@std
def test_value_matches_independent_numpy_loss(name):
    for p in (SMALL[name], STD[name]):
        m = Model(p)
        for x in points(p):
            assert abs(p.fun(x, *p.args) - m.fun(x)) <= 1e-11 * max(1.0, abs(m.fun(x)))


# ---------------------------------------------------------------- derivatives
@std
def test_gradient_matches_finite_differences(name):
    p = SMALL[name]
    f = lambda z: p.fun(z, *p.args)                           # noqa: E731
    for x in points(p):
        fd = np.empty(p.n)
        for i in range(p.n):
            e = np.zeros(p.n)
            e[i] = 1e-3
            fd[i] = (f(x - 2 * e) - 8 * f(x - e) + 8 * f(x + e) - f(x + 2 * e)) / 12e-3
        assert rel(p.jac(x, *p.args), fd) < 1e-7
    q = STD[name]                                             # large: directional derivatives
    rng = np.random.default_rng(1)
    for x in points(q, 1):
        for _ in range(2):
            v = rng.standard_normal(q.n)
            h = 1e-4 / np.linalg.norm(v) * np.sqrt(q.n)
            dd = (q.fun(x + h * v, *q.args) - q.fun(x - h * v, *q.args)) / (2 * h)
            assert abs(q.jac(x, *q.args) @ v - dd) <= 1e-6 * max(1.0, abs(dd))


@std
def test_hessp_is_the_derivative_of_the_gradient_and_matches_hess(name):
    rng = np.random.default_rng(2)
    for p in (SMALL[name], STD[name]):
        for x in points(p, 1):
            v = rng.standard_normal(p.n)
            h = 1e-5
            fd = (p.jac(x + h * v, *p.args) - p.jac(x - h * v, *p.args)) / (2 * h)
            hv = p.hessp(x, v, *p.args)
            assert rel(hv, fd) < 1e-6
            if p.hess is not None:
                H = p.hess(x, *p.args)
                assert np.array_equal(H, H.T) and rel(H @ v, hv) < 1e-12


@std
def test_ggnp_equals_numpy_jt_hl_j_and_is_symmetric_psd(name):
    p = SMALL[name]
    m = Model(p)
    rng = np.random.default_rng(3)
    for x in points(p):
        G = np.array([p.ggnp(x, e, *p.args) for e in np.eye(p.n)]).T
        assert rel(G, m.ggn(x)) < 1e-7
        assert np.abs(G - G.T).max() <= 1e-12 * np.abs(G).max()
        assert np.linalg.eigvalsh(G)[0] >= -1e-10 * np.abs(G).max()
    q = STD[name]
    for x in points(q, 1):
        v = rng.standard_normal(q.n)
        w = rng.standard_normal(q.n)
        Gv, Gw = q.ggnp(x, v, *q.args), q.ggnp(x, w, *q.args)
        assert abs(w @ Gv - v @ Gw) <= 1e-10 * abs(w @ Gv) and v @ Gv >= 0


@std
def test_hessian_minus_ggn_is_the_residual_curvature(name):
    p = SMALL[name]
    m = Model(p)
    rng = np.random.default_rng(4)
    for x in points(p):
        v = rng.standard_normal(p.n)
        vHv, vGv = v @ p.hessp(x, v, *p.args), v @ p.ggnp(x, v, *p.args)
        assert abs((vHv - vGv) - m.residual_curvature(x, v)) <= 1e-5 * (abs(vHv) + abs(vGv))


def test_ggn_is_the_hessian_where_the_residual_curvature_vanishes():
    # logistic regression: the logit is linear in x, so G = H everywhere
    p = STD["logistic"]
    for x in points(p):
        H = p.hess(x, *p.args)
        assert np.allclose(np.array([p.ggnp(x, e, *p.args) for e in np.eye(p.n)]), H,
                           rtol=0, atol=1e-14 * np.abs(H).max())
    # deep linear net and factorization fitting noiseless data exactly: zero residuals
    q = P.get("deep-linear", noise=0.0, lam=0.0)
    X, _ = q.args
    A, T = X[:, :8], X[:, 8:]
    Wstar = np.linalg.lstsq(A, T, rcond=None)[0]
    xs = np.concatenate([np.eye(8).ravel(), np.eye(8).ravel(), Wstar.ravel()])
    mf = P.get("matrix-factorization", noise=0.0, lam=0.0)
    M = mf.args[0]
    U, s, Vt = np.linalg.svd(M)
    xm = np.concatenate([(U[:, :3] * np.sqrt(s[:3])).ravel(), (Vt[:3].T * np.sqrt(s[:3])).ravel()])
    for r, x in ((q, xs), (mf, xm)):
        assert r.fun(x, *r.args) < 1e-25 and r.fmin == 0.0
        H = r.hess(x, *r.args)
        G = np.array([r.ggnp(x, e, *r.args) for e in np.eye(r.n)])
        assert np.abs(G - H).max() <= 1e-12 * np.abs(H).max()


# ---------------------------------------------------------------- mini-batches
@std
def test_batch_fg_over_all_samples_is_fg_and_batches_average_to_it(name):
    for p in (SMALL[name], STD[name]):
        bfg, N = ml.batch_fg(p), p.args[0].shape[0]
        x = points(p, 1)[1]
        f, g = p.fg(x, *p.args)
        fb, gb = bfg(x, np.arange(N), *p.args)
        assert abs(fb - f) <= 1e-13 * max(1.0, abs(f)) and rel(gb, g) < 1e-13
        halves = np.array_split(np.random.default_rng(5).permutation(N), 2)
        if len(halves[0]) == len(halves[1]):
            parts = [bfg(x, h.astype(np.int64), *p.args) for h in halves]
            assert abs(sum(q[0] for q in parts) / 2 - f) <= 1e-12 * max(1.0, abs(f))
            assert rel(sum(q[1] for q in parts) / 2, g) < 1e-12
        fs = ml.finite_sum(p)
        assert isinstance(fs, FiniteSum) and fs.n_samples == N and fs.compiled


@std
def test_minibatch_adam_runs_compiled_and_decreases_the_loss(name):
    p = STD[name]
    res = nl.minimize(ml.finite_sum(p), p.x0, args=p.args, method="adam",
                      options={"batch_size": 32, "seed": 0, "maxiter": 100})
    again = nl.minimize(ml.finite_sum(p), p.x0, args=p.args, method="adam",
                        options={"batch_size": 32, "seed": 0, "maxiter": 100})
    assert np.array_equal(res.x, again.x)
    assert res.nit == 100 and p.fun(res.x, *p.args) < p.fun(p.x0, *p.args)


# ---------------------------------------------------------------- NumPy form
@std
def test_compiled_functions_agree_with_their_numpy_form(name):
    p = SMALL[name]
    x = points(p, 1)[1]
    v = np.random.default_rng(6).standard_normal(p.n)
    idx = np.array([0, 3, 1, 3], dtype=np.int64)
    pairs = [(p.fun, (x,)), (p.jac, (x,)), (p.fg, (x,)), (p.hessp, (x, v)), (p.ggnp, (x, v)),
             (ml.batch_fg(p), (x, idx))]
    if p.hess is not None:
        pairs.append((p.hess, (x,)))
    for f, a in pairs:
        c, py = f(*a, *p.args), f.py_func(*a, *p.args)
        c, py = (c, py) if isinstance(c, tuple) else ((c,), (py,))
        for u, w in zip(c, py):
            assert np.allclose(u, w, rtol=1e-12, atol=1e-14)


def test_seeded_reproducibility():
    for mod, args in (("logistic", (50, 3, 1e-3)), ("mlp", (30, (4,), 3, 1e-4)),
                      ("autoencoder", (5, 4, (5, 2), 1e-5, 15)),
                      ("matrix_factorization", (5, 4, 2, 0.1, 1e-4)),
                      ("deep_linear", (20, 3, (2,), 2, 0.1, 0.0))):
        module = importlib.import_module(f"newtonlab.problems.ml.{mod}")
        build = module._build.__wrapped__                     # bypass the factory cache
        a, b, c = build(*args, 7), build(*args, 7), build(*args, 8)
        for u, w in zip((a.x0, *a.args), (b.x0, *b.args)):
            assert np.array_equal(u, w)
        assert not np.array_equal(a.args[0], c.args[0])
    X = P.get("autoencoder").args[0]
    assert X.min() >= 0.0 and X.max() <= 1.0 and X.max(axis=1).min() > 0.5   # ink on every image


# ---------------------------------------------------------------- solvers
@std
def test_lbfgs_decreases_the_loss(name):
    p = STD[name]
    res = nl.minimize(p.fun, p.x0, args=p.args, jac=p.jac, method="lbfgs",
                      options={"maxiter": 50})
    f0 = p.fun(p.x0, *p.args)
    assert res.fun < 0.5 * f0 and np.isfinite(res.fun)
    if p.fmin is not None:                                    # exact minimum known
        assert res.fun >= p.fmin - 1e-12
        assert res.fun - p.fmin <= 1e-6 * max(1.0, p.fmin)


def test_critical_points_at_the_origin():
    for name in ("matrix-factorization", "deep-linear"):
        p = STD[name]
        (cp,) = p.critical_points
        assert np.all(cp.x == 0) and np.all(p.jac(cp.x, *p.args) == 0)
        assert abs(cp.fun - p.fun(cp.x, *p.args)) <= 1e-14 * cp.fun
        ev = np.linalg.eigvalsh(p.hess(cp.x, *p.args))
        tol = 1e-8 * max(1.0, np.abs(ev).max())
        assert cp.index == int((ev < -tol).sum())
        assert (cp.kind == "degenerate") == bool(np.any(np.abs(ev) <= tol))
        assert cp.kind in p.labels
    # a strict saddle with the penalty, for the two-layer case (lam > 0 lifts the zeros)
    q = P.get("deep-linear", hidden=(6,), lam=1e-3)
    assert q.critical_points[0].kind == "saddle"
    assert q.critical_points[0].index == 6 * 4                # h copies of each sigma_j > lam
    assert np.linalg.eigvalsh(q.hess(np.zeros(q.n), *q.args))[0] < 0


def test_curvature_signs():
    lo = lambda p, x: np.linalg.eigvalsh(p.hess(x, *p.args))[0]  # noqa: E731
    p = STD["logistic"]
    assert min(lo(p, x) for x in points(p)) > 0                # convex, strictly
    q = STD["mlp"]
    res = nl.minimize(q.fun, q.x0, args=q.args, jac=q.jac, method="lbfgs",
                      options={"maxiter": 50})
    assert min(lo(q, x) for x in points(q) + [res.x]) < 0      # non-convex


# ---------------------------------------------------------------- mini-batch curvature products
NETS = [name for name in NAMES if name != "matrix-factorization"]


@pytest.mark.parametrize("name", NETS)
def test_batch_products_over_all_samples_are_the_products_and_halves_average(name):
    for p in (SMALL[name], STD[name]):
        N = p.args[0].shape[0]
        x = points(p, 1)[1]
        v = np.random.default_rng(7).standard_normal(p.n)
        halves = [h.astype(np.int64) for h in
                  np.array_split(np.random.default_rng(8).permutation(N), 2)]
        for batch, full in ((ml.batch_ggnp(p), p.ggnp), (ml.batch_hessp(p), p.hessp)):
            ref = full(x, v, *p.args)
            assert np.array_equal(batch(x, v, np.arange(N), *p.args), ref)   # same sums
            if len(halves[0]) == len(halves[1]):
                parts = [batch(x, v, h, *p.args) for h in halves]
                assert rel((parts[0] + parts[1]) / 2, ref) < 1e-12
    idx = np.array([0, 3, 1, 3], dtype=np.int64)
    p = SMALL[name]
    x = points(p, 1)[1]
    v = np.ones(p.n)
    for batch in (ml.batch_ggnp(p), ml.batch_hessp(p)):
        assert np.allclose(batch(x, v, idx, *p.args), batch.py_func(x, v, idx, *p.args),
                           rtol=1e-12, atol=1e-14)


def test_batch_products_and_curvature_batch_options():
    p = STD["mlp"]
    opts = ml.curvature_batch(p, 40, seed=3)
    assert opts == {"curvature_batch": ml.batch_ggnp(p), "curvature_batch_size": 40,
                    "n_samples": p.args[0].shape[0], "seed": 3}
    assert ml.curvature_batch(p, 40, gauss_newton=False)["curvature_batch"] is ml.batch_hessp(p)
    for f in (ml.batch_ggnp, ml.batch_hessp):
        with pytest.raises(ValueError, match="network problems"):
            f(STD["matrix-factorization"])
