"""newtonlab: second-order and quasi-Newton optimization research toolkit.

Public surface: :func:`minimize` (drop-in for ``scipy.optimize.minimize``),
:func:`minimize_batch` (many starts, one compiled parallel loop),
:data:`METHODS`, :class:`Trace`, critical-point analysis (:func:`classify`,
:func:`find_critical_points` and the rest of :mod:`newtonlab.analysis`), the
problem library :mod:`newtonlab.problems`, finite-sum objectives in
:mod:`newtonlab.stochastic`, and solvers for ``@njit`` code in :mod:`newtonlab.jit`.
"""
from types import MappingProxyType as _Proxy

from ._batch import minimize_batch
from ._minimize import minimize
from ._registry import METHODS as _METHODS
from ._result import Trace

from . import analysis, problems, stochastic  # noqa: E402,F401
from .analysis import CriticalPoint, classify, find_critical_points  # noqa: E402

METHODS = _Proxy(_METHODS)
"""Implemented methods: name -> :class:`newtonlab._registry.Method` (defaults, needs, references)."""

__version__ = "0.1.0"
__all__ = ["minimize", "minimize_batch", "METHODS", "Trace", "classify", "CriticalPoint", "find_critical_points",
           "analysis", "problems", "stochastic", "__version__"]
