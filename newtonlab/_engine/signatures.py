"""Fixed numba signatures: how objectives enter compiled drivers.

The user's functions reach a solver as the addresses of their compiled C
wrappers (:data:`OB_ADDRESSES`), which the solver turns into first-class
function values (``numba.types.FunctionType``, :func:`functions`) whose
signatures depend only on the type ``A`` of the ``args`` tuple.  A driver is
therefore compiled once per args type, cached on disk, and reused for every
objective (DESIGN.md §1); ``minimize`` runs every args type through one of them,
the context args (``context.py``).  ``compiled_entry`` returns the machine-code entry
point of that one compilation, bypassing the dispatcher, so a jitted objective
never triggers a specialization of its own.
"""
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload

import functools
import sys
import threading
import time

import numba
from numba.core import event as ev

from .config import CACHE, FLAGS, jit
from .function_values import entry_at, function_at
from .placeholders import MAX_ARGS, standin  # noqa: F401  (MAX_ARGS re-exported)

F64_1D = types.float64[::1]
F64_2D = types.float64[:, ::1]
I64_1D = types.int64[::1]
#: the type of ``args=()``, the common case (typed once)
EMPTY_ARGS = types.Tuple(())
#: the args type of every compiled solve ``minimize`` runs: (address of the context,)
#: (``context.py``); its objective's functions arrive as numba entries (:func:`functions`)
CONTEXT = types.UniTuple(types.int64, 1)


@functools.lru_cache(maxsize=None)
def user_signatures(A):
    """Signatures of (fun, jac, fused, hess, hessp) for an args tuple of type A."""
    extra = tuple(A.types)
    fused = types.Tuple((types.float64, F64_1D))
    return (types.float64(F64_1D, *extra), F64_1D(F64_1D, *extra), fused(F64_1D, *extra),
            F64_2D(F64_1D, *extra), F64_1D(F64_1D, F64_1D, *extra))


@functools.lru_cache(maxsize=None)
def product_signature(A):
    """Signature of a mini-batch curvature product ``bhp(x, v, idx, *args)`` (hessian-free's
    option ``curvature_batch``, Martens 2010 §4.3) for an args tuple of type A."""
    return F64_1D(F64_1D, F64_1D, I64_1D, *A.types)


@functools.lru_cache(maxsize=None)
def batch_fg_signature(A):
    """Signature of a finite sum's batch function ``batch_fg(x, idx, *args) -> (f, g)``
    (``newtonlab.stochastic.FiniteSum``) for an args tuple of type A."""
    return types.Tuple((types.float64, F64_1D))(F64_1D, I64_1D, *A.types)


@functools.lru_cache(maxsize=None)
def objective_type(A):
    """numba type of the objective tuple ``ob`` (see ``evaluate.py``)."""
    fts = tuple(types.FunctionType(s) for s in user_signatures(A))
    return types.Tuple(fts + (types.int64, types.int64, types.int64, types.float64))


#: How a solver receives its objective ``ob``: the C-wrapper addresses of its five
#: functions (``CompiledFunction.addr``), then its three derivative modes and its scale
#: (``evaluate.py``); the callback is one more address.  Integers unbox in nanoseconds,
#: first-class function values in ~1.7 us each.
OB_ADDRESSES = types.Tuple((types.int64,) * 8 + (types.float64,))


def functions(ob, cb, args):
    """A solver's objective tuple and callback as callables: from addresses
    (:data:`OB_ADDRESSES`) in compiled code, as given otherwise (the interpreted
    driver gets the callables themselves).

    The addresses are the functions' C wrappers, except for the :data:`CONTEXT` args
    every ``minimize`` run passes: then they are numba entries
    (``CompiledFunction.jit_addr``), called without a C wrapper, so an exception the
    user's function raises propagates out of the solve (a C wrapper prints it and
    returns garbage)."""
    return ob, cb


@overload(functions)
def _functions(ob, cb, args):
    if not isinstance(ob.types[0], types.Integer):
        if any(isinstance(t, types.Dispatcher) for t in (*ob.types[:5], cb)):
            # a dispatcher called from the borrowing wrappers (evaluate._jac_into, ...) would
            # be compiled without reference counting too, and their release would then free
            # an array the user's function does not own
            raise TypingError("newtonlab: a compiled loop takes the objective's functions as "
                              "addresses or first-class functions, not dispatchers")
        return lambda ob, cb, args: (ob, cb)
    at = entry_at if args == CONTEXT else function_at
    F0, F1, F2, F3, F4 = (at(types.FunctionType(s)) for s in user_signatures(args))
    FC = function_at(CALLBACK_TYPE)

    def impl(ob, cb, args):
        return (F0(ob[0]), F1(ob[1]), F2(ob[2]), F3(ob[3]), F4(ob[4]), ob[5], ob[6], ob[7],
                ob[8]), FC(cb)
    return impl


class CompiledFunction(types.WrapperAddressProtocol):
    """A dispatcher's machine code for one signature, as a first-class function value.

    Passing a dispatcher itself to a compiled driver makes numba look its
    machine code up again at every call (~50 us per function, ~300 us for an
    objective tuple: more than a whole solve at n = 2).  This object resolves
    the address once and answers numba's wrapper-address protocol from a field.
    """

    def __init__(self, dispatcher, sig):
        from numba.experimental.function_type import _get_wrapper_address
        if tuple(sig.args) not in dispatcher.overloads:   # (an eager dispatcher cannot compile)
            dispatcher.compile(sig)
        self.dispatcher = dispatcher     # keeps the machine code alive
        self.sig = sig
        self.addr = _get_wrapper_address(dispatcher, sig)

    def __wrapper_address__(self):
        return self.addr

    @functools.cached_property
    def jit_addr(self):
        """The address of its numba-ABI entry: compiled code that calls it there skips the
        C wrapper, and an exception it raises propagates (``context.py``'s adapters)."""
        from numba.experimental.function_type import _get_jit_address
        return _get_jit_address(self.dispatcher, self.sig)

    def signature(self):
        return self.sig

    def __call__(self, *args):
        return self.dispatcher(*args)


_RESOLVED = {}


def resolved(dispatcher, sig):
    """``CompiledFunction(dispatcher, sig)``, made once per pair."""
    key = (dispatcher, sig)
    if key not in _RESOLVED:
        _RESOLVED[key] = CompiledFunction(dispatcher, sig)
    return _RESOLVED[key]


CALLBACK_SIG = types.int64(types.int64, F64_1D, types.float64, F64_1D)
CALLBACK_TYPE = types.FunctionType(CALLBACK_SIG)


@jit
def _no_callback(k, x, f, g):
    return 0


@functools.lru_cache(maxsize=None)
def no_callback():
    """The compiled do-nothing callback cb(k, x, f, g) -> 0."""
    return resolved(_no_callback, CALLBACK_SIG)


class _Deferred(CompiledFunction):
    """A :class:`CompiledFunction` whose machine code is compiled (or loaded from the disk
    cache) when its address is first asked for: an interpreted run never asks, and a
    stand-in's load costs ~1.5 ms of a warm process's first result."""

    def __init__(self, dispatcher, sig):
        self.dispatcher = dispatcher
        self.sig = sig

    @functools.cached_property
    def addr(self):
        return resolved(self.dispatcher, self.sig).addr

    @functools.cached_property
    def jit_addr(self):
        return resolved(self.dispatcher, self.sig).jit_addr


def deferred(dispatcher, sig):
    """``dispatcher``'s machine code for ``sig`` as a :class:`CompiledFunction` compiled (or
    loaded) only when a compiled run first asks for its address."""
    return _Deferred(dispatcher, sig)


_PLACEHOLDERS = {}


def placeholder(slot, A):
    """The compiled stand-in for an objective slot the user left empty (its machine code
    loaded when a compiled run first takes its address)."""
    key = (slot, A)
    made = _PLACEHOLDERS.get(key)
    if made is None:
        made = _PLACEHOLDERS.setdefault(
            key, _Deferred(standin(slot, len(A.types)), user_signatures(A)[slot]))
    return made


def is_placeholder(f, slot, A):
    """Whether ``f`` is :func:`placeholder` ``(slot, A)`` (none is made to tell)."""
    return _PLACEHOLDERS.get((slot, A)) is f


_DRIVERS = {}


class _Watch(ev.Listener):
    """numba's compile events (its documented event API, ``numba.core.event``), handed to
    the compile notices and load-only requests active in the thread that compiles.

    One listener, registered once: numba broadcasts an event in the thread that compiles,
    so a thread-local stack keeps each thread's watchers apart, and no listener is added
    to or removed from numba's list while another thread may be iterating it.
    """

    def __init__(self):
        self.local = threading.local()

    def active(self):
        stack = getattr(self.local, "stack", None)
        if stack is None:
            stack = self.local.stack = []
        return stack

    def on_start(self, event):
        stack = self.active()
        for w in stack:
            w.started(event)
        for w in stack:        # after every notice saw the start: the end comes even so
            w.refuse(event)

    def on_end(self, event):
        for w in self.active():
            w.ended(event)


_WATCH = _Watch()
ev.register("numba:compile", _WATCH)


class _Watcher:
    """A context during which :data:`_WATCH` hands this thread's compile events here."""

    def __enter__(self):
        _WATCH.active().append(self)
        return self

    def __exit__(self, *exc):
        stack = _WATCH.active()
        if self in stack:
            stack.remove(self)

    def started(self, event):
        pass

    def refuse(self, event):
        pass

    def ended(self, event):
        pass


class compile_notice(_Watcher):
    """A one-line notice on stderr once numba has compiled newtonlab's code for ``after``
    seconds in all inside this context (in this thread).

    A load from the disk cache is no compile, and a user's own functions compiled inside
    it (a helper called by a Python objective) do not count, so the notice appears only
    when newtonlab's code really compiles (a first use, or after an upgrade).  It says so
    during the wait, not after it.
    """

    #: False silences the notice (``newtonlab warmup``'s workers: the parent reports progress)
    enabled = True

    def __init__(self, label, after=0.5):
        self.label = label
        self.left = after          # seconds of compiling still to go before the notice
        self.depth = 0             # nesting of the compile events seen
        self.ours = False          # the outermost compile is newtonlab's
        self.timer = None
        self.said = False

    def _say(self):
        self.said = True
        print(f"newtonlab: compiling {self.label} (first use; a few seconds, cached for later "
              f"runs; `python -m newtonlab warmup` compiles every method ahead)",
              file=sys.stderr, flush=True)

    def started(self, event):
        self.depth += 1
        if self.depth > 1:
            return
        fn = getattr(event.data["dispatcher"], "py_func", None)
        self.ours = (getattr(fn, "__module__", None) or "").startswith("newtonlab")
        if self.ours and self.enabled and not self.said:
            self.t0 = time.perf_counter()
            self.timer = threading.Timer(self.left, self._say)
            self.timer.daemon = True
            self.timer.start()

    def ended(self, event):
        self.depth -= 1
        if self.depth == 0 and self.timer is not None:
            self.timer.cancel()
            self.timer = None
            self.left -= time.perf_counter() - self.t0

    def __exit__(self, *exc):
        super().__exit__(*exc)
        if self.timer is not None:
            self.timer.cancel()


class _NotCached(Exception):
    """Raised by :class:`_LoadOnly` to stop a compile before it starts."""


class _LoadOnly(_Watcher):
    """Refuses to compile ``target``: numba announces a compile only after its disk cache
    missed, so a load still happens and a compile is stopped before any work."""

    def __init__(self, target):
        self.target = target

    def refuse(self, event):
        if event.data["dispatcher"] is self.target:
            raise _NotCached


def driver_for(driver, A, rest, callback=True, label=None, compile=True):
    """``driver`` compiled for (ob, cb, args: A, *rest), as a dispatcher of its own.

    One dispatcher per args type, each with exactly one signature and compilation then
    disabled: a call from compiled code (``newtonlab.jit``) passes the user's functions
    by address and reuses this cached machine code, never specializing the driver per
    objective (with several signatures on one dispatcher, numba's overload resolution
    would try the other args types' signatures too).  All these dispatchers share one
    disk cache.  ``compile=False``: only a load from numba's disk cache, else None (and
    nothing compiled; ``_run``'s "auto" execution asks so).
    """
    key = (driver, A, tuple(rest), callback)
    disp = _DRIVERS.get(key)
    if disp is None:
        # a solver (with a callback) takes its objective as addresses; a kernel without
        # (analysis' lm_batch) as first-class function values
        head = (OB_ADDRESSES, types.int64, A) if callback else (objective_type(A), A)
        disp = numba.njit(cache=CACHE, **FLAGS)(driver.py_func)
        try:
            with compile_notice(label or driver.__name__) if compile else _LoadOnly(disp):
                disp.compile(head + tuple(rest))     # loads from the disk cache, or compiles
        except _NotCached:
            return None
        disp.disable_compile()
        _DRIVERS[key] = disp
    return disp


_ENTRIES = {}


def compiled_entry(driver, A, rest, callback=True, label=None, compile=True):
    """Machine-code entry point of ``driver_for(driver, A, rest, callback)`` (None when
    ``compile=False`` and numba's disk cache does not hold it).

    Called from Python, it bypasses the dispatcher, so a jitted objective is
    passed as a function pointer.  Looked up on every solve: the key avoids
    hashing the (constant per driver) rest of the signature.
    """
    key = (driver, A, callback)
    entry = _ENTRIES.get(key)
    if entry is None:
        disp = driver_for(driver, A, rest, callback, label, compile)
        if disp is None:
            return None
        entry = _ENTRIES[key] = disp.overloads[disp.signatures[0]].entry_point
    return entry
