"""The Moré–Wild convergence test and the costs t_{p,s} of a sweep's runs.

Why a module of its own: the profiles (:mod:`newtonlab.sweep.profiles`), the per-solver
tables (:mod:`newtonlab.sweep.tables`) and the figures (:mod:`newtonlab.sweep.plots`)
all read ``runs.jsonl`` records the same way -- which records failed, how they group
into runs of an instance, the reference value f_L, and the cost at which a run first
passes the test -- so that reading lives here, below all of them.  The test and the
cost are defined in the :mod:`newtonlab.sweep.profiles` docstring.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["is_failure", "cost_table", "TAUS"]

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

    The convergence test and the cost are those of the
    :mod:`newtonlab.sweep.profiles` docstring.

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

