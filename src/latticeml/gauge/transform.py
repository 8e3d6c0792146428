"""Random SU(N) matrices, gauge transformations and projection back to SU(N).

Conventions (ARCHITECTURE.md §3): links ``U_mu(x)`` are stored as ``(..., *shape, D, N, N)``
complex arrays, any leading axes being batch axes. A gauge transformation ``Omega(x)`` is stored
as ``(..., *shape, N, N)`` and acts as

* links: ``U_mu(x) -> Omega(x) U_mu(x) Omega(x + mu_hat)^dagger``,
* locally transforming fields: ``W(x) -> Omega(x) W(x) Omega(x)^dagger``.

Shifts are periodic. Everything here takes and returns NumPy arrays and a
``numpy.random.Generator``; the torch helpers of :mod:`latticeml.testing` have their own names
(``random_links``, ``random_gauge_transformation``: batch first, torch generator).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from latticeml.errors import ParameterError
from latticeml.lattice import link_layout

__all__ = [
    "random_su_n",
    "haar_gauge_transformation",
    "haar_links",
    "gauge_transform",
    "transform_local",
    "reunitarize",
    "dagger",
]


def dagger(m: np.ndarray) -> np.ndarray:
    """Conjugate transpose over the last two axes."""
    return np.conj(np.swapaxes(m, -1, -2))


def _check_n_colors(n_colors: int) -> int:
    if isinstance(n_colors, bool) or int(n_colors) != n_colors or int(n_colors) < 1:
        raise ParameterError("n_colors", "an integer >= 1 (2 for SU(2), 3 for SU(3))", n_colors)
    return int(n_colors)


def _as_size(size: int | Sequence[int]) -> tuple[int, ...]:
    if np.isscalar(size):
        size = (int(size),)
    return tuple(int(s) for s in size)


def random_su_n(
    rng: np.random.Generator, n_colors: int, size: int | Sequence[int] = ()
) -> np.ndarray:
    """Draw Haar-distributed SU(N) matrices.

    A complex Ginibre matrix is QR-decomposed and the columns of Q are rotated by the phases
    of ``diag(R)`` (Mezzadri 2007), which gives Haar-distributed U(N). Dividing by a root
    ``det(Q)^(1/N)`` maps onto SU(N); the branch choice only multiplies by a centre element,
    which leaves the Haar measure invariant.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n_colors : int
        N of SU(N).
    size : int or tuple of int
        Batch shape.

    Returns
    -------
    ndarray of complex128, shape (*size, N, N)
        Special unitary matrices.
    """
    n = _check_n_colors(n_colors)
    size = _as_size(size)
    z = rng.standard_normal((*size, n, n, 2))
    z = (z[..., 0] + 1j * z[..., 1]) / np.sqrt(2.0)
    q, r = np.linalg.qr(z)
    d = np.diagonal(r, axis1=-2, axis2=-1)
    ph = d / np.abs(d)
    q = q * ph[..., None, :]
    det = np.linalg.det(q)
    q = q * np.exp(-1j * np.angle(det) / n)[..., None, None]
    return np.ascontiguousarray(q, dtype=np.complex128)


def haar_gauge_transformation(
    rng: np.random.Generator, shape: Sequence[int], n_colors: int
) -> np.ndarray:
    """Draw a random (Haar) gauge transformation ``Omega(x)``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    shape : tuple of int
        ``(*batch, *lattice_shape)``.
    n_colors : int
        N of SU(N).

    Returns
    -------
    ndarray of complex128, shape (*shape, N, N)
    """
    return random_su_n(rng, n_colors, _as_size(shape))


def haar_links(rng: np.random.Generator, shape: Sequence[int], n_colors: int) -> np.ndarray:
    """Draw a hot (Haar-random) gauge configuration.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    shape : tuple of int
        Lattice extents ``(L_0, ..., L_{D-1})``.
    n_colors : int
        N of SU(N).

    Returns
    -------
    ndarray of complex128, shape (*shape, D, N, N)
    """
    shape = _as_size(shape)
    return random_su_n(rng, n_colors, (*shape, len(shape)))


def gauge_transform(links: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """Apply ``U_mu(x) -> Omega(x) U_mu(x) Omega(x + mu_hat)^dagger``.

    Parameters
    ----------
    links : ndarray, shape (..., *shape, D, N, N)
        Gauge links.
    omega : ndarray, shape (..., *shape, N, N)
        Gauge transformation; leading axes broadcast against those of ``links``.

    Returns
    -------
    ndarray, shape (broadcast(...), *shape, D, N, N)
        The transformed links.
    """
    links = np.asarray(links)
    omega = np.asarray(omega)
    d, n = link_layout(links.shape)
    shape = links.shape[-3 - d : -3]
    if omega.ndim < 2 + d or omega.shape[-2 - d :] != (*shape, n, n):
        raise ParameterError(
            "omega", f"shape (..., {', '.join(map(str, shape))}, {n}, {n})", omega.shape
        )
    od = dagger(omega)
    shifted = np.stack([np.roll(od, -1, axis=od.ndim - 2 - d + mu) for mu in range(d)], axis=-3)
    return omega[..., None, :, :] @ links @ shifted


def transform_local(W: np.ndarray, omega: np.ndarray, *, n_dims: int | None = None) -> np.ndarray:
    """Apply ``W(x) -> Omega(x) W(x) Omega(x)^dagger`` to a locally transforming field.

    Parameters
    ----------
    W : ndarray, shape (..., *shape, N, N)
        Field, e.g. plaquettes ``(batch, n_planes, *shape, N, N)``.
    omega : ndarray, shape (..., *shape, N, N)
        Gauge transformation.
    n_dims : int, optional
        Number of lattice dimensions D. If omitted, ``omega`` broadcasts against ``W`` by the
        usual numpy rules. If given, the leading (batch) axes of ``omega`` are aligned with the
        leading axes of ``W`` and any further axes of ``W`` before the D site axes (channels,
        planes) are broadcast over.

    Returns
    -------
    ndarray
        The transformed field.
    """
    W = np.asarray(W)
    omega = np.asarray(omega)
    if n_dims is not None:
        d = int(n_dims)
        nb = omega.ndim - 2 - d
        extra = W.ndim - omega.ndim
        if nb < 0 or extra < 0 or W.shape[-2 - d :] != omega.shape[-2 - d :]:
            raise ParameterError(
                "omega",
                f"shape (*batch, *shape, N, N) matching W {W.shape} with D = {d}",
                omega.shape,
            )
        omega = omega.reshape(omega.shape[:nb] + (1,) * extra + omega.shape[nb:])
    return omega @ W @ dagger(omega)


def reunitarize(links: np.ndarray) -> np.ndarray:
    """Project matrices close to SU(N) back onto SU(N).

    SU(2): projection onto the quaternion form ``[[a, b], [-b*, a*]]`` and normalization.
    SU(3): Gram-Schmidt of the first two rows, third row ``(row0 x row1)^*``.
    Other N: polar decomposition (SVD) followed by division by ``det^(1/N)``.

    Parameters
    ----------
    links : ndarray, shape (..., N, N)
        Matrices near SU(N).

    Returns
    -------
    ndarray of complex128, shape (..., N, N)
    """
    u = np.asarray(links, dtype=np.complex128)
    if u.ndim < 2 or u.shape[-1] != u.shape[-2]:
        raise ParameterError("links", "an array of square matrices (..., N, N)", u.shape)
    n = u.shape[-1]
    if n == 2:
        a = 0.5 * (u[..., 0, 0] + np.conj(u[..., 1, 1]))
        b = 0.5 * (u[..., 0, 1] - np.conj(u[..., 1, 0]))
        norm = np.sqrt(np.abs(a) ** 2 + np.abs(b) ** 2)
        a = a / norm
        b = b / norm
        out = np.empty_like(u)
        out[..., 0, 0] = a
        out[..., 0, 1] = b
        out[..., 1, 0] = -np.conj(b)
        out[..., 1, 1] = np.conj(a)
        return out
    if n == 3:
        r0 = u[..., 0, :]
        r0 = r0 / np.linalg.norm(r0, axis=-1, keepdims=True)
        r1 = u[..., 1, :]
        r1 = r1 - np.sum(np.conj(r0) * r1, axis=-1, keepdims=True) * r0
        r1 = r1 / np.linalg.norm(r1, axis=-1, keepdims=True)
        r2 = np.conj(np.cross(r0, r1))
        return np.stack([r0, r1, r2], axis=-2)
    w, _, vh = np.linalg.svd(u)
    p = w @ vh
    det = np.linalg.det(p)
    return p * np.exp(-1j * np.angle(det) / n)[..., None, None]
