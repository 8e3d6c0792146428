"""The Lie algebra su(N) for molecular dynamics: projection, Gaussian momenta, exponential.

Momenta are traceless anti-Hermitian matrices ``P = sum_a p_a T_a`` with ``T_a = i lambda_a / 2``
(Pauli or Gell-Mann matrices), so that ``Tr(T_a T_b) = -delta_ab / 2`` and the kinetic energy
``K = -sum Tr(P^2) = (1/2) sum p_a^2``; Gaussian momenta have ``p_a ~ N(0, 1)``.
"""

from __future__ import annotations

import torch

__all__ = ["traceless_antihermitian", "generators", "random_momenta", "kinetic_energy",
           "exp_algebra", "reunitarize"]


def traceless_antihermitian(m: torch.Tensor) -> torch.Tensor:
    """Return ``(M - M^dagger)/2`` minus its trace part: the projection onto su(N)."""
    a = 0.5 * (m - m.mH)
    n = m.shape[-1]
    tr = torch.diagonal(a, dim1=-2, dim2=-1).sum(-1) / n
    return a - tr[..., None, None] * torch.eye(n, dtype=m.dtype, device=m.device)


def generators(n: int, dtype=torch.complex128, device=None) -> torch.Tensor:
    """Return ``T_a = i lambda_a / 2``, shape ``(N^2 - 1, N, N)`` (Pauli / Gell-Mann)."""
    mats = []
    for j in range(n):  # off-diagonal symmetric and antisymmetric pairs
        for k in range(j + 1, n):
            s = torch.zeros(n, n, dtype=dtype, device=device)
            s[j, k] = s[k, j] = 1
            mats.append(s)
            a = torch.zeros(n, n, dtype=dtype, device=device)
            a[j, k], a[k, j] = -1j, 1j
            mats.append(a)
    for d in range(1, n):  # diagonal, normalised to Tr(lambda^2) = 2
        diag = torch.zeros(n, dtype=dtype, device=device)
        diag[:d] = 1
        diag[d] = -d
        mats.append(torch.diag(diag) * (2.0 / (d * (d + 1))) ** 0.5)
    return 0.5j * torch.stack(mats)


def random_momenta(shape: tuple[int, ...], n: int, generator: torch.Generator,
                   dtype=torch.complex128, device=None) -> torch.Tensor:
    """Return Gaussian momenta ``sum_a p_a T_a``, ``p_a ~ N(0, 1)``, shape ``(*shape, N, N)``."""
    real = torch.float64 if dtype == torch.complex128 else torch.float32
    p = torch.randn(*shape, n * n - 1, generator=generator, dtype=real, device=device)
    return torch.einsum("...a,aij->...ij", p.to(dtype), generators(n, dtype, device))


def kinetic_energy(p: torch.Tensor) -> torch.Tensor:
    """Return ``K = -sum Tr(P^2)`` (real, a 0-d tensor)."""
    return -torch.einsum("...ij,...ji->", p, p).real


def exp_algebra(p: torch.Tensor) -> torch.Tensor:
    """Return ``exp(P)``, exact to rounding (``torch.linalg.matrix_exp``): SU(N) for P in su(N)."""
    return torch.linalg.matrix_exp(p)


def reunitarize(u: torch.Tensor) -> torch.Tensor:
    """Return the nearest SU(N) matrices (polar decomposition, determinant phase removed).

    Removes the rounding drift that products of exponentials accumulate over trajectories.
    """
    w, _, vh = torch.linalg.svd(u)
    q = w @ vh
    det = torch.linalg.det(q)
    return q * (det ** (-1.0 / u.shape[-1]))[..., None, None]
