"""Gauge robustness of a trained model: random (Haar), near-identity and adversarial Omega.

For links ``U`` and a gauge transformation ``Omega`` the relative change of a prediction is

    rel(Omega) = rms(f(Omega U) - f(U)) / rms(f(U)),

rms over configurations and sites.  An L-CNN is exactly invariant (rel at the rounding level of
its dtype); a CNN on the raw link entries is not.

* ``haar``: ``Omega(x)`` Haar-random and independent per site;
* ``alpha``: ``Omega(x) = exp(i alpha chi(x))``, ``chi`` Hermitian traceless with standard
  Gaussian components on the generators ``T_a`` (``Tr T_a T_b = delta_ab / 2``), so ``alpha``
  interpolates from the identity to large transformations;
* ``adversarial``: ``Omega = exp(i H)`` with the Hermitian traceless ``H(x)`` optimised by AdamW
  (gradient ascent) to maximise the mean squared change of the output.
"""

from __future__ import annotations

import torch

from latticeml.gauge.transform_torch import gauge_transform_links, haar_su_n

__all__ = ["relative_change", "haar_change", "alpha_change", "adversarial_change",
           "hermitian_traceless"]


def hermitian_traceless(h: torch.Tensor) -> torch.Tensor:
    """Project ``(..., N, N)`` complex matrices onto Hermitian traceless ones."""
    h = 0.5 * (h + h.mH)
    n = h.shape[-1]
    tr = torch.diagonal(h, dim1=-2, dim2=-1).sum(-1) / n
    return h - tr[..., None, None] * torch.eye(n, dtype=h.dtype, device=h.device)


def _random_algebra(links: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    B, shape, N = links.shape[0], links.shape[1:-3], links.shape[-1]
    g = torch.randn(B, *shape, N, N, dtype=torch.complex128, generator=generator)
    # (G + G^dagger)/2 has off-diagonal components of variance 1/2 = 2 x (1/2)^2 on each T_a
    return hermitian_traceless(g).to(device=links.device)


def relative_change(model, links: torch.Tensor, omega: torch.Tensor,
                    reference: torch.Tensor | None = None) -> float:
    """``rms(f(Omega U) - f(U)) / rms(f(U))`` for one batch."""
    with torch.no_grad():
        ref = model(links) if reference is None else reference
        moved = model(gauge_transform_links(links, omega.to(links.dtype)))
        return float(torch.sqrt(torch.mean((moved - ref) ** 2)) / torch.sqrt(torch.mean(ref**2)))


def haar_change(model, links: torch.Tensor, generator: torch.Generator) -> float:
    """Relative change under independent Haar-random ``Omega(x)``."""
    B, shape, N = links.shape[0], links.shape[1:-3], links.shape[-1]
    omega = haar_su_n((B, *shape), N, generator=generator).to(links.device)
    return relative_change(model, links, omega)


def alpha_change(model, links: torch.Tensor, alphas, generator: torch.Generator) -> list[float]:
    """Relative change under ``exp(i alpha chi)`` for each alpha (one chi for all alphas)."""
    chi = _random_algebra(links, generator)
    with torch.no_grad():
        ref = model(links)
    return [relative_change(model, links, torch.linalg.matrix_exp(1j * a * chi), ref)
            for a in alphas]


def adversarial_change(model, links: torch.Tensor, generator: torch.Generator, *,
                       steps: int = 50, lr: float = 0.05, start: float = 0.1) -> float:
    """Largest relative change found by gradient ascent on the algebra elements of Omega.

    Parameters
    ----------
    model : torch.nn.Module
        Links -> per-site predictions.
    links : torch.Tensor
        ``(B, *shape, D, N, N)``.
    generator : torch.Generator
        Seeds the starting point ``H = start * chi``.
    steps, lr : int, float
        AdamW steps and learning rate.
    start : float
        Size of the random starting transformation.

    Returns
    -------
    float
        The maximum of ``rel(Omega)`` over the steps.
    """
    with torch.no_grad():
        ref = model(links)
    param = (start * _random_algebra(links, generator)).to(links.dtype).clone()
    param.requires_grad_(True)
    opt = torch.optim.AdamW([param], lr=lr, weight_decay=0.0)
    norm = torch.sqrt(torch.mean(ref**2))
    best = 0.0
    for _ in range(steps):
        omega = torch.linalg.matrix_exp(1j * hermitian_traceless(param))
        moved = model(gauge_transform_links(links, omega))
        change = torch.mean((moved - ref) ** 2)
        best = max(best, float(torch.sqrt(change.detach()) / norm))
        opt.zero_grad(set_to_none=True)
        (-change).backward()
        opt.step()
    with torch.no_grad():
        omega = torch.linalg.matrix_exp(1j * hermitian_traceless(param))
        best = max(best, relative_change(model, links, omega, ref))
    return best
