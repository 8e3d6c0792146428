"""One declaration per training parameter: TrainParams -> `latticeml train` flags -> the
workflow's command and the config schema."""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from latticeml.catalog.training import SEARCHED_TRAINING
from latticeml.cli import main
from latticeml.cli._fields import UNSET, add_options, given_options
from latticeml.fields import cli_options, flag_name, option
from latticeml.train.params import TrainParams

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
#: keys of the config's training section that are not run parameters (how many runs, where)
WORKFLOW_ONLY = {"replicas", "processes", "gpu", "mem_mb", "runtime"}
_JSON = {"int": "integer", "float": "number", "str": "string"}


@dataclasses.dataclass(frozen=True)
class _Demo:
    path: str = option(help="a file", metavar="F")
    count: int = option(3, "how many")
    scale: float = option(0.5, "a scale")
    mode: str = option("a", "the mode", choices=("a", "b"))
    quiet: bool = option(False, "less output")
    hidden: int = 7  # not an option


def test_options_are_generated_from_the_fields():
    opts = {o.name: o for o in cli_options(_Demo)}
    assert list(opts) == ["path", "count", "scale", "mode", "quiet"]
    assert opts["path"].required and opts["path"].flag == "--path"
    assert opts["count"].type == "int" and opts["count"].default == 3
    assert flag_name("batch_size") == "--batch-size"
    p = argparse.ArgumentParser()
    add_options(p, _Demo, detect={"scale"})
    args = p.parse_args(["--path", "x", "--count", "4", "--quiet"])
    assert given_options(args, _Demo) == {"path": "x", "count": 4, "mode": "a", "quiet": True}
    assert args.scale is UNSET
    assert _Demo(**given_options(args, _Demo)) == _Demo("x", 4, 0.5, "a", True)
    assert given_options(p.parse_args(["--path", "x", "--scale", "2"]), _Demo)["scale"] == 2.0
    with pytest.raises(SystemExit):
        p.parse_args(["--count", "4"])  # --path is required
    assert "(default 3)" in p.format_help() and "the mode: a, b" in p.format_help()


def test_every_train_option_is_a_flag_of_the_command(capsys):
    with pytest.raises(SystemExit):
        main(["model", "train", "--help"])
    text = capsys.readouterr().out
    for o in cli_options(TrainParams):
        assert o.flag in text, o.flag


def test_schema_training_keys_are_train_options_of_the_same_type():
    props = SCHEMA["properties"]["training"]["properties"]
    opts = {o.name: o for o in cli_options(TrainParams)}
    for key, prop in props.items():
        if key in WORKFLOW_ONLY:
            assert key not in opts, key
            continue
        assert key in opts, f"training.{key} is no TrainParams option"
        assert prop["type"] == _JSON[opts[key].type], key
        if opts[key].choices:
            assert tuple(prop["enum"]) == opts[key].choices, key
    # the run settings a config can give: every option but the experiment's own and the paths
    per_experiment = {"train", "val", "target", "plane", "seed", "name", "replica",
                      "train_limit", "init_from"}
    assert set(opts) - per_experiment == set(props) - WORKFLOW_ONLY


def test_searched_keys_are_train_options():
    opts = {o.name: o for o in cli_options(TrainParams)}
    for key, kind in SEARCHED_TRAINING.items():
        assert opts[key].type == kind


def test_training_from_refuses_the_flags_it_sets(tmp_path, capsys):
    best = tmp_path / "best.yaml"
    best.write_text(yaml.safe_dump({"model": {"kind": "cnn"}, "training": {"lr": 0.003,
                                                                            "batch_size": 8}}))
    code = main(["model", "train", "--train", "a.h5", "--val", "b.h5", "--target", "W_1x1",
                 "--model",
                 "W1x1", "--training-from", str(best), "--lr", "0.1", "--out-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code != 0 and err.startswith("latticeml: error: --training-from")
    assert "--lr" in err and "\n" not in err.strip()


def test_the_train_command_line_loads_without_torch():
    code = ("import sys; from latticeml.cli import main\n"
            "try:\n    main(['model', 'train', '--help'])\nexcept SystemExit:\n    pass\n"
            "import latticeml.train.params\n"
            "print('torch' in sys.modules, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stderr.strip().endswith("False"), out.stderr[-500:]


def test_workflow_command_carries_every_run_setting(tmp_path):
    """The train rule's command has one flag per run setting of the config, with its value."""
    from tests.test_workflow import TINY, _snakemake, _write_config

    conf = _write_config(tmp_path, TINY)
    out = _snakemake(tmp_path, "--configfile", str(conf), "--dry-run", "--printshellcmds",
                     "--forcerun", "train")
    assert out.returncode == 0, out.stderr[-2000:]
    commands = [line for line in out.stdout.splitlines() if " train --train " in line]
    lcnn = next(c for c in commands if "--name lcnn " in c)
    props = SCHEMA["properties"]["training"]["properties"]
    for key in set(props) - WORKFLOW_ONLY - {"threads"}:
        assert f" {flag_name(key)} " in lcnn, key
    assert " --dtype float64 " in lcnn and " --epochs 2 " in lcnn  # override, config value
    searched = next(c for c in commands if "--name cnn_searched " in c)
    assert "--training-from" in searched
    for key in SEARCHED_TRAINING:
        assert f" {flag_name(key)} " not in searched, key
