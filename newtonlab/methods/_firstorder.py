"""What every first-order method shares on the Python side: options, schedules, checks, the plan.

A first-order method module defines its rule (``init`` and ``step``, the
protocol of ``_engine/fo_driver.py``), its options record, a 3-line ``solve``
that runs :func:`~newtonlab._engine.fo_driver.firstorder_loop`, and an
``ENTRY`` made with :func:`entry`.  Hyper-parameters use PyTorch's names and
defaults (docs/methods/first_order.md lists each, with optax's differences);
``convention="optax"`` switches the equations, never the default values.

Finite sums (:class:`newtonlab.stochastic.FiniteSum` as ``fun``) run on their
batch function, which travels in the loop's options record; the plan then
carries the objective the runner should use (compiled placeholders in ``ob``
when the batch function is jitted), see :func:`batch_function`.
"""
import math
from dataclasses import replace

import numpy as np

from .. import _options as O
from .. import stochastic as SC
from .._engine import context as CX
from .._engine import evaluate as EV
from .._engine import fo_driver as FD
from .._engine import schedules as SCH
from .._engine.signatures import placeholder
from .._objective import Cost
from .._registry import Plan, method
from ._linesearch import GTOL_MODES

#: options every first-order method takes (docs/schedules.md, docs/methods/first_order.md)
FIRST_ORDER = {
    "schedule": "constant", "gamma": None, "step_size": None, "milestones": None,
    "decay_rate": None, "power": None, "warmup_steps": 0, "warmup_start": 1.0 / 3.0,
    "batch_size": None, "seed": 0, "full_eval": "epoch",
    "noise": "none", "noise_std": 0.0, "noise_decay": 0.0, "temperature": 0.0,
    "fstar": None, "ftarget": None, "frel": None, "grel": None,
    "divergence": 1e10, "convention": "pytorch",
}
CHOICES = {"schedule": tuple(SCH.NAMES), "full_eval": ("epoch", "end"),
           "noise": ("none", "gaussian", "langevin"), "convention": ("pytorch", "optax")}
DEFAULT_MAXITER = 1000
#: PyTorch's L2 weight decay, d = g + weight_decay x
L2 = {"weight_decay": 0.0}
#: bounds of a decay rate beta in [0, 1)
UNIT = {"lo": 0.0, "hi": 1.0, "hi_open": True}
POSITIVE = {"lo": 0.0, "lo_open": True}

_SCHEDULE_USES = {SCH.STEP: ("gamma", "step_size", "milestones"), SCH.EXPONENTIAL: ("gamma",),
                  SCH.INVERSE_TIME: ("decay_rate",), SCH.POLYNOMIAL: ("decay_rate", "power")}


def pair(opts, key, first, second, ordered=False):
    """``opts[key]`` as two reals within the bounds ``first`` and ``second`` (dicts of
    :func:`newtonlab._options.real` arguments); ``ordered``: key[0] <= key[1]."""
    v = opts[key]
    if isinstance(v, (str, bytes)) or not hasattr(v, "__len__") or len(v) != 2:
        raise ValueError(f"option {key!r} must be a pair of real numbers, got {v!r}")
    a, b = (O.real({f"{key}[{j}]": v[j]}, f"{key}[{j}]", **bounds)
            for j, bounds in enumerate((first, second)))
    if ordered and a > b:
        raise ValueError(f"option {key!r} must have {key}[0] <= {key}[1], got {tuple(v)!r}")
    return a, b


def optional(opts, key, **bounds):
    """``opts[key]`` as a float, NaN for None (a NaN test never fires)."""
    return math.nan if opts[key] is None else O.real(opts, key, **bounds)


def optax(opts):
    """True for ``convention="optax"``."""
    return opts["convention"] == "optax"


def _seed(opts):
    """The seed as an int64 (a larger one would change the options' numba type)."""
    seed = O.positive_int(opts, "seed", 0)
    if seed >= 2 ** 63:
        raise ValueError(f"option 'seed' must be < 2**63, got {seed!r}")
    return seed


def schedule_params(opts):
    """The :class:`~newtonlab._engine.schedules.Schedule` of the options in ``opts``
    (``lr`` included).

    Raises ValueError naming the offending key.
    """
    name = opts["schedule"]
    if name not in SCH.NAMES:
        raise ValueError(f"option 'schedule' must be one of {tuple(SCH.NAMES)}, got {name!r}")
    kind = SCH.NAMES[name]
    uses = _SCHEDULE_USES.get(kind, ())
    for key in ("gamma", "step_size", "milestones", "decay_rate", "power"):
        if opts.get(key) is not None and key not in uses:
            raise ValueError(f"option {key!r} is not used by schedule {name!r}")
    miles = opts.get("milestones")
    if miles is not None and (isinstance(miles, (str, bytes)) or not hasattr(miles, "__iter__")):
        raise ValueError(f"option 'milestones' must be increasing integers >= 0, got {miles!r}")
    miles = () if miles is None else tuple(miles)
    p = {"gamma": 0.0, "step_size": 1, "decay_rate": 0.0, "power": 0.0}
    if kind == SCH.STEP:
        if (opts.get("step_size") is None) == (not miles):
            raise ValueError("schedule 'step' needs exactly one of options 'step_size' and "
                             "'milestones'")
        p["gamma"] = 0.1 if opts.get("gamma") is None else O.real(opts, "gamma", **POSITIVE)
        if miles:
            ok = all(isinstance(m, (int, np.integer)) and not isinstance(m, bool) and m >= 0
                     for m in miles) and all(a < b for a, b in zip(miles, miles[1:]))
            if not ok:
                raise ValueError(f"option 'milestones' must be increasing integers >= 0, "
                                 f"got {opts['milestones']!r}")
        else:
            p["step_size"] = O.positive_int(opts, "step_size")
    for key in ("gamma", "decay_rate", "power"):
        if key in uses and kind != SCH.STEP:
            if opts.get(key) is None:
                raise ValueError(f"schedule {name!r} needs option {key!r}")
            p[key] = O.real(opts, key, 0.0, lo_open=key != "decay_rate")
    return SCH.Schedule(
        kind=kind, lr=O.real(opts, "lr", **POSITIVE), **p,
        warmup_steps=O.positive_int(opts, "warmup_steps", 1 if kind == SCH.WARMUP else 0),
        warmup_start=O.real(opts, "warmup_start", 0.0, 1.0),
        milestones=np.array(miles, dtype=np.float64))


def learning_rates(n_steps, lr, **schedule):
    """eta_0 .. eta_{n_steps-1} of a schedule, as the first-order loop computes them.

    >>> learning_rates(4, 0.1, schedule="step", step_size=2, gamma=0.5).tolist()
    [0.1, 0.1, 0.05, 0.05]
    """
    opts = {**{k: FIRST_ORDER[k] for k in ("schedule", "warmup_steps", "warmup_start")},
            **schedule, "lr": lr}
    sc = schedule_params(opts)
    return np.array([SCH.lr_at(sc, k) for k in range(n_steps)])


def batch_function(obj, n):
    """(objective, bfg): what the loop evaluates for the objective ``obj``.

    A FiniteSum runs on its batch function: in a compiled run (``stochastic.in_context``
    marked ``obj``) as a numba entry, an int64 (``context.run_function``): its context
    adapter's when the args fit a context, else its own; ``ob`` then holds compiled
    placeholders, which the loop never calls.  An interpreted run calls a jitted
    ``batch_fg`` from Python, and a Python one through a validating shim.  Any other
    objective keeps ``ob`` (objective None) and ``bfg`` is 0 (never called).
    """
    fs = SC.finite_sum_of(obj)
    if fs is None:
        return None, 0
    if obj.context is not None:          # a compiled run (stochastic.in_context)
        A = obj.context[2]
    else:
        A = SC.args_type(obj.args) if fs.compiled else None
    if A is None:
        return replace(obj, compiled=False, cost=Cost()), SC.python_batch(fs, n)
    bfg = SC.compiled_batch(fs, A)
    if obj.context is not None:
        bfg = CX.run_function(obj.context, CX.BATCH, bfg)
    S = CX.CONTEXT if obj.args_type == CX.CONTEXT else A
    ob = tuple(placeholder(s, S) for s in range(5)) + (EV.G_FUSED, EV.H_NONE, EV.HP_NONE, 1.0)
    return replace(obj, ob=ob, compiled=True, args_type=S, cost=Cost()), bfg


def loop_options(opts, obj, bfg):
    """The loop's :class:`~newtonlab._engine.fo_driver.FirstOrderOptions` from ``opts``.

    ``opts["lr"]`` must be set (gd's None is replaced by its caller).
    """
    sc = schedule_params(opts)
    fs = SC.finite_sum_of(obj)
    batch = opts["batch_size"]
    if batch is not None and fs is None:
        raise ValueError("option 'batch_size' needs a finite-sum objective: pass "
                         "fun=newtonlab.stochastic.FiniteSum(batch_fg, n_samples)")
    if opts["ftarget"] is not None and opts["fstar"] is None:
        raise ValueError("option 'ftarget' needs option 'fstar' (the known optimal value f*)")
    O.flag(opts, "return_all")
    maxiter = O.budget(opts, "maxiter", DEFAULT_MAXITER)
    gtol = O.real(opts, "gtol", 0.0)
    fstar = optional(opts, "fstar")
    ftarget = optional(opts, "ftarget", lo=0.0)
    frel = optional(opts, "frel", lo=0.0)
    grel = optional(opts, "grel", lo=0.0)
    divergence = optional(opts, "divergence", **POSITIVE)
    n_samples = 0 if fs is None else fs.n_samples
    return FD.FirstOrderOptions(
        maxiter=maxiter,
        maxfev=O.budget(opts, "maxfev", O.BIG),
        gtol=gtol,
        gtol_mode=GTOL_MODES[opts["gtol_scale"]],
        fstar=fstar, ftarget=ftarget, frel=frel, grel=grel, divergence=divergence,
        time_ticks=O.time_limit(opts),
        schedule=sc,
        noise=O.choice(opts, "noise", CHOICES["noise"]),
        noise_std=O.real(opts, "noise_std", 0.0),
        noise_decay=O.real(opts, "noise_decay", 0.0),
        temperature=O.real(opts, "temperature", 0.0),
        batch=fs is not None,
        n_samples=n_samples,
        batch_size=n_samples if batch is None else O.positive_int(opts, "batch_size"),
        seed=_seed(opts),
        full_eval=O.choice(opts, "full_eval", CHOICES["full_eval"]),
        bfg=bfg,
    )


def plan(solve, opts, obj, x0, method_options):
    """A :class:`~newtonlab._registry.Plan` running ``solve`` with ``method_options``."""
    lo = loop_options(opts, obj, None)             # validated before compiling batch_fg
    objective, bfg = batch_function(obj, x0.size)
    lo = lo._replace(bfg=bfg)
    return Plan(solve=solve, options=(lo, method_options), maxiter=lo.maxiter,
                H=np.zeros((0, 0)), cost=obj.cost if objective is None else objective.cost,
                columns=FD.DIAGNOSTICS, objective=objective)


def entry(name, summary, own, prepare, solve, reference, choices=None):
    """A first-order method's registry entry (its own options, then :data:`FIRST_ORDER`)."""
    return method(name, summary, {**own, **FIRST_ORDER}, prepare, solve,
                  choices={**CHOICES, **(choices or {})}, family="firstorder",
                  diagnostics=FD.DIAGNOSTICS, reference=reference)
