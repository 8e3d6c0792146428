"""One Monte Carlo driver for every Markov chain of this package.

A chain (gauge links, dual scalar fields, ...) implements :class:`MarkovChain`: it advances by
``n`` *updates* -- a sweep of its updaters, or a trajectory -- and returns what it measured
after each. :func:`run_chain` is the protocol every generator follows: an optional tuning
phase at the start of the thermalisation, the rest of the thermalisation in blocks, then one
saved configuration every ``n_skip`` updates; it records the measurement history and drives the
progress bar. A new algorithm is a new updater of a chain (for gauge fields a
:class:`latticeml.gauge.updaters.Updater`); the driver, the files and the workflow stay as
they are.

Pure Python: the chains bring NumPy and their kernels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["MarkovChain", "RunCounts", "ChainHistory", "RunProgress", "run_chain"]


@runtime_checkable
class MarkovChain(Protocol):
    """What :func:`run_chain` needs of a chain."""

    def advance(self, n: int) -> dict[str, Any]:
        """Run ``n`` updates; return ``{name: array of n values}`` measured after each."""
        ...

    def tune(self, n: int) -> dict[str, Any]:
        """Run ``n`` updates while adapting the algorithm (step sizes, worm counts, ...).

        Called once, at the start of the thermalisation, when :func:`run_chain` is given
        ``tune_updates > 0``; the algorithm is fixed afterwards, so that production samples
        the exact distribution. Returns the measurements as :meth:`advance` does.
        """
        ...


@dataclass(frozen=True)
class RunCounts:
    """How long a chain runs and what it keeps.

    Attributes
    ----------
    n_therm : int
        Thermalisation updates (tuning included), >= 0.
    n_configs : int
        Saved configurations, >= 1.
    n_skip : int
        Updates before each saved configuration, >= 1.
    """

    n_therm: int
    n_configs: int
    n_skip: int

    @property
    def n_updates(self) -> int:
        """All updates of the run, ``n_therm + n_configs * n_skip``."""
        return self.n_therm + self.n_configs * self.n_skip


@dataclass(frozen=True)
class ChainHistory:
    """The measurements of a run, one entry per update.

    Attributes
    ----------
    values : dict of str to list of arrays
        Per name, the blocks returned by the chain (concatenate them for the series).
    n_therm : int
        Updates before the first saved configuration (tuning included; may exceed the
        requested ``n_therm`` when the tuning asked for more).
    """

    values: dict[str, list]
    n_therm: int
    complete: bool = True


@dataclass(frozen=True)
class RunProgress:
    """Where a run stands between two blocks of updates: what a checkpoint stores.

    Attributes
    ----------
    done : int
        Updates run so far (tuning and thermalisation included).
    n_saved : int
        Configurations saved so far.
    values : dict of str to list of arrays
        The measurements so far, as in :class:`ChainHistory`.
    """

    done: int
    n_saved: int
    values: dict[str, list]


def run_chain(chain: MarkovChain, counts: RunCounts, save: Callable[[int], None], *,
              tune_updates: int = 0, therm_block: int = 1,
              bar: Any = None, resume: RunProgress | None = None,
              after_block: Callable[[RunProgress], bool] | None = None) -> ChainHistory:
    """Thermalise, then save ``counts.n_configs`` configurations ``counts.n_skip`` apart.

    Parameters
    ----------
    chain : MarkovChain
        The chain, in its start configuration.
    counts : RunCounts
        Thermalisation, saved configurations, separation.
    save : callable
        ``save(i)`` stores the chain's current configuration as configuration ``i``.
    tune_updates : int
        Updates of :meth:`MarkovChain.tune` at the start of the thermalisation (0: none).
        They count towards ``n_therm``; if there are more, the thermalisation is that long.
    therm_block : int
        Updates per :meth:`MarkovChain.advance` call in the thermalisation (a larger block
        costs fewer calls into the kernels; the result does not depend on it).
    bar : progress bar, optional
        Anything with ``update(n)``; advanced by the updates run.
    resume : RunProgress, optional
        Continue a run that stopped after ``resume.done`` updates (the chain already holds the
        state it had then, see :mod:`latticeml.gauge.checkpoint`); the tuning is not repeated.
    after_block : callable, optional
        ``after_block(progress)`` is called after every block of updates (a thermalisation
        block, or the updates before a saved configuration, after it was saved); a true
        return value stops the run there (a checkpoint was written).

    Returns
    -------
    ChainHistory
        The measurements after every update, thermalisation included; ``complete`` is false
        when ``after_block`` stopped the run.
    """
    values: dict[str, list] = {} if resume is None else {
        name: list(blocks) for name, blocks in resume.values.items()}

    def record(measured: dict[str, Any], n: int) -> None:
        for name, block in measured.items():
            values.setdefault(name, []).append(block)
        if bar is not None:
            bar.update(n)

    done = 0 if resume is None else resume.done
    n_saved = 0 if resume is None else resume.n_saved
    if bar is not None and done:
        bar.update(done)

    def stop() -> bool:
        return after_block is not None and bool(after_block(RunProgress(done, n_saved, values)))

    if tune_updates > 0 and resume is None:
        record(chain.tune(tune_updates), min(tune_updates, counts.n_therm))
        done = tune_updates
        if stop():
            return ChainHistory(values=values, n_therm=done, complete=False)
    n_therm = max(done, counts.n_therm) if n_saved == 0 else done - n_saved * counts.n_skip
    while done < n_therm:
        n = min(n_therm - done, max(1, therm_block))
        record(chain.advance(n), n)
        done += n
        if stop():
            return ChainHistory(values=values, n_therm=n_therm, complete=False)
    for i in range(n_saved, counts.n_configs):
        record(chain.advance(counts.n_skip), counts.n_skip)
        save(i)
        done += counts.n_skip
        n_saved = i + 1
        if n_saved < counts.n_configs and stop():
            return ChainHistory(values=values, n_therm=n_therm, complete=False)
    return ChainHistory(values=values, n_therm=n_therm)
