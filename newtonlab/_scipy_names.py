"""scipy.optimize.minimize's names, understood by ``newtonlab.minimize``.

A script written for scipy keeps working when ``scipy.optimize.minimize``
becomes ``newtonlab.minimize``: scipy's method names select the newtonlab
method (with the options that make it scipy's algorithm), ``method=None``
chooses as scipy does for an unconstrained problem, and scipy's option names
are accepted where newtonlab has the same option under another name.  Where
newtonlab has no counterpart, the error says what to use instead.
"""

#: scipy method name (lower case) -> (newtonlab method, options that make it scipy's)
METHODS = {
    "bfgs": ("bfgs", {}),
    "l-bfgs-b": ("lbfgs", {}),           # with bounds=...: lbfgs runs L-BFGS-B's box loop
    "cg": ("cg", {}),                    # Polak-Ribiere+, as scipy's
    "newton-cg": ("newton-cg", {}),
    "trust-exact": ("newton-tr", {"subproblem": "exact"}),
    "trust-ncg": ("newton-tr", {"subproblem": "cg"}),
    # GLTR solves the same subproblem nearly exactly in a Krylov space; for the dense
    # Hessians newton-tr holds, the exact (More-Sorensen) solve is that answer
    "trust-krylov": ("newton-tr", {"subproblem": "exact"}),
    "dogleg": ("newton-tr", {"subproblem": "dogleg"}),
}

#: method=None: scipy picks BFGS for a problem without bounds or constraints
DEFAULT_UNCONSTRAINED = "bfgs"
#: method=None with bounds: scipy picks L-BFGS-B
DEFAULT_BOUNDED = "lbfgs"

#: scipy option name -> newtonlab option name, where the meaning is the same
ALIASES = {
    "maxfun": "maxfev",      # L-BFGS-B: evaluations of (f, g)
    "maxcor": "m",           # L-BFGS-B: stored pairs
    "pgtol": "gtol",         # fmin_l_bfgs_b: the projected-gradient tolerance
}

#: scipy options without a newtonlab counterpart -> what to use instead
NO_COUNTERPART = {
    "eps": "finite-difference steps follow scipy's default rules; choose jac='2-point' or "
           "'3-point', or pass jac",
    "finite_diff_rel_step": "finite-difference steps follow scipy's default rules; choose "
                            "jac='2-point' or '3-point', or pass jac",
    "xrtol": "newtonlab stops on the gradient (gtol, gtol_scale) or on a stall of f (ftol)",
    "xtol": "newtonlab stops on the gradient (gtol, gtol_scale) or on a stall of f (ftol)",
    "norm": "the gradient test uses the infinity norm (scipy's default)",
    "hess_inv0": "bfgs starts from H_0 = I, or from (s^T y / y^T y) I with init_scale='auto'",
    "iprint": "use disp=True",
    "inexact": "newton-tr solves its subproblem to sub_rtol (option)",
    "gtol_abs": "use gtol (with gtol_scale)",
}


def resolve(method, bounded=False):
    """(newtonlab method name, preset options) for ``method`` (a newtonlab or scipy name, or
    None: scipy's choice, L-BFGS-B when ``bounded``); unknown names are returned as given,
    for the registry's error."""
    if method is None:
        return (DEFAULT_BOUNDED if bounded else DEFAULT_UNCONSTRAINED), {}
    if isinstance(method, str) and method.lower() in METHODS:
        name, preset = METHODS[method.lower()]
        return name, dict(preset)
    return method, {}


def translate(name, defaults, options):
    """``options`` with scipy's names replaced by newtonlab's; a ValueError naming the
    newtonlab way for a scipy option that has no counterpart."""
    out = {}
    for key, value in options.items():
        new = ALIASES.get(key)
        if key not in defaults and new in defaults:
            if new in options:
                raise ValueError(f"options {key!r} (scipy's name) and {new!r} mean the same; "
                                 f"give one")
            key = new
        elif key not in defaults and key in NO_COUNTERPART:
            raise ValueError(f"option {key!r} (scipy's) has no counterpart in method "
                             f"{name!r}: {NO_COUNTERPART[key]}")
        out[key] = value
    return out
