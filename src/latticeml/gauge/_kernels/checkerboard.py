"""The checkerboard sweep shared by the SU(2) and SU(3) kernels.

One sweep updates every link once: direction ``mu = 0 .. D-1``, parity even then odd. Within one
substep ``(mu, parity)`` the updated links are independent (their staples hold no link of the
substep), so the sites of the substep run in parallel, in fixed chunks of :data:`CHUNK` sites
whose boundaries do not depend on the number of threads; with the counter-based random numbers
of :mod:`.rng` (one stream per substep and site) the result is the same for any thread count.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from latticeml._numba import pjit
from latticeml.gauge._kernels.rng import substep_key

__all__ = ["CHUNK", "build_sweep"]

#: Sites per parallel chunk of a substep.
CHUNK = 64


def build_sweep(update_sites):
    """Return the sweep kernel that calls ``update_sites`` once per chunk of every substep.

    ``update_sites(u, up, dn, sites, par, start, stop, mu, kind, beta, sub, hits, eps, acc)``
    updates the links ``(sites[par, k], mu)`` for ``start <= k < stop`` with the substep key
    ``sub``. The returned ``sweep(u, up, dn, sites, seed, sweep_index, kind, beta, hits, eps,
    acc)`` takes the links ``u`` ``(V, D, width)`` float64, the neighbour tables, the sites of
    parity 0 and 1 ``(2, V // 2)``, ``seed`` and ``sweep_index`` (uint64) and adds the
    accepted Metropolis hits of every site to ``acc``.
    """

    @pjit
    def sweep(u, up, dn, sites, seed, sweep_index, kind, beta, hits, eps, acc):
        """One checkerboard sweep over all links (see :func:`build_sweep`)."""
        D = u.shape[1]
        nh = sites.shape[1]
        n_chunks = (nh + CHUNK - 1) // CHUNK
        for mu in range(D):
            for par in range(2):
                sub = substep_key(seed, sweep_index, np.uint64(2 * mu + par))
                for c in prange(n_chunks):
                    start = c * CHUNK
                    stop = min(start + CHUNK, nh)
                    update_sites(u, up, dn, sites, par, start, stop, mu, kind, beta, sub, hits,
                                 eps, acc)  # fmt: skip

    return sweep
