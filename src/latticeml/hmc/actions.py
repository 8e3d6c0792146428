"""Gauge actions as ``torch.nn.Module``: links ``(*shape, D, N, N)`` in, a real scalar out.

Any module with this signature drives :mod:`latticeml.hmc` (forces by autograd): the Wilson
action here, improved actions and trained L-CNN actions alike.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

__all__ = ["WilsonAction", "RectangleAction", "ModelAction", "plaquette_traces",
           "rectangle_traces", "staple_sum", "RECTANGLE_C1", "make_action"]

#: ``c_1`` of the rectangle-improved actions (``c_0 = 1 - 8 c_1``): tree-level Symanzik
#: (Lüscher-Weisz), Iwasaki and DBW2.
RECTANGLE_C1 = {"symanzik": -1.0 / 12.0, "iwasaki": -0.331, "dbw2": -1.4088}


def plaquette_traces(links: torch.Tensor) -> torch.Tensor:
    """Return ``Re Tr U_p / N`` for every site and plane ``mu < nu``, shape ``(P, *shape)``.

    ``U_p(x) = U_mu(x) U_nu(x + mu) U_mu(x + nu)^dagger U_nu(x)^dagger`` on a periodic lattice;
    ``links`` has shape ``(*shape, D, N, N)`` (no batch axis).
    """
    d = links.shape[-3]
    n = links.shape[-1]
    out = []
    for mu in range(d):
        for nu in range(mu + 1, d):
            u_mu, u_nu = links[..., mu, :, :], links[..., nu, :, :]
            u_nu_xmu = torch.roll(u_nu, -1, dims=mu)
            u_mu_xnu = torch.roll(u_mu, -1, dims=nu)
            p = u_mu @ u_nu_xmu @ u_mu_xnu.mH @ u_nu.mH
            out.append(torch.diagonal(p, dim1=-2, dim2=-1).sum(-1).real / n)
    return torch.stack(out)


def staple_sum(links: torch.Tensor) -> torch.Tensor:
    """Return ``Omega_mu(x) = U_mu(x) A_mu(x)``: the plaquettes through every link, summed.

    ``A_mu(x) = sum_{nu != mu} [U_nu(x+mu) U_mu(x+nu)^dagger U_nu(x)^dagger
    + U_nu(x+mu-nu)^dagger U_mu(x-nu)^dagger U_nu(x-nu)]``; shape ``(*shape, D, N, N)``.
    """
    d = links.shape[-3]
    out = torch.zeros_like(links)
    for mu in range(d):
        u_mu = links[..., mu, :, :]
        a = torch.zeros_like(u_mu)
        for nu in range(d):
            if nu == mu:
                continue
            u_nu = links[..., nu, :, :]
            u_nu_xmu = torch.roll(u_nu, -1, dims=mu)
            a = a + u_nu_xmu @ torch.roll(u_mu, -1, dims=nu).mH @ u_nu.mH
            down = torch.roll(u_nu_xmu, 1, dims=nu)  # U_nu(x + mu - nu)
            a = a + down.mH @ torch.roll(u_mu, 1, dims=nu).mH @ torch.roll(u_nu, 1, dims=nu)
        out[..., mu, :, :] = u_mu @ a
    return out


class WilsonAction(torch.nn.Module):
    """``S = beta sum_x sum_{mu<nu} (1 - Re Tr U_p(x) / N)``.

    Its molecular-dynamics force has a closed form, :meth:`force` (the staples), which
    :func:`latticeml.hmc.integrators.force` uses instead of autograd.
    """

    def __init__(self, beta: float) -> None:
        super().__init__()
        self.beta = float(beta)

    def forward(self, links: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.beta * (1.0 - plaquette_traces(links)).sum()

    def force(self, links: torch.Tensor) -> torch.Tensor:
        """Return ``dP/dt = -(beta / 2N) TA(Omega)`` (:func:`staple_sum`), no autograd.

        Complex128 links on the CPU go through the parallel Numba kernel of the flow
        (:func:`latticeml.hmc._flow_kernels.flow_generator`: ``Z = -(1/2) TA(Omega)``, so the
        force is ``(beta / N) Z``); other devices and precisions through torch (the twin).
        """
        from latticeml.hmc.algebra import traceless_antihermitian

        n = links.shape[-1]
        if (links.device.type == "cpu" and links.dtype == torch.complex128
                and links.dim() == 3 + links.shape[-3]):  # one lattice, no batch axis
            from latticeml.hmc import _flow_kernels as K

            u = links.detach().contiguous().numpy()
            flat = u.reshape(-1, *u.shape[-3:])
            fwd, bwd = _neighbour_tables(tuple(u.shape[:-3]))
            z = np.empty_like(flat)
            K.flow_generator(flat, fwd, bwd, z)
            return torch.from_numpy(z.reshape(u.shape)) * (self.beta / n)
        return -(self.beta / (2 * n)) * traceless_antihermitian(staple_sum(links))


@functools.lru_cache(maxsize=8)
def _neighbour_tables(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    from latticeml.hmc._flow_kernels import neighbours

    return neighbours(shape)


def rectangle_traces(links: torch.Tensor) -> torch.Tensor:
    """Return ``Re Tr R / N`` of the 2x1 and 1x2 rectangles of every site and plane.

    Shape ``(2 P, *shape)``: for each plane ``mu < nu`` the loop two steps along mu and one
    along nu, then the one one step along mu and two along nu.
    """
    d = links.shape[-3]
    n = links.shape[-1]
    out = []
    for mu in range(d):
        for nu in range(mu + 1, d):
            u_mu, u_nu = links[..., mu, :, :], links[..., nu, :, :]
            for a, b in ((2, 1), (1, 2)):
                # path: a steps along mu, b along nu, back a along mu, back b along nu
                m = u_mu
                for k in range(1, a):
                    m = m @ torch.roll(u_mu, -k, dims=mu)
                shift = [0] * d
                shift[mu] = a
                for k in range(b):
                    m = m @ _shifted(u_nu, (*shift[:nu], shift[nu] + k, *shift[nu + 1:]), d)
                back = [0] * d
                back[nu] = b
                for k in reversed(range(a)):
                    m = m @ _shifted(u_mu, (*back[:mu], k, *back[mu + 1:]), d).mH
                for k in reversed(range(b)):
                    m = m @ torch.roll(u_nu, -k, dims=nu).mH
                out.append(torch.diagonal(m, dim1=-2, dim2=-1).sum(-1).real / n)
    return torch.stack(out)


def _shifted(u: torch.Tensor, offset: tuple[int, ...], d: int) -> torch.Tensor:
    """Return ``u(x + offset)`` on the periodic lattice (offset along the first ``d`` axes)."""
    keep = [(-o, k) for k, o in enumerate(offset[:d]) if o]
    if not keep:
        return u
    return torch.roll(u, [s for s, _ in keep], dims=[k for _, k in keep])


class RectangleAction(torch.nn.Module):
    """``S = beta sum [c_0 sum_plaq (1 - Re Tr U_p / N) + c_1 sum_rect (1 - Re Tr R / N)]``.

    ``c_0 = 1 - 8 c_1``; ``c_1`` from :data:`RECTANGLE_C1` (``symanzik``, ``iwasaki``,
    ``dbw2``) or given. ``c_1 = 0`` is the Wilson action.
    """

    def __init__(self, beta: float, c1: float | str) -> None:
        super().__init__()
        self.beta = float(beta)
        self.c1 = float(RECTANGLE_C1[c1] if isinstance(c1, str) else c1)
        self.c0 = 1.0 - 8.0 * self.c1

    def forward(self, links: torch.Tensor) -> torch.Tensor:  # noqa: D102
        plaq = (1.0 - plaquette_traces(links)).sum()
        rect = (1.0 - rectangle_traces(links)).sum()
        return self.beta * (self.c0 * plaq + self.c1 * rect)


class ModelAction(torch.nn.Module):
    """A trained gauge-invariant model as an action: ``S = scale * sum_x model(U)(x)``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps links ``(B, *shape, D, N, N)`` to per-site values ``(B, *shape)`` (an L-CNN
        regressor, :func:`latticeml.nn.load_model`); its weights are frozen.
    scale : float
        Multiplies the sum (e.g. ``beta``).

    Notes
    -----
    The first evaluation on a lattice of a new shape checks gauge invariance: ``S`` on
    Haar-random links of that lattice and on a random gauge transform of them must agree to
    ``1e-8`` relative (the
    dynamics of a model that is not invariant would not be a gauge theory's). A model that
    fails is refused with :class:`~latticeml.errors.ParameterError`.
    """

    #: Largest relative change of ``S`` under a random gauge transformation.
    INVARIANCE_TOL = 1e-8

    def __init__(self, model: torch.nn.Module, scale: float = 1.0) -> None:
        super().__init__()
        self.model = model.eval()
        for param in self.model.parameters():
            param.requires_grad_(False)
        self.scale = float(scale)
        self._checked: set[tuple[int, ...]] = set()

    def forward(self, links: torch.Tensor) -> torch.Tensor:  # noqa: D102
        if tuple(links.shape) not in self._checked:
            self._check_invariance(links.detach())
            self._checked.add(tuple(links.shape))
        return self.scale * self.model(links.unsqueeze(0)).sum()

    def _check_invariance(self, links: torch.Tensor) -> None:
        """Compare ``S`` on Haar-random links of this lattice and on a gauge transform of them.

        Random links, not the chain's: a cold start (or any pure-gauge field) has ``S = 0`` for
        an action that vanishes there, where a relative change means nothing.
        """
        from latticeml.errors import ParameterError
        from latticeml.gauge.transform_torch import haar_su_n
        from latticeml.hmc.algebra import exp_algebra, random_momenta

        d, n = links.shape[-3], links.shape[-1]
        gen = torch.Generator(device=links.device).manual_seed(12345)
        probe = haar_su_n(links.shape[:-2], n, generator=gen, dtype=links.dtype,
                          device=links.device)
        omega = exp_algebra(3.0 * random_momenta(links.shape[:-3], n, gen, links.dtype,
                                                  links.device))
        moved = torch.empty_like(probe)
        for mu in range(d):
            moved[..., mu, :, :] = omega @ probe[..., mu, :, :] @ torch.roll(
                omega, -1, dims=mu).mH
        with torch.no_grad():
            a = float(self.model(probe.unsqueeze(0)).sum())
            b = float(self.model(moved.unsqueeze(0)).sum())
        change = abs(a - b) / max(abs(a), abs(b), 1e-300)
        if not change <= self.INVARIANCE_TOL:
            raise ParameterError("action", "a gauge-invariant model (an L-CNN regressor)",
                                 f"S changes by {change:.1e} (relative) under a random gauge "
                                 "transformation", "an action must be gauge invariant; use an "
                                 "L-CNN with a gauge-invariant output (trace) layer")


def make_action(name: str, beta: float) -> torch.nn.Module:
    """Return the action called ``name``: ``wilson``, ``symanzik``, ``iwasaki`` or ``dbw2``."""
    if name == "wilson":
        return WilsonAction(beta)
    if name in RECTANGLE_C1:
        return RectangleAction(beta, name)
    raise ValueError(f"unknown action {name!r}: wilson, " + ", ".join(RECTANGLE_C1))
