"""Deliver 4-5 / Why 5-8: the workflow refuses non-finite and inconsistent configs before any
job starts (naming the key), recovers from a kill, is lint-clean; results are git-ignored;
generation jobs do not import torch."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

BASE = {
    "seed": 11,
    "threads": 1,
    "gauge": {"ensembles": [
        {"name": "g", "group": "su2", "shape": [8, 8], "betas": [1.0, 2.0],
         "splits": {"train": 4, "val": 3, "test": 3}, "n_therm": 5, "n_skip": 1},
    ]},
    "datasets": {"gauge": {"loops": [[1, 1], [2, 2]]}},
    "scalar": {"n_therm": 10, "n_skip": 1, "ensembles": [
        {"name": "sc", "shape": [8, 4], "mu": [0.9, 1.0], "open_worms": [0, 1, 2],
         "splits": {"train": 6, "val": 4, "test": 4}},
    ]},
    "experiments": [
        {"name": "w", "ensemble": "g", "target": "W_2x2", "model": "W2x2-small", "test": ["g"]},
        {"name": "det", "ensemble": "sc", "target": "flux_violated", "test": ["sc"],
         "model": {"kind": "flux", "channels": [2], "kernel_sizes": 2}},
    ],
}


def _snakemake(workdir, *args, **kwargs):
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"),
           "--directory", str(workdir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=workdir, **kwargs)


def _dry_run(tmp_path, cfg):
    conf = tmp_path / "config.yaml"
    conf.write_text(yaml.safe_dump(cfg))
    return _snakemake(tmp_path, "--configfile", str(conf), "--dry-run", "--quiet", "rules")


def _with(change):
    cfg = copy.deepcopy(BASE)
    change(cfg)
    return cfg


def test_base_config_is_accepted_and_mixes_open_worm_counts(tmp_path):
    """One scalar dataset per split holds every mu and open-worm count (by design)."""
    out = _dry_run(tmp_path, BASE)
    assert out.returncode == 0, out.stderr[-2000:]


def _set(path, value):
    def change(cfg):
        node = cfg
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


BAD = {
    # Why 5: NaN and infinity passed the schema
    "nan-beta": (_set(["gauge", "ensembles", 0, "betas"], [float("nan")]),
                 ["gauge.ensembles[0].betas[0]", "finite"]),
    "nan-eta": (_set(["scalar", "eta"], float("nan")), ["scalar.eta", "finite"]),
    "inf-mu": (_set(["scalar", "ensembles", 0, "mu"], [1.0, float("inf")]),
               ["scalar.ensembles[0].mu[1]", "finite"]),
    "inf-lr": (_set(["training"], {"lr": float("inf")}), ["training.lr", "finite"]),
    # Why 6: loops larger than the lattice, duplicated inputs
    "loop-9x9-on-8x8": (_set(["datasets", "gauge", "loops"], [[1, 1], [9, 9]]),
                        ["datasets.gauge.loops", "9x9", "8x8"]),
    "duplicate-loop": (_set(["datasets", "gauge", "loops"], [[1, 1], [1, 1]]),
                       ["datasets.gauge.loops", "1x1"]),
    "duplicate-beta": (_set(["gauge", "ensembles", 0, "betas"], [1.0, 2.0, 1.0]),
                       ["gauge.ensembles[0] (g).betas", "1.0"]),
    "same-file-beta": (_set(["gauge", "ensembles", 0, "betas"], [1.0, 1.00001]),
                       ["gauge.ensembles[0] (g).betas", "1.0000"]),
    "duplicate-mu": (_set(["scalar", "ensembles", 0, "mu"], [1.0, 1.0]),
                     ["scalar.ensembles[0] (sc).mu"]),
    "duplicate-open-worms": (_set(["scalar", "ensembles", 0, "open_worms"], [0, 1, 1]),
                             ["scalar.ensembles[0] (sc).open_worms"]),
    "duplicate-ensemble": (lambda c: c["gauge"]["ensembles"].append(
        copy.deepcopy(c["gauge"]["ensembles"][0])), ["gauge.ensembles", "'g'"]),
    "too-many-open-worms": (_set(["scalar", "ensembles", 0, "open_worms"], [0, 9]),
                            ["scalar.ensembles[0] (sc).open_worms", "V/4"]),
    # Deliver 4: an experiment that names a missing dataset
    "missing-ensemble": (_set(["experiments", 0, "test"], ["nope"]), ["'nope'"]),
    "missing-val-split": (_set(["gauge", "ensembles", 0, "splits"], {"train": 2, "test": 2}),
                          ["experiments (w).ensemble", "no val split"]),
    "missing-test-split": (_set(["scalar", "ensembles", 0, "splits"], {"train": 2, "val": 2}),
                           ["experiments (det).test", "no test split"]),
    "missing-target": (_set(["experiments", 0, "target"], "W_3x3"),
                       ["experiments (w).target", "W_3x3"]),
    "detector-without-open-worms": (_set(["scalar", "ensembles", 0, "open_worms"], [0]),
                                    ["experiments (det).target", "open"]),
    "missing-grid": (_set(["experiments", 0, "grid"], "nogrid"), ["experiments (w).grid"]),
    "duplicate-experiment": (lambda c: c["experiments"].append(
        copy.deepcopy(c["experiments"][0])), ["experiments", "'w'"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_inconsistent_config_is_refused_naming_the_key(tmp_path, case):
    change, words = BAD[case]
    out = _dry_run(tmp_path, _with(change))
    text = out.stdout + out.stderr
    assert out.returncode != 0
    for word in words:
        assert word in text, text[-2000:]
    assert "MissingInputException" not in text
    assert not (tmp_path / "results").exists()


def test_snakemake_lint_is_clean():
    """Why 7: ``snakemake --lint`` reported problems."""
    out = _snakemake(ROOT, "--lint")
    text = out.stdout + out.stderr
    assert "Lints for" not in text, text[-3000:]
    assert out.returncode == 0, text[-3000:]


def test_result_folders_are_ignored_by_git(tmp_path):
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    for path in ("results/x.h5", "results-paper/x.h5", "results-scalar/x.h5",
                 "results-4d/ensembles/y.h5"):
        out = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT)
        assert out.returncode == 0, f"{path} is not ignored"
    out = subprocess.run(["git", "check-ignore", "-q", "--no-index", "src/latticeml/x.py"],
                         cwd=ROOT)
    assert out.returncode == 1


def test_docs_say_how_to_recover_from_a_kill():
    # the recovery steps moved from README.md to the documentation site (issue 25)
    text = (ROOT / "docs" / "workflow" / "running.md").read_text()
    assert "--unlock" in text and "--rerun-incomplete" in text
    assert "docs/workflow/running.md" in (ROOT / "README.md").read_text()


def test_generation_and_dataset_jobs_do_not_import_torch(tmp_path):
    """Why 8: every generation job imported torch (3 s) without using it."""
    code = (
        "import sys\n"
        "from latticeml.cli import main\n"
        "a = ['--n-therm', '1', '--n-skip', '1', '--no-progress']\n"
        "assert main(['gauge', 'generate', '--group', 'su2', '--shape', '4,4', '--beta', '2',"
        " '--n-configs', '2', '--seed', '1', *a, '--out', 'g.h5']) == 0\n"
        "assert main(['scalar', 'generate', '--shape', '8,2', '--mu', '1', '--eta', '4.01',"
        " '--lam', '1', '--n-configs', '2', '--seed', '1', *a, '--out', 's.h5']) == 0\n"
        "assert main(['dataset', 'gauge', '--inputs', 'g.h5', '--no-progress', '--out',"
        " 'dg.h5']) == 0\n"
        "assert main(['dataset', 'scalar', '--inputs', 's.h5', '--no-progress', '--out',"
        " 'ds.h5']) == 0\n"
        "for argv in (['gauge', 'inspect', 'g.h5'], ['scalar', 'inspect', 's.h5'],"
        " ['dataset', 'inspect', 'dg.h5']):\n"
        "    assert main(argv) == 0\n"
        "print('torch imported:', 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "torch imported: False" in out.stdout


# ---- kill and resume --------------------------------------------------------------------------
KILL = {
    "seed": 5,
    "threads": 1,
    "gauge": {"ensembles": [
        {"name": "tiny", "group": "su2", "shape": [4, 4], "betas": [1.0, 2.0],
         "splits": {"train": 4, "val": 3, "test": 3}, "n_therm": 200, "n_skip": 2},
    ]},
    "datasets": {"gauge": {"loops": [[1, 1], [1, 2]]}},
    "scalar": {"n_therm": 200, "n_skip": 2, "ensembles": [
        {"name": "sc", "shape": [8, 2], "mu": [1.0], "open_worms": [0, 1],
         "splits": {"train": 8, "test": 4}},
    ]},
}


def _outputs(results):
    # checkpoints of running generations are state, not outputs (removed with their ensemble)
    return sorted(p for p in results.rglob("*.h5") if "checkpoints" not in p.parts)


def _inspect(path):
    from latticeml.cli import main

    parts = path.parts
    if "datasets" in parts:
        argv = ["dataset", "inspect", str(path)]
    else:
        argv = ["gauge" if "gauge" in parts else "scalar", "inspect", str(path)]
    return main(argv)


@pytest.mark.slow
def test_kill_and_resume_leaves_only_complete_identical_files(tmp_path):
    """Kill snakemake (SIGKILL, whole process group) mid-run; the next run stops on the stale
    lock, ``--unlock`` + ``--rerun-incomplete`` finish it; every output file then passes
    ``inspect`` and is byte-identical to the same file of an uninterrupted run."""
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    for d in (killed, clean):
        d.mkdir()
        (d / "config.yaml").write_text(yaml.safe_dump(KILL))
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
           str(killed), "--configfile", str(killed / "config.yaml"), "--cores", "2"]
    proc = subprocess.Popen(cmd, cwd=killed, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    incomplete = killed / ".snakemake" / "incomplete"
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            done = _outputs(killed / "results")
            running = list(incomplete.iterdir()) if incomplete.is_dir() else []
            if done and running:
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the workflow finished before it could be killed"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    n_before = len(_outputs(killed / "results"))
    for path in _outputs(killed / "results"):  # whatever exists is complete
        assert _inspect(path) == 0, path

    stale = _snakemake(killed, "--configfile", str(killed / "config.yaml"), "--cores", "2",
                       "--rerun-incomplete")
    assert stale.returncode != 0 and "lock" in (stale.stdout + stale.stderr).lower()
    unlock = _snakemake(killed, "--configfile", str(killed / "config.yaml"), "--unlock")
    assert unlock.returncode == 0, unlock.stderr[-2000:]
    resumed = _snakemake(killed, "--configfile", str(killed / "config.yaml"), "--cores", "2",
                         "--rerun-incomplete")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    reference = _snakemake(clean, "--configfile", str(clean / "config.yaml"), "--cores", "2")
    assert reference.returncode == 0, reference.stderr[-3000:]

    got = _outputs(killed / "results")
    want = _outputs(clean / "results")
    assert [p.relative_to(killed) for p in got] == [p.relative_to(clean) for p in want]
    assert len(got) == 6 + 4 + 3 + 2 and n_before < len(got)
    for a, b in zip(got, want, strict=True):
        assert _inspect(a) == 0, a
        assert a.read_bytes() == b.read_bytes(), f"{a.relative_to(killed)} differs"
