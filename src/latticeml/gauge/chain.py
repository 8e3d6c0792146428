"""The Markov chain of gauge configurations: state in the kernels' layout, sweeps, plaquette.

:class:`GaugeChain` owns the links in the fast internal layout (quaternions ``(V, D, 4)`` for
SU(2), float64 ``(V, D, 18)`` for SU(3)), the neighbour tables and the checkerboard site lists,
and calls the Numba sweep kernels of its backend (:mod:`latticeml.gauge._kernels`) under the
thread policy of :func:`auto_threads`. A sweep is the chain's sequence of updaters
(:mod:`latticeml.gauge.updaters`); the chain is a :class:`latticeml.montecarlo.MarkovChain`,
run by :func:`latticeml.montecarlo.run_chain` (through :func:`latticeml.gauge.generate_ensemble`).
"""

from __future__ import annotations

import math

import numpy as np

from latticeml._numba import threads as numba_threads
from latticeml.catalog.policy import MIN_SITES_PER_THREAD, gauge_threads
from latticeml.checks import check_choice
from latticeml.errors import ParameterError
from latticeml.gauge import _kernels
from latticeml.gauge._kernels import UpdateKind, su2
from latticeml.gauge.params import STARTS, ChainParams, GaugeParams
from latticeml.gauge.updaters import sweep_of
from latticeml.lattice import neighbour_table, parity

__all__ = ["MIN_SITES_PER_THREAD", "auto_threads", "GaugeChain"]

def auto_threads(n_sites: int) -> int:
    """Default number of Numba threads for a lattice of ``n_sites`` sites.

    One thread per :data:`MIN_SITES_PER_THREAD` sites of a substep (half the lattice), at
    least one and at most Numba's thread count. The results do not depend on the choice.
    """
    import numba

    return gauge_threads(n_sites, numba.config.NUMBA_NUM_THREADS)


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
    backend : {'auto', 'simd', 'scalar'}
        Kernel backend; the one in use is :attr:`backend` (``auto`` resolved).

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
        backend: str = "auto",
    ) -> None:
        self._setup(ChainParams(
            group=group, shape=tuple(shape), beta=beta, seed=seed, algorithm=algorithm,
            n_overrelax=n_overrelax, metropolis_hits=metropolis_hits,
            metropolis_step=metropolis_step, start=start, threads=threads, backend=backend,
        ))  # fmt: skip

    @classmethod
    def from_params(cls, params: ChainParams) -> GaugeChain:
        """Return the chain of ``params``.

        ``params`` is a :class:`ChainParams`, or a whole generation's :class:`GaugeParams`,
        whose run counts the chain does not need.
        """
        chain = cls.__new__(cls)
        chain._setup(params)
        return chain

    def _setup(self, p: ChainParams) -> None:
        #: The parameters of the chain.
        self.params = p.chain if isinstance(p, GaugeParams) else p
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
        #: The backend in use, ``"simd"`` or ``"scalar"``.
        self.backend = _kernels.resolve_backend(p.backend)
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
        #: The torch generator of hybrid Monte Carlo (created by its first trajectory) and
        #: the energy violation of every trajectory.
        self.torch_generator = None
        self.delta_h: list[float] = []
        width = 4 if self.n_colors == 2 else 18
        self._u = np.zeros((self.V, self.D, width), dtype=np.float64)
        self._kernel = _kernels.kernels(self.backend, self.n_colors).sweep
        self._plaquette_sites = _kernels.plaquette_sites(self.n_colors)
        #: The updaters of one sweep (:mod:`latticeml.gauge.updaters`).
        self.updaters = sweep_of(self.params)
        self.reset(p.start)

    # -- state ---------------------------------------------------------------------------
    def reset(self, start: str = "cold") -> None:
        """Set a cold (unit) or hot (Haar-random, from the seed) configuration."""
        check_choice(start, "--start", STARTS)
        if start == "hot":
            with numba_threads(self.threads):
                _kernels.hot_start(self.n_colors)(self._u, self._seed)
            return
        self._u[...] = 0.0
        if self.n_colors == 2:
            self._u[..., 0] = 1.0
        else:
            self._u[..., 0] = self._u[..., 8] = self._u[..., 16] = 1.0

    @property
    def links(self) -> np.ndarray:
        """A copy of the configuration, complex128 ``(*shape, D, N, N)``."""
        N = self.n_colors
        if N == 2:
            u = su2.to_complex(self._u)
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
            self._u[...] = su2.from_complex(u)
        else:
            self._u[...] = np.ascontiguousarray(u).view(np.float64).reshape(self.V, self.D, 18)

    def write_links(self, out: np.ndarray) -> None:
        """Write the configuration into ``out`` (complex128 ``(*shape, D, N, N)``) in place."""
        N = self.n_colors
        flat = out.reshape(self.V, self.D, N, N)
        if N == 2:
            flat[...] = su2.to_complex(self._u)
        else:
            flat[...] = self._u.view(np.complex128).reshape(self.V, self.D, 3, 3)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Return the whole state of the chain as arrays: what continues it bit for bit.

        The links in the internal layout, the counter of elementary sweeps (which selects the
        counter-based random streams), the acceptance counts and, for hybrid Monte Carlo, the
        ``torch.Generator`` state, the energy violations and the untested trajectories still
        to run. :meth:`load_state_dict` restores it.
        """
        state = {
            "u": self._u.copy(),
            "counters": np.array([self.n_elementary, self.n_accepted, self.n_proposed,
                                  getattr(self, "md_trajectories", 0)], dtype=np.int64),
            "delta_h": np.asarray(self.delta_h, dtype=np.float64),
        }
        if self.torch_generator is not None:
            state["torch_rng"] = self.torch_generator.get_state().numpy().copy()
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore a state of :meth:`state_dict` (of a chain with the same parameters)."""
        u = np.asarray(state["u"])
        if u.shape != self._u.shape or u.dtype != self._u.dtype:
            raise ParameterError("state['u']", f"a {self._u.dtype} array of shape "
                                 f"{self._u.shape}", f"{u.dtype} {u.shape}")
        self._u[...] = u
        n_el, n_acc, n_prop, n_md = (int(c) for c in state["counters"])
        self.n_elementary, self.n_accepted, self.n_proposed = n_el, n_acc, n_prop
        self.md_trajectories = n_md
        self.delta_h = [float(x) for x in state["delta_h"]]
        if "torch_rng" in state:
            import torch

            self.torch_generator = torch.Generator()
            self.torch_generator.set_state(torch.from_numpy(np.asarray(
                state["torch_rng"], dtype=np.uint8).copy()))
        else:
            self.torch_generator = None

    # -- updates -------------------------------------------------------------------------
    def elementary(self, kind: UpdateKind, n: int, *, hits: int | None = None,
                   step: float | None = None) -> None:
        """Run ``n`` elementary sweeps of one kernel (what the updaters call).

        ``hits`` and ``step`` are the Metropolis proposals per link and their amplitude
        (default: the chain's parameters; the other kernels ignore them).
        """
        hits = self.metropolis_hits if hits is None else int(hits)
        step = self.metropolis_step if step is None else float(step)
        with numba_threads(self.threads):
            for _ in range(n):
                if kind == UpdateKind.METROPOLIS:
                    self._acc[:] = 0
                self._kernel(
                    self._u, self._up, self._dn, self._sites, self._seed,
                    np.uint64(self.n_elementary), int(kind), float(self.beta),
                    int(hits), float(step), self._acc,
                )  # fmt: skip
                self.n_elementary += 1
                if kind == UpdateKind.METROPOLIS:
                    self.n_accepted += int(self._acc.sum())
                    self.n_proposed += self.V * self.D * hits

    def heatbath(self, n: int = 1) -> None:
        """Run ``n`` heat-bath sweeps."""
        self.elementary(UpdateKind.HEATBATH, n)

    def overrelax(self, n: int = 1) -> None:
        """Run ``n`` overrelaxation sweeps."""
        self.elementary(UpdateKind.OVERRELAX, n)

    def metropolis(self, n: int = 1) -> None:
        """Run ``n`` multi-hit Metropolis sweeps."""
        self.elementary(UpdateKind.METROPOLIS, n)

    def sweep(self, n: int = 1) -> None:
        """Run ``n`` sweeps, each the chain's :attr:`updaters` in order.

        With the default updaters: one heat-bath or Metropolis sweep + ``n_overrelax``
        overrelaxation sweeps.
        """
        for _ in range(n):
            for update in self.updaters:
                update(self)

    # -- the Markov-chain protocol of latticeml.montecarlo --------------------------------
    def advance(self, n: int) -> dict[str, np.ndarray]:
        """Run ``n`` sweeps; return ``{"plaquette": ...}`` measured after each."""
        plaq = np.empty(n)
        for i in range(n):
            self.sweep(1)
            plaq[i] = self.plaquette()
        return {"plaquette": plaq}

    def tune(self, n: int) -> dict[str, np.ndarray]:
        """Run ``n`` sweeps (nothing of these updaters is tuned); see :meth:`advance`."""
        return self.advance(n)

    # -- measurements --------------------------------------------------------------------
    def plaquette(self) -> float:
        """Mean of ``Re Tr U_p / N`` over sites and planes (summed in a fixed order)."""
        with numba_threads(self.threads):
            self._plaquette_sites(self._u, self._up, self._plaq_buf)
        n_planes = self.D * (self.D - 1) // 2
        return float(math.fsum(self._plaq_buf)) / (self.V * n_planes)

    def action(self) -> float:
        """Wilson action ``beta sum_x sum_{mu<nu} (1 - Re Tr U_p / N)``."""
        n_planes = self.D * (self.D - 1) // 2
        return self.beta * self.V * n_planes * (1.0 - self.plaquette())

    @property
    def acceptance(self) -> float:
        """Acceptance of Metropolis proposals or HMC trajectories so far (NaN: none run)."""
        return self.n_accepted / self.n_proposed if self.n_proposed else float("nan")
