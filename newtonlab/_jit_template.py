"""The typing-time half of :mod:`newtonlab.jit`: a method's options, read as a template.

Why this module exists: a ``newtonlab.jit`` solver compiles into the user's
function, so the method's typed option records (built in Python by its
``prepare``) must be rebuilt in compiled code for any n.  :class:`Template`
runs ``prepare`` on stand-in objectives at n = 1, 2, 3 and turns every option
field into an expression (the caller's value, a constant, or ``a + b n``);
:func:`_packer` is the intrinsic that assembles those values into the record
at run time.  Everything here runs once per (method, args type) while numba
types the caller; :mod:`newtonlab.jit` keeps the compiled runner and the public
solver functions.
"""
import functools
from dataclasses import replace

import numba
import numpy as np
from llvmlite import ir
from numba.core.errors import TypingError
from numba.extending import intrinsic

from ._engine import trace as T
from ._objective import make_objective

__all__ = ["Template"]


def _leaves(rec, path=()):
    """(path, field name, value) of every field of a tuple of NamedTuples."""
    for i, v in enumerate(rec):
        if isinstance(v, tuple):
            yield from _leaves(v, path + (i,))
        else:
            yield path + (i,), rec._fields[i] if hasattr(rec, "_fields") else str(i), v


def _affine(what, values):
    """(a, b) with values[k] == a + b (k + 1) for n = 1, 2, 3, else TypingError."""
    if all(v == values[0] for v in values) or all(v != v for v in values):   # NaN: "not set"
        return values[0], 0                  # a constant, of its own type
    try:
        b = values[1] - values[0]
        a = values[0] - b
        ok = values[2] == a + 3 * b
    except TypeError:
        ok = False
    if not ok:
        raise TypingError(f"newtonlab.jit: {what} is not affine in n: {values}")
    return a, b


def _stand_in(n, derivs, A, m):
    """An objective of size n with the given derivatives, marked compiled for args type A,
    normalized for method m as minimize() does (prepare reads its kinds, costs and args
    type, never its functions)."""
    x0 = np.ones(n)
    obj = make_objective(lambda x: 0.0, x0, (), lambda x: x,
                         (lambda x: np.eye(x.size)) if "hess" in derivs else None,
                         (lambda x, v: v) if "hessp" in derivs else None,
                         m.needs_hess, m.needs_hessp, force_python=True)
    return replace(obj, compiled=True, args_type=A), x0


class Template:
    """How to build one method's options at run time, found at typing time.

    ``prepare`` runs on stand-in objectives at n = 1, 2, 3 with the registry
    defaults; every field of the option records becomes an expression for the
    compiled runner: the caller's ``gtol``, ``maxiter`` and extra options, a
    constant, ``a + b * n`` for fields that grow with n, or a fresh copy of a
    constant array (other objects, such as compiled functions, are constants).
    The workspace's shape, the ``solve`` to run and the cost model are read the
    same way.
    """

    def __init__(self, m, derivs, extra_names, A):
        plans = []
        for n in (1, 2, 3):
            opts = m.options({})
            opts.pop("second_order", None)
            opts.pop("max_escapes", None)
            obj, x0 = _stand_in(n, derivs, A, m)
            plans.append(m.prepare(opts, obj, x0))
        p = plans[0]
        if any(q.solve is not p.solve for q in plans):
            raise TypingError(f"newtonlab.jit: {m.name!r} picks its solve by n")
        self.solve, self.otype = p.solve, numba.typeof(p.options)
        leaves = [list(_leaves(q.options)) for q in plans]
        names = [name for _, name, _ in leaves[0]]
        user = {"gtol": "gtol", "maxiter": "it",
                **{k: f"extras[{i}]" for i, k in enumerate(extra_names)}}
        for key in user:
            if names.count(key) != 1:
                raise TypingError(f"newtonlab.jit: {m.name!r} has no single option field {key!r}")
        self.paths, self.exprs, self.consts = [], [], {}
        for j, (path, name, v) in enumerate(leaves[0]):
            self.paths.append(path)
            if name in user:
                self.exprs.append(user[name])
            elif v is None:
                self.exprs.append("None")
            elif isinstance(v, np.ndarray):
                if not all(np.array_equal(lv[j][2], v, equal_nan=True) for lv in leaves):
                    raise TypingError(f"newtonlab.jit: option field {name!r} of {m.name!r} "
                                      f"depends on n")
                self.consts[f"C{j}"] = v
                self.exprs.append(f"C{j}.copy()")
            elif not isinstance(v, (bool, int, float, np.number)):
                if not all(lv[j][2] is v for lv in leaves):
                    raise TypingError(f"newtonlab.jit: option field {name!r} of {m.name!r} "
                                      f"depends on n")
                self.consts[f"C{j}"] = v
                self.exprs.append(f"C{j}")
            else:
                a, b = _affine(f"option field {name!r} of {m.name!r}", [lv[j][2] for lv in leaves])
                self.consts[f"C{j}"], self.consts[f"B{j}"] = a, b
                self.exprs.append(f"C{j}" if b == 0 else f"C{j} + B{j} * n")
        imax = names.index("maxiter")
        self.maxiter = _affine("maxiter", [lv[imax][2] for lv in leaves])
        if any(q.maxiter != lv[imax][2] for q, lv in zip(plans, leaves)):
            raise TypingError(f"newtonlab.jit: {m.name!r}: plan.maxiter is not its maxiter field")
        self.rows = _affine("the workspace's rows", [q.H.shape[0] for q in plans])
        self.cols = _affine("the workspace's columns", [q.H.shape[1] for q in plans])
        if any(q.H.any() for q in plans):
            raise TypingError(f"newtonlab.jit: {m.name!r} starts from a non-zero workspace")
        self.ncol = T.NCOL + len(p.columns)
        c = p.cost
        self.cost = (c.fev_per_fg, c.fev_per_hess, c.jev_per_fg, c.jev_per_hess, c.hev_per_hess)


@functools.lru_cache(maxsize=None)
def _packer(otype, paths):
    """An intrinsic ``pack(values) -> options``: the record of type ``otype`` (a tuple of
    NamedTuples) whose field at ``paths[i]`` is ``values[i]``, converted to the field's type.
    (numba has no ``NamedTuple._replace`` in compiled code: this is LLVM's insertvalue.)"""
    @intrinsic
    def pack(typingctx, values):
        def codegen(context, builder, sig, args):
            out = ir.Constant(context.get_value_type(otype), ir.Undefined)
            for i, path in enumerate(paths):
                leaf = otype
                for k in path:
                    leaf = leaf.types[k]
                v = builder.extract_value(args[0], i)
                v = context.cast(builder, v, sig.args[0].types[i], leaf)
                out = builder.insert_value(out, v, list(path))
            context.nrt.incref(builder, otype, out)    # arrays now also owned by the record
            return out
        return otype(values), codegen
    return pack
