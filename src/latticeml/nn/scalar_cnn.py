"""CNNs for the dual complex scalar field (Bulusu et al., PRD 104 (2021) 074504).

Input ``(B, 4, N_t, N_x)`` real, channels ``(k_t, k_x, l_t, l_x)`` (ARCHITECTURE.md §5).

* :class:`EQ` -- stride-1 circular convolutions (asymmetric padding for even kernels), global
  average pooling, linear head: equivariant under every translation, any lattice size.
* :class:`ST` -- strided convolutions (or stride-1 convolutions followed by pooling), global
  average pooling: invariant only under shifts by multiples of the total stride.
* :class:`FL` -- convolutions, flatten, dense: one lattice size only; another size is rejected
  with a clear error.
* :class:`FluxClassifier` -- detects flux-conservation violations (local divergence of ``k``):
  convolutions, global *max* pooling, one logit per configuration; any lattice size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as TF

from latticeml.errors import ParameterError
from latticeml.nn.baselines import CircularConv
from latticeml.nn.heads import make_activation, mlp
from latticeml.nn.validation import ModelInputError, check_scalar_input

__all__ = ["EQ", "ST", "FL", "FluxClassifier"]


def _as_list(value, n: int, name: str) -> list[int]:
    if isinstance(value, int):
        return [value] * n
    value = [int(v) for v in value]
    if len(value) != n:
        raise ParameterError(name, f"an int or one value per layer ({n})", value)
    return value


def _conv_stack(in_channels, channels, kernel_sizes, activation, strides=None):
    n = len(channels)
    kernel_sizes = _as_list(kernel_sizes, n, "kernel_sizes")
    strides = _as_list(1 if strides is None else strides, n, "strides")
    layers: list[nn.Module] = []
    c_in = in_channels
    for c_out, k, s in zip(channels, kernel_sizes, strides, strict=True):
        layers += [CircularConv(c_in, c_out, k, dim=2, stride=s), make_activation(activation)]
        c_in = c_out
    return nn.Sequential(*layers), c_in


class _ScalarBase(nn.Module):
    in_channels = 4

    def _check(self, x):
        return check_scalar_input(x, channels=self.in_channels)

    @staticmethod
    def _squeeze(y: torch.Tensor, out_features: int) -> torch.Tensor:
        return y.squeeze(-1) if out_features == 1 else y


class EQ(_ScalarBase):
    """Translation-equivariant CNN with global average pooling (any lattice size).

    Parameters
    ----------
    in_channels : int
        Input channels (4: ``k_t, k_x, l_t, l_x``).
    channels : sequence of int
        Convolution channels.
    kernel_sizes : int or sequence of int
        Kernel size per layer (even sizes get asymmetric circular padding).
    activation : str
        Activation after each convolution.
    hidden : sequence of int
        Hidden sizes of the MLP after pooling.
    out_features : int
        Outputs per configuration (e.g. 2 for ``n`` and ``|phi|^2``).
    """

    def __init__(self, in_channels: int = 4, channels: Sequence[int] = (16, 32, 32),
                 kernel_sizes: int | Sequence[int] = 3, activation: str = "leakyrelu",
                 hidden: Sequence[int] = (), out_features: int = 2):
        super().__init__()
        self.in_channels, self.out_features = in_channels, out_features
        self.convs, c = _conv_stack(in_channels, channels, kernel_sizes, activation)
        self.head = mlp(c, out_features, hidden, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 4, N_t, N_x)`` -> ``(B, out)`` (``(B,)`` for one output)."""
        y = self.convs(self._check(x)).mean(dim=(-2, -1))
        return self._squeeze(self.head(y), self.out_features)


class ST(_ScalarBase):
    """CNN with strides (or pooling): invariant only under shifts by multiples of the stride.

    Parameters
    ----------
    in_channels, channels, kernel_sizes, activation, hidden, out_features
        As for :class:`EQ`.
    strides : int or sequence of int
        Stride per layer (product = total stride).
    pool : {None, 'avg', 'max'}
        If given, convolutions have stride 1 and are followed by pooling with kernel = stride.
    """

    def __init__(self, in_channels: int = 4, channels: Sequence[int] = (16, 32, 32),
                 kernel_sizes: int | Sequence[int] = 3, strides: int | Sequence[int] = 2,
                 pool: str | None = None, activation: str = "leakyrelu",
                 hidden: Sequence[int] = (), out_features: int = 2):
        super().__init__()
        if pool not in (None, "avg", "max"):
            raise ParameterError("pool", "None, 'avg' or 'max'", pool)
        n = len(channels)
        self.strides = _as_list(strides, n, "strides")
        self.total_stride = math.prod(self.strides)
        self.in_channels, self.out_features, self.pool = in_channels, out_features, pool
        self.convs, c = _conv_stack(in_channels, channels, kernel_sizes, activation,
                                    strides=None if pool else self.strides)
        self.head = mlp(c, out_features, hidden, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 4, N_t, N_x)`` -> ``(B, out)``.

        Without ``pool`` any extent works: a stride-``s`` layer has ``ceil(N / s)`` outputs
        whose windows wrap around the periodic boundary (on an extent that ``s`` does not
        divide, the last window overlaps the first). With ``pool`` the extents must be
        multiples of the total stride.
        """
        self._check(x)
        if self.pool is not None and any(n % self.total_stride for n in x.shape[2:]):
            raise ModelInputError("x.shape[2:]", f"extents divisible by {self.total_stride}",
                                  tuple(x.shape[2:]), "the total stride must divide the lattice")
        if self.pool is None:
            y = self.convs(x)
        else:
            y = x
            mods = list(self.convs)
            pool = TF.avg_pool2d if self.pool == "avg" else TF.max_pool2d
            for i, s in enumerate(self.strides):
                y = mods[2 * i + 1](mods[2 * i](y))
                if s > 1:
                    y = pool(y, s)
        return self._squeeze(self.head(y.mean(dim=(-2, -1))), self.out_features)


class FL(_ScalarBase):
    """Convolutions, flatten, dense layers: works on one lattice size only.

    Parameters
    ----------
    input_shape : (int, int)
        The lattice ``(N_t, N_x)`` the model is built for.
    in_channels, channels, kernel_sizes, activation, out_features
        As for :class:`EQ`.
    hidden : sequence of int
        Hidden sizes of the dense layers after flattening.
    """

    def __init__(self, input_shape: Sequence[int], in_channels: int = 4,
                 channels: Sequence[int] = (16, 16), kernel_sizes: int | Sequence[int] = 3,
                 activation: str = "leakyrelu", hidden: Sequence[int] = (64,),
                 out_features: int = 2):
        super().__init__()
        self.input_shape = tuple(int(n) for n in input_shape)
        if len(self.input_shape) != 2:
            raise ParameterError("input_shape", "(N_t, N_x)", input_shape)
        self.in_channels, self.out_features = in_channels, out_features
        self.convs, c = _conv_stack(in_channels, channels, kernel_sizes, activation)
        self.head = mlp(c * math.prod(self.input_shape), out_features, hidden, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 4, *input_shape)`` -> ``(B, out)``; any other lattice size is an error."""
        check_scalar_input(x, channels=self.in_channels, shape=self.input_shape)
        return self._squeeze(self.head(self.convs(x).flatten(1)), self.out_features)


class FluxClassifier(_ScalarBase):
    """Flux-violation classifier: convolutions + global max pooling, any lattice size.

    A violation is local (``div k != 0`` at some site); max pooling makes the logit large if
    any site looks violating, independently of the lattice volume.

    Parameters
    ----------
    in_channels, channels, kernel_sizes, activation
        As for :class:`EQ`.
    """

    def __init__(self, in_channels: int = 4, channels: Sequence[int] = (8, 8),
                 kernel_sizes: int | Sequence[int] = 3, activation: str = "relu"):
        super().__init__()
        self.in_channels = in_channels
        self.convs, c = _conv_stack(in_channels, channels, kernel_sizes, activation)
        self.head = nn.Linear(c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 4, N_t, N_x)`` -> logits ``(B,)`` (positive: violation)."""
        y = self.convs(self._check(x)).amax(dim=(-2, -1))
        return self.head(y).squeeze(-1)
