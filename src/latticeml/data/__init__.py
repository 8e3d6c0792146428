"""HDF5 file contracts, atomic writers and readers."""

from latticeml.data.atomic import atomic_path, check_output_path
from latticeml.data.ensembles import (
    read_ensemble_attrs,
    read_gauge_ensemble,
    read_scalar_ensemble,
    write_gauge_ensemble,
    write_scalar_ensemble,
)

__all__ = [
    "atomic_path",
    "check_output_path",
    "read_ensemble_attrs",
    "read_gauge_ensemble",
    "read_scalar_ensemble",
    "write_gauge_ensemble",
    "write_scalar_ensemble",
]
