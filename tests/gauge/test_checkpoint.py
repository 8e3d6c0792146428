"""Checkpoints of a gauge generation: stop anywhere, resume, the same bytes; bad checkpoints.

The tests stop a run at chosen update counts (``stop_after``), so they decide where the run is
interrupted; nothing races the machine.
"""

from pathlib import Path

import h5py
import numpy as np
import pytest

from latticeml.cli import main
from latticeml.data import save_gauge_ensemble
from latticeml.errors import FileFormatError, ParameterError
from latticeml.gauge import ChainParams, GaugeChain, GaugeParams, generate_ensemble
from latticeml.gauge.checkpoint import CheckpointParams, GenerationStoppedError, read_checkpoint
from latticeml.montecarlo import RunCounts, RunProgress, run_chain

HEATBATH = dict(group="su2", shape=(6, 6), beta=2.0, seed=5, n_configs=4, n_therm=7, n_skip=3,
                threads=1)
SU3_4D = dict(group="su3", shape=(2, 2, 2, 4), beta=5.7, seed=8, n_configs=3, n_therm=4,
              n_skip=2, threads=1)
# hmc: the first n_therm // 2 = 2 trajectories are untested molecular dynamics
HMC = dict(group="su2", shape=(4, 4), beta=2.0, seed=3, n_configs=3, n_therm=4, n_skip=2,
           algorithm="hmc", hmc_steps=6, n_overrelax=1)


def _run_in_pieces(params, path, pieces):
    """Generate with a checkpoint, stopping after each of ``pieces`` updates; then finish."""
    for n in pieces:
        ckpt = CheckpointParams(path=str(path), every=0.0, stop_after=n)
        with pytest.raises(GenerationStoppedError) as stop:
            generate_ensemble(params, checkpoint=ckpt)
        assert stop.value.exit_status == 75
        assert Path(path).exists()
    return generate_ensemble(params, checkpoint=CheckpointParams(path=str(path), every=0.0))


@pytest.mark.parametrize("kwargs, pieces", [
    (HEATBATH, [1]),             # in the thermalisation
    (HEATBATH, [7]),             # at its end, before the first saved configuration
    (HEATBATH, [3, 5, 4]),       # across thermalisation and production, three resumes
    (SU3_4D, [5, 2]),
    (HMC, [1, 2, 3]),            # inside the untested trajectories, then production
], ids=["therm", "therm-end", "three-resumes", "su3-4d", "hmc"])
def test_resumed_run_gives_the_same_bytes(tmp_path, kwargs, pieces):
    params = GaugeParams(**kwargs)
    whole = generate_ensemble(params)
    resumed = _run_in_pieces(params, tmp_path / "ck.h5", pieces)
    for name in ("links", "plaquette", "plaquette_history"):
        np.testing.assert_array_equal(getattr(resumed, name), getattr(whole, name))
    assert resumed.acceptance == whole.acceptance or np.isnan(whole.acceptance)
    if params.algorithm == "hmc":
        np.testing.assert_array_equal(resumed.delta_h, whole.delta_h)
    a = save_gauge_ensemble(tmp_path / "a.h5", whole)
    b = save_gauge_ensemble(tmp_path / "b.h5", resumed)
    assert a.read_bytes() == b.read_bytes()


def test_threads_may_change_between_stop_and_resume(tmp_path):
    params = GaugeParams(**{**HEATBATH, "shape": (8, 8)})
    whole = generate_ensemble(params)
    ckpt = CheckpointParams(path=str(tmp_path / "ck.h5"), every=0.0, stop_after=9)
    with pytest.raises(GenerationStoppedError):
        generate_ensemble(params, checkpoint=ckpt)
    more = GaugeParams(**{**HEATBATH, "shape": (8, 8), "threads": 2})
    resumed = generate_ensemble(more, checkpoint=CheckpointParams(path=ckpt.path))
    np.testing.assert_array_equal(resumed.links, whole.links)


def test_chain_state_round_trip_and_its_negative_control():
    """A restored chain continues bit for bit; without its stream counter it does not."""
    for kwargs in (dict(group="su2", algorithm="heatbath"),
                   dict(group="su2", algorithm="hmc", hmc_steps=4),
                   dict(group="su3", algorithm="metropolis")):
        params = ChainParams(shape=(4, 4), beta=2.2, seed=11, threads=1, **kwargs)
        make = lambda p=params: GaugeChain.from_params(p)  # noqa: E731
        a = make()
        a.sweep(3)
        state = a.state_dict()
        b, c = make(), make()
        b.load_state_dict(state)
        broken = dict(state, counters=state["counters"] * 0)
        broken.pop("torch_rng", None)
        c.load_state_dict(broken)
        np.testing.assert_array_equal(b.links, a.links)
        a.sweep(2)
        b.sweep(2)
        c.sweep(2)
        np.testing.assert_array_equal(b.links, a.links)
        assert b.n_accepted == a.n_accepted and b.n_proposed == a.n_proposed
        assert not np.array_equal(c.links, a.links), kwargs


def test_chain_refuses_a_state_of_another_lattice():
    state = GaugeChain("su2", (4, 4), 2.0, 1).state_dict()
    with pytest.raises(ParameterError, match="shape"):
        GaugeChain("su2", (4, 6), 2.0, 1).load_state_dict(state)


def test_checkpoint_of_other_parameters_is_refused(tmp_path):
    params = GaugeParams(**HEATBATH)
    path = tmp_path / "ck.h5"
    with pytest.raises(GenerationStoppedError):
        generate_ensemble(params, checkpoint=CheckpointParams(path=str(path), stop_after=2))
    other = GaugeParams(**{**HEATBATH, "beta": 2.5})
    with pytest.raises(FileFormatError, match=r"beta: 2\.0 there, 2\.5 now.*delete"):
        generate_ensemble(other, checkpoint=CheckpointParams(path=str(path)))
    assert path.exists()  # never silently replaced


def test_damaged_checkpoint_is_refused(tmp_path):
    params = GaugeParams(**HEATBATH)
    path = tmp_path / "ck.h5"
    with pytest.raises(GenerationStoppedError):
        generate_ensemble(params, checkpoint=CheckpointParams(path=str(path), stop_after=10))
    with h5py.File(path, "r+") as f:  # a changed link value: the digest no longer matches
        u = f["state/u"][()]
        u[0, 0, 0] += 1e-3
        f["state/u"][...] = u
    with pytest.raises(FileFormatError, match="state/u.*delete"):
        read_checkpoint(path, params, GaugeChain.from_params(params).backend)
    path.write_bytes(b"not hdf5 at all")
    with pytest.raises(FileFormatError, match="not a readable HDF5 file.*delete"):
        generate_ensemble(params, checkpoint=CheckpointParams(path=str(path)))


def test_an_ensemble_file_is_not_a_checkpoint(tmp_path):
    params = GaugeParams(**HEATBATH)
    ens = save_gauge_ensemble(tmp_path / "e.h5", generate_ensemble(params))
    with pytest.raises(FileFormatError, match="not a gauge-generation checkpoint"):
        generate_ensemble(params, checkpoint=CheckpointParams(path=str(ens)))


def test_checkpoint_params_are_checked():
    with pytest.raises(ParameterError, match="--stop-after"):
        CheckpointParams(stop_after=5)
    with pytest.raises(ParameterError, match="--checkpoint-every"):
        CheckpointParams(path="c.h5", every=-1)
    with pytest.raises(ParameterError, match="--stop-after"):
        CheckpointParams(path="c.h5", stop_after=-2)


ARGS = ["gauge", "generate", "--group", "su2", "--shape", "4,4", "--beta", "2.0",
        "--n-configs", "3", "--n-therm", "4", "--n-skip", "2", "--seed", "7", "--no-progress"]


def test_cli_stops_with_status_75_resumes_and_removes_the_checkpoint(tmp_path, capsys):
    ck, out, ref = tmp_path / "ck.h5", tmp_path / "b.h5", tmp_path / "a.h5"
    assert main(ARGS + ["--out", str(ref)]) == 0
    argv = ARGS + ["--out", str(out), "--checkpoint", str(ck), "--checkpoint-every", "0"]
    assert main(argv + ["--stop-after", "5"]) == 75
    assert "run the same command again" in capsys.readouterr().err
    assert ck.exists() and not out.exists()
    assert main(argv) == 0
    assert not ck.exists()
    assert out.read_bytes() == ref.read_bytes()


def test_cli_refuses_the_output_as_checkpoint(tmp_path, capsys):
    out = tmp_path / "e.h5"
    assert main(ARGS + ["--out", str(out), "--checkpoint", str(out)]) == 2
    assert "--checkpoint: expected a file other than --out" in capsys.readouterr().err
    assert not out.exists()


class _Counter:
    """A Markov chain whose state is its update count (the protocol, not a mock)."""

    def __init__(self):
        self.n = 0
        self.tuned = 0

    def advance(self, n):
        out = np.arange(self.n + 1, self.n + n + 1, dtype=float)
        self.n += n
        return {"x": out}

    def tune(self, n):
        self.tuned += n
        return self.advance(n)


def test_run_chain_resume_continues_the_series_and_skips_the_tuning():
    counts = RunCounts(n_therm=5, n_configs=4, n_skip=2)
    whole, saved = _Counter(), []
    ref = run_chain(whole, counts, saved.append, tune_updates=2, therm_block=2)
    seen: list[RunProgress] = []

    def stop_at_7(p):
        seen.append(RunProgress(p.done, p.n_saved, {k: list(v) for k, v in p.values.items()}))
        return p.done >= 7

    first, saved_a = _Counter(), []
    part = run_chain(first, counts, saved_a.append, tune_updates=2, therm_block=2,
                     after_block=stop_at_7)
    assert not part.complete and seen[-1].done == 7 and seen[-1].n_saved == 1
    second, saved_b = _Counter(), []
    second.n = first.n  # the chain's state, restored
    rest = run_chain(second, counts, saved_b.append, tune_updates=2, therm_block=2,
                     resume=seen[-1])
    assert rest.complete and second.tuned == 0
    assert saved_a + saved_b == saved == [0, 1, 2, 3]
    np.testing.assert_array_equal(np.concatenate(rest.values["x"]),
                                  np.concatenate(ref.values["x"]))
    assert rest.n_therm == ref.n_therm == 5


def test_cli_checkpoint_in_a_missing_directory_fails_before_work(tmp_path, capsys):
    out = tmp_path / "e.h5"
    argv = ARGS + ["--out", str(out), "--checkpoint", str(tmp_path / "nope" / "ck.h5")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope" in err[0]
    assert not out.exists()


def test_stale_temporaries_of_a_killed_writer_are_removed_and_nothing_else(tmp_path):
    from latticeml.data.atomic import remove_stale_temporaries

    target = tmp_path / "ck.h5"
    stale = [tmp_path / ".ck.h5.abc123.tmp", tmp_path / ".ck.h5.4711.tmp"]
    keep = [target, tmp_path / ".ck.h5x.1.tmp", tmp_path / ".other.h5.1.tmp",
            tmp_path / "ck.h5.1.tmp", tmp_path / ".ck.h5.1.probe"]
    for p in stale + keep:
        p.write_bytes(b"x")
    assert sorted(remove_stale_temporaries(target)) == sorted(stale)
    assert all(p.exists() for p in keep) and not any(p.exists() for p in stale)


def test_a_resumed_generation_removes_the_temporary_of_a_killed_checkpoint_write(tmp_path):
    params = GaugeParams(**HEATBATH)
    path = tmp_path / "ck.h5"
    with pytest.raises(GenerationStoppedError):
        generate_ensemble(params, checkpoint=CheckpointParams(path=str(path), stop_after=3))
    half_written = tmp_path / ".ck.h5.k1ll3d.tmp"  # what SIGKILL during a write leaves
    half_written.write_bytes(path.read_bytes()[:100])
    resumed = generate_ensemble(params, checkpoint=CheckpointParams(path=str(path)))
    assert resumed.resumed_at == 3 and not half_written.exists()
    np.testing.assert_array_equal(resumed.links, generate_ensemble(params).links)
