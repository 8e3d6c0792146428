"""Output heads on real feature maps ``(B, F, *shape)``: per-site MLP or global pooling + MLP."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from latticeml.errors import ParameterError

__all__ = ["make_activation", "mlp", "SiteHead", "PoolHead"]

class Square(nn.Module):
    """The activation ``x -> x**2``.

    After a linear map it gives a feature that vanishes exactly on a hyperplane, e.g. on
    flux-conserving sites, where a divergence stencil gives 0.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return x * x


_ACTIVATIONS = {
    "relu": nn.ReLU, "leakyrelu": nn.LeakyReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU, "silu": nn.SiLU, "softplus": nn.Softplus, "square": Square,
}


def make_activation(name: str) -> nn.Module:
    """Return an activation module by name (relu, leakyrelu, tanh, sigmoid, gelu, silu, ...)."""
    try:
        return _ACTIVATIONS[name]()
    except KeyError:
        raise ParameterError("activation", f"one of {sorted(_ACTIVATIONS)}", name) from None


def mlp(in_features: int, out_features: int, hidden: Sequence[int] = (),
        activation: str = "relu") -> nn.Sequential:
    """``Linear -> act -> ... -> Linear`` acting on the last axis."""
    sizes = [int(in_features), *map(int, hidden), int(out_features)]
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(make_activation(activation))
    return nn.Sequential(*layers)


class SiteHead(nn.Module):
    """The same MLP at every site: ``(B, F, *shape)`` -> ``(B, *shape)`` or ``(B, out, *shape)``.

    Parameters
    ----------
    in_features, out_features : int
        Feature numbers; ``out_features = 1`` drops the output channel axis.
    hidden : sequence of int
        Hidden layer sizes.
    activation : str
        Activation between hidden layers.
    """

    def __init__(self, in_features: int, out_features: int = 1, hidden: Sequence[int] = (),
                 activation: str = "relu"):
        super().__init__()
        self.out_features = int(out_features)
        self.net = mlp(in_features, out_features, hidden, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, F, *shape)`` -> ``(B, *shape)`` (one output) or ``(B, out, *shape)``."""
        return self.forward_last(x.movedim(1, -1))

    def forward_last(self, x: torch.Tensor) -> torch.Tensor:
        """Channels-last input ``(B, *shape, F)``; output as :meth:`forward`."""
        y = self.net(x)
        return y.squeeze(-1) if self.out_features == 1 else y.movedim(-1, 1)


class PoolHead(nn.Module):
    """Global pooling over all sites, then an MLP: ``(B, F, *shape)`` -> ``(B,)`` or ``(B, out)``.

    Parameters
    ----------
    in_features, out_features : int
        Feature numbers; ``out_features = 1`` drops the output axis.
    hidden : sequence of int
        Hidden layer sizes.
    activation : str
        Activation between hidden layers.
    pool : {'mean', 'max'}
        Pooling over sites.
    """

    def __init__(self, in_features: int, out_features: int = 1, hidden: Sequence[int] = (),
                 activation: str = "relu", pool: str = "mean"):
        super().__init__()
        if pool not in ("mean", "max"):
            raise ParameterError("pool", "'mean' or 'max'", pool)
        self.pool = pool
        self.out_features = int(out_features)
        self.net = mlp(in_features, out_features, hidden, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, F, *shape)`` -> ``(B,)`` or ``(B, out)``."""
        return self.forward_last(x.flatten(2).transpose(1, 2))

    def forward_last(self, x: torch.Tensor) -> torch.Tensor:
        """Channels-last input ``(B, *shape, F)``; output as :meth:`forward`."""
        x = x.flatten(1, -2)
        x = x.mean(1) if self.pool == "mean" else x.amax(1)
        y = self.net(x)
        return y.squeeze(-1) if self.out_features == 1 else y
