"""A cycle-counter clock readable from compiled code and from Python.

numba has no wall clock in nopython mode, and an ``objmode`` trampoline costs
~15 us per call, longer than a whole L-BFGS iteration at n = 2.  The LLVM
intrinsic ``readcyclecounter`` costs a few ns and keeps functions cacheable.
Ticks are converted to seconds by the Python layer, which measures wall time
around the same call (see ``newtonlab._result.Trace``).
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .config import jit


@intrinsic
def _readcyclecounter(typingctx):
    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.IntType(64), [])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.readcyclecounter")
        return builder.call(fn, [])

    return types.int64(), codegen


@jit
def ticks():
    """Cycle-counter ticks as float (monotone, arbitrary origin)."""
    return float(_readcyclecounter())
