"""Summaries of gradient-flow tables: t0 and w0 on known curves, tau_int of a known chain,
a frozen charge flagged, the CLI and its refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from latticeml.errors import ParameterError
from latticeml.evaluate.flow import summarize_flow, summarize_flow_files


def _table(t2e_rows, charge, t, algorithm="heatbath", n_skip=1):
    rows = []
    for c, (curve, q) in enumerate(zip(t2e_rows, charge, strict=True)):
        for k, tk in enumerate(t):
            rows.append({"config": c, "t": tk, "t2e_plaquette": curve[k], "t2e_clover":
                         curve[k], "charge": q, "beta": 6.0, "group": "su3",
                         "shape": "8x8x8x8", "algorithm": algorithm, "n_skip": n_skip})
    return pd.DataFrame(rows)


def _ar1(n, rho, seed):
    rng = np.random.default_rng(seed)
    x = np.empty(n)
    x[0] = rng.normal()
    for i in range(1, n):
        x[i] = rho * x[i - 1] + np.sqrt(1 - rho**2) * rng.normal()
    return x


def test_scales_and_autocorrelation_on_known_data():
    t = np.linspace(0, 4, 81)
    n = 4000
    amp = 1 + 0.01 * _ar1(n, 0.0, 1)  # t^2 E = 0.15 amp t: t0 = 2 / amp on average
    curves = [0.15 * a * t for a in amp]
    rho = 0.8  # tau_int = (1 + rho) / (2 (1 - rho)) = 4.5 saved configurations
    q = _ar1(n, rho, 2)
    s = summarize_flow({"a": _table(curves, q, t, n_skip=2)}).iloc[0]
    assert s["t0"] == pytest.approx(2.0 / amp.mean(), rel=1e-3)
    assert s["t0_err"] == pytest.approx(2.0 * 0.01 / np.sqrt(n), rel=0.2)  # independent amp
    assert s["w0"] == pytest.approx(np.sqrt(2.0 / amp.mean()), rel=1e-3)
    assert s["tau_int_q"] == pytest.approx(2 * 4.5, rel=0.2)  # in updates: x n_skip
    assert s["tau_int_t2e"] == pytest.approx(2 * 0.5, rel=0.2)
    assert not s["q_frozen"] and s["a2_over_t0"] == pytest.approx(1 / s["t0"])


def test_a_charge_that_never_changes_is_frozen_not_tau_one_half():
    t = np.linspace(0, 4, 41)
    curves = [0.15 * t * (1 + 0.01 * k % 3) for k in range(50)]
    s = summarize_flow({"f": _table(curves, np.ones(50), t)}).iloc[0]
    assert s["q_frozen"] and np.isnan(s["tau_int_q"])
    changing = summarize_flow({"g": _table(curves, np.arange(50) % 2, t)}).iloc[0]
    assert not changing["q_frozen"] and np.isfinite(changing["tau_int_q"])  # control


def test_files_figures_and_refusals(tmp_path):
    from latticeml.errors import OutputExistsError, ParameterError

    t = np.linspace(0, 4, 41)
    q = _ar1(60, 0.5, 3)
    for algo in ("heatbath", "hmc"):
        (tmp_path / algo).mkdir()
        _table([0.15 * t] * 60, q, t, algorithm=algo).to_csv(tmp_path / algo / "b.csv",
                                                               index=False)
    files = [tmp_path / a / "b.csv" for a in ("heatbath", "hmc")]
    out = tmp_path / "s.csv"
    summary = summarize_flow_files(files, out, out_dir=tmp_path / "figs")
    assert list(summary["source"]) == ["heatbath/b", "hmc/b"] and out.is_file()
    assert (tmp_path / "figs" / "freezing.png").is_file()
    with pytest.raises(OutputExistsError, match="exists"):
        summarize_flow_files(files, out)
    with pytest.raises(ParameterError, match="FLOW.csv"):
        summarize_flow_files([tmp_path / "none.csv"], tmp_path / "x.csv")
    pd.DataFrame({"config": [0]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ParameterError, match="gauge flow"):
        summarize_flow_files([tmp_path / "bad.csv"], tmp_path / "y.csv")
    with pytest.raises(ParameterError, match="--level"):
        summarize_flow_files(files, tmp_path / "z.csv", level=-1)


def test_pooled_chains_are_one_ensemble_and_other_ensembles_stay_apart(tmp_path):
    t = np.linspace(0, 4, 81)
    amp = 1 + 0.01 * _ar1(3000, 0.0, 4)
    chains = {f"c{k}": _table([0.15 * a * t for a in amp[k * 1000:(k + 1) * 1000]],
                              _ar1(1000, 0.8, 5 + k), t, n_skip=2) for k in range(3)}
    other = _table([0.2 * t] * 50, _ar1(50, 0.0, 9), t, algorithm="hmc")
    pooled = summarize_flow({**chains, "hmc": other}, pool=True)
    assert list(pooled["n_chains"]) == [3, 1]  # sorted by algorithm: heatbath, hmc
    row = pooled.set_index("algorithm").loc["heatbath"]
    assert row["source"] == "c0+c1+c2" and row["n_configs"] == 3000
    assert row["t0"] == pytest.approx(2.0 / amp.mean(), rel=1e-3)
    assert row["t0_err"] == pytest.approx(2.0 * 0.01 / np.sqrt(3000), rel=0.2)
    assert abs(row["tau_int_q"] - 2 * 4.5) < 3 * row["tau_int_q_err"]
    # one chain alone has sqrt(3) times the error; unpooled, every table is its own row
    apart = summarize_flow(chains)
    assert len(apart) == 3 and set(apart["n_chains"]) == {1}
    assert apart["t0_err"].median() == pytest.approx(np.sqrt(3) * row["t0_err"], rel=0.25)
    # chains measured at other flow times cannot be pooled
    coarse = _table([0.15 * t[::2]] * 20, _ar1(20, 0.0, 7), t[::2], n_skip=2)
    with pytest.raises(ParameterError, match="same flow times"):
        summarize_flow({"c0": chains["c0"], "coarse": coarse}, pool=True)


def test_cli_pools_tables(tmp_path):
    from latticeml.cli import main

    t = np.linspace(0, 4, 41)
    for k in range(2):
        _table([0.15 * t * (1 + 0.01 * (j % 3)) for j in range(30)], _ar1(30, 0.0, k), t
               ).to_csv(tmp_path / f"c{k}.csv", index=False)
    out = tmp_path / "s.csv"
    assert main(["results", "flow", str(tmp_path / "c0.csv"), str(tmp_path / "c1.csv"),
                 "--pool", "--out", str(out), "--out-dir", str(tmp_path / "figs")]) == 0
    s = pd.read_csv(out)
    assert len(s) == 1 and s["n_chains"].iloc[0] == 2 and s["n_configs"].iloc[0] == 60
    assert (tmp_path / "figs" / "t2e.png").is_file()
