"""Figure builders and ``latticeml plot``: axes, bands, files, validation, CLI contract."""

import argparse
import itertools

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from latticeml.cli import plot as plot_cli
from latticeml.errors import OutputDirectoryError, OutputExistsError, ParameterError
from latticeml.plots import (
    FIGURE_STEMS,
    best_replicas,
    error_vs_size,
    gauge_robustness,
    make_all,
    predicted_vs_true,
    save_figure,
    training_curves,
)
from latticeml.plots import request as plot_request

TARGETS = ("W_2x2", "W_1x1")  # deliberately unsorted
LS = (8, 16, 32)
REPLICAS = (0, 1, 2)
EXPERIMENTS = (  # experiment, family, arch
    ("W2x2_W2x2-small", "L-CNN", "W2x2-small"),
    ("W2x2_cnn", "CNN", "cnn"),
    ("W2x2_condmean", "conditional mean", "conditional mean"),
)
ALPHAS = (0.01, 0.03, 0.1, 0.3, 1.0)
METRICS = ("mse_mean", "mse_site", "nmse_site", "r2_site")


def _row(experiment, family, arch, replica, **kw):
    row = dict(
        experiment=experiment, family=family, arch=arch, replica=replica,
        model="" if family == "conditional mean" else f"models/{experiment}/r{replica}.pt",
        n_params=100, target="W_1x1",
        val_loss=np.nan if family == "conditional mean" else (0.3, 0.1, 0.2)[replica],
        test_set="su2_2d_16x16", shape="16x16",
        volume=256, L=16, beta=np.nan, metric="mse_mean", alpha=np.nan, value=1.0,
    )
    row.update(kw)
    return row


def _evaluation(seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for experiment, family, arch in EXPERIMENTS:
        replicas = (0,) if family == "conditional mean" else REPLICAS
        scale = {"L-CNN": 1e-4, "CNN": 1e-2, "conditional mean": 1e-1}[family]
        for replica in replicas:
            for target in TARGETS:
                for L in LS:
                    shape = f"{L}x{L}"
                    common = dict(target=target, L=L, shape=shape, volume=L * L,
                                  test_set=f"su2_2d_{shape}")
                    for metric in METRICS:
                        value = scale * (1 + rng.random()) * (L / 8) ** (family == "CNN")
                        value = 0.9 if metric == "r2_site" else value
                        rows.append(_row(experiment, family, arch, replica, metric=metric,
                                         value=value, **common))
                        rows.append(_row(experiment, family, arch, replica, metric=metric,
                                         beta=2.0, value=1e3, **common))  # not pooled
            if family == "conditional mean":
                continue
            for alpha in ALPHAS:
                value = 0.0 if family == "L-CNN" and replica == 0 else (
                    1e-16 * rng.random() if family == "L-CNN" else 0.3 * alpha * (1 + rng.random())
                )
                rows.append(_row(experiment, family, arch, replica, metric="gauge_alpha",
                                 alpha=alpha, value=value))
            for metric in ("gauge_haar", "gauge_adversarial"):
                value = 1e-16 if family == "L-CNN" else 0.5 + rng.random()
                rows.append(_row(experiment, family, arch, replica, metric=metric, value=value))
    return pd.DataFrame(rows)


def _predictions(seed=1):
    rng = np.random.default_rng(seed)
    rows = []
    for (experiment, family, arch), replica in itertools.product(EXPERIMENTS, REPLICAS):
        if family == "conditional mean" and replica > 0:
            continue
        for target in TARGETS:
            for L in LS:
                for sample, beta in enumerate(np.repeat([1.5, 2.0, 2.5], 4)):
                    true = 0.2 * beta + 0.01 * rng.standard_normal()
                    noise = {"L-CNN": 0.002, "CNN": 0.02, "conditional mean": 0.0}[family]
                    rows.append(dict(
                        experiment=experiment, family=family, arch=arch, replica=replica,
                        target=target, test_set=f"su2_2d_{L}x{L}", shape=f"{L}x{L}", L=L,
                        sample=sample, beta=beta, true_mean=true,
                        pred_mean=(0.2 * beta if noise == 0 else true)
                        + noise * rng.standard_normal(),
                    ))
    return pd.DataFrame(rows)


def _runs(n=3, epochs=20):
    out = {}
    for i in range(n):
        e = np.arange(1, epochs + 1)
        out[f"W2x2_W2x2-small/r{i}"] = pd.DataFrame(dict(
            epoch=e, train_loss=1.0 / e ** (1 + 0.1 * i), val_loss=1.2 / e ** (0.9 + 0.1 * i),
            lr=1e-3, seconds=e * 1.5,
        ))
    return out


# ----------------------------------------------------------------- figures


def test_error_vs_size_layout_and_labels():
    fig = error_vs_size(_evaluation())
    assert isinstance(fig, Figure)
    axes = np.array(fig.axes).reshape(3, 2)
    assert [ax.get_title() for ax in axes[0]] == [r"$W_{1\times 1}$", r"$W_{2\times 2}$"]
    assert all(ax.get_xlabel() for ax in axes[-1])
    assert all(ax.get_ylabel() for ax in axes[:, 0])
    assert all(ax.get_yscale() == "log" for ax in axes.ravel())
    assert all(ax.get_xscale() == "log" for ax in axes.ravel())
    assert list(axes[-1, 0].get_xticks()) == list(LS)
    legend_labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend_labels == ["L-CNN W2x2-small", "CNN cnn", "conditional mean"]


def test_error_vs_size_median_line_and_min_max_band():
    evaluation = _evaluation()
    fig = error_vs_size(evaluation, metrics=("mse_site",))
    assert len(fig.axes) == 2
    ax = fig.axes[1]  # W_2x2
    rows = evaluation[(evaluation.metric == "mse_site") & evaluation.beta.isna()
                      & (evaluation.target == "W_2x2") & (evaluation.experiment == "W2x2_cnn")]
    stats = rows.groupby("L")["value"].agg(["median", "min", "max"])
    (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "W2x2_cnn"]
    np.testing.assert_array_equal(line.get_xdata(), LS)
    np.testing.assert_allclose(line.get_ydata(), stats["median"])
    (band,) = [c for c in ax.collections if c.get_gid() == "W2x2_cnn"]
    vertices = band.get_paths()[0].vertices
    for L in LS:
        ys = vertices[np.isclose(vertices[:, 0], L), 1]
        np.testing.assert_allclose([ys.min(), ys.max()], stats.loc[L, ["min", "max"]])
    # the baseline is dotted and has no band
    (base,) = [ln for ln in ax.get_lines() if ln.get_gid() == "W2x2_condmean"]
    assert base.get_linestyle() == ":"
    assert not [c for c in ax.collections if c.get_gid() == "W2x2_condmean"]


def test_error_vs_size_3d_plus_1_uses_the_volume_so_equal_extents_stay_apart():
    rows = []
    for shape, vol, value in (("4x8x8x8", 2048, 1e-8), ("6x8x8x8", 3072, 4e-8),
                              ("8x16x16x16", 32768, 2e-8)):
        for replica in REPLICAS:
            rows.append(_row("p12", "L-CNN", "W2x2-small", replica, target="W_2x2",
                             shape=shape, volume=vol, L=int(shape.split("x")[1]),
                             value=value * (1 + replica)))
    fig = error_vs_size(pd.DataFrame(rows), metrics=("mse_mean",))
    (line,) = [ln for ln in fig.axes[0].get_lines() if ln.get_gid() == "p12"]
    np.testing.assert_array_equal(line.get_xdata(), [2048, 3072, 32768])
    np.testing.assert_allclose(line.get_ydata(), [2e-8, 8e-8, 4e-8])  # no pooling at L = 8
    assert "volume" in fig.axes[0].get_xlabel()
    # the 1+1D table keeps the extent
    assert "extent" in error_vs_size(_evaluation()).axes[-1].get_xlabel()


def test_error_vs_size_draws_a_published_set_with_its_source_in_the_legend():
    from latticeml.plots.published import PUBLISHED_SETS, published_points

    fig = error_vs_size(_evaluation(), published="prl-2d")
    axes = np.array(fig.axes).reshape(3, 2)
    marks = published_points("prl-2d")
    for ax, target in zip(axes[0], ("W_1x1", "W_2x2"), strict=True):
        drawn = [ln for ln in ax.get_lines() if ln.get_gid() == "published"]
        want = marks[marks["target"] == target]
        assert sum(len(ln.get_xdata()) for ln in drawn) == len(want)
        ys = np.sort(np.concatenate([ln.get_ydata() for ln in drawn]))
        np.testing.assert_allclose(ys, np.sort(want["value"].to_numpy()))
    assert not [ln for ln in axes[1, 0].get_lines() if ln.get_gid() == "published"]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "published L-CNN (PRL tables, median of 10)" in labels
    assert "published CNN (PRL Fig. 3, best model)" in labels
    assert labels[:3] == ["L-CNN W2x2-small", "CNN cnn", "conditional mean"]
    assert set(PUBLISHED_SETS) == {"prl-2d", "notebook-4d-plane12"}
    with pytest.raises(ParameterError, match="--published"):
        error_vs_size(_evaluation(), published="prl-3d")


def test_error_vs_size_single_L_single_replica():
    evaluation = _evaluation()
    one = evaluation[(evaluation.L == 16) & (evaluation.replica == 0)]
    fig = error_vs_size(one)
    assert len(fig.axes) == 6
    assert list(fig.axes[0].get_xticks()) == [16]
    lo, hi = fig.axes[0].get_xlim()
    assert lo < 16 < hi


def test_error_vs_size_linear_axis_for_r2():
    fig = error_vs_size(_evaluation(), metrics=("mse_mean", "r2_site", "missing"))
    axes = np.array(fig.axes).reshape(2, 2)
    assert axes[0, 0].get_yscale() == "log"
    assert axes[1, 0].get_ylabel() == r"per-site $R^2$"


def test_legend_one_entry_per_architecture():
    evaluation = _evaluation()
    per_target = evaluation.assign(experiment=evaluation.experiment + "/" + evaluation.target)
    fig = error_vs_size(per_target)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["L-CNN W2x2-small", "CNN cnn", "conditional mean"]
    clash = evaluation[evaluation.experiment == "W2x2_cnn"].assign(experiment="W2x2_cnn-b")
    fig = error_vs_size(pd.concat([evaluation, clash]))
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["L-CNN W2x2-small", "CNN cnn (W2x2_cnn)", "CNN cnn (W2x2_cnn-b)",
                      "conditional mean"]
    styles = {ln.get_gid(): (ln.get_color(), ln.get_marker()) for ln in fig.axes[0].get_lines()}
    assert styles["W2x2_cnn"] != styles["W2x2_cnn-b"]


def test_best_replicas():
    predictions, evaluation = _predictions(), _evaluation()
    chosen = best_replicas(predictions, evaluation).groupby("experiment")["replica"].unique()
    assert {e: list(r) for e, r in chosen.items()} == {
        "W2x2_W2x2-small": [1], "W2x2_cnn": [1], "W2x2_condmean": [0]}
    assert set(best_replicas(predictions)["replica"]) == {0}
    assert best_replicas(predictions.drop(columns="replica")).shape[0] == len(predictions)


def test_predicted_vs_true_grid():
    predictions = best_replicas(_predictions())
    fig = predicted_vs_true(predictions)
    axes = np.array(fig.axes).reshape(len(TARGETS), len(LS))
    assert [ax.get_title() for ax in axes[0]] == ["8×8 ($L = 8$)", "16×16 ($L = 16$)",
                                                  "32×32 ($L = 32$)"]
    assert all(ax.get_xlabel() for ax in axes[-1])
    assert all("predicted" in ax.get_ylabel() for ax in axes[:, 0])
    for ax in axes.ravel():
        assert ax.get_xlim() == ax.get_ylim()
        assert ax.get_aspect() == 1.0
        assert len(ax.collections) == len(EXPERIMENTS)
    (diagonal,) = axes[0, 0].get_lines()
    np.testing.assert_array_equal(diagonal.get_xdata(), diagonal.get_ydata())


def test_predicted_vs_true_replica_selection():
    predictions = _predictions()
    with pytest.raises(ParameterError, match="replica"):
        predicted_vs_true(predictions, replica=5)
    with pytest.raises(ParameterError, match="replica"):
        predicted_vs_true(predictions, replica="worst")
    assert isinstance(predicted_vs_true(predictions, replica=0), Figure)


def test_training_curves():
    fig = training_curves(_runs())
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel().endswith("loss")
        assert ax.get_yscale() == "log"
        assert len(ax.get_lines()) == 3
    assert len(fig.legends[0].get_texts()) == 3
    many = training_curves(_runs(n=12, epochs=3))
    assert not many.legends


def test_training_curves_one_row_per_target_every_experiment_named():
    runs = {**{f"W2x2_a/r{r}": t for r, t in enumerate(_runs(n=3).values())},
            **{f"W2x2_b/r{r}": t for r, t in enumerate(_runs(n=2).values())},
            **{f"W1x1_c/r{r}": t for r, t in enumerate(_runs(n=12, epochs=3).values())},
            "loose/r0": next(iter(_runs(n=1).values()))}
    fig = training_curves(runs, {"W2x2_a": "W_2x2", "W2x2_b": "W_2x2", "W1x1_c": "W_1x1"})
    axes = np.array(fig.axes).reshape(3, 2)  # W_1x1, W_2x2, other
    assert [ax.get_title() for ax in axes[:, 0]] == [
        r"$W_{1\times 1}$: training", r"$W_{2\times 2}$: training", "other: training"]
    assert len(axes[0, 0].get_lines()) == 12 and len(axes[1, 1].get_lines()) == 5
    colors = {ln.get_gid(): ln.get_color() for ln in axes[1, 0].get_lines()}
    assert len(colors) == 2  # replicas share their experiment's colour
    legends = [ax.get_legend() for ax in axes[:, 1]]
    assert [t.get_text() for t in legends[1].get_texts()] == ["W2x2_a (3)", "W2x2_b (2)"]
    assert [t.get_text() for t in legends[0].get_texts()] == ["W1x1_c (12)"]  # 12 runs, named


def test_gauge_robustness():
    evaluation = _evaluation()
    fig = gauge_robustness(evaluation)
    left, right = fig.axes
    assert left.get_xscale() == left.get_yscale() == right.get_yscale() == "log"
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in (left, right))
    (lcnn,) = [ln for ln in left.get_lines() if ln.get_gid() == "L-CNN"]
    assert np.all(lcnn.get_ydata() >= 1e-17)  # zeros floored, still on the log axis
    np.testing.assert_array_equal(lcnn.get_xdata(), ALPHAS)
    assert "10^{-17}" in left.get_ylabel()
    assert [t.get_text() for t in right.get_xticklabels()] == ["L-CNN W2x2-small", "CNN cnn"]


def test_missing_column_and_empty_table_raise():
    evaluation = _evaluation()
    with pytest.raises(ParameterError, match="evaluation.*value"):
        error_vs_size(evaluation.drop(columns="value"))
    with pytest.raises(ParameterError, match="alpha"):
        gauge_robustness(evaluation.drop(columns="alpha"))
    with pytest.raises(ParameterError, match="pred_mean"):
        predicted_vs_true(_predictions().drop(columns="pred_mean"))
    with pytest.raises(ParameterError, match="val_loss"):
        training_curves({"a/r0": _runs()["W2x2_W2x2-small/r0"].drop(columns="val_loss")})
    with pytest.raises(ParameterError, match="empty"):
        error_vs_size(evaluation.iloc[:0])
    with pytest.raises(ParameterError, match="gauge"):
        gauge_robustness(evaluation[evaluation.metric == "mse_mean"])
    with pytest.raises(ParameterError, match="numbers"):
        error_vs_size(evaluation.assign(value="abc"))


# ----------------------------------------------------------------- files


def _check_files(paths):
    assert len(paths) == 2 * len(FIGURE_STEMS)
    assert {p.stem for p in paths} == set(FIGURE_STEMS)
    for path in paths:
        data = path.read_bytes()
        magic = b"\x89PNG\r\n\x1a\n" if path.suffix == ".png" else b"%PDF"
        assert data.startswith(magic), path
    assert not [p for p in paths[0].parent.iterdir() if p.name.startswith(".")]


def test_make_all_writes_eight_files(tmp_path):
    paths = make_all(_evaluation(), _predictions(), _runs(), tmp_path)
    _check_files(paths)
    assert paths[0].name == "error_vs_size.png"


def test_make_all_skips_missing_inputs(tmp_path):
    evaluation = _evaluation()
    no_gauge = evaluation[~evaluation.metric.str.startswith("gauge")]
    paths = make_all(no_gauge, None, {}, tmp_path)
    assert [p.name for p in paths] == ["error_vs_size.png", "error_vs_size.pdf"]
    assert make_all(evaluation.iloc[:0], pd.DataFrame(), None, tmp_path) == []
    with pytest.raises(OutputDirectoryError):
        make_all(evaluation, None, None, tmp_path / "missing")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    with pytest.raises(ParameterError, match="pred_mean"):  # validated before any figure
        make_all(evaluation, _predictions().drop(columns="pred_mean"), None, fresh)
    assert list(fresh.iterdir()) == []


def test_save_figure_leaves_no_partial_file(tmp_path, monkeypatch):
    fig = training_curves(_runs(n=1))
    stem = tmp_path / "fig"
    original = Figure.savefig

    def failing(self, fname, *args, format=None, **kwargs):
        if format == "pdf":
            raise RuntimeError("disk full")
        return original(self, fname, *args, format=format, **kwargs)

    monkeypatch.setattr(Figure, "savefig", failing)
    with pytest.raises(RuntimeError):
        save_figure(fig, stem)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------- CLI


def _write_inputs(tmp_path):
    evaluation, predictions = tmp_path / "evaluation.csv", tmp_path / "predictions.csv"
    _evaluation().to_csv(evaluation, index=False)
    _predictions().to_csv(predictions, index=False)
    metrics = []
    for label, table in _runs(n=2).items():
        path = tmp_path / "runs" / label / "metrics.csv"
        path.parent.mkdir(parents=True)
        table.to_csv(path, index=False)
        metrics.append(str(path))
    return str(evaluation), str(predictions), metrics


def _run(argv):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    plot_cli.add(sub)
    args = parser.parse_args(["plot", *argv])
    return args.func(args)


def test_cli_writes_files_and_refuses_overwrite(tmp_path, capsys):
    evaluation, predictions, metrics = _write_inputs(tmp_path)
    out = tmp_path / "figures" / "nested"
    argv = ["--evaluation", evaluation, "--predictions", predictions, "--metrics", *metrics,
            "--out-dir", str(out)]
    assert _run(argv) == 0
    paths = sorted(out.iterdir())
    _check_files(paths)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 8 and all(line.startswith("wrote ") for line in lines)
    before = {p: p.stat().st_mtime_ns for p in paths}
    with pytest.raises(OutputExistsError, match="error_vs_size"):
        _run(argv)
    assert {p: p.stat().st_mtime_ns for p in paths} == before
    assert _run(["--evaluation", evaluation, "--out-dir", str(out), "--force"]) == 0
    assert (out / "error_vs_size.png").stat().st_mtime_ns > before[out / "error_vs_size.png"]


def test_cli_labels_runs_after_their_directory(tmp_path, monkeypatch):
    _, _, metrics = _write_inputs(tmp_path)
    assert list(plot_request._run_labels(metrics)) == ["W2x2_W2x2-small/r0", "W2x2_W2x2-small/r1"]
    with pytest.raises(ParameterError, match="--metrics"):
        plot_request._run_labels([metrics[0], metrics[0]])


def test_cli_bad_inputs(tmp_path):
    evaluation, _, _ = _write_inputs(tmp_path)
    out = str(tmp_path / "out")
    with pytest.raises(ParameterError, match="--evaluation"):
        _run(["--evaluation", str(tmp_path / "nope.csv"), "--out-dir", out])
    broken = tmp_path / "broken.csv"
    pd.read_csv(evaluation).drop(columns="metric").to_csv(broken, index=False)
    with pytest.raises(ParameterError, match="broken.csv.*metric"):
        _run(["--evaluation", str(broken), "--out-dir", out])
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    from latticeml.errors import FileFormatError

    with pytest.raises(FileFormatError, match="empty.csv"):
        _run(["--evaluation", str(empty), "--out-dir", out])


def test_cli_published_set(tmp_path):
    evaluation, _, _ = _write_inputs(tmp_path)
    out = tmp_path / "pub"
    with pytest.raises(ParameterError, match="--published"):
        _run(["--evaluation", evaluation, "--out-dir", str(out), "--published", "nope"])
    assert not out.exists()  # refused before any work
    assert _run(["--evaluation", evaluation, "--out-dir", str(out), "--published",
                 "prl-2d"]) == 0
    assert (out / "error_vs_size.png").is_file()


def test_no_pyplot_or_torch():
    import subprocess
    import sys

    code = ("import sys, latticeml.plots, latticeml.cli.plot; "
            "print(sorted(m for m in ('torch', 'matplotlib.pyplot') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert mpl.get_backend()  # importing the package did not need a display
