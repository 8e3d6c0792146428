"""The Markov chain of dual (k, l) configurations: state, sweeps, worm tuning, open worms.

:class:`ScalarChain` owns the configuration in the kernels' layout ``(V, 2)`` and the weight
tables, and calls the Numba kernels of :mod:`latticeml.scalar._kernels`. The driver that saves
configurations is :func:`latticeml.montecarlo.run_chain` (through
:func:`latticeml.scalar.generate_scalar_ensemble`); the chain is a
:class:`latticeml.montecarlo.MarkovChain`.
"""

from __future__ import annotations

import math

import numpy as np

from latticeml.errors import TableRangeError
from latticeml.lattice import neighbour_table
from latticeml.scalar import _kernels as K
from latticeml.scalar.params import ScalarParams
from latticeml.scalar.weights import WeightTable, weight_table

__all__ = [
    "P_CLOSE",
    "LOG_K",
    "OPEN_WORM_MIN_STEPS",
    "AUTO_STEPS_PER_SITE",
    "default_n_worms",
    "ScalarChain",
]

#: Probability of proposing to close a worm whose head sits on its tail.
P_CLOSE = 0.5
#: ``log K``: relative weight of the open (G) sector; start acceptance ``min(1, K W(f+2)/W(f))``.
LOG_K = 0.0
#: Minimum number of head proposals of an inserted open worm (flux-violation data).
OPEN_WORM_MIN_STEPS = 100
#: Target worm steps per site and sweep of the automatic ``n_worms``.
AUTO_STEPS_PER_SITE = 3.0


def default_n_worms(shape: tuple[int, int]) -> int:
    """Return the initial worms per sweep of the automatic choice, ``max(4, V // 16)``."""
    return max(4, int(shape[0]) * int(shape[1]) // 16)


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
            self.k,
            self.l,
            self.f,
            self.up,
            self.dn,
            self.wup,
            self.wdn,
            self.emu,
            n_sweeps,
            self.n_worms,
            math.exp(LOG_K),
            P_CLOSE,
            self.table.f_cap,
            self.rng,
            self.counters,
            out_n,
            out_p,
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

    # -- the Markov-chain protocol of latticeml.montecarlo --------------------------------
    def advance(self, n: int) -> dict[str, np.ndarray]:
        """Run ``n`` sweeps; return ``{"n": ..., "phi2": ...}`` measured after each."""
        n_values, phi2 = self.sweep(n)
        return {"n": n_values, "phi2": phi2}

    def tune(self, n: int) -> dict[str, np.ndarray]:
        """Run ``n`` sweeps, then fix the worms per sweep (:meth:`tune_n_worms`)."""
        _, n_values, phi2 = self.tune_n_worms(n)
        return {"n": n_values, "phi2": phi2}

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
            k,
            self.l,
            f,
            self.up,
            self.dn,
            self.table.logw,
            self.logn,
            self.params.mu,
            n_open,
            OPEN_WORM_MIN_STEPS,
            self.table.f_cap,
            self.rng,
        )
        self._status(st)
        shape = (*self.params.shape, 2)
        return k.reshape(shape).astype(np.int16), self.l.reshape(shape).astype(np.int16)
