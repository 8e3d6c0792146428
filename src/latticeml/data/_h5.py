"""Small HDF5 helpers shared by the dataset writers and readers."""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np

__all__ = ["create_array", "sample_chunk"]

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
