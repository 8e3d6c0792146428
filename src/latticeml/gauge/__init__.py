"""SU(N) gauge fields: Monte Carlo generation and gauge transformations.

Public API
----------
GaugeParams, GROUPS, ALGORITHMS, STARTS
    Validated, keyword-only parameters of a generation (:mod:`latticeml.gauge.params`).
GaugeChain, auto_threads
    The Markov chain with heat-bath, overrelaxation and Metropolis sweeps
    (:mod:`latticeml.gauge.chain`); its updates are the updaters of
    :mod:`latticeml.gauge.updaters`, its driver :func:`latticeml.montecarlo.run_chain`.
GaugeEnsemble, generate_ensemble
    The driver: thermalise, save every ``n_skip``-th configuration, analyse
    (:mod:`latticeml.gauge.generate`).
CheckpointParams, GenerationStoppedError
    Checkpoints of a running generation: resume where it stopped, with the same bytes
    (:mod:`latticeml.gauge.checkpoint`).
plaquette, unitarity_violation
    Measurements on complex link arrays ``(..., *shape, D, N, N)``
    (:mod:`latticeml.gauge.measure`).
random_su_n, haar_links, haar_gauge_transformation, gauge_transform
    Haar-random SU(N) matrices, configurations and gauge transformations as NumPy arrays
    (:mod:`latticeml.gauge.transform`; the torch versions for model tests are
    ``latticeml.testing.random_links`` and ``random_gauge_transformation``).
"""

from latticeml.gauge.params import ALGORITHMS, GROUPS, STARTS, ChainParams, GaugeParams

# numba is imported when one of these is first used, so that the parameters (and the command
# line built from them) load without it
_LAZY = {
    "GaugeChain": "latticeml.gauge.chain", "auto_threads": "latticeml.gauge.chain",
    "GaugeEnsemble": "latticeml.gauge.generate", "generate_ensemble": "latticeml.gauge.generate",
    "CheckpointParams": "latticeml.gauge.checkpoint",
    "GenerationStoppedError": "latticeml.gauge.checkpoint",
    "plaquette": "latticeml.gauge.measure", "unitarity_violation": "latticeml.gauge.measure",
    "gauge_transform": "latticeml.gauge.transform",
    "haar_gauge_transformation": "latticeml.gauge.transform",
    "haar_links": "latticeml.gauge.transform", "random_su_n": "latticeml.gauge.transform",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'latticeml.gauge' has no attribute {name!r}")


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
    "CheckpointParams",
    "GenerationStoppedError",
    "plaquette",
    "unitarity_violation",
    "random_su_n",
    "haar_links",
    "haar_gauge_transformation",
    "gauge_transform",
]
