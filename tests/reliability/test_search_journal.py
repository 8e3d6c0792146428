"""Searches that never repeat and journals that survive a tear (hostile inputs, round two).

* A restarted, extended or rerun worker must not replay an earlier run's proposals: the
  sampler is reseeded from the study's history before every ``ask``.
* A journal whose last line was torn by a kill or a full disk is repaired when opened (the
  fragment set aside with a warning) and never appended to; one that an older version already
  appended to keeps its complete records.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys

import pytest
from optuna.trial import TrialState

from latticeml.cli import main
from latticeml.search import SearchParams, export_study, load_study, parse_space, run_search
from latticeml.search.storage import repair_journal
from tests.pausing import PauseHook

SPACE = {
    "model": {"kind": "cnn", "dim": 2},
    "layers": {"low": 1, "high": 2},
    "per_layer": {"channels": {"low": 2, "high": 6}},
    "shared": {"kernel_sizes": {"choices": [1, 3]},
               "activation": {"choices": ["relu", "tanh"]}},
    "training": {"lr": {"low": 1e-3, "high": 3e-2, "log": True}},
}


@pytest.fixture
def data(files, tmp_path):
    val = tmp_path / "val.h5"
    shutil.copyfile(files["gauge_dataset"], val)
    return {"train": str(files["gauge_dataset"]), "val": str(val)}


def _params(data, out, **kw):
    base = dict(space=parse_space(SPACE), train=data["train"], val=data["val"],
                target="W_1x1", out=str(out), n_trials=4, epochs=1, batch_size=4,
                pruner="none", threads=1, device="cpu", stale_after=2.0)
    return SearchParams(**{**base, **kw})


def _param_sets(out):
    study = load_study("", "search", out)
    return [tuple(sorted(t.params.items())) for t in study.get_trials()
            if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]


def test_extended_search_proposes_new_parameters(data, tmp_path):
    """``--n-trials 4`` then ``--n-trials 8`` on the same study: 8 distinct parameter sets
    (before: trials 4-7 replayed 0-3, values included)."""
    out = tmp_path / "s"
    run_search(_params(data, out, n_trials=4), progress=False, log=lambda m: None)
    run_search(_params(data, out, n_trials=8), progress=False, log=lambda m: None)
    sets = _param_sets(out)
    assert len(sets) == 8 and len(set(sets)) == 8, sets


def test_killed_and_restarted_worker_does_not_replay(data, tmp_path):
    """kill -9 of a worker inside its second trial (it stops itself there, tests/pausing.py);
    the restarted worker retries that trial once (its parameters: the one unfinished trial's)
    and proposes new parameters for the rest: 4 finished trials, 4 distinct sets."""
    out = tmp_path / "k"
    out.mkdir()
    run_search(_params(data, out, n_trials=1), progress=False, log=lambda m: None)
    hook = PauseHook(tmp_path / "hook", train_epoch=1)
    argv = [sys.executable, "-m", "latticeml", "search", "run", "--space", str(SPACE).replace(
        "'", '"'), "--train", data["train"], "--val", data["val"], "--target", "W_1x1",
        "--out-dir", str(out), "--n-trials", "4", "--epochs", "1", "--batch-size", "4",
        "--pruner", "none", "--threads", "1", "--device", "cpu", "--stale-after", "2",
        "--no-progress"]
    proc = subprocess.Popen(argv, env=hook.env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        hook.wait_paused(proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    run_search(_params(data, out, n_trials=4), progress=False, log=lambda m: None)
    sets = _param_sets(out)
    assert len(sets) == 4 and len(set(sets)) == 4, sets


def _journal(data, tmp_path, n=2):
    out = tmp_path / "j"
    run_search(_params(data, out, n_trials=n), progress=False, log=lambda m: None)
    return out, out / "study.log"


def test_torn_last_line_is_set_aside_and_never_appended_to(data, tmp_path):
    out, journal = _journal(data, tmp_path)
    whole = journal.read_bytes()
    fragment = b'{"op_code":5,"worker_id":"torn-by-a-kil'
    journal.write_bytes(whole + fragment)
    messages = []
    run_search(_params(data, out, n_trials=3), progress=False, log=messages.append)
    assert any("torn" in m for m in messages), messages
    torn = out / "study.log.torn-0"
    assert torn.read_bytes() == fragment
    assert journal.read_bytes().startswith(whole) and fragment not in journal.read_bytes()
    # the study stays readable: export, another run, the CLI
    study = load_study("", "search", out)
    assert len([t for t in study.get_trials() if t.state == TrialState.COMPLETE]) == 3
    export_study(study, out)
    run_search(_params(data, out, n_trials=4), progress=False, log=lambda m: None)
    assert main(["search", "export", "--out-dir", str(out)]) == 0


def test_journal_appended_after_a_tear_keeps_its_records(data, tmp_path):
    """What older versions left: the torn fragment with a complete record appended to it."""
    out, journal = _journal(data, tmp_path)
    whole = journal.read_bytes()
    lines = whole.split(b"\n")
    assert lines[-1] == b""
    fragment = b'{"op_code":5,"wor'
    lines[-2] = fragment + lines[-2]
    journal.write_bytes(b"\n".join(lines))
    messages = []
    assert repair_journal(journal, messages.append) == [out / "study.log.torn-0"]
    assert (out / "study.log.torn-0").read_bytes() == fragment
    assert journal.read_bytes() == whole
    study = load_study("", "search", out)
    assert len([t for t in study.get_trials() if t.state == TrialState.COMPLETE]) == 2
    assert repair_journal(journal) == []  # whole now: nothing to do


def test_whole_journal_is_left_alone(data, tmp_path):
    _, journal = _journal(data, tmp_path, n=1)
    before = journal.read_bytes()
    assert repair_journal(journal) == []
    assert journal.read_bytes() == before


@pytest.mark.parametrize("content", [b"\x89HDF\r\n\x1a\n" + bytes(range(256)), b"hello\n",
                                     b'{"not": "a journal"}\n'])
def test_a_file_that_is_not_a_journal_is_refused_and_left_alone(data, tmp_path, capsys,
                                                                content):
    """``--storage`` naming another file (before: ``AssertionError: Should not reach.``); the
    repair never touches a file that is not a journal."""
    other = tmp_path / "other.log"
    other.write_bytes(content)
    out = tmp_path / "s"
    out.mkdir()
    argv = ["search", "run", "--space", str(SPACE).replace("'", '"'), "--train", data["train"],
            "--val", data["val"], "--target", "W_1x1", "--out-dir", str(out), "--storage",
            str(other), "--n-trials", "1", "--epochs", "1", "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("latticeml: error: --storage") and "\n" not in err
    assert other.read_bytes() == content
    assert not list(tmp_path.glob("other.log.torn-*"))


def test_a_journal_torn_in_its_first_record_is_repaired(tmp_path):
    journal = tmp_path / "study.log"
    journal.write_bytes(b'{"op_code":0,"worker_id":"a-b')
    assert repair_journal(journal, lambda m: None) == [tmp_path / "study.log.torn-0"]
    assert journal.read_bytes() == b""
