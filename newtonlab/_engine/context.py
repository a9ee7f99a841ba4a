"""One compiled ``solve`` per method for every ``args`` type: the user's args behind a pointer.

A method's compiled loop calls the user's functions as ``fun(x, *args)``, so its machine
code depends on the type of ``args``: each new args type compiled the whole loop again
(6-14 s per method and args type; half of a cold warm-up was the quadratic problems'
``(A, b)``).  Here every compiled ``solve`` takes ``args = (ctx,)`` of type
:data:`CONTEXT` instead.  ``ctx`` is the address of a *context*, an int64 buffer holding

- the C-wrapper addresses of the user's five objective functions (0 for an empty slot),
- then the user's args in numba's native layout (numba's data model of the args tuple),

and the objective's slots hold *adapters* ``fun(x, ctx)``, five small functions compiled
per args type (~0.1 s each, cached on disk), which read the context and call the user's
function with its args.  The loop is compiled once, for :data:`CONTEXT`; a new args type
costs its adapters.  A call goes through one more indirect call (a few ns).

The context is written from Python (:func:`pack`) for args whose native layout is a run
of 8-byte words: arrays (any dtype, rank, layout), float64 and int64 scalars; an array
contributes (meminfo, parent, nitems, itemsize, data, shape, strides).  Its meminfo stays
null (numba's runtime then leaves the array's memory to its owner: the caller keeps the
args alive for the run) and its parent is the NumPy array itself, as numba's own unboxing
sets it.  :func:`_args_in` checks at compile time that numba's layout is the size written
here; other args (bool, complex, float32 scalars, nested tuples) keep a ``solve`` per args
type (:func:`words` is None).
"""
import functools

import numpy as np
from numba import types
from numba.extending import intrinsic

from .config import jit
from .function_values import _value
from .signatures import is_placeholder, placeholder, resolved, user_signatures

#: the args type of every compiled solve that ``minimize`` runs: (address of the context,)
CONTEXT = types.UniTuple(types.int64, 1)
#: words before the args: the five objective functions' addresses
NFUN = 5


def words(A):
    """Words (8 bytes) of the args type ``A`` in the context, or None when :func:`pack`
    cannot write it (the run keeps a ``solve`` compiled for ``A``)."""
    n = 0
    for t in A.types:
        if isinstance(t, types.Array):
            n += 5 + 2 * t.ndim
        elif t in (types.float64, types.int64):
            n += 1
        else:
            return None
    return n


def pack(addresses, args, A):
    """The context of one run: ``addresses`` (five ints) then ``args`` of type ``A``."""
    buf = np.empty(NFUN + words(A), dtype=np.int64)
    buf[:NFUN] = addresses
    i = NFUN
    for a, t in zip(args, A.types):
        if isinstance(t, types.Array):
            # numba's array model: meminfo, parent, nitems, itemsize, data, shape, strides
            row = (0, id(a), a.size, a.itemsize, a.ctypes.data) + a.shape + a.strides
            buf[i:i + len(row)] = row
            i += len(row)
        else:
            buf.view(np.float64 if t == types.float64 else np.int64)[i] = a
            i += 1
    return buf


@intrinsic
def _function_in(typingctx, ctx, slot, A):
    """The user's function in slot ``slot`` (a literal) of the context, for args type A."""
    if not isinstance(slot, types.IntegerLiteral) or not isinstance(A, types.TypeRef):
        return None
    toty = types.FunctionType(user_signatures(A.instance_type)[slot.literal_value])

    def codegen(context, builder, sig, args):
        i64 = context.get_value_type(types.int64)
        at = builder.gep(builder.inttoptr(args[0], i64.as_pointer()),
                         [context.get_constant(types.intp, slot.literal_value)])
        voidptr = context.get_value_type(types.voidptr)
        return _value(context, builder, toty, builder.inttoptr(builder.load(at), voidptr))
    return toty(ctx, slot, A), codegen


@intrinsic
def _args_in(typingctx, ctx, A):
    """The args tuple (of type A) the context holds after its function addresses."""
    if not isinstance(A, types.TypeRef):
        return None
    argty = A.instance_type

    def codegen(context, builder, sig, args):
        model = context.data_model_manager[argty]
        data = model.get_data_type()
        size = context.get_abi_sizeof(data)
        if size != 8 * words(argty):
            raise TypeError(f"newtonlab: numba lays out {argty} in {size} bytes, not the "
                            f"{8 * words(argty)} the context holds")
        i64 = context.get_value_type(types.int64)
        at = builder.gep(builder.inttoptr(args[0], i64.as_pointer()),
                         [context.get_constant(types.intp, NFUN)])
        value = model.load_from_data_pointer(builder, builder.bitcast(at, data.as_pointer()))
        context.nrt.incref(builder, argty, value)    # (null meminfos: numba's convention only)
        return value
    return argty(ctx, A), codegen


def _adapter_source(slot, A):
    """The Python function of slot ``slot``'s adapter for args type ``A`` (a closure over
    ``A``: numba's cache tells the args types apart by the closure's contents)."""
    if slot == 0:
        def fun(x, ctx):
            return _function_in(ctx, 0, A)(x, *_args_in(ctx, A))
        return fun
    if slot == 1:
        def jac(x, ctx):
            return _function_in(ctx, 1, A)(x, *_args_in(ctx, A))
        return jac
    if slot == 2:
        def fused(x, ctx):
            return _function_in(ctx, 2, A)(x, *_args_in(ctx, A))
        return fused
    if slot == 3:
        def hess(x, ctx):
            return _function_in(ctx, 3, A)(x, *_args_in(ctx, A))
        return hess

    def hessp(x, p, ctx):
        return _function_in(ctx, 4, A)(x, p, *_args_in(ctx, A))
    return hessp


@functools.lru_cache(maxsize=None)
def adapter(slot, A):
    """Slot ``slot``'s adapter for args type ``A``, compiled (or loaded) on first use."""
    return resolved(jit(_adapter_source(slot, A)), user_signatures(CONTEXT)[slot])


@functools.lru_cache(maxsize=None)
def _objective(A, used, modes):
    """A context-form objective tuple: adapters in the slots ``used``, the stand-ins for
    :data:`CONTEXT` elsewhere (never called), then ``modes`` (one tuple per key: a plan
    made for it is found again by its identity, ``_run.plan_for``)."""
    return tuple(adapter(s, A) if used[s] else placeholder(s, CONTEXT)
                 for s in range(5)) + modes


def in_context(ob, args, A):
    """(ob, args, buffer): the objective ``ob`` (compiled, args type ``A``) as a solve
    compiled for :data:`CONTEXT` takes it; None when ``A`` does not fit a context.

    ``buffer`` must stay alive while the solve runs, and so must ``args``.
    """
    if A == CONTEXT or words(A) is None:
        return None
    used = tuple(not is_placeholder(ob[s], s, A) for s in range(5))
    buf = pack([ob[s].addr if used[s] else 0 for s in range(5)], args, A)
    return _objective(A, used, tuple(ob[5:])), (int(buf.ctypes.data),), buf
