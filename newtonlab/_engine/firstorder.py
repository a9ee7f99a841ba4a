"""First-order update rules: one allocation-free compiled kernel per rule.

Every kernel has the signature ``rule(x, g, S, t, lr, hp, xt) -> lr_used``:
it reads the iterate ``x`` and the gradient ``g`` (already stochastic or
noisy, if so), the step number ``t`` (1 for the first step, PyTorch's
``state["step"]``), the scheduled learning rate ``lr`` and the hyper-parameter
array ``hp`` (layout ``H_*`` below); it updates the state rows of ``S``
(shape (NSTATE, n), zero before the first step; each kernel documents its
rows) in place and writes the proposed next point into ``xt``.  It never
touches ``x``, so the driver can validate ``xt`` before committing it
(propose, evaluate, validate, commit).  It returns the learning rate in effect
(Adagrad's decayed rate; ``lr`` otherwise) for the trace's ``alpha`` column.

``d = g + wd * x`` below is PyTorch's L2 ``weight_decay`` (optax: chaining
``add_decayed_weights`` before the method, the same term).  ``hp[H_OPTAX]`` = 1
selects optax's form where the two libraries differ (docs/methods/first_order.md
lists every difference).  Each kernel has a NumPy oracle in tests/test_firstorder.py.

>>> import numpy as np
>>> x, g, S, xt = np.array([1.0]), np.array([2.0]), np.zeros((NSTATE, 1)), np.empty(1)
>>> step(GD, x, g, S, 1, 0.1, np.zeros(NHP), xt), xt.tolist()
(0.1, [0.8])
"""
import math

from .config import jit

# rule codes
(GD, MOMENTUM, VELOCITY, HEAVY_BALL, NESTEROV, LOOKAHEAD, ADAGRAD, RMSPROP, ADADELTA,
 ADAM, RPROP, LION, DBD) = range(13)
NSTATE = 3

# hyper-parameter array layout
(H_LR0, H_WD, H_MOMENTUM, H_DAMPENING, H_BETA1, H_BETA2, H_EPS, H_ALPHA, H_RHO, H_LR_DECAY,
 H_INIT_ACC, H_CENTERED, H_AMSGRAD, H_DECOUPLED, H_OPTAX, H_ETA_MINUS, H_ETA_PLUS, H_STEP_MIN,
 H_STEP_MAX, H_KAPPA, H_PHI, H_THETA, H_GAIN_MIN, H_GAIN_MAX) = range(24)
NHP = 24


@jit
def _sign(v):
    return 1.0 if v > 0.0 else (-1.0 if v < 0.0 else 0.0)


@jit
def sgd(x, g, S, t, lr, hp, xt):
    """Gradient descent: x+ = x - lr (g + wd x).  No state."""
    wd = hp[H_WD]
    for i in range(x.size):
        xt[i] = x[i] - lr * (g[i] + wd * x[i])
    return lr


@jit
def momentum(x, g, S, t, lr, hp, xt):
    """PyTorch SGD momentum: b = g (t = 1), b = mu b + (1 - tau) d; x+ = x - lr b.

    S[0] = b (momentum buffer).  mu = 0 is plain SGD, as in PyTorch.
    """
    mu = hp[H_MOMENTUM]
    tau = hp[H_DAMPENING]
    wd = hp[H_WD]
    for i in range(x.size):
        d = g[i] + wd * x[i]
        if mu != 0.0:
            d = d if t == 1 else mu * S[0, i] + (1.0 - tau) * d
            S[0, i] = d
        xt[i] = x[i] - lr * d
    return lr


@jit
def velocity(x, g, S, t, lr, hp, xt):
    """Velocity form (Sutskever et al. 2013 eq. 1; Goodfellow et al. Alg. 8.2).

    v = mu v - lr d;  x+ = x + v.   S[0] = v (v_0 = 0).
    """
    mu = hp[H_MOMENTUM]
    wd = hp[H_WD]
    for i in range(x.size):
        v = mu * S[0, i] - lr * (g[i] + wd * x[i])
        S[0, i] = v
        xt[i] = x[i] + v
    return lr


@jit
def heavy_ball(x, g, S, t, lr, hp, xt):
    """Polyak's heavy ball (1964): x+ = x - lr d + mu (x - x_prev).

    S[0] = x_prev, the previous iterate (the first step is a gradient step).
    """
    mu = hp[H_MOMENTUM]
    wd = hp[H_WD]
    for i in range(x.size):
        step = -lr * (g[i] + wd * x[i])
        if t > 1:
            step += mu * (x[i] - S[0, i])
        S[0, i] = x[i]
        xt[i] = x[i] + step
    return lr


@jit
def nesterov(x, g, S, t, lr, hp, xt):
    """PyTorch Nesterov (Sutskever form): b = mu b + d (b_1 = d); x+ = x - lr (d + mu b).

    S[0] = b.  The gradient is taken at the iterate itself (Bengio et al. 2013).
    """
    mu = hp[H_MOMENTUM]
    wd = hp[H_WD]
    for i in range(x.size):
        d = g[i] + wd * x[i]
        b = d if t == 1 else mu * S[0, i] + d
        S[0, i] = b
        xt[i] = x[i] - lr * (d + mu * b)
    return lr


@jit
def lookahead(x, g, S, t, lr, hp, xt):
    """Nesterov look-ahead form (Sutskever et al. 2013 eqs. 3-4).

    v = mu v - lr grad f(theta + mu v);  theta+ = theta + v.  ``x`` and ``xt``
    are look-ahead points y = theta + mu v, where the gradient is taken.
    S[0] = v, S[1] = theta (theta_1 = y_1 since v_0 = 0).
    """
    mu = hp[H_MOMENTUM]
    wd = hp[H_WD]
    for i in range(x.size):
        if t == 1:
            S[1, i] = x[i]
        v = mu * S[0, i] - lr * (g[i] + wd * x[i])
        S[0, i] = v
        S[1, i] = S[1, i] + v
        xt[i] = S[1, i] + mu * v
    return lr


@jit
def adagrad(x, g, S, t, lr, hp, xt):
    """Adagrad (Duchi et al. 2011), PyTorch: s += d^2; x+ = x - clr d / (sqrt(s) + eps).

    clr = lr / (1 + (t - 1) lr_decay).  optax: d / sqrt(s + eps), 0 where s = 0.
    S[0] = s, the sum of squared gradients (starts at initial_accumulator_value).
    """
    clr = lr / (1.0 + (t - 1) * hp[H_LR_DECAY])
    wd = hp[H_WD]
    eps = hp[H_EPS]
    optax = hp[H_OPTAX] != 0.0
    for i in range(x.size):
        if t == 1:
            S[0, i] = hp[H_INIT_ACC]
        d = g[i] + wd * x[i]
        s = S[0, i] + d * d
        S[0, i] = s
        if optax:
            u = d / math.sqrt(s + eps) if s > 0.0 else 0.0
        else:
            u = d / (math.sqrt(s) + eps)
        xt[i] = x[i] - clr * u
    return clr


@jit
def rmsprop(x, g, S, t, lr, hp, xt):
    """RMSprop (Hinton 2012; centered: Graves 2013), PyTorch form.

    v = a v + (1-a) d^2; centered: m = a m + (1-a) d, v~ = v - m^2;
    u = d / (sqrt(v~) + eps)  [optax: d / sqrt(v~ + eps)];
    momentum mu > 0: b = mu b + u, x+ = x - lr b  [optax: b = mu b + lr u, x+ = x - b];
    else x+ = x - lr u.   S[0] = v, S[1] = m, S[2] = b.
    """
    a = hp[H_ALPHA]
    eps = hp[H_EPS]
    mu = hp[H_MOMENTUM]
    wd = hp[H_WD]
    centered = hp[H_CENTERED] != 0.0
    optax = hp[H_OPTAX] != 0.0
    for i in range(x.size):
        d = g[i] + wd * x[i]
        v = a * S[0, i] + (1.0 - a) * d * d
        S[0, i] = v
        if centered:
            m = a * S[1, i] + (1.0 - a) * d
            S[1, i] = m
            v = v - m * m
        u = d / math.sqrt(v + eps) if optax else d / (math.sqrt(v) + eps)
        if mu > 0.0:
            b = mu * S[2, i] + (lr * u if optax else u)
            S[2, i] = b
            xt[i] = x[i] - (b if optax else lr * b)
        else:
            xt[i] = x[i] - lr * u
    return lr


@jit
def adadelta(x, g, S, t, lr, hp, xt):
    """Adadelta (Zeiler 2012, Alg. 1), as PyTorch and optax.

    v = rho v + (1-rho) d^2; delta = sqrt(u + eps) / sqrt(v + eps) d;
    u = rho u + (1-rho) delta^2; x+ = x - lr delta.   S[0] = v, S[1] = u.
    """
    rho = hp[H_RHO]
    eps = hp[H_EPS]
    wd = hp[H_WD]
    for i in range(x.size):
        d = g[i] + wd * x[i]
        v = rho * S[0, i] + (1.0 - rho) * d * d
        S[0, i] = v
        delta = math.sqrt(S[1, i] + eps) / math.sqrt(v + eps) * d
        S[1, i] = rho * S[1, i] + (1.0 - rho) * delta * delta
        xt[i] = x[i] - lr * delta
    return lr


@jit
def adam(x, g, S, t, lr, hp, xt):
    """Adam (Kingma & Ba 2015, Alg. 1), AMSGrad (Reddi et al. 2018), AdamW (Loshchilov & Hutter 2019).

    m = b1 m + (1-b1) d; v = b2 v + (1-b2) d^2; c1 = 1 - b1^t, c2 = 1 - b2^t;
    PyTorch: x+ = x - (lr / c1) m / (sqrt(v') / sqrt(c2) + eps), v' = v or, with
    amsgrad, vmax = max(vmax, v);  optax: x+ = x - lr (m/c1) / (sqrt(v'') + eps),
    v'' = v/c2 or vmax = max(vmax, v/c2).  Decoupled (AdamW) decay: d = g and
    PyTorch x <- x (1 - lr wd) first; optax x+ -= lr wd x.
    S[0] = m, S[1] = v, S[2] = vmax.
    """
    b1 = hp[H_BETA1]
    b2 = hp[H_BETA2]
    eps = hp[H_EPS]
    wd = hp[H_WD]
    amsgrad = hp[H_AMSGRAD] != 0.0
    decoupled = hp[H_DECOUPLED] != 0.0
    optax = hp[H_OPTAX] != 0.0
    c1 = 1.0 - b1 ** t
    c2 = 1.0 - b2 ** t
    step_size = lr / c1
    c2_sqrt = math.sqrt(c2)
    for i in range(x.size):
        xi = x[i]
        d = g[i] if decoupled else g[i] + wd * xi
        m = b1 * S[0, i] + (1.0 - b1) * d
        v = b2 * S[1, i] + (1.0 - b2) * d * d
        S[0, i] = m
        S[1, i] = v
        if optax:
            vh = v / c2
            if amsgrad:
                vh = max(S[2, i], vh)
                S[2, i] = vh
            u = (m / c1) / (math.sqrt(vh) + eps)
            xt[i] = xi - lr * (u + wd * xi) if decoupled else xi - lr * u
        else:
            if amsgrad:
                v = max(S[2, i], v)
                S[2, i] = v
            if decoupled:
                xi = xi * (1.0 - lr * wd)
            xt[i] = xi - step_size * (m / (math.sqrt(v) / c2_sqrt + eps))
    return lr


@jit
def rprop(x, g, S, t, lr, hp, xt):
    """Rprop without weight backtracking (iRprop-, Igel & Huesken 2000), as PyTorch.

    s = clip(s * (eta+ if g g_prev > 0, eta- if < 0, 1 if = 0), smin, smax)
    [optax: s unchanged, unclipped, when g g_prev = 0]; g = 0 where the sign
    flipped; x+ = x - (lr / lr0) s sign(g); g_prev = g.  Step sizes start at lr0
    (the base lr); a schedule scales the steps by lr / lr0.
    S[0] = g_prev, S[1] = s.
    """
    em = hp[H_ETA_MINUS]
    ep = hp[H_ETA_PLUS]
    smin = hp[H_STEP_MIN]
    smax = hp[H_STEP_MAX]
    scale = lr / hp[H_LR0]
    optax = hp[H_OPTAX] != 0.0
    for i in range(x.size):
        if t == 1:
            S[1, i] = hp[H_LR0]
        gi = g[i]
        p = gi * S[0, i]
        s = S[1, i]
        if p > 0.0:
            s = s * ep
        elif p < 0.0:
            s = s * em
            gi = 0.0
        if p != 0.0 or not optax:
            s = min(max(s, smin), smax)
        S[1, i] = s
        S[0, i] = gi
        xt[i] = x[i] - scale * s * _sign(gi)
    return lr


@jit
def lion(x, g, S, t, lr, hp, xt):
    """Lion (Chen et al. 2023, Alg. 2): c = b1 m + (1-b1) g; m = b2 m + (1-b2) g.

    Reference code: x+ = x (1 - lr wd) - lr sign(c); optax: x+ = x - lr (sign(c) + wd x).
    S[0] = m.
    """
    b1 = hp[H_BETA1]
    b2 = hp[H_BETA2]
    wd = hp[H_WD]
    optax = hp[H_OPTAX] != 0.0
    for i in range(x.size):
        c = b1 * S[0, i] + (1.0 - b1) * g[i]
        if optax:
            xt[i] = x[i] - lr * (_sign(c) + wd * x[i])
        else:
            xt[i] = x[i] * (1.0 - lr * wd) - lr * _sign(c)
        S[0, i] = b2 * S[0, i] + (1.0 - b2) * g[i]
    return lr


@jit
def delta_bar_delta(x, g, S, t, lr, hp, xt):
    """Local gains, delta-bar-delta rule (Jacobs 1988; Hinton's Coursera lecture 6d).

    gain += kappa if gbar g > 0; gain *= 1 - phi if gbar g < 0; gain clipped to
    [gain_min, gain_max]; x+ = x - lr gain g; gbar = (1 - theta) g + theta gbar.
    theta = 0 compares with the previous gradient (Hinton's local-gain rule).
    S[0] = gain (starts at 1), S[1] = gbar (starts at 0).
    """
    kappa = hp[H_KAPPA]
    phi = hp[H_PHI]
    theta = hp[H_THETA]
    gmin = hp[H_GAIN_MIN]
    gmax = hp[H_GAIN_MAX]
    for i in range(x.size):
        if t == 1:
            S[0, i] = 1.0
        p = S[1, i] * g[i]
        gain = S[0, i]
        if p > 0.0:
            gain = gain + kappa
        elif p < 0.0:
            gain = gain * (1.0 - phi)
        gain = min(max(gain, gmin), gmax)
        S[0, i] = gain
        xt[i] = x[i] - lr * gain * g[i]
        S[1, i] = (1.0 - theta) * g[i] + theta * S[1, i]
    return lr


@jit
def step(rule, x, g, S, t, lr, hp, xt):
    """Dispatch on the rule code; the one call the driver makes per step."""
    if rule == GD:
        return sgd(x, g, S, t, lr, hp, xt)
    if rule == MOMENTUM:
        return momentum(x, g, S, t, lr, hp, xt)
    if rule == VELOCITY:
        return velocity(x, g, S, t, lr, hp, xt)
    if rule == HEAVY_BALL:
        return heavy_ball(x, g, S, t, lr, hp, xt)
    if rule == NESTEROV:
        return nesterov(x, g, S, t, lr, hp, xt)
    if rule == LOOKAHEAD:
        return lookahead(x, g, S, t, lr, hp, xt)
    if rule == ADAGRAD:
        return adagrad(x, g, S, t, lr, hp, xt)
    if rule == RMSPROP:
        return rmsprop(x, g, S, t, lr, hp, xt)
    if rule == ADADELTA:
        return adadelta(x, g, S, t, lr, hp, xt)
    if rule == ADAM:
        return adam(x, g, S, t, lr, hp, xt)
    if rule == RPROP:
        return rprop(x, g, S, t, lr, hp, xt)
    if rule == LION:
        return lion(x, g, S, t, lr, hp, xt)
    return delta_bar_delta(x, g, S, t, lr, hp, xt)
