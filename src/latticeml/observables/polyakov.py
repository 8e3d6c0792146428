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

__all__ = ["polyakov_loop_matrices", "polyakov_loops"]


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
