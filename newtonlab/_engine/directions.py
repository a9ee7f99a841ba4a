"""Search directions for the line-search driver, one small function each.

A direction function fills ``p`` and returns one diagnostic number for the
trace.  Quasi-Newton memory updates live here too, so the driver only says
*when* (after each accepted step) and the direction family says *how*.
Newton-CG's inner solver is the reverse-communication CG of ``tcg.py``.
"""
import math

import numpy as np

from . import kernels as K
from .config import jit

# direction families (the registry maps method names to these)
STEEPEST = 0
NEWTON = 1
BFGS = 2
LBFGS = 3
CG = 4                # nonlinear conjugate gradient (N&W §5.2)
NEWTON_CG = 5         # line-search Newton-CG (N&W Alg. 7.1)
SADDLE_FREE = 6       # saddle-free Newton, p = -|H|^{-1} g (Dauphin et al. 2014)

# nonlinear CG beta formulas (N&W §5.2)
BETA_PRP_PLUS = 0     # max(0, g^T (g - g_old) / g_old^T g_old), eqs. 5.44-5.45
BETA_FR = 1           # g^T g / g_old^T g_old, eq. 5.41a
BETA_HS = 2           # g^T y / p^T y, eq. 5.46
BETA_DY = 3           # g^T g / p^T y, eq. 5.49

# Hessian modifications for NEWTON
MOD_CHOLESKY = 0      # N&W Alg. 3.3: A + tau I, tau doubled until Cholesky succeeds
MOD_EIGFLOOR = 1      # eigenvalues floored at delta (N&W §3.4)
MOD_ABS = 2           # |eigenvalues| floored at delta (saddle-free Newton)

# quasi-Newton update rules when s^T y is too small
UPDATE_SKIP = 0
UPDATE_DAMPED = 1     # Powell damping (N&W Procedure 18.2)


@jit
def newton_direction(H, g, p, L, mod, beta, floor):
    """p = -(H + E)^{-1} g with E the chosen modification; returns the shift
    tau (Cholesky) or the smallest eigenvalue of H (eigen modifications)."""
    if mod == MOD_CHOLESKY:
        tau = K.modified_cholesky_shift(H, beta, L)
        if not math.isfinite(tau):
            for i in range(g.size):
                p[i] = math.nan
            return tau
        K.neg(g, p)
        K.cholesky_solve(L, p, p)
        return tau
    return K.eigen_modified_direction(H, g, floor, mod == MOD_ABS, p)


@jit
def bfgs_update(H, s, y, g_old, alpha, sy, ss, yy, first, rule, eps, work):
    """Update the inverse Hessian H with the pair (s, y); returns 1.0 if skipped.

    The first accepted pair scales H0 = (s^T y / y^T y) I before updating
    (N&W eq. 6.20).  Pairs with s^T y <= eps ||s|| ||y|| are skipped, or with
    rule UPDATE_DAMPED replaced by Powell's damped y (N&W Proc. 18.2), using
    B s = -alpha g_old, which holds because p = -H g_old.
    """
    if rule == UPDATE_DAMPED:
        sBs = -alpha * K.dot(s, g_old)
        if sBs > 0.0 and sy < 0.2 * sBs:
            theta = 0.8 * sBs / (sBs - sy)
            yy = 0.0
            for i in range(s.size):
                y[i] = theta * y[i] - (1.0 - theta) * alpha * g_old[i]
                yy += y[i] * y[i]
            sy = theta * sy + (1.0 - theta) * sBs
    if not sy > eps * math.sqrt(ss * yy):
        return 1.0
    if first:
        K.set_identity(H, sy / yy)
    K.bfgs_inverse_update(H, s, y, 1.0 / sy, work)
    return 0.0


@jit
def lbfgs_push(S, Y, rho, head, count, s, y, sy):
    """Store (s, y) as the newest pair; returns the new (head, count)."""
    m = S.shape[0]
    head = (head + 1) % m
    for i in range(s.size):
        S[head, i] = s[i]
        Y[head, i] = y[i]
    rho[head] = 1.0 / sy
    return head, min(count + 1, m)


@jit
def cg_beta(g, g_old, y, p, rule):
    """Nonlinear CG beta_k for the rule (BETA_*) and the restart ratio |g^T g_old| / g^T g.

    ``y = g - g_old`` and ``p`` is the previous direction.  A NaN or infinite
    beta (a zero denominator) is returned as 0, a restart.
    """
    gg = 0.0
    go = 0.0
    oo = 0.0
    gy = 0.0
    py = 0.0
    for i in range(g.size):
        gg += g[i] * g[i]
        go += g[i] * g_old[i]
        oo += g_old[i] * g_old[i]
        gy += g[i] * y[i]
        py += p[i] * y[i]
    if rule == BETA_FR:
        beta = gg / oo
    elif rule == BETA_HS:
        beta = gy / py
    elif rule == BETA_DY:
        beta = gg / py
    else:
        beta = max(0.0, gy / oo)
    if not math.isfinite(beta):
        beta = 0.0
    return beta, abs(go) / gg


@jit
def cg_direction(g, beta, p):
    """p = -g + beta p (N&W eq. 5.41b), in place."""
    for i in range(g.size):
        p[i] = -g[i] + beta * p[i]


@jit
def relative_min_eigenvalue(A):
    """lambda_min(A) / max(1, max |lambda|): the scale-free saddle test of saddle-free Newton."""
    lam = np.linalg.eigvalsh(A)
    return lam[0] / max(1.0, abs(lam[0]), abs(lam[lam.size - 1]))
