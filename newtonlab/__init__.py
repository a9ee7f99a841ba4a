"""newtonlab: second-order and quasi-Newton optimization research toolkit.

Public surface: :func:`minimize` (drop-in for ``scipy.optimize.minimize``),
:data:`METHODS`, :class:`Trace`, the problem library :mod:`newtonlab.problems`
and compiled solvers for ``@njit`` code in :mod:`newtonlab.jit`.
"""
from types import MappingProxyType as _Proxy

from . import _runners
from ._minimize import add_runner, minimize
from ._registry import METHODS as _METHODS
from ._result import Trace

add_runner("linesearch", _runners.run_linesearch)

METHODS = _Proxy(_METHODS)
"""Implemented methods: name -> :class:`newtonlab._registry.Method` (defaults, needs, references)."""

__version__ = "0.1.0"
__all__ = ["minimize", "METHODS", "Trace", "__version__"]
