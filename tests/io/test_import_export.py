"""``latticeml gauge import`` / ``export``: external files as stage-1 ensembles and back."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from latticeml.cli import main
from latticeml.data import read_gauge_ensemble

FIXTURE = Path(__file__).parent / "fixtures" / "conf_08080808.ildg"
FIXTURE_ARGS = ["--format", "ildg", "--beta", "5.7", "--shape", "8,8,8,8", "--group", "su3",
                "--precision", "64", "--no-progress"]


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    out = tmp_path_factory.mktemp("imported") / "ens.h5"
    assert main(["gauge", "import", str(FIXTURE), *FIXTURE_ARGS, "--out", str(out)]) == 0
    return out


def test_import_writes_an_ensemble_with_provenance(imported):
    arrays, attrs = read_gauge_ensemble(imported)
    assert arrays["links"].shape == (1, 8, 8, 8, 8, 4, 3, 3)
    assert abs(arrays["plaquette"][0] - 0.555243594507) < 5e-13
    assert attrs["algorithm"] == "imported" and attrs["beta"] == 5.7
    (record,) = json.loads(attrs["import_sources"])
    import hashlib

    assert record["sha256"] == hashlib.sha256(FIXTURE.read_bytes()).hexdigest()
    assert record["format"] == "ildg" and record["header_plaquette"] is None
    assert any("no ildg-format record" in note for note in record["notes"])


def test_an_imported_ensemble_is_a_dataset_like_any_other(imported, tmp_path):
    out = tmp_path / "d.h5"
    assert main(["dataset", "build", "--inputs", str(imported), "--loops", "1x1,2x2",
                 "--no-progress", "--out", str(out)]) == 0
    with h5py.File(out) as f:
        w11 = f["targets/W_1x1"][...]
    assert abs(w11.mean() - 0.555243594507) < 5e-13


@pytest.mark.parametrize("fmt, extra", [("ildg", []), ("nersc", []),
                                         ("nersc", ["--two-rows", "--no-big-endian"]),
                                         ("openqcd", [])])
def test_export_then_import_gives_the_same_links(imported, tmp_path, fmt, extra):
    template = str(tmp_path / "conf_{i:03d}.cfg")
    assert main(["gauge", "export", str(imported), "--format", fmt, "--out", template,
                 "--no-progress", *extra]) == 0
    exported = tmp_path / "conf_000.cfg"
    assert exported.is_file()
    back = tmp_path / "back.h5"
    assert main(["gauge", "import", str(exported), "--format", fmt, "--beta", "5.7",
                 "--no-progress", "--out", str(back)]) == 0
    a = read_gauge_ensemble(imported)[0]["links"]
    b = read_gauge_ensemble(back)[0]["links"]
    assert np.abs(a - b).max() <= (1e-14 if "--two-rows" in extra else 0.0)


def _one_line(capsys, argv) -> str:
    if "--no-progress" not in argv:
        argv = [*argv, "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err, err
    return err


def test_bad_imports_are_one_line_and_write_nothing(tmp_path, capsys):
    out = tmp_path / "e.h5"
    cut = tmp_path / "cut.ildg"
    cut.write_bytes(FIXTURE.read_bytes()[:-1000])
    assert "truncated" in _one_line(capsys, ["gauge", "import", str(cut), *FIXTURE_ARGS,
                                             "--out", str(out)])
    err = _one_line(capsys, ["gauge", "import", str(FIXTURE), "--format", "ildg", "--beta",
                             "5.7", "--no-progress", "--out", str(out)])
    assert "--shape" in err and str(FIXTURE) in err
    err = _one_line(capsys, ["gauge", "import", str(FIXTURE), "--format", "nersc", "--beta",
                             "5.7", "--shape", "8,8,8,8", "--out", str(out)])
    assert "--shape" in err
    assert "BEGIN_HEADER" in _one_line(capsys, ["gauge", "import", str(FIXTURE), "--format",
                                                "nersc", "--beta", "5.7", "--out", str(out)])
    assert "--beta" in _one_line(capsys, ["gauge", "import", str(FIXTURE), *FIXTURE_ARGS[:2],
                                          "--beta", "-1", *FIXTURE_ARGS[4:], "--out",
                                          str(out)])
    assert "not an input" in _one_line(capsys, ["gauge", "import", str(cut), *FIXTURE_ARGS,
                                                "--out", str(cut), "--force"])
    assert not out.exists() and len(list(tmp_path.iterdir())) == 1  # only cut.ildg


def test_bad_exports(imported, tmp_path, capsys):
    gauge2d = tmp_path / "g2.h5"
    assert main(["gauge", "generate", "--group", "su2", "--shape", "4,4", "--beta", "2",
                 "--n-configs", "2", "--n-therm", "1", "--n-skip", "1", "--seed", "1",
                 "--no-progress", "--out", str(gauge2d)]) == 0
    capsys.readouterr()
    assert "4D ensemble" in _one_line(capsys, ["gauge", "export", str(gauge2d), "--format",
                                               "ildg", "--out", str(tmp_path / "x{i}")])
    assert "{i}" in _one_line(capsys, ["gauge", "export", str(imported), "--format", "ildg",
                                       "--out", str(tmp_path / "x{j}")])
    assert "64 for openqcd" in _one_line(capsys, ["gauge", "export", str(imported), "--format",
                                                  "openqcd", "--precision", "32", "--out",
                                                  str(tmp_path / "x")])
    assert "nersc" in _one_line(capsys, ["gauge", "export", str(imported), "--format", "ildg",
                                         "--two-rows", "--out", str(tmp_path / "x")])
