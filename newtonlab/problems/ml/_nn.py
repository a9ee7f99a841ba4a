"""One compiled feed-forward network serving every network-shaped learning problem.

Why one engine: ``logistic``, ``mlp``, ``autoencoder`` and ``deep-linear`` are
all stacks of affine layers and elementwise activations under a loss matched
to the output layer.  Their architecture travels in the vector ``y`` of
``args = (X, y)``, so one set of compiled functions serves all four problems
and every instance, as one compiled solver serves every ``args`` of type
``(float64[:, ::1], float64[::1])``.  The layer products are BLAS calls
(``np.dot``): 4-8 times faster than loops here (benchmarks/results_hf.md).

Layout.  Row i of ``X`` is sample i: its ``n_0`` inputs in columns
``0..n_0-1``, its targets from column ``t0`` on (``t0 = 0``: the inputs are
the targets, an autoencoder).  ``y`` is the specification
(:func:`._data.pack_spec`)::

    y = [L, lam, bias, loss, t0, n_0, ..., n_L, act_1, ..., act_L]

for ``L`` weight layers of widths ``n_0 -> ... -> n_L``.  x stacks, layer by
layer, ``W_l`` (n_l, n_{l+1}) row-major, then (if ``bias``) ``b_l``.  The
objective is the MEAN loss over the samples plus ``lam/2 sum_l ||W_l||^2``
(biases unpenalised).  The output losses are matching losses (Schraudolph
2002), convex in the output pre-activations z: squared error, Bernoulli
cross-entropy on logits, softmax cross-entropy on logits; so the generalized
Gauss-Newton matrix ``G = J^T H_L J + lam I_W`` (J = dz/dx, H_L the Hessian
of the loss in z) is positive semidefinite.

``net_hessp`` is Pearlmutter's (1994) R-operator: a forward pass of
directional derivatives R{.} = d/dt (.)(x + t v) at t = 0, then the backward
pass differentiated along v: the exact H v for about two gradients.
``net_ggnp`` is the same forward R-pass (J v) and an ordinary backward pass
of ``H_L J v`` (Schraudolph 2002; Martens 2010).  ``net_hess`` assembles H
column by column from exact products.

References
----------
Pearlmutter, B. A. (1994). Fast exact multiplication by the Hessian. Neural
Computation 6(1), 147-160.  Schraudolph, N. N. (2002). Fast curvature
matrix-vector products for second-order gradient descent. Neural Computation
14(7), 1723-1738.  Martens, J. (2010). Deep learning via Hessian-free
optimization. ICML.
"""
from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

from ..._engine.config import jit
from ._data import HEAD as _HEAD


# ------------------------------------------------------------------ layout
@register_jitable
def _layout(y):
    """(L, bias, widths n_0..n_L, offsets): W_l starts at off[l]; off[L] = n."""
    L = int(y[0])
    bias = y[2] != 0.0
    w = np.empty(L + 1, np.int64)
    off = np.zeros(L + 1, np.int64)
    for l in range(L + 1):
        w[l] = int(y[_HEAD + l])
        if l > 0:
            off[l] = off[l - 1] + w[l - 1] * w[l] + (w[l] if bias else 0)
    return L, bias, w, off


@register_jitable
def _act(y, l):
    """Activation code of hidden layer l (1..L-1)."""
    return int(y[_HEAD + int(y[0]) + l])


# ------------------------------------------------ products, by BLAS (module docstring)

@register_jitable
def _weights(x, o, a, b):
    """W = x[o:o+a*b] as an (a, b) row-major matrix (a view)."""
    return x[o:o + a * b].reshape((a, b))


@register_jitable
def _affine(Z, A, x, o, bias):
    """Z += A W (+ b): W = x[o:o+a*b] read as (a, b) row-major, b right after it."""
    B, a = A.shape
    b = Z.shape[1]
    Z += np.dot(A, _weights(x, o, a, b))
    if bias:
        for r in range(B):
            for j in range(b):
                Z[r, j] += x[o + a * b + j]


@register_jitable
def _outer_add(A, D, g, o, bias):
    """g[W] += A^T D and g[b] += column sums of D (the layout of :func:`_affine`)."""
    B, a = A.shape
    b = D.shape[1]
    GW = np.dot(A.T.copy(), D)
    for i in range(a):
        for j in range(b):
            g[o + i * b + j] += GW[i, j]
    if bias:
        for r in range(B):
            for j in range(b):
                g[o + a * b + j] += D[r, j]


@register_jitable
def _back(D, x, o, a):
    """D W^T, shape (B, a), for W = x[o:o+a*b] as (a, b)."""
    return np.dot(D, _weights(x, o, a, D.shape[1]).T.copy())


# ------------------------------------------------------------- activations
@register_jitable
def _apply(Z, code):
    """Activation in place: identity, tanh or the logistic sigmoid."""
    if code == 1:
        for r in range(Z.shape[0]):
            for j in range(Z.shape[1]):
                Z[r, j] = np.tanh(Z[r, j])
    elif code == 2:
        for r in range(Z.shape[0]):
            for j in range(Z.shape[1]):
                e = np.exp(-abs(Z[r, j]))          # overflow-free logistic sigmoid
                Z[r, j] = 1.0 / (1.0 + e) if Z[r, j] >= 0.0 else e / (1.0 + e)


@register_jitable
def _dphi(a, code, order):
    """phi'(z) (order 1) or phi''(z) (order 2) from the activation a = phi(z)."""
    if code == 1:
        return 1.0 - a * a if order == 1 else -2.0 * a * (1.0 - a * a)
    if code == 2:
        return a * (1.0 - a) if order == 1 else a * (1.0 - a) * (1.0 - 2.0 * a)
    return 1.0 if order == 1 else 0.0


@register_jitable
def _times_d1(E, A, code):
    """E * phi'(Z), elementwise, in place (Z the pre-activation of A)."""
    if code != 0:
        for r in range(E.shape[0]):
            for j in range(E.shape[1]):
                E[r, j] *= _dphi(A[r, j], code, 1)
    return E


# ------------------------------------------------------------------ passes
@register_jitable
def _forward(x, X, y, idx):
    """Activations [A_0, ..., A_{L-1}, Z_L] of the samples idx (A_0: the inputs)."""
    L, bias, w, off = _layout(y)
    B = idx.shape[0]
    A = np.empty((B, w[0]))
    for r in range(B):
        for j in range(w[0]):
            A[r, j] = X[idx[r], j]
    As = [A]
    for l in range(L):
        Z = np.zeros((B, w[l + 1]))
        _affine(Z, As[l], x, off[l], bias)
        if l < L - 1:
            _apply(Z, _act(y, l + 1))
        As.append(Z)
    return As


@register_jitable
def _softmax(Z, r, P):
    """P[r] = softmax(Z[r]); returns logsumexp(Z[r])."""
    k = Z.shape[1]
    m = Z[r, 0]
    for j in range(1, k):
        m = max(m, Z[r, j])
    s = 0.0
    for j in range(k):
        P[r, j] = np.exp(Z[r, j] - m)
        s += P[r, j]
    for j in range(k):
        P[r, j] /= s
    return m + np.log(s)


@register_jitable
def _loss(Z, X, y, idx):
    """Summed loss over the batch and dloss/dz (B, n_L)."""
    code = int(y[3])
    t0 = int(y[4])
    B, k = Z.shape
    D = np.empty((B, k))
    f = 0.0
    for r in range(B):
        i = idx[r]
        if code == 2:                               # softmax cross-entropy
            c = int(X[i, t0])
            f += _softmax(Z, r, D) - Z[r, c]
            D[r, c] -= 1.0
        else:
            for j in range(k):
                z = Z[r, j]
                t = X[i, t0 + j]
                if code == 1:                       # Bernoulli cross-entropy on logits
                    e = np.exp(-abs(z))
                    f += max(z, 0.0) + np.log1p(e) - t * z
                    sg = 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)
                    D[r, j] = sg - t
                else:                               # squared error
                    f += 0.5 * (z - t) * (z - t)
                    D[r, j] = z - t
    return f, D


@register_jitable
def _loss_hp(Z, R, y):
    """H_L R, the Hessian of the per-sample loss in z times R (row by row)."""
    code = int(y[3])
    B, k = Z.shape
    out = np.empty((B, k))
    for r in range(B):
        if code == 2:
            _softmax(Z, r, out)
            pr = 0.0
            for j in range(k):
                pr += out[r, j] * R[r, j]
            for j in range(k):                      # (diag p - p p^T) R
                out[r, j] *= R[r, j] - pr
        elif code == 1:
            for j in range(k):
                e = np.exp(-abs(Z[r, j]))
                out[r, j] = e / ((1.0 + e) * (1.0 + e)) * R[r, j]
        else:
            for j in range(k):
                out[r, j] = R[r, j]
    return out


@register_jitable
def _backward(x, As, D, y, g):
    """Add to g the backpropagated gradient for output delta D (already scaled)."""
    L, bias, w, off = _layout(y)
    for l in range(L - 1, -1, -1):
        _outer_add(As[l], D, g, off[l], bias)
        if l > 0:
            D = _times_d1(_back(D, x, off[l], w[l]), As[l], _act(y, l))


@register_jitable
def _rforward(x, v, As, y):
    """Pearlmutter's forward R-pass: [_, R{Z_1}, ..., R{Z_L}] (pre-activations)."""
    L, bias, w, off = _layout(y)
    B = As[0].shape[0]
    RZs = [np.zeros((0, 0))]
    for l in range(L):
        RZ = np.zeros((B, w[l + 1]))
        _affine(RZ, As[l], v, off[l], bias)         # A_l V_l + c_l
        if l > 0:                                   # + R{A_l} W_l, with R{A_0} = 0
            _affine(RZ, _times_d1(RZs[l].copy(), As[l], _act(y, l)), x, off[l], False)
        RZs.append(RZ)
    return RZs


@register_jitable
def _rbackward(x, v, As, D, RZs, RD, y, out):
    """Add to out the backward R-pass: R{grad} = H v (D, RD: output delta and its R)."""
    L, bias, w, off = _layout(y)
    for l in range(L - 1, -1, -1):
        _outer_add(As[l], RD, out, off[l], bias)   # A_l^T R{delta} (+ R{bias grad})
        if l > 0:
            code = _act(y, l)                       # + R{A_l}^T delta
            _outer_add(_times_d1(RZs[l].copy(), As[l], code), D, out, off[l], False)
            E = _back(D, x, off[l], w[l])
            RE = _back(RD, x, off[l], w[l])
            EV = _back(D, v, off[l], w[l])
            A, RZ = As[l], RZs[l]
            for r in range(E.shape[0]):             # R{delta_l} and delta_l
                for j in range(E.shape[1]):
                    d1 = _dphi(A[r, j], code, 1)
                    RE[r, j] = ((RE[r, j] + EV[r, j]) * d1
                                + E[r, j] * _dphi(A[r, j], code, 2) * RZ[r, j])
                    E[r, j] *= d1
            RD, D = RE, E


@register_jitable
def _penalty(x, y, g, scale):
    """Add scale * lam * x_W to g over the weights; return lam/2 ||x_W||^2."""
    lam = y[1]
    L, bias, w, off = _layout(y)
    s = 0.0
    for l in range(L):
        for j in range(off[l], off[l] + w[l] * w[l + 1]):
            s += x[j] * x[j]
            g[j] += scale * lam * x[j]
    return 0.5 * lam * s


@register_jitable
def _fg(x, X, y, idx, grad):
    As = _forward(x, X, y, idx)
    f, D = _loss(As[-1], X, y, idx)
    B = max(idx.shape[0], 1)
    g = np.zeros(x.shape[0])
    if grad:
        _backward(x, As, D / B, y, g)
    return f / B + _penalty(x, y, g, 1.0 if grad else 0.0), g


@register_jitable
def _curv(x, v, X, y, As, D, exact):
    """H v (exact) or G v from the forward pass As and output delta D (scaled)."""
    B = max(As[0].shape[0], 1)
    RZs = _rforward(x, v, As, y)
    RD = _loss_hp(As[-1], RZs[-1], y) / B
    out = np.zeros(x.shape[0])
    if exact:
        _rbackward(x, v, As, D, RZs, RD, y, out)
    else:
        _backward(x, As, RD, y, out)
    _penalty(v, y, out, 1.0)
    return out


# ------------------------------------------------------------ entry points
@jit
def net_fun(x, X, y):
    """Mean loss over all samples plus lam/2 ||W||^2."""
    return _fg(x, X, y, np.arange(X.shape[0]), False)[0]


@jit
def net_jac(x, X, y):
    """Gradient of :func:`net_fun` by backpropagation."""
    return _fg(x, X, y, np.arange(X.shape[0]), True)[1]


@jit
def net_fg(x, X, y):
    """Value and gradient of :func:`net_fun` from one forward and one backward pass."""
    return _fg(x, X, y, np.arange(X.shape[0]), True)


@jit
def net_batch_fg(x, idx, X, y):
    """Mean loss and gradient over the samples idx (plus the full penalty)."""
    return _fg(x, X, y, idx, True)


@jit
def net_hessp(x, v, X, y):
    """Exact Hessian-vector product H v by Pearlmutter's R-operator."""
    idx = np.arange(X.shape[0])
    As = _forward(x, X, y, idx)
    D = _loss(As[-1], X, y, idx)[1] / max(idx.shape[0], 1)
    return _curv(x, v, X, y, As, D, True)


@jit
def net_ggnp(x, v, X, y):
    """Generalized Gauss-Newton product (J^T H_L J + lam I_W) v (Schraudolph 2002)."""
    idx = np.arange(X.shape[0])
    As = _forward(x, X, y, idx)
    return _curv(x, v, X, y, As, As[-1], False)


@jit
def net_hess(x, X, y):
    """Dense Hessian, one exact R-operator product per column (small networks)."""
    n = x.shape[0]
    idx = np.arange(X.shape[0])
    As = _forward(x, X, y, idx)
    D = _loss(As[-1], X, y, idx)[1] / max(idx.shape[0], 1)
    H = np.empty((n, n))
    e = np.zeros(n)
    for i in range(n):
        e[i] = 1.0
        col = _curv(x, e, X, y, As, D, True)
        e[i] = 0.0
        for j in range(n):
            H[j, i] = col[j]
    for i in range(n):                              # symmetrise the rounding
        for j in range(i):
            H[i, j] = H[j, i] = 0.5 * (H[i, j] + H[j, i])
    return H


@jit
def net_batch_hessp(x, v, idx, X, y):
    """Exact Hessian-vector product of the mean loss over the samples idx (plus the full
    penalty): over all samples it is :func:`net_hessp` (Martens 2010 §4.3)."""
    As = _forward(x, X, y, idx)
    D = _loss(As[-1], X, y, idx)[1] / max(idx.shape[0], 1)
    return _curv(x, v, X, y, As, D, True)


@jit
def net_batch_ggnp(x, v, idx, X, y):
    """Gauss-Newton product of the mean loss over the samples idx (plus the full penalty):
    over all samples it is :func:`net_ggnp` (Martens 2010 §4.3)."""
    As = _forward(x, X, y, idx)
    return _curv(x, v, X, y, As, As[-1], False)
