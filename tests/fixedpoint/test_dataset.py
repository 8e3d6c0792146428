"""Fixed-point targets in gauge datasets: values equal to the minimiser's, verified on reading,
a damaged derivative refused, flags from the command line and the workflow config."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

from latticeml.cli import main
from latticeml.data import describe_dataset
from latticeml.data.checksum import seal
from latticeml.data.ensembles import read_gauge_ensemble
from latticeml.data.physics import algebra_problem
from latticeml.errors import FileFormatError
from latticeml.fixedpoint import Blocking, MinimiseParams, fixed_point_value, wilson_units

ARGS = ["gauge", "generate", "--group", "su2", "--shape", "4,4", "--n-configs", "2",
        "--n-therm", "20", "--n-skip", "2", "--no-progress"]


@pytest.fixture(scope="module")
def fp_dataset(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fp")
    ens = []
    for beta, seed in (("2.0", "3"), ("4.0", "4")):
        path = tmp / f"e{beta}.h5"
        assert main([*ARGS, "--beta", beta, "--seed", seed, "--out", str(path)]) == 0
        ens.append(path)
    out = tmp / "fp.h5"
    assert main(["dataset", "build", "--inputs", *map(str, ens), "--fixed-point", "--fp-kappa",
                 "3", "--fp-tol", "1e-6", "--no-progress", "--out", str(out)]) == 0
    return ens, out


def test_targets_are_the_minimisers_values(fp_dataset):
    ens, out = fp_dataset
    with h5py.File(out) as f:
        action = f["targets/fixed_point_action"][()]
        deriv = f["targets/fixed_point_derivative"][()]
        grad = f["targets/fixed_point_grad_norm"][()]
    assert action.shape == (4,) and deriv.shape == (4, 4, 4, 2, 2, 2)
    links = read_gauge_ensemble(ens[1])[0]["links"]
    r = fixed_point_value(torch.from_numpy(links[1]), wilson_units, Blocking(0.05, 3.0),
                          MinimiseParams(tol=1e-6))
    assert action[3] == pytest.approx(r.value, rel=1e-12)
    np.testing.assert_allclose(deriv[3], r.derivative.numpy(), atol=1e-12)
    assert (action > 0).all() and (grad < 1e-6).all()
    assert algebra_problem(deriv) is None


def test_inspect_verifies_and_lists_the_targets(fp_dataset):
    text = describe_dataset(fp_dataset[1])
    for name in ("fixed_point_action", "fixed_point_derivative", "fixed_point_grad_norm"):
        assert name in text
    assert '"fp_kappa": 3.0' in text


def _tampered(src, dst, change):
    dst.write_bytes(src.read_bytes())
    with h5py.File(dst, "r+") as f:
        change(f)
        seal(f)  # a recomputed digest: only the value checks can see it
    return dst


def test_a_derivative_outside_the_algebra_is_refused(fp_dataset, tmp_path):
    def hermitian_part(f):
        d = f["targets/fixed_point_derivative"][()]
        d[2, 1, 1, 0] += np.eye(2) * 1e-3  # a trace: not in su(2)
        f["targets/fixed_point_derivative"][...] = d

    bad = _tampered(fp_dataset[1], tmp_path / "bad.h5", hermitian_part)
    with pytest.raises(FileFormatError, match=r"fixed_point_derivative: row 2 .*su\(N\)"):
        describe_dataset(bad)


def test_a_negative_action_is_refused(fp_dataset, tmp_path):
    def negative(f):
        a = f["targets/fixed_point_action"][()]
        a[1] = -0.5
        f["targets/fixed_point_action"][...] = a

    bad = _tampered(fp_dataset[1], tmp_path / "neg.h5", negative)
    with pytest.raises(FileFormatError, match="fixed_point_action: row 1 has values outside"):
        describe_dataset(bad)


def test_algebra_problem_negative_control():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(3, 5, 2, 2)) + 1j * rng.normal(size=(3, 5, 2, 2))
    ah = 0.5 * (m - np.swapaxes(m.conj(), -1, -2))
    ah -= np.trace(ah, axis1=-2, axis2=-1)[..., None, None] / 2 * np.eye(2)
    assert algebra_problem(ah) is None
    assert algebra_problem(m)[0] == 0  # a general matrix is not in su(N)
    assert algebra_problem(ah.real.astype(float))[0] == 0  # not complex at all


@pytest.mark.parametrize("argv, flag", [
    (["--fp-kappa", "0"], "--fp-kappa"), (["--fp-tol", "-1"], "--fp-tol"),
    (["--fp-c", "nan"], "--fp-c")])
def test_bad_fixed_point_flags_are_one_line_errors(fp_dataset, tmp_path, capsys, argv, flag):
    out = tmp_path / "x.h5"
    argv = ["dataset", "build", "--inputs", str(fp_dataset[0][0]), "--fixed-point", *argv,
            "--no-progress", "--out", str(out)]
    try:
        code = main(argv)
    except SystemExit as exit_:  # refused by the parser (not a finite number)
        code = exit_.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and flag in err[0] and not out.exists()
