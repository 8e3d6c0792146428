"""Gauge actions as ``torch.nn.Module``: links ``(*shape, D, N, N)`` in, a real scalar out.

Any module with this signature drives :mod:`latticeml.hmc` (forces by autograd): the Wilson
action here, improved actions and trained L-CNN actions alike.
"""

from __future__ import annotations

import torch

__all__ = ["WilsonAction", "plaquette_traces"]


def plaquette_traces(links: torch.Tensor) -> torch.Tensor:
    """Return ``Re Tr U_p / N`` for every site and plane ``mu < nu``, shape ``(P, *shape)``.

    ``U_p(x) = U_mu(x) U_nu(x + mu) U_mu(x + nu)^dagger U_nu(x)^dagger`` on a periodic lattice;
    ``links`` has shape ``(*shape, D, N, N)`` (no batch axis).
    """
    d = links.shape[-3]
    n = links.shape[-1]
    out = []
    for mu in range(d):
        for nu in range(mu + 1, d):
            u_mu, u_nu = links[..., mu, :, :], links[..., nu, :, :]
            u_nu_xmu = torch.roll(u_nu, -1, dims=mu)
            u_mu_xnu = torch.roll(u_mu, -1, dims=nu)
            p = u_mu @ u_nu_xmu @ u_mu_xnu.mH @ u_nu.mH
            out.append(torch.diagonal(p, dim1=-2, dim2=-1).sum(-1).real / n)
    return torch.stack(out)


class WilsonAction(torch.nn.Module):
    """``S = beta sum_x sum_{mu<nu} (1 - Re Tr U_p(x) / N)``."""

    def __init__(self, beta: float) -> None:
        super().__init__()
        self.beta = float(beta)

    def forward(self, links: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.beta * (1.0 - plaquette_traces(links)).sum()
