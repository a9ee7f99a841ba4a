"""newtonlab methods and their scipy counterparts: the one map, and scipy's matching options.

The map comes from :data:`newtonlab.METHODS` alone (``METHODS[m].scipy``); the sweep's
``scipy:NAME`` methods get ``gtol`` translated by :data:`SCIPY_TOLERANCES` (used by
:mod:`newtonlab.sweep.config`), so that both libraries stop on comparable tests.
"""
from __future__ import annotations

from .. import METHODS

#: scipy method -> (options for a gradient tolerance g, how its stopping test compares)
SCIPY_TOLERANCES = {
    "BFGS": (lambda g: {"gtol": g}, "gtol on ||g||_inf, as newtonlab"),
    "L-BFGS-B": (lambda g: {"gtol": g, "ftol": 0.0},
                 "gtol on ||proj g||_inf (= ||g||_inf, no bounds); ftol=0 turns off its "
                 "relative-reduction stop"),
    "CG": (lambda g: {"gtol": g}, "gtol on ||g||_inf, as newtonlab"),
    "Newton-CG": (lambda g: {"xtol": g},
                  "scipy has no gradient test here: it stops when the mean |step| <= xtol; "
                  "xtol = gtol"),
    "trust-exact": (lambda g: {"gtol": g},
                    "gtol on ||g||_2 (up to sqrt(n) stricter than ||g||_inf)"),
    "trust-ncg": (lambda g: {"gtol": g},
                  "gtol on ||g||_2 (up to sqrt(n) stricter than ||g||_inf)"),
    "trust-krylov": (lambda g: {"gtol": g},
                     "gtol on ||g||_2 (up to sqrt(n) stricter than ||g||_inf)"),
    "dogleg": (lambda g: {"gtol": g},
               "gtol on ||g||_2 (up to sqrt(n) stricter than ||g||_inf)"),
}


def scipy_options(smeth, gtol):
    """(options dict, note) making scipy's stopping test comparable with newtonlab's."""
    make, how = SCIPY_TOLERANCES.get(smeth, (lambda g: {"gtol": g}, "gtol passed as is"))
    return make(gtol), how


def scipy_map():
    """newtonlab method -> scipy method name, for every method of :data:`newtonlab.METHODS`
    with a counterpart (``METHODS[m].scipy``), in the registry's order."""
    return {m: info.scipy for m, info in METHODS.items() if info.scipy}


def scipy_label(method):
    """The sweep label of ``method``'s counterpart (``"scipy:BFGS"``), or None."""
    s = METHODS[method].scipy if method in METHODS else None
    return f"scipy:{s}" if s else None


def tolerance_notes(methods, gtol):
    """One line per newtonlab method: its counterpart, scipy's options and how they compare."""
    out = []
    for m in methods:
        s = METHODS[m].scipy
        if s is None:
            out.append(f"{m}: no scipy counterpart (newtonlab only)")
            continue
        opts, how = scipy_options(s, gtol)
        opts = ", ".join(f"{k}={v!r}" for k, v in opts.items())
        out.append(f"{m} <-> scipy:{s}: options {{{opts}}}; {how}")
    return out
