"""Deliver 1 / Why 1-2: output paths are checked before any work, one line, exit 2, nothing
written, inputs untouched."""

from __future__ import annotations

import os
import shutil

import pytest
from reliability_helpers import gauge_argv, run, scalar_argv

import latticeml.gauge
import latticeml.scalar
from latticeml.data import check_output_path
from latticeml.errors import OutputPathError


def _listing(d):
    return sorted((p.relative_to(d).as_posix(), p.is_dir()) for p in d.rglob("*"))


@pytest.fixture
def no_generation(monkeypatch):
    """Any generation that starts fails the test: the checks must come before the work."""

    def fail(*args, **kwargs):
        raise AssertionError("generation started before the output path was checked")

    monkeypatch.setattr(latticeml.gauge, "generate_ensemble", fail)
    monkeypatch.setattr(latticeml.scalar, "generate_scalar_ensemble", fail)


def _commands(inputs):
    g, s = inputs
    return {
        "gauge generate": lambda out, force: gauge_argv(out, extra=["--force"] * force),
        "scalar generate": lambda out, force: scalar_argv(out, extra=["--force"] * force),
        "dataset gauge": lambda out, force: ["dataset", "build", "--inputs", g, "--no-progress",
                                             *["--force"] * force, "--out", out],
        "dataset scalar": lambda out, force: ["dataset", "build", "--inputs", s,
                                              "--no-progress", *["--force"] * force,
                                              "--out", out],
    }


BAD_OUTPUTS = ["existing-dir", "dot", "missing-parent", "unwritable", "not-regular"]


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("bad", BAD_OUTPUTS)
@pytest.mark.parametrize("command", ["gauge generate", "scalar generate", "dataset gauge",
                                     "dataset scalar"])
def test_bad_output_refused_before_work(files, tmp_path, capsys, no_generation, command, bad,
                                        force):
    work = tmp_path / "work"
    work.mkdir()
    g = shutil.copyfile(files["gauge"], work / "g.h5")
    s = shutil.copyfile(files["scalar"], work / "s.h5")
    (work / "sub").mkdir()
    (work / "sub" / "keep.txt").write_text("x")
    out = {
        "existing-dir": "sub",
        "dot": ".",
        "missing-parent": "nowhere/out.h5",
        "unwritable": "/proc/latticeml-out.h5",  # not writable, not even by root
        "not-regular": "/dev/null",
    }[bad]
    before = _listing(work)
    before_bytes = (g.read_bytes(), s.read_bytes())
    argv = _commands(("g.h5", "s.h5"))[command](out, force)
    capsys.readouterr()
    assert run(argv, cwd=work) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("latticeml: error:"), err
    assert "Traceback" not in err
    assert _listing(work) == before  # nothing written, no temporary left
    assert (g.read_bytes(), s.read_bytes()) == before_bytes


@pytest.mark.parametrize("how", ["same", "dot-slash", "symlink", "hardlink"])
@pytest.mark.parametrize("command", ["dataset gauge", "dataset scalar"])
def test_output_equal_to_an_input_is_refused(files, tmp_path, capsys, command, how):
    """Why 2: ``dataset gauge --inputs a.h5 --out a.h5 --force`` overwrote the input."""
    work = tmp_path / "work"
    work.mkdir()
    src = "g.h5" if command == "dataset gauge" else "s.h5"
    shutil.copyfile(files["gauge" if src == "g.h5" else "scalar"], work / src)
    out = {"same": src, "dot-slash": f"./{src}", "symlink": "link.h5", "hardlink": "hard.h5"}[how]
    if how == "symlink":
        os.symlink(src, work / "link.h5")
    if how == "hardlink":
        os.link(work / src, work / "hard.h5")
    before = (work / src).read_bytes()
    argv = ["dataset", "build", "--inputs", src, "--no-progress", "--force", "--out", out]
    capsys.readouterr()
    assert run(argv, cwd=work) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is the input file" in err, err
    assert (work / src).read_bytes() == before


def test_gauge_generate_into_a_directory_with_force_is_refused_at_once(tmp_path, capsys,
                                                                         no_generation):
    """Why 1: ``--out DIR --force`` ran the whole generation, then died with a traceback;
    ``--out .`` gave EBUSY."""
    for out in (str(tmp_path), "."):
        capsys.readouterr()
        assert run(gauge_argv(out, extra=["--force"]), cwd=tmp_path) == 2
        err = capsys.readouterr().err
        assert "is a directory" in err and "--force" not in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_directory_message_does_not_suggest_force(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(OutputPathError, match="is a directory") as info:
        check_output_path(tmp_path / "d")
    assert "--force" not in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any directory")
def test_read_only_directory_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(OutputPathError, match="cannot create files"):
            check_output_path(ro / "out.h5")
    finally:
        ro.chmod(0o755)


def test_existing_file_still_needs_force_and_force_replaces_it(files, tmp_path, capsys):
    work = tmp_path
    shutil.copyfile(files["gauge"], work / "g.h5")
    (work / "out.h5").write_text("old")
    argv = ["dataset", "build", "--inputs", "g.h5", "--no-progress", "--out", "out.h5"]
    assert run(argv, cwd=work) == 2
    assert "--force" in capsys.readouterr().err
    assert (work / "out.h5").read_text() == "old"
    assert run([*argv, "--force"], cwd=work) == 0
    assert (work / "out.h5").read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"
