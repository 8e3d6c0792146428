"""Where a study lives: a journal file by default, any Optuna storage URL for many workers.

* ``''`` -> the journal file ``OUT/study.log`` (several processes on one machine, or on a
  shared file system that supports the journal's lock files);
* ``PATH.log`` / ``PATH.journal`` -> that journal file;
* ``PATH.db`` -> SQLite (``sqlite:///PATH.db``; one machine);
* ``sqlite:///...``, ``postgresql://...``, ``mysql://...`` -> an RDB storage (an RDB server is
  the robust choice for many cluster jobs).

The study stores its definition (space, target, training budget) as an attribute; a worker
whose definition differs is refused, so a reused study name cannot mix two searches.

A journal torn by a kill or a full disk (a last line without its newline) is repaired when it
is opened, under the journal's own lock: the partial line is moved to ``<journal>.torn-<k>``
with a warning, so that the next append starts on a line of its own. A journal that older
versions had already appended to after such a tear (a line holding the torn fragment followed
by a complete record) keeps the complete record and sets the fragment aside the same way.

The sampler's randomness depends on the study's history: before every ``ask`` the worker
reseeds it from ``(--seed, --worker, number of trials in the storage)``, so a restarted,
extended or rerun worker never replays the proposals of an earlier run.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np

from latticeml.errors import ParameterError

__all__ = ["storage_url", "open_storage", "open_study", "load_study", "repair_journal",
           "reseed"]


def storage_url(storage: str, out: str | os.PathLike) -> str:
    """Normalise ``--storage`` (see the module docstring) to a path or URL string."""
    if not storage:
        return str(Path(out) / "study.log")
    if "://" in storage:
        return storage
    if storage.endswith(".db"):
        return f"sqlite:///{Path(storage).resolve()}"
    return storage


def repair_journal(path: str | os.PathLike, log=None) -> list[Path]:
    """Set aside the torn fragments of a journal file; return the files they went to.

    Parameters
    ----------
    path : path
        The journal file (``OUT/study.log``); a missing or empty file is left alone.
    log : callable, optional
        Receives one line per fragment set aside (default: a ``UserWarning``).

    Returns
    -------
    list of Path
        The ``<journal>.torn-<k>`` files written (empty when the journal was whole).
    """
    from optuna.storages.journal import JournalFileSymlinkLock
    from optuna.storages.journal._file import get_lock_file

    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return []
    with get_lock_file(JournalFileSymlinkLock(str(path))):
        data = path.read_bytes()
        _require_journal(path, data)
        lines = data.split(b"\n")
        tail = lines.pop()  # b"" when the file ends with a newline
        kept, fragments = [], []
        for line in lines:
            record, fragment = _split_record(line)
            if record is not None:
                kept.append(record)
            if fragment:
                fragments.append(fragment)
        if tail:
            fragments.append(tail)
        if not fragments:
            return []
        written = []
        for fragment in fragments:
            k = 0
            while path.with_name(f"{path.name}.torn-{k}").exists():
                k += 1
            aside = path.with_name(f"{path.name}.torn-{k}")
            aside.write_bytes(fragment)
            written.append(aside)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.repair")
        tmp.write_bytes(b"".join(r + b"\n" for r in kept))
        os.replace(tmp, path)
    say = log or (lambda msg: warnings.warn(msg, UserWarning, stacklevel=3))
    for aside in written:
        say(f"journal {path} was torn (a kill or a full disk while writing): "
            f"{aside.stat().st_size} bytes of a partial record moved to {aside}")
    return written


def _require_journal(path: Path, data: bytes) -> None:
    """Refuse a file that is not an Optuna journal (never "repair" someone else's file)."""
    first = data.split(b"\n", 1)[0]
    try:
        record = json.loads(first)
    except ValueError:
        record = None
    if not (isinstance(record, dict) and "op_code" in record) and not first.startswith(
            b'{"op_code":'):  # (a torn first record is still a journal's)
        raise ParameterError("--storage", "an Optuna journal file (one JSON record per line)",
                             str(path), "this file is something else; pass a new file name, "
                             "a *.db file or a storage URL")


def _split_record(line: bytes) -> tuple[bytes | None, bytes]:
    """``(record, fragment)`` of one journal line: a whole JSON record, and what is not one."""
    try:
        json.loads(line)
        return line, b""
    except ValueError:
        pass
    start = line.find(b"{", 1)
    while start != -1:  # a torn fragment with a complete record appended to it
        try:
            if isinstance(json.loads(line[start:]), dict):
                return line[start:], line[:start]
        except ValueError:
            pass
        start = line.find(b"{", start + 1)
    return None, line


def open_storage(storage: str, out: str | os.PathLike, log=None):
    """Return an Optuna storage object, or raise a one-line ParameterError.

    A journal file is repaired first (:func:`repair_journal`); ``log`` receives its warnings.
    """
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    url = storage_url(storage, out)
    if "://" not in url:
        path = Path(url)
        if not path.parent.is_dir():
            raise ParameterError("--storage", "a journal file in an existing directory", url,
                                 f"create {path.parent} first")
        try:
            repair_journal(path, log)
            return JournalStorage(JournalFileBackend(str(path)))
        except OSError as exc:
            raise ParameterError("--storage", "a writable journal file", url,
                                 exc.strerror or type(exc).__name__) from None
    try:
        return optuna.storages.RDBStorage(url, engine_kwargs={"pool_pre_ping": True}
                                          if not url.startswith("sqlite") else None)
    except ModuleNotFoundError as exc:
        raise ParameterError("--storage", "a storage whose database driver is installed",
                             url, f"install {exc.name} or use a journal file") from None
    except Exception as exc:  # sqlalchemy errors: unreachable server, bad URL, no such file
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParameterError("--storage", "a reachable Optuna storage", url,
                             first[:200]) from None


def _sampler(params, history: int = 0):
    """Return the TPE sampler of a worker, seeded from seed, worker and the study's size."""
    import optuna

    entropy = [params.seed, params.worker, 0x5EA] + ([history] if history else [])
    seed = int(np.random.SeedSequence(entropy).generate_state(1)[0])
    with warnings.catch_warnings():  # multivariate/group/constant_liar are "experimental"
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True,
                                          constant_liar=True, n_startup_trials=10)


def _pruner(params):
    import optuna

    if params.pruner == "none":
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=5,
                                       n_warmup_steps=max(1, params.epochs // 4))


def reseed(study, params) -> None:
    """Give ``study`` a sampler seeded from its current number of trials (before ``ask``)."""
    study.sampler = _sampler(params, history=1 + len(study.get_trials(deepcopy=False)))


def open_study(params, *, create: bool = True, log=None):
    """Create or load the study of a :class:`~latticeml.search.params.SearchParams`.

    Raises
    ------
    ParameterError
        Unreachable storage, or a stored study with another definition.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = open_storage(params.storage, params.out, log)
    study = optuna.create_study(study_name=params.study_name, storage=storage,
                                sampler=_sampler(params), pruner=_pruner(params),
                                direction="minimize", load_if_exists=create)
    mine = params.definition_hash()
    stored = study.user_attrs.get("definition_hash")
    if stored is None:
        study.set_user_attr("definition", json.dumps(params.definition(), sort_keys=True,
                                                     default=str))
        study.set_user_attr("definition_hash", mine)
    elif stored != mine:
        raise ParameterError("--study-name", "a new study name, or the space, target and "
                             "budget the stored study was made with", params.study_name,
                             "the study in --storage was made with other settings")
    return study


def load_study(storage: str, study_name: str, out: str | os.PathLike):
    """Load an existing study (for export) or raise a one-line ParameterError."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = storage_url(storage, out)
    if "://" not in url and not Path(url).is_file():
        raise ParameterError("--storage", "an existing study journal", url,
                             "run 'latticeml search run' first or pass --storage")
    st = open_storage(storage, out)
    try:
        return optuna.load_study(study_name=study_name, storage=st)
    except KeyError:
        names = ", ".join(s.study_name for s in optuna.get_all_study_summaries(st))
        raise ParameterError("--study-name", f"a study in the storage ({names or 'none'})",
                             study_name) from None
