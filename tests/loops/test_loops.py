"""Symbolic loop algebra: words, layers, the published table, the Max column, can-express."""

from __future__ import annotations

import json

import pytest

from latticeml.errors import ParameterError
from latticeml.loops import (
    TALK_ARCHITECTURE,
    TALK_COUNTS,
    can_express,
    canonical_loop,
    count_loops,
    inverse,
    loop_content,
    max_loop_counts,
    minimal_architecture,
    multiply,
    rectangle,
    reduce_word,
    transport,
)
from latticeml.loops.census import closed_reduced_walks
from latticeml.loops.published import (
    PUBLISHED_ERRATA,
    PUBLISHED_MAX_LENGTH,
    PUBLISHED_PRESETS,
    PUBLISHED_TABLE,
    PUBLISHED_TOTALS,
    TALK_LOOPS,
)
from latticeml.loops.words import check_word, cyclic_reduce, signed_area
from tests.loops import reference

# ---------------------------------------------------------------- words


def test_free_and_cyclic_reduction():
    assert reduce_word("abBA") == ""
    assert reduce_word("aAbaB") == "baB"
    assert multiply("abAB", inverse("abAB")) == ""
    assert inverse("abAB") == "baBA"
    assert cyclic_reduce("aabABA") == "abAB"
    assert transport("abAB", 0, 1) == "aabABA"
    assert transport("abAB", 0, -1) == "bABa"


def test_canonical_loop_keeps_orientation_and_forgets_base_point():
    p = rectangle(1, 1)
    rots = {p[i:] + p[:i] for i in range(4)}
    assert len({canonical_loop(r) for r in rots}) == 1
    assert canonical_loop(p) != canonical_loop(inverse(p))
    assert canonical_loop(transport(p, 1, 3)) == canonical_loop(p)  # translation
    assert signed_area(p) == 1 and signed_area(inverse(p)) == -1


def test_check_word_rejects_open_paths_and_foreign_letters():
    with pytest.raises(ParameterError):
        check_word("ab", 2)
    with pytest.raises(ParameterError):
        check_word("acAC", 2)
    assert check_word("abBbAB", 2) == "abAB"


# ---------------------------------------------------------------- the published table


def _expected(column: str) -> dict[int, int]:
    cells = dict(PUBLISHED_TABLE[column])
    for (col, length), (_, computed) in PUBLISHED_ERRATA.items():
        if col == column:
            cells[length] = computed
    return cells


def _binned(counts: dict[int, int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for k, v in counts.items():
        key = min(k, 24)
        out[key] = out.get(key, 0) + v
    return out


@pytest.mark.parametrize("column", [c for c in PUBLISHED_PRESETS if c != "W1x1 S"])
def test_published_table_every_cell(column):
    content = loop_content(PUBLISHED_PRESETS[column])
    got = _binned(content.counts())
    expected = {k: v for k, v in _expected(column).items() if v}
    assert got == expected
    assert content.total == PUBLISHED_TOTALS[column]
    assert content.max_length == PUBLISHED_MAX_LENGTH[column]


def test_published_erratum_is_the_only_inconsistent_column():
    for column, total in PUBLISHED_TOTALS.items():
        printed = sum(PUBLISHED_TABLE[column].values())
        assert (printed != total) == (column == "W2x2 L")
    assert sum(_expected("W2x2 L").values()) == PUBLISHED_TOTALS["W2x2 L"]
    tail = sum(v for k, v in count_loops("W2x2-large").items() if k >= 24)
    assert tail == 7120 != PUBLISHED_TABLE["W2x2 L"][24]


def test_w1x1_column():
    # the printed column: the content of a network linear in the plaquette
    assert PUBLISHED_TABLE["W1x1 S"] == {0: 1, 2: 0, 4: 2}
    # the 12-parameter preset (A = T = [W, W^dagger, 1]) also has Tr U_p^2 and Tr U_p^dagger^2
    content = loop_content("W1x1")
    assert content.counts() == {0: 1, 4: 2, 8: 2}
    p = rectangle(1, 1)
    assert canonical_loop(p + p) in content.loops
    linear = {
        "kind": "symbolic",
        "plaq_conjugates": True,
        "layers": [{"type": "lconv", "out_channels": 1, "kernel_size": 1, "unit": True}],
    }
    assert count_loops(linear) == {0: 1, 4: 2}


def test_layer_term_counts_match_the_nn_weight_shapes():
    # L-CB formal terms per channel of the first layer = n_A * n_T of LConvBilin
    content = loop_content("W2x2-small")
    assert content.layer_terms[:2] == (1, 3 * 5)  # n_A = 2*1+1, n_T = 2*1*2*(2-1)+1
    pub = loop_content("W2x2-small-published")  # [W, W^dagger] input, local term
    assert pub.layer_channels[0] == 2 and pub.layer_terms[1] == 5 * (2 * 2 * 3 + 1)
    assert set(count_loops("W2x2-small")) <= set(pub.counts())


# ---------------------------------------------------------------- Max column


def test_max_column_matches_published():
    got = max_loop_counts(2, 12)
    for k, v in PUBLISHED_TABLE["Max"].items():
        assert got[k] == v


@pytest.mark.parametrize("n", range(0, 13))
def test_max_column_against_brute_force(n):
    assert max_loop_counts(2, n)[n] == reference.loop_classes(n)


def test_walk_kernel_against_brute_force():
    c = closed_reduced_walks(2, 10)
    assert [int(v) for v in c[1:]] == [len(reference.closed_reduced_words(n)) for n in range(1, 11)]


def test_max_column_long_and_errors():
    m = max_loop_counts(2, 22)
    assert m[14] == 6772 and m[22] == 18982172
    with pytest.raises(ParameterError):
        max_loop_counts(2, 60)
    with pytest.raises(ParameterError):
        max_loop_counts(0, 4)


# ---------------------------------------------------------------- the seed talk


def test_talk_architecture_reproduces_the_diagram():
    content = loop_content(TALK_ARCHITECTURE)
    assert content.layer_total_terms == TALK_COUNTS
    assert content.total_unoriented == TALK_LOOPS["unoriented"]
    assert content.total == TALK_LOOPS["oriented"]


# ---------------------------------------------------------------- can-express


@pytest.mark.parametrize(
    ("preset", "loop", "answer", "method"),
    [
        ("W1x1", (1, 1), True, "expansion"),
        ("W1x1", (1, 2), False, "bounds"),
        ("W1x2-small", (1, 2), True, "expansion"),
        ("W1x2-large", (2, 2), False, "expansion"),
        ("W2x2-small", (2, 2), True, "expansion"),
        ("W2x2-large", (3, 3), False, "expansion"),
        ("W4x4-small", (3, 3), True, "pruned"),
    ],
)
def test_can_express(preset, loop, answer, method):
    r = can_express(preset, *loop)
    assert (r.contains, r.method) == (answer, method)


@pytest.mark.slow
def test_can_express_w4x4():
    r = can_express("W4x4-small", 4, 4)
    assert r.contains and r.oriented == (True, True) and r.first_layer == 4


def test_minimal_architecture():
    spec = minimal_architecture(1, 2)
    assert spec["kernel_sizes"] == [2]
    assert minimal_architecture(2, 2)["channels"] == [1, 1]


def test_bad_specs_are_typed_errors():
    with pytest.raises(ParameterError):
        count_loops("W9x9")
    with pytest.raises(ParameterError):
        count_loops({"preset": "W2x2-small", "activation": "tanh"})
    with pytest.raises(ParameterError):
        count_loops({"preset": "W2x2-small", "polyakov": True})
    with pytest.raises(ParameterError):
        count_loops({"kind": "eq"})
    with pytest.raises(ParameterError):
        can_express("W2x2-small", 0, 2)


def test_gauge_net_spec():
    spec = {
        "kind": "gauge_net",
        "layers": [
            {"type": "lconv", "out_channels": 2, "kernel_size": 2},
            {"type": "lbilin", "out_channels": 2, "with": "input"},
        ],
    }
    counts = count_loops(spec)
    assert counts[0] == 1 and counts[4] == 2


# ---------------------------------------------------------------- CLI


def _run(argv, capsys):
    from latticeml.cli import OneLineArgumentParser
    from latticeml.cli import loops as cli_loops

    p = OneLineArgumentParser(prog="latticeml")
    sub = p.add_subparsers(dest="stage", parser_class=OneLineArgumentParser)
    cli_loops.register(sub)
    args = p.parse_args(argv)
    assert args.func(args) == 0
    return capsys.readouterr().out


def test_cli(capsys):
    out = _run(["loops", "count", "--model", "W1x2-small", "--json"], capsys)
    assert json.loads(out) == {"0": 1, "4": 2, "6": 4, "8": 4}
    out = _run(["loops", "enumerate", "--max-length", "12", "--json"], capsys)
    assert json.loads(out)["12"] == 1010
    out = _run(
        ["loops", "can-express", "--model", '{"preset": "W2x2-small"}', "--loop", "2x2", "--json"],
        capsys,
    )
    assert json.loads(out)["contains"] is True
    with pytest.raises(SystemExit):
        _run(["loops", "can-express", "--model", "W1x1", "--loop", "2by2"], capsys)
