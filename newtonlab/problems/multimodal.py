"""Two-dimensional multimodal polynomials with every critical point known.

Why these two: Himmelblau's function (4 minima, 4 saddles, 1 maximum) and the
six-hump camel (6 minima, 7 saddles, 2 maxima) are small enough to plot and
rich enough to test what a Newton-type method does near a saddle or a
maximum, where the Newton step is an ascent step.  Their critical-point sets
are *complete*: grad f = 0 is a polynomial system whose Bezout number (3 * 3
= 9, 5 * 3 = 15) equals the number of distinct real solutions found, so
there are no others, real or complex.  The solutions were computed from a
lex Groebner basis, refined to 50 digits with mpmath and rounded to double.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba.extending import register_jitable

from .._engine.config import jit
from ._base import Problem, critical_points_from_table, sym2, sym2_times

# ---------------------------------------------------------------- Himmelblau
#   f = a^2 + b^2,  a = x^2 + y - 11,  b = x + y^2 - 7


@jit
def himmelblau_fun(x):
    a = x[0] * x[0] + x[1] - 11.0
    b = x[0] + x[1] * x[1] - 7.0
    return a * a + b * b


@register_jitable
def _himmelblau_fg(x):
    a = x[0] * x[0] + x[1] - 11.0
    b = x[0] + x[1] * x[1] - 7.0
    g = np.empty(2)
    g[0] = 4.0 * x[0] * a + 2.0 * b
    g[1] = 2.0 * a + 4.0 * x[1] * b
    return a * a + b * b, g


@jit
def himmelblau_fg(x):
    return _himmelblau_fg(x)


@jit
def himmelblau_jac(x):
    return _himmelblau_fg(x)[1]


@register_jitable
def _himmelblau_h(x):
    a = x[0] * x[0] + x[1] - 11.0
    b = x[0] + x[1] * x[1] - 7.0
    h11 = 4.0 * a + 8.0 * x[0] * x[0] + 2.0
    h12 = 4.0 * (x[0] + x[1])
    h22 = 4.0 * b + 8.0 * x[1] * x[1] + 2.0
    return h11, h12, h22


@jit
def himmelblau_hess(x):
    return sym2(*_himmelblau_h(x))


@jit
def himmelblau_hessp(x, p):
    h11, h12, h22 = _himmelblau_h(x)
    return sym2_times(h11, h12, h22, p)


_HIMMELBLAU_CP = (
    ((3.0, 2.0), "minimum", 0),                                       # f = 0
    ((-2.805118086952745, 3.131312518250573), "minimum", 0),          # f = 0
    ((-3.779310253377747, -3.2831859912861696), "minimum", 0),        # f = 0
    ((3.5844283403304917, -1.8481265269644036), "minimum", 0),        # f = 0
    ((3.385154183607021, 0.07385187983774928), "saddle", 1),          # f = 13.31192627040559
    ((0.08667750455539636, 2.884254701174776), "saddle", 1),          # f = 67.71915008752614
    ((-3.0730257507643897, -0.08135304428796751), "saddle", 1),       # f = 104.01516291755811
    ((-0.12796134673068008, -1.9537149802445763), "saddle", 1),       # f = 178.33723920192746
    ((-0.2708445906673476, -0.9230385564799815), "maximum", 2),       # f = 181.6165215225827
)


@lru_cache(maxsize=None)
def himmelblau() -> Problem:
    """Himmelblau's function.

    .. math:: f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2

    x0 = (0, 0) (a common choice; not a critical point).  Four global
    minimizers with f* = 0: (3, 2), (-2.805118..., 3.131312...),
    (-3.779310..., -3.283185...), (3.584428..., -1.848126...).  One local
    maximum (-0.270844..., -0.923038...) with f = 181.6165 and four saddles:
    nine critical points in all, every one inside the box [-5, 5]^2.

    References
    ----------
    Himmelblau, D. M. (1972). Applied Nonlinear Programming. McGraw-Hill.
    """
    cps = critical_points_from_table(himmelblau_fun, _HIMMELBLAU_CP)
    return Problem(
        name="himmelblau", n=2, fun=himmelblau_fun, jac=himmelblau_jac,
        hess=himmelblau_hess, hessp=himmelblau_hessp, fg=himmelblau_fg,
        x0=np.array([0.0, 0.0]), fmin=0.0,
        minimizers=tuple(np.array(r[0]) for r in _HIMMELBLAU_CP[:4]),
        critical_points=cps, bounds=np.array([[-5.0, 5.0]] * 2), convex=False,
        labels=("non-convex", "multimodal", "saddle"),
        reference="Himmelblau, D. M. (1972). Applied Nonlinear Programming. McGraw-Hill.",
        critical_points_complete=True)


# ---------------------------------------------------------------- six-hump camel
#   f = (4 - 2.1 x^2 + x^4 / 3) x^2 + x y + (-4 + 4 y^2) y^2


@jit
def camel_fun(x):
    u = x[0] * x[0]
    v = x[1] * x[1]
    return (4.0 - 2.1 * u + u * u / 3.0) * u + x[0] * x[1] + (-4.0 + 4.0 * v) * v


@register_jitable
def _camel_fg(x):
    u = x[0] * x[0]
    v = x[1] * x[1]
    g = np.empty(2)
    g[0] = 8.0 * x[0] - 8.4 * u * x[0] + 2.0 * u * u * x[0] + x[1]
    g[1] = x[0] - 8.0 * x[1] + 16.0 * v * x[1]
    return (4.0 - 2.1 * u + u * u / 3.0) * u + x[0] * x[1] + (-4.0 + 4.0 * v) * v, g


@jit
def camel_fg(x):
    return _camel_fg(x)


@jit
def camel_jac(x):
    return _camel_fg(x)[1]


@jit
def camel_hess(x):
    u = x[0] * x[0]
    return sym2(8.0 - 25.2 * u + 10.0 * u * u, 1.0, -8.0 + 48.0 * x[1] * x[1])


@jit
def camel_hessp(x, p):
    u = x[0] * x[0]
    hp = np.empty(2)
    hp[0] = (8.0 - 25.2 * u + 10.0 * u * u) * p[0] + p[1]
    hp[1] = p[0] + (-8.0 + 48.0 * x[1] * x[1]) * p[1]
    return hp


CAMEL_FMIN = -1.0316284534898774

_CAMEL_CP = (
    ((0.08984201310031806, -0.7126564030207396), "minimum", 0),       # f = -1.0316284534898774
    ((-0.08984201310031806, 0.7126564030207396), "minimum", 0),       # f = -1.0316284534898774
    ((-1.703606714969981, 0.7960835686726251), "minimum", 0),         # f = -0.21546382438371764
    ((1.703606714969981, -0.7960835686726251), "minimum", 0),         # f = -0.21546382438371764
    ((-1.6071047529201972, -0.5686514548841314), "minimum", 0),       # f = 2.1042503103112583
    ((1.6071047529201972, 0.5686514548841314), "minimum", 0),         # f = 2.1042503103112583
    ((0.0, 0.0), "saddle", 1),                                        # f = 0
    ((-1.1092053368047865, 0.7682680925095399), "saddle", 1),         # f = 0.54371860097818514
    ((1.1092053368047865, -0.7682680925095399), "saddle", 1),         # f = 0.54371860097818514
    ((-1.6380679841897785, -0.22867406904439408), "saddle", 1),       # f = 2.2293571975307147
    ((1.6380679841897785, 0.22867406904439408), "saddle", 1),         # f = 2.2293571975307147
    ((-1.2960702671671092, -0.6050843880386585), "saddle", 1),        # f = 2.2294708180298599
    ((1.2960702671671092, 0.6050843880386585), "saddle", 1),          # f = 2.2294708180298599
    ((-1.2302298765166526, -0.16233458445899496), "maximum", 2),      # f = 2.4962953510235769
    ((1.2302298765166526, 0.16233458445899496), "maximum", 2),        # f = 2.4962953510235769
)


@lru_cache(maxsize=None)
def six_hump_camel() -> Problem:
    """Six-hump camel-back function.

    .. math:: f(x, y) = \\bigl(4 - 2.1 x^2 + x^4/3\\bigr) x^2 + x y + (-4 + 4 y^2) y^2

    The symmetry f(-x, -y) = f(x, y) pairs the critical points.  Two global
    minimizers +-(0.0898420131003181, -0.7126564030207396) with
    f* = -1.0316284534898774; fifteen critical points in all: six minima
    (f = -1.03163, -0.21546, 2.10425, each twice), seven saddles (one at the
    origin) and two maxima (f = 2.49630), all inside the box
    [-3, 3] x [-2, 2].  x0 = (1, 1) is a library choice (the literature
    fixes none; the origin is a saddle).

    References
    ----------
    Dixon, L. C. W. & Szegő, G. P. (1978). The global optimization problem:
    an introduction. In Towards Global Optimisation 2, North-Holland, 1-15.
    """
    cps = critical_points_from_table(camel_fun, _CAMEL_CP)
    return Problem(
        name="six_hump_camel", n=2, fun=camel_fun, jac=camel_jac, hess=camel_hess,
        hessp=camel_hessp, fg=camel_fg, x0=np.array([1.0, 1.0]), fmin=CAMEL_FMIN,
        minimizers=tuple(np.array(r[0]) for r in _CAMEL_CP[:2]),
        critical_points=cps, bounds=np.array([[-3.0, 3.0], [-2.0, 2.0]]), convex=False,
        labels=("non-convex", "multimodal", "saddle"),
        reference=("Dixon, L. C. W. & Szegő, G. P. (1978). The global optimization problem: "
                   "an introduction. In Towards Global Optimisation 2, North-Holland, 1-15."),
        critical_points_complete=True)
