"""Stochastic spectrum estimators: Hutchinson's trace and stochastic Lanczos quadrature.

Both need only matrix-vector products and random probes, so they scale to Hessians
that can never be formed (Ghorbani, Krishnan & Xiao 2019 apply SLQ to networks
with millions of parameters).  Every estimate is seeded and reproducible.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _lanczos as K
from ._operator import as_matvec

__all__ = ["hutchinson_trace", "TraceEstimate", "slq_density", "SpectralDensity"]


@dataclass(frozen=True, eq=False)
class TraceEstimate:
    """Output of :func:`hutchinson_trace`.

    Attributes
    ----------
    trace : float
        The estimate of tr(A): the mean of ``samples``.
    stderr : float
        Its standard error, sample std / sqrt(n_probes) (inf for one probe).
    n_probes : int
        The number of probes.
    samples : ndarray (n_probes,)
        The per-probe values z^T A z.

    Examples
    --------
    >>> import numpy as np
    >>> est = hutchinson_trace(np.array([[2.0, 1.0], [1.0, 3.0]]), n_probes=50)
    >>> est.n_probes, est.samples.shape, bool(abs(est.trace - 5.0) <= 4 * est.stderr)
    (50, (50,), True)
    """

    trace: float
    stderr: float
    n_probes: int
    samples: np.ndarray


def hutchinson_trace(op, n=None, n_probes=100, seed=0):
    """Hutchinson's estimator tr(A) ~ (1/N) sum_l z_l^T A z_l, Rademacher z_l.

    Unbiased; its variance per probe is 2 (||A||_F^2 - sum_i A_ii^2), the smallest
    of all i.i.d. probe distributions (Hutchinson 1989; Avron & Toledo 2011).

    Parameters
    ----------
    op : operator
        Dense array, ``LinearOperator``, sparse matrix, callable ``matvec(v)`` with
        ``n``, or ``(hessp, x[, args])`` (see :func:`newtonlab.analysis.lanczos`).
    n : int, optional
        Dimension; required for a bare callable.
    n_probes : int, default 100
        Number of Rademacher probes (>= 1); one matvec each.
    seed : int, default 0
        Seed of the probes.

    Returns
    -------
    TraceEstimate

    Raises
    ------
    ValueError
        ``n_probes < 1``, or the operator returned non-finite values.

    Examples
    --------
    >>> import numpy as np
    >>> from newtonlab.analysis import hutchinson_trace
    >>> A = np.diag(np.arange(1.0, 101.0))
    >>> hutchinson_trace(A, n_probes=10).trace   # exact for a diagonal matrix
    5050.0

    References
    ----------
    Hutchinson, M. F. (1989). A stochastic estimator of the trace of the influence
    matrix for Laplacian smoothing splines. Comm. Statist. Simul. Comput. 18, 1059-1076.
    """
    matvec, n = as_matvec(op, n)
    n_probes = int(n_probes)
    if n_probes < 1:
        raise ValueError(f"n_probes must be >= 1, got {n_probes}")
    rng = np.random.default_rng(seed)
    samples = np.empty(n_probes)
    for i in range(n_probes):
        z = rng.choice(np.array([-1.0, 1.0]), size=n)
        samples[i] = float(z @ matvec(z))
    if not np.all(np.isfinite(samples)):
        raise ValueError("the operator returned non-finite values")
    se = float(np.std(samples, ddof=1) / np.sqrt(n_probes)) if n_probes > 1 else np.inf
    return TraceEstimate(float(np.mean(samples)), se, n_probes, samples)


@dataclass(frozen=True, eq=False)
class SpectralDensity:
    """Output of :func:`slq_density`.

    Attributes
    ----------
    grid : ndarray (n_grid,)
        The evaluation points lambda.
    density : ndarray (n_grid,)
        The smoothed spectral density on ``grid``: a probability density in lambda (it
        integrates to 1); multiply by n for eigenvalues per unit lambda.
    nodes : ndarray (n_probes, m)
        The Gauss nodes theta_i of each probe's Lanczos run (zero-weight padding where
        a run broke down early).
    weights : ndarray (n_probes, m)
        The Gauss weights tau_i; those of each probe sum to 1.
    sigma : float
        The Gaussian width used.
    n_matvec : int
        Operator applications used.

    Examples
    --------
    >>> import numpy as np
    >>> sd = slq_density(np.diag([1.0, 2.0, 3.0]), n_probes=2, m=3, n_grid=50)
    >>> sd.grid.shape, sd.nodes.shape, np.allclose(sd.weights.sum(axis=1), 1.0)
    ((50,), (2, 3), True)
    """

    grid: np.ndarray
    density: np.ndarray
    nodes: np.ndarray
    weights: np.ndarray
    sigma: float
    n_matvec: int


def _lanczos_gauss(matvec, v, m, V, h, c):
    """m steps of Lanczos from v (full reorthogonalization); Gauss nodes and weights."""
    n = v.size
    V[0] = v / np.linalg.norm(v)
    alpha, beta = np.zeros(m), np.zeros(m)
    scale, steps = 0.0, m
    for j in range(m):
        w = matvec(V[j])
        b = K.orthogonalize(V, j, w, h, c)
        if not np.isfinite(b):
            raise ValueError("the operator returned non-finite values")
        alpha[j] = h[j]
        scale = max(scale, abs(h[j]) + b)
        if j + 1 == m or j + 1 == n or b <= 64.0 * K.EPS * scale:
            steps = j + 1     # invariant subspace: the Gauss rule is exact
            break
        beta[j] = b
        V[j + 1] = w / b
    nodes, weights = np.zeros(m), np.zeros(m)
    if K.gauss_quadrature(alpha[:steps], beta[:steps], nodes[:steps], weights[:steps]) < 0:
        raise RuntimeError("tridiagonal QL failed to converge")  # pragma: no cover
    return nodes, weights, steps


def slq_density(op, n=None, n_probes=10, m=80, grid=None, n_grid=1000, sigma=None, seed=0):
    """Spectral density of a symmetric operator by stochastic Lanczos quadrature.

    For each Rademacher probe z (normalized), m Lanczos steps give a tridiagonal
    T_m with eigenvalues theta_i and eigenvectors s_i; the Gauss rule
    (theta_i, tau_i = s_{1i}^2) integrates against the probe's spectral measure
    sum_j (q_j^T z)^2 delta(lambda - lambda_j), whose average over probes is the
    eigenvalue distribution (1/n) sum_j delta(lambda - lambda_j).  Each point mass
    is replaced by a Gaussian of width sigma:

        phi(t) = (1 / n_probes) sum_l sum_i tau_i^(l) N(t; theta_i^(l), sigma^2).

    Parameters
    ----------
    op : operator
        As for :func:`newtonlab.analysis.lanczos`.
    n_probes : int
        Number of probes (Ubaru et al. use 10-30; the bulk shape needs few).
    m : int
        Lanczos steps per probe (Ghorbani et al.: 90); capped at n.
    grid : array, optional
        Evaluation points; default ``n_grid`` points spanning the nodes +/- 5 sigma.
    sigma : float, optional
        Gaussian width; default (theta_max - theta_min) / (2 m): half the typical
        spacing of one probe's Gauss nodes (~ width / m).  Chosen by looking at
        chained Rosenbrock (n = 1000): width / (8 m) and / (4 m) left ripples of
        10x in the bulk (the probes' nodes nearly coincide, so averaging does not
        smooth them); width / (2 m) follows the exact histogram and still shows
        single outlying eigenvalues as separate peaks.
    seed : int
        Seed of the probes.

    Returns
    -------
    SpectralDensity

    Examples
    --------
    >>> import numpy as np
    >>> from newtonlab.analysis import slq_density
    >>> A = np.diag(np.linspace(-1.0, 1.0, 400))
    >>> sd = slq_density(A, n_probes=4, m=30, seed=0)
    >>> round(float(np.trapezoid(sd.density, sd.grid)), 3)
    1.0

    References
    ----------
    Ubaru, S., Chen, J. & Saad, Y. (2017). Fast estimation of tr(f(A)) via
    stochastic Lanczos quadrature. SIAM J. Matrix Anal. Appl. 38(4), 1075-1099.
    Ghorbani, B., Krishnan, S. & Xiao, Y. (2019). An investigation into neural net
    optimization via Hessian eigenvalue density. ICML, PMLR 97.
    """
    matvec, n = as_matvec(op, n)
    n_probes, m = int(n_probes), min(int(m), n)
    if n_probes < 1 or m < 1:
        raise ValueError(f"n_probes and m must be >= 1, got {n_probes}, {m}")
    rng = np.random.default_rng(seed)
    V = np.zeros((m, n))
    h, c = np.zeros(m), np.zeros(m)
    nodes, weights = np.zeros((n_probes, m)), np.zeros((n_probes, m))
    nmv = 0
    for l in range(n_probes):
        z = rng.choice(np.array([-1.0, 1.0]), size=n)
        nodes[l], weights[l], steps = _lanczos_gauss(matvec, z, m, V, h, c)
        nodes[l, steps:] = nodes[l, steps - 1]   # padding carries zero weight
        nmv += steps
    lo, hi = float(nodes.min()), float(nodes.max())
    if sigma is None:
        sigma = (hi - lo) / (2.0 * m) if hi > lo else max(abs(hi), 1.0) * 1e-3
    sigma = float(sigma)
    if not sigma > 0.0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    if grid is None:
        grid = np.linspace(lo - 5.0 * sigma, hi + 5.0 * sigma, int(n_grid))
    grid = np.ascontiguousarray(grid, dtype=np.float64)
    density = np.empty(grid.size)
    K.gaussian_density(nodes.ravel(), weights.ravel() / n_probes, grid, sigma, density)
    return SpectralDensity(grid, density, nodes, weights, sigma, nmv)
