"""Tables that are not whole CSV files, and a refused plot (hostile inputs, round two, item
10): a device such as /dev/zero (read forever before), a file cut short (plotted silently
before), and a refusal after the figure folder was made (an empty folder was left)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from latticeml.cli import main
from latticeml.errors import ParameterError


def test_plot_of_a_device_is_refused_at_once(tmp_path):
    res = subprocess.run([sys.executable, "-m", "latticeml", "results", "plot", "--evaluation",
                          "/dev/zero", "--out-dir", str(tmp_path / "figs")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stderr[-1000:]
    assert "not a regular file" in res.stderr and res.stderr.count("\n") == 1
    assert not (tmp_path / "figs").exists()


@pytest.mark.parametrize("command", ["plot", "summarize"])
def test_a_table_cut_short_is_refused(tmp_path, capsys, command):
    whole = "experiment,family,metric,value\na,L-CNN,mse_mean,0.1\nb,L-CNN,mse_mean,0.2\n"
    cut = tmp_path / "cut.csv"
    cut.write_text(whole[:-9])  # the last row lost its end
    argv = {"plot": ["results", "plot", "--evaluation", str(cut), "--out-dir", str(tmp_path / "f")],
            "summarize": ["results", "summarize", "--evaluations", str(cut), "--out",
                          str(tmp_path / "s.csv")]}[command]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "cut short" in err and "\n" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.csv"]


def test_a_refused_plot_leaves_no_empty_folder(tmp_path):
    from tests.plots.test_scalar_plots import _evaluation

    table = _evaluation()  # every row "not applicable": the figure has nothing to draw
    table["value"] = np.nan
    table["status"] = "not applicable: test"
    evaluation = tmp_path / "evaluation.csv"
    table.to_csv(evaluation, index=False)
    out = tmp_path / "figs"
    with pytest.raises(ParameterError):
        main_raise(["results", "plot", "--evaluation", str(evaluation), "--out-dir", str(out),
                    "--figures", "observable_vs_mu"])
    assert not out.exists()


def main_raise(argv):
    """Run ``latticeml`` and raise its typed error instead of printing it."""
    from latticeml.cli import build_parser

    args = build_parser().parse_args(argv)
    return args.func(args)


def test_loops_commands_have_bounds(tmp_path, capsys):
    """``can-express --loop 1000000x1000000`` and a 12 000-step ``draw`` took minutes (the
    latter left .tmp files); now one line, at once, nothing written."""
    with pytest.raises(SystemExit) as exc:
        main(["loops", "can-express", "--loop", "1000000x1000000", "--model", "W2x2-small"])
    assert exc.value.code == 2 and "up to 128" in capsys.readouterr().err
    word = "ab" * 3000 + "AB" * 3000
    assert main(["loops", "draw", word, "--out", str(tmp_path / "w.png")]) == 2
    assert "at most 512 steps" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_refused_loops_explain_leaves_no_empty_folder(files, tmp_path, capsys):
    """Explaining a CNN is refused (it has no loop expansion) after the folder was made."""
    import shutil

    from latticeml.train import TrainParams, train

    val = tmp_path / "val.h5"
    shutil.copyfile(files["gauge_dataset"], val)
    res = train(TrainParams(train=str(files["gauge_dataset"]), val=str(val), target="W_1x1",
                            model={"kind": "cnn", "channels": [2], "kernel_sizes": 1},
                            out=str(tmp_path / "cnn"), epochs=1, batch_size=2, threads=1),
                progress=False)
    out = tmp_path / "explained"
    assert main(["loops", "explain", str(res.model_path), "--out-dir", str(out)]) == 2
    assert "\n" not in capsys.readouterr().err.strip()
    assert not out.exists()
