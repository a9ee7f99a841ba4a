"""A deep autoencoder on CURVES-like images, after Hinton & Salakhutdinov (2006).

Why it is here: Martens (2010) introduced Hessian-free optimization on the
CURVES autoencoder (784-400-200-100-50-25-6 and its mirror image, logistic
units, a linear 6-unit code layer, cross-entropy on the reconstruction),
the benchmark on which plain gradient descent stalls in pathological
curvature.  This is the same construction scaled to a 2-core machine:
``size x size`` images (8 x 8 by default) generated in the repository
(:func:`._data.curves`), an encoder of widths ``hidden`` and its mirror,
Martens' sparse initialisation.  Its dimension (5478 by default) is too
large for a dense Hessian: ``hess`` is None; use ``hessp`` or ``ggnp``.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._base import Problem
from ._data import curves, n_params, pack_spec, sparse_init
from ._nn import net_fg, net_fun, net_ggnp, net_hessp, net_jac

_REF = ("Hinton, G. E. & Salakhutdinov, R. R. (2006). Reducing the dimensionality of data "
        "with neural networks. Science 313, 504-507 (CURVES); Martens, J. (2010). Deep "
        "learning via Hessian-free optimization. ICML (architecture, loss, sparse "
        "initialisation); Pearlmutter (1994); Schraudolph (2002).")


def autoencoder(n_samples: int = 200, size: int = 8, hidden: tuple = (32, 16, 6),
                lam: float = 1e-5, sparsity: int = 15, seed: int = 0) -> Problem:
    """Deep autoencoder size^2 -> hidden -> reversed(hidden[:-1]) -> size^2.

    .. math:: f(x) = \\frac1N \\sum_i \\sum_p \\big(\\log(1 + e^{z_{ip}})
              - t_{ip} z_{ip}\\big) + \\frac{\\lambda}{2} \\sum_l \\|W_l\\|^2

    the cross-entropy between each image t_i and its reconstruction
    sigmoid(z_i), summed over pixels and averaged over images (Martens 2010).
    Hidden units are logistic except the code layer (``hidden[-1]`` units),
    which is linear, as in Martens' CURVES network.  Data then x0 from
    ``numpy.random.default_rng(seed)``: the images (:func:`._data.curves`),
    then Martens' sparse initialisation: each unit has ``sparsity`` (or
    fan-in, if smaller) nonzero incoming weights from N(0, 1), biases 0.
    ``args = (X, y)``: X the images, one per row (the inputs are the
    targets), y the network specification.

    Parameters
    ----------
    n_samples : int, default 200
    size : int, default 8
        Images are size x size (16 gives Martens' depth at 1/3 of his width).
    hidden : tuple of int, default (32, 16, 6)
        Encoder widths; the last is the code layer.
    lam : float, default 1e-5
        L2 weight penalty (Martens used a small weight cost too).
    sparsity : int, default 15
        Nonzero incoming weights per unit at x0.
    seed : int, default 0

    References
    ----------
    Hinton & Salakhutdinov (2006); Martens (2010).
    """
    hidden = tuple(int(h) for h in hidden)
    if not hidden or min(hidden) < 1:
        raise ValueError(f"autoencoder: hidden must be positive widths, got {hidden!r}")
    for name, v in (("n_samples", n_samples), ("size", size), ("sparsity", sparsity),
                    ("seed", seed)):
        if int(v) != v or v < (0 if name == "seed" else 2 if name == "size" else 1):
            raise ValueError(f"autoencoder: bad {name} {v!r}")
    if not float(lam) >= 0:
        raise ValueError(f"autoencoder: lam must be >= 0, got {lam!r}")
    return _build(int(n_samples), int(size), hidden, float(lam), int(sparsity), int(seed))


@lru_cache(maxsize=None)
def _build(N, size, hidden, lam, sparsity, seed):
    rng = np.random.default_rng(seed)
    X = curves(rng, N, size)
    widths = (size * size, *hidden, *hidden[-2::-1], size * size)
    acts = ["logistic"] * (len(widths) - 2)
    acts[len(hidden) - 1] = "identity"                   # the linear code layer
    y = pack_spec(widths, acts, "bernoulli", lam, t0=0)
    return Problem(
        name="autoencoder", n=n_params(widths), fun=net_fun, jac=net_jac, hess=None,
        hessp=net_hessp, fg=net_fg, x0=sparse_init(rng, widths, sparsity), args=(X, y),
        fmin=None, convex=False, labels=("ml", "non-convex"), reference=_REF,
        params=(("n_samples", N), ("size", size), ("hidden", hidden), ("lam", lam),
                ("sparsity", sparsity), ("seed", seed)),
        ggnp=net_ggnp)
