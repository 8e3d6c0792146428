"""LIME containers (the envelope of ILDG and SciDAC files): read and write records.

A LIME file is a sequence of records. Each record is a 144-byte big-endian header -- magic
number ``0x456789ab`` (int32), version 1 (int16), flags (int16: bit 15 = message begin "MB",
bit 14 = message end "ME"), data length in bytes (uint64), record type (128 bytes, ASCII,
NUL-padded) -- followed by the data, padded with zeros to a multiple of 8 bytes. Records are
grouped into messages (MB on the first record, ME on the last).

Reading scans the headers only; record data is read on request, as bytes or as a NumPy
memory map, so a configuration is never held twice.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latticeml.errors import FileFormatError

__all__ = ["LIME_MAGIC", "LimeRecord", "read_records", "record_bytes", "record_array",
           "write_lime"]

#: The magic number that starts every LIME record header.
LIME_MAGIC = 0x456789AB
_HEADER = struct.Struct(">IHHQ128s")
_MB, _ME = 1 << 15, 1 << 14


@dataclass(frozen=True)
class LimeRecord:
    """One record of a LIME file.

    Attributes
    ----------
    type : str
        Record type (``ildg-format``, ``ildg-binary-data``, ``scidac-checksum``, ...).
    offset : int
        Byte offset of the record's data in the file.
    length : int
        Data length in bytes (without padding).
    begin, end : bool
        Message-begin and message-end flags.
    """

    type: str
    offset: int
    length: int
    begin: bool
    end: bool


def read_records(path: str | os.PathLike) -> list[LimeRecord]:
    """Return the records of a LIME file (headers only).

    Raises
    ------
    FileFormatError
        If the file is missing, empty, not LIME (bad magic number or version), or a record
        runs past the end of the file (truncated).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        f = path.open("rb")
    except OSError as exc:
        raise FileFormatError(path, f"cannot be read ({exc.strerror})") from None
    records: list[LimeRecord] = []
    with f:
        pos = 0
        while pos < size:
            head = f.read(_HEADER.size)
            if len(head) < _HEADER.size:
                raise FileFormatError(path, f"truncated LIME header at byte {pos} ("
                                      f"{len(head)} of {_HEADER.size} bytes)")
            magic, version, flags, length, rtype = _HEADER.unpack(head)
            if magic != LIME_MAGIC:
                raise FileFormatError(path, f"not a LIME file: magic number {magic:#010x} at "
                                      f"byte {pos}, expected {LIME_MAGIC:#010x}")
            if version != 1:
                raise FileFormatError(path, f"LIME version {version} at byte {pos}, expected 1")
            try:
                name = rtype.rstrip(b"\0").decode("ascii")
            except UnicodeDecodeError:
                raise FileFormatError(path, f"record type at byte {pos} is not ASCII") from None
            data = pos + _HEADER.size
            if data + length > size:
                raise FileFormatError(path, f"truncated: record {name!r} needs {length} bytes "
                                      f"at byte {data}, the file ends at {size}")
            records.append(LimeRecord(name, data, int(length), bool(flags & _MB),
                                      bool(flags & _ME)))
            pos = data + length + (-length) % 8
            f.seek(pos)
    if not records:
        raise FileFormatError(path, "empty file: no LIME record")
    return records


def record_bytes(path: str | os.PathLike, record: LimeRecord) -> bytes:
    """Return the data of a (small) record as bytes."""
    with open(path, "rb") as f:
        f.seek(record.offset)
        return f.read(record.length)


def record_array(path: str | os.PathLike, record: LimeRecord, dtype) -> np.ndarray:
    """Return the data of a record as a read-only memory map of ``dtype`` (no copy)."""
    dtype = np.dtype(dtype)
    if record.length % dtype.itemsize:
        raise FileFormatError(path, f"record {record.type!r} has {record.length} bytes, not a "
                              f"multiple of {dtype.itemsize} ({dtype})")
    return np.memmap(path, dtype=dtype, mode="r", offset=record.offset,
                     shape=(record.length // dtype.itemsize,))


def write_lime(f, records: list[tuple[str, bytes | np.ndarray]]) -> None:
    """Write one LIME message (MB on the first record, ME on the last) to an open binary file.

    Parameters
    ----------
    f : binary file
        Open for writing, at the position of the message.
    records : list of (type, data)
        Data as bytes or a contiguous array (written without a copy).
    """
    for i, (rtype, data) in enumerate(records):
        raw = rtype.encode("ascii")
        if len(raw) > 128:
            raise ValueError(f"LIME record type longer than 128 bytes: {rtype!r}")
        length = data.nbytes if isinstance(data, np.ndarray) else len(data)
        flags = (_MB if i == 0 else 0) | (_ME if i == len(records) - 1 else 0)
        f.write(_HEADER.pack(LIME_MAGIC, 1, flags, length, raw))
        f.write(memoryview(np.ascontiguousarray(data)).cast("B") if isinstance(data, np.ndarray)
                else data)
        f.write(b"\0" * ((-length) % 8))
