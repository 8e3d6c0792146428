"""Training: learning W1x1 exactly, exact resume after a kill, model files, bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch

import latticeml
from latticeml.cli import main
from latticeml.errors import FileFormatError, OutputExistsError, ParameterError
from latticeml.evaluate import ConditionalMean, compute_metrics
from latticeml.nn import build_model, load_model, read_model_file
from latticeml.nn.modelfile import atomic_torch_save, model_checksum
from latticeml.train import TrainParams, load_gauge_split, parse_model_spec, train
from tests.pausing import PauseHook


def _params(data, out, **kw):
    base = dict(train=str(data["train"]), val=str(data["val"]), target="W_1x1",
                model={"preset": "W1x1"}, out=str(out), epochs=4, batch_size=10, lr=1e-2,
                seed=3, dtype="float64", threads=1, patience=0, name="exp")
    return TrainParams(**{**base, **kw})


def test_lcnn_learns_w1x1_where_the_conditional_mean_cannot(gauge_data, tmp_path):
    p = _params(gauge_data, tmp_path / "run", epochs=60, schedule="plateau",
                plateau_patience=2, lr=2e-2)
    result = train(p, progress=False)
    model = load_model(result.model_path)
    test = load_gauge_split(gauge_data["test"], "W_1x1", dtype="float64")
    with torch.no_grad():
        pred = model(test.links).numpy()
    true = test.target.numpy()
    ours = compute_metrics(pred, true, test.beta)
    tr = load_gauge_split(gauge_data["train"], "W_1x1", dtype="float64")
    trivial = compute_metrics(ConditionalMean(tr.beta, tr.target.numpy())(test.beta, (4, 4)),
                              true, test.beta)
    assert ours["nmse_site"] < 1e-6, ours
    assert trivial["nmse_site"] > 0.5, trivial
    assert ours["mse_mean"] < 1e-8


def _weights(path):
    return read_model_file(path)["state_dict"]


@pytest.mark.parametrize("schedule", [
    {"schedule": "none"},
    {"schedule": "plateau", "plateau_patience": 1, "patience": 2, "lr": 0.05},
    {"schedule": "cosine", "patience": 3},
    {"schedule": "cosine", "warmup_epochs": 2, "clip_grad_norm": 0.5, "patience": 0},
    {"lr": 0.05, "stop_window": 1, "stop_min_improvement": 0.5, "patience": 0},
    # killed at the end of the first L-BFGS step (epoch 3 = Adam 2 + L-BFGS 1)
    {"epochs": 2, "lbfgs_steps": 3, "lbfgs_max_iter": 4, "dtype": "float64"},
])
def test_resume_after_interruption_gives_the_same_weights(gauge_data, tmp_path, schedule):
    schedule = {"epochs": 5, **schedule}
    full = train(_params(gauge_data, tmp_path / "full", **schedule), progress=False)

    class KilledError(Exception):
        pass

    kill_at = min(3, full.epochs_run - 1)

    def kill_at_3(epoch):
        if epoch == kill_at:
            raise KilledError

    p = _params(gauge_data, tmp_path / "part", **schedule)
    with pytest.raises(KilledError):
        train(p, progress=False, on_epoch_end=kill_at_3)
    assert (tmp_path / "part/checkpoint.pt").exists()
    assert not (tmp_path / "part/model.pt").exists()
    resumed = train(p, progress=False)
    assert resumed.resumed_from == kill_at
    assert resumed.history == [
        {**h, "seconds": r["seconds"]} for h, r in zip(full.history, resumed.history, strict=True)
    ]
    a, b = _weights(full.model_path), _weights(resumed.model_path)
    assert all(torch.equal(a[k], b[k]) for k in a)
    # same content -> same bytes (no time stamps in model files)
    assert full.model_path.read_bytes() == resumed.model_path.read_bytes()
    assert not (tmp_path / "part/checkpoint.pt").exists()  # removed after success
    lines = (tmp_path / "part/metrics.csv").read_text().splitlines()
    assert lines[0] == "epoch,train_loss,val_loss,lr,seconds,stage,steps,grad_norm"
    assert len(lines) == full.epochs_run + 1
    if schedule.get("stop_window"):
        assert full.ended_by == "stop rule" and full.epochs_run < 5
    if schedule.get("lbfgs_steps"):
        assert [h["stage"] for h in full.history][:3] == ["adam", "adam", "lbfgs"]
        assert full.ended_by.startswith("L-BFGS")


def test_checkpoint_of_other_parameters_is_ignored(gauge_data, tmp_path):
    p = _params(gauge_data, tmp_path / "run", epochs=2)
    train(p, progress=False, keep_checkpoint=True)
    messages = []
    other = _params(gauge_data, tmp_path / "run", epochs=2, lr=5e-3)
    res = train(other, progress=False, force=True, log=messages.append)
    assert res.resumed_from == 0
    assert any("other parameters" in m for m in messages)


@pytest.mark.slow
def test_sigkill_during_training_then_rerun(gauge_data, tmp_path, capsys):
    """A real kill -9 of the CLI mid-training; the rerun ends as an uninterrupted run.

    The child stops itself after the checkpoint of epoch 3 of 12 (tests/pausing.py) and is
    killed while stopped: the kill lands at that point on any machine, however fast.
    """
    args = ["--train", str(gauge_data["train"]), "--val", str(gauge_data["val"]),
            "--target", "W_1x2", "--model", "W1x2-medium", "--epochs", "12", "--batch-size", "4",
            "--seed", "5", "--threads", "1", "--no-progress", "--patience", "0"]
    args += ["--name", "exp"]
    assert main(["model", "train", *args, "--out-dir", str(tmp_path / "full")]) == 0
    hook = PauseHook(tmp_path / "hook", train_epoch=3)
    cmd = [sys.executable, "-m", "latticeml", "model", "train", *args, "--out-dir",
           str(tmp_path / "killed")]
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL, env=hook.env())
    try:
        assert hook.wait_paused(proc) == [proc.pid]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert (tmp_path / "killed/checkpoint.pt").is_file()
    assert not (tmp_path / "killed/model.pt").exists()
    capsys.readouterr()
    assert main(["model", "train", *args, "--out-dir", str(tmp_path / "killed")]) == 0
    assert "from the checkpoint of epoch 3" in capsys.readouterr().err
    assert ((tmp_path / "killed/model.pt").read_bytes()
            == (tmp_path / "full/model.pt").read_bytes())
    rows = (tmp_path / "killed/metrics.csv").read_text().splitlines()
    assert len(rows) == 1 + 12


def test_model_file_is_plain_data_and_predicts_in_target_units(gauge_data, tmp_path):
    res = train(_params(gauge_data, tmp_path / "run", epochs=2), progress=False)
    content = torch.load(res.model_path, weights_only=True)  # no code is executed
    assert content["target"] == "W_1x1" and content["package_version"] == latticeml.__version__
    assert content["info"]["train"]["sha256"] and content["info"]["n_params"] == 12
    model = load_model(res.model_path)
    assert not model.training
    net = build_model(content["spec"])
    net.load_state_dict(content["state_dict"])
    links = load_gauge_split(gauge_data["test6"], "W_1x1", dtype="float64").links[:3]
    norm = content["normalisation"]
    with torch.no_grad():
        expected = net(links) * norm["std"] + norm["mean"]
        got = model(links)
    assert got.shape == (3, 6, 6)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


def _rewrite(path, **changes):
    content = torch.load(path, weights_only=True)
    content.update(changes)
    content["checksum"] = model_checksum(content)
    atomic_torch_save(content, path)


def test_damaged_and_foreign_model_files_are_refused(gauge_data, tmp_path):
    res = train(_params(gauge_data, tmp_path / "run", epochs=1), progress=False)
    raw = bytearray(res.model_path.read_bytes())
    weights = next(iter(_weights(res.model_path).values())).numpy().tobytes()
    at = bytes(raw).find(weights)
    assert at > 0
    bad = tmp_path / "bad.pt"
    raw[at + 3] ^= 0x01  # one flipped bit in the stored weights
    bad.write_bytes(bytes(raw))
    with pytest.raises(FileFormatError):
        load_model(bad)
    other = tmp_path / "other.pt"
    other.write_bytes(res.model_path.read_bytes())
    _rewrite(other, package_version="0.0.1")
    with pytest.raises(FileFormatError, match="written by latticeml 0.0.1"):
        load_model(other)
    tampered = tmp_path / "tampered.pt"
    content = torch.load(res.model_path, weights_only=True)
    content["normalisation"] = {"mean": 0.0, "std": 1.0}
    atomic_torch_save(content, tampered)
    with pytest.raises(FileFormatError, match="checksum"):
        load_model(tampered)
    pickled = tmp_path / "pickled.pt"
    torch.save({"format": "latticeml-model", "obj": ParameterError("a", "b", "c")}, pickled)
    with pytest.raises(FileFormatError):
        load_model(pickled)


def test_parse_model_spec(tmp_path):
    assert parse_model_spec("W2x2-small") == {"preset": "W2x2-small"}
    assert parse_model_spec("{kind: cnn, channels: [4]}") == {"kind": "cnn", "channels": [4]}
    f = tmp_path / "m.yaml"
    f.write_text("kind: cnn\nchannels: [4, 4]\n")
    assert parse_model_spec(str(f)) == {"kind": "cnn", "channels": [4, 4]}
    for bad in ("W2x2-smal", "{kind: [", str(tmp_path / "missing.yaml")):
        with pytest.raises(ParameterError):
            parse_model_spec(bad)


def _cli(capsys, *argv):
    code = main(list(argv))
    err = capsys.readouterr().err.strip().splitlines()
    return code, err


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--target", "W_3x3", "--model", "W1x1"], "--target"),
        (["--target", "W_1x1", "--model", "{preset: W1x1, dim: 4}"], "D = 2"),
        (["--target", "W_1x1", "--model", "{kind: cnn, group: su3}"], "SU(2)"),
        (["--target", "W_1x1", "--model", "nonsense"], "--model"),
        (["--target", "W_1x1", "--model", "W1x1", "--loss", "huber"], "--loss"),
        (["--target", "W_1x1", "--model", "W1x1", "--epochs", "0"], "--epochs"),
        (["--target", "W_1x1", "--model", "W1x1", "--plane", "3"], "--plane"),
        (["--target", "W_1x1", "--model", "{kind: cnn, channels: [8, x]}"], "--model"),
        (["--target", "W_1x1", "--model", "{preset: [W1x1]}"], "--model"),
    ],
)
def test_cli_bad_input_is_one_line(gauge_data, tmp_path, capsys, extra, needle):
    code, err = _cli(capsys, "model", "train", "--train", str(gauge_data["train"]), "--val",
                     str(gauge_data["val"]), *extra, "--out-dir", str(tmp_path / "o"),
                     "--no-progress")
    assert code == 2 and len(err) == 1 and needle in err[0], err
    assert not (tmp_path / "o").exists()  # no output directory on bad input


def test_cli_refuses_train_as_val_and_existing_output(gauge_data, tmp_path, capsys):
    code, err = _cli(capsys, "model", "train", "--train", str(gauge_data["train"]), "--val",
                     str(gauge_data["train"]), "--target", "W_1x1", "--model", "W1x1",
                     "--out-dir", str(tmp_path / "o"))
    assert code == 2 and "--val" in err[0]
    (tmp_path / "o").mkdir()
    (tmp_path / "o/model.pt").write_bytes(b"x")
    with pytest.raises(OutputExistsError):
        train(_params(gauge_data, tmp_path / "o"), progress=False)
    assert (tmp_path / "o/model.pt").read_bytes() == b"x"
    code, err = _cli(capsys, "model", "train", "--train", str(gauge_data["train"]), "--val",
                     str(gauge_data["val"]), "--target", "W_1x1", "--model", "W1x1",
                     "--out-dir", str(tmp_path / "nodir/deeper"))
    assert code == 2 and "parent" in err[0]


def test_loss_mean_trains_on_lattice_averages(gauge_data, tmp_path):
    res = train(_params(gauge_data, tmp_path / "m", epochs=2, loss="mean"), progress=False)
    assert read_model_file(res.model_path)["info"]["loss"] == "mean"
    assert np.isfinite(res.best_val_loss)
