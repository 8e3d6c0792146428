"""The gauge group's action on torch tensors: Haar-random SU(N), links and transformations.

The torch twin of :mod:`latticeml.gauge.transform` (NumPy), device-agnostic (it follows the
input's device). Models' robustness evaluation and the symmetry checks of
:mod:`latticeml.testing` use it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["gauge_transform_links", "gauge_transform_local", "haar_su_n",
           "random_gauge_transformation", "random_links"]


def haar_su_n(
    size: Sequence[int],
    n: int,
    *,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.complex128,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Haar-distributed SU(N) matrices (QR of a Ginibre matrix, phase fix, determinant fix).

    Parameters
    ----------
    size : sequence of int
        Batch shape.
    n : int
        ``N``.
    generator : torch.Generator, optional
        Source of randomness (seeded by the caller).
    dtype : torch.dtype
        complex64 or complex128 (sampled in complex128, then converted).
    device : torch.device or str, optional
        Device.

    Returns
    -------
    torch.Tensor
        ``(*size, n, n)``.
    """
    z = torch.randn(*size, n, n, dtype=torch.complex128, device=device, generator=generator)
    q, r = torch.linalg.qr(z)
    d = torch.diagonal(r, dim1=-2, dim2=-1)
    q = q * (d / d.abs()).unsqueeze(-2)
    det = torch.linalg.det(q)
    q = q * torch.exp(-1j * torch.angle(det) / n)[..., None, None]
    return q.to(dtype)


def random_links(batch: int, shape: Sequence[int], n: int, **kwargs) -> torch.Tensor:
    """Haar-random links ``(batch, *shape, D, n, n)`` (``D = len(shape)``); kwargs as haar_su_n."""
    return haar_su_n((batch, *shape, len(shape)), n, **kwargs)


def random_gauge_transformation(batch: int, shape: Sequence[int], n: int, **kwargs) -> torch.Tensor:
    """Haar-random ``Omega(x)``: ``(batch, *shape, n, n)``; kwargs as :func:`haar_su_n`."""
    return haar_su_n((batch, *shape), n, **kwargs)


def gauge_transform_links(links: torch.Tensor, omega: torch.Tensor) -> torch.Tensor:
    """``U_mu(x) -> Omega(x) U_mu(x) Omega(x+mu)^dagger`` for links ``(B, *shape, D, N, N)``."""
    D = links.shape[-3]
    shifted = torch.stack([torch.roll(omega, -1, dims=1 + mu) for mu in range(D)], dim=-3)
    return omega.unsqueeze(-3) @ links @ shifted.mH


def gauge_transform_local(w: torch.Tensor, omega: torch.Tensor) -> torch.Tensor:
    """``W(x) -> Omega(x) W(x) Omega(x)^dagger`` for channels ``(B, C, *shape, N, N)``."""
    om = omega.unsqueeze(1)
    return om @ w @ om.mH
