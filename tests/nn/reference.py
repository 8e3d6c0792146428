"""Slow, obviously correct twins of the vectorized L-CNN operations (numpy, loops over sites)."""

from __future__ import annotations

import itertools

import numpy as np


def _sites(shape):
    return itertools.product(*(range(n) for n in shape))


def _step(x, axis, s, shape):
    y = list(x)
    y[axis] = (y[axis] + s) % shape[axis]
    return tuple(y)


def path_product(u, x, moves):
    """Product of links along a path of unit moves ``(axis, +1 or -1)`` from site ``x``.

    ``u``: one configuration ``(*shape, D, N, N)`` (numpy).
    """
    shape = u.shape[:-3]
    N = u.shape[-1]
    out = np.eye(N, dtype=u.dtype)
    for axis, sign in moves:
        if sign > 0:
            out = out @ u[x][axis]
            x = _step(x, axis, 1, shape)
        else:
            x = _step(x, axis, -1, shape)
            out = out @ u[x][axis].conj().T
    return out


def plaquette(u, mu, nu):
    """``(*shape, N, N)`` plaquettes of one configuration, by walking the loop."""
    shape = u.shape[:-3]
    out = np.empty((*shape, u.shape[-1], u.shape[-1]), dtype=u.dtype)
    for x in _sites(shape):
        out[x] = path_product(u, x, [(mu, 1), (nu, 1), (mu, -1), (nu, -1)])
    return out


def wilson_loop(u, a, b, mu=0, nu=1):
    """``Re Tr W^(a x b)_(x, mu nu) / N`` at every site of one configuration."""
    shape = u.shape[:-3]
    N = u.shape[-1]
    moves = [(mu, 1)] * a + [(nu, 1)] * b + [(mu, -1)] * a + [(nu, -1)] * b
    out = np.empty(shape)
    for x in _sites(shape):
        out[x] = np.trace(path_product(u, x, moves)).real / N
    return out


def polyakov(u, axis=0):
    """Untraced Polyakov loop at every site of one configuration."""
    shape = u.shape[:-3]
    out = np.empty((*shape, u.shape[-1], u.shape[-1]), dtype=u.dtype)
    for x in _sites(shape):
        out[x] = path_product(u, x, [(axis, 1)] * shape[axis])
    return out


def transport(u, w, axis, s):
    """Transport ``w(x + s axis)`` to ``x`` along the straight line; ``w``: ``(*shape, N, N)``."""
    shape = u.shape[:-3]
    out = np.empty_like(w)
    sign = 1 if s > 0 else -1
    for x in _sites(shape):
        g = path_product(u, x, [(axis, sign)] * abs(s))
        out[x] = g @ w[_step(x, axis, s, shape)] @ g.conj().T
    return out


def offsets(dim, kernel_size, dilation, mode):
    fwd = []
    for axis in range(dim):
        for k in range(1, kernel_size):
            fwd.append((axis, k * dilation))
    if mode == "symmetric":
        fwd = fwd + [(a, -s) for a, s in fwd]
    return fwd


def lconvbilin(u, w, weight, *, kernel_size, dilation=1, mode="forward", local=False,
               unit=True, conjugates=True):
    """Loop-based L-CB layer for one configuration.

    ``u``: ``(*shape, D, N, N)``; ``w``: ``(C, *shape, N, N)``; ``weight``: ``(O, n_A, n_T)``.
    Channel order as documented in ``latticeml.nn.gauge_layers``.
    """
    shape = u.shape[:-3]
    D, N = u.shape[-3], u.shape[-1]
    C = w.shape[0]
    offs = offsets(D, kernel_size, dilation, mode)
    base = []
    if local:
        base += [w[c] for c in range(C)]
    for c in range(C):
        for axis, s in offs:
            base.append(transport(u, w[c], axis, s))
    eye = np.broadcast_to(np.eye(N, dtype=w.dtype), (*shape, N, N))
    a_list = [w[c] for c in range(C)]
    t_list = list(base)
    if conjugates:
        a_list += [np.swapaxes(w[c], -1, -2).conj() for c in range(C)]
        t_list += [np.swapaxes(t, -1, -2).conj() for t in base]
    if unit:
        a_list.append(eye)
        t_list.append(eye)
    O = weight.shape[0]
    out = np.zeros((O, *shape, N, N), dtype=w.dtype)
    for x in _sites(shape):
        for o in range(O):
            acc = np.zeros((N, N), dtype=w.dtype)
            for ia, am in enumerate(a_list):
                for it, tm in enumerate(t_list):
                    acc += weight[o, ia, it] * (am[x] @ tm[x])
            out[(o, *x)] = acc
    return out


def lconv(u, w, weight, *, kernel_size, dilation=1, mode="forward", local=True, unit=False):
    """Loop-based L-Conv for one configuration; ``weight``: ``(O, n_T)``."""
    shape = u.shape[:-3]
    D, N = u.shape[-3], u.shape[-1]
    C = w.shape[0]
    base = [w[c] for c in range(C)] if local else []
    for c in range(C):
        for axis, s in offsets(D, kernel_size, dilation, mode):
            base.append(transport(u, w[c], axis, s))
    if unit:
        base.append(np.broadcast_to(np.eye(N, dtype=w.dtype), (*shape, N, N)))
    return np.einsum("ot,t...->o...", weight, np.stack(base))


def lbilin(w1, w2, weight, *, unit=True, conjugates=True):
    """Loop-based L-Bilin for one configuration; ``w1``: ``(C1, *shape, N, N)``."""
    N = w1.shape[-1]
    shape = w1.shape[1:-2]

    def enlarge(w):
        lst = [w[c] for c in range(w.shape[0])]
        if conjugates:
            lst += [np.swapaxes(w[c], -1, -2).conj() for c in range(w.shape[0])]
        if unit:
            lst.append(np.broadcast_to(np.eye(N, dtype=w.dtype), (*shape, N, N)))
        return lst

    a_list, b_list = enlarge(w1), enlarge(w2)
    out = np.zeros((weight.shape[0], *shape, N, N), dtype=w1.dtype)
    for x in _sites(shape):
        for o in range(weight.shape[0]):
            for ia, am in enumerate(a_list):
                for ib, bm in enumerate(b_list):
                    out[(o, *x)] += weight[o, ia, ib] * (am[x] @ bm[x])
    return out
