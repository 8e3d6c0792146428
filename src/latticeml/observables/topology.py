"""Clover-leaf field strength and topological charge in four dimensions.

Conventions (ARCHITECTURE.md §3)::

    F_mu_nu(x) = (Q_mu_nu(x) - Q_mu_nu(x)^dagger) / (8i),   made traceless,
    q(x)       = 1 / (32 pi^2) eps_{mu nu rho sigma} Tr[F_mu_nu(x) F_rho_sigma(x)],

where ``Q_mu_nu(x)`` is the sum of the four plaquettes of the ``mu nu`` plane that touch ``x``,
each starting and ending at ``x`` and oriented like ``U_{x, mu nu}`` (counter-clockwise in the
``mu nu`` plane). Summing the 24 terms of ``eps`` gives

    ``q = (1 / 4 pi^2) (Tr F_01 F_23 - Tr F_02 F_13 + Tr F_03 F_12)``.

For a U(1) field embedded as ``diag(e^{i theta}, e^{-i theta})`` with constant plaquette
angles ``phi_01 = 2 pi n_01 / (L_0 L_1)`` and ``phi_23 = 2 pi n_23 / (L_2 L_3)`` every leaf equals
the plaquette, ``F_01 = diag(sin phi_01, -sin phi_01)``, and
``Q = V sin(phi_01) sin(phi_23) / (2 pi^2) -> 2 n_01 n_23`` (the embedding has charge 2).

The leaves are walked link by link in a Numba kernel (parallel over configurations and
sites); the slow twin lives in ``tests/observables/reference.py``.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from latticeml._numba import pjit
from latticeml.errors import ParameterError
from latticeml.observables.wilson import _shift, site_strides, validate_links

__all__ = ["clover_field_strength", "topological_charge_density", "topological_charge"]


def _validate_4d(links: object) -> tuple[np.ndarray, int]:
    links, d, n = validate_links(links)
    if d != 4:
        raise ParameterError(
            "links",
            "a four-dimensional lattice (D = 4)",
            links.shape,
            "the topological charge is defined for D = 4 only",
        )
    return links, n


def clover_field_strength(links: np.ndarray) -> np.ndarray:
    """Traceless hermitian clover field strength ``F_mu_nu(x)`` for the 6 planes ``mu < nu``.

    Parameters
    ----------
    links : ndarray, complex, shape (..., L0, L1, L2, L3, 4, N, N)
        Gauge links of a four-dimensional lattice.

    Returns
    -------
    ndarray, complex, shape (..., 6, L0, L1, L2, L3, N, N)
        Planes in lexicographic order (0,1), (0,2), (0,3), (1,2), (1,3), (2,3). ``F`` transforms
        locally, ``F(x) -> Omega(x) F(x) Omega(x)^dagger``.
    """
    links, _ = _validate_4d(links)
    f = _clover_field_strength(links)
    return f.astype(np.complex64) if links.dtype == np.complex64 else f


def _clover_field_strength(links: np.ndarray) -> np.ndarray:
    """Complex128 clover field strength of validated 4D links (layout as above)."""
    n = links.shape[-1]
    lattice = links.shape[-7:-3]
    batch = links.shape[:-7]
    v = int(np.prod(lattice))
    u = np.ascontiguousarray(links, dtype=np.complex128).reshape(-1, v, 4, n, n)
    out = np.empty((u.shape[0], 6, v, n, n), dtype=np.complex128)
    scratch = np.empty((u.shape[0], v, 2, n, n), dtype=np.complex128)
    _clover(u, np.array(lattice, dtype=np.int64), site_strides(lattice), _LEAF_SIGNS, scratch, out)
    return out.reshape(*batch, 6, *lattice, n, n)


#: Step signs of the four clover leaves; leaves 0, 2 alternate (mu, nu), leaves 1, 3 (nu, mu):
#: (+mu +nu -mu -nu), (+nu -mu -nu +mu), (-mu -nu +mu +nu), (-nu +mu +nu -mu).
_LEAF_SIGNS = np.array([[1, 1, -1, -1], [1, -1, -1, 1], [-1, -1, 1, 1], [-1, 1, 1, -1]])


@pjit
def _clover(u, shape, strides, signs, scratch, out):
    """``out[c, p, x]`` = traceless ``(Q - Q^dagger) / 8i`` of plane ``p``; ``u`` (B, V, D, N, N).

    Each leaf is walked step by step: a forward step multiplies by ``U_d(y)`` and moves to
    ``y + d``, a backward step moves to ``y - d`` and multiplies by ``U_d(y - d)^dagger``.
    ``scratch`` (B, V, 2, N, N) holds the running product and a temporary.
    """
    B, V, D, N = u.shape[0], u.shape[1], u.shape[2], u.shape[3]
    for cx in prange(B * V):
        c = cx // V
        x = cx % V
        m = scratch[c, x, 0]
        t = scratch[c, x, 1]
        p = 0
        for mu in range(D):
            for nu in range(mu + 1, D):
                q = out[c, p, x]
                q[:, :] = 0
                for leaf in range(4):
                    y = x
                    for s in range(4):
                        d = mu if (leaf + s) % 2 == 0 else nu
                        if s == 0:  # the first step needs no product
                            if signs[leaf, s] < 0:
                                y = _shift(y, d, shape[d] - 1, shape, strides)
                            for i in range(N):
                                for j in range(N):
                                    if signs[leaf, s] > 0:
                                        m[i, j] = u[c, y, d, i, j]
                                    else:
                                        m[i, j] = np.conj(u[c, y, d, j, i])
                            if signs[leaf, s] > 0:
                                y = _shift(y, d, 1, shape, strides)
                            continue
                        if signs[leaf, s] > 0:
                            for i in range(N):
                                for j in range(N):
                                    acc = 0j
                                    for k in range(N):
                                        acc += m[i, k] * u[c, y, d, k, j]
                                    t[i, j] = acc
                            y = _shift(y, d, 1, shape, strides)
                        else:
                            y = _shift(y, d, shape[d] - 1, shape, strides)
                            for i in range(N):
                                for j in range(N):
                                    acc = 0j
                                    for k in range(N):
                                        acc += m[i, k] * np.conj(u[c, y, d, j, k])
                                    t[i, j] = acc
                        m[:, :] = t
                    q += m
                for i in range(N):
                    for j in range(N):
                        t[i, j] = (q[i, j] - np.conj(q[j, i])) / 8j
                tr = 0j
                for i in range(N):
                    tr += t[i, i]
                tr /= N
                for i in range(N):
                    for j in range(N):
                        q[i, j] = t[i, j]
                    q[i, i] -= tr
                p += 1


def topological_charge_density(links: np.ndarray) -> np.ndarray:
    """Clover topological charge density ``q(x)``.

    Parameters
    ----------
    links : ndarray, complex, shape (..., L0, L1, L2, L3, 4, N, N)
        Gauge links of a four-dimensional lattice.

    Returns
    -------
    ndarray of float64, shape (..., L0, L1, L2, L3)
        Gauge-invariant density; it changes sign under the reflection of one axis.
    """
    links, _ = _validate_4d(links)
    f = _clover_field_strength(links)
    site0 = f.ndim - 7

    def tr(i: int, j: int) -> np.ndarray:
        a = f.take(i, axis=site0)
        b = f.take(j, axis=site0)
        # Tr[A B] = sum_ij A_ij B_ji
        return np.einsum("...ij,...ji->...", a, b).real

    # plane indices: 0:(0,1) 1:(0,2) 2:(0,3) 3:(1,2) 4:(1,3) 5:(2,3)
    q = tr(0, 5) - tr(1, 4) + tr(2, 3)
    return (q / (4.0 * np.pi**2)).astype(np.float64)


def topological_charge(links: np.ndarray) -> np.ndarray:
    """Total clover topological charge ``Q = sum_x q(x)``.

    Parameters
    ----------
    links : ndarray, complex, shape (..., L0, L1, L2, L3, 4, N, N)
        Gauge links of a four-dimensional lattice.

    Returns
    -------
    ndarray of float64, shape (...)
        One value per configuration (0-d for a single configuration).
    """
    q = topological_charge_density(links)
    return q.sum(axis=(-4, -3, -2, -1))
