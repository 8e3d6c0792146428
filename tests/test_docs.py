"""The documentation: README, the MkDocs site and the generated config reference.

- ``config/README.md`` is what ``docs/gen_config_reference.py`` makes of the current schema, and
  every config key has a description there;
- ``mkdocs build --strict`` passes (warnings are errors: broken links, docstring problems) and
  the API reference documents every name in the ``__all__`` of every ``latticeml.*`` package;
- README.md stays short, keeps its Quick start commands (the ones CI runs) and its links resolve.

The build test needs the packages of ``requirements-docs.lock`` (``.ci/run`` installs them);
without them it is skipped, except under CI, where it fails.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

#: The README's Quick start commands, verbatim: install and run the default workflow, then the
#: test suite (the command .ci/run runs).
INSTALL_AND_RUN = (
    "python3 -m venv .venv && .venv/bin/pip install -r requirements.lock && "
    ".venv/bin/pip install --no-deps -e . && . .venv/bin/activate && snakemake --cores 2"
)
TEST_COMMAND = ".venv/bin/python -m pytest --runslow -n auto"
MAX_README_LINES = 150


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_config_reference", ROOT / "docs" / "gen_config_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- config/README.md -------------------------------------------------------------------------
def test_config_reference_is_generated_from_the_current_schema():
    gen = _generator()
    expected = gen.render(gen.load_schema())
    actual = (ROOT / "config" / "README.md").read_text(encoding="utf-8")
    assert actual == expected, (
        "config/README.md is out of date with workflow/schemas/config.schema.yaml: "
        "run python docs/gen_config_reference.py")


def test_every_config_key_has_a_description():
    gen = _generator()
    assert gen.undocumented(gen.load_schema()) == []


def test_config_reference_lists_every_key_with_type_and_default():
    gen = _generator()
    text = gen.render(gen.load_schema())
    for key in ("results", "seed", "gauge.backend", "gauge.ensembles[].betas",
                "scalar.ensembles[].open_worms", "training.lbfgs_steps", "cnn_grids.<name>",
                "evaluation.published", "searches[].workers", "experiments[].init_from",
                "experiments[].training.lr"):
        assert f"| `{key}` |" in text, key
    # a row: key, type, default, allowed values, description
    row = next(line for line in text.splitlines() if line.startswith("| `gauge.backend` |"))
    assert row.count(" | ") == 4
    assert '`"auto"`, `"simd"`, `"scalar"`' in row


def test_config_reference_generator_sees_a_schema_change(tmp_path):
    gen = _generator()
    schema = gen.load_schema()
    schema["properties"]["seed"]["default"] = 1
    assert gen.render(schema) != gen.render(gen.load_schema())
    del schema["properties"]["threads"]["description"]
    assert gen.undocumented(schema) == ["threads"]


# ---- the site -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec(
            "mkdocstrings_handlers") is None:
        message = "the docs packages are not installed (pip install -r requirements-docs.lock)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
                          cwd=ROOT, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return out


def test_mkdocs_build_strict_succeeds(site):
    assert (site / "index.html").is_file()
    assert (site / "configuration" / "index.html").is_file()
    # the committed study reports are pages of the site
    for study in ("lcnn-su2-2d", "lcnn-su2-4d", "lcnn-su2-4d-p12", "lcnn-su3-2d", "scalar-2d",
                  "search"):
        assert (site / "results" / study / "index.html").is_file(), study


def _package_all(init: Path) -> list[str]:
    """The names of ``__all__`` in a package's ``__init__.py`` (``*dict`` entries expanded)."""
    tree = ast.parse(init.read_text(encoding="utf-8"))
    dicts: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    # (a ``**mapping`` entry has no key: its names are listed elsewhere)
                    dicts[target.id] = [ast.literal_eval(k) for k in node.value.keys
                                        if k is not None]
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            names = []
            for element in node.value.elts:
                if isinstance(element, ast.Starred):
                    names += dicts[element.value.id]
                else:
                    names.append(ast.literal_eval(element))
            return names
    return []


def _public_packages() -> list[str]:
    src = ROOT / "src" / "latticeml"
    return sorted(p.parent.name for p in src.glob("*/__init__.py")
                  if not p.parent.name.startswith("_") and _package_all(p))


def test_api_reference_documents_every_public_name(site):
    packages = _public_packages()
    assert {"data", "gauge", "nn", "scalar", "train"} <= set(packages)
    for package in packages:
        page = site / "api" / package / "index.html"
        assert page.is_file(), f"no API page for latticeml.{package}: add docs/api/{package}.md"
        ids = set(re.findall(r'id="(latticeml\.[\w.]+)"', page.read_text(encoding="utf-8")))
        missing = [name for name in _package_all(ROOT / "src" / "latticeml" / package /
                                                 "__init__.py")
                   if not any(i == f"latticeml.{package}.{name}" or
                              (i.startswith(f"latticeml.{package}.") and i.endswith(f".{name}"))
                              for i in ids)]
        assert not missing, f"latticeml.{package}: not in docs/api/{package}.md: {missing}"


def test_every_top_level_module_with_all_has_a_reference(site):
    page = (site / "api" / "core" / "index.html").read_text(encoding="utf-8")
    for path in sorted((ROOT / "src" / "latticeml").glob("*.py")):
        if path.name.startswith("_") or "__all__" not in path.read_text(encoding="utf-8"):
            continue
        assert f'id="latticeml.{path.stem}"' in page, f"latticeml.{path.stem} not in api/core.md"


# ---- README.md ---------------------------------------------------------------------------------
def _quick_start() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Quick start\n(.*?)(?=^## )", text, flags=re.M | re.S)
    assert match, "README.md has no '## Quick start' section"
    return match.group(1)


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, (
        f"README.md has {len(lines)} lines (at most {MAX_README_LINES}): move the rest to docs/")


def test_readme_quick_start_has_the_two_commands():
    blocks = re.findall(r"```bash\n(.*?)\n```", _quick_start(), flags=re.S)
    assert blocks == [INSTALL_AND_RUN, TEST_COMMAND]


def test_ci_runs_the_readme_test_command_with_the_docs_packages():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in ci.splitlines() if not line.lstrip().startswith("#")]
    assert TEST_COMMAND in commands
    lock = next(i for i, c in enumerate(commands) if "-r requirements.lock" in c)
    docs = next(i for i, c in enumerate(commands) if "-r requirements-docs.lock" in c)
    assert lock < docs < commands.index(TEST_COMMAND)


def test_readme_links_resolve():
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    assert links
    for link in links:
        if "://" in link:
            continue
        assert (ROOT / link).exists(), f"README.md links to a missing file: {link}"


def test_readme_figure_is_committed():
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README.read_text(encoding="utf-8"))
    assert len(figures) == 1 and figures[0].startswith("docs/")
    assert (ROOT / figures[0]).is_file()


def test_griffe_extension_turns_rst_into_markdown():
    spec = importlib.util.spec_from_file_location("griffe_rst", ROOT / "docs" / "griffe_rst.py")
    if importlib.util.find_spec("griffe") is None:
        pytest.skip("griffe is not installed (pip install -r requirements-docs.lock)")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = ("Summary with :func:`latticeml.gauge.plaquette` and :class:`~torch.Tensor`.\n\n"
            "Public API\n----------\nGaugeParams, GROUPS\n    Validated parameters,\n"
            "    keyword-only.\nplaquette\n    Measurements.\n\nExample::\n\n    x = 1\n\n"
            "Parameters\n----------\nn : int\n    Threads.\n")
    assert module.convert(text) == (
        "Summary with `latticeml.gauge.plaquette` and `Tensor`.\n\n"
        "Public API\n----------\nGaugeParams, GROUPS\n:   Validated parameters,\n"
        "    keyword-only.\n\nplaquette\n:   Measurements.\n\nExample:\n\n    x = 1\n\n"
        "Parameters\n----------\nn : int\n    Threads.\n")
