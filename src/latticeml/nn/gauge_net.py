"""A gauge-equivariant network assembled from a list of layer mappings (the full layer set).

``LCNN`` covers the paper's architectures (stacks of fused L-CB layers).  ``GaugeNet`` lets a
config combine every layer::

    {"kind": "gauge_net", "dim": 2, "n_colors": 2, "polyakov": True,
     "layers": [{"type": "lconv", "out_channels": 4, "kernel_size": 2},
                {"type": "lbilin", "out_channels": 4, "with": "input"},
                {"type": "lact", "activation": "tanh"},
                {"type": "lexp"},
                {"type": "lcb", "out_channels": 2, "kernel_size": 3}],
     "head": "site"}

Layer types: ``lcb`` (:class:`LConvBilin`), ``lconv`` (:class:`LConv`), ``lbilin``
(:class:`LBilin` of the current channels with the channels ``"input"`` to the previous layer,
or with ``"self"``), ``lact`` (:class:`LAct`), ``lexp`` (:class:`LExp`: updates the links used
by all following layers).  Keyword arguments of the layer classes pass through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from latticeml.errors import ParameterError
from latticeml.nn import functional as F
from latticeml.nn.gauge_layers import LBilin, LConv, LConvBilin, Plaq, Poly, gauge_inputs
from latticeml.nn.gauge_pointwise import LAct, LExp, Trace
from latticeml.nn.heads import PoolHead, SiteHead

__all__ = ["GaugeNet"]

_TYPES = ("lcb", "lconv", "lbilin", "lact", "lexp")


class GaugeNet(nn.Module):
    """Links -> ``Plaq [+ Poly]`` -> any sequence of gauge layers -> Trace -> head.

    Parameters
    ----------
    layers : sequence of mapping
        One mapping per layer with ``type`` (see the module docstring) and its options
        (``out_channels``, ``kernel_size``, ...); ``in_channels`` and ``dim`` are filled in.
    dim, n_colors : int
        ``D`` and ``N`` of SU(N).
    planes : sequence of (int, int), optional
        Plaquette planes used as input channels; default all.
    polyakov : bool
        Add the Polyakov loops along axis 0 as an input channel.
    head : {'site', 'mean', 'max'}
        Per-site MLP or global pooling + MLP.
    hidden : sequence of int
        Hidden sizes of the head MLP.
    head_activation : str
        Activation inside the head MLP.
    out_features : int
        Outputs per site or per configuration.
    check_group : bool
        Check at the entry that the links are SU(N).
    """

    def __init__(self, *, layers: Sequence[Mapping], dim: int = 2, n_colors: int = 2,
                 planes: Sequence[Sequence[int]] | None = None, polyakov: bool = False,
                 head: str = "site", hidden: Sequence[int] = (), head_activation: str = "relu",
                 out_features: int = 1, check_group: bool = True):
        super().__init__()
        if head not in ("site", "mean", "max"):
            raise ParameterError("head", "'site', 'mean' or 'max'", head)
        self.dim, self.n_colors, self.check_group = int(dim), int(n_colors), bool(check_group)
        self.plaq = Plaq([tuple(p) for p in planes] if planes is not None else None)
        self.poly = Poly(0) if polyakov else None
        c = self.plaq.out_channels(self.dim) + (1 if polyakov else 0)
        self.layers = nn.ModuleList()
        self.kinds: list[tuple[str, str]] = []
        prev_in = c
        for i, spec in enumerate(layers):
            spec = dict(spec)
            kind = str(spec.pop("type", ""))
            if kind not in _TYPES:
                raise ParameterError(f"layers[{i}].type", f"one of {list(_TYPES)}", kind or None)
            partner = spec.pop("with", "input") if kind == "lbilin" else ""
            try:
                if kind == "lcb":
                    layer = LConvBilin(c, spec.pop("out_channels"), spec.pop("kernel_size"),
                                       dim=self.dim, **spec)
                elif kind == "lconv":
                    layer = LConv(c, spec.pop("out_channels"), spec.pop("kernel_size"),
                                  dim=self.dim, **spec)
                elif kind == "lbilin":
                    if partner not in ("input", "self"):
                        raise ParameterError(f"layers[{i}].with", "'input' or 'self'", partner)
                    c2 = prev_in if partner == "input" else c
                    layer = LBilin(c, c2, spec.pop("out_channels"), **spec)
                elif kind == "lact":
                    layer = LAct(c, **spec)
                else:
                    layer = LExp(c, dim=self.dim, **spec)
            except (KeyError, TypeError) as exc:
                raise ParameterError(f"layers[{i}] ({kind})", "valid layer options", spec,
                                     f"{exc}") from None
            self.layers.append(layer)
            self.kinds.append((kind, partner))
            if kind in ("lcb", "lconv", "lbilin"):
                prev_in, c = c, layer.out_channels
        self.trace = Trace()
        if head == "site":
            self.head = SiteHead(2 * c, out_features, hidden, head_activation)
        else:
            self.head = PoolHead(2 * c, out_features, hidden, head_activation, pool=head)

    def features(self, links: torch.Tensor) -> torch.Tensor:
        """Gauge-covariant channels of the last layer, ``(B, C, *shape, N, N)``."""
        cache, w = gauge_inputs(self, links)
        prev_in = w
        for layer, (kind, partner) in zip(self.layers, self.kinds, strict=True):
            if kind == "lexp":
                cache = F.LinkCache(layer(cache, w))
            elif kind == "lact":
                w = layer(w)
            elif kind == "lbilin":
                prev_in, w = w, layer(w, prev_in if partner == "input" else w)
            else:
                prev_in, w = w, layer(cache, w)
        return w

    def forward(self, links: torch.Tensor) -> torch.Tensor:
        """Links ``(B, *shape, D, N, N)`` -> ``(B, *shape)`` (site head) or ``(B,)`` (pooled)."""
        return self.head(self.trace(self.features(links)))
