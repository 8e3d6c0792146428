"""Portable primitives of the gauge kernels: plain Numba, the API of :mod:`.simd`.

The ``scalar`` backend builds the SU(2) and SU(3) kernels (:func:`.su2.build`,
:func:`.su3.build`) from these functions instead of the LLVM-IR intrinsics of :mod:`.simd`:
same arguments, same tuple layouts (a quaternion is a 4-tuple, a 3x3 complex matrix a 24-tuple
of three rows ``(re0, im0, re1, im1, re2, im2, 0, 0)``), same arithmetic up to rounding. They
are ordinary Numba functions, so they compile for any CPU Numba targets (LLVM vectorises what
it can by itself) and run as Python with the JIT disabled.

They are *not* inlined at the Numba IR level (``inline="always"``), unlike the kernels' own
helpers: LLVM inlines these small functions by itself, so the kernels run as fast (and give the
same bytes), while the IR-level inlining of hundreds of tuple operations into every kernel made
the first compile of the SU(3) kernels 3x slower (one process, cold cache, 2026-12-07: 194 s
inlined, 66 s not; ``benchmarks/bench_gauge.py --backends scalar`` throughput unchanged within
its noise).

Arrays are C-contiguous float64 and offsets count float64 elements of the flat data, as in
:mod:`.simd`; :func:`prefetch` does nothing.
"""

from __future__ import annotations

import numpy as np

from latticeml._numba import jit

__all__ = [
    "load4",
    "add4",
    "qmul",
    "qmul_nc",
    "qmul_cn",
    "m3load",
    "m3mul_nn_mem",
    "m3mul_dn_mem",
    "m3dagger",
    "m3zero_buf",
    "m3acc_buf",
    "m3load_buf",
    "m3store_buf",
    "m3left01",
    "m3left02",
    "m3left12",
    "m3reunit",
    "prefetch",
    "reunit18",
    "qprod",
]


# --- quaternions (convention of latticeml.gauge._kernels.su2) -------------------------------
@jit
def load4(arr, off):
    """Load ``arr.flat[off:off + 4]`` as a 4-tuple."""
    f = arr.flat
    return f[off], f[off + 1], f[off + 2], f[off + 3]


@jit
def add4(a, b):
    """Lane-wise sum of two 4-tuples."""
    return a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]


@jit
def qprod(a0, a1, a2, a3, b0, b1, b2, b3):
    """Quaternion product ``a b`` of eight components (used directly by the SU(2) kernels)."""
    return (
        a0 * b0 - a1 * b1 - a2 * b2 - a3 * b3,
        a0 * b1 + b0 * a1 - (a2 * b3 - a3 * b2),
        a0 * b2 + b0 * a2 - (a3 * b1 - a1 * b3),
        a0 * b3 + b0 * a3 - (a1 * b2 - a2 * b1),
    )


@jit
def qmul(a, b):
    """Quaternion product ``a b`` of two 4-tuples."""
    return qprod(a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3])


@jit
def qmul_nc(a, b):
    """Quaternion product ``a b^dagger``."""
    return qprod(a[0], a[1], a[2], a[3], b[0], -b[1], -b[2], -b[3])


@jit
def qmul_cn(a, b):
    """Quaternion product ``a^dagger b``."""
    return qprod(a[0], -a[1], -a[2], -a[3], b[0], b[1], b[2], b[3])


# --- 3x3 complex matrices as 24-tuples (rows of 8 lanes, 2 of them zero padding) ---------
@jit
def _unpack(m):
    """Nine complex entries (row-major) of a 24-tuple matrix."""
    return (
        complex(m[0], m[1]), complex(m[2], m[3]), complex(m[4], m[5]),
        complex(m[8], m[9]), complex(m[10], m[11]), complex(m[12], m[13]),
        complex(m[16], m[17]), complex(m[18], m[19]), complex(m[20], m[21]),
    )  # fmt: skip


@jit
def _pack(c):
    """24-tuple matrix of nine complex entries (row-major)."""
    return (
        c[0].real, c[0].imag, c[1].real, c[1].imag, c[2].real, c[2].imag, 0.0, 0.0,
        c[3].real, c[3].imag, c[4].real, c[4].imag, c[5].real, c[5].imag, 0.0, 0.0,
        c[6].real, c[6].imag, c[7].real, c[7].imag, c[8].real, c[8].imag, 0.0, 0.0,
    )  # fmt: skip


@jit
def _mem(arr, off):
    """Nine complex entries of the unpadded matrix at ``arr.flat[off:off + 18]``."""
    f = arr.flat
    return (
        complex(f[off], f[off + 1]), complex(f[off + 2], f[off + 3]),
        complex(f[off + 4], f[off + 5]), complex(f[off + 6], f[off + 7]),
        complex(f[off + 8], f[off + 9]), complex(f[off + 10], f[off + 11]),
        complex(f[off + 12], f[off + 13]), complex(f[off + 14], f[off + 15]),
        complex(f[off + 16], f[off + 17]),
    )  # fmt: skip


@jit
def _mm(a, b):
    """Product of two 3x3 matrices given as nine complex entries."""
    return (
        a[0] * b[0] + a[1] * b[3] + a[2] * b[6],
        a[0] * b[1] + a[1] * b[4] + a[2] * b[7],
        a[0] * b[2] + a[1] * b[5] + a[2] * b[8],
        a[3] * b[0] + a[4] * b[3] + a[5] * b[6],
        a[3] * b[1] + a[4] * b[4] + a[5] * b[7],
        a[3] * b[2] + a[4] * b[5] + a[5] * b[8],
        a[6] * b[0] + a[7] * b[3] + a[8] * b[6],
        a[6] * b[1] + a[7] * b[4] + a[8] * b[7],
        a[6] * b[2] + a[7] * b[5] + a[8] * b[8],
    )


@jit
def _dag(a):
    """Conjugate transpose of nine complex entries."""
    return (
        a[0].conjugate(), a[3].conjugate(), a[6].conjugate(),
        a[1].conjugate(), a[4].conjugate(), a[7].conjugate(),
        a[2].conjugate(), a[5].conjugate(), a[8].conjugate(),
    )  # fmt: skip


@jit
def m3load(arr, off):
    """Load the 3x3 complex matrix stored at ``arr.flat[off:off + 18]`` as a 24-tuple."""
    return _pack(_mem(arr, off))


@jit
def m3mul_nn_mem(arr, off, b):
    """Return ``A B``: ``A`` stored at ``arr.flat[off:off + 18]``, ``B`` a 24-tuple."""
    return _pack(_mm(_mem(arr, off), _unpack(b)))


@jit
def m3mul_dn_mem(arr, off, b):
    """Return ``A^dagger B``: ``A`` stored at ``arr.flat[off:]``, ``B`` a 24-tuple."""
    return _pack(_mm(_dag(_mem(arr, off)), _unpack(b)))


@jit
def m3dagger(a):
    """Conjugate transpose of a 24-tuple matrix."""
    return _pack(_dag(_unpack(a)))


@jit
def m3zero_buf(buf, off):
    """Set the padded matrix ``buf.flat[off:off + 24]`` to zero."""
    f = buf.flat
    for k in range(24):
        f[off + k] = 0.0


@jit
def m3acc_buf(buf, off, a):
    """``buf.flat[off:off + 24] += a`` for a 24-tuple matrix ``a``."""
    f = buf.flat
    for k in range(24):
        f[off + k] += a[k]


@jit
def m3load_buf(buf, off):
    """Load the padded matrix ``buf.flat[off:off + 24]`` as a 24-tuple."""
    f = buf.flat
    return (
        f[off], f[off + 1], f[off + 2], f[off + 3], f[off + 4], f[off + 5], f[off + 6],
        f[off + 7], f[off + 8], f[off + 9], f[off + 10], f[off + 11], f[off + 12], f[off + 13],
        f[off + 14], f[off + 15], f[off + 16], f[off + 17], f[off + 18], f[off + 19],
        f[off + 20], f[off + 21], f[off + 22], f[off + 23],
    )  # fmt: skip


@jit
def m3store_buf(buf, off, a):
    """Store the 24-tuple matrix ``a`` to ``buf.flat[off:off + 24]`` (padded rows)."""
    f = buf.flat
    for k in range(24):
        f[off + k] = a[k]


@jit
def _rotate(x0, x1, x2, y0, y1, y2, q0, q1, q2, q3):
    """Rows ``x``, ``y`` times ``[[q0 + i q3, q2 + i q1], [-q2 + i q1, q0 - i q3]]`` (left)."""
    a, b = complex(q0, q3), complex(q2, q1)
    c, d = complex(-q2, q1), complex(q0, -q3)
    return (a * x0 + b * y0, a * x1 + b * y1, a * x2 + b * y2,
            c * x0 + d * y0, c * x1 + d * y1, c * x2 + d * y2)  # fmt: skip


@jit
def m3left01(a, q0, q1, q2, q3):
    """Left-multiply a 24-tuple matrix by the SU(2) quaternion ``q`` in rows/columns 0, 1."""
    m = _unpack(a)
    x0, x1, x2, y0, y1, y2 = _rotate(m[0], m[1], m[2], m[3], m[4], m[5], q0, q1, q2, q3)
    return _pack((x0, x1, x2, y0, y1, y2, m[6], m[7], m[8]))


@jit
def m3left02(a, q0, q1, q2, q3):
    """Left-multiply a 24-tuple matrix by the SU(2) quaternion ``q`` in rows/columns 0, 2."""
    m = _unpack(a)
    x0, x1, x2, y0, y1, y2 = _rotate(m[0], m[1], m[2], m[6], m[7], m[8], q0, q1, q2, q3)
    return _pack((x0, x1, x2, m[3], m[4], m[5], y0, y1, y2))


@jit
def m3left12(a, q0, q1, q2, q3):
    """Left-multiply a 24-tuple matrix by the SU(2) quaternion ``q`` in rows/columns 1, 2."""
    m = _unpack(a)
    x0, x1, x2, y0, y1, y2 = _rotate(m[3], m[4], m[5], m[6], m[7], m[8], q0, q1, q2, q3)
    return _pack((m[0], m[1], m[2], x0, x1, x2, y0, y1, y2))


@jit
def reunit18(m):
    """Project an 18-tuple matrix onto SU(3).

    Gram-Schmidt of rows 0 and 1, then row 2 = conj(row 0 x row 1). An 18-tuple holds the
    (re, im) entries in row-major order, the memory layout of the links.
    """
    a0 = complex(m[0], m[1])
    a1 = complex(m[2], m[3])
    a2 = complex(m[4], m[5])
    b0 = complex(m[6], m[7])
    b1 = complex(m[8], m[9])
    b2 = complex(m[10], m[11])
    n = 1.0 / np.sqrt(
        m[0] * m[0] + m[1] * m[1] + m[2] * m[2] + m[3] * m[3] + m[4] * m[4] + m[5] * m[5]
    )
    a0, a1, a2 = a0 * n, a1 * n, a2 * n
    p = a0.conjugate() * b0 + a1.conjugate() * b1 + a2.conjugate() * b2
    b0, b1, b2 = b0 - p * a0, b1 - p * a1, b2 - p * a2
    n = 1.0 / np.sqrt(
        b0.real * b0.real + b0.imag * b0.imag
        + b1.real * b1.real + b1.imag * b1.imag
        + b2.real * b2.real + b2.imag * b2.imag
    )  # fmt: skip
    b0, b1, b2 = b0 * n, b1 * n, b2 * n
    c0 = (a1 * b2 - a2 * b1).conjugate()
    c1 = (a2 * b0 - a0 * b2).conjugate()
    c2 = (a0 * b1 - a1 * b0).conjugate()
    return (
        a0.real, a0.imag, a1.real, a1.imag, a2.real, a2.imag,
        b0.real, b0.imag, b1.real, b1.imag, b2.real, b2.imag,
        c0.real, c0.imag, c1.real, c1.imag, c2.real, c2.imag,
    )  # fmt: skip


@jit
def m3reunit(a):
    """Project a 24-tuple matrix onto SU(3) (as :func:`reunit18`)."""
    r = reunit18((
        a[0], a[1], a[2], a[3], a[4], a[5],
        a[8], a[9], a[10], a[11], a[12], a[13],
        a[16], a[17], a[18], a[19], a[20], a[21],
    ))  # fmt: skip
    return (
        r[0], r[1], r[2], r[3], r[4], r[5], 0.0, 0.0,
        r[6], r[7], r[8], r[9], r[10], r[11], 0.0, 0.0,
        r[12], r[13], r[14], r[15], r[16], r[17], 0.0, 0.0,
    )  # fmt: skip


# --- memory ---------------------------------------------------------------------------------
@jit
def prefetch(arr, off):
    """Do nothing (the SIMD backend's prefetch hint has no portable equivalent)."""
    return None
