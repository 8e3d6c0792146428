"""Flux controls in the evaluation of detectors, the k-only detector and the augmentation."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pandas as pd
import pytest
import torch

from latticeml.data import layout as L
from latticeml.data.scalar_dataset import ScalarDatasetParams, build_scalar_dataset
from latticeml.errors import ParameterError
from latticeml.evaluate import ScalarEvaluateParams, evaluate_scalar, scalar_markdown
from latticeml.evaluate.scalar import CONTROL_METRICS, control_metrics
from latticeml.evaluate.scalar_summary import summarize_scalar
from latticeml.nn import build_model
from latticeml.nn.modelfile import Detector
from latticeml.observables.flux_controls import flux_controls
from latticeml.plots.detector import classifier_accuracy
from latticeml.train import TrainParams, train


def _rule(bias_error: float = 0.0, inputs: str = "k"):
    """The flux rule as a detector: divergence by a kernel-2 convolution, square, max."""
    net = build_model({"kind": "flux", "channels": [1], "kernel_sizes": [2],
                       "activation": "square", "inputs": inputs, "bias": False,
                       "dtype": "float64"})
    w = net.convs[0].weight
    with torch.no_grad():
        w.zero_()
        w[0, 0, 1, 1], w[0, 0, 0, 1] = 1.0, -1.0  # k_t(y) - k_t(y - t)
        w[0, 1, 1, 1], w[0, 1, 1, 0] = 1.0, -1.0  # k_x(y) - k_x(y - x)
        w[0, 0, 0, 0] += bias_error  # a proxy: sensitive to k_t itself
        net.head.weight.fill_(20.0)
        net.head.bias.fill_(-10.0)
    return Detector(net)


def _probs(model, c):
    with torch.no_grad():
        return model(torch.as_tensor(c.kl, dtype=torch.float64)).numpy()


@pytest.mark.parametrize("shape", [(12, 4), (16, 6), (50, 2)])
def test_the_exact_rule_passes_every_control_and_a_proxy_does_not(shape):
    c = flux_controls(shape)
    rows = {r["metric"]: r["value"] for r in control_metrics(_probs(_rule(), c), c)}
    assert set(rows) == set(CONTROL_METRICS)
    assert rows["control_accuracy"] == 1.0 and rows["control_accuracy_closed"] == 1.0
    assert rows["control_accuracy_open"] == 1.0
    assert rows["n_controls_closed"] == c.n_closed and rows["n_controls_open"] == c.n_open
    assert rows["control_max_p_closed"] < 1e-4 and rows["control_min_p_open"] > 1 - 1e-4
    bad = {r["metric"]: r["value"] for r in control_metrics(_probs(_rule(0.3), c), c)}
    assert bad["control_accuracy_closed"] < 0.9 and bad["control_max_p_closed"] > 0.99


def test_k_only_detector_ignores_l_and_rejects_bad_options():
    c = flux_controls((8, 4))
    x = torch.as_tensor(c.kl, dtype=torch.float64)
    y = x.clone()
    y[:, 2:] = torch.randint(0, 9, y[:, 2:].shape, dtype=torch.float64)
    m = _rule()
    with torch.no_grad():
        assert torch.equal(m(x), m(y))
    net = build_model({"kind": "flux", "channels": [2, 3], "inputs": "k", "bias": False})
    assert net.convs[0].weight.shape[1] == 2 and all(cv.bias is None for cv in net.convs[::2])
    assert build_model({"kind": "flux", "channels": [2]}).convs[0].bias is not None
    with pytest.raises(ParameterError, match="inputs"):
        build_model({"kind": "flux", "inputs": "l"})


def test_control_metrics_on_hand_made_numbers():
    c = flux_controls((6, 4), n_random=0)
    p = (c.label == 1).astype(float)
    p[np.flatnonzero(c.label == 0)[0]] = 0.7  # one false positive
    p[np.flatnonzero(c.label == 1)[:2]] = [0.2, 0.6]  # one false negative
    rows = {r["metric"]: r["value"] for r in control_metrics(p, c)}
    assert rows["control_accuracy_closed"] == pytest.approx(1 - 1 / c.n_closed)
    assert rows["control_accuracy_open"] == pytest.approx(1 - 1 / c.n_open)
    assert rows["control_accuracy"] == pytest.approx(1 - 2 / len(c))
    assert rows["control_max_p_closed"] == 0.7 and rows["control_min_p_open"] == 0.2
    with pytest.raises(ParameterError, match="prob"):
        control_metrics(p[:-1], c)


@pytest.fixture(scope="module")
def detector(scalar_data, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("flux_controls")
    params = TrainParams(train=str(scalar_data["train"]), val=str(scalar_data["val"]),
                         target="flux_violated", out=str(tmp / "flux_max"), epochs=4,
                         batch_size=16, lr=0.03, patience=0, threads=1, seed=3,
                         model={"kind": "flux", "channels": [4], "kernel_sizes": [2],
                                "activation": "square"})
    return train(params, progress=False, log=lambda m: None).model_path


def test_evaluation_reports_the_controls_beside_accuracy(detector, scalar_data):
    params = ScalarEvaluateParams(models=(str(detector),),
                                  test_sets=(str(scalar_data["test"]),
                                             str(scalar_data["test16"])), threads=1)
    table, _ = evaluate_scalar(params, progress=False)
    ctl = table[table["metric"].isin(CONTROL_METRICS)]
    assert len(ctl) == 2 * len(CONTROL_METRICS)
    assert (ctl["status"] == "ok").all() and ctl["open_worms"].isna().all()
    assert ctl["mu"].isna().all()
    for shape, g in ctl.groupby("shape"):
        v = g.set_index("metric")["value"]
        n_t, n_x = map(int, shape.split("x"))
        c = flux_controls((n_t, n_x))  # the chain-based controls come on top of these
        assert v["n_controls_closed"] > c.n_closed and v["n_controls_open"] > c.n_open
        assert 0 <= v["control_accuracy"] <= 1
    again, _ = evaluate_scalar(params, progress=False)  # seeded: the same numbers
    pd.testing.assert_frame_equal(table, again)
    off, _ = evaluate_scalar(ScalarEvaluateParams(models=(str(detector),),
                                                  test_sets=(str(scalar_data["test"]),),
                                                  threads=1, controls=False), progress=False)
    assert not off["metric"].isin(CONTROL_METRICS).any()
    summary = summarize_scalar(table)
    text = scalar_markdown(summary)
    assert "controls (" in text
    acc = summary[summary["metric"] == "control_accuracy_closed"]
    assert (acc["worst"] == acc["min"]).all()
    fig = classifier_accuracy(table)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "controls: closed" in labels and "controls: open" in labels


def test_bad_control_flags_are_refused(detector, scalar_data):
    with pytest.raises(ParameterError, match="controls"):
        ScalarEvaluateParams(models=(str(detector),), test_sets=(str(scalar_data["test"]),),
                             controls="yes")


def test_dataset_augmentation_with_flux_controls(scalar_data, tmp_path):
    with h5py.File(scalar_data["train"]) as f:
        sources = [json.loads(s)["path"] for s in f[L.SOURCES].asstr()[:]]
    plain = build_scalar_dataset(ScalarDatasetParams(sources=tuple(sources)), tmp_path / "a.h5")
    aug = build_scalar_dataset(ScalarDatasetParams(sources=tuple(sources), flux_controls=2,
                                                   controls_max_k=8), tmp_path / "b.h5")
    with h5py.File(plain) as f:
        n0 = f[L.KL].shape[0]
    with h5py.File(aug) as f:
        kl = f[L.KL][:]
        y = f[f"{L.TARGETS}/flux_violated"][:]
        n = f[f"{L.TARGETS}/n"][:]
        src = f[L.SOURCE_INDEX][:]
    extra = slice(n0, None)
    assert kl.shape[0] > n0 + 300 and (src[extra] == -1).all()
    assert np.isnan(n[extra]).all()  # regressors skip the synthetic configurations
    k = np.moveaxis(kl[extra, :2].astype(np.int64), 1, -1)
    div = k[..., 0] - np.roll(k[..., 0], 1, -2) + k[..., 1] - np.roll(k[..., 1], 1, -1)
    assert np.array_equal(np.any(div != 0, axis=(-2, -1)), y[extra] == 1)
    assert np.abs(kl[extra, :2]).max() <= 8
    with pytest.raises(ParameterError, match="--flux-controls"):
        ScalarDatasetParams(sources=tuple(sources), flux_controls=-1)
    with pytest.raises(ParameterError, match="--controls-seed"):
        ScalarDatasetParams(sources=tuple(sources), controls_seed=1000)


def test_a_dataset_with_flux_controls_verifies_and_a_half_synthetic_row_does_not(scalar_data,
                                                                                  tmp_path):
    from latticeml.data import seal
    from latticeml.data.verify import verify_dataset
    from latticeml.errors import FileFormatError

    with h5py.File(scalar_data["train"]) as f:
        sources = [json.loads(s)["path"] for s in f[L.SOURCES].asstr()[:]]
    aug = build_scalar_dataset(ScalarDatasetParams(sources=tuple(sources), flux_controls=2,
                                                   controls_max_k=10**6), tmp_path / "b.h5")
    info = verify_dataset(aug)  # NaN n of closed controls, -1 indices, strings whose ends meet
    with h5py.File(aug) as f:
        assert info.n_samples == f[L.KL].shape[0]
        assert np.abs(f[L.KL][:, :2]).max() > 8  # the large-|k| controls are kept
        src = f[L.SOURCE_INDEX][:]
    for name, row in ((L.CONFIG_INDEX, int(np.flatnonzero(src == -1)[0])),
                      (L.SOURCE_INDEX, 0)):
        bad = tmp_path / f"bad_{name.rsplit('/', 1)[1]}.h5"
        bad.write_bytes(aug.read_bytes())
        with h5py.File(bad, "r+") as f:  # resealed: consistent digests, wrong content
            f[name][row] = 0 if f[name][row] == -1 else -1
            seal(f)
        with pytest.raises(FileFormatError, match="disagree on synthetic row"):
            verify_dataset(bad)
