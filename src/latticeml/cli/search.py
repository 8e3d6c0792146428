"""``latticeml search``: Optuna architecture search (``run`` a worker, ``export`` the result)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from latticeml.cli._common import add_out_dir, add_switch, resolve_out_dir

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``search`` command and its sub-commands to ``sub``."""
    p = sub.add_parser("search", help="Optuna architecture search over a declared space")
    ssub = p.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    ssub.required = True

    r = ssub.add_parser(
        "run", help="one worker on a study (start as many as you like on one storage)",
        description="Ask the study for trials, train each (SEEDS replicas, the per-epoch "
        "validation loss of the first feeds the pruner), tell the mean best validation loss, "
        "until the study holds N-TRIALS finished trials or TIMEOUT seconds have passed. Workers "
        "sharing --storage and --study-name together finish exactly N-TRIALS trials; a killed "
        "worker's trial is queued again. Writes DIR/trials.csv, DIR/best.yaml, "
        "DIR/best_model.yaml and, with --summary, a JSON record of this worker.")
    r.add_argument("--space", required=True, metavar="SPACE.yaml",
                   help="search space (YAML file or inline mapping; see latticeml.search.space)")
    from latticeml.cli._fields import add_options
    from latticeml.search.params import SearchParams

    # every run parameter is declared once, on SearchParams (latticeml.fields.option)
    add_options(r, SearchParams)
    add_out_dir(r, "study directory")
    r.add_argument("--enqueue", action="append", default=[], metavar="PARAMS",
                   help="a parameter set to run first, once per study (JSON/YAML mapping such "
                   "as '{layers: 2, channels_0: 2, channels_1: 2, lr: 0.01}'; repeatable): a "
                   "reference architecture measured under the search's budget")
    r.add_argument("--summary", metavar="F.json", help="write this worker's record here")
    add_switch(r, "--progress", "show a progress bar", default=True)
    r.set_defaults(func=_run)

    e = ssub.add_parser(
        "export", help="trial table, best architecture and figures of a study",
        description="Write DIR/trials.csv, DIR/best.yaml (spec, training parameters, "
        "objective), DIR/best_model.yaml (what latticeml model train --model takes) and with "
        "--figures history, importances and loss_vs_parameters as PNG and PDF.")
    add_out_dir(e, "study directory")
    e.add_argument("--storage", default="", help="as for 'run' (default: DIR/study.log)")
    e.add_argument("--study-name", default="search", help="study name (default 'search')")
    add_switch(e, "--figures", "also draw the figures")
    e.set_defaults(func=_export)


def _run(args: argparse.Namespace) -> int:
    import yaml

    out_dir = resolve_out_dir(args)
    from latticeml.errors import ParameterError
    from latticeml.search import SearchParams, export_study, parse_space, run_search

    if args.summary and (Path(args.summary).is_dir() or any(
            p.is_file() for p in Path(args.summary).resolve().parents)):
        raise ParameterError("--summary", "a file path (its directory is created)",
                             args.summary)
    refs = []
    for text in args.enqueue:
        try:
            refs.append(yaml.safe_load(text))
        except yaml.YAMLError as exc:
            raise ParameterError("--enqueue", "a YAML/JSON mapping", text,
                                 str(exc).splitlines()[0]) from None
    from latticeml.cli._fields import given_options

    params = SearchParams(space=parse_space(args.space), out=out_dir, enqueue=tuple(refs),
                          **given_options(args, SearchParams))
    result = run_search(params, progress=args.progress)
    from latticeml.search.storage import load_study

    study = load_study(args.storage, args.study_name, out_dir)
    if result.best_trial >= 0:
        export_study(study, out_dir)
    if args.summary:
        record = {"study": result.study_name, "worker": args.worker,
                  "trials_run": result.trials_run, "finished": result.finished,
                  "best_trial": result.best_trial, "best_value": result.best_value,
                  "seconds": round(result.seconds, 3), "stopped_by": result.stopped_by}
        Path(args.summary).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(args.summary).with_name(f".{Path(args.summary).name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record, indent=1) + "\n")
        os.replace(tmp, args.summary)
    print(f"search {result.study_name}: worker {args.worker} ran {len(result.trials_run)} "
          f"trial(s); study has {result.finished} finished, best trial {result.best_trial} "
          f"({result.best_value:.4e}); stopped by {result.stopped_by}", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    out_dir = resolve_out_dir(args)
    from latticeml.search import export_study
    from latticeml.search.storage import load_study

    study = load_study(args.storage, args.study_name, out_dir)
    best = export_study(study, out_dir, figures=args.figures)
    print(f"wrote {Path(out_dir) / 'best_model.yaml'} (trial {best['trial']}, "
          f"{best['value']:.4e})", file=sys.stderr)
    return 0
