"""SU(2) kernels: quaternion algebra, staples, heat bath, overrelaxation, Metropolis.

Internal layout: links are float64 arrays ``q`` of shape ``(V, D, 4)`` holding quaternions
``(a0, a1, a2, a3)`` with ``a0**2 + |a|**2 = 1`` that stand for

.. code-block:: text

    U = a0 1 + i (a1 s1 + a2 s2 + a3 s3) = [[ a0 + i a3,  a2 + i a1],
                                            [-a2 + i a1,  a0 - i a3]]

(``s_k`` the Pauli matrices), so ``Re Tr U / 2 = a0`` and ``U^dagger = (a0, -a)``. Sums of such
matrices (staples) are again real quaternions, ``A = k V`` with ``k = |A|`` and ``V`` in SU(2).

Updates of the link ``U = U_mu(x)`` with staple sum ``A`` (local action
``-(beta/2) Re Tr(U A) = -beta (U A)_0``):

* heat bath: ``U = X V^dagger`` with ``X`` distributed as ``sqrt(1 - x0**2) exp(a x0)`` in
  ``x0`` (uniform direction on S^2 by Marsaglia's method), ``a = beta k``. ``x0`` is sampled
  with Kennedy-Pendleton for ``a >= 2`` (its ``cos^2(2 pi r) ln r'`` term from the polar
  method, no trigonometric call) and with Creutz's method (``x0 ~ exp(a x0)`` accepted with
  probability ``sqrt(1 - x0**2)``) for ``a < 2``, where it accepts more often; both are exact.
* overrelaxation: ``U -> V^dagger U^dagger V^dagger = 2 (U V)_0 V^dagger - U`` (a reflection;
  leaves ``Re Tr(U A)`` unchanged).
* Metropolis: ``hits`` proposals ``U -> X U`` with ``X = exp(i eps r.s)``, ``r`` uniform in
  ``[-1, 1]**3`` (a symmetric proposal: ``X`` and ``X^dagger`` equally likely).

Every updated link is normalised to unit quaternion length (reunitarisation after every update).

Backends: the staple and the sweep are built by :func:`build` from a module of primitives,
:mod:`.simd` (explicit SIMD quaternion products, one 4-lane vector per quaternion, and
prefetching of the links read by the staple of the site ``_AHEAD`` positions further in the
substep once the links exceed the L2 cache) or :mod:`.scalar` (plain Numba); the update
algorithm and its random numbers are the same code. Heat-bath sampling, the plaquette and the
hot start do not depend on the backend. The order of operations is fixed, so results do not
depend on the number of threads.
Checkerboard: within one substep ``(mu, parity)`` all updated links are independent, so the
site loop is a ``prange`` (:mod:`.checkerboard`); random numbers come from :mod:`.rng`.
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
from latticeml.gauge._kernels.scalar import qprod

__all__ = [
    "SU2Kernels",
    "build",
    "sample_x0",
    "heatbath_su2",
    "proposal_su2",
    "plaquette_sites",
    "hot_start",
    "to_complex",
    "from_complex",
]

_A_SWITCH = 2.0
_AHEAD = 4
_PREFETCH_MIN_DOUBLES = 2**18  # 2 MiB of links
_U0 = np.uint64(0)
_U1 = np.uint64(1)
_U2 = np.uint64(2)
_U3 = np.uint64(3)
_TWO_PI = 2.0 * np.pi


@jit_inline
def _normalise(a0, a1, a2, a3):
    n = 1.0 / np.sqrt(a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3)
    return a0 * n, a1 * n, a2 * n, a3 * n


@jit_inline
def _unit_disc(key, n):
    """``(v1, v2)`` uniform in the unit disc by rejection, ``s = v1^2 + v2^2`` and next draw."""
    while True:
        v1 = 2.0 * uniform(key, n) - 1.0
        v2 = 2.0 * uniform(key, n + _U1) - 1.0
        n += _U2
        s = v1 * v1 + v2 * v2
        if s < 1.0:
            return v1, v2, s, n


@jit_inline
def sample_x0(a, key, n):
    """Sample ``x0`` in [-1, 1] with density ~ sqrt(1 - x0^2) exp(a x0).

    Returns ``(x0, n)`` with ``n`` the next unused draw number of the stream ``key``.
    """
    if a >= _A_SWITCH:  # Kennedy-Pendleton
        inv2a = 0.5 / a
        while True:
            # polar method: (v1, v2) uniform in the unit disc gives s = |v|^2 ~ U(0, 1)
            # independent of the angle, so -cos^2(2 pi r2) ln r3 = -(v1^2 / s) ln s
            v1, _, s, n = _unit_disc(key, n)
            r1 = uniform(key, n)
            r4 = uniform(key, n + _U1)
            n += _U2
            lam2 = -(np.log(r1) + (v1 * v1 / s) * np.log(s)) * inv2a
            if r4 * r4 <= 1.0 - lam2:
                return 1.0 - 2.0 * lam2, n
    if a > 1e-8:  # Creutz
        e = np.expm1(2.0 * a)
        while True:
            r1 = uniform(key, n)
            r2 = uniform(key, n + _U1)
            n += _U2
            x0 = np.log1p(r1 * e) / a - 1.0
            if x0 > 1.0:
                x0 = 1.0
            if r2 * r2 <= 1.0 - x0 * x0:
                return x0, n
    while True:  # a == 0: Haar measure
        x0 = 2.0 * uniform(key, n) - 1.0
        r2 = uniform(key, n + _U1)
        n += _U2
        if r2 * r2 <= 1.0 - x0 * x0:
            return x0, n


@jit_inline
def heatbath_su2(a, key, n):
    """SU(2) element ``X`` with density ~ exp(a x0) dX (Haar), as quaternion, and next draw."""
    x0, n = sample_x0(a, key, n)
    r = np.sqrt(max(1.0 - x0 * x0, 0.0))
    # uniform direction on S^2 (Marsaglia 1972): (v1, v2) uniform in the unit disc
    v1, v2, s, n = _unit_disc(key, n)
    f = 2.0 * r * np.sqrt(1.0 - s)
    return x0, f * v1, f * v2, r * (1.0 - 2.0 * s), n


@jit_inline
def proposal_su2(eps, key, n):
    """Metropolis proposal ``exp(i eps r.s)``, ``r`` uniform in [-1, 1]^3, and next draw."""
    r1 = 2.0 * uniform(key, n) - 1.0
    r2 = 2.0 * uniform(key, n + _U1) - 1.0
    r3 = 2.0 * uniform(key, n + _U2) - 1.0
    n += _U3
    rr = np.sqrt(r1 * r1 + r2 * r2 + r3 * r3)
    th = eps * rr
    s = np.sin(th) / rr if rr > 0.0 else 0.0
    return np.cos(th), s * r1, s * r2, s * r3, n


@pjit
def plaquette_sites(q, up, out):
    """``out[i]`` = sum over planes mu<nu of ``Re Tr U_p / 2`` at site ``i``."""
    V, D = q.shape[0], q.shape[1]
    for i in prange(V):
        s = 0.0
        for mu in range(D):
            im = up[i, mu]
            for nu in range(mu + 1, D):
                inu = up[i, nu]
                a0, a1, a2, a3 = qprod(
                    q[i, mu, 0], q[i, mu, 1], q[i, mu, 2], q[i, mu, 3],
                    q[im, nu, 0], q[im, nu, 1], q[im, nu, 2], q[im, nu, 3],
                )  # fmt: skip
                b0, b1, b2, b3 = qprod(
                    q[i, nu, 0], q[i, nu, 1], q[i, nu, 2], q[i, nu, 3],
                    q[inu, mu, 0], q[inu, mu, 1], q[inu, mu, 2], q[inu, mu, 3],
                )  # fmt: skip
                # (a b^+)_0 = a0 b0 + a.b
                s += a0 * b0 + a1 * b1 + a2 * b2 + a3 * b3
        out[i] = s


@pjit
def hot_start(q, seed):
    """Fill ``q`` with Haar-random SU(2) links (uniform on S^3) from the hot-start stream."""
    V, D = q.shape[0], q.shape[1]
    for mu in range(D):
        sub = substep_key(seed, HOT_START_SWEEP, np.uint64(mu))
        for i in prange(V):
            key = link_key(sub, np.uint64(i))
            g0, g1 = normal_pair(key, _U0)
            g2, g3 = normal_pair(key, _U2)
            g0, g1, g2, g3 = _normalise(g0, g1, g2, g3)
            q[i, mu, 0] = g0
            q[i, mu, 1] = g1
            q[i, mu, 2] = g2
            q[i, mu, 3] = g3


def to_complex(q: np.ndarray) -> np.ndarray:
    """Quaternions ``(..., 4)`` to complex 2x2 matrices ``(..., 2, 2)``."""
    a0, a1, a2, a3 = (q[..., k] for k in range(4))
    out = np.empty(q.shape[:-1] + (2, 2), dtype=np.complex128)
    out[..., 0, 0] = a0 + 1j * a3
    out[..., 0, 1] = a2 + 1j * a1
    out[..., 1, 0] = -a2 + 1j * a1
    out[..., 1, 1] = a0 - 1j * a3
    return out


def from_complex(u: np.ndarray) -> np.ndarray:
    """Complex SU(2) matrices ``(..., 2, 2)`` to quaternions ``(..., 4)``.

    Uses the projection onto real combinations of ``1, i s_k`` (exact for SU(2) input).
    """
    q = np.empty(u.shape[:-2] + (4,), dtype=np.float64)
    q[..., 0] = 0.5 * (u[..., 0, 0].real + u[..., 1, 1].real)
    q[..., 3] = 0.5 * (u[..., 0, 0].imag - u[..., 1, 1].imag)
    q[..., 2] = 0.5 * (u[..., 0, 1].real - u[..., 1, 0].real)
    q[..., 1] = 0.5 * (u[..., 0, 1].imag + u[..., 1, 0].imag)
    return q


class SU2Kernels(NamedTuple):
    """The backend-dependent SU(2) kernels (see :func:`build`)."""

    staple: object
    update_link: object
    update_sites: object
    sweep: object


@functools.cache
def build(ops: types.ModuleType) -> SU2Kernels:
    """Build the staple, link update and sweep kernels on the primitives of ``ops``.

    Parameters
    ----------
    ops : module
        :mod:`latticeml.gauge._kernels.simd` or :mod:`latticeml.gauge._kernels.scalar`.

    Returns
    -------
    SU2Kernels
        ``staple(q, up, dn, i, mu)``, ``update_link(...)``, ``update_sites(...)`` and
        ``sweep(q, up, dn, sites, seed, sweep, kind, beta, hits, eps, acc)``; compiled on
        first call, cached on disk per backend.
    """
    load4, add4, qmul, qmul_nc, qmul_cn = ops.load4, ops.add4, ops.qmul, ops.qmul_nc, ops.qmul_cn
    prefetch_staple = prefetch.build(ops)

    @jit_inline
    def staple(q, up, dn, i, mu):
        """Staple sum ``A`` (4-tuple) of link ``(i, mu)``; its action is ``-beta (U A)_0``."""
        D = q.shape[1]
        s = (0.0, 0.0, 0.0, 0.0)
        ip = up[i, mu]
        for nu in range(D):
            if nu == mu:
                continue
            # forward: U_nu(x+mu) U_mu(x+nu)^+ U_nu(x)^+
            j = up[i, nu]
            t = qmul_nc(qmul_nc(load4(q, 4 * (ip * D + nu)), load4(q, 4 * (j * D + mu))),
                        load4(q, 4 * (i * D + nu)))  # fmt: skip
            s = add4(s, t)
            # backward: U_nu(x+mu-nu)^+ U_mu(x-nu)^+ U_nu(x-nu)
            #         = (U_mu(x-nu) U_nu(x+mu-nu))^+ U_nu(x-nu)
            m = dn[i, nu]
            mp = dn[ip, nu]
            t = qmul_cn(qmul(load4(q, 4 * (m * D + mu)), load4(q, 4 * (mp * D + nu))),
                        load4(q, 4 * (m * D + nu)))  # fmt: skip
            s = add4(s, t)
        return s

    @jit_inline
    def update_link(q, up, dn, i, mu, kind, beta, key, hits, eps):
        """Update link ``(i, mu)`` in place; return the number of accepted Metropolis hits."""
        s0, s1, s2, s3 = staple(q, up, dn, i, mu)
        if kind == UpdateKind.METROPOLIS:
            u0, u1, u2, u3 = q[i, mu, 0], q[i, mu, 1], q[i, mu, 2], q[i, mu, 3]
            w0, w1, w2, w3 = qprod(u0, u1, u2, u3, s0, s1, s2, s3)
            n = _U0
            acc = 0
            for _ in range(hits):
                x0, x1, x2, x3, n = proposal_su2(eps, key, n)
                dS = -beta * ((x0 * w0 - x1 * w1 - x2 * w2 - x3 * w3) - w0)
                r = uniform(key, n)
                n += _U1
                if dS <= 0.0 or r < np.exp(-dS):
                    u0, u1, u2, u3 = qprod(x0, x1, x2, x3, u0, u1, u2, u3)
                    w0, w1, w2, w3 = qprod(x0, x1, x2, x3, w0, w1, w2, w3)
                    acc += 1
            u0, u1, u2, u3 = _normalise(u0, u1, u2, u3)
            q[i, mu, 0] = u0
            q[i, mu, 1] = u1
            q[i, mu, 2] = u2
            q[i, mu, 3] = u3
            return acc
        k2 = s0 * s0 + s1 * s1 + s2 * s2 + s3 * s3
        # V = A / k is never formed: X V^+ = X A^+ / k and V^+ U^+ V^+ = 2 (U V)_0 V^+ - U
        # (a reflection) = 2 (U A)_0 A^+ / k^2 - U; the final normalisation removes the
        # scale of X A^+
        if kind == UpdateKind.HEATBATH:
            x0, x1, x2, x3, _ = heatbath_su2(beta * np.sqrt(k2), key, _U0)
            if k2 > 0.0:
                u0, u1, u2, u3 = qprod(x0, x1, x2, x3, s0, -s1, -s2, -s3)
            else:
                u0, u1, u2, u3 = x0, x1, x2, x3
        elif k2 > 0.0:
            u0, u1, u2, u3 = q[i, mu, 0], q[i, mu, 1], q[i, mu, 2], q[i, mu, 3]
            f = 2.0 * (u0 * s0 - u1 * s1 - u2 * s2 - u3 * s3) / k2
            u0, u1, u2, u3 = f * s0 - u0, -f * s1 - u1, -f * s2 - u2, -f * s3 - u3
        else:  # zero staple: every link has the same action, keep it
            u0, u1, u2, u3 = q[i, mu, 0], q[i, mu, 1], q[i, mu, 2], q[i, mu, 3]
        u0, u1, u2, u3 = _normalise(u0, u1, u2, u3)
        q[i, mu, 0] = u0
        q[i, mu, 1] = u1
        q[i, mu, 2] = u2
        q[i, mu, 3] = u3
        return 0

    @jit
    def update_sites(q, up, dn, sites, par, start, stop, mu, kind, beta, sub, hits, eps, acc):
        """Update the links ``(sites[par, k], mu)`` for ``start <= k < stop`` (one chunk)."""
        # prefetching pays off once the links no longer fit in the L2 cache
        nh = sites.shape[1] if q.size >= _PREFETCH_MIN_DOUBLES else 0
        if kind == UpdateKind.OVERRELAX:
            for k in range(start, stop):
                i = sites[par, k]
                if k + _AHEAD < nh:
                    prefetch_staple(q, up, dn, sites[par, k + _AHEAD], mu, 4)
                update_link(q, up, dn, i, mu, UpdateKind.OVERRELAX, beta, _U0, hits, eps)
        elif kind == UpdateKind.HEATBATH:
            for k in range(start, stop):
                i = sites[par, k]
                if k + _AHEAD < nh:
                    prefetch_staple(q, up, dn, sites[par, k + _AHEAD], mu, 4)
                key = link_key(sub, np.uint64(i))
                update_link(q, up, dn, i, mu, UpdateKind.HEATBATH, beta, key, hits, eps)
        else:
            for k in range(start, stop):
                i = sites[par, k]
                key = link_key(sub, np.uint64(i))
                acc[i] += update_link(q, up, dn, i, mu, UpdateKind.METROPOLIS, beta, key, hits,
                                      eps)  # fmt: skip

    sweep = build_sweep(update_sites)

    return SU2Kernels(staple, update_link, update_sites, sweep)
