"""The one reader of dataset splits (latticeml.data.splits.read_split)."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from latticeml.data import (
    GaugeDatasetParams,
    ScalarDatasetParams,
    build_gauge_dataset,
    build_scalar_dataset,
)
from latticeml.data.splits import read_split
from latticeml.errors import FileFormatError, ParameterError
from tests.data.test_datasets import _ensemble, _scalar_ensemble


@pytest.fixture
def gauge_file(tmp_path):
    src = tmp_path / "e.h5"
    links = _ensemble(src, beta=0.01, n=5, shape=(4, 4, 2), seed=4)
    out = tmp_path / "g.h5"
    build_gauge_dataset(GaugeDatasetParams(sources=(str(src),), loops=((1, 1), (1, 2))), out)
    return out, links


def test_gauge_split_selects_target_plane_and_rows(gauge_file):
    out, links = gauge_file
    with h5py.File(out) as f:
        w12 = f["targets/W_1x2"][()]
    s = read_split(out, "W_1x2", plane=2)
    assert s.kind == "gauge" and s.shape == (4, 4, 2) and s.n == 5
    assert np.array_equal(s.target, w12[:, 2]) and s.target.dtype == np.float64
    assert np.array_equal(s.inputs, links) and np.allclose(s.param, 0.01)
    assert s.open_worms is None
    part = read_split(out, "W_1x2", plane=1, rows=np.array([1, 3]), inputs=True)
    assert np.array_equal(part.inputs, links[[1, 3]]) and np.array_equal(part.target,
                                                                          w12[[1, 3], 1])
    assert read_split(out, "polyakov_loop", inputs=False).target.dtype == np.complex128
    with pytest.raises(ParameterError, match="--plane"):
        read_split(out, "W_1x2", plane=3)
    with pytest.raises(ParameterError, match="W_2x2"):
        read_split(out, "W_2x2")
    with pytest.raises(ParameterError, match="rows"):
        read_split(out, "W_1x1", rows=np.array([3, 1]))


def test_a_changed_array_is_refused_even_when_only_some_rows_are_read(gauge_file):
    out, _ = gauge_file
    with h5py.File(out, "a") as f:  # a value changed, the digest left as it was
        f["targets/W_1x1"][4, 0, 0, 0, 0] = 0.5
    with pytest.raises(FileFormatError, match="W_1x1"):
        read_split(out, "W_1x1", rows=np.array([0]), inputs=False)


def test_scalar_split_rows_that_define_the_target(tmp_path):
    src = tmp_path / "s.h5"
    arrays = _scalar_ensemble(src, mu=1.0, n=6, shape=(6, 2), open_worms=1, seed=2)
    out = tmp_path / "d.h5"
    build_scalar_dataset(ScalarDatasetParams(sources=(str(src),)), out)
    every = read_split(out, "flux_violated")
    assert every.kind == "scalar" and every.n == 6 and every.inputs.shape == (6, 4, 6, 2)
    defined = read_split(out, "n", rows="defined")
    assert defined.n == 3 and np.all(defined.open_worms == 0)
    assert np.allclose(defined.target, arrays["n"][~np.isnan(arrays["n"])])
    assert np.array_equal(defined.inputs, every.inputs[defined.rows])
    with pytest.raises(ParameterError, match="--test"):
        read_split(tmp_path / "missing.h5", "n")
