"""The code style CI checks, also in the test command (a failure here is a failed CI run)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name):
    exe = Path(sys.executable).parent / name
    found = str(exe) if exe.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed in this environment")
    return found


def test_snakefmt_leaves_the_workflow_unchanged():
    proc = subprocess.run(
        [_tool("snakefmt"), "--check", "Snakefile", "workflow/"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr + "\nfix: snakefmt Snakefile workflow/"


def test_ruff_is_clean():
    proc = subprocess.run(
        [_tool("ruff"), "check", "src", "tests", "benchmarks"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
