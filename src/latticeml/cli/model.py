"""``latticeml model``: train, evaluate and select models (stages 3 and 4)."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``model`` noun (``train``, ``evaluate``, ``select``, ``check-action``)."""
    from latticeml.cli import check_action, evaluate, results, train

    p = sub.add_parser("model", help="train, evaluate and select models (stages 3 and 4)")
    msub = p.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    msub.required = True
    train.add(msub)
    evaluate.add(msub)
    results.add_select(msub)
    check_action.add(msub)
