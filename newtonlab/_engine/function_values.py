"""Dispatchers as first-class function values that name their machine code by symbol only.

Why its own module: ``newtonlab.jit`` passes the user's ``@njit`` objective to a
method's cached ``solve`` as first-class function values.  numba's own conversion
(a cast from the dispatcher type) also stores the dispatcher's ``PyObject*``, a
fallback for calls it cannot compile; that address changes from process to process,
so numba refuses to cache any function that holds it ("dynamic globals"): every user
function calling a solver would compile again in every process (22-60 s).  The
intrinsic here builds the same value from symbols alone.  It uses numba internals,
named in docs/design.md ("numba internals still used").
"""
import functools

from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@functools.lru_cache(maxsize=None)
def function_value(toty):
    """An intrinsic ``as_function(dispatcher) -> toty``: the dispatcher's machine code as a
    first-class function value of type ``toty`` that refers to it by symbol only.

    The dispatcher is compiled for the signature at typing time (a mismatch is a
    compile-time error, not a runtime fallback), its library is linked, the value holds
    the symbols of its C wrapper and of its numba entry, and its Python object stays
    null: nothing process-specific remains.
    """
    toty = toty.get_precise()

    @intrinsic
    def as_function(typingctx, disp):
        if not isinstance(disp, types.Dispatcher):
            return None

        def codegen(context, builder, sig, args):
            cres = disp.dispatcher.get_compile_result(toty.signature)
            voidptr = context.get_value_type(types.voidptr)
            fn = cgutils.create_struct_proxy(toty)(context, builder)
            wrapper = cgutils.get_or_insert_function(
                builder.module, context.get_value_type(toty.ftype).pointee,
                cres.fndesc.llvm_cfunc_wrapper_name)
            fn.c_addr = builder.bitcast(wrapper, voidptr)
            fn.jit_addr = builder.bitcast(context.declare_function(builder.module, cres.fndesc),
                                          voidptr)
            fn.py_addr = voidptr(None)
            context.active_code_library.add_linking_library(cres.library)
            return fn._getvalue()
        return toty(disp), codegen
    return as_function
