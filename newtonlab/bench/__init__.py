"""newtonlab versus scipy.optimize on the built-in problems (``python -m newtonlab.compare``).

Run ``python -m newtonlab.compare`` (``--help`` for the options).  For every
problem of :func:`newtonlab.problems.standard_matrix` and every method of
:data:`newtonlab.METHODS` (except the first-order family unless ``--methods
all``) it runs ``newtonlab.minimize`` and, where the method has a scipy
counterpart (``METHODS[name].scipy``), ``scipy.optimize.minimize`` from the
same ``x0`` with comparable tolerances.  It prints a table and writes to
``--out`` (default ``./newtonlab-out``):

* ``compare.csv``: one row per (problem, method): success, nit, nfev, njev,
  final f, |f - f*|, final gradient norm, warm solve time of each (CPU and
  wall), newtonlab's first call (compile / warm-up) and the speed ratio;
* ``compare.md``: the same table and the notes on tolerances and timing;
* ``convergence_<problem>.png``: f - f* against the iteration for every run
  (newtonlab solid, scipy dashed in the same colour; scipy's trace is recorded
  with its ``callback``), methods without a scipy counterpart in a second panel;
* ``summary.png``: speed ratio and evaluation ratio of every pair.

How the runs are made comparable
--------------------------------
Both sides get the same jitted problem functions (``p.fun``, ``p.jac``, and
``p.hess`` or ``p.hessp`` where the method uses them), the same ``x0`` and the
same ``gtol`` (default 1e-5).  Iteration limits stay at both libraries'
defaults, which agree (200 n for BFGS and Newton-type methods, 15000 for
L-BFGS).  Per scipy method (:data:`newtonlab.bench.run.SCIPY_TOLERANCES`):

* ``BFGS``, ``CG``: ``gtol``; both test ``||g||_inf <= gtol``.
* ``L-BFGS-B``: ``gtol`` (projected gradient: ``||g||_inf`` without bounds)
  and ``ftol=0``, which turns off scipy's relative-reduction stop (default
  2.2e-9), so both stop on the gradient test; newtonlab's own ``ftol`` stall
  test is off by default.
* ``trust-exact`` (and the other trust-region methods): ``gtol``, but scipy
  tests ``||g||_2 < gtol``, up to sqrt(n) stricter; the final gradient norms
  are reported so the difference shows.
* ``Newton-CG``: scipy has no gradient test; it stops when the mean absolute
  step falls below ``xtol``, which is set to ``gtol``.

Timing: the first newtonlab call of each (problem, method) is reported apart
as "first call" (wall clock: it includes compiling, or loading from the disk
cache, the method's ``solve`` for the problem's ``args`` type and the
problem's functions).  Solve times are medians over repeated warm calls of the CPU time
of the calling thread (wall-clock medians are in the CSV), newtonlab and scipy
interleaved.  BLAS is pinned to one thread for the whole run (scipy's
L-BFGS-B calls BLAS on tiny matrices, where extra threads only add latency),
by supported means only (:func:`newtonlab.bench.run.pin_blas`).

With a cold numba cache most of a run is compiling; before the study,
``--jobs`` worker processes (default: one per core) compile every (args type,
method) pair it needs (:func:`newtonlab.cli.compile_jobs`, the machinery of
``newtonlab warmup``), so the study itself only loads them from the cache.

Modules: :mod:`~newtonlab.bench.run` (selection, scipy options, timing, BLAS),
:mod:`~newtonlab.bench.report` (table, notes, CSV, markdown),
:mod:`~newtonlab.bench.plots` (figures), :mod:`~newtonlab.bench.main` (the
command line and the study's loop).
"""
