"""One search worker: ask Optuna for trials, train them, tell the result, until the study is full.

Many workers (processes, SLURM jobs) may run :func:`run_search` on one study; they share it
through the storage (a journal file by default, any Optuna storage URL otherwise). The workers
together finish exactly ``n_trials`` trials (complete or pruned):

* before a trial starts, the worker ranks its trial among the finished and running ones (by
  trial number); a trial ranked beyond ``n_trials`` (two workers asked at the same moment) is
  not run, marked failed with the note ``surplus``, and the worker waits for the others;
* a running trial carries its worker's host, pid and a heartbeat (refreshed by a thread); a
  trial whose process on this host is gone, or whose heartbeat is older than ``stale_after``,
  is failed with the note ``stale`` and its parameters are queued again, so a killed study
  resumes without losing the trial;
* a trial whose training diverges is complete with value ``inf`` (note ``diverged``); a
  trial whose architecture cannot be built for the data is failed (note gives the reason).
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from latticeml.errors import LatticeMLError, ParameterError
from latticeml.search.params import SearchParams
from latticeml.search.space import sample
from latticeml.search.storage import open_study, reseed

__all__ = ["SearchResult", "run_search"]

HOST = socket.gethostname()


@dataclass(frozen=True)
class SearchResult:
    """What one worker did.

    Attributes
    ----------
    study_name : str
        The study.
    trials_run : list of int
        Numbers of the trials this worker finished.
    finished : int
        Finished (complete or pruned) trials in the study when the worker stopped.
    best_value : float
        Best objective in the study (``nan`` if none is complete).
    best_trial : int
        Its number (-1 if none).
    seconds : float
        Wall time of this worker.
    stopped_by : str
        ``n_trials`` or ``timeout``.
    """

    study_name: str
    trials_run: list
    finished: int
    best_value: float
    best_trial: int
    seconds: float
    stopped_by: str


class _Heartbeat(threading.Thread):
    """Refresh a running trial's ``heartbeat`` attribute every ``interval`` seconds."""

    def __init__(self, trial, interval: float) -> None:
        super().__init__(daemon=True)
        self.trial, self.interval, self.stop = trial, interval, threading.Event()

    def run(self) -> None:  # noqa: D102
        while not self.stop.wait(self.interval):
            try:
                self.trial.set_user_attr("heartbeat", time.time())
            except Exception:  # the storage went away; the main thread will notice
                return


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recover_stale(study, stale_after: float, log) -> int:
    """Fail running trials whose worker is gone and queue their parameters again."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    now, n = time.time(), 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        a = t.user_attrs
        if a.get("host") == HOST and a.get("pid") == os.getpid():
            continue
        beat = a.get("heartbeat") or (t.datetime_start.timestamp() if t.datetime_start else now)
        dead = a.get("host") == HOST and isinstance(a.get("pid"), int) and not _alive(a["pid"])
        if not dead and now - beat <= stale_after:
            continue
        try:  # the note first: a finished trial takes no attributes
            study._storage.set_trial_user_attr(t._trial_id, "note", "stale: its worker "
                                               "stopped; queued again")
            study._storage.set_trial_state_values(t._trial_id, state=TrialState.FAIL)
        except UpdateFinishedTrialError:  # another worker was faster
            continue
        study.enqueue_trial(dict(t.params), user_attrs={"retry_of": t.number},
                            skip_if_exists=False)
        log(f"trial {t.number}: its worker stopped; queued again")
        n += 1
    return n


def _tally(study) -> tuple[int, list]:
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    done = sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    # by number, the storage's append order: a trial asked later can only rank after the ones a
    # worker already saw (start times are taken before the append, so two workers asking at
    # once could each rank their own trial first and both run it)
    running = sorted((t for t in trials if t.state == TrialState.RUNNING), key=lambda t: t.number)
    return done, running


def _quiet(_msg: str) -> None:
    pass


def _train_trial(trial, params: SearchParams, splits, scratch: Path) -> float:
    """Train ``params.seeds`` replicas of the trial's architecture; mean best val loss."""
    import optuna

    from latticeml.nn.build import build_model
    from latticeml.nn.models import count_parameters
    from latticeml.train import TrainParams, train
    from latticeml.train.data import check_model_fits, complete_spec

    spec, training = sample(trial, params.space)
    try:
        full = complete_spec({**spec, "dtype": params.dtype}, splits[0], params.target)
        net = build_model(full)
        check_model_fits(net, splits[0], "training")
    except (LatticeMLError, TypeError, ValueError, KeyError, RuntimeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _UnbuildableError(reason) from None
    trial.set_user_attr("n_params", count_parameters(net))
    scratch.mkdir(parents=True, exist_ok=True)
    losses, epochs = [], []
    for r in range(params.seeds):
        def report(epoch: int, val: float, r: int = r) -> None:
            if r == 0 and math.isfinite(val):
                trial.report(val, epoch)
                if trial.should_prune():
                    raise optuna.TrialPruned(f"pruned after epoch {epoch}")

        tp = TrainParams(
            train=params.train, val=params.val, target=params.target, model=spec,
            out=str(scratch / f"seed-{r}"), plane=params.plane, epochs=params.epochs,
            batch_size=training.get("batch_size", params.batch_size),
            lr=training.get("lr", params.lr), weight_decay=training.get("weight_decay", 0.0),
            patience=params.patience, loss=params.loss,
            schedule=training.get("schedule", params.schedule), seed=params.seed + r,
            dtype=params.dtype, device=params.device, threads=params.threads,
            name=f"{params.study_name}-trial{trial.number}", replica=r,
            train_limit=params.train_limit)
        result = train(tp, progress=False, force=True, restart=True, splits=splits,
                       on_validation=report, log=_quiet)
        losses.append(result.best_val_loss)
        epochs.append(result.epochs_run)
    trial.set_user_attr("val_losses", losses)
    trial.set_user_attr("epochs_run", epochs)
    return float(sum(losses) / len(losses))


class _UnbuildableError(Exception):
    """The sampled architecture does not fit the data."""


def _run_one(study, trial, params: SearchParams, splits, out: Path, log) -> str:
    """Run ``trial`` to its end and tell the study; return its final state name."""
    import optuna
    from optuna.trial import TrialState

    trial.set_user_attr("worker", params.worker)
    trial.set_user_attr("host", HOST)
    trial.set_user_attr("pid", os.getpid())
    trial.set_user_attr("heartbeat", time.time())
    beat = _Heartbeat(trial, interval=max(0.5, min(60.0, params.stale_after / 4)))
    beat.start()
    scratch = out / "scratch" / f"trial-{trial.number:05d}"
    t0 = time.perf_counter()
    try:
        value = _train_trial(trial, params, splits, scratch)
        state, note = TrialState.COMPLETE, ""
    except optuna.TrialPruned as exc:
        value, state, note = None, TrialState.PRUNED, str(exc)
    except _UnbuildableError as exc:
        value, state, note = None, TrialState.FAIL, f"unbuildable: {exc}"
    except ParameterError as exc:
        if exc.name != "--lr":
            raise
        value, state, note = math.inf, TrialState.COMPLETE, "diverged"
    finally:
        beat.stop.set()
        beat.join()
        shutil.rmtree(scratch, ignore_errors=True)
    trial.set_user_attr("seconds", time.perf_counter() - t0)
    if note:
        trial.set_user_attr("note", note)
    study.tell(trial, value if state == TrialState.COMPLETE else None, state=state)
    if note:
        log(f"trial {trial.number}: {note}")
    return state.name


def run_search(params: SearchParams, *, progress: bool = True,
               log: Callable[[str], None] | None = None) -> SearchResult:
    """Run one worker on the study of ``params`` until it holds ``n_trials`` finished trials.

    Parameters
    ----------
    params : SearchParams
        The worker.
    progress : bool
        A tqdm bar over the study's finished trials on stderr.
    log : callable, optional
        One-line messages (default: stderr).

    Returns
    -------
    SearchResult
    """
    from optuna.trial import TrialState

    from latticeml.search.export import write_trials_csv
    from latticeml.train.data import dataset_kind, load_split

    log = log or (lambda msg: print(msg, file=sys.stderr))
    out = Path(params.out)
    if out.exists() and not out.is_dir():
        raise ParameterError("--out", "a directory", str(out), "it is an existing file")
    if not out.parent.is_dir():
        raise ParameterError("--out", "a directory whose parent exists", str(out))
    kinds = (dataset_kind(params.train, "--train"), dataset_kind(params.val, "--val"))
    if kinds[0] != kinds[1]:
        raise ParameterError("--val", f"a {kinds[0]} dataset like --train",
                             f"a {kinds[1]} dataset")
    splits = (load_split(params.train, params.target, plane=params.plane, dtype=params.dtype,
                         role="--train"),
              load_split(params.val, params.target, plane=params.plane, dtype=params.dtype,
                         role="--val"))
    if params.storage:  # an explicit storage is checked before anything is written
        study = open_study(params, create=True, log=log)
        out.mkdir(exist_ok=True)
    else:
        out.mkdir(exist_ok=True)
        study = open_study(params, create=True, log=log)
    for ref in params.enqueue:  # reference architectures, once per study
        study.enqueue_trial(dict(ref), user_attrs={"reference": True}, skip_if_exists=True)
    t_start = time.monotonic()
    poll = max(0.2, min(5.0, params.stale_after / 10))
    mine, stopped_by = [], "n_trials"
    done, _ = _tally(study)
    bar = tqdm(total=params.n_trials, initial=min(done, params.n_trials), disable=not progress,
               desc=f"search {params.study_name} (worker {params.worker})", unit="trial",
               file=sys.stderr, dynamic_ncols=True)
    try:
        while True:
            _recover_stale(study, params.stale_after, log)
            done, running = _tally(study)
            bar.n = min(done, params.n_trials)
            bar.refresh()
            if done >= params.n_trials:
                break
            if params.timeout and time.monotonic() - t_start > params.timeout:
                stopped_by = "timeout"
                break
            if done + len(running) >= params.n_trials:  # the others are finishing the study
                time.sleep(poll)
                continue
            reseed(study, params)  # never replay an earlier run's proposals
            trial = study.ask()
            done, running = _tally(study)
            rank = done + 1 + [t.number for t in running].index(trial.number)
            if rank > params.n_trials:
                trial.set_user_attr("note", "surplus: the study was full when it started")
                study.tell(trial, None, state=TrialState.FAIL)
                continue
            _run_one(study, trial, params, splits, out, log)
            mine.append(trial.number)
            write_trials_csv(study, out / "trials.csv")
            complete = [t for t in study.get_trials(deepcopy=False,
                                                    states=(TrialState.COMPLETE,))]
            if complete:
                bar.set_postfix(best=f"{min(t.value for t in complete):.3e}", refresh=False)
    finally:
        bar.close()
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    best = min(complete, key=lambda t: t.value) if complete else None
    return SearchResult(study_name=params.study_name, trials_run=mine, finished=done,
                        best_value=best.value if best else math.nan,
                        best_trial=best.number if best else -1,
                        seconds=time.monotonic() - t_start, stopped_by=stopped_by)
