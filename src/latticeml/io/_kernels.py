"""Numba kernels of the readers and writers (private; arrays in, arrays or numbers out).

Their slow, obviously correct twins: :func:`latticeml.observables.wilson.unitarity_violation`
for :func:`group_violation`, :func:`zlib.crc32` for :func:`crc32_rows` (tests/io compare them).
"""

from __future__ import annotations

import numpy as np

from latticeml._numba import jit


def _crc_tables() -> np.ndarray:
    """Slice-by-8 tables of the reflected CRC-32 polynomial 0xEDB88320 (zlib's)."""
    t = np.zeros((8, 256), np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        t[0, i] = c
    for k in range(1, 8):
        t[k] = (t[k - 1] >> 8) ^ t[0][t[k - 1] & 0xFF]
    return t


CRC_TABLES = _crc_tables()


@jit
def crc32_rows(data: np.ndarray, tables: np.ndarray) -> np.ndarray:
    """Return the CRC-32 (zlib's) of every row of ``data`` (M, B) uint8, slice-by-8."""
    out = np.empty(data.shape[0], np.uint32)
    nbytes = data.shape[1]
    for m in range(data.shape[0]):
        row = data[m]
        c = np.uint32(0xFFFFFFFF)
        i = 0
        while i + 8 <= nbytes:
            lo = c ^ (np.uint32(row[i]) | (np.uint32(row[i + 1]) << np.uint32(8))
                      | (np.uint32(row[i + 2]) << np.uint32(16))
                      | (np.uint32(row[i + 3]) << np.uint32(24)))
            c = (tables[7, lo & 0xFF] ^ tables[6, (lo >> 8) & 0xFF]
                 ^ tables[5, (lo >> 16) & 0xFF] ^ tables[4, lo >> 24]
                 ^ tables[3, row[i + 4]] ^ tables[2, row[i + 5]]
                 ^ tables[1, row[i + 6]] ^ tables[0, row[i + 7]])
            i += 8
        while i < nbytes:
            c = tables[0, (c ^ row[i]) & 0xFF] ^ (c >> np.uint32(8))
            i += 1
        out[m] = c ^ np.uint32(0xFFFFFFFF)
    return out


@jit
def group_violation(u: np.ndarray) -> tuple[float, float]:
    """Return ``max |U U^dagger - 1|`` and ``max |det U - 1|`` of ``u`` (M, N, N), N = 2, 3.

    One pass in real arithmetic, no temporaries; a non-finite entry gives ``inf``.
    """
    unit2 = 0.0
    det2 = 0.0
    n = u.shape[1]
    for m in range(u.shape[0]):
        a = u[m]
        for i in range(n):
            for j in range(i, n):
                re = 0.0
                im = 0.0
                for k in range(n):
                    x = a[i, k]
                    y = a[j, k]
                    re += x.real * y.real + x.imag * y.imag
                    im += x.imag * y.real - x.real * y.imag
                if i == j:
                    re -= 1.0
                e = re * re + im * im
                if not e <= unit2:  # NaN included
                    unit2 = e if e == e else np.inf
        if n == 2:
            d = a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]
        else:
            d = (a[0, 0] * (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1])
                 - a[0, 1] * (a[1, 0] * a[2, 2] - a[1, 2] * a[2, 0])
                 + a[0, 2] * (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0]))
        e = (d.real - 1.0) ** 2 + d.imag ** 2
        if not e <= det2:
            det2 = e if e == e else np.inf
    return np.sqrt(unit2), np.sqrt(det2)


@jit
def plaquette_sum(u: np.ndarray) -> float:
    """Return ``sum Re Tr U_p`` over sites and planes ``mu < nu`` of 4D links, no temporaries.

    ``u`` has shape ``(L0, L1, L2, L3, 4, N, N)``; periodic boundaries.
    """
    l0, l1, l2, l3 = u.shape[0], u.shape[1], u.shape[2], u.shape[3]
    n = u.shape[5]
    a = np.empty((n, n), np.complex128)
    b = np.empty((n, n), np.complex128)
    ext = np.array([l0, l1, l2, l3])
    x = np.empty(4, np.int64)
    y = np.empty(4, np.int64)
    z = np.empty(4, np.int64)
    total = 0.0
    for x0 in range(l0):
        for x1 in range(l1):
            for x2 in range(l2):
                for x3 in range(l3):
                    x[0], x[1], x[2], x[3] = x0, x1, x2, x3
                    for mu in range(4):
                        for nu in range(mu + 1, 4):
                            y[:] = x  # x + mu
                            y[mu] = (y[mu] + 1) % ext[mu]
                            z[:] = x  # x + nu
                            z[nu] = (z[nu] + 1) % ext[nu]
                            umu = u[x[0], x[1], x[2], x[3], mu]
                            unu_y = u[y[0], y[1], y[2], y[3], nu]
                            umu_z = u[z[0], z[1], z[2], z[3], mu]
                            unu = u[x[0], x[1], x[2], x[3], nu]
                            # a = U_mu(x) U_nu(x+mu); b = U_nu(x) U_mu(x+nu); Re Tr a b^dagger
                            for i in range(n):
                                for j in range(n):
                                    sa = 0j
                                    sb = 0j
                                    for k in range(n):
                                        sa += umu[i, k] * unu_y[k, j]
                                        sb += unu[i, k] * umu_z[k, j]
                                    a[i, j] = sa
                                    b[i, j] = sb
                            tr = 0.0
                            for i in range(n):
                                for j in range(n):
                                    tr += (a[i, j] * np.conj(b[i, j])).real
                            total += tr
    return total
