"""Polyakov loops: products of links around the periodic lattice along one axis.

Axis 0 is time (ARCHITECTURE.md §3), so ``axis=0`` gives the usual thermal Polyakov loop

    ``P(y) = U_0(0, y) U_0(1, y) ... U_0(L_0 - 1, y)``

at every site ``y`` of the hyperplane orthogonal to the axis. Other axes give spatial
(wrapping) Wilson lines. The matrix starts and ends at coordinate 0 along the axis; its trace
does not depend on the starting point.
"""

from __future__ import annotations

import numpy as np

from latticeml.errors import ParameterError
from latticeml.observables.wilson import validate_links

__all__ = ["polyakov_correlator", "polyakov_loop_matrices", "polyakov_loops"]


def _check_axis(axis: object, d: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -d <= axis < d:
        raise ParameterError("axis", f"an integer lattice axis in [0, {d}) (D = {d})", axis)
    return int(axis) % d


def polyakov_loop_matrices(links: np.ndarray, axis: int = 0) -> np.ndarray:
    """Untraced Polyakov loops along ``axis``.

    Parameters
    ----------
    links : ndarray, complex, shape (..., *shape, D, N, N)
        Gauge links.
    axis : int
        Lattice axis the loops wind around (negative values count from the end).

    Returns
    -------
    ndarray, complex, shape (..., *reduced_shape, N, N)
        ``reduced_shape`` is ``shape`` without ``axis``. Under a gauge transformation the
        matrix at ``y`` transforms with ``Omega(0, y)`` (coordinate 0 along ``axis``).
    """
    links, d, _ = validate_links(links)
    axis = _check_axis(axis, d)
    u = links[..., axis, :, :]
    site = links.ndim - 3 - d + axis
    p = u.take(0, axis=site)
    for t in range(1, u.shape[site]):
        p = p @ u.take(t, axis=site)
    return p


def polyakov_loops(links: np.ndarray, axis: int = 0) -> np.ndarray:
    """Traced Polyakov loops ``Tr P / N`` along ``axis``.

    Parameters
    ----------
    links : ndarray, complex, shape (..., *shape, D, N, N)
        Gauge links.
    axis : int
        Lattice axis the loops wind around (negative values count from the end).

    Returns
    -------
    ndarray of complex128, shape (..., *reduced_shape)
        Gauge-invariant loops; a centre transformation ``z`` on one slice multiplies them by z.
    """
    p = polyakov_loop_matrices(links, axis)
    n = p.shape[-1]
    return np.trace(p, axis1=-2, axis2=-1).astype(np.complex128) / n


def polyakov_correlator(links: np.ndarray, r: int) -> np.ndarray:
    """Per-site Polyakov-loop correlator at spatial separation ``r``.

    ``C_r(x) = (1 / (D - 1)) sum_i Re[p(x) p(x + r e_i)^*]`` with ``p = Tr P / N`` the traced
    Polyakov loop along axis 0 and ``e_i`` the spatial unit vectors ``i = 1 .. D - 1``; its
    lattice average is the estimator of ``<Tr P(0) Tr P^dagger(r)> / N^2``, whose decay in
    ``r`` gives the static quark potential (``~ exp(-L_0 V(r))``). The value depends only on
    the spatial position and is repeated along axis 0, so that the target is one value per
    site like the Wilson loops.

    Parameters
    ----------
    links : ndarray, complex, shape (..., *shape, D, N, N)
        Gauge links, ``D >= 2``.
    r : int
        Separation, ``1 <= r <= min(L_1 .. L_{D-1}) // 2`` (larger ``r`` repeat smaller ones
        on the periodic lattice).

    Returns
    -------
    ndarray of float64, shape (..., *shape)
        Gauge invariant, in ``[-1, 1]``, invariant under a centre transformation on a time
        slice (``z z^* = 1``).
    """
    links, d, _ = validate_links(links)
    if d < 2:
        raise ParameterError("links", "a lattice of D >= 2 dimensions (time and space)", d)
    spatial = links.shape[-2 - d : -3]
    r_max = min(spatial) // 2
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or not 1 <= r <= r_max:
        raise ParameterError(
            "r", f"an integer separation in [1, {r_max}] on spatial extents {list(spatial)}", r,
            "larger separations repeat smaller ones on the periodic lattice")
    p = polyakov_loops(links, axis=0)
    first = p.ndim - (d - 1)
    c = np.zeros(p.shape, dtype=np.float64)
    for i in range(d - 1):
        c += (p * np.conj(np.roll(p, -int(r), axis=first + i))).real
    c /= d - 1
    length = links.shape[-3 - d]
    return np.repeat(np.expand_dims(c, first), length, axis=first)
