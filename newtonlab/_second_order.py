"""What a run's end point is (``res.kind``), and ``second_order=True``: escape saddles.

By default (``../shared/CONTRACT.md``) every result says what its end point is,
``res.kind`` in {"minimum", "saddle", "maximum", "degenerate", "unclassified"}
(:func:`end_point_kind`): from the Hessian a method already holds there
(newton, saddle-free-newton), or, for a run that passed the gradient test
where it started (nit 0: scipy#20213's complaint), from the curvature at x0
(the user's ``hess``/``hessp``, else finite differences of the gradient;
every evaluation counted).  A run that ends at a saddle or a maximum reports
status SADDLE, never plain success.  Elsewhere the point is "unclassified".


A gradient test alone cannot tell a minimizer from a saddle (scipy's
Newton-CG even reports success at a local maximum, scipy#20213).  With this
option, a run that passes the gradient test is classified with the Hessian
(``newtonlab.analysis.classify``); at a strict saddle the iterate takes a step
along the direction of most negative curvature, oriented downhill
(``newtonlab.analysis.escape_direction``), and the solver restarts from there.
A run that cannot get away (a maximum, or a saddle where no step along the
negative-curvature direction lowers f) ends with status SADDLE and
``success=False``.  The classification and every escape are reported in
``res.second_order``; the Hessian evaluations they cost are counted.
"""
import numpy as np

from ._engine import status as S
from ._engine import trace as T
from ._engine.evaluate import eval_fg
from ._kinds import ATOL, RTOL, kind_of_symmetric

from ._result import MESSAGES, Trace

_eval_fg = eval_fg


def _derivatives(obj, hess, hessp):
    """Counting Python callables for f, g and H built on the run's own objective."""
    counts = {"fg": 0, "hess": 0}
    n = obj.n

    def grad(x, *args):
        g = np.empty(n)
        _eval_fg(obj.ob, np.ascontiguousarray(x, dtype=float), g, obj.args)
        counts["fg"] += 1
        return g

    def fun(x, *args):
        counts["fg"] += 1
        return _eval_fg(obj.ob, np.ascontiguousarray(x, dtype=float), np.empty(n), obj.args)

    h = None
    if callable(hess):
        def h(x, *args):
            counts["hess"] += 1
            return hess(x, *args)
    hp = None
    if callable(hessp) and h is None:
        def hp(x, p, *args):
            counts["hess"] += 1
            return hessp(x, p, *args)
    return fun, grad, h, hp, counts


def _escape_step(fun, x, f, v, lam):
    """A downhill step along v: expand t while f keeps falling; None if nothing lowers f."""
    t = 1e-3 * max(1.0, np.linalg.norm(x)) / max(1.0, np.sqrt(abs(lam)))
    best_t, best_f = None, f
    for _ in range(60):
        ft = fun(x + t * v)
        if np.isfinite(ft) and ft < best_f:
            best_t, best_f = t, ft
        elif best_t is not None:
            break
        t *= 2.0
    return None if best_t is None else x + best_t * v


def _join(first, second):
    """One result for two consecutive runs: counts add, traces concatenate."""
    a, b = first.trace, second.trace
    data = b.data[1:].copy()
    data[:, T.ITER] += a.data[-1, T.ITER]
    for col in (T.NFEV, T.NJEV, T.NHEV, T.CLOCK):
        data[:, col] += a.data[-1, col]
    second.trace = Trace(np.vstack([a.data, data]), a.columns)
    for key in ("nit", "nfev", "njev", "nhev"):
        second[key] = first[key] + second[key]
    if "allvecs" in first:
        second["allvecs"] = first["allvecs"] + second["allvecs"][1:]
    return second


def second_order_run(run, obj, x0, hess, hessp, max_escapes):
    """``run(x0)``, then classify its end point and escape saddles (at most ``max_escapes``)."""
    from .analysis import classify, escape_direction
    from .analysis.classify import _fd_hessian
    fun, grad, h, hp, counts = _derivatives(obj, hess, hessp)
    res = run(x0)
    escapes = []
    cp = None
    while res.success or res.status == S.SADDLE:    # (saddle-free-newton's own saddle test)
        # the solver's gradient test already held: classify on curvature alone
        H = h(res.x) if h is not None else (None if hp is not None else _fd_hessian(grad, res.x))
        cp = classify(res.x, hess=H, hessp=hp if H is None else None)
        if cp.kind not in ("saddle", "maximum"):
            break
        lam, v = escape_direction(res.x, hess=H, hessp=hp if H is None else None, g=res.jac)
        x_new = _escape_step(fun, res.x, res.fun, v, lam) if len(escapes) < max_escapes else None
        if x_new is None:
            res.update(status=S.SADDLE, success=False, message=MESSAGES[S.SADDLE])
            break
        escapes.append({"x": res.x.copy(), "fun": res.fun, "kind": cp.kind, "lambda_min": lam})
        res = _join(res, run(x_new))
    res["second_order"] = {"kind": None if cp is None else cp.kind,
                           "eigenvalues": None if cp is None else cp.eigenvalues,
                           "escapes": escapes}
    res["kind"] = "saddle" if res.status == S.SADDLE and cp is None else \
        "unclassified" if cp is None else cp.kind
    nf, nj, nh = obj.cost.counts(counts["fg"], 0)
    res["nfev"] += nf
    res["njev"] += nj
    res["nhev"] += counts["hess"]
    return res


#: dense finite-difference Hessians up to this n at a nit-0 check; Lanczos products beyond
FD_DENSE_MAX = 64


def _fd_curvature(grad, x, g0):
    """(H, hessp): a forward-difference Hessian of ``grad`` at x (symmetrized) for small n,
    else forward-difference products, h = sqrt(eps) max(1, ||x||) / ||v|| (scipy's rule)."""
    n = x.size
    h0 = np.sqrt(np.finfo(float).eps) * max(1.0, np.linalg.norm(x))
    if n <= FD_DENSE_MAX:
        H = np.empty((n, n))
        for j in range(n):
            e = np.zeros(n)
            e[j] = h0
            H[:, j] = (grad(x + e) - g0) / h0
        return 0.5 * (H + H.T), None

    def hessp(x_, v):
        h = h0 / max(np.linalg.norm(v), 1e-300)
        return (grad(x + h * v) - g0) / h
    return None, hessp


def end_point_kind(res, m, obj, hess, hessp):
    """Set ``res.kind``; a successful run that ends at a saddle or maximum gets status SADDLE.

    Costs: nothing when the method holds the Hessian at res.x; at a nit-0 stop, one
    ``hess`` call, or Lanczos ``hessp`` products, or n + 1 gradient calls (n <= 64; beyond,
    two per product), added to the result's counts.
    """
    # (res["..."]: on every run, and OptimizeResult's attribute access costs ~0.5 us)
    if not (res["success"] or res["status"] == S.SADDLE):   # a method's own saddle test
        res["kind"] = "unclassified"
        return res
    H = res.get("hess")          # newton, saddle-free-newton: the Hessian at res.x
    hp = None
    counts = {"fg": 0, "hess": 0}
    if H is None and res["nit"] == 0:
        fun, grad, h, hp, counts = _derivatives(
            obj, hess if m.needs_hess else None, hessp if m.needs_hess or m.needs_hessp else None)
        if h is not None:      # the user's matrix: only its symmetric part is classified
            H = np.asarray(h(res.x), dtype=float)
            H = 0.5 * H + 0.5 * H.T
        elif hp is None:
            H, hp = _fd_curvature(grad, res.x, np.asarray(res.jac, dtype=float))
    if H is None and hp is None:
        res["kind"] = "saddle" if res["status"] == S.SADDLE else "unclassified"
        return res
    try:
        if H is not None:
            # classify's dense rule without its Python overhead, a minimum proven by one
            # Cholesky factorization (on every successful newton run).  H is symmetric (a
            # method's H was symmetrized by the engine as it was evaluated)
            kind = kind_of_symmetric(H, RTOL["analytic"], ATOL["analytic"])
        else:
            # imported here: only a run without the Hessian matrix loads newtonlab.analysis
            from .analysis.classify import classify
            kind = classify(res.x, hessp=hp).kind
    except (ValueError, np.linalg.LinAlgError):      # e.g. curvature overflowing to inf
        res["kind"] = "unclassified"
        return res
    res["kind"] = kind
    nf, nj, _ = obj.cost.counts(counts["fg"], 0)
    res["nfev"] += nf
    res["njev"] += nj
    res["nhev"] += counts["hess"]
    if kind in ("saddle", "maximum"):
        res.update(status=S.SADDLE, success=False, message=MESSAGES[S.SADDLE])
    return res
