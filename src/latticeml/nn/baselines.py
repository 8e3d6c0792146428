"""Baseline (non-equivariant) CNNs on the raw entries of links and plaquettes.

The input features at each site are the real and imaginary parts of all entries of the ``D``
links and of the ``D(D-1)/2`` plaquettes: ``2 N^2 (D + D(D-1)/2)`` channels, exactly what the
published baseline used.  Convolutions are circular (periodic lattice); even kernels get the
asymmetric padding ``((K-1)//2, K//2)``.

D = 4: PyTorch has no ``conv4d``.  :class:`CircularConv` implements it as a sum over the kernel
extent ``K_0`` along axis 0 of ``conv3d`` over axes 1-3, each rolled along axis 0 by its offset
(exact, periodic; cost ``K_0`` conv3d calls).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as TF

from latticeml.checks import check_per_layer
from latticeml.errors import ParameterError
from latticeml.nn import functional as F
from latticeml.nn.heads import PoolHead, SiteHead, make_activation
from latticeml.nn.validation import check_links

__all__ = ["circular_padding", "CircularConv", "BaselineCNN"]

_CONV = {1: TF.conv1d, 2: TF.conv2d, 3: TF.conv3d}


def circular_padding(kernel_size: Sequence[int]) -> list[int]:
    """``F.pad`` argument (last axis first) for 'same' circular padding of a kernel."""
    pad: list[int] = []
    for k in reversed(list(kernel_size)):
        pad += [(k - 1) // 2, k // 2]
    return pad


class CircularConv(nn.Module):
    """Convolution with periodic boundaries in ``dim`` = 1..4 lattice dimensions.

    Parameters
    ----------
    in_channels, out_channels : int
        Channel numbers.
    kernel_size : int or sequence of int
        Kernel extent per axis.
    dim : int
        Number of lattice dimensions (1..4).
    stride : int
        Stride (1..3 dimensions only; 4D supports stride 1).
    bias : bool
        Add a bias.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Sequence[int],
                 dim: int, stride: int = 1, bias: bool = True):
        super().__init__()
        if dim not in (1, 2, 3, 4):
            raise ParameterError("dim", "1, 2, 3 or 4", dim)
        if isinstance(kernel_size, int):
            ks = [int(kernel_size)] * dim
        else:
            ks = [int(k) for k in kernel_size]
        if len(ks) != dim or min(ks) < 1:
            raise ParameterError("kernel_size", f"positive int or {dim} positive ints", kernel_size)
        if dim == 4 and stride != 1:
            raise ParameterError("stride", "1 for 4D convolutions", stride)
        self.dim, self.kernel_size, self.stride = dim, ks, int(stride)
        fan_in = in_channels * math.prod(ks)
        bound = 1.0 / math.sqrt(fan_in)
        weight = torch.empty(out_channels, in_channels, *ks).uniform_(-bound, bound)
        self.weight = nn.Parameter(weight)
        self.bias = (nn.Parameter(torch.empty(out_channels).uniform_(-bound, bound))
                     if bias else None)
        self.pad = circular_padding(ks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C_in, *shape)`` -> ``(B, C_out, *shape')`` (``shape' = shape / stride``)."""
        if self.dim < 4:
            return _CONV[self.dim](TF.pad(x, self.pad, mode="circular"), self.weight, self.bias,
                                   stride=self.stride)
        B, C, L0 = x.shape[:3]
        rest = x.shape[3:]
        xs = x.transpose(1, 2).reshape(B * L0, C, *rest)
        xs = TF.pad(xs, self.pad[:6], mode="circular")
        out = None
        left = (self.kernel_size[0] - 1) // 2
        for k0 in range(self.kernel_size[0]):
            y = TF.conv3d(xs, self.weight[:, :, k0]).reshape(B, L0, -1, *rest)
            y = torch.roll(y, shifts=-(k0 - left), dims=1)
            out = y if out is None else out + y
        out = out.transpose(1, 2)
        if self.bias is not None:
            out = out + self.bias.view(1, -1, *([1] * 4))
        return out


class BaselineCNN(nn.Module):
    """Ordinary CNN on the real and imaginary entries of links and plaquettes.

    Parameters
    ----------
    dim : int
        Number of lattice dimensions ``D`` (2, 3 or 4).
    n_colors : int
        ``N`` of SU(N).
    channels : sequence of int
        Output channels of the convolution layers.
    kernel_sizes : int or sequence of int
        Kernel size per layer.
    activation : str
        Activation after every convolution.
    head : {'site', 'mean', 'max'}
        Per-site MLP (output ``(B, *shape)``) or global pooling + MLP (output ``(B,)``).
    hidden : sequence of int
        Hidden sizes of the head MLP.
    out_features : int
        Outputs per site or per configuration.
    plaquettes : bool
        Include the plaquette entries in the input features.
    check_group : bool
        Check at the entry that the links are SU(N).
    """

    def __init__(self, *, dim: int = 2, n_colors: int = 2, channels: Sequence[int] = (8, 8),
                 kernel_sizes: int | Sequence[int] = 3, activation: str = "relu",
                 head: str = "site", hidden: Sequence[int] = (), out_features: int = 1,
                 plaquettes: bool = True, check_group: bool = True):
        super().__init__()
        if dim not in (2, 3, 4):
            raise ParameterError("dim", "2, 3 or 4", dim)
        if head not in ("site", "mean", "max"):
            raise ParameterError("head", "'site', 'mean' or 'max'", head)
        channels = [int(c) for c in channels]
        kernel_sizes = check_per_layer(kernel_sizes, len(channels), "kernel_sizes")
        self.dim, self.n_colors = dim, n_colors
        self.plaquettes, self.check_group = plaquettes, check_group
        n_mat = dim + (dim * (dim - 1) // 2 if plaquettes else 0)
        self.in_channels = 2 * n_colors**2 * n_mat
        layers: list[nn.Module] = []
        c_in = self.in_channels
        for c_out, k in zip(channels, kernel_sizes, strict=True):
            layers += [CircularConv(c_in, c_out, k, dim), make_activation(activation)]
            c_in = c_out
        self.convs = nn.Sequential(*layers)
        if head == "site":
            self.head = SiteHead(c_in, out_features, hidden, activation)
        else:
            self.head = PoolHead(c_in, out_features, hidden, activation, pool=head)

    def input_features(self, links: torch.Tensor) -> torch.Tensor:
        """Links ``(B, *shape, D, N, N)`` -> real features ``(B, F, *shape)``."""
        B = links.shape[0]
        mats = links.movedim(-3, 1)  # (B, D, *shape, N, N)
        if self.plaquettes:
            mats = torch.cat([mats, F.plaquettes(links)], dim=1)
        x = torch.view_as_real(mats.contiguous())  # (B, M, *shape, N, N, 2)
        nd = x.ndim
        x = x.permute(0, 1, nd - 1, nd - 3, nd - 2, *range(2, nd - 3))  # (B, M, 2, N, N, *shape)
        return x.reshape(B, -1, *links.shape[1:-3])

    def forward(self, links: torch.Tensor) -> torch.Tensor:
        """Links ``(B, *shape, D, N, N)`` -> ``(B, *shape)`` (site head) or ``(B,)`` (pooled)."""
        real = next(self.parameters()).dtype
        check_links(links, dim=self.dim, n_colors=self.n_colors, real_dtype=real,
                    check_group=self.check_group)
        return self.head(self.convs(self.input_features(links)))
