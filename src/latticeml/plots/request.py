"""``latticeml results plot`` as a library call: the study figures from the tables' files.

:class:`PlotRequest` holds what the command line gives; :func:`draw_figures` checks it all
(flags, tables, existing files) before it draws, then writes PNG and PDF per figure.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from latticeml.errors import FileFormatError, OutputExistsError, ParameterError
from latticeml.fields import option

__all__ = ["PlotRequest", "draw_figures"]

# Which figures each input feeds (stems as in latticeml.catalog.figures).
_STEMS_OF_FLAG = {
    "evaluation": ("error_vs_size", "gauge_robustness"),
    "predictions": ("predicted_vs_true",),
    "metrics": ("training_curves",),
}
# The same for a scalar evaluation table.
_SCALAR_STEMS_OF_FLAG = {
    "predictions": ("predicted_vs_true",),
    "extrapolation_sets": ("extrapolation",),
    "feature_models": ("feature_maps",),
    "metrics": ("training_curves",),
}
_SCALAR_FLAGS = ("extrapolation_sets", "mu_range", "feature_models", "feature_data", "figures")


@dataclass(frozen=True)
class PlotRequest:
    """What to draw from which tables, and where.

    Attributes
    ----------
    evaluation : str
        Evaluation table (``latticeml model evaluate --out``).
    out_dir : str
        Folder of the figures (created).
    predictions : str, optional
        Per-configuration predictions (one replica per experiment).
    metrics : tuple of str
        Training-metrics tables, labelled ``<experiment>/<run>`` after their folders.
    published : str, optional
        Gauge tables: a published set drawn on error_vs_size.
    force : bool
        Replace existing figures.
    extrapolation_sets, mu_range, feature_models, feature_data, figures
        Scalar tables only: test sets beyond the training mu, the mu range of
        error_vs_size, models and data of the feature maps, the stems to draw.
    """

    evaluation: str = option(help="evaluation table", metavar="CSV")
    out_dir: str = option(help="output directory (created if missing)", metavar="DIR")
    predictions: str | None = option(None, "predictions table (one replica each)",
                                     metavar="CSV")
    metrics: tuple[str, ...] | None = option(
        None, "training-metrics tables; each is labelled <experiment>/<run> after the last "
        "two components of its directory", metavar="CSV")
    published: str | None = option(None, "gauge tables: draw a published set on "
                                   "error_vs_size (prl-2d, notebook-4d-plane12)", metavar="SET")
    force: bool = option(False, "overwrite existing figure files")
    extrapolation_sets: tuple[str, ...] | None = option(
        None, "scalar tables: test sets with mu beyond the training range, drawn in "
        "extrapolation.png, left out of observable_vs_mu and error_vs_size", metavar="LABEL")
    mu_range: tuple[float, float] | None = option(
        None, "scalar tables: range of mu over which error_vs_size takes the largest relative "
        "error of the ensemble average (none: every mu of the test set)", metavar=("LO", "HI"))
    feature_models: tuple[str, ...] | None = option(
        None, "scalar tables: models whose convolution activations are drawn in "
        "feature_maps.png (needs --feature-data)", metavar="MODEL.pt")
    feature_data: str | None = option(
        None, "scalar tables: dataset file whose first flux-violating configuration "
        "(targets/flux_violated == 1) is the input of feature_maps", metavar="TEST.h5")
    figures: tuple[str, ...] | None = option(
        None, "scalar tables: draw only these figures (stems, e.g. classifier_accuracy "
        "feature_maps; commas work too); each must be producible from the given inputs",
        metavar="STEM")


def draw_figures(req: PlotRequest) -> list[Path]:
    """Draw every figure a request asks for (and its inputs allow); return the files.

    A gauge evaluation table gives error_vs_size and gauge_robustness (plus
    predicted_vs_true with ``predictions``, training_curves with ``metrics``); a scalar one
    (columns mu and task) the scalar-study figures. Everything is checked -- flags against
    each other, tables against their columns, existing files unless ``force`` -- before the
    first figure is drawn; a refused request leaves no new folder behind.

    Raises
    ------
    ParameterError, FileFormatError, OutputExistsError
        With the flag or file at fault.
    """
    from latticeml.evaluate.scalar_summary import is_scalar_table
    from latticeml.plots import (
        EVALUATION_COLUMNS,
        METRICS_COLUMNS,
        PREDICTION_COLUMNS,
        check_table,
        make_all,
    )

    out_dir = Path(req.out_dir)
    raw = _read_csv(req.evaluation, "--evaluation")
    if is_scalar_table(raw.columns):
        if req.published is not None:
            raise ParameterError("--published", "a gauge evaluation table", req.evaluation)
        return _plot_scalar(req, raw, out_dir)
    for flag in _SCALAR_FLAGS:
        if getattr(req, flag) is not None:
            raise ParameterError(
                f"--{flag.replace('_', '-')}",
                "a scalar evaluation table (with columns mu and task)",
                req.evaluation,
            )
    if req.published is not None:
        from latticeml.plots.published import published_points

        published_points(req.published)  # one line and no work for an unknown set
    if not req.force:
        _refuse_existing(out_dir, _planned_stems(req))
    evaluation = check_table(raw, EVALUATION_COLUMNS, req.evaluation)
    predictions = None
    if req.predictions is not None:
        predictions = check_table(
            _read_csv(req.predictions, "--predictions"), PREDICTION_COLUMNS, req.predictions
        )
    runs = None
    if req.metrics:
        runs = {
            label: check_table(_read_csv(path, "--metrics"), METRICS_COLUMNS, path)
            for label, path in _run_labels(req.metrics).items()
        }
    with _new_directory(out_dir):
        return list(make_all(evaluation, predictions, runs, out_dir, req.published))


def _plot_scalar(req: PlotRequest, raw, out_dir: Path) -> list[Path]:
    """:func:`draw_figures` for a scalar evaluation table."""
    from latticeml.plots import METRICS_COLUMNS, check_table
    from latticeml.plots.make import make_scalar_all
    from latticeml.plots.scalar import (
        SCALAR_EVALUATION_COLUMNS,
        SCALAR_PREDICTION_COLUMNS,
        check_scalar_table,
    )

    evaluation = check_scalar_table(raw, SCALAR_EVALUATION_COLUMNS, req.evaluation)
    _check_scalar_flags(req, evaluation)
    planned = _planned_scalar_stems(req, evaluation)
    if req.figures is not None:
        missing = [stem for stem in req.figures if stem not in planned]
        if missing:
            raise ParameterError(
                "--figures", f"figures these inputs can produce ({', '.join(planned)})",
                missing, hint="extrapolation needs --extrapolation-sets, feature_maps "
                "--feature-models, predicted_vs_true --predictions, training_curves --metrics",
            )
        planned = [stem for stem in planned if stem in req.figures]
    if not req.force:
        _refuse_existing(out_dir, planned)
    predictions = None
    if req.predictions is not None:
        predictions = check_scalar_table(
            _read_csv(req.predictions, "--predictions"), SCALAR_PREDICTION_COLUMNS,
            req.predictions,
        )
    runs = None
    if req.metrics:
        runs = {
            label: check_table(_read_csv(path, "--metrics"), METRICS_COLUMNS, path)
            for label, path in _run_labels(req.metrics).items()
        }
    models = config = None
    if req.feature_models and "feature_maps" in planned:
        config = _first_violated(req.feature_data)
        models = _load_models(req.feature_models)
    with _new_directory(out_dir):
        paths = make_scalar_all(
            evaluation, predictions, runs, out_dir, models=models, config=config,
            mu_range=tuple(req.mu_range) if req.mu_range else None,
            extrapolation_sets=req.extrapolation_sets, figures=planned,
        )
        if req.figures is not None:
            drawn = {path.stem for path in paths}
            undrawn = [stem for stem in planned if stem not in drawn]
            if undrawn:
                raise ParameterError(
                    "--figures", "figures the tables hold usable rows for", undrawn,
                    hint="every row they need is 'not applicable' or missing",
                )
    return list(paths)


def _check_scalar_flags(req: PlotRequest, evaluation) -> None:
    """Check the scalar-only flags against each other and the evaluation table."""
    if (req.feature_models is None) != (req.feature_data is None):
        raise ParameterError(
            "--feature-models/--feature-data", "both flags or neither",
            "only --feature-models" if req.feature_data is None else "only --feature-data",
        )
    if req.mu_range is not None:
        lo, hi = req.mu_range
        if not lo <= hi:
            raise ParameterError("--mu-range", "LO <= HI", req.mu_range)
    known = sorted(set(evaluation["test_set"].astype(str)))
    unknown = [label for label in req.extrapolation_sets or () if label not in known]
    if unknown:
        raise ParameterError(
            "--extrapolation-sets", f"test sets of {req.evaluation} ({', '.join(known)})",
            unknown,
        )


def _planned_scalar_stems(req: PlotRequest, evaluation) -> list[str]:
    """Stems of the scalar figures the flags and the evaluation table can produce."""
    stems: list[str] = []
    if (evaluation["task"] == "regression").any():
        stems += ["observable_vs_mu", "error_vs_size"]
    if (evaluation["task"] == "classification").any():
        stems.append("classifier_accuracy")
    for flag, flag_stems in _SCALAR_STEMS_OF_FLAG.items():
        if getattr(req, flag):
            stems += flag_stems
    return stems


def _first_violated(path: str):
    """Return the first configuration with ``targets/flux_violated == 1``, shape (4, N_t, N_x)."""
    import numpy as np

    from latticeml.data.splits import read_split
    from latticeml.errors import FileFormatError

    labels = read_split(path, "flux_violated", inputs=False, role="--feature-data")
    if labels.kind != "scalar":
        raise FileFormatError(path, "expected a scalar dataset (flux_violated labels)")
    violated = np.flatnonzero(labels.target == 1)
    if violated.size == 0:
        raise ParameterError(
            "--feature-data", "a scalar dataset with a flux-violating configuration "
            "(targets/flux_violated == 1)", path,
            hint="make it with a flux-violation ensemble (open worms)",
        )
    return read_split(path, "flux_violated", rows=violated[:1], role="--feature-data").inputs[0]


def _load_models(paths: list[str]) -> dict:
    """Load models for the feature maps, labelled ``<family> <experiment>/r<replica>``.

    Of several replicas of one experiment only the one with the lowest validation loss is
    shown (the model one would pick without looking at test data).
    """
    import math

    from latticeml.evaluate.scalar import scalar_family
    from latticeml.nn import load_model

    if len({Path(p).resolve() for p in paths}) != len(paths):
        raise ParameterError("--feature-models", "distinct model files", paths)
    best: dict = {}
    for path in paths:
        model = load_model(path)
        info = getattr(model, "info", {}) or {}
        experiment = info.get("experiment", Path(path).parent.name)
        val = float(info.get("best_val_loss", math.inf))
        key = (val, int(info.get("replica", 0)))
        if experiment not in best or key < best[experiment][0]:
            best[experiment] = (key, path, model)
    models: dict = {}
    for experiment, (_, path, model) in best.items():
        info = getattr(model, "info", {}) or {}
        label = (f"{scalar_family(getattr(model, 'spec', {}))} "
                 f"{experiment}/r{info.get('replica', 0)}")
        models[label if label not in models else str(path)] = model
    return models


def _planned_stems(req: PlotRequest) -> list[str]:
    """Stems of the figures the given flags can produce."""
    stems: list[str] = []
    for flag, flag_stems in _STEMS_OF_FLAG.items():
        if getattr(req, flag):
            stems += flag_stems
    return stems


def _refuse_existing(out_dir: Path, stems: list[str]) -> None:
    for stem in stems:
        for suffix in (".png", ".pdf"):
            path = out_dir / f"{stem}{suffix}"
            if path.exists():
                raise OutputExistsError(path)


def _read_csv(path: str, flag: str):
    """Read a CSV table; a missing, unreadable, non-regular or cut-short file is one line."""
    import pandas as pd

    from latticeml.evaluate.tables import check_csv_file

    check_csv_file(path, flag)
    try:
        return pd.read_csv(path)
    except OSError as exc:
        raise ParameterError(
            flag, "a readable CSV file", path, hint=exc.strerror or type(exc).__name__
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise FileFormatError(path, f"expected a CSV table, {first_line}") from None


def _run_labels(paths: list[str]) -> dict[str, str]:
    """Label each metrics file ``<experiment>/<run>`` after its directory."""
    labels: dict[str, str] = {}
    for path in paths:
        label = "/".join(Path(path).resolve().parent.parts[-2:])
        if label in labels:
            raise ParameterError(
                "--metrics",
                "one metrics file per run directory <experiment>/<run>",
                [labels[label], path],
            )
        labels[label] = path
    return labels


@contextlib.contextmanager
def _new_directory(out_dir: Path):
    """Create ``out_dir`` for the figures; if the body fails and it is still empty, remove it.

    A refused run leaves no empty folder behind (it leaves a folder that existed before).
    """
    existed = out_dir.is_dir()
    _make_directory(out_dir)
    try:
        yield
    except BaseException:
        if not existed:
            with contextlib.suppress(OSError):
                out_dir.rmdir()  # only if empty
        raise


def _make_directory(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(
            "--out-dir",
            "a directory that exists or can be created",
            str(out_dir),
            hint=exc.strerror or type(exc).__name__,
        ) from None
