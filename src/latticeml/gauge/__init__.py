"""SU(N) gauge fields: Monte Carlo generation and gauge transformations.

Public API
----------
GaugeParams, GaugeEnsemble, generate_ensemble
    Validated parameters, the generated ensemble and the driver.
GaugeChain
    Lower-level Markov chain with heat-bath, overrelaxation and Metropolis sweeps.
plaquette, unitarity_violation
    Measurements on complex link arrays ``(..., *shape, D, N, N)``.
random_su_n, random_gauge_transformation, gauge_transform
    Haar-random SU(N) matrices and gauge transformations (:mod:`latticeml.gauge.transform`).
"""

from latticeml.gauge.generate import (
    ALGORITHMS,
    GROUPS,
    GaugeChain,
    GaugeEnsemble,
    GaugeParams,
    generate_ensemble,
    plaquette,
    unitarity_violation,
)
from latticeml.gauge.transform import gauge_transform, random_gauge_transformation, random_su_n

__all__ = [
    "ALGORITHMS",
    "GROUPS",
    "GaugeChain",
    "GaugeEnsemble",
    "GaugeParams",
    "generate_ensemble",
    "plaquette",
    "unitarity_violation",
    "random_su_n",
    "random_gauge_transformation",
    "gauge_transform",
]
