"""Explaining expansions: SU(N) trace identities, target residuals, figures, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from latticeml.cli import main
from latticeml.errors import ParameterError
from latticeml.loops.evaluate import haar_links
from latticeml.loops.expand import expand_file, positioned_loop, terms_table
from latticeml.loops.explain import parse_target, reduce_by_identities, target_residual
from latticeml.loops.words import inverse, rectangle, reduce_word, transport

ROOT = Path(__file__).resolve().parents[2]
SU2_W2X2 = ROOT / "docs/results/lcnn-su2-2d/models/W_2x2_W2x2-small.pt"
SU3_W2X2 = ROOT / "docs/results/lcnn-su3-2d/models/W_2x2_W2x2-small.pt"
CNN = ROOT / "docs/results/lcnn-su2-2d/models/W_2x2_cnn.pt"


@pytest.fixture(scope="module")
def su2_table():
    return expand_file(SU2_W2X2)


# ---------------------------------------------------------------- identities


def test_four_term_mandelstam_relation_is_found():
    # Tr ABC + Tr A C^+ B^+ = Tr ACB + Tr A B^+ C^+ for SU(2) (two Mandelstam identities with
    # the same product Tr A Tr BC); A, B, C: plaquettes at x, x + 2a, x + 2b brought to x
    a, b, c = "abAB", transport("abAB", 0, 2), transport("abAB", 1, 2)
    target = a + c + b
    # coefficients of Re Tr; the explanation's are those of (1/N) Re Tr
    table = terms_table({a + b + c: 0.5, a + inverse(c) + inverse(b): 0.5,
                         a + inverse(b) + inverse(c): -0.5}, n_colors=2)
    e = reduce_by_identities(table, target=target)
    assert abs(e.direct) == 0.0
    assert abs(e.reduced - 1.0) < 1e-10 and e.rest_rms < 1e-10
    assert e.n_identities == 1 and abs(e.reshuffled - 1.0) < 1e-10
    # for SU(3) the same sum is not the target
    table3 = terms_table({a + b + c: 1.0, a + inverse(c) + inverse(b): 1.0,
                          a + inverse(b) + inverse(c): -1.0}, n_colors=3)
    e3 = reduce_by_identities(table3, target=target)
    assert e3.n_identities == 0 and abs(e3.reduced) < 1e-10 and e3.rest_rms > 0.1


def test_no_spurious_identity_for_a_square():
    w = rectangle(1, 2)
    # Tr W^2 = (Tr W)^2 - 2 (Cayley-Hamilton) is not linear in Tr W: no identity may be found
    table = terms_table({w + w: 1.0, "": 1.0}, n_colors=2)
    e = reduce_by_identities(table, target=w)
    assert abs(e.reduced) < 1e-10 and e.rank == 3  # W^2 is independent of W and of 1


def test_trained_su2_w2x2_computes_the_2x2_loop_up_to_identities(su2_table):
    target = parse_target(su2_table.attrs["target"], su2_table.attrs["plane"])
    assert target == rectangle(2, 2)
    e = reduce_by_identities(su2_table, target=target, seed=3)
    assert 0.6 < e.direct < 0.8  # the loop itself carries ~73 %
    assert abs(e.reduced - 1.0) < 1e-6  # ... the identities the rest
    assert e.rest_rms < 1e-6 and abs(e.constant_reduced) < 1e-6
    assert e.n_identities > 100 and e.reduction_error < 1e-10
    assert e.max_imag < 1e-12
    top = e.contributions.iloc[0]
    assert top["identity"].startswith("ReTr[") and abs(top["alpha"]) == pytest.approx(1, 1e-9)
    # one of the leading identities is the four-term Mandelstam relation (docs/loops.md)
    ident = e.contributions.set_index("word").at["bbaBBabAbaBABA", "identity"]
    assert ident == ("ReTr[bbaBBabAbaBABA] = +1 ReTr[aabbAABB](x) +1 ReTr[abaBAbabAABB](x) "
                     "-1 ReTr[bbaBaBAbbaBABA](x)")

    def key(w):
        return positioned_loop(reduce_word(w), 2)[:2]

    a, b, c = "aabABA", "abbABB", "ababABBA"  # Tr ABC + Tr AC+B+ = Tr ACB + Tr AB+C+
    assert {key(a + b + c), key(a + inverse(c) + inverse(b))} == \
        {key("bbaBBabAbaBABA"), key("bbaBaBAbbaBABA")}
    assert {key(a + c + b), key(a + inverse(b) + inverse(c))} == \
        {key("aabbAABB"), key("abaBAbabAABB")}
    links = haar_links(2, (8, 8), 2, seed=4)
    r = target_residual(su2_table, target, links)
    assert r["rms"] < 1e-6 and r["rms_target"] > 0.3


def test_trained_su3_w2x2_has_no_identities_and_a_visible_error():
    table = expand_file(SU3_W2X2)
    target = rectangle(2, 2)
    e = reduce_by_identities(table, target=target, seed=3)
    assert e.n_identities == 0 and e.direct == e.reduced
    assert abs(e.direct - 1.0) < 1e-3
    r = target_residual(table, target, haar_links(2, (8, 8), 3, seed=4))
    assert 1e-5 < r["rms"] < 1e-2  # honest: computes the target to ~3e-4, not to rounding


def test_reduction_refuses_too_many_terms(su2_table):
    with pytest.raises(ParameterError):
        reduce_by_identities(su2_table, max_terms=10)


def test_parse_target():
    assert parse_target("W_1x2") == "abbABB"
    assert parse_target("2x1", plane=2, dim=3) == "bbcBBC"
    with pytest.raises(ParameterError):
        parse_target("phi2")
    with pytest.raises(ParameterError):
        parse_target("W_1x1", plane=1, dim=2)


# ---------------------------------------------------------------- pictures


def test_figures(su2_table, tmp_path):
    from latticeml.loops import count_loops, max_loop_counts
    from latticeml.loops.pictures import (
        loop_figure,
        loop_histogram_figure,
        loop_vertices,
        top_loops_figure,
    )
    from latticeml.plots.style import save_figure

    v = loop_vertices("aabbAABB", (1, 0))
    assert v[0].tolist() == [1, 0] and v[-1].tolist() == [1, 0] and v[4].tolist() == [3, 2]
    fig = top_loops_figure(su2_table, 6)
    assert sum(ax.get_visible() for ax in fig.axes) == 6
    hist = loop_histogram_figure({"W2x2-small": count_loops("W2x2-small")},
                                 max_loop_counts(2, 22))
    paths = save_figure(hist, tmp_path / "h") + save_figure(loop_figure("abAB"), tmp_path / "l")
    assert all(p.stat().st_size > 0 for p in paths)
    with pytest.raises(ParameterError):
        top_loops_figure(su2_table.iloc[:1], 3)


# ---------------------------------------------------------------- CLI


def test_cli_explain_text_json_and_outputs(tmp_path, capsys):
    assert main(["loops", "explain", str(SU2_W2X2), "--top", "3", "--configs", "1"]) == 0
    out = capsys.readouterr().out
    assert "aabbAABB" in out and "verification" in out and "reshuffled" in out
    assert main(["loops", "explain", str(SU2_W2X2), "--json", "--no-identities",
                 "--configs", "1", "--top", "2", "--out-dir", str(tmp_path),
                 "--name", "m"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["verification_residual"] < 1e-10 and d["target_word"] == "aabbAABB"
    assert d["top"][0]["word"] == "aabbAABB" and len(d["top"]) == 2
    assert d["target_residuals"]["haar"]["rms"] < 1e-6
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["m_expansion.csv", "m_loop_counts.pdf", "m_loop_counts.png",
                     "m_loops.pdf", "m_loops.png", "m_summary.json"]
    table = pd.read_csv(tmp_path / "m_expansion.csv")
    assert table["word"].iat[1] == "aabbAABB"
    # existing outputs are refused before any work, and replaced with --force
    before = (tmp_path / "m_expansion.csv").stat().st_mtime_ns
    assert main(["loops", "explain", str(SU2_W2X2), "--out-dir", str(tmp_path),
                 "--name", "m"]) == 2
    assert "exists" in capsys.readouterr().err
    assert (tmp_path / "m_expansion.csv").stat().st_mtime_ns == before
    assert main(["loops", "explain", str(SU2_W2X2), "--out-dir", str(tmp_path), "--name", "m",
                 "--force", "--no-identities", "--configs", "1", "--json"]) == 0
    capsys.readouterr()


def test_cli_explain_typed_errors(tmp_path, capsys):
    import torch

    from latticeml.nn import build_model
    from latticeml.nn.modelfile import save_model_file

    assert main(["loops", "explain", str(tmp_path / "missing.pt")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such model file" in err
    assert main(["loops", "explain", str(CNN)]) == 2
    assert "L-CNN" in capsys.readouterr().err
    spec = {"preset": "W2x2-small", "activation": "sigmoid"}
    net = build_model(spec)
    save_model_file(tmp_path / "act.pt", spec=spec, state_dict=net.state_dict(),
                    target="W_2x2", plane=0, mean=0.0, std=1.0)
    assert main(["loops", "explain", str(tmp_path / "act.pt")]) == 2
    err = capsys.readouterr().err
    assert "L-Act" in err and err.count("\n") == 1
    assert main(["loops", "explain", str(SU2_W2X2), "--top", "0"]) == 2
    assert main(["loops", "explain", str(SU2_W2X2), "--configs", "0"]) == 2
    assert main(["loops", "explain", str(SU2_W2X2), "--force"]) == 2
    (tmp_path / "file").write_text("x")
    assert main(["loops", "explain", str(SU2_W2X2), "--out-dir", str(tmp_path / "file")]) == 2
    capsys.readouterr()
    assert not list(tmp_path.glob("*.csv"))
    del torch


def test_cli_draw(tmp_path, capsys):
    assert main(["loops", "draw", "aabbAABB", "--out", str(tmp_path / "w.png")]) == 0
    assert (tmp_path / "w.png").exists() and (tmp_path / "w.pdf").exists()
    assert main(["loops", "draw", "aabbAABB", "--out", str(tmp_path / "w.png")]) == 2
    assert main(["loops", "draw", "aab", "--out", str(tmp_path / "x.png")]) == 2  # not closed
    capsys.readouterr()
    assert np.isfinite((tmp_path / "w.png").stat().st_size)


def test_explain_reads_stage1_ensembles(tmp_path, capsys):
    """The thermalised comparison reads the ensembles the model was trained on."""
    from latticeml.data import save_gauge_ensemble
    from latticeml.gauge import GaugeParams, generate_ensemble

    files = []
    for beta in (1.0, 3.0):
        p = GaugeParams(group="su2", shape=(8, 8), beta=beta, n_configs=2, n_therm=20,
                        n_skip=2, seed=int(beta), threads=1)
        files.append(tmp_path / f"b{beta}.h5")
        save_gauge_ensemble(files[-1], generate_ensemble(p))
    assert main(["loops", "explain", str(SU2_W2X2), "--json", "--no-identities",
                 "--configs", "2", "--ensembles", *map(str, files)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert set(d["target_residuals"]) == {"haar", "beta=1", "beta=3"}
    for r in d["target_residuals"].values():
        assert r["rms"] < 1e-3  # the trained model computes W_2x2 on its own data too
    small = tmp_path / "small.h5"
    save_gauge_ensemble(small, generate_ensemble(GaugeParams(
        group="su2", shape=(2, 2), beta=1.0, n_configs=1, n_therm=1, n_skip=1, seed=1)))
    su3 = tmp_path / "su3.h5"
    save_gauge_ensemble(su3, generate_ensemble(GaugeParams(
        group="su3", shape=(8, 8), beta=5.0, n_configs=1, n_therm=1, n_skip=1, seed=1)))
    for bad, words in ((small, "wrap"), (su3, "SU(2)")):
        assert main(["loops", "explain", str(SU2_W2X2), "--no-identities", "--configs", "1",
                     "--ensembles", str(bad)]) == 2
        err = capsys.readouterr().err
        assert "--ensembles" in err and words in err and err.count("\n") == 1
