"""Slow, obviously correct twins of the gauge observables.

Everything here walks explicit paths site by site with tuple arithmetic on lattice
coordinates and one ``np.matmul`` per step. It shares no code with ``latticeml.observables``.

A path is a list of signed steps ``(mu, +1)`` or ``(mu, -1)``: a forward step multiplies by
``U_mu(x)`` and moves to ``x + mu``; a backward step moves to ``x - mu`` and multiplies by
``U_mu(x - mu)^dagger``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


def _move(x, mu, s, shape):
    y = list(x)
    y[mu] = (y[mu] + s) % shape[mu]
    return tuple(y)


def walk(links, x, path):
    """Ordered product of links along ``path`` from site ``x`` (one configuration)."""
    D = links.shape[-3]
    shape = links.shape[:D]
    N = links.shape[-1]
    m = np.eye(N, dtype=complex)
    for mu, s in path:
        if s > 0:
            m = np.matmul(m, links[x][mu])
            x = _move(x, mu, +1, shape)
        else:
            x = _move(x, mu, -1, shape)
            m = np.matmul(m, links[x][mu].conj().T)
    return m


def _planes(D):
    return [(mu, nu) for mu in range(D) for nu in range(D) if mu < nu]


def _batched(fn, links, D):
    batch = links.shape[: links.ndim - 3 - D]
    results = {idx: fn(links[idx]) for idx in np.ndindex(*batch)}
    first = next(iter(results.values()))
    out = np.empty(batch + first.shape, dtype=first.dtype)
    for idx, val in results.items():
        out[idx] = val
    return out


def rectangle_path(mu, nu, a, b):
    return [(mu, +1)] * a + [(nu, +1)] * b + [(mu, -1)] * a + [(nu, -1)] * b


def wilson_loop_matrices(links, a, b):
    """(..., n_planes, *shape, N, N) untraced a x b loops."""
    D = links.shape[-3]

    def one(u):
        shape = u.shape[:D]
        ps = _planes(D)
        out = np.empty((len(ps), *shape, u.shape[-1], u.shape[-1]), dtype=complex)
        for p, (mu, nu) in enumerate(ps):
            for x in itertools.product(*(range(L) for L in shape)):
                out[(p, *x)] = walk(u, x, rectangle_path(mu, nu, a, b))
        return out

    return _batched(one, links, D)


def wilson_loops(links, a, b):
    """(..., n_planes, *shape) Re Tr / N of the a x b loops."""
    m = wilson_loop_matrices(links, a, b)
    N = links.shape[-1]
    out = np.empty(m.shape[:-2])
    for idx in np.ndindex(*out.shape):
        out[idx] = sum(m[idx][i, i] for i in range(N)).real / N
    return out


def polyakov_loops(links, axis):
    """(..., *reduced_shape) Tr P / N, loops starting at coordinate 0 along ``axis``."""
    D = links.shape[-3]

    def one(u):
        shape = u.shape[:D]
        reduced = [L for k, L in enumerate(shape) if k != axis]
        out = np.empty(reduced, dtype=complex)
        for y in itertools.product(*(range(L) for L in reduced)):
            x = y[:axis] + (0,) + y[axis:]
            m = walk(u, x, [(axis, +1)] * shape[axis])
            out[y] = np.trace(m) / u.shape[-1]
        return out

    return _batched(one, links, D)


def polyakov_correlator(links, r):
    """(..., *shape) per-site mean over spatial directions i of Re[Tr P(x) conj Tr P(x + r i)]
    / N^2, each loop walked from the site itself along axis 0 (no shortcut through traces of
    other starting points)."""
    D = links.shape[-3]

    def one(u):
        shape = u.shape[:D]
        n = u.shape[-1]
        out = np.empty(shape)
        for x in itertools.product(*(range(L) for L in shape)):
            here = np.trace(walk(u, x, [(0, +1)] * shape[0])) / n
            total = 0.0
            for i in range(1, D):
                y = list(x)
                y[i] = (y[i] + r) % shape[i]
                there = np.trace(walk(u, tuple(y), [(0, +1)] * shape[0])) / n
                total += (here * np.conj(there)).real
            out[x] = total / (D - 1)
        return out

    return _batched(one, links, D)


def clover_field_strength(links):
    """(..., 6, *shape, N, N) traceless (Q - Q^dagger)/(8i), Q = sum of four leaves at x."""
    D = links.shape[-3]

    def one(u):
        shape = u.shape[:D]
        N = u.shape[-1]
        ps = _planes(D)
        out = np.empty((len(ps), *shape, N, N), dtype=complex)
        for p, (mu, nu) in enumerate(ps):
            leaves = [
                [(mu, +1), (nu, +1), (mu, -1), (nu, -1)],
                [(nu, +1), (mu, -1), (nu, -1), (mu, +1)],
                [(mu, -1), (nu, -1), (mu, +1), (nu, +1)],
                [(nu, -1), (mu, +1), (nu, +1), (mu, -1)],
            ]
            for x in itertools.product(*(range(L) for L in shape)):
                q = sum(walk(u, x, leaf) for leaf in leaves)
                f = (q - q.conj().T) / 8j
                f = f - np.trace(f) / N * np.eye(N)
                out[(p, *x)] = f
        return out

    return _batched(one, links, D)


def _perm_sign(perm):
    sign = 1
    perm = list(perm)
    for i in range(len(perm)):
        for j in range(i + 1, len(perm)):
            if perm[i] > perm[j]:
                sign = -sign
    return sign


def topological_charge_density(links):
    """(..., *shape) q(x) = 1/(32 pi^2) sum over all 24 permutations of eps Tr[F F]."""
    D = links.shape[-3]
    f = clover_field_strength(links)
    index = {pl: p for p, pl in enumerate(_planes(D))}

    def F(fx, mu, nu):
        if mu == nu:
            return np.zeros_like(fx[0])
        if mu < nu:
            return fx[index[(mu, nu)]]
        return -fx[index[(nu, mu)]]

    batch = links.shape[: links.ndim - 3 - D]
    shape = links.shape[len(batch) : len(batch) + D]
    out = np.empty(batch + shape)
    for b in np.ndindex(*batch):
        for x in itertools.product(*(range(L) for L in shape)):
            fx = f[b][(slice(None), *x)]
            total = 0.0
            for perm in itertools.permutations(range(4)):
                mu, nu, rho, sg = perm
                total += _perm_sign(perm) * np.trace(F(fx, mu, nu) @ F(fx, rho, sg)).real
            out[b + x] = total / (32 * math.pi**2)
    return out
