"""Numba kernels of the Wilson flow (private; arrays in, arrays out).

Links are complex128 ``(V, D, N, N)`` (sites in row-major order), with neighbour tables
``fwd[x, mu]`` (site ``x + mu^``) and ``bwd[x, mu]`` (site ``x - mu^``) from
:func:`neighbours`. N = 2 or 3, any D >= 2.

* :func:`flow_generator` -- ``Z_mu(x) = -(1/2) TA(U_mu(x) A_mu(x))``, ``A`` the staple sum of
  :func:`latticeml.hmc.actions.staple_sum` (``TA`` the traceless anti-hermitian part): half
  the flow's drift ``Z`` of Lüscher, ``N`` times the Wilson force at beta = 1.
* :func:`apply_exp` -- ``out = exp(ca za + cb zb) u`` link by link, with the exact exponential
  of su(N): closed form for SU(2), Cayley-Hamilton (Morningstar and Peardon,
  hep-lat/0311018) for SU(3).

Their slow twins are the torch functions of :mod:`latticeml.hmc.flow` and
``torch.linalg.matrix_exp`` (tests/hmc compare them). Sites run in parallel blocks; the
arithmetic of each link does not depend on the thread count.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from latticeml._numba import jit_inline, pjit

_BLOCK = 64  # sites per parallel block (one scratch buffer each)


def neighbours(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Return the forward and backward neighbour tables ``(V, D)`` of a periodic lattice."""
    idx = np.arange(int(np.prod(shape))).reshape(shape)
    fwd = np.stack([np.roll(idx, -1, axis=mu).ravel() for mu in range(len(shape))], axis=1)
    bwd = np.stack([np.roll(idx, 1, axis=mu).ravel() for mu in range(len(shape))], axis=1)
    return np.ascontiguousarray(fwd), np.ascontiguousarray(bwd)


@jit_inline
def _mul_nn(a, b, out):
    """``out = a b``."""
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            s = 0j
            for k in range(n):
                s += a[i, k] * b[k, j]
            out[i, j] = s


@jit_inline
def _mul_nd(a, b, out):
    """``out = a b^dagger``."""
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            s = 0j
            for k in range(n):
                s += a[i, k] * b[j, k].conjugate()
            out[i, j] = s


@jit_inline
def _mul_dd(a, b, out):
    """``out = a^dagger b^dagger = (b a)^dagger``."""
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            s = 0j
            for k in range(n):
                s += b[j, k] * a[k, i]
            out[i, j] = s.conjugate()


@jit_inline
def _add_to(a, out):
    n = a.shape[0]
    for i in range(n):
        for j in range(n):
            out[i, j] += a[i, j]


@pjit
def flow_generator(u: np.ndarray, fwd: np.ndarray, bwd: np.ndarray, out: np.ndarray) -> None:
    """Write ``Z_mu(x) = -(1/2) TA(U_mu(x) A_mu(x))`` of every link into ``out``."""
    v, d, n, _ = u.shape
    for blk in prange((v + _BLOCK - 1) // _BLOCK):
        s1 = np.empty((n, n), np.complex128)
        s2 = np.empty((n, n), np.complex128)
        a = np.empty((n, n), np.complex128)
        w = np.empty((n, n), np.complex128)
        for x in range(blk * _BLOCK, min(v, (blk + 1) * _BLOCK)):
            for mu in range(d):
                a[:] = 0
                xm = fwd[x, mu]
                for nu in range(d):
                    if nu == mu:
                        continue
                    # up: U_nu(x+mu) U_mu(x+nu)^dagger U_nu(x)^dagger
                    _mul_nd(u[xm, nu], u[fwd[x, nu], mu], s1)
                    _mul_nd(s1, u[x, nu], s2)
                    _add_to(s2, a)
                    # down: U_nu(x+mu-nu)^dagger U_mu(x-nu)^dagger U_nu(x-nu)
                    xb = bwd[x, nu]
                    _mul_dd(u[bwd[xm, nu], nu], u[xb, mu], s1)
                    _mul_nn(s1, u[xb, nu], s2)
                    _add_to(s2, a)
                _mul_nn(u[x, mu], a, w)
                tr = 0j
                for i in range(n):
                    tr += 0.5 * (w[i, i] - np.conj(w[i, i]))
                tr /= n
                z = out[x, mu]
                for i in range(n):
                    for j in range(n):
                        ta = 0.5 * (w[i, j] - np.conj(w[j, i]))
                        if i == j:
                            ta -= tr
                        z[i, j] = -0.5 * ta


@jit_inline
def _exp_su2(x, out):
    """``out = exp(x)`` for traceless anti-hermitian 2x2 ``x``: ``cos r + sin(r)/r x``."""
    r2 = abs(x[0, 0]) ** 2 + abs(x[0, 1]) ** 2
    r = math.sqrt(r2)
    c = math.cos(r)
    s = math.sin(r) / r if r > 1e-4 else 1.0 - r2 / 6.0 * (1.0 - r2 / 20.0 * (1.0 - r2 / 42.0))
    out[0, 0] = c + s * x[0, 0]
    out[0, 1] = s * x[0, 1]
    out[1, 0] = s * x[1, 0]
    out[1, 1] = c + s * x[1, 1]


@jit_inline
def _exp_su3(x, q2, out):
    """``out = exp(x)`` for traceless anti-hermitian 3x3 ``x`` (Cayley-Hamilton).

    With the hermitian ``Q = -i x``: ``exp(iQ) = f0 + f1 Q + f2 Q^2``; ``q2`` is scratch.
    """
    # Q^2 = -x^2 (hermitian); c1 = tr Q^2 / 2, c0 = det Q = tr Q^3 / 3 = Re tr(Q Q^2) / 3
    for i in range(3):
        for j in range(3):
            s = 0j
            for k in range(3):
                s -= x[i, k] * x[k, j]
            q2[i, j] = s
    c1 = 0.5 * (q2[0, 0].real + q2[1, 1].real + q2[2, 2].real)
    c0 = 0.0
    for i in range(3):
        for k in range(3):
            c0 += (-1j * x[i, k] * q2[k, i]).real
    c0 /= 3.0
    if c1 < 1e-24:  # Q ~ 0: the series to second order is exact to rounding
        for i in range(3):
            for j in range(3):
                out[i, j] = x[i, j] - 0.5 * q2[i, j]
            out[i, i] += 1.0
        return
    neg = c0 < 0.0
    c0 = abs(c0)
    c0max = 2.0 * (c1 / 3.0) ** 1.5
    theta = math.acos(min(c0 / c0max, 1.0))
    u = math.sqrt(c1 / 3.0) * math.cos(theta / 3.0)
    w = math.sqrt(c1) * math.sin(theta / 3.0)
    u2 = u * u
    w2 = w * w
    xi0 = math.sin(w) / w if w > 0.05 else \
        1.0 - w2 / 6.0 * (1.0 - w2 / 20.0 * (1.0 - w2 / 42.0 * (1.0 - w2 / 72.0)))
    cw = math.cos(w)
    e2 = complex(math.cos(2.0 * u), math.sin(2.0 * u))
    em = complex(math.cos(u), -math.sin(u))
    h0 = (u2 - w2) * e2 + em * complex(8.0 * u2 * cw, 2.0 * u * (3.0 * u2 + w2) * xi0)
    h1 = 2.0 * u * e2 - em * complex(2.0 * u * cw, -(3.0 * u2 - w2) * xi0)
    h2 = e2 - em * complex(cw, 3.0 * u * xi0)
    den = 9.0 * u2 - w2
    f0 = h0 / den
    f1 = h1 / den
    f2 = h2 / den
    if neg:  # f_j(-c0) = (-1)^j conj(f_j(c0))
        f0 = np.conj(f0)
        f1 = -np.conj(f1)
        f2 = np.conj(f2)
    # exp = f0 + f1 Q + f2 Q^2 with Q = -i x
    for i in range(3):
        for j in range(3):
            out[i, j] = -1j * f1 * x[i, j] + f2 * q2[i, j]
        out[i, i] += f0


@pjit
def exp_algebra(x: np.ndarray, out: np.ndarray) -> None:
    """Write ``exp(x)`` of every traceless anti-hermitian matrix of ``x`` (M, N, N)."""
    m, n, _ = x.shape
    for blk in prange((m + _BLOCK - 1) // _BLOCK):
        q2 = np.empty((3, 3), np.complex128)
        for i in range(blk * _BLOCK, min(m, (blk + 1) * _BLOCK)):
            if n == 2:
                _exp_su2(x[i], out[i])
            else:
                _exp_su3(x[i], q2, out[i])


@pjit
def apply_exp(u: np.ndarray, za: np.ndarray, ca: float, zb: np.ndarray, cb: float,
              out: np.ndarray) -> None:
    """Write ``exp(ca za + cb zb) u`` of every link into ``out`` (may not alias ``u``)."""
    v, d, n, _ = u.shape
    for blk in prange((v + _BLOCK - 1) // _BLOCK):
        x = np.empty((n, n), np.complex128)
        e = np.empty((n, n), np.complex128)
        q2 = np.empty((3, 3), np.complex128)
        for s in range(blk * _BLOCK, min(v, (blk + 1) * _BLOCK)):
            for mu in range(d):
                a = za[s, mu]
                b = zb[s, mu]
                for i in range(n):
                    for j in range(n):
                        x[i, j] = ca * a[i, j] + cb * b[i, j]
                if n == 2:
                    _exp_su2(x, e)
                else:
                    _exp_su3(x, q2, e)
                _mul_nn(e, u[s, mu], out[s, mu])
