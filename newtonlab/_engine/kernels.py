"""Leaf kernels: arrays and scalars in, arrays and scalars out, never callables.

Each kernel is one explicit loop (or a few fused ones) so that the same code
serves the compiled drivers and the interpreted ones: an interpreted driver
calls these compiled kernels, and no loop over vector elements ever runs in
Python.  Every kernel has a slow NumPy oracle in ``tests/test_kernels.py``.
"""
import math

from .config import jit_borrow, jit_reduce, logic


@jit_reduce
def dot(a, b):
    """a^T b."""
    s = 0.0
    for i in range(a.size):
        s += a[i] * b[i]
    return s


@jit_borrow
def norm_inf(a):
    """max_i |a_i|; NaN if any entry is NaN (so a NaN gradient never passes a test)."""
    m = 0.0
    for i in range(a.size):
        v = abs(a[i])
        if v > m or v != v:
            m = v
    return m


@jit_borrow
def norm2(a):
    """Euclidean norm, scaled to avoid overflow."""
    scale = norm_inf(a)
    if scale == 0.0 or not math.isfinite(scale):
        return scale
    s = 0.0
    for i in range(a.size):
        t = a[i] / scale
        s += t * t
    return scale * math.sqrt(s)


@jit_borrow
def all_finite(a):
    """True when every entry is finite."""
    for i in range(a.size):
        if not math.isfinite(a[i]):
            return False
    return True


@jit_borrow
def neg(a, out):
    """out = -a."""
    for i in range(a.size):
        out[i] = -a[i]


@jit_borrow
def trial_point(x, p, alpha, out):
    """out = x + alpha p."""
    for i in range(x.size):
        out[i] = x[i] + alpha * p[i]


@jit_borrow
def step_pair_gnorm(x_new, x, g_new, g, s, y):
    """s = x_new - x, y = g_new - g in one pass; returns (s^T y, ||s||_2^2, ||y||_2^2,
    ||g_new||_inf).  The line-search loop needs the norm at every accepted step, and a
    separate max over an n-vector costs as much as the pair (not vectorized: the NaN test).

    Plain (not reassociated) sums: a loop that stores and reduces gets runtime alias
    checks from LLVM, and with reassociation its vector and scalar paths round
    differently, so results would depend on where the arrays sit in memory.
    """
    sy = 0.0
    ss = 0.0
    yy = 0.0
    gmax = 0.0
    for i in range(x.size):
        gi = g_new[i]
        si = x_new[i] - x[i]
        yi = gi - g[i]
        s[i] = si
        y[i] = yi
        sy += si * yi
        ss += si * si
        yy += yi * yi
        v = abs(gi)
        if v > gmax or v != v:
            gmax = v
    return sy, ss, yy, gmax


@jit_borrow
def step_pair(x_new, x, g_new, g, s, y):
    """:func:`step_pair_gnorm` without the norm: (s^T y, ||s||_2^2, ||y||_2^2)."""
    sy, ss, yy, _ = step_pair_gnorm(x_new, x, g_new, g, s, y)
    return sy, ss, yy


@jit_borrow
def copy_into(src, dst):
    """dst[:] = src."""
    for i in range(src.size):
        dst[i] = src[i]


@jit_borrow
def fill(a, value):
    """a[:] = value."""
    for i in range(a.size):
        a[i] = value


@logic
def symmetrize(H, rtol):
    """H = (H + H^T) / 2 in place; returns 2 if H has a non-finite entry, 1 if it was
    asymmetric beyond rtol max|H_ij|, else 0 (the CURV_* codes of ``evaluate.py``).

    Vectorized passes: finiteness (:func:`_nonfinite_sum`), then the largest asymmetry
    row by row (:func:`_max_asymmetry`, reads only); an H that is exactly symmetric, as
    most Hessians are, is then left as it is, and only another is averaged.  (One scalar
    loop doing all three took 5.0 us at n = 100, every Hessian; these take 2.5,
    ``benchmarks/results_factor.md``.)  ``config.logic``: an interpreted run compiles the averaging
    only when a Hessian needs it."""
    if _nonfinite_sum(H) != 0.0:
        return 2
    amax = _max_asymmetry(H)
    if amax == 0.0:
        return 0
    return 1 if amax > rtol * _average_triangles(H) else 0


@jit_borrow
def _max_asymmetry(H):
    """max_{i > j} |H_ij - H_ji| (H finite), row by row."""
    amax = 0.0
    for i in range(1, H.shape[0]):
        amax = max(amax, _row_asymmetry(H, i))
    return amax


@jit_borrow
def _average_triangles(H):
    """H = (H + H^T) / 2 in place; returns max |H_ij| of H as it was given."""
    n = H.shape[0]
    hmax = 0.0
    for i in range(n):
        hmax = max(hmax, norm_inf(H[i]))
    for i in range(1, n):
        for j in range(i):
            a = H[i, j]
            b = H[j, i]
            H[i, j] = H[j, i] = 0.5 * a + 0.5 * b     # not (a + b) / 2: no overflow
    return hmax


@jit_reduce
def _row_asymmetry(H, i):
    """max_{j < i} |H_ij - H_ji| (H finite); a max reduction, vectorized."""
    amax = 0.0
    for j in range(i):
        amax = max(amax, abs(H[i, j] - H[j, i]))
    return amax


@jit_borrow
def _nonfinite_sum(H):
    """sum of 0 * H_ij: exactly 0 when every entry is finite, NaN otherwise (0 * inf and
    0 * NaN are NaN, and a NaN stays in any sum); row by row (:func:`_nonfinite_row`:
    a reduction over a 1-d row vectorizes, one over both indices did not: 0.5 against
    1.4 us at n = 100)."""
    t = 0.0
    for i in range(H.shape[0]):
        t += _nonfinite_row(H[i])
    return t


@jit_reduce
def _nonfinite_row(a):
    """sum of 0 * a_k, a pure reduction, vectorized (see :func:`_nonfinite_sum`)."""
    t = 0.0
    for k in range(a.size):
        t += a[k] * 0.0
    return t


@jit_borrow
def copy_matrix(src, dst):
    """dst[:, :] = src (same shapes), row by row: a 1-d loop vectorizes, and no
    shape-check machinery is compiled in."""
    for i in range(dst.shape[0]):
        s = src[i]
        d = dst[i]
        for j in range(d.size):
            d[j] = s[j]


@jit_borrow
def matvec(A, v, out):
    """out = A v for a dense (n, n) matrix, row by row with :func:`dot` (a loop: numba's
    BLAS dot compiles ~1 s of dispatch and shape checks into every caller)."""
    for i in range(v.size):
        out[i] = dot(A[i], v)


@jit_borrow
def matvec_t(A, v, out):
    """out = A^T v for a dense (n, n) matrix."""
    n = v.size
    for j in range(n):
        out[j] = 0.0
    for i in range(n):
        vi = v[i]
        for j in range(n):
            out[j] += A[i, j] * vi


@jit_borrow
def neg_matvec(A, v, out):
    """out = -A v for a dense (n, n) matrix."""
    matvec(A, v, out)
    for i in range(v.size):
        out[i] = -out[i]


@jit_borrow
def set_identity(A, gamma):
    """A = gamma I."""
    n = A.shape[0]
    for i in range(n):
        for j in range(n):
            A[i, j] = 0.0
        A[i, i] = gamma


@jit_borrow
def bfgs_inverse_update(H, s, y, rho, Hy):
    """BFGS update of the inverse Hessian approximation, in place (N&W eq. 6.17).

    H+ = (I - rho s y^T) H (I - rho y s^T) + rho s s^T, expanded to
    H+ = H - rho (s (Hy)^T + (Hy) s^T) + (rho^2 y^T H y + rho) s s^T,
    which costs two O(n^2) passes and no n x n temporary.  ``Hy`` is workspace.
    """
    n = s.size
    matvec(H, y, Hy)
    c = rho * rho * dot(y, Hy) + rho
    for i in range(n):
        for j in range(n):
            H[i, j] += c * s[i] * s[j] - rho * (s[i] * Hy[j] + Hy[i] * s[j])


@jit_borrow
def g_moved(g, g_seen, j0, j1):
    """g[j0:j1] != g_seen[j0:j1] anywhere (then copied into it): did g change since the
    last direction (L-BFGS: ``methods/lbfgs.py``)."""
    gb = g[j0:j1]
    gs = g_seen[j0:j1]
    moved = False
    for i in range(gb.size):
        if gb[i] != gs[i]:
            moved = True
        gs[i] = gb[i]
    return moved


@jit_borrow
def two_loop(g, S, Y, rho, head, count, gamma, alpha_buf, out):
    """L-BFGS two-loop recursion: out = -H_k g (N&W Alg. 7.4).

    S, Y are (m, n) circular buffers; the newest pair sits in row ``head`` and
    ``count`` pairs are stored.  H0 = gamma I, gamma = s^T y / y^T y (eq. 7.20).
    The inner products are :func:`dot` (vectorized, reads only); the updates are
    elementwise, so the result does not depend on memory layout (see step_pair).
    """
    m = S.shape[0]
    n = g.size
    for i in range(n):
        out[i] = -g[i]
    # the ring's index moved by a test, not %: an integer division per pair was ~8 % of a
    # two-loop at n = 2 (m = 10)
    j = head
    for _ in range(count):
        a = rho[j] * dot(S[j], out)
        alpha_buf[j] = a
        for i in range(n):
            out[i] -= a * Y[j, i]
        j = j - 1 if j > 0 else m - 1
    for i in range(n):
        out[i] *= gamma
    j = head - count + 1
    if j < 0:
        j += m
    for _ in range(count):
        c = alpha_buf[j] - rho[j] * dot(Y[j], out)
        for i in range(n):
            out[i] += c * S[j, i]
        j = j + 1 if j < m - 1 else 0
