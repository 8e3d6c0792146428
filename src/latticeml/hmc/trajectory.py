"""One hybrid Monte Carlo trajectory: momenta, molecular dynamics, Metropolis accept/reject."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from latticeml.hmc.algebra import kinetic_energy, random_momenta, reunitarize
from latticeml.hmc.integrators import INTEGRATORS

__all__ = ["Trajectory", "hmc_trajectory"]


@dataclass(frozen=True)
class Trajectory:
    """The outcome of one trajectory.

    Attributes
    ----------
    links : torch.Tensor
        The new configuration (the old one if rejected).
    accepted : bool
    delta_h : float
        ``H(end) - H(start)``; ``inf`` when the integration blew up (a non-finite energy:
        the step is far too large), which is always rejected.
    """

    links: torch.Tensor
    accepted: bool
    delta_h: float


def hmc_trajectory(action, links: torch.Tensor, *, length: float, steps: int,
                   integrator: str, generator: torch.Generator,
                   metropolis: bool = True) -> Trajectory:
    """Run one HMC trajectory of ``length`` in ``steps`` steps and accept or reject it.

    Parameters
    ----------
    action : callable
        ``links -> S`` (a real 0-d tensor), e.g. :class:`~latticeml.hmc.actions.WilsonAction`.
    links : torch.Tensor
        ``(*shape, D, N, N)`` complex; not modified.
    length, steps : float, int
        Trajectory length and number of integration steps.
    integrator : {'leapfrog', 'omelyan'}
    generator : torch.Generator
        Source of the momenta and of the accept/reject draw.
    metropolis : bool
        Accept or reject with ``exp(-dH)``. ``False`` accepts every trajectory (molecular-
        dynamics thermalisation: far from equilibrium the energy error can be so large that
        every trajectory is rejected; the draw is made all the same, so the random stream
        does not depend on this choice).
    """
    n = links.shape[-1]
    p = random_momenta(links.shape[:-2], n, generator, links.dtype, links.device)
    with torch.no_grad():
        h0 = float(kinetic_energy(p) + action(links))
    u, p = INTEGRATORS[integrator](action, links, p, length / steps, steps)
    with torch.no_grad():
        h1 = float(kinetic_energy(p) + action(u))
    dh = h1 - h0
    if not math.isfinite(dh):  # an unstable integration: an acceptance problem, not a NaN
        dh = math.inf
    r = float(torch.rand((), generator=generator, dtype=torch.float64))
    accept = dh <= 0 or r < math.exp(-dh) or (not metropolis and dh < math.inf)
    # an accepted configuration is projected back onto SU(N): the exponentials' rounding drift
    # would otherwise grow with the number of trajectories
    new = reunitarize(u.detach()) if accept else links
    return Trajectory(links=new, accepted=accept, delta_h=dh)
