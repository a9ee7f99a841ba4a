"""Option checking: each value is type-checked and coerced before it reaches a typed record.

Compiled options are NamedTuples of float64 / int64 / bool fields; coercing here
keeps their numba type fixed, so ``lr=1`` and ``lr=1.0`` reuse one compilation.
Every error is a ``ValueError`` naming the option.

Checking costs microseconds per option, more than a small compiled solve, and most
programs call ``minimize`` many times with the same options: :func:`freeze` gives the
key under which callers remember a validated result (``_minimize``, ``_run``).
"""
import math

import numpy as np

from ._engine.clock import budget_ticks

BIG = 2 ** 62      # "unlimited" for integer budgets


def positive_int(opts, key, minimum=1):
    """``opts[key]`` as an int >= minimum (bools and floats are refused)."""
    v = opts[key]
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < minimum:
        raise ValueError(f"option {key!r} must be an integer >= {minimum}, got {v!r}")
    return int(v)


def budget(opts, key, default):
    """An integer budget where None means ``default``."""
    return default if opts[key] is None else positive_int(opts, key, 0 if key == "maxiter" else 1)


def real(opts, key, lo=-math.inf, hi=math.inf, lo_open=False, hi_open=False):
    """``opts[key]`` as a float in the interval (strings and bools are refused)."""
    v = opts[key]
    if isinstance(v, (str, bytes, bool, np.bool_)):
        raise ValueError(f"option {key!r} must be a real number, got {v!r}")
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


def time_limit(opts):
    """The option time_limit (seconds, None: no limit) as a cycle-counter tick budget."""
    if opts.get("time_limit") is None:
        return math.inf
    return budget_ticks(real(opts, "time_limit", 0.0, lo_open=True))


def flag(opts, key):
    """``opts[key]`` as a bool; only True or False are accepted (``"no"`` is not False)."""
    v = opts[key]
    if not isinstance(v, (bool, np.bool_)):
        raise ValueError(f"option {key!r} must be True or False, got {v!r}")
    return bool(v)


def choice(opts, key, allowed):
    """The index of ``opts[key]`` in ``allowed``."""
    v = opts[key]
    if v not in allowed:
        raise ValueError(f"option {key!r} must be one of {tuple(allowed)}, got {v!r}")
    return tuple(allowed).index(v)


def merge(name, defaults, choices, given):
    """Defaults updated with ``given``; ValueError naming unknown keys or bad choices."""
    given = dict(given or {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for method {name!r}; "
                         f"valid options: {sorted(defaults)}")
    opts = {**defaults, **given}
    for key, allowed in choices.items():
        choice(opts, key, allowed)
    return opts


#: option values whose check depends on (type, value) alone; a list, an array or an
#: object may change in place between two calls, so options holding one are checked afresh
_PLAIN = frozenset({bool, int, float, str, type(None), np.bool_, np.int8, np.int16, np.int32,
                    np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.float16,
                    np.float32, np.float64})
_FLOATS = frozenset({float, np.float16, np.float32, np.float64})


def freeze(items):
    """A hashable key for option ``(name, value)`` pairs, or None when one value is not plain.

    Two keys are equal only when every value has the same type and value (``1``,
    ``1.0`` and ``True`` are told apart, and so are ``0.0`` and ``-0.0``), so a result
    validated for one is the result for the other.  NaN never equals itself: such
    options are simply checked again.

    Examples
    --------
    >>> freeze({"maxiter": 3}.items()) == freeze({"maxiter": 3.0}.items())
    False
    >>> freeze({"milestones": [10, 20]}.items()) is None
    True
    """
    key = []
    for name, v in items:
        t = type(v)
        if t not in _PLAIN or type(name) is not str:
            return None
        if t in _FLOATS and v == 0:
            key.append((name, t, v, math.copysign(1.0, v)))
        else:
            key.append((name, t, v))
    return tuple(key)
