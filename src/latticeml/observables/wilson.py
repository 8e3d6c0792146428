"""Wilson loops and plaquettes of gauge configurations.

Conventions (ARCHITECTURE.md §3): links have layout ``(..., *shape, D, N, N)`` with
``D = links.shape[-3]`` and any leading axes being batch axes. The ``a x b`` Wilson loop in the
plane ``mu < nu`` at site ``x`` is the ordered product

    ``[a steps +mu] [b steps +nu] [a steps -mu] [b steps -nu]``

starting and ending at ``x``; the ``1 x 1`` loop is the plaquette
``U_mu(x) U_nu(x+mu) U_mu(x+nu)^dagger U_nu(x)^dagger``. Planes come in lexicographic order
``(0,1), (0,2), ..., (D-2, D-1)``. All shifts are periodic (``np.roll``); loops longer than the
lattice simply wrap around.

Implementation: for every direction the straight line products
``L_mu^(a)(x) = U_mu(x) U_mu(x+mu) ... U_mu(x+(a-1)mu)`` are built once and shared by all
planes; a traced loop then needs two batched matrix products and one contraction.
"""

from __future__ import annotations

import numpy as np

from latticeml.errors import ParameterError
from latticeml.lattice import planes

__all__ = [
    "plaquette_field",
    "wilson_loop_matrices",
    "wilson_loops",
    "average_plaquette",
    "validate_links",
]


def validate_links(links: object, name: str = "links") -> tuple[np.ndarray, int, int]:
    """Check that ``links`` is a complex ``(..., *shape, D, N, N)`` array.

    Parameters
    ----------
    links : array_like
        Candidate gauge links.
    name : str
        Name used in error messages.

    Returns
    -------
    links : ndarray
        The links as an array (no copy).
    D, N : int
        Number of lattice dimensions and of colours.

    Raises
    ------
    ParameterError
        If the layout or dtype is wrong.
    """
    if not isinstance(links, np.ndarray):
        raise ParameterError(name, "a numpy array of shape (..., *shape, D, N, N)",
                             type(links).__name__)
    if not np.iscomplexobj(links):
        raise ParameterError(name, "a complex array (complex64 or complex128)", links.dtype,
                             "gauge links are complex SU(N) matrices")
    if links.ndim < 5:
        raise ParameterError(name, "at least 5 axes (*shape, D, N, N) with D >= 2", links.shape)
    n = links.shape[-1]
    if links.shape[-2] != n or n < 1:
        raise ParameterError(name, "square N x N matrices in the last two axes", links.shape)
    d = links.shape[-3]
    if d < 2 or links.ndim < 3 + d:
        raise ParameterError(
            name,
            f"D = links.shape[-3] (= {d}) >= 2 lattice axes before the direction axis",
            links.shape,
            "the layout is (..., L_0, ..., L_{D-1}, D, N, N)",
        )
    return links, d, n


def _check_extent(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(name, "an integer >= 1", value)
    return int(value)


class _Lines:
    """Cache of straight line products ``L_mu^(a)`` and their shifts for one configuration."""

    def __init__(self, links: np.ndarray, d: int) -> None:
        self.links = links
        self.d = d
        self.site0 = links.ndim - 3 - d  # axis of lattice direction 0 in (..., *shape, N, N)
        self._lines: dict[tuple[int, int], np.ndarray] = {}

    def shift(self, field: np.ndarray, mu: int, steps: int) -> np.ndarray:
        """Return ``field(x + steps * mu_hat)``."""
        axis = self.site0 + mu
        steps %= field.shape[axis]
        return field if steps == 0 else np.roll(field, -steps, axis=axis)

    def line(self, mu: int, a: int) -> np.ndarray:
        """Return ``L_mu^(a)(x)``, shape (..., *shape, N, N)."""
        key = (mu, a)
        if key not in self._lines:
            u = self.links[..., mu, :, :]
            if a == 1:
                self._lines[key] = u
            else:
                self._lines[key] = self.line(mu, a - 1) @ self.shift(u, mu, a - 1)
        return self._lines[key]


def wilson_loop_matrices(links: np.ndarray, a: int, b: int) -> np.ndarray:
    """Untraced ``a x b`` Wilson loops, one per site and plane.

    Parameters
    ----------
    links : ndarray, complex, shape (..., *shape, D, N, N)
        Gauge links.
    a, b : int
        Extents (>= 1) of the loop along ``mu`` and ``nu``.

    Returns
    -------
    ndarray, complex, shape (..., n_planes, *shape, N, N)
        Loop matrices; they transform locally, ``W(x) -> Omega(x) W(x) Omega(x)^dagger``.
    """
    links, d, _ = validate_links(links)
    a = _check_extent(a, "a")
    b = _check_extent(b, "b")
    c = _Lines(links, d)
    out = []
    for mu, nu in planes(d):
        first = c.line(mu, a) @ c.shift(c.line(nu, b), mu, a)
        second = c.line(nu, b) @ c.shift(c.line(mu, a), nu, b)
        out.append(first @ np.conj(np.swapaxes(second, -1, -2)))
    return np.stack(out, axis=c.site0)


def plaquette_field(links: np.ndarray) -> np.ndarray:
    """Plaquette matrices ``U_{x, mu nu}`` for all planes ``mu < nu``.

    Parameters
    ----------
    links : ndarray, complex, shape (..., *shape, D, N, N)
        Gauge links.

    Returns
    -------
    ndarray, complex, shape (..., n_planes, *shape, N, N)
    """
    return wilson_loop_matrices(links, 1, 1)


def wilson_loops(links: np.ndarray, a: int, b: int) -> np.ndarray:
    """Traced ``a x b`` Wilson loops ``Re Tr W / N`` at every site and plane.

    Parameters
    ----------
    links : ndarray, complex, shape (..., *shape, D, N, N)
        Gauge links.
    a, b : int
        Extents (>= 1) of the loop along ``mu`` and ``nu``.

    Returns
    -------
    ndarray of float64, shape (..., n_planes, *shape)
        Gauge-invariant loops, planes in lexicographic order.
    """
    links, d, n = validate_links(links)
    a = _check_extent(a, "a")
    b = _check_extent(b, "b")
    c = _Lines(links, d)
    out = []
    for mu, nu in planes(d):
        # Re Tr[F S^dagger] = Re sum_ij F_ij conj(S_ij)
        first = c.line(mu, a) @ c.shift(c.line(nu, b), mu, a)
        second = c.line(nu, b) @ c.shift(c.line(mu, a), nu, b)
        tr = first.real * second.real
        tr += first.imag * second.imag
        out.append(tr.sum(axis=(-2, -1), dtype=np.float64) / n)
    return np.stack(out, axis=c.site0)


def average_plaquette(links: np.ndarray) -> np.ndarray:
    """Mean of ``Re Tr U_p / N`` over all sites and planes.

    Parameters
    ----------
    links : ndarray, complex, shape (..., *shape, D, N, N)
        Gauge links.

    Returns
    -------
    ndarray of float64, shape (...)
        One value per configuration (a 0-d array for a single configuration).
    """
    links, d, _ = validate_links(links)
    w = wilson_loops(links, 1, 1)
    return w.mean(axis=tuple(range(links.ndim - 3 - d, w.ndim)))
