"""Learning problems: losses over generated data, with exact curvature products.

Why a family of its own: second-order methods for learning (Hessian-free,
Gauss-Newton, saddle-free Newton) are judged on neural-network losses, where
the Hessian is available only through products and is indefinite, and the
generalized Gauss-Newton matrix is the positive semidefinite stand-in.  Each
problem here provides, compiled with numba:

* ``fun``, ``jac``, ``fg``: the MEAN loss over the samples (plus an L2 term),
  gradients by backpropagation;
* ``hessp``: the exact Hessian-vector product by Pearlmutter's (1994)
  R-operator (a forward and a backward pass of directional derivatives);
* ``ggnp``: the generalized Gauss-Newton product J^T H_L J v (Schraudolph
  2002; Martens 2010) for the network composed with its convex output loss;
* ``hess``: dense, assembled from exact products, where n is small (None for
  the autoencoder);
* a mini-batch form ``batch_fg(x, idx, X, y)``: :func:`finite_sum` wraps it
  in a :class:`newtonlab.stochastic.FiniteSum` for the first-order methods;
* mini-batch curvature products ``batch_ggnp(x, v, idx, X, y)`` and
  ``batch_hessp(x, v, idx, X, y)`` (network problems): :func:`curvature_batch`
  gives the options of a Hessian-free run whose CG products use a mini-batch
  (Martens 2010 §4.3).

Data and x0 are deterministic functions of ``seed``.  ``args = (X, y)`` keeps
the one allowed type (``float64[:, ::1]``, ``float64[::1]``): row i of X is
sample i (inputs, then targets), y the model specification (architecture and
penalty); so one compiled network engine (:mod:`._nn`) serves ``logistic``,
``mlp``, ``autoencoder`` and ``deep-linear``, and one compiled solver serves
every instance.  The problems carry the label "ml"; fmin is None where the
minimum is unknown.

Examples
--------
>>> import numpy as np, newtonlab as nl
>>> from newtonlab import problems
>>> from newtonlab.problems import ml
>>> p = problems.get("logistic")
>>> p.n, p.labels
(11, ('ml', 'convex'))
>>> v = np.ones(p.n)
>>> bool(np.allclose(p.hessp(p.x0, v, *p.args), p.ggnp(p.x0, v, *p.args)))  # linear model
True
>>> res = nl.minimize(ml.finite_sum(p), p.x0, args=p.args, method="adam",
...                   options={"batch_size": 32, "seed": 0, "maxiter": 200})
>>> bool(res.fun < p.fun(p.x0, *p.args))
True

References
----------
Pearlmutter, B. A. (1994). Fast exact multiplication by the Hessian. Neural
Computation 6(1), 147-160.  Schraudolph, N. N. (2002). Fast curvature
matrix-vector products for second-order gradient descent. Neural
Computation 14(7), 1723-1738.  Martens, J. (2010). Deep learning via
Hessian-free optimization. ICML.  Hinton, G. E. & Salakhutdinov, R. R.
(2006). Reducing the dimensionality of data with neural networks. Science
313, 504-507.  Glorot, X. & Bengio, Y. (2010). Understanding the difficulty
of training deep feedforward neural networks. AISTATS.
"""
from __future__ import annotations

from ...stochastic import FiniteSum
from ._data import pack_spec, unpack_spec
from ._nn import net_batch_fg, net_batch_ggnp, net_batch_hessp
from .autoencoder import autoencoder
from .deep_linear import deep_linear
from .logistic import logistic
from .matrix_factorization import matrix_factorization, mf_batch_fg
from .mlp import mlp

__all__ = ["logistic", "mlp", "autoencoder", "matrix_factorization", "deep_linear",
           "finite_sum", "batch_fg", "batch_ggnp", "batch_hessp", "curvature_batch",
           "pack_spec", "unpack_spec", "PROBLEMS"]

#: Problem name -> factory (the names of :data:`newtonlab.problems.PROBLEMS`).
PROBLEMS = {
    "logistic": logistic,
    "mlp": mlp,
    "autoencoder": autoencoder,
    "matrix-factorization": matrix_factorization,
    "deep-linear": deep_linear,
}

_BATCH = {"logistic": net_batch_fg, "mlp": net_batch_fg, "autoencoder": net_batch_fg,
          "deep-linear": net_batch_fg, "matrix-factorization": mf_batch_fg}


def batch_fg(problem):
    """The compiled mini-batch function ``batch_fg(x, idx, X, y) -> (f, g)`` of a problem.

    ``f`` and ``g`` are the mean loss and gradient over the samples ``idx``
    (int64 indices of rows of X) plus the full L2 term, so that the mean over
    all samples is ``problem.fg``.
    """
    try:
        return _BATCH[problem.name]
    except KeyError:
        raise ValueError(f"{problem.name!r} is not a learning problem; "
                         f"those are {', '.join(_BATCH)}") from None


def finite_sum(problem):
    """The problem as a :class:`~newtonlab.stochastic.FiniteSum` over its samples.

    Pass it as ``fun`` with ``args=problem.args`` to a first-order method with
    ``options={"batch_size": B, "seed": s}``.

    Examples
    --------
    >>> from newtonlab import problems
    >>> from newtonlab.problems import ml
    >>> ml.finite_sum(problems.get("mlp"))
    FiniteSum(net_batch_fg, n_samples=300)
    """
    return FiniteSum(batch_fg(problem), problem.args[0].shape[0])


_NETS = ("logistic", "mlp", "autoencoder", "deep-linear")


def _net(problem, what):
    if problem.name not in _NETS:
        raise ValueError(f"{what} exists for the network problems ({', '.join(_NETS)}), "
                         f"not for {problem.name!r}")


def batch_ggnp(problem):
    """The compiled mini-batch Gauss-Newton product ``batch_ggnp(x, v, idx, X, y)``.

    The mean over the samples ``idx`` (int64 indices of rows of X) of the per-sample
    Gauss-Newton products, plus the full L2 term: over all samples it is ``problem.ggnp``.
    """
    _net(problem, "batch_ggnp")
    return net_batch_ggnp


def batch_hessp(problem):
    """The compiled mini-batch Hessian product ``batch_hessp(x, v, idx, X, y)``.

    The mean over the samples ``idx`` of the per-sample Hessian products, plus the full
    L2 term: over all samples it is ``problem.hessp``.
    """
    _net(problem, "batch_hessp")
    return net_batch_hessp


def curvature_batch(problem, batch_size, seed=0, gauss_newton=True):
    """Options of a ``hessian-free`` run whose CG products use ``batch_size`` samples.

    Martens (2010) §4.3: the gradient on all samples, the curvature-vector products of
    each iteration's CG solve on a mini-batch drawn (without replacement) at its start.
    Merge the result into ``options`` and pass ``hessp=problem.ggnp`` (or ``hessp``).

    Examples
    --------
    >>> import newtonlab as nl
    >>> from newtonlab import problems
    >>> from newtonlab.problems import ml
    >>> p = problems.get("logistic")
    >>> res = nl.minimize(p.fun, p.x0, args=p.args, jac=p.jac, hessp=p.ggnp,
    ...                   method="hessian-free",
    ...                   options={**ml.curvature_batch(p, 50, seed=0), "maxiter": 20})
    >>> bool(res.fun < p.fun(p.x0, *p.args))
    True
    """
    product = batch_ggnp(problem) if gauss_newton else batch_hessp(problem)
    return {"curvature_batch": product, "curvature_batch_size": batch_size,
            "n_samples": problem.args[0].shape[0], "seed": seed}
