"""One trace schema for every method.

A compiled driver fills a preallocated ``(maxiter + 1, NCOL + n_diag)`` float64
array, one row per iterate (row 0 is x0).  The first ``NCOL`` columns are the
common schema below; a method's own diagnostics follow in the columns its
registry entry names.  ``CLOCK`` holds raw cycle-counter ticks; the Python layer
turns them into seconds from the wall time it measured around the call.
"""

from .clock import ticks
from .config import logic
from .kernels import copy_into

ITER = 0     # iteration number k
F = 1        # f(x_k)
GNORM = 2    # ||g_k||_inf
STEP = 3     # ||x_k - x_{k-1}||_2 (0 on row 0)
ALPHA = 4    # accepted step length alpha_k, or trust radius delta_k, or learning rate
NFEV = 5     # cumulative objective evaluations (driver calls; FD costs applied later)
NJEV = 6     # cumulative gradient evaluations
NHEV = 7     # cumulative Hessian (or Hessian-vector) evaluations
CLOCK = 8    # cycle counter at the end of iteration k
NCOL = 9

# counters of events a run survived (the drivers' last return value, int64[NEVENTS])
EV_ASYMMETRIC = 0   # user Hessians that were not symmetric (symmetrized)
EV_NONDESCENT = 1   # directions that were not descent directions (replaced by -g, reset)
NEVENTS = 2

COLUMNS = ("iter", "f", "gnorm", "step", "alpha", "nfev", "njev", "nhev", "time")


@logic
def record(trace, k, f, gnorm, step, alpha, nf, nh):
    """Fill the common columns of row k (gradient calls = f calls: objectives are fused)."""
    trace[k, ITER] = k
    trace[k, F] = f
    trace[k, GNORM] = gnorm
    trace[k, STEP] = step
    trace[k, ALPHA] = alpha
    trace[k, NFEV] = nf
    trace[k, NJEV] = nf
    trace[k, NHEV] = nh
    trace[k, CLOCK] = ticks()


@logic
def save_iterate(allvecs, k, x):
    """allvecs[k] = x when iterates are kept (allvecs has rows), else nothing.  (``config.logic``, as
    :func:`record`: a first, interpreted run compiles neither; ``copy_into``, not
    ``allvecs[k, :] = x``: slice assignment compiles numba's shape-error message builder,
    ~3 s, into every driver.)"""
    if allvecs.shape[0] > k:
        copy_into(x, allvecs[k])
