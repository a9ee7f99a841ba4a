"""Python objectives and callbacks called back from the compiled loop (``_bridge``).

The same run as compiled or interpreted (every line-search and trust-region method is
in ``test_matrix.py``; the first-order ones here), errors raised as the user's
function raised them and never calling it again, nested and concurrent runs, and
``execution="auto"``'s switch from the interpreted to the compiled loop.
"""
import math
import os
import threading

import numpy as np
import pytest

import newtonlab as nl
import newtonlab._run as R
from newtonlab import problems
from newtonlab._engine import signatures as SIG
from newtonlab._engine.context import CONTEXT
from newtonlab._engine import status as S
from newtonlab.methods import sr1

JIT = os.environ.get("NUMBA_DISABLE_JIT", "0") in ("", "0")
COMPILED = "compiled" if JIT else "interpreted"
ROS = problems.get("rosenbrock")
X0 = ROS.x0
BRIDGED = {"execution": "compiled"}


def python(f):
    """A plain Python function around a jitted one: the same numbers, called back."""
    return lambda *a: f(*a)


FIRST_ORDER = [name for name, m in nl.METHODS.items() if m.family == "firstorder"]


@pytest.mark.parametrize("method", FIRST_ORDER)
def test_first_order_methods_run_the_same_bridged(method):
    opts = {"maxiter": 300}
    ref = nl.minimize(ROS.fun, X0, jac=ROS.jac, method=method, options=opts)
    res = nl.minimize(python(ROS.fun), X0, jac=python(ROS.jac), method=method,
                      options={**opts, **BRIDGED})
    assert res.execution == COMPILED and ref.execution == "compiled"
    np.testing.assert_array_equal(res.x, ref.x)
    assert (res.nit, res.nfev, res.status) == (ref.nit, ref.nfev, ref.status)
    np.testing.assert_array_equal(res.trace["f"], ref.trace["f"])


@pytest.mark.nojit
def test_each_derivative_form_runs_bridged_as_interpreted():
    """Fused (f, g), finite differences, hessp, arrays and a dict in args: the compiled
    loop and the interpreted one see the same numbers, so they make the same run."""
    A = np.diag([1.0, 10.0, 100.0])
    data = {"A": A, "b": np.ones(3)}

    def fg(x, d):
        r = d["A"] @ x - d["b"]
        return 0.5 * x @ d["A"] @ x - d["b"] @ x, r

    def f(x, d):
        return fg(x, d)[0]

    cases = [("lbfgs", f, dict(jac=lambda x, d: fg(x, d)[1])), ("bfgs", fg, dict(jac=True)),
             ("lbfgs", f, dict(jac="2-point")), ("newton", f, dict(jac="3-point")),
             ("newton-cg", f, dict(jac=lambda x, d: fg(x, d)[1],
                                   hessp=lambda x, p, d: d["A"] @ p)),
             ("newton-tr", fg, dict(jac=True, hess=lambda x, d: d["A"]))]
    for method, fun, kw in cases:
        a = nl.minimize(fun, np.zeros(3), args=(data,), method=method, **kw,
                        options={"execution": "interpreted"})
        b = nl.minimize(fun, np.zeros(3), args=(data,), method=method, **kw, options=BRIDGED)
        assert (a.execution, b.execution) == ("interpreted", COMPILED)
        np.testing.assert_array_equal(a.x, b.x)
        assert (a.nit, a.nfev, a.njev, a.nhev) == (b.nit, b.nfev, b.njev, b.nhev), method
        np.testing.assert_allclose(b.x, np.linalg.solve(A, np.ones(3)), atol=1e-5)


def test_gradients_of_any_layout_and_dtype_are_taken():
    """A strided view and a float32 gradient: converted, as interpreted."""
    def jac_strided(x):
        g = np.empty(2 * x.size)
        g[::2] = 2.0 * (x - 3.0)
        return g[::2]

    for jac in (jac_strided, lambda x: (2.0 * (x - 3.0)).astype(np.float32)):
        res = nl.minimize(lambda x: float(np.sum((x - 3.0) ** 2)), np.zeros(4), jac=jac,
                          method="bfgs", options=BRIDGED)
        assert res.execution == COMPILED and res.success
        np.testing.assert_allclose(res.x, 3.0, atol=1e-4)


# ------------------------------------------------------------------ errors

@pytest.mark.nojit
@pytest.mark.parametrize("where", ["fun", "jac", "hess", "fused", "hessp"])
def test_an_exception_is_raised_as_it_was_and_the_function_not_called_again(where):
    calls = {"n": 0}

    def fails(*a):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyError(f"boom in {where}")
        return {"fun": ROS.fun, "jac": ROS.jac, "hess": ROS.hess, "fused": ROS.fg,
                "hessp": ROS.hessp}[where](*a)

    kw = {"fun": python(ROS.fun), "jac": python(ROS.jac)}
    method = {"hess": "newton", "hessp": "newton-cg"}.get(where, "bfgs")
    if where == "fused":
        kw = {"fun": fails, "jac": True}
    else:
        kw[where] = fails
    with pytest.raises(KeyError, match=f"boom in {where}"):
        nl.minimize(kw.pop("fun"), X0, method=method, options=BRIDGED, **kw)
    assert calls["n"] == 3


@pytest.mark.nojit
def test_a_shape_error_names_the_shapes():
    with pytest.raises(ValueError, match=r"jac must return an array of shape \(2,\), got "
                                         r"shape \(3,\)"):
        nl.minimize(python(ROS.fun), X0, jac=lambda x: np.ones(3), method="lbfgs",
                    options=BRIDGED)


def test_keyboard_interrupt_stops_the_run():
    def interrupted(x):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        nl.minimize(interrupted, X0, jac=python(ROS.jac), method="newton-tr",
                    hess=python(ROS.hess), options=BRIDGED)
    # the thread's stack of runs is empty again: the next run is its own
    assert nl.minimize(python(ROS.fun), X0, jac=python(ROS.jac), options=BRIDGED).success


# --------------------------------------------------------------- callbacks

@pytest.mark.nojit
def test_a_python_callback_with_a_jitted_objective():
    seen = []
    ref = nl.minimize(ROS.fun, X0, jac=ROS.jac, method="bfgs")
    res = nl.minimize(ROS.fun, X0, jac=ROS.jac, method="bfgs", options=BRIDGED,
                      callback=lambda intermediate_result: seen.append(intermediate_result))
    assert res.execution == COMPILED
    np.testing.assert_array_equal(res.x, ref.x)
    assert [r.nit for r in seen] == list(range(1, res.nit + 1))
    np.testing.assert_array_equal(seen[-1].x, res.x)
    assert seen[-1].fun == res.fun
    assert not np.array_equal(seen[0].x, seen[-1].x)        # copies, not one aliased view

    def stop(xk):
        if len(seen) > 2:
            raise StopIteration
        seen.append(xk)

    seen.clear()
    res = nl.minimize(ROS.fun, X0, jac=ROS.jac, method="lbfgs", callback=stop,
                      options=BRIDGED)
    assert res.status == S.CALLBACK and res.nit == 4 and not res.success


@pytest.mark.nojit
def test_a_callback_that_raises():
    def broken(xk):
        raise ZeroDivisionError("in the callback")

    with pytest.raises(ZeroDivisionError, match="in the callback"):
        nl.minimize(ROS.fun, X0, jac=ROS.jac, method="bfgs", callback=broken,
                    options=BRIDGED)
    raised, calls_after = [], []

    def raises_once(xk):
        raised.append(1)
        raise ZeroDivisionError("in the callback")

    def counted(x):
        if raised:
            calls_after.append(1)
        return ROS.fun(x)
    with pytest.raises(ZeroDivisionError, match="in the callback"):
        nl.minimize(counted, X0, jac=python(ROS.jac), method="lbfgs", callback=raises_once,
                    options=BRIDGED)
    assert raised == [1] and calls_after == []


# ----------------------------------------------------- nested, concurrent runs

@pytest.mark.nojit
def test_a_run_inside_an_objective():
    """f(y) = min_x |x - y|^2 + |y - 1|^2, the inner minimum found by a bridged run."""
    def inner(x, y):
        return float(np.sum((x - y) ** 2)), 2.0 * (x - y)

    def outer(y):
        r = nl.minimize(inner, np.zeros(2), args=(y,), jac=True, method="bfgs",
                        options=BRIDGED)
        return r.fun + float(np.sum((y - 1.0) ** 2))

    res = nl.minimize(outer, np.zeros(2), method="bfgs", options=BRIDGED)
    assert res.execution == COMPILED and res.success
    np.testing.assert_allclose(res.x, 1.0, atol=1e-5)


@pytest.mark.nojit
def test_an_error_inside_a_nested_run_caught_by_the_outer_objective():
    def inner(x):
        raise ArithmeticError("inner")

    def outer(y):
        try:
            nl.minimize(inner, y, jac=lambda x: x, method="bfgs", options=BRIDGED)
        except ArithmeticError:
            pass
        return float(np.sum((y - 2.0) ** 2))

    res = nl.minimize(outer, np.zeros(2), method="lbfgs", options=BRIDGED)
    assert res.success
    np.testing.assert_allclose(res.x, 2.0, atol=1e-5)


def test_runs_in_threads_call_their_own_functions():
    """Four runs at once (every objective waits at a barrier on its first calls, so the
    runs overlap), one of them failing: each sees its own functions and its own error."""
    targets = [1.0, 2.0, 3.0, 4.0]
    barrier = threading.Barrier(len(targets), timeout=60)
    out = {}

    def work(c):
        calls = [0]

        def f(x):
            calls[0] += 1
            if calls[0] <= 2:
                barrier.wait()
            if c == 3.0 and calls[0] == 2:
                raise LookupError("run 3")
            return float(np.sum((x - c) ** 2))
        try:
            out[c] = nl.minimize(f, np.zeros(3), jac=lambda x: 2.0 * (x - c), method="lbfgs",
                                 options=BRIDGED)
        except LookupError as exc:
            out[c] = exc

    threads = [threading.Thread(target=work, args=(c,)) for c in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert isinstance(out[3.0], LookupError) and str(out[3.0]) == "run 3"
    for c in (1.0, 2.0, 4.0):
        assert out[c].execution == "compiled"
        np.testing.assert_allclose(out[c].x, c, atol=1e-6)


# ------------------------------------------------------------ execution="auto"

@pytest.fixture
def fresh_process_state(monkeypatch):
    """``_run``'s per-process memory of interpreted time and compiled loops, emptied, and
    ``execution="auto"`` tiered (``conftest.py`` switches the tiers off)."""
    monkeypatch.setattr(R, "_INTERPRETED", {})
    monkeypatch.setattr(R, "_ENTRIES", {})
    monkeypatch.setattr(R, "_NOT_CACHED", set())
    monkeypatch.setattr(R, "AUTO_COMPILE_AFTER", 3600.0)
    return monkeypatch


def not_cached(solve=sr1.solve, A=CONTEXT):
    """Make ``_run`` believe that numba's disk cache lacks ``solve`` for args type A, as on
    a fresh install (the fixture empties this memory again)."""
    R._NOT_CACHED.add((solve, A))


def test_auto_switches_after_the_interpreted_time(fresh_process_state):
    fresh_process_state.setattr(R, "AUTO_COMPILE_AFTER", 1e-9)
    not_cached()
    f, g = python(ROS.fun), python(ROS.jac)
    runs = [nl.minimize(f, X0, jac=g, method="sr1") for _ in range(3)]
    # the first run loads the kernels: its time is not counted; the second's is
    assert [r.execution for r in runs] == ["interpreted", "interpreted", "compiled"]
    np.testing.assert_array_equal(runs[0].x, runs[2].x)


def test_auto_stays_interpreted_below_the_threshold(fresh_process_state):
    not_cached()
    f, g = python(ROS.fun), python(ROS.jac)
    runs = [nl.minimize(f, X0, jac=g, method="sr1") for _ in range(3)]
    assert {r.execution for r in runs} == {"interpreted"}
    assert R._INTERPRETED["sr1"][0] == 3


def test_auto_runs_a_jitted_objective_interpreted_until_its_loop_pays(fresh_process_state):
    """A cold cache: the first result without compiling the loop (4-6 s instead of 8-14 s
    on a fresh install), the loop compiled once the interpreted runs took the threshold."""
    not_cached()
    first = nl.minimize(ROS.fun, X0, jac=ROS.jac, method="sr1")
    assert first.execution == "interpreted"
    fresh_process_state.setattr(R, "AUTO_COMPILE_AFTER", 1e-9)
    runs = [nl.minimize(ROS.fun, X0, jac=ROS.jac, method="sr1") for _ in range(2)]
    assert [r.execution for r in runs] == ["interpreted", "compiled"]
    np.testing.assert_array_equal(first.x, runs[1].x)
    assert first.nit == runs[1].nit and first.nfev == runs[1].nfev


def test_auto_loads_a_jitted_objective_s_loop_from_the_disk_cache(fresh_process_state):
    nl.minimize(ROS.fun, X0, jac=ROS.jac, method="sr1", options=BRIDGED)   # on disk now
    # a new process: nothing loaded yet (the dispatchers are made again, from the cache)
    fresh_process_state.setattr(SIG, "_DRIVERS", {})
    fresh_process_state.setattr(SIG, "_ENTRIES", {})
    fresh_process_state.setattr(R, "_ENTRIES", {})
    asked = []
    real = SIG.driver_for

    def spy(*a, **k):
        disp = real(*a, **k)
        asked.append((k.get("compile", a[5] if len(a) > 5 else True), disp))
        return disp
    fresh_process_state.setattr(SIG, "driver_for", spy)
    # a Python objective does not ask the disk (its plan is not the bridged run's)
    assert nl.minimize(python(ROS.fun), X0, jac=python(ROS.jac),
                       method="sr1").execution == "interpreted"
    assert asked == []
    # a jitted objective asks, with a Python callback too (the same compiled solve, bridged)
    res = nl.minimize(ROS.fun, X0, jac=ROS.jac, method="sr1", callback=lambda xk: None)
    assert res.execution == "compiled"
    [(compile, disp)] = asked
    assert compile is False and disp.stats.cache_hits and not disp.stats.cache_misses
    assert nl.minimize(ROS.fun, X0, jac=ROS.jac, method="sr1").execution == "compiled"
    # now loaded in this process: the Python objective is called back from it
    assert nl.minimize(python(ROS.fun), X0, jac=python(ROS.jac),
                       method="sr1").execution == "compiled"


def test_auto_runs_a_python_finite_sum_interpreted(fresh_process_state):
    """A FiniteSum whose batch function is Python has no compiled loop to ask for."""
    from newtonlab.stochastic import FiniteSum
    D = np.random.default_rng(0).standard_normal((50, 3))

    def batch_fg(x, idx):
        r = D[idx] @ x - 1.0
        return 0.5 * float(r @ r) / idx.size, D[idx].T @ r / idx.size
    for method in ("gd", "adam"):
        res = nl.minimize(FiniteSum(batch_fg, 50), np.zeros(3), method=method,
                          options={"maxiter": 20})
        assert res.execution == "interpreted" and res.nit == 20


def test_auto_uses_a_compiled_loop_this_process_already_has(fresh_process_state):
    not_cached()
    nl.minimize(ROS.fun, X0, jac=ROS.jac, method="sr1", options=BRIDGED)  # compiles or loads
    res = nl.minimize(python(ROS.fun), X0, jac=python(ROS.jac), method="sr1")
    assert res.execution == "compiled"


def test_a_load_only_request_compiles_nothing(tmp_path, monkeypatch):
    """``driver_for(..., compile=False)``: None on a cache miss, without compiling; the
    same dispatcher's code from numba's disk cache once it was compiled."""
    (tmp_path / "toy_driver.py").write_text(
        "def toy(ob, cb, args, x):\n    return x[0] + cb\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(SIG, "_DRIVERS", {})
    import importlib
    toy = importlib.import_module("toy_driver").toy
    driver = type("Driver", (), {"py_func": staticmethod(toy), "__name__": "toy"})()
    rest = (SIG.F64_1D,)
    assert SIG.driver_for(driver, SIG.EMPTY_ARGS, rest, compile=False) is None
    compiled = SIG.driver_for(driver, SIG.EMPTY_ARGS, rest)
    assert compiled.signatures and compiled.stats.cache_misses
    SIG._DRIVERS.clear()
    loaded = SIG.driver_for(driver, SIG.EMPTY_ARGS, rest, compile=False)
    assert loaded is not None and loaded is not compiled and loaded.stats.cache_hits
    x = np.array([2.0])
    ob = (0,) * 8 + (1.0,)
    assert loaded(ob, 1, (), x) == compiled(ob, 1, (), x) == 3.0


def test_auto_keeps_options_only_the_interpreted_loop_takes(fresh_process_state):
    """A Python curvature batch (hessian-free) cannot enter the compiled loop: once "auto"
    would switch, the run stays interpreted ("compiled" asked explicitly still refuses)."""
    fresh_process_state.setattr(R, "AUTO_COMPILE_AFTER", 0.0)
    D = np.random.default_rng(0).standard_normal((40, 3))
    kw = dict(jac=lambda x: D.T @ (D @ x - 1.0) / 40, hessp=lambda x, p: D.T @ (D @ p) / 40,
              method="hessian-free")
    opts = {"curvature_batch": lambda x, v, idx: D[idx].T @ (D[idx] @ v) / idx.size,
            "curvature_batch_size": 10, "n_samples": 40}

    def f(x):
        r = D @ x - 1.0
        return 0.5 * float(r @ r) / 40
    res = nl.minimize(f, np.zeros(3), options=opts, **kw)
    assert res.execution == "interpreted" and res.nit > 0
    with pytest.raises(ValueError, match="curvature_batch"):
        nl.minimize(f, np.zeros(3), options={**opts, **BRIDGED}, **kw)


def _toy_module(tmp_path, monkeypatch, body):
    """A module of its own in tmp_path (numba caches a function beside its source file)."""
    import importlib
    import uuid
    name = "toy_" + uuid.uuid4().hex[:12]
    (tmp_path / f"{name}.py").write_text(body)
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module(name)


def test_the_compile_notice_counts_only_newtonlab_s_compiles(capfd, tmp_path, monkeypatch):
    """Silent for a load from the disk cache, for a stopped load-only request and for the
    user's own functions compiled inside the context; said once newtonlab's code compiled
    for ``after`` seconds in all."""
    user = _toy_module(tmp_path, monkeypatch,
                       "import numba\n@numba.njit\ndef helper(x):\n    return x + 1.0\n")
    with SIG.compile_notice("user code", after=0.0):
        user.helper(1.0)                          # compiles, but not newtonlab's
    with SIG.compile_notice("loads", after=0.0):
        SIG.no_callback()                         # loaded (or already in this process)
    monkeypatch.setattr(SIG, "_DRIVERS", {})
    toy = _toy_module(tmp_path, monkeypatch, "def toy(ob, cb, args, x):\n    return x[0]\n")
    toy.toy.__module__ = "newtonlab.toy"          # counted as newtonlab's
    driver = type("Driver", (), {"py_func": staticmethod(toy.toy), "__name__": "toy"})()
    with SIG.compile_notice("refused", after=0.2):     # (stopped within microseconds)
        assert SIG.driver_for(driver, SIG.EMPTY_ARGS, (SIG.F64_1D,), compile=False) is None
    assert "newtonlab: compiling" not in capfd.readouterr().err
    notice = SIG.compile_notice("the toy", after=0.0)
    with notice:
        SIG.driver_for(driver, SIG.EMPTY_ARGS, (SIG.F64_1D,))
        notice.timer and notice.timer.join()
    assert notice.said
    assert "newtonlab: compiling the toy" in capfd.readouterr().err


@pytest.mark.nojit
def test_auto_compile_after_is_read_from_the_environment():
    assert R._seconds("") == 1.0 and R._seconds(" 2.5 ") == 2.5
    assert R._seconds("0") == 0.0 and R._seconds("inf") == math.inf
    for bad in ("soon", "-1", "nan"):
        with pytest.raises(ValueError, match="NEWTONLAB_AUTO_COMPILE_AFTER"):
            R._seconds(bad)


@pytest.mark.nojit
def test_execution_option_is_checked():
    with pytest.raises(ValueError, match="execution"):
        nl.minimize(ROS.fun, X0, jac=ROS.jac, options={"execution": "fast"})


@pytest.mark.nojit
def test_interpreted_on_request_even_for_a_jitted_objective():
    ref = nl.minimize(ROS.fun, X0, jac=ROS.jac, method="bfgs")
    res = nl.minimize(ROS.fun, X0, jac=ROS.jac, method="bfgs",
                      options={"execution": "interpreted"})
    assert res.execution == "interpreted"
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-10)
    assert res.nit == ref.nit


@pytest.mark.nojit
def test_the_unboundedness_probe_runs_interpreted():
    """A maxiter stop while f falls runs an lbfgs probe: interpreted, never bridged (a
    user who asked for "interpreted" gets no compiled loop around their function)."""
    from newtonlab import _bridge
    bridged = []

    def f(x):
        bridged.append(bool(getattr(_bridge._local, "stack", None)))
        return -float(np.sum(x))

    res = nl.minimize(f, np.zeros(2), jac=lambda x: -np.ones(2), method="gd",
                      options={"maxiter": 20, "execution": "interpreted"})
    assert "unbounded_probe" in res and len(bridged) > 21 and not any(bridged)


def test_the_probe_of_a_jitted_run_uses_lbfgs_compiled_loop_when_loaded(monkeypatch):
    """With a jitted objective the probe runs lbfgs's compiled loop once this process (or
    the disk cache) has it, with the same evaluations as interpreted; a Python objective's
    probe stays interpreted (never bridged)."""
    from newtonlab import _run
    runs = []

    def spy(m, obj, x0, opts, callback, **kw):
        res = run_method(m, obj, x0, opts, callback, **kw)
        runs.append((m.name, res.execution))
        return res
    run_method = _run.run_method
    nl.minimize(ROS.fun, X0, jac=ROS.jac, method="lbfgs", options={"execution": "compiled"})
    monkeypatch.setattr(_run, "run_method", spy)
    opts = {"maxiter": 40}
    fast = nl.minimize(ROS.fun, X0, jac=ROS.jac, method="gd", options=opts)
    slow = nl.minimize(ROS.fun, X0, jac=ROS.jac, method="gd",
                       options={**opts, "execution": "interpreted"})
    plain = nl.minimize(ROS.fun.py_func, X0, jac=ROS.jac.py_func, method="gd", options=opts)
    assert runs == [("lbfgs", "compiled"), ("lbfgs", "interpreted"), ("lbfgs", "interpreted")]
    assert fast.unbounded_probe == slow.unbounded_probe == plain.unbounded_probe > 0


@pytest.mark.nojit
def test_minimize_batch_takes_the_execution_option():
    X0 = np.array([[-1.2, 1.0], [0.5, 0.5]])
    R = nl.minimize_batch(ROS.fun, X0, jac=ROS.jac, method="bfgs",
                          options={"execution": "interpreted"})
    assert R.execution == "interpreted" and R.success.all()
