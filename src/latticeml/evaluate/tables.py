"""Reading the CSV tables of stage 4 (evaluations, predictions) with a check of their columns.

Every reader of an evaluation or prediction CSV goes through :func:`read_csv_table`, so that a
missing, unreadable or foreign file is reported the same way: a
:class:`~latticeml.errors.ParameterError` naming the command-line flag, the file and what is
missing. Writing is :func:`latticeml.evaluate.write_csv`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from latticeml.errors import ParameterError

__all__ = ["read_csv_table", "concat_csv_tables", "write_csv"]


_COMPRESSED = (".gz", ".bz2", ".xz", ".zip", ".zst")


def check_csv_file(path: str | os.PathLike, flag: str, kind: str = "CSV") -> None:
    """Refuse what is not a whole CSV file before reading it.

    A device or pipe (``/dev/zero`` would be read forever) and a file cut short (every CSV this
    package writes ends with a newline; a truncated copy does not, and pandas would read its
    last row with missing values) are one-line errors.

    Raises
    ------
    ParameterError
        Naming the flag and the file.
    """
    import stat

    try:
        st = os.stat(path)
    except OSError as exc:
        raise ParameterError(flag, f"readable {kind} CSV files", str(path),
                             exc.strerror or type(exc).__name__) from None
    if not stat.S_ISREG(st.st_mode):
        raise ParameterError(flag, f"{kind} CSV files", str(path), "not a regular file")
    if st.st_size and not str(path).endswith(_COMPRESSED):
        with open(path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                raise ParameterError(flag, f"whole {kind} CSV files", str(path),
                                     "its last line has no end: the file was cut short")


def read_csv_table(
    path: str | os.PathLike, columns: Sequence[str], *, flag: str, kind: str, **read_kwargs
) -> pd.DataFrame:
    """Read one CSV file and return its ``columns`` (in that order).

    Parameters
    ----------
    path : path-like
        The CSV file.
    columns : sequence of str
        Columns the file must have; the others are dropped. Empty: keep every column.
    flag : str
        Command-line flag the file came from (named in errors).
    kind : str
        What the file should be, e.g. ``"evaluation"`` or ``"scalar prediction"``.
    **read_kwargs
        Passed on to :func:`pandas.read_csv`.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ParameterError
        If the file is missing or unreadable or lacks one of ``columns``.
    """
    check_csv_file(path, flag, kind)
    try:
        df = pd.read_csv(path, **read_kwargs)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise ParameterError(flag, f"readable {kind} CSV files", str(path),
                             str(exc).splitlines()[0]) from None
    if not columns:
        return df
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ParameterError(flag, f"{kind} tables with columns {list(columns)}", str(path),
                             f"missing columns {missing}")
    return df[list(columns)]


def concat_csv_tables(
    paths: Iterable[str | os.PathLike],
    columns: Sequence[str],
    *,
    flag: str,
    kind: str,
    **read_kwargs,
) -> pd.DataFrame:
    """Read CSV files with :func:`read_csv_table` and concatenate them (new index).

    Raises
    ------
    ParameterError
        If ``paths`` is empty or a file is missing, unreadable or lacks one of ``columns``.
    """
    frames = [read_csv_table(p, columns, flag=flag, kind=kind, **read_kwargs) for p in paths]
    if not frames:
        raise ParameterError(flag, "at least one file", "none")
    return pd.concat(frames, ignore_index=True)


def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a table atomically (temporary file in the same directory, then rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        df.to_csv(tmp, index=False, float_format="%.10g", lineterminator="\n")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
