"""Counter-based random numbers for thread-count independent Monte Carlo updates.

Every random number used by a link update is a pure function of
``(seed, sweep index, substep, site, draw number)``, so the result of a sweep does not depend
on which thread updates which link, nor on the number of threads.

Scheme
------
``mix64`` is the SplitMix64 finaliser (Steele, Lea, Flood, OOPSLA 2014; the output function of
``java.util.SplittableRandom``), a bijection of 64-bit integers with good avalanche:

.. code-block:: text

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    z =  z ^ (z >> 31)

With ``G = 0x9E3779B97F4A7C15`` (the SplitMix64 increment, odd) and all arithmetic modulo
2**64:

1. chain key      ``k_seed  = mix64(seed + G)``
2. sweep key      ``k_sweep = mix64(k_seed ^ sweep)``  (``sweep`` counts every sweep of a
   chain from 0; the hot start uses the reserved sweep index ``2**64 - 1``)
3. substep key    ``k_sub   = mix64(k_sweep + (substep + 1) * G)``  (``substep = 2 mu + parity``
   of the checkerboard; hot start: ``substep = mu``)
4. link key       ``k_link  = mix64(k_sub + (site + 1) * G)``
5. the n-th draw (n = 0, 1, ...) of the update is ``mix64(k_link + (n + 1) * G)``, i.e. a
   SplitMix64 stream seeded with ``k_link``, as long as a rejection sampler needs.

A 64-bit draw ``z`` becomes a double in the open interval (0, 1) as
``((z >> 11) + 0.5) * 2**-53`` (the top 53 bits). Streams of different links start at
effectively random points of the 2**64 Weyl sequence; two streams of length n overlap with
probability ~ n / 2**63.

Numba note: uint64 mixed with a Python int promotes to float64, so every constant here is a
``np.uint64`` and all arithmetic stays in uint64 (wrapping multiplication).
"""

from __future__ import annotations

import numpy as np

from latticeml._numba import jit_inline

__all__: list[str] = []

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_G = np.uint64(0x9E3779B97F4A7C15)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_ONE = np.uint64(1)
_TWO_M53 = 2.0**-53
_TWO_PI = 2.0 * np.pi

#: Reserved sweep index of the hot start.
HOT_START_SWEEP = np.uint64(0xFFFFFFFFFFFFFFFF)


@jit_inline
def mix64(z):
    """SplitMix64 finaliser of a uint64."""
    z = np.uint64(z)
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@jit_inline
def substep_key(seed, sweep, substep):
    """Key of one checkerboard substep (all arguments uint64)."""
    seed, sweep, substep = np.uint64(seed), np.uint64(sweep), np.uint64(substep)
    k = mix64(seed + _G)
    k = mix64(k ^ sweep)
    return mix64(k + (substep + _ONE) * _G)


@jit_inline
def link_key(sub_key, site):
    """Key of the update of one link, from the substep key and the site index (uint64)."""
    sub_key, site = np.uint64(sub_key), np.uint64(site)
    return mix64(sub_key + (site + _ONE) * _G)


@jit_inline
def uniform(key, n):
    """Return the ``n``-th (uint64, from 0) double in (0, 1) of the stream ``key``."""
    key, n = np.uint64(key), np.uint64(n)
    z = mix64(key + (n + _ONE) * _G)
    return (np.float64(z >> _S11) + 0.5) * _TWO_M53


@jit_inline
def normal_pair(key, n):
    """Two independent standard normals from draws ``n`` and ``n + 1`` (Box-Muller)."""
    key, n = np.uint64(key), np.uint64(n)
    r = np.sqrt(-2.0 * np.log(uniform(key, n)))
    phi = _TWO_PI * uniform(key, n + _ONE)
    return r * np.cos(phi), r * np.sin(phi)


def py_key(seed: int, sweep: int, substep: int) -> np.uint64:
    """Substep key computed in Python (for tests and drivers)."""
    return np.uint64(substep_key(np.uint64(seed), np.uint64(sweep), np.uint64(substep)))
