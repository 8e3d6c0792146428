"""Light facts every layer reads instead of copying.

Targets, model kinds, figure stems, the thread policy. Pure Python: importable by the
Snakemake workflow without numpy, torch or numba.
"""

from latticeml.catalog.models import MODEL_KINDS, ModelKind, family_of, kind_of, kinds, model_kind
from latticeml.catalog.targets import (
    FAMILIES,
    GAUGE_FAMILIES,
    SCALAR_TARGETS,
    Target,
    TargetFamily,
    gauge_dataset_targets,
    gauge_option_flags,
    lookup,
    target_label,
    target_sort_key,
    task_of,
    trainable,
)

__all__ = [
    "MODEL_KINDS",
    "ModelKind",
    "family_of",
    "kind_of",
    "kinds",
    "model_kind",
    "FAMILIES",
    "GAUGE_FAMILIES",
    "SCALAR_TARGETS",
    "Target",
    "TargetFamily",
    "gauge_dataset_targets",
    "gauge_option_flags",
    "lookup",
    "target_label",
    "target_sort_key",
    "task_of",
    "trainable",
]
