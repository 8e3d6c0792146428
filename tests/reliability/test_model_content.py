"""Model files whose checksum was recomputed over bad content (hostile inputs, round two,
items 7 and 8): NaN or infinite weights, a normalisation that is not two finite numbers,
``info`` or ``spec`` that are not mappings. Each is refused at load with a one-line error by the
library and by ``latticeml evaluate`` -- before, NaN weights evaluated to empty metrics with
exit code 0 and ``select`` could pick them."""

from __future__ import annotations

import math
import shutil

import pytest
import torch

from latticeml.cli import main
from latticeml.errors import FileFormatError
from latticeml.nn import load_model
from latticeml.nn.modelfile import atomic_torch_save, model_checksum
from latticeml.train import TrainParams, train


@pytest.fixture(scope="module")
def model(files, tmp_path_factory):
    d = tmp_path_factory.mktemp("model")
    val = d / "val.h5"
    shutil.copyfile(files["gauge_dataset"], val)
    res = train(TrainParams(train=str(files["gauge_dataset"]), val=str(val), target="W_1x1",
                            model={"preset": "W1x1"}, out=str(d / "run"), epochs=1,
                            batch_size=2, threads=1, seed=1), progress=False)
    return res.model_path


def _first_weight(content):
    return next(iter(content["state_dict"]))


def _nan_weight(c):
    k = _first_weight(c)
    c["state_dict"][k] = c["state_dict"][k].clone().fill_(math.nan)


def _inf_weight(c):
    k = _first_weight(c)
    w = c["state_dict"][k].clone()
    w.view(-1)[0] = math.inf
    c["state_dict"][k] = w


CASES = {
    "nan weight": _nan_weight,
    "inf weight": _inf_weight,
    "nan mean": lambda c: c.update(normalisation={"mean": math.nan, "std": 1.0}),
    "string mean": lambda c: c.update(normalisation={"mean": "0.5", "std": 1.0}),
    "zero std": lambda c: c.update(normalisation={"mean": 0.0, "std": 0.0}),
    "missing std": lambda c: c.update(normalisation={"mean": 0.0}),
    "list info": lambda c: c.update(info=[1, 2]),
    "string spec": lambda c: c.update(spec="W1x1"),
    "weight not a tensor": lambda c: c["state_dict"].update({_first_weight(c): [1.0]}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_resealed_bad_content_is_refused(model, tmp_path, capsys, case):
    content = torch.load(model, weights_only=True)
    CASES[case](content)
    content["checksum"] = model_checksum(content)
    bad = tmp_path / "model.pt"
    atomic_torch_save(content, bad)
    with pytest.raises(FileFormatError):
        load_model(bad)
    argv = ["model", "evaluate", "--models", str(bad), "--test", str(model.parents[1] / "val.h5"),
            "--out", str(tmp_path / "eval.csv"), "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("latticeml: error:") and "\n" not in err
    assert not (tmp_path / "eval.csv").exists()


def test_the_untouched_model_loads(model):
    assert load_model(model) is not None


def test_evaluate_refuses_an_unknown_device_in_one_line(model, tmp_path, capsys):
    code = main(["model", "evaluate", "--models", str(model), "--test",
                 str(model.parents[1] / "val.h5"),
                 "--device", "tpu", "--out", str(tmp_path / "e.csv")])
    assert code == 2  # refused by EvaluateParams before any work
    err = capsys.readouterr().err.strip()
    assert "tpu" in err and "\n" not in err
    assert not (tmp_path / "e.csv").exists()


def test_training_from_an_hdf5_file_is_refused_in_one_line(model, files, tmp_path, capsys):
    val = model.parents[1] / "val.h5"
    argv = ["model", "train", "--train", str(files["gauge_dataset"]), "--val", str(val), "--target",
            "W_1x1", "--model", "W1x1", "--training-from", str(val), "--no-progress",
            "--out-dir", str(tmp_path / "run")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("latticeml: error: --training-from") and "\n" not in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("extra", [["--mu-range", "nan", "1"], ["--mu-range", "0.9", "inf"]])
def test_summarize_refuses_non_finite_numbers(tmp_path, capsys, extra):
    ev = tmp_path / "e.csv"
    ev.write_text("model,test\n")
    with pytest.raises(SystemExit) as exc:
        main(["results", "summarize", "--evaluations", str(ev), "--out",
              str(tmp_path / "s.csv"), *extra])
    assert exc.value.code == 2 and "finite" in capsys.readouterr().err
    assert not (tmp_path / "s.csv").exists()


def test_summarize_refuses_one_file_for_two_outputs(tmp_path, capsys):
    ev = tmp_path / "e.csv"
    ev.write_text("model,test\n")
    x = tmp_path / "x.csv"
    assert main(["results", "summarize", "--evaluations", str(ev), "--out", str(x), "--markdown",
                 str(x)]) == 2
    assert "named twice" in capsys.readouterr().err
    assert not x.exists()
