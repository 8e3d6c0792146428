"""What a study leaves behind: the trial table, the best architecture as a model spec, figures.

* ``trials.csv``: one row per trial (number, state, value, n_params, seconds, epochs, worker,
  note, retry_of, and one ``param_<name>`` column per searched parameter);
* ``best_model.yaml``: the best complete trial's model spec — ``latticeml model train --model
  best_model.yaml`` takes it unchanged;
* ``best.yaml``: the same spec with the trial's training parameters, objective and study;
* figures (``latticeml search export --figures``): optimisation history, parameter
  importances, validation loss vs parameter count.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pandas as pd
import yaml

from latticeml.errors import ParameterError
from latticeml.search.space import parse_space, spec_from_params

__all__ = ["trials_frame", "write_trials_csv", "best_trial_spec", "export_study",
           "read_best_training"]


def trials_frame(study) -> pd.DataFrame:
    """Return the study's trials as a tidy table (one row per trial, numbers ascending)."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        a = t.user_attrs
        iv = t.intermediate_values
        row = {"number": t.number, "state": t.state.name,
               "value": t.value if t.value is not None else (iv[max(iv)] if iv else math.nan),
               "n_params": a.get("n_params", math.nan), "seconds": a.get("seconds", math.nan),
               "epochs": (max(iv) if iv else math.nan), "worker": a.get("worker", math.nan),
               "note": a.get("note", ""), "retry_of": a.get("retry_of", math.nan),
               "reference": bool(a.get("reference", False))}
        row.update({f"param_{k}": v for k, v in sorted(t.params.items())})
        rows.append(row)
    cols = ["number", "state", "value", "n_params", "seconds", "epochs", "worker", "note",
            "retry_of", "reference"]
    df = pd.DataFrame(rows, columns=None if rows else cols)
    return df.sort_values("number").reset_index(drop=True) if rows else df


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_trials_csv(study, path: str | os.PathLike) -> pd.DataFrame:
    """Write :func:`trials_frame` to ``path`` atomically and return it."""
    df = trials_frame(study)
    _atomic_write(Path(path), df.to_csv(index=False, float_format="%.8g"))
    return df


def _definition(study) -> dict:
    raw = study.user_attrs.get("definition")
    if raw is None:
        raise ParameterError("--study-name", "a study made by 'latticeml search run'",
                             study.study_name, "it has no stored search definition")
    return json.loads(raw)


def best_trial_spec(study) -> dict:
    """Return the best complete trial: ``{study, trial, value, n_params, model, training}``."""
    from optuna.trial import TrialState

    complete = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if t.value is not None and math.isfinite(t.value)]
    if not complete:
        raise ParameterError("--study-name", "a study with at least one complete trial",
                             study.study_name, "run more trials")
    best = min(complete, key=lambda t: (t.value, t.number))
    definition = _definition(study)
    spec, training = spec_from_params(parse_space(definition["space"]), best.params)
    return {"study": study.study_name, "trial": best.number, "value": float(best.value),
            "n_params": best.user_attrs.get("n_params"), "model": spec,
            "training": {"lr": definition["lr"], "batch_size": definition["batch_size"],
                         **training},
            "objective": f"mean best validation loss over {definition['seeds']} seed(s), "
                         f"{definition['epochs']} epochs"
                         + (f", {definition['train_limit']} training samples"
                            if definition["train_limit"] else "")}


def export_study(study, out: str | os.PathLike, *, figures: bool = False) -> dict:
    """Write ``trials.csv``, ``best.yaml``, ``best_model.yaml`` (and figures) into ``out``.

    Returns
    -------
    dict
        The best trial (as in ``best.yaml``).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    df = write_trials_csv(study, out / "trials.csv")
    best = best_trial_spec(study)
    header = (f"# best architecture of study {best['study']} (trial {best['trial']}, "
              f"objective {best['value']:.6g}: {best['objective']})\n"
              f"# use: latticeml model train --model {out / 'best_model.yaml'} ...\n")
    _atomic_write(out / "best_model.yaml",
                  header + yaml.safe_dump(best["model"], sort_keys=True))
    _atomic_write(out / "best.yaml", yaml.safe_dump(best, sort_keys=False))
    if figures:
        from latticeml.plots.search import history, importances, loss_vs_parameters
        from latticeml.plots.style import save_figure

        save_figure(history(df), out / "history")
        save_figure(loss_vs_parameters(df), out / "loss_vs_parameters")
        save_figure(importances(_importances(study)), out / "importances")
    return best


def _importances(study) -> dict[str, float]:
    """Parameter importances (Optuna's default evaluator); empty when too few trials."""
    import optuna
    from optuna.trial import TrialState

    complete = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if t.value is not None and math.isfinite(t.value)]
    if len(complete) < 4:
        return {}
    try:
        return dict(optuna.importance.get_param_importances(study))
    except (ValueError, RuntimeError):
        return {}


def read_best_training(path: str | os.PathLike) -> dict:
    """Return the searched training parameters in a ``best.yaml`` (``lr``, ``batch_size``, ...).

    Raises
    ------
    ParameterError
        If the file is missing or not a ``best.yaml`` of ``latticeml search export``.
    """
    from latticeml.search.space import TRAINING_KEYS

    path = Path(path)
    if not path.is_file():
        raise ParameterError("--training-from", "an existing best.yaml", str(path))
    try:
        best = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ParameterError("--training-from", "valid YAML", str(path),
                             str(exc).splitlines()[0]) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise ParameterError("--training-from", "a best.yaml of 'latticeml search export'",
                             str(path), f"not a readable text file ({type(exc).__name__})"
                             ) from None
    training = best.get("training") if isinstance(best, dict) else None
    if not isinstance(training, dict) or set(training) - set(TRAINING_KEYS):
        raise ParameterError("--training-from", "a best.yaml of 'latticeml search export' "
                             f"(training keys among {sorted(TRAINING_KEYS)})", str(path))
    return {k: TRAINING_KEYS[k](v) for k, v in training.items()}
