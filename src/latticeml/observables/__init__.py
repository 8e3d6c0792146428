"""Observables of gauge and scalar configurations and their statistical analysis."""

from latticeml.observables.autocorr import GammaResult, gamma_analysis, gamma_analysis_replicas
from latticeml.observables.polyakov import (
    polyakov_correlator,
    polyakov_loop_matrices,
    polyakov_loops,
)
from latticeml.observables.scalar import (
    charge_density,
    phi2,
    phi4,
    scalar_observables,
    site_flux,
)
from latticeml.observables.topology import (
    clover_field_strength,
    topological_charge,
    topological_charge_density,
)
from latticeml.observables.wilson import (
    plaquette_field,
    validate_links,
    wilson_loop_matrices,
    wilson_loops,
)

__all__ = [
    "GammaResult",
    "gamma_analysis",
    "gamma_analysis_replicas",
    "plaquette_field",
    "validate_links",
    "wilson_loop_matrices",
    "wilson_loops",
    "polyakov_correlator",
    "polyakov_loop_matrices",
    "polyakov_loops",
    "clover_field_strength",
    "topological_charge",
    "topological_charge_density",
    "charge_density",
    "phi2",
    "phi4",
    "scalar_observables",
    "site_flux",
]
