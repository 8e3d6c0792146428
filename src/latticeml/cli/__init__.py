"""Command-line interface ``latticeml``: one sub-command per pipeline stage.

Each stage module registers its sub-commands with :func:`register`; a command function
receives the parsed arguments, builds the frozen parameter dataclass of the library and calls
it. Errors of type :class:`~latticeml.errors.LatticeMLError` become one line on stderr and
exit code 2; no physics lives here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import latticeml
from latticeml.errors import LatticeMLError

__all__ = ["main", "build_parser", "OneLineArgumentParser"]

EXIT_USAGE = 2


class OneLineArgumentParser(argparse.ArgumentParser):
    """An argument parser that reports usage errors in one line."""

    def error(self, message: str) -> None:  # noqa: D102
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _stage_modules():
    from latticeml.cli import (
        dataset,
        evaluate,
        gauge,
        loops,
        plot,
        results,
        scalar,
        search,
        train,
    )

    return [gauge, scalar, dataset, train, search, results, evaluate, plot, loops]


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every stage's sub-commands."""
    parser = OneLineArgumentParser(
        prog="latticeml",
        description="Lattice Monte Carlo, datasets and symmetry-aware neural networks.",
    )
    parser.add_argument("--version", action="version", version=f"latticeml {latticeml.__version__}")
    sub = parser.add_subparsers(
        title="stages", metavar="STAGE", dest="stage", parser_class=OneLineArgumentParser
    )
    sub.required = True
    for module in _stage_modules():
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 on bad input (one line on stderr), 130 on interrupt.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except LatticeMLError as exc:
        print(f"latticeml: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("latticeml: interrupted; no output written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
