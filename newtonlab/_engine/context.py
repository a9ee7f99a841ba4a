"""One compiled ``solve`` per method for every ``args`` type: the user's args behind a pointer.

A method's compiled loop calls the user's functions as ``fun(x, *args)``, so its machine
code depends on the type of ``args``: each new args type compiled the whole loop again
(6-14 s per method and args type; half of a cold warm-up was the quadratic problems'
``(A, b)``).  Here every compiled ``solve`` takes ``args = (ctx,)`` of type
:data:`CONTEXT` instead.  ``ctx`` is the address of a *context*, an int64 buffer holding

- the C-wrapper and the numba-entry addresses of the user's five objective functions
  (0 for an empty slot), then the numba entries of the functions one run's options hold
  (hessian-free's mini-batch curvature product, slot :data:`PRODUCT`, and a finite sum's
  batch function, slot :data:`BATCH`; 0 without one),
- then the user's args in numba's native layout (numba's data model of the args tuple),

and the objective's slots hold *adapters* ``fun(x, ctx)``, small functions compiled
per args type (~0.1 s each, cached on disk), which read the context and call the user's
function, at its numba entry, with its args.  The loop is compiled once, for
:data:`CONTEXT`; a new args type costs its adapters.  The solve calls an adapter at its
numba entry too (``signatures.functions``), so the user's exceptions propagate, and a call
costs what it cost through the user's C wrapper (within noise at n = 2).

The context is written from Python (:func:`pack`, ~1 us per array) for args whose native
layout is a run of 8-byte words: arrays (any dtype, rank, layout), float64 and int64
scalars; an array contributes (meminfo, parent, nitems, itemsize, data, shape, strides).
Its meminfo stays null (numba's runtime then leaves the array's memory to its owner: the
caller keeps the args alive for the run) and its parent is the NumPy array itself, as
numba's own unboxing sets it.  :func:`_args_in` checks at compile time that numba's layout
is the size written here; other args (bool, complex, float32 scalars, nested tuples) keep a
``solve`` per args type (:func:`words` is None).
"""
import functools
import hashlib
import struct
from array import array

import numba
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from .config import CACHE, FLAGS
from .function_values import _value, entry_at
from .signatures import (CONTEXT, batch_fg_signature, deferred, is_placeholder, placeholder,
                         product_signature, user_signatures)

#: the slots of the functions one run's options hold, after the objective's five (fun, jac,
#: fused, hess, hessp): hessian-free's mini-batch curvature product (``curvature_batch``)
#: and a finite sum's batch function (``newtonlab.stochastic.FiniteSum``)
PRODUCT, BATCH = 5, 6
#: words before the args: the objective functions' C-wrapper addresses (slots 0-4), then
#: the numba-entry addresses of every slot (word 5 + slot; slots 5 and 6 have no C wrapper)
NFUN = 12


@functools.lru_cache(maxsize=None)
def slot_signatures(A):
    """Signatures of the context's function slots for an args tuple of type A."""
    return user_signatures(A) + (product_signature(A), batch_fg_signature(A))


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


_BITS = struct.Struct("<q")
_FLOAT = struct.Struct("<d")


def kinds(A):
    """What :func:`pack` writes for each entry of the args type ``A``: "array", "float64"
    or "int64" (``A`` fits a context: :func:`words`)."""
    return tuple("array" if isinstance(t, types.Array) else str(t) for t in A.types)


def pack(addresses, args, kinds):
    """The context of one run (an int64 ``array``): ``addresses`` (:data:`NFUN` ints), then
    ``args`` (of these :func:`kinds`) in numba's layout."""
    out = list(addresses)
    for a, kind in zip(args, kinds):
        if kind == "array":
            # numba's array model: meminfo, parent, nitems, itemsize, data, shape, strides
            out += (0, id(a), a.size, a.itemsize, a.ctypes.data) + a.shape + a.strides
        elif kind == "float64":
            out.append(_BITS.unpack(_FLOAT.pack(a))[0])
        else:
            out.append(int(a))
    return array("q", out)


@intrinsic
def _function_in(typingctx, ctx, slot, A):
    """The user's function in slot ``slot`` (a literal) of the context, for args type A."""
    if not isinstance(slot, types.IntegerLiteral) or not isinstance(A, types.TypeRef):
        return None
    s = slot.literal_value
    toty = types.FunctionType(slot_signatures(A.instance_type)[s])

    def codegen(context, builder, sig, args):
        i64 = context.get_value_type(types.int64)
        voidptr = context.get_value_type(types.voidptr)
        base = builder.inttoptr(args[0], i64.as_pointer())

        def word(i):
            at = builder.gep(base, [context.get_constant(types.intp, i)])
            return builder.inttoptr(builder.load(at), voidptr)
        return _value(context, builder, toty, word(s) if s < PRODUCT else voidptr(None),
                      word(5 + s))
    return toty(ctx, slot, A), codegen


def _layout(context, argty):
    """numba's data model of the args type ``argty`` and its LLVM type, refused (at compile
    time) when its size is not what :func:`pack` and :func:`store_args` write."""
    model = context.data_model_manager[argty]
    data = model.get_data_type()
    size = context.get_abi_sizeof(data)
    if size != 8 * words(argty):
        raise TypeError(f"newtonlab: numba lays out {argty} in {size} bytes, not the "
                        f"{8 * words(argty)} a context holds")
    return model, data


@intrinsic
def _args_in(typingctx, ctx, A):
    """The args tuple (of type A) the context holds after its function addresses."""
    if not isinstance(A, types.TypeRef):
        return None
    argty = A.instance_type

    def codegen(context, builder, sig, args):
        model, data = _layout(context, argty)
        i64 = context.get_value_type(types.int64)
        at = builder.gep(builder.inttoptr(args[0], i64.as_pointer()),
                         [context.get_constant(types.intp, NFUN)])
        value = model.load_from_data_pointer(builder, builder.bitcast(at, data.as_pointer()))
        if context.enable_nrt:        # (fun's adapter has none; the meminfos are null anyway)
            context.nrt.incref(builder, argty, value)
        return value
    return argty(ctx, A), codegen


@intrinsic
def store_args(typingctx, buf, args):
    """Write ``args`` into the context ``buf`` (an int64 array of :data:`NFUN` + ``words``
    entries) after its function addresses, in numba's layout; returns ``buf``'s address.
    (:func:`pack` in compiled code: ``newtonlab.jit``.  The arrays' meminfos are written
    null, as :func:`pack` writes them: the caller holds its args while the solve runs.)"""
    if not (isinstance(buf, types.Array) and buf.dtype == types.int64
            and isinstance(args, types.BaseTuple) and words(args) is not None):
        return None

    def codegen(context, builder, sig, llargs):
        model, data = _layout(context, args)
        value = model.as_data(builder, llargs[1])
        for i, t in enumerate(args.types):      # null meminfos, as pack writes them
            if isinstance(t, types.Array):      # (a UniTuple's data is an LLVM array)
                member = data.element if isinstance(data, ir.ArrayType) else data.elements[i]
                value = builder.insert_value(value, ir.Constant(member.elements[0], None),
                                             [i, 0])
        ary = context.make_array(buf)(context, builder, llargs[0])
        at = builder.gep(ary.data, [context.get_constant(types.intp, NFUN)])
        builder.store(value, builder.bitcast(at, data.as_pointer()))
        return builder.ptrtoint(ary.data, context.get_value_type(types.int64))
    return types.int64(buf, args), codegen


_SLOT_NAMES = ("fun", "jac", "fused", "hess", "hessp", "product", "batch")


def _adapter_source(slot, A):
    """The Python function of slot ``slot``'s adapter for args type ``A``: a closure over
    ``slot`` and ``A`` (numba's cache tells them apart by the closure's contents), with a
    qualified name of its own, stable across processes.  numba names the machine code after
    it, and adapters of one slot share their signature: with one name, two args types'
    adapters compiled in different processes got one symbol, and a process that loaded
    both from the disk cache linked one for the other (a crash)."""
    if slot < 4:
        def adapter(x, ctx):
            return _function_in(ctx, slot, A)(x, *_args_in(ctx, A))
    elif slot < PRODUCT:
        def adapter(x, p, ctx):
            return _function_in(ctx, slot, A)(x, p, *_args_in(ctx, A))
    elif slot == PRODUCT:
        def adapter(x, v, idx, ctx):
            return _function_in(ctx, slot, A)(x, v, idx, *_args_in(ctx, A))
    else:
        def adapter(x, idx, ctx):
            return _function_in(ctx, slot, A)(x, idx, *_args_in(ctx, A))
    digest = hashlib.sha1(A.name.encode()).hexdigest()[:16]
    adapter.__qualname__ = adapter.__name__ = f"adapter_{_SLOT_NAMES[slot]}_{digest}"
    return adapter


#: ``fun``'s adapter counts no references (numba's ``_nrt=False``, as ``config.jit_borrow``):
#: the two atomic operations on x around each call are most of an adapter's own cost.  It
#: allocates nothing, borrows x, whose owner outlives the call, reads args whose meminfos
#: are null, and returns a float.  The other adapters return the user's arrays, which numba
#: allows only with reference counting.
_ADAPT = (numba.njit(cache=CACHE, **{**FLAGS, "_nrt": False}), numba.njit(cache=CACHE, **FLAGS))


@functools.lru_cache(maxsize=None)
def adapter(slot, A):
    """Slot ``slot``'s adapter for args type ``A``, compiled (or loaded) when a compiled run
    first takes its address (a run that turns out interpreted compiles none; except the
    adapters of slots 5 and 6, whose address the plan holds: a run that the tiered "auto"
    then runs interpreted has loaded them, ~0.1 s from the disk cache)."""
    return deferred(_ADAPT[slot > 0](_adapter_source(slot, A)), slot_signatures(CONTEXT)[slot])


def run_function(context, slot, f):
    """The int64 a compiled run's options record holds for ``f``, a function of the user's
    args that the run's options give (a ``CompiledFunction`` of slot ``slot``'s signature,
    :data:`PRODUCT` or :data:`BATCH`, for the user's args type), and that the loop calls
    through :func:`slot_function`.  ``context`` is the run's ``Objective.context``: (buffer,
    the user's args, their type).  With a buffer, ``f``'s numba entry goes in the slot and
    the slot's adapter's entry is returned (``f`` called with the context args); without
    one (args that fit no context), ``f``'s own entry.  The buffer is the run's own
    (``_run.solver_objective``), not the one every call of an objective shares; a plan
    holding the entry must not be reused for another run (``_registry.Method.reusable_plan``).
    """
    buffer, _, A = context
    if buffer is None:
        return f.jit_addr
    buffer[5 + slot] = f.jit_addr
    return adapter(slot, A).jit_addr


def fits(A):
    """Whether args of type ``A`` can go behind a context (:func:`words`; the context's
    own type is left as it is)."""
    return A != CONTEXT and words(A) is not None


def args_context(args, A):
    """A context holding ``args`` (of type ``A``) and no function yet, or None when ``A``
    does not fit one."""
    return pack([0] * NFUN, args, kinds(A)) if fits(A) else None


def slot_function(slot):
    """``call(f, args)``: how a loop calls the function of slot ``slot`` its options hold.
    From Python ``f`` itself; in compiled code, when ``f`` is an int64, the function at that
    numba entry (:func:`run_function`), so an exception it raises propagates (an options
    record's first-class function is called through its C wrapper, which prints the
    exception and returns garbage).  0 (a run without one) raises."""
    def call(f, args):
        return f

    @overload(call)
    def _call(f, args):
        if not isinstance(f, types.Integer):
            return lambda f, args: f
        at = entry_at(types.FunctionType(slot_signatures(args)[slot]))
        unused = f"newtonlab: the unused {_SLOT_NAMES[slot]} slot was called"

        def impl(f, args):
            if f == 0:
                raise RuntimeError(unused)
            return at(f)
        return impl
    return call


#: the mini-batch curvature product and the batch function as the loops call them
product_of, batch_fg_of = slot_function(PRODUCT), slot_function(BATCH)


@functools.lru_cache(maxsize=None)
def _form(A, used, modes):
    """A context-form objective tuple: adapters in the slots ``used``, the stand-ins for
    :data:`CONTEXT` elsewhere (never called), then ``modes`` (one tuple per key: a plan
    made for it is found again by its identity, ``_run.plan_for``)."""
    return tuple(adapter(s, A) if used[s] else placeholder(s, CONTEXT)
                 for s in range(5)) + modes


# id(ob) -> (ob, A, the context form of ob, the context's function addresses, the kinds of
# A's entries)
_FORMS = {}
_ENTRIES = {}         # id(ob) -> (ob, entries(ob))
_MEMO_MAX = 256       # (then forgotten all at once: a program making new objectives)


def _remember(memo, ob, value):
    """``value`` (a tuple starting with ``ob``) kept in ``memo`` under ``id(ob)``: the
    entry holds ``ob``, so its id is not reused while the entry lives."""
    if len(memo) >= _MEMO_MAX:
        memo.clear()
    memo[id(ob)] = value
    return value


def entries(ob):
    """The objective ``ob`` (args type :data:`CONTEXT`) as a solve compiled for it takes
    it: its functions' numba entries (``signatures.functions``; an adapter is compiled, or
    loaded, here), then its modes.  Made once per ``ob``."""
    hit = _ENTRIES.get(id(ob))
    if hit is None or hit[0] is not ob:
        hit = _remember(_ENTRIES, ob, (ob, tuple(f.jit_addr for f in ob[:5]) + tuple(ob[5:])))
    return hit[1]


def in_context(ob, args, A):
    """(ob, addresses, args, buffer): the objective ``ob`` (compiled, args type ``A``) as a
    solve compiled for :data:`CONTEXT` takes it (``addresses``: :func:`entries` of that
    ``ob``, or None until a compiled run made them); None when ``A`` does not fit a
    context.

    ``buffer`` must stay alive while the solve runs, and so must ``args``.  What does not
    depend on ``args`` is made once per ``ob`` (a jitted objective's ``ob`` is one tuple
    for every call, ``_objective.make_objective``): a call then only packs its args.
    Nothing is compiled here: the user's functions are, and the adapters wait for
    :func:`entries`.
    """
    hit = _FORMS.get(id(ob))
    if hit is None or hit[0] is not ob or not (hit[1] is A or hit[1] == A):
        if not fits(A):
            return None
        used = tuple(not is_placeholder(ob[s], s, A) for s in range(5))
        hit = _remember(_FORMS, ob, (
            ob, A, _form(A, used, tuple(ob[5:])),
            [ob[s].addr if used[s] else 0 for s in range(5)]
            + [ob[s].jit_addr if used[s] else 0 for s in range(5)] + [0] * (NFUN - 10),
            kinds(A)))
    form = hit[2]
    known = _ENTRIES.get(id(form))
    buf = pack(hit[3], args, hit[4])
    return (form, known[1] if known is not None and known[0] is form else None,
            (buf.buffer_info()[0],), buf)
