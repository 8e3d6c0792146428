"""The updates a gauge chain is made of: heat bath, overrelaxation, Metropolis.

An *updater* changes the links of a :class:`~latticeml.gauge.chain.GaugeChain` in place and
keeps detailed balance (or, for overrelaxation, the action) on its own; a *sweep* is a sequence
of updaters, chosen by the ``algorithm`` of :class:`~latticeml.gauge.params.ChainParams` through
:data:`SWEEPS`. The driver of every chain is :func:`latticeml.montecarlo.run_chain`, so a new
algorithm (hybrid Monte Carlo next) is a new updater, its entry in :data:`SWEEPS` and its
parameters -- nothing in the driver, the files or the workflow.

The three updaters here call the Numba sweep kernels (:mod:`latticeml.gauge._kernels`), which
visit the links in checkerboard order; every call has its own index (``n_elementary``), which
selects its random streams.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from latticeml.gauge._kernels import UpdateKind

if TYPE_CHECKING:  # pragma: no cover
    from latticeml.gauge.params import ChainParams

__all__ = ["ChainLike", "Updater", "HeatBath", "Overrelaxation", "Metropolis", "HybridMonteCarlo",
           "SWEEPS",
           "sweep_of"]


class ChainLike(Protocol):
    """What an updater uses of :class:`latticeml.gauge.chain.GaugeChain`."""

    params: ChainParams
    beta: float
    links: np.ndarray
    n_accepted: int
    n_proposed: int

    def elementary(self, kind: UpdateKind, n: int, *, hits: int | None = None,
                   step: float | None = None) -> None:
        """Run ``n`` elementary sweeps of one kernel."""
        ...

    def set_links(self, links: np.ndarray) -> None:
        """Replace the configuration."""
        ...


class Updater(Protocol):
    """One update of all links of a chain."""

    def __call__(self, chain: ChainLike) -> None:
        """Update ``chain``'s links in place."""
        ...


@dataclass(frozen=True)
class HeatBath:
    """``n`` heat-bath sweeps (Kennedy-Pendleton/Creutz; Cabibbo-Marinari for SU(3))."""

    n: int = 1

    def __call__(self, chain: ChainLike) -> None:  # noqa: D102
        chain.elementary(UpdateKind.HEATBATH, self.n)


@dataclass(frozen=True)
class Overrelaxation:
    """``n`` microcanonical overrelaxation sweeps (the action is unchanged)."""

    n: int = 1

    def __call__(self, chain: ChainLike) -> None:  # noqa: D102
        chain.elementary(UpdateKind.OVERRELAX, self.n)


@dataclass(frozen=True)
class Metropolis:
    """``n`` multi-hit Metropolis sweeps: ``hits`` proposals ``U -> X U`` of amplitude ``step``."""

    hits: int = 10
    step: float = 0.5
    n: int = 1

    def __call__(self, chain: ChainLike) -> None:  # noqa: D102
        chain.elementary(UpdateKind.METROPOLIS, self.n, hits=self.hits, step=self.step)


@dataclass(frozen=True)
class HybridMonteCarlo:
    """One hybrid Monte Carlo trajectory of the Wilson action (:mod:`latticeml.hmc`).

    The chain's momenta and accept/reject draws come from a ``torch.Generator`` seeded with
    the chain's seed (same seed, same bytes on a CPU). The first ``chain.md_trajectories``
    trajectories (the generator sets half of the thermalisation, ``n_therm // 2``; 0 when
    unset) are molecular dynamics without the Metropolis test: from a cold or hot start the
    energy error of a large lattice is so large that every trajectory would be rejected and
    the chain would never move (those configurations are discarded, so exactness is not
    needed there). Every later trajectory is tested, counts as
    one proposal of the chain's acceptance and appends its energy violation to
    ``chain.delta_h``.
    """

    length: float = 1.0
    steps: int = 10
    integrator: str = "omelyan"

    def __call__(self, chain: ChainLike) -> None:  # noqa: D102
        import torch

        from latticeml.hmc import WilsonAction, hmc_trajectory

        if getattr(chain, "torch_generator", None) is None:
            chain.torch_generator = torch.Generator().manual_seed(int(chain.params.seed) %
                                                                  2**63)
            chain.delta_h = []
            if not hasattr(chain, "md_trajectories"):
                chain.md_trajectories = 0
        links = torch.from_numpy(chain.links)
        tested = chain.md_trajectories <= 0
        t = hmc_trajectory(WilsonAction(chain.beta), links, length=self.length,
                           steps=self.steps, integrator=self.integrator,
                           generator=chain.torch_generator, metropolis=tested)
        if t.accepted:
            chain.set_links(t.links.numpy())
        if not tested:
            chain.md_trajectories -= 1
            return
        chain.n_proposed += 1
        chain.n_accepted += int(t.accepted)
        chain.delta_h.append(t.delta_h)


def _with_overrelaxation(first: Updater, p: ChainParams) -> tuple[Updater, ...]:
    return (first, Overrelaxation(p.n_overrelax)) if p.n_overrelax else (first,)


#: ``algorithm`` -> the updaters of one sweep, built from the chain's parameters.
SWEEPS: dict[str, Callable[[ChainParams], tuple[Updater, ...]]] = {
    "heatbath": lambda p: _with_overrelaxation(HeatBath(), p),
    "metropolis": lambda p: _with_overrelaxation(
        Metropolis(p.metropolis_hits, p.metropolis_step), p),
    "hmc": lambda p: _with_overrelaxation(
        HybridMonteCarlo(p.hmc_length, p.hmc_steps, p.hmc_integrator), p),
}


def sweep_of(params: ChainParams) -> tuple[Updater, ...]:
    """Return the updaters of one sweep of the chain ``params`` describes."""
    return SWEEPS[params.algorithm](params)
