"""Lattice gauge equivariant layers (L-CNN, Favoni et al., PRL 128 (2022) 032003).

Tensor layouts (ARCHITECTURE.md §5): links ``(B, *shape, D, N, N)``, locally transforming
channels ``W`` ``(B, C, *shape, N, N)``, both complex.  No layer stores the lattice size: it is
read from the input, so the same weights run on any lattice.  Layers that transport take the
links either as a tensor or as a :class:`~latticeml.nn.functional.LinkCache` (a model passes one
cache to all layers so that Wilson lines are computed once per forward pass).

Channel order of the fused and convolution layers (used to hand-set weights)
---------------------------------------------------------------------------
* offsets: ``forward`` -> for axis 0..D-1, ``s = k*dilation`` for ``k = 1..K-1``;
  ``symmetric`` -> the forward list, then the same with ``-s``;
* transported base channels ``T``: ``[W_c (local, if local=True)]`` then ``(c, p)`` c-major,
  i.e. index ``c*P + p``;
* ``LConvBilin`` right factor: ``[T, T^dagger (if conjugates), 1 (if unit)]``; left factor
  ``A = [W, W^dagger (if conjugates), 1 (if unit)]``.  See :meth:`LConvBilin.channel_labels`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from latticeml.errors import ParameterError
from latticeml.lattice import transport_offsets
from latticeml.nn import functional as F
from latticeml.nn.fused import lconvbilin_sites
from latticeml.nn.validation import check_links

__all__ = [
    "make_offsets",
    "gauge_inputs",
    "Plaq",
    "Poly",
    "LConv",
    "LBilin",
    "LConvBilin",
]

Links = torch.Tensor | F.LinkCache


#: List of ``(axis, s)`` transport offsets of a layer (see the module docstring).
make_offsets = transport_offsets


def gauge_inputs(model: nn.Module, links: torch.Tensor) -> tuple[F.LinkCache, torch.Tensor]:
    """Check the links entering a gauge network and compute its input channels.

    Shared by :class:`~latticeml.nn.models.LCNN` and :class:`~latticeml.nn.gauge_net.GaugeNet`.

    Parameters
    ----------
    model : torch.nn.Module
        The network: attributes ``dim``, ``n_colors``, ``check_group``, ``plaq`` (a
        :class:`Plaq`) and ``poly`` (a :class:`Poly` or ``None``); its first parameter gives
        the real dtype the links must match.
    links : torch.Tensor
        Links ``(B, *shape, D, N, N)``.

    Returns
    -------
    cache : LinkCache
        The links with their Wilson lines, to be shared by all layers.
    w : torch.Tensor
        Plaquette channels, then the Polyakov loop channel if any, ``(B, C, *shape, N, N)``.

    Raises
    ------
    ModelInputError
        If the links do not fit the model (:func:`latticeml.nn.validation.check_links`).
    """
    real = next(model.parameters()).dtype
    check_links(links, dim=model.dim, n_colors=model.n_colors, real_dtype=real,
                check_group=model.check_group)
    cache = F.LinkCache(links)
    w = model.plaq(cache)
    if model.poly is not None:
        w = torch.cat([w, model.poly(cache)], dim=1)
    return cache, w


def _flat_w(w: torch.Tensor) -> tuple[torch.Tensor, tuple[int, ...]]:
    B, C, N = w.shape[0], w.shape[1], w.shape[-1]
    return w.reshape(B, C, -1, N, N), tuple(w.shape[2:-2])


def _eye_channel(w: torch.Tensor) -> torch.Tensor:
    B, _, V, N, _ = w.shape
    return torch.eye(N, dtype=w.dtype, device=w.device).expand(B, 1, V, N, N)


class Plaq(nn.Module):
    """Links -> plaquette channels ``U_{x,mu nu}`` (optionally followed by their conjugates).

    Parameters
    ----------
    planes : sequence of (int, int), optional
        Planes ``(mu, nu)``; default all ``mu < nu`` in lexicographic order.
    conjugates : bool
        Append the hermitian conjugates as extra channels.
    """

    def __init__(self, planes: Sequence[tuple[int, int]] | None = None, conjugates: bool = False):
        super().__init__()
        self.planes = None if planes is None else [tuple(p) for p in planes]
        self.conjugates = conjugates

    def out_channels(self, dim: int) -> int:
        """Return the number of output channels for ``D = dim``."""
        n = dim * (dim - 1) // 2 if self.planes is None else len(self.planes)
        return 2 * n if self.conjugates else n

    def forward(self, links: Links) -> torch.Tensor:
        """``(B, *shape, D, N, N)`` -> ``(B, P or 2P, *shape, N, N)``."""
        u = links.links if isinstance(links, F.LinkCache) else links
        p = F.plaquettes(u, self.planes)
        return torch.cat([p, p.mH], dim=1) if self.conjugates else p


class Poly(nn.Module):
    """Links -> untraced Polyakov loops along ``axis`` at every site (one channel, or two).

    Parameters
    ----------
    axis : int
        Axis the loops wind around (0 = time).
    conjugates : bool
        Append the hermitian conjugate as a second channel.
    """

    def __init__(self, axis: int = 0, conjugates: bool = False):
        super().__init__()
        self.axis = axis
        self.conjugates = conjugates

    def out_channels(self, dim: int) -> int:
        """Return the number of output channels."""
        return 2 if self.conjugates else 1

    def forward(self, links: Links) -> torch.Tensor:
        """``(B, *shape, D, N, N)`` -> ``(B, 1 or 2, *shape, N, N)``."""
        u = links.links if isinstance(links, F.LinkCache) else links
        p = F.polyakov_loops(u, self.axis).unsqueeze(1)
        return torch.cat([p, p.mH], dim=1) if self.conjugates else p


class _Transporting(nn.Module):
    def __init__(self, in_channels, kernel_size, dim, dilation, offsets, local):
        super().__init__()
        self.in_channels = int(in_channels)
        self.kernel_size = int(kernel_size)
        self.dim = int(dim)
        self.dilation = int(dilation)
        self.offsets_mode = offsets
        self.local = bool(local)
        self.offsets = make_offsets(self.dim, self.kernel_size, self.dilation, offsets,
                                    local=self.local)
        self.n_base = self.in_channels * (len(self.offsets) + int(self.local))

    def _base(self, links: Links, w: torch.Tensor) -> list[torch.Tensor]:
        """Flat ``(B, C, V, N, N)`` pieces of the base channels ``[local, transported]``."""
        cache = F.LinkCache.of(links)
        pieces = [w] if self.local else []
        if self.offsets:
            t = F.transport(cache, w, self.offsets)
            pieces.append(t.reshape(w.shape[0], -1, *w.shape[2:]))
        return pieces

    def base_labels(self) -> list[tuple[int, int, int]]:
        """``(c, axis, s)`` for every base channel (``s = 0``: local)."""
        lab = [(c, 0, 0) for c in range(self.in_channels)] if self.local else []
        lab += [(c, a, s) for c in range(self.in_channels) for a, s in self.offsets]
        return lab


class LConv(_Transporting):
    """Gauge-equivariant convolution ``W'_o(x) = sum_{c,p} w_{o,c,p} G_p W_c(x+p) G_p^dagger``.

    Parameters
    ----------
    in_channels, out_channels : int
        Channel numbers.
    kernel_size : int
        ``K``: offsets ``k*dilation`` for ``k = 1..K-1`` along every axis.
    dim : int
        Number of lattice dimensions ``D``.
    dilation : int
        Step between offsets.
    offsets : {'forward', 'symmetric'}
        Forward offsets only, or forward and backward.
    local : bool
        Include the untransported ``W(x)`` (offset 0).
    unit : bool
        Include the unit matrix as an extra input channel (a bias).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, dim: int,
                 dilation: int = 1, offsets: str = "forward", local: bool = True,
                 unit: bool = False, init_scale: float = 1.0):
        super().__init__(in_channels, kernel_size, dim, dilation, offsets, local)
        self.out_channels = int(out_channels)
        self.unit = bool(unit)
        n_in = self.n_base + int(self.unit)
        std = init_scale / math.sqrt(n_in)
        self.weight = nn.Parameter(torch.randn(self.out_channels, n_in) * std)

    def forward(self, links: Links, w: torch.Tensor) -> torch.Tensor:
        """``(B, C_in, *shape, N, N)`` -> ``(B, C_out, *shape, N, N)``."""
        wf, shape = _flat_w(w)
        pieces = self._base(links, wf)
        if self.unit:
            pieces.append(_eye_channel(wf))
        t = torch.cat(pieces, dim=1) if len(pieces) > 1 else pieces[0]
        B, C_T, V, N, _ = t.shape
        tr = torch.view_as_real(t.contiguous()).reshape(B, C_T, -1)
        out = torch.view_as_complex((self.weight @ tr).reshape(B, -1, V, N, N, 2))
        return out.reshape(B, self.out_channels, *shape, N, N)


class LBilin(nn.Module):
    """Gauge-equivariant bilinear layer ``W''_o = sum_{a,b} w_{o,a,b} A_a B_b``.

    ``A`` and ``B`` are the two inputs, each enlarged by its hermitian conjugates and the unit
    matrix (both optional); the weights are real.

    Parameters
    ----------
    in_channels1, in_channels2, out_channels : int
        Channel numbers.
    unit, conjugates : bool
        Enlarge the inputs by the unit matrix / by hermitian conjugates.
    """

    def __init__(self, in_channels1: int, in_channels2: int, out_channels: int, *,
                 unit: bool = True, conjugates: bool = True, init_scale: float = 1.0):
        super().__init__()
        self.unit, self.conjugates = bool(unit), bool(conjugates)
        f = 2 if conjugates else 1
        self.n_a = f * in_channels1 + int(unit)
        self.n_b = f * in_channels2 + int(unit)
        self.out_channels = int(out_channels)
        std = init_scale / math.sqrt(self.n_a * self.n_b)
        self.weight = nn.Parameter(torch.randn(self.out_channels, self.n_a, self.n_b) * std)

    def _enlarge(self, w: torch.Tensor) -> torch.Tensor:
        pieces = [w] + ([w.mH] if self.conjugates else [])
        pieces += [_eye_channel(w)] if self.unit else []
        return torch.cat(pieces, dim=1) if len(pieces) > 1 else w.contiguous()

    def forward(self, w1: torch.Tensor, w2: torch.Tensor) -> torch.Tensor:
        """``(B, C1, *shape, N, N)``, ``(B, C2, *shape, N, N)`` -> ``(B, C_out, *shape, N, N)``."""
        a, shape = _flat_w(w1)
        b, _ = _flat_w(w2)
        out = F.bilinear_mix(self._enlarge(a), self._enlarge(b), self.weight)
        return out.reshape(w1.shape[0], self.out_channels, *shape, w1.shape[-1], w1.shape[-1])


class LConvBilin(_Transporting):
    """Fused L-Conv + L-Bilin layer (L-CB) of the L-CNN paper.

    ``W'_o(x) = sum_{a,b} w_{o,a,b} A_a(x) T_b(x)`` with ``A = {W_i, W_i^dagger, 1}`` and
    ``T = {transported W_j, their ^dagger, 1}``; real weights.  With ``offsets='forward'``,
    ``local=False`` it has ``C_out (2 C_in + 1) (2 C_in D (K-1) + 1)`` parameters (the paper);
    ``local=True`` gives ``C_out (2 C_in + 1) (2 C_in (D (K-1) + 1) + 1)`` (the published code).

    Parameters
    ----------
    in_channels, out_channels : int
        Channel numbers.
    kernel_size : int
        ``K``.
    dim : int
        Number of lattice dimensions ``D``.
    dilation : int
        Step between offsets.
    offsets : {'forward', 'symmetric'}
        Transport offsets.
    local : bool
        Include the untransported ``W(x)`` among the ``T`` channels.
    unit, conjugates : bool
        Enlarge both factors by the unit matrix / by hermitian conjugates.
    paired_input : bool
        Promise that the input channels are ``[W_0..W_{k-1}, W_0^dagger..W_{k-1}^dagger]`` (as
        in the published code).  The layer then computes with ``W`` only and sums the weights
        of the duplicated products: the same function and parameters, about half the work.
        Requires ``conjugates=True``; the promise is not checked.
    init_scale : float
        Weights are drawn from ``N(0, init_scale^2 / (n_A n_T))``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, dim: int,
                 dilation: int = 1, offsets: str = "forward", local: bool = False,
                 unit: bool = True, conjugates: bool = True, paired_input: bool = False,
                 init_scale: float = 1.0):
        super().__init__(in_channels, kernel_size, dim, dilation, offsets, local)
        self.out_channels = int(out_channels)
        self.unit, self.conjugates = bool(unit), bool(conjugates)
        f = 2 if conjugates else 1
        self.n_a = f * self.in_channels + int(unit)
        self.n_t = f * self.n_base + int(unit)
        std = init_scale / math.sqrt(self.n_a * self.n_t)
        self.weight = nn.Parameter(torch.randn(self.out_channels, self.n_a, self.n_t) * std)
        self.paired_input = bool(paired_input)
        if self.paired_input:
            if not self.conjugates or self.in_channels % 2:
                raise ParameterError("paired_input", "conjugates=True and an even in_channels",
                                     (self.conjugates, self.in_channels))
            self._fold_setup()

    def _labels(self, n_in: int) -> tuple[list[tuple], list[tuple]]:
        base = [(c, 0, 0) for c in range(n_in)] if self.local else []
        base += [(c, a, s) for c in range(n_in) for a, s in self.offsets]
        a = [("W", c, False) for c in range(n_in)]
        t = [("T", c, ax, s, False) for c, ax, s in base]
        if self.conjugates:
            a += [("W", c, True) for c in range(n_in)]
            t += [("T", c, ax, s, True) for c, ax, s in base]
        if self.unit:
            a.append(("1",))
            t.append(("1",))
        return a, t

    def _fold_setup(self) -> None:
        """0/1 matrices mapping the channels of ``[W, W^dagger]`` inputs onto ``W`` alone."""
        k = self.in_channels // 2
        a_full, t_full = self._labels(self.in_channels)
        a_eff, t_eff = self._labels(k)

        def fold(lab):
            if lab[0] == "1" or lab[1] < k:
                return lab
            return (lab[0], lab[1] - k, *lab[2:-1], not lab[-1])

        fa = torch.zeros(len(a_full), len(a_eff))
        for i, lab in enumerate(a_full):
            fa[i, a_eff.index(fold(lab))] = 1
        ft = torch.zeros(len(t_full), len(t_eff))
        for i, lab in enumerate(t_full):
            ft[i, t_eff.index(fold(lab))] = 1
        self.register_buffer("fold_a", fa, persistent=False)
        self.register_buffer("fold_t", ft, persistent=False)

    def channel_labels(self) -> tuple[list[tuple], list[tuple]]:
        """Labels of the ``A`` and ``T`` channels, in weight order.

        Returns
        -------
        (list, list)
            ``A``: ``('W', c, dagger)`` or ``('1',)``; ``T``: ``('T', c, axis, s, dagger)``
            (``s = 0`` local) or ``('1',)``.
        """
        return self._labels(self.in_channels)

    def forward(self, links: Links, w: torch.Tensor) -> torch.Tensor:
        """``(B, C_in, *shape, N, N)`` -> ``(B, C_out, *shape, N, N)``."""
        wf, shape = _flat_w(w)
        out = F.from_sites(self.forward_sites(links, F.to_sites(wf)))
        N = w.shape[-1]
        return out.reshape(w.shape[0], self.out_channels, *shape, N, N)

    def forward_sites(self, links: Links, w: torch.Tensor) -> torch.Tensor:
        """Apply the layer in the site layout: ``(B, V, N, C_in, N)`` -> ``(B, V, N, C_out, N)``.

        See :mod:`latticeml.nn.fused`: gathers with cached indices, one batched real product
        for the weights, one batched complex product ``(N x n_A N) @ (n_A N x C_out N)`` per
        site.  With ``paired_input`` only the first half of the input channels is used and the
        weights of duplicated channel pairs are summed (exact, about twice as fast).
        """
        if self.paired_input:  # the second half of the inputs are the conjugates of the first
            return self.forward_sites_half(links, w[:, :, :, : self.in_channels // 2])
        cache = F.LinkCache.of(links)
        weight = self.weight
        return lconvbilin_sites(cache, w, weight, self.offsets, local=self.local, unit=self.unit,
                                conjugates=self.conjugates)

    def forward_sites_half(self, links: Links, w: torch.Tensor) -> torch.Tensor:
        """Apply a ``paired_input`` layer given only the first half ``W`` of ``[W, W^dagger]``.

        ``w`` is ``(B, V, N, C_in / 2, N)``; the weights of duplicated channels are summed.
        """
        weight = torch.einsum("oat,ab,tc->obc", self.weight, self.fold_a.to(self.weight.dtype),
                              self.fold_t.to(self.weight.dtype))
        return lconvbilin_sites(F.LinkCache.of(links), w, weight, self.offsets, local=self.local,
                                unit=self.unit, conjugates=True)
