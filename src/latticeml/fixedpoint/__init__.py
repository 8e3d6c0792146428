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
  fixed-point data, one table (``latticeml model check-action``; its parameters,
  :mod:`latticeml.fixedpoint.params`, load without torch).
"""

from latticeml.fixedpoint.params import CHECK_COLUMNS, ActionCheckParams

# torch is imported when one of these is first used, so that the command line (built from
# ActionCheckParams) loads without it
_LAZY = {
    **dict.fromkeys(("WILSON_DEFICIT", "continuum_fraction", "instanton_links",
                     "wilson_action_in_units", "wilson_action_within"),
                    "latticeml.fixedpoint.instanton"),
    **dict.fromkeys(("Blocking", "blocked_links", "fat_links", "group_max", "kernel"),
                    "latticeml.fixedpoint.blocking"),
    **dict.fromkeys(("FixedPointValue", "MinimiseParams", "algebra_gradient", "fine_scale",
                     "fixed_point_value", "unblock", "wilson_units"),
                    "latticeml.fixedpoint.minimise"),
    "fixed_point_targets": "latticeml.fixedpoint.dataset",
    **dict.fromkeys(("Residual", "ForceCheck", "fixed_point_residual", "pure_gauge_action",
                     "smallest_action", "instanton_action", "force_check", "model_action",
                     "model_density"), "latticeml.fixedpoint.checks"),
    "check_action_model": "latticeml.fixedpoint.report",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'latticeml.fixedpoint' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = ["ActionCheckParams", "CHECK_COLUMNS", *_LAZY]
