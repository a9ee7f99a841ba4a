"""Hessian-free (Martens 2010) and its switchable parts: Gauss-Newton products (§4.2), CG-iteration
backtracking (§4.6), diagonal preconditioning (§4.7), warm-start decay (§4.5).

Kernels against NumPy oracles (preconditioned CG, N&W Alg. 5.3; the kept-iterate schedule),
the backtracking's choice against a brute-force search, the defaults against today's
iterates (bit for bit), each option's effect, an ablation over all of them, and both execution
modes.  Pinned counts of the default method: ``test_matrix.py``.
"""
import math

import numpy as np
import pytest

import newtonlab as nl
from newtonlab import problems
from newtonlab._engine import cg_backtrack as CB
from newtonlab._engine import kernels as K
from newtonlab._engine import tcg as TC
from newtonlab._engine import trustregion as TR

HF = "hessian-free"
ROS = problems.get("rosenbrock")


def _py(f):
    """The plain-Python form of a library function (itself with the JIT disabled)."""
    return getattr(f, "py_func", f)


def kept_indices(last):
    """Martens' schedule, by brute force: every ceil(1.3^j) below the last iteration, and it."""
    ks = sorted({math.ceil(1.3 ** j) for j in range(80)})
    return [k for k in ks if k < last] + [last]


def spd(n, seed, cond=1e3):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (Q * np.logspace(0, np.log10(cond), n)) @ Q.T, rng.standard_normal(n), rng


def pcg_oracle(A, b, minv, x0, iters):
    """N&W Alg. 5.3 in NumPy: preconditioned CG on A x = b with M^{-1} = diag(minv)."""
    x = x0.copy()
    r = A @ x - b
    y = minv * r
    p = -y
    xs = [x.copy()]
    for _ in range(iters):
        Ap = A @ p
        alpha = (r @ y) / (p @ Ap)
        x = x + alpha * p
        rn = r + alpha * Ap
        yn = minv * rn
        beta = (rn @ yn) / (r @ y)
        p = -yn + beta * p
        r, y = rn, yn
        xs.append(x.copy())
    return xs


def run_ptcg(H, g, M, damp, tol=0.0, maxit=None, meps=0.0, warm=None):
    """The engine's preconditioned CG; the iterates after each product.  Products by ``H``: a
    matrix (NumPy's product), a 1-tuple (H,) for the engine's dense product (the bits of a
    run with ``hess``), or a callable v -> H v (the bits of a run with that ``hessp``)."""
    n = g.size
    maxit = n if maxit is None else maxit
    W = np.zeros((TC.NVP, n))
    W[TC.MD] = M
    st = np.zeros(TC.PSIZE)
    hist = np.zeros(maxit + 1)
    if warm is not None:
        TC.set_start(W, warm, 1.0)
    code = TC.ptcg_start(st, W, hist, g, damp, tol, maxit, meps, warm is not None)
    zs = [W[TC.Z].copy()]
    while code == TC.NEED_PRODUCT:
        if isinstance(H, tuple):
            TC.matvec(H[0], W[TC.V], W[TC.HV])
        elif callable(H):
            W[TC.HV] = H(W[TC.V].copy())
        else:
            W[TC.HV] = H @ W[TC.V]
        code = TC.ptcg_next(st, W, hist, g)
        zs.append(W[TC.Z].copy())
    return zs, st, W


def forcing(g):
    """The driver's CG tolerance min(1/2, sqrt ||g||) ||g|| (with the engine's norm)."""
    gn = K.norm2(g)
    return min(0.5, math.sqrt(gn)) * gn


# ---------------------------------------------------------------- kernels against oracles

@pytest.mark.nojit
@pytest.mark.parametrize("warm", [False, True])
def test_preconditioned_cg_matches_numpy_oracle(warm):
    n, lam = 12, 0.5
    H, g, rng = spd(n, 3, cond=50.0)
    M = rng.uniform(0.5, 2.0, n)
    # a warm start along the solution (the engine keeps one only when phi(z0) < 0), perturbed
    z0 = (-0.3 * np.linalg.solve(H + lam * np.eye(n), g) + 0.01 * rng.standard_normal(n)
          if warm else np.zeros(n))
    zs, st, _ = run_ptcg(H, g, M, lam, warm=z0 if warm else None)
    assert st[TC.EXIT] == TR.EXIT_MAXITER and st[TC.WARMED] == float(warm)
    ref = pcg_oracle(H + lam * np.eye(n), -g, 1.0 / M, z0, n)
    # every iterate (each product yields one; the warm start's residual product yields z0)
    it = zs[1:] if warm else zs
    assert len(it) == n + 1
    # two CG codes round differently, and CG amplifies rounding once the residual is small
    # (loss of orthogonality): the first iterates agree to rounding, the last solves A p = -g
    for k in range(9):
        assert np.linalg.norm(it[k] - ref[k]) <= 1e-12 * np.linalg.norm(ref[-1])
    A = H + lam * np.eye(n)
    p = zs[-1]
    assert st[TC.MODEL] == pytest.approx(g @ p + 0.5 * p @ A @ p, rel=1e-10)
    sol = np.linalg.solve(A, -g)
    assert np.linalg.norm(p - sol) <= 1e-6 * np.linalg.norm(sol)


@pytest.mark.nojit
def test_preconditioned_cg_fewer_iterations_with_good_preconditioner():
    """A diagonal matrix with a spread spectrum: M = diag(A) makes it the identity."""
    n = 30
    d = np.logspace(0, 4, n)
    g = np.ones(n)
    z_plain, st_plain, _ = run_ptcg(np.diag(d), g, np.ones(n), 0.0, tol=1e-10, maxit=200)
    z_pc, st_pc, _ = run_ptcg(np.diag(d), g, d, 0.0, tol=1e-10, maxit=200)
    assert st_pc[TC.IT] == 1 < st_plain[TC.IT]
    np.testing.assert_allclose(z_pc[-1], -g / d, rtol=1e-12)


@pytest.mark.nojit
@pytest.mark.parametrize("case", ["cold", "warm", "negcurv", "progress"])
def test_unit_preconditioner_is_tcg_damped_bit_for_bit(case):
    """M = 1: every operation is the one of tcg_next in DAMPED mode (the default stays today's)."""
    n = 15
    H, g, rng = spd(n, 5)
    lam, tol, maxit, meps, warm = 0.3, 1e-8, 40, 5e-4, None
    if case == "warm":
        warm = -0.5 * np.linalg.solve(H + lam * np.eye(n), g)
    elif case == "negcurv":
        H = H - 200.0 * np.eye(n)
    elif case == "progress":
        H, g, _ = spd(200, 6, cond=1e6)
        n, lam, tol, maxit = 200, 0.0, 1e-14, 1000
    zs, st, W = run_ptcg(H, g, np.ones(n), lam, tol, maxit, meps, warm)
    W0 = np.zeros((TC.NV, n))
    st0 = np.zeros(TC.SIZE)
    hist = np.zeros(maxit + 1)
    if warm is not None:
        TC.set_start(W0, warm, 1.0)
    code = TC.tcg_start(st0, W0, hist, g, TC.DAMPED, 0.0, lam, tol, maxit, meps, warm is not None)
    while code == TC.NEED_PRODUCT:
        W0[TC.HV] = H @ W0[TC.V]
        code = TC.tcg_next(st0, W0, hist, g)
    np.testing.assert_array_equal(W[TC.Z], W0[TC.Z])
    for k in (TC.IT, TC.MODEL, TC.EXIT, TC.RR, TC.WARMED):
        assert st[k] == st0[k], k
    expected = {"negcurv": TR.EXIT_NEGCURV, "progress": TR.EXIT_PROGRESS}
    assert st[TC.EXIT] == expected.get(case, TR.EXIT_INTERIOR)


@pytest.mark.nojit
@pytest.mark.parametrize("maxit", [1, 2, 7, 19, 40])
def test_kept_iterates_follow_martens_schedule(maxit):
    """cg_backtrack keeps z_i at i = ceil(1.3^j) and the last iterate, with phi_i."""
    n, lam = 60, 1e-3
    H, g, _ = spd(n, 7, cond=1e3)
    g *= 1e-8           # the forcing term min(1/2, sqrt ||g||) ||g||: no residual exit here
    kcap = CB.capacity(maxit)
    assert kcap == len([k for k in kept_indices(10 ** 6) if k <= maxit]) + 1
    W = np.zeros((TC.NVP, n))
    W[TC.MD] = 1.0
    st, hist, kst = np.zeros(TC.PSIZE), np.zeros(maxit + 1), np.zeros(CB.KSIZE)
    keep, kinfo = np.zeros((kcap, n)), np.zeros((kcap, 2))
    code = CB.begin(st, W, hist, g, H, lam, maxit, 1e-12, False, kst, keep, kinfo)
    kit, kphi = kinfo[:, CB.KIT], kinfo[:, CB.KPHI]
    assert code == TC.DONE and st[TC.IT] == maxit           # dense products: done at once
    nk = int(kst[CB.NKEPT])
    assert list(kit[:nk].astype(int)) == kept_indices(maxit) and nk <= kcap
    # the same CG, one iterate per product (the kernel with the same dense product: same bits)
    zs, st2, _ = run_ptcg((H,), g, np.ones(n), lam, forcing(g), maxit, 1e-12)
    assert st2[TC.IT] == maxit
    A = H + lam * np.eye(n)
    for row, i in enumerate(kit[:nk].astype(int)):
        np.testing.assert_array_equal(keep[row], zs[i])
        p = zs[i]
        assert kphi[row] == pytest.approx(g @ p + 0.5 * p @ A @ p, rel=1e-8)


# ---------------------------------------------------------------- CG backtracking

def pseudo_huber(seed=1, n=20, scale=1e-9):
    """sum_i w_i sqrt(1 + (Q x)_i^2): far from 0 the quadratic model overshoots badly, so f
    along the CG iterates first falls, then rises (the case §4.6 is for).  The scale keeps
    ||g|| small, so that CG runs many iterations (its residual test is relative to sqrt ||g||)."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    w = scale * np.logspace(0, 2, n)

    def f(x):
        u = Q @ x
        return float(w @ np.sqrt(1.0 + u * u))

    def g(x):
        u = Q @ x
        return Q.T @ (w * u / np.sqrt(1.0 + u * u))

    def hess(x):
        u = Q @ x
        return (Q.T * (w / (1.0 + u * u) ** 1.5)) @ Q

    def hp(x, v):
        return hess(x) @ v
    return f, g, hess, hp, Q


def first_step(lam, start):
    """One hessian-free iteration with CG backtracking on pseudo_huber from x0 = Q^T u0."""
    f, g, hess, hp, Q = pseudo_huber()
    n = Q.shape[0]
    u0 = [np.linspace(0.5, 3, n), np.linspace(3, 0.5, n), np.full(n, 1.5),
          np.linspace(-2, 2, n)][start]
    x0 = Q.T @ u0
    res = nl.minimize(f, x0, method=HF, jac=g, hessp=hp,
                      options={"cg_backtracking": True, "damping": lam, "maxiter": 1,
                               "gtol": 1e-16, "return_all": True})
    return res, x0, n, (f, g, hess, hp)


BT_CASES = [(1e-12, 0), (1e-11, 1), (1e-10, 1), (1e-9, 1), (1e-12, 2), (1e-10, 2), (1e-9, 0),
            (1e-10, 3), (1e-12, 3)]


@pytest.mark.parametrize("lam, start", BT_CASES)
def test_cg_backtracking_picks_the_brute_force_choice(lam, start):
    res, x0, n, (f, g, hess, hp) = first_step(lam, start)
    tr = res.trace
    N = int(tr["cg_iters"][1])
    assert tr["cg_exit"][1] in (TR.EXIT_INTERIOR, TR.EXIT_PROGRESS) and N >= 5
    # the CG iterates of the first (cold) solve, one per product: the same kernel with the
    # same products, so the same bits as the run (CG's rounding is chaotic after ~10
    # iterations: an independent CG would not give the same values to compare by f)
    g0 = g(x0)
    iterates, st, _ = run_ptcg(lambda v: hp(x0, v), g0, np.ones(n), lam, forcing(g0),
                               nl.METHODS[HF].defaults["cg_maxiter"] or min(20 * n, 250),
                               nl.METHODS[HF].defaults["cg_progress_eps"])
    assert st[TC.IT] == N and len(iterates) == N + 1
    idx = kept_indices(N)
    fs = [f(x0 + iterates[i]) for i in idx]
    # brute force: every kept iterate's value, then the walk back from the last while f falls
    b = len(idx) - 1
    while b > 0 and fs[b - 1] < fs[b]:
        b -= 1
    assert tr["cg_pick"][1] == idx[b]
    walked = len(idx) - 1 - b + (b > 0)      # the evaluations after the last one
    # b > 0: the walk stopped at a worse iterate, so x + p_b is not the point evaluated last;
    # when the Armijo test accepts it at alpha = 1 it is evaluated again, for the loop to commit
    recall = b > 0 and tr["alpha"][1] == 1.0
    assert tr["bt_evals"][1] == walked + recall
    assert res.nfev == 1 + 1 + tr["bt_evals"][1] + tr["ls_evals"][1]
    p = iterates[idx[b]]
    np.testing.assert_allclose(res.allvecs[1], x0 + tr["alpha"][1] * p, rtol=1e-14, atol=1e-14)
    assert tr["step"][1] == pytest.approx(tr["alpha"][1] * np.linalg.norm(p), rel=1e-12)
    pred = -(g0 @ p + 0.5 * p @ hess(x0) @ p)
    assert tr["rho"][1] == pytest.approx((f(x0) - fs[b]) / pred, rel=1e-6)


def test_cg_backtracking_cases_are_not_trivial():
    """The cases above pick the first kept iterate, an interior one and the last, and
    evaluate the chosen point again (when it is not the point evaluated last)."""
    picks, recalls = set(), 0
    for lam, start in BT_CASES:
        tr = first_step(lam, start)[0].trace
        pick, last = tr["cg_pick"][1], tr["cg_iters"][1]
        picks.add("first" if pick == 1 else "last" if pick == last else "interior")
        recalls += pick > 1 and tr["alpha"][1] == 1.0
    assert picks == {"first", "interior", "last"} and recalls > 0


# ---------------------------------------------------------------- defaults and options

def run(p, opts=None, curv="hessp", compiled=False):
    """Problem p with products from ``curv`` ("hessp", "ggnp", or "hess": the matrix).

    Interpreted unless ``compiled`` (the same iterates, test_compiled_and_interpreted_identical,
    without compiling a solver per args type and variant: this file stays fast cold)."""
    c = (lambda fn: fn) if compiled else _py
    kw = {"hess": c(p.hess)} if curv == "hess" else {"hessp": c(getattr(p, curv))}
    return nl.minimize(c(p.fun), p.x0, args=p.args, method=HF, jac=c(p.jac),
                       options={"return_all": True, **(opts or {})}, **kw)


def same_run(a, b):
    return ((a.nit, a.nfev, a.njev, a.nhev, a.status) == (b.nit, b.nfev, b.njev, b.nhev, b.status)
            and np.array_equal(np.array(a.allvecs), np.array(b.allvecs)))


def test_registry_lists_the_new_options():
    d = nl.METHODS[HF].defaults
    assert (d["cg_backtracking"], d["preconditioner"], d["precond_exponent"],
            d["precond_decay"], d["cg_decay"]) == (False, "none", 0.75, 0.95, 0.95)
    assert nl.METHODS[HF].diagnostics[-3:] == ("ls_evals", "bt_evals", "cg_pick")


@pytest.mark.parametrize("name, counts", [("rosenbrock", (31, 44)), ("himmelblau", (10, 14))])
def test_defaults_keep_todays_run(name, counts):
    """The pins of test_matrix.py; spelling the defaults out, or a preconditioner with
    exponent 0 (M = 1 exactly), gives the same bits."""
    p = problems.get(name)
    base = run(p, curv="hess")
    assert (base.nit, base.nfev) == counts and base.success
    explicit = run(p, {"cg_backtracking": False, "preconditioner": "none",
                       "precond_exponent": 0.75, "precond_decay": 0.95}, curv="hess")
    flat = run(p, {"preconditioner": "gradient-squared", "precond_exponent": 0.0}, curv="hess")
    assert same_run(base, explicit) and same_run(base, flat)
    tr = base.trace
    assert np.all(tr["bt_evals"] == 0) and np.array_equal(tr["cg_pick"], tr["cg_iters"])


@pytest.mark.parametrize("name, opts, counts, fun", [
    ("rosenbrock", {}, (31, 44, 78), 2.3320231836174797e-11),
    ("wood", {}, (245, 275, 1083), 1.2607532585648132e-11),
    ("wood", {"cg_decay": 0.0}, (118, 153, 327), 1.6107534794593026e-12),
    ("chained_rosenbrock", {}, (97, 122, 391), 7.631001593229539e-26)])
def test_defaults_keep_todays_products_run(name, opts, counts, fun):
    """(nit, nfev, nhev) and f of the method before the options were added, with hessp."""
    p = problems.get(name)
    res = run(p, opts)
    assert (res.nit, res.nfev, res.nhev) == counts and res.fun == fun


@pytest.mark.parametrize("opts", [{"cg_backtracking": True},
                                  {"preconditioner": "gradient-squared"},
                                  {"cg_decay": 0.0}], ids=lambda o: next(iter(o)))
def test_each_option_changes_the_run(opts):
    p = problems.get("chained_rosenbrock")
    base, other = run(p), run(p, opts)
    assert other.success and base.success and not same_run(base, other)
    tr = other.trace
    if "cg_backtracking" in opts:
        assert tr["bt_evals"].sum() > 0 and np.any(tr["cg_pick"] < tr["cg_iters"])
        # every evaluation is counted: one unit trial per iteration plus the two searches
        assert other.nfev == 1 + other.nit + tr["bt_evals"].sum() + tr["ls_evals"].sum()
    else:
        assert np.all(tr["bt_evals"] == 0)


def test_cg_decay_zero_disables_warm_starts():
    """With cg_decay = 0 every CG solve starts at 0: its first product is with d0 = -g(x_k)
    (M = I); with the default decay most solves start from 0.95 p_{k-1} instead."""
    p = problems.get("discrete_boundary_value")

    def first_products(decay):
        calls = []

        def hp(x, v):
            calls.append((x.copy(), v.copy()))
            return _py(p.hessp)(x, v)
        res = nl.minimize(_py(p.fun), p.x0, method=HF, jac=_py(p.jac), hessp=hp,
                          options={"cg_decay": decay})
        cold = sum(np.array_equal(v, -_py(p.jac)(x)) for x, v in calls)
        return res, cold
    res, cold = first_products(0.0)
    assert cold == res.nit              # one cold solve per iteration, nothing else
    res_w, cold_w = first_products(0.95)
    assert cold_w < res_w.nit / 2       # warm starts (a cold one only after a drop)


def test_preconditioned_first_step_matches_oracle():
    """gradient-squared at x0: s = g0 o g0 (bias-corrected), M = (s + lambda)^xi; the first
    step is PCG's on (H + lambda I) p = -g0 (cold start, cg_maxiter iterations)."""
    p = problems.get("discrete_boundary_value")
    lam, xi, it = 1e-4, 0.6, 3
    res = run(p, {"preconditioner": "gradient-squared", "precond_exponent": xi, "damping": lam,
                  "cg_maxiter": it, "maxiter": 1})
    tr = res.trace
    assert tr["cg_iters"][1] == it and tr["alpha"][1] == 1.0
    g0 = p.jac(p.x0)
    M = (g0 * g0 + lam) ** xi
    ref = pcg_oracle(p.hess(p.x0) + lam * np.eye(p.n), -g0, 1.0 / M, np.zeros(p.n), it)
    np.testing.assert_allclose(res.x, p.x0 + ref[-1], rtol=1e-12, atol=1e-15)
    # and not the unpreconditioned step
    plain = pcg_oracle(p.hess(p.x0) + lam * np.eye(p.n), -g0, np.ones(p.n), np.zeros(p.n), it)
    assert np.linalg.norm(ref[-1] - plain[-1]) > 1e-3 * np.linalg.norm(plain[-1])


# ---------------------------------------------------------------- Gauss-Newton (§4.2)

def rosen_residuals():
    """Rosenbrock as f = r1^2 + r2^2, r = (10 (x2 - x1^2), 1 - x1); J = [[-20 x1, 10], [-1, 0]]."""
    def r(x):
        return np.array([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]])

    def J(x):
        return np.array([[-20.0 * x[0], 10.0], [-1.0, 0.0]])

    def fun(x):
        return float(r(x) @ r(x))

    def jac(x):
        return 2.0 * J(x).T @ r(x)

    def ggnp(x, v):
        Jx = J(x)
        return 2.0 * Jx.T @ (Jx @ v)
    return fun, jac, ggnp


def test_gauss_newton_products_on_least_squares():
    fun, jac, ggnp = rosen_residuals()
    res = nl.minimize(fun, ROS.x0, method=HF, jac=jac, hessp=ggnp)
    assert res.success and np.allclose(res.x, 1.0, atol=1e-5)
    # the GGN is PSD: CG never meets negative curvature
    assert not np.any(res.trace["cg_exit"] == TR.EXIT_NEGCURV)
    # the problems' own product (compiled) is the same matrix
    ref = nl.minimize(ROS.fun, ROS.x0, method=HF, jac=ROS.jac, hessp=ROS.ggnp)
    assert ref.success and ref.nit == res.nit and np.allclose(ref.x, res.x, atol=1e-8)
    # every part switched on, with the GGN
    allon = nl.minimize(fun, ROS.x0, method=HF, jac=jac, hessp=ggnp,
                        options={"cg_backtracking": True, "preconditioner": "gradient-squared"})
    assert allon.success and np.allclose(allon.x, 1.0, atol=1e-5)


def test_gauss_newton_on_a_learning_problem():
    p = problems.get("logistic")
    if p.ggnp is None:
        pytest.skip("logistic has no ggnp")
    res = run(p, curv="ggnp")
    ref = run(p)
    assert res.success and ref.success
    assert res.fun == pytest.approx(ref.fun, rel=1e-10)


# ---------------------------------------------------------------- ablation and modes

ABLATION = [dict(cg_backtracking=bt, preconditioner=pc, cg_decay=dec)
            for bt in (False, True) for pc in ("none", "gradient-squared") for dec in (0.0, 0.95)]


@pytest.mark.parametrize("opts", ABLATION, ids=lambda o: "-".join(str(v) for v in o.values()))
def test_ablation_every_combination_converges(opts):
    p = problems.get("beale")
    res = run(p, opts)
    assert res.success and res.fun < 1e-9
    tr = res.trace
    assert res.nfev == 1 + res.nit + tr["bt_evals"].sum() + tr["ls_evals"].sum()
    if not opts["cg_backtracking"]:
        assert np.all(tr["bt_evals"] == 0) and np.array_equal(tr["cg_pick"], tr["cg_iters"])


@pytest.mark.nojit
@pytest.mark.parametrize("opts", [{"cg_backtracking": True, "preconditioner": "gradient-squared"},
                                  {"cg_backtracking": True, "cg_decay": 0.0}])
def test_compiled_and_interpreted_identical(opts):
    p = problems.get("wood")
    rc = run(p, {**opts, "maxiter": 80}, compiled=True)
    rp = run(p, {**opts, "maxiter": 80})
    assert rp.execution == "interpreted"
    assert same_run(rc, rp)
    rd = run(p, {**opts, "maxiter": 80}, curv="hess")        # products by the matrix
    assert rd.nit == rc.nit and np.allclose(rd.x, rc.x, rtol=1e-6)


@pytest.mark.parametrize("opts, key", [
    ({"preconditioner": "diagonal"}, "preconditioner"),
    ({"precond_exponent": 1.5}, "precond_exponent"),
    ({"precond_exponent": -0.1}, "precond_exponent"),
    ({"precond_decay": 1.0}, "precond_decay"),
    ({"cg_backtracking": "yes"}, "cg_backtracking"),
    ({"cg_decay": -0.1}, "cg_decay"),
])
def test_bad_options_named(opts, key):
    with pytest.raises(ValueError, match=key):
        run(ROS, opts)


# ------------------------------------------------------------- mini-batch curvature (§4.3)
from newtonlab.methods import hessian_free as HFM  # noqa: E402
from newtonlab.problems import ml  # noqa: E402

LOGI = problems.get("logistic")
MLP = problems.get("mlp")


def _hf(p, callback=None, **options):
    return nl.minimize(p.fun, p.x0, args=p.args, jac=p.jac, hessp=p.ggnp, method=HF,
                       callback=callback, options={"return_all": True, **options})


def _gap(a, b):
    return max(np.abs(u - v).max() for u, v in zip(a.allvecs, b.allvecs))


def test_draw_batch_is_sorted_without_replacement_and_seeded():
    def draws(seed, N=20, m=7, k=5):
        rng = np.zeros(2, np.uint64)
        HFM.FD.rng_seed(rng, seed)
        perm, idx, out = np.arange(N), np.zeros(m, np.int64), []
        for _ in range(k):
            HFM.draw_batch(rng, perm, idx)
            out.append(idx.copy())
            assert np.all(np.diff(idx) > 0) and idx.min() >= 0 and idx.max() < N
            assert sorted(perm) == list(range(N))
        return out
    a, b, c = draws(0), draws(0), draws(1)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not all(np.array_equal(u, v) for u, v in zip(a, c))
    assert len({tuple(u) for u in a}) > 1                         # redrawn each time
    rng = np.zeros(2, np.uint64)
    HFM.FD.rng_seed(rng, 0)
    perm, idx = np.arange(9), np.zeros(9, np.int64)
    _py(HFM.draw_batch)(rng, perm, idx)
    assert idx.tolist() == list(range(9))


def test_curvature_batch_of_all_samples_is_the_full_product_run():
    N = LOGI.args[0].shape[0]
    full = _hf(LOGI, maxiter=15)
    batch = _hf(LOGI, maxiter=15, **ml.curvature_batch(LOGI, N))
    assert batch.nit == full.nit and batch.nhev == full.nhev and batch.nfev == full.nfev
    assert _gap(full, batch) <= 1e-10


@pytest.mark.parametrize("p", [LOGI, MLP], ids=["logistic", "mlp"])
def test_curvature_minibatch_lowers_the_loss_reproducibly_in_both_modes(p):
    opts = {**ml.curvature_batch(p, 40, seed=1), "maxiter": 15}
    a, b = _hf(p, **opts), _hf(p, **opts)
    assert a.execution == "compiled" and np.array_equal(a.x, b.x)
    assert a.fun < 0.8 * p.fun(p.x0, *p.args) and a.nhev > 0 and a.njev == a.nfev
    c = _hf(p, callback=lambda xk: None, **opts)
    assert c.execution == "interpreted" and _gap(a, c) <= 1e-10
    other = _hf(p, **{**opts, "seed": 2})
    assert not np.array_equal(a.x, other.x)


def test_curvature_minibatch_converges_on_logistic():
    res = _hf(LOGI, maxiter=100, gtol=1e-6, **ml.curvature_batch(LOGI, 50, seed=0))
    full = _hf(LOGI, maxiter=100, gtol=1e-6)
    assert res.success and abs(res.fun - full.fun) <= 1e-8 * abs(full.fun)


def test_curvature_minibatch_with_python_functions():
    p = LOGI
    bhp = ml.batch_ggnp(p).py_func
    res = nl.minimize(p.fun.py_func, p.x0, args=p.args, jac=p.jac.py_func, method=HF,
                      options={"curvature_batch": bhp, "curvature_batch_size": 40,
                               "n_samples": p.args[0].shape[0], "seed": 1, "maxiter": 3,
                               "return_all": True})
    ref = _hf(p, **ml.curvature_batch(p, 40, seed=1), maxiter=3)
    assert res.execution == "interpreted" and _gap(res, ref) <= 1e-10


def test_curvature_batch_errors():
    p, N = LOGI, LOGI.args[0].shape[0]
    bhp = ml.batch_ggnp(p)
    bad = [({"curvature_batch": bhp}, "needs option 'curvature_batch_size'"),
           ({"curvature_batch_size": 10, "n_samples": N}, "needs option 'curvature_batch'"),
           ({"curvature_batch": bhp, "curvature_batch_size": 10}, "needs option 'n_samples'"),
           ({"curvature_batch": bhp, "curvature_batch_size": N + 1, "n_samples": N},
            "must be <= n_samples"),
           ({"curvature_batch": bhp, "curvature_batch_size": 0, "n_samples": N}, ">= 1"),
           ({"curvature_batch": bhp.py_func, "curvature_batch_size": 10, "n_samples": N},
            "must be an @njit function"),
           ({**ml.curvature_batch(p, 10), "seed": -1}, "'seed'")]
    for opts, msg in bad:
        with pytest.raises(ValueError, match=msg):
            _hf(p, maxiter=2, **opts)
