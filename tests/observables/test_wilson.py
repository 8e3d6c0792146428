"""Tests of latticeml.observables.wilson against slow references and symmetries."""

from __future__ import annotations

import numpy as np
import pytest

from latticeml.errors import ParameterError
from latticeml.gauge import plaquette
from latticeml.gauge.transform import (
    gauge_transform,
    haar_gauge_transformation,
    haar_links,
    transform_local,
)
from latticeml.observables import (
    plaquette_field,
    wilson_loop_matrices,
    wilson_loops,
)
from tests.observables import reference as ref


def _links(seed, shape, n, batch=()):
    rng = np.random.default_rng(seed)
    u = np.stack([haar_links(rng, shape, n) for _ in range(int(np.prod(batch)))])
    return u.reshape(*batch, *u.shape[1:])


CASES = [
    # n, shape, a, b, batch
    (2, (4, 6), 1, 1, ()),
    (2, (4, 6), 2, 3, (2,)),
    (3, (4, 6), 5, 1, ()),  # longer than the lattice along mu
    (2, (6, 4), 4, 3, (2, 1)),  # longer than half the lattice in both directions
    (2, (4, 2, 6), 1, 2, (2,)),
    (3, (4, 2, 4), 3, 2, ()),
    (2, (2, 4, 2, 4), 1, 1, ()),
    (3, (4, 2, 2, 4), 2, 3, (2,)),
    (2, (2, 4, 4, 2), 3, 1, ()),
]


@pytest.mark.parametrize("n,shape,a,b,batch", CASES)
def test_against_reference(n, shape, a, b, batch):
    u = _links(hash((n, shape, a, b)) % 2**32, shape, n, batch)
    d = len(shape)
    expected_m = ref.wilson_loop_matrices(u, a, b)
    got_m = wilson_loop_matrices(u, a, b)
    assert got_m.shape == (*batch, d * (d - 1) // 2, *shape, n, n)
    assert np.abs(got_m - expected_m).max() < 1e-12
    got = wilson_loops(u, a, b)
    assert got.shape == (*batch, d * (d - 1) // 2, *shape)
    assert got.dtype == np.float64
    assert np.abs(got - ref.wilson_loops(u, a, b)).max() < 1e-12


@pytest.mark.parametrize("n,shape", [(2, (8, 6)), (3, (4, 6, 2)), (2, (4, 2, 4, 6))])
def test_traced_kernel_equals_trace_of_matrices(n, shape):
    u = _links(1, shape, n, (3,))
    for a, b in [(1, 1), (2, 1), (1, 3), (3, 3), (7, 2)]:
        m = wilson_loop_matrices(u, a, b)
        tr = np.trace(m, axis1=-2, axis2=-1).real / n
        assert np.abs(wilson_loops(u, a, b) - tr).max() < 1e-12


def test_1x1_is_plaquette():
    u = _links(2, (4, 6, 2), 3, (2,))
    p = plaquette_field(u)
    # explicit U_mu(x) U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag in plane (0, 2) = index 1
    um, un = u[..., 0, :, :], u[..., 2, :, :]

    def dag(m):
        return np.conj(np.swapaxes(m, -1, -2))

    explicit = um @ np.roll(un, -1, axis=1) @ dag(np.roll(um, -1, axis=3)) @ dag(un)
    assert np.abs(p[:, 1] - explicit).max() < 1e-13
    w = wilson_loops(u, 1, 1)
    assert np.abs(w - np.trace(p, axis1=-2, axis2=-1).real / 3).max() < 1e-13
    np.testing.assert_allclose(plaquette(u), w.mean(axis=(1, 2, 3, 4)), atol=1e-14)


@pytest.mark.parametrize("n,shape", [(2, (4, 4)), (3, (2, 4, 2)), (2, (2, 2, 2, 4))])
def test_cold_links_give_one(n, shape):
    d = len(shape)
    u = np.broadcast_to(np.eye(n, dtype=complex), (*shape, d, n, n)).copy()
    for a, b in [(1, 1), (2, 3), (5, 5)]:
        assert np.abs(wilson_loops(u, a, b) - 1).max() < 1e-15
    assert float(plaquette(u)) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize(
    "n,shape,batch",
    [(2, (6, 4), (2,)), (3, (4, 4, 2), ()), (2, (4, 2, 2, 4), (2,)), (3, (2, 2, 4, 2), ())],
)
def test_gauge_invariance_and_covariance(n, shape, batch):
    rng = np.random.default_rng(3)
    u = _links(4, shape, n, batch)
    om = haar_gauge_transformation(rng, (*batch, *shape), n)
    v = gauge_transform(u, om)
    d = len(shape)
    for a, b in [(1, 1), (2, 1), (3, 3)]:
        assert np.abs(wilson_loops(v, a, b) - wilson_loops(u, a, b)).max() < 1e-12
        m = transform_local(wilson_loop_matrices(u, a, b), om, n_dims=d)
        assert np.abs(wilson_loop_matrices(v, a, b) - m).max() < 1e-12


def test_translation_covariance():
    u = _links(5, (4, 6, 2), 2)
    shift = (1, 4, 1)
    v = np.roll(u, shift, axis=(0, 1, 2))
    w = wilson_loops(u, 2, 3)
    assert np.abs(wilson_loops(v, 2, 3) - np.roll(w, shift, axis=(1, 2, 3))).max() < 1e-14


def _abelian_flux(shape, plane, n_flux, n_colors=2):
    """Constant U(1) flux embedded as diag(e^{i theta}, e^{-i theta}) in one plane.

    Every plaquette of ``plane`` equals diag(e^{i phi}, e^{-i phi}),
    phi = 2 pi n_flux / (L_mu L_nu); all other plaquettes are the identity.
    """
    mu, nu = plane
    d = len(shape)
    lm, ln = shape[mu], shape[nu]
    phi = 2 * np.pi * n_flux / (lm * ln)
    theta = np.zeros((*shape, d))
    x = np.indices(shape)
    theta[..., nu] = phi * x[mu]
    last = x[mu] == lm - 1
    theta[..., mu] = np.where(last, -phi * lm * x[nu], 0.0)
    diag = np.zeros(n_colors)
    diag[:2] = [1, -1]
    u = np.zeros((*shape, d, n_colors, n_colors), dtype=complex)
    for c in range(n_colors):
        u[..., c, c] = np.exp(1j * diag[c] * theta)
    return u, phi


@pytest.mark.parametrize("n_colors", [2, 3])
@pytest.mark.parametrize("n_flux", [1, -2, 3])
def test_abelian_constant_flux_orientation(n_colors, n_flux):
    shape = (6, 4, 8)
    u, phi = _abelian_flux(shape, (0, 2), n_flux, n_colors)
    for a, b in [(1, 1), (2, 1), (3, 5), (6, 8)]:
        m = wilson_loop_matrices(u, a, b)
        # plane (0, 2) is index 1: loop = exp(+i phi a b) in the upper entry (orientation!)
        assert np.abs(m[1, ..., 0, 0] - np.exp(1j * phi * a * b)).max() < 1e-12
        assert np.abs(m[1, ..., 1, 1] - np.exp(-1j * phi * a * b)).max() < 1e-12
        w = wilson_loops(u, a, b)
        expected = (2 * np.cos(phi * a * b) + (n_colors - 2)) / n_colors
        assert np.abs(w[1] - expected).max() < 1e-12
        assert np.abs(w[[0, 2]] - 1).max() < 1e-12
    # the loop around the whole plane encloses the quantized total flux 2 pi n
    assert np.abs(wilson_loops(u, 6, 8)[1] - 1).max() < 1e-12


def test_complex64_input():
    u = _links(6, (4, 4), 2)
    w64 = wilson_loops(u.astype(np.complex64), 2, 2)
    assert w64.dtype == np.float64
    assert np.abs(w64 - wilson_loops(u, 2, 2)).max() < 1e-5
    m64 = wilson_loop_matrices(u.astype(np.complex64), 1, 2)
    assert m64.dtype == np.complex64
    assert np.abs(m64 - wilson_loop_matrices(u, 1, 2)).max() < 1e-5
    assert wilson_loop_matrices(u, 1, 2).dtype == np.complex128


def test_validation_errors():
    u = _links(7, (4, 4), 2)
    bad_inputs = [
        u.real,  # not complex
        list(u),  # not an array
        u[0, 0],  # too few axes
        u[..., :1],  # non-square
        np.zeros((4, 4, 3, 2, 2), dtype=complex),  # D = 3 but two lattice axes
        np.zeros((4, 1, 2, 2), dtype=complex),  # D = 1
    ]
    for bad in bad_inputs:
        for fn in (plaquette_field, plaquette):
            with pytest.raises(ParameterError):
                fn(bad)
        with pytest.raises(ParameterError):
            wilson_loops(bad, 1, 1)
    for a, b in [(0, 1), (1, 0), (-1, 2), (1.5, 1), (True, 1), (1, "2")]:
        with pytest.raises(ParameterError):
            wilson_loops(u, a, b)
        with pytest.raises(ParameterError):
            wilson_loop_matrices(u, a, b)


def test_chunked_batches(monkeypatch):
    # force several kernel calls with a partial last chunk: 5 configurations, chunks of 2
    import latticeml.observables.wilson as wilson_module

    u = _links(8, (4, 6), 3, (5,))
    expected = np.stack([wilson_loops(u[i], 2, 3) for i in range(5)])
    monkeypatch.setattr(wilson_module, "_SCRATCH_ELEMENTS", 2 * 4 * 6 * 2 * 9)
    got = wilson_loops(u, 2, 3)
    assert np.array_equal(got, expected)
    assert np.abs(got - ref.wilson_loops(u, 2, 3)).max() < 1e-12


def test_empty_batch():
    u = np.zeros((0, 4, 4, 2, 2, 2), dtype=complex)
    assert wilson_loops(u, 2, 1).shape == (0, 1, 4, 4)
    assert wilson_loop_matrices(u, 1, 1).shape == (0, 1, 4, 4, 2, 2)
