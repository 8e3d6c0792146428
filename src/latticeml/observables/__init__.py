"""Observables of gauge and scalar configurations and their statistical analysis."""

from latticeml.observables.autocorr import GammaResult, gamma_analysis

__all__ = ["GammaResult", "gamma_analysis"]
