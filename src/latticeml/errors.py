"""Typed exceptions raised at the boundaries (CLI, config, file readers).

Every message says what was expected, what arrived and how to fix it. The CLI turns a
:class:`LatticeMLError` into one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

__all__ = [
    "LatticeMLError",
    "ParameterError",
    "OutputExistsError",
    "OutputDirectoryError",
    "OutputPathError",
    "FileFormatError",
    "TableRangeError",
]


class LatticeMLError(Exception):
    """Base class of all errors that latticeml reports to users."""


class ParameterError(LatticeMLError, ValueError):
    """A parameter has an invalid value.

    Parameters
    ----------
    name : str
        Name of the parameter as the user wrote it (CLI flag or config key).
    expected : str
        What would have been accepted.
    got : object
        What arrived.
    hint : str, optional
        How to fix it.
    """

    def __init__(self, name: str, expected: str, got: object, hint: str = "") -> None:
        self.name = name
        self.expected = expected
        self.got = got
        self.hint = hint
        msg = f"{name}: expected {expected}, got {got!r}"
        if hint:
            msg += f"; {hint}"
        super().__init__(msg)


class OutputExistsError(LatticeMLError, FileExistsError):
    """The output file exists already and overwriting was not requested."""

    def __init__(self, path: object) -> None:
        self.path = path
        super().__init__(
            f"output file {str(path)!r} exists already; pass --force to overwrite it "
            "or choose another --out"
        )


class OutputDirectoryError(LatticeMLError, FileNotFoundError):
    """The directory that should hold an output file does not exist."""

    def __init__(self, path: object) -> None:
        self.path = path
        super().__init__(
            f"output directory {str(path)!r} does not exist; create it first "
            f"(mkdir -p {str(path)!r}) or choose another --out"
        )


class OutputPathError(LatticeMLError, ValueError):
    """An output path cannot be used: a directory, one of the inputs, or not writable.

    Parameters
    ----------
    path : object
        The output path as given.
    problem : str
        What is wrong with it and how to fix it.
    """

    def __init__(self, path: object, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"output {str(path)!r}: {problem}")


class FileFormatError(LatticeMLError, ValueError):
    """An input file does not follow the expected HDF5 contract.

    Parameters
    ----------
    path : object
        The offending file.
    problem : str
        What is wrong, including what was expected and what was found.
    """

    def __init__(self, path: object, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{str(path)!r}: {problem}")


class TableRangeError(LatticeMLError, ValueError):
    """A tabulated quantity was requested outside the range it was tabulated for."""
