"""L2-regularised binary logistic regression: the convex learning problem.

Why it is here: the one learning problem whose Hessian is positive definite
everywhere, so every second-order method must converge to the unique
minimizer; the model is linear in its parameters, so the Gauss-Newton
matrix equals the Hessian (a check on both products).  It runs on the shared
network engine (:mod:`._nn`) as a network with no hidden layer and a
Bernoulli cross-entropy on the logit.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._base import Problem
from ._data import pack_spec
from ._nn import net_fg, net_fun, net_ggnp, net_hess, net_hessp, net_jac

_REF = ("Bishop, C. M. (2006). Pattern Recognition and Machine Learning, Springer, "
        "sec. 4.3.2-4.3.3 (logistic regression, its gradient and Hessian).")


def logistic(n_samples: int = 200, n_features: int = 10, lam: float = 1e-3,
             seed: int = 0) -> Problem:
    """Binary logistic regression with an L2 penalty on the weights.

    .. math:: f(w, b) = \\frac1N \\sum_i \\log(1 + e^{z_i}) - t_i z_i
              + \\frac{\\lambda}{2}\\|w\\|^2, \\qquad z_i = a_i^T w + b

    Data from ``numpy.random.default_rng(seed)``, in this order: features
    ``a_i`` standard normal (N, d); a planted weight vector w* ~ N(0, 4/d)
    and bias b* ~ N(0, 1); labels ``t_i ~ Bernoulli(sigmoid(a_i^T w* + b*))``
    (noisy, so the minimizer is finite even with ``lam = 0``).  x = (w, b),
    x0 = 0.  ``args = (X, y)``: X = [features | labels], y the network
    specification (:func:`._data.pack_spec`).  Strictly convex for lam > 0.

    Parameters
    ----------
    n_samples : int, default 200
    n_features : int, default 10
        d; the dimension is d + 1.
    lam : float, default 1e-3
    seed : int, default 0

    References
    ----------
    Bishop (2006), sec. 4.3.
    """
    for name, v in (("n_samples", n_samples), ("n_features", n_features), ("seed", seed)):
        if int(v) != v or v < (0 if name == "seed" else 1):
            raise ValueError(f"logistic: {name} must be a positive integer, got {v!r}")
    if not float(lam) >= 0:
        raise ValueError(f"logistic: lam must be >= 0, got {lam!r}")
    return _build(int(n_samples), int(n_features), float(lam), int(seed))


@lru_cache(maxsize=None)
def _build(N, d, lam, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((N, d))
    w = rng.standard_normal(d) * (2.0 / np.sqrt(d))
    b = rng.standard_normal()
    t = (rng.random(N) < 1.0 / (1.0 + np.exp(-(A @ w + b)))).astype(np.float64)
    X = np.ascontiguousarray(np.column_stack([A, t]))
    y = pack_spec((d, 1), (), "bernoulli", lam)
    return Problem(
        name="logistic", n=d + 1, fun=net_fun, jac=net_jac, hess=net_hess, hessp=net_hessp,
        fg=net_fg, x0=np.zeros(d + 1), args=(X, y), fmin=None, convex=True,
        labels=("ml", "convex"), reference=_REF,
        params=(("n_samples", N), ("n_features", d), ("lam", lam), ("seed", seed)),
        ggnp=net_ggnp)
