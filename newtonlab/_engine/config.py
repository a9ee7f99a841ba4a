"""The one place where JIT flags are set.

Every compiled function in newtonlab is decorated with :data:`jit` (or
:data:`jit_parallel`, :func:`jit_borrow`, :func:`jit_reduce`).  ``cache=True`` keeps
compiled solvers on disk (parallel kernels excepted, see :data:`jit_parallel`) so that a
fresh process loads them instead of compiling again; ``fastmath`` stays off
because it lets LLVM assume no NaN/inf, and the solvers must *see* non-finite
values to backtrack from them.  ``error_model="numpy"`` makes a float division
by zero give inf/NaN (IEEE) instead of raising ZeroDivisionError inside a
solver loop, and skips the per-division check.
"""
import functools
import os
import tempfile
import warnings

import numba
from numba.extending import intrinsic, overload, register_jitable, typeof_impl


def _writable(d):
    """True when files can be created in directory d (made if missing)."""
    try:
        os.makedirs(d, exist_ok=True)
        tempfile.TemporaryFile(dir=d).close()
        return True
    except OSError:
        return False


def _cache_available():
    """Whether numba can keep its disk cache; falls back to a private temp directory.

    numba caches beside the sources (``__pycache__``), else in the user's cache
    directory (``$XDG_CACHE_HOME`` or ``~/.cache``); in a read-only install
    without a writable HOME neither exists and every ``cache=True`` function
    raises at import ("no locator available").  Then the cache goes to
    ``<tmp>/newtonlab-numba-cache-<uid>`` (set as NUMBA_CACHE_DIR, so worker
    processes share it); if even that fails, newtonlab compiles uncached.
    """
    if numba.config.CACHE_DIR or numba.config.DISABLE_JIT:
        return True
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    user = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if _writable(os.path.join(here, "__pycache__")) or _writable(os.path.join(user, "numba")):
        return True
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    fallback = os.path.join(tempfile.gettempdir(), f"newtonlab-numba-cache-{uid}")
    ok = _writable(fallback)
    if ok:
        numba.config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"] = fallback
    warnings.warn("newtonlab: no writable numba cache beside the package or in ~/.cache; "
                  + (f"caching compiled solvers in {fallback}" if ok else
                     "compiling without a disk cache (set NUMBA_CACHE_DIR to keep one)"),
                  RuntimeWarning, stacklevel=2)
    return ok


#: False when no directory can hold numba's cache (compiled code is then per process)
CACHE = _cache_available()
# _nrt=True explicitly: numba's callees inherit an unset flag from the function being
# compiled, so a kernel first compiled for a :func:`jit_borrow` caller would otherwise be
# compiled without reference counting too (and could then not allocate)
FLAGS = dict(fastmath=False, nogil=True, error_model="numpy", _nrt=True)
jit = numba.njit(cache=CACHE, **FLAGS)
# Parallel kernels are never cached: a cached function compiled in one process that calls a
# parallel kernel loaded from the cache (compiled by another process) crashed the next process
# that loaded it (segmentation fault; numba issues 4807, 8578; tests/test_faults.py).  Their
# cached callers (lbfgs's parallel entry) hold their code, so only a process compiling a new
# caller compiles them again.
jit_parallel = numba.njit(cache=False, parallel=True, **FLAGS)
#: every function compiled by :func:`jit_borrow` (for the tests of its rule)
BORROWING = []


def jit_borrow(fn, **flags):
    """Compile ``fn`` without reference counting: it borrows the arrays it is given.

    numba's runtime counts references to every array a compiled function is passed: two
    atomic operations per array per call, which LLVM's pruning removes only in functions
    without branches.  A method's components take its workspace (a NamedTuple of up to
    a dozen arrays) at every call, so at n = 2 these counts were most of an iteration's
    time (1000 L-BFGS starts of Rosenbrock: 17.3 -> 9.7 ms on one thread).  numba's
    ``_nrt=False`` (the usage its ``register_jitable`` docstring shows) leaves them out;
    it is correct for a function that allocates no array (numba refuses to compile one
    that does), returns no array and calls nothing that returns one (that array would
    never be freed) unless it frees it with :func:`release`.  ``tests/test_borrowing.py``
    checks that no such function returns an array and that no method's compiled run leaks
    (``dual(borrow=True)`` functions, registered with numba as overloads, only by the
    latter).
    """
    disp = numba.njit(cache=CACHE, **{**FLAGS, "_nrt": False, **flags})(fn)
    BORROWING.append(disp)
    return disp


def release(a):
    """Drop the reference to ``a`` that a borrowing function got from a call.

    Every compiled call that returns an array hands its caller a new reference: a user's
    ``jac`` its gradient, for one.  A reference-counted caller drops it when done; a
    borrowing caller (:func:`jit_borrow`, ``dual(borrow=True)``) counts nothing, so it calls
    ``release(a)`` once it has taken what it needs from ``a`` (and before it raises): the
    array is then freed, as the counted caller would have freed it.  That spares the two
    counts per argument a counted caller pays on entry and exit (``evaluate._jac_into``
    runs at every evaluation).  From Python it does nothing."""


@intrinsic
def _decref(typingctx, a):
    def codegen(context, builder, signature, args):
        context.nrt.decref(builder, signature.args[0], args[0])
    return numba.types.none(a), codegen


# compiled with reference counting whatever its caller's flags (callees inherit an unset one)
@overload(release, jit_options=FLAGS)
def _release(a):
    return lambda a: _decref(a)


def jit_reduce(fn):
    """:func:`jit_borrow` for a pure reduction (``kernels.dot``: reads only), which may be
    reassociated so that LLVM vectorizes it: without it a sum is one dependent add per
    element.  Only "reassoc": no "nnan"/"ninf", so NaN and inf still propagate and are
    seen.  Never for a loop that also stores: LLVM then adds runtime alias checks, and its
    vector and scalar paths round differently, so results would depend on where the arrays
    sit in memory."""
    return jit_borrow(fn, fastmath={"reassoc"})


class _Inlined:
    """``dual(inline=True)``: plain Python from Python; inlined into a compiled caller.

    numba inlines a callee that looks like a dispatcher (``py_func`` and
    ``targetoptions={"inline": "always"}``: what ``@njit(inline="always")``
    gives) at the IR level, before type inference (pass ``InlineInlinables``).
    The body is then typed and compiled once, as part of the caller.  With
    ``register_jitable(inline="always")`` numba compiles the body on its own
    first, to type it, then again inlined: a driver loop paid ~3.5 s twice per
    method.  The numba type registered below (none) only types the caller's
    reference to this object, unused once the call is inlined.  Called from
    Python, it is the function itself.
    """

    def __init__(self, fn):
        self.py_func = fn
        self.targetoptions = {"inline": "always"}
        functools.update_wrapper(self, fn)

    def __call__(self, *args):
        return self.py_func(*args)


@typeof_impl.register(_Inlined)
def _typeof_inlined(val, c):
    return numba.types.none


def dual(fn=None, *, inline=False, borrow=False):
    """Mark a function that calls user code (objectives, a method's components).

    Called from Python it is plain Python; referenced from compiled code it is
    compiled into the caller with :data:`FLAGS` (numba's ``register_jitable``).
    With ``inline=True`` its IR is inlined into the caller (:class:`_Inlined`),
    so arguments that are compiled functions (a method's components) become
    direct calls and the caller stays cacheable: this is how one driver loop
    serves every method while each method compiles only its own parts.
    ``borrow=True`` compiles it without reference counting, under the rule of
    :func:`jit_borrow`.
    """
    def wrap(f):
        if inline:
            return _Inlined(f)
        # a fresh decorator: it consumes its kwargs
        return register_jitable(**{**FLAGS, "_nrt": not borrow})(f)
    return wrap if fn is None else wrap(fn)


class _Logic:
    """:func:`logic`: the function itself from Python, its cached dispatcher from compiled code.

    numba types a global by ``typeof``; registered below, this object types as its
    dispatcher, so a compiled caller calls (and links) that dispatcher's machine code, loaded
    from the disk cache like any ``jit`` function's, while a call from Python runs the plain
    function.
    """

    def __init__(self, fn, borrow):
        self.py_func = fn
        self.dispatcher = jit_borrow(fn) if borrow else jit(fn)
        functools.update_wrapper(self, fn)

    def __call__(self, *args):
        return self.py_func(*args)


@typeof_impl.register(_Logic)
def _typeof_logic(val, c):
    return numba.typeof(val.dispatcher)


def logic(fn=None, *, borrow=True):
    """Mark scalar logic over kernels (a line search's state machine, a Newton direction
    choosing its modification): plain Python when called from Python, so an interpreted run
    compiles only the kernels of the branches it takes; compiled and cached on disk on its
    own (:func:`jit_borrow`, or :data:`jit` with ``borrow=False``) when called from compiled
    code, so every method's ``solve`` links the same machine code.  Not for functions that
    take user functions or records of other modules (:func:`dual`: the disk-cache index of a
    dispatcher lists every signature it was compiled for)."""
    def wrap(f):
        return f if numba.config.DISABLE_JIT else _Logic(f, borrow)
    return wrap if fn is None else wrap(fn)


def jit_nocache(fn):
    """Compile ``fn`` without the disk cache.

    For functions that close over user callables (objective wrappers): their
    machine code depends on the user's function, so a disk cache entry could
    never be reused and would only grow the cache directory.
    """
    return numba.njit(cache=False, **FLAGS)(fn)


# First-class function types are how objectives enter compiled drivers
# (DESIGN.md §1); numba flags them experimental on every compile.
warnings.filterwarnings("ignore", category=numba.NumbaExperimentalFeatureWarning)
