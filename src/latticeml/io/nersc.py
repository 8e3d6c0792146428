"""NERSC gauge configurations: an ASCII header, then the links.

Header: ``BEGIN_HEADER``, lines ``KEY = VALUE``, ``END_HEADER``. Read: ``DATATYPE``
(``4D_SU3_GAUGE``: the first two rows of each matrix, the third reconstructed;
``4D_SU3_GAUGE_3x3``: whole matrices; ``4D_SU2_GAUGE_2x2``, the extension used for SU(2)),
``DIMENSION_1..4`` (x, y, z, t), ``FLOATING_POINT`` (``IEEE32``, ``IEEE32BIG``,
``IEEE32LITTLE``, ``IEEE64BIG``, ``IEEE64LITTLE``; ``IEEE64`` = big endian), ``CHECKSUM``
(the sum modulo 2^32 of the 32-bit words of the stored numbers, in the machine's
representation of their values), ``PLAQUETTE`` (``<(1/3) Re Tr U_p>``) and ``LINK_TRACE``
(``<(1/3) Re Tr U>``). Data: sites t, z, y, x (x fastest), links along x, y, z, t, row-major
complex numbers. The checksum, plaquette and link trace are verified.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from latticeml.data.atomic import atomic_path
from latticeml.errors import FileFormatError, ParameterError
from latticeml.io import _layout as L
from latticeml.io.external import GROUP_OF_N, ExternalConfig

__all__ = ["read_nersc", "write_nersc", "FLOATING_POINT", "HEADER_TOL"]

#: ``FLOATING_POINT`` values and their NumPy real dtype.
FLOATING_POINT = {"IEEE32": ">f4", "IEEE32BIG": ">f4", "IEEE32LITTLE": "<f4",
                  "IEEE64": ">f8", "IEEE64BIG": ">f8", "IEEE64LITTLE": "<f8"}
#: Largest accepted difference between the header's plaquette / link trace and the links'.
HEADER_TOL = 1e-6
_MAX_HEADER = 1 << 16


def _header(path) -> tuple[dict[str, str], int]:
    with open(path, "rb") as f:
        head = f.read(_MAX_HEADER)
    if not head.startswith(b"BEGIN_HEADER"):
        raise FileFormatError(path, "not a NERSC file: it does not start with BEGIN_HEADER")
    end = head.find(b"END_HEADER")
    if end < 0:
        raise FileFormatError(path, f"no END_HEADER in the first {_MAX_HEADER} bytes")
    stop = head.find(b"\n", end)
    if stop < 0:
        raise FileFormatError(path, "truncated after END_HEADER")
    text = head[:end].decode("ascii", "replace")
    values = {}
    for line in text.splitlines()[1:]:
        if "=" in line:
            key, _, value = line.partition("=")
            values[key.strip().upper()] = value.strip()
    return values, stop + 1


def _datatype(path, value: str) -> tuple[int, int]:
    """Return ``(N, stored rows)`` of a DATATYPE."""
    if value == "4D_SU3_GAUGE":
        return 3, 2
    m = re.fullmatch(r"4D_SU(\d)_GAUGE_(\d)x(\d)", value)
    if m and m.group(1) == m.group(2) == m.group(3) and int(m.group(1)) in GROUP_OF_N:
        return int(m.group(1)), int(m.group(1))
    raise FileFormatError(path, f"DATATYPE {value!r}, expected 4D_SU3_GAUGE, 4D_SU3_GAUGE_3x3 "
                          "or 4D_SU2_GAUGE_2x2")


def _checksum(values: np.ndarray, block: int = 1 << 20) -> int:
    """Return the NERSC checksum of reals: the 32-bit words of their values, summed mod 2^32.

    The words are those of each value in the machine's byte order, whatever the file's; read
    in blocks, so no copy of the whole array is made.
    """
    total = 0
    native = values.dtype.newbyteorder("=")
    for lo in range(0, values.size, block):
        chunk = np.ascontiguousarray(values[lo:lo + block], dtype=native)
        total += int(chunk.view(np.uint32).sum(dtype=np.uint64))
    return total & 0xFFFFFFFF


def read_nersc(path: str | os.PathLike) -> ExternalConfig:
    """Read one configuration from a NERSC file.

    Raises
    ------
    FileFormatError
        A missing or malformed header, a size that does not match the header, a checksum,
        plaquette or link-trace mismatch, or links that are not SU(N).
    """
    head, start = _header(path)
    need = ("DATATYPE", "DIMENSION_1", "DIMENSION_2", "DIMENSION_3", "DIMENSION_4",
            "FLOATING_POINT")
    missing = [k for k in need if k not in head]
    if missing:
        raise FileFormatError(path, "header without " + ", ".join(missing))
    n, rows = _datatype(path, head["DATATYPE"])
    try:
        lx, ly, lz, lt = (int(head[f"DIMENSION_{i}"]) for i in range(1, 5))
    except ValueError:
        raise FileFormatError(path, "DIMENSION_1..4 are not integers") from None
    fp = head["FLOATING_POINT"].upper()
    if fp not in FLOATING_POINT:
        raise FileFormatError(path, f"FLOATING_POINT {fp!r}, expected one of "
                              + ", ".join(FLOATING_POINT))
    dtype = np.dtype(FLOATING_POINT[fp])
    bits = dtype.itemsize * 8
    size = Path(path).stat().st_size - start
    reals = lt * lz * ly * lx * 4 * rows * n * 2
    if size != reals * dtype.itemsize:
        raise FileFormatError(path, f"{size} bytes of data; {head['DATATYPE']} on "
                              f"{lx}x{ly}x{lz}x{lt} (x, y, z, t) in {fp} needs "
                              f"{reals * dtype.itemsize}")
    raw = np.memmap(path, dtype=dtype, mode="r", offset=start, shape=(reals,))
    notes = []
    pairs = np.dtype(f"{dtype.str[0]}c{2 * dtype.itemsize}")  # (re, im) in the file's order
    links, word_sum = L.file_to_links(raw.view(pairs).reshape(lt, lz, ly, lx, 4, rows, n))
    if "CHECKSUM" in head:
        try:
            want = int(head["CHECKSUM"], 16)
        except ValueError:
            raise FileFormatError(path, f"CHECKSUM {head['CHECKSUM']!r} is not hexadecimal") \
                from None
        got = word_sum if word_sum is not None else _checksum(raw)
        if got != want:
            raise FileFormatError(path, f"checksum mismatch: header {want:x}, data {got:x} "
                                  "(wrong FLOATING_POINT or a damaged file?)")
        checksum = "nersc sum ok"
    else:
        checksum = "none in the file (no CHECKSUM)"
    del raw
    if rows < n:
        notes.append("third rows reconstructed from the first two")
    violation, trace, plaq = L.check_links(path, links, bits, plaquette=bits == 64)
    if bits == 32:
        links = L.project_su_n(links)
        plaq, trace = L.plaquette_and_trace(links)
        notes.append("single-precision links projected onto SU(N)")
    header_plaq = None
    for key, value in (("PLAQUETTE", plaq), ("LINK_TRACE", trace)):
        if key not in head:
            notes.append(f"no {key} in the header")
            continue
        try:
            stated = float(head[key])
        except ValueError:
            raise FileFormatError(path, f"{key} {head[key]!r} is not a number") from None
        if not abs(stated - value) <= HEADER_TOL:
            raise FileFormatError(path, f"{key} mismatch: header {stated:.10f}, links "
                                  f"{value:.10f}")
        if key == "PLAQUETTE":
            header_plaq = stated
    return ExternalConfig(path=str(path), format="nersc", links=links, group=GROUP_OF_N[n],
                          precision=bits, header_plaquette=header_plaq,
                          checksum=checksum, unitarity=violation, notes=tuple(notes),
                          _plaquette=plaq)


def write_nersc(path: str | os.PathLike, links: np.ndarray, *, precision: int = 64,
                two_rows: bool = False, big_endian: bool = True, force: bool = False,
                ensemble_id: str = "latticeml", sequence_number: int = 0) -> None:
    """Write one configuration as a NERSC file.

    Parameters
    ----------
    path : path-like
        Output file (written atomically).
    links : ndarray, complex, shape (L_t, L_x, L_y, L_z, 4, N, N)
        SU(2) or SU(3) links in this package's layout.
    precision : {32, 64}
        Bits per real number.
    two_rows : bool
        SU(3) only: store the first two rows (``4D_SU3_GAUGE``) instead of whole matrices.
    big_endian : bool
        ``IEEE..BIG`` (the common choice) or ``IEEE..LITTLE``.
    force : bool
        Replace an existing file.
    ensemble_id, sequence_number
        Written to the header.
    """
    links = np.asarray(links)
    if links.ndim != 7 or links.shape[4] != 4 or links.shape[-1] not in GROUP_OF_N:
        raise ParameterError("links", "4D SU(2) or SU(3) links (L_t, L_x, L_y, L_z, 4, N, N)",
                             links.shape)
    if precision not in (32, 64):
        raise ParameterError("--precision", "32 or 64", precision)
    n = links.shape[-1]
    if two_rows and n != 3:
        raise ParameterError("--two-rows", "SU(3) links (4D_SU3_GAUGE)", f"SU({n})")
    lt, lx, ly, lz = links.shape[:4]
    plaq, trace = L.plaquette_and_trace(links)
    file_dtype = np.dtype(f"{'>' if big_endian else '<'}c{precision // 4}")
    data, word_sum = L.links_to_file(links, file_dtype, rows=2 if two_rows else None)
    if word_sum is None:
        word_sum = _checksum(data.view(data.real.dtype))
    fp = f"IEEE{precision}{'BIG' if big_endian else 'LITTLE'}"
    datatype = "4D_SU3_GAUGE" if two_rows else f"4D_SU{n}_GAUGE_{n}x{n}"
    lines = ["BEGIN_HEADER", "HDR_VERSION = 1.0", f"DATATYPE = {datatype}",
             "STORAGE_FORMAT = 1.0",
             *(f"DIMENSION_{i} = {d}" for i, d in enumerate((lx, ly, lz, lt), 1)),
             f"LINK_TRACE = {trace:.12g}", f"PLAQUETTE = {plaq:.12g}",
             *(f"BOUNDARY_{i} = PERIODIC" for i in range(1, 5)),
             f"CHECKSUM = {word_sum:x}",
             f"ENSEMBLE_ID = {ensemble_id}", f"SEQUENCE_NUMBER = {int(sequence_number)}",
             f"FLOATING_POINT = {fp}", "END_HEADER", ""]
    with atomic_path(path, force=force, need=data.nbytes) as tmp, open(tmp, "wb") as f:
        f.write("\n".join(lines).encode("ascii"))
        f.write(memoryview(data.reshape(-1).view(np.uint8)))
