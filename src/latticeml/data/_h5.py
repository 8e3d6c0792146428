"""Small HDF5 helpers shared by the dataset writers and readers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from latticeml.errors import FileFormatError

__all__ = ["attrs_dict", "create_array", "open_h5", "sample_chunk", "write_sources"]

#: Target size of one chunk in bytes: big enough for fast sequential reads, small enough that a
#: random sample does not read much more than it needs.
CHUNK_BYTES = 1 << 20


def sample_chunk(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    """Chunk shape that splits only the sample axis, about :data:`CHUNK_BYTES` per chunk."""
    per_sample = int(np.prod(shape[1:], dtype=np.int64)) * itemsize
    rows = max(1, min(shape[0], CHUNK_BYTES // max(per_sample, 1)))
    return (rows, *shape[1:])


def create_array(
    group: h5py.Group,
    name: str,
    data: np.ndarray,
    *,
    description: str,
    compress: bool = False,
    **attrs: Any,
) -> h5py.Dataset:
    """Create a chunked, checksummed dataset with a description.

    Every dataset carries a Fletcher-32 checksum per chunk, so flipped bytes are detected on
    read, and no modification times, so equal inputs give equal files.

    Parameters
    ----------
    group : h5py.Group
        Parent group or file.
    name : str
        Dataset path relative to ``group``.
    data : ndarray
        The array; axis 0 is the sample axis.
    description : str
        What the array is (stored as the ``description`` attribute).
    compress : bool
        Apply shuffle + gzip (level 4); pays for integer fields, not for random floats.
    **attrs
        Further attributes.
    """
    data = np.ascontiguousarray(data)
    kwargs: dict[str, Any] = {"fletcher32": True, "track_times": False}
    if data.ndim >= 1 and data.shape[0] > 0:
        kwargs["chunks"] = sample_chunk(data.shape, data.dtype.itemsize)
    if compress:
        kwargs.update(compression="gzip", compression_opts=4, shuffle=True)
    ds = group.create_dataset(name, data=data, **kwargs)
    ds.attrs["description"] = description
    for key, value in attrs.items():
        ds.attrs[key] = value
    return ds


def open_h5(path: str | os.PathLike, *, cache_mb: float | None = None) -> h5py.File:
    """Open an HDF5 file for reading, turning failures into :class:`FileFormatError`.

    Parameters
    ----------
    path : path-like
        The file.
    cache_mb : float, optional
        Size of the HDF5 chunk cache per dataset (default: HDF5's 1 MiB).
    """
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(path, "file does not exist")
    kwargs = {}
    if cache_mb:
        kwargs = {"rdcc_nbytes": int(cache_mb * 2**20), "rdcc_nslots": 100_003}
    try:
        return h5py.File(path, "r", **kwargs)
    except OSError as exc:
        raise FileFormatError(
            path, f"not a readable HDF5 file, truncated or damaged ({exc})"
        ) from None


def attrs_dict(obj: h5py.HLObject) -> dict[str, Any]:
    """Attributes as plain Python values (str, int, float, tuples for arrays)."""
    out: dict[str, Any] = {}
    for key, value in obj.attrs.items():
        if isinstance(value, bytes):
            value = value.decode()
        elif isinstance(value, np.ndarray):
            value = tuple(value.tolist())
        elif isinstance(value, np.generic):
            value = value.item()
        out[key] = value
    return out


def write_sources(f: h5py.File, name: str, sources: list[dict[str, Any]]) -> None:
    """Store one JSON record per source file (path, sha256, n, attrs) as a string array."""
    data = np.array(
        [json.dumps(s, sort_keys=True, default=str) for s in sources], dtype=h5py.string_dtype()
    )
    f.create_dataset(name, data=data, track_times=False)
    f[name].attrs["description"] = "JSON per source: path, sha256, n, attrs"
