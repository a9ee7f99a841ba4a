"""Is f unbounded below?  A probe for runs that spent their budget while f kept falling.

Methods whose line search can expand the step (bfgs, lbfgs, cg, hager-zhang)
see an unbounded f inside their loop: the search expands to ``alpha_max`` or f
drops below -1/eps (status UNBOUNDED, ``_engine/ls_driver.stop_test``).  The
others cannot: a backtracking search never tries a step longer than 1, a trust
radius is capped and a learning rate is fixed, so on f = -x0 they lower f by a
bounded amount per iteration and end at ``maxiter`` with f merely large and
negative.  Telling "still descending towards a distant minimum" from
"unbounded" needs longer steps than the method takes, so after such a run
:func:`probe` continues from the best point with a short L-BFGS run, whose
Wolfe search expands the step while f keeps falling.  The verdict is
L-BFGS's own: f below -1/eps, or a search still expanding at ``alpha_max``.
A ray along -g alone is not enough: where the curved components have not
converged (momentum, adam, ... end oscillating across the valley), every ray
turns upward long before f reaches -1/eps, while L-BFGS learns that curvature
in a few iterations.

When the probe runs: the run stopped on ``maxiter`` and its decrease was not
slowing down (the f decrease over the last quarter of its iterations at least
half that over the quarter before, :func:`decrease_not_slowing`).  A run
converging linearly at rate r has ratio r^(nit/4), far below 1/2, so linearly (or
faster) converging runs pay nothing; a sublinear one (f - f* ~ 1/k has ratio exactly
1/2) can be probed, and then pays for the probe without a verdict.  A run that decreases linearly, as every method does on
f = -x0, has ratio 1; so do Huber-like losses far from their minimum, which is
why the slope is never taken as the verdict: there the probe's L-BFGS simply
heads for the minimum and ends without one.  Its evaluations are reported
as ``res.unbounded_probe``, apart from ``nfev``/``njev``, which keep counting the
method's own; it runs interpreted (over the compiled kernels) whatever the run's
``execution``, so a method never pays L-BFGS's compiled loop for it.  It makes at most as
many iterations as the run did (at most 50), and ``options={"unbounded_probe": False}`` turns it off (timing studies
of fixed-budget runs).
"""
import math

import numpy as np

from ._engine import status as S
from ._engine.config import dual
from ._result import MESSAGES

#: iterations of the L-BFGS probe (at most the run's own): on f = -x0 it reaches its
#: verdict in under 40
PROBE_MAXITER = 50
#: the shortest f trace :func:`decrease_not_slowing` can find still falling (two quarters
#: of at least 2 iterations each); :func:`probe` does not look at a shorter one
SHORTEST = 9


@dual
def decrease_not_slowing(f):
    """Whether the f trace (one value per iterate) fell at least half as much over its
    last quarter as over the quarter before, and fell at all.

    Dual-mode (``config.dual``): ``minimize_batch``'s compiled loop asks it of each start's
    trace column, with the same arithmetic as :func:`probe` here.

    Examples
    --------
    >>> import numpy as np
    >>> decrease_not_slowing(-np.arange(40.0)), decrease_not_slowing(0.5 ** np.arange(40))
    (True, False)
    """
    k = f.size - 1
    q = k // 4
    if q < 2:
        return False
    for r in range(k - 2 * q, k + 1):      # a loop: no NumPy ufunc compiled into the batch
        if not math.isfinite(f[r]):
            return False
    recent = f[k - q] - f[k]
    before = f[k - 2 * q] - f[k - q]
    return bool(recent > 0.0 and recent >= 0.5 * before)


def probe(res, obj, run_lbfgs):
    """After a maxiter stop with f still falling, continue with L-BFGS; UNBOUNDED on its word.

    ``run_lbfgs(obj, x, maxiter)`` runs newtonlab's lbfgs on ``obj`` from ``x`` (no probe
    of its own; never compiling lbfgs's loop: ``_run._lbfgs_probe``).  Modifies and
    returns ``res``: the probe's evaluations go in ``res.unbounded_probe``; on an UNBOUNDED
    verdict ``x``, ``fun`` and ``jac`` become the probe's end point (its best finite
    point).  Otherwise the run's own end point stands, even where the probe found a lower
    f: the result describes the method.
    """
    if res["status"] != S.MAXITER or len(res["trace"]) < SHORTEST:    # (on every run)
        return res
    if not decrease_not_slowing(np.asarray(res.trace["f"])):
        return res
    # at most as many iterations as the run made: a short run (10 iterations of an
    # expensive method) never pays more for the probe than for itself
    p = run_lbfgs(obj, np.ascontiguousarray(res.x, dtype=float), min(PROBE_MAXITER, res.nit))
    # apart from nfev/njev: those count the method's own evaluations (a first-order run
    # with maxiter=k keeps nfev = k + 1), and studies compare methods by them
    res["unbounded_probe"] = int(p.nfev)
    if p.status == S.UNBOUNDED:
        res.update(x=p.x, fun=p.fun, jac=p.jac, status=S.UNBOUNDED, success=False,
                   message=MESSAGES[S.UNBOUNDED])
    return res
