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
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from latticeml.errors import ParameterError, TableRangeError
from latticeml.lattice import neighbour_table, validate_shape
from latticeml.observables.autocorr import GammaResult, gamma_analysis
from latticeml.observables.scalar import scalar_observables
from latticeml.progress import progress_bar
from latticeml.scalar import _kernels as K
from latticeml.scalar.flux import balanced_labels, n_defects
from latticeml.scalar.weights import DEFAULT_F_MAX, MAX_F_MAX, WeightTable, weight_table

__all__ = [
    "P_CLOSE",
    "LOG_K",
    "OPEN_WORM_MIN_STEPS",
    "AUTO_STEPS_PER_SITE",
    "AUTO_MIN_SWEEPS",
    "default_n_worms",
    "ScalarParams",
    "ScalarChain",
    "ScalarEnsemble",
    "generate_scalar_ensemble",
]

#: Probability of proposing to close a worm whose head sits on its tail.
P_CLOSE = 0.5
#: ``log K``: relative weight of the open (G) sector; start acceptance ``min(1, K W(f+2)/W(f))``.
LOG_K = 0.0
#: Minimum number of head proposals of an inserted open worm (flux-violation data).
OPEN_WORM_MIN_STEPS = 100
#: Target worm steps per site and sweep of the automatic ``n_worms``.
AUTO_STEPS_PER_SITE = 3.0
#: Smallest number of sweeps used to measure the worm length for the automatic ``n_worms``.
AUTO_MIN_SWEEPS = 50
_MAX_SEED = 2**64 - 1


def default_n_worms(shape: tuple[int, int]) -> int:
    """Return the initial worms per sweep of the automatic choice, ``max(4, V // 16)``."""
    return max(4, int(shape[0]) * int(shape[1]) // 16)


def _int(value: object, name: str, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ParameterError(name, f"an integer >= {lo}", value)
    if int(value) < lo:
        raise ParameterError(name, f"an integer >= {lo}", value)
    return int(value)


def _float(value: object, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ParameterError(name, "a finite number", value) from None
    if not math.isfinite(x):
        raise ParameterError(name, "a finite number", value)
    return x


@dataclass(frozen=True)
class ScalarParams:
    """Parameters of one dual scalar ensemble (validated on construction).

    Attributes
    ----------
    shape : (int, int)
        ``(N_t, N_x)``, extents >= 2 (``--shape``). Odd extents are allowed: the worm and
        the l-sweep need no checkerboard, and the PRD lattices include (100, 5), (125, 8).
    mu : float
        Chemical potential (``--mu``).
    eta : float
        ``eta = 2D + m^2 > 0`` (``--eta``); with ``lam = 0`` it must exceed ``2 + 2 cosh mu``.
    lam : float
        Quartic coupling ``>= 0`` (``--lam``).
    n_configs : int
        Saved configurations, >= 1 (>= 2 with open worms) (``--n-configs``).
    n_therm : int
        Thermalisation sweeps, >= 0 (``--n-therm``).
    n_skip : int
        Sweeps between saved configurations, >= 1 (``--n-skip``).
    seed : int
        Random seed in ``[0, 2**64)`` (``--seed``).
    n_worms : int or None
        Worms per sweep, >= 1 (``--n-worms``); None (default) chooses it automatically
        during thermalisation (module docstring) and keeps it fixed afterwards.
    open_worms : int
        Open worms per violated configuration, 0 (plain ensemble) to ``V // 4``
        (``--open-worms``).
    f_max : int
        Largest tabulated ``f`` of ``W(f)`` (``--f-max``).
    """

    shape: tuple[int, int]
    mu: float
    eta: float
    lam: float
    n_configs: int
    n_therm: int
    n_skip: int
    seed: int
    n_worms: int | None = None
    open_worms: int = 0
    f_max: int = DEFAULT_F_MAX

    def __post_init__(self) -> None:
        shape = validate_shape(self.shape, dims=(2, 2), even=False, min_extent=2, name="--shape")
        mu = _float(self.mu, "--mu")
        eta = _float(self.eta, "--eta")
        lam = _float(self.lam, "--lam")
        if eta <= 0.0:
            raise ParameterError("--eta", "eta > 0", self.eta, "eta = 2D + m^2, e.g. 4.01")
        if lam < 0.0:
            raise ParameterError("--lam", "lambda >= 0", self.lam, "the action must be bounded")
        if lam == 0.0 and eta <= 2.0 + 2.0 * math.cosh(mu):
            raise ParameterError(
                "--eta",
                f"eta > 2 + 2 cosh(mu) = {2.0 + 2.0 * math.cosh(mu):.6g} when --lam 0",
                self.eta,
                "the Gaussian integral diverges; raise --eta, lower |--mu| or use --lam > 0",
            )
        n_configs = _int(self.n_configs, "--n-configs", 1)
        n_therm = _int(self.n_therm, "--n-therm", 0)
        n_skip = _int(self.n_skip, "--n-skip", 1)
        seed = _int(self.seed, "--seed", 0)
        if seed > _MAX_SEED:
            raise ParameterError("--seed", "an integer in [0, 2**64)", self.seed)
        n_worms = None if self.n_worms is None else _int(self.n_worms, "--n-worms", 1)
        V = shape[0] * shape[1]
        open_worms = _int(self.open_worms, "--open-worms", 0)
        if open_worms > V // 4:
            raise ParameterError(
                "--open-worms", f"at most V/4 = {V // 4} open worms on this lattice", open_worms
            )
        if open_worms > 0 and n_configs < 2:
            raise ParameterError(
                "--n-configs", "at least 2 with --open-worms (balanced classes)", n_configs
            )
        f_max = _int(self.f_max, "--f-max", 8)
        if f_max > MAX_F_MAX:
            raise ParameterError("--f-max", f"at most {MAX_F_MAX}", f_max)
        for name, value in (
            ("shape", shape), ("mu", mu), ("eta", eta), ("lam", lam),
            ("n_configs", n_configs), ("n_therm", n_therm), ("n_skip", n_skip),
            ("seed", seed), ("n_worms", n_worms), ("open_worms", open_worms), ("f_max", f_max),
        ):
            object.__setattr__(self, name, value)

    @property
    def volume(self) -> int:
        """Number of sites ``V = N_t N_x``."""
        return self.shape[0] * self.shape[1]

    @property
    def n_sweeps(self) -> int:
        """Total number of sweeps ``n_therm + n_configs * n_skip``."""
        return self.n_therm + self.n_configs * self.n_skip


class ScalarChain:
    """Markov chain of dual configurations in the internal layout ``(V, 2)``.

    Parameters
    ----------
    params : ScalarParams
        Couplings, lattice, seed and worms per sweep (counts are not used here).
    """

    def __init__(self, params: ScalarParams) -> None:
        self.params = params
        self.table: WeightTable = weight_table(params.eta, params.lam, params.f_max)
        self.logn = np.log(np.maximum(np.arange(params.f_max + 2, dtype=np.float64), 1.0))
        logw = self.table.logw
        #: ``W(f+2)/W(f)`` and ``W(f-2)/W(f)`` from differences of ``log W`` (0 off-table)
        self.wup = np.zeros_like(logw)
        self.wup[:-2] = np.exp(logw[2:] - logw[:-2])
        self.wdn = np.zeros_like(logw)
        self.wdn[2:] = np.exp(logw[:-2] - logw[2:])
        self.emu = np.array([math.exp(-params.mu), math.exp(params.mu)])
        self.up, self.dn = neighbour_table(params.shape)
        V = params.volume
        self.k = np.zeros((V, 2), dtype=np.int64)
        self.l = np.zeros((V, 2), dtype=np.int64)
        self.f = np.zeros(V, dtype=np.int64)
        self.rng = K.seed_state(params.seed)
        #: [accepted starts, worm steps, accepted head moves, accepted l moves]
        self.counters = np.zeros(4, dtype=np.int64)
        self.n_sweeps_done = 0
        self.n_attempts = 0
        #: Worms per sweep in use (``params.n_worms`` or the automatic choice).
        self.n_worms = default_n_worms(params.shape) if params.n_worms is None else params.n_worms

    def _status(self, st: int) -> None:
        if st != 0:
            raise TableRangeError(
                f"a site flux f exceeded the W(f) table (f_max = {self.params.f_max}); "
                "rerun with a larger --f-max"
            )

    def sweep(self, n_sweeps: int) -> tuple[np.ndarray, np.ndarray]:
        """Run ``n_sweeps`` sweeps; return ``n`` and ``|phi|^2`` after each sweep."""
        out_n = np.empty(n_sweeps)
        out_p = np.empty(n_sweeps)
        st = K.run_measured(
            self.k, self.l, self.f, self.up, self.dn, self.wup, self.wdn, self.emu,
            n_sweeps, self.n_worms, math.exp(LOG_K), P_CLOSE, self.table.f_cap, self.rng,
            self.counters,
            out_n, out_p,
        )
        self._status(st)
        self.n_sweeps_done += n_sweeps
        self.n_attempts += n_sweeps * self.n_worms
        return out_n, out_p

    def tune_n_worms(self, n_sweeps: int) -> tuple[int, np.ndarray, np.ndarray]:
        """Run ``n_sweeps`` sweeps, then fix ``n_worms`` from the measured worm length.

        ``n_worms = clip(round(AUTO_STEPS_PER_SITE * V / steps_per_attempt), 1, 4 V)``.

        Returns
        -------
        n_worms : int
            The new number of worms per sweep.
        n, phi2 : ndarray
            Measurements after each of the sweeps.
        """
        steps0, att0 = int(self.counters[1]), self.n_attempts
        a, b = self.sweep(n_sweeps)
        per_attempt = (int(self.counters[1]) - steps0) / max(1, self.n_attempts - att0)
        V = self.params.volume
        target = AUTO_STEPS_PER_SITE * V / max(per_attempt, 1e-9)
        self.n_worms = int(min(max(round(target), 1), 4 * V))
        return self.n_worms, a, b

    def configuration(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the current ``(k, l)`` as int16 arrays of shape ``(N_t, N_x, 2)``."""
        shape = (*self.params.shape, 2)
        return self.k.reshape(shape).astype(np.int16), self.l.reshape(shape).astype(np.int16)

    def with_open_worms(self, n_open: int) -> tuple[np.ndarray, np.ndarray]:
        """Return a copy of the current configuration with ``n_open`` open worms inserted.

        The chain state is not modified (the random-number stream advances).
        """
        k, f = self.k.copy(), self.f.copy()
        st = K.open_worms(
            k, self.l, f, self.up, self.dn, self.table.logw, self.logn, self.params.mu,
            n_open, OPEN_WORM_MIN_STEPS, self.table.f_cap, self.rng,
        )
        self._status(st)
        shape = (*self.params.shape, 2)
        return k.reshape(shape).astype(np.int16), self.l.reshape(shape).astype(np.int16)


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
    hist_n, hist_p = [], []
    with progress_bar(p.n_sweeps, "scalar", enabled=progress, unit="sweep") as bar:
        left = p.n_therm
        if p.n_worms is None:
            # automatic n_worms: measure the worm length in the first half of thermalisation
            m = max(AUTO_MIN_SWEEPS, p.n_therm // 2)
            _, a, b = chain.tune_n_worms(m)
            hist_n.append(a)
            hist_p.append(b)
            left -= min(m, left)
            bar.update(min(m, p.n_therm))
        while left > 0:
            m = min(left, max(1, p.n_therm // 50))
            a, b = chain.sweep(m)
            hist_n.append(a)
            hist_p.append(b)
            left -= m
            bar.update(m)
        for i in range(p.n_configs):
            a, b = chain.sweep(p.n_skip)
            hist_n.append(a)
            hist_p.append(b)
            if label[i]:
                k[i], l[i] = chain.with_open_worms(p.open_worms)
            else:
                k[i], l[i] = chain.configuration()
            bar.update(p.n_skip)
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
