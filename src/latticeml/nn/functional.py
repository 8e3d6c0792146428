"""Functional building blocks of the gauge-equivariant layers: shifts, Wilson lines, transport.

Conventions (ARCHITECTURE.md §3, §5)
------------------------------------
* Links ``(B, *shape, D, N, N)`` complex; ``U_mu(x)`` joins ``x`` to ``x + mu``.
* Locally transforming channels ``W``: ``(B, C, *shape, N, N)`` complex.  Inside this module the
  lattice axes are flattened to one site axis ``V`` (a free ``reshape``): ``(B, C, V, N, N)``.
* A gauge transformation acts as ``U_mu(x) -> Omega(x) U_mu(x) Omega(x+mu)^dagger`` and
  ``W(x) -> Omega(x) W(x) Omega(x)^dagger``.
* An *offset* is a pair ``(axis, s)`` with integer ``s != 0``.  The Wilson line
  ``G_(axis,s)(x)`` runs from ``x`` to ``x + s*axis``: ``U(x) U(x+1) ... U(x+s-1)`` for ``s > 0``
  and ``U(x-1)^dagger ... U(x+s)^dagger`` for ``s < 0``.  The parallel transport of ``W`` from
  ``x + s*axis`` to ``x`` is ``G(x) W(x + s*axis) G(x)^dagger``, which transforms locally at ``x``.

Complex arithmetic is native (``torch.matmul`` / ``torch.einsum`` on complex tensors); all
transports of all channels and offsets of a layer are done by one gather and two batched
matrix products.  Periodic neighbour tables are cached per lattice shape and device.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from latticeml.nn.layout import from_sites, permute_copy, to_sites, trace_sites

__all__ = [
    "dagger",
    "neighbour_index",
    "shift",
    "plaquettes",
    "wilson_line",
    "polyakov_loops",
    "LinkCache",
    "transport",
    "transport_sites",
    "to_sites",
    "trace_sites",
    "permute_copy",
    "from_sites",
    "bilinear_mix",
    "traceless_antihermitian",
    "flatten_sites",
]

_INDEX_CACHE: dict[tuple, torch.Tensor] = {}


def dagger(x: torch.Tensor) -> torch.Tensor:
    """Hermitian conjugate of the last two axes (a lazy view)."""
    return x.mH


def flatten_sites(x: torch.Tensor, n_lead: int, shape: Sequence[int]) -> torch.Tensor:
    """Reshape ``(*lead, *shape, *rest)`` to ``(*lead, V, *rest)`` (a view when possible)."""
    lead = x.shape[:n_lead]
    rest = x.shape[n_lead + len(shape) :]
    return x.reshape(*lead, -1, *rest)


def neighbour_index(
    shape: Sequence[int], offsets: Sequence[tuple[int, int]], device: torch.device | str
) -> torch.Tensor:
    """Flat site indices of ``x + s*axis`` for every offset, periodic.

    Parameters
    ----------
    shape : sequence of int
        Lattice extents ``(L_0, ..., L_{D-1})``.
    offsets : sequence of (int, int)
        ``(axis, s)`` pairs.
    device : torch.device or str
        Device of the returned tensor.

    Returns
    -------
    torch.Tensor
        ``(P, V)`` int64; row ``p`` holds the index of ``x + s_p * axis_p`` for every site ``x``
        (C order, axis 0 slowest).
    """
    key = (tuple(int(n) for n in shape), tuple(offsets), str(device))
    idx = _INDEX_CACHE.get(key)
    if idx is None:
        sites = torch.arange(int(torch.tensor(shape).prod()), device=device).reshape(*shape)
        rows = [sites.roll(-s, dims=axis).reshape(-1) for axis, s in offsets]
        idx = torch.stack(rows) if rows else sites.reshape(1, -1)[:0]
        if len(_INDEX_CACHE) > 256:
            _INDEX_CACHE.clear()
        _INDEX_CACHE[key] = idx
    return idx


def shift(x: torch.Tensor, axis: int, s: int, first_axis: int = 1) -> torch.Tensor:
    """Periodic shift ``y(x) = x(x + s*axis)`` of a tensor with lattice axes from ``first_axis``."""
    return torch.roll(x, shifts=-s, dims=first_axis + axis)


def plaquettes(
    links: torch.Tensor, planes: Sequence[tuple[int, int]] | None = None
) -> torch.Tensor:
    """Plaquettes ``U_mu(x) U_nu(x+mu) U_mu(x+nu)^dagger U_nu(x)^dagger``.

    Parameters
    ----------
    links : torch.Tensor
        ``(B, *shape, D, N, N)`` complex.
    planes : sequence of (int, int), optional
        Planes ``(mu, nu)``; default all ``mu < nu`` in lexicographic order.

    Returns
    -------
    torch.Tensor
        ``(B, P, *shape, N, N)`` with one channel per plane.
    """
    B, shape, D, N = links.shape[0], links.shape[1:-3], links.shape[-3], links.shape[-1]
    if planes is None:
        planes = [(m, n) for m in range(D) for n in range(m + 1, D)]
    u = links.reshape(B, -1, D, N, N).transpose(1, 2)  # (B, D, V, N, N)
    mus = torch.tensor([p[0] for p in planes], device=links.device)
    nus = torch.tensor([p[1] for p in planes], device=links.device)
    idx_mu = neighbour_index(shape, [(m, 1) for m, _ in planes], links.device)  # x + mu
    idx_nu = neighbour_index(shape, [(n, 1) for _, n in planes], links.device)  # x + nu
    u_mu = u[:, mus]  # (B, P, V, N, N)
    u_nu = u[:, nus]
    u_nu_xmu = u[:, nus[:, None], idx_mu]
    u_mu_xnu = u[:, mus[:, None], idx_nu]
    p = (u_mu @ u_nu_xmu) @ (u_nu @ u_mu_xnu).mH
    return p.reshape(B, len(planes), *shape, N, N)


def _line_flat(u_axis: torch.Tensor, shape: Sequence[int], axis: int, s: int) -> torch.Tensor:
    """Forward Wilson line of length ``s >= 1`` by repeated doubling; ``u_axis`` is (B, V, N, N)."""
    result = None
    power = u_axis  # line of length 2**k
    length = 1
    remaining = s
    done = 0
    while remaining:
        if remaining & 1:
            if result is None:
                result = power
            else:
                idx = neighbour_index(shape, [(axis, done)], u_axis.device)[0]
                result = result @ power[:, idx]
            done += length
        remaining >>= 1
        if remaining:
            idx = neighbour_index(shape, [(axis, length)], u_axis.device)[0]
            power = power @ power[:, idx]
            length *= 2
    return result


def wilson_line(links: torch.Tensor, axis: int, s: int) -> torch.Tensor:
    """Straight Wilson line ``G_(axis,s)(x)`` from ``x`` to ``x + s*axis``.

    Parameters
    ----------
    links : torch.Tensor
        ``(B, *shape, D, N, N)`` complex.
    axis : int
        Lattice axis.
    s : int
        Signed length; ``0`` gives the unit matrix.

    Returns
    -------
    torch.Tensor
        ``(B, *shape, N, N)``.
    """
    B, shape, N = links.shape[0], links.shape[1:-3], links.shape[-1]
    u = links[..., axis, :, :].reshape(B, -1, N, N)
    if s == 0:
        eye = torch.eye(N, dtype=links.dtype, device=links.device)
        return eye.expand(B, *shape, N, N).clone()
    g = _line_flat(u, shape, axis, abs(s))
    if s < 0:
        g = g[:, neighbour_index(shape, [(axis, s)], links.device)[0]].mH.resolve_conj()
    return g.reshape(B, *shape, N, N)


def polyakov_loops(links: torch.Tensor, axis: int = 0) -> torch.Tensor:
    """Untraced Polyakov loops ``prod_k U_axis(x + k*axis)`` around the lattice, at every site.

    Parameters
    ----------
    links : torch.Tensor
        ``(B, *shape, D, N, N)`` complex.
    axis : int
        The axis the loops wind around (0 = time).

    Returns
    -------
    torch.Tensor
        ``(B, *shape, N, N)``; transforms locally at ``x``.
    """
    return wilson_line(links, axis, links.shape[1 + axis])


class LinkCache:
    """Links of one forward pass with a cache of Wilson lines shared by all layers.

    Parameters
    ----------
    links : torch.Tensor
        ``(B, *shape, D, N, N)`` complex.

    Attributes
    ----------
    links : torch.Tensor
        The links as given.
    shape : tuple of int
        Lattice extents, read from ``links``.
    """

    def __init__(self, links: torch.Tensor) -> None:
        self.links = links
        self.batch = links.shape[0]
        self.shape = tuple(links.shape[1:-3])
        self.dim = links.shape[-3]
        self.n_colors = links.shape[-1]
        self.n_sites = int(torch.tensor(self.shape).prod()) if self.shape else 1
        self._flat = links.reshape(self.batch, -1, self.dim, self.n_colors, self.n_colors)
        self._lines: dict[tuple[int, int], torch.Tensor] = {}
        self._stacks: dict[tuple, torch.Tensor] = {}

    @staticmethod
    def of(links: torch.Tensor | LinkCache) -> LinkCache:
        """Wrap a links tensor (a cache is returned unchanged)."""
        return links if isinstance(links, LinkCache) else LinkCache(links)

    def line(self, axis: int, s: int) -> torch.Tensor:
        """Wilson line ``G_(axis,s)`` as ``(B, V, N, N)`` (cached, built cumulatively)."""
        key = (axis, s)
        g = self._lines.get(key)
        if g is not None:
            return g
        dev = self.links.device
        if s == 1:
            g = self._flat[:, :, axis]
        elif s > 1:
            idx = neighbour_index(self.shape, [(axis, s - 1)], dev)[0]
            g = self.line(axis, s - 1) @ self._flat[:, idx, axis]
        else:
            idx = neighbour_index(self.shape, [(axis, s)], dev)[0]
            g = self.line(axis, -s)[:, idx].mH
        self._lines[key] = g
        return g

    def lines(self, offsets: Sequence[tuple[int, int]]) -> torch.Tensor:
        """Stacked Wilson lines ``(B, P, V, N, N)`` for a list of offsets (cached)."""
        key = tuple(offsets)
        g = self._stacks.get(key)
        if g is None:
            g = torch.stack([self.line(a, s) for a, s in offsets], dim=1)
            self._stacks[key] = g
        return g


def transport(
    cache: LinkCache, w: torch.Tensor, offsets: Sequence[tuple[int, int]]
) -> torch.Tensor:
    """Parallel-transport every channel of ``w`` from ``x + s*axis`` to ``x`` for every offset.

    Parameters
    ----------
    cache : LinkCache
        Links of the forward pass.
    w : torch.Tensor
        ``(B, C, V, N, N)`` complex, sites flattened.
    offsets : sequence of (int, int)
        ``(axis, s)`` pairs, ``s != 0``.

    Returns
    -------
    torch.Tensor
        ``(B, C, P, V, N, N)``: ``G_p(x) W_c(x + s_p axis_p) G_p(x)^dagger``.
    """
    idx = neighbour_index(cache.shape, offsets, w.device)  # (P, V)
    g = cache.lines(offsets).unsqueeze(1)  # (B, 1, P, V, N, N)
    wn = w[:, :, idx]  # (B, C, P, V, N, N)
    return (g @ wn) @ g.mH


def transport_sites(cache: LinkCache, w: torch.Tensor,
                    offsets: Sequence[tuple[int, int]]) -> torch.Tensor:
    """:func:`transport` in the site layout: ``(B, V, N, C, N)`` -> ``(B, P, V, N, C, N)``.

    One gather and two batched products ``G (N x N) @ (N x C N)`` and ``(N C x N) @ G^dagger``
    transport all channels and offsets at once without copies.
    """
    B, V, N, C, _ = w.shape
    P = len(offsets)
    idx = neighbour_index(cache.shape, offsets, w.device).reshape(-1)
    wn = w.index_select(1, idx).reshape(B, P * V, N, C * N)
    g = cache.lines(offsets).reshape(B, P * V, N, N)
    x = torch.matmul(g, wn).reshape(B, P * V, N * C, N)
    return torch.matmul(x, g.mH).reshape(B, P, V, N, C, N)



def bilinear_mix(a: torch.Tensor, t: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``out_o(x) = sum_{a,b} weight[o,a,b] A_a(x) T_b(x)`` with real weights.

    The cheaper order is used: ``T`` is mixed with the weights first (one real matrix product
    over the ``b`` channels), then one batched complex product contracts ``a`` and the matrix
    index.

    Parameters
    ----------
    a : torch.Tensor
        ``(B, C_A, V, N, N)`` complex.
    t : torch.Tensor
        ``(B, C_T, V, N, N)`` complex, contiguous.
    weight : torch.Tensor
        ``(C_out, C_A, C_T)`` real.

    Returns
    -------
    torch.Tensor
        ``(B, C_out, V, N, N)`` complex.
    """
    B, C_T, V, N, _ = t.shape
    C_out, C_A, _ = weight.shape
    tr = torch.view_as_real(t).reshape(B, C_T, V * N * N * 2)
    m = weight.reshape(C_out * C_A, C_T) @ tr  # (B, C_out*C_A, V*N*N*2)
    m = torch.view_as_complex(m.reshape(B, C_out, C_A, V, N, N, 2))
    return torch.einsum("bavij,boavjk->bovik", a, m)


def traceless_antihermitian(m: torch.Tensor) -> torch.Tensor:
    """``(M - M^dagger)/2`` minus its trace part: an element of the Lie algebra su(N)."""
    ah = 0.5 * (m - m.mH)
    n = m.shape[-1]
    tr = torch.diagonal(ah, dim1=-2, dim2=-1).sum(-1) / n
    eye = torch.eye(n, dtype=m.dtype, device=m.device)
    return ah - tr[..., None, None] * eye
