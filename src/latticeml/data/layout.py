"""Names of the HDF5 file contracts: the one place that knows them.

See ARCHITECTURE.md §4. Readers check ``kind`` and ``format_version`` before anything else.
"""

from __future__ import annotations

__all__ = [
    "GAUGE_KIND",
    "SCALAR_KIND",
    "ENSEMBLE_FORMAT_VERSION",
    "GAUGE_DATASETS",
    "GAUGE_ATTRS",
    "SCALAR_DATASETS",
    "SCALAR_ATTRS",
]

GAUGE_KIND = "gauge-ensemble"
SCALAR_KIND = "scalar-ensemble"
#: Version of the ensemble file layout; bump on incompatible changes.
ENSEMBLE_FORMAT_VERSION = 1

#: Required datasets of a gauge ensemble file.
GAUGE_DATASETS = ("links", "plaquette")
#: Required attributes of a gauge ensemble file.
GAUGE_ATTRS = (
    "kind",
    "format_version",
    "group",
    "n_colors",
    "shape",
    "beta",
    "seed",
    "algorithm",
    "n_therm",
    "n_skip",
    "package_version",
)

#: Required datasets of a scalar ensemble file.
SCALAR_DATASETS = ("k", "l", "n", "phi2")
#: Required attributes of a scalar ensemble file.
SCALAR_ATTRS = (
    "kind",
    "format_version",
    "shape",
    "mu",
    "eta",
    "lam",
    "seed",
    "n_therm",
    "n_skip",
    "n_worms",
    "package_version",
)
