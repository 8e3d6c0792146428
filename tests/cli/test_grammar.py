"""The command line's grammar: NOUN VERB, ``--out`` a file, one switch style, old spellings."""

from __future__ import annotations

import argparse

import pytest

from latticeml.cli import build_parser, main

NOUNS = {"gauge", "scalar", "dataset", "model", "search", "results", "loops"}
OLD_VERBS = {"train": "model train", "evaluate": "model evaluate", "select": "model select",
             "summarize": "results summarize", "plot": "results plot"}


def _subparsers(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _leaves(parser, path=()):
    """Every (command path, parser, deprecated) of the CLI, old spellings included."""
    sub = _subparsers(parser)
    if sub is None:
        yield path, parser, parser.get_default("deprecated") is not None
        return
    for name, child in sub.choices.items():
        yield from _leaves(child, (*path, name))


def test_top_level_lists_nouns_only(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    listed = {line.split()[0] for line in text.split("NOUN\n", 1)[1].splitlines()
              if line.startswith("    ") and not line.startswith("     ")}
    assert listed == NOUNS
    assert set(_subparsers(build_parser()).choices) == NOUNS | set(OLD_VERBS)


def test_every_current_command_is_noun_verb():
    current = [path for path, _, old in _leaves(build_parser()) if not old]
    assert {p[0] for p in current} == NOUNS
    assert all(len(p) == 2 for p in current), [p for p in current if len(p) != 2]


def test_out_is_a_file_and_out_dir_a_folder_everywhere():
    seen_out = seen_dir = 0
    for path, parser, _ in _leaves(build_parser()):
        for action in parser._actions:
            if "--out" in action.option_strings and action.help is not argparse.SUPPRESS:
                assert "." in str(action.metavar), (path, action.metavar)  # F.h5, F.csv, ...
                seen_out += 1
            if "--out-dir" in action.option_strings:
                assert action.metavar == "DIR", path
                seen_dir += 1
    assert seen_out >= 8 and seen_dir >= 5


def test_every_switch_has_one_style():
    switches = 0
    for path, parser, _ in _leaves(build_parser()):
        for action in parser._actions:
            assert not isinstance(action, (argparse._StoreTrueAction,
                                           argparse._StoreFalseAction)), (path, action.dest)
            if isinstance(action, argparse.BooleanOptionalAction):
                positive = [o for o in action.option_strings if not o.startswith("--no-")]
                assert [f"--no-{o[2:]}" for o in positive] == [
                    o for o in action.option_strings if o.startswith("--no-")], path
                switches += 1
    assert switches >= 20


def test_the_cli_package_holds_no_library_work():
    """Command modules parse, call one library function and print: no file or figure code."""
    import inspect

    import latticeml.cli.loops as loops
    import latticeml.cli.plot as plot
    import latticeml.cli.results as results

    for module in (loops, plot, results):
        source = inspect.getsource(module)
        for word in ("to_csv", "read_csv", "save_figure", "atomic_path", "load_model(",
                     "check_table", "mkdir"):
            assert word not in source, (module.__name__, word)


@pytest.mark.parametrize("old", sorted(OLD_VERBS))
def test_old_top_level_verbs_parse_and_are_marked(old):
    args = build_parser().parse_args(_minimal(old))
    assert args.deprecated == OLD_VERBS[old]


def _minimal(old):
    return {"train": ["train", "--train", "a.h5", "--val", "b.h5", "--target", "W_1x1",
                      "--model", "W1x1", "--out", "d"],
            "evaluate": ["evaluate", "--models", "m.pt", "--test", "t.h5", "--out", "e.csv"],
            "select": ["select", "--models", "m.pt", "--out", "s.yaml"],
            "summarize": ["summarize", "--evaluations", "e.csv", "--out", "s.csv"],
            "plot": ["plot", "--evaluation", "e.csv", "--out-dir", "f"]}[old]


def test_old_train_out_dir_spelling_still_lands_in_the_folder(gauge_data, tmp_path, capsys):
    common = ["--train", str(gauge_data["train"]), "--val", str(gauge_data["val"]),
              "--target", "W_1x1", "--model", "W1x1", "--epochs", "1", "--threads", "1",
              "--no-progress"]
    assert main(["train", *common, "--out", str(tmp_path / "old")]) == 0
    err = capsys.readouterr().err
    assert "latticeml model train" in err and "--out-dir" in err and "deprecated" in err
    assert main(["model", "train", *common, "--out-dir", str(tmp_path / "new")]) == 0
    assert "deprecated" not in capsys.readouterr().err
    for name in ("model.pt", "metrics.csv"):
        assert (tmp_path / "old" / name).exists() and (tmp_path / "new" / name).exists()
    with pytest.raises(SystemExit):  # not both
        main(["model", "train", *common, "--out-dir", "a", "--out", "b"])


def _gauge_ensemble(tmp_path):
    out = tmp_path / "g.h5"
    assert main(["gauge", "generate", "--group", "su2", "--shape", "4,4", "--beta", "2.0",
                 "--n-configs", "3", "--n-therm", "2", "--n-skip", "1", "--seed", "3",
                 "--threads", "1", "--no-progress", "--out", str(out)]) == 0
    return out


def test_dataset_build_equals_the_old_dataset_gauge(tmp_path, capsys):
    src = _gauge_ensemble(tmp_path)
    capsys.readouterr()
    args = ["--inputs", str(src), "--loops", "1x1", "--no-progress", "--out"]
    assert main(["dataset", "build", *args, str(tmp_path / "new.h5")]) == 0
    assert "deprecated" not in capsys.readouterr().err
    assert main(["dataset", "gauge", *args, str(tmp_path / "old.h5")]) == 0
    assert "use `latticeml dataset build`" in capsys.readouterr().err
    assert (tmp_path / "new.h5").read_bytes() == (tmp_path / "old.h5").read_bytes()


def test_dataset_build_refuses_options_of_the_other_kind_before_work(tmp_path, capsys):
    src = _gauge_ensemble(tmp_path)
    capsys.readouterr()
    code = main(["dataset", "build", "--inputs", str(src), "--flux-controls", "2",
                 "--no-progress", "--out", str(tmp_path / "d.h5")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "--flux-controls" in err and "gauge ensemble" in err
    assert "\n" not in err and not (tmp_path / "d.h5").exists()


def test_topological_switch_and_its_old_spelling(tmp_path, capsys):
    parse = build_parser().parse_args
    base = ["dataset", "build", "--inputs", "g.h5", "--out", "d.h5"]
    assert parse(base).topological is None  # automatic
    assert parse([*base, "--topological"]).topological is True
    assert parse([*base, "--no-topological"]).topological is False
    assert parse([*base, "--topological", "no"]).topological is False
    assert "deprecated" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse([*base, "--topological", "maybe"])


def test_loops_draw_takes_the_png_file_and_the_old_stem(tmp_path, capsys):
    assert main(["loops", "draw", "abAB", "--out", str(tmp_path / "new.png")]) == 0
    assert "deprecated" not in capsys.readouterr().err
    assert main(["loops", "draw", "abAB", "--out", str(tmp_path / "old")]) == 0
    assert "deprecated" in capsys.readouterr().err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["new.pdf", "new.png", "old.pdf", "old.png"]
