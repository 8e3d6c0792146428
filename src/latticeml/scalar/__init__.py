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
divergence, slice_flux, n_defects, check_flux, FluxCheck, balanced_labels
    Flux conservation checks and flux-violation labels (:mod:`latticeml.scalar.flux`).
"""

from latticeml.scalar.chain import (
    AUTO_STEPS_PER_SITE,
    LOG_K,
    OPEN_WORM_MIN_STEPS,
    P_CLOSE,
    ScalarChain,
    default_n_worms,
)
from latticeml.scalar.flux import (
    FluxCheck,
    balanced_labels,
    check_flux,
    divergence,
    n_defects,
    slice_flux,
)
from latticeml.scalar.generate import AUTO_MIN_SWEEPS, ScalarEnsemble, generate_scalar_ensemble
from latticeml.scalar.params import ScalarParams
from latticeml.scalar.weights import DEFAULT_F_MAX, WeightTable, log_w_quadrature, weight_table

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
    "FluxCheck",
    "balanced_labels",
    "check_flux",
    "divergence",
    "n_defects",
    "slice_flux",
]
