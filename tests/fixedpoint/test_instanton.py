"""Discretised BPST instantons: the Wilson action's known deficit below 8 pi^2 (issue 28's
scale-invariance test, here for the reference action)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from latticeml.fixedpoint import (
    WILSON_DEFICIT,
    continuum_fraction,
    instanton_links,
    wilson_action_in_units,
    wilson_action_within,
)
from latticeml.observables.topology import topological_charge
from latticeml.observables.wilson import unitarity_violation


def _expected(rho):
    return 1 - WILSON_DEFICIT[0] / rho**2 - WILSON_DEFICIT[1] / rho**4


def test_continuum_fraction():
    assert continuum_fraction(1e6, 2.0) == pytest.approx(1.0, abs=1e-9)
    assert continuum_fraction(2.0, 2.0) == pytest.approx(0.5)  # half the action within rho
    r = np.linspace(0.01, 30, 30001)  # integral of rho^4 r^3 / (r^2 + rho^2)^4, normalised
    dens = r**3 / (r**2 + 4) ** 4
    cum = np.cumsum(dens) / np.sum(dens) * continuum_fraction(30, 2.0)
    assert abs(cum[np.searchsorted(r, 5.0)] - continuum_fraction(5.0, 2.0)) < 1e-3


@pytest.mark.parametrize("n_colors", [2, 3])
def test_the_wilson_action_of_an_instanton_has_the_known_deficit(n_colors):
    """12^4, rho = 2: S_W within radius 5 over the continuum action there is
    1 - (a/rho)^2 / 5 - (a/rho)^4 / 70 = 0.949 to 0.5 %; the same field in SU(3)."""
    u = instanton_links((12,) * 4, 2.0, n_colors=n_colors, substeps=8)
    assert max(unitarity_violation(u.reshape(-1, n_colors, n_colors))) < 1e-12
    ratio = wilson_action_within(u, 5.0) / continuum_fraction(5.0, 2.0)
    assert abs(ratio - _expected(2.0)) < 0.005, ratio
    assert float(topological_charge(u)) > 0.75  # one instanton (the boundary costs ~0.2)
    # control: the whole periodic lattice carries the jump at the boundary, well above 8 pi^2
    assert wilson_action_in_units(u) > ratio + 0.05


@pytest.mark.slow
def test_the_deficit_shrinks_as_rho_squared():
    """16^4, rho = 2 and 3: the deficits within radius 6 are in the ratio (3/2)^2, and each
    agrees with the expansion to 0.3 %."""
    deficits = []
    for rho in (2.0, 3.0):
        u = instanton_links((16,) * 4, rho, substeps=8)
        ratio = wilson_action_within(u, 6.0) / continuum_fraction(6.0, rho)
        assert abs(ratio - _expected(rho)) < 0.003, (rho, ratio)
        deficits.append(1 - ratio)
    assert deficits[0] / deficits[1] == pytest.approx((3 / 2) ** 2, rel=0.15)
    assert math.isfinite(deficits[0])
