"""Performance and data profiles of a sweep, computed from its ``runs.jsonl`` alone.

An *instance* is a pair (problem id, seed); a *solver* is a record's ``method``
label; a *run* is one (instance, solver); its records (``repeat`` = 0, 1, ...)
are timing repetitions of the same iterates.

Convergence test (Moré & Wild 2009, sec. 2): a run solves instance p at
tolerance tau at the first history point x_k with
``f(x_k) <= f_L + tau (f(x_0) - f_L)``, where ``f_L`` is the smallest f of any
solver on p (every history value and final ``fun`` of the runs that did not
fail), or the reference ``fmin`` when lower (``use_fmin=True``, the default: a
run stalled at a local minimum above a known global one does not solve).
Failures -- a string status (``"error"``, ``"timeout"``) or a non-finite final
``fun`` -- never solve; nor does a solver without a record on the instance.

The cost t_{p,s} is the metric at that first passing point, ``history[metric][k]``
(``time``: seconds since the solver started, 0 at the start point), else the
run's total (an upper bound: the history lacks the column, or has no passing
point although the final ``fun`` passes).  Over repeats, the median.

References: E. D. Dolan, J. J. Moré, "Benchmarking optimization software with
performance profiles", Math. Program. 91 (2002) 201-213.  J. J. Moré, S. M. Wild,
"Benchmarking derivative-free optimization algorithms", SIAM J. Optim. 20 (2009)
172-191.  See docs/profiles.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .records import read_runs

__all__ = ["read_runs", "is_failure", "Profile", "performance_profile", "data_profile",
           "SpeedRatios", "speed_ratios", "summary", "cost_table", "profile_dir"]

TAUS = (1e-1, 1e-3, 1e-5, 1e-7)


def _num(v, default=math.nan):
    try:
        return default if v is None else float(v)
    except (TypeError, ValueError):
        return default


def is_failure(rec):
    """Whether a record is a failed run: a string status or a non-finite ``fun``.

    A failed run (status ``"error"`` or ``"timeout"``, or a ``fun`` that is missing,
    None or not finite) never solves an instance in the profiles.

    Parameters
    ----------
    rec : dict
        One record of ``runs.jsonl``.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_failure({"status": 0, "fun": 1e-9}), is_failure({"status": "timeout", "fun": None})
    (False, True)
    >>> is_failure({"status": 1, "fun": float("nan")})
    True
    """
    return isinstance(rec.get("status"), str) or not math.isfinite(_num(rec.get("fun")))


def _sort_key(inst):
    return (inst[0], (0, inst[1]) if isinstance(inst[1], (int, float)) else (1, str(inst[1])))


def _group(records):
    """({instance: {solver: [records]}}, sorted instances, sorted solvers)."""
    g = {}
    for r in records:
        inst = (str(r.get("problem")), r.get("seed"))
        g.setdefault(inst, {}).setdefault(str(r.get("method")), []).append(r)
    solvers = sorted({s for runs in g.values() for s in runs})
    return g, sorted(g, key=_sort_key), solvers


def _hist(rec, col):
    v = (rec.get("history") or {}).get(col)
    return np.asarray([_num(x) for x in v], dtype=float) if v else np.empty(0)


def _reference(runs, use_fmin):
    """(f_L, f0) of one instance from its {solver: [records]}."""
    vals, f0s, fmins = [], [], []
    for recs in runs.values():
        for r in recs:
            f0s.append(_num(r.get("f0")))
            fmins.append(_num(r.get("fmin")))
            hf = _hist(r, "f")
            if hf.size and not math.isfinite(f0s[-1]):
                f0s[-1] = hf[0]
            if not is_failure(r):
                vals.extend(hf[np.isfinite(hf)].tolist() + [_num(r.get("fun"))])
    fmin = [v for v in fmins if math.isfinite(v)]
    if use_fmin and fmin:
        vals.append(min(fmin))
    f0 = [v for v in f0s if math.isfinite(v)]
    return (min(vals) if vals else math.nan), (f0[0] if f0 else math.nan)


def _run_cost(rec, thresh, metric):
    """Metric value at the record's first point with f <= thresh (inf: never)."""
    if is_failure(rec) or not thresh <= math.inf:        # NaN threshold: nothing solves
        return math.inf
    f = _hist(rec, "f")
    hit = np.flatnonzero(f <= thresh)
    col = _hist(rec, metric)
    if hit.size and col.size == f.size:
        k = int(hit[0])
        return 0.0 if (metric == "time" and k == 0) else float(col[k])
    if hit.size or _num(rec.get("fun")) <= thresh:
        return _num(rec.get(metric), math.inf)
    return math.inf


def cost_table(records, tau, metric="nfev", *, use_fmin=True):
    """Costs t_{p,s} (median over repeats; inf = not solved), one row per instance.

    The convergence test and the cost are those of the module docstring.

    Parameters
    ----------
    records : list of dict
        Records of ``runs.jsonl`` (:func:`read_runs`).
    tau : float
        Tolerance of the convergence test.
    metric : str, default "nfev"
        ``"time"`` or a count (``"nfev"``, ``"njev"``, ``"nhev"``, ``"nit"``).
    use_fmin : bool, default True
        Let a lower reference ``fmin`` define f_L.

    Returns
    -------
    instances : list of tuple
        The (problem, seed) pairs, sorted: the rows.
    solvers : tuple of str
        The method labels, sorted: the columns.
    T : numpy.ndarray, shape (len(instances), len(solvers))
        The costs; inf where the solver did not solve the instance.
    dims : numpy.ndarray, shape (len(instances),)
        The dimension n_p of each instance (NaN when no record gives ``n``).

    Examples
    --------
    >>> recs = [{"problem": "p", "seed": 0, "n": 2, "method": m, "status": 0, "fun": 0.0,
    ...          "f0": 1.0, "nfev": k, "history": {"nfev": [1, k], "f": [1.0, 0.0]}}
    ...         for m, k in (("a", 7), ("b", 3))]
    >>> instances, solvers, T, dims = cost_table(recs, 1e-3)
    >>> instances, solvers, T.tolist(), dims.tolist()
    ([('p', 0)], ('a', 'b'), [[7.0, 3.0]], [2.0])
    """
    g, instances, solvers = _group(records)
    T = np.full((len(instances), len(solvers)), math.inf)
    dims = np.empty(len(instances))
    for i, inst in enumerate(instances):
        runs = g[inst]
        f_l, f0 = _reference(runs, use_fmin)
        thresh = f_l + tau * (f0 - f_l) if f0 >= f_l else f_l
        dims[i] = next((v for rs in runs.values() for r in rs
                        if math.isfinite(v := _num(r.get("n")))), math.nan)
        for j, s in enumerate(solvers):
            if s in runs:
                T[i, j] = float(np.median([_run_cost(r, thresh, metric) for r in runs[s]]))
    return instances, tuple(solvers), T, dims


@dataclass(frozen=True, eq=False)
class Profile:
    """A performance or data profile (:func:`performance_profile`, :func:`data_profile`).

    Attributes
    ----------
    kind : str
        ``"performance"`` or ``"data"``.
    metric : str
        The cost: ``"time"``, ``"nfev"``, ``"njev"``, ``"nhev"`` or ``"nit"``.
    tau : float
        The convergence test's tolerance.
    solvers : tuple of str
        The method labels, sorted: the columns of ``table`` and ``costs``.
    instances : tuple of tuple
        The (problem, seed) pairs, sorted: the rows of ``table`` and ``costs``.
    grid : numpy.ndarray, shape (m,)
        alpha (from 1) or kappa: log-spaced, plus every finite ``table`` value.
    curves : numpy.ndarray, shape (len(solvers), m)
        ``curves[j]`` is rho_s (d_s) of solver j on ``grid``: the fraction of all
        instances with ``table <= grid``.
    table : numpy.ndarray, shape (len(instances), len(solvers))
        r_{p,s} = t_{p,s} / min_s t_{p,s} (performance), or t_{p,s} / (n_p + 1)
        (data; t_{p,s} itself for ``metric="time"``); inf: not solved.
    costs : numpy.ndarray, shape (len(instances), len(solvers))
        t_{p,s} (:func:`cost_table`); inf: not solved.

    Examples
    --------
    >>> recs = [{"problem": "p", "seed": 0, "n": 1, "method": "a", "status": 0, "fun": 0.0,
    ...          "f0": 1.0, "nfev": 4, "history": {"nfev": [1, 4], "f": [1.0, 0.0]}}]
    >>> prof = performance_profile(recs, "nfev", tau=1e-3)
    >>> prof.kind, prof.solvers, prof.costs.tolist(), prof.at(1.0)
    ('performance', ('a',), [[4.0]], {'a': 1.0})
    """

    kind: str
    metric: str
    tau: float
    solvers: tuple
    instances: tuple
    grid: np.ndarray
    curves: np.ndarray
    table: np.ndarray
    costs: np.ndarray

    def at(self, x):
        """Each solver's curve value at ``x`` (solver -> fraction; ``x=inf``: solved at all)."""
        t = np.where(np.isfinite(self.table), self.table, np.nan)   # inf: never solved
        return {s: float(np.mean(t[:, j] <= x)) if len(self.instances) else 0.0
                for j, s in enumerate(self.solvers)}


def _curves(table, grid):
    if table.shape[0] == 0:
        return np.zeros((table.shape[1], grid.size))
    return np.stack([np.mean(table[:, j][:, None] <= grid[None, :], axis=0)
                     for j in range(table.shape[1])])


def performance_profile(records, metric="time", tau=1e-5, *, use_fmin=True):
    """Dolan & Moré (2002) performance profile rho_s(alpha).

    rho_s(alpha) = |{p : r_{p,s} <= alpha}| / |P|,  r_{p,s} = t_{p,s} / min_s t_{p,s},
    with t_{p,s} the cost at which s first passes the convergence test (see the
    module docstring); r = inf where s does not solve p, and 1 for every solver
    tied with the best (also 0 / 0: solved at the start point in 0 s).

    Parameters
    ----------
    records : list of dict
        Records of ``runs.jsonl`` (:func:`read_runs`).
    metric : str
        ``"time"`` or a count (``"nfev"``, ``"njev"``, ``"nhev"``, ``"nit"``).
    tau : float
        Tolerance of the convergence test.
    use_fmin : bool
        Let a lower reference ``fmin`` define f_L.

    Returns
    -------
    Profile

    Examples
    --------
    >>> def rec(method, nfev, fs, seed=0):
    ...     return {"problem": "p", "seed": seed, "n": 2, "method": method, "status": 0,
    ...             "fun": fs[-1], "f0": fs[0], "fmin": 0.0, "nfev": nfev[-1],
    ...             "history": {"nfev": nfev, "f": fs, "time": [0.0] * len(fs)}}
    >>> recs = [rec("a", [1, 5, 9], [1.0, 1e-2, 0.0]), rec("b", [1, 3], [1.0, 0.0]),
    ...         rec("a", [1, 4], [1.0, 0.0], seed=1), {**rec("b", [1], [1.0], seed=1),
    ...                                              "status": "error", "fun": None}]
    >>> pp = performance_profile(recs, "nfev", tau=1e-3)
    >>> pp.table.tolist()                       # rows (p, 0), (p, 1); columns a, b
    [[3.0, 1.0], [1.0, inf]]
    >>> pp.at(1.0), pp.at(3.0)
    ({'a': 0.5, 'b': 0.5}, {'a': 1.0, 'b': 0.5})
    """
    instances, solvers, T, _ = cost_table(records, tau, metric, use_fmin=use_fmin)
    best = T.min(axis=1, initial=math.inf)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        R = np.where(T == best, 1.0, T / best)
    R[~np.isfinite(T) | np.isnan(R)] = math.inf
    fin = R[np.isfinite(R)]
    top = max(float(fin.max()) if fin.size else 1.0, 2.0) * 2.0
    grid = np.unique(np.concatenate([np.geomspace(1.0, top, 256), fin]))
    return Profile("performance", metric, tau, solvers, tuple(instances), grid,
                   _curves(R, grid), R, T)


def data_profile(records, tau, budget="nfev", *, use_fmin=True):
    """Moré & Wild (2009) data profile d_s(kappa).

    d_s(kappa) = |{p : t_{p,s} / (n_p + 1) <= kappa}| / |P|: the fraction of
    instances solved within kappa simplex gradients (kappa (n_p + 1)
    evaluations of the ``budget`` count).  ``budget="time"`` gives seconds,
    without the (n_p + 1) scaling.

    Parameters
    ----------
    records : list of dict
        Records of ``runs.jsonl`` (:func:`read_runs`).
    tau : float
        Tolerance of the convergence test.
    budget : str, default "nfev"
        The count the budget is measured in (``"nfev"``, ``"njev"``, ``"nhev"``,
        ``"nit"``), or ``"time"`` (seconds).
    use_fmin : bool, default True
        Let a lower reference ``fmin`` define f_L.

    Returns
    -------
    Profile

    Examples
    --------
    >>> recs = [{"problem": "p", "seed": 0, "n": 3, "method": "a", "status": 0, "fun": 0.0,
    ...          "f0": 1.0, "nfev": 8, "history": {"nfev": [1, 8], "f": [1.0, 0.0]}}]
    >>> dp = data_profile(recs, 1e-3)
    >>> dp.table.tolist(), dp.at(1.9)["a"], dp.at(2.0)["a"]
    ([[2.0]], 0.0, 1.0)
    """
    instances, solvers, T, dims = cost_table(records, tau, budget, use_fmin=use_fmin)
    D = T if budget == "time" else T / (dims[:, None] + 1.0)
    fin = D[np.isfinite(D) & (D > 0)]
    lo, hi = (float(fin.min()), float(fin.max())) if fin.size else (1.0, 1.0)
    grid = np.unique(np.concatenate([np.geomspace(lo / 1.5, hi * 2.0, 256), D[np.isfinite(D)]]))
    return Profile("data", budget, tau, solvers, tuple(instances), grid, _curves(D, grid), D, T)


@dataclass(frozen=True, eq=False)
class SpeedRatios:
    """Output of :func:`speed_ratios` (arrays of shape (instances, solvers)).

    Attributes
    ----------
    baseline : str
        The baseline solver's label.
    metric : str
        The compared record field (``"time"``, ``"nfev"``, ...).
    solvers : tuple of str
        The method labels, sorted (the baseline included): the columns.
    instances : tuple of tuple
        The (problem, seed) pairs, sorted: the rows.
    ratio : numpy.ndarray, shape (len(instances), len(solvers))
        Median of the solver's repeats / median of the baseline's (> 1: slower); NaN
        where a run failed or is missing, or the baseline's median is not positive.
    lo, hi : numpy.ndarray, shape (len(instances), len(solvers))
        Quartiles of all pairwise ratios t_{s,i} / t_{b,j} of the repeats (the
        spread); NaN as in ``ratio``.
    median : dict
        Solver -> median ratio across the instances where it is defined (NaN: none).
    count : dict
        Solver -> number of instances that median is taken over.

    Examples
    --------
    >>> recs = [{"problem": "p", "seed": s, "method": m, "status": 0, "fun": 0.0, "time": t}
    ...         for s in (0, 1) for m, t in (("a", 1.0 + s), ("b", 2.0))]
    >>> sr = speed_ratios(recs, "b")
    >>> sr.solvers, sr.ratio.tolist(), sr.median, sr.count
    (('a', 'b'), [[0.5, 1.0], [1.0, 1.0]], {'a': 0.75, 'b': 1.0}, {'a': 2, 'b': 2})
    """

    baseline: str
    metric: str
    solvers: tuple
    instances: tuple
    ratio: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    median: dict
    count: dict


def speed_ratios(records, baseline, metric="time"):
    """Per instance, each solver's median ``metric`` over the baseline's (> 1: slower).

    Every run that did not fail counts, whatever its stopping reason.

    Parameters
    ----------
    records : list of dict
        Records of ``runs.jsonl`` (:func:`read_runs`).
    baseline : str
        The method label to compare against.
    metric : str, default "time"
        The record field compared (``"time"``, ``"cpu_time"``, ``"nfev"``, ...).

    Returns
    -------
    SpeedRatios

    Raises
    ------
    ValueError
        ``baseline`` is not a method of the records.

    Examples
    --------
    >>> recs = [{"problem": "p", "seed": 0, "method": m, "status": 0, "fun": 0.0, "time": t}
    ...         for m, ts in (("a", (1.0, 2.0, 3.0)), ("b", (4.0,))) for t in ts]
    >>> sr = speed_ratios(recs, "b")
    >>> sr.ratio.tolist(), sr.lo.tolist(), sr.hi.tolist(), sr.median["a"]
    ([[0.5, 1.0]], [[0.375, 1.0]], [[0.625, 1.0]], 0.5)
    """
    g, instances, solvers = _group(records)
    if baseline not in solvers:
        raise ValueError(f"baseline {baseline!r} is not a solver of these records: {solvers}")
    ratio, lo, hi = np.full((3, len(instances), len(solvers)), np.nan)

    def values(recs):
        v = np.array([_num(r.get(metric)) for r in recs if not is_failure(r)])
        return v[np.isfinite(v)]

    for i, inst in enumerate(instances):
        b = values(g[inst].get(baseline, []))
        if not b.size or np.median(b) <= 0:
            continue
        for j, s in enumerate(solvers):
            v = values(g[inst].get(s, []))
            if v.size:
                pair = (v[:, None] / np.maximum(b[None, :], 1e-300)).ravel()
                ratio[i, j] = np.median(v) / np.median(b)
                lo[i, j], hi[i, j] = np.quantile(pair, [0.25, 0.75])
    ok = ~np.isnan(ratio)
    med = {s: float(np.median(ratio[ok[:, j], j])) if ok[:, j].any() else math.nan
           for j, s in enumerate(solvers)}
    return SpeedRatios(baseline, metric, tuple(solvers), tuple(instances), ratio, lo, hi, med,
                       {s: int(ok[:, j].sum()) for j, s in enumerate(solvers)})


def summary(records, taus=TAUS, *, use_fmin=True):
    """One row per solver: runs, solved fraction per tau (by nfev), failures, flagged minima.

    Each row is a dict: ``solver``, ``runs`` (repeats count once), ``solved``
    ({tau: fraction of all instances}), ``success`` (runs reporting success),
    ``failures`` ({status: runs} of the runs not reporting success, e.g.
    ``{"timeout": 2, 1: 3}``), ``different_minimum`` (runs flagged so).  A run is
    represented by its first record that did not fail (else its first record).

    Parameters
    ----------
    records : list of dict
        Records of ``runs.jsonl`` (:func:`read_runs`).
    taus : sequence of float, default (1e-1, 1e-3, 1e-5, 1e-7)
        Tolerances of the convergence test (solved by nfev, as in :func:`cost_table`).
    use_fmin : bool, default True
        Let a lower reference ``fmin`` define f_L.

    Returns
    -------
    list of dict
        One row per solver, sorted by label, with the keys above.

    Examples
    --------
    >>> recs = [{"problem": "p", "seed": 0, "method": "a", "status": "timeout", "fun": None},
    ...         {"problem": "p", "seed": 1, "method": "a", "status": 0, "success": True,
    ...          "fun": 0.0, "f0": 1.0, "nfev": 5, "different_minimum": True}]
    >>> row, = summary(recs, taus=(1e-3,))
    >>> row["solved"], row["failures"], row["different_minimum"]
    ({0.001: 0.5}, {'timeout': 1}, 1)
    """
    g, instances, solvers = _group(records)
    solved = {tau: cost_table(records, tau, "nfev", use_fmin=use_fmin)[2] for tau in taus}
    rows = []
    for j, s in enumerate(solvers):
        reps = [next((r for r in g[i][s] if not is_failure(r)), g[i][s][0])
                for i in instances if s in g[i]]
        fails = {}
        for st in (r.get("status") for r in reps if not r.get("success")):
            fails[st] = fails.get(st, 0) + 1
        rows.append({"solver": s, "runs": len(reps),
                     "solved": {t: float(np.mean(np.isfinite(T[:, j]))) for t, T in solved.items()},
                     "success": sum(bool(r.get("success")) for r in reps),
                     "failures": fails,
                     "different_minimum": sum(r.get("different_minimum") is True for r in reps)})
    return rows


def profile_dir(out_dir, *, taus=TAUS, baseline=None):
    """Figures and ``profiles.md`` of ``out_dir/runs.jsonl``: :func:`.plots.profile_dir`.

    Imports matplotlib only when called.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The sweep's output directory; the files are written into it.
    taus : sequence of float, default (1e-1, 1e-3, 1e-5, 1e-7)
        Tolerances of the convergence test, one panel each.
    baseline : str, optional
        The solver the speed ratios of ``profiles.md`` are taken against (default: each
        ``scipy:*`` solver, or with repeats the first solver).

    Returns
    -------
    list of str
        The written paths, ``profiles.md`` last.

    Raises
    ------
    ValueError
        ``runs.jsonl`` holds no finished run.
    FileNotFoundError
        No ``runs.jsonl`` in ``out_dir``.

    Examples
    --------
    >>> import json, os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> rec = {"key": "k", "problem": "p", "seed": 0, "n": 2, "method": "bfgs", "status": 0,
    ...        "success": True, "fun": 0.0, "f0": 1.0, "nfev": 5, "nit": 4, "time": 0.01,
    ...        "history": {"nfev": [1, 5], "f": [1.0, 0.0], "time": [0.0, 0.01]}}
    >>> with open(os.path.join(d, "runs.jsonl"), "w") as fh:
    ...     _ = fh.write(json.dumps(rec) + "\\n")
    >>> paths = profile_dir(d, taus=(1e-3,))
    >>> sorted(os.path.basename(p) for p in paths)  # doctest: +NORMALIZE_WHITESPACE
    ['convergence_p.png', 'data_profiles.png', 'performance_nfev.png',
     'performance_time.png', 'profiles.md']
    """
    from .plots import profile_dir as _profile_dir   # matplotlib only when drawing
    return _profile_dir(out_dir, taus=taus, baseline=baseline)
