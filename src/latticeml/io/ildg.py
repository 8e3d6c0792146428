"""ILDG gauge configurations: LIME files with ``ildg-format`` and ``ildg-binary-data``.

Binary data: big-endian IEEE complex numbers, sites in the order t, z, y, x (x fastest), at
each site the links along x, y, z, t, each a row-major N x N matrix. ``ildg-format`` (XML)
states the field (``su3gauge``; ``su2gauge`` and ``su{N}gauge`` are the extension used in
practice for other groups), the precision (32 or 64) and ``lx, ly, lz, lt``. A
``scidac-checksum`` record (SciDAC ``suma``/``sumb`` of per-site CRC32) is verified when
present. Files without a format record (written by some codes) are read when the caller
states shape, group and precision; the result says so in its notes.
"""

from __future__ import annotations

import os
import re

import numpy as np

from latticeml.data.atomic import atomic_path
from latticeml.errors import FileFormatError, ParameterError
from latticeml.io import _layout as L
from latticeml.io.external import GROUP_OF_N, N_OF_GROUP, ExternalConfig
from latticeml.io.lime import read_records, record_array, record_bytes, write_lime

__all__ = ["read_ildg", "write_ildg", "KNOWN_RECORD_PREFIXES"]

#: Record types an ILDG file may carry besides its data (others are refused as unknown).
KNOWN_RECORD_PREFIXES = ("ildg-", "scidac-", "xlf-", "lime-")


def _xml_value(text: str, tag: str) -> str | None:
    """Return the text of ``<tag>...</tag>`` (a regular expression: no XML parser runs)."""
    m = re.search(rf"<(?:\w+:)?{tag}>\s*([^<]*?)\s*</(?:\w+:)?{tag}>", text)
    return m.group(1) if m else None


def _format_record(path, text: str) -> tuple[tuple[int, ...], str, int]:
    field = _xml_value(text, "field")
    m = re.fullmatch(r"su(\d+)gauge", field or "")
    if m is None:
        raise FileFormatError(path, f"ildg-format field {field!r}, expected su2gauge or "
                              "su3gauge")
    n = int(m.group(1))
    if n not in GROUP_OF_N:
        raise FileFormatError(path, f"SU({n}) links: this package handles SU(2) and SU(3)")
    try:
        bits = int(_xml_value(text, "precision") or "")
        dims = [int(_xml_value(text, t) or "") for t in ("lt", "lx", "ly", "lz")]
    except ValueError:
        raise FileFormatError(path, "ildg-format record without integer precision, lx, ly, "
                              "lz, lt") from None
    if bits not in (32, 64):
        raise FileFormatError(path, f"precision {bits}, expected 32 or 64")
    return tuple(dims), GROUP_OF_N[n], bits


def read_ildg(path: str | os.PathLike, *, shape: tuple[int, ...] | None = None,
              group: str | None = None, precision: int | None = None) -> ExternalConfig:
    """Read one configuration from an ILDG file.

    Parameters
    ----------
    path : path-like
        The file.
    shape : tuple of int, optional
        ``(L_t, L_x, L_y, L_z)``; needed when the file has no ``ildg-format`` record, checked
        against it otherwise.
    group : {'su2', 'su3'}, optional
        As ``shape``.
    precision : {32, 64}, optional
        As ``shape``.

    Raises
    ------
    FileFormatError
        Truncated or non-LIME files, unknown record types, a data size that does not match
        the shape, a checksum mismatch, links that are not SU(N) (wrong endianness,
        precision or shape), missing metadata the caller did not give.
    """
    records = read_records(path)
    for r in records:
        if not r.type.startswith(KNOWN_RECORD_PREFIXES):
            raise FileFormatError(path, f"unknown LIME record type {r.type!r} (an ILDG file "
                                  "holds ildg-*, scidac-* and xlf-* records)")
    by_type = {}
    for r in records:
        by_type.setdefault(r.type, r)
    if "ildg-binary-data" not in by_type:
        raise FileFormatError(path, "no ildg-binary-data record: not a gauge configuration")
    notes = []
    given = {"shape": shape, "group": group, "precision": precision}
    if "ildg-format" in by_type:
        text = record_bytes(path, by_type["ildg-format"]).decode("utf-8", "replace")
        found = dict(zip(("shape", "group", "precision"), _format_record(path, text),
                         strict=True))
        for key, value in given.items():
            if value is not None and tuple(np.atleast_1d(value)) != tuple(
                    np.atleast_1d(found[key])):
                raise FileFormatError(path, f"the ildg-format record says {key} "
                                      f"{found[key]}, the caller {value}")
    else:
        missing = [k for k, v in given.items() if v is None]
        if missing:
            raise FileFormatError(path, "no ildg-format record: give the "
                                  + ", ".join(missing) + " (--shape, --group, --precision)")
        found = dict(given)
        notes.append("no ildg-format record: shape, group and precision as given by the "
                     "caller")
    shape, group, bits = tuple(found["shape"]), found["group"], int(found["precision"])
    if len(shape) != 4:
        raise ParameterError("--shape", "four extents L_t,L_x,L_y,L_z", shape)
    if group not in N_OF_GROUP:
        raise ParameterError("--group", "su2 or su3", group)
    if bits not in (32, 64):
        raise ParameterError("--precision", "32 or 64", bits)
    n = N_OF_GROUP[group]
    lt, lx, ly, lz = shape
    rec = by_type["ildg-binary-data"]
    dtype = np.dtype(">c16" if bits == 64 else ">c8")
    need = lt * lx * ly * lz * 4 * n * n * dtype.itemsize
    if rec.length != need:
        raise FileFormatError(path, f"ildg-binary-data has {rec.length} bytes; {group} on "
                              f"{'x'.join(map(str, shape))} in {bits}-bit precision needs "
                              f"{need}")
    raw = record_array(path, rec, dtype).reshape(lt, lz, ly, lx, 4, n, n)
    if "scidac-checksum" in by_type:
        text = record_bytes(path, by_type["scidac-checksum"]).decode("utf-8", "replace")
        want = (_xml_value(text, "suma"), _xml_value(text, "sumb"))
        got = L.scidac_checksum(raw.reshape(lt * lz * ly * lx, -1))
        try:
            ok = tuple(int(w, 16) for w in want) == got
        except (TypeError, ValueError):
            raise FileFormatError(path, f"scidac-checksum record without hexadecimal suma/"
                                  f"sumb: {want}") from None
        if not ok:
            raise FileFormatError(path, f"SciDAC checksum mismatch: file suma/sumb "
                                  f"{want[0]}/{want[1]}, data {got[0]:x}/{got[1]:x}")
        checksum = "scidac crc32 ok"
    else:
        checksum = "none in the file (no scidac-checksum record)"
    links = L.from_file_order(raw)
    del raw
    violation = L.check_links(path, links, bits).violation
    if bits == 32:
        links = L.project_su_n(links)
        notes.append("single-precision links projected onto SU(N)")
    return ExternalConfig(path=str(path), format="ildg", links=links, group=group,
                          precision=bits, header_plaquette=None, checksum=checksum,
                          unitarity=violation, notes=tuple(notes))


def write_ildg(path: str | os.PathLike, links: np.ndarray, *, precision: int = 64,
               force: bool = False) -> None:
    """Write one configuration as an ILDG file (format, binary data, SciDAC checksum).

    Parameters
    ----------
    path : path-like
        Output file (written atomically).
    links : ndarray, complex, shape (L_t, L_x, L_y, L_z, 4, N, N)
        SU(2) or SU(3) links in this package's layout.
    precision : {32, 64}
        Bits per real number.
    force : bool
        Replace an existing file.
    """
    links = np.asarray(links)
    if links.ndim != 7 or links.shape[4] != 4 or links.shape[-1] not in GROUP_OF_N:
        raise ParameterError("links", "4D SU(2) or SU(3) links (L_t, L_x, L_y, L_z, 4, N, N)",
                             links.shape)
    if precision not in (32, 64):
        raise ParameterError("--precision", "32 or 64", precision)
    lt, lx, ly, lz, _, n, _ = links.shape
    data = L.links_to_file(links, ">c16" if precision == 64 else ">c8")[0]
    suma, sumb = L.scidac_checksum(data.reshape(lt * lz * ly * lx, -1))
    fmt = ('<?xml version="1.0" encoding="UTF-8"?>\n<ildgFormat xmlns="http://www.lqcd.org/'
           'ildg" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation='
           '"http://www.lqcd.org/ildg filefmt.xsd"><version>1.0</version>'
           f"<field>su{n}gauge</field><precision>{precision}</precision><lx>{lx}</lx>"
           f"<ly>{ly}</ly><lz>{lz}</lz><lt>{lt}</lt></ildgFormat>")
    chk = ('<?xml version="1.0" encoding="UTF-8"?><scidacChecksum><version>1.0</version>'
           f"<suma>{suma:x}</suma><sumb>{sumb:x}</sumb></scidacChecksum>")
    with atomic_path(path, force=force, need=data.nbytes) as tmp, open(tmp, "wb") as f:
        write_lime(f, [("ildg-format", fmt.encode()), ("ildg-binary-data", data),
                       ("scidac-checksum", chk.encode())])
