"""The scalar-field study: training, model files, evaluation and summaries of EQ / ST / FL
regressors and flux-violation detectors on real dual phi^4 data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from latticeml.cli import main
from latticeml.errors import ParameterError
from latticeml.evaluate import (
    ScalarEvaluateParams,
    evaluate_scalar,
    scalar_markdown,
    summarize_scalar,
)
from latticeml.evaluate.scalar import (
    classification_metrics,
    planted_detection,
    planted_violations,
    regression_metrics,
)
from latticeml.nn import build_model, load_model
from latticeml.nn.modelfile import Detector
from latticeml.observables.flux import divergence
from latticeml.testing import assert_translation_equivariant
from latticeml.train import TrainParams, train
from latticeml.train.data import load_scalar_split

QUIET = {"progress": False, "log": lambda m: None}


def _train(data, tmp_path, name, target, model, **kw):
    params = dict(train=str(data["train"]), val=str(data["val"]), target=target, model=model,
                  out=str(tmp_path / name), epochs=8, batch_size=16, lr=3e-3, patience=0,
                  threads=1, seed=1)
    params.update(kw)
    return train(TrainParams(**params), **QUIET)


@pytest.fixture(scope="module")
def models(scalar_data, tmp_path_factory):
    """Small trained EQ / ST / FL regressors of n and a max-pooled detector (float64)."""
    tmp = tmp_path_factory.mktemp("scalar_models")
    out = {}
    out["eq"] = _train(scalar_data, tmp, "n_eq", "n",
                       {"kind": "eq", "channels": [4], "kernel_sizes": [1]},
                       dtype="float64", epochs=60, lr=1e-2).model_path
    out["st"] = _train(scalar_data, tmp, "n_st", "n",
                       {"kind": "st", "channels": [4, 4], "kernel_sizes": [3, 1],
                        "strides": [2, 1]}, dtype="float64").model_path
    out["fl"] = _train(scalar_data, tmp, "n_fl", "n",
                       {"kind": "fl", "channels": [2], "kernel_sizes": [1], "hidden": [8]},
                       dtype="float64").model_path
    out["flux"] = _train(scalar_data, tmp, "flux_max", "flux_violated",
                         {"kind": "flux", "channels": [16], "kernel_sizes": [2],
                          "activation": "square"}, lr=0.03, epochs=50, seed=3).model_path
    return out


# ---- data -----------------------------------------------------------------------------------
def test_scalar_split_keeps_closed_configurations_for_regression(scalar_data):
    reg = load_scalar_split(scalar_data["train"], "n")
    cls = load_scalar_split(scalar_data["train"], "flux_violated")
    assert reg.inputs.shape[1:] == (4, 12, 4) and reg.inputs.dtype == torch.float32
    assert np.all(reg.open_worms == 0) and torch.isfinite(reg.target).all()
    assert cls.n > reg.n and set(cls.target.tolist()) == {0.0, 1.0}
    # n is the temporal winding per spatial extent: sum_x k_t / V
    k_t = reg.inputs[:, 0].double()
    assert torch.allclose(k_t.mean(dim=(1, 2)), reg.target.double(), atol=1e-6)


def test_unknown_scalar_target_is_refused(scalar_data):
    with pytest.raises(ParameterError, match="--target.*n, phi2"):
        load_scalar_split(scalar_data["train"], "W_1x1")


def test_gauge_model_on_scalar_data_is_refused_before_training(scalar_data, tmp_path):
    with pytest.raises(ParameterError, match="scalar field"):
        _train(scalar_data, tmp_path, "bad", "n", {"preset": "W1x1"})
    assert not (tmp_path / "bad").exists()


def test_fl_with_another_lattice_is_refused(scalar_data, tmp_path):
    with pytest.raises(ParameterError, match="input_shape"):
        _train(scalar_data, tmp_path, "bad", "n", {"kind": "fl", "input_shape": [8, 8]})


# ---- training and model files ---------------------------------------------------------------
def test_eq_learns_n_to_a_fixed_bound(models, scalar_data):
    model = load_model(models["eq"])
    test = load_scalar_split(scalar_data["test"], "n", dtype="float64")
    with torch.no_grad():
        pred = model(test.inputs)
    assert pred.shape == (test.n,)
    err = (pred - test.target).abs().max().item()
    # n takes values in steps of 1/N_x = 0.25: the EQ network must resolve them
    assert err < 0.02, err


def test_scalar_model_file_spec_is_completed_and_reloads(models):
    eq = load_model(models["eq"])
    assert eq.spec["out_features"] == 1 and eq.target == "n" and eq.task == "regression"
    fl = load_model(models["fl"])
    assert fl.spec["input_shape"] == [12, 4]
    det = load_model(models["flux"])
    assert isinstance(det, Detector) and det.task == "classification"
    x = torch.zeros(3, 4, 20, 6)
    with torch.no_grad():
        p = det(x)
    assert p.shape == (3,) and torch.all((p >= 0) & (p <= 1))


def test_loaded_eq_is_translation_invariant_and_st_only_under_stride_multiples(models,
                                                                                scalar_data):
    x = load_scalar_split(scalar_data["test16"], "n", dtype="float64").inputs[:4]
    gen = torch.Generator().manual_seed(3)
    eq, st = load_model(models["eq"]), load_model(models["st"])
    assert assert_translation_equivariant(eq, x, in_axes=[2, 3], n_trials=4,
                                          generator=gen) < 1e-10
    assert assert_translation_equivariant(st, x, in_axes=[2, 3], step=2, n_trials=4,
                                          generator=gen) < 1e-10
    with torch.no_grad():  # negative control: a one-site shift is no symmetry of ST
        moved = st(torch.roll(x, (1, 1), dims=(2, 3)))
        assert (moved - st(x)).abs().max() > 1e-6


def test_trained_detector_flags_planted_violations(models, scalar_data):
    """A small detector trained for a few seconds flags most single-link defects anywhere
    on its own and on a larger lattice, and passes closed configurations (the committed
    study-scale detector is held to every position: test_committed_detector_...)."""
    det = load_model(models["flux"])
    for key in ("test", "test16"):
        closed = load_scalar_split(scalar_data[key], "flux_violated")
        kl = closed.inputs[closed.target == 0][:3].numpy().astype(np.int64)
        with torch.no_grad():
            probs = det(torch.from_numpy(planted_violations(kl[0])).float())
            assert (probs > 0.5).float().mean() > 0.95
            assert torch.all(det(torch.from_numpy(kl).float()) < 0.5)


def test_stencil_detector_finds_a_planted_violation_at_every_position(scalar_data):
    det = _stencil_detector("flux")
    for key in ("test", "test16"):
        closed = load_scalar_split(scalar_data[key], "flux_violated", dtype="float64")
        kl = closed.inputs[closed.target == 0][0].numpy().astype(np.int64)
        with torch.no_grad():
            probs = det(torch.from_numpy(planted_violations(kl)).double())
            assert torch.all(probs > 0.99)
            assert det(torch.from_numpy(kl[None]).double()).item() < 0.01


def test_planted_violations_cover_every_link_and_cross_the_boundary():
    kl = np.zeros((4, 3, 5), dtype=np.int64)
    planted = planted_violations(kl)
    assert planted.shape == (30, 4, 3, 5)
    div = divergence(np.moveaxis(planted[:, :2], 1, -1))
    assert np.all(np.abs(div).reshape(30, -1).sum(1) == 2)
    # the temporal link of the last time slice ends on slice 0 (periodic boundary)
    last_t = planted[2 * 5]  # nu = 0, t = 2, x = 0
    d = divergence(np.moveaxis(last_t[:2], 0, -1))
    assert d[2, 0] == 1 and d[0, 0] == -1


def _stencil_detector(kind: str):
    """Hand-built local detector: the square of the divergence (kernel 2 sees the L-shaped
    neighbourhood), followed by max pooling (kind flux) or average pooling (kind eq)."""
    spec = {"kind": kind, "channels": [1], "kernel_sizes": [2], "activation": "square"}
    if kind == "eq":
        spec["out_features"] = 1
    net = build_model({**spec, "dtype": "float64"})
    conv = net.convs[0]
    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.zero_()
        conv.weight[0, 0, 1, 1], conv.weight[0, 0, 0, 1] = 1.0, -1.0  # k_t(y) - k_t(y - t)
        conv.weight[0, 1, 1, 1], conv.weight[0, 1, 1, 0] = 1.0, -1.0  # k_x(y) - k_x(y - x)
        head = net.head if kind == "flux" else net.head[0]
        # max: threshold at half a defect; average: at 3/4 of one open worm (two defects) on
        # the 12x4 training lattice, V = 48
        scale, cut = (1.0, 0.5) if kind == "flux" else (48.0, 0.75 * 2 / 48)
        head.weight.fill_(20.0 * scale)
        head.bias.fill_(-20.0 * scale * cut)
    return Detector(net)


def test_average_pooling_dilutes_a_defect_but_max_pooling_does_not(scalar_data):
    """Physics of the size generalisation: the same local feature, two poolings."""
    mx, avg = _stencil_detector("flux"), _stencil_detector("eq")
    for key in ("test", "test16"):
        split = load_scalar_split(scalar_data[key], "flux_violated", dtype="float64")
        y, worms = split.target.numpy(), split.open_worms
        with torch.no_grad():
            acc_max = np.mean((mx(split.inputs).numpy() >= 0.5) == (y > 0.5))
            found = avg(split.inputs).numpy() >= 0.5
        assert acc_max == 1.0
        assert not found[worms == 0].any() and found[worms == 2].all()
        if key == "test":
            assert found[worms == 1].all()
        else:  # one open worm: 2 defects in V = 96 sites fall below the V = 48 threshold
            assert not found[worms == 1].any()
    kl = load_scalar_split(scalar_data["test"], "n").inputs[0].numpy().astype(np.int64)
    assert planted_detection(_Wrap(mx), kl, 64, "cpu") == 1.0
    # negative control of the scan: a detector blind to the spatial links misses them
    blind = _stencil_detector("flux")
    with torch.no_grad():
        blind.net.convs[0].weight[0, 1] = 0.0
    assert planted_detection(_Wrap(blind), kl, 64, "cpu") < 1.0


class _Wrap:
    def __init__(self, module):
        self.module, self.dtype = module, torch.float64


# ---- evaluation -----------------------------------------------------------------------------
def test_evaluation_of_regressors_has_every_metric_and_not_applicable_rows(models,
                                                                          scalar_data):
    params = ScalarEvaluateParams(models=(str(models["eq"]), str(models["fl"])),
                                  test_sets=(str(scalar_data["test"]),
                                             str(scalar_data["test16"])), threads=1)
    table, preds = evaluate_scalar(params, progress=False)
    fl16 = table[(table["family"] == "FL") & (table["shape"] == "16x6")]
    assert len(fl16) > 0 and fl16["value"].isna().all()
    assert fl16["status"].str.startswith("not applicable: FL is built for 12x4").all()
    eq = table[(table["family"] == "EQ") & (table["status"] == "ok")]
    assert set(eq["metric"]) == {"true_mean", "pred_mean", "abs_err_mean", "rel_err_mean",
                                 "mse_config", "nmse_config"}
    assert set(eq["mu"].dropna()) == {0.95, 1.05}
    truth = eq[eq["metric"] == "true_mean"]
    assert (truth["mc_error"] > 0).all()
    rel = eq[eq["metric"] == "rel_err_mean"]
    assert (rel["value"] < 0.01).all()  # the EQ network's <n> is within 1 % of the measured
    # the measured ensemble average is the mean of the test set's closed configurations
    test = load_scalar_split(scalar_data["test"], "n", dtype="float64")
    sel = test.mu == 1.05
    row = truth[(truth["mu"] == 1.05) & (truth["shape"] == "12x4")]
    assert row["value"].iloc[0] == pytest.approx(float(test.target[sel].mean()), rel=1e-12)
    assert set(preds["experiment"]) == {"n_eq", "n_fl"}
    summary = summarize_scalar(table)
    text = scalar_markdown(summary, (0.9, 1.1))
    assert "not applicable" in text and "n_eq" in text


def test_evaluation_of_a_detector_per_lattice_and_number_of_worms(models, scalar_data):
    params = ScalarEvaluateParams(models=(str(models["flux"]),),
                                  test_sets=(str(scalar_data["test"]),
                                             str(scalar_data["test16"])), threads=1)
    table, _ = evaluate_scalar(params, progress=False)
    acc = table[table["metric"] == "accuracy"]
    assert set(acc["open_worms"].dropna()) == {1.0, 2.0}
    assert (acc["value"] >= 0.95).all(), acc[["shape", "open_worms", "value"]]
    counts = table[table["metric"].isin(["tn", "fp", "fn", "tp"]) & table["open_worms"].isna()]
    for shape, g in counts.groupby("shape"):  # every configuration is counted once
        n = len(load_scalar_split(scalar_data["test" if shape == "12x4" else "test16"],
                                  "flux_violated").target)
        assert g["value"].sum() == n
    planted = table[table["metric"] == "planted_detected"]
    assert len(planted) == 2 and (planted["value"] > 0.95).all()
    summary = summarize_scalar(table, min_accuracy=0.95)
    assert (summary["failure_rate"].dropna() == 0).all()
    assert "| 2 |" in scalar_markdown(summary)


def test_markdown_reports_the_deviation_in_units_of_the_mc_error():
    """Below the onset <n> is near 0 and a relative error says nothing (here 300 %); the
    deviation in units of the measured average's MC error (3.0 at mu = 0.9, 0.5 at 1.0) does."""
    base = {"experiment": "n_eq", "family": "EQ", "target": "n", "task": "regression",
            "train_shape": "12x4", "test_set": "t", "shape": "12x4", "status": "ok",
            "failure_rate": 0.0, "n_failed": 0, "n_replicas": 5}
    rows = []
    for mu, true, err, mc in ((0.9, 0.01, 0.03, 0.01), (1.0, 0.5, 0.002, 0.004)):
        rows += [{**base, "mu": mu, "metric": "abs_err_mean", "median": err,
                  "worst": 2 * err, "mc_error": mc},
                 {**base, "mu": mu, "metric": "rel_err_mean", "median": err / true,
                  "worst": 2 * err / true, "mc_error": mc / true}]
    rows.append({**base, "mu": math.nan, "metric": "nmse_config", "median": 0.25,
                 "worst": 0.5, "mc_error": math.nan})
    summary = pd.DataFrame(rows)
    cells = [c.strip() for c in scalar_markdown(summary).splitlines()[2].split("|")[1:-1]]
    assert cells[6:] == ["300 % / 600 %", "100 %", "3", "0.25", "0/5"]
    cells = [c.strip() for c in scalar_markdown(summary, (0.95, 1.05)).splitlines()[2]
             .split("|")[1:-1]]
    assert cells[6:] == ["0.4 % / 0.8 %", "0.8 %", "0.5", "0.25", "0/5"]


def test_metric_helpers_on_hand_made_numbers():
    rows = classification_metrics(np.array([0.9, 0.2, 0.7, 0.1, 0.6]),
                                  np.array([1, 0, 0, 0, 1]), np.array([1, 0, 0, 0, 2]))
    pooled = {r["metric"]: r["value"] for r in rows if math.isnan(r["open_worms"])}
    assert pooled == {"accuracy": 0.8, "fpr": 1 / 3, "fnr": 0.0, "tn": 2, "fp": 1, "fn": 0,
                      "tp": 2}
    m1 = {r["metric"]: r["value"] for r in rows if r["open_worms"] == 1}
    assert m1["tp"] == 1 and m1["tn"] + m1["fp"] == 3
    reg = regression_metrics(np.array([1.0, 1.0, 2.0, 4.0]), np.array([1.0, 1.0, 2.0, 3.0]),
                             np.array([0.5, 0.5, 1.0, 1.0]))
    by = {(r["mu"], r["metric"]): r["value"] for r in reg if not math.isnan(r["mu"])}
    assert math.isnan(by[(0.5, "nmse_config")])  # no variance at mu = 0.5
    assert by[(1.0, "mse_config")] == 0.5 and by[(1.0, "nmse_config")] == 2.0
    assert by[(1.0, "rel_err_mean")] == pytest.approx(0.5 / 2.5)


# ---- command line ---------------------------------------------------------------------------
def test_cli_evaluate_and_summarize_scalar(models, scalar_data, tmp_path, capsys):
    ev, pr = tmp_path / "ev.csv", tmp_path / "pr.csv"
    assert main(["model", "evaluate", "--models", str(models["eq"]), str(models["st"]), "--test",
                 str(scalar_data["test"]), str(scalar_data["test16"]), "--out", str(ev),
                 "--predictions", str(pr), "--threads", "1", "--no-progress"]) == 0
    su, md, best = tmp_path / "su.csv", tmp_path / "su.md", tmp_path / "best.csv"
    assert main(["results", "summarize", "--evaluations", str(ev), "--out", str(su),
                 "--markdown", str(md),
                 "--predictions", str(pr), "--best-predictions", str(best),
                 "--mu-range", "0.9", "1.1"]) == 0
    assert "n_st" in md.read_text() and len(pd.read_csv(best)) > 0
    # gauge-only options are refused for scalar test sets, before any work
    code = main(["model", "evaluate", "--models", str(models["eq"]), "--test",
                 str(scalar_data["test"]),
                 "--train-set", str(scalar_data["train"]), "--out", str(tmp_path / "x.csv")])
    assert code != 0 and not (tmp_path / "x.csv").exists()
    assert "--train-set" in capsys.readouterr().err
    code = main(["model", "evaluate", "--models", str(models["eq"]), "--test",
                 str(scalar_data["test"]),
                 "--gauge-configs", "2", "--alphas", "0.1", "--out", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "--gauge-configs" in err and "--alphas" in err and err.count("\n") == 1
    assert not (tmp_path / "x.csv").exists()


# ---- the committed study-scale models ------------------------------------------------------
COMMITTED = __import__("pathlib").Path(__file__).resolve().parents[2] / "docs/results/scalar-2d"


def test_committed_models_load_and_map_channels_to_per_configuration_values(scalar_data):
    x = load_scalar_split(scalar_data["test16"], "n").inputs[:5]
    for task in ("n", "phi2"):
        for arch in ("eq", "st"):
            model = load_model(COMMITTED / f"models/{task}_{arch}.pt", check_version=False)
            with torch.no_grad():
                y = model(x)
            assert y.shape == (5,) and torch.isfinite(y).all() and model.target == task
    fl = load_model(COMMITTED / "models/n_fl.pt", check_version=False)
    assert fl.spec["input_shape"] == [60, 4]


def test_committed_detector_finds_a_planted_violation_at_every_position(scalar_data):
    """Positive control of the study's size-generalising detector on lattices it never saw."""
    det = load_model(COMMITTED / "models/flux_max.pt", check_version=False)
    assert isinstance(det, Detector)
    for key in ("test", "test16"):
        split = load_scalar_split(scalar_data[key], "flux_violated")
        closed = split.inputs[split.target == 0][:4]
        with torch.no_grad():
            assert torch.all(det(closed) < 0.5)
            probs = det(torch.from_numpy(planted_violations(closed[0].numpy())).float())
            assert torch.all(probs > 0.5), int((probs <= 0.5).sum())
            violated = split.inputs[split.target == 1]
            assert torch.all(det(violated) > 0.5)


def test_damaged_scalar_dataset_is_refused_in_one_line(scalar_data, tmp_path):
    import shutil

    import h5py

    from latticeml.errors import FileFormatError

    bad = tmp_path / "train.h5"
    shutil.copy(scalar_data["train"], bad)
    with h5py.File(bad, "r") as f:
        offset = f["inputs/kl"].id.get_chunk_info(0).byte_offset
    with open(bad, "r+b") as fh:
        fh.seek(offset + 20)
        byte = fh.read(1)
        fh.seek(offset + 20)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(FileFormatError, match="damaged"):
        load_scalar_split(bad, "n")
