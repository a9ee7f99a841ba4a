"""Per-solver tables of a sweep that are not profiles: speed ratios and the summary.

Why a module of its own: a profile (:mod:`newtonlab.sweep.profiles`) asks which solver
passes the convergence test first; these tables ask other questions of the same records
-- how much slower than a baseline each solver runs per instance (:func:`speed_ratios`),
and how many runs each solver solved, failed or flagged (:func:`summary`).  They feed the
``profiles.md`` report (:mod:`newtonlab.sweep.report`) and are re-exported by
:mod:`newtonlab.sweep.profiles`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .costs import TAUS, _group, _num, cost_table, is_failure

__all__ = ["SpeedRatios", "speed_ratios", "summary"]


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
