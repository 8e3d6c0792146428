"""A hostile or careless config cannot reach the shell (hostile inputs, round two, item 1).

Every path reaches a job's shell quoted (``{output:q}``, ``shlex.quote``), and ``results:`` is
refused when empty, when it holds shell syntax no path should (control characters, ``$``,
backquotes, quotes, backslashes), or when it leaves the working directory without
``results_outside_workdir: true``. A folder name with ``;`` or spaces is a legal (if odd) path:
the job writes there, and nothing it names is executed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

CONFIG = {
    "seed": 3,
    "threads": 1,
    "gauge": {"ensembles": [
        {"name": "g", "group": "su2", "shape": [4, 4], "betas": [1.0],
         "splits": {"train": 2, "val": 2, "test": 2}, "n_therm": 2, "n_skip": 1},
    ]},
    "scalar": {"ensembles": []},
    "datasets": {"gauge": {"loops": [[1, 1]]}},
    "training": {"replicas": 1, "epochs": 1, "batch_size": 2},
    "experiments": [
        {"name": "e", "ensemble": "g", "target": "W_1x1", "model": "W1x1", "test": ["g"]},
    ],
}


def _snakemake(workdir: Path, results: str, *args: str, **extra):
    cfg = {**CONFIG, "results": results, **extra}
    conf = workdir / "config.yaml"
    conf.write_text(yaml.safe_dump(cfg))
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
           str(workdir), "--configfile", str(conf), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=workdir,
                          timeout=600)


@pytest.mark.parametrize("results", [
    "res$(touch pwned)", "res`touch pwned`", "a\nb", "", "   ", "it's", 'say"x"', "back\\slash",
    "/tmp/latticeml-results-elsewhere", "../outside",
])
def test_refused_results_paths_stop_the_dry_run(tmp_path, results):
    out = _snakemake(tmp_path, results, "--dry-run", "--cores", "1")
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert "config key results" in text, text[-2000:]
    assert not (tmp_path / "pwned").exists()
    assert not (tmp_path / "res").exists()


def test_outside_results_with_intent_is_planned(tmp_path):
    target = tmp_path / "elsewhere"
    workdir = tmp_path / "work"
    workdir.mkdir()
    out = _snakemake(workdir, str(target), "--dry-run", "--cores", "1",
                     results_outside_workdir=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert str(target) in out.stdout


@pytest.mark.slow
@pytest.mark.parametrize("results", ["res;touch pwned;x", "my results", "r&&touch pwned"])
def test_odd_but_legal_results_run_a_job_and_nothing_else(tmp_path, results):
    """Before: the shell ran `touch pwned` (unquoted {output}); "my results" failed every job."""
    target = f"{results}/datasets/gauge/g/train.h5"
    out = _snakemake(tmp_path, results, "--cores", "1", target)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    assert (tmp_path / target).is_file()
    assert not list(tmp_path.rglob("pwned"))
    assert {p.name for p in tmp_path.iterdir()} >= {results.split("/")[0]}


# ---- a config says what it runs (item 2) ------------------------------------------------------
def _run_with(workdir: Path, files: list[Path], *args: str):
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
           str(workdir), "--configfile", *map(str, files), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=workdir,
                          timeout=600)


def test_a_config_file_stands_alone(tmp_path):
    """``seed: 5`` alone no longer runs the default workflow: refused, the keys named."""
    only = tmp_path / "only_seed.yaml"
    only.write_text("seed: 5\n")
    out = _run_with(tmp_path, [only], "--dry-run", "--cores", "1")
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert "config key gauge.ensembles / scalar.ensembles" in text, text[-2000:]
    assert "config: seed from only_seed.yaml; schema defaults for the rest" in text


def test_a_config_without_experiments_trains_nothing(tmp_path):
    cfg = {k: v for k, v in CONFIG.items() if k != "experiments"}
    conf = tmp_path / "gen_only.yaml"
    conf.write_text(yaml.safe_dump(cfg))
    out = _run_with(tmp_path, [conf], "--dry-run", "--cores", "1")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "generate_gauge" in out.stdout and "rule train" not in out.stdout
    assert "train " not in out.stdout.split("Job stats:")[1].split("Reasons")[0]


def test_layering_on_the_default_is_explicit_and_reported(tmp_path):
    """``--configfile config.yaml my.yaml``: the default's keys, my.yaml's seed, and a line that
    says which file each key came from."""
    mine = tmp_path / "my.yaml"
    mine.write_text("seed: 5\n")
    (tmp_path / "config").mkdir()
    shutil.copytree(ROOT / "config" / "search", tmp_path / "config" / "search")
    out = _run_with(tmp_path, [ROOT / "config.yaml", mine], "--dry-run", "--cores", "1")
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-2000:]
    line = next(x for x in text.splitlines() if x.startswith("config: "))
    assert "experiments from config.yaml" in line and "seed from my.yaml" in line
    assert "train_grid" in out.stdout  # the default's experiments are planned


# ---- the dry run refuses what a job would refuse (item 9) -------------------------------------
def _with(**changes):
    import copy

    cfg = copy.deepcopy(CONFIG)
    for path, value in changes.items():
        *keys, last = path.split("__")
        node = cfg
        for k in keys:
            node = node[int(k)] if isinstance(node, list) else node[k]
        node[last] = value
    return cfg


DRY_RUN_CASES = {
    "negative CNN channels": (
        _with(experiments__0__model={"kind": "cnn", "channels": [4, -2]}),
        "experiments (e).model.channels"),
    "gauge preset on a scalar experiment": (
        {**CONFIG, "scalar": {"n_therm": 2, "n_skip": 1, "ensembles": [
            {"name": "s", "shape": [8, 2], "mu": [1.0], "splits": {"train": 2, "val": 2,
                                                                    "test": 2}}]},
         "experiments": [{"name": "e", "ensemble": "s", "target": "n", "model": "W1x1",
                          "test": ["s"]}]},
        "experiments (e).model"),
    "scalar kind on a gauge experiment": (
        _with(experiments__0__model={"kind": "eq", "channels": [2]}), "experiments (e).model"),
    "test set of another group": (
        {**CONFIG, "gauge": {"ensembles": [
            *CONFIG["gauge"]["ensembles"],
            {"name": "g3", "group": "su3", "shape": [4, 4], "betas": [5.0],
             "splits": {"test": 2}, "n_therm": 2, "n_skip": 1}]},
         "experiments": [{**CONFIG["experiments"][0], "test": ["g", "g3"]}]},
        "experiments (e).test"),
    "test set of another dimension": (
        {**CONFIG, "gauge": {"ensembles": [
            *CONFIG["gauge"]["ensembles"],
            {"name": "g4", "group": "su2", "shape": [2, 2, 2, 2], "betas": [2.0],
             "splits": {"test": 2}, "n_therm": 2, "n_skip": 1}]},
         "experiments": [{**CONFIG["experiments"][0], "test": ["g", "g4"]}]},
        "experiments (e).test"),
    "links that cannot fit in memory": (
        _with(gauge__ensembles__0__shape=[100000, 100000]), "gauge.ensembles[0] (g).splits"),
}


@pytest.mark.parametrize("case", sorted(DRY_RUN_CASES))
def test_dry_run_refuses_what_the_job_would(tmp_path, case):
    cfg, key = DRY_RUN_CASES[case]
    conf = tmp_path / "c.yaml"
    conf.write_text(yaml.safe_dump({**cfg, "results": "results"}))
    out = _run_with(tmp_path, [conf], "--dry-run", "--cores", "1")
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert f"config key {key}" in text or (key in text and "config key" in text), text[-1500:]
