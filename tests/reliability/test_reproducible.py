"""Deliver 3 / Why 4: same inputs and seed give the same bytes -- ensembles, datasets and (on
CPU, same threads) trained models. Each CLI runs twice and the files are compared."""

from __future__ import annotations

import h5py
import pytest
from reliability_helpers import gauge_argv, run, scalar_argv


def _twice(tmp_path, argv_for, *, setup=None):
    outs = []
    for name in ("a", "b"):
        d = tmp_path / name
        d.mkdir(parents=True)
        if setup:
            setup(d)
        assert run(argv_for("out.h5"), cwd=d) == 0
        outs.append((d / "out.h5").read_bytes())
    return outs


@pytest.mark.parametrize("argv", [
    gauge_argv("{out}"),
    gauge_argv("{out}", group="su3", shape="4,2,2,2", n=2),
    gauge_argv("{out}", extra=["--algorithm", "metropolis", "--start", "hot"]),
    scalar_argv("{out}"),
    scalar_argv("{out}", worms=2, shape="8,4"),
], ids=["su2", "su3-4d", "su2-metropolis-hot", "scalar", "scalar-open-worms"])
def test_generation_is_byte_identical(tmp_path, argv):
    a, b = _twice(tmp_path, lambda out: [out if x == "{out}" else x for x in argv])
    assert a == b
    with h5py.File(tmp_path / "a" / "out.h5") as f:
        assert "elapsed_seconds" not in f.attrs  # the wall time goes to the log


def test_gauge_generation_does_not_depend_on_threads(tmp_path):
    outs = []
    for threads in ("1", "2"):
        argv = gauge_argv(tmp_path / f"t{threads}.h5", shape="8,8")
        argv[argv.index("--threads") + 1] = threads
        assert run(argv) == 0
        outs.append((tmp_path / f"t{threads}.h5").read_bytes())
    assert outs[0] == outs[1]


def _copy_inputs(files, names):
    def setup(d):
        for key, name in names.items():
            (d / name).write_bytes(files[key].read_bytes())

    return setup


def test_datasets_are_byte_identical(files, tmp_path):
    g = _twice(tmp_path / "g", lambda out: ["dataset", "build", "--inputs", "g2.h5", "g3.h5",
                                           "--loops", "1x1,2x1", "--plaquette-channels",
                                           "--polyakov-channels", "--no-progress", "--out", out],
               setup=_copy_inputs(files, {"gauge": "g2.h5", "gauge3": "g3.h5"}))
    assert g[0] == g[1]
    s = _twice(tmp_path / "s", lambda out: ["dataset", "build", "--inputs", "o.h5", "c.h5",
                                           "--no-progress", "--out", out],
               setup=_copy_inputs(files, {"scalar": "o.h5", "scalar_closed": "c.h5"}))
    assert s[0] == s[1]


def test_rebuilt_ensembles_give_the_same_dataset(files, tmp_path):
    """A rerun of a whole chain (generate, then dataset) reproduces the dataset's bytes: the
    SHA-256 of the sources recorded in it no longer changes with the wall time."""
    outs = []
    for name in ("a", "b"):
        d = tmp_path / name
        d.mkdir()
        assert run(gauge_argv("e.h5"), cwd=d) == 0
        assert run(["dataset", "build", "--inputs", "e.h5", "--no-progress", "--out", "d.h5"],
                   cwd=d) == 0
        outs.append((d / "d.h5").read_bytes())
    assert outs[0] == outs[1]


def test_trained_models_are_byte_identical(files, tmp_path):
    """Same data, seed and threads on CPU: the same ``model.pt`` bytes (public API)."""
    torch = pytest.importorskip("torch")
    from latticeml.train import TrainParams, train

    d = tmp_path / "data"
    d.mkdir()
    for name in ("train", "val"):
        assert run(["dataset", "build", "--inputs", files["gauge"], files["gauge3"],
                    "--loops", "1x1", "--no-progress", "--out", d / f"{name}.h5"]) == 0
    outs = []
    for run_name in ("a", "b"):
        params = TrainParams(train=str(d / "train.h5"), val=str(d / "val.h5"),
                             target="W_1x1", model={"preset": "W1x1"},
                             out=str(tmp_path / run_name), epochs=2, batch_size=2, lr=1e-2,
                             seed=5, dtype="float64", threads=1, device="cpu", patience=0,
                             name="repro")
        result = train(params, progress=False)
        outs.append(open(result.model_path, "rb").read())
    assert torch.get_num_threads() >= 1
    assert outs[0] == outs[1]
