"""latticeml: from lattice Monte Carlo to symmetry-aware neural networks.

Subpackages
-----------
gauge
    SU(2)/SU(3) Wilson-action Monte Carlo (heat bath, overrelaxation, Metropolis).
scalar
    Dual (k, l) worm sampler for the complex phi^4 field at chemical potential.
observables
    Wilson loops, Polyakov loops, topological charge, autocorrelation analysis.
data
    HDF5 file contracts, atomic writers, readers and torch datasets.
nn
    Gauge-equivariant layers (L-CNN), baseline CNNs and scalar-field CNNs.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("latticeml")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
