"""Tests of latticeml.observables.topology (4D clover charge)."""

from __future__ import annotations

import numpy as np
import pytest

from latticeml.errors import ParameterError
from latticeml.gauge.transform import (
    dagger,
    gauge_transform,
    haar_gauge_transformation,
    haar_links,
    random_su_n,
    transform_local,
)
from latticeml.observables import (
    clover_field_strength,
    topological_charge,
    topological_charge_density,
)
from tests.observables import reference as ref


def _links(seed, shape, n, batch=()):
    rng = np.random.default_rng(seed)
    u = np.stack([haar_links(rng, shape, n) for _ in range(int(np.prod(batch)))])
    return u.reshape(*batch, *u.shape[1:])


@pytest.mark.parametrize(
    "n,shape,batch", [(2, (2, 4, 2, 4), ()), (3, (4, 2, 2, 2), (2,)), (2, (2, 2, 2, 2), (2,))]
)
def test_against_reference(n, shape, batch):
    u = _links(1, shape, n, batch)
    f = clover_field_strength(u)
    assert f.shape == (*batch, 6, *shape, n, n)
    assert np.abs(f - ref.clover_field_strength(u)).max() < 1e-12
    q = topological_charge_density(u)
    assert q.shape == (*batch, *shape)
    assert q.dtype == np.float64
    assert np.abs(q - ref.topological_charge_density(u)).max() < 1e-12
    np.testing.assert_allclose(topological_charge(u), q.sum(axis=(-4, -3, -2, -1)), atol=1e-12)


def test_complex64_input():
    u = _links(9, (2, 4, 2, 2), 2)
    f64 = clover_field_strength(u.astype(np.complex64))
    assert f64.dtype == np.complex64
    assert np.abs(f64 - clover_field_strength(u)).max() < 1e-5
    q = topological_charge_density(u.astype(np.complex64))
    assert q.dtype == np.float64
    assert np.abs(q - topological_charge_density(u)).max() < 1e-7


def test_field_strength_is_traceless_hermitian():
    f = clover_field_strength(_links(2, (4, 2, 2, 4), 3))
    assert np.abs(f - dagger(f)).max() < 1e-14
    assert np.abs(np.trace(f, axis1=-2, axis2=-1)).max() < 1e-14


@pytest.mark.parametrize("n", [2, 3])
def test_gauge_invariance_and_covariance(n):
    shape = (4, 2, 4, 2)
    rng = np.random.default_rng(3)
    u = _links(3, shape, n, (2,))
    om = haar_gauge_transformation(rng, (2, *shape), n)
    v = gauge_transform(u, om)
    f_u = transform_local(clover_field_strength(u), om, n_dims=4)
    assert np.abs(clover_field_strength(v) - f_u).max() < 1e-12
    q_u = topological_charge_density(u)
    assert np.abs(topological_charge_density(v) - q_u).max() < 1e-12
    assert np.abs(q_u).max() > 1e-3  # the test is not trivially satisfied


def test_fields_in_one_plane_have_no_charge():
    # U_0, U_1 random but depending only on (x0, x1); U_2 = U_3 = 1
    rng = np.random.default_rng(4)
    shape = (4, 6, 4, 2)
    u = np.broadcast_to(np.eye(2, dtype=complex), (*shape, 4, 2, 2)).copy()
    u01 = random_su_n(rng, 2, (4, 6, 2))
    u[..., :2, :, :] = u01[:, :, None, None]
    f = clover_field_strength(u)
    assert np.abs(f[:, 0]).max() > 0.1  # nontrivial field in plane (0, 1)
    assert np.abs(f[1:]).max() < 1e-14
    assert np.abs(topological_charge_density(u)).max() < 1e-15


def _reflect(links, k):
    """Reflection x_k -> -x_k of a single configuration (*shape, 4, N, N)."""
    out = np.empty_like(links)
    for mu in range(links.shape[-3]):
        um = links[..., mu, :, :]
        if mu == k:
            # U'_k(x) = U_k(Px - k)^dagger, Px - k = (-x_k - 1) mod L_k
            out[..., mu, :, :] = dagger(np.flip(um, axis=k))
        else:
            # U'_mu(x) = U_mu(Px), Px = (-x_k) mod L_k
            out[..., mu, :, :] = np.roll(np.flip(um, axis=k), 1, axis=k)
    return out


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_parity_flips_sign(k):
    u = _links(5, (4, 2, 4, 4), 2)
    q = topological_charge_density(u)
    qr = topological_charge_density(_reflect(u, k))
    assert np.abs(qr + np.roll(np.flip(q, axis=k), 1, axis=k)).max() < 1e-13
    assert abs(topological_charge(_reflect(u, k)) + topological_charge(u)) < 1e-12
    assert abs(float(topological_charge(u))) > 1e-6


def _two_plane_flux(shape, n01, n23, n_colors=2):
    """U(1) fluxes embedded as diag(e^{i theta}, e^{-i theta}[, 1]) in planes (0,1), (2,3).

    Every plaquette in plane (0, 1) is diag(e^{i phi01}, e^{-i phi01}) with
    phi01 = 2 pi n01 / (L0 L1) (likewise for (2, 3)); mixed planes are trivial.
    """
    theta = np.zeros((*shape, 4))
    x = np.indices(shape)
    phis = []
    for (mu, nu), nf in (((0, 1), n01), ((2, 3), n23)):
        lm, ln = shape[mu], shape[nu]
        phi = 2 * np.pi * nf / (lm * ln)
        theta[..., nu] = phi * x[mu]
        theta[..., mu] = np.where(x[mu] == lm - 1, -phi * lm * x[nu], 0.0)
        phis.append(phi)
    charges = np.zeros(n_colors)
    charges[:2] = [1, -1]
    u = np.zeros((*shape, 4, n_colors, n_colors), dtype=complex)
    for c in range(n_colors):
        u[..., c, c] = np.exp(1j * charges[c] * theta)
    return u, phis


@pytest.mark.parametrize("n_colors", [2, 3])
@pytest.mark.parametrize("n01,n23", [(1, 1), (2, -1), (-1, 3), (0, 2)])
def test_abelian_flux_charge(n_colors, n01, n23):
    # With constant plaquettes every clover leaf equals the plaquette, so
    # F_01 = diag(sin phi01, -sin phi01[, 0]) and q = sin(phi01) sin(phi23) / (2 pi^2):
    # Q = V sin(phi01) sin(phi23) / (2 pi^2) -> 2 n01 n23 (the embedding has charge 2).
    shape = (4, 6, 6, 4)
    u, (p01, p23) = _two_plane_flux(shape, n01, n23, n_colors)
    V = np.prod(shape)
    exact = V * np.sin(p01) * np.sin(p23) / (2 * np.pi**2)
    q = topological_charge_density(u)
    assert np.abs(q - exact / V).max() < 1e-14
    assert abs(float(topological_charge(u)) - exact) < 1e-12
    # gauge invariance of the exact value
    om = haar_gauge_transformation(np.random.default_rng(6), shape, n_colors)
    assert abs(float(topological_charge(gauge_transform(u, om))) - exact) < 1e-12


def test_abelian_flux_charge_approaches_integer():
    errors = []
    for L in (4, 8, 12):
        u, _ = _two_plane_flux((L, L, L, L), 1, -1)
        errors.append(abs(float(topological_charge(u)) - (-2)))
    assert errors[0] > errors[1] > errors[2]
    assert errors[1] < 0.01  # 8^4: Q = -1.9936
    assert errors[2] < 0.0015  # 12^4: 2 (sin(phi)/phi)^2 - 2 ~ -1.3e-3


def test_errors():
    with pytest.raises(ParameterError):
        topological_charge(_links(7, (4, 4, 2), 2))
    with pytest.raises(ParameterError):
        clover_field_strength(_links(7, (4, 4), 2))
    with pytest.raises(ParameterError):
        topological_charge_density(_links(7, (2, 2, 2, 2), 2).real)
