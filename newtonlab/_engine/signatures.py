"""Fixed numba signatures: how objectives enter compiled drivers.

The user's functions are passed as first-class function values
(``numba.types.FunctionType``) whose signatures depend only on the type ``A``
of the ``args`` tuple.  A driver is therefore compiled once per args type,
cached on disk, and reused for every objective (DESIGN.md §1).
``compiled_entry`` returns the machine-code entry point of that one
compilation, bypassing the dispatcher, so a jitted objective is passed as a
function pointer and never triggers a specialization of its own.
"""
from numba import types

from .config import jit
from .placeholders import MAX_ARGS, STANDINS  # noqa: F401  (MAX_ARGS re-exported)

F64_1D = types.float64[::1]
F64_2D = types.float64[:, ::1]
I64_1D = types.int64[::1]


def user_signatures(A):
    """Signatures of (fun, jac, fused, hess, hessp) for an args tuple of type A."""
    extra = tuple(A.types)
    fused = types.Tuple((types.float64, F64_1D))
    return (types.float64(F64_1D, *extra), F64_1D(F64_1D, *extra), fused(F64_1D, *extra),
            F64_2D(F64_1D, *extra), F64_1D(F64_1D, F64_1D, *extra))


def objective_type(A):
    """numba type of the objective tuple ``ob`` (see ``evaluate.py``)."""
    fts = tuple(types.FunctionType(s) for s in user_signatures(A))
    return types.Tuple(fts + (types.int64, types.int64, types.int64))


CALLBACK_SIG = types.int64(types.int64, F64_1D, types.float64, F64_1D)
CALLBACK_TYPE = types.FunctionType(CALLBACK_SIG)


@jit
def _no_callback(k, x, f, g):
    return 0


def no_callback():
    """The compiled do-nothing callback cb(k, x, f, g) -> 0."""
    _no_callback.compile(CALLBACK_SIG)
    return _no_callback


def placeholder(slot, A):
    """A compiled stand-in for an objective slot the user left empty."""
    fn = STANDINS[slot][len(A.types)]
    fn.compile(user_signatures(A)[slot])
    return fn


_ENTRIES = {}


def compiled_entry(driver, A, rest, callback=True):
    """Entry point of ``driver`` compiled for (ob, cb, args: A, *rest).

    With ``callback=False`` the signature is (ob, args: A, *rest).  The driver
    compiles only here, explicitly: implicit compilation stays disabled, so a
    call from compiled code that passes objectives as dispatchers (as
    ``newtonlab.jit`` does) converts them to first-class functions and reuses
    this cached machine code instead of specializing the driver per objective.
    """
    key = (driver, A, tuple(rest), callback)
    if key not in _ENTRIES:
        head = (objective_type(A), CALLBACK_TYPE, A) if callback else (objective_type(A), A)
        sig = head + tuple(rest)
        driver.disable_compile(False)
        try:
            driver.compile(sig)
        finally:
            driver.disable_compile(len(driver.signatures) > 0)
        _ENTRIES[key] = driver.overloads[sig].entry_point
    return _ENTRIES[key]
