"""First-class function values built in compiled code: from dispatchers, by symbol only,
and from the addresses a solver's objective tuple carries.

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


def _value(context, builder, toty, c_addr, jit_addr=None):
    """A first-class function value of type ``toty``: these addresses of its C wrapper
    and numba entry (none: calls go through the wrapper), and no Python object."""
    voidptr = context.get_value_type(types.voidptr)
    fn = cgutils.create_struct_proxy(toty)(context, builder)
    fn.c_addr = c_addr
    fn.jit_addr = voidptr(None) if jit_addr is None else jit_addr
    fn.py_addr = voidptr(None)
    return fn._getvalue()


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
            wrapper = cgutils.get_or_insert_function(
                builder.module, context.get_value_type(toty.ftype).pointee,
                cres.fndesc.llvm_cfunc_wrapper_name)
            entry = context.declare_function(builder.module, cres.fndesc)
            context.active_code_library.add_linking_library(cres.library)
            return _value(context, builder, toty, builder.bitcast(wrapper, voidptr),
                          builder.bitcast(entry, voidptr))
        return toty(disp), codegen
    return as_function


def _value_at(toty, entry):
    """An intrinsic ``(address) -> toty``: the function at ``address`` as a first-class
    function value, called through its C wrapper, or (``entry``) at its numba entry."""
    toty = toty.get_precise()

    @intrinsic
    def as_function(typingctx, address):
        if not isinstance(address, types.Integer):
            return None

        def codegen(context, builder, sig, args):
            voidptr = context.get_value_type(types.voidptr)
            at = builder.inttoptr(args[0], voidptr)
            return (_value(context, builder, toty, voidptr(None), at) if entry
                    else _value(context, builder, toty, at))
        return toty(address), codegen
    return as_function


@functools.lru_cache(maxsize=None)
def function_at(toty):
    """An intrinsic ``function_at(address) -> toty``: the C wrapper at ``address`` (an
    int64: ``signatures.CompiledFunction.addr``) as a first-class function value.

    This is how a solver receives its objective (``signatures.functions``): the call
    from Python then unboxes integers, where numba unboxes a first-class function
    through two Python calls (~1.7 us each: six per solve, the largest part of a small
    solve's fixed cost).  Calls go through the C wrapper, as for an unboxed value; the
    value holds no Python object and no numba entry.
    """
    return _value_at(toty, entry=False)


@functools.lru_cache(maxsize=None)
def entry_at(toty):
    """An intrinsic ``entry_at(address) -> toty``: the numba entry at ``address`` (an int64:
    ``signatures.CompiledFunction.jit_addr``) as a first-class function value.

    Calls use numba's calling convention (no C wrapper), so an exception the function
    raises propagates to the caller, as between compiled functions; the value has no C
    wrapper (numba calls a value's C wrapper only when it has no entry).
    """
    return _value_at(toty, entry=True)


def _address_of(field):
    """An intrinsic ``(fn) -> int64``: the ``field`` address of a first-class function
    value."""
    @intrinsic
    def address(typingctx, fn):
        if not isinstance(fn, types.FunctionType):
            return None

        def codegen(context, builder, sig, args):
            value = cgutils.create_struct_proxy(fn)(context, builder, value=args[0])
            return builder.ptrtoint(getattr(value, field), context.get_value_type(types.int64))
        return types.int64(fn), codegen
    return address


#: ``address_of(fn)``: the address of a first-class function value's C wrapper, as an int64
#: (what :func:`function_at` takes back)
address_of = _address_of("c_addr")
#: ``entry_address_of(fn)``: its numba entry's (what :func:`entry_at` takes back; 0 for a
#: value without one)
entry_address_of = _address_of("jit_addr")
