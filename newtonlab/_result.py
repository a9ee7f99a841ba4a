"""Status messages, the Trace, and OptimizeResult assembly (one place for all methods)."""
import numpy as np
from scipy.optimize import OptimizeResult

from ._engine import status as S
from ._engine import trace as T
from ._objective import UNIT_COST

MESSAGES = {
    S.SUCCESS: "Optimization terminated successfully.",
    S.MAXITER: "Maximum number of iterations has been exceeded.",
    S.LINESEARCH: "Desired error not necessarily achieved due to precision loss.",
    S.NONFINITE: "NaN result encountered.",
    S.CALLBACK: "`callback` raised `StopIteration`.",
    S.NONFINITE_X0: "The objective or its gradient is not finite at x0.",
    S.MAXFEV: "Maximum number of function evaluations has been exceeded.",
    S.NOT_DESCENT: "The search direction is not a descent direction.",
    S.TR_COLLAPSED: "The trust-region radius collapsed below its floor.",
    S.STALLED: "Relative reduction of f fell below ftol before the gradient test held.",
    S.TIME_LIMIT: "The wall-clock time limit was reached.",
    S.TARGET_F: "f - f* fell below ftarget.",
    S.REL_F: "f fell below frel * f(x0).",
    S.REL_G: "The gradient norm fell below grel * ||g(x0)||.",
    S.SADDLE: "Stopped at a saddle point: the gradient test holds but the Hessian has "
              "negative curvature.",
    S.DIVERGED: "The iterates diverged (f or x grew without bound).",
    S.UNBOUNDED: "The objective appears unbounded below (f < -1/eps, or it decreased "
                 "along a whole line search up to alpha_max).",
    S.NONFINITE_HESS: "The Hessian (or a Hessian-vector product) is not finite at the "
                      "current iterate; stopped there.",
}
SUCCESSFUL = frozenset({S.SUCCESS, S.TARGET_F, S.REL_F, S.REL_G})


class Trace:
    """Per-iteration history, one schema for every method.

    Columns ``iter, f, gnorm, step, alpha, nfev, njev, nhev, time`` are common
    to all methods (``alpha`` holds the step length, trust radius or learning
    rate; ``time`` is seconds since the solver started); the method's own
    diagnostics follow (see ``newtonlab.METHODS[name].diagnostics``).

    Index a column by name (``trace["f"]``), or get all as a dict of arrays
    (``trace.as_dict()``).

    Examples
    --------
    >>> import newtonlab as nl
    >>> res = nl.minimize(nl.problems.get("rosenbrock").fun, [-1.2, 1.0], method="bfgs")
    >>> tr = res.trace
    >>> tr.columns[:3]
    ('iter', 'f', 'gnorm')
    >>> bool(tr["f"][-1] < tr["f"][0])
    True
    """

    def __init__(self, data, columns):
        self.data = data
        self.columns = tuple(columns)

    # A run's Trace is made with its evaluation counts and clock still raw (make_trace):
    # most results are never asked for their trace, and the conversion (a few
    # microseconds) is done on first access of ``data``, with the same arithmetic.
    _raw = None

    @property
    def data(self):
        """The (rows, columns) float array."""
        if self._raw is not None:
            self._data = _converted(*self._raw)
            self._raw = None
        return self._data

    @data.setter
    def data(self, value):
        self._data = value
        self._raw = None

    def __len__(self):
        return self._data.shape[0] if self._raw is None else self._raw[0].shape[0]

    def __getitem__(self, name):
        try:
            j = self.columns.index(name)
        except ValueError:
            raise KeyError(f"no trace column {name!r}; columns are {self.columns}") from None
        col = self.data[:, j]
        return col.astype(int) if name in ("iter", "nfev", "njev", "nhev") else col

    def __contains__(self, name):
        return name in self.columns

    def as_dict(self):
        """All columns as ``{name: array}``."""
        return {c: self[c] for c in self.columns}

    def add_column(self, name, values):
        """Append a column (used by analyses that post-process a run)."""
        values = np.asarray(values, dtype=float).reshape(len(self), 1)
        self.data = np.hstack([self.data, values])
        self.columns = self.columns + (name,)

    def __repr__(self):
        return f"Trace({len(self)} rows, columns={self.columns})"


def make_trace(raw, nit, diag_names, cost, tick0, tick1, t_wall):
    """Turn the driver's raw rows into a Trace: apply evaluation costs, clock -> seconds.

    ``tick0``/``tick1`` are cycle-counter readings taken just before and after
    the solver call, and ``t_wall`` the wall time between them.  The rows are copied
    now (the driver's buffer is not kept); the conversion waits for the first use.
    """
    data = np.array(raw[: nit + 1, : T.NCOL + len(diag_names)], dtype=float)
    trace = Trace.__new__(Trace)
    trace._raw = (data, cost, tick0, tick1, t_wall)
    trace.columns = T.COLUMNS + tuple(diag_names)
    return trace


def _converted(data, cost, tick0, tick1, t_wall):
    """``data`` (a run's rows, modified in place) with evaluation costs applied to its
    call counts and its cycle-counter clock in seconds from the solver's start."""
    if cost == UNIT_COST:
        # nfev = 1 nfg + 0 nh = nfg, njev = nfg, nhev = nh: only njev needs writing (the
        # general arithmetic below gives the same numbers in eight array operations)
        data[:, T.NJEV] = data[:, T.NFEV]
    else:
        nfg = data[:, T.NFEV].copy()
        nh = data[:, T.NHEV].copy()
        data[:, T.NFEV], data[:, T.NJEV], data[:, T.NHEV] = cost.counts(nfg, nh)
    span = tick1 - tick0
    rate = t_wall / span if span > 0 else 0.0
    clock = data[:, T.CLOCK]        # max(clock - tick0, 0) * rate, in place
    np.subtract(clock, tick0, out=clock)
    np.maximum(clock, 0.0, out=clock)
    np.multiply(clock, rate, out=clock)
    return data


def build_result(x, f, g, status, nit, n_fg, n_h, cost, trace, **extra):
    """scipy's OptimizeResult with newtonlab's fields."""
    nfev, njev, nhev = cost.counts(n_fg, n_h)
    res = OptimizeResult(
        x=np.array(x, dtype=float, order="C"), fun=float(f),
        jac=np.array(g, dtype=float, order="C"),
        nit=int(nit), nfev=int(nfev), njev=int(njev), nhev=int(nhev),
        status=int(status), success=status in SUCCESSFUL, message=MESSAGES[status],
        trace=trace)
    res.update(extra)
    return res
