"""The target catalogue: one declaration per target, read by every consumer."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from latticeml.catalog import targets as catalog
from latticeml.cli import main
from latticeml.data import GaugeDatasetParams, build_gauge_dataset, seal, write_gauge_ensemble
from latticeml.errors import FileFormatError, ParameterError
from latticeml.gauge import plaquette
from latticeml.gauge.transform import haar_links
from latticeml.observables import polyakov_correlator
from latticeml.train.data import load_gauge_split

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())

EXAMPLES = {  # one member of every family, with its parameters
    "W_2x3": ("wilson_loop", (2, 3)),
    "polyakov_corr_r2": ("polyakov_correlator", (2,)),
    "polyakov_loop": ("polyakov_loop", ()),
    "topological_charge_density": ("topological_charge_density", ()),
    "n": ("n", ()),
    "phi2": ("phi2", ()),
    "flux_violated": ("flux_violated", ()),
    "open_worms": ("open_worms", ()),
    "fixed_point_action": ("fixed_point_action", ()),
    "fixed_point_derivative": ("fixed_point_derivative", ()),
    "fixed_point_grad_norm": ("fixed_point_grad_norm", ()),
}


def test_every_family_has_an_example_and_names_round_trip():
    assert {fam for fam, _ in EXAMPLES.values()} == {f.name for f in catalog.FAMILIES}
    for name, (family, params) in EXAMPLES.items():
        t = catalog.lookup(name)
        assert t is not None and t.family.name == family and t.params == params
        assert t.family.target_name(*params) == name
        # no other family claims the name
        assert [f.name for f in catalog.FAMILIES if f.match(name) is not None] == [family]
    for unknown in ("W_2", "W_axb", "polyakov_corr_r", "phi", "nn", "W_1x1 "):
        assert catalog.lookup(unknown) is None


def test_trainable_and_task():
    assert [n for n in EXAMPLES if catalog.trainable(n)] == [
        "W_2x3", "polyakov_corr_r2", "topological_charge_density", "n", "phi2", "flux_violated",
        "fixed_point_action"]
    assert not catalog.trainable("polyakov_loop")  # one value per spatial site, not per site
    assert not catalog.trainable("unknown")
    assert [n for n in EXAMPLES if catalog.task_of(n) == "classification"] == ["flux_violated"]
    assert [n for n in EXAMPLES if catalog.task_of(n) == "action"] == ["fixed_point_action"]


def test_labels_and_order():
    assert catalog.target_label("W_2x2") == r"$W_{2\times 2}$"
    assert catalog.target_label("polyakov_corr_r3") == "$C_P(r=3)$"
    assert catalog.target_label("something") == "something"
    names = ["polyakov_corr_r2", "W_4x4", "n", "W_1x2", "W_2x1", "W_1x1", "polyakov_corr_r1"]
    assert sorted(names, key=catalog.target_sort_key) == [
        "W_1x1", "W_1x2", "W_2x1", "W_4x4", "polyakov_corr_r1", "polyakov_corr_r2", "n"]


def test_dataset_targets_flags_and_misfits():
    options = {"loops": [[1, 1], [2, 2]], "polyakov_separations": [1, 3]}
    assert catalog.gauge_dataset_targets(options, 2) == (
        "W_1x1", "W_2x2", "polyakov_corr_r1", "polyakov_corr_r3", "polyakov_loop")
    assert catalog.gauge_dataset_targets(options, 4)[-1] == "topological_charge_density"
    fp = ("fixed_point_action", "fixed_point_derivative", "fixed_point_grad_norm")
    for on in ({"enabled": True}, True):  # the config's section, a dataset's parameters
        assert catalog.gauge_dataset_targets({**options, "fixed_point": on}, 2)[-3:] == fp
    assert not set(fp) & set(catalog.gauge_dataset_targets(
        {**options, "fixed_point": {"enabled": False}}, 2))
    assert catalog.gauge_option_flags(options) == [
        "--loops", "1x1,2x2", "--polyakov-separations", "1,3"]
    assert catalog.gauge_option_flags({"loops": [[1, 2]]}) == ["--loops", "1x2"]
    assert catalog.misfits(options, (8, 8)) == []
    bad = catalog.misfits(options, (8, 4))
    assert [f.option for f, _ in bad] == ["polyakov_separations"] and "r <= 2" in bad[0][1]
    assert [f.option for f, _ in catalog.misfits(options, (1, 8))] == ["loops"]
    assert catalog.parse_members(catalog.WILSON_LOOP, "1x1, 2x3") == ((1, 1), (2, 3))
    with pytest.raises(ValueError, match="sizes like"):
        catalog.parse_members(catalog.WILSON_LOOP, "1x1,2")
    with pytest.raises(ValueError, match="integers like"):
        catalog.parse_members(catalog.POLYAKOV_CORRELATOR, "1x2")


def test_every_listed_family_is_declared_in_schema_params_and_cli():
    """The consumers that still spell an option (schema, params dataclass) agree with it."""
    props = SCHEMA["properties"]["datasets"]["properties"]["gauge"]["properties"]
    params = {f.name for f in fields(GaugeDatasetParams)}
    for fam in catalog.GAUGE_FAMILIES:
        assert props[fam.option]["type"] == "array", fam.option
        assert fam.option in params, fam.option
        assert fam.flag == "--" + fam.option.replace("_", "-") or fam.option == "loops"
    listed = {k for k, v in props.items() if v.get("type") == "array"}
    assert listed == {f.option for f in catalog.GAUGE_FAMILIES}


def test_catalogue_needs_neither_numpy_nor_torch():
    code = ("import sys, latticeml.catalog; "
            "print(sorted(m for m in ('torch', 'numba', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


# ---- the Polyakov-loop correlator through stage 2 and the training reader ------------------


def _ensemble(path, *, beta, n, shape, seed):
    rng = np.random.default_rng(seed)
    links = np.stack([haar_links(rng, shape, 2) for _ in range(n)])
    write_gauge_ensemble(path, arrays={"links": links, "plaquette": plaquette(links)},
                         attrs=dict(group="su2", n_colors=2, shape=shape, beta=beta, seed=seed,
                                    algorithm="heatbath", n_therm=0, n_skip=1))
    return links


def test_correlator_dataset_cli_reader_and_tamper_check(tmp_path, capsys):
    src = tmp_path / "e.h5"
    links = _ensemble(src, beta=0.01, n=6, shape=(4, 6), seed=3)
    out = tmp_path / "d.h5"
    assert main(["dataset", "build", "--inputs", str(src), "--loops", "1x1",
                 "--polyakov-separations", "1,3", "--no-progress", "--out", str(out)]) == 0
    with h5py.File(out) as f:
        stored = f["targets/polyakov_corr_r3"][()]
        assert f["targets/polyakov_corr_r3"].attrs["layout"] == "(sample, *shape)"
        assert set(f["targets"]) == {"W_1x1", "polyakov_corr_r1", "polyakov_corr_r3",
                                     "polyakov_loop"}
    assert np.array_equal(stored, polyakov_correlator(links, 3))
    split = load_gauge_split(out, "polyakov_corr_r1", dtype="float64")
    assert split.target.shape == (6, 4, 6)
    assert np.array_equal(split.target.numpy(), polyakov_correlator(links, 1))
    with pytest.raises(ParameterError, match="per-site target"):
        load_gauge_split(out, "polyakov_loop")
    # targets replaced (digests resealed): the reader recomputes them and refuses
    with h5py.File(out, "a") as f:
        f["targets/polyakov_corr_r1"][...] = np.roll(f["targets/polyakov_corr_r1"][()], 1, 0)
        seal(f)
    with pytest.raises(FileFormatError, match="polyakov_corr_r1"):
        load_gauge_split(out, "polyakov_corr_r1", dtype="float64")
    # a separation that does not fit: one line, before any file is written
    code = main(["dataset", "build", "--inputs", str(src), "--polyakov-separations", "3,4",
                 "--out", str(tmp_path / "x.h5")])
    err = capsys.readouterr().err
    assert code != 0 and "--polyakov-separations" in err and "r <= 3" in err
    assert not (tmp_path / "x.h5").exists()
    with pytest.raises(SystemExit) as exit_:  # argparse: usage line, exit status 2
        main(["dataset", "build", "--inputs", str(src), "--polyakov-separations", "1x2",
              "--out", str(tmp_path / "x.h5")])
    assert exit_.value.code == 2 and "integers like" in capsys.readouterr().err


def test_params_refuse_bad_separations(tmp_path):
    for bad in ((0,), (1, 1), (True,), (1.5,)):
        with pytest.raises(ParameterError, match="--polyakov-separations"):
            GaugeDatasetParams(sources=("a.h5",), polyakov_separations=bad)
    src = tmp_path / "e.h5"
    _ensemble(src, beta=0.01, n=2, shape=(4, 4), seed=1)
    with pytest.raises(ParameterError, match="--polyakov-separations"):
        build_gauge_dataset(GaugeDatasetParams(sources=(str(src),), polyakov_separations=(3,)),
                            tmp_path / "d.h5")
    assert not (tmp_path / "d.h5").exists()
