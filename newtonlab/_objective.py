"""User callables -> the engine's objective tuple.

scipy's convention (``fun(x, *args)``, ``jac(x, *args)``, ``hess(x, *args)``,
``hessp(x, p, *args)``, ``jac=True`` for a fused ``(f, g)``) is kept all the
way into the engine (``_engine/evaluate.py``).  When every user callable is a
numba dispatcher and ``args`` has a numba type, the user's functions are
compiled for the engine's fixed signatures (loaded from the user's own cache
when they use ``cache=True``) and the solver runs as a fully compiled loop;
otherwise they are wrapped in validating Python shims, called by the interpreted
driver or back from the compiled loop (``_bridge``).  The driver counts calls of
``eval_fg`` and ``eval_hess``; ``Cost`` turns them into nfev / njev / nhev, so
finite differences are counted exactly in every mode.
"""
from dataclasses import dataclass, replace
from functools import cached_property

import numba
import numpy as np
from numba.core.registry import CPUDispatcher

from ._engine import context as CX
from ._engine import evaluate as EV
from ._complex_step import complex_step_jac
from ._engine.signatures import EMPTY_ARGS, MAX_ARGS, placeholder, resolved, user_signatures
from ._interrupts import raise_pending, user_code

FD_MODES = ("2-point", "3-point")
_GRAD = {"jac": EV.G_JAC, "fused": EV.G_FUSED, "2-point": EV.G_FD2, "3-point": EV.G_FD3,
         "cs": EV.G_JAC}
_HESS = {"none": EV.H_NONE, "analytic": EV.H_ANALYTIC, "2-point": EV.H_FD2, "3-point": EV.H_FD3}
_HESSP = {"none": EV.HP_NONE, "analytic": EV.HP_ANALYTIC, "from-hess": EV.HP_FROM_HESS,
          "fd": EV.HP_FD}


@dataclass(frozen=True)
class Cost:
    """Evaluations behind one call of the engine's ``fg`` and ``hess``."""
    fev_per_fg: int = 1
    jev_per_fg: int = 1
    fev_per_hess: int = 0
    jev_per_hess: int = 0
    hev_per_hess: int = 1

    def counts(self, n_fg, n_hess):
        """(nfev, njev, nhev) from the driver's call counts."""
        return (self.fev_per_fg * n_fg + self.fev_per_hess * n_hess,
                self.jev_per_fg * n_fg + self.jev_per_hess * n_hess,
                self.hev_per_hess * n_hess)


UNIT_COST = Cost()    #: analytic derivatives, one evaluation per call (``_result``: no arithmetic)


@dataclass(frozen=True)
class Objective:
    """A normalized objective: the engine's tuple, args, and how to count evaluations."""
    ob: tuple
    args: tuple
    n: int
    compiled: bool
    args_type: object
    cost: Cost
    grad_kind: str      # "jac" | "fused" | "2-point" | "3-point"
    hess_kind: str      # "analytic" | "2-point" | "3-point" | "none"
    hessp_kind: str     # "analytic" | "from-hess" | "fd" | "none"
    fun: object = None  # the user's fun as given (runners may recognize special objectives)
    user: tuple = ()    # (fun, jac, hess, hessp) as given, for error messages
    context: object = None   # (buffer or None, user's args, their type): a compiled run's

    @cached_property
    def addresses(self):
        """``ob`` as a compiled solver takes it (``signatures.OB_ADDRESSES``: C wrappers,
        numba entries for the context args, ``signatures.functions``)."""
        if self.args_type == CX.CONTEXT:
            return CX.entries(self.ob)
        return tuple(f.addr for f in self.ob[:5]) + self.ob[5:]

    def in_context(self):
        """This compiled objective as every method's one compiled ``solve`` takes it: args
        behind a context pointer (``_engine/context.py``); itself when its args do not fit
        a context (then ``solve`` is compiled for its args type).  Made once per objective
        (kept in its ``__dict__``: a ``cached_property`` takes a lock per first access on
        Python 3.11, ~1 us of every call with args)."""
        made = self.__dict__.get("_in_context")
        form = None if made is not None else CX.in_context(self.ob, self.args, self.args_type)
        if form is not None:
            # dataclasses.replace without the frozen __init__'s setattr per field (2 us of
            # a 15 us small solve); context: the buffer, the args it holds, their type
            made = object.__new__(Objective)
            made.__dict__.update(self.__dict__, ob=form[0], args=form[2], args_type=CX.CONTEXT,
                                 context=(form[3], self.args, self.args_type),
                                 addresses=form[1])
            if form[1] is None:
                del made.__dict__["addresses"]      # (made at a compiled run's first use)
        made = self.__dict__["_in_context"] = made or self
        return made

    def explain(self, x):
        """Call the user's functions at x from Python with the shape checks of the Python
        path: a compiled solver can only say that a shape is wrong, this names the shapes."""
        fun, jac, hess, hessp = self.user
        slots = _python_slots(fun, jac, hess, hessp, self.n)
        x = np.array(x, dtype=float)
        try:
            slots[2 if self.grad_kind == "fused" else 0](x, *self.args)
            for slot in (1, 3):
                if slots[slot] is not None:
                    slots[slot](x, *self.args)
            if slots[4] is not None:
                slots[4](x, np.ones(self.n), *self.args)
        except ValueError as exc:    # the compiled path's wording: "shape (n,), got (m,)"
            raise ValueError(str(exc).replace("got shape", "got")) from None


def is_jitted(f):
    """True for a numba CPU dispatcher (an ``@njit`` function)."""
    return isinstance(f, CPUDispatcher)


# ---------------------------------------------------------------- validation

def check_x0(x0):
    """x0 as a fresh 1-D float64 array; ValueError naming the problem otherwise."""
    try:
        x = np.array(x0, dtype=float, order="C")      # a copy, C-contiguous
    except (TypeError, ValueError) as exc:
        raise ValueError(f"x0 must be a 1-D array of real numbers: {exc}") from None
    if x.ndim == 0:
        x = x.reshape(1)          # a scalar x0 is shape (1,), as scipy treats it
    if x.ndim != 1:
        raise ValueError(f"x0 must be 1-D, got an array of shape {x.shape}")
    if x.size == 0:
        raise ValueError("x0 must not be empty")
    if not np.isfinite(x).all():         # (the indices only for the message)
        bad = np.flatnonzero(~np.isfinite(x))
        shown = ", ".join(str(i) for i in bad[:10]) + (", ..." if bad.size > 10 else "")
        raise ValueError(f"x0 has non-finite entries (NaN or inf) at indices [{shown}]")
    return x


def _scalar(f):
    if np.ndim(f) != 0:
        raise ValueError(f"fun must return a scalar, got an array of shape {np.shape(f)}")
    return float(f)


def _vector(v, n, name):
    v = np.asarray(v, dtype=float)
    if v.shape != (n,):
        raise ValueError(f"{name} must return an array of shape ({n},), got shape {v.shape}")
    return v


def _matrix(H, n, name):
    H = np.asarray(H, dtype=float)
    if H.shape != (n, n):
        raise ValueError(f"{name} must return an array of shape ({n}, {n}), got shape {H.shape}")
    return H


def _split_fused(out):
    if not (isinstance(out, tuple) and len(out) == 2):
        raise ValueError("with jac=True, fun must return a tuple (f, g)")
    return out


# ------------------------------------------------------------- plain Python

_LOW_PRECISION = (np.float32, np.float16)


def _python_slots(fun, jac, hess, hessp, n, differences=False):
    """Validating shims: copy x (users may keep it) and check what comes back.

    With ``differences`` (the gradient by finite differences) an objective that
    computes in float32 is refused: the float64 steps (h ~ 1e-8 |x|) are below
    its resolution, so the differences are rounding noise (a zero gradient, and
    "success" at x0).  newtonlab computes in float64 throughout.
    """
    @user_code
    def f_(x, *a):
        raise_pending()                   # a Ctrl-C deferred out of numba's code
        f = fun(x.copy(), *a)
        if differences and getattr(f, "dtype", None) in _LOW_PRECISION:
            raise ValueError(
                f"fun returned {f.dtype} but the gradient is taken by finite differences "
                f"(jac=None): float64 steps (~1e-8) are below {f.dtype} resolution "
                f"(~{np.finfo(f.dtype).eps:.0e}); compute f in float64 or pass jac")
        return _scalar(f)

    @user_code
    def jac_(x, *a):
        return _vector(jac(x.copy(), *a), n, "jac")

    @user_code
    def fused_(x, *a):
        raise_pending()                   # (f_ and fused_: every evaluation calls one)
        f, g = _split_fused(fun(x.copy(), *a))
        return _scalar(f), _vector(g, n, "jac")

    @user_code
    def hess_(x, *a):
        return _matrix(hess(x.copy(), *a), n, "hess")

    @user_code
    def hessp_(x, v, *a):
        return _vector(hessp(x.copy(), v.copy(), *a), n, "hessp")
    return (f_, jac_ if callable(jac) else None, fused_, hess_ if callable(hess) else None,
            hessp_ if callable(hessp) else None)


# ----------------------------------------------------------------- compiled

def _compiled_slots(fun, jac, hess, hessp, grad_kind, A):
    """The user's dispatchers compiled for the engine signatures; placeholders elsewhere."""
    sigs = user_signatures(A)
    given = (fun if grad_kind != "fused" else None, jac if callable(jac) else None,
             fun if grad_kind == "fused" else None, hess if callable(hess) else None,
             hessp if callable(hessp) else None)
    names = ("fun", "jac", "fun (with jac=True)", "hess", "hessp")
    wants = ("a float", "a float64 1-D C-contiguous array of shape (n,)",
             "a tuple (float, float64 1-D array)", "a float64 (n, n) C-contiguous array",
             "a float64 1-D array of shape (n,)")
    slots = []
    for slot, fn in enumerate(given):
        if fn is None:
            slots.append(placeholder(slot, A))
            continue
        try:
            fn = resolved(fn, sigs[slot])
        except numba.core.errors.TypingError as exc:
            lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
            first = next((ln for ln in lines if not ln.startswith("Failed in")), lines[0])
            raise ValueError(f"{names[slot]} must return {wants[slot]}; it could not be "
                             f"compiled as {sigs[slot]}. numba said: {first}") from None
        slots.append(fn)
    return tuple(slots)


# ------------------------------------------------------------------ builder

_SLOTS = {}    # resolved machine code by (callables, gradient kind, args type), reused


def _slots(fun, jac, hess, hessp, grad_kind, A):
    key = (fun, jac, hess, hessp, grad_kind, A)
    if key not in _SLOTS:
        _SLOTS[key] = _compiled_slots(fun, jac, hess, hessp, grad_kind, A)
    return _SLOTS[key]


_ARGS_TYPES = {}


def _args_type(args):
    """``numba.typeof(args)``, remembered by a cheap fingerprint of each argument.

    numba's typeof of a tuple of arrays costs ~25 us per call, more than a whole small
    solve.  Plain arrays are told apart by what their numba type depends on (dtype, ndim,
    layout, writeable, aligned) and scalars by their Python type; anything else (tuples,
    lists, objects) is typed afresh every call.
    """
    key = []
    for a in args:
        if type(a) is np.ndarray:
            fl = a.flags
            key.append((a.dtype, a.ndim, fl.c_contiguous, fl.f_contiguous, fl.writeable,
                        fl.aligned))
        elif type(a) in (float, bool, complex, np.float64, np.int64, np.float32, np.int32,
                         np.bool_) or (type(a) is int and -2 ** 63 <= a < 2 ** 63):
            key.append(type(a))       # (a larger int is typed uint64 or refused: afresh)
        else:
            return numba.typeof(args)
    key = tuple(key)
    A = _ARGS_TYPES.get(key)
    if A is None:
        A = _ARGS_TYPES[key] = numba.typeof(args)
    return A


_NARROW = set()    # (user functions, widened args type) that do not compile with floats


def _is_int(a):
    return isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))


def _widen_integers(args, A, user):
    """Integer scalars in ``args`` passed as float64 when the user's functions accept that.

    ``args=(2,)`` and ``args=(2.0,)`` then share the user's compiled functions and the
    context adapters (``_engine/context.py``; every args type runs the same compiled
    solver); a function that needs an integer (an index, a size) keeps it.
    """
    if not any(_is_int(a) for a in args):
        return args, A
    wide = tuple(float(a) if _is_int(a) else a for a in args)
    WA = numba.typeof(wide)
    key = (*user, WA)
    if key not in _NARROW:
        try:
            _slots(*user, WA)
        except (ValueError, numba.core.errors.NumbaError):
            _NARROW.add(key)         # needs its integers: remembered, not compiled again
    return (args, A) if key in _NARROW else (wide, WA)


# compiled objectives by (user callables, needs, n, args type), kept without their args
# (the user's data is not held): a repeated minimize() on the same jitted functions skips
# what follows; forgotten all at once past _COMPILED_MAX (a program making new functions)
_COMPILED = {}
_COMPILED_MAX = 256


def make_objective(fun, x0, args, jac, hess, hessp, need_hess, need_hessp, force_python=False):
    """Normalize the user's callables (scipy conventions) for the engine; a compiled
    objective made before for the same key is reused, with these ``args`` (widened as
    then, :func:`_widen_integers`)."""
    if not isinstance(args, tuple):
        args = (args,)
    n = x0.size
    key = None
    if (not force_python and len(args) <= MAX_ARGS and is_jitted(fun)
            and all(is_jitted(c) for c in (jac, hess, hessp) if callable(c))):
        try:
            A = EMPTY_ARGS if not args else _args_type(args)
            # (None for the common args=(): hashing a numba type is a Python call)
            key = (fun, jac, hess, hessp, need_hess, need_hessp, n, A if args else None)
            hit = _COMPILED.get(key)
        except (ValueError, TypeError):      # no numba type, or an unhashable jac / hess
            key = hit = None
        if hit is not None:
            if not args:
                return hit
            wide, WA = _widen_integers(args, A, (fun, jac, hess, hessp, hit.grad_kind))
            return Objective(hit.ob, wide, n, True, WA, hit.cost, hit.grad_kind,
                             hit.hess_kind, hit.hessp_kind, hit.fun, hit.user)
    if not callable(fun):
        raise ValueError(f"fun must be callable, got {type(fun).__name__}")
    if jac is True:
        grad_kind = "fused"
    elif callable(jac):
        grad_kind = "jac"
    elif jac is None or jac is False:
        grad_kind = "2-point"
    elif isinstance(jac, str) and jac in FD_MODES:
        grad_kind = jac
    elif isinstance(jac, str) and jac == "cs":
        grad_kind = "cs"
        jac = complex_step_jac(fun)
    else:
        raise ValueError(f"jac must be a callable, True, None, '2-point', '3-point' or 'cs'; "
                         f"got {jac!r}")
    if callable(hess):
        hess_kind = "analytic"
    elif isinstance(hess, str) and hess in FD_MODES:
        hess_kind = hess
    elif hess is None:
        hess_kind = "2-point" if need_hess else "none"
    else:
        raise ValueError(f"hess must be a callable, None, '2-point' or '3-point'; got {hess!r}")
    if callable(hessp):
        hessp_kind = "analytic"
    elif hessp is None:
        hessp_kind = ("from-hess" if hess_kind == "analytic" else "fd") if need_hessp else "none"
    else:
        raise ValueError(f"hessp must be a callable or None; got {hessp!r}")

    # one gradient call costs 1 + n (forward) or 1 + 2n (central) f-values when differenced;
    # a differenced Hessian costs n + 1 (forward) or 2n (central) gradient calls
    per_fg = {"2-point": 1 + n, "3-point": 1 + 2 * n, "cs": 1 + n}.get(grad_kind, 1)
    if hess_kind in FD_MODES:
        k = n + 1 if hess_kind == "2-point" else 2 * n
        cost = Cost(per_fg, 1, per_fg * k, k, 0)
    else:
        cost = UNIT_COST if per_fg == 1 else Cost(per_fg, 1, 0, 0, 1)

    callables = [c for c in (fun, jac, hess, hessp) if callable(c)]
    A = None
    compiled = not force_python and all(is_jitted(c) for c in callables)
    if compiled:
        try:
            A = EMPTY_ARGS if not args else _args_type(args)
        except (ValueError, TypeError):
            compiled = False
        compiled = compiled and len(args) <= MAX_ARGS
    if compiled:
        args, A = _widen_integers(args, A, (fun, jac, hess, hessp, grad_kind))
        slots = _slots(fun, jac, hess, hessp, grad_kind, A)
    else:
        slots = _python_slots(fun, jac, hess, hessp, n,
                              differences=grad_kind in ("2-point", "3-point"))
    ob = slots + (_GRAD[grad_kind], _HESS[hess_kind], _HESSP[hessp_kind], 1.0)
    obj = Objective(ob, args, n, compiled, A, cost, grad_kind, hess_kind, hessp_kind, fun,
                    (fun, jac, hess, hessp))
    if key is not None and compiled:
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[key] = replace(obj, args=()) if args else obj
    return obj
