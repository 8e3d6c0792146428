"""``latticeml results`` (``summarize``, ``plot``) and ``latticeml model select``."""

from __future__ import annotations

import argparse
import sys

from latticeml.cli._common import add_command

__all__ = ["register", "add_select", "add_summarize"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``results`` noun (``summarize``, ``plot``) to ``sub``."""
    from latticeml.cli import plot

    p = sub.add_parser("results", help="summarise evaluation tables and draw figures (stage 5)")
    rsub = p.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    rsub.required = True
    add_summarize(rsub)
    plot.add(rsub)


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
