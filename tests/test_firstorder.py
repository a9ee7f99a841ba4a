"""First-order methods: kernels against NumPy oracles of the published updates, compiled
vs interpreted parity, convergence with documented settings, pinned counts, stopping
rules, bad input and gd's routing."""
import math

import numba
import numpy as np
import pytest

import newtonlab as nl
from newtonlab import problems
from newtonlab._engine import status as S
from newtonlab.methods import (adadelta, adagrad, adam, delta_bar_delta, gd, lion, momentum,
                               nesterov, rmsprop, rprop)

N = 4
STEPS = 20
ALIAS = {"wd": "weight_decay", "init_acc": "initial_accumulator_value"}


def make_options(module, p, **fixed):
    """The method's options record from an oracle's parameters (those absent: 0 / False)."""
    given = {ALIAS.get(k, k): v for k, v in {**p, **fixed}.items()}
    return module.Options(**{f: kind(given.get(f, 0))
                             for f, kind in module.Options.__annotations__.items()})


# ---------------------------------------------------------------- NumPy oracles
# Each oracle maps (x, g, lr, t, state dict, hp dict) -> new x, written from the published
# update (paper or the library's documented algorithm), vectorized, independent of the kernels.

def o_sgd(x, g, lr, t, s, p):
    return x - lr * (g + p.get("wd", 0) * x)


def o_momentum(x, g, lr, t, s, p):
    d = g + p.get("wd", 0) * x
    s["b"] = d if t == 1 else p["momentum"] * s["b"] + (1 - p.get("dampening", 0)) * d
    return x - lr * s["b"]


def o_velocity(x, g, lr, t, s, p):
    s["v"] = p["momentum"] * s.get("v", 0) - lr * (g + p.get("wd", 0) * x)
    return x + s["v"]


def o_heavy_ball(x, g, lr, t, s, p):
    prev = s.get("prev", x)
    s["prev"] = x
    return x - lr * (g + p.get("wd", 0) * x) + p["momentum"] * (x - prev)


def o_nesterov(x, g, lr, t, s, p):
    d = g + p.get("wd", 0) * x
    s["b"] = d if t == 1 else p["momentum"] * s["b"] + d
    return x - lr * (d + p["momentum"] * s["b"])


def o_lookahead(y, g, lr, t, s, p):       # g is the gradient at the look-ahead point y
    mu = p["momentum"]
    theta = s.get("theta", y)
    s["v"] = mu * s.get("v", 0) - lr * (g + p.get("wd", 0) * y)
    s["theta"] = theta + s["v"]
    return s["theta"] + mu * s["v"]


def o_adagrad(x, g, lr, t, s, p):
    d = g + p.get("wd", 0) * x
    s["sum"] = s.get("sum", p.get("init_acc", 0.0)) + d * d
    clr = lr / (1 + (t - 1) * p.get("lr_decay", 0))
    if p.get("optax"):
        safe = np.where(s["sum"] > 0, s["sum"], 1.0)
        return x - clr * np.where(s["sum"] > 0, d / np.sqrt(safe + p["eps"]), 0.0)
    return x - clr * d / (np.sqrt(s["sum"]) + p["eps"])


def o_rmsprop(x, g, lr, t, s, p):
    a, mu = p["alpha"], p.get("momentum", 0)
    d = g + p.get("wd", 0) * x
    s["v"] = a * s.get("v", 0) + (1 - a) * d ** 2
    v = s["v"]
    if p.get("centered"):
        s["m"] = a * s.get("m", 0) + (1 - a) * d
        v = v - s["m"] ** 2
    u = d / np.sqrt(v + p["eps"]) if p.get("optax") else d / (np.sqrt(v) + p["eps"])
    if mu > 0:
        if p.get("optax"):          # optax: trace after scale_by_learning_rate
            s["b"] = mu * s.get("b", 0) + lr * u
            return x - s["b"]
        s["b"] = mu * s.get("b", 0) + u
        return x - lr * s["b"]
    return x - lr * u


def o_adadelta(x, g, lr, t, s, p):
    rho, eps = p["rho"], p["eps"]
    d = g + p.get("wd", 0) * x
    s["v"] = rho * s.get("v", 0) + (1 - rho) * d ** 2
    delta = np.sqrt(s.get("u", 0) + eps) / np.sqrt(s["v"] + eps) * d
    s["u"] = rho * s.get("u", 0) + (1 - rho) * delta ** 2
    return x - lr * delta


def o_adam(x, g, lr, t, s, p):
    b1, b2, eps, wd = p["beta1"], p["beta2"], p["eps"], p.get("wd", 0)
    decoupled = p.get("decoupled")
    d = g if decoupled else g + wd * x
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * d
    s["v"] = b2 * s.get("v", 0) + (1 - b2) * d ** 2
    mhat = s["m"] / (1 - b1 ** t)
    if p.get("optax"):             # optax: max over bias-corrected second moments
        vhat = s["v"] / (1 - b2 ** t)
        if p.get("amsgrad"):
            s["vmax"] = vhat = np.maximum(s.get("vmax", 0), vhat)
    else:                          # PyTorch: max over raw second moments, then correct
        v = np.maximum(s.get("vmax", 0), s["v"]) if p.get("amsgrad") else s["v"]
        s["vmax"] = v
        vhat = v / (1 - b2 ** t)
    u = mhat / (np.sqrt(vhat) + eps)
    return x - lr * (u + wd * x) if decoupled else x - lr * u


def o_rprop(x, g, lr, t, s, p):
    prev = s.get("prev", np.zeros_like(x))
    step = s.get("step", np.full_like(x, p["lr0"]))
    prod = g * prev
    new = np.where(prod > 0, step * p["eta_plus"], np.where(prod < 0, step * p["eta_minus"], step))
    clipped = np.clip(new, p["step_min"], p["step_max"])
    s["step"] = np.where(prod != 0, clipped, new) if p.get("optax") else clipped
    gz = np.where(prod < 0, 0.0, g)
    s["prev"] = gz
    return x - (lr / p["lr0"]) * s["step"] * np.sign(gz)


def o_lion(x, g, lr, t, s, p):
    m = s.get("m", 0)
    c = p["beta1"] * m + (1 - p["beta1"]) * g
    s["m"] = p["beta2"] * m + (1 - p["beta2"]) * g
    return x - lr * (np.sign(c) + p.get("wd", 0) * x)        # Chen et al. (2023), Alg. 2


def o_dbd(x, g, lr, t, s, p):
    gain = s.get("gain", np.ones_like(x))
    bar = s.get("bar", np.zeros_like(x))
    gain = np.where(bar * g > 0, gain + p["kappa"], np.where(bar * g < 0, gain * (1 - p["phi"]),
                                                              gain))
    s["gain"] = np.clip(gain, p["gain_min"], p["gain_max"])
    s["bar"] = (1 - p["theta"]) * g + p["theta"] * bar
    return x - lr * s["gain"] * g


ADAM = dict(beta1=0.9, beta2=0.999, eps=1e-8)
# case: (method module, fixed options (the form), oracle, oracle parameters)
CASES = {
    "sgd": (gd, {}, o_sgd, {}),
    "sgd-wd": (gd, {}, o_sgd, dict(wd=0.1)),
    "momentum": (momentum, {}, o_momentum, dict(momentum=0.9)),
    "momentum-damp-wd": (momentum, {}, o_momentum, dict(momentum=0.8, dampening=0.3, wd=0.05)),
    "velocity": (momentum, dict(form=momentum.VELOCITY), o_velocity, dict(momentum=0.9, wd=0.05)),
    "heavy-ball": (momentum, dict(form=momentum.HEAVY_BALL), o_heavy_ball,
                   dict(momentum=0.9, wd=0.05)),
    "nesterov": (nesterov, {}, o_nesterov, dict(momentum=0.9, wd=0.05)),
    "lookahead": (nesterov, dict(form=nesterov.LOOKAHEAD), o_lookahead,
                  dict(momentum=0.9, wd=0.05)),
    "adagrad": (adagrad, {}, o_adagrad, dict(eps=1e-10, lr_decay=0.1, init_acc=0.1, wd=0.05)),
    "adagrad-optax": (adagrad, {}, o_adagrad, dict(eps=1e-7, optax=1)),
    "rmsprop": (rmsprop, {}, o_rmsprop, dict(alpha=0.99, eps=1e-8)),
    "rmsprop-centered-mom": (rmsprop, {}, o_rmsprop, dict(alpha=0.9, eps=1e-8, momentum=0.5,
                                                          centered=1, wd=0.05)),
    "rmsprop-optax": (rmsprop, {}, o_rmsprop, dict(alpha=0.9, eps=1e-8, momentum=0.5,
                                                   centered=1, optax=1)),
    "adadelta": (adadelta, {}, o_adadelta, dict(rho=0.9, eps=1e-6, wd=0.05)),
    "adam": (adam, {}, o_adam, dict(ADAM, wd=0.05)),
    "adam-amsgrad": (adam, {}, o_adam, dict(ADAM, amsgrad=1)),
    "adam-optax-amsgrad": (adam, {}, o_adam, dict(ADAM, amsgrad=1, optax=1)),
    "adamw": (adam, {}, o_adam, dict(ADAM, wd=0.1, decoupled=1)),
    "adamw-optax": (adam, {}, o_adam, dict(ADAM, wd=0.1, decoupled=1, optax=1)),
    "rprop": (rprop, {}, o_rprop, dict(lr0=0.05, eta_minus=0.5, eta_plus=1.2, step_min=1e-6,
                                       step_max=0.04)),
    "rprop-optax": (rprop, {}, o_rprop, dict(lr0=0.05, eta_minus=0.5, eta_plus=1.2,
                                             step_min=1e-6, step_max=0.04, optax=1)),
    "lion": (lion, {}, o_lion, dict(beta1=0.9, beta2=0.99, wd=0.1)),
    "lion-optax": (lion, {}, o_lion, dict(beta1=0.9, beta2=0.99, wd=0.1, optax=1)),
    "delta-bar-delta": (delta_bar_delta, {}, o_dbd, dict(kappa=0.05, phi=0.1, theta=0.7,
                                                         gain_min=0.1, gain_max=10.0)),
    "local-gain": (delta_bar_delta, {}, o_dbd, dict(kappa=0.05, phi=0.05, theta=0.0,
                                                    gain_min=0.1, gain_max=1.2)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_kernel_matches_published_update(case):
    """20 steps on a fixed gradient sequence with a decaying lr, to 1e-12."""
    module, fixed, oracle, p = CASES[case]
    rng = np.random.default_rng(7)
    gs = rng.standard_normal((STEPS, N))
    gs[5, 0] = gs[9, 2] = 0.0                     # zero gradients: the sign == 0 branches
    gs[6:9, 1] = [1.0, -1.0, 1.0]                 # sign flips
    lrs = 0.05 * 0.9 ** np.arange(STEPS)
    x = rng.standard_normal(N)
    xr = x.copy()
    mo = make_options(module, p, **fixed)
    state = module.init(mo, x)
    xt = np.empty(N)
    sref = {}
    for t in range(1, STEPS + 1):
        module.step(state, mo, x, gs[t - 1], t, lrs[t - 1], xt)
        x = xt.copy()
        xr = oracle(xr, gs[t - 1], lrs[t - 1], t, sref, p)
        np.testing.assert_allclose(x, xr, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(xr).max()))


# ------------------------------------------------------ through minimize, both modes

@numba.njit(cache=True)
def quad2(x):
    """The textbook f = 0.1 x1^2 + 2 x2^2 (d2l.ai, section 12.6)."""
    return 0.1 * x[0] ** 2 + 2.0 * x[1] ** 2


@numba.njit(cache=True)
def quad2_grad(x):
    return np.array([0.2 * x[0], 4.0 * x[1]])


X2 = np.array([-5.0, -2.0])
QUAD = problems.quadratic(n=10, kappa=100.0, seed=0)

# method, options for the driver tests (every form and convention)
VARIANTS = [
    ("gd", {"linesearch": "none", "lr": 0.01}),
    ("momentum", {}), ("momentum", {"form": "velocity"}), ("momentum", {"form": "heavy-ball"}),
    ("momentum", {"dampening": 0.1}),
    ("nesterov", {}), ("nesterov", {"form": "lookahead"}),
    ("adagrad", {}), ("adagrad", {"convention": "optax", "eps": 1e-7}),
    ("rmsprop", {}), ("rmsprop", {"centered": True, "momentum": 0.5}),
    ("rmsprop", {"centered": True, "momentum": 0.5, "convention": "optax"}),
    ("adadelta", {}), ("adam", {}), ("adam", {"amsgrad": True, "convention": "optax"}),
    ("adamw", {}), ("adamw", {"convention": "optax"}), ("rprop", {}),
    ("rprop", {"convention": "optax"}), ("lion", {}), ("delta-bar-delta", {}),
]
IDS = [m + "".join(f"-{v}" for v in o.values() if isinstance(v, str) and v != "none")
       + ("-damp" if "dampening" in o else "") + ("-ams" if "amsgrad" in o else "")
       for m, o in VARIANTS]


@pytest.mark.parametrize("method,opts", VARIANTS, ids=IDS)
def test_compiled_equals_interpreted(method, opts):
    o = {"maxiter": 30, "return_all": True, "gtol": 0.0, "schedule": "exponential",
         "gamma": 0.97, **opts}
    rc = nl.minimize(QUAD.fun, QUAD.x0, args=QUAD.args, jac=QUAD.jac, method=method, options=o)
    ri = nl.minimize(QUAD.fun.py_func, QUAD.x0, args=QUAD.args, jac=QUAD.jac.py_func,
                     method=method, options=o)
    assert (rc.execution, ri.execution) == ("compiled", "interpreted")
    assert rc.nit == ri.nit == 30 and rc.nfev == ri.nfev == 31
    a, b = np.array(rc.allvecs), np.array(ri.allvecs)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * np.abs(b).max())
    np.testing.assert_allclose(rc.trace["alpha"][1:5], ri.trace["alpha"][1:5], rtol=1e-15)


def test_forms_agree_at_constant_lr_and_differ_under_a_schedule():
    run = lambda **o: np.array(nl.minimize(quad2, X2, jac=quad2_grad, method=o.pop("m"),  # noqa
                                           options={"maxiter": 40, "return_all": True,
                                                    "gtol": 0.0, "lr": 0.1, **o}).allvecs)
    base = run(m="momentum")
    for form in ("velocity", "heavy-ball"):
        np.testing.assert_allclose(run(m="momentum", form=form), base, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(run(m="nesterov", form="lookahead"), run(m="nesterov"),
                               rtol=1e-12, atol=1e-13)
    sched = {"schedule": "exponential", "gamma": 0.9}
    assert not np.allclose(run(m="momentum", form="velocity", **sched),
                           run(m="momentum", **sched))
    np.testing.assert_allclose(run(m="momentum", form="velocity", **sched),
                               run(m="momentum", form="heavy-ball", **sched), rtol=1e-12,
                               atol=1e-13)


# --------------------------------------------------- convergence, pinned iteration counts
# Each method must reach f - f* <= 1e-10 |f*| (status TARGET_F) on two quadratics, kappa = 100
# (n = 10) and kappa = 10 (n = 20).  PyTorch defaults work except where noted:
#   adagrad: its steps shrink like lr / sqrt(t) until the gradient does, so lr = 1e-2 needs
#     ~13k steps on the first problem and more than 30k on the second; lr = 0.5 ~ |x*|;
#   rmsprop, adadelta, lion: with a constant lr they hover at a distance ~lr from x* (their
#     steps do not shrink with the gradient), so they get an exponential decay;
#   lion: its steps are exactly +-lr per coordinate, so lr = 1e-4 would not travel to x*;
#   adamw: weight decay moves the fixed point away from x*, so weight_decay = 0.
CONVERGE = {
    "gd": ({"linesearch": "none"}, 10562, 10597),
    "momentum": ({}, 956, 958),
    "nesterov": ({}, 965, 968),
    "adagrad": ({"lr": 0.5}, 443, 120),
    "rmsprop": ({"schedule": "exponential", "gamma": 0.995}, 481, 918),
    "adadelta": ({"schedule": "exponential", "gamma": 0.999}, 3966, 1683),
    "adam": ({}, 2592, 4624),
    "adamw": ({"weight_decay": 0.0}, 2592, 4624),
    "rprop": ({}, 221, 74),
    "lion": ({"lr": 0.05, "schedule": "exponential", "gamma": 0.99}, 1039, 925),
    "delta-bar-delta": ({}, 290, 188),
}
QUAD_B = problems.quadratic(n=20, kappa=10.0, seed=1)


@pytest.mark.parametrize("method", sorted(CONVERGE))
def test_converges_on_ill_conditioned_quadratics_with_pinned_counts(method):
    opts, *golden = CONVERGE[method]
    nits = []
    for P in (QUAD, QUAD_B):
        fs = P.fmin
        r = nl.minimize(P.fun, P.x0, args=P.args, jac=P.jac, method=method,
                        options={"maxiter": 30000, "fstar": fs, "ftarget": 1e-10 * abs(fs),
                                 "gtol": 0.0, **opts})
        assert r.status == S.TARGET_F and r.success, r.message
        assert r.fun - fs <= 1e-10 * abs(fs)
        assert r.nfev == r.njev == r.nit + 1          # one gradient evaluation per step
        nits.append(r.nit)
    assert nits == golden                             # pinned: don't let these grow


# ------------------------------------------------------------------------- stopping rules

def _gd(fun=quad2, jac=quad2_grad, **o):
    return nl.minimize(fun, X2, jac=jac, method="gd", options={"linesearch": "none", **o})


def test_relative_f_and_g_rules_fire_and_are_named():
    r = _gd(lr=0.1, frel=1e-3)
    f = r.trace["f"]
    assert r.status == S.REL_F and r.success and "frel" in r.message
    assert f[-1] <= 1e-3 * f[0] < f[-2]
    r = _gd(lr=0.1, grel=1e-3)
    gn = r.trace["gnorm"]
    assert r.status == S.REL_G and r.success and gn[-1] <= 1e-3 * gn[0] < gn[-2]


def test_divergence_nonfinite_and_increasing_f():
    r = _gd(lr=0.6, maxiter=500)                     # |1 - 0.6 * 4| = 1.4: diverges
    assert r.status == S.DIVERGED and not r.success and r.nit < 500
    assert r.trace["f"][-1] - 10.5 > 1e10 * 10.5
    r = _gd(lr=0.6, maxiter=40, divergence=None)     # no divergence test: runs all 40 steps
    assert r.status == S.MAXITER and r.nit == 40

    def nan_outside(x):
        return 0.1 * x[0] ** 2 + 2.0 * x[1] ** 2 if abs(x[1]) < 100 else math.nan
    r = _gd(fun=nan_outside, jac=quad2_grad.py_func, lr=0.6, divergence=None, maxiter=100)
    assert r.status == S.NONFINITE and np.isfinite(r.fun) and np.all(np.isfinite(r.x))
    # momentum at eta = 0.6: f goes up and down, and the run goes on
    r = nl.minimize(quad2, X2, jac=quad2_grad, method="momentum",
                    options={"lr": 0.6, "momentum": 0.5, "maxiter": 50, "gtol": 0.0})
    assert np.any(np.diff(r.trace["f"]) > 0) and r.nit == 50 and r.fun < 1e-6


def test_time_limit_and_callback():
    import time

    def slow(x):
        time.sleep(0.002)
        return quad2.py_func(x)
    _gd(fun=slow, jac=quad2_grad.py_func, lr=1e-4, maxiter=2)   # load compiled kernels first
    r = _gd(fun=slow, jac=quad2_grad.py_func, lr=1e-4, time_limit=0.05, maxiter=10000,
            gtol=0.0)
    assert r.status == S.TIME_LIMIT and not r.success and 1 <= r.nit <= 25
    assert r.trace["time"][-1] < 0.5

    def cb(intermediate_result):
        if intermediate_result.nit == 3:
            raise StopIteration
    r = nl.minimize(quad2, X2, jac=quad2_grad, method="adam", callback=cb)
    assert r.status == S.CALLBACK and r.nit == 3 and r.execution == "interpreted"


# ------------------------------------------------------------------ gd routing, bad input

def test_gd_routes_between_line_search_and_sgd():
    r = nl.minimize(quad2, X2, jac=quad2_grad, method="gd")
    assert "ls_evals" in r.trace and r.success          # the line-search driver
    r = nl.minimize(quad2, X2, jac=quad2_grad, method="gd", options={"schedule": "warmup",
                                                                    "warmup_steps": 2})
    assert "epoch" in r.trace and r.trace["alpha"][1] == pytest.approx(1e-3 / 3)
    with pytest.raises(ValueError, match="linesearch='wolfe'"):
        nl.minimize(quad2, X2, jac=quad2_grad, method="gd",
                    options={"linesearch": "wolfe", "batch_size": 3})


BAD = [
    ("adam", {"lr": 0.0}, "'lr'"), ("momentum", {"lr": -1.0}, "'lr'"),
    ("momentum", {"momentum": 1.0}, "'momentum'"), ("adam", {"betas": (0.9, 1.0)}, "betas\\[1\\]"),
    ("lion", {"betas": (-0.1, 0.9)}, "betas\\[0\\]"), ("rmsprop", {"alpha": 1.0}, "'alpha'"),
    ("adadelta", {"rho": 1.5}, "'rho'"), ("rprop", {"etas": (1.5, 1.2)}, "etas\\[0\\]"),
    ("rprop", {"step_sizes": (1.0, 0.5)}, "'step_sizes'"), ("adam", {"betas": 0.9}, "'betas'"),
    ("delta-bar-delta", {"theta": 1.0}, "'theta'"), ("nesterov", {"momentum": 0.0}, "'momentum'"),
    ("momentum", {"form": "heavy-ball", "dampening": 0.1}, "'dampening'"),
    ("adam", {"amsgrad": "yes"}, "'amsgrad'"), ("adam", {"ftarget": 1e-3}, "'fstar'"),
    ("adam", {"schedule": "cosine"}, "'schedule'"), ("adam", {"convention": "jax"}, "'convention'"),
    ("adam", {"momentum": 0.9}, "unknown option"), ("adam", {"weight_decay": -1}, "'weight_decay'"),
    ("adam", {"seed": -1}, "'seed'"), ("adam", {"noise": "pink"}, "'noise'"),
]


@pytest.mark.parametrize("method,opts,match", BAD)
def test_bad_input_names_the_parameter(method, opts, match):
    with pytest.raises(ValueError, match=match):
        nl.minimize(quad2.py_func, X2, jac=quad2_grad.py_func, method=method, options=opts)
