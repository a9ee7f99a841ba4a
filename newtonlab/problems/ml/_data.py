"""Shared pieces of the learning problems: network specifications, seeded
initialisations and deterministic data generators.

Why here: the four network problems share one compiled engine
(:mod:`._nn`), which reads the architecture from the vector ``y`` of
``args = (X, y)``; packing that vector, drawing the initial weights and
generating the data are plain NumPy and belong together, away from the
compiled code.  Every generator takes a ``numpy.random.Generator`` so that a
problem is a deterministic function of its seed.

References
----------
Glorot, X. & Bengio, Y. (2010). Understanding the difficulty of training deep
feedforward neural networks. AISTATS.  Martens, J. (2010). Deep learning via
Hessian-free optimization. ICML, section 3.5 (sparse initialisation).
Hinton, G. E. & Salakhutdinov, R. R. (2006). Reducing the dimensionality of
data with neural networks. Science 313, 504-507 (the CURVES data).
"""
from __future__ import annotations

import numpy as np

#: Hidden-layer activation codes.
ACTS = {"identity": 0, "tanh": 1, "logistic": 2}
#: Output loss codes: squared error, Bernoulli cross-entropy on logits, softmax cross-entropy.
LOSSES = {"squared": 0, "bernoulli": 1, "softmax": 2}
#: y[0:HEAD] = L, lam, bias, loss, t0; then the widths, then the activation codes.
HEAD = 5


def pack_spec(widths, acts, loss, lam, bias=True, t0=None):
    """The specification vector ``y`` of a network.

    ``y = [L, lam, bias, loss, t0, n_0, ..., n_L, act_1, ..., act_L]``
    (``act_L = 0``: the output layer is affine, its nonlinearity is the loss's).

    Parameters
    ----------
    widths : sequence of int
        Layer widths ``n_0, ..., n_L``.
    acts : sequence of str
        The ``L - 1`` hidden activations, names from :data:`ACTS`.
    loss : str
        A name from :data:`LOSSES`.
    lam : float
        L2 weight penalty ``lam/2 ||W||^2`` (biases are not penalised).
    bias : bool, default True
        Whether the layers have biases.
    t0 : int, optional
        First target column of ``X``; default ``n_0`` (targets after the
        inputs); 0 makes the inputs the targets (an autoencoder).
    """
    L = len(widths) - 1
    if L < 1 or len(acts) != L - 1:
        raise ValueError("need L >= 1 layers and L - 1 hidden activations")
    t0 = widths[0] if t0 is None else t0
    codes = [ACTS[a] for a in acts] + [0]
    return np.array([L, lam, 1.0 if bias else 0.0, LOSSES[loss], t0, *widths, *codes],
                    dtype=np.float64)


def unpack_spec(y):
    """Inverse of :func:`pack_spec`: a dict (widths, acts, loss, lam, bias, t0)."""
    L = int(y[0])
    inv_a = {v: k for k, v in ACTS.items()}
    inv_l = {v: k for k, v in LOSSES.items()}
    return dict(widths=tuple(int(w) for w in y[HEAD:HEAD + L + 1]),
                acts=tuple(inv_a[int(a)] for a in y[HEAD + L + 1:HEAD + 2 * L]),
                loss=inv_l[int(y[3])], lam=float(y[1]), bias=bool(y[2]), t0=int(y[4]))


def n_params(widths, bias=True):
    """Number of parameters of a network with these widths."""
    return sum(a * b + (b if bias else 0) for a, b in zip(widths[:-1], widths[1:]))


def unflatten(x, widths, bias=True):
    """The list of (W_l, b_l) views of a parameter vector (b_l None without biases)."""
    out, o = [], 0
    for a, b in zip(widths[:-1], widths[1:]):
        W = x[o:o + a * b].reshape(a, b)
        o += a * b
        bb = None
        if bias:
            bb = x[o:o + b]
            o += b
        out.append((W, bb))
    return out


def glorot_uniform(rng, widths, bias=True):
    """Glorot & Bengio (2010) "normalized" initialisation; biases 0.

    W_l ~ U[-s, s] with s = sqrt(6 / (n_l + n_{l+1})), for tanh and linear units.
    """
    x = np.zeros(n_params(widths, bias))
    for W, _ in unflatten(x, widths, bias):
        s = np.sqrt(6.0 / (W.shape[0] + W.shape[1]))
        W[...] = rng.uniform(-s, s, W.shape)
    return x


def sparse_init(rng, widths, k=15, bias=True):
    """Martens' (2010) sparse initialisation; biases 0.

    Each unit gets ``min(k, fan_in)`` nonzero incoming weights drawn from
    N(0, 1) at randomly chosen inputs, the rest are 0 (Martens used k = 15).
    """
    x = np.zeros(n_params(widths, bias))
    for W, _ in unflatten(x, widths, bias):
        a, b = W.shape
        for j in range(b):
            rows = rng.choice(a, size=min(k, a), replace=False)
            W[rows, j] = rng.standard_normal(rows.size)
    return x


def curves(rng, n_samples, size=8, width=None):
    """CURVES-like images: smooth random curves drawn in grey-level ink.

    Following the construction of the CURVES data of Hinton & Salakhutdinov
    (2006) in outline, scaled down: each image is ``size x size``; three
    control points are drawn uniformly in the image, the quadratic curve
    through them (a parametric Lagrange interpolant at t = 0, 1/2, 1) is
    sampled at 8 * size points, and each pixel gets ink
    ``max_t exp(-d(pixel, curve(t))^2 / (2 width^2))``, so intensities lie in
    [0, 1] like the original's.  ``width`` (in pixels) defaults to
    ``0.06 * size``: strokes about a pixel wide at 16 x 16.

    Returns
    -------
    ndarray, shape (n_samples, size * size)
        One flattened image per row, row-major pixels.
    """
    width = 0.06 * size if width is None else width
    P = rng.uniform(0.1 * size, 0.9 * size, (n_samples, 3, 2)) - 0.5
    t = np.linspace(0.0, 1.0, 8 * size)
    lag = np.stack([2 * (t - 0.5) * (t - 1), -4 * t * (t - 1), 2 * t * (t - 0.5)])  # (3, T)
    pts = np.einsum("kt,skd->std", lag, P)                                # (S, T, 2)
    g = np.arange(size, dtype=float)
    gy, gx = np.meshgrid(g, g, indexing="ij")
    pix = np.stack([gx.ravel(), gy.ravel()], axis=1)                      # (size^2, 2)
    d2 = ((pix[None, :, None, :] - pts[:, None, :, :]) ** 2).sum(-1)      # (S, P, T)
    return np.ascontiguousarray(np.exp(-d2.min(axis=2) / (2.0 * width * width)))


def spirals(rng, n_samples, n_classes=3, turns=1.0, noise=0.2):
    """Interleaved 2-D spirals, one arm per class (the classic MLP test set).

    Sample i belongs to class ``i % n_classes``; along its arm the radius r is
    uniform in [0, 1] and the angle ``2 pi (turns r + c / n_classes)`` plus
    N(0, noise^2) radians.

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
    labels : ndarray, shape (n_samples,), float class indices
    """
    c = np.arange(n_samples) % n_classes
    r = rng.uniform(0.0, 1.0, n_samples)
    ang = 2 * np.pi * (turns * r + c / n_classes) + noise * rng.standard_normal(n_samples)
    X = np.stack([r * np.cos(ang), r * np.sin(ang)], axis=1)
    return X, c.astype(np.float64)
