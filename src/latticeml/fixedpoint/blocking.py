"""The renormalisation-group blocking of the fixed-point action: fat links, blocked links, T.

A scale-2 blocking maps a fine configuration ``U`` on ``(2 L)^D`` to blocked links ``Q`` on the
coarse lattice ``L^D``:

* the **fat link** ``W_mu(x) = (1 - 2 (D - 1) c) U_mu(x) + c sum_{nu != mu} [S^+_{mu nu}(x) +
  S^-_{mu nu}(x)]`` with the staples ``S^+ = U_nu(x) U_mu(x + nu) U_nu(x + mu)^dagger`` and
  ``S^- = U_nu(x - nu)^dagger U_mu(x - nu) U_nu(x - nu + mu)`` (paths from ``x`` to ``x + mu``,
  so ``W`` is gauge covariant; the weights sum to one, so that ``W = U`` on pure-gauge fields);
* the **blocked link** ``Q_mu(x_B) = W_mu(2 x_B) W_mu(2 x_B + mu)``, which transforms as a
  coarse link with ``g_B(x_B) = g(2 x_B)``;
* the **kernel** of Hasenfratz and Niedermayer (Nucl. Phys. B 414 (1994) 785) in the classical
  limit ``beta -> infinity``, ``T[U, V] = (kappa / N) sum_{x_B, mu} [ max_{W in SU(N)}
  Re Tr(W Q^dagger) - Re Tr(V Q^dagger) ]``:
  the normalisation term of the kernel becomes the largest value of ``Re Tr(W Q^dagger)``
  over the group, so that ``T >= 0``, with ``T = 0`` exactly when every coarse link is the
  SU(N) matrix closest to its blocked link.

The fat-link weight ``c`` and the strength ``kappa`` are parameters of the blocking (they set
how local the fixed-point action is); the published SU(3) studies tuned both, and the values
used in a study are stated with its results. Actions here are in the units of the
fixed-point literature: ``S = beta A``, the Wilson action ``A_W = sum_p (1 - Re Tr U_p / N)``.

All functions take complex links ``(*shape, D, N, N)`` (torch, no batch axis) and are
differentiable; the maximum over the group is found without gradients and enters through its
value (its derivative is zero at the maximum).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from latticeml.checks import check_float
from latticeml.errors import ParameterError
from latticeml.hmc.algebra import traceless_antihermitian

__all__ = ["Blocking", "fat_links", "blocked_links", "group_max", "kernel"]

#: Largest number of Cabibbo-Marinari sweeps of :func:`group_max` (SU(3)); it stops earlier,
#: once every ``|TA(W Q^dagger)|`` is below :data:`GROUP_MAX_TOL` times ``|Q|``.
GROUP_MAX_SWEEPS = 2000
#: Relative stationarity at which :func:`group_max` stops.
GROUP_MAX_TOL = 1e-14


@dataclass(frozen=True)
class Blocking:
    """A scale-2 blocking: fat-link staple weight ``c`` and kernel strength ``kappa``.

    Attributes
    ----------
    c : float
        Weight of each staple in the fat link (``0``: the blocked link is the product of the
        two fine links; ``1 / (2 (D - 1))``: staples only).
    kappa : float
        Strength of the kernel ``T``, > 0.
    """

    c: float = 0.05
    kappa: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "c", check_float(self.c, "c"))
        kappa = check_float(self.kappa, "kappa")
        if kappa <= 0:
            raise ParameterError("kappa", "a number > 0", self.kappa)
        object.__setattr__(self, "kappa", kappa)

    def block(self, fine: torch.Tensor) -> torch.Tensor:
        """Return the blocked links ``Q`` of ``fine`` (:func:`blocked_links`)."""
        return blocked_links(fine, self.c)

    def kernel(self, fine: torch.Tensor, coarse: torch.Tensor) -> torch.Tensor:
        """Return ``T[U, V]`` (:func:`kernel`)."""
        return kernel(fine, coarse, self)


def _check_links(links: torch.Tensor, name: str) -> tuple[int, int]:
    if links.dim() < 5 or links.shape[-1] != links.shape[-2] or \
            links.shape[-3] != links.dim() - 3:
        raise ParameterError(name, "links of shape (*shape, D, N, N) with D = len(shape)",
                             tuple(links.shape))
    return links.shape[-3], links.shape[-1]


def fat_links(links: torch.Tensor, c: float) -> torch.Tensor:
    """Return the fat links ``W`` (module docstring), shape of ``links``."""
    d, _ = _check_links(links, "links")
    out = []
    for mu in range(d):
        u_mu = links[..., mu, :, :]
        acc = (1.0 - 2 * (d - 1) * c) * u_mu
        for nu in range(d):
            if nu == mu:
                continue
            u_nu = links[..., nu, :, :]
            up = u_nu @ torch.roll(u_mu, -1, dims=nu) @ torch.roll(u_nu, -1, dims=mu).mH
            u_nu_down = torch.roll(u_nu, 1, dims=nu)  # U_nu(x - nu)
            down = (u_nu_down.mH @ torch.roll(u_mu, 1, dims=nu)
                    @ torch.roll(u_nu_down, -1, dims=mu))
            acc = acc + c * (up + down)
        out.append(acc)
    return torch.stack(out, dim=-3)


def blocked_links(links: torch.Tensor, c: float) -> torch.Tensor:
    """Return ``Q_mu(x_B) = W_mu(2 x_B) W_mu(2 x_B + mu)`` on the coarse lattice.

    Raises
    ------
    ParameterError
        If an extent of the fine lattice is odd or smaller than 4.
    """
    d, _ = _check_links(links, "fine links")
    shape = tuple(links.shape[:d])
    if any(s % 2 or s < 4 for s in shape):
        raise ParameterError("fine lattice", "even extents >= 4 (the coarse lattice is half "
                             "of it)", shape)
    w = fat_links(links, c)
    even = (slice(None, None, 2),) * d
    out = []
    for mu in range(d):
        w_mu = w[..., mu, :, :]
        out.append(w_mu[even] @ torch.roll(w_mu, -1, dims=mu)[even])
    return torch.stack(out, dim=-3)


def _polar_su(q: torch.Tensor) -> torch.Tensor:
    """Return the unitary factor of ``q``, its determinant phase divided out (a start)."""
    w, _, vh = torch.linalg.svd(q)
    p = w @ vh
    n = q.shape[-1]
    phase = torch.angle(torch.linalg.det(p))
    return p * torch.exp(-1j * phase / n)[..., None, None]


def _subgroup_step(w: torch.Tensor, q: torch.Tensor, i: int, j: int) -> torch.Tensor:
    """Left-multiply ``w`` by the SU(2) matrix in rows/columns (i, j) maximising Re Tr(W Q^+)."""
    s = w @ q.mH
    a = s[..., i, i] + s[..., j, j].conj()
    b = s[..., j, i] - s[..., i, j].conj()
    norm = torch.sqrt(a.abs() ** 2 + b.abs() ** 2).clamp_min(1e-300)
    alpha, beta = a.conj() / norm, b.conj() / norm
    r = torch.zeros_like(w)
    idx = torch.arange(w.shape[-1])
    r[..., idx, idx] = 1.0
    r[..., i, i], r[..., i, j] = alpha, beta
    r[..., j, i], r[..., j, j] = -beta.conj(), alpha.conj()
    return r @ w


def group_max(q: torch.Tensor, sweeps: int | None = None, *,
              start: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(W*, max)``: the SU(N) matrix maximising ``Re Tr(W Q^dagger)`` and the maximum.

    Start from the unitary polar factor of ``Q`` with its determinant phase removed, then
    Cabibbo-Marinari sweeps over the SU(2) subgroups, each step the exact maximum within its
    subgroup, so the value never decreases. SU(2) needs none: a real combination of SU(2)
    matrices is a non-negative multiple of one, and the polar factor is that one. ``W*`` carries
    no gradient; ``max`` does (``Re Tr(W* Q^dagger)``: the derivative of the maximum).
    ``start`` (the maximiser of nearby ``Q``, e.g. in a minimisation) replaces the polar start
    when it is closer, so that a few sweeps suffice.
    """
    n = q.shape[-1]
    with torch.no_grad():
        w = _polar_su(q.detach())
        if start is not None and start.shape == w.shape and n > 2:
            better = (torch.einsum("...ij,...ij->...", start, q.detach().conj()).real
                      > torch.einsum("...ij,...ij->...", w, q.detach().conj()).real)
            w = torch.where(better[..., None, None], start, w)
        if n > 2:
            qd = q.detach()
            scale = qd.abs().amax(dim=(-2, -1)).clamp_min(1e-300)
            for sweep in range(GROUP_MAX_SWEEPS if sweeps is None else sweeps):
                for i in range(n):
                    for j in range(i + 1, n):
                        w = _subgroup_step(w, qd, i, j)
                if sweep % 30 == 29:
                    w = _polar_su(w)  # remove the rounding drift of many products
                if sweep % 3 == 2:
                    gap = (traceless_antihermitian(w @ qd.mH).abs().amax(dim=(-2, -1)) / scale)
                    if float(gap.max()) < GROUP_MAX_TOL:
                        break
    value = torch.einsum("...ij,...ij->...", w, q.conj()).real
    return w, value


def kernel(fine: torch.Tensor, coarse: torch.Tensor, blocking: Blocking, *,
           warm: dict | None = None) -> torch.Tensor:
    """Return ``T[U, V]`` (module docstring), a real 0-d tensor, >= 0.

    ``warm``: a dict in which the group maxima are kept between calls with nearby fine
    configurations (a minimisation) and from which the next call starts.

    Raises
    ------
    ParameterError
        If the coarse lattice is not half the fine one, or the groups differ.
    """
    d, n = _check_links(coarse, "coarse links")
    q = blocked_links(fine, blocking.c)
    if q.shape != coarse.shape:
        raise ParameterError("coarse links", f"shape {tuple(q.shape)} (half the fine lattice)",
                             tuple(coarse.shape))
    w, best = group_max(q, start=None if warm is None else warm.get("w"))
    if warm is not None:
        warm["w"] = w
    overlap = torch.einsum("...ij,...ij->...", coarse, q.conj()).real
    return (blocking.kappa / n) * (best - overlap).sum()
