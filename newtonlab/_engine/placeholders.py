"""Stand-ins for objective slots the user leaves empty (generated; see below).

A compiled driver takes all five slots (fun, jac, fused, hess, hessp) as
first-class functions of fixed signatures, so an empty slot needs a compiled
function of the right signature.  numba cannot compile a ``*args`` function
for a flattened signature, hence one stand-in per slot and arity (args tuples
of up to ``MAX_ARGS`` entries run compiled; longer ones run interpreted).
Each raises if called; the ``if`` keeps the typed return reachable, which
gives the stand-in its return type.  The functions follow one pattern
(slot_arity); keep it when adding a slot.  They are compiled (dispatchers made) on
first use by :func:`standin`: a process uses the 5 of its args' arity at most, and
making all 25 dispatchers at ``import newtonlab`` cost ~3 ms.
"""
import numpy as np

from .config import jit

MAX_ARGS = 4


@jit
def _unused(x):
    if x.size >= 0:
        raise RuntimeError("newtonlab: an unused objective slot was called")


def fun_0(x):
    _unused(x)
    return 0.0

def fun_1(x, a):
    _unused(x)
    return 0.0

def fun_2(x, a, b):
    _unused(x)
    return 0.0

def fun_3(x, a, b, c):
    _unused(x)
    return 0.0

def fun_4(x, a, b, c, d):
    _unused(x)
    return 0.0

def jac_0(x):
    _unused(x)
    return x

def jac_1(x, a):
    _unused(x)
    return x

def jac_2(x, a, b):
    _unused(x)
    return x

def jac_3(x, a, b, c):
    _unused(x)
    return x

def jac_4(x, a, b, c, d):
    _unused(x)
    return x

def fused_0(x):
    _unused(x)
    return 0.0, x

def fused_1(x, a):
    _unused(x)
    return 0.0, x

def fused_2(x, a, b):
    _unused(x)
    return 0.0, x

def fused_3(x, a, b, c):
    _unused(x)
    return 0.0, x

def fused_4(x, a, b, c, d):
    _unused(x)
    return 0.0, x

def hess_0(x):
    _unused(x)
    return np.empty((x.size, x.size))

def hess_1(x, a):
    _unused(x)
    return np.empty((x.size, x.size))

def hess_2(x, a, b):
    _unused(x)
    return np.empty((x.size, x.size))

def hess_3(x, a, b, c):
    _unused(x)
    return np.empty((x.size, x.size))

def hess_4(x, a, b, c, d):
    _unused(x)
    return np.empty((x.size, x.size))

def hessp_0(x, v):
    _unused(x)
    return v

def hessp_1(x, v, a):
    _unused(x)
    return v

def hessp_2(x, v, a, b):
    _unused(x)
    return v

def hessp_3(x, v, a, b, c):
    _unused(x)
    return v

def hessp_4(x, v, a, b, c, d):
    _unused(x)
    return v


# the stand-ins' Python functions: _PY[slot][arity]
_PY = (
    (fun_0, fun_1, fun_2, fun_3, fun_4),
    (jac_0, jac_1, jac_2, jac_3, jac_4),
    (fused_0, fused_1, fused_2, fused_3, fused_4),
    (hess_0, hess_1, hess_2, hess_3, hess_4),
    (hessp_0, hessp_1, hessp_2, hessp_3, hessp_4),
)

_MADE = {}


def standin(slot, arity):
    """The compiled stand-in for objective slot ``slot`` (0 fun, 1 jac, 2 fused, 3 hess,
    4 hessp) of an ``arity``-argument args tuple, its dispatcher made once."""
    key = (slot, arity)
    made = _MADE.get(key)
    if made is None:   # (two threads may both make one: the first stored is every caller's)
        made = _MADE.setdefault(key, jit(_PY[slot][arity]))
    return made
