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
