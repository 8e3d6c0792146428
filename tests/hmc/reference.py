"""Slow, obviously correct twins: Wilson loops walked link by link, a local Metropolis."""

from __future__ import annotations

import itertools

import numpy as np


def walked_loop(links: np.ndarray, x: tuple[int, ...], steps: list[tuple[int, int]]) -> complex:
    """``Tr`` of the path from ``x`` given as ``(direction, +1 | -1)`` steps, divided by N."""
    shape = links.shape[:-3]
    n = links.shape[-1]
    m = np.eye(n, dtype=complex)
    y = list(x)
    for mu, sign in steps:
        if sign > 0:
            m = m @ links[tuple(y) + (mu,)]
            y[mu] = (y[mu] + 1) % shape[mu]
        else:
            y[mu] = (y[mu] - 1) % shape[mu]
            m = m @ links[tuple(y) + (mu,)].conj().T
    assert tuple(y) == tuple(x)
    return np.trace(m) / n


def rectangles(links: np.ndarray) -> np.ndarray:
    """``Re Tr R / N`` of the 2x1 and 1x2 loops, planes mu < nu, by walking every path."""
    shape = links.shape[:-3]
    d = len(shape)
    out = []
    for mu in range(d):
        for nu in range(mu + 1, d):
            for a, b in ((2, 1), (1, 2)):
                steps = [(mu, 1)] * a + [(nu, 1)] * b + [(mu, -1)] * a + [(nu, -1)] * b
                vals = np.empty(shape)
                for x in itertools.product(*map(range, shape)):
                    vals[x] = walked_loop(links, x, steps).real
                out.append(vals)
    return np.stack(out)


def _walk_matrix(links: np.ndarray, x: tuple[int, ...], steps: list[tuple[int, int]]):
    """The ordered product of the links along ``steps`` from ``x`` (not traced)."""
    shape = links.shape[:-3]
    m = np.eye(links.shape[-1], dtype=complex)
    y = list(x)
    for mu, sign in steps:
        if sign > 0:
            m = m @ links[tuple(y) + (mu,)]
            y[mu] = (y[mu] + 1) % shape[mu]
        else:
            y[mu] = (y[mu] - 1) % shape[mu]
            m = m @ links[tuple(y) + (mu,)].conj().T
    return m


def clover_energy(links: np.ndarray) -> float:
    """``E = -sum_{mu<nu} Tr G_mu_nu^2`` per site, ``G`` the traceless part of ``(Q - Q^dag)/8``
    with ``Q`` the four plaquette leaves at ``x`` walked link by link (Lüscher 2010, eq. 3.3)."""
    shape = links.shape[:-3]
    n = links.shape[-1]
    total = 0.0
    for mu, nu in itertools.combinations(range(4), 2):
        leaves = ([(mu, 1), (nu, 1), (mu, -1), (nu, -1)], [(nu, 1), (mu, -1), (nu, -1), (mu, 1)],
                  [(mu, -1), (nu, -1), (mu, 1), (nu, 1)], [(nu, -1), (mu, 1), (nu, 1), (mu, -1)])
        for x in itertools.product(*map(range, shape)):
            q = sum(_walk_matrix(links, x, leaf) for leaf in leaves)
            g = (q - q.conj().T) / 8
            g -= np.trace(g) / n * np.eye(n)
            total -= np.trace(g @ g).real
    return total / np.prod(shape)


def _dagger(a: np.ndarray) -> np.ndarray:
    return np.conj(np.swapaxes(a, -1, -2))


def _flow_z(links: np.ndarray) -> np.ndarray:
    """Lüscher's ``Z = -g0^2 dS_w`` written out: ``-TA(U_mu(x) sum of its staples)``."""
    d, n = links.ndim - 3, links.shape[-1]
    z = np.empty_like(links)
    for mu in range(d):
        um = links[..., mu, :, :]
        staples = np.zeros_like(um)
        for nu in range(d):
            if nu == mu:
                continue
            un = links[..., nu, :, :]
            un_xmu = np.roll(un, -1, axis=mu)
            staples += un_xmu @ _dagger(np.roll(um, -1, axis=nu)) @ _dagger(un)
            staples += (_dagger(np.roll(un_xmu, 1, axis=nu)) @ _dagger(np.roll(um, 1, axis=nu))
                        @ np.roll(un, 1, axis=nu))
        omega = um @ staples
        ta = 0.5 * (omega - _dagger(omega))
        ta -= np.trace(ta, axis1=-2, axis2=-1)[..., None, None] / n * np.eye(n)
        z[..., mu, :, :] = -ta
    return z


def _expm(x: np.ndarray) -> np.ndarray:
    """Matrix exponential by scaling and squaring of a 20-term Taylor series."""
    s = max(0, int(np.ceil(np.log2(max(np.abs(x).max() * x.shape[-1], 1e-300)))) + 1)
    y = x / 2**s
    out = term = np.broadcast_to(np.eye(x.shape[-1], dtype=complex), x.shape).copy()
    for k in range(1, 21):
        term = term @ y / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


def rk3_flow(links: np.ndarray, t: float, eps: float) -> np.ndarray:
    """Lüscher's RK3 (JHEP 08 (2010) 071, eq. C.1) with :func:`_flow_z`, written out."""
    v = np.array(links, dtype=complex)
    for _ in range(int(round(t / eps))):
        z0 = eps * _flow_z(v)
        w1 = _expm(z0 / 4) @ v
        z1 = eps * _flow_z(w1)
        w2 = _expm(8 / 9 * z1 - 17 / 36 * z0) @ w1
        z2 = eps * _flow_z(w2)
        v = _expm(3 / 4 * z2 - 8 / 9 * z1 + 17 / 36 * z0) @ w2
    return v
