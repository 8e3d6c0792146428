"""``latticeml model check-action``: every check of a trained action, as one table.

The action checked is the Wilson action written as an action model: exact where the checks
know the answer (pure gauge, positivity, forces, instantons at the Wilson values), and not the
fixed-point action, so the fixed-point residual and the instanton goal must fail.
"""

from __future__ import annotations

import pandas as pd
import pytest

from latticeml.cli import main
from latticeml.fixedpoint.report import ActionCheckParams, check_action_model
from latticeml.nn import save_model_file, wilson_action_lcnn, wilson_action_spec


def _model(path, dim, n):
    save_model_file(path, spec=wilson_action_spec(dim, n),
                    state_dict=wilson_action_lcnn(dim, n).state_dict(),
                    target="fixed_point_action", plane=0, mean=0.0, std=1.0, task="action")
    return path


def _fp_data(tmp, shape, n_configs=2):
    ens = tmp / "e.h5"
    assert main(["gauge", "generate", "--group", "su2", "--shape", shape, "--beta", "3.0",
                 "--seed", "5", "--n-configs", str(n_configs), "--n-therm", "20", "--n-skip",
                 "2", "--no-progress", "--out", str(ens)]) == 0
    out = tmp / "fp.h5"
    assert main(["dataset", "build", "--inputs", str(ens), "--fixed-point", "--fp-kappa", "3",
                 "--fp-tol", "1e-6", "--no-progress", "--out", str(out)]) == 0
    return ens, out


@pytest.fixture(scope="module")
def data_2d(tmp_path_factory):
    return _fp_data(tmp_path_factory.mktemp("check2d"), "4,4", n_configs=3)


def test_the_table_of_a_2d_action(data_2d, tmp_path, capsys):
    _, data = data_2d
    model = _model(tmp_path / "w.pt", 2, 2)
    out = tmp_path / "checks.csv"
    assert main(["model", "check-action", str(model), "--data", str(data), "--residuals", "2",
                 "--out", str(out)]) == 0
    assert "missed their goal (fp_residual_rel[0], fp_residual_rel[1])" in capsys.readouterr().err
    t = pd.read_csv(out).set_index("check")
    assert list(t.columns) == ["value", "goal", "passed", "detail"]
    assert t.loc["pure_gauge_rel", "passed"] and t.loc["force_rel", "passed"]
    assert t.loc["min_action", "passed"] and t.loc["min_action", "value"] > 0
    # the Wilson action is not the fixed-point action: its values and residuals show it
    assert t.loc["action_rel_rmse", "value"] > 0.05
    assert not t.loc["fp_residual_rel[0]", "passed"]
    assert "instanton_rho2" not in t.index  # 2D: no instantons
    # a second run refuses to overwrite; --force replaces
    assert main(["model", "check-action", str(model), "--data", str(data), "--residuals", "0",
                 "--out", str(out)]) != 0
    assert main(["model", "check-action", str(model), "--data", str(data), "--residuals", "0",
                 "--force", "--out", str(out)]) == 0


def test_instantons_of_a_4d_action(tmp_path):
    _, data = _fp_data(tmp_path, "2,2,2,2", n_configs=1)
    model = _model(tmp_path / "w4.pt", 4, 2)
    rows = check_action_model(model, data, ActionCheckParams(residuals=0, rho=(2.0,),
                                                             instanton_size=12))
    inst = {r["check"]: r for r in rows}["instanton_rho2"]
    assert inst["value"] == pytest.approx(0.946, abs=0.01) and inst["passed"] is False


def test_bad_inputs_are_one_line_errors(data_2d, tmp_path, capsys):
    ens, data = data_2d
    model = _model(tmp_path / "w.pt", 2, 2)
    plain = tmp_path / "plain.h5"
    assert main(["dataset", "build", "--inputs", str(ens), "--no-progress", "--out",
                 str(plain)]) == 0
    cases = [
        ([str(model), "--data", str(ens)], "gauge-ensemble"),  # not a dataset
        ([str(model), "--data", str(plain)], "fixed-point"),  # a dataset without the targets
        ([str(tmp_path / "none.pt"), "--data", str(data)], "none.pt"),
        ([str(model), "--data", str(data), "--rho", "0"], "--rho"),
        ([str(model), "--data", str(data), "--instanton-size", "9"], "--instanton-size"),
        ([str(model), "--data", str(data), "--goal", "1.5"], "--goal"),
        ([str(model), "--data", str(data), "--out", str(data)], "destroy the input"),
    ]
    for argv, expected in cases:
        capsys.readouterr()
        out = [] if "--out" in argv else ["--out", str(tmp_path / "c.csv")]
        assert main(["model", "check-action", *argv, *out]) != 0
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and expected in err[0], (argv, err)
    assert not (tmp_path / "c.csv").exists()
