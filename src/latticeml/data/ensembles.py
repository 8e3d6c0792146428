"""Writers and readers of stage-1 ensemble files (gauge and scalar).

Writers create the file atomically (temporary file in the same directory, renamed on
success), chunk every array with a Fletcher-32 checksum and seal the file with SHA-256 content
digests (:mod:`latticeml.data.checksum`). Readers check the contract of ARCHITECTURE.md §4,
the digests and the values (finite numbers, SU(N) links, conserved flux of closed scalar
configurations) and raise :class:`~latticeml.errors.FileFormatError` naming the file, the
array and the problem.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

import latticeml
from latticeml.data._h5 import attrs_dict, open_h5, sample_chunk
from latticeml.data.atomic import atomic_path
from latticeml.data.checksum import FILE_DIGEST_ATTR, seal, verify_array, verify_metadata
from latticeml.data.layout import (
    ENSEMBLE_FORMAT_VERSION,
    ENSEMBLE_READABLE_VERSIONS,
    FIRST_SEALED_VERSION,
    GAUGE_ATTRS,
    GAUGE_DATASETS,
    GAUGE_KIND,
    SCALAR_ATTRS,
    SCALAR_DATASETS,
    SCALAR_KIND,
)
from latticeml.data.verify import check_gauge_ensemble, check_scalar_ensemble
from latticeml.errors import FileFormatError

__all__ = [
    "write_gauge_ensemble",
    "read_gauge_ensemble",
    "write_scalar_ensemble",
    "read_scalar_ensemble",
    "read_ensemble_attrs",
    "ensemble_kind",
    "ensemble_size",
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
    need = sum(int(np.asarray(a).nbytes) for a in arrays.values())  # uncompressed: an upper bound
    with atomic_path(path, force=force, need=need) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["kind"] = kind
            f.attrs["format_version"] = ENSEMBLE_FORMAT_VERSION
            f.attrs["package_version"] = latticeml.__version__
            for key, value in attrs.items():
                f.attrs[key] = _attr_value(value)
            for name, arr in arrays.items():
                arr = np.ascontiguousarray(arr)
                kwargs: dict[str, Any] = {"track_times": False}
                if arr.ndim >= 1 and arr.size > 0:
                    if chunk_axis0 and arr.ndim > 1:
                        chunks = (1, *arr.shape[1:])  # one configuration per chunk
                    else:
                        chunks = sample_chunk(arr.shape, arr.dtype.itemsize)
                    kwargs.update(chunks=chunks, fletcher32=True)
                f.create_dataset(name, data=arr, **kwargs)
            seal(f)
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


def _check(f: h5py.File, path: PathLike, kind: str, datasets, attrs) -> int:
    got_kind = f.attrs.get("kind")
    if isinstance(got_kind, bytes):
        got_kind = got_kind.decode()
    if got_kind != kind:
        hint = ""
        if isinstance(got_kind, str) and got_kind.endswith("-dataset"):
            hint = " (a dataset file: see `latticeml dataset inspect`)"
        raise FileFormatError(path, f"expected kind={kind!r}, found {got_kind!r}{hint}")
    version = f.attrs.get("format_version")
    if version not in ENSEMBLE_READABLE_VERSIONS:
        raise FileFormatError(
            path,
            f"unknown format_version {version!r} (this latticeml reads "
            f"{', '.join(map(str, ENSEMBLE_READABLE_VERSIONS))}); regenerate the file with "
            "this version",
        )
    if FILE_DIGEST_ATTR in f.attrs or version >= FIRST_SEALED_VERSION:
        verify_metadata(f, path)
    missing = [a for a in attrs if a not in f.attrs]
    if missing:
        raise FileFormatError(path, f"missing attribute(s) {', '.join(missing)}")
    missing = [d for d in datasets if d not in f]
    if missing:
        raise FileFormatError(path, f"missing dataset(s) {', '.join(missing)}")
    return int(version)


def _guard(path: PathLike, what: str, func, *args):
    """Run ``func(*args)``; turn failures of a damaged file into :class:`FileFormatError`."""
    try:
        return func(*args)
    except FileFormatError:
        raise
    except Exception as exc:  # damaged HDF5 structures raise OSError, KeyError, ValueError...
        text = (str(exc).strip() or type(exc).__name__).splitlines()[0][:200]
        raise FileFormatError(path, f"{what}: the file is damaged ({text})") from None


def _read_all(f: h5py.File, path: PathLike, sealed: bool) -> dict[str, np.ndarray]:
    arrays = {}
    for name in f:
        ds = f[name]
        if not isinstance(ds, h5py.Dataset):
            continue
        arrays[name] = _guard(path, f"cannot read {name}", ds.__getitem__, ())
        if sealed:
            verify_array(path, ds, arrays[name])
    return arrays


def _read(path: PathLike, kind: str, datasets, attrs) -> tuple[dict[str, np.ndarray], dict]:
    with open_h5(path) as f:
        version = _guard(path, "cannot read the attributes", _check, f, path, kind, datasets,
                         attrs)
        sealed = FILE_DIGEST_ATTR in f.attrs or version >= FIRST_SEALED_VERSION
        arrays = _read_all(f, path, sealed)
        return arrays, _guard(path, "cannot read the attributes", attrs_dict, f)


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
    check_gauge_ensemble(path, arrays)
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
    check_scalar_ensemble(path, arrays)
    return arrays, attrs


def read_ensemble_attrs(path: PathLike, kind: str | None = None) -> dict[str, Any]:
    """Return the attributes of an ensemble file without reading the arrays.

    Checks the kind (if given), the format version and, for sealed files, the metadata
    digest (which covers every attribute).

    Parameters
    ----------
    path : path-like
        The file.
    kind : str, optional
        Required kind (``"gauge-ensemble"`` or ``"scalar-ensemble"``).

    Raises
    ------
    FileFormatError
        If the file is missing, damaged, of another kind or version.
    """
    with open_h5(path) as f:
        if kind is not None:
            wanted = GAUGE_DATASETS if kind == GAUGE_KIND else SCALAR_DATASETS
            required = GAUGE_ATTRS if kind == GAUGE_KIND else SCALAR_ATTRS
            _guard(path, "cannot read the attributes", _check, f, path, kind, wanted, required)
        return _guard(path, "cannot read the attributes", attrs_dict, f)


def ensemble_kind(path: PathLike) -> str:
    """Return ``"gauge"`` or ``"scalar"``: the kind of an ensemble file, from its attributes.

    Raises
    ------
    FileFormatError
        If the file is missing, damaged or not an ensemble (a dataset file, say).
    """
    with open_h5(path) as f:
        kind = _guard(path, "cannot read the attributes", lambda: f.attrs.get("kind"))
    if isinstance(kind, bytes):
        kind = kind.decode()
    kinds = {GAUGE_KIND: "gauge", SCALAR_KIND: "scalar"}
    if kind not in kinds:
        hint = ""
        if isinstance(kind, str) and kind.endswith("-dataset"):
            hint = " (a dataset file: see `latticeml dataset inspect`)"
        raise FileFormatError(path, f"expected an ensemble (kind={GAUGE_KIND!r} or "
                              f"{SCALAR_KIND!r}), found kind={kind!r}{hint}")
    return kinds[kind]


def ensemble_size(path: PathLike, array: str) -> int:
    """Return the number of configurations (length of ``array``) without reading the data."""
    with open_h5(path) as f:
        if array not in f:
            raise FileFormatError(path, f"missing dataset {array}")
        return int(_guard(path, f"cannot read {array}", lambda: f[array].shape[0]))
