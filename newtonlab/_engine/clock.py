"""A cycle-counter clock readable from compiled code and from Python.

numba has no wall clock in nopython mode, and an ``objmode`` trampoline costs
~15 us per call, longer than a whole L-BFGS iteration at n = 2.  The LLVM
intrinsic ``readcyclecounter`` costs a few ns and keeps functions cacheable.
Ticks are converted to seconds by the Python layer, which measures wall time
around the same call (see ``newtonlab._result.Trace``).

With ``NUMBA_DISABLE_JIT=1`` nothing is compiled and an intrinsic cannot run,
so :func:`ticks` is then Python's monotonic nanosecond clock: every caller
(Python and the interpreted drivers alike) reads the same clock either way.
"""
import math
import time

import numba
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .config import jit


@intrinsic
def _readcyclecounter(typingctx):
    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.IntType(64), [])
        name = "llvm.readcyclecounter"
        fn = builder.module.globals.get(name) or ir.Function(builder.module, fnty, name)
        return builder.call(fn, [])

    return types.int64(), codegen


if numba.config.DISABLE_JIT:
    def ticks():
        """Nanoseconds of a monotonic clock, as float (NUMBA_DISABLE_JIT=1)."""
        return float(time.perf_counter_ns())
else:
    @jit
    def ticks():
        """Cycle-counter ticks as float (monotone, arbitrary origin)."""
        return float(_readcyclecounter())


_RATE = []


def ticks_per_second():
    """Ticks per second, measured once per process (a time_limit in seconds -> ticks)."""
    if not _RATE:
        ticks()
        t0, c0 = time.perf_counter(), ticks()
        while time.perf_counter() - t0 < 0.005:
            pass
        _RATE.append((ticks() - c0) / (time.perf_counter() - t0))
    return _RATE[0]


def budget_ticks(seconds):
    """A time limit in seconds as a tick budget (inf: no limit)."""
    return seconds * ticks_per_second() if math.isfinite(seconds) else math.inf
