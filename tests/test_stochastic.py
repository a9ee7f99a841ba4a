"""Finite sums: mini-batch sampling (once per epoch, seeded), compiled = interpreted,
online / mini-batch / full-batch modes, epoch bookkeeping, gradient noise and Langevin."""
import numba
import numpy as np
import pytest

import newtonlab as nl
from newtonlab._engine import status as S
from newtonlab._engine import fo_driver as FD
from newtonlab.stochastic import FiniteSum, least_squares_fg, minibatches

RNG = np.random.default_rng(3)
NS, DIM = 40, 3
A = RNG.standard_normal((NS, DIM))
XTRUE = np.array([1.0, -2.0, 0.5])
B = A @ XTRUE                         # consistent: every J_i is minimal at XTRUE
B_NOISY = B + 0.1 * RNG.standard_normal(NS)
FS = FiniteSum(least_squares_fg, NS)
FS_PY = FiniteSum(least_squares_fg.py_func, NS)
X0 = np.zeros(DIM)


def run(fs=FS, b=B, method="gd", **o):
    return nl.minimize(fs, X0, args=(A, b), method=method, options={"gtol": 0.0, **o})


def test_random_kernels_match_python_oracles():
    M = (1 << 64) - 1

    def splitmix(state):                               # Steele, Lea & Flood (2014)
        state[0] = (state[0] + 0x9E3779B97F4A7C15) & M
        z = state[0]
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        return ((z ^ (z >> 31)) >> 11) / 2.0 ** 53
    rng = np.zeros(2, dtype=np.uint64)
    FD.rng_seed(rng, 42)
    s0, s1 = [42], [42 ^ 0xD1B54A32D192ED03]          # stream 0 (batches), stream 1 (noise)
    assert [FD.rng_uniform(rng, 0) for _ in range(5)] == [splitmix(s0) for _ in range(5)]
    perm = np.arange(9)
    FD.rng_shuffle(rng, perm)                          # Fisher-Yates from stream 0
    want = list(range(9))
    for i in range(8, 0, -1):
        j = int(splitmix(s0) * (i + 1))
        want[i], want[j] = want[j], want[i]
    assert perm.tolist() == want
    out = np.empty(3)
    FD.rng_normal(rng, out)                            # Box-Muller from stream 1
    u = [splitmix(s1) for _ in range(4)]
    r = [np.sqrt(-2 * np.log(1 - u[0])), np.sqrt(-2 * np.log(1 - u[2]))]
    np.testing.assert_allclose(out, [r[0] * np.cos(2 * np.pi * u[1]),
                                     r[0] * np.sin(2 * np.pi * u[1]),
                                     r[1] * np.cos(2 * np.pi * u[3])], rtol=1e-15)
    a, b, o = np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.empty(2)
    FD.axpy(0.5, a, b, o)
    assert o.tolist() == [3.5, 0.0] and FD.dist2(a, b) == pytest.approx(np.hypot(2, 3))


@pytest.mark.parametrize("n,bs", [(10, 3), (7, 7), (7, 10), (5, 1), (100, 32)])
def test_minibatches_cover_every_sample_once_per_epoch(n, bs):
    batches = minibatches(n, bs, seed=11, epochs=3)
    per_epoch = -(-n // bs)
    assert len(batches) == 3 * per_epoch
    epochs = [np.concatenate(batches[e * per_epoch:(e + 1) * per_epoch]) for e in range(3)]
    for e in epochs:
        assert sorted(e.tolist()) == list(range(n))
    assert all(len(b) == bs for b in batches[:per_epoch - 1])
    if n > 2:
        assert not np.array_equal(epochs[0], epochs[1])     # reshuffled every epoch


def test_the_solver_draws_exactly_those_batches():
    seen = []

    def recording(x, idx, A, b):
        seen.append(idx.copy())
        return least_squares_fg.py_func(x, idx, A, b)
    run(FiniteSum(recording, NS), lr=0.05, batch_size=6, seed=5, maxiter=20)
    steps = [i for i in seen if i.size != NS]               # drop the full-batch evaluations
    expected = minibatches(NS, 6, seed=5, epochs=3)[:21]    # 20 steps + the next batch drawn
    assert len(steps) == 21
    for got, want in zip(steps, expected):
        np.testing.assert_array_equal(got, want)


def test_reproducible_and_compiled_equals_interpreted():
    o = dict(method="adam", lr=0.05, batch_size=7, seed=2, maxiter=60, return_all=True,
             noise="gaussian", noise_std=0.1, noise_decay=0.55)
    rc, ri = run(**o), run(FS_PY, **o)
    assert (rc.execution, ri.execution) == ("compiled", "interpreted")
    np.testing.assert_allclose(np.array(rc.allvecs), np.array(ri.allvecs), rtol=1e-12,
                               atol=1e-14)
    assert rc.nfev == ri.nfev
    np.testing.assert_array_equal(run(**o).x, rc.x)                     # same seed
    assert not np.allclose(run(**{**o, "seed": 3}).x, rc.x)             # other seed
    lang = dict(method="momentum", lr=0.01, batch_size=5, seed=4, maxiter=40,
                noise="langevin", temperature=0.01, return_all=True)
    np.testing.assert_allclose(np.array(run(**lang).allvecs),
                               np.array(run(FS_PY, **lang).allvecs), rtol=1e-12, atol=1e-14)


def test_online_minibatch_and_full_batch_modes_converge():
    # consistent least squares: SGD converges to the solution at a linear rate
    for bs in (1, 8, None):
        r = run(lr=0.05, batch_size=bs, seed=0, maxiter=4000, fstar=0.0, ftarget=1e-20)
        assert r.status == S.TARGET_F and np.allclose(r.x, XTRUE, atol=1e-9), (bs, r.message)
    # full batch through the finite sum = the same objective given as a fused (f, g)
    full = numba.njit(lambda x, A, b: least_squares_fg(x, np.arange(NS), A, b))
    r1 = run(lr=0.05, maxiter=50, return_all=True)
    r2 = nl.minimize(full, X0, args=(A, B), jac=True, method="gd",
                     options={"linesearch": "none", "lr": 0.05, "maxiter": 50,
                              "return_all": True, "gtol": 0.0})
    np.testing.assert_array_equal(np.array(r1.allvecs), np.array(r2.allvecs))
    # noisy data: mini-batch SGD with a 1/t schedule approaches the least-squares solution
    xls = np.linalg.lstsq(A, B_NOISY, rcond=None)[0]
    r = run(b=B_NOISY, lr=0.1, batch_size=4, schedule="inverse-time", decay_rate=0.05,
            maxiter=20000, seed=1)
    assert np.linalg.norm(r.x - xls) < 0.02 < np.linalg.norm(X0 - xls)


def test_epoch_bookkeeping_full_evaluations_and_counts():
    r = run(lr=0.05, batch_size=16, seed=0, maxiter=10, return_all=True)   # 16, 16, 8 per epoch
    ep = r.trace["epoch"]
    np.testing.assert_allclose(ep[:5], [0.0, 0.4, 0.8, 1.0, 1.4])
    ends = np.flatnonzero(~np.isnan(r.trace["full_f"]))
    np.testing.assert_array_equal(ends, [0, 3, 6, 9])      # x0 and every epoch's end
    assert r.trace["full_f"][3] == pytest.approx(FS(r.allvecs[3], A, B)[0], rel=1e-14)
    # x0 full + first batch + one batch per step + 3 epoch ends + the final full evaluation
    assert r.nfev == r.njev == 1 + 1 + 10 + 3 + 1
    assert r.fun == pytest.approx(FS(r.x, A, B)[0], rel=1e-15)
    np.testing.assert_allclose(r.jac, FS(r.x, A, B)[1], rtol=1e-14)
    r = run(lr=0.05, batch_size=16, seed=0, maxiter=10, full_eval="end")
    assert np.isnan(r.trace["full_f"][1:]).all() and r.nfev == 1 + 1 + 10 + 1
    # stopping tests use full values only: fstar/ftarget fire at an epoch's end
    r = run(lr=0.05, batch_size=16, seed=0, maxiter=5000, fstar=0.0, ftarget=1e-12)
    assert r.status == S.TARGET_F and r.trace["epoch"][-1] == int(r.trace["epoch"][-1])


@numba.njit(cache=True)
def linear(x):
    return np.sum(x)


@numba.njit(cache=True)
def linear_grad(x):
    return np.ones_like(x)


def test_gaussian_gradient_noise_statistics():
    x0 = np.zeros(4000)
    r = nl.minimize(linear, x0, jac=linear_grad, method="gd",
                    options={"linesearch": "none", "lr": 1.0, "noise": "gaussian",
                             "noise_std": 0.5, "noise_decay": 0.5, "maxiter": 4,
                             "return_all": True, "gtol": 0.0, "seed": 9})
    steps = np.diff(np.array(r.allvecs), axis=0) + 1.0      # = -lr * sigma_k * xi
    for k, s in enumerate(steps):
        assert abs(s.mean()) < 0.05
        assert s.std() == pytest.approx(0.5 / (1 + k) ** 0.5, rel=0.05)


@numba.njit(cache=True)
def bowl(x):
    return 0.5 * np.dot(x, x)


@numba.njit(cache=True)
def bowl_grad(x):
    return x.copy()


def test_langevin_samples_the_gibbs_distribution():
    # x+ = (1 - eta) x + sqrt(2 eta T) xi has stationary variance T / (1 - eta / 2)
    eta, T = 0.05, 0.5
    r = nl.minimize(bowl, np.ones(200), jac=bowl_grad, method="gd",
                    options={"linesearch": "none", "lr": eta, "noise": "langevin",
                             "temperature": T, "maxiter": 3000, "return_all": True,
                             "gtol": 0.0, "divergence": None, "seed": 1})
    xs = np.array(r.allvecs)[500:]
    assert xs.var() == pytest.approx(T / (1 - eta / 2), rel=0.03)


def test_finite_sum_is_an_ordinary_objective_too():
    r = nl.minimize(FS, X0, args=(A, B), jac=True, method="bfgs")
    assert r.success and np.allclose(r.x, XTRUE, atol=1e-5)


@pytest.mark.parametrize("make,match", [
    (lambda: nl.minimize(bowl.py_func, X0, jac=bowl_grad.py_func, method="adam",
                         options={"batch_size": 4}), "'batch_size'"),
    (lambda: run(batch_size=0), "'batch_size'"),
    (lambda: FiniteSum(least_squares_fg, 0), "n_samples"),
    (lambda: FiniteSum("f", 3), "batch_fg"),
    (lambda: run(FiniteSum(lambda x, i, A, b: (0.0, np.zeros(2)), NS), batch_size=4), "shape"),
    (lambda: run(FiniteSum(numba.njit(lambda x, i, A, b: 1.0), NS), batch_size=4), "batch_fg"),
])
def test_bad_finite_sum_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()
