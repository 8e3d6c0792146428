"""Parameters of a dual scalar-ensemble generation: the frozen, validated :class:`ScalarParams`."""

from __future__ import annotations

import math
from dataclasses import dataclass

from latticeml.checks import check_float, check_int, check_seed
from latticeml.errors import ParameterError
from latticeml.fields import option
from latticeml.lattice import validate_shape
from latticeml.scalar.weights import DEFAULT_F_MAX, MAX_F_MAX

__all__ = ["ScalarParams"]


@dataclass(frozen=True, kw_only=True)
class ScalarParams:
    """Parameters of one dual scalar ensemble (keyword-only, validated on construction).

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
        during thermalisation (:mod:`latticeml.scalar.generate`) and keeps it fixed
        afterwards.
    open_worms : int
        Open worms per violated configuration, 0 (plain ensemble) to ``V // 4``
        (``--open-worms``).
    f_max : int
        Largest tabulated ``f`` of ``W(f)`` (``--f-max``).
    """

    shape: tuple[int, int] = option(help="N_t,N_x (extents >= 2; odd allowed), e.g. 60,4")
    mu: float = option(help="chemical potential")
    eta: float = option(help="eta = 2D + m^2 (e.g. 4.01)")
    lam: float = option(help="quartic coupling lambda >= 0")
    n_configs: int = option(help="configurations to save")
    n_therm: int = option(help="thermalization sweeps")
    n_skip: int = option(help="sweeps between saved configurations")
    seed: int = option(help="random seed (>= 0)")
    n_worms: int | None = option(None, "worms per sweep (none: automatic, fixed after the first "
                                 "half of the thermalization at ~3 worm steps per site and "
                                 "sweep)")
    open_worms: int = option(0, "open worms per violated configuration (0: plain ensemble)")
    f_max: int = option(DEFAULT_F_MAX, "largest tabulated f of W(f)")

    def __post_init__(self) -> None:
        shape = validate_shape(self.shape, dims=(2, 2), even=False, min_extent=2, name="--shape")
        mu = check_float(self.mu, "--mu")
        eta = check_float(self.eta, "--eta")
        lam = check_float(self.lam, "--lam")
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
        n_configs = check_int(self.n_configs, "--n-configs", 1)
        n_therm = check_int(self.n_therm, "--n-therm", 0)
        n_skip = check_int(self.n_skip, "--n-skip", 1)
        seed = check_seed(self.seed)
        n_worms = None if self.n_worms is None else check_int(self.n_worms, "--n-worms", 1)
        V = shape[0] * shape[1]
        open_worms = check_int(self.open_worms, "--open-worms", 0)
        if open_worms > V // 4:
            raise ParameterError(
                "--open-worms", f"at most V/4 = {V // 4} open worms on this lattice", open_worms
            )
        if open_worms > 0 and n_configs < 2:
            raise ParameterError(
                "--n-configs", "at least 2 with --open-worms (balanced classes)", n_configs
            )
        f_max = check_int(self.f_max, "--f-max", 8)
        if f_max > MAX_F_MAX:
            raise ParameterError("--f-max", f"at most {MAX_F_MAX}", f_max)
        for name, value in (
            ("shape", shape),
            ("mu", mu),
            ("eta", eta),
            ("lam", lam),
            ("n_configs", n_configs),
            ("n_therm", n_therm),
            ("n_skip", n_skip),
            ("seed", seed),
            ("n_worms", n_worms),
            ("open_worms", open_worms),
            ("f_max", f_max),
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
