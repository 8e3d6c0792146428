"""HDF5 file contracts (the one place that knows the names), writers, readers, datasets.

The PyTorch datasets (:class:`GaugeDataset`, :class:`ScalarDataset`) and :func:`dataset_info`
are imported on first use, so that jobs which never touch a network (generation, dataset
building, inspection) do not pay for importing torch.
"""

from importlib import import_module
from typing import Any

from latticeml.data.atomic import atomic_path, check_output_path
from latticeml.data.checksum import seal, verify_file
from latticeml.data.describe import describe_dataset
from latticeml.data.ensembles import (
    ensemble_size,
    read_ensemble_attrs,
    read_gauge_ensemble,
    read_scalar_ensemble,
    write_gauge_ensemble,
    write_scalar_ensemble,
)
from latticeml.data.gauge_dataset import GaugeDatasetParams, build_gauge_dataset, polyakov_field
from latticeml.data.gauge_ensemble import describe_gauge_ensemble, save_gauge_ensemble
from latticeml.data.scalar_dataset import ScalarDatasetParams, build_scalar_dataset, kl_channels
from latticeml.data.scalar_ensemble import describe_scalar_ensemble, save_scalar_ensemble
from latticeml.data.validate import DatasetInfo
from latticeml.data.verify import read_dataset_info, verify_dataset

_LAZY = {
    "GaugeDataset": "latticeml.data.readers",
    "ScalarDataset": "latticeml.data.readers",
    "dataset_info": "latticeml.data.readers",
}

__all__ = [
    "DatasetInfo",
    "GaugeDataset",
    "GaugeDatasetParams",
    "ScalarDataset",
    "ScalarDatasetParams",
    "atomic_path",
    "build_gauge_dataset",
    "build_scalar_dataset",
    "check_output_path",
    "dataset_info",
    "describe_dataset",
    "describe_gauge_ensemble",
    "describe_scalar_ensemble",
    "ensemble_size",
    "kl_channels",
    "polyakov_field",
    "read_dataset_info",
    "read_ensemble_attrs",
    "read_gauge_ensemble",
    "read_scalar_ensemble",
    "save_gauge_ensemble",
    "save_scalar_ensemble",
    "seal",
    "verify_dataset",
    "verify_file",
    "write_gauge_ensemble",
    "write_scalar_ensemble",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
