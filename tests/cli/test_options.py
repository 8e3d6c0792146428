"""Commands whose options are generated from the stage dataclasses (latticeml.fields)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from latticeml.cli import main
from latticeml.fields import cli_options

COMMANDS = {
    ("gauge", "generate"): "latticeml.gauge.params:GaugeParams",
    ("scalar", "generate"): "latticeml.scalar.params:ScalarParams",
    ("model", "train"): "latticeml.train.params:TrainParams",
    ("model", "evaluate"): "latticeml.evaluate.params:EvaluateParams",
    ("search", "run"): "latticeml.search.params:SearchParams",
    ("results", "plot"): "latticeml.plots.request:PlotRequest",
    ("results", "summarize"): "latticeml.evaluate.request:SummarizeRequest",
    ("model", "select"): "latticeml.evaluate.request:SelectRequest",
}


def _cls(path):
    import importlib

    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("command", sorted(COMMANDS), ids=" ".join)
def test_every_field_option_is_a_flag_with_its_default(command, capsys):
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for o in cli_options(_cls(COMMANDS[command])):
        assert o.flag in text, o.flag
        if not o.required and o.type != "bool" and o.default not in ("", None, ()):
            shown = ",".join(map(str, o.default)) if isinstance(o.default, tuple) else o.default
            assert f"(default {shown})" in text, (o.flag, shown)


def test_the_command_line_builds_without_numba_torch_or_matplotlib():
    code = ("import sys; from latticeml.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "import latticeml.gauge.params, latticeml.scalar.params, latticeml.train.params\n"
            "import latticeml.evaluate.params\n"
            "print(sorted(m for m in ('numba', 'torch', 'matplotlib') if m in sys.modules), "
            "file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stderr.strip().endswith("[]"), out.stderr[-500:]
