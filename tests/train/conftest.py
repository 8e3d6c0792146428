"""Small physical gauge datasets (SU(2), 1+1D heat bath) shared by the training tests."""

from __future__ import annotations

import pytest

from latticeml.cli import main


def _generate(tmp, shape, beta, n, seed, name):
    out = tmp / f"{name}_b{beta}.h5"
    argv = ["gauge", "generate", "--group", "su2", "--shape", ",".join(map(str, shape)),
            "--beta", str(beta), "--n-configs", str(n), "--n-therm", "20", "--n-skip", "2",
            "--seed", str(seed), "--threads", "1", "--no-progress", "--out", str(out)]
    assert main(argv) == 0
    return out


def _dataset(tmp, shape, n, seed, name):
    files = [_generate(tmp, shape, beta, n, seed + i, name) for i, beta in enumerate((1.0, 4.0))]
    out = tmp / f"{name}.h5"
    assert main(["dataset", "gauge", "--inputs", *map(str, files), "--loops", "1x1,1x2",
                 "--no-progress", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def gauge_data(tmp_path_factory):
    """train (2 x 24), val (2 x 8), test (2 x 7: not a multiple of usual batch sizes) on 4x4,
    and a 6x6 test set."""
    tmp = tmp_path_factory.mktemp("gauge_data")
    return {
        "train": _dataset(tmp, (4, 4), 24, 10, "train"),
        "val": _dataset(tmp, (4, 4), 8, 20, "val"),
        "test": _dataset(tmp, (4, 4), 7, 30, "test"),
        "test6": _dataset(tmp, (6, 6), 5, 40, "test6"),
    }
