"""Hybrid Monte Carlo: forces, reversibility, energy error, <exp(-dH)> = 1, the 2D plaquette."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from latticeml.hmc import (
    INTEGRATORS,
    WilsonAction,
    exp_algebra,
    force,
    generators,
    hmc_trajectory,
    kinetic_energy,
    plaquette_traces,
    random_momenta,
    traceless_antihermitian,
)
from latticeml.io._layout import project_su_n
from latticeml.observables.autocorr import gamma_analysis


def _smooth(shape, n, seed=0, eps=0.3):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(*shape, len(shape), n, n)) + 1j * rng.normal(
        size=(*shape, len(shape), n, n))
    return torch.tensor(project_su_n(np.eye(n) + eps * z))


@pytest.mark.parametrize("n", [2, 3])
def test_generators_and_momenta(n):
    t = generators(n)
    gram = torch.einsum("aij,bji->ab", t, t)
    torch.testing.assert_close(gram, -0.5 * torch.eye(n * n - 1, dtype=t.dtype))
    torch.testing.assert_close(traceless_antihermitian(t), t)
    p = random_momenta((4000,), n, torch.Generator().manual_seed(1))
    # K = (1/2) sum p_a^2: mean (N^2 - 1)/2 per matrix
    k = kinetic_energy(p) / 4000
    assert abs(float(k) - (n * n - 1) / 2) < 0.1
    u = exp_algebra(p[:10])
    torch.testing.assert_close(u @ u.mH, torch.eye(n, dtype=u.dtype).expand(10, n, n))
    torch.testing.assert_close(torch.linalg.det(u), torch.ones(10, dtype=u.dtype))


@pytest.mark.parametrize("shape, n", [((4, 4), 2), ((4, 4), 3), ((2, 2, 2, 2), 3)])
def test_autograd_force_equals_finite_differences(shape, n):
    action = WilsonAction(2.3)
    u = _smooth(shape, n, seed=1)
    f = force(action, u)
    x = traceless_antihermitian(torch.tensor(np.random.default_rng(2).normal(
        size=(n, n)) * (1 + 1j)))
    site = (1,) * len(shape) + (len(shape) - 1,)
    eps = 1e-5

    def moved(e):
        v = u.clone()
        v[site] = exp_algebra(e * x) @ u[site]
        return float(action(v))

    fd = (moved(eps) - moved(-eps)) / (2 * eps)
    # dS along dU = X U is Tr(X TA(U G^dagger)) = 2 Tr(X F)
    exact = 2 * float(torch.einsum("ij,ji->", x, f[site]).real)
    assert abs(fd - exact) < 1e-8 * max(1.0, abs(exact))


@pytest.mark.parametrize("integrator", sorted(INTEGRATORS))
def test_integrators_are_reversible(integrator):
    action = WilsonAction(2.0)
    u = _smooth((4, 4), 2, seed=3)
    p = random_momenta(u.shape[:-2], 2, torch.Generator().manual_seed(4))
    u1, p1 = INTEGRATORS[integrator](action, u, p, 0.1, 10)
    u2, p2 = INTEGRATORS[integrator](action, u1, -p1, 0.1, 10)
    assert float((u2 - u).abs().max()) < 1e-12 and float((p2 + p).abs().max()) < 1e-12
    assert float((u1 - u).abs().max()) > 0.01  # it moved


def _dh(integrator, steps, seed=5):
    u = _smooth((4, 4), 2, seed=0)
    t = hmc_trajectory(WilsonAction(2.0), u, length=1.0, steps=steps, integrator=integrator,
                       generator=torch.Generator().manual_seed(seed))
    return abs(t.delta_h)


@pytest.mark.parametrize("integrator, order", [("leapfrog", 2), ("omelyan", 2),
                                                ("forest_ruth", 4)])
def test_energy_error_falls_with_the_order_of_the_integrator(integrator, order):
    ratios = [_dh(integrator, s) / _dh(integrator, 2 * s) for s in (8, 16)]
    for r in ratios:
        assert 2 ** order * 0.8 < r < 2 ** order * 1.25, ratios


def test_omelyan_has_a_much_smaller_error_than_leapfrog():
    assert _dh("omelyan", 10) < _dh("leapfrog", 10) / 5


def _chain(beta, n, shape, n_traj, seed, steps=8, length=1.0, integrator="omelyan"):
    action = WilsonAction(beta)
    u = torch.eye(n, dtype=torch.complex128).expand(*shape, len(shape), n, n).clone()  # cold
    gen = torch.Generator().manual_seed(seed)
    plaq, dh, acc = [], [], []
    for _ in range(n_traj):
        t = hmc_trajectory(action, u, length=length, steps=steps, integrator=integrator,
                           generator=gen)
        u = t.links
        dh.append(t.delta_h)
        acc.append(t.accepted)
        plaq.append(float(plaquette_traces(u).mean()))
    return np.array(plaq), np.array(dh), np.array(acc), u


def test_exp_minus_dh_averages_to_one():
    _, dh, acc, _ = _chain(2.0, 2, (6, 6), 150, seed=7, steps=3, integrator="leapfrog")
    w = np.exp(-dh[20:])
    err = w.std() / math.sqrt(w.size)
    assert abs(w.mean() - 1.0) < 4 * err + 1e-3, (w.mean(), err)
    assert 0.3 < acc.mean() < 0.98  # large enough |dH| for the test to say something


def test_same_seed_same_bytes():
    a = _chain(2.0, 2, (4, 4), 5, seed=11)[3]
    b = _chain(2.0, 2, (4, 4), 5, seed=11)[3]
    assert a.numpy().tobytes() == b.numpy().tobytes()


# The exact 2D SU(2) plaquette of Wilson-action HMC: tests/hmc/test_generate_hmc.py, through
# the generator (the same hmc_trajectory and WilsonAction).


@pytest.mark.parametrize("shape, n", [((4, 6), 2), ((4, 2, 6), 3)])
def test_rectangles_against_walked_loops(shape, n):
    from latticeml.hmc import rectangle_traces
    from tests.hmc import reference as twin

    u = _smooth(shape, n, seed=8, eps=1.0)
    np.testing.assert_allclose(rectangle_traces(u).numpy(), twin.rectangles(u.numpy()),
                               rtol=0, atol=1e-13)


@pytest.mark.parametrize("name", ["symanzik", "iwasaki", "dbw2"])
def test_improved_action_forces_and_reversibility(name):
    from latticeml.hmc import make_action

    action = make_action(name, 2.0)
    u = _smooth((4, 4), 3, seed=9)
    x = traceless_antihermitian(torch.tensor(np.random.default_rng(3).normal(
        size=(3, 3)) * (1 - 1j)))
    site = (2, 1, 0)
    f = force(action, u)
    eps = 1e-5

    def moved(e):
        v = u.clone()
        v[site] = exp_algebra(e * x) @ u[site]
        return float(action(v))

    fd = (moved(eps) - moved(-eps)) / (2 * eps)
    assert abs(fd - 2 * float(torch.einsum("ij,ji->", x, f[site]).real)) < 1e-8
    p = random_momenta(u.shape[:-2], 3, torch.Generator().manual_seed(2))
    u1, p1 = INTEGRATORS["omelyan"](action, u, p, 0.1, 5)
    u2, _ = INTEGRATORS["omelyan"](action, u1, -p1, 0.1, 5)
    assert float((u2 - u).abs().max()) < 1e-12


def test_gauge_invariance_of_the_actions():
    """Negative control included: an untraced product is not gauge invariant."""
    from latticeml.gauge.transform import gauge_transform, haar_gauge_transformation
    from latticeml.hmc import make_action

    u = _smooth((4, 4), 2, seed=10, eps=1.0)
    omega = haar_gauge_transformation(np.random.default_rng(4), (4, 4), 2)
    v = torch.tensor(gauge_transform(u.numpy(), omega))
    for name in ("wilson", "symanzik", "dbw2"):
        a = make_action(name, 1.7)
        assert abs(float(a(u)) - float(a(v))) < 1e-11
    assert float((u[..., 0, :, :] @ u[..., 1, :, :] - v[..., 0, :, :] @ v[..., 1, :, :])
                 .abs().max()) > 0.1


@pytest.mark.slow
def test_improved_action_hmc_agrees_with_a_local_metropolis():
    """The same improved action sampled by HMC and by a slow local Metropolis (4x4, SU(2))."""
    from latticeml.hmc import make_action, plaquette_traces

    action = make_action("symanzik", 1.5)
    gen = torch.Generator().manual_seed(31)
    cold = torch.eye(2, dtype=torch.complex128).expand(4, 4, 2, 2, 2).clone()
    u, hmc_plaq = cold, []
    for _ in range(400):
        u = hmc_trajectory(action, u, length=1.0, steps=6, integrator="omelyan",
                           generator=gen).links
        hmc_plaq.append(float(plaquette_traces(u).mean()))
    # local Metropolis: U -> exp(X) U with X and -X equally likely (a symmetric proposal)
    rng = np.random.default_rng(32)
    t = generators(2)
    v, met_plaq = cold.clone(), []
    s_old = float(action(v))
    for _ in range(400):
        for site in itertools.product(range(4), range(4), range(2)):
            x = torch.einsum("a,aij->ij", torch.tensor(rng.normal(size=3) * 0.8,
                                                       dtype=torch.complex128), t)
            prop = v.clone()
            prop[site] = exp_algebra(x) @ v[site]
            s_new = float(action(prop))
            if rng.uniform() < math.exp(min(0.0, s_old - s_new)):
                v, s_old = prop, s_new
        met_plaq.append(float(plaquette_traces(v).mean()))
    a = gamma_analysis(np.array(hmc_plaq[60:]))
    b = gamma_analysis(np.array(met_plaq[60:]))
    assert abs(a.mean - b.mean) < 4 * math.hypot(a.error, b.error), (a, b)


def test_an_lcnn_is_an_action_with_exact_forces_and_reversible_dynamics():
    """A gauge-invariant L-CNN (random weights, float64) as the action of HMC."""
    from latticeml.gauge.transform import gauge_transform, haar_gauge_transformation
    from latticeml.hmc import ModelAction
    from latticeml.nn import build_model

    torch.manual_seed(5)
    action = ModelAction(build_model({"preset": "W2x2-small", "dtype": "float64"}), scale=3.0)
    u = _smooth((4, 4), 2, seed=12)
    omega = haar_gauge_transformation(np.random.default_rng(6), (4, 4), 2)
    v = torch.tensor(gauge_transform(u.numpy(), omega))
    assert abs(float(action(u)) - float(action(v))) < 1e-10
    f = force(action, u)
    x = traceless_antihermitian(torch.tensor(np.random.default_rng(7).normal(
        size=(2, 2)) * (1 + 1j)))
    site = (3, 2, 1)
    eps = 1e-5

    def moved(e):
        w = u.clone()
        w[site] = exp_algebra(e * x) @ u[site]
        return float(action(w))

    fd = (moved(eps) - moved(-eps)) / (2 * eps)
    assert abs(fd - 2 * float(torch.einsum("ij,ji->", x, f[site]).real)) < 1e-8
    p = random_momenta(u.shape[:-2], 2, torch.Generator().manual_seed(8))
    u1, p1 = INTEGRATORS["leapfrog"](action, u, p, 0.05, 6)
    u2, _ = INTEGRATORS["leapfrog"](action, u1, -p1, 0.05, 6)
    assert float((u2 - u).abs().max()) < 1e-12


@pytest.mark.parametrize("shape, n", [((4, 6), 2), ((4, 2, 2, 6), 3)])
def test_the_staple_force_is_the_autograd_force(shape, n):
    """Three routes to the Wilson force: the Numba kernel (complex128 on the CPU), the torch
    staples (other devices and precisions: run here on complex64) and autograd."""
    from latticeml.hmc import autograd_force

    action = WilsonAction(2.3)
    u = _smooth(shape, n, seed=14, eps=0.7)
    torch.testing.assert_close(action.force(u), autograd_force(action, u), rtol=0, atol=1e-13)
    torch.testing.assert_close(action.force(u.to(torch.complex64)).to(torch.complex128),
                               action.force(u), rtol=0, atol=1e-5)


@pytest.mark.parametrize("shape, n", [((4, 6), 2), ((2, 2, 4, 2), 3)])
def test_the_numba_drift_is_the_torch_drift(shape, n):
    from latticeml.hmc.algebra import exp_algebra, random_momenta
    from latticeml.hmc.integrators import _drift

    u = _smooth(shape, n, seed=15, eps=0.7)
    p = random_momenta(u.shape[:-2], n, torch.Generator().manual_seed(3), u.dtype, u.device)
    for dt in (1e-9, 0.05, 0.7):
        torch.testing.assert_close(_drift(u, p, dt), exp_algebra(dt * p) @ u, rtol=0,
                                   atol=1e-13)


def test_a_model_that_is_not_gauge_invariant_is_refused_as_an_action():
    from latticeml.errors import ParameterError
    from latticeml.hmc import ModelAction
    from latticeml.nn import build_model

    class LinkEntry(torch.nn.Module):  # Re U_0(x)_00: not gauge invariant
        def forward(self, links):
            return links[..., 0, 0, 0].real

    u = _smooth((4, 4), 2, seed=20)
    with pytest.raises(ParameterError, match="gauge-invariant"):
        ModelAction(LinkEntry())(u)
    torch.manual_seed(5)  # control: an L-CNN passes the same check
    lcnn = ModelAction(build_model({"preset": "W2x2-small", "dtype": "float64"}))
    assert torch.isfinite(lcnn(u))


def test_an_unstable_integration_is_a_rejection_not_a_nan():
    from latticeml.hmc import hmc_trajectory

    class BlowsUp(torch.nn.Module):  # finite at the start, NaN once the links move
        def __init__(self, start):
            super().__init__()
            self.start = start

        def forward(self, links):
            moved = (links - self.start).abs().max()
            return torch.where(moved > 0, torch.tensor(float("nan"), dtype=torch.float64),
                               WilsonAction(2.0)(links))

        def force(self, links):
            return WilsonAction(2.0).force(links)

    u = _smooth((4, 4), 2, seed=21)
    t = hmc_trajectory(BlowsUp(u), u, length=1.0, steps=4, integrator="leapfrog",
                       generator=torch.Generator().manual_seed(1))
    assert t.delta_h == math.inf and not t.accepted and torch.equal(t.links, u)
