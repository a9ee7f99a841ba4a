"""scipy's ``jac="cs"``: the gradient by complex steps, as a Python ``jac``."""
import numpy as np


def complex_step_jac(fun):
    """scipy's ``jac="cs"``: g_i = Im f(x + i h e_i) / h, h = sqrt(eps) max(1, |x_i|).

    No difference is taken, so there is no cancellation: for an analytic f the
    gradient is exact to rounding.  ``fun`` must accept complex x (NumPy
    arithmetic does; ``abs``, comparisons and ``max`` of x do not); a Python ``jac`` (the
    engine's compiled slots are real).  Costs n evaluations.
    """
    eps = np.finfo(float).eps

    def jac(x, *args):
        n = x.size
        g = np.empty(n)
        xc = x.astype(complex)
        for i in range(n):
            h = eps ** 0.5 * max(1.0, abs(x[i]))
            xc[i] = x[i] + 1j * h
            try:
                fc = fun(xc, *args)
            except Exception as exc:           # noqa: BLE001  (the user's code, any error)
                raise ValueError(f"jac='cs' needs fun to accept complex x; it raised "
                                 f"{type(exc).__name__}: {exc}") from None
            if not np.iscomplexobj(fc):
                raise ValueError("jac='cs' needs fun to keep complex x complex; it returned "
                                 f"{type(fc).__name__} (abs, comparisons or a float() cast "
                                 "drop the imaginary part)")
            g[i] = np.imag(fc) / h
            xc[i] = x[i]
        return g
    return jac
