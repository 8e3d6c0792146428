"""Names of the HDF5 file contracts: the one place that knows them.

See ARCHITECTURE.md §4. Readers check ``kind`` and ``format_version`` before anything else.
"""

from __future__ import annotations

__all__ = [
    "GAUGE_KIND",
    "SCALAR_KIND",
    "ENSEMBLE_FORMAT_VERSION",
    "ENSEMBLE_READABLE_VERSIONS",
    "GAUGE_DATASETS",
    "GAUGE_ATTRS",
    "SCALAR_DATASETS",
    "SCALAR_ATTRS",
]

GAUGE_KIND = "gauge-ensemble"
SCALAR_KIND = "scalar-ensemble"
#: Version of the ensemble file layout written now; bump on incompatible changes.
#: 2: Fletcher-32 on every array, SHA-256 content digests (``latticeml.data.checksum``), no
#: wall time in the attributes.
ENSEMBLE_FORMAT_VERSION = 2
#: Versions this latticeml reads; files of version 1 carry no digests (verified by their
#: values only).
ENSEMBLE_READABLE_VERSIONS = (1, 2)

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

# ---- stage-2 dataset files ----------------------------------------------------------------

GAUGE_DATASET_KIND = "gauge-dataset"
SCALAR_DATASET_KIND = "scalar-dataset"
#: Version of the dataset file layout written now; bump on incompatible changes.
#: 2: SHA-256 content digests (``latticeml.data.checksum``).
DATASET_FORMAT_VERSION = 2
#: Versions this latticeml reads; files of version 1 carry no digests.
DATASET_READABLE_VERSIONS = (1, 2)
#: First format version (of ensembles and datasets) that carries content digests.
FIRST_SEALED_VERSION = 2

INPUTS = "inputs"
TARGETS = "targets"
PARAMS = "params"
PROVENANCE = "provenance"

#: Gauge dataset inputs: links (n, *shape, D, N, N) complex128; optional channels.
LINKS = f"{INPUTS}/links"
PLAQUETTE_INPUT = f"{INPUTS}/plaquette"
POLYAKOV_INPUT = f"{INPUTS}/polyakov"
#: Scalar dataset inputs (n, 4, N_t, N_x) integer, channels (k_t, k_x, l_t, l_x).
KL = f"{INPUTS}/kl"
SCALAR_CHANNELS = ("k_t", "k_x", "l_t", "l_x")

#: Gauge targets.
TOPOLOGICAL = "topological_charge_density"
POLYAKOV_TARGET = "polyakov_loop"
#: Scalar targets.
SCALAR_TARGETS = ("n", "phi2", "flux_violated", "open_worms")

BETA = f"{PARAMS}/beta"
MU = f"{PARAMS}/mu"
SOURCE_INDEX = f"{PARAMS}/source_index"
CONFIG_INDEX = f"{PARAMS}/config_index"
SOURCES = f"{PROVENANCE}/sources"

__all__ += [
    "GAUGE_DATASET_KIND",
    "SCALAR_DATASET_KIND",
    "DATASET_FORMAT_VERSION",
    "DATASET_READABLE_VERSIONS",
    "FIRST_SEALED_VERSION",
    "INPUTS",
    "TARGETS",
    "PARAMS",
    "PROVENANCE",
    "LINKS",
    "PLAQUETTE_INPUT",
    "POLYAKOV_INPUT",
    "KL",
    "SCALAR_CHANNELS",
    "TOPOLOGICAL",
    "POLYAKOV_TARGET",
    "SCALAR_TARGETS",
    "BETA",
    "MU",
    "SOURCE_INDEX",
    "CONFIG_INDEX",
    "SOURCES",
    "wilson_target_name",
    "parse_wilson_target",
]


def wilson_target_name(a: int, b: int) -> str:
    """Name of the per-site Wilson-loop target ``W^{(a x b)}``: ``"W_{a}x{b}"``."""
    return f"W_{int(a)}x{int(b)}"


def parse_wilson_target(name: str) -> tuple[int, int] | None:
    """Return ``(a, b)`` for a name ``"W_axb"``, or ``None`` for another target."""
    if not name.startswith("W_"):
        return None
    try:
        a, b = name[2:].split("x")
        return int(a), int(b)
    except ValueError:
        return None
