"""Molecular-dynamics integrators on SU(N): leapfrog and Omelyan's second-order minimum norm.

Equations of motion for ``H = -sum Tr(P^2) + S(U)``: ``dU/dt = P U`` and ``dP/dt = F(U)``
with ``F = (1/2) TA(U G^dagger)``, ``G`` the gradient PyTorch computes for the real ``S``
with respect to the complex links (``dS = Re sum Tr(G^dagger dU)``) and ``TA`` the projection
onto su(N) (:func:`~latticeml.hmc.algebra.traceless_antihermitian`): along ``dU = X U``,
``dS = Tr(X TA(U G^dagger))``, and ``dK/dt = -2 Tr(P dP/dt)`` cancels it (the metric
``-Tr`` of the momenta is what fixes the sign). Both schemes
are symmetric and symplectic, hence reversible and area preserving.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from latticeml.hmc.algebra import exp_algebra, traceless_antihermitian

__all__ = ["force", "autograd_force", "leapfrog", "omelyan", "forest_ruth", "INTEGRATORS",
           "OMELYAN_LAMBDA"]

#: Omelyan, Mryglod and Folk's 2MN parameter (minimum norm of the leading error).
OMELYAN_LAMBDA = 0.1931833275037836


def force(action: Callable[[torch.Tensor], torch.Tensor], links: torch.Tensor) -> torch.Tensor:
    """Return ``dP/dt = (1/2) TA(U G^dagger)`` at ``links`` (autograd of ``action``).

    An action with a ``force`` method of its own (the Wilson action: staples) is asked
    instead; :func:`autograd_force` is the autograd route for any action.
    """
    own = getattr(action, "force", None)
    if callable(own):
        return own(links.detach())
    return autograd_force(action, links)


def autograd_force(action: Callable[[torch.Tensor], torch.Tensor],
                   links: torch.Tensor) -> torch.Tensor:
    """Return ``dP/dt = (1/2) TA(U G^dagger)`` from the autograd gradient ``G`` of ``action``."""
    u = links.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(action(u), u)
    return 0.5 * traceless_antihermitian(u.detach() @ g.mH)


def _drift(u: torch.Tensor, p: torch.Tensor, dt: float) -> torch.Tensor:
    """``exp(dt P) U``: the parallel Numba kernel for complex128 on the CPU, else torch."""
    if u.device.type == "cpu" and u.dtype == torch.complex128 and not u.requires_grad:
        from latticeml.hmc._flow_kernels import apply_exp

        un = u.detach().contiguous().numpy()
        pn = p.detach().contiguous().numpy()
        n = un.shape[-1]
        flat, pf = un.reshape(-1, 1, n, n), pn.reshape(-1, 1, n, n)
        out = np.empty_like(flat)
        apply_exp(flat, pf, float(dt), pf, 0.0, out)
        return torch.from_numpy(out.reshape(un.shape))
    return exp_algebra(dt * p) @ u


def leapfrog(action, u: torch.Tensor, p: torch.Tensor, dt: float,
             steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Integrate ``steps`` leapfrog steps of size ``dt`` (P half step, U, P half step)."""
    p = p + 0.5 * dt * force(action, u)
    for i in range(steps):
        u = _drift(u, p, dt)
        p = p + (dt if i < steps - 1 else 0.5 * dt) * force(action, u)
    return u, p


def omelyan(action, u: torch.Tensor, p: torch.Tensor, dt: float,
            steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Integrate ``steps`` 2MN steps: P(l dt), U(dt/2), P((1 - 2l) dt), U(dt/2), P(l dt).

    Consecutive P updates of neighbouring steps are merged (one force per half step).
    """
    lam = OMELYAN_LAMBDA
    p = p + lam * dt * force(action, u)
    for i in range(steps):
        u = _drift(u, p, 0.5 * dt)
        p = p + (1 - 2 * lam) * dt * force(action, u)
        u = _drift(u, p, 0.5 * dt)
        p = p + (2 * lam if i < steps - 1 else lam) * dt * force(action, u)
    return u, p


_THETA = 1.0 / (2.0 - 2.0 ** (1.0 / 3.0))


def forest_ruth(action, u: torch.Tensor, p: torch.Tensor, dt: float,
                steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Integrate ``steps`` fourth-order Forest-Ruth steps (three forces per step).

    U(t dt/2), P(t dt), U((1 - t) dt/2), P((1 - 2t) dt), U((1 - t) dt/2), P(t dt), U(t dt/2)
    with ``t = 1 / (2 - 2^(1/3))``: the energy error falls as ``dt^4``.
    """
    t = _THETA
    for _ in range(steps):
        u = _drift(u, p, 0.5 * t * dt)
        p = p + t * dt * force(action, u)
        u = _drift(u, p, 0.5 * (1 - t) * dt)
        p = p + (1 - 2 * t) * dt * force(action, u)
        u = _drift(u, p, 0.5 * (1 - t) * dt)
        p = p + t * dt * force(action, u)
        u = _drift(u, p, 0.5 * t * dt)
    return u, p


#: Integrator names (``--integrator``) and functions: leapfrog and Omelyan 2MN are of second
#: order (the energy error of a trajectory falls as ``dt^2``, its mean as ``dt^4``; 2MN with a
#: much smaller coefficient), Forest-Ruth of fourth order.
INTEGRATORS = {"leapfrog": leapfrog, "omelyan": omelyan, "forest_ruth": forest_ruth}
