"""newtonlab: second-order and quasi-Newton optimization research toolkit.

Public surface: :func:`minimize` (drop-in for ``scipy.optimize.minimize``),
:func:`minimize_batch` (many starts, one compiled loop per core),
:data:`METHODS`, :class:`Trace`, critical-point analysis (:func:`classify`,
:func:`find_critical_points` and the rest of :mod:`newtonlab.analysis`), the
problem library :mod:`newtonlab.problems`, finite-sum objectives in
:mod:`newtonlab.stochastic`, and solvers for ``@njit`` code in :mod:`newtonlab.jit`.

The analysis tools and the problem library are imported on first use (PEP 562):
a script that only minimizes does not pay for them at ``import newtonlab``.
"""
import importlib
from types import MappingProxyType as _Proxy

from ._batch import minimize_batch
from ._minimize import minimize
from ._registry import METHODS as _METHODS
from ._result import Trace
from ._run import AsymmetricHessianWarning

METHODS = _Proxy(_METHODS)
"""Implemented methods: name -> :class:`newtonlab._registry.Method` (defaults, needs, references)."""

__version__ = "0.1.0"
__all__ = ["minimize", "minimize_batch", "METHODS", "Trace", "AsymmetricHessianWarning",
           "classify", "CriticalPoint", "find_critical_points", "analysis", "problems",
           "stochastic", "__version__"]

_SUBMODULES = {"analysis", "problems", "stochastic", "jit"}
_FROM_ANALYSIS = {"classify", "CriticalPoint", "find_critical_points"}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _FROM_ANALYSIS:
        return getattr(importlib.import_module(".analysis", __name__), name)
    raise AttributeError(f"module 'newtonlab' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | _FROM_ANALYSIS)
