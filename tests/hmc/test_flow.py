"""The Wilson flow: pure gauge stays pure gauge, the action falls, RK3 order, covariance,
the Numba kernels against their torch twin, the charge of smooth fields."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latticeml.gauge.transform import gauge_transform, haar_gauge_transformation
from latticeml.hmc import (
    energy_clover,
    energy_plaquette,
    flow_step,
    plaquette_traces,
    scale_t0,
    scale_w0,
    wilson_flow,
)
from latticeml.io._layout import project_su_n


def _rough(shape, n, seed, eps=0.5):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(*shape, len(shape), n, n)) + 1j * rng.normal(
        size=(*shape, len(shape), n, n))
    return torch.tensor(project_su_n(np.eye(n) + eps * z))


def test_a_pure_gauge_stays_pure_gauge():
    omega = haar_gauge_transformation(np.random.default_rng(1), (4, 4, 4, 4), 3)
    unit = np.broadcast_to(np.eye(3, dtype=complex), (4, 4, 4, 4, 4, 3, 3))
    res = wilson_flow(torch.tensor(gauge_transform(unit, omega)), 0.5, 0.05)
    assert np.abs(res.e_plaquette).max() < 1e-12 and np.abs(res.e_clover).max() < 1e-12
    assert float((1 - plaquette_traces(res.links)).abs().max()) < 1e-12


def test_the_flow_lowers_the_action_and_smooths():
    res = wilson_flow(_rough((4, 4, 4, 4), 2, seed=2), 1.0, 0.02, every=5)
    assert np.all(np.diff(res.e_plaquette) < 0)
    assert res.e_plaquette[-1] < 0.2 * res.e_plaquette[0]
    # the two estimators of E approach each other as the field becomes smooth
    gap = np.abs(res.e_plaquette - res.e_clover) / res.e_plaquette
    assert gap[-1] < 0.8 * gap[0]


def test_rk3_is_third_order():
    u = _rough((4, 4), 3, seed=3)

    def flowed(eps, t=0.4):
        v = u
        for _ in range(int(round(t / eps))):
            v = flow_step(v, eps)
        return v

    a, b, c = flowed(0.1), flowed(0.05), flowed(0.025)
    ratio = float((a - b).abs().max()) / float((b - c).abs().max())
    assert 6 < ratio < 11, ratio


def test_the_flow_is_gauge_covariant():
    """flow(Omega U) = Omega flow(U); a local non-gauge change is not undone (control)."""
    u = _rough((4, 4, 4, 4), 2, seed=4)
    omega = haar_gauge_transformation(np.random.default_rng(5), (4, 4, 4, 4), 2)
    v = torch.tensor(gauge_transform(u.numpy(), omega))
    fu = wilson_flow(u, 0.2, 0.05).links.numpy()
    fv = wilson_flow(v, 0.2, 0.05).links.numpy()
    np.testing.assert_allclose(gauge_transform(fu, omega), fv, atol=1e-12, rtol=0)
    w = u.clone()
    w[0, 0, 0, 0, 0] = w[0, 0, 0, 0, 0] @ torch.tensor(project_su_n(np.eye(2) + 0.3j))
    assert abs(energy_plaquette(w) - energy_plaquette(u)) > 1e-3


def test_smooth_field_estimators_agree_to_lattice_artefacts():
    from latticeml.hmc import generators

    lat = 8
    x = np.indices((lat,) * 4).astype(float)
    t3 = generators(3)[2].numpy()
    links = np.zeros((lat,) * 4 + (4, 3, 3), complex)
    for mu, amp in ((1, 0.3), (2, 0.2)):
        a = amp * np.sin(2 * np.pi * x[0 if mu == 1 else 3] / lat)
        links[..., mu, :, :] = torch.linalg.matrix_exp(torch.tensor(2 * a[..., None, None]
                                                                    * t3)).numpy()
    for mu in (0, 3):
        links[..., mu, :, :] = np.eye(3)
    u = torch.tensor(links)
    e_p, e_c = energy_plaquette(u), energy_clover(u)
    assert e_p > 0 and abs(e_p - e_c) < 0.25 * e_p


@pytest.mark.parametrize("slope", [0.05, 0.1])
def test_scales_on_known_curves(slope):
    t = np.linspace(0.01, 10, 500)
    e = slope / t  # t^2 E = slope t: t0 = 0.3 / slope, and t d(t^2 E)/dt = slope t as well
    assert abs(scale_t0(t, e) - 0.3 / slope) < 1e-9
    assert abs(scale_w0(t, e) - (0.3 / slope) ** 0.5) < 1e-6
    assert np.isnan(scale_t0(t, e * 1e-3))  # never reaches 0.3


def test_flow_of_an_ensemble_file(tmp_path, capsys):
    import pandas as pd

    from latticeml.cli import main

    ens = tmp_path / "g.h5"
    assert main(["gauge", "generate", "--group", "su2", "--shape", "4,4,4,4", "--beta", "2.5",
                 "--n-configs", "2", "--n-therm", "5", "--n-skip", "1", "--seed", "3",
                 "--threads", "1", "--no-progress", "--out", str(ens)]) == 0
    out = tmp_path / "flow.csv"
    assert main(["gauge", "flow", str(ens), "--t-max", "0.6", "--eps", "0.05", "--every", "4",
                 "--no-progress", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert sorted(table["config"].unique()) == [0, 1]
    assert len(table) == 2 * 4  # t = 0, 0.2, 0.4, 0.6
    for _, g in table.groupby("config"):
        assert (np.diff(g["e_plaquette"]) < 0).all() and g["charge"].notna().all()
    capsys.readouterr()
    assert main(["gauge", "flow", str(ens), "--t-max", "0.6", "--eps", "1.0", "--out",
                 str(tmp_path / "x.csv"), "--no-progress"]) == 2
    assert "--eps" in capsys.readouterr().err


@pytest.mark.parametrize("n, shape", [(2, (4, 4, 4, 4)), (3, (4, 2, 4, 2)), (3, (6, 4)),
                                      (2, (8, 8))])
def test_numba_flow_is_the_torch_flow(n, shape):
    u = _rough(shape, n, seed=n + len(shape), eps=0.6)
    a = wilson_flow(u, 0.3, 0.05, every=2)
    b = wilson_flow(u, 0.3, 0.05, every=2, backend="torch")
    np.testing.assert_allclose(a.links.numpy(), b.links.numpy(), rtol=0, atol=1e-13)
    np.testing.assert_allclose(a.e_plaquette, b.e_plaquette, rtol=1e-12)
    assert a.e_plaquette[-1] < 0.8 * a.e_plaquette[0]  # it flowed


@pytest.mark.parametrize("n", [2, 3])
def test_exponential_kernel_is_matrix_exp(n):
    from latticeml.hmc._flow_kernels import exp_algebra

    rng = np.random.default_rng(n)
    z = rng.normal(size=(40, n, n)) + 1j * rng.normal(size=(40, n, n))
    x = 0.5 * (z - np.conj(np.swapaxes(z, -1, -2)))
    x -= np.eye(n) * (np.trace(x, axis1=1, axis2=2) / n)[:, None, None]
    x[0] = 0  # the exact zero, where the closed forms divide 0 by 0
    x[1, 0, 0] = x[1, 1, 1] = 0  # degenerate eigenvalues
    if n == 3:
        x[1, 2, 2] = 0
    for scale in (1e-13, 1e-5, 0.02, 0.5, 3.0):
        out = np.empty_like(x)
        exp_algebra(scale * x, out)
        want = torch.linalg.matrix_exp(torch.from_numpy(scale * x)).numpy()
        np.testing.assert_allclose(out, want, rtol=0, atol=1e-14 * max(1.0, scale))


def _flux_field(lat, n01, n23, n):
    """Abelian constant field strengths with n01 and n23 flux quanta in the planes (0, 1) and
    (2, 3), embedded as diag(e^{i phi}, e^{-i phi}, 1): a classical solution of charge
    2 n01 n23 (up to lattice artefacts of order 1/L^2)."""
    shape = (lat,) * 4
    x = np.indices(shape).astype(float)
    phase = np.zeros((*shape, 4))
    for (a, b), k in (((0, 1), n01), ((2, 3), n23)):
        f = 2 * np.pi * k / lat**2
        phase[..., b] += f * x[a]
        phase[..., a] += np.where(x[a] == lat - 1, -f * lat * x[b], 0.0)
    u = np.zeros((*shape, 4, n, n), complex)
    u[..., 0, 0], u[..., 1, 1] = np.exp(1j * phase), np.exp(-1j * phase)
    if n == 3:
        u[..., 2, 2] = 1
    return u


@pytest.mark.parametrize("n", [2, 3])
def test_flowed_charge_is_integer_near(n):
    """A charge-2 smooth field made rough flows back to Q = 2; the zero-flux field has Q = 0."""
    from latticeml.observables.topology import topological_charge

    smooth = _flux_field(8, 1, 1, n)
    q_smooth = float(topological_charge(smooth))
    assert abs(q_smooth - 2) < 0.01 and abs(float(topological_charge(_flux_field(8, 0, 1, n)))) \
        < 1e-12
    rng = np.random.default_rng(n)
    z = rng.normal(size=smooth.shape) + 1j * rng.normal(size=smooth.shape)
    rough = project_su_n(np.eye(n) + 0.25 * z) @ smooth
    res = wilson_flow(rough, 1.0, 0.05, every=20)
    assert abs(res.charge[0] - 2) > 0.4  # the noise moved Q away from the integer ...
    assert abs(res.charge[-1] - 2) < 0.05  # ... and the flow brings it back
    still = wilson_flow(smooth, 0.5, 0.05, every=10)  # a classical solution does not flow
    np.testing.assert_allclose(still.charge, q_smooth, atol=1e-12)


@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_a_small_transverse_mode_decays_as_the_heat_equation(backend):
    """Lüscher's normalisation of the flow time: for small fields dB/dt = D_nu G_nu_mu, so an
    abelian transverse mode A_1(x) = a sin(k x_0) decays as exp(-khat^2 t), khat^2 = 4
    sin^2(k/2). (A flow twice too slow gives exp(-khat^2 t / 2): 0.864 here instead of 0.746.)"""
    lat, n, t = 8, 3, 0.5
    k = 2 * np.pi / lat
    a = 1e-3 * np.sin(k * np.indices((lat,) * 4)[0])
    u = np.broadcast_to(np.eye(n, dtype=complex), (lat,) * 4 + (4, n, n)).copy()
    u[..., 1, 0, 0], u[..., 1, 1, 1] = np.exp(1j * a), np.exp(-1j * a)
    flowed = wilson_flow(u, t, 0.01, every=50, backend=backend).links.numpy()
    ratio = np.sqrt(np.mean(np.angle(flowed[..., 1, 0, 0]) ** 2) / np.mean(a**2))
    assert ratio == pytest.approx(np.exp(-4 * np.sin(k / 2) ** 2 * t), rel=1e-5)


@pytest.mark.parametrize("n, shape", [(3, (4, 2, 4, 2)), (2, (2, 4, 2, 4)), (3, (6, 4))])
def test_flow_and_energies_equal_their_written_out_twins(n, shape):
    """The flow, E from the plaquette and E from the clover, each against a slow twin written
    from Lüscher's definitions (staples by np.roll, leaves walked link by link)."""
    from tests.hmc import reference

    u = _rough(shape, n, seed=7 * n + len(shape), eps=0.6).numpy()
    flowed = wilson_flow(u, 0.2, 0.05, every=4)
    twin = reference.rk3_flow(u, 0.2, 0.05)
    np.testing.assert_allclose(flowed.links.numpy(), twin, rtol=0, atol=1e-12)
    e_walked = sum(2 * (n - n * reference.walked_loop(twin, x, [(m, 1), (v, 1), (m, -1),
                                                                 (v, -1)]).real)
                   for m in range(len(shape)) for v in range(m + 1, len(shape))
                   for x in np.ndindex(*shape)) / np.prod(shape)
    assert flowed.e_plaquette[-1] == pytest.approx(e_walked, rel=1e-12)
    if len(shape) == 4:
        for field, e in ((u, flowed.e_clover[0]), (twin, flowed.e_clover[-1])):
            assert e == pytest.approx(reference.clover_energy(field), rel=1e-12)
    else:
        assert np.isnan(flowed.e_clover).all()
