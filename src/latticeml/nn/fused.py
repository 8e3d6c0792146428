"""The fused L-CB kernel in the site layout: gathers, one real product, one complex product.

PyTorch's strided copies of complex tensors made of tiny matrices (``N = 2, 3``) are slow, so
every layout change here is a flat gather with a cached index
(:func:`~latticeml.nn.functional.permute_copy`), and the two contractions are single matrix
products with large operands.

Steps for input ``W`` ``(B, V, N, C, N)`` (site layout, ``V`` sites flattened):

1. transport all channels and offsets: one gather and two batched products with ``N x C N`` and
   ``N C x N`` operands, ``y`` ``(B, P, V, N, C, N)``;
2. ``T = [local, transported, their ^dagger, 1]`` channel-major ``(n_T, B V N N)`` (one ``cat``);
3. mixing with the real weights: one real matrix product ``(O n_A, n_T) @ (n_T, 2 B V N N)``;
4. ``M`` to per-site blocks ``(B V, n_A N, O N)`` (one gather), ``A = [W, W^dagger, 1]`` to
   ``(B V, N, n_A N)``;
5. ``out = A @ M``: one batched complex product per site.

Measured alternatives that were slower: ``torch.einsum`` for step 5 (internal permutes), slice
assignment into a preallocated ``T`` (each slice's backward clones the whole gradient), and
gathering planar real/imaginary data with the conjugation folded into the weights (gathers of
4-byte words and ``index_add`` in the backward).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from latticeml.nn import functional as F

__all__ = ["lconvbilin_sites"]


def lconvbilin_sites(cache: F.LinkCache, w: torch.Tensor, weight: torch.Tensor,
                     offsets: Sequence[tuple[int, int]], *, local: bool, unit: bool,
                     conjugates: bool) -> torch.Tensor:
    """Fused L-CB layer in the site layout.

    Parameters
    ----------
    cache : LinkCache
        Links of the forward pass.
    w : torch.Tensor
        ``(B, V, N, C, N)`` complex.
    weight : torch.Tensor
        ``(O, n_A, n_T)`` real, channel order as in :mod:`latticeml.nn.gauge_layers`.
    offsets : sequence of (int, int)
        Transport offsets.
    local, unit, conjugates : bool
        Layer options.

    Returns
    -------
    torch.Tensor
        ``(B, V, N, O, N)`` complex.
    """
    B, V, N, C, _ = w.shape
    P = len(offsets)
    O, n_a, n_t = weight.shape
    eye = torch.eye(N, dtype=w.dtype, device=w.device).expand(1, B, V, N, N)
    w_cm = F.permute_copy(w, (3, 0, 1, 2, 4))  # (C, B, V, N, N)
    wd_cm = F.permute_copy(w, (3, 0, 1, 4, 2)).conj() if conjugates else None
    pieces, dags = [], []
    if local:
        pieces.append(w_cm)
        if conjugates:
            dags.append(wd_cm)
    if P:
        y = F.transport_sites(cache, w, offsets)  # (B, P, V, N, C, N)
        pieces.append(F.permute_copy(y, (4, 1, 0, 2, 3, 5)).reshape(C * P, B, V, N, N))
        if conjugates:
            yd = F.permute_copy(y, (4, 1, 0, 2, 5, 3)).reshape(C * P, B, V, N, N)
            dags.append(yd.conj())
    pieces += dags
    if unit:
        pieces.append(eye)
    t = torch.cat(pieces) if len(pieces) > 1 else pieces[0].resolve_conj()
    m = weight.reshape(O * n_a, n_t) @ torch.view_as_real(t).reshape(n_t, -1)
    m = torch.view_as_complex(m.reshape(O, n_a, B, V, N, N, 2))
    m = F.permute_copy(m, (2, 3, 1, 4, 0, 5)).reshape(B * V, n_a * N, O * N)
    a_pieces = [w_cm] + ([wd_cm] if conjugates else []) + ([eye] if unit else [])
    a = torch.cat(a_pieces) if len(a_pieces) > 1 else w_cm
    a = F.permute_copy(a, (1, 2, 3, 0, 4)).reshape(B * V, N, n_a * N)
    return torch.bmm(a, m).reshape(B, V, N, O, N)
