"""Monte Carlo generation of SU(2)/SU(3) Wilson-action gauge ensembles.

Action ``S = beta sum_x sum_{mu<nu} (1 - Re Tr U_{x,mu nu} / N)`` on a periodic lattice of even
extents in D = 2, 3, 4 dimensions (ARCHITECTURE.md section 3).

Algorithms
----------
``heatbath``
    One sweep is one heat-bath sweep (Kennedy-Pendleton/Creutz for SU(2), Cabibbo-Marinari over
    the subgroups (0,1), (0,2), (1,2) for SU(3)) followed by ``n_overrelax`` microcanonical
    overrelaxation sweeps (default 4).
``hmc``
    One sweep is one hybrid Monte Carlo trajectory (``hmc_length``, ``hmc_steps``,
    ``hmc_integrator``; :mod:`latticeml.hmc`, in PyTorch) of the action ``hmc_action`` (Wilson,
    a rectangle-improved action or a trained action model, ``hmc_action_model``) followed by
    ``n_overrelax`` overrelaxation sweeps (Wilson only).
``metropolis``
    One sweep is one multi-hit Metropolis sweep (``metropolis_hits`` proposals per link, default
    10, step ``metropolis_step``, default 0.5) followed by ``n_overrelax`` overrelaxation sweeps.
    The proposal is ``U -> X U``; for SU(2) ``X = exp(i eps r.s)`` with ``r`` uniform in
    ``[-1, 1]**3`` and ``s`` the Pauli matrices, so ``eps`` is the largest rotation angle per
    axis; for SU(3) ``X = R_01 S_02 T_12``, three such SU(2) matrices embedded in the
    subgroups, replaced by ``X^dagger`` with probability 1/2 (symmetric proposal). The L-CNN
    protocol is ``algorithm="metropolis", n_overrelax=0`` (10 hits, step 0.5).

Every elementary sweep visits the links in checkerboard order, direction ``mu`` = 0..D-1, parity
even then odd, each substep parallel over sites. Every updated link is reunitarised right after
its update (unit quaternion for SU(2); Gram-Schmidt for SU(3)). Random numbers are counter
based (:mod:`latticeml.gauge._kernels.rng`): the same seed gives bit-identical links for any
number of threads (with one backend on one CPU type; docs/workflow/reproducibility.md).

Backends (``backend``, ``--backend``): the hand-written SIMD kernels or portable plain-Numba
kernels, the same update algorithms and random streams (:mod:`latticeml.gauge._kernels`);
``auto`` takes SIMD where its self-test passes.

Modules: :mod:`latticeml.gauge.params` (parameters), :mod:`latticeml.gauge.chain` (the Markov
chain), this module (the driver: thermalise, save, analyse), :mod:`latticeml.gauge.measure`
(plaquette, unitarity on complex link arrays).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latticeml._numba import threads as numba_threads
from latticeml.data.atomic import remove_stale_temporaries
from latticeml.gauge.chain import GaugeChain
from latticeml.gauge.checkpoint import (
    CheckpointParams,
    GenerationStoppedError,
    read_checkpoint,
    write_checkpoint,
)
from latticeml.gauge.params import GaugeParams
from latticeml.montecarlo import RunCounts, RunProgress, run_chain
from latticeml.observables.autocorr import GammaResult, gamma_analysis
from latticeml.progress import progress_bar

__all__ = ["GaugeEnsemble", "generate_ensemble"]


@dataclass(frozen=True)
class GaugeEnsemble:
    """A generated ensemble.

    Attributes
    ----------
    params : GaugeParams
        The parameters it was generated with.
    links : ndarray, complex128, shape (n_configs, *shape, D, N, N)
        Saved configurations, C-contiguous.
    plaquette : ndarray, float64, shape (n_configs,)
        Mean over sites and planes of ``Re Tr U_p / N`` of each saved configuration.
    plaquette_history : ndarray, float64, shape (n_therm + n_configs * n_skip,)
        Plaquette after every sweep, thermalisation included.
    acceptance : float
        Metropolis acceptance rate over all proposals, NaN for the heat bath.
    elapsed : float
        Wall-clock seconds of the generation.
    plaquette_stats : GammaResult or None
        Gamma-method analysis of ``plaquette`` (None if fewer than 2 configurations).
    tau_int : float
        Integrated autocorrelation time of the saved plaquette series in units of saved
        configurations (NaN if fewer than 2 configurations).
    tau_int_sweeps : float
        Integrated autocorrelation time of the plaquette history after thermalisation, in
        sweeps (NaN if fewer than 2 sweeps).
    threads : int
        Numba threads used.
    backend : str
        Kernel backend used, ``"simd"`` or ``"scalar"`` (``params.backend`` resolved).
    delta_h : ndarray or None
        ``hmc``: the energy violation of every trajectory (None for the other algorithms).
    resumed_at : int
        The sweep at which this run resumed from a checkpoint (0: it did not).
    """

    params: GaugeParams
    links: np.ndarray
    plaquette: np.ndarray
    plaquette_history: np.ndarray
    acceptance: float
    elapsed: float
    plaquette_stats: GammaResult | None = None
    tau_int: float = float("nan")
    tau_int_sweeps: float = float("nan")
    threads: int = 1
    backend: str = ""
    delta_h: np.ndarray | None = None
    resumed_at: int = 0


def generate_ensemble(params: GaugeParams, *, progress: bool = False,
                      checkpoint: CheckpointParams | None = None) -> GaugeEnsemble:
    """Generate an ensemble: thermalise, then save every ``n_skip``-th configuration.

    Parameters
    ----------
    params : GaugeParams
        Validated parameters.
    progress : bool
        Show a progress bar of sweeps on stderr.
    checkpoint : CheckpointParams, optional
        Keep the run's state in a checkpoint file and resume from it when it exists
        (:mod:`latticeml.gauge.checkpoint`); the result is the same, bit for bit. The caller
        removes the file once the ensemble is saved.

    Returns
    -------
    GaugeEnsemble
        Configurations, plaquettes, plaquette history, acceptance, timing, autocorrelation.

    Raises
    ------
    GenerationStoppedError
        When ``checkpoint.stop_after`` updates have run (the state is in the checkpoint).
    FileFormatError
        If the checkpoint exists but is damaged or of other parameters.
    """
    params.validate()
    t0 = time.perf_counter()
    chain = GaugeChain.from_params(params)
    if params.algorithm == "hmc":  # a model action is read and checked before any update
        from latticeml.gauge.updaters import hmc_action_of

        chain.hmc_action = hmc_action_of(params, chain.beta)
    # hmc: the first half of the thermalisation without the Metropolis test (HybridMonteCarlo)
    chain.md_trajectories = params.n_therm // 2 if params.algorithm == "hmc" else 0
    N, D = params.n_colors, len(params.shape)
    links = np.empty((params.n_configs, *params.shape, D, N, N), dtype=np.complex128)
    desc = f"{params.group} {'x'.join(map(str, params.shape))} beta={params.beta:g}"
    counts = RunCounts(params.n_therm, params.n_configs, params.n_skip)
    resume, after_block = _checkpointing(params, chain, links, checkpoint)
    with (
        numba_threads(chain.threads) as n_threads,
        progress_bar(params.n_sweeps, desc, enabled=progress, unit="sweep") as bar,
    ):
        run = run_chain(chain, counts, lambda c: chain.write_links(links[c]), bar=bar,
                        resume=resume, after_block=after_block)
    if not run.complete:
        done = sum(len(block) for block in run.values["plaquette"])
        raise GenerationStoppedError(str(checkpoint.path), done, params.n_sweeps)
    history = np.concatenate(run.values["plaquette"])
    # the plaquette of each saved configuration: the last sweep before it was saved
    plaq = history[params.n_therm + params.n_skip * np.arange(1, params.n_configs + 1) - 1]
    stats = gamma_analysis(plaq) if params.n_configs >= 2 else None
    after = history[params.n_therm :]
    tau_sweeps = gamma_analysis(after).tau_int if after.size >= 2 else float("nan")
    return GaugeEnsemble(
        params=params,
        links=links,
        plaquette=plaq,
        plaquette_history=history,
        acceptance=chain.acceptance,
        elapsed=time.perf_counter() - t0,
        plaquette_stats=stats,
        tau_int=stats.tau_int if stats is not None else float("nan"),
        tau_int_sweeps=float(tau_sweeps),
        threads=int(n_threads),
        backend=chain.backend,
        delta_h=np.asarray(chain.delta_h) if chain.delta_h else None,
        resumed_at=0 if resume is None else resume.done,
    )


def _checkpointing(params: GaugeParams, chain: GaugeChain, links: np.ndarray,
                   checkpoint: CheckpointParams | None):
    """Restore the chain from an existing checkpoint; return ``(resume, after_block)``."""
    if checkpoint is None or checkpoint.path is None:
        return None, None
    path = Path(checkpoint.path)
    remove_stale_temporaries(path)  # of a run killed while it wrote the checkpoint
    resume = None
    if path.exists():
        state, resume, saved = read_checkpoint(path, params, chain.backend)
        chain.load_state_dict(state)
        links[: resume.n_saved] = saved
    last = time.monotonic()
    start = 0 if resume is None else resume.done

    def after_block(run: RunProgress) -> bool:
        nonlocal last
        stop = bool(checkpoint.stop_after) and run.done - start >= checkpoint.stop_after
        if stop or time.monotonic() - last >= checkpoint.every:
            write_checkpoint(path, params, chain.backend, chain.state_dict(), run,
                             links[: run.n_saved])
            last = time.monotonic()
        return stop

    return resume, after_block
