"""``latticeml scalar generate|inspect``: file contract, errors, no partial files."""

import numpy as np
import pytest

from latticeml.cli import main
from latticeml.data import read_scalar_ensemble

BASE = ["scalar", "generate", "--shape", "8,4", "--mu", "1.05", "--eta", "4.01", "--lam", "1.0",
        "--n-configs", "6", "--n-therm", "10", "--n-skip", "2", "--seed", "5", "--no-progress"]


def _main(argv):
    """Run the CLI; argparse usage errors exit via SystemExit (one line, code 2)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def _with(args, **changes):
    args = list(args)
    for flag, value in changes.items():
        flag = "--" + flag.replace("_", "-")
        args[args.index(flag) + 1] = value
    return args


def test_generate_and_inspect(tmp_path, capsys):
    out = tmp_path / "s.h5"
    assert main([*BASE, "--out", str(out)]) == 0
    arrays, attrs = read_scalar_ensemble(out)
    assert arrays["k"].shape == arrays["l"].shape == (6, 8, 4, 2)
    assert np.issubdtype(arrays["k"].dtype, np.integer)
    for name in ("n", "phi2", "phi4"):
        assert arrays[name].shape == (6,) and arrays[name].dtype == np.float64
    for key in ("kind", "format_version", "shape", "mu", "eta", "lam", "seed", "n_therm",
                "n_skip", "n_worms", "package_version"):
        assert key in attrs
    assert attrs["kind"] == "scalar-ensemble" and tuple(attrs["shape"]) == (8, 4)
    assert isinstance(attrs["n_worms"], int) and attrs["n_worms"] >= 1 and attrs["n_worms_auto"]
    assert attrs["mu"] == 1.05
    assert "open_worms" not in arrays and "label" not in arrays
    capsys.readouterr()
    assert main(["scalar", "inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "phi2" in text and "tau_int" in text and "flux        OK" in text


def test_flux_violation_file(tmp_path, capsys):
    out = tmp_path / "v.h5"
    assert main([*BASE, "--open-worms", "2", "--n-worms", "3", "--out", str(out)]) == 0
    arrays, attrs = read_scalar_ensemble(out)
    assert attrs["n_worms"] == 3 and attrs["open_worms"] == 2
    assert arrays["label"].sum() == 3 and arrays["label"].dtype == np.int8
    np.testing.assert_array_equal(arrays["open_worms"], 2 * arrays["label"])
    capsys.readouterr()
    assert main(["scalar", "inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "3 conserved, 3 violated" in text and "flux        OK" in text


def test_same_seed_same_bytes(tmp_path):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    assert main([*BASE, "--out", str(a)]) == 0
    assert main([*BASE, "--out", str(b)]) == 0
    ra, rb = read_scalar_ensemble(a)[0], read_scalar_ensemble(b)[0]
    for name in ("k", "l", "n", "phi2"):
        assert ra[name].tobytes() == rb[name].tobytes()


@pytest.mark.parametrize(
    "changes, needle",
    [
        ({"eta": "0"}, "--eta"),
        ({"eta": "-1"}, "--eta"),
        ({"lam": "-1"}, "--lam"),
        ({"lam": "0", "eta": "4.5"}, "--eta"),
        ({"shape": "1,4"}, "--shape"),
        ({"shape": "8,1"}, "--shape"),
        ({"shape": "8"}, "--shape"),
        ({"shape": "8,4,4"}, "--shape"),
        ({"shape": "a,b"}, "--shape"),
        ({"n_configs": "0"}, "--n-configs"),
        ({"n_skip": "0"}, "--n-skip"),
        ({"n_therm": "-1"}, "--n-therm"),
        ({"seed": "-3"}, "--seed"),
        ({"mu": "nan"}, "--mu"),
    ],
)
def test_bad_input_one_line(tmp_path, capsys, changes, needle):
    out = tmp_path / "s.h5"
    code = _main([*_with(BASE, **changes), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert len(err.splitlines()) == 1 and needle in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("extra, needle", [(["--n-worms", "0"], "--n-worms"),
                                           (["--open-worms", "-1"], "--open-worms"),
                                           (["--open-worms", "100"], "--open-worms")])
def test_bad_worm_counts(tmp_path, capsys, extra, needle):
    out = tmp_path / "s.h5"
    assert _main([*BASE, *extra, "--out", str(out)]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err
    assert list(tmp_path.iterdir()) == []


def test_existing_output_and_missing_directory(tmp_path, capsys):
    out = tmp_path / "s.h5"
    out.write_bytes(b"keep me")
    assert main([*BASE, "--out", str(out)]) != 0
    assert "--force" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"
    assert main([*BASE, "--out", str(out), "--force"]) == 0
    assert read_scalar_ensemble(out)[0]["k"].shape[0] == 6
    assert main([*BASE, "--out", str(tmp_path / "missing" / "s.h5")]) != 0
    assert "does not exist" in capsys.readouterr().err


def test_inspect_bad_file(tmp_path, capsys):
    bad = tmp_path / "x.h5"
    bad.write_bytes(b"not hdf5")
    assert main(["scalar", "inspect", str(bad)]) != 0
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_table_exceeded_no_file(tmp_path, capsys):
    out = tmp_path / "s.h5"
    code = _main([*_with(BASE, mu="1.5"), "--f-max", "8", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1 and "--f-max" in err
    assert list(tmp_path.iterdir()) == []
