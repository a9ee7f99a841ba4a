"""Reading and validating a sweep's TOML configuration.

Why validate everything up front: a sweep may run for hours on many processes; an unknown
problem, method or option found by the 500th task would waste all that.  So the whole
configuration is checked before anything runs, and every error names the offending key
and value (:class:`ConfigError`).  Problems are built here (building is cheap: no
compilation), which also gives each its stable id and dimension; newtonlab options are
checked against ``newtonlab.METHODS``; scipy options by one tiny trial run of
``scipy.optimize.minimize`` with its "unknown option" warning turned into an error.

The format (docs/sweeps.md has the reference)::

    problems = ["rosenbrock", "mgh", {name = "quadratic", params = {n = 50}},
                "myproblems.py:make_problem"]
    methods = ["bfgs", {name = "newton-tr", options = {subproblem = "cg"}}, "scipy:BFGS"]
    seeds = [0, 1, 2]
    repeats = 1        # timing repetitions of every (problem, method, seed)
    timeout = 60       # seconds per task
    trace = false      # also write traces.csv
    [options]          # for every method
    gtol = 1e-6
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field

#: scipy.optimize.minimize methods by lower-case name -> canonical spelling
SCIPY_METHODS = {m.lower(): m for m in (
    "Nelder-Mead", "Powell", "CG", "BFGS", "Newton-CG", "L-BFGS-B", "TNC", "COBYLA", "COBYQA",
    "SLSQP", "trust-constr", "dogleg", "trust-ncg", "trust-exact", "trust-krylov")}
#: [options] keys passed on to scipy methods (gtol translated as in `newtonlab compare`)
SCIPY_GLOBALS = ("gtol", "maxiter")
TOP_KEYS = ("problems", "methods", "seeds", "options", "repeats", "timeout", "trace",
            "description")
DEFAULT_TIMEOUT = 60.0


class ConfigError(ValueError):
    """An invalid sweep configuration; the message names the key and value.

    A subclass of :class:`ValueError`, raised by :func:`load_config` and
    :func:`parse_config` before anything runs.

    Examples
    --------
    >>> parse_config({"problems": ["rosenbrock"]})
    Traceback (most recent call last):
        ...
    newtonlab.sweep.config.ConfigError: missing key 'methods'
    """


@dataclass(frozen=True)
class ProblemSpec:
    """One problem of a sweep: ``id`` is stable (the record's ``problem``)."""
    id: str
    name: str                 # library name, or the hook as written ("mod:fn", "file.py:fn")
    params: dict = field(default_factory=dict)
    hook: str | None = None   # resolved hook ("mod:fn" or "/abs/file.py:fn"), else None
    n: int = 0
    args_key: str = ""        # the args type ("" for args=()); one compilation per type
    fmin: float | None = None

    def as_task(self):
        return {"id": self.id, "name": self.name, "params": dict(self.params),
                "hook": self.hook, "n": self.n, "fmin": self.fmin}


@dataclass(frozen=True)
class MethodSpec:
    """One method of a sweep: ``label`` names it in records ("bfgs", "scipy:BFGS",
    "newton-tr[subproblem=cg]"); ``options`` are those actually passed."""
    label: str
    name: str
    library: str              # "newtonlab" | "scipy"
    options: dict = field(default_factory=dict)

    def as_task(self):
        return {"label": self.label, "name": self.name, "library": self.library,
                "options": dict(self.options)}


@dataclass
class SweepConfig:
    """A validated sweep configuration, as returned by :func:`parse_config`.

    Attributes
    ----------
    problems : list of ProblemSpec
        The problems, tags expanded, duplicates dropped; each with its stable ``id``,
        dimension ``n`` and known ``fmin`` (or None).
    methods : list of MethodSpec
        The methods, each with its record ``label`` and the ``options`` actually passed
        (``[options]`` merged with the method's own; scipy's translated).
    seeds : list of int
        Start-point seeds (``seeds = k`` in the file means ``0 .. k-1``); default ``[0]``.
    options : dict
        The ``[options]`` table, for every method.
    repeats : int
        Timing repetitions of every (problem, method, seed); default 1.
    timeout : float or None
        Seconds per task; None when the file says ``timeout = 0`` (no limit); default 60.
    trace : bool
        Whether per-iteration rows go to ``traces.csv``; default False.
    raw : dict
        The parsed TOML, compared by ``--resume`` with the copy in the output directory.

    Examples
    --------
    >>> cfg = parse_config({"problems": ["rosenbrock"], "methods": ["bfgs"], "seeds": 2})
    >>> [p.id for p in cfg.problems], [m.label for m in cfg.methods], cfg.seeds
    (['rosenbrock'], ['bfgs'], [0, 1])
    >>> cfg.repeats, cfg.timeout, cfg.trace
    (1, 60.0, False)
    """
    problems: list
    methods: list
    seeds: list
    options: dict
    repeats: int = 1
    timeout: float | None = DEFAULT_TIMEOUT
    trace: bool = False
    raw: dict = field(default_factory=dict)   # the parsed TOML, for resume's comparison


def load_config(path):
    """Parse and validate the TOML file ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The sweep's TOML file; relative hook files (``"file.py:function"``) in it are
        resolved against its directory.

    Returns
    -------
    SweepConfig
        The validated configuration.

    Raises
    ------
    ConfigError
        The file is not valid TOML, or the configuration is invalid (see
        :func:`parse_config`).
    OSError
        The file cannot be read.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "sweep.toml")
    >>> with open(path, "w") as fh:
    ...     _ = fh.write('problems = ["beale"]\\nmethods = ["bfgs", "lbfgs"]\\n')
    >>> cfg = load_config(path)
    >>> [m.label for m in cfg.methods]
    ['bfgs', 'lbfgs']
    """
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(raw, base_dir=os.path.dirname(os.path.abspath(path)))


def parse_config(raw, base_dir="."):
    """Validate the parsed TOML ``raw`` (a dict) and build its :class:`SweepConfig`.

    Everything is checked up front: keys, problems (each is built, which is cheap),
    method names and their options (newtonlab options against the method's defaults,
    scipy options by a tiny trial run), seeds, ``repeats``, ``timeout`` and ``trace``.

    Parameters
    ----------
    raw : dict
        The parsed TOML (as from :func:`tomllib.load`); the format is in the module
        docstring and docs/sweeps.md.
    base_dir : str, default "."
        The directory that relative hook files (``"file.py:function"``) are resolved in.

    Returns
    -------
    SweepConfig
        The validated configuration (``raw`` kept as its ``raw`` attribute).

    Raises
    ------
    ConfigError
        Any invalid key or value; the message names the key and the value.

    Examples
    --------
    >>> cfg = parse_config({"problems": [{"name": "quadratic", "params": {"n": 5}}],
    ...                     "methods": ["bfgs", {"name": "newton-tr",
    ...                                          "options": {"subproblem": "cg"}}],
    ...                     "timeout": 0})
    >>> [m.label for m in cfg.methods], cfg.timeout
    (['bfgs', 'newton-tr[subproblem=cg]'], None)
    >>> parse_config({"problems": ["beale"], "methods": ["bfgs"], "repeats": 0})
    Traceback (most recent call last):
        ...
    newtonlab.sweep.config.ConfigError: repeats must be an integer >= 1, got 0
    """
    if not isinstance(raw, dict):
        raise ConfigError("the configuration must be a TOML table")
    unknown = sorted(set(raw) - set(TOP_KEYS))
    if unknown:
        raise ConfigError(f"unknown key(s) {unknown}; valid keys: {list(TOP_KEYS)}")
    for key in ("problems", "methods"):
        if key not in raw:
            raise ConfigError(f"missing key {key!r}")
        if not isinstance(raw[key], list) or not raw[key]:
            raise ConfigError(f"{key} must be a non-empty list, got {raw[key]!r}")
    options = raw.get("options", {})
    if not isinstance(options, dict):
        raise ConfigError(f"[options] must be a table, got {options!r}")
    repeats = raw.get("repeats", 1)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ConfigError(f"repeats must be an integer >= 1, got {repeats!r}")
    timeout = raw.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
        raise ConfigError(f"timeout must be a number of seconds >= 0 (0: none), "
                          f"got {timeout!r}")
    trace = raw.get("trace", False)
    if not isinstance(trace, bool):
        raise ConfigError(f"trace must be true or false, got {trace!r}")
    from .config_methods import _method           # it imports this module's names
    problems = _problems(raw["problems"], base_dir)
    methods = [_method(m, options) for m in raw["methods"]]
    labels = [m.label for m in methods]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise ConfigError(f"methods: duplicate method label(s) {dup}")
    return SweepConfig(problems, methods, _seeds(raw.get("seeds", [0])), dict(options),
                       repeats, float(timeout) or None, trace, raw)


# ------------------------------------------------------------------ seeds

def _seeds(seeds):
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ConfigError(f"seeds = {seeds!r}: an integer k means seeds 0..k-1 (k >= 1)")
        return list(range(seeds))
    if not isinstance(seeds, list) or not seeds:
        raise ConfigError(f"seeds must be a non-empty list of integers >= 0, got {seeds!r}")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise ConfigError(f"seeds: {s!r} is not an integer >= 0")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"seeds: duplicate seeds in {seeds!r}")
    return list(seeds)


# ------------------------------------------------------------------ problems

def _problems(entries, base_dir):
    from .. import problems as lib
    from .tasks import hook_path, resolve_problem
    out, seen = [], set()

    def add(name, params, hook):
        try:
            p = resolve_problem({"name": name, "params": params, "hook": hook})
        except Exception as exc:
            raise ConfigError(f"problems: {name!r} with params {params!r}: "
                              f"{type(exc).__name__}: {exc}") from None
        pid = p.id if hook is None else _hook_id(name, params)
        if pid not in seen:
            seen.add(pid)
            args_key = ",".join(f"{type(a).__name__}{getattr(a, 'ndim', '')}"
                                for a in (p.args or ()))
            fmin = getattr(p, "fmin", None)
            out.append(ProblemSpec(pid, name, dict(params), hook, int(p.n), args_key,
                                   None if fmin is None else float(fmin)))

    for e in entries:
        if isinstance(e, dict):
            bad = sorted(set(e) - {"name", "params"})
            if bad or not isinstance(e.get("name"), str):
                raise ConfigError(f"problems: {e!r}: a problem table has a string 'name' and "
                                  f"an optional 'params' table" +
                                  (f" (unknown key(s) {bad})" if bad else ""))
            name, params = e["name"], e.get("params", {})
            if not isinstance(params, dict):
                raise ConfigError(f"problems: {name!r}: params must be a table, got {params!r}")
        elif isinstance(e, str):
            name, params = e, {}
        else:
            raise ConfigError(f"problems: {e!r} is neither a name, a tag nor a table")
        if ":" in name:
            add(name, params, hook_path(name, base_dir))
        elif name in lib.PROBLEMS:
            add(name, params, None)
        elif name in lib.LABELS and not params:
            members = lib.names(name)
            if not members:
                raise ConfigError(f"problems: tag {name!r} matches no problem")
            for member in members:
                add(member, {}, None)
        else:
            raise ConfigError(f"problems: unknown problem or tag {name!r}; problems: "
                              f"{', '.join(lib.PROBLEMS)}; tags: {', '.join(sorted(lib.LABELS))}"
                              f"; or a hook 'module:function' / 'file.py:function'")
    return out


def _hook_id(name, params):
    return name if not params else \
        f"{name}({','.join(f'{k}={v!r}' for k, v in sorted(params.items()))})"


# ------------------------------------------------------------------ methods
# (validated in .config_methods)

#: scipy methods that take the gradient, the Hessian, or Hessian products
_SCIPY_NO_JAC = {"Nelder-Mead", "Powell", "COBYLA", "COBYQA"}
_SCIPY_HESS = {"trust-exact", "dogleg"}
_SCIPY_HESSP = {"Newton-CG", "trust-ncg", "trust-krylov", "trust-constr"}


def scipy_functions(smeth, jac, hess, hessp):
    """The keyword arguments (jac, hess, hessp) scipy's ``smeth`` uses: the gradient unless
    derivative-free; the Hessian for trust-exact and dogleg; Hessian products (the Hessian
    when there are none) for Newton-CG, trust-ncg, trust-krylov and trust-constr."""
    kw = {} if smeth in _SCIPY_NO_JAC else {"jac": jac}
    if smeth in _SCIPY_HESS:
        kw["hess"] = hess
    elif smeth in _SCIPY_HESSP:
        if hessp is not None:
            kw["hessp"] = hessp
        elif hess is not None:
            kw["hess"] = hess
    return kw
