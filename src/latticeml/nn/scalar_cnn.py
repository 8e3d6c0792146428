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

Two optional, spec-driven additions for the regressors EQ and ST (defaults leave the models
and the files made with them unchanged):

* ``features`` -- the per-site channels the network sees, built inside the model from the
  ``(k_t, k_x, l_t, l_x)`` input: ``k`` (``k_t, k_x``), ``l`` (``l_t, l_x``), ``abs_k``
  (``|k_t|, |k_x|``) and ``site_flux`` (``f_x``, the sum of ``|k| + 2 l`` over the four links
  at ``x``, on which the site weight and ``|phi|^2`` depend; ARCHITECTURE.md §3). Default
  ``(k, l)``: the input as it is.
* ``skip: linear`` -- a linear path from the lattice averages of the feature channels to the
  outputs, added to the convolutional branch, whose last layer starts at zero, so training
  starts from a linear function of the averages (``n = <k_t>`` is one).

Why (issue 23, docs/results/scalar-2d/README.md): the regressors' targets are lattice
averages of site-local functions (``n``: of ``k_t``, ``|phi|^2``: of ``f_x``). A network whose
receptive field is wider than that learns a function of whole neighbourhoods, and at
mu = 1.05 on 60x4 almost every 3x3 neighbourhood holds charge (0.4 % are empty, against 77-89 %
at mu = 0.91): its value on empty neighbourhoods is not determined by the training data, and
the error grows with their share below the training mu and on larger lattices.
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

__all__ = ["EQ", "ST", "FL", "FluxClassifier", "FEATURES", "site_flux"]


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


_SKIPS = (None, "linear")
#: Feature name -> channels it adds (see the module docstring).
FEATURES = {"k": 2, "l": 2, "abs_k": 2, "site_flux": 1}


def site_flux(x: torch.Tensor) -> torch.Tensor:
    """``f_x = sum over the links at x of |k| + 2 l``: ``(B, 4, N_t, N_x)`` -> ``(B, 1, N_t, N_x)``.

    The links at ``x`` are ``(x, t)``, ``(x, x)`` and those arriving from ``x - t`` and ``x - x``
    (periodic), as in :func:`latticeml.observables.scalar.site_flux`.
    """
    a = x[:, :2].abs() + 2 * x[:, 2:]
    f = a[:, 0] + a[:, 1] + torch.roll(a[:, 0], 1, dims=-2) + torch.roll(a[:, 1], 1, dims=-1)
    return f.unsqueeze(1)


class _ScalarBase(nn.Module):
    in_channels = 4
    skip: str | None = None
    features: tuple[str, ...] = ("k", "l")

    def _check(self, x):
        return check_scalar_input(x, channels=self.in_channels)

    def _setup_inputs(self, skip: str | None, features: Sequence[str] | None) -> int:
        """Store the input options; return the channels the first convolution sees."""
        if skip not in _SKIPS:
            raise ParameterError("skip", "None (no skip path) or 'linear'", skip)
        default = features is None or tuple(features) == ("k", "l")
        if not default:
            if isinstance(features, str) or not features \
                    or any(f not in FEATURES for f in features) \
                    or len(set(features)) != len(features):
                raise ParameterError("features", f"distinct names among {sorted(FEATURES)}",
                                     features)
            if self.in_channels != 4:
                raise ParameterError("features", "the default (k, l) unless in_channels = 4",
                                     features)
        self.skip = skip
        self.features = ("k", "l") if default else tuple(str(f) for f in features)
        return self.in_channels if default else sum(FEATURES[f] for f in self.features)

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 4, N_t, N_x)`` -> ``(B, C, N_t, N_x)``: the feature channels, in spec order."""
        if self.features == ("k", "l"):
            return x
        parts = {"k": lambda: x[:, :2], "l": lambda: x[:, 2:4], "abs_k": lambda: x[:, :2].abs(),
                 "site_flux": lambda: site_flux(x)}
        return torch.cat([parts[f]() for f in self.features], dim=1)

    def _setup_skip(self, features: int, out_features: int) -> None:
        """Add the linear path (no bias: the branch has one); start the branch at zero."""
        if self.skip == "linear":
            self.linear = nn.Linear(features, out_features, bias=False)
            last = self.head[-1]
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def _add_skip(self, y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``y`` ``(B, out)`` plus the linear path on the averages of ``z`` ``(B, C, N_t, N_x)``."""
        if self.skip == "linear":
            y = y + self.linear(z.mean(dim=(-2, -1)))
        return y

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
    skip : {None, 'linear'}
        ``'linear'``: add a linear map of the lattice averages of the input channels to the
        output, and start the convolutional branch's last layer at zero (module docstring).
    features : sequence of str, optional
        Channels built from the input (module docstring); default ``(k, l)``, the input.
    """

    def __init__(self, in_channels: int = 4, channels: Sequence[int] = (16, 32, 32),
                 kernel_sizes: int | Sequence[int] = 3, activation: str = "leakyrelu",
                 hidden: Sequence[int] = (), out_features: int = 2, skip: str | None = None,
                 features: Sequence[str] | None = None):
        super().__init__()
        self.in_channels, self.out_features = in_channels, out_features
        c_in = self._setup_inputs(skip, features)
        self.convs, c = _conv_stack(c_in, channels, kernel_sizes, activation)
        self.head = mlp(c, out_features, hidden, activation)
        self._setup_skip(c_in, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 4, N_t, N_x)`` -> ``(B, out)`` (``(B,)`` for one output)."""
        z = self._features(self._check(x))
        y = self._add_skip(self.head(self.convs(z).mean(dim=(-2, -1))), z)
        return self._squeeze(y, self.out_features)


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
    skip, features
        As for :class:`EQ` (the linear path averages the full-resolution inputs, so it is
        invariant under every translation).
    """

    def __init__(self, in_channels: int = 4, channels: Sequence[int] = (16, 32, 32),
                 kernel_sizes: int | Sequence[int] = 3, strides: int | Sequence[int] = 2,
                 pool: str | None = None, activation: str = "leakyrelu",
                 hidden: Sequence[int] = (), out_features: int = 2, skip: str | None = None,
                 features: Sequence[str] | None = None):
        super().__init__()
        if pool not in (None, "avg", "max"):
            raise ParameterError("pool", "None, 'avg' or 'max'", pool)
        n = len(channels)
        self.strides = _as_list(strides, n, "strides")
        self.total_stride = math.prod(self.strides)
        self.in_channels, self.out_features, self.pool = in_channels, out_features, pool
        c_in = self._setup_inputs(skip, features)
        self.convs, c = _conv_stack(c_in, channels, kernel_sizes, activation,
                                    strides=None if pool else self.strides)
        self.head = mlp(c, out_features, hidden, activation)
        self._setup_skip(c_in, out_features)

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
        z = self._features(x)
        if self.pool is None:
            y = self.convs(z)
        else:
            y = z
            mods = list(self.convs)
            pool = TF.avg_pool2d if self.pool == "avg" else TF.max_pool2d
            for i, s in enumerate(self.strides):
                y = mods[2 * i + 1](mods[2 * i](y))
                if s > 1:
                    y = pool(y, s)
        y = self._add_skip(self.head(y.mean(dim=(-2, -1))), z)
        return self._squeeze(y, self.out_features)


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
    inputs : {'kl', 'k'}
        ``'k'``: only the channels ``k_t, k_x`` (the first two) enter the convolutions (the
        divergence does not depend on ``l``); the input is still ``(B, in_channels, ...)``.
    bias : bool
        Biases of the convolutions (without them a closed configuration can give exactly 0).
    """

    def __init__(self, in_channels: int = 4, channels: Sequence[int] = (8, 8),
                 kernel_sizes: int | Sequence[int] = 3, activation: str = "relu",
                 inputs: str = "kl", bias: bool = True):
        super().__init__()
        if inputs not in ("kl", "k"):
            raise ParameterError("inputs", "'kl' (k and l channels) or 'k' (k_t, k_x only)",
                                 inputs)
        self.in_channels, self.inputs = in_channels, inputs
        self.convs, c = _conv_stack(2 if inputs == "k" else in_channels, channels,
                                    kernel_sizes, activation)
        if not bias:
            for conv in self.convs[::2]:
                conv.bias = None
        self.head = nn.Linear(c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 4, N_t, N_x)`` -> logits ``(B,)`` (positive: violation)."""
        x = self._check(x)
        y = self.convs(x[:, :2] if self.inputs == "k" else x).amax(dim=(-2, -1))
        return self.head(y).squeeze(-1)
