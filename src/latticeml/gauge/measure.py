"""Measurements on gauge configurations in the contract layout ``(..., *shape, D, N, N)``.

:func:`unitarity_violation` is :func:`latticeml.observables.wilson.unitarity_violation`.

One plaquette function per layout: :func:`plaquette` here for complex link arrays (any batch
axes), :meth:`latticeml.gauge.GaugeChain.plaquette` for the chain's internal layout. Both sum
the per-site values with the same kernels and ``math.fsum``, so they agree to the last bit.
"""

from __future__ import annotations

import math

import numpy as np

from latticeml.errors import ParameterError
from latticeml.gauge._kernels import plaquette_sites, su2
from latticeml.lattice import neighbour_table
from latticeml.observables.wilson import unitarity_violation, validate_links

__all__ = ["plaquette", "unitarity_violation"]


def plaquette(links: np.ndarray) -> np.ndarray:
    """Mean plaquette ``<Re Tr U_p / N>`` over sites and planes ``mu < nu``.

    Parameters
    ----------
    links : ndarray, complex, shape (..., *shape, D, N, N)
        SU(2) or SU(3) links: one configuration or a batch (leading axes).

    Returns
    -------
    ndarray of float64, shape (...)
        One value per configuration (a 0-d array for a single configuration).

    Raises
    ------
    ParameterError
        If ``links`` is not a complex link array with N = 2 or 3.
    """
    links, D, N = validate_links(links)
    if N not in (2, 3):
        raise ParameterError("links", "SU(2) or SU(3) links (N = 2 or 3)", links.shape)
    shape = links.shape[-3 - D : -3]
    batch = links.shape[: -3 - D]
    V = int(np.prod(shape))
    flat = np.asarray(links, dtype=np.complex128).reshape(-1, V, D, N, N)
    up, _ = neighbour_table(shape)
    buf = np.empty(V)
    n_planes = D * (D - 1) // 2
    out = np.empty(flat.shape[0])
    kernel = plaquette_sites(N)
    for b in range(flat.shape[0]):
        if N == 2:
            u = su2.from_complex(flat[b])
        else:
            u = np.ascontiguousarray(flat[b]).view(np.float64).reshape(V, D, 18)
        kernel(u, up, buf)
        out[b] = math.fsum(buf) / (V * n_planes)
    return out.reshape(batch)
