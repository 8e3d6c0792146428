"""Site orders, group checks and checksums shared by the formats (private)."""

from __future__ import annotations

import sys
import zlib
from typing import NamedTuple

import numpy as np

from latticeml.errors import FileFormatError
from latticeml.observables.wilson import wilson_loops

#: The file directions x, y, z, t as this package's mu (axis 0 is time, then x, y, z).
FILE_MU = np.array([1, 2, 3, 0])
#: This package's mu 0..3 (t, x, y, z) as file directions (x, y, z, t).
OUR_MU = np.array([3, 0, 1, 2])
#: Largest max |U U^dagger - 1| accepted from a file, by precision in bits (single-precision
#: links are projected back onto SU(N) after the check).
GROUP_TOL = {64: 1e-8, 32: 1e-5}


def _fast(dtype: np.dtype) -> bool:
    """Whether the Numba copy kernels handle ``dtype`` (complex of two 64-bit reals)."""
    return dtype.kind == "c" and dtype.itemsize == 16


def file_to_links(arr: np.ndarray) -> tuple[np.ndarray, int | None]:
    """Return file-ordered links in this package's layout, native complex128 (one copy).

    ``(L_t, L_z, L_y, L_x, 4 [x, y, z, t], R, N)``, the ILDG and NERSC order (x fastest,
    links along x, y, z, t; ``R`` stored rows), becomes ``(L_t, L_x, L_y, L_z, 4 [t, x, y,
    z], N, N)``: SU(3) stored as two rows gets its third row ``conj(row_1 x row_2)`` in
    place. Double precision goes through parallel Numba kernels, which also return the NERSC
    checksum (the 32-bit words of the stored values summed mod 2^32); other precisions
    through NumPy (the kernels' twin, compared in the tests), with ``None`` for the sum.
    """
    lt, lz, ly, lx, nd, r, n = arr.shape
    if not _fast(arr.dtype):
        t = np.transpose(arr, (0, 3, 2, 1, 4, 5, 6))
        out = np.empty(t.shape, dtype=np.complex128)  # byte order and layout at once
        for mu, d in enumerate(OUR_MU):
            out[..., mu, :, :] = t[..., d, :, :]
        return (out if r == n else reconstruct_third_row(out)), None
    from latticeml.io._kernels import file_to_ours, third_rows

    out = np.empty((lt, lx, ly, lz, nd, n, n), dtype=np.complex128)
    words = np.ascontiguousarray(arr).view(np.uint64).reshape(lt, lz, ly, lx, nd, -1)
    total = file_to_ours(words, out.view(np.uint64).reshape(lt, lx, ly, lz, nd, -1), OUR_MU,
                         not arr.dtype.isnative)
    if r < n:
        third_rows(out.reshape(-1, n, n))
    return out, total


def from_file_order(arr: np.ndarray) -> np.ndarray:
    """Return file-ordered links in this package's layout (:func:`file_to_links` without sum)."""
    return file_to_links(arr)[0]


def links_to_file(links: np.ndarray, dtype, rows: int | None = None
                  ) -> tuple[np.ndarray, int | None]:
    """Return links in the ILDG/NERSC order as a new contiguous array of ``dtype``.

    The inverse of :func:`file_to_links`, with the same NERSC checksum for double precision
    (``None`` for other precisions, converted by NumPy); ``rows`` (default all) stores only
    the first rows of each matrix.
    """
    dtype = np.dtype(dtype)
    n = links.shape[-1]
    rows = n if rows is None else rows
    if not (_fast(dtype) and links.dtype == np.complex128):
        return np.ascontiguousarray(to_file_order(links)[..., :rows, :], dtype=dtype), None
    from latticeml.io._kernels import ours_to_file

    lt, lx, ly, lz, nd = links.shape[:5]
    out = np.empty((lt, lz, ly, lx, nd, rows, n), dtype=dtype)
    src = np.ascontiguousarray(links).view(np.uint64).reshape(lt, lx, ly, lz, nd, -1)
    total = ours_to_file(src, out.view(np.uint64).reshape(lt, lz, ly, lx, nd, -1), OUR_MU,
                         not dtype.isnative)
    return out, total


def to_file_order(links: np.ndarray) -> np.ndarray:
    """Return links in the ILDG/NERSC order (a view): the inverse of :func:`from_file_order`."""
    return np.transpose(links, (0, 3, 2, 1, 4, 5, 6))[..., FILE_MU, :, :]


class LinkSummary(NamedTuple):
    """What one pass over the links of a configuration gives (:func:`check_links`)."""

    #: ``max(|U U^dagger - 1|, |det U - 1|)``.
    violation: float
    #: ``<(1/N) Re Tr U>`` over all links (the NERSC ``LINK_TRACE``).
    trace: float
    #: ``<(1/N) Re Tr U_p>`` over sites and planes, or None when not asked for.
    plaquette: float | None


def _kernel_layout(links: np.ndarray) -> bool:
    """Whether ``links`` suit the 4D plaquette kernel (contiguous complex128, 4 directions)."""
    return (links.ndim == 7 and links.shape[4] == 4 and links.dtype == np.complex128
            and links.flags.c_contiguous)


def mean_plaquette(links: np.ndarray) -> float:
    """``<(1/N) Re Tr U_p>`` over sites and planes ``mu < nu``.

    4D links go through a parallel Numba kernel without temporaries (its twin:
    :func:`latticeml.observables.wilson.wilson_loops`); other shapes through ``wilson_loops``.
    """
    if _kernel_layout(links):
        from latticeml.io._kernels import plaquette_sum

        n = links.shape[-1]
        return plaquette_sum(links, False)[0] / (6 * n * int(np.prod(links.shape[:4])))
    loops = wilson_loops(links, 1, 1)
    return float(np.sum(loops, dtype=np.float64)) / loops.size


def link_trace(links: np.ndarray) -> float:
    """``<(1/N) Re Tr U>`` over all links."""
    from latticeml.io._kernels import link_checks

    n = links.shape[-1]
    flat = np.ascontiguousarray(links).reshape(-1, n, n)
    return link_checks(flat)[2] / (n * max(len(flat), 1))


def check_links(path, links: np.ndarray, bits: int, *, plaquette: bool = False
                ) -> LinkSummary:
    """Refuse links that are not SU(N) within :data:`GROUP_TOL`; return what the pass found.

    Parameters
    ----------
    path : path-like
        The file (named in the error).
    links : ndarray, complex128
        The links in this package's layout.
    bits : {32, 64}
        The file's precision (selects the tolerance).
    plaquette : bool
        Also compute the mean plaquette (in the same pass over 4D links).

    Raises
    ------
    FileFormatError
        The links are not SU(N) within the tolerance (or hold NaN or inf).
    """
    unit, det, summary = _summarize(links, plaquette)
    if not summary.violation <= GROUP_TOL[bits]:
        raise FileFormatError(path, f"links are not SU({links.shape[-1]}): max |U U^dagger - 1| "
                              f"= {unit:.1e}, max |det U - 1| = {det:.1e} (tolerance "
                              f"{GROUP_TOL[bits]:.0e} for {bits}-bit data); wrong shape, group, "
                              "precision or endianness?")
    return summary


def plaquette_and_trace(links: np.ndarray) -> tuple[float, float]:
    """Return ``<(1/N) Re Tr U_p>`` and ``<(1/N) Re Tr U>`` of 4D links (one pass, no checks)."""
    if _kernel_layout(links):
        from latticeml.io._kernels import plaquette_sum

        n = links.shape[-1]
        volume = int(np.prod(links.shape[:4]))
        total, _, _, trace = plaquette_sum(links, False)
        return total / (6 * n * volume), trace / (4 * n * volume)
    return mean_plaquette(links), link_trace(links)


def _summarize(links: np.ndarray, plaquette: bool) -> tuple[float, float, LinkSummary]:
    from latticeml.io._kernels import link_checks, plaquette_sum

    n = links.shape[-1]
    count = max(links.size // (n * n), 1)
    plaq = None
    if plaquette and _kernel_layout(links):
        total, unit, det, trace = plaquette_sum(links, True)
        plaq = total / (6 * n * int(np.prod(links.shape[:4])))
    else:
        unit, det, trace = link_checks(np.ascontiguousarray(links).reshape(-1, n, n))
        if plaquette:
            plaq = mean_plaquette(links)
    worst = max(unit, det) if np.isfinite(unit) and np.isfinite(det) else float("inf")
    return unit, det, LinkSummary(worst, trace / (n * count), plaq)


def project_su_n(links: np.ndarray) -> np.ndarray:
    """Return the nearest SU(N) matrices (polar decomposition, determinant phase removed)."""
    u, _, vh = np.linalg.svd(links)
    w = u @ vh
    det = np.linalg.det(w)
    n = links.shape[-1]
    return w * (det ** (-1.0 / n))[..., None, None]


def reconstruct_third_row(two: np.ndarray) -> np.ndarray:
    """SU(3) matrices from their first two rows: ``row_3 = conj(row_1 x row_2)``."""
    third = np.conj(np.cross(two[..., 0, :], two[..., 1, :]))
    return np.concatenate([two, third[..., None, :]], axis=-2)


def scidac_checksum(sites: np.ndarray) -> tuple[int, int]:
    """SciDAC checksums ``(suma, sumb)`` of site records as stored, shape ``(V, bytes)``.

    Per site of lexicographic rank ``r`` (the order in the file), ``c = crc32(site bytes)``;
    ``suma`` is the XOR of ``c`` rotated left by ``r mod 29``, ``sumb`` by ``r mod 31``.
    """
    from latticeml.io._kernels import CRC_TABLES, crc32_rows

    sites = np.ascontiguousarray(sites).view(np.uint8).reshape(len(sites), -1)
    if sys.byteorder == "little":
        crc = crc32_rows(sites, CRC_TABLES).astype(np.uint64)
    else:  # the kernel reads little-endian words
        crc = np.array([zlib.crc32(row) for row in sites], dtype=np.uint64)
    rank = np.arange(len(sites), dtype=np.uint64)

    def fold(mod: int) -> int:
        k = rank % np.uint64(mod)
        rot = ((crc << k) | (crc >> (np.uint64(32) - k))) & np.uint64(0xFFFFFFFF)
        return int(np.bitwise_xor.reduce(rot)) if rot.size else 0

    return fold(29), fold(31)
