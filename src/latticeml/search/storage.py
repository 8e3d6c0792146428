"""Where a study lives: a journal file by default, any Optuna storage URL for many workers.

* ``''`` -> the journal file ``OUT/study.log`` (several processes on one machine, or on a
  shared file system that supports the journal's lock files);
* ``PATH.log`` / ``PATH.journal`` -> that journal file;
* ``PATH.db`` -> SQLite (``sqlite:///PATH.db``; one machine);
* ``sqlite:///...``, ``postgresql://...``, ``mysql://...`` -> an RDB storage (an RDB server is
  the robust choice for many cluster jobs).

The study stores its definition (space, target, training budget) as an attribute; a worker
whose definition differs is refused, so a reused study name cannot mix two searches.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np

from latticeml.errors import ParameterError

__all__ = ["storage_url", "open_storage", "open_study", "load_study"]


def storage_url(storage: str, out: str | os.PathLike) -> str:
    """Normalise ``--storage`` (see the module docstring) to a path or URL string."""
    if not storage:
        return str(Path(out) / "study.log")
    if "://" in storage:
        return storage
    if storage.endswith(".db"):
        return f"sqlite:///{Path(storage).resolve()}"
    return storage


def open_storage(storage: str, out: str | os.PathLike):
    """Return an Optuna storage object, or raise a one-line ParameterError."""
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


def _sampler(params):
    import optuna

    seed = int(np.random.SeedSequence([params.seed, params.worker, 0x5EA]).generate_state(1)[0])
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


def open_study(params, *, create: bool = True):
    """Create or load the study of a :class:`~latticeml.search.params.SearchParams`.

    Raises
    ------
    ParameterError
        Unreachable storage, or a stored study with another definition.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = open_storage(params.storage, params.out)
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
