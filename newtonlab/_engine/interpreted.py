"""Interpreted twins of compiled functions that call user code.

A plain-Python objective cannot enter compiled code, so functions that call
the objective (``evaluate.py``) and the drivers above them also run as Python:
the same source, with the names of objective-calling callees rebound to their
interpreted twins.  Leaf kernels stay compiled, so no loop over vector
elements runs in Python except inside finite differences, where every pass
calls the user's function anyway.
"""
import types

from . import evaluate as EV

_TWINS = {}


def twin(dispatcher, calls=()):
    """Python version of ``dispatcher`` whose globals named in ``calls`` are twins too."""
    if dispatcher in _TWINS:
        return _TWINS[dispatcher]
    py = dispatcher.py_func
    env = dict(py.__globals__)
    for name in calls:
        if name not in env:
            continue
        env[name] = _TWINS[env[name]] if env[name] in _TWINS else env[name].py_func
    fn = types.FunctionType(py.__code__, env, py.__name__, py.__defaults__, py.__closure__)
    fn.__doc__ = py.__doc__
    _TWINS[dispatcher] = fn
    return fn


# the evaluation layer, innermost first
twin(EV.fd_gradient, ("fd_step",))
twin(EV.eval_fg, ("fd_gradient",))
twin(EV.fd_hessian, ("eval_fg", "fd_step"))
twin(EV.eval_hess, ("fd_hessian",))
twin(EV.eval_hessp, ("eval_fg",))

OBJECTIVE_CALLS = ("eval_fg", "eval_hess", "eval_hessp")
