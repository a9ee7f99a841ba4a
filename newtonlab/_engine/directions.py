"""Search directions for the line-search driver, one small function each.

A direction function fills ``p`` and returns one diagnostic number for the
trace.  Quasi-Newton memory updates live here too, so the driver only says
*when* (after each accepted step) and the direction family says *how*.
"""
import math

from . import kernels as K
from .config import jit

# direction families (the registry maps method names to these)
STEEPEST = 0
NEWTON = 1
BFGS = 2
LBFGS = 3

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
