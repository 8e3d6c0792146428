import os

import h5py
import numpy as np
import pytest

from latticeml.data import (
    atomic_path,
    read_gauge_ensemble,
    read_scalar_ensemble,
    seal,
    write_gauge_ensemble,
    write_scalar_ensemble,
)
from latticeml.data.layout import ENSEMBLE_FORMAT_VERSION
from latticeml.errors import FileFormatError, OutputDirectoryError, OutputExistsError

GAUGE_ATTRS = dict(
    group="su2",
    n_colors=2,
    shape=(4, 4),
    beta=2.0,
    seed=1,
    algorithm="heatbath",
    n_therm=10,
    n_skip=2,
)


def _gauge_arrays(n=3):
    links = np.zeros((n, 4, 4, 2, 2, 2), dtype=np.complex128)
    links[..., 0, 0] = links[..., 1, 1] = 1.0
    return {"links": links, "plaquette": np.ones(n)}


def test_gauge_round_trip(tmp_path):
    path = tmp_path / "g.h5"
    arrays = _gauge_arrays()
    write_gauge_ensemble(path, arrays=arrays, attrs=GAUGE_ATTRS)
    got, attrs = read_gauge_ensemble(path)
    assert got["links"].tobytes() == arrays["links"].tobytes()
    assert attrs["kind"] == "gauge-ensemble" and attrs["shape"] == (4, 4)
    assert attrs["format_version"] == ENSEMBLE_FORMAT_VERSION and "package_version" in attrs
    assert "elapsed_seconds" not in attrs and len(attrs["content_sha256"]) == 64
    assert [p.name for p in tmp_path.iterdir()] == ["g.h5"]  # no temporary left
    assert path.stat().st_mode & 0o644 == 0o644  # readable like any other output file


def test_existing_output_needs_force(tmp_path):
    path = tmp_path / "g.h5"
    write_gauge_ensemble(path, arrays=_gauge_arrays(), attrs=GAUGE_ATTRS)
    before = path.read_bytes()
    with pytest.raises(OutputExistsError, match="--force"):
        write_gauge_ensemble(path, arrays=_gauge_arrays(5), attrs=GAUGE_ATTRS)
    assert path.read_bytes() == before
    write_gauge_ensemble(path, arrays=_gauge_arrays(5), attrs=GAUGE_ATTRS, force=True)
    assert read_gauge_ensemble(path)[0]["links"].shape[0] == 5


def test_missing_directory(tmp_path):
    with pytest.raises(OutputDirectoryError, match="mkdir"):
        write_gauge_ensemble(tmp_path / "no" / "g.h5", arrays=_gauge_arrays(), attrs=GAUGE_ATTRS)


def test_crash_leaves_no_file(tmp_path):
    path = tmp_path / "g.h5"
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_bytes(b"partial")
        raise RuntimeError("killed")
    assert os.listdir(tmp_path) == []


def test_reader_errors(tmp_path):
    path = tmp_path / "g.h5"
    write_gauge_ensemble(path, arrays=_gauge_arrays(), attrs=GAUGE_ATTRS)
    with pytest.raises(FileFormatError, match="kind"):
        read_scalar_ensemble(path)
    with h5py.File(path, "a") as f:
        f.attrs["format_version"] = 99
    with pytest.raises(FileFormatError, match="format_version"):
        read_gauge_ensemble(path)
    with h5py.File(path, "a") as f:
        f.attrs["format_version"] = ENSEMBLE_FORMAT_VERSION
        del f.attrs["beta"]
    with pytest.raises(FileFormatError, match="content_sha256"):  # the digest sees it first
        read_gauge_ensemble(path)
    with h5py.File(path, "a") as f:
        seal(f)  # a consistent file that lacks an attribute
    with pytest.raises(FileFormatError, match="beta"):
        read_gauge_ensemble(path)
    truncated = tmp_path / "t.h5"
    truncated.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(FileFormatError):
        read_gauge_ensemble(truncated)
    with pytest.raises(FileFormatError, match="does not exist"):
        read_gauge_ensemble(tmp_path / "nothing.h5")


def test_scalar_round_trip(tmp_path):
    path = tmp_path / "s.h5"
    k = np.zeros((2, 6, 2, 2), dtype=np.int32)
    arrays = {"k": k, "l": k + 1, "n": np.zeros(2), "phi2": np.ones(2)}
    attrs = dict(shape=(6, 2), mu=1.0, eta=4.01, lam=1.0, seed=3, n_therm=1, n_skip=1, n_worms=4)
    write_scalar_ensemble(path, arrays=arrays, attrs=attrs)
    got, a = read_scalar_ensemble(path)
    assert np.array_equal(got["l"], k + 1) and a["kind"] == "scalar-ensemble"
    with pytest.raises(FileFormatError, match="gauge-ensemble"):
        read_gauge_ensemble(path)


def test_save_generated_ensembles_round_trip(tmp_path):
    """``save_*_ensemble`` write the contract from the ensemble objects; ``describe_*`` read it."""
    from latticeml.data import (
        describe_gauge_ensemble,
        describe_scalar_ensemble,
        save_gauge_ensemble,
        save_scalar_ensemble,
    )
    from latticeml.gauge import GaugeParams, generate_ensemble
    from latticeml.scalar import ScalarParams, generate_scalar_ensemble

    g = generate_ensemble(GaugeParams(group="su2", shape=(4, 4), beta=2.0, n_configs=3,
                                      n_therm=2, n_skip=1, seed=4, threads=1))  # fmt: skip
    save_gauge_ensemble(tmp_path / "g.h5", g)
    arrays, attrs = read_gauge_ensemble(tmp_path / "g.h5")
    assert arrays["links"].tobytes() == g.links.tobytes()
    assert np.array_equal(arrays["plaquette_history"], g.plaquette_history)
    assert attrs["group"] == "su2" and attrs["n_colors"] == 2 and attrs["shape"] == (4, 4)
    assert attrs["tau_int_plaquette"] == g.tau_int and attrs["start"] == "cold"
    # provenance of the numbers: backend that ran, CPU Numba compiled for, numba version
    assert attrs["backend"] == g.backend == "simd"  # auto, on a machine that passes the test
    import numba

    assert attrs["numba_version"] == numba.__version__ and attrs["cpu_model"]
    assert attrs["cpu_target"] and "+" in attrs["cpu_features"]
    text = describe_gauge_ensemble(tmp_path / "g.h5")
    assert "consistency" in text and "verified" in text
    with pytest.raises(OutputExistsError):
        save_gauge_ensemble(tmp_path / "g.h5", g)

    s = generate_scalar_ensemble(ScalarParams(shape=(8, 2), mu=1.0, eta=4.01, lam=1.0,
                                              n_configs=4, n_therm=2, n_skip=1, seed=3,
                                              n_worms=2, open_worms=1))  # fmt: skip
    save_scalar_ensemble(tmp_path / "s.h5", s)
    arrays, attrs = read_scalar_ensemble(tmp_path / "s.h5")
    assert np.array_equal(arrays["k"], s.k) and np.array_equal(arrays["label"], s.label)
    assert attrs["n_worms"] == 2 and attrs["open_worms"] == 1
    assert attrs["backend"] == "scalar" and attrs["numba_version"] == numba.__version__
    assert "2 conserved, 2 violated" in describe_scalar_ensemble(tmp_path / "s.h5")


def test_generation_does_not_import_torch(tmp_path):
    """Generation jobs import ``latticeml.data`` but not torch (3 s per job); the torch
    readers load on first use (positive control at the end)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import latticeml.data as D\n"
        "from latticeml.cli import main\n"
        "a = ['--n-therm', '1', '--n-skip', '1', '--no-progress']\n"
        "assert main(['gauge', 'generate', '--group', 'su3', '--shape', '4,4', '--beta', '2',"
        " '--n-configs', '2', '--seed', '1', *a, '--out', 'g.h5']) == 0\n"
        "assert main(['scalar', 'generate', '--shape', '8,2', '--mu', '1', '--eta', '4.01',"
        " '--lam', '1', '--n-configs', '2', '--seed', '1', *a, '--out', 's.h5']) == 0\n"
        "assert main(['gauge', 'inspect', 'g.h5']) == 0\n"
        "assert main(['scalar', 'inspect', 's.h5']) == 0\n"
        "print('after generate:', 'torch' in sys.modules)\n"
        "D.dataset_info\n"
        "print('after dataset_info:', 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "after generate: False" in out.stdout
    assert "after dataset_info: True" in out.stdout


def test_machine_record_names_the_numba_target(tmp_path):
    """The record follows Numba's target CPU (NUMBA_CPU_NAME / NUMBA_CPU_FEATURES), not only
    the host: kernels compiled for another target may round differently."""
    import json
    import subprocess
    import sys

    from latticeml.data.provenance import machine_record, source_backends

    host = machine_record("simd")
    env = {**os.environ, "NUMBA_CPU_NAME": "generic", "NUMBA_CPU_FEATURES": ""}
    code = "import json; from latticeml.data.provenance import machine_record as m; " \
           "print(json.dumps(m('scalar')))"  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)  # fmt: skip
    generic = json.loads(out.stdout)
    assert generic["cpu_target"] == "generic" and generic["cpu_features"] == ""
    assert generic["cpu_model"] == host["cpu_model"]
    assert source_backends([{"backend": "simd"}, {}, {"backend": "scalar"}]) == (
        "scalar,simd,unknown"
    )
