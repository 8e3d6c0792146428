"""Why 6 / Deliver 4 (CLI side): inputs that used to be accepted without a word are refused
before any work; open-worm counts may mix in one scalar dataset, and the dataset records them."""

from __future__ import annotations

import os
import shutil

import h5py
import numpy as np
import pytest
from reliability_helpers import run, scalar_argv


def _refused(capsys, argv, cwd, *words):
    capsys.readouterr()
    assert run(argv, cwd=cwd) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    return err


@pytest.fixture
def work(files, tmp_path):
    for key, name in (("gauge", "g.h5"), ("gauge3", "g3.h5"), ("scalar", "s.h5"),
                      ("scalar_closed", "c.h5")):
        shutil.copyfile(files[key], tmp_path / name)
    return tmp_path


def test_loop_larger_than_the_lattice(work, capsys):
    """``--loops 9x9`` on a 4x4 lattice (the issue: 9x9 on 8x8) was accepted."""
    for loops in ("9x9", "1x1,5x1", "1x5"):
        _refused(capsys, ["dataset", "build", "--inputs", "g.h5", "--loops", loops,
                          "--out", "d.h5"], work, "--loops", "4x4")
    assert run(["dataset", "build", "--inputs", "g.h5", "--loops", "4x4", "--no-progress",
                "--out", "d.h5"], cwd=work) == 0  # a loop around the whole lattice is fine
    assert not (work / "e.h5").exists()


@pytest.mark.parametrize("command", ["gauge", "scalar"])
def test_the_same_input_twice(work, capsys, command):
    """The same file listed twice duplicated its samples."""
    src = "g.h5" if command == "gauge" else "s.h5"
    shutil.copyfile(work / src, work / "copy.h5")
    os.symlink(src, work / "link.h5")
    for second in (src, f"./{src}", "link.h5", "copy.h5"):
        _refused(capsys, ["dataset", "build", "--inputs", src, second, "--out", "d.h5"],
                 work, "--inputs", "duplicated")
    assert not (work / "d.h5").exists()


def test_duplicate_loops(work, capsys):
    _refused(capsys, ["dataset", "build", "--inputs", "g.h5", "--loops", "1x1,2x1,1x1",
                      "--out", "d.h5"], work, "--loops", "1x1")


def test_mixed_lattices_are_refused(work, capsys):
    assert run(scalar_argv("wide.h5", shape="8,4", seed=9), cwd=work) == 0
    _refused(capsys, ["dataset", "build", "--inputs", "s.h5", "wide.h5", "--out", "d.h5"],
             work, "wide.h5", "lattice")
    _refused(capsys, ["dataset", "build", "--inputs", "g.h5", "s.h5", "--out", "d.h5"],
             work, "s.h5", "kind")
    assert not (work / "d.h5").exists()


def test_mixed_open_worm_counts_are_recorded(work):
    """By design one scalar dataset mixes mu and open-worm counts; it records both."""
    assert run(scalar_argv("m2.h5", mu=1.1, worms=2, seed=8, shape="8,2"), cwd=work) == 0
    assert run(["dataset", "build", "--inputs", "s.h5", "c.h5", "m2.h5", "--no-progress",
                "--out", "d.h5"], cwd=work) == 0
    with h5py.File(work / "d.h5") as f:
        m = f["targets/open_worms"][()]
        assert sorted(np.unique(m).tolist()) == [0, 1, 2]
        assert f.attrs["open_worm_counts"].tolist() == [0, 1, 2]
        assert np.array_equal(f["targets/flux_violated"][()], (m > 0).astype(np.int8))
        assert sorted(np.unique(f["params/mu"][()]).tolist()) == [1.0, 1.1, 1.2]
