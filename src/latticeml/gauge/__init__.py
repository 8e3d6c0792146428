"""SU(N) gauge fields: Monte Carlo generation and gauge transformations.

Public API
----------
GaugeParams, GROUPS, ALGORITHMS, STARTS
    Validated, keyword-only parameters of a generation (:mod:`latticeml.gauge.params`).
GaugeChain, auto_threads
    The Markov chain with heat-bath, overrelaxation and Metropolis sweeps
    (:mod:`latticeml.gauge.chain`).
GaugeEnsemble, generate_ensemble
    The driver: thermalise, save every ``n_skip``-th configuration, analyse
    (:mod:`latticeml.gauge.generate`).
plaquette, unitarity_violation
    Measurements on complex link arrays ``(..., *shape, D, N, N)``
    (:mod:`latticeml.gauge.measure`).
random_su_n, haar_links, haar_gauge_transformation, gauge_transform
    Haar-random SU(N) matrices, configurations and gauge transformations as NumPy arrays
    (:mod:`latticeml.gauge.transform`; the torch versions for model tests are
    ``latticeml.testing.random_links`` and ``random_gauge_transformation``).
"""

from latticeml.gauge.chain import GaugeChain, auto_threads
from latticeml.gauge.generate import GaugeEnsemble, generate_ensemble
from latticeml.gauge.measure import plaquette, unitarity_violation
from latticeml.gauge.params import ALGORITHMS, GROUPS, STARTS, ChainParams, GaugeParams
from latticeml.gauge.transform import (
    gauge_transform,
    haar_gauge_transformation,
    haar_links,
    random_su_n,
)

__all__ = [
    "ALGORITHMS",
    "GROUPS",
    "STARTS",
    "ChainParams",
    "GaugeParams",
    "GaugeChain",
    "auto_threads",
    "GaugeEnsemble",
    "generate_ensemble",
    "plaquette",
    "unitarity_violation",
    "random_su_n",
    "haar_links",
    "haar_gauge_transformation",
    "gauge_transform",
]
