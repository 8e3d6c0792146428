"""Monte Carlo generation of SU(2)/SU(3) Wilson-action gauge ensembles.

Action ``S = beta sum_x sum_{mu<nu} (1 - Re Tr U_{x,mu nu} / N)`` on a periodic lattice of even
extents in D = 2, 3, 4 dimensions (ARCHITECTURE.md section 3).

Algorithms
----------
``heatbath``
    One sweep is one heat-bath sweep (Kennedy-Pendleton/Creutz for SU(2), Cabibbo-Marinari over
    the subgroups (0,1), (0,2), (1,2) for SU(3)) followed by ``n_overrelax`` microcanonical
    overrelaxation sweeps (default 4).
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
based (:mod:`latticeml.gauge._rng`): the same seed gives bit-identical links for any number
of threads.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from latticeml._numba import threads as numba_threads
from latticeml.errors import ParameterError
from latticeml.gauge import _su2, _su3
from latticeml.lattice import neighbour_table, parity, validate_shape
from latticeml.observables.autocorr import GammaResult, gamma_analysis
from latticeml.progress import progress_bar

__all__ = [
    "GROUPS",
    "ALGORITHMS",
    "GaugeParams",
    "GaugeEnsemble",
    "GaugeChain",
    "generate_ensemble",
    "plaquette",
    "unitarity_violation",
]

#: Gauge groups and their number of colours.
GROUPS = {"su2": 2, "su3": 3}
#: Update algorithms.
ALGORITHMS = ("heatbath", "metropolis")
_STARTS = ("cold", "hot")
_MAX_SEED = 2**64 - 1


def _check_int(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ParameterError(name, f"an integer >= {minimum}", value)
    if value < minimum:
        raise ParameterError(name, f"an integer >= {minimum}", value)
    return int(value)


def _check_float(value: object, name: str, minimum: float) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParameterError(name, f"a number >= {minimum}", value) from None
    if not math.isfinite(x) or x < minimum:
        raise ParameterError(name, f"a finite number >= {minimum}", value)
    return x


@dataclass(frozen=True)
class GaugeParams:
    """Parameters of one gauge-ensemble generation (validated on construction).

    Attributes
    ----------
    group : {'su2', 'su3'}
        Gauge group (``--group``).
    shape : tuple of int
        Lattice extents ``(L_0, ..., L_{D-1})``, D = 2..4, all even (``--shape``).
    beta : float
        Inverse coupling ``beta = 2N/g^2 >= 0`` (``--beta``).
    n_configs : int
        Number of saved configurations, >= 1 (``--n-configs``).
    n_therm : int
        Thermalisation sweeps before the first saved configuration, >= 0 (``--n-therm``).
    n_skip : int
        Sweeps between saved configurations, >= 1 (``--n-skip``); the first configuration is
        saved after ``n_therm + n_skip`` sweeps.
    seed : int
        Random seed, 0 <= seed < 2**64 (``--seed``).
    algorithm : {'heatbath', 'metropolis'}
        Update of one sweep, see the module docstring (``--algorithm``).
    n_overrelax : int
        Overrelaxation sweeps after each heat-bath or Metropolis sweep, >= 0 (``--overrelax``).
    metropolis_hits : int
        Metropolis proposals per link and sweep, >= 1 (``--metropolis-hits``).
    metropolis_step : float
        Metropolis step ``eps`` >= 0 (``--metropolis-step``).
    start : {'cold', 'hot'}
        Unit links or Haar-random links (``--start``).
    threads : int or None
        Numba threads (``--threads``); None: :func:`auto_threads`. Results do not depend on it.
    """

    group: str
    shape: tuple[int, ...]
    beta: float
    n_configs: int
    n_therm: int
    n_skip: int
    seed: int
    algorithm: str = "heatbath"
    n_overrelax: int = 4
    metropolis_hits: int = 10
    metropolis_step: float = 0.5
    start: str = "cold"
    threads: int | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field and normalise types.

        Raises
        ------
        ParameterError
            Naming the CLI flag of the first invalid field.
        """
        group = self.group.lower() if isinstance(self.group, str) else None
        if group not in GROUPS:
            raise ParameterError("--group", "one of 'su2', 'su3'", self.group)
        shape = validate_shape(self.shape, dims=(2, 4), even=True, min_extent=2, name="--shape")
        beta = _check_float(self.beta, "--beta", 0.0)
        n_configs = _check_int(self.n_configs, "--n-configs", 1)
        n_therm = _check_int(self.n_therm, "--n-therm", 0)
        n_skip = _check_int(self.n_skip, "--n-skip", 1)
        seed = _check_int(self.seed, "--seed", 0)
        if seed > _MAX_SEED:
            raise ParameterError("--seed", "an integer in [0, 2**64)", self.seed)
        if self.algorithm not in ALGORITHMS:
            raise ParameterError("--algorithm", "one of 'heatbath', 'metropolis'", self.algorithm)
        n_or = _check_int(self.n_overrelax, "--overrelax", 0)
        hits = _check_int(self.metropolis_hits, "--metropolis-hits", 1)
        step = _check_float(self.metropolis_step, "--metropolis-step", 0.0)
        if self.start not in _STARTS:
            raise ParameterError("--start", "one of 'cold', 'hot'", self.start)
        thr = None if self.threads is None else _check_int(self.threads, "--threads", 1)
        for name, value in (
            ("group", group),
            ("shape", shape),
            ("beta", beta),
            ("n_configs", n_configs),
            ("n_therm", n_therm),
            ("n_skip", n_skip),
            ("seed", seed),
            ("n_overrelax", n_or),
            ("metropolis_hits", hits),
            ("metropolis_step", step),
            ("threads", thr),
        ):
            object.__setattr__(self, name, value)

    @property
    def n_colors(self) -> int:
        """Number of colours N."""
        return GROUPS[self.group]

    @property
    def n_sweeps(self) -> int:
        """Total number of sweeps ``n_therm + n_configs * n_skip``."""
        return self.n_therm + self.n_configs * self.n_skip


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


#: Sites per checkerboard substep below which a second thread costs more than it saves
#: (thread start and barrier per substep; measured: 8^4 and 64^2 gain ~1.7x, 8x8 loses).
MIN_SITES_PER_THREAD = 1024


def auto_threads(n_sites: int) -> int:
    """Default number of Numba threads for a lattice of ``n_sites`` sites.

    One thread per :data:`MIN_SITES_PER_THREAD` sites of a substep (half the lattice), at
    least one and at most Numba's thread count. The results do not depend on the choice.
    """
    import numba

    return max(1, min(numba.config.NUMBA_NUM_THREADS, (n_sites // 2) // MIN_SITES_PER_THREAD))


class GaugeChain:
    """A Markov chain of gauge configurations, stored in the fast internal layout.

    Parameters
    ----------
    group : {'su2', 'su3'}
        Gauge group.
    shape : tuple of int
        Lattice extents (even, D = 2..4).
    beta : float
        Inverse coupling.
    seed : int
        Random seed (0 <= seed < 2**64).
    start : {'cold', 'hot'}
        Initial configuration.
    algorithm : {'heatbath', 'metropolis'}
        Update used by :meth:`sweep`.
    n_overrelax : int
        Overrelaxation sweeps per :meth:`sweep`.
    metropolis_hits : int
        Metropolis proposals per link.
    metropolis_step : float
        Metropolis step ``eps``.
    threads : int or None
        Numba threads (None: :func:`auto_threads`).

    Notes
    -----
    Every elementary sweep (heat bath, overrelaxation or Metropolis) has its own index
    ``n_elementary``, which selects its random streams.
    """

    def __init__(
        self,
        group: str,
        shape: tuple[int, ...],
        beta: float,
        seed: int,
        *,
        start: str = "cold",
        algorithm: str = "heatbath",
        n_overrelax: int = 4,
        metropolis_hits: int = 10,
        metropolis_step: float = 0.5,
        threads: int | None = None,
    ) -> None:
        p = GaugeParams(
            group, tuple(shape), beta, 1, 0, 1, seed, algorithm, n_overrelax,
            metropolis_hits, metropolis_step, start, threads,
        )  # fmt: skip
        self.group = p.group
        self.n_colors = p.n_colors
        self.shape = p.shape
        self.D = len(p.shape)
        self.V = int(np.prod(p.shape))
        self.beta = p.beta
        self.algorithm = p.algorithm
        self.n_overrelax = p.n_overrelax
        self.metropolis_hits = p.metropolis_hits
        self.metropolis_step = p.metropolis_step
        self.threads = auto_threads(self.V) if p.threads is None else p.threads
        self._seed = np.uint64(p.seed)
        up, dn = neighbour_table(self.shape)
        self._up = np.ascontiguousarray(up)
        self._dn = np.ascontiguousarray(dn)
        # sites of parity 0 and 1 in lexicographic order (measured faster than blocked orders:
        # sequential streams suit the hardware prefetcher); the order within a substep does
        # not change the result
        par = parity(self.shape)
        self._sites = np.ascontiguousarray(
            np.stack([np.flatnonzero(par == 0), np.flatnonzero(par == 1)]).astype(np.int64)
        )
        self._acc = np.zeros(self.V, dtype=np.int64)
        self._plaq_buf = np.zeros(self.V, dtype=np.float64)
        self.n_elementary = 0
        self.n_accepted = 0
        self.n_proposed = 0
        if self.n_colors == 2:
            self._u = np.zeros((self.V, self.D, 4), dtype=np.float64)
            self._kernel = _su2._sweep_su2
        else:
            self._u = np.zeros((self.V, self.D, 18), dtype=np.float64)
            self._kernel = _su3._sweep_su3
        self.reset(p.start)

    # -- state ---------------------------------------------------------------------------
    def reset(self, start: str = "cold") -> None:
        """Set a cold (unit) or hot (Haar-random, from the seed) configuration."""
        if start not in _STARTS:
            raise ParameterError("--start", "one of 'cold', 'hot'", start)
        if self.n_colors == 2:
            if start == "cold":
                self._u[...] = 0.0
                self._u[..., 0] = 1.0
            else:
                with numba_threads(self.threads):
                    _su2._hot_su2(self._u, self._seed)
        else:
            if start == "cold":
                self._u[...] = 0.0
                self._u[..., 0] = self._u[..., 8] = self._u[..., 16] = 1.0
            else:
                with numba_threads(self.threads):
                    _su3._hot_su3(self._u, self._seed)

    @property
    def links(self) -> np.ndarray:
        """A copy of the configuration, complex128 ``(*shape, D, N, N)``."""
        N = self.n_colors
        if N == 2:
            u = _su2.to_complex(self._u)
        else:
            u = self._u.view(np.complex128).reshape(self.V, self.D, 3, 3).copy()
        return np.ascontiguousarray(u.reshape(*self.shape, self.D, N, N))

    def set_links(self, links: np.ndarray) -> None:
        """Replace the configuration by ``links`` (complex ``(*shape, D, N, N)``)."""
        N = self.n_colors
        want = (*self.shape, self.D, N, N)
        links = np.asarray(links)
        if links.shape != want:
            raise ParameterError("links", f"an array of shape {want}", links.shape)
        u = links.reshape(self.V, self.D, N, N).astype(np.complex128)
        if N == 2:
            self._u[...] = _su2.from_complex(u)
        else:
            self._u[...] = np.ascontiguousarray(u).view(np.float64).reshape(self.V, self.D, 18)

    def write_links(self, out: np.ndarray) -> None:
        """Write the configuration into ``out`` (complex128 ``(*shape, D, N, N)``) in place."""
        N = self.n_colors
        flat = out.reshape(self.V, self.D, N, N)
        if N == 2:
            flat[...] = _su2.to_complex(self._u)
        else:
            flat[...] = self._u.view(np.complex128).reshape(self.V, self.D, 3, 3)

    # -- updates -------------------------------------------------------------------------
    def _elementary(self, kind: int, n: int) -> None:
        with numba_threads(self.threads):
            for _ in range(n):
                if kind == _su2.KIND_METROPOLIS:
                    self._acc[:] = 0
                self._kernel(
                    self._u, self._up, self._dn, self._sites, self._seed,
                    np.uint64(self.n_elementary), kind, float(self.beta),
                    int(self.metropolis_hits), float(self.metropolis_step), self._acc,
                )  # fmt: skip
                self.n_elementary += 1
                if kind == _su2.KIND_METROPOLIS:
                    self.n_accepted += int(self._acc.sum())
                    self.n_proposed += self.V * self.D * self.metropolis_hits

    def heatbath(self, n: int = 1) -> None:
        """Run ``n`` heat-bath sweeps."""
        self._elementary(_su2.KIND_HEATBATH, n)

    def overrelax(self, n: int = 1) -> None:
        """Run ``n`` overrelaxation sweeps."""
        self._elementary(_su2.KIND_OVERRELAX, n)

    def metropolis(self, n: int = 1) -> None:
        """Run ``n`` multi-hit Metropolis sweeps."""
        self._elementary(_su2.KIND_METROPOLIS, n)

    def sweep(self, n: int = 1) -> None:
        """Run ``n`` full sweeps: one heat-bath or Metropolis sweep + ``n_overrelax`` OR."""
        for _ in range(n):
            if self.algorithm == "heatbath":
                self.heatbath(1)
            else:
                self.metropolis(1)
            if self.n_overrelax:
                self.overrelax(self.n_overrelax)

    # -- measurements --------------------------------------------------------------------
    def plaquette(self) -> float:
        """Mean of ``Re Tr U_p / N`` over sites and planes (summed in a fixed order)."""
        with numba_threads(self.threads):
            if self.n_colors == 2:
                _su2._plaquette_sites_su2(self._u, self._up, self._plaq_buf)
            else:
                _su3._plaquette_sites_su3(self._u, self._up, self._plaq_buf)
        n_planes = self.D * (self.D - 1) // 2
        return float(math.fsum(self._plaq_buf)) / (self.V * n_planes)

    def action(self) -> float:
        """Wilson action ``beta sum_x sum_{mu<nu} (1 - Re Tr U_p / N)``."""
        n_planes = self.D * (self.D - 1) // 2
        return self.beta * self.V * n_planes * (1.0 - self.plaquette())

    @property
    def acceptance(self) -> float:
        """Metropolis acceptance rate so far (NaN if no Metropolis sweep was run)."""
        return self.n_accepted / self.n_proposed if self.n_proposed else float("nan")


def _lattice_axes(links: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...], int, int]:
    links = np.asarray(links)
    if links.ndim < 5 or links.shape[-1] != links.shape[-2] or links.shape[-1] not in (2, 3):
        raise ParameterError(
            "links", "a complex array (..., *shape, D, N, N) with N = 2 or 3", links.shape
        )
    D = links.shape[-3]
    if links.ndim < D + 3:
        raise ParameterError("links", f"{D} lattice axes before (D, N, N)", links.shape)
    shape = links.shape[-3 - D : -3]
    batch = links.shape[: -3 - D]
    return batch, shape, D, links.shape[-1]


def plaquette(links: np.ndarray) -> float | np.ndarray:
    """Mean plaquette ``<Re Tr U_p / N>`` over sites and planes.

    Parameters
    ----------
    links : ndarray, complex, shape (..., *shape, D, N, N)
        One configuration or a batch (leading axes); N = 2 or 3.

    Returns
    -------
    float or ndarray of float64
        A float for one configuration, else an array of the batch shape.
    """
    batch, shape, D, N = _lattice_axes(links)
    V = int(np.prod(shape))
    flat = np.asarray(links, dtype=np.complex128).reshape(-1, V, D, N, N)
    up, _ = neighbour_table(shape)
    buf = np.empty(V)
    n_planes = D * (D - 1) // 2
    out = np.empty(flat.shape[0])
    for b in range(flat.shape[0]):
        if N == 2:
            _su2._plaquette_sites_su2(_su2.from_complex(flat[b]), up, buf)
        else:
            u = np.ascontiguousarray(flat[b]).view(np.float64).reshape(V, D, 18)
            _su3._plaquette_sites_su3(u, up, buf)
        out[b] = math.fsum(buf) / (V * n_planes)
    return float(out[0]) if not batch else out.reshape(batch)


def unitarity_violation(links: np.ndarray) -> tuple[float, float]:
    """Largest deviations from SU(N): ``max |U U^dagger - 1|`` and ``max |det U - 1|``.

    Parameters
    ----------
    links : ndarray, complex, shape (..., N, N)
        Any stack of matrices.

    Returns
    -------
    (float, float)
        Max-norm of ``U U^dagger - 1`` over all elements and of ``det U - 1``.
    """
    u = np.asarray(links, dtype=np.complex128)
    N = u.shape[-1]
    uu = u @ np.conj(np.swapaxes(u, -1, -2))
    unit = float(np.max(np.abs(uu - np.eye(N)))) if u.size else 0.0
    det = float(np.max(np.abs(np.linalg.det(u) - 1.0))) if u.size else 0.0
    return unit, det


def generate_ensemble(params: GaugeParams, *, progress: bool = False) -> GaugeEnsemble:
    """Generate an ensemble: thermalise, then save every ``n_skip``-th configuration.

    Parameters
    ----------
    params : GaugeParams
        Validated parameters.
    progress : bool
        Show a progress bar of sweeps on stderr.

    Returns
    -------
    GaugeEnsemble
        Configurations, plaquettes, plaquette history, acceptance, timing, autocorrelation.
    """
    params.validate()
    t0 = time.perf_counter()
    chain = GaugeChain(
        params.group, params.shape, params.beta, params.seed, start=params.start,
        algorithm=params.algorithm, n_overrelax=params.n_overrelax,
        metropolis_hits=params.metropolis_hits, metropolis_step=params.metropolis_step,
        threads=params.threads,
    )  # fmt: skip
    N, D = params.n_colors, len(params.shape)
    links = np.empty((params.n_configs, *params.shape, D, N, N), dtype=np.complex128)
    plaq = np.empty(params.n_configs)
    history = np.empty(params.n_sweeps)
    desc = f"{params.group} {'x'.join(map(str, params.shape))} beta={params.beta:g}"
    with (
        numba_threads(chain.threads) as n_threads,
        progress_bar(params.n_sweeps, desc, enabled=progress, unit="sweep") as bar,
    ):
        s = 0
        for _ in range(params.n_therm):
            chain.sweep(1)
            history[s] = chain.plaquette()
            s += 1
            bar.update(1)
        for c in range(params.n_configs):
            for _ in range(params.n_skip):
                chain.sweep(1)
                history[s] = chain.plaquette()
                s += 1
                bar.update(1)
            chain.write_links(links[c])
            plaq[c] = history[s - 1]
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
    )
