"""Evaluation: metrics by hand, ragged batches, robustness, summaries, select, plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from latticeml.cli import main
from latticeml.errors import ParameterError
from latticeml.evaluate import (
    ConditionalMean,
    EvaluateParams,
    adversarial_change,
    alpha_change,
    compute_metrics,
    evaluate,
    haar_change,
    summarize,
)
from latticeml.nn import build_model, load_model
from latticeml.nn.modelfile import atomic_torch_save, model_checksum
from latticeml.testing import random_links
from latticeml.train import TrainParams, load_gauge_split, train
from latticeml.train.select import select_best


def test_metrics_against_hand_computed_values():
    true = np.array([[[1.0, 2.0]], [[3.0, 5.0]], [[0.0, 0.0]], [[2.0, 2.0]]])  # (4, 1, 2)
    pred = np.array([[[1.0, 1.0]], [[3.0, 3.0]], [[1.0, 0.0]], [[2.0, 4.0]]])
    beta = np.array([1.0, 1.0, 2.0, 2.0])
    m = compute_metrics(pred, true, beta)
    # lattice means: true 1.5, 4, 0, 2; pred 1, 3, 0.5, 3 -> squared errors .25, 1, .25, 1
    assert m["mse_mean"] == pytest.approx(2.5 / 4)
    # site errors: 0, 1, 0, 4, 1, 0, 0, 4 -> 10 / 8
    assert m["mse_site"] == pytest.approx(10 / 8)
    # beta = 1 sites 1, 2, 3, 5 (mean 2.75): SS = 3.0625 + .5625 + .0625 + 5.0625 = 8.75;
    # beta = 2 sites 0, 0, 2, 2 (mean 1): SS = 4
    assert m["nmse_site"] == pytest.approx(10 / 12.75)
    # all sites mean 15 / 8; SS_tot = sum t^2 - 8 mean^2 = 47 - 28.125
    assert m["r2_site"] == pytest.approx(1 - 10 / (47 - 225 / 8))


def test_conditional_mean_predictor():
    beta = np.array([1.0, 1.0, 3.0])
    target = np.array([[1.0, 3.0], [2.0, 2.0], [6.0, 6.0]])
    cm = ConditionalMean(beta, target)
    out = cm(np.array([1.0, 2.0, 3.0, 9.0]), (2,))
    np.testing.assert_allclose(out, [[2, 2], [4, 4], [6, 6], [6, 6]])
    m = compute_metrics(cm(beta, (2,)), target, beta)
    assert m["nmse_site"] == pytest.approx(1.0)


@pytest.fixture(scope="module")
def trained(gauge_data, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("trained")
    common = dict(train=str(gauge_data["train"]), val=str(gauge_data["val"]), target="W_1x1",
                  epochs=8, batch_size=8, lr=0.05, threads=1, dtype="float64", patience=0)
    paths = {}
    for name, model, reps in (("lcnn", {"preset": "W1x1"}, 3),
                              ("cnn", {"kind": "cnn", "channels": [4], "kernel_sizes": 3}, 2)):
        for r in range(reps):
            res = train(TrainParams(**common, model=model, seed=r, name=name, replica=r,
                                    out=str(tmp / f"{name}{r}")), progress=False)
            paths[(name, r)] = res.model_path
    return paths


def test_evaluate_ragged_batches_matches_direct_prediction(gauge_data, trained):
    path = trained[("lcnn", 0)]
    params = EvaluateParams(models=(str(path),), test_sets=(str(gauge_data["test"]),
                                                            str(gauge_data["test6"])),
                            train_set=str(gauge_data["train"]), batch_size=4, gauge_configs=0)
    table, preds = evaluate(params, progress=False)
    model = load_model(path)
    for key, n_site in (("test", 16), ("test6", 36)):
        split = load_gauge_split(gauge_data[key], "W_1x1", dtype="float64")
        assert split.n % 4 != 0  # a ragged last batch
        with torch.no_grad():
            pred = model(split.links).numpy()
        expected = compute_metrics(pred, split.target.numpy(), split.beta)
        label = gauge_data[key].stem if key == "test6" else "test"
        rows = table[(table["family"] == "L-CNN") & table["beta"].isna()
                     & (table["volume"] == n_site)]
        got = dict(zip(rows["metric"], rows["value"], strict=True))
        for k, v in expected.items():
            assert got[k] == pytest.approx(v, rel=1e-12), (label, k)
        p = preds[preds["L"] == int(np.sqrt(n_site))]
        np.testing.assert_allclose(p["pred_mean"], pred.reshape(split.n, -1).mean(1))
    cond = table[(table["family"] == "conditional mean") & (table["metric"] == "nmse_site")
                 & table["beta"].isna()]
    assert len(cond) == 2 and (cond["value"] > 0.5).all()
    per_beta = table[(table["family"] == "L-CNN") & table["beta"].notna()]
    assert set(per_beta["beta"]) == {1.0, 4.0}


def test_random_and_adversarial_gauge_transformations_move_cnns_only():
    gen = torch.Generator().manual_seed(0)
    links = random_links(2, (4, 4), 2, generator=gen)
    torch.manual_seed(1)
    lcnn = build_model({"preset": "W2x2-small", "dtype": "float64"}).requires_grad_(False)
    cnn = build_model({"kind": "cnn", "channels": [8], "kernel_sizes": 3,
                       "dtype": "float64"}).requires_grad_(False)
    assert haar_change(lcnn, links, gen) < 1e-13
    assert max(alpha_change(lcnn, links, (0.01, 1.0), gen)) < 1e-13
    assert adversarial_change(lcnn, links, gen, steps=10) < 1e-13
    assert haar_change(cnn, links, gen) > 1e-3
    small, large = alpha_change(cnn, links, (0.001, 1.0), gen)
    assert 0 < small < large
    adv = adversarial_change(cnn, links, gen, steps=30, lr=0.1)
    rand = haar_change(cnn, links, gen)
    assert adv > rand  # the attack finds a worse transformation than a random one


def test_summary_best_on_validation_and_failures(gauge_data, trained):
    models = tuple(str(trained[k]) for k in sorted(trained))
    params = EvaluateParams(models=models, test_sets=(str(gauge_data["test"]),),
                            train_set=str(gauge_data["train"]), batch_size=5, gauge_configs=2,
                            adversarial_steps=3, alphas=(0.1,))
    table, _ = evaluate(params, progress=False)
    s = summarize(table, failure_ratio=0.5)
    row = s[(s["experiment"] == "lcnn") & (s["metric"] == "mse_site") & s["beta"].isna()].iloc[0]
    vals = table[(table["experiment"] == "lcnn") & (table["metric"] == "mse_site")
                 & table["beta"].isna()]
    best = vals.sort_values("val_loss").iloc[0]
    assert row["best"] == best["value"] and row["best_replica"] == best["replica"]
    assert row["median"] == pytest.approx(np.median(vals["value"]))
    assert row["n_replicas"] == 3 and row["worst"] == vals["value"].max()
    # failure: per-site MSE >= ratio x conditional mean's; ratio 1e-12 makes every replica fail
    s_all = summarize(table, failure_ratio=1e-12)
    assert (s_all[s_all["family"] == "L-CNN"]["failure_rate"] == 1).all()
    assert (s[s["family"] == "L-CNN"]["failure_rate"] == 0).all()  # learned W1x1
    two = table.copy()
    extra = two[two["family"] == "conditional mean"].assign(
        experiment="other-baseline", value=lambda d: d["value"] * 2)
    with pytest.raises(ParameterError, match="one conditional-mean baseline"):
        summarize(pd.concat([two, extra]))
    gauge = table[table["metric"].str.startswith("gauge")]
    assert set(gauge["metric"]) == {"gauge_haar", "gauge_alpha", "gauge_adversarial"}
    lc, cn = (gauge[gauge["family"] == f]["value"] for f in ("L-CNN", "CNN"))
    assert lc.max() < 1e-12 < cn.min()


def test_select_best_and_cli_pipeline(gauge_data, trained, tmp_path, capsys):
    tiny = train(TrainParams(train=str(gauge_data["train"]), val=str(gauge_data["val"]),
                             target="W_1x1", model={"kind": "cnn", "channels": [1],
                                                    "kernel_sizes": 1, "plaquettes": False},
                             epochs=1, lr=1e-4, out=str(tmp_path / "tiny"), threads=1),
                 progress=False)
    paths = [str(tiny.model_path), str(trained[("cnn", 0)])]
    spec, table = select_best(paths)
    winner = table[table["selected"]]["model"].item()
    assert winner == str(trained[("cnn", 0)])  # the 1x1 kernel without plaquettes is worse
    assert spec["channels"] == [4] and "dtype" not in spec
    out = tmp_path / "best.yaml"
    assert main(["model", "select", "--models", *paths, "--out", str(out)]) == 0
    res = train(TrainParams(train=str(gauge_data["train"]), val=str(gauge_data["val"]),
                            target="W_1x1", model=__import__("latticeml").train.parse_model_spec(
                                str(out)), epochs=1, out=str(tmp_path / "again"), threads=1),
                progress=False)
    assert res.model_path.exists()
    ev, pr, sm = (tmp_path / f for f in ("e.csv", "p.csv", "s.csv"))
    models = [str(v) for v in trained.values()]
    argv = ["model", "evaluate", "--models", *models, "--test", str(gauge_data["test"]),
            "--train-set", str(gauge_data["train"]), "--out", str(ev), "--predictions", str(pr),
            "--gauge-configs", "2", "--adversarial-steps", "2", "--batch-size", "3",
            "--no-progress"]
    assert main(argv) == 0
    assert main(["results", "summarize", "--evaluations", str(ev), "--out", str(sm),
                 "--predictions",
                 str(pr), "--best-predictions", str(tmp_path / "best.csv")]) == 0
    best = pd.read_csv(tmp_path / "best.csv")
    assert best.groupby("experiment")["replica"].nunique().max() == 1
    capsys.readouterr()
    assert main(argv) == 2  # outputs exist, no --force
    assert "exists" in capsys.readouterr().err
    assert main(["results", "plot", "--evaluation", str(ev), "--predictions",
                 str(tmp_path / "best.csv"),
                 "--out-dir", str(tmp_path / "fig")]) == 0
    assert (tmp_path / "fig/error_vs_size.pdf").stat().st_size > 0
    assert (tmp_path / "fig/gauge_robustness.png").stat().st_size > 0


def test_evaluate_bad_input(gauge_data, trained, tmp_path, capsys):
    model = str(trained[("lcnn", 0)])
    base = ["model", "evaluate", "--models", model, "--out", str(tmp_path / "e.csv"),
            "--no-progress"]
    assert main([*base, "--test", str(tmp_path / "missing.h5")]) == 2
    assert main([*base, "--test", model]) == 2  # a model file is not a dataset
    bad = tmp_path / "corrupt.pt"
    bad.write_bytes(b"not a model")
    assert main(["model", "evaluate", "--models", str(bad), "--test", str(gauge_data["test"]),
                 "--out", str(tmp_path / "e.csv")]) == 2
    assert main([*base, "--test", str(gauge_data["test"]), "--out", model]) == 2  # input
    foreign = tmp_path / "foreign.pt"
    content = torch.load(model, weights_only=True)
    content["package_version"] = "9.9.9"
    content["checksum"] = model_checksum(content)
    atomic_torch_save(content, foreign)
    assert main(["model", "evaluate", "--models", str(foreign), "--test", str(gauge_data["test"]),
                 "--out", str(tmp_path / "e.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 5 and all(line.startswith("latticeml: error:") for line in err)
    assert "written by latticeml 9.9.9" in err[-1]
    assert not (tmp_path / "e.csv").exists()


def test_float32_model_is_scored_against_float64_truth(gauge_data, tmp_path):
    res = train(TrainParams(train=str(gauge_data["train"]), val=str(gauge_data["val"]),
                            target="W_1x2", model={"preset": "W1x2-small"}, epochs=1,
                            out=str(tmp_path / "f32"), threads=1, dtype="float32"),
                progress=False)
    table, _ = evaluate(EvaluateParams(models=(str(res.model_path),),
                                       test_sets=(str(gauge_data["test"]),), batch_size=5,
                                       gauge_configs=0), progress=False)
    split = load_gauge_split(gauge_data["test"], "W_1x2", dtype="float64")
    with torch.no_grad():
        pred = load_model(res.model_path)(split.links.to(torch.complex64)).double().numpy()
    expected = compute_metrics(pred, split.target.numpy(), split.beta)
    rows = table[table["beta"].isna()]
    got = dict(zip(rows["metric"], rows["value"], strict=True))
    for k, v in expected.items():
        assert got[k] == pytest.approx(v, rel=1e-12), k


def test_train_set_must_be_the_models_training_set(gauge_data, trained):
    params = EvaluateParams(models=(str(trained[("lcnn", 0)]),),
                            test_sets=(str(gauge_data["test"]),),
                            train_set=str(gauge_data["val"]), gauge_configs=0)
    with pytest.raises(ParameterError, match="--train-set"):
        evaluate(params, progress=False)


def test_markdown_tells_same_label_experiments_apart():
    from latticeml.evaluate.report import markdown_table

    def row(experiment, family, arch, target, median):
        return {"experiment": experiment, "family": family, "arch": arch, "target": target,
                "test_set": "t8", "shape": "8x8", "L": 8, "beta": np.nan, "metric": "mse_mean",
                "alpha": np.nan, "n_replicas": 5, "median": median, "best": median,
                "best_replica": 0, "worst": median, "min": median, "max": median,
                "n_failed": 0.0, "failure_rate": 0.0}

    summary = pd.DataFrame([row("W1x2_cnn", "CNN", "cnn", "W_1x2", 2e-3),
                            row("W1x2_cnn_searched", "CNN", "cnn", "W_1x2", 7e-4),
                            row("W2x2_cnn", "CNN", "cnn", "W_2x2", 4e-3),
                            row("W1x2_W1x2-small", "L-CNN", "W1x2-small", "W_1x2", 2e-16)])
    lines = markdown_table(summary).splitlines()
    labels = {ln.split(" | ")[1] for ln in lines if ln.startswith("| W_")}
    # only the two CNNs of W_1x2 share a label; W_2x2's CNN and the L-CNN keep the short one
    assert labels == {"CNN cnn (W1x2_cnn)", "CNN cnn (W1x2_cnn_searched)", "CNN cnn",
                      "L-CNN W1x2-small"}


def _replica_rows(values, *, experiment="e", test_set="t"):
    return pd.DataFrame({"experiment": experiment, "replica": range(len(values)),
                         "test_set": test_set, "value": values})


def test_outlier_rule_flags_a_replica_far_above_the_median_and_nothing_else():
    from latticeml.evaluate.summary import check_outlier_factor, outliers

    rows = pd.concat([_replica_rows([1e-8, 2e-8, 3e-8, 4e-8, 5e-6]),        # 167x the median
                      _replica_rows([1e-8, 2e-8, 3e-8, 4e-8, 2e-6], test_set="u"),  # 67x
                      _replica_rows([0.0, 0.0, 0.0, 1e-9], experiment="exact")])  # median 0
    flags = outliers(rows, "value", 100.0)
    assert flags.tolist() == [False] * 4 + [True] + [False] * 9
    assert outliers(rows, "value", 50.0)[9]  # 67x is an outlier at a factor of 50
    for bad in (1.0, 0.5, float("inf"), float("nan"), True, "100"):
        with pytest.raises(ParameterError, match="outlier-factor"):
            check_outlier_factor(bad)


def test_outlier_rule_reaches_the_summary(gauge_data, trained):
    models = tuple(str(trained[k]) for k in sorted(trained))
    params = EvaluateParams(models=models, test_sets=(str(gauge_data["test"]),),
                            train_set=str(gauge_data["train"]), batch_size=5, gauge_configs=1,
                            adversarial_steps=1, alphas=(0.1,))
    table, _ = evaluate(params, progress=False)
    pooled = (table["experiment"] == "lcnn") & (table["metric"] == "mse_site") & table[
        "beta"].isna()
    worst = table[pooled]["value"].idxmax()
    median = table[pooled]["value"].median()
    ref = table[(table["family"] == "conditional mean") & (table["metric"] == "mse_site")
                & table["beta"].isna()]["value"].iloc[0]
    spoiled = table.copy()
    spoiled.loc[worst, "value"] = 0.4 * ref  # not the trivial solution (< 0.5 ref) ...
    factor = 0.4 * ref / median
    assert factor > 5, factor  # ... but far above the median replica
    row = lambda s: s[(s["experiment"] == "lcnn") & (s["metric"] == "mse_site")  # noqa: E731
                      & s["beta"].isna()].iloc[0]
    assert row(summarize(table, outlier_factor=factor / 2))["n_failed"] == 0
    assert row(summarize(spoiled, outlier_factor=factor / 2))["n_failed"] == 1
    assert row(summarize(spoiled, outlier_factor=factor * 2))["n_failed"] == 0
