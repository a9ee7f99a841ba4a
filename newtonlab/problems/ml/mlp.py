"""A small tanh multilayer perceptron classifying interleaved spirals.

Why it is here: the textbook non-convex learning problem at a size where the
full Hessian can still be formed and diagonalised: permutation symmetries
of the hidden units, saddles and plateaus, and negative curvature that
separates the exact Hessian (``hessp``) from the always positive
semidefinite Gauss-Newton matrix (``ggnp``).  Runs on the shared network
engine (:mod:`._nn`): tanh hidden layers, softmax cross-entropy on the logits.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._base import Problem
from ._data import glorot_uniform, n_params, pack_spec, spirals
from ._nn import net_fg, net_fun, net_ggnp, net_hess, net_hessp, net_jac

_REF = ("Glorot, X. & Bengio, Y. (2010). Understanding the difficulty of training deep "
        "feedforward neural networks. AISTATS (initialisation); Pearlmutter (1994); "
        "Schraudolph (2002).")


def mlp(n_samples: int = 300, hidden: tuple = (16, 16), n_classes: int = 3,
        lam: float = 1e-4, seed: int = 0) -> Problem:
    """Softmax classifier 2 -> hidden... -> n_classes with tanh units on 2-D spirals.

    .. math:: f(x) = \\frac1N \\sum_i \\big(\\log \\textstyle\\sum_c e^{z_{ic}}
              - z_{i t_i}\\big) + \\frac{\\lambda}{2}\\sum_l \\|W_l\\|^2

    Data (:func:`._data.spirals`, one arm per class, 1 turn, angular noise
    0.2) then x0 drawn from ``numpy.random.default_rng(seed)``: x0 is the
    Glorot & Bengio (2010) uniform initialisation, W ~ U[-s, s] with
    s = sqrt(6 / (fan_in + fan_out)), biases 0.  ``args = (X, y)``: X =
    [inputs | class index], y the network specification.

    Parameters
    ----------
    n_samples : int, default 300
    hidden : tuple of int, default (16, 16)
        Hidden widths (dimension 371 by default).
    n_classes : int, default 3
    lam : float, default 1e-4
    seed : int, default 0

    References
    ----------
    Glorot & Bengio (2010); Pearlmutter (1994); Schraudolph (2002).
    """
    hidden = tuple(int(h) for h in hidden)
    if not hidden or min(hidden) < 1:
        raise ValueError(f"mlp: hidden must be non-empty positive widths, got {hidden!r}")
    for name, v in (("n_samples", n_samples), ("n_classes", n_classes), ("seed", seed)):
        if int(v) != v or v < (0 if name == "seed" else 2 if name == "n_classes" else 1):
            raise ValueError(f"mlp: bad {name} {v!r}")
    if not float(lam) >= 0:
        raise ValueError(f"mlp: lam must be >= 0, got {lam!r}")
    return _build(int(n_samples), hidden, int(n_classes), float(lam), int(seed))


@lru_cache(maxsize=None)
def _build(N, hidden, K, lam, seed):
    rng = np.random.default_rng(seed)
    A, t = spirals(rng, N, K)
    widths = (2, *hidden, K)
    X = np.ascontiguousarray(np.column_stack([A, t]))
    y = pack_spec(widths, ("tanh",) * len(hidden), "softmax", lam)
    return Problem(
        name="mlp", n=n_params(widths), fun=net_fun, jac=net_jac, hess=net_hess,
        hessp=net_hessp, fg=net_fg, x0=glorot_uniform(rng, widths), args=(X, y), fmin=None,
        convex=False, labels=("ml", "non-convex"), reference=_REF,
        params=(("n_samples", N), ("hidden", hidden), ("n_classes", K), ("lam", lam),
                ("seed", seed)),
        ggnp=net_ggnp)
