"""``newtonlab.minimize``: the scipy.optimize.minimize-compatible front door."""
import inspect
import warnings

import numpy as np
from scipy.optimize import Bounds, OptimizeResult

from . import _options, _scipy_names
from ._interrupts import user_code
from ._objective import check_x0, make_objective
from ._registry import METHODS, get_method
from ._run import run_method
from ._second_order import end_point_kind, second_order_run

def _wrap_callback(callback):
    """Both scipy callback forms -> the driver's cb(k, x, f, g) -> int (1 = stop)."""
    if callback is None:
        return None
    if not callable(callback):
        raise ValueError(f"callback must be callable, got {type(callback).__name__}")
    try:
        new_style = "intermediate_result" in inspect.signature(callback).parameters
    except (TypeError, ValueError):
        new_style = False

    @user_code
    def cb(k, x, f, g):
        try:
            if new_style:
                callback(intermediate_result=OptimizeResult(x=x.copy(), fun=float(f),
                                                             jac=g.copy(), nit=int(k)))
            else:
                callback(x.copy())
        except StopIteration:
            return 1
        return 0
    return cb


#: the methods that take ``bounds`` (L-BFGS-B's box loop)
BOUNDED_METHODS = ("lbfgs",)


def _check_bounds(bounds, n):
    """(lb, ub) float arrays of shape (n,) from scipy's forms (``Bounds``, or a sequence of
    (lo, hi) pairs with None for no bound), or None when every bound is infinite;
    ValueError naming the problem otherwise."""
    if bounds is None:
        return None
    if isinstance(bounds, Bounds):
        lb, ub = bounds.lb, bounds.ub
    else:
        try:
            pairs = list(bounds)
        except TypeError:
            raise ValueError("bounds must be a scipy.optimize.Bounds or a sequence of "
                             "(lo, hi) pairs") from None
        if len(pairs) != n:
            raise ValueError(f"bounds has {len(pairs)} (lo, hi) pairs; x0 has n = {n} entries")
        lb, ub = [], []
        for i, pair in enumerate(pairs):
            try:
                lo, hi = pair
            except (TypeError, ValueError):
                raise ValueError(f"bounds[{i}] = {pair!r} is not a (lo, hi) pair") from None
            lb.append(-np.inf if lo is None else lo)
            ub.append(np.inf if hi is None else hi)
    try:
        lb = np.asarray(lb, dtype=float)
        ub = np.asarray(ub, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("bounds must be real numbers (or None for no bound)") from None
    try:
        lb = np.broadcast_to(lb, (n,)).copy()
        ub = np.broadcast_to(ub, (n,)).copy()
    except ValueError:
        raise ValueError(f"bounds have shapes lb {lb.shape}, ub {ub.shape}; x0 has n = {n} "
                         f"entries") from None
    if np.isnan(lb).any() or np.isnan(ub).any():
        i = int(np.flatnonzero(np.isnan(lb) | np.isnan(ub))[0])
        raise ValueError(f"bounds[{i}] is NaN; use None or +-inf for no bound")
    if (lb > ub).any():
        i = int(np.flatnonzero(lb > ub)[0])
        raise ValueError(f"bounds[{i}]: lower bound {lb[i]:g} > upper bound {ub[i]:g}")
    if (lb == np.inf).any() or (ub == -np.inf).any():
        i = int(np.flatnonzero((lb == np.inf) | (ub == -np.inf))[0])
        raise ValueError(f"bounds[{i}] = ({lb[i]:g}, {ub[i]:g}) leaves no feasible value")
    if np.isinf(lb).all() and np.isinf(ub).all():
        return None                  # no finite bound: the unbounded run, exactly
    return lb, ub


# validated options by (method, scipy preset, options, tol): a program that calls minimize
# in a loop with the same options checks them once (each check costs microseconds)
_CHECKED = {}
_CHECKED_MAX = 256      # (then forgotten all at once: a sweep over many values)


def _checked_options(m, preset, options, tol):
    """(opts, second_order, max_escapes, shared): ``options`` (scipy's names translated,
    ``tol`` as ``gtol`` unless set) merged with method ``m``'s defaults and checked.

    The result is remembered when ``options`` is a dict of plain values
    (``_options.freeze``), and ``opts`` is then the same dict for every call with these
    options (``shared`` True: ``run_method`` reuses plans by its identity); it must not
    be modified.
    """
    key = None
    if options is None or type(options) is dict:
        given = _options.freeze(options.items()) if options else ()
        t = () if tol is None else _options.freeze((("tol", tol),))
        if given is not None and t is not None:
            key = (m.name, tuple(preset.items()), given, t)
            hit = _CHECKED.get(key)
            if hit is not None:
                return hit
    options = {**preset, **_scipy_names.translate(m.name, m.defaults, dict(options or {}))}
    if tol is not None and "gtol" not in options:
        options["gtol"] = tol
    opts = m.options(options)
    _options.flag(opts, "disp")
    _options.flag(opts, "unbounded_probe")
    if "second_order" in opts:
        _options.flag(opts, "second_order")
        _options.positive_int(opts, "max_escapes", 0)
    checked = (opts, opts.pop("second_order", False), opts.pop("max_escapes", 0),
               key is not None)
    if key is not None:
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.clear()
        _CHECKED[key] = checked
    return checked


def minimize(fun, x0, args=(), method="lbfgs", jac=None, hess=None, hessp=None,
             bounds=None, constraints=(), tol=None, callback=None, options=None):
    """Minimize a scalar function of one or more variables.

    A drop-in for :func:`scipy.optimize.minimize` (unconstrained case) over
    newtonlab's methods.  When ``fun`` and every given derivative are numba
    ``@njit`` functions, the whole solver loop runs compiled; plain Python
    callables are called back from the compiled loop.  Until a method's loop is
    compiled (a fresh install: ``newtonlab warmup`` compiles every method) the default
    ``options["execution"] = "auto"`` runs the same algorithm interpreted, with the same
    iterates, and compiles the loop once the method has run for a second.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``; with ``jac=True``, ``fun(x, *args) -> (f, g)``.
    x0 : array_like, shape (n,)
        Starting point; must be finite.
    args : tuple
        Extra arguments passed to ``fun`` and its derivatives.
    method : str or None
        One of ``newtonlab.METHODS`` (case-insensitive), default ``"lbfgs"``; or
        scipy's name: ``"BFGS"``, ``"L-BFGS-B"`` (without bounds), ``"CG"``,
        ``"Newton-CG"``, ``"trust-exact"``, ``"trust-ncg"``, ``"trust-krylov"``,
        ``"dogleg"`` select the newtonlab method that runs scipy's algorithm
        (``newtonlab._scipy_names.METHODS``); None chooses as scipy does
        (BFGS; L-BFGS-B when ``bounds`` are given).
    jac : callable, True, None, "2-point", "3-point" or "cs"
        Gradient ``jac(x, *args) -> (n,)``; ``True`` if ``fun`` returns (f, g);
        ``"cs"``: complex step (``fun`` must accept complex x; exact to rounding,
        n evaluations per gradient); otherwise finite
        differences (scipy's step rules).  Evaluations are counted in ``nfev``.
    hess : callable, "2-point", "3-point" or None
        Hessian ``hess(x, *args) -> (n, n)``; for methods that need it and
        get None, finite differences of the gradient.
    hessp : callable or None
        Hessian-vector product ``hessp(x, p, *args) -> (n,)``.
    bounds : scipy.optimize.Bounds or sequence of (lo, hi) pairs, optional
        Box constraints ``lo <= x <= hi`` (None or +-inf: no bound), for ``lbfgs``
        (``"L-BFGS-B"``) only: Byrd, Lu, Nocedal & Zhu's L-BFGS-B
        (docs/methods/lbfgs.md#bounds).  ``x0`` is clipped into the box, the gradient
        test is on the projected gradient ``||P(x - g) - x||_inf``, ``res.jac`` is the
        gradient and ``res.active_mask`` says which bounds hold at ``res.x`` (-1 lower,
        1 upper, 0 none).  All-infinite bounds run the unbounded method.
    constraints : empty
        General constraints are not supported (ValueError).
    tol : float, optional
        Sets ``gtol`` unless ``options`` sets it.
    callback : callable, optional
        ``callback(intermediate_result)`` or legacy ``callback(xk)``, called
        after each iteration; raising ``StopIteration`` stops the run
        (``success=False``, status 99 as scipy's).  A Python callback, like a Python
        objective, is called back from the compiled loop or runs the interpreted one
        (``options["execution"]``).
    options : dict, optional
        ``maxiter``, ``gtol``, ``return_all``, ``disp``, ``execution`` ("auto",
        "compiled" or "interpreted": the user guide's "Compiled vs interpreted execution")
        and each method's own
        (``newtonlab.METHODS[method].defaults``).  Unknown keys raise; scipy's
        names are accepted where the meaning is the same (``maxfun`` ->
        ``maxfev``, ``maxcor`` -> ``m``) and named with the newtonlab way where
        it is not (``eps``, ``xtol``, ``xrtol``, ...).
        Second-order methods take ``second_order=True``: the end point is
        classified with the Hessian, saddles are escaped along the most
        negative curvature (at most ``max_escapes`` times) and a run that still
        ends at a saddle or maximum reports status 14 (``res.second_order``
        holds the kind, eigenvalues and escapes).

    Returns
    -------
    scipy.optimize.OptimizeResult
        ``x, fun, jac, nit, nfev, njev, nhev, success, status, message``,
        ``trace`` (:class:`newtonlab.Trace`), ``execution`` ("compiled" or
        "interpreted"), and ``hess_inv`` (BFGS) or ``hess`` (Newton);
        ``allvecs`` with ``return_all``.

    Examples
    --------
    >>> import numpy as np, newtonlab as nl
    >>> from scipy.optimize import rosen, rosen_der
    >>> res = nl.minimize(rosen, np.array([-1.2, 1.0]), method="bfgs", jac=rosen_der)
    >>> res.success, np.allclose(res.x, [1.0, 1.0], atol=1e-4)
    (True, True)
    """
    if constraints is not None and not (isinstance(constraints, (tuple, list))
                                        and len(constraints) == 0):
        raise ValueError("constraints are not supported by newtonlab.minimize (box "
                         "constraints: bounds=... with method 'lbfgs' / 'L-BFGS-B')")
    name, preset = _scipy_names.resolve(method, bounded=bounds is not None)
    m = get_method(name)
    x0 = check_x0(x0)
    if bounds is not None and m.name not in BOUNDED_METHODS:
        raise ValueError(f"method {m.name!r} does not take bounds; use method='lbfgs' "
                         f"(scipy's 'L-BFGS-B')")
    box = _check_bounds(bounds, x0.size)
    if box is not None:
        x0 = np.clip(x0, box[0], box[1])        # as scipy's L-BFGS-B
    opts, second_order, max_escapes, shared = _checked_options(m, preset, options, tol)
    curvature_check = bool(second_order)
    if hess is not None and not (m.needs_hess or curvature_check):
        warnings.warn(f"Method {m.name} does not use Hessian information (hess).",
                      RuntimeWarning, stacklevel=2)
    if hessp is not None and not (m.needs_hessp or m.needs_hess or curvature_check):
        warnings.warn(f"Method {m.name} does not use Hessian-vector product information "
                      f"(hessp).", RuntimeWarning, stacklevel=2)
    cb = _wrap_callback(callback)
    obj = make_objective(fun, x0, args, jac, hess if m.needs_hess else None,
                         hessp if m.needs_hessp else None, m.needs_hess, m.needs_hessp)
    if box is not None and second_order:
        raise ValueError("second_order=True is not available with bounds")

    def run(start):
        if box is None:
            return run_method(m, obj, start, opts, cb, shared_opts=shared)
        # the unboundedness probe runs without bounds: not for a bounded run
        return run_method(m, obj, start, {**opts, "_bounds": box}, cb, probe_unbounded=False)
    if second_order:
        res = second_order_run(run, obj, x0, hess, hessp, max_escapes)
    elif box is None:
        res = end_point_kind(run(x0), m, obj, hess, hessp)
    else:
        res = run(x0)
        active = np.where(res.x <= box[0], -1, np.where(res.x >= box[1], 1, 0))
        res["active_mask"] = active.astype(np.int8)
        if active.any():             # the unconstrained curvature says nothing there
            res["kind"] = "unclassified"
        else:
            res = end_point_kind(res, m, obj, hess, hessp)
    res["method"] = m.name
    if opts["disp"]:
        print(f"{res.message}\n         Current function value: {res.fun:.6g}\n"
              f"         Iterations: {res.nit}\n         Function evaluations: {res.nfev}\n"
              f"         Gradient evaluations: {res.njev}")
    return res


__all__ = ["minimize", "METHODS"]
