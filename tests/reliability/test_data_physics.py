"""Data that must be physics (hostile inputs, round two, item 5).

Each case changes a file's content and recomputes its digests (a consistent file whose content
is wrong), then shows that every reader that matters refuses it with a one-line error naming
the file, the array and the row: ``dataset inspect``, training and evaluation for datasets;
``gauge inspect`` and ``dataset gauge`` for ensembles. Before, all of them were accepted.
"""

from __future__ import annotations

import numpy as np
import pytest
from reliability_helpers import edit, run

from latticeml.data.physics import exact_plaquette_su2_2d
from latticeml.errors import FileFormatError
from latticeml.train import load_gauge_split
from tests.gauge.reference import u_su2_torus


@pytest.mark.parametrize("beta", [0.1, 1.0, 2.5, 6.0])
@pytest.mark.parametrize("volume", [16, 64, 1024])
def test_exact_torus_plaquette_matches_the_slow_reference(beta, volume):
    assert abs(exact_plaquette_su2_2d(beta, volume) - u_su2_torus(beta, volume)) < 1e-12


def _swap_rows(name, i, j):
    def change(f):
        a = f[name][()]
        a[[i, j]] = a[[j, i]]
        f[name][...] = a
    return change


def _set(name, index, value):
    def change(f):
        a = f[name][()]
        a[index] = value
        f[name][...] = a
    return change


DATASET_CASES = {
    "loop outside [-1, 1]": (_set("targets/W_1x1", (0, 0, 0, 0), 7.0), "outside"),
    "targets of two rows swapped": (_swap_rows("targets/W_1x2", 0, 5), "not the 1x2"),
    "links of two rows swapped": (_swap_rows("inputs/links", 0, 5), "Wilson"),
    "negative beta": (_set("params/beta", 2, -5.0), "beta"),
    "zero beta": (_set("params/beta", 0, 0.0), "beta"),
}


@pytest.mark.parametrize("case", sorted(DATASET_CASES))
def test_impossible_gauge_dataset_is_refused(copy_of, tmp_path, capsys, case):
    change, words = DATASET_CASES[case]
    d = copy_of("gauge_dataset")
    edit(d, change)
    capsys.readouterr()
    assert run(["dataset", "inspect", d]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("latticeml: error:") and "\n" not in err and words in err, err
    assert "row" in err
    target = "W_1x2" if "1x2" in words else "W_1x1"
    with pytest.raises(FileFormatError, match="row"):
        load_gauge_split(d, target)
    # training and evaluation read through the same reader: one line, nothing written
    val = copy_of("gauge_dataset", "val.h5")
    assert run(["model", "train", "--train", d, "--val", val, "--target", target, "--model", "W1x1",
                "--epochs", "1", "--no-progress", "--out-dir", tmp_path / "run"]) == 2
    assert not (tmp_path / "run").exists()


def test_the_untouched_dataset_passes(copy_of, capsys):
    d = copy_of("gauge_dataset")
    assert run(["dataset", "inspect", d]) == 0
    load_gauge_split(d, "W_1x2")


def test_negative_phi2_is_refused(copy_of, capsys):
    d = copy_of("scalar_dataset")

    def change(f):
        a = f["targets/phi2"][()]
        i = int(np.flatnonzero(np.isfinite(a))[0])
        a[i] = -1.5
        f["targets/phi2"][...] = a

    edit(d, change)
    capsys.readouterr()
    assert run(["dataset", "inspect", d]) == 2
    assert "phi2" in capsys.readouterr().err


@pytest.fixture(scope="module")
def thermal(tmp_path_factory):
    """A thermalised 1+1D SU(2) ensemble at beta = 1 (20 configurations on 6x6)."""
    d = tmp_path_factory.mktemp("thermal")
    out = d / "b1.h5"
    assert run(["gauge", "generate", "--group", "su2", "--shape", "6,6", "--beta", "1.0",
                "--n-configs", "20", "--n-therm", "50", "--n-skip", "2", "--seed", "4",
                "--threads", "1", "--no-progress", "--out", out]) == 0
    return out


def _ensemble_copy(thermal, tmp_path):
    import shutil

    dst = tmp_path / "e.h5"
    shutil.copyfile(thermal, dst)
    return dst


@pytest.mark.parametrize("case", ["relabelled beta 1 -> 3", "stored plaquette altered",
                                  "negative beta"])
def test_impossible_ensemble_is_refused_by_inspect_and_dataset(thermal, tmp_path, capsys,
                                                                case):
    e = _ensemble_copy(thermal, tmp_path)
    change = {
        "relabelled beta 1 -> 3": lambda f: f.attrs.__setitem__("beta", 3.0),
        "stored plaquette altered": _set("plaquette", 4, 0.5),
        "negative beta": lambda f: f.attrs.__setitem__("beta", -1.0),
    }[case]
    edit(e, change)
    capsys.readouterr()
    assert run(["gauge", "inspect", e]) == 2
    first = capsys.readouterr().err.strip()
    assert first.startswith("latticeml: error:") and "\n" not in first
    assert run(["dataset", "build", "--inputs", e, "--loops", "1x1", "--no-progress",
                "--out", tmp_path / "d.h5"]) == 2
    assert capsys.readouterr().err.strip() == first.replace(str(e), str(e))
    assert not (tmp_path / "d.h5").exists()


def test_the_thermal_ensemble_passes_both(thermal, tmp_path):
    e = _ensemble_copy(thermal, tmp_path)
    assert run(["gauge", "inspect", e]) == 0
    assert run(["dataset", "build", "--inputs", e, "--loops", "1x1", "--no-progress",
                "--out", tmp_path / "d.h5"]) == 0
