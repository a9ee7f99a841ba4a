"""What every line-search method shares on the Python side: options, checks, the plan.

A line-search method module defines its compiled components and ``solve``
(``_engine/ls_driver.py`` describes the protocol), its options record, and an
``ENTRY`` made with :func:`entry`.
"""
import numpy as np

from .. import _options as O
from .._engine import linesearch as LS
from .._engine import ls_driver as LD
from .._objective import Cost
from .._registry import Plan, method

DEFAULTS = {"c1": 1e-4, "c2": 0.9, "maxls": 30, "alpha_max": 1e10, "ftol": 0.0}
CHOICES = {"linesearch": ("armijo", "wolfe")}
#: second-order solvers: classify the end point, escape saddles (newtonlab/_second_order.py)
SECOND_ORDER = {"second_order": False, "max_escapes": 10}
#: the first trial step of quasi-Newton searches: 1 (N&W §3.5) or scipy's interpolation
STEP0 = {"unit": LD.ALPHA0_UNIT, "interpolate": LD.ALPHA0_INTERP, "scaled": LD.ALPHA0_SCALED}
_KIND = {"armijo": LS.ARMIJO, "wolfe": LS.WOLFE, "none": LS.NONE}
#: option gtol_scale -> the drivers' gradient-test scale code (all three drivers)
GTOL_MODES = {"absolute": LD.GTOL_ABS, "f": LD.GTOL_F, "g0": LD.GTOL_G0}


def default_maxiter(name, n):
    """scipy's rules: 200 n for BFGS-like methods, 15000 for L-BFGS-B."""
    return 15000 if name == "lbfgs" else 200 * n


def loop_options(name, opts, n, alpha0):
    """The driver's :class:`~newtonlab._engine.ls_driver.LineSearchOptions` from ``opts``."""
    c1 = O.real(opts, "c1", 0.0, 1.0, lo_open=True, hi_open=True)
    lr = opts.get("lr")
    if lr is not None:
        lr = O.real(opts, "lr", 0.0, lo_open=True)
        alpha0 = LD.ALPHA0_FIXED
    elif opts["linesearch"] == "none":
        raise ValueError("option 'lr' is required when linesearch='none'")
    return LD.LineSearchOptions(
        maxiter=O.budget(opts, "maxiter", default_maxiter(name, n)),
        maxfev=O.budget(opts, "maxfev", O.BIG),
        gtol=O.real(opts, "gtol", 0.0),
        gtol_mode=GTOL_MODES[opts["gtol_scale"]],
        linesearch=_KIND[opts["linesearch"]],
        c1=c1,
        c2=O.real(opts, "c2", c1, 1.0, lo_open=True, hi_open=True),
        maxls=O.positive_int(opts, "maxls"),
        alpha_max=O.real(opts, "alpha_max", 0.0, lo_open=True),
        alpha0=alpha0,
        lr=1.0 if lr is None else lr,
        ftol=O.real(opts, "ftol", 0.0, 1.0),
        time_ticks=O.time_limit(opts),
    )


def plan(entry, opts, obj, x0, method_options, alpha0=LD.ALPHA0_UNIT, matrix=None, H=None,
         cost=None):
    """A :class:`~newtonlab._registry.Plan` for a line-search method's ``entry``."""
    n = x0.size
    O.flag(opts, "return_all")
    lo = loop_options(entry.name, opts, n, alpha0)
    return Plan(solve=entry.solve, options=(lo, method_options), maxiter=lo.maxiter,
                H=np.zeros((0, 0)) if H is None else H,
                cost=obj.cost if cost is None else cost,
                columns=entry.diagnostics, matrix=matrix)


def products_cost(obj, dense):
    """Cost of the driver's Hessian counter when it counts Hessian-vector products.

    With ``dense`` the counter counts Hessian matrices (products by matrix
    multiplication): the objective's own cost applies.  Otherwise each count is
    one product: analytic (``nhev`` += 1) or central differences of the
    gradient (two gradient calls, with their finite-difference cost if any).
    """
    c = obj.cost
    if dense or obj.hessp_kind == "analytic":
        return c if dense else Cost(c.fev_per_fg, c.jev_per_fg, 0, 0, 1)
    return Cost(c.fev_per_fg, c.jev_per_fg, 2 * c.fev_per_fg, 2 * c.jev_per_fg, 0)


def entry(name, summary, defaults, prepare, solve, choices=None, diagnostics=(), **info):
    """A line-search method's registry entry (the loop's options, choices and trace column
    ``ls_evals`` added before the method's own ``diagnostics``)."""
    return method(name, summary, {**DEFAULTS, **defaults}, prepare, solve,
                  choices={**CHOICES, **(choices or {})}, family="linesearch",
                  diagnostics=("ls_evals",) + tuple(diagnostics), **info)
