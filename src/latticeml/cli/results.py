"""``latticeml results`` (``summarize``, ``plot``, ``flow``) and ``latticeml model select``."""

from __future__ import annotations

import argparse
import sys

from latticeml.cli._common import add_command

__all__ = ["register", "add_select", "add_summarize", "add_flow"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``results`` noun (``summarize``, ``plot``, ``flow``) to ``sub``."""
    from latticeml.cli import plot

    p = sub.add_parser("results", help="summarise evaluation tables and draw figures (stage 5)")
    rsub = p.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    rsub.required = True
    add_summarize(rsub)
    plot.add(rsub)
    add_flow(rsub)


def add_flow(sub: argparse._SubParsersAction) -> None:
    """Add ``results flow``: summarise gradient-flow tables and draw their figures."""
    from latticeml.cli._common import add_switch, float_arg

    f = sub.add_parser(
        "flow", help="summarise gradient-flow tables: t0, w0, autocorrelation of Q and t^2 E",
        description="Read tables of `latticeml gauge flow` (one per ensemble file, in Markov "
        "chain order) and write one summary row each: t0 and w0 with jackknife errors, "
        "a^2/t0, the integrated autocorrelation times of the flowed charge and of t^2 E at "
        "t0 (in updates), <Q>, <Q^2>. With --out-dir, also the figures t2e and freezing "
        "(PNG and PDF).")
    f.add_argument("tables", nargs="+", metavar="FLOW.csv", help="flow tables")
    f.add_argument("--out", required=True, metavar="F.csv", help="the summary table")
    f.add_argument("--out-dir", metavar="DIR", help="folder for the figures (created)")
    f.add_argument("--level", type=float_arg, default=0.3,
                   help="t^2 E that defines t0 (default 0.3, the SU(3) convention)")
    add_switch(f, "--pool", "treat tables of the same group, shape, beta, algorithm and n_skip "
               "as independent chains of one ensemble: one summary row for them")
    add_switch(f, "--force", "overwrite existing outputs")
    f.set_defaults(func=_flow)


def _flow(args: argparse.Namespace) -> int:
    from latticeml.evaluate.flow import summarize_flow_files

    summary = summarize_flow_files(args.tables, args.out, out_dir=args.out_dir,
                                   level=args.level, pool=args.pool, force=args.force)
    for _, r in summary.iterrows():
        print(f"{r['source']}: t0/a^2 = {r['t0']:.4f} +- {r['t0_err']:.4f}, tau_int(Q) = "
              f"{r['tau_int_q']:.3g}, tau_int(t^2E) = {r['tau_int_t2e']:.3g} updates",
              file=sys.stderr)
    print(f"wrote {args.out} ({len(summary)} rows)", file=sys.stderr)
    return 0


def add_select(sub: argparse._SubParsersAction, name: str = "select", *,
               replacement: str | None = None) -> None:
    """Add the select command to ``sub`` (``replacement``: see :func:`add_command`)."""
    s = add_command(
        sub, name, replacement=replacement,
        help="pick the best trained model on validation loss; write its spec as YAML",
        description="Compare model files trained on the same data and target (e.g. a CNN "
        "architecture grid) by their best validation loss and write the winner's model spec "
        "(a YAML file that `latticeml model train --model` takes) and a CSV of all candidates.",
    )
    from latticeml.cli._fields import add_options
    from latticeml.evaluate.request import SelectRequest

    add_options(s, SelectRequest)  # the options are declared once, on SelectRequest
    s.set_defaults(func=_select)


def add_summarize(sub: argparse._SubParsersAction, name: str = "summarize", *,
                  replacement: str | None = None) -> None:
    """Add the summarize command to ``sub`` (``replacement``: see :func:`add_command`)."""
    m = add_command(
        sub, name, replacement=replacement,
        help="merge evaluation tables and summarise them over replicas",
        description="Concatenate evaluation CSVs (`latticeml model evaluate --out`), drop "
        "duplicate baseline rows and write the summary over replicas: median, best on "
        "validation, worst, failure rate.",
    )
    from latticeml.cli._fields import add_options
    from latticeml.evaluate.request import SummarizeRequest

    add_options(m, SummarizeRequest)  # the options are declared once, on SummarizeRequest
    m.set_defaults(func=_summarize)


def _request(args: argparse.Namespace, cls):
    from latticeml.cli._fields import given_options

    values = given_options(args, cls)
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def _select(args: argparse.Namespace) -> int:
    from latticeml.evaluate.request import SelectRequest, select_files

    req = _request(args, SelectRequest)
    model, loss, n = select_files(req)
    print(f"wrote {req.out}: {model} (val loss {loss:.4e}) best of {n}", file=sys.stderr)
    return 0


def _summarize(args: argparse.Namespace) -> int:
    from latticeml.evaluate.request import SummarizeRequest, summarize_files

    req = _request(args, SummarizeRequest)
    rows = summarize_files(req)
    print(f"wrote {req.out} ({rows} rows)", file=sys.stderr)
    return 0
