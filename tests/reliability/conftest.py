"""Tiny files of every kind latticeml writes, made once per session through the CLI.

The tests of this directory damage copies of them; the originals are never modified.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reliability_helpers import gauge_argv, run, scalar_argv


@pytest.fixture(scope="session")
def files(tmp_path_factory) -> dict[str, Path]:
    """Gauge ensembles (beta 2, 3), scalar ensembles (closed at mu 1.2, with open worms at
    mu 1.0) and the gauge and scalar datasets built from them (relative input paths)."""
    d = tmp_path_factory.mktemp("reliability")
    assert run(gauge_argv("g2.h5", beta=2.0, seed=1), cwd=d) == 0
    assert run(gauge_argv("g3.h5", beta=3.0, seed=2), cwd=d) == 0
    assert run(scalar_argv("s_open.h5", mu=1.0, seed=3, worms=1), cwd=d) == 0
    assert run(scalar_argv("s_closed.h5", mu=1.2, seed=4), cwd=d) == 0
    assert run(["dataset", "build", "--inputs", "g2.h5", "g3.h5", "--loops", "1x1,1x2",
                "--no-progress", "--out", "dg.h5"], cwd=d) == 0
    assert run(["dataset", "build", "--inputs", "s_open.h5", "s_closed.h5", "--no-progress",
                "--out", "ds.h5"], cwd=d) == 0
    return {
        "gauge": d / "g2.h5",
        "gauge3": d / "g3.h5",
        "scalar": d / "s_open.h5",
        "scalar_closed": d / "s_closed.h5",
        "gauge_dataset": d / "dg.h5",
        "scalar_dataset": d / "ds.h5",
    }


@pytest.fixture
def copy_of(files, tmp_path):
    """``copy_of(kind, name=None)``: a private copy of one of the session files."""

    def make(kind: str, name: str | None = None) -> Path:
        dst = tmp_path / (name or files[kind].name)
        shutil.copyfile(files[kind], dst)
        return dst

    return make
