import numpy as np
import pytest

from latticeml.errors import ParameterError
from latticeml.lattice import neighbour_table, parity, parse_shape, planes, validate_shape


def test_parse_shape():
    assert parse_shape("8,8") == (8, 8)
    assert parse_shape("4x8x8x8") == (4, 8, 8, 8)
    with pytest.raises(ParameterError, match="--shape"):
        parse_shape("8,a")


@pytest.mark.parametrize(
    "shape, match",
    [((8,), "between 2 and 4"), ((4, 4, 4, 4, 4), "between 2 and 4"), ((8, 7), "even"),
     ((0, 8), ">= 2")],
)
def test_validate_shape_rejects(shape, match):
    with pytest.raises(ParameterError, match=match):
        validate_shape(shape)


def test_neighbours_match_coordinates():
    shape = (4, 2, 6)
    up, down = neighbour_table(shape)
    coords = np.array(list(np.ndindex(*shape)))
    for i, x in enumerate(coords):
        for mu in range(3):
            y = x.copy()
            y[mu] = (y[mu] + 1) % shape[mu]
            assert up[i, mu] == np.ravel_multi_index(tuple(y), shape)
            assert down[up[i, mu], mu] == i


def test_parity_alternates():
    shape = (4, 6)
    up, _ = neighbour_table(shape)
    p = parity(shape)
    for mu in range(2):
        assert np.all(p[up[:, mu]] != p)


def test_planes_order():
    assert planes(4) == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
