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

# the private helpers too: newtonlab.bench.report imports _group from here
from .costs import (TAUS, _group, _hist, _num, _reference, _run_cost,  # noqa: F401
                    _sort_key, cost_table, is_failure)
from .records import read_runs
from .tables import SpeedRatios, speed_ratios, summary

__all__ = ["read_runs", "is_failure", "Profile", "performance_profile", "data_profile",
           "SpeedRatios", "speed_ratios", "summary", "cost_table", "profile_dir"]

# the examples of the names defined in .costs and .tables, run by doctest.testmod(profiles)
__test__ = {"is_failure": is_failure, "cost_table": cost_table, "SpeedRatios": SpeedRatios,
            "speed_ratios": speed_ratios, "summary": summary}


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
