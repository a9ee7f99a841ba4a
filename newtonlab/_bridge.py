"""Python callables called from a method's compiled loop.

A run whose objective or callback is plain Python can still run the method's
compiled loop: each objective slot it uses holds a small compiled trampoline
that calls back into Python (numba's ``objmode``), and the Python side finds the
run's own functions on a per-thread stack.  The loop is the one a jitted
objective uses (``_engine/context.py``: the trampolines take the context argument and
ignore it), so nothing is compiled per objective; a call
costs about 1.5 us more than the Python function itself, against the ~20 us per
iteration of the interpreted loop's own overhead at small n.

A trampoline is reached through a C function pointer, which cannot carry a
Python exception.  So the first exception a Python function raises (any
``BaseException``, KeyboardInterrupt too) is kept, every later call of the run
returns NaN at once without calling Python, the callback trampoline (installed
on every bridged run) stops the loop at its next iteration, and :class:`calling`
raises the kept exception when the loop returns.  The user's functions are
never called after they raised.  A Ctrl-C is raised where Python runs next,
inside a trampoline's call, and kept as above; landing in numba's own objmode
glue around that call, it is deferred to the next call (``_interrupts``: numba
would report it as ignored, or fail).
"""
import math
import threading
from dataclasses import replace

import numba
import numpy as np
from numba import objmode

from ._engine.config import CACHE
from ._engine.context import CONTEXT
from ._engine.signatures import CALLBACK_SIG, placeholder, resolved, user_signatures
from ._interrupts import raise_pending

#: args of every bridged run (its own args stay on the Python side): no context
ARGS = (0,)

_local = threading.local()


class calling:
    """Context of one bridged run: its Python slots, args and callback, and the first
    exception any of them raised (raised again on exit).

    Nested runs (a ``minimize`` inside an objective) and runs in other threads each
    see their own context.
    """

    __slots__ = ("slots", "args", "callback", "error")

    def __init__(self, slots, args, callback):
        self.slots = slots
        self.args = args
        self.callback = callback
        self.error = None

    def __enter__(self):
        stack = getattr(_local, "stack", None)
        if stack is None:
            stack = _local.stack = []
        stack.append(self)
        return self

    def __exit__(self, kind, value, tb):
        _local.stack.pop()
        if self.error is not None:
            raise self.error


def _failed(slot, n):
    """What a slot returns once its run has failed: NaN of the slot's shape."""
    if slot == 0:
        return math.nan
    if slot == 2:
        return math.nan, np.full(n, math.nan)
    return np.full((n, n) if slot == 3 else n, math.nan)


def _keep(exc):
    """Keep ``exc`` as the running context's error (the first one stays)."""
    c = _local.stack[-1]
    if c.error is None:
        c.error = exc


def _python(slot, x, p=None):
    """Slot ``slot`` of the running context at x (hessp: at x, p), as the trampoline's
    objmode block unboxes it: a float, or C-contiguous float64 arrays.

    Everything is inside the ``try``, the context lookup included: a signal handler
    (Ctrl-C) runs at whatever line Python reaches next."""
    try:
        c = _local.stack[-1]
        if c.error is None:
            fn = c.slots[slot]
            out = fn(x, *c.args) if p is None else fn(x, p, *c.args)
            if slot == 0:
                return out
            if slot == 2:
                return out[0], np.ascontiguousarray(out[1], dtype=np.float64)
            return np.ascontiguousarray(out, dtype=np.float64)
    except BaseException as exc:        # noqa: BLE001  (kept, raised on exit)
        _keep(exc)
    return _failed(slot, x.size)


def _python_callback(k, x, f, g):
    """The running context's callback: 1 (stop) when it asks to, or once the run failed."""
    try:
        raise_pending()                   # a Ctrl-C deferred out of numba's code
        c = _local.stack[-1]
        if c.error is None and c.callback is not None:
            return int(c.callback(k, x, f, g))
        return 0 if c.error is None else 1
    except BaseException as exc:        # noqa: BLE001
        _keep(exc)
    return 1


# The trampolines.  Not nogil: objmode takes the GIL anyway, and numba warns about nogil
# with objmode.  Compiled once each for the context signatures (``ctx`` unread), cached.
_TRAMPOLINE = numba.njit(cache=CACHE, error_model="numpy")


@_TRAMPOLINE
def _fun(x, ctx):
    with objmode(f="float64"):
        f = _python(0, x)
    return f


@_TRAMPOLINE
def _jac(x, ctx):
    with objmode(g="float64[::1]"):
        g = _python(1, x)
    return g


@_TRAMPOLINE
def _fused(x, ctx):
    with objmode(f="float64", g="float64[::1]"):
        f, g = _python(2, x)
    return f, g


@_TRAMPOLINE
def _hess(x, ctx):
    with objmode(H="float64[:, ::1]"):
        H = _python(3, x)
    return H


@_TRAMPOLINE
def _hessp(x, p, ctx):
    with objmode(v="float64[::1]"):
        v = _python(4, x, p)
    return v


@_TRAMPOLINE
def _callback(k, x, f, g):
    with objmode(stop="int64"):
        stop = _python_callback(k, x, f, g)
    return stop


_TRAMPOLINES = (_fun, _jac, _fused, _hess, _hessp)
_OBS = {}      # bridged ob by (slots used, derivative modes): one tuple, so plans are reused


def objective(obj):
    """The bridged form of the Python objective ``obj`` (``_objective.Objective``): a
    compiled objective in context form whose used slots are trampolines (placeholders
    elsewhere, as for a jitted objective); run it inside :class:`calling`."""
    used = (obj.grad_kind != "fused", obj.ob[1] is not None, obj.grad_kind == "fused",
            obj.ob[3] is not None, obj.ob[4] is not None)
    key = (used, obj.ob[5:])
    ob = _OBS.get(key)
    if ob is None:
        sigs = user_signatures(CONTEXT)
        ob = _OBS[key] = tuple(
            resolved(_TRAMPOLINES[s], sigs[s]) if used[s] else placeholder(s, CONTEXT)
            for s in range(5)) + obj.ob[5:]
    return replace(obj, ob=ob, args=ARGS, compiled=True, args_type=CONTEXT)


def callback():
    """The callback trampoline as a first-class function (calls the context's callback)."""
    return resolved(_callback, CALLBACK_SIG)
