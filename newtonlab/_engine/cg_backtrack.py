"""Hessian-free's CG solve with kept iterates (Martens 2010, §4.6) and its preconditioner (§4.7).

CG-iteration backtracking: while CG runs, the iterates z_i with
i = ceil(GAMMA^j), j = 0, 1, 2, ... (1, 2, 3, 4, 5, 7, 9, 11, 14, 18, 24, ...
for GAMMA = 1.3) are copied into the rows of ``keep``, with their iteration
index and damped model value phi_i (``kinfo[k] = (i, phi_i)``); the last
iterate is appended when the solve ends.  The method (``methods/hessian_free.py``) then
evaluates f(x + z_i) backwards from the last row while f decreases and takes
the best.  The storage state is held in the first KSIZE entries of a vector
``kst`` (NKEPT rows filled, NEXT = GAMMA^j of the next index to keep; the
method keeps its own scalars after them).  With no rows in ``keep`` nothing
is stored.

:func:`begin` / :func:`resume` wrap ``tcg.ptcg_start`` / ``tcg.ptcg_next`` as
``tr_driver.cg_begin`` / ``cg_resume`` wrap the plain CG: the forcing term
min(1/2, sqrt ||g||) ||g|| (N&W eq. 7.3), products by a dense B answered at
once, and the storage after every CG iteration.  :func:`precondition` writes
M = (s + lambda)^xi into the workspace (Martens' preconditioner with s in
place of the sum of squared per-sample gradients).
"""
import math

from . import kernels as K
from . import tcg as TC
from .config import jit_borrow, logic

GAMMA = 1.3          # Martens' zeta: keep the iterates at ceil(GAMMA^j)

# storage state layout (the first entries of the vector ``kst``)
NKEPT, NEXT = 0, 1
KSIZE = 2
# kinfo columns
KIT, KPHI = 0, 1


@jit_borrow
def capacity(maxit):
    """Rows ``keep`` needs for a solve of at most ``maxit`` iterations: every distinct
    ceil(GAMMA^j) <= maxit, and the last iterate."""
    count = 0
    last = 0
    a = 1.0
    while True:
        i = int(math.ceil(a))
        if i > maxit:
            break
        if i > last:
            count += 1
            last = i
        a *= GAMMA
    return count + 1


@jit_borrow
def store(kst, keep, kinfo, W, cst):
    """After a CG iteration: keep z_i (W[Z]) when i = cst[IT] is the next ceil(GAMMA^j)."""
    if keep.shape[0] == 0:
        return
    it = cst[TC.IT]
    if it < 1.0 or it != math.ceil(kst[NEXT]):
        return
    _keep(kst, keep, kinfo, W, cst)
    a = kst[NEXT]
    while math.ceil(a) <= it:
        a *= GAMMA
    kst[NEXT] = a


@jit_borrow
def _keep(kst, keep, kinfo, W, cst):
    """Append the CG iterate z_i (W[Z], i = cst[IT]) and its model value to ``keep``."""
    k = int(kst[NKEPT])
    for i in range(W.shape[1]):
        keep[k, i] = W[TC.Z, i]
    kinfo[k, KIT] = cst[TC.IT]
    kinfo[k, KPHI] = cst[TC.MODEL]
    kst[NKEPT] = k + 1.0


@logic
def begin(cst, W, hist, g, B, damp, maxit, meps, warm, kst, keep, kinfo):
    """Open a preconditioned damped CG solve (``tcg.ptcg_start``, W[MD] holding M) with the
    forcing term min(1/2, sqrt ||g||) ||g||; products by a dense B answered at once."""
    kst[NKEPT] = 0.0            # nothing kept; the next index to keep is ceil(GAMMA^0) = 1
    kst[NEXT] = 1.0
    gn = K.norm2(g)
    code = TC.ptcg_start(cst, W, hist, g, damp, min(0.5, math.sqrt(gn)) * gn, maxit, meps,
                         warm)
    return _dense(cst, W, hist, g, B, code, kst, keep, kinfo)


@logic
def resume(cst, W, hist, g, B, kst, keep, kinfo):
    """Continue after the loop wrote W[HV] = H W[V]."""
    code = TC.ptcg_next(cst, W, hist, g)
    store(kst, keep, kinfo, W, cst)
    return _dense(cst, W, hist, g, B, code, kst, keep, kinfo)


@logic
def _dense(cst, W, hist, g, B, code, kst, keep, kinfo):
    """Answer product requests with B W[V] while B is held as an (n, n) matrix; when the
    solve is done, append the last iterate to ``keep``."""
    while code == TC.NEED_PRODUCT and B.shape[0] == g.size:
        TC.matvec(B, W[TC.V], W[TC.HV])
        code = TC.ptcg_next(cst, W, hist, g)
        store(kst, keep, kinfo, W, cst)
    if code != TC.DONE or keep.shape[0] == 0:
        return code
    # the last iterate, unless it is the last kept one (a negative-curvature exit at the first
    # iteration of a cold start returns d0 = -M^{-1} g with cst[IT] = 0: appended as well)
    k = int(kst[NKEPT])
    it = cst[TC.IT]
    if k > 0 and it > 0.0 and kinfo[k - 1, KIT] == it:
        return code
    _keep(kst, keep, kinfo, W, cst)
    return code


@jit_borrow
def precondition(W, s, corr, lam, xi):
    """W[MD] = (corr s + lam)^xi, Martens' M = [diag(s) + lambda I]^xi (§4.7), with s the
    bias-corrected second moment corr * s."""
    for i in range(s.size):
        W[TC.MD, i] = (corr * s[i] + lam) ** xi


@jit_borrow
def second_moment(s, g, beta, k):
    """s = beta s + (1 - beta) g o g (Adam's v, ``k``-th update); returns the bias
    correction 1 / (1 - beta^k)."""
    for i in range(g.size):
        s[i] = beta * s[i] + (1.0 - beta) * g[i] * g[i]
    return 1.0 / (1.0 - beta ** k)
