"""Writers and readers of stage-1 ensemble files (gauge and scalar).

Writers create the file atomically (temporary file in the same directory, renamed on
success). Readers check the contract of ARCHITECTURE.md §4 and raise
:class:`~latticeml.errors.FileFormatError` naming the file and the problem.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

import latticeml
from latticeml.data._h5 import attrs_dict, open_h5
from latticeml.data.atomic import atomic_path
from latticeml.data.layout import (
    ENSEMBLE_FORMAT_VERSION,
    GAUGE_ATTRS,
    GAUGE_DATASETS,
    GAUGE_KIND,
    SCALAR_ATTRS,
    SCALAR_DATASETS,
    SCALAR_KIND,
)
from latticeml.errors import FileFormatError

__all__ = [
    "write_gauge_ensemble",
    "read_gauge_ensemble",
    "write_scalar_ensemble",
    "read_scalar_ensemble",
    "read_ensemble_attrs",
]

PathLike = str | os.PathLike


def _attr_value(value: Any) -> Any:
    """Convert a Python value into something h5py stores as a plain attribute."""
    if isinstance(value, tuple | list):
        return np.asarray(value)
    if value is None:
        return "none"
    return value


def _write(
    path: PathLike,
    kind: str,
    arrays: Mapping[str, np.ndarray],
    attrs: Mapping[str, Any],
    *,
    force: bool,
    chunk_axis0: bool = True,
) -> Path:
    with atomic_path(path, force=force) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["kind"] = kind
            f.attrs["format_version"] = ENSEMBLE_FORMAT_VERSION
            f.attrs["package_version"] = latticeml.__version__
            for key, value in attrs.items():
                f.attrs[key] = _attr_value(value)
            for name, arr in arrays.items():
                arr = np.ascontiguousarray(arr)
                chunks = None
                if chunk_axis0 and arr.ndim > 1 and arr.shape[0] > 0:
                    chunks = (1, *arr.shape[1:])  # one configuration per chunk
                f.create_dataset(name, data=arr, chunks=chunks)
        return Path(path)


def write_gauge_ensemble(
    path: PathLike,
    *,
    arrays: Mapping[str, np.ndarray],
    attrs: Mapping[str, Any],
    force: bool = False,
) -> Path:
    """Write a gauge ensemble file atomically.

    Parameters
    ----------
    path : path-like
        Output file.
    arrays : mapping
        At least ``links`` (n, *shape, D, N, N) complex128 and ``plaquette`` (n,) float64;
        further arrays are stored as they are.
    attrs : mapping
        Attributes; ``kind``, ``format_version`` and ``package_version`` are added.
    force : bool
        Replace an existing file.

    Returns
    -------
    Path
        The written file.
    """
    return _write(path, GAUGE_KIND, arrays, attrs, force=force)


def write_scalar_ensemble(
    path: PathLike,
    *,
    arrays: Mapping[str, np.ndarray],
    attrs: Mapping[str, Any],
    force: bool = False,
) -> Path:
    """Write a scalar (dual k, l) ensemble file atomically.

    Parameters
    ----------
    path : path-like
        Output file.
    arrays : mapping
        At least ``k``, ``l`` (n, N_t, N_x, 2) integer and ``n``, ``phi2`` (n,) float64.
    attrs : mapping
        Attributes; ``kind``, ``format_version`` and ``package_version`` are added.
    force : bool
        Replace an existing file.

    Returns
    -------
    Path
        The written file.
    """
    return _write(path, SCALAR_KIND, arrays, attrs, force=force)


def _check(f: h5py.File, path: PathLike, kind: str, datasets, attrs) -> None:
    got_kind = f.attrs.get("kind")
    if isinstance(got_kind, bytes):
        got_kind = got_kind.decode()
    if got_kind != kind:
        raise FileFormatError(path, f"expected kind={kind!r}, found {got_kind!r}")
    version = f.attrs.get("format_version")
    if version != ENSEMBLE_FORMAT_VERSION:
        raise FileFormatError(
            path,
            f"unknown format_version {version!r} (this latticeml reads "
            f"{ENSEMBLE_FORMAT_VERSION}); regenerate the file with this version",
        )
    missing = [a for a in attrs if a not in f.attrs]
    if missing:
        raise FileFormatError(path, f"missing attribute(s) {', '.join(missing)}")
    missing = [d for d in datasets if d not in f]
    if missing:
        raise FileFormatError(path, f"missing dataset(s) {', '.join(missing)}")


def _read(path: PathLike, kind: str, datasets, attrs) -> tuple[dict[str, np.ndarray], dict]:
    with open_h5(path) as f:
        _check(f, path, kind, datasets, attrs)
        try:
            arrays = {name: f[name][()] for name in f if isinstance(f[name], h5py.Dataset)}
        except OSError as exc:
            raise FileFormatError(path, f"cannot read data ({exc}); the file is damaged") from None
        return arrays, attrs_dict(f)


def read_gauge_ensemble(path: PathLike) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a gauge ensemble file after checking its contract.

    Returns
    -------
    arrays : dict of ndarray
        All datasets (``links``, ``plaquette``, ...).
    attrs : dict
        All attributes; array attributes become tuples.

    Raises
    ------
    FileFormatError
        If the file is missing, unreadable or violates the contract.
    """
    arrays, attrs = _read(path, GAUGE_KIND, GAUGE_DATASETS, GAUGE_ATTRS)
    links = arrays["links"]
    shape = tuple(attrs["shape"])
    D, N = len(shape), int(attrs["n_colors"])
    expected = (*shape, D, N, N)
    if links.ndim != len(expected) + 1 or links.shape[1:] != expected:
        raise FileFormatError(
            path, f"links have shape {links.shape}, expected (n, {', '.join(map(str, expected))})"
        )
    if links.shape[0] != arrays["plaquette"].shape[0]:
        raise FileFormatError(path, "links and plaquette have different numbers of configurations")
    return arrays, attrs


def read_scalar_ensemble(path: PathLike) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a scalar ensemble file after checking its contract.

    Returns
    -------
    arrays : dict of ndarray
        All datasets (``k``, ``l``, ``n``, ``phi2``, ...).
    attrs : dict
        All attributes; array attributes become tuples.

    Raises
    ------
    FileFormatError
        If the file is missing, unreadable or violates the contract.
    """
    arrays, attrs = _read(path, SCALAR_KIND, SCALAR_DATASETS, SCALAR_ATTRS)
    shape = tuple(attrs["shape"])
    for name in ("k", "l"):
        if arrays[name].shape[1:] != (*shape, 2):
            raise FileFormatError(
                path,
                f"{name} has shape {arrays[name].shape}, expected (n, {shape[0]}, {shape[1]}, 2)",
            )
    return arrays, attrs


def read_ensemble_attrs(path: PathLike) -> dict[str, Any]:
    """Return the attributes of any latticeml ensemble file without reading the data."""
    with open_h5(path) as f:
        return attrs_dict(f)
