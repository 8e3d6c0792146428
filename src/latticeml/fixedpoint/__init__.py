"""The renormalisation-group fixed-point action (issue 28): first the test bed.

* :mod:`latticeml.fixedpoint.instanton` -- discretised BPST instantons and the Wilson action's
  deficit below ``8 pi^2``, the scale-invariance test a classically perfect action must pass.
"""

from latticeml.fixedpoint.instanton import (
    WILSON_DEFICIT,
    continuum_fraction,
    instanton_links,
    wilson_action_in_units,
    wilson_action_within,
)

__all__ = ["WILSON_DEFICIT", "continuum_fraction", "instanton_links", "wilson_action_in_units",
           "wilson_action_within"]
