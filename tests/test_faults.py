"""Faults every method must survive (scipy's test_nan_values pattern, over nl.METHODS).

No exception escapes a solver: each fault ends in a named status and the best finite
point seen.  Objectives are plain Python (the interpreted driver runs the same source
as the compiled one, see test_matrix); a few cases are repeated with jitted functions.
"""
import math
import warnings

import numba
import numpy as np
import pytest

import newtonlab as nl
from newtonlab._engine import status as S
from newtonlab import AsymmetricHessianWarning
from newtonlab._unbounded import PROBE_MAXITER, decrease_not_slowing

# also run with NUMBA_DISABLE_JIT=1 (.ci/run): the faults are handled by the same source
pytestmark = pytest.mark.nojit
compiled_only = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="checks compiled runs")


def _py(f):
    """The plain-Python form of a library function (itself with the JIT disabled)."""
    return getattr(f, "py_func", f)

METHODS = list(nl.METHODS)
CURVATURE = [m for m in METHODS if nl.METHODS[m].needs_hess or nl.METHODS[m].needs_hessp]
FIRST_ORDER = [m for m in METHODS if nl.METHODS[m].family == "firstorder"]
X0 = np.array([3.0, -2.0])


def derivs(m, hess, hessp):
    """The curvature arguments method m uses."""
    info = nl.METHODS[m]
    if info.needs_hess:
        return {"hess": hess}
    if info.needs_hessp:
        return {"hessp": hessp}
    return {}


def quad(x):
    return float(np.sum((x - 1.0) ** 2))


def quad_jac(x):
    return 2.0 * (x - 1.0)


def quad_hess(x):
    return 2.0 * np.eye(x.size)


def quad_hessp(x, p):
    return 2.0 * p


def run(m, fun, jac, x0=X0, options=None, hess=quad_hess, hessp=quad_hessp):
    return nl.minimize(fun, x0, method=m, jac=jac, options=options, **derivs(m, hess, hessp))


@pytest.mark.parametrize("m", METHODS)
def test_f_always_nan(m):
    res = run(m, lambda x: math.nan, quad_jac)
    assert res.status == S.NONFINITE_X0 and not res.success and res.nit == 0
    np.testing.assert_array_equal(res.x, X0)


@pytest.mark.parametrize("m", METHODS)
def test_f_nan_after_two_calls(m):
    calls = [0]

    def fun(x):
        calls[0] += 1
        return quad(x) if calls[0] <= 2 else math.nan

    res = run(m, fun, quad_jac)
    assert math.isfinite(res.fun) and np.all(np.isfinite(res.x)) and res.fun <= quad(X0)
    # a success needs the gradient test at the returned point (newton: one step, 2 calls)
    assert not res.success or np.max(np.abs(quad_jac(res.x))) <= 1e-5


def logcosh(x):
    return float(np.sum(np.log(np.cosh(x - 1.0))))


def logcosh_jac_nan_left(x):
    """tanh(x - 1), but NaN left of -1: a full Newton step from 3 lands near -10."""
    return np.full(x.size, np.nan) if np.any(x < -1.0) else np.tanh(x - 1.0)


def logcosh_hess(x):
    return np.diag(1.0 / np.cosh(x - 1.0) ** 2)


def logcosh_hessp(x, p):
    return p / np.cosh(x - 1.0) ** 2


@pytest.mark.parametrize("m", [m for m in METHODS if m not in FIRST_ORDER])
def test_nan_gradient_at_a_trial_point_is_backtracked(m):
    """Finite f, NaN gradient past the minimizer: the search backtracks as for NaN f."""
    res = run(m, logcosh, logcosh_jac_nan_left, x0=np.array([3.0, 3.0]),
              hess=logcosh_hess, hessp=logcosh_hessp)
    assert res.success and res.nit > 0, (res.status, res.message)
    np.testing.assert_allclose(res.x, 1.0, atol=1e-4)


@pytest.mark.parametrize("m", CURVATURE)
@pytest.mark.parametrize("where", ["x0", "later"])
def test_nonfinite_hessian_stops_with_its_status(m, where):
    """NaN curvature at x0, or at every point after x0 (log-cosh: no method ends in
    one step), stops the run with NONFINITE_HESS at the last finite iterate."""
    x0 = np.array([3.0, 3.0])

    def hess(x):
        return np.full((2, 2), np.nan) if where == "x0" or not np.array_equal(x, x0) \
            else logcosh_hess(x)

    def hessp(x, p):
        return np.full(2, np.nan) if where == "x0" or not np.array_equal(x, x0) \
            else logcosh_hessp(x, p)

    res = run(m, logcosh, lambda x: np.tanh(x - 1.0), x0=x0, hess=hess, hessp=hessp)
    assert res.status == S.NONFINITE_HESS and not res.success, (res.status, res.message)
    assert np.all(np.isfinite(res.x)) and res.fun <= logcosh(x0)
    assert (res.nit == 0) == (where == "x0")


@numba.njit
def _f(x):
    return (x[0] - 1.0) ** 2 + (x[1] - 1.0) ** 2


@numba.njit
def _g(x):
    return np.array([2.0 * (x[0] - 1.0), 2.0 * (x[1] - 1.0)])


@numba.njit
def _nan_h(x):
    return np.full((2, 2), np.nan)


@numba.njit
def _nan_hp(x, p):
    return np.full(2, np.nan)


@compiled_only
@pytest.mark.parametrize("m", ["newton-tr", "saddle-free-newton", "newton", "newton-cg"])
def test_nonfinite_hessian_compiled(m):
    """Compiled, too: LAPACK never sees the NaN matrix (it raised LinAlgError before)."""
    res = nl.minimize(_f, X0, method=m, jac=_g, **derivs(m, _nan_h, _nan_hp))
    assert res.execution == "compiled" and res.status == S.NONFINITE_HESS


H_BAD = np.array([[2.0, 0.0], [30.0, 20.0]])      # the non-symmetric "Hessian"
H_SYM = 0.5 * (H_BAD + H_BAD.T)


def test_asymmetric_hessian_warns_once_and_uses_its_symmetric_part():
    x0 = np.array([1.0, 1.0])
    f = lambda x: 0.5 * x @ np.diag([2.0, 20.0]) @ x      # noqa: E731
    g = lambda x: np.diag([2.0, 20.0]) @ x                # noqa: E731
    for m in [m for m in METHODS if nl.METHODS[m].needs_hess]:
        with pytest.warns(AsymmetricHessianWarning) as rec:
            bad = nl.minimize(f, x0, method=m, jac=g, hess=lambda x: H_BAD.copy(),
                              options={"maxiter": 5})
        assert len(rec) == 1
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sym = nl.minimize(f, x0, method=m, jac=g, hess=lambda x: H_SYM.copy(),
                              options={"maxiter": 5})
        np.testing.assert_array_equal(bad.x, sym.x)
        assert (bad.nit, bad.nfev, bad.status) == (sym.nit, sym.nfev, sym.status)


# unbounded below along a line: Wolfe searches (and Hager-Zhang's expansion, B3) see phi
# fall over six decades of steps or up to alpha_max;
# the others stop when f < -1/eps (hessian-free, saddle-free-newton) or by their budgets
UNBOUNDED_FAST = ["bfgs", "lbfgs", "cg", "hager-zhang", "saddle-free-newton", "hessian-free"]


@pytest.mark.parametrize("m", UNBOUNDED_FAST)
def test_unbounded_below_is_reported(m):
    res = run(m, lambda x: -x[0], lambda x: np.array([-1.0, 0.0]),
              hess=lambda x: np.zeros((2, 2)), hessp=lambda x, p: np.zeros(2))
    assert res.status == S.UNBOUNDED and not res.success
    assert res.nfev <= 300, res.nfev


def ray_down(x):        # unbounded below along e0, curved across it
    return -x[0] + 0.5 * x[1] ** 2


def ray_down_jac(x):
    return np.array([-1.0, x[1]])


@pytest.mark.parametrize("m", [m for m in METHODS if m not in UNBOUNDED_FAST])
def test_unbounded_below_is_reported_after_the_budget(m):
    """Backtracking, trust-region and fixed-step methods cannot see an unbounded f inside
    their loop; their maxiter stop, with f still falling linearly, is probed (L-BFGS)."""
    res = run(m, ray_down, ray_down_jac, options={"maxiter": 60},
              hess=lambda x: np.diag([0.0, 1.0]), hessp=lambda x, p: np.array([0.0, p[1]]))
    assert res.status == S.UNBOUNDED and not res.success
    assert res.nit == 60 and 0 < res.unbounded_probe <= PROBE_MAXITER * 3
    assert res.fun == ray_down(res.x) < -1e8


def huber(x):          # bounded below; linear far from its minimizer (1, 1)
    a = np.abs(x - 1.0)
    return float(np.sum(np.where(a <= 1.0, 0.5 * a * a, a - 0.5)))


def huber_jac(x):
    return np.clip(x - 1.0, -1.0, 1.0)


def separable_logistic(x):     # inf f = 0, not attained: decreasing along every ray x > 0
    return float(np.sum(np.log1p(np.exp(-x))))


def separable_logistic_jac(x):
    return -np.exp(-np.logaddexp(0.0, x))


@pytest.mark.parametrize("m", METHODS)
@pytest.mark.parametrize("fun, jac, x0", [(huber, huber_jac, np.array([1e4, -3e3])),
                                           (separable_logistic, separable_logistic_jac, X0)],
                         ids=["huber", "separable-logistic"])
def test_bounded_functions_are_never_called_unbounded(m, fun, jac, x0):
    """Linear decrease far from a minimum, or an infimum at infinity, is no verdict."""
    def hess(x):
        return np.eye(2) * 1e-3

    res = run(m, fun, jac, x0=x0, options={"maxiter": 60}, hess=hess,
              hessp=lambda x, p: 1e-3 * p)
    assert res.status != S.UNBOUNDED
    # the probe's evaluations are counted, but the end point stays the method's own
    f_seen = np.asarray(res.trace["f"])
    assert res.fun == pytest.approx(np.nanmin(f_seen)) or res.status == S.SUCCESS


def test_decrease_not_slowing():
    assert decrease_not_slowing(-np.arange(40.0))                  # linear decrease
    assert decrease_not_slowing(-np.arange(40.0) ** 2)             # accelerating
    assert not decrease_not_slowing(0.9 ** np.arange(40))          # linear convergence
    assert not decrease_not_slowing(np.ones(40))                   # no decrease
    assert not decrease_not_slowing(-np.arange(6.0))               # too short to judge
    f = -np.arange(40.0)
    f[-3] = np.nan
    assert not decrease_not_slowing(f)


@pytest.mark.parametrize("m", METHODS)
def test_time_limit_on_every_method(m):
    """At most one iteration runs (the limit is checked before each), then TIME_LIMIT;
    rosenbrock is not solved in one iteration by any method."""
    ros = nl.problems.get("rosenbrock")
    res = nl.minimize(_py(ros.fun), ros.x0, method=m, jac=_py(ros.jac),
                      options={"time_limit": 1e-9},
                      **derivs(m, _py(ros.hess), _py(ros.hessp)))
    assert res.status == S.TIME_LIMIT and not res.success and res.nit <= 1
    with pytest.raises(ValueError, match="time_limit"):
        nl.minimize(quad, X0, method=m, jac=quad_jac, options={"time_limit": -1.0},
                    **derivs(m, quad_hess, quad_hessp))


@pytest.mark.parametrize("m", FIRST_ORDER)
def test_diverging_first_order_run_returns_its_best_point(m):
    """lr far past 2/L: f grows; the result is the best iterate, not the last one."""
    res = nl.minimize(lambda x: float(x @ x), np.array([1.0, 1.0]), jac=lambda x: 2.0 * x,
                      method=m, options={"lr": 50.0, "maxiter": 30})
    f_seen = res.trace.f if hasattr(res.trace, "f") else res.trace["f"]
    assert res.fun == pytest.approx(np.nanmin(np.asarray(f_seen)), rel=0, abs=0)
    assert res.fun == pytest.approx(float(res.x @ res.x))


def test_float32_objective_with_finite_differences_is_refused():
    """float64 difference steps are below float32 resolution: a clear error, not a zero
    gradient and "success" at x0; with an analytic gradient float32 values are accepted."""
    f32 = lambda x: np.float32(np.sum(np.asarray(x, np.float32) ** 2 - 1.0))   # noqa: E731
    with pytest.raises(ValueError, match="float32.*finite differences"):
        nl.minimize(f32, np.array([0.3, 0.2]), method="bfgs")
    res = nl.minimize(f32, np.array([0.3, 0.2]), method="bfgs", jac=lambda x: 2.0 * x)
    assert res.success and np.allclose(res.x, 0.0, atol=1e-5)


@compiled_only
def test_read_only_install_falls_back_to_a_private_cache(monkeypatch, tmp_path):
    """No writable __pycache__ and no writable ~/.cache: the cache moves to a temp directory
    (import used to fail: "cannot cache function ...: no locator available")."""
    from newtonlab._engine import config

    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    monkeypatch.setenv("NUMBA_CACHE_DIR", "")
    monkeypatch.setattr(config.tempfile, "gettempdir", lambda: str(tmp_path))
    real = config._writable
    monkeypatch.setattr(config, "_writable", lambda d: str(d).startswith(str(tmp_path))
                        and real(d))
    with pytest.warns(RuntimeWarning, match="caching compiled solvers in"):
        assert config._cache_available()
    assert numba.config.CACHE_DIR.startswith(str(tmp_path))
    monkeypatch.setattr(config, "_writable", lambda d: False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    with pytest.warns(RuntimeWarning, match="without a disk cache"):
        assert not config._cache_available()


# three processes on one cache: a parallel kernel called from Python, then twice the cached
# function that calls it (numba issues 4807, 8578: with the parallel kernel cached, the third
# process crashed with a segmentation fault loading what the second compiled)
_PARALLEL_STEP = """
import sys
import numpy as np
from newtonlab._engine import chunks as CH
x = np.arange(10.0); g = np.ones(10); s = np.empty(10); y = np.empty(10)
if sys.argv[1] == "inner":
    CH._commit_parallel(x + 1.0, x, 2.0 * g, g, s, y, np.empty((CH.NCHUNK, 4)))
else:
    assert CH.commit_threads(x + 1.0, x, 2.0 * g, g, s, y) == (10.0, 10.0, 10.0, 2.0)
"""


@compiled_only
def test_cached_callers_of_parallel_kernels_load_in_a_new_process(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    for step in ("inner", "outer", "outer"):
        run = subprocess.run([sys.executable, "-c", _PARALLEL_STEP, step], env=env,
                             capture_output=True, text=True)
        assert run.returncode == 0, (step, run.returncode, run.stderr[-2000:])


@compiled_only
def test_ctrl_c_stops_warmup_and_its_workers(tmp_path):
    """SIGINT (Ctrl-C) stops `newtonlab warmup` within seconds, workers included (it used
    to wait for every queued compilation)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import select

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}      # cold: long compilations
    proc = subprocess.Popen([sys.executable, "-m", "newtonlab", "warmup", "--jobs", "2",
                             "--no-progress"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    # wait for its first line ("compiling 21 methods in 2 process(es)"): the pool is starting
    ready, _, _ = select.select([proc.stdout], [], [], 120.0)
    first = proc.stdout.readline() if ready else ""
    assert first.startswith("compiling"), first
    time.sleep(2.0)                                 # the workers are compiling
    os.killpg(proc.pid, signal.SIGINT)              # what a terminal's Ctrl-C does
    t0 = time.perf_counter()
    out, _ = proc.communicate(timeout=60)
    out = first + out
    assert time.perf_counter() - t0 < 15.0, out
    assert proc.returncode == 130 and "interrupted" in out, out


def test_nondescent_resets_are_counted():
    """A Newton direction that underflows to zero (H = 1e308 I against g ~ 1e-20: p ~
    1e-328) is not a descent direction: the loop falls back to -g, and the result counts
    each such reset.  (With g ~ 1 the direction, ~1e-308, is subnormal but a descent
    direction: an earlier symmetrize overflowed 1e308 + 1e308 on the diagonal to inf,
    which is what zeroed it.)"""
    res = nl.minimize(lambda x: float(x @ x), 1e-20 * np.array([2.0, -3.0]), method="newton",
                      jac=lambda x: 2.0 * x, hess=lambda x: 1e308 * np.eye(2),
                      options={"maxiter": 5, "gtol": 0.0})
    assert res.nondescent_resets == res.nit > 0
    plain = nl.minimize(quad, X0, method="newton", jac=quad_jac, hess=quad_hess)
    assert plain.nondescent_resets == 0 and plain.success
    assert "nondescent_resets" not in nl.minimize(quad, X0, method="adam", jac=quad_jac)


SCALE_INVARIANT = [m for m in METHODS if m not in FIRST_ORDER]


@pytest.mark.parametrize("m", SCALE_INVARIANT)
def test_gtol_scale_g0_makes_every_iterate_scale_invariant(m):
    """With gtol_scale="g0" a run sees f / ||g(x0)||_inf: f -> c f (c a power of two, so
    that the scaling is exact) changes no iterate and no count; f, g and the Hessian
    (inverse) are reported in the user's units.  First-order rules are excluded: their
    step is lr times g, scale-dependent by definition."""
    ros = nl.problems.get("rosenbrock")
    runs = []
    for c in (1.0, 2.0 ** 20, 2.0 ** -30):
        kw = derivs(m, lambda x, c=c: c * _py(ros.hess)(x),
                    lambda x, p, c=c: c * _py(ros.hessp)(x, p))
        runs.append((c, nl.minimize(lambda x, c=c: c * _py(ros.fun)(x), ros.x0, method=m,
                                    jac=lambda x, c=c: c * _py(ros.jac)(x),
                                    options={"gtol_scale": "g0", "gtol": 1e-6}, **kw)))
    (_, ref), *others = runs
    for c, r in others:
        assert (r.nit, r.nfev, r.njev, r.nhev, r.status) == \
            (ref.nit, ref.nfev, ref.njev, ref.nhev, ref.status), c
        np.testing.assert_array_equal(r.x, ref.x)
        assert r.fun == c * ref.fun
        np.testing.assert_array_equal(r.jac, c * ref.jac)
        np.testing.assert_array_equal(r.trace["f"], c * ref.trace["f"])
        if "hess" in ref:
            np.testing.assert_allclose(r.hess, c * ref.hess, rtol=1e-12)
        if "hess_inv" in ref:
            np.testing.assert_allclose(r.hess_inv, ref.hess_inv / c, rtol=1e-12)


@numba.njit
def _scaled_ros(x, c):
    return c * (100.0 * (x[1] - x[0] ** 2) ** 2 + (1.0 - x[0]) ** 2)


@numba.njit
def _scaled_ros_jac(x, c):
    return c * np.array([-400.0 * x[0] * (x[1] - x[0] ** 2) - 2.0 * (1.0 - x[0]),
                         200.0 * (x[1] - x[0] ** 2)])


@compiled_only
def test_gtol_scale_g0_scale_invariant_compiled():
    runs = [nl.minimize(_scaled_ros, np.array([-1.2, 1.0]), args=(c,), method="bfgs",
                        jac=_scaled_ros_jac, options={"gtol_scale": "g0"})
            for c in (1.0, 2.0 ** 40)]
    assert runs[0].execution == "compiled"
    np.testing.assert_array_equal(runs[0].x, runs[1].x)
    assert (runs[0].nit, runs[0].nfev) == (runs[1].nit, runs[1].nfev)
