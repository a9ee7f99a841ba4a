"""Derivative checks: correct derivatives pass everywhere, wrong ones are caught."""
import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der, rosen_hess, rosen_hess_prod

from newtonlab import problems as P
from newtonlab.analysis import check_grad, check_hess, check_hessp

# learning problems ("ml") have their own derivative tests (tests/test_ml_problems.py)
PROBS = [p for p in P.all_problems() if "ml" not in p.labels]


@pytest.mark.parametrize("p", PROBS, ids=[p.id for p in PROBS])
def test_library_derivatives_pass(p):
    """At x0, a shifted point and every listed critical point (where g = 0)."""
    for x in [p.x0, p.x0 + 0.1] + [cp.x for cp in p.critical_points]:
        for r in (check_grad(p.fun, p.jac, x, p.args), check_hess(p.jac, p.hess, x, p.args),
                  check_hessp(p.jac, p.hessp, x, p.args)):
            assert r.ok, (x, r)
            # badly scaled MGH problems (meyer: x2 = 4000 beside x1 = 0.02; osborne1, gulf)
            # defeat one step h ~ eps^(1/5) ||x||: the differences' own error estimate is
            # coarse there, while the derivatives still agree to 1e-9
            assert r.max_rel_error <= 1e-9
            assert np.all(r.fd_errors < 1e-4) or "mgh" in p.labels


def test_wrong_gradients_are_caught():
    x = np.array([-1.2, 1.0, 0.7])
    assert check_grad(rosen, rosen_der, x).ok
    wrong = {
        "scaled by 1.0001": lambda z: 1.0001 * rosen_der(z),
        "one entry off": lambda z: rosen_der(z) + np.array([0.0, 1e-3, 0.0]),
        "sign flipped": lambda z: -rosen_der(z),
        "entries swapped": lambda z: rosen_der(z)[::-1].copy(),
    }
    for name, jac in wrong.items():
        r = check_grad(rosen, jac, x)
        assert not r.ok and r.max_rel_error > r.rtol, name
        assert r.errors[r.worst] == r.max_rel_error
    # at the minimizer the gradient vanishes: a small constant offset is still caught
    assert check_grad(rosen, rosen_der, np.ones(3)).ok
    assert not check_grad(rosen, lambda z: rosen_der(z) + 1e-6, np.ones(3)).ok


def test_fused_gradient_and_reproducible_directions():
    x = np.array([0.3, -0.4])
    r1 = check_grad(lambda z: (rosen(z), rosen_der(z)), True, x, n_dirs=5, seed=4)
    r2 = check_grad(rosen, rosen_der, x, n_dirs=5, seed=4)
    assert r1.ok and np.array_equal(r1.directions, r2.directions)
    assert r1.directions.shape == (5, 2)
    np.testing.assert_allclose(np.linalg.norm(r1.directions, axis=1), 1.0)
    assert not np.array_equal(r2.directions, check_grad(rosen, rosen_der, x, seed=5).directions)


def test_wrong_hessians_are_caught():
    x = np.array([-1.2, 1.0, 0.7])
    assert check_hess(rosen_der, rosen_hess, x).ok
    E = np.zeros((3, 3))
    E[0, 2] = 1e-2                                              # asymmetric error
    r = check_hess(rosen_der, lambda z: rosen_hess(z) + E, x)
    assert not r.ok and r.symmetry_error > 1e-6
    r = check_hess(rosen_der, lambda z: rosen_hess(z) + E + E.T, x)   # symmetric, still wrong
    assert not r.ok and r.symmetry_error == 0.0 and r.max_rel_error > 1e-6
    r = check_hess(rosen_der, lambda z: 1.001 * rosen_hess(z), x)
    assert not r.ok


def test_wrong_hessian_vector_products_are_caught():
    x = np.array([-1.2, 1.0, 0.7, 0.2])
    assert check_hessp(rosen_der, rosen_hess_prod, x).ok
    r = check_hessp(rosen_der, lambda z, p: rosen_hess_prod(z, 1.001 * p), x)
    assert not r.ok
    B = np.triu(np.ones((4, 4)))                                # H + 0.01 B: not symmetric
    r = check_hessp(rosen_der, lambda z, p: rosen_hess_prod(z, p) + 0.01 * B @ p, x)
    assert not r.ok and r.symmetry_error > 1e-6


def test_bad_input():
    x = np.array([0.5, 0.5])
    with pytest.raises(ValueError, match="shape"):
        check_grad(rosen, lambda z: np.zeros(3), x)
    with pytest.raises(ValueError, match="non-finite"):
        check_grad(rosen, lambda z: np.full(2, np.nan), x)
    with pytest.raises(ValueError, match="shape"):
        check_hess(rosen_der, lambda z: np.eye(3), x)
    with pytest.raises(ValueError, match="shape"):
        check_hessp(rosen_der, lambda z, p: np.zeros(3), x)
    with pytest.raises(ValueError, match="n_dirs"):
        check_grad(rosen, rosen_der, x, n_dirs=0)
    with pytest.raises(ValueError, match="callable or True"):
        check_grad(rosen, None, x)
    with pytest.raises(ValueError, match="finite"):
        check_grad(rosen, rosen_der, [np.inf, 0.0])
