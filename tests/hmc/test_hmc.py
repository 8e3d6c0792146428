"""Hybrid Monte Carlo: forces, reversibility, energy error, <exp(-dH)> = 1, the 2D plaquette."""

from __future__ import annotations

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
from tests.gauge import reference as ref


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


@pytest.mark.slow
def test_wilson_hmc_reproduces_the_exact_2d_su2_plaquette():
    beta = 2.0
    plaq, _, acc, _ = _chain(beta, 2, (8, 8), 400, seed=13)
    res = gamma_analysis(plaq[50:])
    dev = (res.mean - ref.u_su2(beta)) / res.error
    assert abs(dev) < 4, (res.mean, res.error, ref.u_su2(beta))
    assert acc.mean() > 0.8
