"""``latticeml gauge generate|inspect``: file contract, errors, no partial files."""

import subprocess
import sys

import numpy as np
import pytest

from latticeml.cli import main
from latticeml.data import read_gauge_ensemble

BASE = [
    "gauge",
    "generate",
    "--group",
    "su2",
    "--shape",
    "4,4",
    "--beta",
    "2.0",
    "--n-configs",
    "3",
    "--n-therm",
    "2",
    "--n-skip",
    "1",
    "--seed",
    "5",
    "--no-progress",
]


def _with(args, **changes):
    args = list(args)
    for flag, value in changes.items():
        flag = "--" + flag.replace("_", "-")
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    return args


def test_generate_and_inspect(tmp_path, capsys):
    out = tmp_path / "e.h5"
    assert main([*BASE, "--out", str(out)]) == 0
    arrays, attrs = read_gauge_ensemble(out)
    assert arrays["links"].shape == (3, 4, 4, 2, 2, 2)
    assert arrays["links"].dtype == np.complex128
    assert arrays["plaquette"].shape == (3,) and arrays["plaquette"].dtype == np.float64
    for key in (
        "group",
        "n_colors",
        "shape",
        "beta",
        "seed",
        "algorithm",
        "n_therm",
        "n_skip",
        "package_version",
        "format_version",
        "kind",
    ):
        assert key in attrs
    assert attrs["group"] == "su2" and attrs["n_colors"] == 2 and attrs["seed"] == 5
    capsys.readouterr()
    assert main(["gauge", "inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "plaquette" in text and "tau_int" in text and "det U - 1" in text


def test_backend_flag(tmp_path, capsys):
    """Both backends run the same chain: after one heat-bath sweep, equal links up to rounding
    (rounding differences grow from sweep to sweep: equal distributions, not bytes)."""
    links = {}
    one_sweep = _with(BASE, n_configs="1", n_therm="0", overrelax="0")
    for backend in ("scalar", "simd"):
        out = tmp_path / f"{backend}.h5"
        assert main([*one_sweep, "--backend", backend, "--out", str(out)]) == 0
        assert f"{backend} kernels" in capsys.readouterr().err
        links[backend] = read_gauge_ensemble(out)[0]["links"]
    assert np.abs(links["simd"] - links["scalar"]).max() < 1e-13


def test_same_seed_same_bytes(tmp_path):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    assert main([*BASE, "--out", str(a)]) == 0
    assert main([*BASE, "--out", str(b), "--threads", "1"]) == 0
    la, lb = read_gauge_ensemble(a)[0]["links"], read_gauge_ensemble(b)[0]["links"]
    assert la.tobytes() == lb.tobytes()


@pytest.mark.parametrize(
    "changes, needle",
    [
        ({"shape": "5,4"}, "even"),
        ({"shape": "4"}, "--shape"),
        ({"shape": "2,2,2,2,2"}, "--shape"),
        ({"beta": "-1"}, "--beta"),
        ({"group": "su5"}, "--group"),
        ({"n_configs": "0"}, "--n-configs"),
        ({"n_skip": "0"}, "--n-skip"),
        ({"n_therm": "-1"}, "--n-therm"),
        ({"algorithm": "langevin"}, "--algorithm"),
        ({"backend": "avx"}, "--backend"),
    ],
)
def test_bad_input_one_line(tmp_path, capsys, changes, needle):
    out = tmp_path / "e.h5"
    code = main([*_with(BASE, **changes), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert len(err.splitlines()) == 1 and needle in err
    assert list(tmp_path.iterdir()) == []


def test_existing_output_and_missing_directory(tmp_path, capsys):
    out = tmp_path / "e.h5"
    out.write_bytes(b"keep me")
    assert main([*BASE, "--out", str(out)]) != 0
    assert "--force" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"
    assert main([*BASE, "--out", str(tmp_path / "missing" / "e.h5")]) != 0
    assert "does not exist" in capsys.readouterr().err


def test_console_script_exit_code(tmp_path):
    bad = [
        sys.executable,
        "-m",
        "latticeml",
        *_with(BASE, beta="-2"),
        "--out",
        str(tmp_path / "x.h5"),
    ]
    res = subprocess.run(bad, capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "--beta" in res.stderr
    assert list(tmp_path.iterdir()) == []
