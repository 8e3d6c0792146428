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
from latticeml.observables import polyakov_loop_matrices, polyakov_loops, wilson_loops
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
