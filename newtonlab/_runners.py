"""Run a line-search method: options -> arrays, pick compiled or interpreted, build the result."""
import math
import time

import numpy as np
from numba import types

from ._engine import directions as D
from ._engine import driver as DRV
from ._engine import linesearch as LS
from ._engine.clock import ticks
from ._engine.interpreted import OBJECTIVE_CALLS, twin
from ._engine.signatures import F64_1D, F64_2D, I64_1D, compiled_entry, no_callback
from ._objective import Cost
from ._result import build_result, make_trace

_FAMILY = {"gd": D.STEEPEST, "newton": D.NEWTON, "bfgs": D.BFGS, "lbfgs": D.LBFGS, "cg": D.CG,
           "newton-cg": D.NEWTON_CG, "saddle-free-newton": D.SADDLE_FREE}
_BETA = {"PR+": D.BETA_PRP_PLUS, "FR": D.BETA_FR, "HS": D.BETA_HS, "DY": D.BETA_DY}
_ALPHA0 = {"unit": DRV.ALPHA0_UNIT, "interpolate": DRV.ALPHA0_INTERP, "scaled": DRV.ALPHA0_SCALED}
_LS_KIND = {"armijo": LS.ARMIJO, "wolfe": LS.WOLFE, "none": LS.NONE}
_MOD = {"cholesky": D.MOD_CHOLESKY, "eigen-floor": D.MOD_EIGFLOOR, "abs-eigen": D.MOD_ABS}
_GSCALE = {"absolute": DRV.GTOL_ABS, "f": DRV.GTOL_F, "g0": DRV.GTOL_G0}
_BIG = 2 ** 62


def check_positive_int(opts, key, minimum=1):
    v = opts[key]
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
        raise ValueError(f"option {key!r} must be an integer >= {minimum}, got {v!r}")
    return int(v)


def check_real(opts, key, lo=-math.inf, hi=math.inf, lo_open=False, hi_open=False):
    v = opts[key]
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"option {key!r} must be a real number, got {opts[key]!r}") from None
    ok = (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
    if not ok or math.isnan(v):
        lb = "(" if lo_open else "["
        rb = ")" if hi_open else "]"
        raise ValueError(f"option {key!r} must lie in {lb}{lo}, {hi}{rb}, got {v!r}")
    return v


def default_maxiter(name, n):
    """scipy's rules: 200 n for BFGS-like methods, 15000 for L-BFGS-B."""
    return 15000 if name == "lbfgs" else 200 * n


def linesearch_arrays(method, opts, n):
    """Validated option arrays for the line-search driver."""
    maxiter = opts["maxiter"]
    opts["maxiter"] = default_maxiter(method.name, n) if maxiter is None else maxiter
    maxiter = check_positive_int(opts, "maxiter", 0)
    maxfev = _BIG if opts["maxfev"] is None else check_positive_int(opts, "maxfev", 1)
    gtol = check_real(opts, "gtol", 0.0)
    c1 = check_real(opts, "c1", 0.0, 1.0, lo_open=True, hi_open=True)
    c2 = check_real(opts, "c2", c1, 1.0, lo_open=True, hi_open=True)
    fopt = np.zeros(DRV.NF_OPTS)
    iopt = np.zeros(DRV.NI_OPTS, dtype=np.int64)
    fopt[DRV.F_GTOL] = gtol
    fopt[DRV.F_C1] = c1
    fopt[DRV.F_C2] = c2
    fopt[DRV.F_AMAX] = check_real(opts, "alpha_max", 0.0, lo_open=True)
    fopt[DRV.F_FTOL] = check_real(opts, "ftol", 0.0, 1.0)
    family = _FAMILY[method.name]
    # cg's "beta" names its formula; newton's is the Cholesky shift increment
    fopt[DRV.F_BETA] = (check_real(opts, "beta", 0.0, lo_open=True)
                        if "beta" in opts and family != D.CG else 1e-3)
    fopt[DRV.F_FLOOR] = check_real(opts, "eig_floor", 0.0, lo_open=True) if "eig_floor" in opts else 1e-8
    fopt[DRV.F_CURV_EPS] = check_real(opts, "curvature_eps", 0.0) if "curvature_eps" in opts else 1e-8
    ls = opts["linesearch"]
    if opts.get("lr") is not None:
        fopt[DRV.F_ALPHA0] = check_real(opts, "lr", 0.0, lo_open=True)
    elif ls == "none":
        raise ValueError("option 'lr' is required when linesearch='none'")
    iopt[DRV.I_MAXITER] = maxiter
    iopt[DRV.I_MAXFEV] = maxfev
    iopt[DRV.I_LS] = _LS_KIND[ls]
    iopt[DRV.I_M] = check_positive_int(opts, "m") if "m" in opts else 0
    iopt[DRV.I_MAXLS] = check_positive_int(opts, "maxls")
    iopt[DRV.I_MOD] = _MOD[opts.get("hess_mod", "cholesky")]
    iopt[DRV.I_UPDATE] = D.UPDATE_DAMPED if opts.get("update") == "damped" else D.UPDATE_SKIP
    iopt[DRV.I_GTOL_MODE] = _GSCALE[opts["gtol_scale"]]
    iopt[DRV.I_RETURN_ALL] = int(bool(opts["return_all"]))
    iopt[DRV.I_H0_SCALE] = int(opts.get("init_scale", "auto") == "auto")
    iopt[DRV.I_ALPHA0_RULE] = _ALPHA0[opts.get("initial_step", "unit")]
    # nonlinear CG, Newton-CG, saddle-free Newton
    iopt[DRV.I_BETA_RULE] = _BETA[opts["beta"]] if family == D.CG else 0
    restart = opts.get("restart_every")
    iopt[DRV.I_RESTART] = n if restart is None else check_positive_int(opts, "restart_every")
    fopt[DRV.F_RESTART_NU] = (check_real(opts, "restart_threshold", 0.0, lo_open=True)
                              if "restart_threshold" in opts else 0.1)
    cgmax = opts.get("cg_maxiter")
    iopt[DRV.I_CG_MAXITER] = 20 * n if cgmax is None else check_positive_int(opts, "cg_maxiter")
    fopt[DRV.F_SADDLE_TOL] = (check_real(opts, "saddle_tol", 0.0) if "saddle_tol" in opts
                              else 1e-8)
    if family == D.SADDLE_FREE:
        iopt[DRV.I_MOD] = D.MOD_ABS
    return fopt, iopt


def hessp_cost(obj, dense):
    """Cost of the driver's Hessian counter when it counts Hessian-vector products.

    With ``dense`` the counter counts Hessian matrices (one per iteration, products
    by matrix multiplication): the objective's own cost applies.  Otherwise each
    count is one product: analytic (``nhev`` += 1) or central differences of the
    gradient (two gradient calls, with their finite-difference cost if any).
    """
    c = obj.cost
    if dense or obj.hessp_kind == "analytic":
        return c if dense else Cost(c.fev_per_fg, c.jev_per_fg, 0, 0, 1)
    return Cost(c.fev_per_fg, c.jev_per_fg, 2 * c.fev_per_fg, 2 * c.jev_per_fg, 0)


def run_linesearch(obj, x0, method, opts, callback):
    """Run ``linesearch_driver`` compiled (jitted objective, no Python callback) or interpreted."""
    n = x0.size
    fopt, iopt = linesearch_arrays(method, opts, n)
    family = _FAMILY[method.name]
    maxiter = int(iopt[DRV.I_MAXITER])
    trace = np.empty((maxiter + 1, DRV.NCOL))     # rows past nit are never read
    allvecs = np.empty((maxiter + 1 if opts["return_all"] else 0, n))
    dense_hp = family == D.NEWTON_CG and obj.hessp_kind == "from-hess"
    square = family in (D.NEWTON, D.BFGS, D.SADDLE_FREE) or dense_hp
    Hmat = np.zeros((n, n) if square else (0, 0))
    cost = hessp_cost(obj, dense_hp) if family == D.NEWTON_CG else obj.cost
    if obj.compiled and callback is None:
        rest = (F64_1D, types.int64, F64_1D, I64_1D, F64_2D, F64_2D, F64_2D)
        run = compiled_entry(DRV.linesearch_driver, obj.args_type, rest)
        cb = no_callback()
    else:
        run = twin(DRV.linesearch_driver, OBJECTIVE_CALLS)
        cb = callback if callback is not None else (lambda k, x, f, g: 0)
    tick0 = ticks()
    t0 = time.perf_counter()
    x, f, g, status, nit, n_fg, n_h = run(obj.ob, cb, obj.args, x0,
                                         family, fopt, iopt, trace, allvecs, Hmat)
    t_wall = time.perf_counter() - t0
    tick1 = ticks()
    diag = method.diagnostics
    tr = make_trace(trace, nit, diag, cost, tick0, tick1, t_wall)
    extra = {}
    if opts["return_all"]:
        extra["allvecs"] = [v.copy() for v in allvecs[: nit + 1]]
    if family == D.BFGS:
        extra["hess_inv"] = Hmat
    elif family in (D.NEWTON, D.SADDLE_FREE) and n_h > 0:
        extra["hess"] = Hmat
    return build_result(x, f, g, int(status), int(nit), int(n_fg), int(n_h), cost, tr,
                        execution="compiled" if obj.compiled and callback is None
                        else "interpreted", **extra)

