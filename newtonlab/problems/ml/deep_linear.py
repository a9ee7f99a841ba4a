"""A deep linear network: non-convex, with saddles, and yet a known minimum.

Why it is here: x -> W_1 W_2 ... W_L x is linear in its input but a product
of the parameters, so the squared loss is non-convex with saddle points
(x = 0 is critical; for L >= 3 its Hessian is lam I, degenerate when lam = 0)
while every local minimum is global (Kawaguchi 2016) and, without penalty,
the minimum value is that of reduced-rank regression (Baldi & Hornik 1989).
Solvers can therefore be scored against an exact fmin on a landscape with
the plateaus of deep nets (Saxe et al. 2014).  The Gauss-Newton matrix
equals the Hessian exactly where the residuals vanish.  Runs on the shared
network engine (:mod:`._nn`) with identity activations and no biases.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._base import CriticalPoint, Problem
from ._data import glorot_uniform, n_params, pack_spec
from ._nn import net_fg, net_fun, net_ggnp, net_hess, net_hessp, net_jac

_REF = ("Baldi, P. & Hornik, K. (1989). Neural networks and principal component analysis: "
        "learning from examples without local minima. Neural Networks 2, 53-58; "
        "Kawaguchi, K. (2016). Deep learning without poor local minima. NIPS; Saxe, A. M., "
        "McClelland, J. L. & Ganguli, S. (2014). Exact solutions to the nonlinear dynamics "
        "of learning in deep linear neural networks. ICLR; Glorot & Bengio (2010).")


def deep_linear(n_samples: int = 200, n_in: int = 8, hidden: tuple = (8, 8), n_out: int = 4,
                noise: float = 0.1, lam: float = 0.0, seed: int = 0) -> Problem:
    """Linear network n_in -> hidden... -> n_out, no biases, mean squared loss.

    .. math:: f(W_1, ..., W_L) = \\frac{1}{2N} \\|A W_1 \\cdots W_L - T\\|_F^2
              + \\frac{\\lambda}{2}\\sum_l \\|W_l\\|_F^2

    From ``numpy.random.default_rng(seed)``, in this order: inputs A (N,
    n_in) standard normal, a teacher W* (n_in, n_out) with entries N(0,
    1/n_in), targets T = A W* + noise * E, then x0, the Glorot & Bengio
    (2010) uniform initialisation.  With lam = 0 the global minimum is exact:
    with r the smallest width and T^ = A (A^+ T) the least-squares fit,
    fmin = (||T - T^||^2 + sum_{i > r} sigma_i(T^)^2) / (2N) (reduced-rank
    regression; Baldi & Hornik 1989), exactly 0 without noise when r >= min(n_in,
    n_out); with lam > 0, fmin is None.  x = 0 is
    listed as a critical point.  ``args = (X, y)``: X = [inputs | targets].

    Parameters
    ----------
    n_samples : int, default 200
    n_in, n_out : int, default 8, 4
    hidden : tuple of int, default (8, 8)
        Hidden widths (3 weight layers, dimension 160, by default).
    noise : float, default 0.1
    lam : float, default 0.0
    seed : int, default 0

    References
    ----------
    Baldi & Hornik (1989); Kawaguchi (2016); Saxe, McClelland & Ganguli (2014).
    """
    hidden = tuple(int(h) for h in hidden)
    if not hidden or min(hidden) < 1:
        raise ValueError(f"deep_linear: hidden must be positive widths, got {hidden!r}")
    for name, v in (("n_samples", n_samples), ("n_in", n_in), ("n_out", n_out), ("seed", seed)):
        if int(v) != v or v < (0 if name == "seed" else 1):
            raise ValueError(f"deep_linear: bad {name} {v!r}")
    if not (float(noise) >= 0 and float(lam) >= 0):
        raise ValueError("deep_linear: noise and lam must be >= 0")
    return _build(int(n_samples), int(n_in), hidden, int(n_out), float(noise), float(lam),
                  int(seed))


def _origin(A, T, widths, lam):
    """x = 0: Hessian lam I for L >= 3; for L = 2, eigenvalues lam +- sigma_j(A^T T / N)."""
    h = widths[1]
    n = n_params(widths, bias=False)
    if len(widths) == 2 + 1:
        s = np.linalg.svd(A.T @ T / A.shape[0], compute_uv=False)
        ev = np.concatenate([np.repeat(lam - s, h), np.repeat(lam + s, h)])
        ev = np.concatenate([ev, np.full(n - ev.size, lam)])
    else:
        ev = np.full(n, lam)
    tol = 1e-8 * max(1.0, np.abs(ev).max())
    index = int((ev < -tol).sum())
    kind = "degenerate" if np.any(np.abs(ev) <= tol) else ("minimum" if index == 0 else "saddle")
    return CriticalPoint(np.zeros(n), kind, index, 0.5 * float((T * T).sum()) / A.shape[0])


@lru_cache(maxsize=None)
def _build(N, d, hidden, k, noise, lam, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((N, d))
    T = A @ (rng.standard_normal((d, k)) / np.sqrt(d)) + noise * rng.standard_normal((N, k))
    widths = (d, *hidden, k)
    X = np.ascontiguousarray(np.column_stack([A, T]))
    y = pack_spec(widths, ("identity",) * len(hidden), "squared", lam, bias=False)
    fmin = None
    if lam == 0.0:
        fit = A @ np.linalg.lstsq(A, T, rcond=None)[0]
        r = min(widths)
        s = np.linalg.svd(fit, compute_uv=False)
        fmin = 0.5 * (float(((T - fit) ** 2).sum()) + float((s[r:] ** 2).sum())) / N
        if noise == 0.0 and r >= min(d, k):
            fmin = 0.0                                  # the teacher is realisable exactly
    cp = _origin(A, T, widths, lam)
    labels = ["ml", "non-convex"] + ([cp.kind] if cp.kind in ("saddle", "degenerate") else [])
    return Problem(
        name="deep-linear", n=n_params(widths, bias=False), fun=net_fun, jac=net_jac,
        hess=net_hess, hessp=net_hessp, fg=net_fg, x0=glorot_uniform(rng, widths, bias=False),
        args=(X, y), fmin=fmin, critical_points=(cp,), convex=False, labels=tuple(labels),
        reference=_REF,
        params=(("n_samples", N), ("n_in", d), ("hidden", hidden), ("n_out", k),
                ("noise", noise), ("lam", lam), ("seed", seed)),
        ggnp=net_ggnp)
