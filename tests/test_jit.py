"""newtonlab.jit: the same solvers from inside users' @njit code."""
import os
import subprocess
import sys

import numba
import numpy as np
import pytest

import newtonlab as nl
import newtonlab.jit as nlj
from newtonlab import problems

ROS = problems.get("rosenbrock")
fun, jac, hess = ROS.fun, ROS.jac, ROS.hess


def needs(method):
    """Skip while ``method`` is not (yet) on the engine."""
    return pytest.mark.skipif(method not in nl.METHODS, reason=f"{method} not implemented")


@numba.njit
def shifted(x, c):
    return (x[0] - c) ** 2 + 10.0 * (x[1] + c) ** 2


@numba.njit
def shifted_jac(x, c):
    return np.array([2.0 * (x[0] - c), 20.0 * (x[1] + c)])


# Each compiled call site links the method's solve into the caller (numba has no separate
# linkage), ~1-2 s of machine-code generation each: one call site per njit function, and
# only the methods that exist are compiled.
@numba.njit
def bfgs_from_njit(x0):
    return nlj.bfgs(fun, jac, x0, ())


@numba.njit
def lbfgs_from_njit(x0):
    return nlj.lbfgs(fun, jac, x0, (), 1e-5, 0, 5)      # m = 5: an extra option


@numba.njit
def newton_from_njit(x0):
    return nlj.newton(fun, jac, hess, x0, ())


@numba.njit
def gd_from_njit(x0):
    return nlj.gd(fun, jac, x0, (), 1e-5, 50)


FROM_NJIT = {"bfgs": bfgs_from_njit, "lbfgs": lbfgs_from_njit, "newton": newton_from_njit,
             "gd": gd_from_njit}


@pytest.mark.parametrize("method", [pytest.param(m, marks=needs(m)) for m in FROM_NJIT])
def test_solvers_inside_njit_match_minimize(method):
    rec = FROM_NJIT[method](ROS.x0)
    opts = {"gd": {"maxiter": 50}, "lbfgs": {"m": 5}}.get(method, {})
    ref = nl.minimize(fun, ROS.x0, method=method, jac=jac,
                      hess=hess if method == "newton" else None, options=opts)
    assert isinstance(rec, tuple) and rec.success == ref.success and rec.status == ref.status
    assert (rec.nit, rec.nfev, rec.njev, rec.nhev) == (ref.nit, ref.nfev, ref.njev, ref.nhev)
    np.testing.assert_allclose(rec.x, ref.x, rtol=1e-12)
    np.testing.assert_allclose(rec.jac, ref.jac, rtol=1e-12, atol=1e-300)


SWEEP = "lbfgs" if "lbfgs" in nl.METHODS else "bfgs"
sweep_solver = getattr(nlj, SWEEP)


@numba.njit(parallel=True)
def sweep(cs):
    out = np.empty((cs.size, 2))
    for i in numba.prange(cs.size):
        out[i] = sweep_solver(shifted, shifted_jac, np.zeros(2), (cs[i],)).x
    return out


def test_parameter_sweep_in_prange_with_args():
    cs = np.linspace(-2.0, 2.0, 64)
    xs = sweep(cs)
    np.testing.assert_allclose(xs[:, 0], cs, atol=1e-5)   # gtol = 1e-5, curvature 2
    np.testing.assert_allclose(xs[:, 1], -cs, atol=1e-5)


@numba.njit
def bfgs_settings(x0, c, maxiter):
    return nlj.bfgs(shifted, shifted_jac, x0, (c,), 1e-10, maxiter)


def test_gtol_and_maxiter_reach_compiled_options():
    x0 = np.array([3.0, -1.0])
    for maxiter in (0, 2):
        rec = bfgs_settings(x0, 0.5, maxiter)
        opts = {"gtol": 1e-10, **({"maxiter": maxiter} if maxiter else {})}
        ref = nl.minimize(shifted, x0, args=(0.5,), method="bfgs", jac=shifted_jac,
                          options=opts)
        assert (rec.nit, rec.nfev, rec.status) == (ref.nit, ref.nfev, ref.status)
        np.testing.assert_array_equal(rec.x, ref.x)
    assert bfgs_settings(x0, 0.5, 2).nit == 2


@pytest.mark.nojit
def test_python_call_returns_same_record():
    r = nlj.bfgs(fun, jac, ROS.x0)
    assert isinstance(r, nlj.JitResult) and r.success
    np.testing.assert_allclose(r.x, 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="non-finite"):
        nlj.bfgs(fun, jac, np.array([np.nan, 1.0]))


@pytest.mark.nojit
@needs("gd")
def test_python_call_gd_maxiter():
    d = nlj.gd(fun, jac, ROS.x0, (), 1e-5, 50)
    assert not d.success and d.nit == 50 and nlj.message(d.status).startswith("Maximum number")


@pytest.mark.nojit
@needs("lbfgs")
def test_python_call_lbfgs_memory():
    r = nlj.lbfgs(fun, jac, ROS.x0, m=3)
    ref = nl.minimize(fun, ROS.x0, method="lbfgs", jac=jac, options={"m": 3})
    assert (r.nit, r.nfev) == (ref.nit, ref.nfev)


@pytest.mark.nojit
def test_every_method_one_line_away():
    import inspect
    for name, m in nl.METHODS.items():
        f = nlj.solver(name)
        params = list(inspect.signature(f).parameters)
        assert params[:2] == ["fun", "jac"] and "x0" in params
        assert ("hess" in params) == m.needs_hess
    with pytest.raises(ValueError, match="unknown method"):
        nlj.solver("newtonn")


@numba.njit
def adam_from_njit(x0):
    return ADAM(shifted, shifted_jac, x0, (0.5,), 1e-8, 300)


ADAM = nlj.solver("adam")


def test_first_order_method_from_njit():
    """First-order options hold an array (the schedule's parameters): rebuilt per call."""
    x0 = np.array([1.0, 1.0])
    rec = adam_from_njit(x0)
    ref = nl.minimize(shifted, x0, args=(0.5,), method="adam", jac=shifted_jac,
                      options={"gtol": 1e-8, "maxiter": 300})
    assert (rec.nit, rec.nfev, rec.status) == (ref.nit, ref.nfev, ref.status)
    np.testing.assert_array_equal(rec.x, ref.x)



@pytest.mark.parametrize("name", ["newton-cg", "hessian-free"])
def test_product_methods_from_njit_count_like_minimize(name):
    """Methods that take products from a Hessian matrix: same plan (dense products, one
    Hessian per iteration) and the same record as minimize()."""
    from newtonlab import problems as P
    p = P.get("rosenbrock")
    f, g, h = p.fun, p.jac, p.hess
    s = nlj.solver(name, "hess")

    @numba.njit
    def run(x0):
        return s(f, g, h, x0, ())
    r = run(p.x0)
    ref = nl.minimize(p.fun, p.x0, method=name, jac=p.jac, hess=p.hess)
    assert (r.nit, r.nfev, r.nhev, r.status) == (ref.nit, ref.nfev, ref.nhev, ref.status)
    np.testing.assert_allclose(r.x, ref.x, rtol=1e-10)


USER_MODULE = '''
import numba
import numpy as np
import newtonlab.jit as nlj


@numba.njit(cache=True)
def f(x, c):
    return (x[0] - c) ** 2 + 10.0 * x[1] ** 2


@numba.njit(cache=True)
def g(x, c):
    return np.array([2.0 * (x[0] - c), 20.0 * x[1]])


@numba.njit(cache=True)
def solve_many(cs):
    out = np.empty(cs.size)
    for i in range(cs.size):
        out[i] = nlj.gd(f, g, np.array([0.0, 1.0]), (cs[i],), 1e-8, 0).x[0]
    return out
'''


def test_a_cached_njit_caller_is_cached(tmp_path, monkeypatch):
    """A user's @njit(cache=True) function calling a solver is saved to numba's disk cache:
    nothing process-specific (a dispatcher's PyObject*, a machine-code address) stays in it,
    so the next process loads it instead of compiling the solver into it again."""
    (tmp_path / "nlj_user_module.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import nlj_user_module as user
    np.testing.assert_allclose(user.solve_many(np.array([1.0, 2.0])), [1.0, 2.0], atol=1e-6)
    (sig,) = user.solve_many.signatures
    assert not user.solve_many.overloads[sig].library.has_dynamic_globals
    index = user.solve_many._cache._cache_file._index_path
    assert os.path.exists(index), "numba did not save the caller"
    # a second process loads it from the disk cache: a hit, no compile
    out = subprocess.run(
        [sys.executable, "-c", "import numpy as np, nlj_user_module as u; "
         "u.solve_many(np.array([3.0])); s = u.solve_many.stats; "
         "print(sum(s.cache_hits.values()), sum(s.cache_misses.values()))"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path)] + sys.path)})
    assert out.stdout.split() == ["1", "0"], out.stdout     # (cache hits, cache misses)
