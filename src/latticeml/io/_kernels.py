"""Numba kernels of the readers and writers (private; arrays in, arrays or numbers out).

All are parallel (``prange``) and deterministic: partial results are kept per block and
combined in a fixed order, so the numbers do not depend on the thread count. Their slow,
obviously correct twins (tests/io compare them):
:func:`latticeml.observables.wilson.unitarity_violation` and ``numpy.trace`` for
:func:`link_checks`,
:func:`zlib.crc32` for :func:`crc32_rows`,
:func:`latticeml.observables.wilson.wilson_loops` for :func:`plaquette_sum`, NumPy's
``transpose`` and ``byteswap`` for :func:`reorder_words`.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from latticeml._numba import jit_inline, pjit


def _crc_tables() -> np.ndarray:
    """Slice-by-16 tables of the reflected CRC-32 polynomial 0xEDB88320 (zlib's)."""
    t = np.zeros((16, 256), np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        t[0, i] = c
    for k in range(1, 16):
        t[k] = (t[k - 1] >> 8) ^ t[0][t[k - 1] & 0xFF]
    return t


CRC_TABLES = _crc_tables()


@pjit
def crc32_rows(data: np.ndarray, tables: np.ndarray) -> np.ndarray:
    """Return the CRC-32 (zlib's) of every row of ``data`` (M, B) uint8.

    Slice-by-16: rows are read as little-endian 32-bit words, 16 bytes per step (the caller
    passes contiguous rows, on a little-endian machine); the tail byte by byte.
    """
    m_total, nbytes = data.shape
    out = np.empty(m_total, np.uint32)
    n16 = nbytes // 16
    for m in prange(m_total):
        row = data[m]
        w = row[:16 * n16].view(np.uint32)
        c = np.uint32(0xFFFFFFFF)
        for h in range(0, 4 * n16, 4):
            a = c ^ w[h]
            b = w[h + 1]
            d = w[h + 2]
            e = w[h + 3]
            c = (tables[15, a & 0xFF] ^ tables[14, (a >> 8) & 0xFF]
                 ^ tables[13, (a >> 16) & 0xFF] ^ tables[12, a >> 24]
                 ^ tables[11, b & 0xFF] ^ tables[10, (b >> 8) & 0xFF]
                 ^ tables[9, (b >> 16) & 0xFF] ^ tables[8, b >> 24]
                 ^ tables[7, d & 0xFF] ^ tables[6, (d >> 8) & 0xFF]
                 ^ tables[5, (d >> 16) & 0xFF] ^ tables[4, d >> 24]
                 ^ tables[3, e & 0xFF] ^ tables[2, (e >> 8) & 0xFF]
                 ^ tables[1, (e >> 16) & 0xFF] ^ tables[0, e >> 24])
        for i in range(16 * n16, nbytes):
            c = tables[0, (c ^ row[i]) & 0xFF] ^ (c >> np.uint32(8))
        out[m] = c ^ np.uint32(0xFFFFFFFF)
    return out


@jit_inline
def _check_link(a: np.ndarray, unit2: float, det2: float) -> tuple[float, float, float]:
    """Fold one matrix into the running ``max |a a^dagger - 1|^2`` and ``max |det a - 1|^2``.

    Returns the updated maxima (a NaN makes them ``inf``) and ``Re Tr a``.
    """
    n = a.shape[0]
    tr = 0.0
    for i in range(n):
        tr += a[i, i].real
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
    return unit2, det2, tr


@pjit
def link_checks(u: np.ndarray) -> tuple[float, float, float]:
    """Return ``max |U U^dagger - 1|``, ``max |det U - 1|`` and ``sum Re Tr U`` of ``u``.

    ``u`` is ``(M, N, N)``, N = 2, 3. One pass in real arithmetic, no temporaries beyond
    three numbers per block (combined in order); a non-finite entry gives ``inf``.
    """
    m_total = u.shape[0]
    blocks = min(m_total, 1024)
    unit = np.zeros(blocks)
    det = np.zeros(blocks)
    trace = np.zeros(blocks)
    for blk in prange(blocks):
        unit2 = 0.0
        det2 = 0.0
        tr = 0.0
        for m in range(blk * m_total // blocks, (blk + 1) * m_total // blocks):
            unit2, det2, t = _check_link(u[m], unit2, det2)
            tr += t
        unit[blk] = unit2
        det[blk] = det2
        trace[blk] = tr
    unit2 = 0.0
    det2 = 0.0
    tr = 0.0
    for blk in range(blocks):
        unit2 = max(unit2, unit[blk])
        det2 = max(det2, det[blk])
        tr += trace[blk]
    return np.sqrt(unit2), np.sqrt(det2), tr


@pjit
def plaquette_sum(u: np.ndarray, checks: bool) -> tuple[float, float, float, float]:
    """Return ``sum Re Tr U_p`` over sites and planes ``mu < nu`` of 4D links, and the checks.

    ``u`` has shape ``(L0, L1, L2, L3, 4, N, N)``; periodic boundaries. With
    ``A = U_mu(x) U_nu(x+mu)`` and ``B = U_nu(x) U_mu(x+nu)``, ``Re Tr U_p = Re sum_ij A_ij
    conj(B_ij)``, accumulated entry by entry (no temporaries). The same pass returns what
    :func:`link_checks` returns: ``max |U U^dagger - 1|`` and ``max |det U - 1|`` (zeros
    unless ``checks``) and ``sum Re Tr U``. Partial results per ``(x0, x1)`` slice, combined
    in order: nothing depends on the thread count.
    """
    l0, l1, l2, l3 = u.shape[0], u.shape[1], u.shape[2], u.shape[3]
    n = u.shape[5]
    partial = np.zeros((l0 * l1, 4))
    for s01 in prange(l0 * l1):
        x0 = s01 // l1
        x1 = s01 % l1
        total = 0.0
        unit2 = 0.0
        det2 = 0.0
        trace = 0.0
        for x2 in range(l2):
            for x3 in range(l3):
                here = u[x0, x1, x2, x3]
                fwd = (u[(x0 + 1) % l0, x1, x2, x3], u[x0, (x1 + 1) % l1, x2, x3],
                       u[x0, x1, (x2 + 1) % l2, x3], u[x0, x1, x2, (x3 + 1) % l3])
                for mu in range(4):
                    umu = here[mu]
                    if checks:
                        unit2, det2, t = _check_link(umu, unit2, det2)
                        trace += t
                    else:
                        t = 0.0
                        for i in range(n):
                            t += umu[i, i].real
                        trace += t
                    for nu in range(mu + 1, 4):
                        unu = here[nu]
                        unu_y = fwd[mu][nu]  # U_nu(x + mu)
                        umu_z = fwd[nu][mu]  # U_mu(x + nu)
                        for i in range(n):
                            for j in range(n):
                                ar = 0.0
                                ai = 0.0
                                br = 0.0
                                bi = 0.0
                                for k in range(n):
                                    p = umu[i, k]
                                    q = unu_y[k, j]
                                    ar += p.real * q.real - p.imag * q.imag
                                    ai += p.real * q.imag + p.imag * q.real
                                    p = unu[i, k]
                                    q = umu_z[k, j]
                                    br += p.real * q.real - p.imag * q.imag
                                    bi += p.real * q.imag + p.imag * q.real
                                total += ar * br + ai * bi
        partial[s01, 0] = total
        partial[s01, 1] = unit2
        partial[s01, 2] = det2
        partial[s01, 3] = trace
    total = 0.0
    unit2 = 0.0
    det2 = 0.0
    trace = 0.0
    for s01 in range(l0 * l1):
        total += partial[s01, 0]
        unit2 = max(unit2, partial[s01, 1])
        det2 = max(det2, partial[s01, 2])
        trace += partial[s01, 3]
    return total, np.sqrt(unit2), np.sqrt(det2), trace


@jit_inline
def _bswap64(v: np.uint64) -> np.uint64:
    """Return the 64-bit word with its bytes reversed (LLVM emits one ``bswap``)."""
    return (((v & np.uint64(0xFF)) << np.uint64(56))
            | ((v & np.uint64(0xFF00)) << np.uint64(40))
            | ((v & np.uint64(0xFF0000)) << np.uint64(24))
            | ((v & np.uint64(0xFF000000)) << np.uint64(8))
            | ((v >> np.uint64(8)) & np.uint64(0xFF000000))
            | ((v >> np.uint64(24)) & np.uint64(0xFF0000))
            | ((v >> np.uint64(40)) & np.uint64(0xFF00))
            | (v >> np.uint64(56)))


@pjit
def file_to_ours(file: np.ndarray, ours: np.ndarray, dirs: np.ndarray, swap: bool) -> int:
    """Copy file-ordered 64-bit words into this package's site order, swapping bytes if asked.

    ``file`` is ``(L_t, L_z, L_y, L_x, 4, K)`` uint64 (x fastest, the file's directions; may be
    read-only), ``ours`` is ``(L_t, L_x, L_y, L_z, 4, K')`` uint64, ``K' >= K``, and receives
    ``ours[t, x, y, z, mu, :K] = file[t, z, y, x, dirs[mu]]`` (a file of two rows fills the
    first two rows). Returns the sum mod 2^32 of the 32-bit halves of the native words: the
    NERSC checksum of 64-bit data.
    """
    lt, lz, ly, lx, _, k = file.shape
    partial = np.zeros(lt * lz, np.uint64)
    mask = np.uint64(0xFFFFFFFF)
    for tz in prange(lt * lz):
        t = tz // lz
        z = tz % lz
        acc = np.uint64(0)
        for y in range(ly):
            for x in range(lx):
                for mu in range(4):
                    src = file[t, z, y, x, dirs[mu]]
                    dst = ours[t, x, y, z, mu]
                    for i in range(k):
                        v = _bswap64(src[i]) if swap else src[i]
                        dst[i] = v
                        acc += (v & mask) + (v >> np.uint64(32))
        partial[tz] = acc
    total = np.uint64(0)
    for tz in range(lt * lz):
        total += partial[tz]
    return int(total & mask)


@pjit
def ours_to_file(ours: np.ndarray, file: np.ndarray, dirs: np.ndarray, swap: bool) -> int:
    """Copy this package's 64-bit words into the file's site order: :func:`file_to_ours` undone.

    The first ``K`` words of each link (``file``'s last extent; two rows of three when ``K`` is
    12 of 18) are copied. Returns the sum mod 2^32 of the 32-bit halves of the native words
    copied (the NERSC checksum).
    """
    lt, lz, ly, lx, _, k = file.shape
    partial = np.zeros(lt * lz, np.uint64)
    mask = np.uint64(0xFFFFFFFF)
    for tz in prange(lt * lz):
        t = tz // lz
        z = tz % lz
        acc = np.uint64(0)
        for y in range(ly):
            for x in range(lx):
                for mu in range(4):
                    src = ours[t, x, y, z, mu]
                    dst = file[t, z, y, x, dirs[mu]]
                    for i in range(k):
                        v = src[i]
                        dst[i] = _bswap64(v) if swap else v
                        acc += (v & mask) + (v >> np.uint64(32))
        partial[tz] = acc
    total = np.uint64(0)
    for tz in range(lt * lz):
        total += partial[tz]
    return int(total & mask)


@jit_inline
def _backward_site(x0: int, x1: int, x2: int, x3: int, mu: int, l0: int, l1: int, l2: int,
                   l3: int) -> tuple[int, int, int, int]:
    """Return the site ``x - mu^`` (periodic)."""
    return ((x0 - 1) % l0 if mu == 0 else x0, (x1 - 1) % l1 if mu == 1 else x1,
            (x2 - 1) % l2 if mu == 2 else x2, (x3 - 1) % l3 if mu == 3 else x3)


@pjit
def openqcd_to_ours(file: np.ndarray, ours: np.ndarray) -> None:
    """Copy openQCD's odd-site order of 64-bit words into this package's layout.

    ``file`` is ``(V / 2, 8, K)`` uint64 (may be read-only): for every odd site x (x3
    fastest) the links ``U(x, 0), U(x - 0^, 0), ..., U(x - 3^, 3)``; ``ours`` is ``(L0, L1,
    L2, L3, 4, K)`` uint64. Extents are even, so every ``x0`` slice holds ``L1 L2 L3 / 2``
    odd sites and the slices run in parallel.
    """
    l0, l1, l2, l3, _, k = ours.shape
    half = l1 * l2 * l3 // 2
    for s0 in prange(l0):
        x0 = np.int64(s0)  # a prange index may be unsigned
        r = x0 * half
        for x1 in range(l1):
            for x2 in range(l2):
                for x3 in range(l3):
                    if (x0 + x1 + x2 + x3) % 2 == 0:
                        continue
                    for mu in range(4):
                        b0, b1, b2, b3 = _backward_site(x0, x1, x2, x3, mu, l0, l1, l2, l3)
                        fwd = file[r, 2 * mu]
                        bwd = file[r, 2 * mu + 1]
                        here = ours[x0, x1, x2, x3, mu]
                        back = ours[b0, b1, b2, b3, mu]
                        for i in range(k):
                            here[i] = fwd[i]
                            back[i] = bwd[i]
                    r += 1


@pjit
def ours_to_openqcd(ours: np.ndarray, file: np.ndarray) -> None:
    """Copy this package's 64-bit words into openQCD's order: :func:`openqcd_to_ours` undone."""
    l0, l1, l2, l3, _, k = ours.shape
    half = l1 * l2 * l3 // 2
    for s0 in prange(l0):
        x0 = np.int64(s0)  # a prange index may be unsigned
        r = x0 * half
        for x1 in range(l1):
            for x2 in range(l2):
                for x3 in range(l3):
                    if (x0 + x1 + x2 + x3) % 2 == 0:
                        continue
                    for mu in range(4):
                        b0, b1, b2, b3 = _backward_site(x0, x1, x2, x3, mu, l0, l1, l2, l3)
                        fwd = file[r, 2 * mu]
                        bwd = file[r, 2 * mu + 1]
                        here = ours[x0, x1, x2, x3, mu]
                        back = ours[b0, b1, b2, b3, mu]
                        for i in range(k):
                            fwd[i] = here[i]
                            bwd[i] = back[i]
                    r += 1


@pjit
def third_rows(u: np.ndarray) -> None:
    """Set the third row of every SU(3) matrix of ``u`` (M, 3, 3) to ``conj(row_1 x row_2)``."""
    for m in prange(u.shape[0]):
        a = u[m]
        a[2, 0] = np.conj(a[0, 1] * a[1, 2] - a[0, 2] * a[1, 1])
        a[2, 1] = np.conj(a[0, 2] * a[1, 0] - a[0, 0] * a[1, 2])
        a[2, 2] = np.conj(a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0])
