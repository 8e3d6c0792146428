"""Lattice geometry: shape validation, site indexing, neighbour tables, checkerboard parity.

Sites are numbered in C (row-major) order of the shape ``(L_0, ..., L_{D-1})``: axis 0 is
time and varies slowest. Shifts are periodic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from latticeml.errors import ParameterError

__all__ = [
    "validate_shape",
    "parse_shape",
    "n_sites",
    "neighbour_table",
    "parity",
    "planes",
    "transport_offsets",
    "link_layout",
]


def parse_shape(text: str, *, name: str = "--shape") -> tuple[int, ...]:
    """Parse a comma-separated list of extents such as ``"8,8"``.

    Parameters
    ----------
    text : str
        The text to parse.
    name : str
        Name used in error messages.

    Returns
    -------
    tuple of int
        The extents.

    Raises
    ------
    ParameterError
        If the text is not a comma-separated list of integers.
    """
    try:
        return tuple(int(p) for p in str(text).replace("x", ",").split(","))
    except ValueError:
        raise ParameterError(
            name, "comma-separated integer extents such as 8,8", text
        ) from None


def validate_shape(
    shape: Sequence[int],
    *,
    dims: tuple[int, int] = (2, 4),
    even: bool = True,
    min_extent: int = 2,
    name: str = "--shape",
) -> tuple[int, ...]:
    """Check a lattice shape and return it as a tuple of ints.

    Parameters
    ----------
    shape : sequence of int
        Extents ``(L_0, ..., L_{D-1})``.
    dims : (int, int)
        Smallest and largest allowed number of dimensions.
    even : bool
        Require every extent to be even (needed by checkerboard updates).
    min_extent : int
        Smallest allowed extent.
    name : str
        Name used in error messages.

    Returns
    -------
    tuple of int
        The validated shape.

    Raises
    ------
    ParameterError
        If the number of dimensions or any extent is not allowed.
    """
    try:
        shape = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise ParameterError(name, "a sequence of integer extents", shape) from None
    lo, hi = dims
    if not lo <= len(shape) <= hi:
        raise ParameterError(
            name,
            f"between {lo} and {hi} extents (D = {lo}..{hi})",
            ",".join(map(str, shape)),
            f"give {lo} to {hi} comma-separated extents",
        )
    for s in shape:
        if s < min_extent:
            raise ParameterError(
                name,
                f"extents >= {min_extent}",
                ",".join(map(str, shape)),
                f"every extent must be at least {min_extent}",
            )
        if even and s % 2:
            raise ParameterError(
                name,
                "even extents (checkerboard updates need them)",
                ",".join(map(str, shape)),
                "make every extent even",
            )
    return shape


def n_sites(shape: Sequence[int]) -> int:
    """Return the number of sites ``prod(shape)``."""
    return int(np.prod(shape, dtype=np.int64))


def neighbour_table(shape: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward neighbour tables of a periodic lattice.

    Parameters
    ----------
    shape : sequence of int
        Lattice extents.

    Returns
    -------
    up, down : ndarray of int64, shape (V, D)
        ``up[i, mu]`` is the site index of ``x + mu_hat`` for site ``i`` and ``down[i, mu]``
        that of ``x - mu_hat``.
    """
    shape = tuple(int(s) for s in shape)
    idx = np.arange(n_sites(shape), dtype=np.int64).reshape(shape)
    D = len(shape)
    up = np.empty((idx.size, D), dtype=np.int64)
    down = np.empty((idx.size, D), dtype=np.int64)
    for mu in range(D):
        up[:, mu] = np.roll(idx, -1, axis=mu).ravel()
        down[:, mu] = np.roll(idx, 1, axis=mu).ravel()
    return up, down


def parity(shape: Sequence[int]) -> np.ndarray:
    """Checkerboard parity ``(sum_mu x_mu) mod 2`` of every site, in site order.

    Returns
    -------
    ndarray of int8, shape (V,)
    """
    grids = np.indices(tuple(int(s) for s in shape)).reshape(len(shape), -1)
    return (grids.sum(axis=0) % 2).astype(np.int8)


def planes(D: int) -> list[tuple[int, int]]:
    """Planes ``(mu, nu)`` with ``mu < nu`` in lexicographic order ``(0,1), (0,2), ...``."""
    return [(mu, nu) for mu in range(D) for nu in range(mu + 1, D)]


def transport_offsets(dim: int, kernel_size: int, dilation: int = 1,
                      offsets: str = "forward", *, local: bool = True) -> list[tuple[int, int]]:
    """Transport offsets ``(axis, s)`` of a convolution layer of an L-CNN.

    The one definition behind :func:`latticeml.nn.make_offsets` (the layers) and
    :func:`latticeml.loops.layers.offsets_of` (their symbolic counterpart), so that both
    transport along the same offsets in the same channel order.

    Parameters
    ----------
    dim : int
        Number of lattice axes ``D``.
    kernel_size : int
        Kernel size ``K >= 1``: steps ``k = 1, ..., K-1`` along every axis.
    dilation : int
        Step length, ``s = k * dilation``.
    offsets : {"forward", "symmetric"}
        ``forward``: for axis 0..D-1, ``s = k*dilation``; ``symmetric``: the forward list,
        then the same with ``-s``.
    local : bool
        Whether the layer also keeps its untransported input; without it the layer needs
        at least one offset (``K >= 2``).

    Returns
    -------
    list of tuple of int
        ``(axis, s)`` pairs.

    Raises
    ------
    ParameterError
        If ``offsets``, ``kernel_size`` or ``dilation`` is invalid, or there is nothing to
        transport (``K = 1`` and not ``local``).
    """
    if offsets not in ("forward", "symmetric"):
        raise ParameterError("offsets", "'forward' or 'symmetric'", offsets)
    if int(kernel_size) < 1:
        raise ParameterError("kernel_size", "an integer >= 1", kernel_size)
    if int(dilation) < 1:
        raise ParameterError("dilation", "an integer >= 1", dilation)
    fwd = [(a, k * dilation) for a in range(dim) for k in range(1, kernel_size)]
    if not fwd and not local:
        raise ParameterError("kernel_size", "K >= 2, or local=True", kernel_size,
                             "with K = 1 and no local term there is nothing to transport")
    if offsets == "symmetric":
        return fwd + [(a, -s) for a, s in fwd]
    return fwd


def link_layout(shape: Sequence[int], name: str = "links", *, min_dim: int = 1) -> tuple[int, int]:
    """Return ``(D, N)`` of a link array of shape ``(..., L_0, ..., L_{D-1}, D, N, N)``.

    Parameters
    ----------
    shape : sequence of int
        Shape of the link array (any leading batch axes).
    name : str
        Name used in error messages.
    min_dim : int
        Smallest accepted number ``D`` of lattice axes.

    Returns
    -------
    D, N : int
        Number of lattice axes and of colours.

    Raises
    ------
    ParameterError
        If the last two axes are not square or fewer than ``D >= min_dim`` lattice axes
        precede the direction axis.
    """
    shape = tuple(shape)
    if len(shape) < 3:
        raise ParameterError(name, "an array of shape (..., *shape, D, N, N)", shape)
    n = shape[-1]
    if shape[-2] != n or n < 1:
        raise ParameterError(name, "square N x N matrices in the last two axes", shape)
    d = shape[-3]
    if d < min_dim or len(shape) < 3 + d:
        raise ParameterError(
            name,
            f"D = links.shape[-3] (= {d}) >= {min_dim} lattice axes before the direction axis",
            shape,
            "the layout is (..., L_0, ..., L_{D-1}, D, N, N)",
        )
    return d, n
