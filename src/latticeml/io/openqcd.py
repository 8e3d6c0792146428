"""openQCD gauge configurations (``export_cnfg``): read and written.

Little-endian. Header: the extents ``N0, N1, N2, N3`` (int32; N0 is time) and the average
plaquette (float64) -- ``<Re Tr U_p>`` over sites and planes, *not* divided by N. Then, for
every odd site x (x0 + x1 + x2 + x3 odd) in lexicographic order with x3 fastest, eight
matrices: ``U(x, 0), U(x - 0^, 0), U(x, 1), U(x - 1^, 1), ..., U(x - 3^, 3)``, each a
row-major 3 x 3 complex (two float64). Every link of the lattice appears exactly once. The
axes and directions are this package's own, so no transposition is needed. SU(2)
configurations in the same layout (2 x 2 matrices, N found from the file size) are read and
written as an extension.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from latticeml.data.atomic import atomic_path
from latticeml.errors import FileFormatError, ParameterError
from latticeml.io import _layout as L
from latticeml.io.external import GROUP_OF_N, ExternalConfig

__all__ = ["read_openqcd", "write_openqcd", "HEADER_PLAQUETTE_TOL"]

_HEAD = struct.Struct("<4id")
#: Largest accepted difference between the header's plaquette (divided by N) and the links'.
HEADER_PLAQUETTE_TOL = 1e-9


def read_openqcd(path: str | os.PathLike) -> ExternalConfig:
    """Read one configuration written by openQCD's ``export_cnfg``.

    Raises
    ------
    FileFormatError
        A truncated file, extents that are not positive and even, a size that fits no SU(N),
        a header-plaquette mismatch or links that are not SU(N).
    """
    size = Path(path).stat().st_size if Path(path).is_file() else -1
    if size < _HEAD.size:
        raise FileFormatError(path, f"{max(size, 0)} bytes: shorter than the openQCD header "
                              f"({_HEAD.size})")
    with open(path, "rb") as f:
        *dims, plaq_header = _HEAD.unpack(f.read(_HEAD.size))
    shape = tuple(int(d) for d in dims)
    if any(d < 2 or d % 2 or d > 1 << 12 for d in shape):
        raise FileFormatError(path, f"extents {shape}: expected even, positive (little-endian "
                              "int32; a big-endian or non-openQCD file?)")
    volume = int(np.prod(shape))
    per_n2 = volume * 4 * 16  # bytes per N^2: 4 links per site, complex128
    data = size - _HEAD.size
    n = round((data / per_n2) ** 0.5) if data > 0 else 0
    if n not in GROUP_OF_N or n * n * per_n2 != data:
        raise FileFormatError(path, f"{data} bytes of links for {'x'.join(map(str, shape))}: "
                              f"SU(3) needs {9 * per_n2} (SU(2) {4 * per_n2}); truncated?")
    raw = np.memmap(path, dtype="<c16", mode="r", offset=_HEAD.size,
                    shape=(volume // 2, 8, n, n))
    from latticeml.io._kernels import openqcd_to_ours

    links = np.empty((*shape, 4, n, n), dtype=np.complex128)
    openqcd_to_ours(raw.view(np.uint64).reshape(volume // 2, 8, -1),
                      links.view(np.uint64).reshape(*shape, 4, -1))
    del raw
    violation, _, plaq = L.check_links(path, links, 64, plaquette=True)
    stated = plaq_header / n
    if not abs(stated - plaq) <= HEADER_PLAQUETTE_TOL:
        raise FileFormatError(path, f"plaquette mismatch: header {plaq_header:.12f} (/{n} = "
                              f"{stated:.12f}), links {plaq:.12f}")
    notes = () if n == 3 else ("SU(2) in the openQCD layout (an extension)",)
    return ExternalConfig(path=str(path), format="openqcd", links=links, group=GROUP_OF_N[n],
                          precision=64, header_plaquette=stated,
                          checksum="none in the format (header plaquette checked)",
                          unitarity=violation, notes=notes, _plaquette=plaq)


def write_openqcd(path: str | os.PathLike, links: np.ndarray, *, force: bool = False) -> None:
    """Write one configuration in openQCD's ``export_cnfg`` format.

    Parameters
    ----------
    path : path-like
        Output file (written atomically).
    links : ndarray, complex, shape (L_t, L_x, L_y, L_z, 4, N, N)
        SU(3) (or, as an extension, SU(2)) links; extents even.
    force : bool
        Replace an existing file.
    """
    links = np.asarray(links)
    if links.ndim != 7 or links.shape[4] != 4 or links.shape[-1] not in GROUP_OF_N:
        raise ParameterError("links", "4D SU(2) or SU(3) links (L_t, L_x, L_y, L_z, 4, N, N)",
                             links.shape)
    shape = links.shape[:4]
    if any(d % 2 for d in shape):
        raise ParameterError("links", "even extents (openQCD)", shape)
    n = links.shape[-1]
    from latticeml.io._kernels import ours_to_openqcd

    volume = int(np.prod(shape))
    data = np.empty((volume // 2, 8, n, n), dtype="<c16")
    ours_to_openqcd(np.ascontiguousarray(links, dtype="<c16").view(np.uint64).reshape(
        *shape, 4, -1), data.view(np.uint64).reshape(volume // 2, 8, -1))
    head = _HEAD.pack(*shape, n * L.mean_plaquette(links))
    with atomic_path(path, force=force, need=data.nbytes + len(head)) as tmp, \
            open(tmp, "wb") as f:
        f.write(head)
        f.write(memoryview(data.reshape(-1).view(np.uint8)))
