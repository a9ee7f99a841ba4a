"""Args behind a context pointer (``_engine/context.py``): one compiled ``solve`` per method
for every args type.

The oracle is the user's function called from Python with its own args: the adapter,
reading the same args from the context numba's layout was written into, must return
exactly that for every kind of array (rank, order, strides, dtype, read-only) and scalar.
"""
import numba
import numpy as np
import pytest
from numba.extending import overload

import newtonlab as nl
import newtonlab._run as R
import newtonlab.jit as nlj
from newtonlab import problems
from newtonlab._engine import context as CX
from newtonlab._engine import signatures as SIG
from newtonlab._objective import make_objective
from newtonlab.methods import lbfgs
from newtonlab.stochastic import FiniteSum, least_squares_fg


# The user's functions, one per arity: a value that reads every entry of every array and
# every scalar, by index (strides and layout matter) and in order (weights 2, 3, 4: a
# mixed-up argument changes the sum).
@numba.njit(cache=True)
def mix1(x, a):
    return x[0] + _weigh(a, 2.0)


@numba.njit(cache=True)
def mix2(x, a, b):
    return x[0] + _weigh(a, 2.0) + _weigh(b, 3.0)


@numba.njit(cache=True)
def mix3(x, a, b, c):
    return x[0] + _weigh(a, 2.0) + _weigh(b, 3.0) + _weigh(c, 4.0)


MIX = {1: mix1, 2: mix2, 3: mix3}


def _weigh(a, w):
    """The ``mix`` functions' term for one argument (compiled per argument type, below)."""


@overload(_weigh)
def _weigh_typed(a, w):
    if isinstance(a, numba.types.Array):
        return lambda a, w: _weigh_array(a.ravel(), a.ndim, w)
    return lambda a, w: 7.0 * w * a


@numba.njit(cache=True)
def _weigh_array(flat, ndim, w):
    f = 1000.0 * w * ndim
    for i in range(flat.size):
        f += w * (i + 1) * flat[i]
    return f


def _mix_py(x, *args):
    """The ``mix`` functions in NumPy (the oracle)."""
    f, w = x[0], 1.0
    for a in args:
        w += 1.0
        if isinstance(a, np.ndarray):
            f += 1000.0 * w * a.ndim + sum(w * (i + 1) * v for i, v in enumerate(a.ravel()))
        else:
            f += 7.0 * w * a
    return f


def _readonly(a):
    a = a.copy()
    a.flags.writeable = False
    return a


ARGS = {
    "matrix and vector": lambda: (np.arange(6.0).reshape(2, 3), np.array([0.5, -1.5])),
    "fortran order": lambda: (np.asfortranarray(np.arange(12.0).reshape(3, 4)),),
    "strided view": lambda: (np.arange(20.0)[1::3], np.arange(24.0).reshape(4, 6)[::2, 1::2]),
    "read-only": lambda: (_readonly(np.linspace(0, 1, 5)),),
    "integers": lambda: (np.arange(5, dtype=np.int64), np.arange(3, dtype=np.int32)),
    "0-d and 3-d": lambda: (np.array(2.5), np.arange(24.0).reshape(2, 3, 4)),
    "scalars": lambda: (2.25, np.int64(-3), np.array([1.0, 4.0])),
}


@pytest.mark.parametrize("case", list(ARGS))
def test_the_adapter_calls_the_function_with_the_args_it_was_given(case):
    args = ARGS[case]()
    A = numba.typeof(args)
    assert CX.words(A) is not None
    sig = SIG.user_signatures(A)[0]
    fun = SIG.resolved(MIX[len(args)], sig)
    ob = (fun,) + tuple(SIG.placeholder(s, A) for s in range(1, 5)) + (0, 0, 0, 1.0)
    cob, addresses, cargs, buf = CX.in_context(ob, args, A)
    x = np.array([0.25, 0.0])
    assert cob[0](x, *cargs) == pytest.approx(_mix_py(x, *args), rel=1e-15, abs=0)
    assert cargs == (buf.buffer_info()[0],)
    assert all(SIG.is_placeholder(cob[s], s, CX.CONTEXT) for s in range(1, 5))
    assert addresses is None or addresses == CX.entries(cob)
    assert CX.entries(cob) == tuple(f.jit_addr for f in cob[:5]) + cob[5:]


def test_the_context_holds_numba_layout_of_an_array():
    a = np.arange(12.0).reshape(3, 4)[:, ::2]
    buf = CX.pack([11, 12], (a, 2.5, 7), CX.kinds(numba.typeof((a, 2.5, 7))))
    assert buf.tolist() == [11, 12, 0, id(a), 6, 8, a.ctypes.data, 3, 2, 32, 16,
                            np.float64(2.5).view(np.int64), 7]


def test_args_a_context_cannot_hold_keep_their_own_solve():
    for args in ((True,), (1.0 + 2.0j,), (np.float32(1.0),), ((1.0, 2.0),)):
        assert CX.words(numba.typeof(args)) is None
    obj = make_objective(mix1, np.zeros(2), (np.float32(1.0),), "2-point", None, None,
                         False, False)
    assert obj.compiled and obj.in_context() is obj


ROS = problems.get("rosenbrock")
_ros_fun, _ros_jac = ROS.fun, ROS.jac


@numba.njit(cache=True)
def scaled_ros(x, c):
    return c * _ros_fun(x)


@numba.njit(cache=True)
def scaled_jac(x, c):
    return c * _ros_jac(x)


@numba.njit(cache=True)
def picked(x, k):
    """Needs its integer (an index): its args type stays (int64,), the context's own."""
    return (x[k] - 1.0) ** 2 + 0.5 * x[1 - k] ** 2


def test_one_solve_serves_every_args_type(monkeypatch):
    """A jitted objective with args (), (A, b), a float, an integer it can take as a float
    and one it needs as an integer: all run the same compiled lbfgs solve, one entry and
    one dispatcher (each args type costs only its adapters).  The process's memory of
    solves starts empty (other tests may have run lbfgs for other args types)."""
    monkeypatch.setattr(R, "_ENTRIES", {})
    monkeypatch.setattr(SIG, "_DRIVERS", {})
    monkeypatch.setattr(SIG, "_ENTRIES", {})
    q = problems.get("quadratic")
    runs = [nl.minimize(ROS.fun, ROS.x0, jac=ROS.jac, method="lbfgs"),
            nl.minimize(q.fun, q.x0, args=q.args, jac=q.jac, method="lbfgs"),
            nl.minimize(scaled_ros, ROS.x0, args=(2.0,), jac=scaled_jac, method="lbfgs"),
            nl.minimize(scaled_ros, ROS.x0, args=(2,), jac=scaled_jac, method="lbfgs"),
            nl.minimize(picked, np.array([3.0, 2.0]), args=(1,), method="lbfgs")]
    assert [r.execution for r in runs] == ["compiled"] * 5
    assert all(r.success for r in runs)
    np.testing.assert_allclose(runs[1].x, np.linalg.solve(*q.args), rtol=1e-5)
    np.testing.assert_array_equal(runs[2].x, runs[3].x)
    np.testing.assert_allclose(runs[4].x, [0.0, 1.0], atol=1e-5)
    assert {key[1] for key in R._ENTRIES if key[0] is lbfgs.solve} == {CX.CONTEXT}
    assert [key[1] for key in SIG._DRIVERS if key[0] is lbfgs.solve] == [CX.CONTEXT]


def test_the_args_stay_the_users_own_arrays():
    """The context borrows the user's arrays (no copy): a function that writes into one
    writes into the caller's array, as a function called with args does."""
    @numba.njit(cache=True)
    def counting(x, calls):
        calls[0] += 1.0
        return (x[0] - 1.0) ** 2

    calls = np.zeros(1)
    res = nl.minimize(counting, np.array([3.0]), args=(calls,), method="gd",
                      options={"execution": "compiled"})
    assert res.execution == "compiled"
    assert calls[0] == res.nfev > 0


@numba.njit(cache=True)
def refusing(x, lo):
    """Raises below ``lo`` (a domain error, met mid-run from x0 = (3, 1))."""
    if x[0] < lo:
        raise ValueError("refusing: x[0] below the domain")
    return (x[0] - 1.0) ** 2 + x[1] ** 2


@numba.njit(cache=True)
def refusing_jac(x, lo):
    return np.array([2.0 * (x[0] - 1.0), 2.0 * x[1]])


@pytest.mark.parametrize("execution", ["compiled", "interpreted"])
def test_an_exception_in_a_jitted_objective_propagates(execution):
    """The solve calls the adapters, and they the user's functions, at their numba entries:
    the exception reaches the caller as the interpreted loop raises it (through a C wrapper
    numba printed it and the loop went on with garbage: a "successful" run)."""
    with pytest.raises(ValueError, match="below the domain"):
        nl.minimize(refusing, np.array([3.0, 1.0]), args=(2.0,), jac=refusing_jac,
                    method="lbfgs", options={"execution": execution})
    ok = nl.minimize(refusing, np.array([3.0, 1.0]), args=(-1.0,), jac=refusing_jac,
                     method="lbfgs", options={"execution": execution})
    assert ok.success and ok.execution == execution


_TWO_PROCESSES = """
import sys, numba, numpy as np
from newtonlab._engine import context as CX, signatures as SIG
import tests.test_context as T
cases = [T.ARGS[c]() for c in sys.argv[1:]]
for args in cases:         # every adapter loaded (or compiled) before any address is taken
    adapter = CX.adapter(0, numba.typeof(args))
    adapter.dispatcher.get_compile_result(adapter.sig)
x = np.array([0.25, 0.0])
for args in cases:
    A = numba.typeof(args)
    fun = SIG.resolved(T.MIX[len(args)], SIG.user_signatures(A)[0])
    ob = (fun,) + tuple(SIG.placeholder(s, A) for s in range(1, 5)) + (0, 0, 0, 1.0)
    cob, _, cargs, buf = CX.in_context(ob, args, A)
    print(CX.entries(cob)[0], cob[0](x, *cargs) == T._mix_py(x, *args))
"""


def test_adapters_of_two_args_types_stay_apart_across_processes(tmp_path):
    """Each args type's adapters compiled in its own process, then both loaded in a third
    from numba's disk cache: distinct machine code, each right (adapters of one slot share
    their signature: with one name they shared a symbol, and a process that loaded both
    ran one for the other)."""
    import os
    import subprocess
    import sys
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def run(*cases):
        out = subprocess.run([sys.executable, "-c", _TWO_PROCESSES, *cases],
                             capture_output=True, text=True, env=env, cwd=root)
        assert out.returncode == 0, out.stderr
        return [line.split() for line in out.stdout.strip().splitlines()]
    run("matrix and vector")
    run("strided view")
    (a, ok_a), (b, ok_b) = run("matrix and vector", "strided view")
    assert a != b and ok_a == ok_b == "True"


@numba.njit(cache=True)
def picked_jac(x, k):
    g = np.empty(2)
    g[k] = 2.0 * (x[k] - 1.0)
    g[1 - k] = x[1 - k]
    return g


@numba.njit
def _jit_picked(k):
    return nlj.bfgs(picked, picked_jac, np.array([3.0, 2.0]), (k,)).x


def test_jit_with_args_of_the_context_type_runs_directly():
    """``newtonlab.jit`` with args of type (int64,), the context's own type: the caller's
    functions and args go to the solve as they are, the functions as numba entries and the
    callback as a C wrapper (passed as an entry, the first callback call crashed)."""
    np.testing.assert_allclose(_jit_picked(1), [0.0, 1.0], atol=1e-5)
    np.testing.assert_allclose(_jit_picked(0), [1.0, 0.0], atol=1e-5)


# hessian-free's mini-batch curvature product travels in the context too (slot PRODUCT): a
# quadratic 1/2 c x^T A x - c b^T x whose "batch" product is the whole c A v, so a run with
# it is the run with hessp, iterate for iterate
@numba.njit(cache=True)
def cquad(x, A, b, c):
    return c * (0.5 * x @ (A @ x) - b @ x)


@numba.njit(cache=True)
def cquad_jac(x, A, b, c):
    return c * (A @ x - b)


@numba.njit(cache=True)
def cquad_hessp(x, v, A, b, c):
    return c * (A @ v)


@numba.njit(cache=True)
def cquad_batch(x, v, idx, A, b, c):
    if c < 0.0:
        raise ValueError("cquad_batch: c < 0")
    return c * (A @ v)


def _hf_run(args, **options):
    q = problems.get("quadratic")
    return nl.minimize(cquad, np.zeros(q.n), args=args, jac=cquad_jac, hessp=cquad_hessp,
                       method="hessian-free", options={"return_all": True, **options})


def test_the_curvature_product_runs_one_solve_for_every_args_type(monkeypatch):
    """Hessian-free with ``curvature_batch`` for two args types, (A, b, c) and a logistic
    regression's (X, y): one compiled ``solve_batch`` (its product behind the context), each
    run equal to the run with the full product."""
    from newtonlab.methods import hessian_free as HFM
    from newtonlab.problems import ml
    monkeypatch.setattr(R, "_ENTRIES", {})
    q = problems.get("quadratic")
    args = (*q.args, 2.0)
    batch = {"curvature_batch": cquad_batch, "curvature_batch_size": 3, "n_samples": 5}
    full, mini = _hf_run(args), _hf_run(args, **batch)
    assert full.execution == mini.execution == "compiled" and mini.success
    assert mini.nit == full.nit and mini.nhev == full.nhev
    np.testing.assert_array_equal(np.array(mini.allvecs), np.array(full.allvecs))
    p = problems.get("logistic")
    run = nl.minimize(p.fun, p.x0, args=p.args, jac=p.jac, method="hessian-free",
                      options={**ml.curvature_batch(p, 40, seed=1), "maxiter": 5})
    assert run.execution == "compiled" and run.fun < p.fun(p.x0, *p.args)
    assert {key[1] for key in R._ENTRIES if key[0] is HFM.solve_batch} == {CX.CONTEXT}


def test_an_exception_in_the_curvature_product_propagates():
    """The product is called at its numba entry from its adapter: its exception reaches the
    caller (through a C wrapper numba printed it and the run went on)."""
    q = problems.get("quadratic")
    batch = {"curvature_batch": cquad_batch, "curvature_batch_size": 3, "n_samples": 5}
    for execution in ("compiled", "interpreted"):
        with pytest.raises(ValueError, match="c < 0"):
            _hf_run((*q.args, -1.0), execution=execution, **batch)


# a finite sum's batch function travels in the context too (slot BATCH)
@numba.njit(cache=True)
def scaled_ls_fg(x, idx, A, b, c):
    """c times ``least_squares_fg``; raises for c < 0."""
    if c < 0.0:
        raise ValueError("scaled_ls_fg: c < 0")
    f, g = least_squares_fg(x, idx, A, b)
    return c * f, c * g


def test_a_finite_sum_runs_one_solve_for_every_args_type(monkeypatch):
    """Mini-batch adam on a finite sum with args (A, b) and with (A, b, c): one compiled
    ``solve`` (the batch function behind the context), the two runs equal for c = 1, and
    the same loop as a full-batch run."""
    from newtonlab.methods import adam
    monkeypatch.setattr(R, "_ENTRIES", {})
    rng = np.random.default_rng(0)
    A = rng.standard_normal((60, 3))
    b = A @ np.array([1.0, -2.0, 0.5])
    opts = {"lr": 0.05, "batch_size": 10, "seed": 3, "maxiter": 300, "return_all": True}
    two = nl.minimize(FiniteSum(least_squares_fg, 60), np.zeros(3), args=(A, b),
                      method="adam", options=opts)
    three = nl.minimize(FiniteSum(scaled_ls_fg, 60), np.zeros(3), args=(A, b, 1.0),
                        method="adam", options=opts)
    assert two.execution == three.execution == "compiled"
    np.testing.assert_array_equal(np.array(two.allvecs), np.array(three.allvecs))
    np.testing.assert_allclose(two.x, [1.0, -2.0, 0.5], atol=1e-2)
    full = nl.minimize(ROS.fun, ROS.x0, jac=ROS.jac, method="adam", options={"maxiter": 5})
    assert full.execution == "compiled"
    assert {key[1] for key in R._ENTRIES if key[0] is adam.solve} == {CX.CONTEXT}


@pytest.mark.parametrize("execution", ["compiled", "interpreted"])
def test_an_exception_in_a_batch_function_propagates(execution):
    rng = np.random.default_rng(1)
    A, b = rng.standard_normal((20, 2)), rng.standard_normal(20)
    with pytest.raises(ValueError, match="c < 0"):
        nl.minimize(FiniteSum(scaled_ls_fg, 20), np.zeros(2), args=(A, b, -1.0),
                    method="momentum", options={"lr": 0.01, "batch_size": 5,
                                                "execution": execution})


# functions of an int64 argument (args of the context's own type) and of a bool (args that
# fit no context), for the curvature product and the batch function
@numba.njit(cache=True)
def kquad(x, k):
    return 0.5 * (x @ x) - x[k]


@numba.njit(cache=True)
def kquad_jac(x, k):
    out = x.copy()
    out[k] -= 1.0
    return out


@numba.njit(cache=True)
def kquad_hessp(x, v, k):
    return v.copy()


@numba.njit(cache=True)
def kquad_batch(x, v, idx, k):
    return v.copy()


@numba.njit(cache=True)
def flag_batch(x, v, idx, A, b, c, flag):
    if not flag:
        raise ValueError("flag_batch: flag is False")
    return cquad_batch(x, v, idx, A, b, c)


@numba.njit(cache=True)
def flag_fg(x, idx, A, b, flag):
    if not flag:
        raise ValueError("flag_fg: flag is False")
    return least_squares_fg(x, idx, A, b)


@pytest.mark.parametrize("order", ["context first", "int64 args first"])
def test_curvature_product_runs_of_the_context_type_and_a_context_share_a_loop(order):
    """A run whose own args are one int64 (the context's type, kept as it is) and a run in
    context form both run ``solve_batch`` for that type: the same options record, in either
    order (the loop, its entry and minimize_batch's loops are keyed by solve and args type)."""
    q = problems.get("quadratic")
    batch = {"curvature_batch_size": 3, "n_samples": 5, "execution": "compiled"}

    def context_run():
        return _hf_run((*q.args, 2.0), curvature_batch=cquad_batch, **batch)

    def int_run():
        return nl.minimize(kquad, np.zeros(3), args=(2,), jac=kquad_jac, hessp=kquad_hessp,
                           method="hessian-free", options={"curvature_batch": kquad_batch,
                                                           **batch})
    runs = [context_run, int_run] if order == "context first" else [int_run, context_run]
    for run in runs:
        res = run()
        assert res.execution == "compiled" and res.success
    np.testing.assert_allclose(int_run().x, [0.0, 0.0, 1.0], atol=1e-5)


def test_a_compiled_curvature_product_with_a_python_objective_runs_interpreted():
    """A bridged run would hand the product the bridge's args: "auto" runs it interpreted,
    with the user's args; "compiled" refuses."""
    opts = {"curvature_batch": kquad_batch, "curvature_batch_size": 3, "n_samples": 5}
    res = nl.minimize(kquad.py_func, np.zeros(3), args=(1,), jac=kquad_jac.py_func,
                      hessp=kquad_hessp.py_func, method="hessian-free", options=opts)
    assert res.execution == "interpreted" and res.success
    np.testing.assert_allclose(res.x, [0.0, 1.0, 0.0], atol=1e-5)
    with pytest.raises(ValueError, match="runs interpreted"):
        nl.minimize(kquad.py_func, np.zeros(3), args=(1,), jac=kquad_jac.py_func,
                    hessp=kquad_hessp.py_func, method="hessian-free",
                    options={**opts, "execution": "compiled"})


def test_functions_of_args_that_fit_no_context_raise_through_their_own_entry():
    """Args with a bool keep a loop of their own type; the curvature product and the batch
    function are still called at their numba entries, so their exceptions propagate."""
    q = problems.get("quadratic")
    batch = {"curvature_batch": flag_batch, "curvature_batch_size": 3, "n_samples": 5,
             "execution": "compiled"}
    ok = nl.minimize(cquad, np.zeros(q.n), args=(*q.args, 2.0), jac=cquad_jac,
                     method="hessian-free", options={**batch, "curvature_batch": cquad_batch})
    flagged = nl.minimize(lambda x, A, b, c, flag: cquad(x, A, b, c), np.zeros(q.n),
                          args=(*q.args, 2.0, True), method="hessian-free",
                          jac=lambda x, A, b, c, flag: cquad_jac(x, A, b, c),
                          options={**batch, "execution": "interpreted"})
    np.testing.assert_allclose(flagged.x, ok.x, rtol=1e-10)
    rng = np.random.default_rng(2)
    A, b = rng.standard_normal((20, 2)), rng.standard_normal(20)
    fs_opts = {"lr": 0.01, "batch_size": 5, "maxiter": 50, "execution": "compiled"}
    res = nl.minimize(FiniteSum(flag_fg, 20), np.zeros(2), args=(A, b, True),
                      method="momentum", options=fs_opts)
    assert res.execution == "compiled" and np.isfinite(res.fun)
    with pytest.raises(ValueError, match="flag is False"):
        nl.minimize(FiniteSum(flag_fg, 20), np.zeros(2), args=(A, b, False),
                    method="momentum", options=fs_opts)
    with pytest.raises(ValueError, match="flag is False"):
        nl.minimize(_flag_quad, np.zeros(q.n), args=(*q.args, 2.0, False), jac=_flag_quad_jac,
                    method="hessian-free", options=batch)


@numba.njit(cache=True)
def _flag_quad(x, A, b, c, flag):
    return cquad(x, A, b, c)


@numba.njit(cache=True)
def _flag_quad_jac(x, A, b, c, flag):
    return cquad_jac(x, A, b, c)
