"""Figures of the scalar-field study: builders, ``make_scalar_all`` and ``latticeml plot``."""

import argparse
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from latticeml.cli import plot as plot_cli
from latticeml.errors import FileFormatError, OutputExistsError, ParameterError
from latticeml.plots.detector import classifier_accuracy, feature_maps
from latticeml.plots.make import SCALAR_FIGURE_STEMS, make_scalar_all
from latticeml.plots.scalar import (
    GOAL_ACCURACY,
    error_vs_size_scalar,
    extrapolation_panel,
    observable_vs_mu,
    scalar_predicted_vs_true,
)

MUS = (0.9, 0.95, 1.0)
EXTRAP_MUS = (1.1, 1.3)
TEST_SETS = (  # label, shape, mu values
    ("s12x4_test", "12x4", MUS),
    ("s24x6_test", "24x6", MUS),
    ("s12x4_extrap", "12x4", EXTRAP_MUS),
)
REGRESSORS = (  # experiment, family, arch, target, replicas
    ("eq_n", "EQ", "eq", "n", (0, 1, 2)),
    ("st_n", "ST", "st", "n", (0, 1)),
    ("fl_n", "FL", "fl", "n", (0,)),
    ("eq_phi2", "EQ", "eq", "phi2", (0, 1)),
)
REG_METRICS = ("true_mean", "pred_mean", "abs_err_mean", "rel_err_mean", "mse_config",
               "nmse_config")
CLS_METRICS = ("accuracy", "fpr", "fnr", "tn", "fp", "fn", "tp")
N_TEST = 200  # configurations per (M, test set) group of the detectors


def _base(experiment, family, arch, replica, target, task, label, shape):
    n_t, n_x = map(int, shape.split("x"))
    return dict(experiment=experiment, family=family, arch=arch, replica=replica,
                model=f"{experiment}/r{replica}/model.pt", n_params=100, target=target,
                task=task, val_loss=0.1 * (replica + 1), train_shape="12x4", test_set=label,
                shape=shape, volume=n_t * n_x)


def _regression_rows(rng):
    rows = []
    for experiment, family, arch, target, replicas in REGRESSORS:
        for replica in replicas:
            for label, shape, mus in TEST_SETS:
                base = _base(experiment, family, arch, replica, target, "regression", label,
                             shape)
                if family == "FL" and shape != "12x4":
                    rows += [dict(base, mu=np.nan, open_worms=np.nan, metric=m, value=np.nan,
                                  mc_error=np.nan, status="not applicable: FL is built for 12x4")
                             for m in REG_METRICS]
                    continue
                for mu in mus:
                    true = 0.1 + 2.0 * (mu - 0.85) + (target == "phi2")
                    err = 0.01 * true
                    pred = true * (1 + 0.02 * rng.standard_normal())
                    values = dict(true_mean=(true, err), pred_mean=(pred, np.nan),
                                  abs_err_mean=(abs(pred - true), err),
                                  rel_err_mean=(abs(pred - true) / true, err / true),
                                  mse_config=(1e-3 * (1 + rng.random()), np.nan),
                                  nmse_config=(0.05 * (1 + rng.random()), np.nan))
                    rows += [dict(base, mu=mu, open_worms=0.0, metric=m, value=v, mc_error=e,
                                  status="ok") for m, (v, e) in values.items()]
                for metric in ("mse_config", "nmse_config"):
                    rows.append(dict(base, mu=np.nan, open_worms=0.0, metric=metric,
                                     value=0.05 * (1 + rng.random()), mc_error=np.nan,
                                     status="ok"))
    return rows


def _classification_rows():
    rows = []
    for replica in (0, 1):
        for label, shape, _ in TEST_SETS[:2]:
            base = _base("det", "EQ-max", "flux", replica, "flux_violated", "classification",
                         label, shape)
            for m in (1.0, 2.0, np.nan):
                fn = 0 if (m == 2.0 or replica == 0) else 3  # some groups without errors
                tp, tn, fp = N_TEST // 2 - fn, N_TEST // 2, 0
                acc = (tp + tn) / N_TEST
                values = dict(accuracy=acc, fpr=0.0, fnr=fn / (N_TEST // 2), tn=tn, fp=fp,
                              fn=fn, tp=tp)
                rows += [dict(base, mu=np.nan, open_worms=m, metric=k, value=float(v),
                              mc_error=np.nan, status="ok") for k, v in values.items()]
    return rows


def _evaluation(seed=0, classification=True):
    rng = np.random.default_rng(seed)
    rows = _regression_rows(rng) + (_classification_rows() if classification else [])
    return pd.DataFrame(rows)


def _predictions(seed=1):
    rng = np.random.default_rng(seed)
    rows = []
    for experiment, family, arch, target, _ in REGRESSORS:
        for label, shape, mus in TEST_SETS:
            if family == "FL" and shape != "12x4":
                continue
            n_t, n_x = map(int, shape.split("x"))
            for sample in range(30):
                mu = mus[sample % len(mus)]
                true = np.round(rng.poisson(2.0 * mu)) / n_x
                rows.append(dict(experiment=experiment, family=family, arch=arch, replica=0,
                                 target=target, task="regression", test_set=label, shape=shape,
                                 volume=n_t * n_x, sample=sample, mu=mu, open_worms=0,
                                 true=true, pred=true + 0.02 * rng.standard_normal()))
    return pd.DataFrame(rows)


def _config(n_t=8, n_x=4):
    """A (4, N_t, N_x) configuration with one open worm: defects at (2, 1) and (3, 1)."""
    x = np.zeros((4, n_t, n_x), dtype=np.float32)
    x[0, 2, 1] = 1.0  # k_t on the link (2, 1) -> (3, 1)
    x[2] = 1.0
    return x


def _detector(channels=(4, 4)):
    import torch

    from latticeml.nn import build_model
    from latticeml.nn.modelfile import Detector

    torch.manual_seed(0)
    return Detector(build_model({"kind": "flux", "channels": list(channels)}))


def _gids(ax):
    return {a.get_gid() for a in ax.get_children() if a.get_gid()}


def _texts(ax):
    return " ".join(t.get_text() for t in ax.texts)


# ----------------------------------------------------------------------------- builders


def test_observable_vs_mu_grid_and_not_applicable_note():
    fig = observable_vs_mu(_evaluation())
    assert isinstance(fig, Figure)
    axes = np.array(fig.axes).reshape(2, 3)  # targets n, phi2 x test sets by volume
    assert [ax.get_title() for ax in axes[0]] == [
        "s12x4_extrap (12×4)", "s12x4_test (12×4)", "s24x6_test (24×6)"]
    assert "n" in axes[0, 0].get_ylabel() and "phi" in axes[1, 0].get_ylabel()
    assert {"eq_n", "st_n", "fl_n"} <= _gids(axes[0, 1])
    assert "fl_n" not in _gids(axes[0, 2])  # FL does not apply to 24x6 ...
    assert "not applicable" in _texts(axes[0, 2])  # ... and the panel says so
    assert "FL is built for 12x4" in _texts(axes[0, 2])
    assert "not applicable" not in _texts(axes[0, 1])
    assert _gids(axes[1, 1]) == {"eq_phi2"}
    assert len([c for c in axes[0, 1].collections if isinstance(c, PolyCollection)]) == 1
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["measured ± MC error", "EQ", "ST", "FL"]


def test_observable_vs_mu_median_and_min_max_over_replicas():
    evaluation = _evaluation()
    fig = observable_vs_mu(evaluation, test_sets=["s12x4_test"])
    assert len(fig.axes) == 2
    rows = evaluation[(evaluation.experiment == "eq_n") & (evaluation.metric == "pred_mean")
                      & (evaluation.test_set == "s12x4_test")]
    expected = rows.groupby("mu")["value"].median().to_numpy()
    line = [ln for ln in fig.axes[0].lines if ln.get_gid() == "eq_n"][0]
    np.testing.assert_allclose(line.get_ydata(), expected)
    with pytest.raises(ParameterError, match="test_sets"):
        observable_vs_mu(evaluation, test_sets=["nope"])


def test_only_not_applicable_rows_raise_not_crash():
    evaluation = _evaluation(classification=False)
    fl = evaluation[(evaluation.experiment == "fl_n") & (evaluation["shape"] == "24x6")]
    with pytest.raises(ParameterError, match="true_mean"):
        observable_vs_mu(fl)
    fig = observable_vs_mu(evaluation, test_sets=["s24x6_test"])  # FL absent, noted
    assert "not applicable" in _texts(fig.axes[0])


def test_error_vs_size_scalar():
    evaluation = _evaluation()
    fig = error_vs_size_scalar(evaluation, test_sets=["s12x4_test", "s24x6_test"])
    assert len(fig.axes) == 4  # (relative error, nMSE) x (n, phi2)
    assert all(ax.get_yscale() == "log" for ax in fig.axes)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "FL (not applicable on 24×6)" in legend
    assert "MC relative error of measured ⟨y⟩" in legend
    line = [ln for ln in fig.axes[0].lines if ln.get_gid() == "eq_n"][0]
    np.testing.assert_allclose(line.get_xdata(), [48, 144])
    # the largest relative error over mu in mu_range, median over replicas
    rel = evaluation[(evaluation.experiment == "eq_n") & (evaluation.metric == "rel_err_mean")
                     & (evaluation.test_set == "s12x4_test") & (evaluation.mu <= 0.95)]
    expected = rel.groupby("replica")["value"].max().median()
    fig = error_vs_size_scalar(evaluation, (0.9, 0.95), test_sets=["s12x4_test"])
    line = [ln for ln in fig.axes[0].lines if ln.get_gid() == "eq_n"][0]
    np.testing.assert_allclose(line.get_ydata(), [expected])
    for bad in ((1.0, 0.9), (0.9,), "ab"):
        with pytest.raises(ParameterError, match="mu_range"):
            error_vs_size_scalar(evaluation, bad)


def test_scalar_predicted_vs_true():
    fig = scalar_predicted_vs_true(_predictions())
    # 2 targets x 3 family labels (EQ shares one column for n and phi2), plus a colour bar
    assert len(fig.axes) == 2 * 3 + 1
    assert [ax.get_title() for ax in fig.axes[:3]] == ["EQ", "ST", "FL"]
    assert len(fig.axes[0].collections) == 3  # one scatter per test set
    assert len(fig.axes[2].collections) == 2  # FL: no predictions on 24x6
    assert len(fig.axes[4].collections) == 0 and "no data" in _texts(fig.axes[4])  # no ST phi2
    pred = _predictions()
    pred["task"] = "classification"
    with pytest.raises(ParameterError, match="regression"):
        scalar_predicted_vs_true(pred)


def test_extrapolation_panel_shades_the_training_range():
    evaluation = _evaluation()
    fig = extrapolation_panel(evaluation, ["s12x4_extrap"])
    assert len(fig.axes) == 2
    spans = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert len(spans) == 1
    x0, x1 = spans[0].get_x(), spans[0].get_x() + spans[0].get_width()
    assert (x0, x1) == pytest.approx((0.9, 1.0))  # inferred from the 12x4 test set
    lo, hi = fig.axes[0].get_xlim()
    assert lo < 0.9 and hi > 1.3
    fig = extrapolation_panel(evaluation, ["s12x4_extrap"], train_mu=(0.8, 1.05))
    span = [p for p in fig.axes[0].patches if p.get_hatch()][0]
    assert span.get_x() == pytest.approx(0.8)
    only = evaluation[evaluation.test_set == "s12x4_extrap"]
    fig = extrapolation_panel(only, ["s12x4_extrap"])  # no training range known: said so
    assert "unknown" in fig.get_suptitle()
    with pytest.raises(ParameterError, match="test_sets"):
        extrapolation_panel(evaluation, [])
    with pytest.raises(ParameterError, match="test_sets"):
        extrapolation_panel(evaluation, None)
    with pytest.raises(ParameterError, match="train_mu"):
        extrapolation_panel(evaluation, ["s12x4_extrap"], train_mu=(1.0, 0.9))


def test_classifier_accuracy_error_rates_and_zero_floor():
    fig = classifier_accuracy(_evaluation())
    assert len(fig.axes) == 2
    ax_v, ax_m = fig.axes
    assert ax_v.get_yscale() == "log" and ax_m.get_yscale() == "log"
    goal = [ln for ln in ax_v.lines if np.allclose(ln.get_ydata(), 1 - GOAL_ACCURACY)]
    assert goal
    labels = [t.get_text() for t in ax_v.get_legend().get_texts()]
    assert labels[:2] == ["M = 1", "M = 2"] and any("0 errors" in t for t in labels)
    # M = 2 never has an error: drawn at 1 / N_test with an arrow, not at 0
    m2 = [c for c in ax_v.containers if c.get_label() == "M = 2"][0]
    np.testing.assert_allclose(m2.lines[0].get_ydata(), 1 / N_TEST)
    assert len(ax_v.texts) >= 2  # the arrows (annotations)
    # M = 1: median over replicas of (0, 3/200) errors
    m1 = [c for c in ax_v.containers if c.get_label() == "M = 1"][0]
    np.testing.assert_allclose(m1.lines[0].get_ydata(), 1.5 / N_TEST)
    assert [t.get_text() for t in ax_m.get_legend().get_texts()][:2] == [
        "s12x4_test (12×4)", "s24x6_test (24×6)"]
    with pytest.raises(ParameterError, match="classification"):
        classifier_accuracy(_evaluation(classification=False))


def test_classifier_accuracy_not_applicable_noted():
    evaluation = _evaluation()
    extra = evaluation[evaluation.task == "classification"].iloc[:7].copy()
    extra = extra.assign(test_set="s60x4", shape="60x4", volume=240, value=np.nan,
                         status="not applicable: EQ-max is built for 12x4")
    fig = classifier_accuracy(pd.concat([evaluation, extra], ignore_index=True))
    assert "not applicable" in fig.get_suptitle() and "60×4" in fig.get_suptitle()


def test_bad_tables_raise():
    evaluation = _evaluation()
    for builder in (observable_vs_mu, error_vs_size_scalar, classifier_accuracy):
        with pytest.raises(ParameterError, match="status"):
            builder(evaluation.drop(columns="status"))
        with pytest.raises(ParameterError, match="empty"):
            builder(evaluation.iloc[:0])
        with pytest.raises(ParameterError, match="DataFrame"):
            builder({"mu": [1.0]})
    broken = evaluation.astype({"value": object})
    broken.loc[0, "value"] = "abc"
    with pytest.raises(ParameterError, match="value"):
        observable_vs_mu(broken)
    with pytest.raises(ParameterError, match="regression"):
        observable_vs_mu(evaluation[evaluation.task == "classification"])
    with pytest.raises(ParameterError, match="pred"):
        scalar_predicted_vs_true(_predictions().drop(columns="pred"))


# ----------------------------------------------------------------------------- feature maps


def test_feature_maps_on_a_detector():
    import torch

    model = _detector()
    x = _config()
    fig = feature_maps({"EQ-max": model}, torch.from_numpy(x))
    assert len(fig.axes) == 3  # input divergence + 2 conv layers
    assert "8×4" in fig.get_suptitle()
    assert "2 defects" in fig.axes[0].get_title() and "p(violated)" in fig.axes[0].get_title()
    for ax in fig.axes:  # the defect sites are circled on every map
        sites = ax.collections[-1].get_offsets()
        np.testing.assert_array_equal(np.asarray(sites), [[2, 1], [3, 1]])
    image = fig.axes[0].images[0].get_array()
    assert image.shape == (4, 8) and image[1, 2] == 1 and image[1, 3] == -1
    assert all(len(m._forward_hooks) == 0 for m in model.net.convs)  # hooks removed
    assert model.training  # mode restored (a fresh module is in training mode)
    fig = feature_maps({"a": model, "b": _detector((4, 4, 4))}, x, defects=[(0, 0)])
    assert len(fig.axes) == 4 * 2
    assert not fig.axes[6].axison  # model "a" has two layers only


def test_feature_maps_regressors_and_not_applicable():
    from latticeml.nn import build_model
    from latticeml.nn.modelfile import Regressor

    st = Regressor(build_model({"kind": "st", "channels": [4, 4], "strides": [2, 1],
                                "out_features": 1}), 0.0, 1.0)
    fl = Regressor(build_model({"kind": "fl", "input_shape": [4, 4], "channels": [4],
                                "out_features": 1}), 0.0, 1.0)
    fig = feature_maps({"ST": st, "FL": fl}, _config())
    assert len(fig.axes) == 3 * 2
    assert fig.axes[2].images[0].get_array().shape == (2, 4)  # stride 2: (N_x/2, N_t/2)
    assert not fig.axes[3].axison and "not applicable" in _texts(fig.axes[3])


def test_feature_maps_bad_inputs():
    model = _detector()
    with pytest.raises(ParameterError, match="models"):
        feature_maps({}, _config())
    with pytest.raises(ParameterError, match="models"):
        feature_maps({"x": object()}, _config())
    with pytest.raises(ParameterError, match="x"):
        feature_maps({"m": model}, np.zeros((2, 8, 4)))
    with pytest.raises(ParameterError, match="defects"):
        feature_maps({"m": model}, _config(), defects=[(9, 0)])


# ----------------------------------------------------------------------------- make / CLI


def _check_files(paths):
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n" if path.suffix == ".png" else b"%PDF"), path


def test_make_scalar_all(tmp_path):
    runs = {"eq_n/r0": pd.DataFrame({"epoch": [1, 2], "train_loss": [1.0, 0.5],
                                     "val_loss": [1.1, 0.6]})}
    paths = make_scalar_all(_evaluation(), _predictions(), runs, tmp_path,
                            models={"det": _detector()}, config=_config(), mu_range=(0.9, 1.0),
                            extrapolation_sets=["s12x4_extrap"])
    assert [p.stem for p in paths[::2]] == list(SCALAR_FIGURE_STEMS)
    assert [p.suffix for p in paths[:2]] == [".png", ".pdf"]
    _check_files(paths)


def test_make_scalar_all_skips_and_validates_first(tmp_path):
    paths = make_scalar_all(_evaluation(classification=False), None, None, tmp_path)
    assert [p.name for p in paths] == ["observable_vs_mu.png", "observable_vs_mu.pdf",
                                       "error_vs_size.png", "error_vs_size.pdf"]
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    with pytest.raises(ParameterError, match="extrapolation_sets"):
        make_scalar_all(_evaluation(), None, None, fresh, extrapolation_sets=["nope"])
    with pytest.raises(ParameterError, match="models"):
        make_scalar_all(_evaluation(), None, None, fresh, models={"det": _detector()})
    with pytest.raises(ParameterError, match="pred"):
        make_scalar_all(_evaluation(), _predictions().drop(columns="pred"), None, fresh)
    assert list(fresh.iterdir()) == []


def _run(argv):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    plot_cli.add(sub)
    args = parser.parse_args(["plot", *argv])
    return args.func(args)


def _write_feature_inputs(tmp_path):

    from latticeml.nn.modelfile import save_model_file

    model = _detector()
    model_path = tmp_path / "det" / "r0" / "model.pt"
    model_path.parent.mkdir(parents=True)
    save_model_file(model_path, spec={"kind": "flux", "channels": [4, 4]},
                    state_dict=model.net.state_dict(), target="flux_violated", plane=0,
                    mean=0.0, std=1.0, info={"experiment": "det", "replica": 0},
                    task="classification")
    data = tmp_path / "test.h5"
    _scalar_dataset(tmp_path / "ens_open.h5", data, open_worms=1)
    return str(model_path), str(data)


def _scalar_dataset(ensemble, out, *, open_worms):
    """A real stage-2 file (configurations alternate closed / one open string if open_worms)."""
    from latticeml.data import ScalarDatasetParams, build_scalar_dataset
    from tests.data.test_datasets import _scalar_ensemble

    _scalar_ensemble(ensemble, mu=1.0, n=4, shape=(8, 4), open_worms=open_worms, seed=3)
    build_scalar_dataset(ScalarDatasetParams(sources=(str(ensemble),)), out)


def test_cli_module_writes_png_and_pdf(tmp_path):
    evaluation, predictions = tmp_path / "evaluation.csv", tmp_path / "predictions.csv"
    _evaluation().to_csv(evaluation, index=False)
    _predictions().to_csv(predictions, index=False)
    model, data = _write_feature_inputs(tmp_path)
    out = tmp_path / "figures"
    argv = [sys.executable, "-m", "latticeml", "results", "plot", "--evaluation", str(evaluation),
            "--predictions", str(predictions), "--out-dir", str(out),
            "--extrapolation-sets", "s12x4_extrap", "--mu-range", "0.9", "1.0",
            "--feature-models", model, "--feature-data", data]
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    stems = ["observable_vs_mu", "error_vs_size", "predicted_vs_true", "extrapolation",
             "classifier_accuracy", "feature_maps"]
    expected = sorted(f"{s}{suffix}" for s in stems for suffix in (".png", ".pdf"))
    assert sorted(p.name for p in out.iterdir()) == expected
    _check_files(sorted(out.iterdir()))
    assert done.stderr.count("wrote ") == len(expected)


def test_cli_scalar_refuses_overwrite_before_work(tmp_path):
    evaluation = tmp_path / "evaluation.csv"
    _evaluation().to_csv(evaluation, index=False)
    out = tmp_path / "out"
    out.mkdir()
    (out / "classifier_accuracy.pdf").write_text("old")
    with pytest.raises(OutputExistsError, match="classifier_accuracy"):
        _run(["--evaluation", str(evaluation), "--out-dir", str(out)])
    (out / "feature_maps.png").write_text("old")
    (out / "classifier_accuracy.pdf").unlink()
    with pytest.raises(OutputExistsError, match="feature_maps"):  # before the models load
        _run(["--evaluation", str(evaluation), "--out-dir", str(out),
              "--feature-models", str(tmp_path / "missing.pt"), "--feature-data", "x.h5"])
    assert sorted(p.name for p in out.iterdir()) == ["feature_maps.png"]


def test_cli_scalar_bad_flags(tmp_path):
    evaluation = tmp_path / "evaluation.csv"
    _evaluation().to_csv(evaluation, index=False)
    out = str(tmp_path / "out")
    base = ["--evaluation", str(evaluation), "--out-dir", out]
    with pytest.raises(ParameterError, match="--feature-models/--feature-data"):
        _run([*base, "--feature-models", "m.pt"])
    with pytest.raises(ParameterError, match="--extrapolation-sets"):
        _run([*base, "--extrapolation-sets", "nope"])
    with pytest.raises(ParameterError, match="--mu-range"):
        _run([*base, "--mu-range", "1.0", "0.5"])
    model, data = _write_feature_inputs(tmp_path)
    closed_only = tmp_path / "closed.h5"
    _scalar_dataset(tmp_path / "ens_closed.h5", closed_only, open_worms=0)
    import h5py

    with pytest.raises(ParameterError, match="flux_violated"):
        _run([*base, "--feature-models", model, "--feature-data", str(closed_only)])
    with pytest.raises(FileFormatError, match="HDF5"):
        _run([*base, "--feature-models", model, "--feature-data", model])
    ensemble = tmp_path / "ensemble.h5"
    with h5py.File(ensemble, "w") as f:
        f.attrs["kind"] = "scalar-ensemble"
    with pytest.raises(FileFormatError, match="scalar-dataset"):
        _run([*base, "--feature-models", model, "--feature-data", str(ensemble)])
    assert not (tmp_path / "out").exists()
    gauge = tmp_path / "gauge.csv"
    pd.DataFrame({"experiment": ["a"], "metric": ["mse_mean"]}).to_csv(gauge, index=False)
    with pytest.raises(ParameterError, match="--mu-range"):
        _run(["--evaluation", str(gauge), "--out-dir", out, "--mu-range", "0", "1"])


def test_cli_scalar_figures_selects_stems(tmp_path, capsys):
    evaluation = tmp_path / "evaluation.csv"
    _evaluation().to_csv(evaluation, index=False)
    out = tmp_path / "out"
    base = ["--evaluation", str(evaluation), "--out-dir", str(out)]
    assert _run([*base, "--figures", "classifier_accuracy"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["classifier_accuracy.pdf",
                                                     "classifier_accuracy.png"]
    assert capsys.readouterr().err.count("wrote ") == 2
    with pytest.raises(ParameterError, match="feature_maps"):
        _run([*base, "--figures", "feature_maps", "--force"])
    with pytest.raises(ParameterError, match="nope"):
        _run([*base, "--figures", "observable_vs_mu,nope", "--force"])
    with pytest.raises(ParameterError, match="figures"):
        make_scalar_all(_evaluation(), None, None, tmp_path, figures=["nope"])
