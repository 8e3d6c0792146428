"""Kill a job at a moment the test chooses, not after a sleep.

A test that kills a running job must not race the machine: on a fast machine a sleep lets the
job finish before the kill, on a slow one the kill lands before anything worth testing happened.
Here the job stops *itself* (``SIGSTOP``) at a named point of its own progress, writes a marker
file first, and the test kills it while it is stopped:

    hook = PauseHook(tmp_path / "hook", train_epoch=2)
    proc = subprocess.Popen(cmd, env=hook.env())       # or snakemake, whose jobs inherit env
    pids = hook.wait_paused(proc)                      # blocks until a job is stopped there
    os.kill(pids[0], signal.SIGKILL)

The hook is a ``sitecustomize.py`` written into its own folder and put on ``PYTHONPATH`` of the
child only: every Python process started below it (a snakemake job's ``latticeml …`` call
included) imports it at start-up. It only acts in ``latticeml`` processes of the stages it names
and wraps documented entry points (``train(on_epoch_end=…)``) or counts the Monte Carlo sweeps
of :class:`latticeml.gauge.chain.GaugeChain`; the code that runs is the real one.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

_TEMPLATE = '''\
# written by tests/pausing.py: stop this latticeml process at a point a test chose
import os
import signal
import sys

_DIR = {directory!r}
_TRAIN_EPOCH = {train_epoch!r}
_GAUGE_SWEEPS = {gauge_sweeps!r}
_STAGE = [a for a in sys.argv[1:3]]


def _pause(what):
    marker = os.path.join(_DIR, "paused-%d" % os.getpid())
    with open(marker + ".tmp", "w") as f:
        f.write(what)
    os.replace(marker + ".tmp", marker)
    os.kill(os.getpid(), signal.SIGSTOP)


if _TRAIN_EPOCH and (_STAGE == ["model", "train"] or _STAGE[:1] in (["train"], ["search"])):
    import latticeml.train
    import latticeml.train.fit as _fit

    _orig_train = _fit.train

    def _train(*args, on_epoch_end=None, **kwargs):
        def hook(epoch):
            if on_epoch_end is not None:
                on_epoch_end(epoch)
            if epoch == _TRAIN_EPOCH:
                _pause("train epoch %d" % epoch)
        return _orig_train(*args, on_epoch_end=hook, **kwargs)

    _fit.train = _train
    latticeml.train.train = _train

if _GAUGE_SWEEPS and _STAGE == ["gauge", "generate"]:
    from latticeml.gauge.chain import GaugeChain

    _orig_sweep = GaugeChain.sweep
    _count = [0]

    def _sweep(self, *args, **kwargs):
        out = _orig_sweep(self, *args, **kwargs)
        _count[0] += 1
        if _count[0] == _GAUGE_SWEEPS:
            _pause("gauge sweep %d" % _count[0])
        return out

    GaugeChain.sweep = _sweep
'''


def _state(pid: int) -> str | None:
    """The one-letter state of ``pid`` from /proc (``T``: stopped), ``None`` if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat.rsplit(")", 1)[1].split()[0]


class PauseHook:
    """A ``sitecustomize.py`` that stops ``latticeml`` processes at a chosen point.

    Parameters
    ----------
    directory : path
        A new folder for the hook and its markers.
    train_epoch : int, optional
        ``latticeml train`` (and ``search run``) stop after the checkpoint of this epoch.
    gauge_sweeps : int, optional
        ``latticeml gauge generate`` stops after this many Monte Carlo sweeps.
    """

    def __init__(self, directory, *, train_epoch: int = 0, gauge_sweeps: int = 0):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "sitecustomize.py").write_text(_TEMPLATE.format(
            directory=str(self.directory), train_epoch=train_epoch, gauge_sweeps=gauge_sweeps))

    def env(self, base: dict | None = None) -> dict:
        """``base`` (default: this process's environment) with the hook on ``PYTHONPATH``."""
        env = dict(os.environ if base is None else base)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(self.directory), env.get("PYTHONPATH", "")) if p)
        return env

    def paused(self) -> list[int]:
        """Pids that wrote their marker and are stopped now."""
        pids = [int(p.name.split("-")[1]) for p in self.directory.glob("paused-*")
                if not p.name.endswith(".tmp")]
        return [pid for pid in pids if _state(pid) == "T"]

    def wait_paused(self, proc: subprocess.Popen, timeout: float = 600) -> list[int]:
        """Block until a process has stopped at the hook; fail if ``proc`` ends first.

        Polling here waits for a *state* that lasts (a stopped process stays stopped), so the
        answer does not depend on the machine's speed; ``timeout`` only guards a hung run.
        """
        deadline = time.monotonic() + timeout
        while True:
            pids = self.paused()
            if pids:
                return pids
            if proc.poll() is not None:
                raise AssertionError(f"the run ended (exit {proc.returncode}) before any job "
                                     "reached the pause point")
            if time.monotonic() > deadline:
                raise AssertionError(f"no job reached the pause point in {timeout} s")
            time.sleep(0.05)
