"""The SLURM profile for real: a single-node SLURM on this machine runs a tiny workflow.

tests/slurm/start_cluster.sh starts munge, MariaDB, slurmdbd, slurmctld and slurmd from
configuration files in a temporary directory (one fake GPU); the workflow is then sent through
`workflow/profiles/slurm` with only the partition and account set to the test cluster's. The test
checks that every job went through sbatch (sacct: state, account, partition, requested CPUs,
memory, time limit and GPU as the rules ask), that the outputs load, and that a second run has
nothing to do; tests/slurm/stop_cluster.sh then stops exactly the daemons that were started.
Needs root and Debian's slurm-wlm, slurmdbd, munge and mariadb-server (.ci/run installs them).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "tests" / "slurm"
PROFILE = ROOT / "workflow" / "profiles" / "slurm" / "config.yaml"
REQUIRED = ("sbatch", "sacct", "sacctmgr", "sinfo", "slurmctld", "slurmd", "slurmdbd", "munged",
            "mariadbd")

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


def _missing():
    path = f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin{os.pathsep}/sbin"
    return [p for p in REQUIRED if shutil.which(p, path=path) is None]


if _missing():
    pytest.skip(
        f"SLURM test needs {', '.join(_missing())} (Debian: apt-get install slurm-wlm slurmdbd "
        "munge mariadb-server; .ci/run does this)",
        allow_module_level=True,
    )
if os.geteuid() != 0:
    pytest.skip("SLURM test needs root (slurmd runs as root)", allow_module_level=True)

# A small gauge ensemble, its dataset and one short L-CNN training (TINY style of
# tests/test_workflow.py): 2 generate + 2 dataset + 1 train = 5 SLURM jobs.
TINY = {
    "results": "results",
    "seed": 11,
    "threads": 1,
    "gauge": {
        "ensembles": [
            {"name": "tiny", "group": "su2", "shape": [4, 4], "betas": [2.0],
             "splits": {"train": 4, "val": 3, "test": 2}, "n_therm": 5, "n_skip": 1},
        ]
    },
    "datasets": {"gauge": {"loops": [[1, 1]]}},
    "training": {"replicas": 1, "epochs": 2, "batch_size": 2, "device": "cpu",
                 "mem_mb": 1500, "runtime": 7},
    "evaluation": {"gauge_configs": 1, "adversarial_steps": 1},
    "experiments": [
        {"name": "lcnn", "ensemble": "tiny", "target": "W_1x1", "model": "W1x1",
         "test": ["tiny"]},
    ],
    # two search workers (two SLURM jobs) on one study in a journal file
    "searches": [
        {"name": "s", "ensemble": "tiny", "target": "W_1x1", "n_trials": 3, "workers": 2,
         "epochs": 1, "batch_size": 2, "mem_mb": 1500, "runtime": 7,
         "space": {"model": {"kind": "cnn"}, "layers": 1,
                   "per_layer": {"channels": {"low": 2, "high": 4}}}},
    ],
}
TARGET = "results/train/lcnn/r0/model.pt"
SEARCH_TARGET = "results/search/s/best/best_model.yaml"
# rule -> (jobs, --mem in MB, -t in minutes) as the rules and TINY ask for them
EXPECTED = {"generate_gauge": (2, 2000, 60), "dataset_gauge": (2, 4000, 30),
            "train": (1, 1500, 7), "search_worker": (2, 1500, 7)}


def _tails(directory, pattern="log/*", lines=15):
    """The last lines of the files matching pattern below directory (failure messages)."""
    out = []
    for f in sorted(Path(directory).glob(pattern)):
        if f.is_file() and f.stat().st_size:
            out.append(f"--- {f.name}\n" + "\n".join(f.read_text(errors="replace")
                                                   .splitlines()[-lines:]))
    return "\n".join(out)


@pytest.fixture(scope="module")
def cluster():
    """A running single-node SLURM; yields the variables of its env file."""
    # munged and mariadbd drop privileges: the directory must be reachable for them
    directory = Path(tempfile.mkdtemp(prefix="latticeml-slurm-"))
    start = subprocess.run(["bash", str(SCRIPTS / "start_cluster.sh"), str(directory)],
                           capture_output=True, text=True, timeout=600,
                           env={**os.environ, "FAKE_GPUS": "1"})
    try:
        assert start.returncode == 0, f"cluster did not start:\n{start.stderr[-4000:]}"
        info = {}
        for line in (directory / "env").read_text().splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            info[key] = value
        info["dir"] = str(directory)
        yield info
    finally:
        stop = subprocess.run(["bash", str(SCRIPTS / "stop_cluster.sh"), str(directory)],
                              capture_output=True, text=True, timeout=300)
        print(stop.stderr)
        shutil.rmtree(directory, ignore_errors=True)


def _profile_for(cluster, tmp_path):
    """The shipped profile with the test cluster's partition and account and short polling."""
    profile = yaml.safe_load(PROFILE.read_text())
    assert profile["executor"] == "slurm"
    profile["default-resources"].update(slurm_partition=cluster["LML_PARTITION"],
                                        slurm_account=cluster["LML_ACCOUNT"])
    profile.update({
        "slurm-init-seconds-before-status-checks": 2,  # plugin default: 40 s
        "seconds-between-status-checks": 3,
        "latency-wait": 5,  # the "shared file system" is the local disk
        "retries": 0,  # a failing job fails the test at once
        "slurm-keep-successful-logs": True,
    })
    directory = tmp_path / "profile"
    directory.mkdir()
    (directory / "config.yaml").write_text(yaml.safe_dump(profile))
    return directory


def _snakemake(cluster, workdir, *args, timeout=1200):
    env = dict(os.environ)
    # the jobs' nested srun finds the test cluster's slurm.conf through LML_BIN/srun
    env["PATH"] = os.pathsep.join((cluster["LML_BIN"], str(Path(sys.executable).parent),
                                   env.get("PATH", "")))
    env["SLURM_CONF"] = cluster["SLURM_CONF"]
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"),
           "--directory", str(workdir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=workdir,
                          timeout=timeout)


def _sacct(cluster, job_ids):
    env = {**os.environ, "SLURM_CONF": cluster["SLURM_CONF"]}
    fields = "JobID,State,Account,Partition,AllocCPUS,ReqMem,Timelimit,AllocTRES,Comment"
    rows = {}
    for _ in range(30):  # job records reach slurmdbd a moment after the job ends
        out = subprocess.run(["sacct", "-X", "-n", "-P", "-j", ",".join(job_ids),
                              "-o", fields], capture_output=True, text=True, env=env)
        rows = {r[0]: dict(zip(fields.split(","), r, strict=False))
                for r in (line.split("|") for line in out.stdout.splitlines()) if r[0]}
        if set(rows) == set(job_ids) and all(r["State"] == "COMPLETED" for r in rows.values()):
            break
        time.sleep(1)
    return rows


def test_tiny_workflow_through_slurm(cluster, tmp_path):
    from latticeml.data import GaugeDataset, read_gauge_ensemble
    from latticeml.nn import load_model

    workdir = tmp_path / "run"
    workdir.mkdir()
    cfg = yaml.safe_load(yaml.safe_dump(TINY))
    gpus = int(cluster["LML_GPUS"])
    if gpus:  # a GPU request as on a real cluster (the fake GPU is not used: device cpu)
        cfg["training"]["gpu"] = 1
    conf = workdir / "config.yaml"
    conf.write_text(yaml.safe_dump(cfg))
    profile = _profile_for(cluster, tmp_path)

    t0 = time.monotonic()
    args = (TARGET, SEARCH_TARGET, "--workflow-profile", str(profile), "--configfile", str(conf))
    run = _snakemake(cluster, workdir, *args)
    elapsed = time.monotonic() - t0
    log = run.stdout + run.stderr
    assert run.returncode == 0, "\n".join((
        log[-5000:], _tails(workdir, ".snakemake/slurm_logs/**/*.log"),
        _tails(workdir, "results/logs/**/*.log"), _tails(cluster["dir"])))
    print(f"workflow through SLURM: {elapsed:.0f} s")

    # every job went through sbatch and SLURM ran it as the profile and the rules asked
    submitted = re.findall(r"Job \d+ has been submitted with SLURM jobid (\d+)", log)
    assert len(submitted) == sum(n for n, _, _ in EXPECTED.values()), log[-4000:]
    rows = _sacct(cluster, submitted)
    assert set(rows) == set(submitted), rows
    per_rule = {}
    for row in rows.values():
        assert row["State"] == "COMPLETED", row
        assert row["Account"] == cluster["LML_ACCOUNT"], row
        assert row["Partition"] == cluster["LML_PARTITION"], row
        assert row["AllocCPUS"] == "1", row  # threads: 1 -> --cpus-per-task=1
        rule = re.fullmatch(r"rule_(.+?)(_wildcards_.*)?", row["Comment"]).group(1)
        per_rule.setdefault(rule, []).append(row)
    assert set(per_rule) == set(EXPECTED), per_rule
    for rule, (n, mem, minutes) in EXPECTED.items():
        assert len(per_rule[rule]) == n, per_rule[rule]
        for row in per_rule[rule]:
            assert row["ReqMem"] == f"{mem}M", row
            assert row["Timelimit"] == f"{minutes // 60:02d}:{minutes % 60:02d}:00", row
            assert ("gres/gpu=1" in row["AllocTRES"]) == (rule == "train" and gpus > 0), row
    slurm_logs = list((workdir / ".snakemake" / "slurm_logs").rglob("*.log"))
    assert {p.stem for p in slurm_logs} >= set(submitted)

    # the outputs are complete and load
    res = workdir / "results"
    arrays, attrs = read_gauge_ensemble(res / "ensembles/gauge/tiny/beta2.0000_train.h5")
    assert arrays["links"].shape == (4, 4, 4, 2, 2, 2) and attrs["group"] == "su2"
    assert len(GaugeDataset(res / "datasets/gauge/tiny/val.h5", targets=("W_1x1",))) == 3
    model = load_model(workdir / TARGET)
    assert model.info["experiment"] == "lcnn" and model.info["replica"] == 0
    assert (res / "train/lcnn/r0/metrics.csv").stat().st_size > 0

    # the two workers finished exactly n_trials between them, none twice
    import json

    import pandas as pd

    ran = [json.loads((res / f"search/s/workers/w{k}.json").read_text())["trials_run"]
           for k in (0, 1)]
    trials = pd.read_csv(res / "search/s/best/trials.csv")
    finished = trials[trials["state"].isin(["COMPLETE", "PRUNED"])]
    assert len(finished) == 3 and sorted(ran[0] + ran[1]) == sorted(finished["number"])

    # a second run submits nothing
    again = _snakemake(cluster, workdir, *args, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Nothing to be done" in again.stdout + again.stderr
    assert "has been submitted" not in again.stdout + again.stderr
