"""A full disk, a closed pipe, work that cannot fit in memory (hostile inputs, round two,
items 6 and 7): one line on stderr, exit code 2 (141 for the pipe), nothing left behind.

The full disk is real: a 512 KiB tmpfs mounted for the test (needs root and ``mount``; skipped
otherwise), filled with a ballast file. Before, ``gauge generate`` and ``dataset gauge`` ended
in a segmentation fault after an HDF5 error dump, ``train`` in an OSError traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from reliability_helpers import gauge_argv, run


@pytest.fixture
def full_disk(tmp_path):
    """A small file system with ``free`` bytes left: ``full_disk(free) -> Path``."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root and mount for a real tmpfs")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")

    def fill(free: int) -> Path:
        st = os.statvfs(mount)
        ballast = st.f_bavail * st.f_frsize - free
        if ballast > 0:
            with open(mount / "ballast", "wb") as f:
                f.write(b"\0" * ballast)
        return mount

    try:
        yield fill
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _cli(argv, cwd=None):
    """The CLI in a child process (a crash must not take the test runner with it)."""
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "latticeml", *map(str, argv)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def _one_line(res, code=2):
    err = res.stderr.strip()
    assert res.returncode == code, (res.returncode, res.stderr[-2000:])
    assert err.startswith("latticeml: error:") and "\n" not in err, err
    assert "Traceback" not in res.stderr
    return err


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "ballast")


def test_gauge_generate_on_a_full_disk(full_disk):
    d = full_disk(64 * 1024)
    res = _cli(gauge_argv(d / "g.h5", n=200, shape="16,16"))
    assert "free" in _one_line(res)
    assert _leftovers(d) == []


def test_dataset_gauge_on_a_full_disk(full_disk, files):
    d = full_disk(16 * 1024)
    res = _cli(["dataset", "build", "--inputs", files["gauge"], files["gauge3"], "--loops",
                "1x1,1x2", "--no-progress", "--out", d / "dg.h5"])
    assert "free" in _one_line(res)
    assert _leftovers(d) == []


def test_train_on_a_full_disk(full_disk, files, tmp_path):
    d = full_disk(0)
    val = tmp_path / "val.h5"
    shutil.copyfile(files["gauge_dataset"], val)
    res = _cli(["model", "train", "--train", files["gauge_dataset"], "--val", val, "--target",
                "W_1x1",
                "--model", "W1x1", "--epochs", "2", "--batch-size", "2", "--threads", "1",
                "--no-progress", "--out-dir", d / "run"])
    _one_line(res)
    run_dir = d / "run"
    assert not (run_dir / "model.pt").exists()
    if run_dir.exists():
        assert not [p for p in run_dir.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("argv", [
    gauge_argv("x.h5", shape="100000,100000", n=10),
    gauge_argv("x.h5", n=100_000_000_000),
], ids=["lattice too large", "too many configurations"])
def test_work_that_cannot_fit_in_memory_is_refused_first(tmp_path, argv):
    res = _cli(argv, cwd=tmp_path)
    assert "memory" in _one_line(res)
    assert list(tmp_path.iterdir()) == []


def test_inspect_into_a_closed_pipe_stops_quietly(files):
    """``latticeml gauge inspect f.h5 | head -1``: the reader is gone before the first write
    (its end of the pipe is closed before the child starts), deterministically."""
    r, w = os.pipe()
    os.close(r)
    try:
        res = subprocess.run([sys.executable, "-m", "latticeml", "gauge", "inspect",
                              str(files["gauge"])], stdout=w, stderr=subprocess.PIPE,
                             text=True, timeout=300)
    finally:
        os.close(w)
    assert res.returncode == 141, res.stderr
    assert res.stderr == ""


def test_the_cli_still_reads_and_writes_normally(tmp_path):
    assert run(gauge_argv(tmp_path / "ok.h5")) == 0
