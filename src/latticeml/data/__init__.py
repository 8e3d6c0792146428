"""HDF5 file contracts (the one place that knows the names), writers, readers, datasets."""

from latticeml.data.atomic import atomic_path, check_output_path
from latticeml.data.describe import describe_dataset
from latticeml.data.ensembles import (
    read_ensemble_attrs,
    read_gauge_ensemble,
    read_scalar_ensemble,
    write_gauge_ensemble,
    write_scalar_ensemble,
)
from latticeml.data.gauge_dataset import GaugeDatasetParams, build_gauge_dataset, polyakov_field
from latticeml.data.readers import GaugeDataset, ScalarDataset, dataset_info
from latticeml.data.scalar_dataset import ScalarDatasetParams, build_scalar_dataset, kl_channels
from latticeml.data.validate import DatasetInfo

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
    "kl_channels",
    "polyakov_field",
    "read_ensemble_attrs",
    "read_gauge_ensemble",
    "read_scalar_ensemble",
    "write_gauge_ensemble",
    "write_scalar_ensemble",
]
