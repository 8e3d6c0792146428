"""Loop expansion of L-CNNs with weights: exactness, gauge invariance, hand-built networks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from latticeml.errors import ParameterError
from latticeml.loops.evaluate import (
    evaluate_expansion,
    haar_links,
    path_product,
    relative_residual,
    trace_word,
)
from latticeml.loops.expand import (
    COLUMNS,
    expand,
    expand_file,
    load_float64,
    positioned_loop,
    terms_table,
)
from latticeml.loops.report import network_output, verify_expansion
from latticeml.loops.words import inverse, is_closed, rectangle, transport
from latticeml.nn import build_model
from latticeml.testing import gauge_transform_links, random_gauge_transformation

ROOT = Path(__file__).resolve().parents[2]
SU2_W2X2 = ROOT / "docs/results/lcnn-su2-2d/models/W_2x2_W2x2-small.pt"
SU3_W2X2 = ROOT / "docs/results/lcnn-su3-2d/models/W_2x2_W2x2-small.pt"
TRAINED = sorted((ROOT / "docs/results").glob("lcnn-su*-2d/models/W_*_W*.pt"))


def _random_net(spec: dict, seed: int):
    torch.manual_seed(seed)
    return build_model({**spec, "dtype": "float64"}).eval()


# ---------------------------------------------------------------- the evaluator


def test_evaluator_against_wilson_loops_and_plaquettes():
    from latticeml.nn.functional import plaquettes
    from latticeml.observables.wilson import wilson_loops

    links = haar_links(2, (6, 4), 3, seed=1)
    p = path_product(links, "abAB")
    ref = plaquettes(torch.from_numpy(links))[:, 0].numpy()
    assert np.abs(p - ref).max() < 1e-13
    w = trace_word(links, rectangle(2, 3)).real / 3
    assert np.abs(w - wilson_loops(links, 2, 3)[:, 0]).max() < 1e-13
    # the base shifts the start: Tr abAB(x + (1, 2)) is the plaquette at x + (1, 2)
    shifted = trace_word(links, "abAB", (1, 2))
    assert np.abs(shifted - np.roll(trace_word(links, "abAB"), (-1, -2), axis=(1, 2))).max() \
        < 1e-13


def test_su2_mandelstam_and_cayley_hamilton_hold_for_the_evaluator():
    links = haar_links(3, (6, 6), 2, seed=2)
    a = "abAB"
    b = transport("abAB", 1, 2)  # a plaquette two steps up, brought to x
    ab, abd = a + b, a + inverse(b)
    lhs = trace_word(links, a) * trace_word(links, b)
    rhs = trace_word(links, ab) + trace_word(links, abd)
    assert np.abs(lhs - rhs).max() < 1e-12
    # W^2 = Tr(W) W - 1  =>  Tr W^2 = (Tr W)^2 - 2
    w = rectangle(1, 2)
    assert np.abs(trace_word(links, w + w) - (trace_word(links, w) ** 2 - 2)).max() < 1e-12
    assert np.abs(trace_word(links, w).imag).max() < 1e-13  # SU(2) traces are real


# ---------------------------------------------------------------- positioned loops


def test_positioned_loop_forgets_rotation_and_tail_and_keeps_position():
    w = rectangle(2, 1)
    key, base, sign = positioned_loop(w, 2)
    for i in range(len(w)):  # rotation = the same loop walked from another vertex
        rot = w[i:] + w[:i]
        start = np.zeros(2, int)
        for c in w[:i]:
            start[ord(c.lower()) - ord("a")] += 1 if c.islower() else -1
        lasso = "a" * start[0] + "b" * start[1] + rot + "B" * start[1] + "A" * start[0]
        from latticeml.loops.words import reduce_word

        assert positioned_loop(reduce_word(lasso), 2) == (key, base, sign)
    k2, b2, s2 = positioned_loop(transport(w, 0, 3), 2)  # translated by 3 along axis 0
    assert k2 == key and b2 == (base[0] + 3, base[1]) and s2 == sign
    ki, bi, si = positioned_loop(inverse(w), 2)  # other orientation: same row, conjugate
    assert ki == key and si == -sign
    assert positioned_loop("", 2) == ("", (0, 0), 1)


# ---------------------------------------------------------------- exactness


CASES = [
    ({"preset": "W2x2-small"}, 2),
    ({"preset": "W2x2-small", "offsets": "symmetric"}, 2),
    ({"preset": "W2x2-small"}, 3),
    ({"preset": "W2x2-small", "offsets": "symmetric"}, 3),
    ({"preset": "W2x2-small-published"}, 2),
    ({"preset": "W1x2-medium", "dilations": 2, "unit": False}, 3),
    ({"preset": "W1x1", "head": "mean"}, 2),
    ({"kind": "gauge_net", "layers": [
        {"type": "lconv", "out_channels": 2, "kernel_size": 2, "offsets": "symmetric",
         "unit": True},
        {"type": "lbilin", "out_channels": 1, "with": "input"},
        {"type": "lbilin", "out_channels": 2, "with": "self", "conjugates": False}]}, 3),
]


@pytest.mark.parametrize(("spec", "n"), CASES)
def test_expansion_reproduces_random_weight_networks(spec, n):
    net = _random_net({**spec, "group": f"su{n}"}, seed=n + len(str(spec)))
    table = expand(net, mean=0.3, std=1.7)
    assert list(table.columns) == list(COLUMNS)
    links = haar_links(2, (6, 6), n, seed=11)
    y = evaluate_expansion(table, links)
    if table.attrs["pooled"]:
        y = y.reshape(2, -1).mean(1)
    ref = network_output(net, links) * 1.7 + 0.3
    assert relative_residual(y, ref) < 1e-10
    # another lattice size, same table (no layer knows the lattice size)
    links = haar_links(1, (4, 8), n, seed=12)
    y = evaluate_expansion(table, links)
    if table.attrs["pooled"]:
        y = y.reshape(1, -1).mean(1)
    assert relative_residual(y, network_output(net, links) * 1.7 + 0.3) < 1e-10


def test_expansion_in_four_dimensions():
    spec = {"kind": "lcnn", "dim": 4, "group": "su3", "channels": [1], "kernel_sizes": [2],
            "offsets": "symmetric"}
    net = _random_net(spec, seed=0)
    table = expand(net)
    assert table["area"].isna().any() and (table["area"].dropna() != 0).any()  # non-planar
    links = haar_links(1, (4, 4, 4, 4), 3, seed=1)
    assert relative_residual(evaluate_expansion(table, links), network_output(net, links)) \
        < 1e-10


@pytest.mark.parametrize("path", TRAINED, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_expansion_reproduces_trained_models(path):
    model, content = load_float64(path)
    if "W4x4" in path.name:  # the complete expansion exceeds the product bound: typed refusal
        from latticeml.loops import TooManyTermsError

        with pytest.raises(TooManyTermsError):
            expand(model)
        return
    table = expand(model)
    n = table.attrs["n_colors"]
    links = haar_links(3, (8, 8), n, seed=5)
    assert verify_expansion(table, model, links) < 1e-10
    assert table.attrs["mean"] == content["normalisation"]["mean"]


def test_expansion_terms_are_closed_and_gauge_invariant():
    table = expand_file(SU3_W2X2)
    n = 3
    links = haar_links(2, (6, 6), n, seed=3)
    omega = random_gauge_transformation(2, (6, 6), n,
                                        generator=torch.Generator().manual_seed(4)).numpy()
    moved = gauge_transform_links(torch.from_numpy(links), torch.from_numpy(omega)).numpy()
    worst = 0.0
    for word, base in zip(table["word"], table["base"], strict=True):
        word = word if isinstance(word, str) else ""
        assert is_closed(word)
        b = tuple(int(v) for v in base.split(","))
        worst = max(worst, float(np.abs(trace_word(links, word, b)
                                        - trace_word(moved, word, b)).max()))
    assert worst < 1e-12
    assert relative_residual(evaluate_expansion(table, moved),
                             evaluate_expansion(table, links)) < 1e-12


def test_csv_round_trip(tmp_path):
    import pandas as pd

    table = expand_file(SU2_W2X2)
    table.to_csv(tmp_path / "t.csv", index=False)
    back = pd.read_csv(tmp_path / "t.csv", keep_default_na=False, na_values=[])
    links = haar_links(1, (6, 6), 2, seed=6)
    assert relative_residual(evaluate_expansion(back, links),
                             evaluate_expansion(table, links)) < 1e-14
    back2 = pd.read_csv(tmp_path / "t.csv")  # "" read as NaN: still the constant
    assert relative_residual(evaluate_expansion(back2, links),
                             evaluate_expansion(table, links)) < 1e-14


# ---------------------------------------------------------------- hand-built networks


def _one_loop_net(n: int):
    """W1x2-small with weights such that output(x) = Re Tr[abbABB](x) (the 1x2 loop)."""
    net = build_model({"preset": "W1x2-small", "group": f"su{n}", "dtype": "float64"})
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        layer = net.layers[0]
        a_labels, t_labels = layer.channel_labels()
        a = a_labels.index(("W", 0, False))  # the plaquette at x ...
        t = t_labels.index(("T", 0, 1, 1, False))  # ... times the one at x + b, transported
        layer.weight[0, a, t] = 1.0
        net.head.net[0].weight[0, 0] = 1.0  # Re Tr of channel 0
    return net.eval()


@pytest.mark.parametrize("n", [2, 3])
def test_hand_built_network_is_exactly_one_loop(n):
    net = _one_loop_net(n)
    table = expand(net)
    body = table.iloc[1:]
    assert len(body) == 1
    row = body.iloc[0]
    assert (row["word"], row["base"], row["length"], row["area"]) == ("abbABB", "0,0", 6, 2.0)
    assert row["re"] == 1.0 and row["im"] == 0.0 and table["re"].iat[0] == 0.0
    assert rectangle(1, 2) == "abbABB"
    links = haar_links(2, (4, 6), n, seed=8)
    np.testing.assert_allclose(network_output(net, links), trace_word(links, "abbABB").real,
                               rtol=0, atol=1e-13)


def test_terms_table_merges_rotations_orientations_and_translations():
    w = rectangle(2, 2)
    table = terms_table({w: 0.5, w[3:] + w[:3]: 0.25, inverse(w): 0.25, "": 1.0},
                        n_colors=2, imag={w: 1.0, inverse(w): 1.0})
    assert len(table) == 3  # constant; the 2x2 loop at x; the rotated one based elsewhere
    at_x = table[(table["word"] == w) & (table["base"] == "0,0")].iloc[0]
    assert at_x["re"] == 0.75 and at_x["im"] == 0.0  # Im Tr W + Im Tr W^dagger = 0
    assert table["re"].iat[0] == 1.0 and table.attrs["constant"] == 2.0  # Re Tr 1 = N


# ---------------------------------------------------------------- negative controls


def test_verification_detects_a_perturbed_coefficient():
    model, _ = load_float64(SU2_W2X2)
    table = expand(model)
    links = haar_links(2, (8, 8), 2, seed=9)
    assert verify_expansion(table, model, links) < 1e-10
    bad = table.copy()
    bad.attrs = dict(table.attrs)
    k = int(np.argsort(-bad["re"].abs().to_numpy())[5])  # a mid-sized term
    bad.loc[k, "re"] *= 1 + 1e-6
    assert verify_expansion(bad, model, links) > 1e-9
    dropped = table.drop(index=table.index[-1])  # the smallest term
    dropped.attrs = dict(table.attrs)
    assert verify_expansion(dropped, model, links) > 1e-13
    moved = table.copy()
    moved.attrs = dict(table.attrs)
    moved.loc[1, "base"] = "1,0"  # the largest term at the wrong site
    assert verify_expansion(moved, model, links) > 1e-2


def test_wrong_im_sign_is_detected_for_su3():
    net = _random_net({"preset": "W1x2-small", "group": "su3"}, seed=1)
    table = expand(net)
    links = haar_links(2, (6, 6), 3, seed=2)
    assert verify_expansion(table, net, links) < 1e-10
    flipped = table.copy()
    flipped.attrs = dict(table.attrs)
    flipped["im"] = -flipped["im"]
    assert verify_expansion(flipped, net, links) > 1e-3


# ---------------------------------------------------------------- refusals


def test_non_polynomial_networks_are_refused():
    with pytest.raises(ParameterError, match="L-Act"):
        expand(build_model({"preset": "W2x2-small", "activation": "sigmoid"}))
    with pytest.raises(ParameterError, match="hidden"):
        expand(build_model({"preset": "W2x2-small", "hidden": [4]}))
    with pytest.raises(ParameterError, match="Polyakov"):
        expand(build_model({"preset": "W2x2-small", "polyakov": True}))
    with pytest.raises(ParameterError):
        expand(build_model({"kind": "cnn", "channels": [2], "kernel_sizes": 3}))
    with pytest.raises(ParameterError, match="lexp"):
        expand(build_model({"kind": "gauge_net", "layers": [{"type": "lexp"}]}))
    with pytest.raises(ParameterError):
        expand(build_model({"preset": "W2x2-small", "head": "max"}))


def test_too_many_products_is_a_typed_error():
    from latticeml.loops import TooManyTermsError

    net = _random_net({"preset": "W2x2-small"}, seed=0)
    with pytest.raises(TooManyTermsError):
        expand(net, max_pairs=100)
