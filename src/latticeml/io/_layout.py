"""Site orders, group checks and checksums shared by the formats (private)."""

from __future__ import annotations

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


def from_file_order(arr: np.ndarray) -> np.ndarray:
    """Return file-ordered links in this package's layout, native complex128 (one copy).

    ``(L_t, L_z, L_y, L_x, 4 [x, y, z, t], N, N)``, the ILDG and NERSC order (x fastest, links
    along x, y, z, t), becomes ``(L_t, L_x, L_y, L_z, 4 [t, x, y, z], N, N)``.
    """
    t = np.transpose(arr, (0, 3, 2, 1, 4, 5, 6))
    out = np.empty(t.shape, dtype=np.complex128)  # the one copy: byte order and layout at once
    for mu, d in enumerate(OUR_MU):
        out[..., mu, :, :] = t[..., d, :, :]
    return out


def to_file_order(links: np.ndarray) -> np.ndarray:
    """Return links in the ILDG/NERSC order: the inverse of :func:`from_file_order`."""
    return np.transpose(links, (0, 3, 2, 1, 4, 5, 6))[..., FILE_MU, :, :]


def mean_plaquette(links: np.ndarray) -> float:
    """``<(1/N) Re Tr U_p>`` over sites and planes ``mu < nu``.

    4D links go through a Numba kernel without temporaries (its twin:
    :func:`latticeml.observables.wilson.wilson_loops`); other shapes through ``wilson_loops``.
    """
    if links.ndim == 7 and links.shape[4] == 4 and links.dtype == np.complex128 \
            and links.flags.c_contiguous:
        from latticeml.io._kernels import plaquette_sum

        n = links.shape[-1]
        return plaquette_sum(links) / (6 * n * int(np.prod(links.shape[:4])))
    loops = wilson_loops(links, 1, 1)
    return float(np.sum(loops, dtype=np.float64)) / loops.size


def link_trace(links: np.ndarray) -> float:
    """``<(1/N) Re Tr U>`` over all links."""
    n = links.shape[-1]
    tr = np.trace(links, axis1=-2, axis2=-1).real
    return float(np.sum(tr, dtype=np.float64)) / (tr.size * n)


def check_group(path, links: np.ndarray, bits: int) -> float:
    """Refuse links that are not SU(N) within :data:`GROUP_TOL`; return the violation."""
    from latticeml.io._kernels import group_violation

    n = links.shape[-1]
    unit, det = group_violation(np.ascontiguousarray(links).reshape(-1, n, n))
    worst = max(unit, det) if np.isfinite(unit) and np.isfinite(det) else float("inf")
    if not worst <= GROUP_TOL[bits]:
        raise FileFormatError(path, f"links are not SU({links.shape[-1]}): max |U U^dagger - 1| "
                              f"= {unit:.1e}, max |det U - 1| = {det:.1e} (tolerance "
                              f"{GROUP_TOL[bits]:.0e} for {bits}-bit data); wrong shape, group, "
                              "precision or endianness?")
    return worst


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
    crc = crc32_rows(sites, CRC_TABLES).astype(np.uint64)
    rank = np.arange(len(sites), dtype=np.uint64)

    def fold(mod: int) -> int:
        k = rank % np.uint64(mod)
        rot = ((crc << k) | (crc >> (np.uint64(32) - k))) & np.uint64(0xFFFFFFFF)
        return int(np.bitwise_xor.reduce(rot)) if rot.size else 0

    return fold(29), fold(31)
