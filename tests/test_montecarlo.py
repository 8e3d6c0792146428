"""The one Monte Carlo driver (latticeml.montecarlo) and the gauge chain's updaters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from latticeml.montecarlo import MarkovChain, RunCounts, run_chain


class GaussianChain:
    """Random-walk Metropolis for exp(-x^2/2): a real Markov chain with a known answer."""

    def __init__(self, seed: int, step: float = 1.0) -> None:
        self.rng = np.random.default_rng(seed)
        self.x = 5.0  # far from equilibrium
        self.step = step
        self.updates = 0
        self.tuned_at = None

    def _one(self) -> None:
        y = self.x + self.step * self.rng.uniform(-1, 1)
        if self.rng.uniform() < np.exp(0.5 * (self.x**2 - y**2)):
            self.x = y
        self.updates += 1

    def advance(self, n: int) -> dict:
        out = np.empty(n)
        for i in range(n):
            self._one()
            out[i] = self.x
        return {"x": out}

    def tune(self, n: int) -> dict:
        measured = self.advance(n)
        self.step = 2.4  # fixed from here on
        self.tuned_at = self.updates
        return measured


def _run(chain, counts, **kwargs):
    saved, when = [], []

    def save(i):
        saved.append(chain.x)
        when.append((i, chain.updates))

    history = run_chain(chain, counts, save, **kwargs)
    return history, np.array(saved), when


def test_protocol_counts_and_save_points():
    chain = GaussianChain(1)
    assert isinstance(chain, MarkovChain)
    counts = RunCounts(n_therm=10, n_configs=4, n_skip=3)
    history, saved, when = _run(chain, counts)
    assert chain.updates == counts.n_updates == 22
    assert when == [(i, 10 + 3 * (i + 1)) for i in range(4)]
    series = np.concatenate(history.values["x"])
    assert series.size == 22 and history.n_therm == 10
    np.testing.assert_array_equal(saved, series[10 + 3 * np.arange(1, 5) - 1])


def test_tuning_happens_once_at_the_start_and_counts_as_thermalisation():
    chain = GaussianChain(2)
    history, _, when = _run(chain, RunCounts(10, 2, 1), tune_updates=4)
    assert chain.tuned_at == 4 and chain.updates == 12 and when[0] == (0, 11)
    longer = GaussianChain(2)  # tuning longer than the thermalisation: production starts after it
    history, _, when = _run(longer, RunCounts(3, 2, 1), tune_updates=6)
    assert history.n_therm == 6 and when == [(0, 7), (1, 8)]


@pytest.mark.parametrize("block", [1, 4, 7, 100])
def test_the_thermalisation_block_does_not_change_the_chain(block):
    _, reference, _ = _run(GaussianChain(3), RunCounts(23, 5, 2))
    _, saved, _ = _run(GaussianChain(3), RunCounts(23, 5, 2), therm_block=block)
    np.testing.assert_array_equal(saved, reference)


def test_the_driver_samples_the_target_distribution():
    """Negative control included: without thermalisation the start (x = 5) biases the mean."""
    chain = GaussianChain(4)
    _, saved, _ = _run(chain, RunCounts(200, 4000, 2), tune_updates=50)
    err = saved.std() / np.sqrt(saved.size / 10)  # generous for autocorrelation
    assert abs(saved.mean()) < 4 * err and abs(saved.var() - 1.0) < 0.1
    cold = GaussianChain(4, step=0.05)
    _, biased, _ = _run(cold, RunCounts(0, 50, 1))
    assert biased.mean() > 3.0


# ---- gauge updaters ----------------------------------------------------------------------


def _chain(**kw):
    from latticeml.gauge import GaugeChain

    return GaugeChain("su2", (4, 4, 4, 4), 2.3, 11, start="hot", threads=1, **kw)


def test_updaters_of_the_default_sweeps():
    from latticeml.gauge.updaters import HeatBath, Metropolis, Overrelaxation

    assert _chain().updaters == (HeatBath(), Overrelaxation(4))
    assert _chain(algorithm="metropolis", n_overrelax=0, metropolis_hits=3,
                  metropolis_step=0.2).updaters == (Metropolis(3, 0.2),)


def test_a_sweep_is_its_updaters_in_order():
    """Setting the updaters by hand gives the same links as the algorithm's sweep."""
    from latticeml.gauge.updaters import HeatBath, Overrelaxation

    a, b = _chain(), _chain()
    a.sweep(3)
    b.updaters = (HeatBath(), Overrelaxation(2), Overrelaxation(2))
    b.sweep(3)
    np.testing.assert_array_equal(a.links, b.links)
    c = _chain()
    c.updaters = (Overrelaxation(2), HeatBath(), Overrelaxation(2))  # another order: another chain
    c.sweep(3)
    assert not np.array_equal(a.links, c.links)


@dataclass(frozen=True)
class RandomGaugeTransformation:
    """A new updater written outside the package: a Haar-random gauge transformation.

    It moves every link and leaves the action unchanged (a valid, if useless, Markov step);
    it needs nothing but the chain's public links.
    """

    seed: int

    def __call__(self, chain) -> None:
        from latticeml.gauge import gauge_transform, haar_gauge_transformation

        rng = np.random.default_rng((self.seed, chain.n_elementary))
        omega = haar_gauge_transformation(rng, chain.shape, chain.n_colors)
        chain.set_links(gauge_transform(chain.links, omega))


def test_a_new_updater_runs_through_the_driver_and_nothing_else():
    chain = _chain()
    chain.sweep(2)
    start_links, start_plaquette = chain.links, chain.plaquette()
    chain.updaters = (RandomGaugeTransformation(5),)
    saved = []
    run = run_chain(chain, RunCounts(2, 3, 1), lambda i: saved.append(chain.links))
    # gauge invariance: the plaquette stays to rounding while every saved configuration moved
    np.testing.assert_allclose(np.concatenate(run.values["plaquette"]), start_plaquette,
                               rtol=0, atol=1e-12)
    assert len(saved) == 3
    for links in saved:
        assert np.abs(links - start_links).max() > 0.1
    assert np.abs(saved[0] - saved[1]).max() > 0.1


def test_overrelaxation_updater_keeps_the_action():
    from latticeml.gauge.updaters import Overrelaxation

    chain = _chain()
    chain.sweep(2)
    before = chain.action()
    Overrelaxation(3)(chain)
    assert abs(chain.action() - before) < 1e-9 * abs(before)
