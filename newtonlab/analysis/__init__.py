"""Analysis of critical points and Hessian spectra.

One import statement per module, grouped by family, so that adding a family is adding lines.
"""
# critical-point classification
from .classify import CriticalPoint, classify  # noqa: F401
# Hessian spectra: dense, Lanczos, power iteration, Hutchinson trace, SLQ density
from .spectrum import (  # noqa: F401
    LanczosResult, PowerResult, dense_spectrum, lanczos, power_iteration)
from .spectrum_stochastic import (  # noqa: F401
    SpectralDensity, TraceEstimate, hutchinson_trace, slq_density)
# plots of spectra (matplotlib imported lazily, on first call)
from .plots_spectrum import plot_spectral_density, plot_spectrum  # noqa: F401

__all__ = [
    "classify", "CriticalPoint",
    "dense_spectrum", "lanczos", "LanczosResult", "power_iteration", "PowerResult",
    "hutchinson_trace", "TraceEstimate", "slq_density", "SpectralDensity",
    "plot_spectrum", "plot_spectral_density",
]
# critical points, saddle diagnostics, convergence rates, derivative checks, landscape plots
from .critical import CriticalPointList, FoundPoint, find_critical_points  # noqa: F401
from .saddle import (  # noqa: F401
    PathCurvature, SaddleStall, StallEpisode, add_curvature_columns, curvature_along_path,
    detect_saddle_stall, escape_direction)
from .rates import RateEstimate, TheoreticalRate, errors_from, estimate_rate, theoretical_rate  # noqa: F401,E501
from .derivcheck import DerivCheck, check_grad, check_hess, check_hessp  # noqa: F401
from .plots_landscape import plot_critical_points, plot_eigen_slices  # noqa: F401
__all__ += [
    "find_critical_points", "FoundPoint", "CriticalPointList",
    "escape_direction", "curvature_along_path", "PathCurvature", "add_curvature_columns",
    "detect_saddle_stall", "SaddleStall", "StallEpisode",
    "estimate_rate", "RateEstimate", "errors_from", "theoretical_rate", "TheoreticalRate",
    "check_grad", "check_hess", "check_hessp", "DerivCheck",
    "plot_critical_points", "plot_eigen_slices",
]
