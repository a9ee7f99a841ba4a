"""The one method table: name -> solver assembly, capabilities, defaults.

Each entry says which driver runs the method (``kind``), which component it
assembles (``family``, line search, Hessian modification, ...), what it needs
from the user (gradient, Hessian, Hessian-vector products), its options with
their defaults, the trace diagnostics it adds, and its scipy counterpart for
comparisons.  ``minimize`` validates options against this table, so an
unknown option fails loudly, naming the key.
"""
from dataclasses import dataclass, field
from types import MappingProxyType

COMMON = {
    "maxiter": None,          # None: the method's own rule (e.g. 200 * n, as scipy)
    "maxfev": None,           # None: unlimited
    "gtol": 1e-5,             # gradient test ||g||_inf <= gtol * scale
    "gtol_scale": "absolute",  # "absolute" (scipy's), "f": max(1, |f|), "g0": ||g(x0)||_inf
    "return_all": False,
    "disp": False,
}

_LINESEARCH = {"c1": 1e-4, "c2": 0.9, "maxls": 30, "alpha_max": 1e10, "ftol": 0.0}
# second-order solvers: classify the end point, escape saddles (newtonlab/_second_order.py)
SECOND_ORDER = {"second_order": False, "max_escapes": 10}


@dataclass(frozen=True)
class Method:
    """One entry of ``newtonlab.METHODS``."""
    name: str
    kind: str                 # which driver runs it: "linesearch", "firstorder", ...
    summary: str
    defaults: MappingProxyType
    needs_hess: bool = False
    needs_hessp: bool = False
    diagnostics: tuple = ()   # extra trace columns, in order
    scipy: str | None = None  # scipy.optimize.minimize counterpart for comparisons
    reference: str = ""
    choices: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def options(self, given, n):
        """Defaults merged with ``given``; ValueError naming any unknown or invalid key."""
        given = dict(given or {})
        unknown = sorted(set(given) - set(self.defaults))
        if unknown:
            raise ValueError(f"unknown option(s) {unknown} for method {self.name!r}; "
                             f"valid options: {sorted(self.defaults)}")
        opts = dict(self.defaults)
        opts.update(given)
        for key, allowed in self.choices.items():
            if opts[key] not in allowed:
                raise ValueError(f"option {key!r} must be one of {allowed}, got {opts[key]!r}")
        return opts


METHODS = {}


def register(name, kind, summary, defaults, **info):
    """Add a method to the table (names are case-insensitive)."""
    choices = MappingProxyType(info.pop("choices", {}))
    METHODS[name] = Method(name, kind, summary, MappingProxyType({**COMMON, **defaults}),
                           choices=choices, **info)
    return METHODS[name]


def get_method(name):
    """The table entry for ``name`` (case-insensitive); ValueError listing methods otherwise."""
    if not isinstance(name, str) or name.lower() not in METHODS:
        raise ValueError(f"unknown method {name!r}; implemented methods: {sorted(METHODS)}")
    return METHODS[name.lower()]


# quasi-Newton first trial step: 1 (N&W §3.5), or scipy's interpolation of the last decrease
_STEP0 = ("unit", "interpolate")
_LS_CHOICES = {"linesearch": ("armijo", "wolfe"), "gtol_scale": ("absolute", "f", "g0")}

# gd's line-search part.  newtonlab/_firstorder.py extends this entry with the first-order
# options (schedules, mini-batches, noise, stopping rules) and a runner that routes gd to the
# first-order driver when linesearch="none" or such an option is set.
register(
    "gd", "linesearch", "Gradient descent (steepest descent) with a line search or a fixed step.",
    {**_LINESEARCH, "linesearch": "armijo", "lr": None},
    diagnostics=("ls_evals",), scipy=None,
    choices={**_LS_CHOICES, "linesearch": ("armijo", "wolfe", "none")},
    reference="Nocedal & Wright (2006), Numerical Optimization, 2nd ed., §3.1-3.3.")
register(
    "newton", "linesearch",
    "Newton's method with a line search and Hessian modification (modified Cholesky or "
    "eigenvalue floor).",
    {**_LINESEARCH, **SECOND_ORDER, "linesearch": "armijo", "hess_mod": "cholesky", "beta": 1e-3,
     "eig_floor": 1e-8},
    needs_hess=True, diagnostics=("ls_evals", "shift"), scipy="trust-exact",
    choices={**_LS_CHOICES, "hess_mod": ("cholesky", "eigen-floor", "abs-eigen")},
    reference="Nocedal & Wright (2006), Alg. 3.2 (line search Newton with modification), "
              "Alg. 3.3 (Cholesky with added multiple of the identity), §3.4.")
# BFGS defaults H0 = I with scipy's interpolated first trial step: over the shared problem
# matrix this took 414 evaluations against 604 for N&W's scaling H0 = (s'y / y'y) I
# (eq. 6.20) with unit steps (and 67 vs 297 on the kappa = 1e4 quadratic, n = 50);
# the N&W variant is init_scale="auto", initial_step="unit".
register(
    "bfgs", "linesearch", "BFGS quasi-Newton, inverse-Hessian form, strong Wolfe line search.",
    {**_LINESEARCH, **SECOND_ORDER, "linesearch": "wolfe", "update": "skip", "curvature_eps": 1e-8,
     "initial_step": "interpolate", "init_scale": "none"},
    diagnostics=("ls_evals", "skipped"), scipy="BFGS",
    choices={**_LS_CHOICES, "update": ("skip", "damped"), "initial_step": _STEP0,
             "init_scale": ("auto", "none")},
    reference="Nocedal & Wright (2006), Alg. 6.1, eqs. 6.17 and 6.20; Powell damping, "
              "Procedure 18.2.")
register(
    "lbfgs", "linesearch", "Limited-memory BFGS (two-loop recursion), strong Wolfe line search.",
    {**_LINESEARCH, **SECOND_ORDER, "linesearch": "wolfe", "m": 10, "curvature_eps": 1e-8,
     "initial_step": "unit"},
    diagnostics=("ls_evals", "skipped"), scipy="L-BFGS-B",
    choices={**_LS_CHOICES, "initial_step": _STEP0},
    reference="Nocedal & Wright (2006), Alg. 7.4 and 7.5; Liu & Nocedal (1989).")

# ---- trust-region methods (newtonlab/_trust.py) and the CG-type line-search methods
# scipy's option names and defaults for the region (initial_trust_radius=1, max 1000, eta=0.15)
_TR = {"initial_trust_radius": 1.0, "max_trust_radius": 1000.0, "eta": 0.15,
       "min_trust_radius": 1e-12}
_TR_DIAG = ("rho", "sub_iters", "lam", "sub_exit", "hard_case")
register(
    "newton-tr", "trustregion",
    "Trust-region Newton: exact (Moré-Sorensen), dogleg or Steihaug-CG subproblem.",
    {**_TR, **SECOND_ORDER, "subproblem": "exact", "cg_maxiter": None},
    needs_hess=True, needs_hessp=True, diagnostics=_TR_DIAG, scipy="trust-exact",
    choices={"subproblem": ("exact", "dogleg", "cg"), "gtol_scale": ("absolute", "f", "g0")},
    reference="Nocedal & Wright (2006), Alg. 4.1 (trust region), Alg. 4.3 and §4.3 (Moré & "
              "Sorensen 1983, hard case eq. 4.45), §4.1 (dogleg), Alg. 7.2 (Steihaug 1983).")
register(
    "sr1", "trustregion",
    "SR1 quasi-Newton with a trust region (exact or Steihaug-CG subproblem on B).",
    {**_TR, **SECOND_ORDER, "eta": 1e-4, "subproblem": "exact", "skip_tol": 1e-8, "init_scale": "none",
     "cg_maxiter": None},
    diagnostics=_TR_DIAG + ("skipped",), scipy=None,
    choices={"subproblem": ("exact", "cg"), "init_scale": ("auto", "none"),
             "gtol_scale": ("absolute", "f", "g0")},
    reference="Nocedal & Wright (2006), Alg. 6.2 (SR1 trust region), eqs. 6.24 and 6.26; "
              "Conn, Gould & Toint (1991), Math. Prog. 50.")
register(
    "hessian-free", "trustregion",
    "Hessian-free Newton (Martens 2010): damped truncated CG from Hessian-vector products, "
    "Levenberg-Marquardt damping, Armijo backtracking.",
    {**SECOND_ORDER, "damping": 1.0, "damping_max": 1e16, "cg_decay": 0.95, "cg_maxiter": None,
     "cg_progress_eps": 5e-4, "c1": 1e-2, "maxls": 20},
    needs_hess=True, needs_hessp=True,
    diagnostics=("rho", "cg_iters", "lam", "cg_exit", "ls_evals"), scipy=None,
    choices={"gtol_scale": ("absolute", "f", "g0")},
    reference="Martens (2010), Deep learning via Hessian-free optimization, ICML, Alg. 1, "
              "§4.1, §4.4, §4.5; Martens & Sutskever (2012) (line search); Nocedal & Wright "
              "(2006), Alg. 7.1.")
register(
    "cg", "linesearch",
    "Nonlinear conjugate gradient (PR+, FR, HS, DY) with restarts and a strong Wolfe search.",
    {**_LINESEARCH, **SECOND_ORDER, "c2": 0.1, "linesearch": "wolfe", "beta": "PR+", "restart_every": None,
     "restart_threshold": 0.1, "initial_step": "scaled"},
    diagnostics=("ls_evals", "beta", "restarts"), scipy="CG",
    choices={**_LS_CHOICES, "beta": ("PR+", "FR", "HS", "DY"),
             "initial_step": ("scaled", "interpolate", "unit")},
    reference="Nocedal & Wright (2006), §5.2: Alg. 5.4, eqs. 5.41-5.52; eq. 3.60; "
              "Dai & Yuan (1999), SIAM J. Optim. 10.")
register(
    "newton-cg", "linesearch",
    "Line-search Newton-CG (truncated Newton) from Hessian-vector products.",
    {**_LINESEARCH, **SECOND_ORDER, "linesearch": "armijo", "cg_maxiter": None},
    needs_hess=True, needs_hessp=True, diagnostics=("ls_evals", "cg_iters", "cg_exit"),
    scipy="Newton-CG", choices=_LS_CHOICES,
    reference="Nocedal & Wright (2006), Alg. 7.1 (line search Newton-CG), eq. 7.3.")
register(
    "saddle-free-newton", "linesearch",
    "Saddle-free Newton: p = -|H|^{-1} g with |H| = V |Lambda| V^T, strong Wolfe search "
    "that may expand the step away from saddles.",
    {**_LINESEARCH, **SECOND_ORDER, "linesearch": "wolfe", "eig_floor": 1e-8,
     "saddle_tol": 1e-8},
    needs_hess=True, diagnostics=("ls_evals", "min_eig"), scipy=None, choices=_LS_CHOICES,
    reference="Dauphin, Pascanu, Gulcehre, Cho, Ganguli & Bengio (2014), NeurIPS, §5 and "
              "Alg. 1; Nocedal & Wright (2006), §3.4.")
