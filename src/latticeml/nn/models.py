"""The L-CNN model: links in, gauge-invariant predictions out.

The model takes the links only and builds plaquettes (and optionally Polyakov loops) inside,
so a gauge transformation of the input is a transformation of the links alone and the output is
exactly invariant.  The lattice size is read from the input: the same weights run on 8x8 and
64x64 without any ``update_dims()`` call.

Architecture: ``Plaq [+ Poly]`` -> ``L-CB`` x n (each optionally followed by ``L-Act``) ->
``Trace`` (Re, Im per channel) -> per-site MLP (output ``(B, *shape)``) or global pooling + MLP
(output ``(B,)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from latticeml.checks import check_per_layer
from latticeml.errors import ParameterError
from latticeml.nn import functional as F
from latticeml.nn.gauge_layers import LConvBilin, Plaq, Poly, gauge_inputs
from latticeml.nn.gauge_pointwise import LAct, Trace
from latticeml.nn.heads import PoolHead, SiteHead

__all__ = ["LCNN", "count_parameters"]


def count_parameters(model: nn.Module) -> int:
    """Return the number of trainable scalars of a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class LCNN(nn.Module):
    """Lattice gauge equivariant CNN built from fused L-CB layers.

    Parameters
    ----------
    dim : int
        Number of lattice dimensions ``D`` (>= 2).
    n_colors : int
        ``N`` of SU(N) (>= 2).
    channels : sequence of int
        Output channels of the L-CB layers.
    kernel_sizes : int or sequence of int
        Kernel size ``K`` per layer.
    dilations : int or sequence of int
        Dilation per layer.
    offsets : {'forward', 'symmetric'}
        Transport offsets of every layer.
    local : bool
        Include the local (untransported) term in ``T`` (the published code does).
    unit, conjugates : bool
        Enlarge the L-CB factors by the unit matrix / by conjugates.
    planes : sequence of (int, int), optional
        Plaquette planes used as input channels; default all.
    input_conjugates : bool
        Also feed ``W^dagger`` as input channels (the published code does).
    polyakov : bool
        Add the Polyakov loops along axis 0 as an input channel.
    activation : str, optional
        If given, an ``LAct`` gate after every L-CB layer.
    head : {'site', 'mean', 'max'}
        Per-site MLP, or global mean/max pooling followed by an MLP.
    hidden : sequence of int
        Hidden sizes of the head MLP.
    head_activation : str
        Activation inside the head MLP.
    out_features : int
        Outputs per site (``site``) or per configuration.
    check_group : bool
        Check at the entry that the links are SU(N).
    init_scale : float
        Scale of the L-CB weight initialisation.
    """

    def __init__(self, *, dim: int = 2, n_colors: int = 2, channels: Sequence[int] = (2,),
                 kernel_sizes: int | Sequence[int] = 2, dilations: int | Sequence[int] = 1,
                 offsets: str = "forward", local: bool = False, unit: bool = True,
                 conjugates: bool = True, planes: Sequence[Sequence[int]] | None = None,
                 input_conjugates: bool = False, polyakov: bool = False,
                 activation: str | None = None, head: str = "site", hidden: Sequence[int] = (),
                 head_activation: str = "relu", out_features: int = 1,
                 check_group: bool = True, init_scale: float = 1.0):
        super().__init__()
        if int(dim) < 2:
            raise ParameterError("dim", "an integer >= 2 (plaquettes need a plane)", dim)
        if int(n_colors) < 2:
            raise ParameterError("n_colors", "N >= 2 for SU(N)", n_colors)
        if head not in ("site", "mean", "max"):
            raise ParameterError("head", "'site', 'mean' or 'max'", head)
        channels = [int(c) for c in channels]
        if not channels or min(channels) < 1:
            raise ParameterError("channels", "a non-empty list of positive integers", channels)
        n = len(channels)
        kernel_sizes = check_per_layer(kernel_sizes, n, "kernel_sizes")
        dilations = check_per_layer(dilations, n, "dilations")
        self.dim, self.n_colors = int(dim), int(n_colors)
        self.check_group = bool(check_group)
        if planes is not None:
            planes = [tuple(int(i) for i in p) for p in planes]
            for p in planes:
                if len(p) != 2 or not 0 <= p[0] < p[1] < self.dim:
                    raise ParameterError("planes", f"pairs (mu, nu) with 0 <= mu < nu < {dim}", p)
        self.plaq = Plaq(planes)
        self.poly = Poly(0) if polyakov else None
        self.input_conjugates = bool(input_conjugates)
        c_in = self.plaq.out_channels(self.dim)
        if self.poly is not None:
            c_in += self.poly.out_channels(self.dim)
        if self.input_conjugates:
            c_in *= 2
        self.in_channels = c_in
        self.layers = nn.ModuleList()
        self.acts = nn.ModuleList()
        for c_out, k, d in zip(channels, kernel_sizes, dilations, strict=True):
            paired = not self.layers and self.input_conjugates and conjugates
            self.layers.append(LConvBilin(c_in, c_out, k, dim=self.dim, dilation=d,
                                          offsets=offsets, local=local, unit=unit,
                                          conjugates=conjugates, paired_input=paired,
                                          init_scale=init_scale))
            self.acts.append(LAct(c_out, activation) if activation else nn.Identity())
            c_in = c_out
        self.trace = Trace()
        if head == "site":
            self.head = SiteHead(2 * c_in, out_features, hidden, head_activation)
        else:
            self.head = PoolHead(2 * c_in, out_features, hidden, head_activation, pool=head)

    def _sites(self, links: torch.Tensor) -> tuple[torch.Tensor, tuple[int, ...]]:
        cache, w = gauge_inputs(self, links)
        B, C, N = w.shape[0], w.shape[1], w.shape[-1]
        w = F.to_sites(w.reshape(B, C, -1, N, N))  # (B, V, N, C, N)
        for i, (layer, act) in enumerate(zip(self.layers, self.acts, strict=True)):
            if i == 0 and self.input_conjugates:
                # inputs [W, W^dagger]: the first layer folds the pairing and needs W only
                if layer.paired_input:
                    w = layer.forward_sites_half(cache, w)
                else:
                    w = layer.forward_sites(cache, torch.cat([w, w.transpose(2, 4).conj()], dim=3))
            else:
                w = layer.forward_sites(cache, w)
            if isinstance(act, LAct):
                w = act.forward_sites(w)
        return w, cache.shape

    def features(self, links: torch.Tensor) -> torch.Tensor:
        """Gauge-covariant channels of the last layer, ``(B, C, *shape, N, N)``."""
        w, shape = self._sites(links)
        B, N = w.shape[0], w.shape[-1]
        return F.from_sites(w).reshape(B, -1, *shape, N, N)

    def forward(self, links: torch.Tensor) -> torch.Tensor:
        """Links ``(B, *shape, D, N, N)`` -> ``(B, *shape)`` (site head) or ``(B,)`` (pooled)."""
        w, shape = self._sites(links)
        tr = F.trace_sites(w)  # (B, V, C)
        feats = torch.cat([tr.real, tr.imag], dim=-1).reshape(w.shape[0], *shape, -1)
        return self.head.forward_last(feats)
