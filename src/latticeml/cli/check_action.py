"""``latticeml model check-action``: the checks of a trained fixed-point action (issue 28)."""

from __future__ import annotations

import argparse
import sys

from latticeml.cli._common import add_command, add_switch

__all__ = ["add"]


def add(sub: argparse._SubParsersAction) -> None:
    """Add ``check-action`` to the ``model`` noun's sub-commands ``sub``."""
    p = add_command(
        sub, "check-action",
        help="check a trained fixed-point action on held-out data",
        description="Check an action model (kind action) against the fixed-point targets of a "
        "held-out dataset (latticeml dataset build --fixed-point), with the dataset's "
        "blocking: relative errors of the action and its derivative, positivity, zero action "
        "on pure-gauge fields, autograd forces against finite differences, the residual of the "
        "fixed-point equation on --residuals configurations (one minimisation each, the model "
        "on the fine level), and for 4D models the action of BPST instantons against 8 pi^2. "
        "Writes one row per check (check, value, goal, passed, detail).",
    )
    from latticeml.cli._fields import add_options
    from latticeml.fixedpoint.params import ActionCheckParams

    p.add_argument("model", metavar="MODEL.pt", help="action model file")
    p.add_argument("--data", required=True, metavar="F.h5",
                   help="held-out dataset with fixed-point targets")
    add_options(p, ActionCheckParams)
    p.add_argument("--out", required=True, metavar="F.csv", help="the table of checks")
    add_switch(p, "--force", "overwrite an existing --out")
    p.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    import pandas as pd

    from latticeml.cli._fields import given_options
    from latticeml.data import check_output_path
    from latticeml.data.atomic import atomic_path
    from latticeml.fixedpoint.params import CHECK_COLUMNS, ActionCheckParams
    from latticeml.fixedpoint.report import check_action_model

    params = ActionCheckParams(**given_options(args, ActionCheckParams))
    check_output_path(args.out, force=args.force, inputs=[args.model, args.data])
    rows = check_action_model(args.model, args.data, params)
    table = pd.DataFrame(rows, columns=list(CHECK_COLUMNS))
    with atomic_path(args.out, force=args.force) as tmp:
        table.to_csv(tmp, index=False)
    failed = [r["check"] for r in rows if r["passed"] is False]
    print(f"wrote {args.out}: {len(rows)} checks, "
          + (f"{len(failed)} missed their goal ({', '.join(failed)})" if failed
             else "every goal met"), file=sys.stderr)
    return 0
