"""Validating a sweep's methods and their options (the ``methods`` list of its TOML).

Why a module of its own: :mod:`newtonlab.sweep.config` reads the file and checks its
keys, problems and seeds; checking a method is a different job -- its name against
``newtonlab.METHODS`` or scipy's methods, its record label, the ``[options]`` merged with
its own, newtonlab options against the method's defaults and their types, scipy options by
one tiny trial run of ``scipy.optimize.minimize`` with its "unknown option" warning turned
into an error.  :func:`newtonlab.sweep.config.parse_config` calls :func:`_method` for each
entry.
"""
from __future__ import annotations

import warnings

import numpy as np

from .config import SCIPY_METHODS, ConfigError, MethodSpec, scipy_functions


def _fmt(v):
    if isinstance(v, list):
        return "[" + ",".join(_fmt(x) for x in v) + "]"
    return v if isinstance(v, str) else repr(v)


def _method(entry, global_options):
    if isinstance(entry, str):
        name, own = entry, {}
    elif isinstance(entry, dict):
        bad = sorted(set(entry) - {"name", "options"})
        if bad or not isinstance(entry.get("name"), str):
            raise ConfigError(f"methods: {entry!r}: a method table has a string 'name' and an "
                              f"optional 'options' table" +
                              (f" (unknown key(s) {bad})" if bad else ""))
        name, own = entry["name"], entry.get("options", {})
        if not isinstance(own, dict):
            raise ConfigError(f"methods: {name!r}: options must be a table, got {own!r}")
    else:
        raise ConfigError(f"methods: {entry!r} is neither a name nor a table")
    suffix = ("[" + ",".join(f"{k}={_fmt(v)}" for k, v in sorted(own.items())) + "]"
              if own else "")
    if name.lower().startswith("scipy:"):
        smeth = SCIPY_METHODS.get(name[6:].lower())
        if smeth is None:
            raise ConfigError(f"methods: unknown scipy method {name!r}; scipy methods: "
                              f"{', '.join('scipy:' + m for m in SCIPY_METHODS.values())}")
        opts = _scipy_options(smeth, own, global_options)
        return MethodSpec(f"scipy:{smeth}{suffix}", smeth, "scipy", opts)
    from .. import METHODS
    key = name.lower()
    if key not in METHODS:
        raise ConfigError(f"methods: unknown method {name!r}; newtonlab methods: "
                          f"{', '.join(METHODS)}; or scipy:NAME (e.g. scipy:BFGS)")
    opts = {**global_options, **own}
    where = f"methods: {key!r}" if own else f"[options] for method {key!r}"
    try:
        METHODS[key].options(opts)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    for k, v in opts.items():
        _check_type(where, k, v, METHODS[key].defaults[k])
    return MethodSpec(key + suffix, key, "newtonlab", opts)


def _check_type(where, key, value, default):
    """The value's type against the default's (None defaults take anything)."""
    if default is None:
        return
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, (int, float)):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif isinstance(default, str):
        ok = isinstance(value, str)
    elif isinstance(default, (tuple, list)):
        ok = isinstance(value, (tuple, list))
    else:
        ok = True
    if not ok:
        raise ConfigError(f"{where}: option {key!r} = {value!r} should be of the type of its "
                          f"default {default!r}")


def _scipy_options(smeth, own, global_options):
    """The options passed to scipy: ``own`` plus the translated [options] (gtol, maxiter),
    checked by a trial run on a 2-D quadratic."""
    from scipy.optimize import OptimizeWarning, minimize

    from ..bench.counterparts import SCIPY_TOLERANCES
    from_globals = {}
    if "gtol" in global_options and smeth in SCIPY_TOLERANCES:
        from_globals.update(SCIPY_TOLERANCES[smeth][0](global_options["gtol"]))
    if "maxiter" in global_options and global_options["maxiter"] is not None:
        from_globals["maxiter"] = global_options["maxiter"]
    opts = {**from_globals, **own}
    kw = scipy_functions(smeth, lambda x: 2.0 * x, lambda x: 2.0 * np.eye(x.size),
                         lambda x, p: 2.0 * p)
    for _ in range(2):
        with warnings.catch_warnings():
            warnings.simplefilter("error", OptimizeWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                minimize(lambda x: float(x @ x), np.array([1.0, -1.0]), method=smeth,
                         options=opts, **kw)
                return opts
            except OptimizeWarning as w:
                bad = [k for k in opts if k in str(w)]
                if bad and all(k in from_globals and k not in own for k in bad):
                    for k in bad:                 # an [options] key this method lacks
                        opts.pop(k)
                    continue
                raise ConfigError(f"methods: 'scipy:{smeth}': {w}") from None
            except Exception as exc:
                raise ConfigError(f"methods: 'scipy:{smeth}' options {opts!r}: "
                                  f"{type(exc).__name__}: {exc}") from None
    return opts

