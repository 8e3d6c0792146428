"""Content digests of the HDF5 files latticeml writes, and their verification.

Two layers protect a file:

* every numeric array is chunked with a **Fletcher-32 checksum per chunk** (HDF5 filter), so
  a damaged chunk is reported by HDF5 on any read, including the lazy partial reads of the
  training datasets;
* a **SHA-256 content digest**: every array carries the digest of its values (dtype, shape
  and bytes in C order; variable-length strings as length-prefixed UTF-8) in its attribute
  ``sha256``, and the file carries ``content_sha256``, the digest of its metadata — the name,
  kind, dtype, shape and filters of every object and every attribute value (the per-array
  digests included). A changed attribute, a changed or stripped array digest, a changed
  array and a swapped array are all detected; readers that load a whole array verify its
  digest, ``latticeml … inspect`` verifies every array.

The digests describe content, not the container: they contain no time, host or path, so the
same inputs and seed give the same digests, and they survive a copy of the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import h5py
import numpy as np

from latticeml.errors import FileFormatError

__all__ = [
    "ARRAY_DIGEST_ATTR",
    "FILE_DIGEST_ATTR",
    "array_digest",
    "dataset_digest",
    "metadata_digest",
    "seal",
    "verify_metadata",
    "verify_array",
    "verify_values",
    "read_array",
    "verify_file",
    "checksum_summary",
]

#: Attribute of every array: SHA-256 of its content.
ARRAY_DIGEST_ATTR = "sha256"
#: Attribute of the file: SHA-256 of its metadata (which includes every array digest).
FILE_DIGEST_ATTR = "content_sha256"

#: Bytes read at once when hashing an array stored in a file.
BLOCK_BYTES = 64 << 20


def _is_vlen_str(dtype: np.dtype) -> bool:
    return h5py.check_string_dtype(dtype) is not None and dtype.kind == "O"


def _dtype_tag(dtype: np.dtype) -> str:
    return "vlen-str" if _is_vlen_str(dtype) else dtype.str


class _ArrayHasher:
    """Incremental SHA-256 of an array given block by block along axis 0."""

    def __init__(self, dtype: np.dtype, shape: tuple[int, ...]) -> None:
        self.h = hashlib.sha256()
        self.vlen = _is_vlen_str(dtype)
        self.h.update(f"{_dtype_tag(dtype)}|{tuple(int(s) for s in shape)}|".encode())

    def update(self, block: np.ndarray) -> None:
        if self.vlen:
            for item in np.asarray(block, dtype=object).reshape(-1):
                raw = item if isinstance(item, bytes) else str(item).encode()
                self.h.update(len(raw).to_bytes(8, "little"))
                self.h.update(raw)
        else:
            flat = np.ascontiguousarray(block).reshape(-1)
            if flat.size:
                self.h.update(flat.view(np.uint8))

    def hexdigest(self) -> str:
        return self.h.hexdigest()


def array_digest(arr: np.ndarray) -> str:
    """SHA-256 (hex) of an in-memory array: dtype, shape and bytes in C order."""
    arr = np.asarray(arr)
    hasher = _ArrayHasher(arr.dtype, arr.shape)
    hasher.update(arr)
    return hasher.hexdigest()


def dataset_digest(ds: h5py.Dataset) -> str:
    """SHA-256 (hex) of an HDF5 dataset's values, read in blocks along axis 0.

    Equal to :func:`array_digest` of ``ds[()]``. Read errors (a Fletcher-32 mismatch, a
    damaged chunk) propagate as ``OSError``.
    """
    hasher = _ArrayHasher(ds.dtype, ds.shape)
    if ds.ndim == 0 or ds.shape[0] == 0:
        hasher.update(np.asarray(ds[()]))
        return hasher.hexdigest()
    per_row = max(1, int(np.prod(ds.shape[1:], dtype=np.int64)) * max(ds.dtype.itemsize, 8))
    rows = max(1, BLOCK_BYTES // per_row)
    if ds.chunks:
        rows = max(ds.chunks[0], rows // ds.chunks[0] * ds.chunks[0])
    for lo in range(0, ds.shape[0], rows):
        hasher.update(ds[lo : lo + rows])
    return hasher.hexdigest()


def _canonical_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return ["bytes", value.decode("utf-8", errors="backslashreplace")]
    if isinstance(value, str):
        return ["str", value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "O":
            items = [v.decode() if isinstance(v, bytes) else str(v) for v in value.reshape(-1)]
            return ["array", "object", list(value.shape), items]
        if value.dtype.kind == "c":
            return [
                "array",
                value.dtype.str,
                list(value.shape),
                [[repr(float(v.real)), repr(float(v.imag))] for v in value.reshape(-1)],
            ]
        return [
            "array",
            value.dtype.str,
            list(value.shape),
            [repr(v) for v in value.reshape(-1).tolist()],
        ]
    if isinstance(value, np.generic):
        return ["scalar", value.dtype.str, repr(value.item())]
    return [type(value).__name__, repr(value)]


def _object_record(name: str, obj: h5py.HLObject, *, skip_file_digest: bool) -> list:
    attrs = []
    for key in sorted(obj.attrs.keys()):
        if skip_file_digest and key == FILE_DIGEST_ATTR:
            continue
        attrs.append([key, _canonical_value(obj.attrs[key])])
    if isinstance(obj, h5py.Dataset):
        desc = [
            "dataset",
            _dtype_tag(obj.dtype),
            list(obj.shape),
            list(obj.chunks) if obj.chunks else None,
            bool(obj.fletcher32),
            obj.compression,
        ]
    else:
        desc = ["group"]
    return [name, desc, attrs]


def _names(f: h5py.File) -> list[str]:
    names: list[str] = []
    f.visit(names.append)
    return sorted(names)


def metadata_digest(f: h5py.File) -> str:
    """SHA-256 (hex) of the metadata of an open file (every object, every attribute).

    The file's own ``content_sha256`` attribute is left out; every array's ``sha256``
    attribute is included, so this digest covers the whole content.
    """
    records = [_object_record("/", f, skip_file_digest=True)]
    for name in _names(f):
        records.append(_object_record(name, f[name], skip_file_digest=False))
    text = json.dumps(records, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _datasets(f: h5py.File) -> list[tuple[str, h5py.Dataset]]:
    return [(n, f[n]) for n in _names(f) if isinstance(f[n], h5py.Dataset)]


def seal(f: h5py.File) -> str:
    """Write the digest of every array and then the file's metadata digest.

    Call it on a file opened for writing, after the last array was written. The arrays are
    read back from the file, so what is hashed is what was stored.

    Returns
    -------
    str
        The file's ``content_sha256``.
    """
    f.flush()
    for _, ds in _datasets(f):
        ds.attrs[ARRAY_DIGEST_ATTR] = dataset_digest(ds)
    digest = metadata_digest(f)
    f.attrs[FILE_DIGEST_ATTR] = digest
    return digest


def _problem(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def verify_metadata(f: h5py.File, path: str | os.PathLike) -> None:
    """Check the file's ``content_sha256`` against its metadata.

    Raises
    ------
    FileFormatError
        If the digest is missing, unreadable or differs (naming the file).
    """
    try:
        stored = f.attrs.get(FILE_DIGEST_ATTR)
        if isinstance(stored, bytes):
            stored = stored.decode()
        if stored is None:
            raise FileFormatError(path, f"missing attribute {FILE_DIGEST_ATTR!r} (content digest)")
        actual = metadata_digest(f)
    except FileFormatError:
        raise
    except Exception as exc:  # damaged headers surface as OSError, KeyError, UnicodeError...
        raise FileFormatError(
            path, f"metadata unreadable, the file is damaged ({_problem(exc)})"
        ) from None
    if stored != actual:
        raise FileFormatError(
            path,
            f"metadata do not match {FILE_DIGEST_ATTR} (stored {str(stored)[:16]}…, computed "
            f"{actual[:16]}…): an attribute, array digest or layout was changed or damaged",
        )


def verify_array(path: str | os.PathLike, ds: h5py.Dataset, data: np.ndarray) -> None:
    """Check values read from ``ds`` (the whole array) against its ``sha256`` attribute."""
    stored = _stored_digest(path, ds)
    name = ds.name.lstrip("/")
    actual = array_digest(data)
    if stored != actual:
        raise FileFormatError(
            path, f"{name}: values do not match their SHA-256 (the array is damaged)"
        )


def _stored_digest(path: str | os.PathLike, ds: h5py.Dataset) -> str:
    stored = ds.attrs.get(ARRAY_DIGEST_ATTR)
    if isinstance(stored, bytes):
        stored = stored.decode()
    if stored is None:
        raise FileFormatError(path, f"{ds.name.lstrip('/')}: missing attribute "
                                    f"{ARRAY_DIGEST_ATTR!r}")
    return stored


def verify_values(path: str | os.PathLike, ds: h5py.Dataset) -> None:
    """Check an array's values on disk against its ``sha256`` attribute, block by block.

    Raises
    ------
    FileFormatError
        Naming the file and the array if the values cannot be read (a failed Fletcher-32) or
        do not match.
    """
    name = ds.name.lstrip("/")
    stored = _stored_digest(path, ds)
    try:
        actual = dataset_digest(ds)
    except Exception as exc:
        raise FileFormatError(
            path, f"{name}: cannot read the values, the array is damaged ({_problem(exc)})"
        ) from None
    if stored != actual:
        raise FileFormatError(
            path, f"{name}: values do not match their SHA-256 (the array is damaged)"
        )


def read_array(f: h5py.File, path: str | os.PathLike, name: str,
               rows: np.ndarray | None = None) -> np.ndarray:
    """Read one array of a file, checked against its SHA-256 when the file carries digests.

    Parameters
    ----------
    f : h5py.File
        The open file (its metadata digest already checked by the caller).
    path : path-like
        Its path, for error messages.
    name : str
        The array.
    rows : ndarray of int, optional
        Read only these rows (increasing); the whole array is still verified, streaming, so
        memory holds only the selection.

    Returns
    -------
    ndarray

    Raises
    ------
    FileFormatError
        If the array cannot be read or its values do not match their digest.
    """
    ds = f[name]
    sealed = FILE_DIGEST_ATTR in f.attrs  # format 1 files have no digests to check
    try:
        if rows is None:
            data = ds[()]
            if sealed:
                verify_array(path, ds, data)
            return data
        if sealed:
            verify_values(path, ds)
        return ds[rows]
    except OSError as exc:  # a chunk whose Fletcher-32 fails
        raise FileFormatError(
            path, f"{name}: cannot read the values, the array is damaged ({_problem(exc)})"
        ) from None


def verify_file(f: h5py.File, path: str | os.PathLike) -> list[str]:
    """Verify the metadata digest and every array (Fletcher-32 and SHA-256) of a file.

    Returns
    -------
    list of str
        Names of the verified arrays.

    Raises
    ------
    FileFormatError
        Naming the file, the array and the problem.
    """
    verify_metadata(f, path)
    names = []
    for name, ds in _datasets(f):
        verify_values(path, ds)
        names.append(name)
    return names


def checksum_summary(attrs: dict[str, Any]) -> str:
    """Return what was verified, for the ``inspect`` commands (``attrs``: file attributes)."""
    digest = attrs.get(FILE_DIGEST_ATTR)
    if not digest:
        return "none (format 1, written before content digests); values checked"
    return (
        "verified: Fletcher-32 per chunk and SHA-256 of every array, "
        f"content_sha256 {str(digest)[:16]}…"
    )
