"""Slow, obviously correct twins of the dual scalar kernels (pure Python / plain numpy).

* :func:`site_flux_ref`, :func:`divergence_ref`: loops over an explicit list of links
  ``(site, nu)``; each link adds to both of its end sites (so ``N_x = 2`` is exact).
* :func:`xoshiro256ss_ref`: the published xoshiro256** recurrence on Python integers.
* :func:`free_field_exact`: momentum sums of REFERENCES.md.
* :func:`metropolis_complex_phi4`: conventional Metropolis simulation of the complex field
  ``S = sum_x (eta |phi|^2 + lam |phi|^4 - sum_nu 2 Re phi_x^* phi_{x+nu})`` at mu = 0.
"""

from __future__ import annotations

import numpy as np

MASK = (1 << 64) - 1


def links(shape):
    """All links as ``((t, x), nu, (t', x'))`` with ``(t', x') = (t, x) + nu_hat``."""
    nt, nx = shape
    out = []
    for t in range(nt):
        for x in range(nx):
            out.append(((t, x), 0, ((t + 1) % nt, x)))
            out.append(((t, x), 1, (t, (x + 1) % nx)))
    return out


def site_flux_ref(k, l):
    """``f_x = sum_{links b touching x} (|k_b| + 2 l_b)`` by looping over links."""
    shape = k.shape[:2]
    f = np.zeros(shape, dtype=np.int64)
    for a, nu, b in links(shape):
        w = abs(int(k[a][nu])) + 2 * int(l[a][nu])
        f[a] += w
        f[b] += w
    return f


def divergence_ref(k):
    """Outflow minus inflow of ``k`` at every site, by looping over links."""
    shape = k.shape[:2]
    d = np.zeros(shape, dtype=np.int64)
    for a, nu, b in links(shape):
        d[a] += int(k[a][nu])
        d[b] -= int(k[a][nu])
    return d


def xoshiro256ss_ref(state, n):
    """``n`` outputs of xoshiro256** from the 4-word ``state`` (Python ints)."""
    s = [int(v) for v in state]

    def rotl(x, r):
        return ((x << r) | (x >> (64 - r))) & MASK

    out = []
    for _ in range(n):
        out.append((rotl((s[1] * 5) & MASK, 7) * 9) & MASK)
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
    return out


def free_field_exact(shape, mu, eta):
    """Exact ``(<|phi|^2>, <n>)`` of the free field (lambda = 0) on a finite lattice."""
    nt, nx = shape
    pt = 2 * np.pi * np.arange(nt) / nt
    px = 2 * np.pi * np.arange(nx) / nx
    PT, PX = np.meshgrid(pt, px, indexing="ij")
    M = eta - 2 * np.cos(PX) - 2 * np.cosh(mu + 1j * PT)
    return float(np.mean(1 / M).real), float(np.mean((2 * np.sinh(mu + 1j * PT) / M).real))


def metropolis_complex_phi4(shape, eta, lam, n_sweeps, *, seed, n_therm=500, delta=1.0, hits=2):
    """Checkerboard Metropolis of the complex phi^4 field at mu = 0.

    Returns the series of ``(1/V) sum_x |phi_x|^2`` after every sweep.
    """
    rng = np.random.default_rng(seed)
    phi = np.zeros(shape, dtype=np.complex128)
    t, x = np.indices(shape)
    masks = [((t + x) % 2) == p for p in (0, 1)]

    def local(z, nb):
        a = (z * z.conjugate()).real
        return eta * a + lam * a * a - 2.0 * (z.conjugate() * nb).real

    out = np.empty(n_sweeps)
    for sweep in range(n_therm + n_sweeps):
        for mask in masks:
            nb = (
                np.roll(phi, 1, 0) + np.roll(phi, -1, 0) + np.roll(phi, 1, 1) + np.roll(phi, -1, 1)
            )
            for _ in range(hits):
                new = phi + delta * (
                    rng.uniform(-1, 1, shape) + 1j * rng.uniform(-1, 1, shape)
                )
                ds = local(new, nb) - local(phi, nb)
                acc = mask & (rng.random(shape) < np.exp(-np.maximum(ds, 0.0)))
                phi = np.where(acc, new, phi)
        if sweep >= n_therm:
            out[sweep - n_therm] = np.mean(np.abs(phi) ** 2)
    return out
