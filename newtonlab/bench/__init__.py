"""newtonlab versus scipy.optimize on the built-in problems (``python -m newtonlab.compare``).

``python -m newtonlab.compare`` (``--help`` for the options; ``newtonlab compare`` is the
same) builds a sweep (:mod:`newtonlab.sweep`) of the problems of
:func:`newtonlab.problems.standard_matrix` x every method of :data:`newtonlab.METHODS` with
a scipy counterpart (``METHODS[m].scipy``) and that counterpart as ``scipy:NAME``, with
``--repeats`` timed repetitions of each run, runs it through the sweep runner into
``--out`` (default ``./newtonlab-out``) and reports from the records alone:

* ``runs.jsonl``, ``config.toml``: the sweep's records and configuration
  (``--resume`` continues an interrupted compare, ``--report-only`` reports again);
* ``compare.md``, ``compare.csv`` and the printed table: one row per (problem, method):
  success, nit, nfev, njev, nhev (newtonlab/scipy side by side), |f - f*|, the median
  times and the speed-up t_scipy / t_newtonlab as the ratio of the medians with the
  interquartile range of the pairwise repeat ratios, and a flag for failed runs and runs
  that stopped at another minimum than the reference ``fmin``;
* ``summary.png`` (speed-ups with their spread, evaluation ratios) and, from
  :func:`newtonlab.sweep.plots.profile_dir`, ``profiles.md``, performance and data
  profiles and one ``convergence_<problem>.png`` per problem (a method and its scipy
  counterpart share a colour: newtonlab solid, scipy dashed);
* with ``--mgh`` (on by default, except with ``--quick`` or ``--problems``): the 35 MGH
  problems x newton, newton-tr, newton-cg, bfgs, lbfgs, sr1 and their counterparts in
  ``OUT/mgh`` (records, profiles, figures), summarised in ``compare.md``.

How the runs are made comparable
--------------------------------
Both sides get the same jitted problem functions (``fun``, ``jac``, and ``hess`` or
``hessp`` where the method uses them), the same ``x0`` and the same ``gtol`` (default
1e-5), translated for each scipy method by :data:`.counterparts.SCIPY_TOLERANCES`:

* ``BFGS``, ``CG``: ``gtol``; both test ``||g||_inf <= gtol``.
* ``L-BFGS-B``: ``gtol`` and ``ftol=0``, which turns off scipy's relative-reduction stop,
  so both stop on the gradient test.
* ``trust-exact`` (and the other trust-region methods): ``gtol``, but scipy tests
  ``||g||_2 < gtol``, up to sqrt(n) stricter.
* ``Newton-CG``: scipy has no gradient test; it stops when the mean absolute step falls
  below ``xtol``, which is set to ``gtol``.

Iteration limits stay at both libraries' defaults.

Timing
------
All of it is the sweep's: each timed value is the wall time of one ``minimize`` call in a
spawned worker process that runs one task at a time, with numba, OpenBLAS, MKL and OpenMP
pinned to one thread by environment variables set before numpy loads there (scipy's
L-BFGS-B calls BLAS on tiny matrices, where threads only add latency).  Before timing a
(problem, method) each worker runs it once for one iteration, untimed (loading the compiled
solver and problem functions, scipy's lazy imports); compiling happens before the tasks,
in the sweep's warm-up, whose duration is reported apart.

Modules: :mod:`~newtonlab.bench.counterparts` (the scipy map and tolerances),
:mod:`~newtonlab.bench.study` (what to run: problems, methods, the sweep's configuration),
:mod:`~newtonlab.bench.report` (rows, table, CSV, markdown from the records),
:mod:`~newtonlab.bench.plots` (``summary.png``, the pair styles),
:mod:`~newtonlab.bench.main` (the command line).
"""
