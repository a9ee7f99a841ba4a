"""newtonlab's solvers, callable from your own ``@njit`` code.

A long-standing request in the numba world (scipy#11783, QuantEcon#416):
call a quasi-Newton solver inside a compiled function, for example inside a
``prange`` loop over thousands of starts or parameter values.  Each function
here works in both worlds: inside ``@njit`` code it compiles into your
function (no Python per iteration); called from Python it runs
:func:`newtonlab.minimize` and returns the same record.

Objectives follow scipy's convention: ``fun(x, *args) -> float``,
``jac(x, *args) -> ndarray``, ``hess(x, *args) -> ndarray`` (all ``@njit``).
Pass ``args`` positionally when calling from compiled code (a tuple, possibly
empty).  Every option not in a function's signature is the registry default
(``newtonlab.METHODS[name].defaults``); ``maxiter=0`` is the method's own rule.

Any method of ``newtonlab.METHODS`` is one line away:
``sr1 = newtonlab.jit.solver("sr1")`` gives ``sr1(fun, jac, x0, args=(), gtol=1e-5,
maxiter=0)`` (``hess``/``hessp`` are added to the signature when the method
needs them; ``extras=("m",)`` adds method options as keyword arguments).

Examples
--------
>>> import numpy as np, numba, newtonlab.jit as nlj
>>> @numba.njit
... def f(x, c):
...     return (x[0] - c) ** 2 + 10.0 * x[1] ** 2
>>> @numba.njit
... def g(x, c):
...     return np.array([2.0 * (x[0] - c), 20.0 * x[1]])
>>> @numba.njit
... def solve_many(cs):
...     out = np.empty(cs.size)
...     for i in range(cs.size):
...         r = nlj.bfgs(f, g, np.array([0.0, 1.0]), (cs[i],))
...         out[i] = r.x[0]
...     return out
>>> np.allclose(solve_many(np.array([1.0, 2.0, 3.0])), [1.0, 2.0, 3.0], atol=1e-6)
True

How the compiled form works
---------------------------
At typing time (when your function is compiled) the method's ``prepare`` is
run on stand-in objectives at n = 1, 2, 3 (:class:`Template`, in
:mod:`newtonlab._jit_template`): that gives its typed option records exactly
as :func:`newtonlab.minimize` builds them, and
shows which fields grow with n (affine rules such as scipy's ``200 n``; any
other dependence on n is a typing error), and the shape of the workspace.  At
run time the records are rebuilt field by field for the run's n with the
caller's ``gtol``, ``maxiter`` and extra options (:func:`_packer`), and the
method's cached ``solve`` is called with your functions as first-class function
values.  Args of arrays and float64 / int64 scalars reach it through a context
written in compiled code (``newtonlab._engine.context``): the same compiled
``solve`` that :func:`newtonlab.minimize` runs for every args type; other args
use the ``solve`` compiled for their type.
"""
import functools
from collections import namedtuple

import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload

from ._engine import context as CX
from ._engine import evaluate as EV
from ._engine.config import jit_nocache
from ._engine.function_values import address_of, entry_address_of
from ._engine.function_values import function_value as _function_value
from ._engine.placeholders import MAX_ARGS, standin
from ._engine.signatures import (CALLBACK_TYPE, CONTEXT, EMPTY_ARGS, F64_1D, F64_2D, _no_callback,
                                 driver_for, no_callback, objective_type, user_signatures)
from ._jit_template import Template, _affine, _leaves, _packer, _stand_in  # noqa: F401
from ._registry import METHODS, get_method
from ._result import MESSAGES, SUCCESSFUL

JitResult = namedtuple("JitResult", "x fun jac nit nfev njev nhev status success")
JitResult.__doc__ = """Result of a newtonlab.jit solver: scipy's fields, as a numba-friendly record.

A named tuple, so that it can be built and returned inside ``@njit`` code.

Attributes
----------
x : ndarray (n,)
    The final iterate.
fun : float
    f at ``x``.
jac : ndarray (n,)
    The gradient at ``x``.
nit : int
    Iterations.
nfev, njev, nhev : int
    Evaluations of the function, the gradient and the Hessian (or Hessian products).
status : int
    The stop reason (0: the gradient test held); :func:`message` gives its text.
success : bool
    Whether the status counts as a success.

Examples
--------
>>> import numpy as np
>>> r = JitResult(np.zeros(2), 0.0, np.zeros(2), 3, 4, 4, 0, 0, True)
>>> r.nit, r.success, message(r.status)
(3, True, 'Optimization terminated successfully.')
"""

_SUCCESS = tuple(sorted(SUCCESSFUL))

# ------------------------------------------------------------ Python side

def _python_call(name, names, derivs, x0, args, gtol, maxiter, extras):
    from ._minimize import minimize
    opts = {"gtol": gtol, **extras}
    if maxiter > 0:
        opts["maxiter"] = maxiter
    fun, jac, *rest = derivs
    kw = dict(zip(names, rest))
    r = minimize(fun, x0, args=tuple(args), method=name, jac=jac, options=opts, **kw)
    return JitResult(r.x, r.fun, r.jac, r.nit, r.nfev, r.njev, r.nhev, r.status, r.success)


# ------------------------------------------------------- compiled runner

# The solve's objective and args: the caller's functions and args (a solve compiled for
# their args type), or a context (context.py: the solve minimize runs), written here.
_DIRECT = '''
    ob = (AT(slots[0]), AT(slots[1]), AT(slots[2]), AT(slots[3]), AT(slots[4]), G, HM, HPM,
          1.0)
    solve_args = args
'''
_CONTEXT = '''
    ctx = np.zeros(NW, np.int64)
{fill}    solve_args = (STORE(ctx, args),)
    ob = (EO(V0(D0)), EO(V1(D1)), EO(V2(D2)), EO(V3(D3)), EO(V4(D4)), G, HM, HPM, 1.0)
'''
_RUNNER = '''
def run(slots, args, x0, gtol, maxiter, extras):
    n = x0.size
    it = maxiter if maxiter > 0 else IT_A + IT_B * n
    o = PACK(({values},))
{objective}    x, f, g, status, nit, nf, nh, events = SOLVE(
        ob, CBA(CB(_no_callback)), solve_args, np.ascontiguousarray(x0).astype(np.float64), o,
        np.empty((it + 1, NCOL)), np.empty((0, n)), np.zeros((R_A + R_B * n, C_A + C_B * n)))
{keep}    success = False
    for s in SUCCESS:
        success = success or status == s
    return JitResult(x, f, g, nit, FF * nf + FH * nh, JF * nf + JH * nh, HH * nh, status,
                     success)
'''


@functools.lru_cache(maxsize=None)
def _runner(name, derivs, A, extra_names):
    """A compiled ``run(slots, args, x0, gtol, maxiter, extras) -> JitResult`` for the
    method ``name`` and args type ``A``, and the stand-ins of the objective's empty slots.

    ``run`` calls the method's cached ``solve`` (``driver_for``) with the user's
    dispatchers in ``slots`` converted to first-class functions: through a context when
    ``A`` fits one, the same machine code ``minimize`` runs (``_engine/context.py``; the
    context is written in compiled code, and the adapters are linked by symbol), else the
    solve compiled for ``A``."""
    m = METHODS.get(name)
    if m is None:
        raise TypingError(f"newtonlab.jit: method {name!r} is not implemented")
    if len(A.types) > MAX_ARGS:
        raise TypingError(f"newtonlab.jit: at most {MAX_ARGS} extra arguments (args)")
    if m.needs_hess and not m.needs_hessp and "hess" not in derivs or m.needs_hessp and not {
            "hess", "hessp"} & set(derivs):
        raise TypingError(f"newtonlab.jit: method {name!r} needs hess or hessp")
    in_context = CX.fits(A)
    S = CONTEXT if in_context else A            # the solve's args type
    tpl = Template(m, derivs, extra_names, S)
    no_callback()
    ns = dict(tpl.consts, np=np, JitResult=JitResult, SUCCESS=_SUCCESS,
              _no_callback=_no_callback, PACK=_packer(tpl.otype, tuple(tpl.paths)),
              NCOL=tpl.ncol, SOLVE=driver_for(tpl.solve, S, (F64_1D, tpl.otype, F64_2D, F64_2D,
                                                             F64_2D), label=m.name))
    ns["IT_A"], ns["IT_B"] = tpl.maxiter
    ns["R_A"], ns["R_B"] = tpl.rows
    ns["C_A"], ns["C_B"] = tpl.cols
    ns["FF"], ns["FH"], ns["JF"], ns["JH"], ns["HH"] = tpl.cost
    ns["CB"], ns["CBA"] = _function_value(CALLBACK_TYPE), address_of   # the callback: C
    # the solve takes addresses (signatures.OB_ADDRESSES): numba entries for the context
    # args type (signatures.functions), C wrappers for any other
    ns["AT"] = entry_address_of if A == CONTEXT else address_of
    ns["G"] = EV.G_JAC
    ns["HM"] = EV.H_ANALYTIC if "hess" in derivs else EV.H_NONE
    ns["HPM"] = (EV.HP_ANALYTIC if "hessp" in derivs else
                 EV.HP_FROM_HESS if m.needs_hessp and "hess" in derivs else EV.HP_NONE)
    objective, keep = _DIRECT, ""
    if in_context:
        used = (True, True, False, "hess" in derivs, "hessp" in derivs)
        objective = _CONTEXT.format(fill="".join(
            f"    ctx[{s}] = AO(slots[{s}])\n    ctx[{s + 5}] = EO(slots[{s}])\n"
            for s in range(5) if used[s]))
        keep = "    ctx[0] = 0      # (ctx lives until the solve returns)\n"
        ns.update(NW=CX.NFUN + CX.words(A), STORE=CX.store_args, AO=address_of,
                  EO=entry_address_of)
        sigs = user_signatures(CONTEXT)
        for s in range(5):
            ns[f"V{s}"] = _function_value(types.FunctionType(sigs[s]))
            ns[f"D{s}"] = CX.adapter(s, A).dispatcher if used[s] else standin(s, 1)
    exec(compile(_RUNNER.format(values=", ".join(tpl.exprs), objective=objective, keep=keep),
                 f"<newtonlab.jit {name}>", "exec"), ns)
    k = len(A.types)
    # typed by the user's dispatchers; the solve it calls is cached
    # the objective's functions by symbol (see _function_value), converted in the caller
    as_fn = tuple(_function_value(ft) for ft in objective_type(A).types[:5])
    return jit_nocache(ns["run"]), tuple(standin(slot, k) for slot in (2, 3, 4)), as_fn


# ------------------------------------------------------- public functions

# The Python function and numba's typing function of one solver; numba requires the typing
# function, its implementation and (for users) the public function to share one signature.
_TEMPLATE = '''
def {fn}(fun, jac, {derivs}x0, args=(), gtol=1e-5, maxiter=0{extras}):
    return _python_call({name!r}, {names!r}, (fun, jac, {derivs}), x0, args, gtol, maxiter,
                        {{{extra_kw}}})


def typing(fun, jac, {derivs}x0, args=(), gtol=1e-5, maxiter=0{extras}):
    A = _EMPTY_ARGS if isinstance(args, (types.Omitted, tuple, type(None))) else args
    run, (FUSED, HS, HP), (F0, F1, F2, F3, F4) = _runner({name!r}, {names!r}, A,
                                                         {extra_names!r})

    def impl(fun, jac, {derivs}x0, args=(), gtol=1e-5, maxiter=0{extras}):
        return run(({slots}), args, x0, gtol, maxiter, ({extra_tuple}))
    return impl
'''


def solver(name, *derivatives, extras=(), doc=None):
    """The solver function of method ``name``, for Python and for ``@njit`` code.

    Its signature is ``(fun, jac, *derivatives, x0, args=(), gtol=1e-5,
    maxiter=0, **extras)``; ``derivatives`` (``"hess"``, ``"hessp"``) default
    to what the method needs, ``extras`` are method options taken as keyword
    arguments, with the registry's defaults.

    Parameters
    ----------
    name : str
        A method of ``newtonlab.METHODS`` (case-insensitive).
    *derivatives : str
        ``"hess"`` and/or ``"hessp"``: the derivative arguments after ``jac``; default
        ``("hess",)`` or ``("hessp",)`` when the method needs one, else none.
    extras : tuple of str, default ()
        Method options added to the signature as keyword arguments (defaults: the
        registry's ``METHODS[name].defaults``).
    doc : str, optional
        The returned function's docstring; default the method's summary.

    Returns
    -------
    function
        ``solver_fn(fun, jac, *derivatives, x0, args=(), gtol=1e-5, maxiter=0,
        **extras) -> JitResult``: from Python it runs :func:`newtonlab.minimize`;
        inside ``@njit`` code it compiles into the caller.

    Raises
    ------
    ValueError
        ``name`` is not a method of ``newtonlab.METHODS``.

    Examples
    --------
    >>> import newtonlab.jit as nlj
    >>> sr1 = nlj.solver("sr1")
    >>> import inspect; str(inspect.signature(sr1))
    '(fun, jac, x0, args=(), gtol=1e-05, maxiter=0)'
    >>> str(inspect.signature(nlj.solver("lbfgs", extras=("m",))))
    '(fun, jac, x0, args=(), gtol=1e-05, maxiter=0, m=10)'
    """
    return _solver(get_method(name).name, *derivatives, extras=extras, doc=doc)


def _solver(name, *derivatives, extras=(), doc=None):
    """:func:`solver` without the check that ``name`` exists (a method being written fails
    only when called)."""
    m = METHODS.get(name)
    if not derivatives and m is not None:
        derivatives = ("hess",) if m.needs_hess else ("hessp",) if m.needs_hessp else ()
    fn = name.replace("-", "_")
    slot = {"hess": "HS", "hessp": "HP"}
    for d in derivatives:
        slot[d] = d
    src = _TEMPLATE.format(
        fn=fn, name=name, names=tuple(derivatives), extra_names=tuple(extras),
        derivs="".join(f"{d}, " for d in derivatives),
        extras="".join(f", {k}={(m.defaults[k] if m else None)!r}" for k in extras),
        extra_kw=", ".join(f"{k!r}: {k}" for k in extras),
        extra_tuple="".join(f"{k}, " for k in extras),
        slots=f"F0(fun), F1(jac), F2(FUSED), F3({slot['hess']}), F4({slot['hessp']})")
    ns = {"__name__": __name__, "_python_call": _python_call, "_runner": _runner,
          "_EMPTY_ARGS": EMPTY_ARGS, "types": types}
    exec(compile(src, f"<newtonlab.jit solver {name}>", "exec"), ns)
    public = ns[fn]
    public.__doc__ = doc or (m.summary if m else f"The {name} method.")
    # inlined into the caller (numba IR), so the dispatchers' values never cross a call:
    # unused there, they vanish, and a caller with cache=True can be cached
    overload(public, inline="always")(ns["typing"])
    return public


gd = _solver("gd", doc="Steepest descent with Armijo backtracking (maxiter=0: 200 n).")
newton = _solver("newton", "hess",
                doc="Newton with Armijo backtracking and modified Cholesky (maxiter=0: 200 n).")
bfgs = _solver("bfgs", doc="BFGS with a strong Wolfe line search (maxiter=0: 200 n).")
lbfgs = _solver("lbfgs", extras=("m",),
               doc="L-BFGS with a strong Wolfe line search (maxiter=0: 15000).")
sr1 = _solver("sr1", doc="SR1 quasi-Newton with a trust region (maxiter=0: 200 n).")
cg = _solver("cg", doc="Nonlinear conjugate gradient (maxiter=0: 200 n).")
hager_zhang = _solver("hager-zhang", doc="CG_DESCENT (Hager-Zhang) (maxiter=0: 200 n).")
newton_tr = _solver("newton-tr", "hess", doc="Newton with a trust region (maxiter=0: 200 n).")
newton_cg = _solver("newton-cg", "hessp",
                    doc="Line-search Newton-CG from Hessian-vector products (maxiter=0: 200 n).")
hessian_free = _solver("hessian-free", "hessp",
                       doc="Hessian-free Newton (Martens 2010) from hessp (maxiter=0: 200 n).")
saddle_free_newton = _solver("saddle-free-newton", "hess",
                             doc="Saddle-free Newton, |H| from hess (maxiter=0: 200 n).")


def message(status):
    """scipy-style message for a JitResult status.

    Parameters
    ----------
    status : int
        A :attr:`JitResult.status` (any integer-like value).

    Returns
    -------
    str
        The message :func:`newtonlab.minimize` reports for that status.

    Raises
    ------
    KeyError
        An unknown status.

    Examples
    --------
    >>> message(0)
    'Optimization terminated successfully.'
    >>> message(1)
    'Maximum number of iterations has been exceeded.'
    """
    return MESSAGES[int(status)]


__all__ = ["lbfgs", "bfgs", "newton", "gd", "sr1", "cg", "hager_zhang", "newton_tr", "newton_cg",
           "hessian_free", "saddle_free_newton", "solver", "JitResult", "message"]
