"""Data-parallel training: ``torchrun`` with 2 gloo processes equals 1 process (same global batch).

Real processes, a real process group: the CLI under ``torchrun --standalone``. The two runs
differ only in the order of floating-point sums (gradients summed over two shards, validation
over two halves), so in float64 the weights agree to ~1e-12 relative; a run that lost the
gradient sum (each process stepping on half a batch) or the loss weights differs at the
percent level, which the negative control below shows.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from latticeml.cli import main
from latticeml.nn import read_model_file
from latticeml.train.distributed import SOLO, World

TORCHRUN = Path(sys.executable).with_name("torchrun")


def _argv(data, out, *extra, batch=7):
    return ["model", "train", "--train", str(data["train"]), "--val", str(data["val"]),
            "--target", "W_1x2", "--model", "W1x2-small", "--epochs", "3",
            "--batch-size", str(batch), "--lr", "1e-2", "--seed", "4", "--dtype", "float64",
            "--threads", "1", "--patience", "0", "--no-progress", "--out-dir", str(out), *extra]


def _torchrun(argv, n, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE",
                                                              "LOCAL_RANK", "MASTER_ADDR",
                                                              "MASTER_PORT")}
    cmd = [str(TORCHRUN), "--standalone", f"--nproc-per-node={n}", "-m", "latticeml", *argv]
    return subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)


def _weights(path):
    return read_model_file(path)["state_dict"]


def _max_rel(a, b):
    return max(float((a[k] - b[k]).abs().max() / (b[k].abs().max() + 1e-300)) for k in b)


def test_world_shares_cover_every_item_once():
    for size in (1, 2, 3, 5):
        for n in (0, 1, 4, 7, 10):
            parts = [World(r, size).share(n) for r in range(size)]
            assert [i for p in parts for i in range(p.start, p.stop)] == list(range(n))
            assert max(p.stop - p.start for p in parts) - min(p.stop - p.start
                                                              for p in parts) <= 1
    assert SOLO.size == 1 and SOLO.main


@pytest.mark.slow
@pytest.mark.parametrize("extra", [[], ["--lbfgs-steps", "2", "--lbfgs-max-iter", "5"]],
                         ids=["adam", "adam+lbfgs"])
def test_two_processes_train_the_same_model_as_one(gauge_data, tmp_path, extra):
    assert main(_argv(gauge_data, tmp_path / "one", *extra)) == 0
    res = _torchrun(_argv(gauge_data, tmp_path / "two", *extra), 2, tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    one, two = _weights(tmp_path / "one" / "model.pt"), _weights(tmp_path / "two" / "model.pt")
    assert _max_rel(two, one) < 1e-9, _max_rel(two, one)
    info_one = read_model_file(tmp_path / "one" / "model.pt")["info"]
    info_two = read_model_file(tmp_path / "two" / "model.pt")["info"]
    assert info_two["processes"] == 2 and "processes" not in info_one
    assert info_two["steps"] == info_one["steps"]
    assert info_two["epochs_run"] == info_one["epochs_run"]
    assert math.isclose(info_two["best_val_loss"], info_one["best_val_loss"], rel_tol=1e-9)
    # one metrics file, one model, no leftovers from the second process
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == ["metrics.csv", "model.pt"]
    if not extra:  # negative control: steps on half a batch (a lost gradient sum) differ
        assert main(_argv(gauge_data, tmp_path / "half", batch=4)) == 0
        assert _max_rel(_weights(tmp_path / "half" / "model.pt"), one) > 1e-3


def test_one_process_under_torchrun_is_byte_identical_to_plain(gauge_data, tmp_path):
    assert main(_argv(gauge_data, tmp_path / "plain")) == 0
    res = _torchrun(_argv(gauge_data, tmp_path / "tr1"), 1, tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    a, b = _weights(tmp_path / "plain" / "model.pt"), _weights(tmp_path / "tr1" / "model.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)
