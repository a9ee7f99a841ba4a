"""What the trust-region methods share on the Python side: region options, checks, the plan.

A trust-region method module defines its compiled components and ``solve``
(``_engine/tr_driver.py`` describes the protocol), its options record, and an
``ENTRY`` made with :func:`entry`.  The region options keep scipy's names and
defaults (``initial_trust_radius=1``, ``max_trust_radius=1000``, ``eta=0.15``)
and are checked against N&W Alg. 4.1: 0 < delta_0 <= delta_max (finite) and
0 <= eta < 1/4.
"""
import math

import numpy as np

from .. import _options as O
from .._engine import tr_driver as TD
from .._registry import Plan, method
from ._linesearch import GTOL_MODES, SECOND_ORDER, products_cost  # noqa: F401  (re-exported)

#: the region: scipy's names and defaults, and the collapse floor (status TR_COLLAPSED)
REGION = {"initial_trust_radius": 1.0, "max_trust_radius": 1000.0, "eta": 0.15,
          "min_trust_radius": 1e-12}
#: trace diagnostics of the region methods (newton-tr, sr1)
DIAGNOSTICS = ("rho", "sub_iters", "lam", "sub_exit", "hard_case")
SUB_RTOL = 1e-8      # | ||p|| - delta | <= SUB_RTOL delta ends the exact subproblem
SUB_MAXITER = 50     # factorizations per exact subproblem


def default_maxiter(n):
    """scipy's rule for its trust-region methods: 200 n."""
    return 200 * n


def loop_options(opts, n):
    """The driver's :class:`~newtonlab._engine.tr_driver.TrustRegionOptions` from ``opts``."""
    return TD.TrustRegionOptions(
        maxiter=O.budget(opts, "maxiter", default_maxiter(n)),
        maxfev=O.budget(opts, "maxfev", O.BIG),
        gtol=O.real(opts, "gtol", 0.0),
        gtol_mode=GTOL_MODES[opts["gtol_scale"]],
        time_ticks=O.time_limit(opts),
    )


def region(opts):
    """The validated region options (N&W Alg. 4.1) as the fields of a method's record."""
    dmax = O.real(opts, "max_trust_radius", 0.0, lo_open=True)
    if not math.isfinite(dmax):
        raise ValueError(f"option 'max_trust_radius' must be finite, got {dmax!r}")
    delta0 = O.real(opts, "initial_trust_radius", 0.0, dmax, lo_open=True)
    return dict(delta0=delta0, delta_max=dmax,
                eta=O.real(opts, "eta", 0.0, 0.25, hi_open=True),
                delta_min=O.real(opts, "min_trust_radius", 0.0, delta0))


def cg_maxiter(opts, default):
    """CG iterations per subproblem: ``cg_maxiter``, or ``default`` when None."""
    return default if opts["cg_maxiter"] is None else O.positive_int(opts, "cg_maxiter")


def plan(entry, opts, obj, x0, method_options, solve, B=None, cost=None):
    """A :class:`~newtonlab._registry.Plan` running ``solve`` (one of the entry's compiled
    forms) with the loop's options from ``opts`` and the method's record."""
    O.flag(opts, "return_all")
    lo = loop_options(opts, x0.size)
    return Plan(solve=solve, options=(lo, method_options), maxiter=lo.maxiter,
                H=np.zeros((0, 0)) if B is None else B,
                cost=obj.cost if cost is None else cost, columns=entry.diagnostics)


def entry(name, summary, defaults, prepare, solve, choices=None, **info):
    """A trust-region method's registry entry."""
    return method(name, summary, defaults, prepare, solve, choices=choices,
                  family="trustregion", **info)
