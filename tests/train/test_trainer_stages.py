"""The trainer's stages and stop rules: warm-up, clipping, the validation stop rule, the time
budget, and the full-batch L-BFGS second stage (resume inside it: tests/train/test_train.py)."""

from __future__ import annotations

import math

import pytest
import torch

from latticeml.cli import main
from latticeml.errors import ParameterError
from latticeml.nn import read_model_file
from latticeml.train import TrainParams, train
from latticeml.train.fit import window_stop


def _params(data, out, **kw):
    base = dict(train=str(data["train"]), val=str(data["val"]), target="W_1x2",
                model={"preset": "W1x2-small"}, out=str(out), epochs=3, batch_size=8, lr=1e-2,
                seed=4, dtype="float64", threads=1, patience=0, name="exp")
    return TrainParams(**{**base, **kw})


def test_window_stop_on_hand_made_curves():
    assert not window_stop([1.0, 0.5], 0, 0.01)            # no rule
    assert not window_stop([1.0, 0.5], 2, 0.01)            # not enough epochs
    assert not window_stop([1.0, 0.5, 0.4], 2, 0.5)        # 0.4 < 0.5 * 1.0: goes on
    assert window_stop([1.0, 0.5, 0.6], 1, 0.01)           # last epoch did not improve
    assert window_stop([1.0, 0.995, 0.999], 2, 0.01)       # 0.5 % over 2 epochs: flat
    assert not window_stop([1.0, 0.98, 0.999], 2, 0.01)    # 2 % over 2 epochs: goes on
    assert window_stop([1.0, math.nan], 1, 0.01)           # NaN never counts as better


def test_lbfgs_stage_goes_far_below_adam_from_the_same_start(gauge_data, tmp_path):
    """W1x2 by the W1x2-small L-CNN: after 3 Adam epochs, 4 outer L-BFGS steps
    lower the validation loss by orders of magnitude; the model keeps the best weights."""
    adam = train(_params(gauge_data, tmp_path / "adam", model={"preset": "W1x2-small"}),
                 progress=False)
    both = train(_params(gauge_data, tmp_path / "both", model={"preset": "W1x2-small"},
                         lbfgs_steps=4, lbfgs_max_iter=25), progress=False)
    assert [h["stage"] for h in both.history] == ["adam"] * 3 + ["lbfgs"] * (both.epochs_run - 3)
    assert both.history[:3] == [{**h, "seconds": b["seconds"]}
                                for h, b in zip(adam.history, both.history[:3], strict=True)]
    assert both.best_val_loss < 1e-3 * adam.best_val_loss, (both.history, adam.history)
    steps = [h["steps"] for h in both.history]
    assert steps == sorted(steps) and steps[3] > steps[2]  # L-BFGS iterations counted
    assert all(h["grad_norm"] >= 0 for h in both.history)
    info = read_model_file(both.model_path)["info"]
    assert info["lbfgs_steps_run"] == both.epochs_run - 3 and info["ended_by"] == both.ended_by
    assert info["best_val_loss"] == both.best_val_loss


def test_lbfgs_on_a_subset(gauge_data, tmp_path):
    messages = []
    res = train(_params(gauge_data, tmp_path / "sub", epochs=1, lbfgs_steps=1,
                        lbfgs_max_iter=3, lbfgs_samples=10), progress=False,
                log=messages.append)
    assert any("L-BFGS on 10 training samples" in m for m in messages), messages
    assert res.history[-1]["stage"] == "lbfgs"


def test_warmup_scales_the_first_steps(gauge_data, tmp_path):
    """48 samples / batch 8 = 6 steps an epoch; warm-up over 2 epochs: the last step of epoch 1
    runs at 6/12 of the rate, of epoch 2 at the full rate; the weights differ from no warm-up."""
    warm = train(_params(gauge_data, tmp_path / "warm", warmup_epochs=2), progress=False)
    cold = train(_params(gauge_data, tmp_path / "cold"), progress=False)
    assert [h["lr"] for h in warm.history] == [0.5e-2, 1e-2, 1e-2]
    assert [h["lr"] for h in cold.history] == [1e-2] * 3
    assert [h["steps"] for h in warm.history] == [6, 12, 18]
    a = read_model_file(warm.model_path)["state_dict"]
    b = read_model_file(cold.model_path)["state_dict"]
    assert not all(torch.equal(a[k], b[k]) for k in a)


def test_clipping_logs_the_norm_and_changes_the_steps(gauge_data, tmp_path):
    free = train(_params(gauge_data, tmp_path / "free"), progress=False)
    clip = 1e-3 * min(h["grad_norm"] for h in free.history)
    clipped = train(_params(gauge_data, tmp_path / "clip", clip_grad_norm=clip), progress=False)
    assert all(h["grad_norm"] > clip for h in clipped.history)  # the norm before clipping
    a = read_model_file(free.model_path)["state_dict"]
    b = read_model_file(clipped.model_path)["state_dict"]
    assert not all(torch.allclose(a[k], b[k]) for k in a)


def test_time_budget_ends_each_stage(gauge_data, tmp_path):
    """A budget every epoch exceeds: one epoch; with L-BFGS, one epoch and one outer step."""
    res = train(_params(gauge_data, tmp_path / "t1", epochs=50, time_budget=1e-9),
                progress=False)
    assert res.epochs_run == 1 and res.ended_by == "time budget"
    res = train(_params(gauge_data, tmp_path / "t2", epochs=50, time_budget=1e-9,
                        lbfgs_steps=5, lbfgs_max_iter=2), progress=False)
    assert res.epochs_run == 2 and res.ended_by == "L-BFGS time budget"
    assert read_model_file(res.model_path)["info"]["time_budget"] == 1e-9


def test_stop_rule_ends_a_flat_curve_early(gauge_data, tmp_path):
    res = train(_params(gauge_data, tmp_path / "s", epochs=60, lr=1e-2, stop_window=2,
                        stop_min_improvement=0.3), progress=False)
    assert res.ended_by == "stop rule" and res.epochs_run < 60
    vals = [h["val_loss"] for h in res.history]
    assert window_stop(vals, 2, 0.3) and not window_stop(vals[:-1], 2, 0.3)


def test_min_epochs_holds_the_stop_rule_and_patience_back(gauge_data, tmp_path):
    """A rule that would end the run at once (100 % improvement wanted) waits for min_epochs."""
    quick = train(_params(gauge_data, tmp_path / "q", epochs=20, stop_window=1,
                          stop_min_improvement=1.0), progress=False)
    assert quick.ended_by == "stop rule" and quick.epochs_run == 2
    held = train(_params(gauge_data, tmp_path / "h", epochs=20, stop_window=1,
                         stop_min_improvement=1.0, min_epochs=5), progress=False)
    assert held.ended_by == "stop rule" and held.epochs_run == 5
    patient = train(_params(gauge_data, tmp_path / "p", epochs=20, patience=1, lr=1e-9,
                            min_epochs=4), progress=False)
    assert patient.epochs_run >= 4


def test_new_options_keep_the_fingerprint_of_runs_without_them(gauge_data, tmp_path):
    plain = _params(gauge_data, tmp_path / "a")
    assert set(plain.fingerprint_dict()).isdisjoint(
        {"warmup_epochs", "clip_grad_norm", "stop_window", "stop_min_improvement",
         "min_epochs", "time_budget", "lbfgs_steps", "lbfgs_max_iter", "lbfgs_samples"})
    assert _params(gauge_data, tmp_path / "a", time_budget=60).fingerprint_dict() \
        == plain.fingerprint_dict()
    assert _params(gauge_data, tmp_path / "a", lbfgs_steps=2).fingerprint_dict() \
        != plain.fingerprint_dict()


@pytest.mark.parametrize("key, value", [
    ("warmup_epochs", -1), ("clip_grad_norm", -0.1), ("clip_grad_norm", math.inf),
    ("stop_window", 1.5), ("stop_min_improvement", math.nan), ("time_budget", -5.0),
    ("min_epochs", -1),
    ("lbfgs_steps", -2), ("lbfgs_max_iter", 0), ("lbfgs_samples", -1),
])
def test_bad_stage_options_are_refused(gauge_data, tmp_path, key, value):
    with pytest.raises(ParameterError, match=key.replace("_", "-")):
        _params(gauge_data, tmp_path / "x", **{key: value})


def test_cli_refuses_bad_option_in_one_line(gauge_data, tmp_path, capsys):
    argv = ["model", "train", "--train", str(gauge_data["train"]), "--val", str(gauge_data["val"]),
            "--target", "W_1x1", "--model", "W1x1", "--lbfgs-max-iter", "0",
            "--out-dir", str(tmp_path / "o")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("latticeml: error:") and "--lbfgs-max-iter" in err and "\n" not in err
    assert not (tmp_path / "o").exists()


def test_init_from_starts_at_the_given_weights_and_is_checked(gauge_data, tmp_path):
    first = train(_params(gauge_data, tmp_path / "first", epochs=2), progress=False)
    start = read_model_file(first.model_path)["state_dict"]
    # a step of lr ~0 from the given weights keeps them: the run started there, not at random
    tuned = train(_params(gauge_data, tmp_path / "tuned", epochs=1, lr=1e-30,
                          init_from=str(first.model_path)), progress=False)
    end = read_model_file(tuned.model_path)["state_dict"]
    assert all(torch.allclose(end[k], start[k], rtol=0, atol=1e-25) for k in start)
    fresh = train(_params(gauge_data, tmp_path / "fresh", epochs=1, lr=1e-30), progress=False)
    other = read_model_file(fresh.model_path)["state_dict"]
    assert not all(torch.allclose(other[k], start[k]) for k in start)
    assert tuned.best_val_loss == pytest.approx(first.best_val_loss, rel=1e-9)
    # the file enters the fingerprint: a different start is a different run
    from latticeml.train.fit import _fingerprint, load_split

    a = _params(gauge_data, tmp_path / "x", init_from=str(first.model_path))
    b = _params(gauge_data, tmp_path / "x", init_from=str(fresh.model_path))
    split = load_split(a.train, a.target, dtype=a.dtype)
    assert _fingerprint(a, split, split, {}) != _fingerprint(b, split, split, {})
    with pytest.raises(ParameterError, match="--init-from"):
        train(_params(gauge_data, tmp_path / "bad", init_from=str(tmp_path / "nope.pt")),
              progress=False)
    with pytest.raises(ParameterError, match="--init-from"):  # another model spec
        train(_params(gauge_data, tmp_path / "bad2", model={"preset": "W1x2-medium"},
                      init_from=str(first.model_path)), progress=False)
    with pytest.raises(ParameterError, match="--init-from"):  # another dtype
        train(_params(gauge_data, tmp_path / "bad3", dtype="float32",
                      init_from=str(first.model_path)), progress=False)
    assert not (tmp_path / "bad").exists() and not (tmp_path / "bad2").exists()


def test_epochs_zero_continues_a_model_with_lbfgs(gauge_data, tmp_path):
    """``epochs=0`` with ``init_from`` and ``lbfgs_steps``: no first stage, L-BFGS starts at the
    given weights (its first validation loss is below theirs), and the written model is the best
    of the continuation; without both options 0 epochs is refused."""
    first = train(_params(gauge_data, tmp_path / "first", epochs=2), progress=False)
    messages = []
    more = train(_params(gauge_data, tmp_path / "more", epochs=0, lbfgs_steps=3,
                         lbfgs_max_iter=10, init_from=str(first.model_path)), progress=False,
                 log=messages.append)
    assert [h["stage"] for h in more.history] == ["lbfgs"] * more.epochs_run
    assert any("validation loss of the initial weights" in m for m in messages), messages
    start = next(float(m.rsplit(" ", 1)[1]) for m in messages if "initial weights" in m)
    assert start == pytest.approx(first.best_val_loss, rel=1e-3)  # printed to 4 digits
    assert more.best_val_loss < 0.5 * first.best_val_loss
    assert read_model_file(more.model_path)["info"]["lbfgs_steps_run"] == more.epochs_run
    for kw in ({}, {"init_from": str(first.model_path)}, {"lbfgs_steps": 2}):
        with pytest.raises(ParameterError, match="--epochs"):
            _params(gauge_data, tmp_path / "x", epochs=0, **kw)
