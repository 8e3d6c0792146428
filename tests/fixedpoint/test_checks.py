"""The checks of a learned fixed-point action (issue 28, item 3), each with an action that fails it.

Known answers: the Wilson action written as an action model (exact), the Wilson and tree-level
Symanzik actions of discretised instantons (García Pérez et al. 1994:
``S / 8 pi^2 = 1 - eps (a/rho)^2 / 5 + (14 eps - 17) (a/rho)^4 / 210``, eps = 1 Wilson, 0
Symanzik).
"""

from __future__ import annotations

import math

import pytest
import torch

from latticeml.errors import ParameterError
from latticeml.fixedpoint import (
    Blocking,
    MinimiseParams,
    fixed_point_value,
    instanton_links,
    wilson_action_within,
    wilson_units,
)
from latticeml.fixedpoint.checks import (
    fixed_point_residual,
    force_check,
    instanton_action,
    model_action,
    model_density,
    pure_gauge_action,
    smallest_action,
)
from latticeml.gauge import ChainParams, GaugeChain
from latticeml.hmc.actions import plaquette_traces, rectangle_traces
from latticeml.nn import build_model, wilson_action_lcnn
from latticeml.testing import random_links

BLOCK_2D = Blocking(0.05, 4.0)


def _heatbath(shape, beta, seed=3):
    chain = GaugeChain.from_params(ChainParams(group="su2", shape=shape, beta=beta, seed=seed,
                                               threads=1))
    chain.advance(40)
    return torch.from_numpy(chain.links.copy())


def _wave(length, eps):
    """An abelian SU(2) plane wave in 2D: U_1(x) = exp(i eps sin(2 pi x_0 / L) sigma_3)."""
    a1 = eps * torch.sin(2 * math.pi * torch.arange(length, dtype=torch.float64) / length)
    links = torch.zeros(length, length, 2, 2, 2, dtype=torch.complex128)
    links[..., 0, 0, 0] = links[..., 0, 1, 1] = 1
    links[..., 1, 0, 0] = torch.exp(1j * a1)[:, None]
    links[..., 1, 1, 1] = torch.exp(-1j * a1)[:, None]
    return links


def _symanzik_density(u):
    c1 = -1.0 / 12.0
    return (1 - 8 * c1) * (1 - plaquette_traces(u)).sum(0) + c1 * (1 - rectangle_traces(u)).sum(0)


def test_the_residual_is_the_fixed_point_equation_and_the_wilson_action_fails_it():
    v = _heatbath((4, 4), 2.0)
    params = MinimiseParams(tol=1e-7)
    r = fixed_point_residual(wilson_units, v, BLOCK_2D, params)
    assert r.converged
    assert r.action == pytest.approx(float(wilson_units(v)), rel=1e-14)
    assert r.minimum == pytest.approx(fixed_point_value(v, wilson_units, BLOCK_2D, params).value,
                                      rel=1e-12)
    # negative control: the Wilson action is far from the fixed point on rough fields
    assert r.relative > 0.1, r


def test_the_wilson_residual_is_a_lattice_artefact_on_smooth_fields():
    """On smooth fields both sides approach the continuum action: the Wilson action's relative
    residual falls about fourfold when the wavelength doubles (O(a^2))."""
    rel = {}
    for length in (16, 32):
        r = fixed_point_residual(wilson_units, _wave(length, 0.05), BLOCK_2D,
                                 MinimiseParams(tol=1e-9))
        assert r.converged
        rel[length] = r.relative
        assert 0 < rel[length] < 0.2
    assert 3.0 < rel[16] / rel[32] < 5.0, rel


def test_pure_gauge_fields_have_zero_action_and_a_constant_offset_fails():
    torch.manual_seed(2)
    lcnn = model_action(build_model({"kind": "action", "dim": 2, "group": "su2",
                                     "channels": [3, 2], "kernel_sizes": [2, 2],
                                     "dtype": "float64"}))
    rough = abs(float(lcnn(random_links(1, (4, 6), 2, generator=torch.Generator().manual_seed(
        1))[0])))
    assert pure_gauge_action(lcnn, (4, 6), 2) < 1e-12 * max(rough, 1.0)

    def offset(u):  # not zero on the vacuum
        return wilson_units(u) + 0.5

    assert pure_gauge_action(offset, (4, 6), 2) == pytest.approx(0.5)
    with pytest.raises(ParameterError, match="samples"):
        pure_gauge_action(offset, (4, 6), 2, samples=0)


def test_positivity_is_checked_and_a_negative_action_fails():
    links = random_links(3, (4, 4), 2, generator=torch.Generator().manual_seed(3))
    assert smallest_action(wilson_units, links) > 0
    assert smallest_action(lambda u: -wilson_units(u), links) < 0


def test_forces_equal_finite_differences_and_a_wrong_gradient_fails():
    torch.manual_seed(4)
    lcnn = model_action(build_model({"kind": "action", "dim": 4, "group": "su3",
                                     "channels": [2, 2], "kernel_sizes": [2, 1],
                                     "dtype": "float64"}))
    u = random_links(1, (2, 2, 2, 2), 3, generator=torch.Generator().manual_seed(5))[0]
    ok = force_check(lcnn, u)
    assert ok.worst < 1e-7 * max(ok.scale, 1.0), ok

    def wrong(w):  # value of the Wilson action, gradient three times its gradient
        a = wilson_units(w)
        return a + 2 * (a - a.detach())

    bad = force_check(wrong, u)
    assert bad.worst > 0.5 * bad.scale, bad


def test_the_density_of_an_action_model_sums_to_its_action():
    model = wilson_action_lcnn(2, 2)
    u = random_links(1, (4, 6), 2, generator=torch.Generator().manual_seed(6))[0]
    dens = model_density(model)(u)
    assert dens.shape == (4, 6)
    torch.testing.assert_close(dens.sum(), model_action(model)(u), rtol=1e-13, atol=1e-12)
    torch.testing.assert_close(dens, (1 - plaquette_traces(u)).sum(0), rtol=0, atol=1e-13)


def test_instantons_the_wilson_action_falls_below_8_pi_squared_and_symanzik_does_not():
    """12^4, rho = 2: the Wilson model's ball ratio equals the plaquette count's (to 0.2 %: the
    density sits at the hypercube centre, a plaquette at its own) and the
    expansion's 0.949; the Symanzik action is within 1 % of 8 pi^2 (1 - 17/210 / rho^4) --
    the 1 % criterion of a classically perfect action, which Wilson fails."""
    shape, rho = (12, 12, 12, 12), 2.0
    wilson = instanton_action(model_density(wilson_action_lcnn(4, 2)), shape, rho, substeps=8)
    links = instanton_links(shape, rho, substeps=8)
    radius = 0.4 * 12
    from latticeml.fixedpoint import continuum_fraction

    by_plaquettes = wilson_action_within(links, radius) / continuum_fraction(radius, rho)
    assert wilson == pytest.approx(by_plaquettes, rel=2e-3)  # placement: site vs plaquette
    assert wilson == pytest.approx(1 - 1 / 5 / rho**2 - 3 / 210 / rho**4, abs=5e-3)
    assert abs(wilson - 1) > 0.01  # fails the classically perfect criterion
    symanzik = instanton_action(_symanzik_density, shape, rho, substeps=8)
    assert symanzik == pytest.approx(1 - 17 / 210 / rho**4, abs=3e-3)
    assert abs(symanzik - 1) < 0.01
    # SU(3), the instanton embedded: the same number (g^2 S = 2N A for every N)
    su3 = instanton_action(model_density(wilson_action_lcnn(4, 3)), shape, rho, n_colors=3,
                           substeps=8)
    assert su3 == pytest.approx(wilson, rel=1e-10)
