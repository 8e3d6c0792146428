import numpy as np
import pytest
import torch

from latticeml.nn import functional as F
from latticeml.testing import (
    gauge_transform_links,
    haar_su_n,
    random_gauge_transformation,
    random_links,
)
from tests.nn import reference as ref


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("n", [2, 3])
def test_haar_su_n_is_special_unitary(n):
    u = haar_su_n((50,), n, generator=gen())
    eye = torch.eye(n, dtype=u.dtype)
    assert (u @ u.mH - eye).abs().max() < 1e-13
    assert (torch.linalg.det(u) - 1).abs().max() < 1e-13
    # Haar: E[Tr U] = 0 for SU(N); loose check
    big = haar_su_n((4000,), n, generator=gen(1))
    assert abs(torch.diagonal(big, dim1=-2, dim2=-1).sum(-1).mean()) < 0.1


@pytest.mark.parametrize("shape", [(4, 6), (2, 4, 2, 4)])
def test_plaquettes_match_loop_reference(shape):
    u = random_links(2, shape, 2, generator=gen())
    p = F.plaquettes(u)
    D = len(shape)
    planes = [(m, n) for m in range(D) for n in range(m + 1, D)]
    for b in range(2):
        for i, (mu, nu) in enumerate(planes):
            want = ref.plaquette(u[b].numpy(), mu, nu)
            np.testing.assert_allclose(p[b, i].numpy(), want, atol=1e-13)


@pytest.mark.parametrize("s", [1, 2, 3, 5, -1, -3])
def test_wilson_line_and_transport_match_reference(s):
    shape = (6, 4)
    u = random_links(1, shape, 3, generator=gen())
    w = haar_su_n((1, 2, *shape), 3, generator=gen(2))
    axis = 0
    cache = F.LinkCache(u)
    t = F.transport(cache, w.reshape(1, 2, -1, 3, 3), [(axis, s), (1, 1)])
    for c in range(2):
        want = ref.transport(u[0].numpy(), w[0, c].numpy(), axis, s)
        np.testing.assert_allclose(t[0, c, 0].reshape(*shape, 3, 3).numpy(), want, atol=1e-12)
    line = F.wilson_line(u, axis, s)
    x = (1, 2)
    moves = [(axis, 1 if s > 0 else -1)] * abs(s)
    np.testing.assert_allclose(
        line[0][x].numpy(), ref.path_product(u[0].numpy(), x, moves), atol=1e-12
    )


def test_polyakov_loops_match_reference_and_are_covariant():
    shape = (6, 4)
    u = random_links(2, shape, 2, generator=gen())
    p = F.polyakov_loops(u)
    np.testing.assert_allclose(p[1].numpy(), ref.polyakov(u[1].numpy()), atol=1e-12)
    om = random_gauge_transformation(2, shape, 2, generator=gen(3))
    pg = F.polyakov_loops(gauge_transform_links(u, om))
    assert (pg - om @ p @ om.mH).abs().max() < 1e-12


def test_neighbour_index_is_periodic_shift():
    idx = F.neighbour_index((4, 3), [(0, 1), (1, -1), (1, 4)], "cpu")
    sites = torch.arange(12).reshape(4, 3)
    assert torch.equal(idx[0], sites.roll(-1, 0).flatten())
    assert torch.equal(idx[1], sites.roll(1, 1).flatten())
    assert torch.equal(idx[2], sites.roll(-4, 1).flatten())
