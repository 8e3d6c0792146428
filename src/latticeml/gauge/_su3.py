"""SU(3) kernels: staples, Cabibbo-Marinari heat bath and overrelaxation, Metropolis.

Internal layout: float64 ``(V, D, 18)``, a zero-copy view of the complex128 contract layout
``(*shape, D, 3, 3)``: element ``(i, j)`` has its real part at ``2 (3 i + j)`` and its
imaginary part right after. Inside the kernels a matrix is an 18-tuple of floats, so 3x3
products are fully unrolled real scalar code (chains of multiply-adds that the ``contract``
option fuses into FMAs) with no temporary arrays.

Updates of the link ``U = U_mu(x)`` with staple sum ``A`` (local action
``-(beta/3) Re Tr(U A)``), with ``W = U A``:

* heat bath (Cabibbo-Marinari): for the SU(2) subgroups (0,1), (0,2), (1,2) in turn, project the
  2x2 block ``w`` of ``W`` onto ``k V`` (``V`` in SU(2)), draw ``X`` from
  ``exp((2 beta k / 3) x0) dX`` with the SU(2) sampler of :mod:`latticeml.gauge._su2`, and
  left-multiply ``U`` and ``W`` by the embedded ``R = X V^dagger``.
* overrelaxation: the same subgroup sequence with ``R = (V^dagger)^2``, which leaves
  ``Re Tr(U A)`` unchanged (microcanonical).
* Metropolis: ``hits`` proposals ``U -> X U``, ``X = R_01 S_02 T_12`` (each factor
  ``exp(i eps r.s)``, ``r`` uniform in ``[-1, 1]**3``, embedded in its subgroup), replaced by
  ``X^dagger`` with probability 1/2 so that the proposal set is symmetric.

Every updated link is reunitarised (Gram-Schmidt of the first two rows, third row = conjugate
cross product) right after its update.

Staples are products of SU(3) matrices: only their rows 0 and 1 are multiplied out, row 2 is the
conjugate cross product of those (see ``_staple``). This changes the rounding of the staple sum
at the 1e-15 level compared with full 3x3 products, so chains differ in their last bits from
versions before this change (the random-number scheme is unchanged).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from latticeml._numba import jit_fma, jit_inline, pjit
from latticeml.gauge._rng import HOT_START_SWEEP, link_key, normal_pair, substep_key, uniform
from latticeml.gauge._su2 import (
    KIND_HEATBATH,
    KIND_METROPOLIS,
    KIND_OVERRELAX,
    _heatbath_su2,
    _proposal_su2,
)

__all__: list[str] = []

_CHUNK = 64
_U0 = np.uint64(0)
_U1 = np.uint64(1)
_IDENTITY = (
    1.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 1.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 1.0, 0.0,
)  # fmt: skip


@jit_inline
def _mul_nn(a, b):
    """Return ``a b`` for 3x3 complex matrices as 18-tuples (re, im) in row-major order."""
    return (
        a[0] * b[0] - a[1] * b[1] + a[2] * b[6] - a[3] * b[7] + a[4] * b[12] - a[5] * b[13],
        a[0] * b[1] + a[1] * b[0] + a[2] * b[7] + a[3] * b[6] + a[4] * b[13] + a[5] * b[12],
        a[0] * b[2] - a[1] * b[3] + a[2] * b[8] - a[3] * b[9] + a[4] * b[14] - a[5] * b[15],
        a[0] * b[3] + a[1] * b[2] + a[2] * b[9] + a[3] * b[8] + a[4] * b[15] + a[5] * b[14],
        a[0] * b[4] - a[1] * b[5] + a[2] * b[10] - a[3] * b[11] + a[4] * b[16] - a[5] * b[17],
        a[0] * b[5] + a[1] * b[4] + a[2] * b[11] + a[3] * b[10] + a[4] * b[17] + a[5] * b[16],
        a[6] * b[0] - a[7] * b[1] + a[8] * b[6] - a[9] * b[7] + a[10] * b[12] - a[11] * b[13],
        a[6] * b[1] + a[7] * b[0] + a[8] * b[7] + a[9] * b[6] + a[10] * b[13] + a[11] * b[12],
        a[6] * b[2] - a[7] * b[3] + a[8] * b[8] - a[9] * b[9] + a[10] * b[14] - a[11] * b[15],
        a[6] * b[3] + a[7] * b[2] + a[8] * b[9] + a[9] * b[8] + a[10] * b[15] + a[11] * b[14],
        a[6] * b[4] - a[7] * b[5] + a[8] * b[10] - a[9] * b[11] + a[10] * b[16] - a[11] * b[17],
        a[6] * b[5] + a[7] * b[4] + a[8] * b[11] + a[9] * b[10] + a[10] * b[17] + a[11] * b[16],
        a[12] * b[0] - a[13] * b[1] + a[14] * b[6] - a[15] * b[7] + a[16] * b[12] - a[17] * b[13],
        a[12] * b[1] + a[13] * b[0] + a[14] * b[7] + a[15] * b[6] + a[16] * b[13] + a[17] * b[12],
        a[12] * b[2] - a[13] * b[3] + a[14] * b[8] - a[15] * b[9] + a[16] * b[14] - a[17] * b[15],
        a[12] * b[3] + a[13] * b[2] + a[14] * b[9] + a[15] * b[8] + a[16] * b[15] + a[17] * b[14],
        a[12] * b[4] - a[13] * b[5] + a[14] * b[10] - a[15] * b[11] + a[16] * b[16] - a[17] * b[17],
        a[12] * b[5] + a[13] * b[4] + a[14] * b[11] + a[15] * b[10] + a[16] * b[17] + a[17] * b[16],
    )  # fmt: skip


@jit_inline
def _mul_nd(a, b):
    """Return ``a b^dagger`` for 3x3 complex matrices as 18-tuples (re, im) in row-major order."""
    return (
        a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] + a[4] * b[4] + a[5] * b[5],
        a[1] * b[0] - a[0] * b[1] + a[3] * b[2] - a[2] * b[3] + a[5] * b[4] - a[4] * b[5],
        a[0] * b[6] + a[1] * b[7] + a[2] * b[8] + a[3] * b[9] + a[4] * b[10] + a[5] * b[11],
        a[1] * b[6] - a[0] * b[7] + a[3] * b[8] - a[2] * b[9] + a[5] * b[10] - a[4] * b[11],
        a[0] * b[12] + a[1] * b[13] + a[2] * b[14] + a[3] * b[15] + a[4] * b[16] + a[5] * b[17],
        a[1] * b[12] - a[0] * b[13] + a[3] * b[14] - a[2] * b[15] + a[5] * b[16] - a[4] * b[17],
        a[6] * b[0] + a[7] * b[1] + a[8] * b[2] + a[9] * b[3] + a[10] * b[4] + a[11] * b[5],
        a[7] * b[0] - a[6] * b[1] + a[9] * b[2] - a[8] * b[3] + a[11] * b[4] - a[10] * b[5],
        a[6] * b[6] + a[7] * b[7] + a[8] * b[8] + a[9] * b[9] + a[10] * b[10] + a[11] * b[11],
        a[7] * b[6] - a[6] * b[7] + a[9] * b[8] - a[8] * b[9] + a[11] * b[10] - a[10] * b[11],
        a[6] * b[12] + a[7] * b[13] + a[8] * b[14] + a[9] * b[15] + a[10] * b[16] + a[11] * b[17],
        a[7] * b[12] - a[6] * b[13] + a[9] * b[14] - a[8] * b[15] + a[11] * b[16] - a[10] * b[17],
        a[12] * b[0] + a[13] * b[1] + a[14] * b[2] + a[15] * b[3] + a[16] * b[4] + a[17] * b[5],
        a[13] * b[0] - a[12] * b[1] + a[15] * b[2] - a[14] * b[3] + a[17] * b[4] - a[16] * b[5],
        a[12] * b[6] + a[13] * b[7] + a[14] * b[8] + a[15] * b[9] + a[16] * b[10] + a[17] * b[11],
        a[13] * b[6] - a[12] * b[7] + a[15] * b[8] - a[14] * b[9] + a[17] * b[10] - a[16] * b[11],
        a[12] * b[12] + a[13] * b[13] + a[14] * b[14]
        + a[15] * b[15] + a[16] * b[16] + a[17] * b[17],
        a[13] * b[12] - a[12] * b[13] + a[15] * b[14]
        - a[14] * b[15] + a[17] * b[16] - a[16] * b[17],
    )  # fmt: skip


@jit_inline
def _mul_dn(a, b):
    """Return ``a^dagger b`` for 3x3 complex matrices as 18-tuples (re, im) in row-major order."""
    return (
        a[0] * b[0] + a[1] * b[1] + a[6] * b[6] + a[7] * b[7] + a[12] * b[12] + a[13] * b[13],
        a[0] * b[1] - a[1] * b[0] + a[6] * b[7] - a[7] * b[6] + a[12] * b[13] - a[13] * b[12],
        a[0] * b[2] + a[1] * b[3] + a[6] * b[8] + a[7] * b[9] + a[12] * b[14] + a[13] * b[15],
        a[0] * b[3] - a[1] * b[2] + a[6] * b[9] - a[7] * b[8] + a[12] * b[15] - a[13] * b[14],
        a[0] * b[4] + a[1] * b[5] + a[6] * b[10] + a[7] * b[11] + a[12] * b[16] + a[13] * b[17],
        a[0] * b[5] - a[1] * b[4] + a[6] * b[11] - a[7] * b[10] + a[12] * b[17] - a[13] * b[16],
        a[2] * b[0] + a[3] * b[1] + a[8] * b[6] + a[9] * b[7] + a[14] * b[12] + a[15] * b[13],
        a[2] * b[1] - a[3] * b[0] + a[8] * b[7] - a[9] * b[6] + a[14] * b[13] - a[15] * b[12],
        a[2] * b[2] + a[3] * b[3] + a[8] * b[8] + a[9] * b[9] + a[14] * b[14] + a[15] * b[15],
        a[2] * b[3] - a[3] * b[2] + a[8] * b[9] - a[9] * b[8] + a[14] * b[15] - a[15] * b[14],
        a[2] * b[4] + a[3] * b[5] + a[8] * b[10] + a[9] * b[11] + a[14] * b[16] + a[15] * b[17],
        a[2] * b[5] - a[3] * b[4] + a[8] * b[11] - a[9] * b[10] + a[14] * b[17] - a[15] * b[16],
        a[4] * b[0] + a[5] * b[1] + a[10] * b[6] + a[11] * b[7] + a[16] * b[12] + a[17] * b[13],
        a[4] * b[1] - a[5] * b[0] + a[10] * b[7] - a[11] * b[6] + a[16] * b[13] - a[17] * b[12],
        a[4] * b[2] + a[5] * b[3] + a[10] * b[8] + a[11] * b[9] + a[16] * b[14] + a[17] * b[15],
        a[4] * b[3] - a[5] * b[2] + a[10] * b[9] - a[11] * b[8] + a[16] * b[15] - a[17] * b[14],
        a[4] * b[4] + a[5] * b[5] + a[10] * b[10] + a[11] * b[11] + a[16] * b[16] + a[17] * b[17],
        a[4] * b[5] - a[5] * b[4] + a[10] * b[11] - a[11] * b[10] + a[16] * b[17] - a[17] * b[16],
    )  # fmt: skip


@jit_inline
def _mul_nd_r01(a, b):
    """Rows 0, 1 of ``a b^dagger`` (12-tuple; only rows 0, 1 of ``a`` are read)."""
    return (
        a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] + a[4] * b[4] + a[5] * b[5],
        -a[0] * b[1] + a[1] * b[0] - a[2] * b[3] + a[3] * b[2] - a[4] * b[5] + a[5] * b[4],
        a[0] * b[6] + a[1] * b[7] + a[2] * b[8] + a[3] * b[9] + a[4] * b[10] + a[5] * b[11],
        -a[0] * b[7] + a[1] * b[6] - a[2] * b[9] + a[3] * b[8] - a[4] * b[11] + a[5] * b[10],
        a[0] * b[12] + a[1] * b[13] + a[2] * b[14] + a[3] * b[15] + a[4] * b[16] + a[5] * b[17],
        -a[0] * b[13] + a[1] * b[12] - a[2] * b[15] + a[3] * b[14] - a[4] * b[17] + a[5] * b[16],
        a[6] * b[0] + a[7] * b[1] + a[8] * b[2] + a[9] * b[3] + a[10] * b[4] + a[11] * b[5],
        -a[6] * b[1] + a[7] * b[0] - a[8] * b[3] + a[9] * b[2] - a[10] * b[5] + a[11] * b[4],
        a[6] * b[6] + a[7] * b[7] + a[8] * b[8] + a[9] * b[9] + a[10] * b[10] + a[11] * b[11],
        -a[6] * b[7] + a[7] * b[6] - a[8] * b[9] + a[9] * b[8] - a[10] * b[11] + a[11] * b[10],
        a[6] * b[12] + a[7] * b[13] + a[8] * b[14] + a[9] * b[15] + a[10] * b[16] + a[11] * b[17],
        -a[6] * b[13] + a[7] * b[12] - a[8] * b[15] + a[9] * b[14] - a[10] * b[17] + a[11] * b[16],
    )  # fmt: skip


@jit_inline
def _mul_nn_c01(a, b):
    """Columns 0, 1 of ``a b`` as a 12-tuple ordered ``(row, col)``, col in 0, 1."""
    return (
        a[0] * b[0] - a[1] * b[1] + a[2] * b[6] - a[3] * b[7] + a[4] * b[12] - a[5] * b[13],
        a[0] * b[1] + a[1] * b[0] + a[2] * b[7] + a[3] * b[6] + a[4] * b[13] + a[5] * b[12],
        a[0] * b[2] - a[1] * b[3] + a[2] * b[8] - a[3] * b[9] + a[4] * b[14] - a[5] * b[15],
        a[0] * b[3] + a[1] * b[2] + a[2] * b[9] + a[3] * b[8] + a[4] * b[15] + a[5] * b[14],
        a[6] * b[0] - a[7] * b[1] + a[8] * b[6] - a[9] * b[7] + a[10] * b[12] - a[11] * b[13],
        a[6] * b[1] + a[7] * b[0] + a[8] * b[7] + a[9] * b[6] + a[10] * b[13] + a[11] * b[12],
        a[6] * b[2] - a[7] * b[3] + a[8] * b[8] - a[9] * b[9] + a[10] * b[14] - a[11] * b[15],
        a[6] * b[3] + a[7] * b[2] + a[8] * b[9] + a[9] * b[8] + a[10] * b[15] + a[11] * b[14],
        a[12] * b[0] - a[13] * b[1] + a[14] * b[6] - a[15] * b[7] + a[16] * b[12] - a[17] * b[13],
        a[12] * b[1] + a[13] * b[0] + a[14] * b[7] + a[15] * b[6] + a[16] * b[13] + a[17] * b[12],
        a[12] * b[2] - a[13] * b[3] + a[14] * b[8] - a[15] * b[9] + a[16] * b[14] - a[17] * b[15],
        a[12] * b[3] + a[13] * b[2] + a[14] * b[9] + a[15] * b[8] + a[16] * b[15] + a[17] * b[14],
    )  # fmt: skip


@jit_inline
def _mul_dn_r01(p, z):
    """Rows 0, 1 of ``p^dagger z``, ``p`` given by its columns 0, 1 (as from ``_mul_nn_c01``)."""
    return (
        p[0] * z[0] + p[1] * z[1] + p[4] * z[6] + p[5] * z[7] + p[8] * z[12] + p[9] * z[13],
        p[0] * z[1] - p[1] * z[0] + p[4] * z[7] - p[5] * z[6] + p[8] * z[13] - p[9] * z[12],
        p[0] * z[2] + p[1] * z[3] + p[4] * z[8] + p[5] * z[9] + p[8] * z[14] + p[9] * z[15],
        p[0] * z[3] - p[1] * z[2] + p[4] * z[9] - p[5] * z[8] + p[8] * z[15] - p[9] * z[14],
        p[0] * z[4] + p[1] * z[5] + p[4] * z[10] + p[5] * z[11] + p[8] * z[16] + p[9] * z[17],
        p[0] * z[5] - p[1] * z[4] + p[4] * z[11] - p[5] * z[10] + p[8] * z[17] - p[9] * z[16],
        p[2] * z[0] + p[3] * z[1] + p[6] * z[6] + p[7] * z[7] + p[10] * z[12] + p[11] * z[13],
        p[2] * z[1] - p[3] * z[0] + p[6] * z[7] - p[7] * z[6] + p[10] * z[13] - p[11] * z[12],
        p[2] * z[2] + p[3] * z[3] + p[6] * z[8] + p[7] * z[9] + p[10] * z[14] + p[11] * z[15],
        p[2] * z[3] - p[3] * z[2] + p[6] * z[9] - p[7] * z[8] + p[10] * z[15] - p[11] * z[14],
        p[2] * z[4] + p[3] * z[5] + p[6] * z[10] + p[7] * z[11] + p[10] * z[16] + p[11] * z[17],
        p[2] * z[5] - p[3] * z[4] + p[6] * z[11] - p[7] * z[10] + p[10] * z[17] - p[11] * z[16],
    )  # fmt: skip


@jit_inline
def _row2(t):
    """Third row ``conj(row 0 x row 1)`` of an SU(3) matrix from its rows 0, 1 (6-tuple)."""
    a0r, a0i, a1r, a1i, a2r, a2i = t[0], t[1], t[2], t[3], t[4], t[5]
    b0r, b0i, b1r, b1i, b2r, b2i = t[6], t[7], t[8], t[9], t[10], t[11]
    # c = conj(a x b): c0 = conj(a1 b2 - a2 b1), ...
    return (
        (a1r * b2r - a1i * b2i) - (a2r * b1r - a2i * b1i),
        (a2r * b1i + a2i * b1r) - (a1r * b2i + a1i * b2r),
        (a2r * b0r - a2i * b0i) - (a0r * b2r - a0i * b2i),
        (a0r * b2i + a0i * b2r) - (a2r * b0i + a2i * b0r),
        (a0r * b1r - a0i * b1i) - (a1r * b0r - a1i * b0i),
        (a1r * b0i + a1i * b0r) - (a0r * b1i + a0i * b1r),
    )


@jit_inline
def _left01(m, r0, r1, r2, r3):
    """Left-multiply ``m`` by the SU(2) quaternion ``r`` embedded in rows/columns 0, 1.

    The 2x2 block is ``[[r0 + i r3, r2 + i r1], [-r2 + i r1, r0 - i r3]]``.
    """
    return (
        r0 * m[0] - r3 * m[1] + r2 * m[6] - r1 * m[7],
        r0 * m[1] + r3 * m[0] + r2 * m[7] + r1 * m[6],
        r0 * m[2] - r3 * m[3] + r2 * m[8] - r1 * m[9],
        r0 * m[3] + r3 * m[2] + r2 * m[9] + r1 * m[8],
        r0 * m[4] - r3 * m[5] + r2 * m[10] - r1 * m[11],
        r0 * m[5] + r3 * m[4] + r2 * m[11] + r1 * m[10],
        r0 * m[6] + r3 * m[7] - r2 * m[0] - r1 * m[1],
        r0 * m[7] - r3 * m[6] - r2 * m[1] + r1 * m[0],
        r0 * m[8] + r3 * m[9] - r2 * m[2] - r1 * m[3],
        r0 * m[9] - r3 * m[8] - r2 * m[3] + r1 * m[2],
        r0 * m[10] + r3 * m[11] - r2 * m[4] - r1 * m[5],
        r0 * m[11] - r3 * m[10] - r2 * m[5] + r1 * m[4],
        m[12], m[13],
        m[14], m[15],
        m[16], m[17],
    )  # fmt: skip


@jit_inline
def _left02(m, r0, r1, r2, r3):
    """Left-multiply ``m`` by the SU(2) quaternion ``r`` embedded in rows/columns 0, 2.

    The 2x2 block is ``[[r0 + i r3, r2 + i r1], [-r2 + i r1, r0 - i r3]]``.
    """
    return (
        r0 * m[0] - r3 * m[1] + r2 * m[12] - r1 * m[13],
        r0 * m[1] + r3 * m[0] + r2 * m[13] + r1 * m[12],
        r0 * m[2] - r3 * m[3] + r2 * m[14] - r1 * m[15],
        r0 * m[3] + r3 * m[2] + r2 * m[15] + r1 * m[14],
        r0 * m[4] - r3 * m[5] + r2 * m[16] - r1 * m[17],
        r0 * m[5] + r3 * m[4] + r2 * m[17] + r1 * m[16],
        m[6], m[7],
        m[8], m[9],
        m[10], m[11],
        r0 * m[12] + r3 * m[13] - r2 * m[0] - r1 * m[1],
        r0 * m[13] - r3 * m[12] - r2 * m[1] + r1 * m[0],
        r0 * m[14] + r3 * m[15] - r2 * m[2] - r1 * m[3],
        r0 * m[15] - r3 * m[14] - r2 * m[3] + r1 * m[2],
        r0 * m[16] + r3 * m[17] - r2 * m[4] - r1 * m[5],
        r0 * m[17] - r3 * m[16] - r2 * m[5] + r1 * m[4],
    )  # fmt: skip


@jit_inline
def _left12(m, r0, r1, r2, r3):
    """Left-multiply ``m`` by the SU(2) quaternion ``r`` embedded in rows/columns 1, 2.

    The 2x2 block is ``[[r0 + i r3, r2 + i r1], [-r2 + i r1, r0 - i r3]]``.
    """
    return (
        m[0], m[1],
        m[2], m[3],
        m[4], m[5],
        r0 * m[6] - r3 * m[7] + r2 * m[12] - r1 * m[13],
        r0 * m[7] + r3 * m[6] + r2 * m[13] + r1 * m[12],
        r0 * m[8] - r3 * m[9] + r2 * m[14] - r1 * m[15],
        r0 * m[9] + r3 * m[8] + r2 * m[15] + r1 * m[14],
        r0 * m[10] - r3 * m[11] + r2 * m[16] - r1 * m[17],
        r0 * m[11] + r3 * m[10] + r2 * m[17] + r1 * m[16],
        r0 * m[12] + r3 * m[13] - r2 * m[6] - r1 * m[7],
        r0 * m[13] - r3 * m[12] - r2 * m[7] + r1 * m[6],
        r0 * m[14] + r3 * m[15] - r2 * m[8] - r1 * m[9],
        r0 * m[15] - r3 * m[14] - r2 * m[9] + r1 * m[8],
        r0 * m[16] + r3 * m[17] - r2 * m[10] - r1 * m[11],
        r0 * m[17] - r3 * m[16] - r2 * m[11] + r1 * m[10],
    )  # fmt: skip


@jit_inline
def _add(a, b):
    return (
        a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4], a[5] + b[5],
        a[6] + b[6], a[7] + b[7], a[8] + b[8], a[9] + b[9], a[10] + b[10], a[11] + b[11],
        a[12] + b[12], a[13] + b[13], a[14] + b[14], a[15] + b[15], a[16] + b[16], a[17] + b[17],
    )  # fmt: skip


@jit_inline
def _dagger(a):
    return (
        a[0], -a[1], a[6], -a[7], a[12], -a[13],
        a[2], -a[3], a[8], -a[9], a[14], -a[15],
        a[4], -a[5], a[10], -a[11], a[16], -a[17],
    )  # fmt: skip


@jit_inline
def _retr(a, b):
    """``Re Tr(a b)``."""
    return (
        a[0] * b[0] - a[1] * b[1] + a[2] * b[6] - a[3] * b[7] + a[4] * b[12] - a[5] * b[13] +
        a[6] * b[2] - a[7] * b[3] + a[8] * b[8] - a[9] * b[9] + a[10] * b[14] - a[11] * b[15]
        + a[12] * b[4] - a[13] * b[5] + a[14] * b[10] - a[15] * b[11] + a[16] * b[16] - a[17]
        * b[17]
    )


@jit_inline
def _load(u, i, mu):
    return (
        u[i, mu, 0], u[i, mu, 1], u[i, mu, 2], u[i, mu, 3], u[i, mu, 4], u[i, mu, 5],
        u[i, mu, 6], u[i, mu, 7], u[i, mu, 8], u[i, mu, 9], u[i, mu, 10], u[i, mu, 11],
        u[i, mu, 12], u[i, mu, 13], u[i, mu, 14], u[i, mu, 15], u[i, mu, 16], u[i, mu, 17],
    )  # fmt: skip


@jit_inline
def _store(u, i, mu, m):
    for k in range(18):
        u[i, mu, k] = m[k]


@jit_inline
def _reunitarise(m):
    """Project onto SU(3): Gram-Schmidt of rows 0 and 1, row 2 = conj(row 0 x row 1)."""
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


@jit_inline
def _staple(u, up, dn, i, mu):
    """Staple sum ``A`` of link ``(i, mu)``: its action is ``-(beta/3) Re Tr(U A)``.

    Each staple is a product of SU(3) matrices, so only its rows 0, 1 are multiplied out and
    its row 2 is the conjugate cross product of those (24 instead of 27 complex products per
    3x3 product, and the first factor of each staple needs only 2 rows or columns: 42 instead
    of 54 complex products per staple).
    """
    D = u.shape[1]
    s = (0.0,) * 12
    s2 = (0.0,) * 6
    ip = up[i, mu]
    for nu in range(D):
        if nu == mu:
            continue
        # forward: U_nu(x+mu) U_mu(x+nu)^+ U_nu(x)^+
        j = up[i, nu]
        t = _mul_nd_r01(_mul_nd_r01(_load(u, ip, nu), _load(u, j, mu)), _load(u, i, nu))
        r = _row2(t)
        s = (
            s[0] + t[0], s[1] + t[1], s[2] + t[2], s[3] + t[3], s[4] + t[4], s[5] + t[5],
            s[6] + t[6], s[7] + t[7], s[8] + t[8], s[9] + t[9], s[10] + t[10], s[11] + t[11],
        )  # fmt: skip
        s2 = (s2[0] + r[0], s2[1] + r[1], s2[2] + r[2], s2[3] + r[3], s2[4] + r[4], s2[5] + r[5])
        # backward: U_nu(x+mu-nu)^+ U_mu(x-nu)^+ U_nu(x-nu)
        #         = (U_mu(x-nu) U_nu(x+mu-nu))^+ U_nu(x-nu)
        m = dn[i, nu]
        mp = dn[ip, nu]
        t = _mul_dn_r01(_mul_nn_c01(_load(u, m, mu), _load(u, mp, nu)), _load(u, m, nu))
        r = _row2(t)
        s = (
            s[0] + t[0], s[1] + t[1], s[2] + t[2], s[3] + t[3], s[4] + t[4], s[5] + t[5],
            s[6] + t[6], s[7] + t[7], s[8] + t[8], s[9] + t[9], s[10] + t[10], s[11] + t[11],
        )  # fmt: skip
        s2 = (s2[0] + r[0], s2[1] + r[1], s2[2] + r[2], s2[3] + r[3], s2[4] + r[4], s2[5] + r[5])
    return (
        s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11],
        s2[0], s2[1], s2[2], s2[3], s2[4], s2[5],
    )  # fmt: skip


@jit_inline
def _project(w, p, r):
    """Quaternion ``(a0, a1, a2, a3)`` of the SU(2)-like part of the block ``(p, r)`` of ``w``."""
    k00 = 2 * (3 * p + p)
    k01 = 2 * (3 * p + r)
    k10 = 2 * (3 * r + p)
    k11 = 2 * (3 * r + r)
    return (
        0.5 * (w[k00] + w[k11]),
        0.5 * (w[k01 + 1] + w[k10 + 1]),
        0.5 * (w[k01] - w[k10]),
        0.5 * (w[k00 + 1] - w[k11 + 1]),
    )


@jit_inline
def _sub_update(u, w, sub, kind, beta, key, n):
    """Heat bath (kind 0) or overrelaxation (kind 1) in SU(2) subgroup ``sub`` (0, 1, 2)."""
    if sub == 0:
        a0, a1, a2, a3 = _project(w, 0, 1)
    elif sub == 1:
        a0, a1, a2, a3 = _project(w, 0, 2)
    else:
        a0, a1, a2, a3 = _project(w, 1, 2)
    k2 = a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3
    if kind == KIND_HEATBATH:
        k = np.sqrt(k2)
        if k > 0.0:
            ik = 1.0 / k
            v0, v1, v2, v3 = a0 * ik, -a1 * ik, -a2 * ik, -a3 * ik  # V^dagger
        else:
            v0, v1, v2, v3 = 1.0, 0.0, 0.0, 0.0
        x0, x1, x2, x3, n = _heatbath_su2((2.0 / 3.0) * beta * k, key, n)
        # R = X V^dagger (quaternion product)
        r0 = x0 * v0 - x1 * v1 - x2 * v2 - x3 * v3
        r1 = x0 * v1 + v0 * x1 - (x2 * v3 - x3 * v2)
        r2 = x0 * v2 + v0 * x2 - (x3 * v1 - x1 * v3)
        r3 = x0 * v3 + v0 * x3 - (x1 * v2 - x2 * v1)
    elif k2 > 0.0:
        # overrelaxation R = (V^dagger)^2 = (a0 - i a.s)^2 / k^2 (no square root needed)
        ik2 = 1.0 / k2
        r0 = (a0 * a0 - a1 * a1 - a2 * a2 - a3 * a3) * ik2
        f = -2.0 * a0 * ik2
        r1, r2, r3 = f * a1, f * a2, f * a3
    else:
        r0, r1, r2, r3 = 1.0, 0.0, 0.0, 0.0
    if sub == 0:
        return _left01(u, r0, r1, r2, r3), _left01(w, r0, r1, r2, r3), n
    if sub == 1:
        return _left02(u, r0, r1, r2, r3), _left02(w, r0, r1, r2, r3), n
    return _left12(u, r0, r1, r2, r3), _left12(w, r0, r1, r2, r3), n


@jit_inline
def _proposal_su3(eps, key, n):
    """Metropolis proposal ``R_01 S_02 T_12`` or its adjoint (probability 1/2 each)."""
    x0, x1, x2, x3, n = _proposal_su2(eps, key, n)
    m = _left12(_IDENTITY, x0, x1, x2, x3)
    x0, x1, x2, x3, n = _proposal_su2(eps, key, n)
    m = _left02(m, x0, x1, x2, x3)
    x0, x1, x2, x3, n = _proposal_su2(eps, key, n)
    m = _left01(m, x0, x1, x2, x3)
    c = uniform(key, n)
    n += _U1
    if c < 0.5:
        m = _dagger(m)
    return m, n


@jit_inline
def _update_link(u, up, dn, i, mu, kind, beta, key, hits, eps):
    """Update link ``(i, mu)`` in place; return the number of accepted Metropolis hits."""
    a = _staple(u, up, dn, i, mu)
    m = _load(u, i, mu)
    w = _mul_nn(m, a)
    n = _U0
    acc = 0
    if kind == KIND_METROPOLIS:
        b3 = beta / 3.0
        for _ in range(hits):
            x, n = _proposal_su3(eps, key, n)
            dS = -b3 * (_retr(x, w) - (w[0] + w[8] + w[16]))
            r = uniform(key, n)
            n += _U1
            if dS <= 0.0 or r < np.exp(-dS):
                m = _mul_nn(x, m)
                w = _mul_nn(x, w)
                acc += 1
    else:
        m, w, n = _sub_update(m, w, 0, kind, beta, key, n)
        m, w, n = _sub_update(m, w, 1, kind, beta, key, n)
        m, w, n = _sub_update(m, w, 2, kind, beta, key, n)
    _store(u, i, mu, _reunitarise(m))
    return acc


@jit_fma
def _update_sites(u, up, dn, sites, par, start, stop, mu, kind, beta, sub, hits, eps, acc):
    """Update the links ``(sites[par, k], mu)`` for ``start <= k < stop`` (one chunk).

    The loop is specialised per ``kind`` (a compile-time constant in each copy of the inlined
    update), so overrelaxation computes no random-number key and no acceptance count.
    """
    if kind == KIND_OVERRELAX:
        for k in range(start, stop):
            i = sites[par, k]
            _update_link(u, up, dn, i, mu, KIND_OVERRELAX, beta, _U0, hits, eps)
    elif kind == KIND_HEATBATH:
        for k in range(start, stop):
            i = sites[par, k]
            key = link_key(sub, np.uint64(i))
            _update_link(u, up, dn, i, mu, KIND_HEATBATH, beta, key, hits, eps)
    else:
        for k in range(start, stop):
            i = sites[par, k]
            key = link_key(sub, np.uint64(i))
            acc[i] += _update_link(u, up, dn, i, mu, KIND_METROPOLIS, beta, key, hits, eps)


@pjit
def _sweep_su3(u, up, dn, sites, seed, sweep, kind, beta, hits, eps, acc):
    """One checkerboard sweep over all links; ``acc[site]`` += accepted Metropolis hits.

    ``u`` is ``(V, D, 18)`` float64, ``sites`` ``(2, V // 2)`` the sites of parity 0 and 1;
    ``seed``, ``sweep`` are uint64. Each substep ``(mu, parity)`` runs its fixed chunks of
    ``_CHUNK`` sites in parallel; the chunking does not depend on the number of threads.
    """
    D = u.shape[1]
    nh = sites.shape[1]
    n_chunks = (nh + _CHUNK - 1) // _CHUNK
    for mu in range(D):
        for par in range(2):
            sub = substep_key(seed, sweep, np.uint64(2 * mu + par))
            for c in prange(n_chunks):
                start = c * _CHUNK
                stop = min(start + _CHUNK, nh)
                _update_sites(u, up, dn, sites, par, start, stop, mu, kind, beta, sub, hits,
                              eps, acc)  # fmt: skip


@pjit
def _plaquette_sites_su3(u, up, out):
    """``out[i]`` = sum over planes mu<nu of ``Re Tr U_p / 3`` at site ``i``."""
    V, D = u.shape[0], u.shape[1]
    for i in prange(V):
        s = 0.0
        for mu in range(D):
            im = up[i, mu]
            for nu in range(mu + 1, D):
                inu = up[i, nu]
                p1 = _mul_nn(_load(u, i, mu), _load(u, im, nu))
                p2 = _mul_nn(_load(u, i, nu), _load(u, inu, mu))
                for k in range(18):
                    s += p1[k] * p2[k]
        out[i] = s / 3.0


@jit_inline
def _cnormal(key, n):
    x, y = normal_pair(key, n)
    return complex(x, y)


@pjit
def _hot_su3(u, seed):
    """Fill ``u`` with Haar-random SU(3) links from the hot-start stream.

    Gram-Schmidt of a complex Gaussian matrix gives Haar U(3); multiplying the last column by
    ``conj(det)`` maps it to SU(3) and keeps left invariance, hence the Haar measure.
    """
    V, D = u.shape[0], u.shape[1]
    for mu in range(D):
        sub = substep_key(seed, HOT_START_SWEEP, np.uint64(mu))
        for i in prange(V):
            key = link_key(sub, np.uint64(i))
            g = (
                _cnormal(key, np.uint64(0)), _cnormal(key, np.uint64(2)),
                _cnormal(key, np.uint64(4)), _cnormal(key, np.uint64(6)),
                _cnormal(key, np.uint64(8)), _cnormal(key, np.uint64(10)),
            )  # fmt: skip
            c0 = _cnormal(key, np.uint64(12))
            c1 = _cnormal(key, np.uint64(14))
            c2 = _cnormal(key, np.uint64(16))
            m = _reunitarise((
                g[0].real, g[0].imag, g[1].real, g[1].imag, g[2].real, g[2].imag,
                g[3].real, g[3].imag, g[4].real, g[4].imag, g[5].real, g[5].imag,
                0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
            ))  # fmt: skip
            a = (complex(m[0], m[1]), complex(m[2], m[3]), complex(m[4], m[5]))
            b = (complex(m[6], m[7]), complex(m[8], m[9]), complex(m[10], m[11]))
            # third row of a Haar U(3) matrix: orthonormalise (c0, c1, c2) against rows a, b
            p = a[0].conjugate() * c0 + a[1].conjugate() * c1 + a[2].conjugate() * c2
            c0, c1, c2 = c0 - p * a[0], c1 - p * a[1], c2 - p * a[2]
            p = b[0].conjugate() * c0 + b[1].conjugate() * c1 + b[2].conjugate() * c2
            c0, c1, c2 = c0 - p * b[0], c1 - p * b[1], c2 - p * b[2]
            nrm = np.sqrt(abs(c0) ** 2 + abs(c1) ** 2 + abs(c2) ** 2)
            c0, c1, c2 = c0 / nrm, c1 / nrm, c2 / nrm
            det = (
                a[0] * (b[1] * c2 - b[2] * c1)
                - a[1] * (b[0] * c2 - b[2] * c0)
                + a[2] * (b[0] * c1 - b[1] * c0)
            )
            ph = det.conjugate() / abs(det)
            a2 = a[2] * ph
            b2 = b[2] * ph
            c2 = c2 * ph
            _store(u, i, mu, (
                m[0], m[1], m[2], m[3], a2.real, a2.imag,
                m[6], m[7], m[8], m[9], b2.real, b2.imag,
                c0.real, c0.imag, c1.real, c1.imag, c2.real, c2.imag,
            ))  # fmt: skip
