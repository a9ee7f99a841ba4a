"""First-order methods: registry entries, option validation and the runner.

Every method here runs ``_engine.fo_driver.fo_driver`` (one compiled loop,
dispatching on an integer rule code), compiled for jitted objectives and as its
interpreted twin otherwise.  Hyper-parameters use PyTorch's names and defaults
(docs/methods/first_order.md lists each, with optax's differences);
``convention="optax"`` switches the equations, never the default values.

``gd`` is shared with the line-search driver: it runs Armijo/Wolfe steepest
descent unless ``linesearch="none"``, a first-order-only option (schedule,
mini-batches, noise, stopping rules, weight_decay, convention) differs from its
default, or ``fun`` is a :class:`newtonlab.stochastic.FiniteSum`; then it is
plain PyTorch SGD on this driver (``lr`` None means PyTorch's 1e-3).
"""
import math
import time

import numpy as np

from . import stochastic as SC
from ._engine import evaluate as EV
from ._engine import firstorder as FO
from ._engine import fo_driver as FD
from ._engine import schedules as SCH
from ._engine.clock import ticks
from ._engine.interpreted import OBJECTIVE_CALLS, twin
from ._engine.signatures import (CALLBACK_TYPE, F64_1D, F64_2D, I64_1D, no_callback,
                                 objective_type, placeholder)
from ._minimize import add_runner
from ._objective import Cost
from ._registry import METHODS, register
from ._result import build_result, make_trace
from ._runners import check_positive_int, check_real, run_linesearch

#: options every first-order method takes (docs/schedules.md, docs/methods/first_order.md)
FIRST_ORDER = {
    "schedule": "constant", "gamma": None, "step_size": None, "milestones": None,
    "decay_rate": None, "power": None, "warmup_steps": 0, "warmup_start": 1.0 / 3.0,
    "batch_size": None, "seed": 0, "full_eval": "epoch",
    "noise": "none", "noise_std": 0.0, "noise_decay": 0.0, "temperature": 0.0,
    "time_limit": None, "fstar": None, "ftarget": None, "frel": None, "grel": None,
    "divergence": 1e10, "convention": "pytorch",
}
_CHOICES = {"schedule": tuple(SCH.NAMES), "full_eval": ("epoch", "end"),
            "noise": ("none", "gaussian", "langevin"), "convention": ("pytorch", "optax"),
            "gtol_scale": ("absolute", "f", "g0")}
DEFAULT_MAXITER = 1000
_BIG = 2 ** 62


def _method(name, summary, own, reference, choices=None):
    register(name, "firstorder", summary, {**own, **FIRST_ORDER}, diagnostics=FD.DIAGNOSTICS,
             choices={**_CHOICES, **(choices or {})}, reference=reference)


_L2 = {"weight_decay": 0.0}
_method("momentum", "SGD with heavy-ball momentum (PyTorch buffer, velocity or Polyak form).",
        {"lr": 1e-3, "momentum": 0.9, "dampening": 0.0, **_L2, "form": "pytorch"},
        "Polyak (1964); Sutskever et al. (2013), ICML, eq. 1; torch.optim.SGD.",
        {"form": ("pytorch", "velocity", "heavy-ball")})
_method("nesterov", "Nesterov accelerated gradient (PyTorch/Sutskever or look-ahead form).",
        {"lr": 1e-3, "momentum": 0.9, **_L2, "form": "sutskever"},
        "Nesterov (1983); Sutskever et al. (2013), eqs. 3-4; torch.optim.SGD(nesterov=True).",
        {"form": ("sutskever", "lookahead")})
_method("adagrad", "Adagrad: per-coordinate steps from the sum of squared gradients.",
        {"lr": 1e-2, "lr_decay": 0.0, **_L2, "initial_accumulator_value": 0.0, "eps": 1e-10},
        "Duchi, Hazan & Singer (2011), JMLR 12; torch.optim.Adagrad.")
_method("rmsprop", "RMSprop: steps scaled by a running RMS of the gradient (plain, centered, "
        "momentum).", {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, **_L2, "momentum": 0.0,
                       "centered": False},
        "Hinton (2012), Coursera lecture 6e; Graves (2013), arXiv:1308.0850 (centered); "
        "torch.optim.RMSprop.")
_method("adadelta", "Adadelta: unit-corrected RMS steps, no learning rate needed.",
        {"lr": 1.0, "rho": 0.9, "eps": 1e-6, **_L2},
        "Zeiler (2012), arXiv:1212.5701, Alg. 1; torch.optim.Adadelta.")
_method("adam", "Adam with bias correction (AMSGrad option), L2 weight decay.",
        {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, **_L2, "amsgrad": False},
        "Kingma & Ba (2015), ICLR, Alg. 1; Reddi, Kale & Kumar (2018), ICLR (AMSGrad); "
        "torch.optim.Adam.")
_method("adamw", "AdamW: Adam with decoupled weight decay.",
        {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2,
         "amsgrad": False},
        "Loshchilov & Hutter (2019), ICLR, Alg. 2; torch.optim.AdamW.")
_method("rprop", "Rprop: sign-based steps with per-coordinate adaptive step sizes (iRprop-).",
        {"lr": 1e-2, "etas": (0.5, 1.2), "step_sizes": (1e-6, 50.0)},
        "Riedmiller & Braun (1993); Igel & Huesken (2000) (iRprop-); torch.optim.Rprop.")
_method("lion", "Lion: sign of an interpolated momentum, decoupled weight decay.",
        {"lr": 1e-4, "betas": (0.9, 0.99), **_L2},
        "Chen et al. (2023), Symbolic Discovery of Optimization Algorithms, Alg. 2.")
_method("delta-bar-delta", "Local gains (delta-bar-delta): additive increase when gradient "
        "signs agree, multiplicative decrease otherwise, gains clipped.",
        {"lr": 1e-2, "kappa": 0.05, "phi": 0.05, "theta": 0.7, "gain_bounds": (0.1, 10.0)},
        "Jacobs (1988), Neural Networks 1(4); Hinton (2012), Coursera lecture 6d.")

# gd: the line-search entry of _registry.py, extended with the first-order options
_GD_LS = METHODS["gd"]
register("gd", "gd", "Gradient descent: steepest descent with a line search, or (PyTorch) SGD "
         "with a fixed or scheduled learning rate, full-batch or mini-batch.",
         {**_GD_LS.defaults, **_L2, **FIRST_ORDER}, diagnostics=_GD_LS.diagnostics,
         choices={**_CHOICES, **_GD_LS.choices},
         reference=_GD_LS.reference + " torch.optim.SGD.")

_RULES = {"gd": FO.GD, "adagrad": FO.ADAGRAD, "rmsprop": FO.RMSPROP, "adadelta": FO.ADADELTA,
          "adam": FO.ADAM, "adamw": FO.ADAM, "rprop": FO.RPROP, "lion": FO.LION,
          "delta-bar-delta": FO.DBD}
_FORMS = {"pytorch": FO.MOMENTUM, "velocity": FO.VELOCITY, "heavy-ball": FO.HEAVY_BALL,
          "sutskever": FO.NESTEROV, "lookahead": FO.LOOKAHEAD}
_UNIT = {"lo": 0.0, "hi": 1.0, "hi_open": True}          # beta in [0, 1)
_SCALARS = {
    "weight_decay": (FO.H_WD, {"lo": 0.0}), "momentum": (FO.H_MOMENTUM, _UNIT),
    "dampening": (FO.H_DAMPENING, {"lo": 0.0, "hi": 1.0}), "eps": (FO.H_EPS, {"lo": 0.0}),
    "alpha": (FO.H_ALPHA, _UNIT), "rho": (FO.H_RHO, _UNIT),
    "lr_decay": (FO.H_LR_DECAY, {"lo": 0.0}),
    "initial_accumulator_value": (FO.H_INIT_ACC, {"lo": 0.0}),
    "kappa": (FO.H_KAPPA, {"lo": 0.0}), "phi": (FO.H_PHI, _UNIT), "theta": (FO.H_THETA, _UNIT),
}
# pairs: (slots, bounds of each entry, ordering rule)
_PAIRS = {
    "betas": ((FO.H_BETA1, FO.H_BETA2), (_UNIT, _UNIT), None),
    "etas": ((FO.H_ETA_MINUS, FO.H_ETA_PLUS),
             ({"lo": 0.0, "hi": 1.0, "lo_open": True, "hi_open": True},
              {"lo": 1.0, "lo_open": True}), None),
    "step_sizes": ((FO.H_STEP_MIN, FO.H_STEP_MAX), ({"lo": 0.0, "lo_open": True},) * 2, "<="),
    "gain_bounds": ((FO.H_GAIN_MIN, FO.H_GAIN_MAX), ({"lo": 0.0, "lo_open": True},) * 2, "<="),
}
_SCHEDULE_USES = {SCH.STEP: ("gamma", "step_size", "milestones"), SCH.EXPONENTIAL: ("gamma",),
                  SCH.INVERSE_TIME: ("decay_rate",), SCH.POLYNOMIAL: ("decay_rate", "power")}


def _flag(opts, key):
    if not isinstance(opts[key], (bool, np.bool_)):
        raise ValueError(f"option {key!r} must be True or False, got {opts[key]!r}")
    return float(bool(opts[key]))


def _pair(opts, key):
    v = opts[key]
    if isinstance(v, (str, bytes)) or not hasattr(v, "__len__") or len(v) != 2:
        raise ValueError(f"option {key!r} must be a pair of real numbers, got {v!r}")
    _, bounds, order = _PAIRS[key]
    a, b = (check_real({f"{key}[{j}]": v[j]}, f"{key}[{j}]", **bounds[j]) for j in range(2))
    if order == "<=" and a > b:
        raise ValueError(f"option {key!r} must have {key}[0] <= {key}[1], got {tuple(v)!r}")
    return a, b


def _optional(opts, key, **bounds):
    return math.nan if opts[key] is None else check_real(opts, key, **bounds)


def schedule_params(opts):
    """(kind, sp) for the schedule options in ``opts`` (``lr`` included); ValueError naming a key."""
    name = opts["schedule"]
    if name not in SCH.NAMES:
        raise ValueError(f"option 'schedule' must be one of {tuple(SCH.NAMES)}, got {name!r}")
    kind = SCH.NAMES[name]
    uses = _SCHEDULE_USES.get(kind, ())
    for key in ("gamma", "step_size", "milestones", "decay_rate", "power"):
        if opts.get(key) is not None and key not in uses:
            raise ValueError(f"option {key!r} is not used by schedule {name!r}")
    miles = () if opts.get("milestones") is None else tuple(opts["milestones"])
    sp = np.zeros(SCH.NP_FIXED + len(miles))
    sp[SCH.P_LR] = check_real(opts, "lr", 0.0, lo_open=True)
    if kind == SCH.STEP:
        if (opts.get("step_size") is None) == (not miles):
            raise ValueError("schedule 'step' needs exactly one of options 'step_size' and "
                             "'milestones'")
        sp[SCH.P_GAMMA] = 0.1 if opts.get("gamma") is None else \
            check_real(opts, "gamma", 0.0, lo_open=True)
        if miles:
            ok = all(isinstance(m, (int, np.integer)) and not isinstance(m, bool) and m >= 0
                     for m in miles) and all(a < b for a, b in zip(miles, miles[1:]))
            if not ok:
                raise ValueError(f"option 'milestones' must be increasing integers >= 0, "
                                 f"got {opts['milestones']!r}")
            sp[SCH.P_NMILE] = len(miles)
            sp[SCH.NP_FIXED:] = miles
        else:
            sp[SCH.P_STEP_SIZE] = check_positive_int(opts, "step_size")
    for key, slot, lo in (("gamma", SCH.P_GAMMA, 0.0), ("decay_rate", SCH.P_DECAY, 0.0),
                          ("power", SCH.P_POWER, 0.0)):
        if key in uses and kind != SCH.STEP:
            if opts.get(key) is None:
                raise ValueError(f"schedule {name!r} needs option {key!r}")
            sp[slot] = check_real(opts, key, lo, lo_open=key != "decay_rate")
    sp[SCH.P_WARMUP] = check_positive_int(opts, "warmup_steps", 1 if kind == SCH.WARMUP else 0)
    sp[SCH.P_WARMUP_START] = check_real(opts, "warmup_start", 0.0, 1.0)
    return kind, sp


def learning_rates(n_steps, lr, **schedule):
    """eta_0 .. eta_{n_steps-1} of a schedule, as the driver computes them.

    >>> learning_rates(4, 0.1, schedule="step", step_size=2, gamma=0.5).tolist()
    [0.1, 0.1, 0.05, 0.05]
    """
    opts = {**{k: FIRST_ORDER[k] for k in ("schedule", "warmup_steps", "warmup_start")},
            **schedule, "lr": lr}
    kind, sp = schedule_params(opts)
    return np.array([SCH.lr_at(kind, sp, k) for k in range(n_steps)])


_RATE = []


def ticks_per_second():
    """Cycle-counter rate, measured once per process (time_limit -> ticks)."""
    if not _RATE:
        ticks()
        t0, c0 = time.perf_counter(), ticks()
        while time.perf_counter() - t0 < 0.005:
            pass
        _RATE.append((ticks() - c0) / (time.perf_counter() - t0))
    return _RATE[0]


def fo_arrays(method, opts, n, finite_sum):
    """Validated (hp, sp, fopt, iopt) for ``fo_driver``; ValueError naming the option."""
    name = method.name
    if opts.get("lr") is None:
        opts["lr"] = 1e-3                       # gd: PyTorch's SGD default
    hp = np.zeros(FO.NHP)
    for key, (slot, bounds) in _SCALARS.items():
        if key in opts:
            hp[slot] = check_real(opts, key, **bounds)
    for key, (slots, _, _) in _PAIRS.items():
        if key in opts:
            hp[slots[0]], hp[slots[1]] = _pair(opts, key)
    for key, slot in (("centered", FO.H_CENTERED), ("amsgrad", FO.H_AMSGRAD)):
        if key in opts:
            hp[slot] = _flag(opts, key)
    kind, sp = schedule_params(opts)
    hp[FO.H_LR0] = sp[SCH.P_LR]
    hp[FO.H_DECOUPLED] = float(name == "adamw")
    hp[FO.H_OPTAX] = float(opts["convention"] == "optax")
    rule = _FORMS[opts["form"]] if "form" in opts else _RULES[name]
    if name == "momentum" and hp[FO.H_DAMPENING] != 0.0 and (rule != FO.MOMENTUM or hp[FO.H_OPTAX]):
        raise ValueError("option 'dampening' exists only in form='pytorch' with "
                         "convention='pytorch' (optax's trace has no dampening)")
    if name == "nesterov" and hp[FO.H_MOMENTUM] == 0.0:
        raise ValueError("option 'momentum' must be > 0 for nesterov (as torch.optim.SGD)")
    batch = opts["batch_size"]
    if batch is not None and finite_sum is None:
        raise ValueError("option 'batch_size' needs a finite-sum objective: pass "
                         "fun=newtonlab.stochastic.FiniteSum(batch_fg, n_samples)")
    if opts["ftarget"] is not None and opts["fstar"] is None:
        raise ValueError("option 'ftarget' needs option 'fstar' (the known optimal value f*)")
    if opts["maxiter"] is None:
        opts["maxiter"] = DEFAULT_MAXITER
    fopt = np.zeros(FD.NF_OPTS)
    fopt[FD.F_GTOL] = check_real(opts, "gtol", 0.0)
    fopt[FD.F_FSTAR] = _optional(opts, "fstar")
    fopt[FD.F_FTARGET] = _optional(opts, "ftarget", lo=0.0)
    fopt[FD.F_FREL] = _optional(opts, "frel", lo=0.0)
    fopt[FD.F_GREL] = _optional(opts, "grel", lo=0.0)
    fopt[FD.F_DIVERGE] = _optional(opts, "divergence", lo=0.0, lo_open=True)
    limit = _optional(opts, "time_limit", lo=0.0, lo_open=True)
    fopt[FD.F_TIME] = limit * ticks_per_second() if math.isfinite(limit) else math.nan
    fopt[FD.F_NOISE_STD] = check_real(opts, "noise_std", 0.0)
    fopt[FD.F_NOISE_DECAY] = check_real(opts, "noise_decay", 0.0)
    fopt[FD.F_TEMPERATURE] = check_real(opts, "temperature", 0.0)
    iopt = np.zeros(FD.NI_OPTS, dtype=np.int64)
    iopt[FD.I_RULE] = rule
    iopt[FD.I_SCHEDULE] = kind
    iopt[FD.I_MAXITER] = check_positive_int(opts, "maxiter", 0)
    iopt[FD.I_MAXFEV] = _BIG if opts["maxfev"] is None else check_positive_int(opts, "maxfev")
    iopt[FD.I_GTOL_MODE] = ("absolute", "f", "g0").index(opts["gtol_scale"])
    iopt[FD.I_MODE] = FD.MODE_FULL if finite_sum is None else FD.MODE_BATCH
    iopt[FD.I_NSAMP] = 0 if finite_sum is None else finite_sum.n_samples
    iopt[FD.I_BATCH] = iopt[FD.I_NSAMP] if batch is None else check_positive_int(opts,
                                                                                "batch_size")
    iopt[FD.I_SEED] = check_positive_int(opts, "seed", 0)
    iopt[FD.I_NOISE] = ("none", "gaussian", "langevin").index(opts["noise"])
    iopt[FD.I_FULL_EVAL] = ("epoch", "end").index(opts["full_eval"])
    return hp, sp, fopt, iopt


_ENTRIES = {}
twin(FD.eval_batch)
_TWIN = twin(FD.fo_driver, OBJECTIVE_CALLS + ("eval_batch",))


def _entry(A):
    """Entry point of ``fo_driver`` compiled once per args type A (cached on disk)."""
    if A not in _ENTRIES:
        sig = (objective_type(A), SC.batch_type(A), CALLBACK_TYPE, A, F64_1D, F64_1D, F64_1D,
               F64_1D, I64_1D, F64_2D, F64_2D, F64_2D)
        FD.fo_driver.compile(sig)
        _ENTRIES[A] = FD.fo_driver.overloads[sig].entry_point
    return _ENTRIES[A]


def run(obj, x0, method, opts, callback):
    """Run ``fo_driver``: compiled for jitted objectives without callback, else interpreted."""
    n = x0.size
    fs = SC.finite_sum_of(obj)
    hp, sp, fopt, iopt = fo_arrays(method, opts, n, fs)
    maxiter = int(iopt[FD.I_MAXITER])
    if fs is None:
        A = obj.args_type if obj.compiled and callback is None else None
        ob, cost = obj.ob, obj.cost
        bfg = SC.batch_placeholder(A) if A is not None else None
    else:
        A = SC.args_type(obj.args) if fs.compiled and callback is None else None
        cost = Cost()
        if A is not None:
            ob = tuple(placeholder(s, A) for s in range(5)) + (EV.G_FUSED, EV.H_NONE, EV.HP_NONE)
            bfg = SC.compiled_batch(fs, A)
        else:
            ob, bfg = obj.ob, SC.python_batch(fs, n)
    if A is not None:
        driver, cb = _entry(A), no_callback()
    else:
        driver, cb = _TWIN, callback if callback is not None else (lambda k, x, f, g: 0)
    trace = np.empty((maxiter + 1, FD.NCOL))     # rows past nit are never read
    allvecs = np.empty((maxiter + 1 if opts["return_all"] else 0, n))
    state = np.zeros((FO.NSTATE, n))
    tick0 = ticks()
    t0 = time.perf_counter()
    x, f, g, status, nit, nf = driver(ob, bfg, cb, obj.args, x0, hp, sp, fopt, iopt, state,
                                      trace, allvecs)
    t_wall = time.perf_counter() - t0
    tr = make_trace(trace, nit, FD.DIAGNOSTICS, cost, tick0, ticks(), t_wall)
    extra = {"allvecs": [v.copy() for v in allvecs[: nit + 1]]} if opts["return_all"] else {}
    return build_result(x, f, g, int(status), int(nit), int(nf), 0, cost, tr,
                        execution="compiled" if A is not None else "interpreted", **extra)


_GD_FIRST_ORDER = tuple(FIRST_ORDER) + ("weight_decay",)


def _same(value, default):
    if value is None or default is None:
        return value is default
    return bool(np.array_equal(value, default))


def run_gd(obj, x0, method, opts, callback):
    """gd: the line-search driver, or fixed-step SGD on the first-order driver (see module doc)."""
    changed = [k for k in _GD_FIRST_ORDER if not _same(opts[k], method.defaults[k])]
    finite_sum = SC.finite_sum_of(obj) is not None
    if opts["linesearch"] == "none" or changed or finite_sum:
        if opts["linesearch"] == "wolfe":
            raise ValueError(f"option(s) {changed or ['fun=FiniteSum']} select gd's fixed-step "
                             f"first-order driver; they cannot be combined with "
                             f"linesearch='wolfe'")
        return run(obj, x0, method, opts, callback)
    return run_linesearch(obj, x0, method, opts, callback)


add_runner("firstorder", run)
add_runner("gd", run_gd)
