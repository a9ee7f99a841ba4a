"""The method table: an explicit tuple of method modules, each holding its own entry.

Every method lives in ``newtonlab/methods/<module>.py`` with an ``ENTRY`` (a
:class:`Method`): its options and defaults, what it needs from the user, its
trace diagnostics, its scipy counterpart and its reference, and ``prepare``,
which turns validated options into the typed records and workspace its
compiled ``solve`` takes.  Nothing registers itself at import: this tuple is
the whole list, so adding a method means adding its module and one name here.
"""
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import import_module
from types import MappingProxyType

from . import _options

#: every method's module under newtonlab/methods/, in the order of nl.METHODS
MODULES = (
    "gd", "newton", "newton_tr", "newton_cg", "hessian_free", "saddle_free_newton", "cg",
    "hager_zhang", "bfgs", "lbfgs", "sr1",
    "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "rprop", "lion",
    "delta_bar_delta",
)

COMMON = {
    "maxiter": None,          # None: the method's own rule (e.g. 200 * n, as scipy)
    "maxfev": None,           # None: unlimited
    "gtol": 1e-5,             # gradient test ||g||_inf <= gtol * scale
    "gtol_scale": "absolute",  # "absolute" (scipy's), "f": max(1, |f|), "g0": ||g(x0)||_inf
    "return_all": False,
    "time_limit": None,        # seconds of wall clock, checked once per iteration
    "unbounded_probe": True,   # after a maxiter stop with f still falling: unbounded below?
    "execution": "auto",       # "compiled" | "interpreted" | "auto" (_run.execution_mode)
    "disp": False,
}
COMMON_CHOICES = {"gtol_scale": ("absolute", "f", "g0"),
                  "execution": ("auto", "compiled", "interpreted")}


@dataclass
class Plan:
    """What one run needs: the compiled entry, its typed options and workspace.

    ``solve(ob, cb, args, x0, options, trace, allvecs, H)`` returns
    ``(x, f, g, status, nit, n_fg, n_h, events)``; ``cost`` turns the call counts into
    nfev / njev / nhev; ``H`` is returned as ``res[matrix]`` when ``matrix``
    names it and the run filled it.
    """
    solve: object
    options: tuple
    maxiter: int
    H: object
    cost: object
    columns: tuple
    matrix: str | None = None
    #: the objective ``solve`` evaluates, when not the one made from the user's ``fun``
    #: (a FiniteSum: compiled placeholders in ``ob``, its batch function in ``options``)
    objective: object = None


@dataclass(frozen=True)
class Method:
    """One entry of ``newtonlab.METHODS``."""
    name: str
    summary: str
    defaults: MappingProxyType
    prepare: object               # (opts, obj, x0) -> Plan; opts already merged and checked
    solve: object                 # the default compiled entry (a Plan may pick another)
    needs_hess: bool = False
    needs_hessp: bool = False
    diagnostics: tuple = ()       # the method's trace columns, in order
    scipy: str | None = None      # scipy.optimize.minimize counterpart for comparisons
    reference: str = ""
    family: str = ""              # "linesearch" | "trustregion" | "firstorder"
    #: runs that select each of the method's compiled entries (``newtonlab warmup`` compiles
    #: them all): extra ``options``, ``hess``/``hessp`` False where not given, ``bounds``
    #: True for a run with a finite box
    variants: tuple = ({},)
    choices: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    #: ``prepare`` is a function of the options, the objective's kinds and cost and n alone,
    #: and warns of nothing, so a repeated call may reuse its plan (``_run.plan_for``).  Not
    #: for a method whose prepare reads anything else (x0's values, a FiniteSum, a clock, a
    #: function of the user's args written into the run's context: ``context.run_function``)
    #: or warns (saddle-free-newton, for subproblem="eig" with hessp only)
    reusable_plan: bool = False

    def options(self, given):
        """Defaults merged with ``given``; ValueError naming any unknown or invalid key."""
        return _options.merge(self.name, self.defaults, self.choices, given)


def method(name, summary, defaults, prepare, solve, choices=None, **info):
    """A :class:`Method` with the common options added (used by each method module)."""
    return Method(name, summary, MappingProxyType({**COMMON, **defaults}), prepare, solve,
                  choices=MappingProxyType({**COMMON_CHOICES, **(choices or {})}), **info)


class _Table(Mapping):
    """name -> :class:`Method` (the name is the module's, with "-" for "_"), each method's
    module imported when its entry is first asked for.

    Why lazy: a method module makes its numba dispatchers when imported (~0.1 ms each, with
    a cache directory check), ~25 ms for all 21 at ``import newtonlab``; a script that runs
    one method now imports one.  Listing or iterating the table imports every module.
    """

    def __init__(self, modules):
        self._modules = {module.replace("_", "-"): module for module in modules}
        self._entries = {}

    def __getitem__(self, name):
        entry = self._entries.get(name)
        if entry is None:
            module = self._modules[name]        # KeyError for an unknown name, as a dict
            entry = import_module(f"newtonlab.methods.{module}").ENTRY
            if entry.name != name:
                raise RuntimeError(f"newtonlab/methods/{module}.py registers {entry.name!r}; "
                                   f"its module name says {name!r}")
            self._entries[name] = entry
        return entry

    def __contains__(self, name):
        return name in self._modules

    def __iter__(self):
        return iter(self._modules)

    def __len__(self):
        return len(self._modules)


METHODS = _Table(MODULES)


def get_method(name):
    """The table entry for ``name`` (case-insensitive); ValueError listing methods otherwise."""
    if not isinstance(name, str) or name.lower() not in METHODS:
        raise ValueError(f"unknown method {name!r}; implemented methods: {sorted(METHODS)}")
    return METHODS[name.lower()]
