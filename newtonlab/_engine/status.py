"""Termination codes shared by every compiled driver.

Plain module-level integers: numba freezes globals as compile-time constants,
so compiled drivers and the Python layer read the same numbers.  The messages
live in :mod:`newtonlab._result`; where a meaning matches scipy.optimize, the
wording is scipy's.
"""

SUCCESS = 0          # gradient test held
MAXITER = 1          # iteration budget spent
LINESEARCH = 2       # line search found no acceptable step twice in a row
NONFINITE = 3        # only non-finite values ahead; best finite point returned
CALLBACK = 99        # callback asked to stop (StopIteration); scipy's code
NONFINITE_X0 = 5     # f(x0) or g(x0) not finite: stopped before the first step
MAXFEV = 6           # evaluation budget spent
NOT_DESCENT = 7      # direction was not a descent direction even after reset
TR_COLLAPSED = 8     # trust radius shrank below its floor
STALLED = 9          # no decrease in f over the stall window (not a success)
TIME_LIMIT = 10      # wall-clock budget spent
TARGET_F = 11        # f - f* <= ftarget (first-order stopping rule; success)
REL_F = 12           # f <= frel * f0 (first-order stopping rule; success)
REL_G = 13           # ||g|| <= grel * ||g0|| (first-order stopping rule; success)
SADDLE = 14          # gradient test held but the Hessian has negative curvature
DIVERGED = 15        # iterates or f grew without bound (first-order methods)
UNBOUNDED = 16       # f fell below -1/eps, or decreased along a whole line to alpha_max
NONFINITE_HESS = 17  # the Hessian (or a Hessian product) at an iterate is not finite
