"""Training an L-CNN action on values and derivatives (issue 28, item 2).

The trainer's action task is tested on a target it can represent exactly: the Wilson action in
fixed-point units, ``A_W = sum_p (1 - Re Tr U_p / N)``, and its su(N) derivative, stored as the
``fixed_point_*`` targets of a gauge dataset. One L-CB layer with a local term has the
plaquette trace in its span, so the trained action must equal the Wilson action on held-out
configurations, derivatives included; derivative targets that contradict the values must
keep the loss up (the negative control of the derivative term).
"""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

from latticeml.cli import main
from latticeml.data.checksum import seal
from latticeml.fixedpoint import algebra_gradient, wilson_units
from latticeml.hmc import ModelAction
from latticeml.nn import load_model
from latticeml.train import TrainParams, train
from latticeml.train.data import load_split
from latticeml.train.fit import action_outputs

GEN = ["gauge", "generate", "--group", "su2", "--shape", "4,4", "--n-therm", "10",
       "--n-skip", "2", "--no-progress"]
MODEL = {"kind": "action", "dim": 2, "group": "su2", "channels": [2], "kernel_sizes": [1]}


def _wilson_dataset(tmp, name, betas, n, seed):
    ens = []
    for i, beta in enumerate(betas):
        path = tmp / f"{name}_{beta}.h5"
        assert main([*GEN, "--beta", str(beta), "--n-configs", str(n), "--seed",
                     str(seed + i), "--out", str(path)]) == 0
        ens.append(str(path))
    out = tmp / f"{name}.h5"
    assert main(["dataset", "build", "--inputs", *ens, "--no-progress", "--out", str(out)]) == 0
    with h5py.File(out, "r+") as f:
        links = torch.from_numpy(f["inputs/links"][()])
        action = np.array([float(wilson_units(u)) for u in links])
        deriv = np.stack([algebra_gradient(wilson_units, u).numpy() for u in links])
        f.create_dataset("targets/fixed_point_action", data=action, chunks=True,
                         fletcher32=True)
        f.create_dataset("targets/fixed_point_derivative", data=deriv, chunks=True,
                         fletcher32=True)
        f.create_dataset("targets/fixed_point_grad_norm", data=np.zeros(len(action)),
                         chunks=True, fletcher32=True)
        seal(f)
    return out


@pytest.fixture(scope="module")
def wilson_data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("action")
    betas = (0.5, 1.5, 3.0)
    return (_wilson_dataset(tmp, "train", betas, 8, 10),
            _wilson_dataset(tmp, "val", betas, 4, 20),
            _wilson_dataset(tmp, "test", betas, 4, 30))


def _params(train_file, val_file, out, **kw):
    base = dict(train=str(train_file), val=str(val_file), target="fixed_point_action",
                model=MODEL, epochs=3, batch_size=8, lr=1e-2, dtype="float64", patience=0,
                lbfgs_steps=15, lbfgs_max_iter=30, seed=3, threads=1, out=str(out))
    return TrainParams(**{**base, **kw})


def _errors(model_file, test_file):
    model = load_model(model_file)
    test = load_split(test_file, "fixed_point_action", dtype="float64")
    with torch.no_grad():
        out = action_outputs(model, test.inputs)
    rel_a = float(((out[:, 0] - test.target[:, 0]).abs() / test.target[:, 0]).max())
    rel_d = float((out[:, 1:] - test.target[:, 1:]).norm() / test.target[:, 1:].norm())
    return model, rel_a, rel_d


def test_the_wilson_action_is_learned_with_its_derivatives(wilson_data, tmp_path):
    train_file, val_file, test_file = wilson_data
    train(_params(train_file, val_file, tmp_path / "both"), progress=False)
    model, rel_a, rel_d = _errors(tmp_path / "both" / "model.pt", test_file)
    assert model.task == "action"
    assert rel_a < 1e-6 and rel_d < 1e-6
    # pure gauge: zero action exactly (the vacuum subtraction), as HMC's action
    unit = torch.eye(2, dtype=torch.complex128).expand(4, 4, 2, 2, 2).contiguous()
    assert abs(float(ModelAction(model)(unit))) < 1e-12


def test_the_derivative_term_is_in_the_loss(wilson_data, tmp_path):
    """Negative control: derivative targets twice the true ones cannot be fitted together with
    the values (the loss stays large), while with derivative_weight 0 the same data fit."""
    train_file, val_file, _ = wilson_data
    doubled = tmp_path / "doubled.h5"
    doubled.write_bytes(train_file.read_bytes())
    with h5py.File(doubled, "r+") as f:
        f["targets/fixed_point_derivative"][...] = 2 * f["targets/fixed_point_derivative"][()]
        seal(f)
    both = train(_params(doubled, val_file, tmp_path / "both"), progress=False)
    values = train(_params(doubled, val_file, tmp_path / "values", derivative_weight=0.0),
                   progress=False)
    final = [r["train_loss"] for r in (both.history[-1], values.history[-1])]
    assert final[0] > 1e-3 and final[1] < 1e-10, final


def test_an_action_target_needs_an_action_model_and_vice_versa(wilson_data, tmp_path, capsys):
    train_file, val_file, _ = wilson_data
    base = ["model", "train", "--train", str(train_file), "--val", str(val_file),
            "--epochs", "1", "--no-progress"]
    code = main([*base, "--target", "fixed_point_action", "--model",
                 '{"kind": "lcnn", "dim": 2, "channels": [2]}', "--out", str(tmp_path / "a")])
    assert code == 2 and "an action model" in capsys.readouterr().err
    code = main([*base, "--target", "W_1x1", "--model", '{"kind": "action", "dim": 2, '
                 '"group": "su2", "channels": [2], "kernel_sizes": [1]}',
                 "--out", str(tmp_path / "b")])
    assert code == 2 and "an action target" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_dataset_without_the_derivative_is_refused(wilson_data, tmp_path, capsys):
    train_file, val_file, _ = wilson_data
    stripped = tmp_path / "stripped.h5"
    stripped.write_bytes(train_file.read_bytes())
    with h5py.File(stripped, "r+") as f:
        del f["targets/fixed_point_derivative"]
        seal(f)
    code = main(["model", "train", "--train", str(stripped), "--val", str(val_file),
                 "--target", "fixed_point_action", "--model", '{"kind": "action", "dim": 2, '
                 '"group": "su2", "channels": [2], "kernel_sizes": [1]}', "--epochs", "1",
                 "--no-progress", "--out", str(tmp_path / "c")])
    assert code == 2 and "fixed_point_derivative" in capsys.readouterr().err


def test_model_evaluate_refuses_an_action_model(wilson_data, tmp_path, capsys):
    train_file, val_file, test_file = wilson_data
    train(_params(train_file, val_file, tmp_path / "m", lbfgs_steps=1), progress=False)
    capsys.readouterr()
    code = main(["model", "evaluate", "--models", str(tmp_path / "m" / "model.pt"), "--test",
                 str(test_file), "--out", str(tmp_path / "e.csv"), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "action model" in err[0]
    assert not (tmp_path / "e.csv").exists()


@pytest.mark.slow  # minimisations with an L-CNN on the fine level: ~2 min on a free core
def test_the_next_step_of_the_scheme_uses_the_trained_action_on_the_fine_level(
        wilson_data, tmp_path):
    """A dataset built with --fp-fine-model: a model that learned the Wilson action gives the
    values of the Wilson fine action (to its fit), and refuses a model that is no action."""
    from latticeml.fixedpoint.dataset import fixed_point_targets
    from latticeml.train.data import load_split as load

    train_file, val_file, test_file = wilson_data
    train(_params(train_file, val_file, tmp_path / "w"), progress=False)
    links = load(test_file, "fixed_point_action", dtype="float64").inputs[:1].numpy()
    wilson = fixed_point_targets(links, 0.05, 3.0, 1e-6)
    learned = fixed_point_targets(links, 0.05, 3.0, 1e-6,
                                  fine_model=tmp_path / "w" / "model.pt")
    np.testing.assert_allclose(learned[0], wilson[0], rtol=1e-5)
    np.testing.assert_allclose(learned[1], wilson[1], atol=1e-5)
    out = tmp_path / "next.h5"
    one = tmp_path / "one.h5"
    assert main([*GEN, "--beta", "2.0", "--n-configs", "1", "--seed", "99", "--out",
                 str(one)]) == 0
    assert main(["dataset", "build", "--inputs", str(one), "--fixed-point", "--fp-kappa", "3",
                 "--fp-fine-model", str(tmp_path / "w" / "model.pt"), "--no-progress",
                 "--out", str(out)]) == 0
    with h5py.File(out) as f:
        assert "fp_fine_model_sha256" in f.attrs["params"]
