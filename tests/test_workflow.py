"""The Snakemake workflow: config checks, DAG of the shipped configs, a tiny full run, the
report, a killed run that resumes."""

import copy
import json
import math
import os
import re
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.pausing import PauseHook

ROOT = Path(__file__).resolve().parents[1]

TINY = {
    "results": "results",
    "seed": 7,
    "threads": 2,
    "gauge": {
        "ensembles": [
            {"name": "tiny", "group": "su2", "shape": [4, 4], "betas": [1.0, 2.0],
             "splits": {"train": 4, "val": 3, "test": 3}, "n_therm": 5, "n_skip": 1},
            {"name": "tiny6", "group": "su2", "shape": [6, 6], "betas": [1.0, 2.0],
             "splits": {"test": 2}, "n_therm": 5, "n_skip": 1},
            {"name": "tiny3", "group": "su3", "shape": [4, 2, 2, 2], "betas": [5.0],
             "splits": {"train": 2}, "n_therm": 2, "n_skip": 1},
        ]
    },
    "datasets": {"gauge": {"loops": [[1, 1], [1, 2]], "polyakov_separations": [1]}},
    "scalar": {"n_therm": 10, "n_skip": 1, "ensembles": [
        {"name": "sc", "shape": [8, 2], "mu": [1.0], "open_worms": [0, 1],
         "splits": {"train": 12, "val": 6}},
        {"name": "sc_test", "shape": [8, 2], "mu": [0.95, 1.0], "splits": {"test": 4}},
        {"name": "sc_big", "shape": [12, 4], "mu": [1.0], "open_worms": [1],
         "splits": {"test": 6}},
        {"name": "sc_far", "shape": [8, 2], "mu": [1.3], "splits": {"test": 3}},
    ]},
    "training": {"replicas": 2, "epochs": 2, "batch_size": 3},
    "cnn_grids": {"g": {"channels": [[2], [3]]}},
    "evaluation": {"gauge_configs": 2, "adversarial_steps": 2},
    "loops": {"explain": ["lcnn"], "configs": 1, "top": 3},
    "flow": {"ensembles": ["tiny3"], "t_max": 0.2, "eps": 0.05, "every": 2},
    "searches": [
        {"name": "cnn_s", "ensemble": "tiny", "target": "W_1x2", "n_trials": 3, "workers": 2,
         "epochs": 1, "batch_size": 3,
         "space": {"model": {"kind": "cnn", "kernel_sizes": 3}, "layers": 1,
                   "per_layer": {"channels": {"low": 2, "high": 4}}}},
    ],
    "experiments": [
        {"name": "lcnn", "ensemble": "tiny", "target": "W_1x1", "model": "W1x1",
         "test": ["tiny", "tiny6"], "training": {"dtype": "float64"}},
        {"name": "cnn", "ensemble": "tiny", "target": "W_1x2",
         "model": {"kind": "cnn", "kernel_sizes": 3}, "grid": "g", "test": ["tiny6"],
         "training": {"replicas": 1}},
        {"name": "cnn_searched", "ensemble": "tiny", "target": "W_1x2", "search": "cnn_s",
         "model": {"kind": "cnn", "kernel_sizes": 3}, "test": ["tiny6"],
         "training": {"replicas": 1}},
        # a target declared in the catalogue only (latticeml.catalog.targets), end to end
        {"name": "ploop", "ensemble": "tiny", "target": "polyakov_corr_r1",
         "model": {"kind": "lcnn", "channels": [2], "kernel_sizes": 2, "polyakov": True},
         "test": ["tiny", "tiny6"], "training": {"replicas": 1, "dtype": "float64"}},
        {"name": "n_eq", "ensemble": "sc", "target": "n", "test": ["sc_test", "sc_far"],
         "model": {"kind": "eq", "channels": [2], "kernel_sizes": 1}},
        {"name": "n_fl", "ensemble": "sc", "target": "n", "test": ["sc_test", "sc_big"],
         "model": {"kind": "fl", "channels": [2], "kernel_sizes": 1, "hidden": [4]},
         "training": {"replicas": 1, "processes": 2}},  # data parallel under torchrun
        {"name": "flux_max", "ensemble": "sc", "target": "flux_violated", "test": ["sc_big"],
         "model": {"kind": "flux", "channels": [2], "kernel_sizes": 2,
                   "activation": "square"}},
    ],
}


def _snakemake(workdir, *args):
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"),
           "--directory", str(workdir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=workdir)


def _write_config(tmp_path, cfg):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_default_config_dag():
    out = _snakemake(ROOT, "--dry-run", "--forceall", "--quiet", "rules")
    assert out.returncode == 0, out.stderr
    for rule in ("generate_gauge", "generate_scalar", "dataset_gauge", "dataset_scalar",
                 "train", "train_grid", "select_grid", "evaluate", "summarize", "plots"):
        assert rule in out.stdout


def test_paper_config_dag():
    out = _snakemake(ROOT, "--configfile", str(ROOT / "config/paper.yaml"), "--dry-run",
                     "--forceall", "--quiet", "rules")
    assert out.returncode == 0, out.stderr
    assert "generate_gauge       100" in out.stdout


@pytest.mark.parametrize("configfile", sorted(p.name for p in (ROOT / "config").glob("*.yaml")))
def test_every_shipped_config_dry_runs(configfile):
    out = _snakemake(ROOT, "--configfile", str(ROOT / "config" / configfile), "--dry-run",
                     "--forceall", "--quiet", "rules")
    assert out.returncode == 0, out.stderr[-2000:]


def _tiny_with(change):
    cfg = copy.deepcopy(TINY)
    change(cfg)
    return cfg


def _exp(cfg, name):
    return next(e for e in cfg["experiments"] if e["name"] == name)


# (id, change of the tiny config, key the message must name): every case is rejected while
# Snakemake parses the workflow, before any job starts
INVALID = [
    ("unknown key", lambda c: c.update(trainig={"epochs": 3}), "trainig"),
    ("unknown nested key", lambda c: c["gauge"]["ensembles"][0].update(beta=[1.0]),
     "gauge.ensembles[0].beta"),
    ("wrong type", lambda c: c["training"].update(epochs="ten"), "training.epochs"),
    ("out of range", lambda c: c["training"].update(lr=-0.1), "training.lr"),
    ("odd extent", lambda c: c["gauge"]["ensembles"][0].update(shape=[5, 4]),
     "gauge.ensembles[0].shape[0]"),
    ("not finite", lambda c: c["evaluation"].update(failure_ratio=math.nan),
     "evaluation.failure_ratio"),
    ("missing required", lambda c: c["experiments"][0].pop("target"), "experiments[0].target"),
    ("unknown preset", lambda c: _exp(c, "lcnn").update(model="W9x9-huge"),
     "experiments (lcnn).model"),
    ("unknown target", lambda c: _exp(c, "lcnn").update(target="W_3x3"),
     "experiments (lcnn).target"),
    ("missing dataset", lambda c: _exp(c, "lcnn").update(ensemble="tiny8"),
     "experiments (lcnn).ensemble"),
    ("unknown search", lambda c: _exp(c, "cnn_searched").update(search="cnn_x"),
     "experiments (cnn_searched).search"),
    ("search space file missing", lambda c: c["searches"][0].update(space="no/space.yaml"),
     "searches (cnn_s).space"),
    ("duplicate names", lambda c: c["experiments"].append(dict(_exp(c, "lcnn"))), "experiments"),
    ("plane beyond the lattice", lambda c: _exp(c, "lcnn").update(plane=1),
     "experiments (lcnn).plane"),
    ("init_from unknown", lambda c: _exp(c, "lcnn").update(init_from="nope"),
     "experiments (lcnn).init_from"),
    ("init_from itself", lambda c: _exp(c, "lcnn").update(init_from="lcnn"),
     "experiments (lcnn).init_from"),
    ("init_from another model", lambda c: _exp(c, "n_fl").update(init_from="n_eq"),
     "experiments (n_fl).init_from"),
    ("init_from a cycle", lambda c: (_exp(c, "lcnn").update(init_from="lcnn2"),
                                     c["experiments"].append({**_exp(c, "lcnn"), "name": "lcnn2",
                                                              "init_from": "lcnn"})),
     "experiments (lcnn).init_from"),
]


@pytest.mark.parametrize(("change", "key"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_config_rejected_before_any_job(tmp_path, change, key):
    conf = _write_config(tmp_path, _tiny_with(change))
    out = _snakemake(tmp_path, "--configfile", str(conf), "--dry-run")
    text = out.stdout + out.stderr
    assert out.returncode != 0, text[-2000:]
    assert f"config key {key}:" in text, text[-2000:]
    assert not (tmp_path / "results").exists()


def _checked(cfg):
    """Run the workflow's config checks in-process (schema, defaults, consistency)."""
    from snakemake.utils import validate

    from latticeml.workflow_config import check_config, check_finite, check_schema

    schema = ROOT / "workflow/schemas/config.schema.yaml"
    check_finite(cfg)
    check_schema(cfg, yaml.safe_load(schema.read_text()))
    validate(cfg, str(schema))
    check_config(cfg)


# more cases, checked in-process (the snakemake test above shows that these checks run first)
INVALID_FAST = [
    ("unknown enum", lambda c: c["training"].update(loss="l1"), "training.loss"),
    ("missing test ensemble", lambda c: _exp(c, "n_eq").update(test=["sc_test", "sc_x"]),
     "experiments (n_eq).test"),
    ("test ensemble without test split", lambda c: _exp(c, "n_eq").update(test=["sc"]),
     "experiments (n_eq).test"),
    ("training ensemble without train split", lambda c: _exp(c, "lcnn").update(ensemble="tiny6"),
     "experiments (lcnn).ensemble"),
    ("gauge test of a scalar model", lambda c: _exp(c, "n_eq").update(test=["tiny"]),
     "experiments (n_eq).test"),
    ("unknown grid", lambda c: _exp(c, "cnn").update(grid="h"), "experiments (cnn).grid"),
    ("grid on a preset", lambda c: _exp(c, "cnn").update(model="W1x1"), "experiments (cnn).model"),
    ("search on another target", lambda c: _exp(c, "cnn_searched").update(target="W_1x1"),
     "experiments (cnn_searched).search"),
    ("search plane beyond the lattice", lambda c: c["searches"][0].update(plane=1),
     "searches (cnn_s).plane"),
    ("search on a missing ensemble", lambda c: c["searches"][0].update(ensemble="x"),
     "searches (cnn_s).ensemble"),
    ("duplicate ensemble", lambda c: c["gauge"]["ensembles"][1].update(name="tiny"),
     "gauge.ensembles"),
    ("gauge and scalar name", lambda c: c["scalar"]["ensembles"][1].update(name="tiny6"),
     "scalar.ensembles"),
    ("duplicate beta", lambda c: c["gauge"]["ensembles"][0].update(betas=[1.0, 1.00001]),
     "gauge.ensembles[0] (tiny).betas"),
    ("loop beyond the lattice", lambda c: c["datasets"]["gauge"].update(loops=[[1, 1], [3, 3]]),
     "datasets.gauge.loops"),
    ("separation beyond the lattice",
     lambda c: c["datasets"]["gauge"].update(polyakov_separations=[1, 2]),
     "datasets.gauge.polyakov_separations"),  # tiny3 is 4x2x2x2: r <= 1
    ("target stored for analysis only", lambda c: _exp(c, "lcnn").update(target="polyakov_loop"),
     "experiments (lcnn).target"),
    ("search on a stored-only target",
     lambda c: c["searches"][0].update(target="polyakov_loop"), "searches (cnn_s).target"),
    ("detector without open worms", lambda c: c["scalar"]["ensembles"][0].update(open_worms=[0]),
     "experiments (flux_max).target"),
    ("too many open worms", lambda c: c["scalar"]["ensembles"][0].update(open_worms=[0, 5]),
     "scalar.ensembles[0] (sc).open_worms"),
    ("reversed mu range", lambda c: c["evaluation"].update(mu_range=[1.0, 0.9]),
     "evaluation.mu_range"),
    ("loops of a missing experiment", lambda c: c["loops"].update(explain=["x"]),
     "loops.explain"),
    ("loops of a scalar model", lambda c: c["loops"].update(explain=["n_eq"]), "loops.explain"),
    ("flow of a 2D ensemble", lambda c: c["flow"].update(ensembles=["tiny"]), "flow.ensembles"),
    ("flow of a missing ensemble", lambda c: c["flow"].update(ensembles=["x"]),
     "flow.ensembles"),
    ("flow step beyond the flow time", lambda c: c["flow"].update(eps=0.5), "flow.eps"),
    ("improved action with the heat bath",
     lambda c: c["gauge"]["ensembles"][0].update(hmc_action="symanzik"),
     "gauge.ensembles[0] (tiny).algorithm"),
    ("improved action with overrelaxation",
     lambda c: c["gauge"]["ensembles"][0].update(hmc_action="iwasaki", algorithm="hmc"),
     "gauge.ensembles[0] (tiny).overrelax"),
    ("model action without its file",
     lambda c: c["gauge"]["ensembles"][0].update(hmc_action="model", algorithm="hmc",
                                                 overrelax=0),
     "gauge.ensembles[0] (tiny).hmc_action_model"),
    ("model file without the model action",
     lambda c: c["gauge"]["ensembles"][0].update(hmc_action_model="m.pt"),
     "gauge.ensembles[0] (tiny).hmc_action_model"),
    ("unknown action", lambda c: c["gauge"]["ensembles"][0].update(hmc_action="luscher"),
     "gauge.ensembles[0].hmc_action"),
]


@pytest.mark.parametrize(
    ("change", "key"), [c[1:] for c in INVALID_FAST], ids=[c[0] for c in INVALID_FAST]
)
def test_invalid_config_names_the_key(change, key):
    from latticeml.workflow_config import ConfigError

    with pytest.raises(ConfigError, match=rf"^config key {re.escape(key)}:"):
        _checked(_tiny_with(change))


def test_tiny_config_passes_the_checks():
    _checked(copy.deepcopy(TINY))


def test_workflow_policy_needs_neither_torch_nor_numba():
    code = (
        "import sys; from latticeml.workflow_config import check_config; "
        "from latticeml.workflow_policy import preset_names; preset_names(); "
        "print(sorted(m for m in ('torch', 'numba', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


def test_workflow_policy_matches_the_package():
    from latticeml.gauge.chain import MIN_SITES_PER_THREAD, auto_threads
    from latticeml.nn.presets import PRESETS
    from latticeml.workflow_policy import MIN_SITES_PER_THREAD as WORKFLOW_MIN
    from latticeml.workflow_policy import gauge_job_threads, preset_names

    assert WORKFLOW_MIN == MIN_SITES_PER_THREAD
    assert preset_names() == tuple(PRESETS)
    for shape in ([8, 8], [64, 64], [8, 8, 8, 8], [16, 16, 16, 16]):
        sites = math.prod(shape)
        assert gauge_job_threads(shape, 64) == min(64, max(1, sites // 2 // 1024))
        assert gauge_job_threads(shape, 1) == 1
        assert gauge_job_threads(shape, 10**6) == max(1, sites // 2 // MIN_SITES_PER_THREAD)
        assert auto_threads(sites) == min(gauge_job_threads(shape, 10**6), auto_threads(10**9))


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """The tiny config run once to the end (~8 min on 2 cores): (working directory, config)."""
    workdir = tmp_path_factory.mktemp("tiny")
    conf = _write_config(workdir, TINY)
    out = _snakemake(workdir, "--configfile", str(conf), "--cores", "2")
    assert out.returncode == 0, out.stderr[-3000:]
    return workdir, conf


@pytest.mark.slow
def test_tiny_workflow_runs(tiny_run):
    from latticeml.data import read_gauge_ensemble, read_scalar_ensemble

    tmp_path, conf = tiny_run
    res = tmp_path / "results" / "ensembles"
    arrays, attrs = read_gauge_ensemble(res / "gauge/tiny/beta2.0000_train.h5")
    assert arrays["links"].shape == (4, 4, 4, 2, 2, 2)
    test_arrays, test_attrs = read_gauge_ensemble(res / "gauge/tiny/beta2.0000_test.h5")
    assert test_attrs["seed"] != attrs["seed"]  # separate Markov chains
    arrays, _ = read_gauge_ensemble(res / "gauge/tiny3/beta5.0000_train.h5")
    assert arrays["links"].shape == (2, 4, 2, 2, 2, 4, 3, 3)
    for worms in (0, 1):
        arrays, attrs = read_scalar_ensemble(res / f"scalar/sc/mu1.0000_open{worms}_train.h5")
        assert arrays["k"].shape == (12, 8, 2, 2)
    from latticeml.data import GaugeDataset, ScalarDataset

    data = tmp_path / "results" / "datasets"
    train = GaugeDataset(data / "gauge/tiny/train.h5", targets=("W_1x1", "W_1x2"))
    assert len(train) == 8
    assert len(GaugeDataset(data / "gauge/tiny3/train.h5", targets=("W_1x1",))) == 2
    flux = ScalarDataset(data / "scalar/sc/train.h5", targets=("flux_violated",))
    assert len(flux) == 24 and 0 < int(flux.info.n_samples) == 24
    # stages 3-5: models, grid selection, evaluation, summary, figures
    import pandas as pd

    from latticeml.nn import load_model

    res = tmp_path / "results"
    for exp, reps in (("lcnn", 2), ("cnn", 1)):
        for r in range(reps):
            model = load_model(res / f"train/{exp}/r{r}/model.pt")
            assert model.info["experiment"] == exp and model.info["replica"] == r
    assert load_model(res / "train/lcnn/r0/model.pt").info["params"]["dtype"] == "float64"
    assert load_model(res / "train/n_fl/r0/model.pt").info["processes"] == 2
    assert "processes" not in load_model(res / "train/n_eq/r0/model.pt").info
    seeds = {load_model(res / f"train/lcnn/r{r}/model.pt").info["params"]["seed"]
             for r in range(2)}
    assert len(seeds) == 2  # replicas get their own seeds
    grid = pd.read_csv(res / "train/cnn/grid.csv")
    assert len(grid) == 2 and grid["selected"].sum() == 1
    assert not list((res / "train/cnn/grid").glob("g*/model.pt"))  # temp(): only select reads
    flow = pd.read_csv(res / "flow/summary.csv")  # the gradient flow of the 4D ensemble
    assert flow["source"].tolist() == ["tiny3/beta5.0000_train"] and flow["n_configs"][0] == 2
    assert (res / "flow/figures/freezing.png").is_file()
    assert (res / "flow/figures/t2e.pdf").is_file()
    summary = pd.read_csv(res / "evaluation/tiny/summary.csv")
    assert set(summary["experiment"]) >= {"lcnn", "cnn", "ploop"}
    ploop = summary[summary["experiment"] == "ploop"]
    assert set(ploop["test_set"]) == {"tiny", "tiny6"} and set(ploop["target"]) == {
        "polyakov_corr_r1"}
    assert set(summary[summary["experiment"] == "lcnn"]["test_set"]) == {"tiny", "tiny6"}
    for stem in ("error_vs_size", "predicted_vs_true", "training_curves", "gauge_robustness"):
        assert (res / f"plots/tiny/{stem}.pdf").stat().st_size > 0
    # the scalar study: regression (FL not applicable on 12x4), detector, its figures
    scalar = pd.read_csv(res / "evaluation/sc/evaluation.csv")
    fl_big = scalar[(scalar["experiment"] == "n_fl") & (scalar["shape"] == "12x4")]
    assert len(fl_big) and fl_big["status"].str.startswith("not applicable").all()
    assert set(scalar[scalar["experiment"] == "flux_max"]["metric"]) >= {"accuracy", "fpr",
                                                                          "planted_detected"}
    assert "n_eq" in (res / "evaluation/sc/summary.md").read_text()
    for stem in ("observable_vs_mu", "error_vs_size", "predicted_vs_true", "extrapolation",
                 "training_curves", "classifier_accuracy", "feature_maps"):
        assert (res / f"plots/sc/{stem}.png").stat().st_size > 0
    # the search: two workers finished exactly n_trials between them; its best is trained
    search = res / "search/cnn_s"
    ran = [yaml.safe_load((search / f"workers/w{k}.json").read_text())["trials_run"]
           for k in (0, 1)]
    trials = pd.read_csv(search / "best/trials.csv")
    finished = trials[trials["state"].isin(["COMPLETE", "PRUNED"])]
    assert len(finished) == 3 and sorted(ran[0] + ran[1]) == sorted(finished["number"])
    best = yaml.safe_load((search / "best/best_model.yaml").read_text())
    searched = load_model(res / "train/cnn_searched/r0/model.pt")
    assert searched.spec["channels"] == best["channels"]
    for stem in ("history", "importances", "loss_vs_parameters"):
        assert (search / f"best/{stem}.pdf").stat().st_size > 0
    # the loop analysis of the better lcnn replica: the expansion reproduces the network
    import json

    summary = json.loads((res / "loops/lcnn/lcnn_summary.json").read_text())
    assert summary["verification_residual"] < 1e-6 and summary["target"] == "W_1x1"
    assert (res / "loops/lcnn/lcnn_loops.png").stat().st_size > 0
    # rerunning does nothing
    again = _snakemake(tmp_path, "--configfile", str(conf), "--cores", "2", "--dry-run")
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr
    # --forcerun train retrains and reruns what follows, nothing before
    forced = _snakemake(tmp_path, "--configfile", str(conf), "--cores", "2", "--dry-run",
                        "--forcerun", "train", "--quiet", "rules")
    text = forced.stdout
    assert forced.returncode == 0 and "train " in text and "evaluate" in text
    assert "plots" in text and "generate_gauge" not in text and "dataset_gauge" not in text


# every figure of the tiny run: (category in the report, PNG under results/)
TINY_FIGURES = [
    *[("Study tiny", f"plots/tiny/{stem}.png") for stem in
      ("error_vs_size", "predicted_vs_true", "training_curves", "gauge_robustness")],
    *[("Study sc", f"plots/sc/{stem}.png") for stem in
      ("observable_vs_mu", "error_vs_size", "predicted_vs_true", "extrapolation",
       "training_curves", "classifier_accuracy", "feature_maps")],
    *[("Search cnn_s", f"search/cnn_s/best/{stem}.png") for stem in
      ("history", "importances", "loss_vs_parameters")],
    ("Study tiny", "loops/lcnn/lcnn_loops.png"),
    ("Gradient flow", "flow/figures/t2e.png"),
    ("Gradient flow", "flow/figures/freezing.png"),
]
# written by `latticeml loops explain` beside its figure when it can (not rule outputs, so not
# in the report)
UNDECLARED = ("loops/lcnn/lcnn_reduction.png", "loops/lcnn/lcnn_loop_counts.png")


def _report_categories(html):
    """The report's {category: {subcategory: [paths]}} (its `categories` script)."""
    m = re.search(r'<script id="categories">\s*var categories = (\{.*?\});\s*</script>', html,
                  re.S)
    assert m, "no categories in the report"
    return json.loads(m.group(1))


@pytest.mark.slow
def test_report_has_every_figure(tiny_run):
    workdir, conf = tiny_run
    produced = {p.relative_to(workdir / "results").as_posix()
                for p in (workdir / "results").rglob("*.png")}
    assert produced - set(UNDECLARED) == {f for _, f in TINY_FIGURES}  # the list is complete
    out = _snakemake(workdir, "--configfile", str(conf), "--report", "report.zip")
    assert out.returncode == 0, out.stderr[-3000:]
    with zipfile.ZipFile(workdir / "report.zip") as z:
        names = z.namelist()
        html = z.read(next(n for n in names if n.endswith("report.html"))).decode()
        embedded = [z.read(n) for n in names if n.endswith(".png")]
    categories = _report_categories(html)
    for category, figure in TINY_FIGURES:
        listed = [p for sub in categories[category].values() for p in sub]
        assert f"results/{figure}" in listed, (figure, categories)
        assert (workdir / "results" / figure).read_bytes() in embedded, figure
    assert len(embedded) == len(TINY_FIGURES)
    assert "results/evaluation/sc/summary.csv" in categories["Study sc"]["Summary"]
    assert set(categories["Study tiny"]) == {"Generalisation", "Training", "Gauge robustness",
                                            "Loop analysis", "Summary"}
    assert set(categories["Study sc"]) == {"Generalisation", "Training",
                                          "Flux-violation detector", "Summary"}
    # captions rendered from the config: what, which config, which data
    assert "Base seed 7" in html and "lattice 4x4" in html and "lattice 8x2" in html
    assert "evaluation.csv" in html and "Optuna study" in html
    # the self-contained HTML report builds as well and lists the same results
    out = _snakemake(workdir, "--configfile", str(conf), "--report", "report.html")
    assert out.returncode == 0, out.stderr[-3000:]
    assert _report_categories((workdir / "report.html").read_text()) == categories


# a small run for the kill test (target rule train_all: generate -> datasets -> train)
KILL = {
    "results": "results",
    "seed": 11,
    "threads": 1,
    "gauge": {"checkpoint_every": 0, "ensembles": [
        {"name": "k", "group": "su2", "shape": [8, 8], "betas": [2.0],
         "splits": {"train": 40, "val": 20, "test": 20}, "n_therm": 200, "n_skip": 5},
    ]},
    "scalar": {"ensembles": []},
    "datasets": {"gauge": {"loops": [[1, 1]]}},
    "training": {"replicas": 2, "epochs": 30, "batch_size": 4, "patience": 0},
    "evaluation": {"gauge_configs": 1, "adversarial_steps": 1},
    "experiments": [
        {"name": "lcnn", "ensemble": "k", "target": "W_1x1", "model": "W1x1", "test": ["k"]},
    ],
}


def _start(workdir, conf, *args, hook=None):
    env = dict(os.environ) if hook is None else hook.env()
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
           str(workdir), "--configfile", str(conf), "--cores", "2", *args, "train_all"]
    log = open(workdir / "snakemake.out", "a")  # noqa: SIM115 (closed by the caller)
    # own process group: the kill reaches snakemake and its jobs, as a cluster or Ctrl-C would
    proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    return proc, log


def _kill_at_pause(proc, log, hook):
    """Wait until a job has stopped itself at ``hook``'s point, then kill the run.

    SIGTERM to snakemake's process group (as Ctrl-C or a cluster would), SIGKILL to the stopped
    jobs (a stopped process acts on SIGTERM only once continued). The kill lands at the chosen
    point of the job's progress whatever the machine's speed.
    """
    try:
        paused = hook.wait_paused(proc)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        for pid in hook.paused():
            os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=120)
        log.close()
    return proc.returncode, paused


def _check_no_corrupt_output(res):
    from latticeml.data import GaugeDataset, read_gauge_ensemble
    from latticeml.nn import load_model

    for f in (res / "ensembles").rglob("*.h5"):
        arrays, _ = read_gauge_ensemble(f)
        assert len(arrays["plaquette"]) > 0
    for f in (res / "datasets").rglob("*.h5"):
        assert len(GaugeDataset(f, targets=("W_1x1",))) > 0
    for f in (res / "train").rglob("model.pt"):
        load_model(f)


@pytest.mark.slow
def test_killed_run_completes_with_rerun_incomplete(tmp_path):
    conf = _write_config(tmp_path, KILL)
    res = tmp_path / "results"
    # 1. killed while generating the ensembles (a job stops itself after 50 of its sweeps)
    hook = PauseHook(tmp_path / "hook1", gauge_sweeps=50)
    proc, log = _start(tmp_path, conf, hook=hook)
    code, _ = _kill_at_pause(proc, log, hook)
    assert code != 0
    assert not list((res / "datasets").rglob("*.h5"))  # killed before any dataset
    _check_no_corrupt_output(res)
    checkpoints = list((res / "checkpoints").rglob("*.h5"))
    assert checkpoints  # the killed generation kept its state (checkpoint_every: 0)
    # 2. rerun, killed while training (a job stops itself after the checkpoint of epoch 2/30)
    hook = PauseHook(tmp_path / "hook2", train_epoch=2)
    proc, log = _start(tmp_path, conf, "--rerun-incomplete", hook=hook)
    code, paused = _kill_at_pause(proc, log, hook)
    assert code != 0 and paused
    assert len(list((res / "train").rglob("model.pt"))) < 2
    _check_no_corrupt_output(res)
    resumable = [p.parent.name for p in (res / "train").rglob("checkpoint.pt")
                 if not (p.parent / "model.pt").exists()]
    assert resumable
    # 3. the rerun completes; nothing is left half-written; a further rerun does nothing
    out = _snakemake(tmp_path, "--configfile", str(conf), "--cores", "2", "--rerun-incomplete",
                     "train_all")
    assert out.returncode == 0, out.stderr[-3000:]
    _check_no_corrupt_output(res)
    assert len(list((res / "train").rglob("model.pt"))) == 2
    assert not [p for p in res.rglob("*") if p.name.endswith(".tmp")]
    for replica in resumable:  # the killed training went on from its last epoch
        assert "from the checkpoint" in (res / f"logs/train/lcnn/{replica}.log").read_text()
    # the killed generations went on from their checkpoints, to the bytes of a run that never
    # stopped, and removed them
    assert not list((res / "checkpoints").rglob("*.h5"))
    resumed = [p for p in (res / "logs/generate_gauge").rglob("*.log")
               if "resumed from the checkpoint" in p.read_text()]
    assert len(resumed) >= 1
    from latticeml.data import read_gauge_ensemble
    from latticeml.gauge import GaugeParams, generate_ensemble

    for log_file in resumed:
        ens = res / "ensembles/gauge" / log_file.relative_to(res / "logs/generate_gauge")
        arrays, attrs = read_gauge_ensemble(ens.with_suffix(".h5"))
        keys = ("group", "beta", "seed", "algorithm", "n_therm", "n_skip", "n_overrelax",
                "start")
        whole = generate_ensemble(GaugeParams(**{k: attrs[k] for k in keys},
                                              shape=tuple(attrs["shape"]),
                                              n_configs=len(arrays["links"])))
        np.testing.assert_array_equal(arrays["links"], whole.links)
    again = _snakemake(tmp_path, "--configfile", str(conf), "--cores", "2", "--dry-run",
                       "train_all")
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr


def test_missing_key_with_a_default_is_accepted():
    """A config may leave out a block whose schema gives a default (e.g. no scalar block)."""
    from latticeml.workflow_config import ConfigError, check_schema

    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    cfg = yaml.safe_load(yaml.safe_dump(TINY))
    del cfg["scalar"]
    cfg["experiments"] = [e for e in cfg["experiments"] if e["ensemble"] in ("tiny", "tiny3")]
    check_schema(cfg, schema)  # no error
    cfg["searches"] = [{"name": "s", "ensemble": "tiny", "target": "W_1x1"}]  # no space
    with pytest.raises(ConfigError, match="space"):
        check_schema(cfg, schema)


def test_init_from_reaches_the_training_job(tmp_path):
    """``init_from: <experiment>`` makes replica r start from replica r of that experiment."""
    cfg = copy.deepcopy(TINY)
    cfg["experiments"].append({**_exp(cfg, "lcnn"), "name": "lcnn_tuned", "init_from": "lcnn",
                               "training": {"dtype": "float64", "replicas": 3}})
    conf = _write_config(tmp_path, cfg)
    out = _snakemake(tmp_path, "--configfile", str(conf), "--dry-run", "--printshellcmds",
                     "results/train/lcnn_tuned/r2/model.pt")
    assert out.returncode == 0, out.stderr[-2000:]
    cmd = next(line for line in out.stdout.splitlines() if "--name lcnn_tuned" in line)
    assert "--init-from results/train/lcnn/r0/model.pt" in cmd  # replica 2 of 2 -> r0


def test_fixed_point_targets_reach_the_dataset_job(tmp_path):
    """``datasets.gauge.fixed_point`` becomes the dataset job's flags; off by default."""
    cfg = copy.deepcopy(TINY)
    target = "results/datasets/gauge/tiny/train.h5"
    conf = _write_config(tmp_path, cfg)
    off = _snakemake(tmp_path, "--configfile", str(conf), "--dry-run", "--printshellcmds",
                     "--forceall", target)
    assert off.returncode == 0 and "--fixed-point" not in off.stdout
    cfg["datasets"]["gauge"]["fixed_point"] = {"enabled": True, "kappa": 3.0}
    conf = _write_config(tmp_path, cfg)
    on = _snakemake(tmp_path, "--configfile", str(conf), "--dry-run", "--printshellcmds",
                    "--forceall", target)
    assert on.returncode == 0, on.stderr[-2000:]
    assert "--fixed-point --fp-c 0.05 --fp-kappa 3.0 --fp-tol 1e-06" in on.stdout


def test_flux_controls_reach_the_dataset_job(tmp_path):
    """An ensemble's ``flux_controls`` per split becomes ``--flux-controls N`` of that split's
    dataset job, with a seed per split; splits without it get 0."""
    cfg = copy.deepcopy(TINY)
    ens = cfg["scalar"]["ensembles"][0]
    ens["splits"] = {"train": 4, "val": 3}
    ens["flux_controls"] = {"train": 3}
    name = ens["name"]
    conf = _write_config(tmp_path, cfg)
    res = "results"
    out = _snakemake(tmp_path, "--configfile", str(conf), "--dry-run", "--printshellcmds",
                     f"{res}/datasets/scalar/{name}/train.h5",
                     f"{res}/datasets/scalar/{name}/val.h5")
    assert out.returncode == 0, out.stderr[-2000:]
    cmds = [line for line in out.stdout.splitlines()
            if "dataset build" in line and "/scalar/" in line]
    train = next(c for c in cmds if f"{name}/train.h5" in c.split("--out ")[1])
    val = next(c for c in cmds if f"{name}/val.h5" in c.split("--out ")[1])
    assert "--flux-controls 3 --controls-seed 0 --controls-max-k 8" in train
    assert "--flux-controls 0 --controls-seed 1" in val
    ens["flux_controls_max_k"] = 1000
    conf = _write_config(tmp_path, cfg)
    out = _snakemake(tmp_path, "--configfile", str(conf), "--dry-run", "--printshellcmds",
                     f"{res}/datasets/scalar/{name}/train.h5")
    assert "--controls-max-k 1000 " in out.stdout, out.stdout[-2000:]
    cfg["scalar"]["ensembles"][0]["flux_controls"] = {"train": -1}
    conf = _write_config(tmp_path, cfg)
    bad = _snakemake(tmp_path, "--configfile", str(conf), "--dry-run")
    assert bad.returncode != 0 and "flux_controls" in bad.stdout + bad.stderr


def test_generate_commands_are_the_config_spelled_by_the_dataclasses(tmp_path):
    """The workflow's generate commands parse back to the parameters the config declares."""
    import shlex

    from latticeml.cli import build_parser
    from latticeml.cli._fields import given_options
    from latticeml.gauge.params import GaugeParams
    from latticeml.scalar.params import ScalarParams

    cfg = copy.deepcopy(TINY)
    ens = cfg["gauge"]["ensembles"][0]
    ens.update(algorithm="metropolis", overrelax=0, metropolis_hits=3, metropolis_step=0.25)
    conf = _write_config(tmp_path, cfg)
    out = _snakemake(tmp_path, "--configfile", str(conf), "--dry-run", "--printshellcmds",
                     "--rerun-triggers", "mtime", "--forceall", "--until", "generate_gauge",
                     "generate_scalar")
    assert out.returncode == 0, out.stderr[-2000:]
    commands = {}
    for line in out.stdout.splitlines():
        words = shlex.split(line.split(">")[0]) if " generate " in line else []
        if words:
            start = words.index("latticeml") + 1
            commands.setdefault(words[start], words[start:])
    assert set(commands) == {"gauge", "scalar"}
    gauge = given_options(build_parser().parse_args(commands["gauge"]), GaugeParams)
    assert (gauge["group"], gauge["shape"], gauge["algorithm"], gauge["n_overrelax"],
            gauge["metropolis_hits"], gauge["metropolis_step"], gauge["n_therm"],
            gauge["n_skip"]) == ("su2", (4, 4), "metropolis", 0, 3, 0.25, ens["n_therm"],
                                 ens["n_skip"])
    assert gauge["beta"] in ens["betas"] and gauge["n_configs"] in ens["splits"].values()
    GaugeParams(**gauge)  # a valid parameter set
    scalar = given_options(build_parser().parse_args(commands["scalar"]), ScalarParams)
    assert any(scalar["shape"] == tuple(sc["shape"]) and scalar["n_configs"] in
               sc["splits"].values() for sc in cfg["scalar"]["ensembles"])
    ScalarParams(**scalar)


def test_a_model_action_ensemble_waits_for_its_model_file(tmp_path):
    """hmc_action: model reaches the command, and the model file is the job's input."""
    import shlex

    from latticeml.cli import build_parser
    from latticeml.cli._fields import given_options
    from latticeml.gauge.params import GaugeParams
    from latticeml.nn import save_model_file, wilson_action_lcnn, wilson_action_spec

    save_model_file(tmp_path / "act.pt", spec=wilson_action_spec(2, 2),
                    state_dict=wilson_action_lcnn(2, 2).state_dict(),
                    target="fixed_point_action", plane=0, mean=0.0, std=1.0, task="action")
    cfg = copy.deepcopy(TINY)
    cfg["gauge"]["ensembles"][0].update(algorithm="hmc", overrelax=0, hmc_action="model",
                                        hmc_action_model="act.pt")
    conf = _write_config(tmp_path, cfg)
    args = ("--configfile", str(conf), "--dry-run", "--printshellcmds", "--forceall",
            "--until", "generate_gauge")
    out = _snakemake(tmp_path, *args)
    assert out.returncode == 0, out.stderr[-2000:]
    line = next(x for x in out.stdout.splitlines() if "--hmc-action model" in x)
    words = shlex.split(line.split(">")[0])
    gauge = given_options(build_parser().parse_args(words[words.index("latticeml") + 1:]),
                          GaugeParams)
    assert gauge["hmc_action_model"] == "act.pt" and gauge["n_overrelax"] == 0
    GaugeParams(**gauge)
    (tmp_path / "act.pt").unlink()
    missing = _snakemake(tmp_path, *args)
    assert missing.returncode != 0 and "act.pt" in missing.stdout + missing.stderr


@pytest.mark.slow
def test_the_fixed_point_chain_runs_end_to_end(tmp_path):
    """config/fixed-point-tiny.yaml: fixed-point dataset -> action training -> its checks ->
    HMC with the trained action (the generation waits for the training job)."""
    import pandas as pd

    from latticeml.data import read_gauge_ensemble
    from latticeml.data.provenance import sha256_file

    conf = ROOT / "config" / "fixed-point-tiny.yaml"
    out = _snakemake(tmp_path, "--configfile", str(conf), "--cores", "2")
    assert out.returncode == 0, out.stderr[-3000:]
    res = tmp_path / "results-fixed-point-tiny"
    checks = pd.read_csv(res / "checks" / "fp_action" / "r0.csv").set_index("check")
    assert {"action_rel_rmse", "derivative_rel_rmse", "pure_gauge_rel", "force_rel",
            "fp_residual_rel[0]"} <= set(checks.index)
    assert checks.loc["pure_gauge_rel", "passed"] and checks.loc["force_rel", "passed"]
    model = res / "train" / "fp_action" / "r0" / "model.pt"
    arrays, attrs = read_gauge_ensemble(res / "ensembles" / "gauge" / "learned_hmc" /
                                        "beta3.0000_test.h5")
    assert attrs["action"] == "model" and attrs["hmc_action_model_sha256"] == sha256_file(model)
    assert attrs["acceptance"] > 0.5 and len(arrays["links"]) == 4
    assert (res / "datasets" / "gauge" / "learned_hmc" / "test.h5").is_file()
    assert not (res / "evaluation").exists()  # an action model is checked, not evaluated


def test_an_imported_ensemble_becomes_a_dataset(tmp_path):
    """A config declares external files as an ensemble: import, then the dataset stage."""
    import shutil

    fixture = ROOT / "tests" / "io" / "fixtures" / "conf_08080808.ildg"
    (tmp_path / "external").mkdir()
    shutil.copyfile(fixture, tmp_path / "external" / "conf_0001.ildg")
    cfg = copy.deepcopy(TINY)
    cfg["gauge"]["ensembles"].append(
        {"name": "ext", "group": "su3", "shape": [8, 8, 8, 8], "betas": [5.7],
         "splits": {"test": 1},
         "import": {"format": "ildg", "precision": 64,
                    "files": {"test": "external/*.ildg"}}})
    conf = _write_config(tmp_path, cfg)
    out = _snakemake(tmp_path, "--configfile", str(conf), "--cores", "1",
                     "results/datasets/gauge/ext/test.h5")
    assert out.returncode == 0, out.stderr[-3000:]
    import h5py

    with h5py.File(tmp_path / "results/datasets/gauge/ext/test.h5") as f:
        assert abs(f["targets/W_1x1"][...].mean() - 0.555243594507) < 5e-13
    log = (tmp_path / "results/logs/import_gauge/ext/beta5.7000_test.log").read_text()
    assert "imported" in log
    # a glob that matches another count than the split's is a config error, before any job
    cfg["gauge"]["ensembles"][-1]["splits"] = {"test": 2}
    conf = _write_config(tmp_path, cfg)
    out = _snakemake(tmp_path, "--configfile", str(conf), "--dry-run")
    assert out.returncode != 0 and "matches 1" in out.stdout + out.stderr
