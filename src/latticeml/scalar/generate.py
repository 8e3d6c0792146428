"""Generation of dual (k, l) ensembles of the complex scalar field at chemical potential.

A *sweep* is one Metropolis sweep of ``l`` over all 2V links followed by a fixed number
``n_worms`` of worms (start attempts, each run until the worm closes); see
:mod:`latticeml.scalar._kernels` for the algorithm and its detailed-balance derivation.
The chain starts from ``k = l = 0``, runs ``n_therm`` sweeps and then saves one
configuration every ``n_skip`` sweeps; ``n`` and ``|phi|^2`` are also recorded after every
sweep (``n_history``, ``phi2_history``) for autocorrelation analyses in units of sweeps.

Default number of worms per sweep (``n_worms=None``, "auto"): the mean number of worm steps
per start attempt varies by two orders of magnitude with mu (worms are ~0.3 V head steps
long at mu = 0.91 and ~2 V at mu = 1.5, and only 25-100 % of the attempts start), so a fixed
count is either wasteful or slow somewhere. The chain therefore runs the first half of the
thermalisation (at least :data:`AUTO_MIN_SWEEPS` sweeps) with ``max(4, V // 16)`` worms,
measures the mean steps per attempt and then *fixes*
``n_worms = clip(round(AUTO_STEPS_PER_SITE * V / steps_per_attempt), 1, 4 V)`` for the rest of
the run, i.e. about 3 worm steps per site per sweep next to the 2V l-updates. Scans of the
cost per independent configuration (CPU time x 2 tau_int) over 1-60 worm steps per site and
sweep had their minimum at ~2-15 on 100x5 and 200x10 for mu = 1.05 and 1.5, and were flat
near the onset. Tuning only during thermalisation leaves the production kernel fixed, so the
distribution is exact (a stopping rule that depends on the trajectory during production
would bias it). Near the onset (mu ~ 0.94) tau_int is larger whatever the worm count:
changes of the winding number need worms that wrap around N_t. The lifted (non-reversible)
head of :mod:`latticeml.scalar._kernels` halves tau_int there at equal cost; re-scanned with
it on 200x10 at mu = 0.95, 2 and 7 worm steps per site and sweep cost about the same per
independent configuration, so the target of 3 was kept. Set ``n_skip`` from the measured
tau_int (``latticeml scalar inspect``, ``benchmarks/bench_scalar.py``).

Flux-violation ensembles (``open_worms = M > 0``): the chain is the same; each saved
configuration is labelled violated (1) or conserved (0), exactly ``n_configs // 2`` violated
in a seeded random order. A violated configuration is a copy of the chain state into which M
open worms have been inserted (:func:`latticeml.scalar._kernels.open_worms`); the chain
itself continues from the closed state, so no configuration is stored twice.

Modules: :mod:`latticeml.scalar.params` (parameters), :mod:`latticeml.scalar.chain` (the
Markov chain), this module (the generation: :func:`latticeml.montecarlo.run_chain` thermalises,
tunes and saves; then the analysis).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from latticeml.montecarlo import RunCounts, run_chain
from latticeml.observables.autocorr import GammaResult, gamma_analysis
from latticeml.observables.flux import balanced_labels, n_defects
from latticeml.observables.scalar import scalar_observables
from latticeml.progress import progress_bar
from latticeml.scalar.chain import ScalarChain
from latticeml.scalar.params import ScalarParams

__all__ = ["AUTO_MIN_SWEEPS", "ScalarEnsemble", "generate_scalar_ensemble"]

#: Smallest number of sweeps used to measure the worm length for the automatic ``n_worms``.
AUTO_MIN_SWEEPS = 50


@dataclass(frozen=True)
class ScalarEnsemble:
    """A generated dual scalar ensemble.

    Attributes
    ----------
    params : ScalarParams
        Parameters it was generated with.
    k, l : ndarray of int16, shape (n_configs, N_t, N_x, 2)
        Saved configurations.
    n, phi2, phi4 : ndarray of float64, shape (n_configs,)
        Per-configuration ``n``, ``|phi|^2``, ``|phi|^4`` (formal values for violated ones).
    label : ndarray of int8, shape (n_configs,)
        1 = flux violated (open worms), 0 = conserved.
    open_worms : ndarray of int32, shape (n_configs,)
        Open worms in each configuration (0 or ``params.open_worms``).
    n_defects : ndarray of int32, shape (n_configs,)
        Sites with non-zero divergence (``2 * open_worms``).
    n_history, phi2_history : ndarray of float64, shape (n_sweeps,)
        ``n`` and ``|phi|^2`` of the chain after every sweep, thermalisation included (with
        the automatic ``n_worms`` the thermalisation lasts at least ``AUTO_MIN_SWEEPS``
        sweeps; production is always the last ``n_configs * n_skip`` entries).
    stats : dict of str to GammaResult
        Gamma-method analyses of ``n``, ``phi2``, ``phi4`` over conserved configurations.
    tau_int_sweeps : dict of str to float
        tau_int of ``n`` and ``phi2`` from the post-thermalisation history, in sweeps.
    worm_info : dict
        Start acceptance, mean worm length, head-move and l-move acceptance, the number of
        worms per sweep used in production (``n_worms``) and whether it was automatic.
    elapsed : float
        Wall-clock seconds.
    """

    params: ScalarParams
    k: np.ndarray
    l: np.ndarray
    n: np.ndarray
    phi2: np.ndarray
    phi4: np.ndarray
    label: np.ndarray
    open_worms: np.ndarray
    n_defects: np.ndarray
    n_history: np.ndarray
    phi2_history: np.ndarray
    stats: dict[str, GammaResult] = field(default_factory=dict)
    tau_int_sweeps: dict[str, float] = field(default_factory=dict)
    worm_info: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0


def _analyse(series: np.ndarray) -> GammaResult | None:
    return gamma_analysis(series) if series.size >= 2 else None


def generate_scalar_ensemble(params: ScalarParams, *, progress: bool = False) -> ScalarEnsemble:
    """Generate an ensemble (closed, or a balanced flux-violation ensemble).

    Parameters
    ----------
    params : ScalarParams
        Validated parameters.
    progress : bool
        Show a progress bar (in sweeps) on stderr.

    Returns
    -------
    ScalarEnsemble

    Raises
    ------
    TableRangeError
        If a site flux exceeds ``params.f_max``.
    """
    t0 = time.perf_counter()
    p = params
    chain = ScalarChain(p)
    shape = (p.n_configs, *p.shape, 2)
    k = np.empty(shape, dtype=np.int16)
    l = np.empty(shape, dtype=np.int16)
    if p.open_worms > 0:
        label = balanced_labels(p.n_configs, p.seed)
    else:
        label = np.zeros(p.n_configs, dtype=np.int8)

    def save(i: int) -> None:
        if label[i]:
            k[i], l[i] = chain.with_open_worms(p.open_worms)
        else:
            k[i], l[i] = chain.configuration()

    # automatic n_worms: measure the worm length in the first half of thermalisation
    tune = max(AUTO_MIN_SWEEPS, p.n_therm // 2) if p.n_worms is None else 0
    with progress_bar(p.n_sweeps, "scalar", enabled=progress, unit="sweep") as bar:
        run = run_chain(chain, RunCounts(p.n_therm, p.n_configs, p.n_skip), save,
                        tune_updates=tune, therm_block=max(1, p.n_therm // 50), bar=bar)
    hist_n, hist_p = run.values.get("n", []), run.values.get("phi2", [])
    obs = scalar_observables(k, l, chain.table.logw)
    n_hist = np.concatenate(hist_n) if hist_n else np.empty(0)
    p_hist = np.concatenate(hist_p) if hist_p else np.empty(0)
    closed = label == 0
    stats = {}
    for name in ("n", "phi2", "phi4"):
        r = _analyse(obs[name][closed])
        if r is not None:
            stats[name] = r
    tau = {}
    n_therm_eff = n_hist.size - p.n_configs * p.n_skip  # >= AUTO_MIN_SWEEPS with auto n_worms
    for name, series in (("n", n_hist[n_therm_eff:]), ("phi2", p_hist[n_therm_eff:])):
        r = _analyse(series)
        tau[name] = r.tau_int if r is not None else float("nan")
    c = chain.counters
    n_attempts = max(1, chain.n_attempts)
    info = {
        "start_acceptance": float(c[0] / n_attempts),
        "mean_worm_length": float(c[1] / max(1, c[0])),
        "head_acceptance": float(c[2] / max(1, c[1])),
        "l_acceptance": float(c[3] / max(1, 2 * p.volume * chain.n_sweeps_done)),
        "max_site_flux": int(chain.f.max()),
        "n_worms": int(chain.n_worms),
        "n_worms_auto": p.n_worms is None,
    }
    return ScalarEnsemble(
        params=p,
        k=k,
        l=l,
        n=obs["n"],
        phi2=obs["phi2"],
        phi4=obs["phi4"],
        label=label,
        open_worms=(label.astype(np.int32) * p.open_worms),
        n_defects=n_defects(k).astype(np.int32),
        n_history=n_hist,
        phi2_history=p_hist,
        stats=stats,
        tau_int_sweeps=tau,
        worm_info=info,
        elapsed=time.perf_counter() - t0,
    )
