"""Architecture search: spaces, one worker, two workers on one storage, pruning, kill and resume,
export of the best spec, bad input."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import optuna
import pandas as pd
import pytest
import yaml
from optuna.trial import TrialState

from latticeml.cli import main
from latticeml.errors import ParameterError
from latticeml.search import (
    SearchParams,
    export_study,
    load_study,
    parse_space,
    run_search,
    sample,
    spec_from_params,
    trials_frame,
)
from latticeml.search.study import _run_one
from latticeml.train.data import load_split
from tests.pausing import PauseHook

CNN_SPACE = {
    "model": {"kind": "cnn", "dim": 2},
    "layers": {"low": 1, "high": 2},
    "per_layer": {"channels": {"low": 2, "high": 6}},
    "shared": {"kernel_sizes": {"choices": [1, 3]},
               "activation": {"choices": ["relu", "tanh"]}},
    "training": {"lr": {"low": 1e-3, "high": 3e-2, "log": True}},
}


def _params(data, out, **kw):
    base = dict(space=parse_space(CNN_SPACE), train=str(data["train"]), val=str(data["val"]),
                target="W_1x1", out=str(out), n_trials=4, epochs=2, batch_size=16,
                pruner="none", threads=1, device="cpu", stale_after=5.0)
    base.update(kw)
    return SearchParams(**base)


def _cli_args(data, out, **kw):
    args = {"--space": json.dumps(CNN_SPACE), "--train": str(data["train"]),
            "--val": str(data["val"]), "--target": "W_1x1", "--out-dir": str(out),
            "--n-trials": "4", "--epochs": "2", "--batch-size": "16", "--pruner": "none",
            "--threads": "1", "--device": "cpu", "--stale-after": "5"}
    args.update({k: str(v) for k, v in kw.items()})
    return [x for kv in args.items() for x in kv]


# --- spaces -------------------------------------------------------------------------------------

def test_space_maps_trial_params_back_to_the_same_spec():
    space = parse_space(CNN_SPACE)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(10):
        trial = study.ask()
        spec, training = sample(trial, space)
        assert len(spec["channels"]) in (1, 2)
        assert all(2 <= c <= 6 for c in spec["channels"])
        assert spec["kernel_sizes"] in (1, 3) and spec["kind"] == "cnn"
        assert 1e-3 <= training["lr"] <= 3e-2
        assert spec_from_params(space, trial.params) == (spec, training)
        study.tell(trial, 1.0)


def test_tied_per_layer_value_is_repeated():
    space = parse_space({"model": {"kind": "lcnn"}, "layers": 3,
                         "per_layer": {"channels": {"low": 1, "high": 4, "tied": True},
                                       "kernel_sizes": 2}})
    spec, _ = spec_from_params(space, {"channels": 3})
    assert spec["channels"] == [3, 3, 3] and spec["kernel_sizes"] == [2, 2, 2]


@pytest.mark.parametrize("bad, key", [
    ({**CNN_SPACE, "layres": 2}, "space"),
    ({**CNN_SPACE, "per_layer": {"channels": {"low": 8, "high": 2}}}, "space.per_layer.channels"),
    ({**CNN_SPACE, "shared": {"kernel_size": 3}}, "space.shared.kernel_size"),
    ({**CNN_SPACE, "training": {"momentum": 0.9}}, "space.training.momentum"),
    ({**CNN_SPACE, "shared": {"activation": {"choices": []}}}, "space.shared.activation"),
    ({**CNN_SPACE, "training": {"lr": {"low": 0, "high": 1, "log": True}}}, "space.training.lr"),
    ({"model": {"kind": "transformer"}}, "space.model.kind"),
    ({**CNN_SPACE, "layers": 0}, "space.layers"),
])
def test_bad_space_names_the_key(bad, key):
    with pytest.raises(ParameterError) as exc:
        parse_space(bad)
    assert exc.value.name == key


# --- one worker ---------------------------------------------------------------------------------

def test_four_trial_study_exports_a_spec_that_trains(gauge_data, tmp_path):
    out = tmp_path / "study"
    result = run_search(_params(gauge_data, out), progress=False)
    assert result.finished == 4 and sorted(result.trials_run) == [0, 1, 2, 3]
    study = load_study("", "search", out)
    df = trials_frame(study)
    assert list(df["state"]) == ["COMPLETE"] * 4
    assert (df["n_params"] > 0).all() and df["value"].map(math.isfinite).all()
    assert df.loc[df["value"].idxmin(), "number"] == result.best_trial
    best = export_study(study, out, figures=True)
    for stem in ("history", "importances", "loss_vs_parameters"):
        assert (out / f"{stem}.png").stat().st_size > 0 and (out / f"{stem}.pdf").is_file()
    on_disk = pd.read_csv(out / "trials.csv")
    assert len(on_disk) == 4 and set(on_disk["state"]) == {"COMPLETE"}
    spec = yaml.safe_load((out / "best_model.yaml").read_text())
    assert spec == best["model"]
    # the exported spec is what `latticeml train --model` takes, unchanged
    run = tmp_path / "retrain"
    assert main(["model", "train", "--train", str(gauge_data["train"]), "--val",
                 str(gauge_data["val"]),
                 "--target", "W_1x1", "--model", str(out / "best_model.yaml"), "--epochs", "1",
                 "--threads", "1", "--device", "cpu", "--no-progress",
                 "--out-dir", str(run)]) == 0
    assert (run / "model.pt").is_file()


def test_same_seed_same_trials(gauge_data, tmp_path):
    runs = []
    for name in ("a", "b"):
        run_search(_params(gauge_data, tmp_path / name, n_trials=3), progress=False)
        df = trials_frame(load_study("", "search", tmp_path / name))
        runs.append(df.drop(columns=["seconds"]))
    pd.testing.assert_frame_equal(runs[0], runs[1])


def test_pruned_trial_is_recorded_as_pruned(gauge_data, tmp_path):
    params = _params(gauge_data, tmp_path / "p", epochs=3)
    study = optuna.create_study(pruner=optuna.pruners.ThresholdPruner(upper=1e-12))
    splits = tuple(load_split(p, "W_1x1", role=r) for p, r in
                   ((params.train, "--train"), (params.val, "--val")))
    (tmp_path / "p").mkdir()
    trial = study.ask()
    assert _run_one(study, trial, params, splits, tmp_path / "p", lambda m: None) == "PRUNED"
    df = trials_frame(study)
    assert df.loc[0, "state"] == "PRUNED" and df.loc[0, "epochs"] == 1
    assert math.isfinite(df.loc[0, "value"]) and "pruned after epoch 1" in df.loc[0, "note"]
    assert not any((tmp_path / "p" / "scratch").glob("trial-*"))  # scratch removed


def test_reused_study_name_with_another_space_is_refused(gauge_data, tmp_path):
    run_search(_params(gauge_data, tmp_path / "s", n_trials=1), progress=False)
    other = {**CNN_SPACE, "layers": 1}
    with pytest.raises(ParameterError, match="study-name"):
        run_search(_params(gauge_data, tmp_path / "s", n_trials=2, space=parse_space(other)),
                   progress=False)


# --- several workers, kill and resume -----------------------------------------------------------

def _worker(data, out, worker, n_trials, epochs=2, summary=None, env=None):
    argv = [sys.executable, "-m", "latticeml", "search", "run",
            *_cli_args(data, out, **{"--n-trials": n_trials, "--epochs": epochs,
                                      "--worker": worker}), "--no-progress"]
    if summary:
        argv += ["--summary", str(summary)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


def test_two_workers_finish_exactly_n_trials(gauge_data, tmp_path):
    out = tmp_path / "shared"
    out.mkdir()
    procs = [_worker(gauge_data, out, k, 6, summary=tmp_path / f"w{k}.json") for k in (0, 1)]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    study = load_study("", "search", out)
    finished = [t for t in study.get_trials() if t.state in (TrialState.COMPLETE,
                                                              TrialState.PRUNED)]
    assert len(finished) == 6
    ran = [json.loads((tmp_path / f"w{k}.json").read_text())["trials_run"] for k in (0, 1)]
    assert sorted(ran[0] + ran[1]) == sorted(t.number for t in finished)  # none twice, none lost
    assert ran[0] and ran[1]  # both workers did work
    others = [t for t in study.get_trials() if t.state not in (TrialState.COMPLETE,
                                                                TrialState.PRUNED)]
    assert all(t.user_attrs.get("note", "").startswith("surplus") for t in others)


def test_killed_study_resumes_with_n_complete_trials(gauge_data, tmp_path):
    """kill -9 of a worker mid-trial (stopped by tests/pausing.py after epoch 2 of its first
    trial, whatever the machine's speed); the resumed study retries that trial."""
    out = tmp_path / "killed"
    out.mkdir()
    hook = PauseHook(tmp_path / "hook", train_epoch=2)
    proc = _worker(gauge_data, out, 0, 3, epochs=400, env=hook.env())
    try:
        hook.wait_paused(proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    study = load_study("", "search", out)
    running = study.get_trials(states=(TrialState.RUNNING,))
    assert len(running) == 1 and len(running[0].intermediate_values) == 2
    killed = running[0]
    # resume: the same worker again (short epochs now would change the study; keep them)
    params = _params(gauge_data, out, n_trials=3, epochs=400, patience=1)
    with pytest.raises(ParameterError):  # another budget is another study
        run_search(params, progress=False)
    params = _params(gauge_data, out, n_trials=3, epochs=400)
    run_search(params, progress=False)
    study = load_study("", "search", out)
    done = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(done) == 3
    stale = study.trials[killed.number]
    assert stale.state == TrialState.FAIL and stale.user_attrs["note"].startswith("stale")
    retry = [t for t in done if t.user_attrs.get("retry_of") == killed.number]
    assert len(retry) == 1 and retry[0].params == killed.params


# --- bad input ----------------------------------------------------------------------------------

def _one_line_error(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("latticeml: error:") and "\n" not in err
    return err


def test_cli_bad_input_is_one_line(gauge_data, tmp_path, capsys):
    bad_key = json.dumps({**CNN_SPACE, "pooling": "max"})
    err = _one_line_error(["search", "run", *_cli_args(gauge_data, tmp_path / "a",
                                                       **{"--space": bad_key})], capsys)
    assert "space" in err and "pooling" in err
    empty = json.dumps({**CNN_SPACE, "layers": {"low": 3, "high": 1}})
    err = _one_line_error(["search", "run", *_cli_args(gauge_data, tmp_path / "b",
                                                       **{"--space": empty})], capsys)
    assert "space.layers" in err and "low <= high" in err
    err = _one_line_error(["search", "run", *_cli_args(
        gauge_data, tmp_path / "c", **{"--storage": "sqlite:////no/such/dir/study.db"})], capsys)
    assert "--storage" in err and "reachable" in err
    err = _one_line_error(["search", "run", *_cli_args(
        gauge_data, tmp_path / "d", **{"--storage": "postgresql://nobody@127.0.0.1:1/x"})],
        capsys)
    assert "--storage" in err
    err = _one_line_error(["search", "export", "--out-dir", str(tmp_path / "none")], capsys)
    assert "--storage" in err
    assert not (tmp_path / "c").exists() and not (tmp_path / "d").exists()


def test_search_module_runs_as_documented(gauge_data, tmp_path):
    """The package docstring's example, shortened."""
    out = tmp_path / "doc"
    run_search(_params(gauge_data, out, n_trials=2), progress=False)
    best = export_study(load_study("", "search", out), out)
    assert Path(out / "best.yaml").is_file() and best["trial"] in (0, 1)
    assert os.path.getsize(out / "trials.csv") > 0


def test_train_limit_keeps_every_coupling(gauge_data):
    from latticeml.train.data import limit_split

    full = load_split(gauge_data["train"], "W_1x1")
    part = limit_split(full, 10)
    assert part.n == 10 and set(part.beta) == set(full.beta)
    assert abs(sum(part.beta == full.beta[0]) - 5) <= 1
    assert limit_split(full, 0) is full and limit_split(full, full.n + 5) is full


def test_enqueued_reference_runs_first_once(gauge_data, tmp_path):
    ref = {"layers": 1, "channels_0": 3, "kernel_sizes": 3, "activation": "tanh", "lr": 0.01}
    params = _params(gauge_data, tmp_path / "e", n_trials=2, enqueue=(ref,))
    run_search(params, progress=False)
    run_search(_params(gauge_data, tmp_path / "e", n_trials=3, enqueue=(ref,)), progress=False)
    df = trials_frame(load_study("", "search", tmp_path / "e"))
    assert list(df["reference"]) == [True, False, False]
    assert df.loc[0, "param_channels_0"] == 3 and df.loc[0, "param_lr"] == 0.01
    with pytest.raises(ParameterError, match="--enqueue"):
        _params(gauge_data, tmp_path / "f", enqueue=({"layers": 9},))
