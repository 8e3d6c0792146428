"""Tests of latticeml.observables.polyakov."""

from __future__ import annotations

import numpy as np
import pytest

from latticeml.errors import ParameterError
from latticeml.gauge.transform import (
    dagger,
    gauge_transform,
    haar_gauge_transformation,
    haar_links,
)
from latticeml.observables import (
    polyakov_correlator,
    polyakov_loop_matrices,
    polyakov_loops,
    wilson_loops,
)
from tests.observables import reference as ref


def _links(seed, shape, n, batch=()):
    rng = np.random.default_rng(seed)
    u = np.stack([haar_links(rng, shape, n) for _ in range(int(np.prod(batch)))])
    return u.reshape(*batch, *u.shape[1:])


@pytest.mark.parametrize(
    "n,shape,batch",
    [(2, (6, 4), ()), (3, (4, 6), (2,)), (2, (4, 2, 6), (2,)), (3, (2, 4, 2, 4), ())],
)
def test_against_reference_all_axes(n, shape, batch):
    u = _links(1, shape, n, batch)
    d = len(shape)
    for axis in range(d):
        reduced = tuple(s for k, s in enumerate(shape) if k != axis)
        p = polyakov_loops(u, axis)
        assert p.shape == (*batch, *reduced)
        assert p.dtype == np.complex128
        assert np.abs(p - ref.polyakov_loops(u, axis)).max() < 1e-12
        assert np.abs(polyakov_loops(u, axis - d) - p).max() == 0
        m = polyakov_loop_matrices(u, axis)
        assert m.shape == (*batch, *reduced, n, n)
        assert np.abs(np.trace(m, axis1=-2, axis2=-1) / n - p).max() < 1e-14


def test_default_axis_is_time():
    u = _links(2, (4, 6), 2)
    assert np.array_equal(polyakov_loops(u), polyakov_loops(u, 0))


@pytest.mark.parametrize("n,shape", [(2, (4, 4)), (3, (2, 4, 2))])
def test_cold_is_one(n, shape):
    d = len(shape)
    u = np.broadcast_to(np.eye(n, dtype=complex), (*shape, d, n, n)).copy()
    for axis in range(d):
        assert np.abs(polyakov_loops(u, axis) - 1).max() < 1e-15


@pytest.mark.parametrize("n,shape", [(2, (6, 4)), (3, (4, 2, 4)), (2, (4, 2, 2, 2))])
def test_gauge_invariance_and_covariance(n, shape):
    rng = np.random.default_rng(3)
    u = _links(3, shape, n, (2,))
    om = haar_gauge_transformation(rng, (2, *shape), n)
    v = gauge_transform(u, om)
    for axis in range(len(shape)):
        assert np.abs(polyakov_loops(v, axis) - polyakov_loops(u, axis)).max() < 1e-12
        # the matrix transforms with Omega at coordinate 0 along the axis
        o0 = om.take(0, axis=1 + axis)
        m = o0 @ polyakov_loop_matrices(u, axis) @ dagger(o0)
        assert np.abs(polyakov_loop_matrices(v, axis) - m).max() < 1e-12


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_center_transformation(n, axis):
    shape = (4, 6, 2)
    u = _links(4, shape, n)
    z = np.exp(2j * np.pi / n)
    v = u.copy()
    index = [slice(None)] * 3
    index[axis] = 1  # one slice orthogonal to the axis
    v[(*index, axis)] *= z
    p, pv = polyakov_loops(u, axis), polyakov_loops(v, axis)
    assert np.abs(pv - z * p).max() < 1e-12
    # other directions wind through the slice along the slice: unchanged
    for other in range(3):
        if other != axis:
            assert np.abs(polyakov_loops(v, other) - polyakov_loops(u, other)).max() < 1e-12
    for a, b in [(1, 1), (2, 3), (3, 1)]:
        assert np.abs(wilson_loops(v, a, b) - wilson_loops(u, a, b)).max() < 1e-12


def test_errors():
    u = _links(5, (4, 4), 2)
    for axis in (2, -3, 1.0, True, "0"):
        with pytest.raises(ParameterError):
            polyakov_loops(u, axis)
    with pytest.raises(ParameterError):
        polyakov_loops(u.real)
    with pytest.raises(ParameterError):
        polyakov_loop_matrices(u[..., :1])


# ---- the per-site Polyakov-loop correlator (a training target: polyakov_corr_r<r>) ----------


@pytest.mark.parametrize(
    "n,shape,batch,r",
    [(2, (4, 6), (2,), 1), (3, (2, 4), (), 2), (2, (4, 4, 6), (), 2), (3, (2, 4, 2, 4), (2,), 1)],
)
def test_correlator_against_reference(n, shape, batch, r):
    u = _links(6, shape, n, batch)
    c = polyakov_correlator(u, r)
    assert c.shape == (*batch, *shape) and c.dtype == np.float64
    assert np.abs(c - ref.polyakov_correlator(u, r)).max() < 1e-13
    assert np.abs(c).max() <= 1.0 + 1e-12
    # constant along time: one value per spatial site, repeated
    assert np.abs(c - c.take([0], axis=len(batch))).max() == 0


@pytest.mark.parametrize("n,shape", [(2, (4, 6)), (3, (2, 4, 4)), (2, (2, 4, 2, 4))])
def test_correlator_gauge_and_centre_invariant_in_float64(n, shape):
    rng = np.random.default_rng(7)
    u = _links(7, shape, n, (2,))
    c = polyakov_correlator(u, 1)
    om = haar_gauge_transformation(rng, (2, *shape), n)
    assert np.abs(polyakov_correlator(gauge_transform(u, om), 1) - c).max() < 1e-13
    # a centre transformation on one time slice multiplies every P by z: z z^* = 1
    v = u.copy()
    v[:, 1, ..., 0, :, :] *= np.exp(2j * np.pi / n)
    assert np.abs(polyakov_correlator(v, 1) - c).max() < 1e-13
    # negative control: the same product without traces before transport (Tr P(x) P(x+r)^+,
    # matrices at different sites multiplied) is not gauge invariant
    m = polyakov_loop_matrices(u, 0)
    mv = polyakov_loop_matrices(gauge_transform(u, om), 0)
    bad = np.trace(m @ dagger(np.roll(m, -1, axis=1)), axis1=-2, axis2=-1).real
    bad_v = np.trace(mv @ dagger(np.roll(mv, -1, axis=1)), axis1=-2, axis2=-1).real
    assert np.abs(bad_v - bad).max() > 1e-2


def test_correlator_cold_and_strong_coupling():
    cold = np.broadcast_to(np.eye(2, dtype=complex), (4, 8, 2, 2, 2)).copy()
    assert np.abs(polyakov_correlator(cold, 3) - 1).max() < 1e-15
    # Haar-random links (beta = 0): loops at different sites are independent with mean 0, so
    # the lattice average of C_r vanishes within its error; at r = 0 it would be <|p|^2> > 0
    u = _links(8, (2, 16, 16), 2, (40,))
    means = polyakov_correlator(u, 2).mean(axis=(1, 2, 3))
    err = means.std(ddof=1) / np.sqrt(len(means))
    assert abs(means.mean()) < 4 * err
    p = polyakov_loops(u)
    assert (np.abs(p) ** 2).mean() > 10 * err  # the r = 0 value (<|p|^2> = 1/4 for SU(2), T=2)


def test_correlator_refuses_bad_separations():
    u = _links(9, (4, 6), 2)
    for r in (0, 4, -1, 1.0, True):
        with pytest.raises(ParameterError, match="r: expected an integer separation"):
            polyakov_correlator(u, r)
    with pytest.raises(ParameterError):
        polyakov_correlator(u.real, 1)
