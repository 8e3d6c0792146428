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

from latticeml.errors import ParameterError
from latticeml.gauge._kernels import UpdateKind

if TYPE_CHECKING:  # pragma: no cover
    from latticeml.gauge.params import ChainParams

__all__ = ["ChainLike", "Updater", "HeatBath", "Overrelaxation", "Metropolis", "HybridMonteCarlo",
           "SWEEPS",
           "sweep_of", "hmc_action_of"]


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
    """One hybrid Monte Carlo trajectory of the chain's action (:mod:`latticeml.hmc`).

    The action is ``chain.params.hmc_action`` at ``chain.beta``
    (:func:`latticeml.gauge.updaters.hmc_action_of`), built on the first trajectory and kept
    on the chain (``chain.hmc_action``).

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

        from latticeml.hmc import hmc_trajectory

        if getattr(chain, "hmc_action", None) is None:
            chain.hmc_action = hmc_action_of(chain.params, chain.beta)
        if getattr(chain, "torch_generator", None) is None:
            chain.torch_generator = torch.Generator().manual_seed(int(chain.params.seed) %
                                                                  2**63)
            chain.delta_h = []
            if not hasattr(chain, "md_trajectories"):
                chain.md_trajectories = 0
        links = torch.from_numpy(chain.links)
        tested = chain.md_trajectories <= 0
        t = hmc_trajectory(chain.hmc_action, links, length=self.length,
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


def hmc_action_of(params: ChainParams, beta: float):
    """Return the ``torch.nn.Module`` action that ``hmc`` samples for ``params`` at ``beta``.

    ``wilson`` and the rectangle actions come from :func:`latticeml.hmc.make_action`; ``model``
    is ``beta`` times the action of the action model file ``params.hmc_action_model``
    (:class:`latticeml.hmc.ModelAction`, in float64; its gauge invariance is checked on the
    first lattice it sees).

    Raises
    ------
    ParameterError
        A model file that holds no action model (kind ``action``), or one for another gauge
        group or number of dimensions.
    """
    from latticeml.hmc import ModelAction, make_action

    if params.hmc_action != "model":
        return make_action(params.hmc_action, beta)
    model = _action_model(params)
    return ModelAction(model.double(), scale=beta)


def _action_model(params: ChainParams):
    """Load ``params.hmc_action_model`` and check that it acts on this chain's links."""
    from latticeml.nn import load_model

    path = params.hmc_action_model
    model = load_model(path)
    if getattr(model, "task", "") != "action":
        raise ParameterError("--hmc-action-model", "an action model (model.pt of kind action, "
                             "trained on fixed_point_action)",
                             f"{path}, a {getattr(model, 'task', 'regression')} model",
                             "a regressor's prediction is not an action")
    net = model.net
    if (net.dim, net.n_colors) != (len(params.shape), params.n_colors):
        raise ParameterError("--hmc-action-model", f"a model of {len(params.shape)}D SU("
                             f"{params.n_colors}) links", f"{path}: {net.dim}D SU({net.n_colors})",
                             "use a model trained on this gauge group and dimension")
    return model


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
