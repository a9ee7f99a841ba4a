"""Twins of compiled functions that call user code: interpreted, or compiled without cache.

A plain-Python objective cannot enter compiled code, so functions that call
the objective (``evaluate.py``) and the drivers above them also run as Python:
the same source, with the names of objective-calling callees rebound to their
interpreted twins.  Leaf kernels stay compiled, so no loop over vector
elements runs in Python except inside finite differences, where every pass
calls the user's function anyway.

The second kind of twin serves ``newtonlab.jit``: inside a user's ``@njit``
function the objective arrives as dispatchers, which specialize every function
they pass through.  Such specializations must not reach numba's disk cache
(their keys name objects of one process), so that path uses twins compiled
with ``cache=False``.
"""
import types

from . import evaluate as EV
from .config import jit_nocache

_TWINS = {False: {}, True: {}}


def twin(dispatcher, calls=(), compiled=False):
    """Twin of ``dispatcher`` whose globals named in ``calls`` are twins too.

    ``compiled=False``: plain Python; ``compiled=True``: compiled without disk cache.
    """
    registry = _TWINS[compiled]
    if dispatcher in registry:
        return registry[dispatcher]
    py = dispatcher.py_func
    env = dict(py.__globals__)
    for name in calls:
        if name not in env:
            continue
        callee = env[name]
        env[name] = registry[callee] if callee in registry else (
            callee if compiled else callee.py_func)
    fn = types.FunctionType(py.__code__, env, py.__name__, py.__defaults__, py.__closure__)
    fn.__doc__ = py.__doc__
    registry[dispatcher] = jit_nocache(fn) if compiled else fn
    return registry[dispatcher]


def _evaluation_layer(compiled):
    """Twins of evaluate.py, innermost first, so outer twins find inner ones."""
    twin(EV.fd_gradient, ("fd_step",), compiled)
    twin(EV.eval_fg, ("fd_gradient",), compiled)
    twin(EV.fd_hessian, ("eval_fg", "fd_step"), compiled)
    twin(EV.eval_hess, ("fd_hessian",), compiled)
    twin(EV.eval_hessp, ("eval_fg",), compiled)


_evaluation_layer(False)
_evaluation_layer(True)

OBJECTIVE_CALLS = ("eval_fg", "eval_hess", "eval_hessp")
