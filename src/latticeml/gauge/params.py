"""Parameters of a gauge-ensemble generation: the frozen, validated :class:`GaugeParams`."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from latticeml.checks import check_choice, check_float, check_int, check_memory, check_seed
from latticeml.errors import ParameterError
from latticeml.fields import option
from latticeml.lattice import validate_shape

__all__ = ["GROUPS", "ALGORITHMS", "STARTS", "BACKENDS", "HMC_INTEGRATORS", "HMC_ACTIONS",
           "ChainParams", "GaugeParams"]

#: Gauge groups and their number of colours.
GROUPS = {"su2": 2, "su3": 3}
#: Update algorithms.
ALGORITHMS = ("heatbath", "metropolis", "hmc")
#: Molecular-dynamics integrators of ``hmc`` (:data:`latticeml.hmc.INTEGRATORS`).
HMC_INTEGRATORS = ("leapfrog", "omelyan", "forest_ruth")
#: Actions ``hmc`` samples: Wilson, the rectangle-improved actions of
#: :data:`latticeml.hmc.RECTANGLE_C1`, or a trained action model (``hmc_action_model``).
HMC_ACTIONS = ("wilson", "symanzik", "iwasaki", "dbw2", "model")
#: Initial configurations: unit links or Haar-random links.
STARTS = ("cold", "hot")
#: Kernel backends (:mod:`latticeml.gauge._kernels.backend`).
BACKENDS = ("auto", "simd", "scalar")


@dataclass(frozen=True, kw_only=True)
class ChainParams:
    """What defines a Markov chain of gauge configurations (keyword-only, validated).

    The physics, the update and the random stream; how long the chain runs and what it saves
    is :class:`GaugeParams`'s. :class:`~latticeml.gauge.chain.GaugeChain` is built from these.

    Attributes
    ----------
    group : {'su2', 'su3'}
        Gauge group (``--group``).
    shape : tuple of int
        Lattice extents ``(L_0, ..., L_{D-1})``, D = 2..4, all even (``--shape``).
    beta : float
        Inverse coupling ``beta = 2N/g^2 >= 0`` (``--beta``).
    seed : int
        Random seed, 0 <= seed < 2**64 (``--seed``).
    algorithm : {'heatbath', 'metropolis', 'hmc'}
        Update of one sweep, see :mod:`latticeml.gauge.generate` (``--algorithm``); ``hmc``:
        one hybrid Monte Carlo trajectory of the action ``hmc_action`` (:mod:`latticeml.hmc`).
    n_overrelax : int
        Overrelaxation sweeps after each heat-bath or Metropolis sweep, >= 0 (``--overrelax``).
    metropolis_hits : int
        Metropolis proposals per link and sweep, >= 1 (``--metropolis-hits``).
    metropolis_step : float
        Metropolis step ``eps`` >= 0 (``--metropolis-step``).
    hmc_length, hmc_steps, hmc_integrator : float, int, str
        ``hmc``: trajectory length, integration steps per trajectory and integrator
        (``--hmc-length``, ``--hmc-steps``, ``--hmc-integrator``).
    hmc_action : {'wilson', 'symanzik', 'iwasaki', 'dbw2', 'model'}
        The action ``hmc`` samples (``--hmc-action``): ``beta`` times the Wilson action, a
        rectangle-improved action (tree-level Symanzik, Iwasaki, DBW2), or ``beta`` times the
        action of a trained model file. Heat bath, Metropolis and overrelaxation sample the
        Wilson action only: another action needs ``algorithm='hmc'`` and ``n_overrelax=0``.
    hmc_action_model : str
        ``hmc_action='model'``: the model file of an action model (``latticeml model train``
        with a model of kind ``action``) (``--hmc-action-model``). Its weights are read
        without executing code and its SHA-256 goes into the ensemble's provenance and the
        checkpoint's fingerprint.
    start : {'cold', 'hot'}
        Unit links or Haar-random links (``--start``).
    threads : int or None
        Numba threads (``--threads``); None: :func:`latticeml.gauge.chain.auto_threads`.
        Results do not depend on it.
    backend : {'auto', 'simd', 'scalar'}
        Kernel backend (``--backend``): hand-written SIMD kernels, portable plain-Numba
        kernels (same algorithms and random streams; rounding differs), or SIMD where its
        self-test passes (:mod:`latticeml.gauge._kernels.backend`).
    """

    group: str = option(help="gauge group", choices=tuple(GROUPS))
    shape: tuple[int, ...] = option(help="even extents, e.g. 8,8")
    beta: float = option(help="inverse coupling beta = 2N/g^2")
    seed: int = option(help="random seed (>= 0)")
    algorithm: str = option("heatbath", "update of a sweep (heatbath: Kennedy-Pendleton / "
                            "Cabibbo-Marinari)", choices=ALGORITHMS)
    n_overrelax: int = option(4, "overrelaxation sweeps per heat-bath or Metropolis sweep",
                              flag="--overrelax")
    metropolis_hits: int = option(10, "Metropolis hits per link")
    metropolis_step: float = option(0.5, "Metropolis proposal amplitude")
    hmc_length: float = option(1.0, "hmc: trajectory length")
    hmc_steps: int = option(10, "hmc: integration steps per trajectory")
    hmc_integrator: str = option("omelyan", "hmc: molecular-dynamics integrator",
                                 choices=HMC_INTEGRATORS)
    hmc_action: str = option("wilson", "hmc: the action sampled (model: --hmc-action-model)",
                             choices=HMC_ACTIONS)
    hmc_action_model: str = option("", "hmc with --hmc-action model: the model file whose "
                                   "action (times beta) is sampled", metavar="MODEL.pt")
    start: str = option("cold", "unit links (cold) or Haar-random links (hot)", choices=STARTS)
    threads: int | None = option(None, "Numba threads (none: one per 1024 sites of a "
                                 "checkerboard substep, at most all available; the output does "
                                 "not depend on it)")
    backend: str = option("auto", "gauge kernels: simd (hand-written SIMD), scalar (portable "
                          "plain Numba: same algorithms and random streams, rounding differs) "
                          "or auto (simd where its self-test passes)", choices=BACKENDS)

    def __post_init__(self) -> None:
        self.validate()

    def _chain_values(self) -> dict:
        return {
            "group": check_choice(self.group, "--group", GROUPS, lower=True),
            "shape": validate_shape(
                self.shape, dims=(2, 4), even=True, min_extent=2, name="--shape"
            ),  # fmt: skip
            "beta": check_float(self.beta, "--beta", 0.0),
            "seed": check_seed(self.seed),
            "algorithm": check_choice(self.algorithm, "--algorithm", ALGORITHMS),
            "n_overrelax": check_int(self.n_overrelax, "--overrelax", 0),
            "metropolis_hits": check_int(self.metropolis_hits, "--metropolis-hits", 1),
            "metropolis_step": check_float(self.metropolis_step, "--metropolis-step", 0.0),
            "hmc_length": check_float(self.hmc_length, "--hmc-length", 0.0),
            "hmc_steps": check_int(self.hmc_steps, "--hmc-steps", 1),
            "hmc_integrator": check_choice(self.hmc_integrator, "--hmc-integrator",
                                           HMC_INTEGRATORS),
            "hmc_action": check_choice(self.hmc_action, "--hmc-action", HMC_ACTIONS),
            "hmc_action_model": str(self.hmc_action_model),
            "start": check_choice(self.start, "--start", STARTS),
            "threads": None if self.threads is None else check_int(self.threads, "--threads", 1),
            "backend": check_choice(self.backend, "--backend", BACKENDS),
        }

    def validate(self) -> None:
        """Check every field and normalise types.

        Raises
        ------
        ParameterError
            Naming the CLI flag of the first invalid field.
        """
        for name, value in self._chain_values().items():
            object.__setattr__(self, name, value)
        self._check_action()

    def _check_action(self) -> None:
        """Refuse an action the chosen update does not sample, or a model without its file."""
        if self.hmc_action != "wilson":
            if self.algorithm != "hmc":
                raise ParameterError(
                    "--hmc-action", "wilson with --algorithm " + self.algorithm,
                    self.hmc_action, "heat bath and Metropolis sample the Wilson action only; "
                    "give --algorithm hmc")
            if self.n_overrelax:
                raise ParameterError(
                    "--overrelax", f"0 with --hmc-action {self.hmc_action}", self.n_overrelax,
                    "overrelaxation keeps only the Wilson action invariant; give --overrelax 0")
        if (self.hmc_action == "model") != bool(self.hmc_action_model):
            if self.hmc_action == "model":
                raise ParameterError("--hmc-action-model", "a model file with --hmc-action "
                                     "model", "nothing", "name the trained action's model.pt")
            raise ParameterError("--hmc-action-model", "no model file unless --hmc-action "
                                 "model", self.hmc_action_model,
                                 f"give --hmc-action model (now {self.hmc_action})")

    @property
    def n_colors(self) -> int:
        """Number of colours N."""
        return GROUPS[self.group]


@dataclass(frozen=True, kw_only=True)
class GaugeParams(ChainParams):
    """Parameters of one gauge-ensemble generation: a chain and its run counts.

    Attributes
    ----------
    n_configs : int
        Number of saved configurations, >= 1 (``--n-configs``).
    n_therm : int
        Thermalisation sweeps before the first saved configuration, >= 0 (``--n-therm``).
    n_skip : int
        Sweeps between saved configurations, >= 1 (``--n-skip``); the first configuration is
        saved after ``n_therm + n_skip`` sweeps.

    The chain's own fields are those of :class:`ChainParams`.
    """

    n_configs: int = option(help="configurations to save")
    n_therm: int = option(help="thermalization sweeps")
    n_skip: int = option(help="sweeps between saved configurations")

    def validate(self) -> None:
        """Check every field and normalise types; refuse runs that do not fit in memory.

        Raises
        ------
        ParameterError
            Naming the CLI flag of the first invalid field.
        """
        values = self._chain_values()
        values.update({
            "n_configs": check_int(self.n_configs, "--n-configs", 1),
            "n_therm": check_int(self.n_therm, "--n-therm", 0),
            "n_skip": check_int(self.n_skip, "--n-skip", 1),
        })  # fmt: skip
        for name, value in values.items():
            object.__setattr__(self, name, value)
        self._check_action()
        sites = math.prod(self.shape)
        check_memory(16 * self.n_configs * sites * len(self.shape) * self.n_colors**2
                     + 8 * self.n_sweeps, "--n-configs",
                     f"{self.n_configs} configurations of {'x'.join(map(str, self.shape))} "
                     f"{self.group} links")

    @property
    def chain(self) -> ChainParams:
        """The chain's parameters alone."""
        return ChainParams(**{f.name: getattr(self, f.name) for f in fields(ChainParams)})

    @property
    def n_sweeps(self) -> int:
        """Total number of sweeps ``n_therm + n_configs * n_skip``."""
        return self.n_therm + self.n_configs * self.n_skip
