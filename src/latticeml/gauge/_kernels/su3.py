"""SU(3) kernels: staples, Cabibbo-Marinari heat bath and overrelaxation, Metropolis.

Length (~410 lines): the unrolled 3x3 algebra of the hot start and plaquette plus the update
kernels of one group; splitting them would separate code that shares the 18-tuple layout.

Internal layout: float64 ``(V, D, 18)``, a zero-copy view of the complex128 contract layout
``(*shape, D, 3, 3)``: element ``(i, j)`` has its real part at ``2 (3 i + j)`` and its
imaginary part right after. The link updates work on matrices as 24-tuples of three padded
rows of 8 float64 lanes, through the primitives of a backend (:func:`build`): :mod:`.simd`
(explicit SIMD rows, products ``row_i(A B) = sum_k A_ik row_k(B)`` with ``A_ik`` broadcast
from memory) or :mod:`.scalar` (plain Numba); the update algorithm and its random numbers are
the same code. The hot start and the plaquette use 18-tuples of floats (fully unrolled scalar
code) and do not depend on the backend.

Updates of the link ``U = U_mu(x)`` with staple sum ``A`` (local action
``-(beta/3) Re Tr(U A)``), with ``W = U A``:

* heat bath (Cabibbo-Marinari): for the SU(2) subgroups (0,1), (0,2), (1,2) in turn, project the
  2x2 block ``w`` of ``W`` onto ``k V`` (``V`` in SU(2)), draw ``X`` from
  ``exp((2 beta k / 3) x0) dX`` with the SU(2) sampler of :mod:`.su2`, and
  left-multiply ``U`` and ``W`` by the embedded ``R = X V^dagger``.
* overrelaxation: the same subgroup sequence with ``R = (V^dagger)^2``, which leaves
  ``Re Tr(U A)`` unchanged (microcanonical).
* Metropolis: ``hits`` proposals ``U -> X U``, ``X = R_01 S_02 T_12`` (each factor
  ``exp(i eps r.s)``, ``r`` uniform in ``[-1, 1]**3``, embedded in its subgroup), replaced by
  ``X^dagger`` with probability 1/2 so that the proposal set is symmetric. ``X`` is applied as
  three subgroup rotations of ``U`` and ``W`` (never formed as a matrix).

Every updated link is reunitarised (Gram-Schmidt of the first two rows, third row = conjugate
cross product) right after its update.

Speed (see ``benchmarks/bench_gauge.py``): staples are sums of full 3x3 products,
``U_nu(x+mu) (U_nu(x) U_mu(x+nu))^dagger`` and ``U_nu(x+mu-nu)^dagger (U_mu(x-nu)^dagger
U_nu(x-nu))``, accumulated in a per-chunk buffer (a loop-carried tuple would be split into
scalars); with :mod:`.simd` the links of the site ``_AHEAD`` positions further in the
substep are prefetched, which keeps lattices beyond the L2 cache (16^4: 38 MB) close to the
in-cache rate. The order of floating-point operations is fixed, so results are bit-identical
for any number of threads; the two backends round differently (not bit-identical to each
other).
"""

from __future__ import annotations

import functools
import types
from typing import NamedTuple

import numpy as np
from numba import prange

from latticeml._numba import jit, jit_inline, pjit
from latticeml.gauge._kernels import prefetch
from latticeml.gauge._kernels.checkerboard import build_sweep
from latticeml.gauge._kernels.kinds import UpdateKind
from latticeml.gauge._kernels.rng import (
    HOT_START_SWEEP,
    link_key,
    normal_pair,
    substep_key,
    uniform,
)
from latticeml.gauge._kernels.scalar import reunit18
from latticeml.gauge._kernels.su2 import heatbath_su2, proposal_su2

__all__ = [
    "SU3Kernels",
    "build",
    "mul_nn",
    "to18",
    "project",
    "plaquette_sites",
    "hot_start",
]

_AHEAD = 2
_BUF = 72  # scratch per chunk: staple, and U, W of the Metropolis update (padded rows)
_U0 = np.uint64(0)
_U1 = np.uint64(1)


@jit_inline
def mul_nn(a, b):
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
def to18(a):
    """18-tuple (row-major re, im) of a 24-tuple matrix."""
    return (
        a[0], a[1], a[2], a[3], a[4], a[5],
        a[8], a[9], a[10], a[11], a[12], a[13],
        a[16], a[17], a[18], a[19], a[20], a[21],
    )  # fmt: skip


@jit_inline
def project(w, p, r):
    """Quaternion ``(a0, a1, a2, a3)`` of the SU(2)-like part of the block ``(p, r)`` of ``w``.

    ``w`` is a 24-tuple matrix (rows of 8 lanes).
    """
    k00 = 8 * p + 2 * p
    k01 = 8 * p + 2 * r
    k10 = 8 * r + 2 * p
    k11 = 8 * r + 2 * r
    return (
        0.5 * (w[k00] + w[k11]),
        0.5 * (w[k01 + 1] + w[k10 + 1]),
        0.5 * (w[k01] - w[k10]),
        0.5 * (w[k00 + 1] - w[k11 + 1]),
    )


@pjit
def plaquette_sites(u, up, out):
    """``out[i]`` = sum over planes mu<nu of ``Re Tr U_p / 3`` at site ``i``."""
    V, D = u.shape[0], u.shape[1]
    for i in prange(V):
        s = 0.0
        for mu in range(D):
            im = up[i, mu]
            for nu in range(mu + 1, D):
                inu = up[i, nu]
                p1 = mul_nn(_load(u, i, mu), _load(u, im, nu))
                p2 = mul_nn(_load(u, i, nu), _load(u, inu, mu))
                for k in range(18):
                    s += p1[k] * p2[k]
        out[i] = s / 3.0


@jit_inline
def _cnormal(key, n):
    x, y = normal_pair(key, n)
    return complex(x, y)


@pjit
def hot_start(u, seed):
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
            m = reunit18((
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


class SU3Kernels(NamedTuple):
    """The backend-dependent SU(3) kernels (see :func:`build`)."""

    staple: object
    sub_update: object
    apply_proposal: object
    update_link: object
    update_sites: object
    sweep: object


@functools.cache
def build(ops: types.ModuleType) -> SU3Kernels:
    """Build the staple, subgroup, link update and sweep kernels on the primitives of ``ops``.

    Parameters
    ----------
    ops : module
        :mod:`latticeml.gauge._kernels.simd` or :mod:`latticeml.gauge._kernels.scalar`.

    Returns
    -------
    SU3Kernels
        ``staple(u, up, dn, i, mu, buf)``, ``sub_update``, ``apply_proposal``,
        ``update_link``, ``update_sites`` and
        ``sweep(u, up, dn, sites, seed, sweep_index, kind, beta, hits, eps, acc)``; compiled
        on first call, cached on disk per backend.
    """
    m3acc_buf, m3dagger, m3load = ops.m3acc_buf, ops.m3dagger, ops.m3load
    m3load_buf, m3store_buf, m3zero_buf = ops.m3load_buf, ops.m3store_buf, ops.m3zero_buf
    m3mul_dn_mem, m3mul_nn_mem, m3reunit = ops.m3mul_dn_mem, ops.m3mul_nn_mem, ops.m3reunit
    m3left01, m3left02, m3left12 = ops.m3left01, ops.m3left02, ops.m3left12
    prefetch_staple = prefetch.build(ops)

    @jit_inline
    def staple(u, up, dn, i, mu, buf):
        """Staple sum ``A`` of link ``(i, mu)`` into the padded rows ``buf[:24]``.

        Its action is ``-(beta/3) Re Tr(U A)``.
        """
        D = u.shape[1]
        m3zero_buf(buf, 0)
        ip = up[i, mu]
        for nu in range(D):
            if nu == mu:
                continue
            # forward: U_nu(x+mu) U_mu(x+nu)^+ U_nu(x)^+ = U_nu(x+mu) (U_nu(x) U_mu(x+nu))^+
            j = up[i, nu]
            p = m3mul_nn_mem(u, 18 * (i * D + nu), m3load(u, 18 * (j * D + mu)))
            m3acc_buf(buf, 0, m3mul_nn_mem(u, 18 * (ip * D + nu), m3dagger(p)))
            # backward: U_nu(x+mu-nu)^+ (U_mu(x-nu)^+ U_nu(x-nu))
            m = dn[i, nu]
            mp = dn[ip, nu]
            p = m3mul_dn_mem(u, 18 * (m * D + mu), m3load(u, 18 * (m * D + nu)))
            m3acc_buf(buf, 0, m3mul_dn_mem(u, 18 * (mp * D + nu), p))

    @jit_inline
    def sub_update(u, w, sub, kind, beta, key, n, need_w):
        """Heat bath or overrelaxation (``kind``) in SU(2) subgroup ``sub`` (0, 1, 2).

        ``u`` and ``w = u A`` are 24-tuple matrices; ``w`` is not updated if ``need_w`` is false.
        """
        if sub == 0:
            a0, a1, a2, a3 = project(w, 0, 1)
        elif sub == 1:
            a0, a1, a2, a3 = project(w, 0, 2)
        else:
            a0, a1, a2, a3 = project(w, 1, 2)
        k2 = a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3
        if kind == UpdateKind.HEATBATH:
            k = np.sqrt(k2)
            if k > 0.0:
                ik = 1.0 / k
                v0, v1, v2, v3 = a0 * ik, -a1 * ik, -a2 * ik, -a3 * ik  # V^dagger
            else:
                v0, v1, v2, v3 = 1.0, 0.0, 0.0, 0.0
            x0, x1, x2, x3, n = heatbath_su2((2.0 / 3.0) * beta * k, key, n)
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
            u = m3left01(u, r0, r1, r2, r3)
            if need_w:
                w = m3left01(w, r0, r1, r2, r3)
        elif sub == 1:
            u = m3left02(u, r0, r1, r2, r3)
            if need_w:
                w = m3left02(w, r0, r1, r2, r3)
        else:
            u = m3left12(u, r0, r1, r2, r3)
            if need_w:
                w = m3left12(w, r0, r1, r2, r3)
        return u, w, n

    @jit_inline
    def apply_proposal(a, t0, t1, t2, t3, s0, s1, s2, s3, r0, r1, r2, r3, dag):
        """``X a`` for the Metropolis proposal ``X = R_01 S_02 T_12``, or ``X^dagger a`` if ``dag``.

        ``a`` is a 24-tuple matrix; ``r``, ``s``, ``t`` are SU(2) quaternions (``_proposal_su2``).
        """
        if dag:  # X^dagger = T_12^dagger S_02^dagger R_01^dagger
            a = m3left01(a, r0, -r1, -r2, -r3)
            a = m3left02(a, s0, -s1, -s2, -s3)
            return m3left12(a, t0, -t1, -t2, -t3)
        a = m3left12(a, t0, t1, t2, t3)
        a = m3left02(a, s0, s1, s2, s3)
        return m3left01(a, r0, r1, r2, r3)

    @jit_inline
    def update_link(u, up, dn, i, mu, kind, beta, key, hits, eps, buf):
        """Update link ``(i, mu)`` in place; return the number of accepted Metropolis hits."""
        staple(u, up, dn, i, mu, buf)
        n = _U0
        acc = 0
        off = 18 * (i * u.shape[1] + mu)
        if kind == UpdateKind.METROPOLIS:
            # U in buf[24:48], W = U A in buf[48:72] (padded rows); the proposal X = R_01 S_02 T_12
            # (or X^dagger) is applied as three subgroup rotations, never formed as a matrix
            m3store_buf(buf, 24, m3load(u, off))
            m3store_buf(buf, 48, m3mul_nn_mem(u, off, m3load_buf(buf, 0)))
            b3 = beta / 3.0
            for _ in range(hits):
                t0, t1, t2, t3, n = proposal_su2(eps, key, n)
                s0, s1, s2, s3, n = proposal_su2(eps, key, n)
                r0, r1, r2, r3, n = proposal_su2(eps, key, n)
                dag = uniform(key, n) < 0.5
                n += _U1
                w = m3load_buf(buf, 48)
                wx = apply_proposal(w, t0, t1, t2, t3, s0, s1, s2, s3, r0, r1, r2, r3, dag)
                dS = -b3 * ((wx[0] + wx[10] + wx[20]) - (w[0] + w[10] + w[20]))
                r = uniform(key, n)
                n += _U1
                if dS <= 0.0 or r < np.exp(-dS):
                    m3store_buf(buf, 48, wx)
                    mx = apply_proposal(m3load_buf(buf, 24), t0, t1, t2, t3, s0, s1, s2, s3,
                                        r0, r1, r2, r3, dag)  # fmt: skip
                    m3store_buf(buf, 24, mx)
                    acc += 1
            _store(u, i, mu, to18(m3reunit(m3load_buf(buf, 24))))
            return acc
        m = m3load(u, off)
        w = m3mul_nn_mem(u, off, m3load_buf(buf, 0))
        m, w, n = sub_update(m, w, 0, kind, beta, key, n, True)
        m, w, n = sub_update(m, w, 1, kind, beta, key, n, True)
        m, w, n = sub_update(m, w, 2, kind, beta, key, n, False)
        _store(u, i, mu, to18(m3reunit(m)))
        return acc

    @jit
    def update_sites(u, up, dn, sites, par, start, stop, mu, kind, beta, sub, hits, eps, acc):
        """Update the links ``(sites[par, k], mu)`` for ``start <= k < stop`` (one chunk).

        The loop is specialised per ``kind`` (a compile-time constant in each copy of the inlined
        update), so overrelaxation computes no random-number key and no acceptance count.
        """
        buf = np.empty(_BUF)
        nh = sites.shape[1]
        if kind == UpdateKind.OVERRELAX:
            for k in range(start, stop):
                i = sites[par, k]
                if k + _AHEAD < nh:
                    prefetch_staple(u, up, dn, sites[par, k + _AHEAD], mu, 18)
                update_link(u, up, dn, i, mu, UpdateKind.OVERRELAX, beta, _U0, hits, eps, buf)
        elif kind == UpdateKind.HEATBATH:
            for k in range(start, stop):
                i = sites[par, k]
                if k + _AHEAD < nh:
                    prefetch_staple(u, up, dn, sites[par, k + _AHEAD], mu, 18)
                key = link_key(sub, np.uint64(i))
                update_link(u, up, dn, i, mu, UpdateKind.HEATBATH, beta, key, hits, eps, buf)
        else:
            for k in range(start, stop):
                i = sites[par, k]
                key = link_key(sub, np.uint64(i))
                acc[i] += update_link(
                    u, up, dn, i, mu, UpdateKind.METROPOLIS, beta, key, hits, eps, buf
                )

    sweep = build_sweep(update_sites)

    return SU3Kernels(staple, sub_update, apply_proposal, update_link, update_sites, sweep)
