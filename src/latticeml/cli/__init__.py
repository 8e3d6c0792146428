"""Command-line interface ``latticeml``: ``latticeml NOUN VERB [options]``.

The nouns are what a command works on -- ``gauge`` and ``scalar`` (ensembles), ``dataset``,
``model``, ``search``, ``results``, ``loops`` -- and the verbs what it does (``generate``,
``build``, ``train``, ``evaluate``, ``plot``, ...). ``--out`` always names a file and
``--out-dir`` a folder; every on/off option is ``--flag`` / ``--no-flag``. Each module
registers its noun with :func:`register`; a command function receives the parsed arguments,
builds the frozen parameter dataclass of the library and calls it. The spellings of the
previous release (``latticeml train``, ``latticeml dataset gauge``, ``--out DIR``, ...) still
work and print a deprecation line. Errors of type :class:`~latticeml.errors.LatticeMLError`
become one line on stderr and exit code 2; no physics lives here.
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


def _noun_modules():
    from latticeml.cli import dataset, gauge, loops, model, results, scalar, search

    return [gauge, scalar, dataset, model, search, results, loops]


def _old_spellings(sub: argparse._SubParsersAction) -> None:
    """Add the top-level verbs of the previous release, hidden and deprecated."""
    from latticeml.cli import evaluate, plot, results, train

    for old, new, add in (("train", "model train", train.add),
                          ("evaluate", "model evaluate", evaluate.add),
                          ("select", "model select", results.add_select),
                          ("summarize", "results summarize", results.add_summarize),
                          ("plot", "results plot", plot.add)):
        add(sub, old, replacement=new)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every stage's sub-commands."""
    parser = OneLineArgumentParser(
        prog="latticeml",
        description="Lattice Monte Carlo, datasets and symmetry-aware neural networks.",
    )
    parser.add_argument("--version", action="version", version=f"latticeml {latticeml.__version__}")
    sub = parser.add_subparsers(
        title="commands", metavar="NOUN", dest="noun", parser_class=OneLineArgumentParser
    )
    sub.required = True
    for module in _noun_modules():
        module.register(sub)
    _old_spellings(sub)
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
    if getattr(args, "deprecated", None):
        print(f"latticeml: warning: this spelling is deprecated and will be removed in the "
              f"next release; use `latticeml {args.deprecated}`", file=sys.stderr)
    try:
        return int(args.func(args) or 0)
    except LatticeMLError as exc:
        print(f"latticeml: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("latticeml: interrupted; no output written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of stdout went away (`latticeml gauge inspect f.h5 | head -3`): stop
        # quietly, as Unix tools do, and keep Python from complaining at exit
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except MemoryError:
        print("latticeml: error: out of memory; use fewer configurations, a smaller lattice "
              "or a smaller --batch-size", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # disk full, read-only or vanished folders, permissions
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        reason = exc.strerror or text
        print(f"latticeml: error: {where}{reason} (errno {exc.errno}); the output was not "
              "written", file=sys.stderr)
        return EXIT_USAGE


#: Exit code after a closed pipe (128 + SIGPIPE, as a shell reports a tool killed by it).
EXIT_BROKEN_PIPE = 141


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
