"""The renormalisation-group fixed-point action (issue 28).

* :mod:`latticeml.fixedpoint.instanton` -- discretised BPST instantons and the Wilson action's
  deficit below ``8 pi^2``, the scale-invariance test a classically perfect action must pass.
* :mod:`latticeml.fixedpoint.blocking` -- the scale-2 blocking: fat links, blocked links and
  the kernel ``T[U, V]`` of Hasenfratz and Niedermayer in the classical limit.
* :mod:`latticeml.fixedpoint.minimise` -- the fixed-point equation
  ``A[V] = min_U {A[U] + T[U, V]}``: the value and its exact derivative with respect to the
  coarse links from one minimisation over the fine configuration.
* :mod:`latticeml.fixedpoint.dataset` -- the fixed-point targets of gauge datasets
  (``latticeml dataset build --fixed-point``).
* :mod:`latticeml.fixedpoint.checks` -- the checks a learned fixed-point action must pass:
  the residual of the fixed-point equation, zero action on pure gauge, positivity,
  instantons at ``8 pi^2``, forces against finite differences.
* :mod:`latticeml.fixedpoint.report` -- all of them on a trained action model and held-out
  fixed-point data, one table (``latticeml model check-action``).
"""

from latticeml.fixedpoint.blocking import Blocking, blocked_links, fat_links, group_max, kernel
from latticeml.fixedpoint.checks import (
    ForceCheck,
    Residual,
    fixed_point_residual,
    force_check,
    instanton_action,
    model_action,
    model_density,
    pure_gauge_action,
    smallest_action,
)
from latticeml.fixedpoint.dataset import fixed_point_targets
from latticeml.fixedpoint.instanton import (
    WILSON_DEFICIT,
    continuum_fraction,
    instanton_links,
    wilson_action_in_units,
    wilson_action_within,
)
from latticeml.fixedpoint.minimise import (
    FixedPointValue,
    MinimiseParams,
    algebra_gradient,
    fine_scale,
    fixed_point_value,
    unblock,
    wilson_units,
)
from latticeml.fixedpoint.report import CHECK_COLUMNS, ActionCheckParams, check_action_model

__all__ = ["WILSON_DEFICIT", "continuum_fraction", "instanton_links", "wilson_action_in_units",
           "wilson_action_within", "Blocking", "blocked_links", "fat_links", "group_max",
           "kernel", "FixedPointValue", "MinimiseParams", "algebra_gradient", "fine_scale",
           "fixed_point_value", "unblock", "wilson_units", "fixed_point_targets", "Residual",
           "ForceCheck", "fixed_point_residual", "pure_gauge_action", "smallest_action",
           "instanton_action", "force_check", "model_action", "model_density",
           "ActionCheckParams", "check_action_model", "CHECK_COLUMNS"]
