"""Parameter validation of GaugeParams: each bad input names its CLI flag."""

from __future__ import annotations

import pytest

from latticeml.errors import ParameterError
from latticeml.gauge import GaugeParams

GOOD = dict(group="su2", shape=(4, 4), beta=2.0, n_configs=2, n_therm=0, n_skip=1, seed=1)


def test_good_parameters_are_normalised():
    p = GaugeParams(**{**GOOD, "shape": [4, 6], "group": "SU3", "beta": 3})
    assert p.shape == (4, 6) and p.group == "su3" and p.n_colors == 3
    assert isinstance(p.beta, float)
    assert p.n_sweeps == 2
    with pytest.raises(AttributeError):
        p.beta = 1.0  # frozen


@pytest.mark.parametrize(
    ("change", "flag"),
    [
        ({"group": "su4"}, "--group"),
        ({"group": 3}, "--group"),
        ({"shape": (4, 5)}, "--shape"),
        ({"shape": (4,)}, "--shape"),
        ({"shape": (2, 2, 2, 2, 2)}, "--shape"),
        ({"shape": "abc"}, "--shape"),
        ({"beta": -0.1}, "--beta"),
        ({"beta": float("nan")}, "--beta"),
        ({"beta": "x"}, "--beta"),
        ({"n_configs": 0}, "--n-configs"),
        ({"n_configs": 1.5}, "--n-configs"),
        ({"n_therm": -1}, "--n-therm"),
        ({"n_skip": 0}, "--n-skip"),
        ({"seed": -3}, "--seed"),
        ({"seed": 2**64}, "--seed"),
        ({"algorithm": "langevin"}, "--algorithm"),
        ({"n_overrelax": -1}, "--overrelax"),
        ({"metropolis_hits": 0}, "--metropolis-hits"),
        ({"metropolis_step": -1.0}, "--metropolis-step"),
        ({"start": "warm"}, "--start"),
        ({"threads": 0}, "--threads"),
        ({"backend": "gpu"}, "--backend"),
        ({"backend": None}, "--backend"),
        ({"n_configs": True}, "--n-configs"),
    ],
)
def test_bad_parameters_name_the_flag(change, flag):
    with pytest.raises(ParameterError) as err:
        GaugeParams(**{**GOOD, **change})
    assert err.value.name == flag
    assert flag in str(err.value)


def test_chain_parameters_are_split_from_the_run_counts():
    """A chain needs no run counts; a generation is a chain plus its counts."""
    import dataclasses

    import numpy as np

    from latticeml.gauge import ChainParams, GaugeChain, generate_ensemble

    chain_fields = {f.name for f in dataclasses.fields(ChainParams)}
    assert not chain_fields & {"n_configs", "n_therm", "n_skip"}
    p = GaugeParams(group="SU2", shape=[4, 4], beta=2, n_configs=2, n_therm=3, n_skip=2,
                    seed=5, threads=1)
    assert p.chain == ChainParams(group="su2", shape=(4, 4), beta=2.0, seed=5, threads=1)
    with pytest.raises(ParameterError, match="--beta"):
        ChainParams(group="su2", shape=(4, 4), beta=-1.0, seed=0)
    # the chain of a generation is the chain of its ChainParams: same stream, same links
    a, b = GaugeChain.from_params(p), GaugeChain.from_params(p.chain)
    c = GaugeChain("su2", (4, 4), 2.0, 5, threads=1)
    assert a.params == b.params == c.params == p.chain
    for chain in (a, b, c):
        chain.sweep(3)
    assert np.array_equal(a.links, b.links) and np.array_equal(a.links, c.links)
    ens = generate_ensemble(p)
    chain = GaugeChain.from_params(p.chain)
    chain.sweep(p.n_therm + p.n_skip)
    assert np.array_equal(ens.links[0], chain.links)


def test_schema_ensemble_keys_are_generation_options_of_the_same_type():
    """The config's gauge ensemble keys spell GaugeParams options (flag names) and types."""
    from pathlib import Path

    import yaml

    from latticeml.fields import cli_options

    schema = yaml.safe_load((Path(__file__).resolve().parents[2]
                             / "workflow/schemas/config.schema.yaml").read_text())
    props = schema["properties"]["gauge"]["properties"]["ensembles"]["items"]["properties"]
    opts = {o.flag[2:].replace("-", "_"): o for o in cli_options(GaugeParams)}
    json_type = {"int": "integer", "float": "number", "str": "string",
                 "tuple[int, ...]": "array"}
    per_ensemble = {"name", "betas", "splits", "import"}  # one job per beta and split
    for key, prop in props.items():
        if key in per_ensemble:
            continue
        assert key in opts, f"gauge.ensembles[].{key} is no GaugeParams option"
        assert prop["type"] == json_type[opts[key].type], key
        if opts[key].choices and "enum" in prop:
            assert set(prop["enum"]) <= set(opts[key].choices), key
    backend = schema["properties"]["gauge"]["properties"]["backend"]
    assert tuple(backend["enum"]) == opts["backend"].choices
