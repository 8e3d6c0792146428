"""All distinct traced loops of each length on the infinite hypercubic lattice (the Max column).

A traced loop of length ``n`` is a closed, cyclically reduced word of ``n`` steps up to cyclic
rotation (:mod:`latticeml.loops.words`).  The count is obtained in two steps:

1. a Numba transfer-matrix enumeration of all closed non-backtracking walks from the origin
   whose last step is not the inverse of the first (``C(n)``: the cyclically reduced closed
   words of length ``n``), tracking (position, first step, last step);
2. the rotation classes by Moebius inversion: the primitive words
   ``P(n) = sum_{d | n} mu(n/d) C(d)`` have ``n`` distinct rotations each, so the number of
   loops is ``sum_{d | n} P(d) / d`` (a word of length ``n`` is a power of a unique primitive
   word of length ``d | n``).

The tests compare this with a brute-force enumeration of walks and canonical forms.
"""

from __future__ import annotations

import numpy as np

from latticeml._numba import jit
from latticeml.errors import ParameterError

__all__ = ["closed_reduced_walks", "max_loop_counts"]


@jit
def _walk_counts(dim, n_max):  # pragma: no cover - compiled
    """``C(n)`` for ``n = 0..n_max`` (int64; the caller bounds ``n_max`` against overflow)."""
    r = n_max // 2
    side = 2 * r + 1
    n_sites = side**dim
    stride = np.empty(dim, np.int64)
    s = 1
    for a in range(dim):
        stride[a] = s
        s *= side
    origin = 0
    for a in range(dim):
        origin += r * stride[a]
    n_l = 2 * dim
    out = np.zeros(n_max + 1, np.int64)
    out[0] = 1
    if n_max < 1:
        return out
    cur = np.zeros((n_l, n_l, n_sites), np.int64)
    coord = np.empty(dim, np.int64)
    for m in range(n_l):  # first step
        a, sg = m // 2, 1 - 2 * (m % 2)
        if r >= 1:
            cur[m, m, origin + sg * stride[a]] = 1
    for n in range(2, n_max + 1):
        nxt = np.zeros_like(cur)
        for f in range(n_l):
            for last in range(n_l):
                for v in range(n_sites):
                    c = cur[f, last, v]
                    if c == 0:
                        continue
                    rem = v
                    for a in range(dim):
                        coord[a] = rem % side
                        rem //= side
                    for m in range(n_l):
                        if m == (last ^ 1):
                            continue
                        a, sg = m // 2, 1 - 2 * (m % 2)
                        x = coord[a] + sg
                        if x < 0 or x >= side:
                            continue
                        nxt[f, m, v + sg * stride[a]] += c
        cur = nxt
        tot = 0
        for f in range(n_l):
            for last in range(n_l):
                if last != (f ^ 1):
                    tot += cur[f, last, origin]
        out[n] = tot
    return out


def _check(dim: int, max_length: int) -> tuple[int, int]:
    dim, n = int(dim), int(max_length)
    if not 1 <= dim <= 8:
        raise ParameterError("dim", "an integer in [1, 8]", dim)
    if n < 0:
        raise ParameterError("max_length", "an integer >= 0", max_length)
    # non-backtracking walks of length n: 2D (2D-1)^(n-1) must fit into int64
    if n >= 1 and 2 * dim * (2 * dim - 1) ** (n - 1) >= 2**63:
        lim = n - 1
        while lim >= 1 and 2 * dim * (2 * dim - 1) ** (lim - 1) >= 2**63:
            lim -= 1
        raise ParameterError("max_length", f"at most {lim} in {dim} dimensions", n,
                             "the walk counts would overflow int64")
    side = 2 * (n // 2) + 1
    if side**dim * (2 * dim) ** 2 > 50_000_000:
        raise ParameterError("max_length", f"a smaller value in {dim} dimensions", n,
                             "the transfer-matrix table would exceed 50 million entries")
    return dim, n


def closed_reduced_walks(dim: int, max_length: int) -> np.ndarray:
    """Count the closed, cyclically reduced words ``C(n)`` of length ``n = 0..max_length``.

    Parameters
    ----------
    dim : int
        Lattice dimension ``D``.
    max_length : int
        Largest length.

    Returns
    -------
    numpy.ndarray
        ``(max_length + 1,)`` int64; ``C(0) = 1`` (the empty word).
    """
    dim, n = _check(dim, max_length)
    return _walk_counts(dim, n)


def _mobius(n: int) -> int:
    res, p = 1, 2
    while p * p <= n:
        if n % p == 0:
            n //= p
            if n % p == 0:
                return 0
            res = -res
        p += 1
    return -res if n > 1 else res


def max_loop_counts(dim: int = 2, max_length: int = 22) -> dict[int, int]:
    """Count the distinct traced loops of every length ``0..max_length`` (the Max column).

    Parameters
    ----------
    dim : int
        Lattice dimension ``D``.
    max_length : int
        Largest loop length (up to 39 in 2D, 25 in 3D, 21 in 4D: int64 walk counts).

    Returns
    -------
    dict
        ``{length: count}`` for every length, zeros included; ``{0: 1}`` is ``Tr 1``.

    Examples
    --------
    >>> max_loop_counts(2, 8)
    {0: 1, 1: 0, 2: 0, 3: 0, 4: 2, 5: 0, 6: 4, 7: 0, 8: 28}
    """
    dim, n_max = _check(dim, max_length)
    c = [int(v) for v in _walk_counts(dim, n_max)]
    prim = [0] * (n_max + 1)
    for n in range(1, n_max + 1):
        prim[n] = sum(_mobius(n // d) * c[d] for d in range(1, n + 1) if n % d == 0)
    out = {0: 1}
    for n in range(1, n_max + 1):
        total = sum(prim[d] // d for d in range(1, n + 1) if n % d == 0)
        out[n] = total
    return out
