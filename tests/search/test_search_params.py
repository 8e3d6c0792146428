"""SearchParams declares the search options once: CLI, workflow and schema read it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from latticeml.cli import main
from latticeml.fields import cli_options
from latticeml.search.params import SearchParams

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
_JSON = {"int": "integer", "float": "number", "str": "string"}
#: search-entry keys of the workflow only (which data, how many jobs, resources)
WORKFLOW_ONLY = {"name", "ensemble", "space", "workers", "threads", "mem_mb", "gpu", "runtime"}


def test_schema_search_keys_are_search_options_of_the_same_type():
    props = SCHEMA["properties"]["searches"]["items"]["properties"]
    opts = {o.name: o for o in cli_options(SearchParams)}
    for key, prop in props.items():
        if key in WORKFLOW_ONLY:
            continue
        assert key in opts, f"searches[].{key} is no SearchParams option"
        assert prop["type"] == _JSON[opts[key].type], key
        if opts[key].choices:
            assert tuple(prop["enum"]) == opts[key].choices, key
        if "default" in prop:
            assert prop["default"] == opts[key].default, key


def test_every_search_option_is_a_flag_with_its_default(capsys):
    with pytest.raises(SystemExit):
        main(["search", "run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for o in cli_options(SearchParams):
        assert o.flag in text, o.flag
        if not o.required and o.default not in ("", None):
            assert f"(default {o.default})" in text, (o.flag, o.default)


def test_a_bad_value_is_refused_by_the_dataclass_in_one_line(tmp_path, capsys):
    code = main(["search", "run", "--space", "{model: {kind: cnn}, layers: 1}", "--train",
                 "a.h5", "--val", "b.h5", "--target", "W_1x1", "--pruner", "sometimes",
                 "--out-dir", str(tmp_path / "s")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "--pruner" in err and "\n" not in err
