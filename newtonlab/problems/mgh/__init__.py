"""The Moré-Garbow-Hillstrom (1981) test set: problems 2-4, 6-12 and 15-35.

Why a package: the 35 MGH problems are the standard benchmark for
unconstrained minimization software, and every one is a nonlinear least
squares problem f(x) = sum_i r_i(x)^2.  Problems 1, 5, 13 and 14 predate this
package (``rosenbrock``, ``beale``, ``powell_singular``, ``wood``); the other
31 live here, grouped by structure into modules of a few problems each (see
each module's docstring), and share the assembly of f, g, H, Hv and the
Gauss-Newton product 2 J^T J v from residuals and Jacobians (``_lsq``).

Every factory takes ``x0_scale`` (MGH's starts x0, 10 x0, 100 x0); the
scalable ones also take ``n``.  ``fmin`` is the value MGH publish (more digits
from a later source where the reference says so); ``minimizers`` lists only
points known in closed form.  :data:`newtonlab.problems.MGH` lists the 35
names in MGH order.

Examples
--------
>>> from newtonlab import problems
>>> p = problems.get("helical_valley")
>>> float(p.fun(p.x0))
2500.0
>>> problems.get("helical_valley", x0_scale=10.0).x0
array([-10.,   0.,   0.])
"""
from .dense_scalable import brown_almost_linear, chebyquad, trigonometric
from .exp_fits import gaussian, gulf, meyer
from .exp_sums import biggs_exp6, box_3d, osborne1
from .extended import extended_powell, extended_rosenbrock
from .large_fits import osborne2, watson
from .linear import linear_full_rank, linear_rank1, linear_rank1_zero
from .penalty import penalty1, penalty2, variably_dimensioned
from .broyden import broyden_banded, broyden_tridiagonal
from .small_fits import bard, brown_dennis, kowalik_osborne
from .small_nonlinear import helical_valley, jennrich_sampson
from .small_systems import brown_badly_scaled, freudenstein_roth, powell_badly_scaled
from .systems import discrete_boundary_value, discrete_integral_equation

__all__ = [
    "freudenstein_roth", "powell_badly_scaled", "brown_badly_scaled", "jennrich_sampson",
    "helical_valley", "bard", "gaussian", "meyer", "gulf", "box_3d", "kowalik_osborne",
    "brown_dennis", "osborne1", "biggs_exp6", "osborne2", "watson", "extended_rosenbrock",
    "extended_powell", "penalty1", "penalty2", "variably_dimensioned", "trigonometric",
    "brown_almost_linear", "discrete_boundary_value", "discrete_integral_equation",
    "broyden_tridiagonal", "broyden_banded", "linear_full_rank", "linear_rank1",
    "linear_rank1_zero", "chebyquad",
]
