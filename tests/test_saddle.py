"""Saddle diagnostics: escape directions, curvature along a run, stall detection."""
import numpy as np
import pytest

import newtonlab as nl
from newtonlab import problems as P
from newtonlab.analysis import (add_curvature_columns, curvature_along_path, detect_saddle_stall,
                                escape_direction)

SXY = P.get("saddle_xy")
HB = P.get("himmelblau")


def run(p, method, x0=None, **options):
    """A run on the NumPy form of p (interpreted driver: these tests compile nothing)."""
    return nl.minimize(p.fun.py_func, p.x0 if x0 is None else x0, jac=p.jac.py_func,
                       method=method, options=options)


def gd_run(p, x0, lr, maxiter):
    return run(p, "gd", x0, return_all=True, maxiter=maxiter, lr=lr, linesearch="none",
               gtol=1e-12)


# ------------------------------------------------------------------ escape_direction

def test_escape_direction_sign_rule():
    H = np.diag([2.0, -2.0])
    lam, v = escape_direction([0.0, 0.0], hess=H, g=[0.3, 0.5])
    assert lam == -2.0 and np.allclose(v, [0.0, -1.0])          # g^T v < 0: descent
    lam, v = escape_direction([0.0, 0.0], hess=H, g=[0.3, -0.5])
    assert np.allclose(v, [0.0, 1.0])
    lam, v = escape_direction([0.0, 0.0], hess=H)               # no gradient: largest entry > 0
    assert np.allclose(v, [0.0, 1.0])
    lam, v = escape_direction([1.0, 2.0], hess=SXY.hess, jac=SXY.jac)  # g = (2, -4)
    assert lam == -2.0 and np.allclose(v, [0.0, 1.0])
    lam, v = escape_direction([0.0, 0.0], hess=np.eye(2))       # no negative curvature
    assert lam == 1.0 and np.linalg.norm(v) == pytest.approx(1.0)


def test_escape_direction_matrix_free_matches_dense():
    rng = np.random.default_rng(1)
    n = 60
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    d = np.linspace(-3.0, 5.0, n)
    A = (Q * d) @ Q.T
    A = 0.5 * (A + A.T)
    g = rng.standard_normal(n)
    lam_d, v_d = escape_direction(np.zeros(n), hess=A, g=g)
    lam_l, v_l = escape_direction(np.zeros(n), hessp=lambda x, p: A @ p, g=g)
    assert lam_d == pytest.approx(-3.0, abs=1e-12) and lam_l == pytest.approx(-3.0, abs=1e-8)
    np.testing.assert_allclose(v_l, v_d, atol=1e-6)              # same vector, same sign
    assert g @ v_d <= 0.0
    lam_f, _ = escape_direction(np.zeros(n), hess=A, method="lanczos")
    assert lam_f == pytest.approx(-3.0, abs=1e-8)


def test_escape_direction_escapes_himmelblau_saddles():
    for cp in HB.critical_points:
        if cp.kind != "saddle":
            continue
        lam, v = escape_direction(cp.x, hess=HB.hess, jac=HB.jac)
        assert lam < 0
        assert HB.fun(cp.x + 0.1 * v) < cp.fun and HB.fun(cp.x - 0.1 * v) < cp.fun


# ------------------------------------------------------------------ curvature along a run

def test_curvature_along_path_dense_lanczos_and_trace():
    p = P.get("chained_rosenbrock", n=4)
    res = run(p, "bfgs", return_all=True)
    X = np.array(res.allvecs)
    c = add_curvature_columns(res, hess=p.hess, jac=p.jac, k=2)
    oracle = np.array([np.linalg.eigvalsh(p.hess(x)) for x in X])
    np.testing.assert_allclose(c.smallest, oracle[:, :2], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c.largest, oracle[:, -2:], rtol=1e-12)
    np.testing.assert_allclose(res.trace["lambda_min"], oracle[:, 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res.trace["lambda_max"], oracle[:, -1], rtol=1e-12)
    assert np.all(c.grad_along <= 0.0)
    c2 = curvature_along_path(X, hessp=p.hessp, k=2)
    assert c2.method == "lanczos"
    np.testing.assert_allclose(c2.smallest, oracle[:, :2], rtol=1e-8, atol=1e-8)
    ncol = len(res.trace.columns)
    c2.add_to_trace(res.trace)                   # same names: replaced, not duplicated
    assert len(res.trace.columns) == ncol


def test_curvature_bad_input():
    res = run(SXY, "gd", maxiter=3)
    with pytest.raises(ValueError, match="return_all"):
        curvature_along_path(res, hess=SXY.hess)
    with pytest.raises(ValueError, match="hess= or hessp="):
        curvature_along_path([[0.0, 0.0]])
    with pytest.raises(ValueError, match="finite"):
        curvature_along_path([[np.nan, 0.0]], hess=SXY.hess)
    c = curvature_along_path(np.zeros((len(res.trace) + 1, 2)), hess=SXY.hess)
    with pytest.raises(ValueError, match="rows"):
        c.add_to_trace(res.trace)


# ------------------------------------------------------------------ stall detection

def test_stall_at_quadratic_saddle_then_escape():
    res = gd_run(SXY, SXY.x0, 0.1, 150)   # x shrinks by 0.8, y grows by 1.2 per step
    st = detect_saddle_stall(res, hess=SXY.hess, jac=SXY.jac)
    assert st.stalled and len(st.episodes) == 1
    e = st.episodes[0]
    assert e.escaped and e.length >= 30 and e.lambda_min == -2.0
    np.testing.assert_allclose(np.abs(e.direction), [0.0, 1.0], atol=1e-12)
    assert SXY.jac(e.x) @ e.direction <= 0.0
    assert not st.flags[0] and not st.flags[-1]


def test_run_ending_at_a_saddle_is_flagged():
    res = run(SXY, "gd", return_all=True)
    assert res.success and res.nit <= 2        # Armijo lands on the saddle: "success"
    st = detect_saddle_stall(res, hess=SXY.hess)
    assert st.stalled and not st.episodes[-1].escaped and st.episodes[-1].end == res.nit


def test_stall_near_himmelblau_saddle():
    """GD started near the stable manifold of a saddle (along v_max) stalls, then escapes."""
    s = HB.critical_points[4].x
    lam, v = escape_direction(s, hess=HB.hess)
    w = np.linalg.eigh(HB.hess(s))[1][:, 1]
    res = gd_run(HB, s + 0.02 * w, 0.005, 600)
    st = detect_saddle_stall(res, hess=HB.hess, jac=HB.jac)
    assert len(st.episodes) == 1 and st.episodes[0].escaped
    e = st.episodes[0]
    assert np.linalg.norm(e.x - s) < 1e-3 and e.lambda_min == pytest.approx(lam, rel=1e-3)
    assert e.length >= 20
    assert abs(e.direction @ v) == pytest.approx(1.0, abs=1e-6)
    assert res.fun < 1e-6                      # and the run went on to a minimum


def test_no_stall_on_a_convex_run_and_bad_input():
    p = P.get("rosenbrock")
    res = run(p, "bfgs", return_all=True)
    assert not detect_saddle_stall(res, hess=p.hess).stalled
    with pytest.raises(ValueError, match="window"):
        detect_saddle_stall(res, hess=p.hess, window=0)
    c = curvature_along_path(np.array(res.allvecs)[:3], hess=p.hess)
    with pytest.raises(ValueError, match="does not match"):
        detect_saddle_stall(res, curvature=c)
