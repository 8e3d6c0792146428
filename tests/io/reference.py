"""Slow, obviously correct writers and readers written from the format descriptions.

One ``struct`` call per complex number, loops over sites in the order each format states; the
vectorised readers and writers of ``latticeml.io`` must agree with them byte for byte.
"""

from __future__ import annotations

import struct

import numpy as np

#: The file directions x, y, z, t of ILDG and NERSC as this package's mu (t = 0).
OUR_MU = {"x": 1, "y": 2, "z": 3, "t": 0}


def ildg_binary(links: np.ndarray, fmt: str = ">dd") -> bytes:
    """ILDG binary data: sites t, z, y, x (x fastest), links x, y, z, t, row-major."""
    lt, lx, ly, lz, _, n, _ = links.shape
    out = bytearray()
    for t in range(lt):
        for z in range(lz):
            for y in range(ly):
                for x in range(lx):
                    for d in "xyzt":
                        u = links[t, x, y, z, OUR_MU[d]]
                        for i in range(n):
                            for j in range(n):
                                out += struct.pack(fmt, u[i, j].real, u[i, j].imag)
    return bytes(out)


def nersc_binary(links: np.ndarray, rows: int, fmt: str = ">dd") -> bytes:
    """NERSC data: the ILDG order, the first ``rows`` rows of each matrix."""
    lt, lx, ly, lz, _, n, _ = links.shape
    out = bytearray()
    for t in range(lt):
        for z in range(lz):
            for y in range(ly):
                for x in range(lx):
                    for d in "xyzt":
                        u = links[t, x, y, z, OUR_MU[d]]
                        for i in range(rows):
                            for j in range(n):
                                out += struct.pack(fmt, u[i, j].real, u[i, j].imag)
    return bytes(out)


def openqcd_binary(links: np.ndarray) -> bytes:
    """openQCD data: odd sites (x3 fastest), U(x, mu) and U(x - mu^, mu) for mu = 0..3."""
    shape = links.shape[:4]
    n = links.shape[-1]
    out = bytearray()
    for x0 in range(shape[0]):
        for x1 in range(shape[1]):
            for x2 in range(shape[2]):
                for x3 in range(shape[3]):
                    if (x0 + x1 + x2 + x3) % 2 == 0:
                        continue
                    x = [x0, x1, x2, x3]
                    for mu in range(4):
                        back = list(x)
                        back[mu] = (back[mu] - 1) % shape[mu]
                        for site in (x, back):
                            u = links[tuple(site) + (mu,)]
                            for i in range(n):
                                for j in range(n):
                                    out += struct.pack("<dd", u[i, j].real, u[i, j].imag)
    return bytes(out)


def read_ildg_site(data: bytes, shape: tuple[int, ...], n: int, t: int, x: int, y: int,
                   z: int) -> np.ndarray:
    """The four links (this package's mu order) of one site of big-endian complex128 data."""
    lt, lx, ly, lz = shape
    site = ((t * lz + z) * ly + y) * lx + x
    per = 4 * n * n * 16
    out = np.empty((4, n, n), complex)
    for k, d in enumerate("xyzt"):
        for i in range(n):
            for j in range(n):
                off = site * per + ((k * n + i) * n + j) * 16
                re, im = struct.unpack(">dd", data[off:off + 16])
                out[OUR_MU[d], i, j] = complex(re, im)
    return out
