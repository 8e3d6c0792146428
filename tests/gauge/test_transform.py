"""Tests of latticeml.gauge.transform: Haar SU(N), gauge transformations, reunitarization."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from latticeml.errors import ParameterError
from latticeml.gauge.transform import (
    dagger,
    gauge_transform,
    haar_gauge_transformation,
    haar_links,
    random_su_n,
    reunitarize,
    transform_local,
)


def _assert_su_n(u, tol=1e-12):
    n = u.shape[-1]
    assert np.abs(u @ dagger(u) - np.eye(n)).max() < tol
    assert np.abs(np.linalg.det(u) - 1).max() < tol


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_random_su_n_is_special_unitary(n):
    u = random_su_n(np.random.default_rng(1), n, (7, 3))
    assert u.shape == (7, 3, n, n)
    assert u.dtype == np.complex128
    _assert_su_n(u)


def test_random_su_n_size_forms_and_reproducibility():
    assert random_su_n(np.random.default_rng(0), 2).shape == (2, 2)
    assert random_su_n(np.random.default_rng(0), 3, 4).shape == (4, 3, 3)
    a = random_su_n(np.random.default_rng(5), 3, (10,))
    b = random_su_n(np.random.default_rng(5), 3, (10,))
    assert a.tobytes() == b.tobytes()


def test_su2_haar_trace_distribution():
    # Haar SU(2): x0 = Re Tr U / 2 has density (2/pi) sqrt(1 - x0^2)
    u = random_su_n(np.random.default_rng(2024), 2, 20000)
    x0 = np.trace(u, axis1=-2, axis2=-1).real / 2

    def cdf(x):
        x = np.clip(x, -1, 1)
        return 0.5 + (x * np.sqrt(1 - x**2) + np.arcsin(x)) / np.pi

    assert stats.kstest(x0, cdf).pvalue > 1e-3
    # Tr U of SU(2) is real
    assert np.abs(np.trace(u, axis1=-2, axis2=-1).imag).max() < 1e-12


def test_su2_haar_is_uniform_on_s3():
    # SU(2) = S^3: the four real components are a uniform unit vector; each component's
    # marginal is the semicircle-like law above, and every direction is equivalent
    u = random_su_n(np.random.default_rng(7), 2, 20000)
    comps = np.stack([u[:, 0, 0].real, u[:, 0, 0].imag, u[:, 0, 1].real, u[:, 0, 1].imag])
    assert np.abs((comps**2).sum(axis=0) - 1).max() < 1e-12
    for c in comps:
        assert abs(c.mean()) < 5 * 0.5 / np.sqrt(c.size)
        # E c^2 = 1/4, E c^4 = 3 / (4 * 6) = 1/8 on S^3, so Var c^2 = 1/16
        assert abs((c**2).mean() - 0.25) < 5 * 0.25 / np.sqrt(c.size)


def test_su3_haar_moments():
    n = 40000
    u = random_su_n(np.random.default_rng(11), 3, n)
    tr = np.trace(u, axis1=-2, axis2=-1)
    tol = 5 / np.sqrt(n)
    assert abs(tr.mean()) < tol * np.sqrt(2)  # E Tr U = 0, Var = E|Tr U|^2 = 1
    assert abs((np.abs(tr) ** 2).mean() - 1) < tol  # Var |Tr U|^2 = 2 - 1 = 1
    assert abs((np.abs(tr) ** 4).mean() - 2) < 10 * tol * 3
    # (Tr U)^3 averages to 1 on SU(3) (one singlet in 3x3x3) but to 0 on U(3)
    t3 = tr**3
    assert abs(t3.mean() - 1) < 5 * t3.std() / np.sqrt(n)


def test_random_links_and_gauge_transformation_shapes():
    rng = np.random.default_rng(3)
    u = haar_links(rng, (4, 6, 2), 3)
    assert u.shape == (4, 6, 2, 3, 3, 3)
    _assert_su_n(u)
    om = haar_gauge_transformation(rng, (5, 4, 6), 2)
    assert om.shape == (5, 4, 6, 2, 2)
    _assert_su_n(om)


def _explicit_transform(links, omega):
    shape = links.shape[:-3]
    d = links.shape[-3]
    out = np.empty_like(links)
    for x in np.ndindex(*shape):
        for mu in range(d):
            y = list(x)
            y[mu] = (y[mu] + 1) % shape[mu]
            out[x][mu] = omega[x] @ links[x][mu] @ omega[tuple(y)].conj().T
    return out


@pytest.mark.parametrize("n,shape", [(2, (4, 6)), (3, (2, 4, 2)), (2, (2, 2, 4, 2))])
def test_gauge_transform_matches_explicit_formula(n, shape):
    rng = np.random.default_rng(4)
    u = haar_links(rng, shape, n)
    om = haar_gauge_transformation(rng, shape, n)
    np.testing.assert_allclose(gauge_transform(u, om), _explicit_transform(u, om), atol=1e-13)


def test_gauge_transform_identity_is_noop_and_preserves_su_n():
    rng = np.random.default_rng(5)
    u = haar_links(rng, (4, 4, 2), 3)
    ident = np.broadcast_to(np.eye(3, dtype=complex), (4, 4, 2, 3, 3))
    assert np.abs(gauge_transform(u, ident) - u).max() < 1e-15
    v = gauge_transform(u, haar_gauge_transformation(rng, (4, 4, 2), 3))
    _assert_su_n(v)


def test_gauge_transform_composes():
    rng = np.random.default_rng(6)
    shape = (4, 2, 6)
    u = haar_links(rng, shape, 2)
    o1 = haar_gauge_transformation(rng, shape, 2)
    o2 = haar_gauge_transformation(rng, shape, 2)
    twice = gauge_transform(gauge_transform(u, o1), o2)
    once = gauge_transform(u, o2 @ o1)
    assert np.abs(twice - once).max() < 1e-12


def test_gauge_transform_batch_broadcasting():
    rng = np.random.default_rng(7)
    u = np.stack([haar_links(rng, (4, 4), 2) for _ in range(3)])
    om = haar_gauge_transformation(rng, (4, 4), 2)
    out = gauge_transform(u, om)  # one omega for the whole batch
    assert out.shape == u.shape
    for i in range(3):
        np.testing.assert_allclose(out[i], _explicit_transform(u[i], om), atol=1e-13)
    oms = haar_gauge_transformation(rng, (3, 4, 4), 2)
    out = gauge_transform(u, oms)
    for i in range(3):
        np.testing.assert_allclose(out[i], _explicit_transform(u[i], oms[i]), atol=1e-13)


def test_transform_local():
    rng = np.random.default_rng(8)
    w = rng.standard_normal((3, 5, 4, 6, 2, 2)) + 1j * rng.standard_normal((3, 5, 4, 6, 2, 2))
    om = haar_gauge_transformation(rng, (3, 4, 6), 2)
    out = transform_local(w, om, n_dims=2)  # batch 3, channels 5
    for b in range(3):
        for c in range(5):
            np.testing.assert_allclose(out[b, c], om[b] @ w[b, c] @ dagger(om[b]), atol=1e-13)
    # plain broadcasting without n_dims
    np.testing.assert_allclose(transform_local(w[0, 0], om[0]), out[0, 0], atol=1e-13)
    ident = np.broadcast_to(np.eye(2, dtype=complex), (4, 6, 2, 2))
    assert np.abs(transform_local(w, ident) - w).max() == 0
    with pytest.raises(ParameterError):
        transform_local(w, om[:, :2], n_dims=2)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_reunitarize(n):
    rng = np.random.default_rng(9)
    u = random_su_n(rng, n, (50,))
    assert np.abs(reunitarize(u) - u).max() < 1e-13  # idempotent on SU(N)
    eps = 1e-4
    v = u + eps * (rng.standard_normal(u.shape) + 1j * rng.standard_normal(u.shape))
    r = reunitarize(v)
    _assert_su_n(r)
    assert np.abs(r - u).max() < 20 * eps
    assert np.abs(reunitarize(r) - r).max() < 1e-13


def test_errors():
    rng = np.random.default_rng(0)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ParameterError):
            random_su_n(rng, bad)
    u = haar_links(rng, (4, 4), 2)
    with pytest.raises(ParameterError):
        gauge_transform(u, haar_gauge_transformation(rng, (4, 2), 2))
    with pytest.raises(ParameterError):
        gauge_transform(u, haar_gauge_transformation(rng, (4, 4), 3))
    with pytest.raises(ParameterError):
        gauge_transform(u[..., :1], haar_gauge_transformation(rng, (4, 4), 2))
    with pytest.raises(ParameterError):
        reunitarize(np.zeros((3, 2, 3), dtype=complex))
