"""Objective evaluation inside the engine: the user's callables, as given.

An objective is the tuple ``ob = (fun, jac, fused, hess, hessp, grad_mode,
hess_mode, hessp_mode, fscale)`` of the user's own functions in scipy's
convention (``fun(x, *args)``, ...; unused slots hold placeholders), three
integers saying how to get each derivative, and a scale: every value returned
here is that of ``fscale * f`` (1: the user's f; see :func:`scaled`).  Compiled drivers receive the functions as
first-class function values of fixed signatures (``signatures.py``), so a
driver compiled and cached once (for the context args, ``context.py``) serves
every objective and args type with no loop to compile per objective: a warm
process compiles nothing.

Only these functions call the user's code.  They are dual-mode
(``config.dual``, numba's ``register_jitable``): compiled into a compiled
driver, plain Python when the driver's own source runs interpreted, so both
execution modes evaluate identically.

Finite differences follow scipy's step rules: forward differences with
h = eps^(1/2) max(1, |x_i|) sign(x_i), central with eps^(1/3); Hessians by
differences of the gradient, symmetrized; Hessian-vector products by central
differences of the gradient with h = eps^(1/3) max(1, ||x||) / ||v||.
"""
import numpy as np

from . import kernels as K
from .config import dual, jit, release

# how the gradient is obtained
G_JAC = 0        # jac(x, *args)
G_FUSED = 1      # fun(x, *args) -> (f, g)
G_FD2 = 2        # forward differences of fun
G_FD3 = 3        # central differences of fun
# how the Hessian is obtained
H_NONE = 0
H_ANALYTIC = 1   # hess(x, *args)
H_FD2 = 2        # forward differences of the gradient
H_FD3 = 3        # central differences of the gradient
# how Hessian-vector products are obtained
HP_NONE = 0
HP_ANALYTIC = 1  # hessp(x, p, *args)
HP_FROM_HESS = 2  # hess(x, *args) @ p
HP_FD = 3        # central differences of the gradient

EPS = 2.220446049250313e-16


@jit
def fd_step(xi, central):
    """scipy's relative step for one coordinate, made exactly representable."""
    r = EPS ** (1.0 / 3.0) if central else EPS ** 0.5
    h = r * (1.0 if xi >= 0.0 else -1.0) * max(1.0, abs(xi))
    return (xi + h) - xi


@dual
def fd_gradient(fun, x, f0, args, g, central):
    """Gradient of ``fun`` by forward (f0 = fun(x)) or central differences, into g."""
    xw = x.copy()
    for i in range(x.size):
        xi = x[i]
        h = fd_step(xi, central)
        xw[i] = xi + h
        fp = fun(xw, *args)
        if central:
            xw[i] = xi - h
            fm = fun(xw, *args)
            g[i] = (fp - fm) / (2.0 * h)
        else:
            g[i] = (fp - f0) / h
        xw[i] = xi


@dual
def scaled(ob, c):
    """``ob`` evaluating c times its objective (gtol_scale="g0": the drivers run on
    f / ||g(x0)||_inf, so that f -> c f leaves every iterate and count unchanged)."""
    return (ob[0], ob[1], ob[2], ob[3], ob[4], ob[5], ob[6], ob[7], c * ob[8])


@dual
def _scale(v, c):
    """v *= c (c != 1)."""
    for i in range(v.size):
        v[i] *= c


@dual
def scale_point(f, g, c):
    """(c f, with g *= c): a point's values moved to or from a scaled objective."""
    _scale(g, c)
    return c * f


@dual(borrow=True)
def eval_fg(ob, x, g, args):
    """f(x) (times ob's scale), with the gradient written into g.

    It borrows x and g (``config.jit_borrow``: no reference counts, several atomic
    operations per evaluation fewer); the gradient the user's function returns, a new
    array, is taken and released by the borrowing :func:`_jac_into` or
    :func:`_fused_into`."""
    mode = ob[5]
    if mode == G_FUSED:
        f = _fused_into(ob[2], x, g, args)
    elif mode == G_JAC:
        f = ob[0](x, *args)
        _jac_into(ob[1], x, g, args)
    else:
        f = ob[0](x, *args)
        fd_gradient(ob[0], x, f, args, g, mode == G_FD3)
    c = ob[8]
    if c != 1.0:
        f *= c
        _scale(g, c)
    return f


# The wrappers below borrow x and the output array (no reference counts: two atomic
# operations per argument on entry and exit, at every evaluation) and release the array the
# user's function returns once it is copied (``config.release``): what a reference-counted
# wrapper frees, they free.

@dual(borrow=True)
def _jac_into(jac, x, g, args):
    """g = jac(x, *args)."""
    _take_gradient(jac(x, *args), g)


@dual(borrow=True)
def _fused_into(fused, x, g, args):
    """f, with g written: fused(x, *args) -> (f, g)."""
    f, gv = fused(x, *args)
    _take_gradient(gv, g)
    return f


@dual(inline=True)
def _take_gradient(gv, g):
    """g[:] = gv, the gradient a user's function returned, once its shape is checked; then
    gv is released.  Only for borrowing callers (above): a counted one would free it twice."""
    if gv.shape[0] != g.shape[0]:
        release(gv)
        # a constant message: formatting numbers would compile numba's string machinery
        # into every driver (~1 s); the Python layer reports shapes for Python callables
        raise ValueError("jac must return an array of shape (n,) like x0")
    # a compiled copy, not g[:] = gv: slice assignment compiles numba's shape-error message
    # builder into every driver (~2 s)
    K.copy_into(gv, g)
    release(gv)


@dual
def fd_hessian(ob, x, H, args, central):
    """Hessian from differences of the gradient, symmetrized, into H."""
    n = x.size
    xw = x.copy()
    gp = np.empty(n)
    gm = np.empty(n)
    if not central:
        eval_fg(ob, x, gm, args)
    for j in range(n):
        xj = x[j]
        h = fd_step(xj, central)
        xw[j] = xj + h
        eval_fg(ob, xw, gp, args)
        if central:
            xw[j] = xj - h
            eval_fg(ob, xw, gm, args)
            for i in range(n):
                H[i, j] = (gp[i] - gm[i]) / (2.0 * h)
        else:
            for i in range(n):
                H[i, j] = (gp[i] - gm[i]) / h
        xw[j] = xj
    for i in range(n):
        for j in range(i):
            H[i, j] = H[j, i] = 0.5 * (H[i, j] + H[j, i])


# what eval_hess / eval_hessp found (the drivers stop on NONFINITE, count ASYMMETRIC)
CURV_OK = 0
CURV_ASYMMETRIC = 1   # the user's Hessian was not symmetric beyond SYM_RTOL ||H||: symmetrized
CURV_NONFINITE = 2    # a NaN or inf entry
SYM_RTOL = 1e-8


@dual(borrow=True)
def eval_hess(ob, x, H, args):
    """The Hessian at x, written into H, symmetric; returns a CURV_* code.

    A user's Hessian that is not symmetric (max |H - H^T| > SYM_RTOL max |H|) is
    replaced by (H + H^T) / 2, the symmetric matrix nearest to it in the
    Frobenius norm, which every factorization and eigen-solver here assumes.
    It borrows its arrays, as :func:`eval_fg`.
    """
    mode = ob[6]
    if mode == H_ANALYTIC:
        _hess_into(ob[3], x, H, args)
        if ob[8] != 1.0:
            _scale(H.reshape(H.size), ob[8])
    elif mode == H_FD2 or mode == H_FD3:
        fd_hessian(ob, x, H, args, mode == H_FD3)
    else:
        raise ValueError("this method needs the Hessian: pass hess=")
    return K.symmetrize(H, SYM_RTOL)


@dual(inline=True)
def _square(Hv, n):
    """Hv, the matrix a user's hess returned, once its shape is checked to be (n, n); else
    it is released and refused.  Only for borrowing callers (below), which release it when
    done: a counted caller would free it twice."""
    if Hv.shape[0] != n or Hv.shape[1] != n:
        release(Hv)
        raise ValueError("hess must return an array of shape (n, n), n = len(x0)")
    return Hv


@dual(borrow=True)
def _hess_into(hess, x, H, args):
    """H = hess(x, *args) (borrowing, as :func:`_jac_into`)."""
    Hv = _square(hess(x, *args), x.shape[0])
    K.copy_matrix(Hv, H)
    release(Hv)


@dual(borrow=True)
def eval_hessp(ob, x, v, out, args):
    """The Hessian at x times v, written into out; returns CURV_OK or CURV_NONFINITE.
    It borrows its arrays, as :func:`eval_fg`."""
    mode = ob[7]
    if mode == HP_ANALYTIC:
        _hessp_into(ob[4], x, v, out, args)
    elif mode == HP_FROM_HESS:
        _hess_times(ob[3], x, v, out, args)
    elif mode == HP_FD:
        fd_hessp(ob, x, v, out, args)
        return CURV_OK if K.all_finite(out) else CURV_NONFINITE
    else:
        raise ValueError("this method needs Hessian-vector products: pass hessp= or hess=")
    if ob[8] != 1.0:
        _scale(out, ob[8])
    return CURV_OK if K.all_finite(out) else CURV_NONFINITE


@dual(borrow=True)
def _hessp_into(hessp, x, v, out, args):
    """out = hessp(x, v, *args) (borrowing, as :func:`_jac_into`)."""
    r = hessp(x, v, *args)
    if r.shape[0] != x.shape[0]:
        release(r)
        raise ValueError("hessp must return an array of shape (n,) like x0")
    K.copy_into(r, out)
    release(r)


@dual(borrow=True)
def _hess_times(hess, x, v, out, args):
    """out = hess(x, *args) v (borrowing, as :func:`_jac_into`)."""
    Hv = _square(hess(x, *args), x.shape[0])
    K.matvec(Hv, v, out)
    release(Hv)


@dual
def fd_hessp(ob, x, v, out, args):
    """H(x) v by central differences of the (scaled) gradient, into out."""
    n = x.size
    # scaled norms (kernels.norm2): sqrt(x^T x) overflows for ||x|| > 1.3e154
    vn = K.norm2(v)
    if vn == 0.0:
        K.fill(out, 0.0)
        return
    h = EPS ** (1.0 / 3.0) * max(1.0, K.norm2(x)) / vn
    xh = np.empty(n)
    gm = np.empty(n)
    K.trial_point(x, v, h, xh)
    eval_fg(ob, xh, out, args)
    K.trial_point(x, v, -h, xh)
    eval_fg(ob, xh, gm, args)
    # loops, not out[:] = ...: slice assignment compiles numba's shape-error
    # message builder (string formatting, ~1 s) into every driver
    for i in range(n):
        out[i] = (out[i] - gm[i]) / (2.0 * h)
