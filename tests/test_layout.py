"""The test folders mirror the package: one folder per subpackage of latticeml."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_has_a_test_folder():
    packages = {p.parent.name for p in (ROOT / "src" / "latticeml").glob("*/__init__.py")}
    folders = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and
               any(p.glob("test_*.py"))}
    assert packages <= folders, f"no tests/<name>/ for: {sorted(packages - folders)}"
