"""Site-local gauge-covariant layers: L-Act (gate), L-Exp (link update), Trace."""

from __future__ import annotations

import torch
from torch import nn

from latticeml.errors import ParameterError
from latticeml.nn import functional as F

__all__ = ["LAct", "LExp", "Trace"]

Links = torch.Tensor | F.LinkCache

_GATES = {"sigmoid": torch.sigmoid, "relu": torch.relu, "tanh": torch.tanh,
          "softplus": torch.nn.functional.softplus}


class LAct(nn.Module):
    """Gauge-equivariant activation ``W_c -> g(a_c Re Tr W_c / N + b_c) W_c``.

    Parameters
    ----------
    channels : int
        Number of channels.
    activation : {'sigmoid', 'relu', 'tanh', 'softplus'}
        The gate ``g``.
    learnable : bool
        Learn ``a_c`` (init 1) and ``b_c`` (init 0); otherwise fixed.
    """

    def __init__(self, channels: int, activation: str = "sigmoid", learnable: bool = True):
        super().__init__()
        if activation not in _GATES:
            raise ParameterError("activation", f"one of {sorted(_GATES)}", activation)
        self.activation = activation
        scale, bias = torch.ones(channels), torch.zeros(channels)
        if learnable:
            self.scale, self.bias = nn.Parameter(scale), nn.Parameter(bias)
        else:
            self.register_buffer("scale", scale)
            self.register_buffer("bias", bias)

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        """``(B, C, *shape, N, N)`` -> same shape."""
        N = w.shape[-1]
        tr = torch.diagonal(w, dim1=-2, dim2=-1).sum(-1).real / N  # (B, C, *shape)
        view = (1, -1) + (1,) * (tr.ndim - 2)
        gate = _GATES[self.activation](self.scale.view(view) * tr + self.bias.view(view))
        return w * gate[..., None, None].to(w.dtype)

    def forward_sites(self, w: torch.Tensor) -> torch.Tensor:
        """Apply the gate in the site layout ``(B, V, N, C, N)``."""
        N = w.shape[-1]
        tr = F.trace_sites(w).real / N  # (B, V, C)
        gate = _GATES[self.activation](self.scale * tr + self.bias)
        return w * gate[:, :, None, :, None].to(w.dtype)


class LExp(nn.Module):
    """Link update ``U_mu(x) -> exp(sum_c b_{mu,c} [W_c(x)]_TA) U_mu(x)``.

    ``[.]_TA`` is the traceless anti-hermitian part, so the new links stay in SU(N) and
    transform like links.

    Parameters
    ----------
    channels : int
        Number of ``W`` channels.
    dim : int
        Number of lattice dimensions ``D``.
    init_scale : float
        Standard deviation of the initial weights.
    """

    def __init__(self, channels: int, *, dim: int, init_scale: float = 0.1):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(dim, channels) * init_scale)

    def forward(self, links: Links, w: torch.Tensor) -> torch.Tensor:
        """Links ``(B, *shape, D, N, N)`` and ``W`` ``(B, C, *shape, N, N)`` -> new links."""
        u = links.links if isinstance(links, F.LinkCache) else links
        ta = F.traceless_antihermitian(w)  # (B, C, *shape, N, N)
        x = torch.einsum("dc,bc...ij->b...dij", self.weight.to(ta.dtype), ta).contiguous()
        return torch.linalg.matrix_exp(x) @ u


class Trace(nn.Module):
    """``W`` -> ``(Re Tr W_c, Im Tr W_c)``: gauge-invariant real features.

    Output channel order: ``[Re Tr W_0, ..., Re Tr W_{C-1}, Im Tr W_0, ..., Im Tr W_{C-1}]``.
    """

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        """``(B, C, *shape, N, N)`` complex -> ``(B, 2C, *shape)`` real."""
        tr = torch.diagonal(w, dim1=-2, dim2=-1).sum(-1)
        return torch.cat([tr.real, tr.imag], dim=1)
