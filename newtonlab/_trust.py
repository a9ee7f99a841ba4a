"""Trust-region methods (newton-tr, sr1, hessian-free): option validation and the runner.

Every method here runs ``_engine.tr_driver.tr_driver`` (one compiled loop
dispatching on an integer family code), compiled for jitted objectives without
a Python callback and as its interpreted twin otherwise.  The registry entries
live in ``_registry.py``; docs in ``docs/methods/``.
"""
import math
import time

import numpy as np
from numba import types

from ._engine import tr_driver as TRD
from ._engine.clock import ticks
from ._engine.interpreted import OBJECTIVE_CALLS, twin
from ._engine.signatures import F64_1D, F64_2D, I64_1D, compiled_entry, no_callback
from ._minimize import add_runner
from ._result import build_result, make_trace
from ._runners import _BIG, _GSCALE, check_positive_int, check_real, default_maxiter, hessp_cost

_FAMILY = {"newton-tr": TRD.NEWTON_TR, "sr1": TRD.SR1, "hessian-free": TRD.HF}
_SUB = {"exact": TRD.SUB_EXACT, "dogleg": TRD.SUB_DOGLEG, "cg": TRD.SUB_CG}
# trace diagnostics name -> raw driver column
_COLUMN = {"rho": TRD.D_RHO, "sub_iters": TRD.D_SUB_ITERS, "cg_iters": TRD.D_SUB_ITERS,
           "lam": TRD.D_LAM, "sub_exit": TRD.D_SUB_EXIT, "cg_exit": TRD.D_SUB_EXIT,
           "hard_case": TRD.D_HARD, "skipped": TRD.D_SKIPPED, "ls_evals": TRD.D_LS_EVALS}
SUB_RTOL = 1e-8      # | ||p|| - delta | <= SUB_RTOL delta ends the exact subproblem
SUB_MAXITER = 50     # factorizations per exact subproblem


def tr_arrays(method, opts, n):
    """Validated option arrays for the trust-region driver (ValueError naming the key)."""
    fam = _FAMILY[method.name]
    maxiter = opts["maxiter"]
    opts["maxiter"] = default_maxiter(method.name, n) if maxiter is None else maxiter
    fopt = np.zeros(TRD.NF_OPTS)
    iopt = np.zeros(TRD.NI_OPTS, dtype=np.int64)
    iopt[TRD.I_MAXITER] = check_positive_int(opts, "maxiter", 0)
    iopt[TRD.I_MAXFEV] = _BIG if opts["maxfev"] is None else check_positive_int(opts, "maxfev")
    iopt[TRD.I_GTOL_MODE] = _GSCALE[opts["gtol_scale"]]
    fopt[TRD.F_GTOL] = check_real(opts, "gtol", 0.0)
    cgmax = opts["cg_maxiter"]
    default_cg = min(20 * n, 250) if fam == TRD.HF else 20 * n     # Martens: at most 250
    iopt[TRD.I_CG_MAXITER] = default_cg if cgmax is None else check_positive_int(opts,
                                                                                   "cg_maxiter")
    iopt[TRD.I_SUB_MAXITER] = SUB_MAXITER
    fopt[TRD.F_SUB_RTOL] = SUB_RTOL
    if fam == TRD.HF:
        fopt[TRD.F_DAMP0] = check_real(opts, "damping", 0.0, lo_open=True)
        fopt[TRD.F_DAMP_MAX] = check_real(opts, "damping_max", fopt[TRD.F_DAMP0], lo_open=True)
        fopt[TRD.F_DECAY] = check_real(opts, "cg_decay", 0.0, 1.0)
        fopt[TRD.F_MEPS] = check_real(opts, "cg_progress_eps", 0.0, lo_open=True)
        fopt[TRD.F_C1] = check_real(opts, "c1", 0.0, 1.0, lo_open=True, hi_open=True)
        iopt[TRD.I_MAXLS] = check_positive_int(opts, "maxls")
        return fopt, iopt
    dmax = check_real(opts, "max_trust_radius", 0.0, lo_open=True)
    if not math.isfinite(dmax):
        raise ValueError(f"option 'max_trust_radius' must be finite, got {dmax!r}")
    fopt[TRD.F_DELTA_MAX] = dmax
    # N&W Alg. 4.1: 0 < delta0 <= delta_max, 0 <= eta < 1/4
    fopt[TRD.F_DELTA0] = check_real(opts, "initial_trust_radius", 0.0, dmax, lo_open=True)
    fopt[TRD.F_ETA] = check_real(opts, "eta", 0.0, 0.25, hi_open=True)
    fopt[TRD.F_DELTA_MIN] = check_real(opts, "min_trust_radius", 0.0, fopt[TRD.F_DELTA0])
    iopt[TRD.I_SUB] = _SUB[opts["subproblem"]]
    if fam == TRD.SR1:
        fopt[TRD.F_SKIP] = check_real(opts, "skip_tol", 0.0, 1.0, hi_open=True)
        iopt[TRD.I_INIT_SCALE] = int(opts["init_scale"] == "auto")
    return fopt, iopt


_TWIN = twin(TRD.tr_driver, OBJECTIVE_CALLS)


def run(obj, x0, method, opts, callback):
    """Run ``tr_driver`` compiled (jitted objective, no Python callback) or interpreted."""
    n = x0.size
    fopt, iopt = tr_arrays(method, opts, n)
    fam = _FAMILY[method.name]
    maxiter = int(iopt[TRD.I_MAXITER])
    # a dense matrix: the Hessian (exact/dogleg, or products from a given hess), or SR1's B
    from_hess = obj.hessp_kind == "from-hess"
    dense = fam == TRD.SR1 or (fam == TRD.NEWTON_TR and iopt[TRD.I_SUB] != TRD.SUB_CG) or from_hess
    B = np.zeros((n, n) if dense else (0, 0))
    cg_products = fam == TRD.HF or iopt[TRD.I_SUB] == TRD.SUB_CG
    cost = hessp_cost(obj, from_hess) if cg_products and fam != TRD.SR1 else obj.cost
    trace = np.empty((maxiter + 1, TRD.NCOL))     # rows past nit are never read
    allvecs = np.empty((maxiter + 1 if opts["return_all"] else 0, n))
    compiled = obj.compiled and callback is None
    if compiled:
        rest = (F64_1D, types.int64, F64_1D, I64_1D, F64_2D, F64_2D, F64_2D)
        drive = compiled_entry(TRD.tr_driver, obj.args_type, rest)
        cb = no_callback()
    else:
        drive = _TWIN
        cb = callback if callback is not None else (lambda k, x, f, g: 0)
    tick0 = ticks()
    t0 = time.perf_counter()
    x, f, g, status, nit, n_fg, n_h = drive(obj.ob, cb, obj.args, x0, fam, fopt, iopt, trace,
                                            allvecs, B)
    t_wall = time.perf_counter() - t0
    tick1 = ticks()
    # the method's diagnostics, in its registry order, right after the common columns
    cols = list(range(TRD.T.NCOL)) + [_COLUMN[d] for d in method.diagnostics]
    tr = make_trace(trace[:, cols], nit, method.diagnostics, cost, tick0, tick1, t_wall)
    extra = {}
    if opts["return_all"]:
        extra["allvecs"] = [v.copy() for v in allvecs[: nit + 1]]
    return build_result(x, f, g, int(status), int(nit), int(n_fg), int(n_h), cost, tr,
                        execution="compiled" if compiled else "interpreted", **extra)


add_runner("trustregion", run)
