"""Dual complex scalar field at chemical potential: (k, l) worm sampler, flux violation.

Public API
----------
weight_table, WeightTable, DEFAULT_F_MAX, log_w_quadrature
    Site weights ``W(f)`` in log space (:mod:`latticeml.scalar.weights`).
ScalarParams
    Validated, keyword-only parameters (:mod:`latticeml.scalar.params`).
ScalarChain, default_n_worms
    The Markov chain (:mod:`latticeml.scalar.chain`; algorithm in
    :mod:`latticeml.scalar._kernels`).
ScalarEnsemble, generate_scalar_ensemble
    The ensemble driver (:mod:`latticeml.scalar.generate`).

The flux checks (``divergence``, ``slice_flux``, ``n_defects``, ``check_flux``, ``FluxCheck``,
``balanced_labels``) live in :mod:`latticeml.observables.flux`; they can still be imported
from here, as in earlier releases.
"""

from latticeml.scalar.params import ScalarParams
from latticeml.scalar.weights import DEFAULT_F_MAX, WeightTable, log_w_quadrature, weight_table

# numba is imported when one of these is first used, so that the parameters (and the command
# line built from them) load without it
_LAZY = {
    **dict.fromkeys(("AUTO_STEPS_PER_SITE", "LOG_K", "OPEN_WORM_MIN_STEPS", "P_CLOSE",
                     "ScalarChain", "default_n_worms"), "latticeml.scalar.chain"),
    # moved to latticeml.observables.flux (data/ reads them without the Monte Carlo package)
    **dict.fromkeys(("FluxCheck", "balanced_labels", "check_flux", "divergence", "n_defects",
                     "slice_flux"), "latticeml.observables.flux"),
    **dict.fromkeys(("AUTO_MIN_SWEEPS", "ScalarEnsemble", "generate_scalar_ensemble"),
                    "latticeml.scalar.generate"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'latticeml.scalar' has no attribute {name!r}")


__all__ = [
    "DEFAULT_F_MAX",
    "WeightTable",
    "weight_table",
    "log_w_quadrature",
    "AUTO_MIN_SWEEPS",
    "AUTO_STEPS_PER_SITE",
    "LOG_K",
    "OPEN_WORM_MIN_STEPS",
    "P_CLOSE",
    "ScalarChain",
    "ScalarEnsemble",
    "ScalarParams",
    "default_n_worms",
    "generate_scalar_ensemble",
]
