"""Parameters of ``latticeml model check-action`` (no torch: the command line loads without it)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from latticeml.checks import check_float, check_int
from latticeml.errors import ParameterError
from latticeml.fields import option

__all__ = ["ActionCheckParams", "CHECK_COLUMNS"]

#: Columns of the table :func:`latticeml.fixedpoint.check_action_model` returns.
CHECK_COLUMNS = ("check", "value", "goal", "passed", "detail")


@dataclass(frozen=True, kw_only=True)
class ActionCheckParams:
    """What ``latticeml model check-action`` runs.

    Attributes
    ----------
    residuals : int
        Held-out configurations whose fixed-point residual is computed (each one
        minimisation with the model on the fine level), >= 0.
    tol : float
        Tolerance of those minimisations (largest algebra-gradient norm), > 0.
    rho : tuple of float
        Instanton sizes in lattice units (4D models only; none: no instanton check).
    instanton_size : int
        Extent of the periodic ``L^4`` lattice of the instantons (even, >= 8).
    goal : float
        The relative bound of a classically perfect action: instanton action within it of
        ``8 pi^2``, residual below it (default 0.01, the issue's 1 %).
    """

    residuals: int = option(4, "held-out configurations whose fixed-point residual is "
                            "computed (one minimisation each)", metavar="N")
    tol: float = option(1e-6, "tolerance of the residual's minimisations", metavar="T",
                        flag="--fp-tol")
    rho: tuple[float, ...] = option((1.5, 2.0, 3.0), "instanton sizes (4D models)",
                                    metavar="R,R,...")
    instanton_size: int = option(12, "extent L of the L^4 lattice of the instantons",
                                 metavar="L")
    goal: float = option(0.01, "relative bound of a classically perfect action")

    def __post_init__(self) -> None:
        object.__setattr__(self, "residuals", check_int(self.residuals, "--residuals", 0))
        tol = check_float(self.tol, "--fp-tol")
        if not tol > 0:
            raise ParameterError("--fp-tol", "a number > 0", self.tol)
        object.__setattr__(self, "tol", tol)
        rho = tuple(float(r) for r in self.rho)
        if any(not (math.isfinite(r) and r > 0) for r in rho):
            raise ParameterError("--rho", "positive sizes", self.rho)
        object.__setattr__(self, "rho", rho)
        size = check_int(self.instanton_size, "--instanton-size", 8)
        if size % 2:
            raise ParameterError("--instanton-size", "an even extent >= 8", size)
        object.__setattr__(self, "instanton_size", size)
        goal = check_float(self.goal, "--goal")
        if not 0 < goal < 1:
            raise ParameterError("--goal", "a fraction in (0, 1)", self.goal)
        object.__setattr__(self, "goal", goal)
