"""Figures of the flux-violation detectors.

Error rate vs lattice size and number of open worms, and the feature maps of trained detectors
on one violated configuration.

Tables and models in, :class:`~matplotlib.figure.Figure` out, no file I/O; conventions as in
:mod:`latticeml.plots.scalar`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from latticeml.errors import ParameterError
from latticeml.plots._scalar_common import (
    _LEVEL_MARKERS,
    _SMALL,
    GOAL_ACCURACY,
    SCALAR_EVALUATION_COLUMNS,
    _family_key,
    _lattice,
    _note,
    _ok,
    _reason,
    _test_sets,
    _volume_ticks,
    check_scalar_table,
    scalar_family_style,
)
from latticeml.plots.style import DOUBLE_COLUMN, SINGLE_COLUMN, with_paper_style

__all__ = ["classifier_accuracy", "feature_maps"]


@with_paper_style
def classifier_accuracy(evaluation: pd.DataFrame) -> Figure:
    """Plot the error rate ``1 - accuracy`` of the flux-violation detectors.

    Left: against the lattice volume, one line per detector family and number ``M`` of open
    worms; right: against ``M``, one line per detector family and test set. Points are the
    median over replicas (test sets of the same volume pooled), error bars span min to max.
    The y axis is logarithmic; a zero error rate is drawn at ``1 / N_test`` (the resolution of
    the test set) as an open marker with a downward arrow. The dotted line marks the goal
    accuracy of 99.9 %. Where the table has flux-control rows (``control_accuracy_closed`` /
    ``control_accuracy_open``, :func:`latticeml.evaluate.scalar.control_metrics`), the left
    panel also shows each family's error rate on the closed and the open controls (grey
    square / triangle markers, zero drawn at ``1 / N_controls``): a detector of flux
    violation has none, a detector of its training distribution does.

    Parameters
    ----------
    evaluation : pandas.DataFrame
        Scalar evaluation table (columns :data:`SCALAR_EVALUATION_COLUMNS`); regression rows
        are ignored. ``N_test`` is ``tn + fp + fn + tp`` of each row group.

    Returns
    -------
    matplotlib.figure.Figure
        Figure with two axes.

    Raises
    ------
    ParameterError
        If a column is missing or there is no classification ``accuracy`` row with status ok.
    """
    table = check_scalar_table(evaluation, SCALAR_EVALUATION_COLUMNS, "evaluation")
    cls = table[table["task"] == "classification"]
    acc = _accuracy_rows(cls)
    fig = Figure(figsize=(DOUBLE_COLUMN, 4.8), layout="constrained")
    ax_v, ax_m = fig.subplots(1, 2)
    families = sorted(acc["family"].astype(str).unique(), key=_family_key)
    ms = sorted(acc["M"].unique())
    m_text = {m: "all M" if m < 0 else f"M = {m:g}" for m in ms}
    sets = _test_sets(acc)
    shades, set_shades = _shades(len(ms)), _shades(len(sets))
    n_v, n_m = len(families) * len(ms), len(families) * len(sets)
    for f, family in enumerate(families):
        style = scalar_family_style(family)
        rows = acc[acc["family"] == family]
        prefix = f"{family}, " if len(families) > 1 else ""
        for k, m in enumerate(ms):
            shift = 1.04 ** (f * len(ms) + k - (n_v - 1) / 2)  # dodge (log axis)
            _error_rate_line(ax_v, rows[rows["M"] == m], "volume", prefix + m_text[m],
                             shades[k], _LEVEL_MARKERS[k % len(_LEVEL_MARKERS)],
                             style["linestyle"], lambda v, c=shift: v * c)
        for k, (label, shape, _) in enumerate(sets):
            shift = 0.06 * (f * len(sets) + k - (n_m - 1) / 2)
            _error_rate_line(ax_m, rows[rows["test_set"] == label], "M",
                             f"{prefix}{label} ({_lattice(shape)})", set_shades[k],
                             _LEVEL_MARKERS[k % len(_LEVEL_MARKERS)], style["linestyle"],
                             lambda v, c=shift: v + c)
    ctl = _control_rows(cls)
    for f, family in enumerate(families):
        style = scalar_family_style(family)
        prefix = f"{family}, " if len(families) > 1 else ""
        for k, (which, marker) in enumerate((("closed", "s"), ("open", "^"))):
            shift = 1.04 ** (f * 2 + k - len(families))
            _error_rate_line(ax_v, ctl[(ctl["family"] == family) & (ctl["which"] == which)],
                             "volume", f"{prefix}controls: {which}", ("0.45", "0.15")[k],
                             marker, style["linestyle"], lambda v, c=shift: v * c)
    if not ctl.empty:
        acc = pd.concat([acc, ctl[["volume", "shape", "error", "floor"]]], ignore_index=True)
    _volume_ticks(ax_v, acc[["volume", "shape"]].drop_duplicates())
    ax_v.set_xlabel(r"lattice volume $V = N_t N_x$")
    ax_v.set_title("vs lattice size")
    ax_m.set_xlim(min(ms) - 0.5, max(ms) + 0.5)
    if (acc["M"] >= 0).any():
        ax_m.set_xticks([m for m in ms if m >= 0])
        ax_m.set_xlabel(r"open worms $M$ in the violated configurations")
    else:
        ax_m.set_xticks([-1], ["all M"])
        ax_m.set_xlabel("open worms (pooled)")
    ax_m.set_title("vs number of open worms")
    floor = float(acc["floor"].min())
    top = max(1.0, float(acc["error"].max()) * 1.5)
    na = cls[~_ok(cls)]
    for ax in (ax_v, ax_m):
        ax.set_yscale("log")
        ax.set_ylim(min(floor, 1 - GOAL_ACCURACY) / 6, top)
        goal = ax.axhline(1 - GOAL_ACCURACY, color="0.2", ls=":", lw=0.9, zorder=1)
        ax.set_ylabel(r"error rate $1 - $accuracy")
        handles, labels = ax.get_legend_handles_labels()
        handles.append(goal)
        labels.append(f"goal: {100 * GOAL_ACCURACY:g} % accuracy")
        if (acc["error"] <= 0).any():
            handles.append(Line2D([], [], color="0.35", marker="o", mfc="white", ls="none"))
            labels.append(r"0 errors (drawn at $1/N_\mathrm{test}$)")
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.24),
                  ncol=2 if len(labels) <= 16 else 3, fontsize=_SMALL - 1, handlelength=2.0,
                  columnspacing=0.8)
    if not na.empty:
        groups: dict[tuple[str, str], list[str]] = {}
        for r in na.itertuples():
            groups.setdefault((str(r.family), _reason(r.status)), []).append(_lattice(r.shape))
        notes = sorted(f"{family} on {', '.join(sorted(set(shapes)))} ({reason})"
                       for (family, reason), shapes in groups.items())
        fig.suptitle("not applicable: " + "; ".join(notes), fontsize=_SMALL)
    return fig


def _accuracy_rows(cls: pd.DataFrame) -> pd.DataFrame:
    """Accuracy rows with ``M`` (-1: pooled), ``error`` and ``floor`` = 1 / N_test."""
    ok = cls[_ok(cls)].assign(M=cls["open_worms"].fillna(-1.0))
    acc = ok[ok["metric"] == "accuracy"].dropna(subset=["value"])
    if acc.empty:
        raise ParameterError("evaluation", "classification rows of metric accuracy with status "
                             "ok", "none")
    if (acc["M"] >= 0).any():
        acc = acc[acc["M"] >= 0]
    keys = ["experiment", "replica", "test_set", "M"]
    counts = ok[ok["metric"].isin(["tn", "fp", "fn", "tp"])].groupby(keys)["value"].sum()
    acc = acc.join(counts.rename("n_test"), on=keys)
    n_test = acc["n_test"].where(acc["n_test"] > 0)
    error = (1.0 - acc["value"]).clip(lower=0.0)
    fallback = 0.5 * error[error > 0].min() if (error > 0).any() else 1e-4
    return acc.assign(error=error, floor=(1.0 / n_test).fillna(fallback))


def _control_rows(cls: pd.DataFrame) -> pd.DataFrame:
    """Flux-control error rates: ``which`` (closed/open), ``error``, ``floor`` = 1 / N."""
    ok = cls[_ok(cls)]
    parts = []
    for which in ("closed", "open"):
        rows = ok[ok["metric"] == f"control_accuracy_{which}"].dropna(subset=["value"])
        keys = ["experiment", "replica", "test_set"]
        n = ok[ok["metric"] == f"n_controls_{which}"].set_index(keys)["value"]
        rows = rows.join(n.rename("n_controls"), on=keys)
        floor = 1.0 / rows["n_controls"].where(rows["n_controls"] > 0)
        parts.append(rows.assign(which=which, error=(1.0 - rows["value"]).clip(lower=0.0),
                                 floor=floor.fillna(1e-3)))
    return pd.concat(parts, ignore_index=True)


def _shades(n: int) -> list:
    """``n`` colours from dark to light (grey-scale safe)."""
    return list(mpl.colormaps["viridis"](np.linspace(0.0, 0.8, max(n, 1))))[:n] if n else []


def _error_rate_line(ax: Axes, rows: pd.DataFrame, x: str, label: str, color, marker: str,
                     linestyle: str, shift) -> None:
    """Median error rate (open marker + arrow at the floor if 0) with min-max error bars.

    ``shift`` maps the x values to their drawn positions (a small dodge between lines).
    """
    if rows.empty:
        return
    stats = rows.groupby(x).agg(median=("error", "median"), lo=("error", "min"),
                                hi=("error", "max"), floor=("floor", "min")).sort_index()
    xs = shift(stats.index.to_numpy(float))
    floor = stats["floor"].to_numpy()
    med = np.maximum(stats["median"].to_numpy(), floor)
    lo, hi = np.maximum(stats["lo"].to_numpy(), floor), np.maximum(stats["hi"].to_numpy(), floor)
    ax.errorbar(xs, med, yerr=np.vstack([med - lo, hi - med]), color=color, marker=marker,
                linestyle=linestyle, lw=0.9, capsize=1.5, elinewidth=0.7, markersize=3.5,
                label=label, zorder=3)
    zero = stats["median"].to_numpy() <= 0
    if zero.any():
        ax.plot(xs[zero], med[zero], linestyle="none", marker=marker, mfc="white", mec=color,
                markersize=3.5, zorder=4)
        for xz, yz in zip(xs[zero], med[zero], strict=True):
            ax.annotate("", xy=(xz, yz / 2.8), xytext=(xz, yz * 0.85), zorder=4,
                        arrowprops=dict(arrowstyle="-|>", color=color, lw=0.7,
                                        shrinkA=0, shrinkB=0, mutation_scale=5))


# ----------------------------------------------------------------------------- feature maps


@with_paper_style
def feature_maps(models: Mapping[str, Any], x: Any, defects: Any = None) -> Figure:
    r"""Show what the convolutions of scalar models respond to on one configuration.

    Columns are models; the top row is the input divergence :math:`\nabla\cdot k` (outflow,
    non-zero at the heads and tails of open worms), each further row the activation after
    one convolution layer (maximum over channels; the title gives its peak value). The
    defect sites are circled on every map. Maps of strided layers are drawn stretched over the
    lattice. Activations are recorded with forward hooks on the ``convs`` stack during one
    forward pass under :func:`torch.no_grad`; the column title gives the model's output (the
    probability for a detector). A model that cannot take the lattice (FL of another size)
    shows only the input and says so.

    Parameters
    ----------
    models : mapping of str to torch.nn.Module
        Label -> model as returned by :func:`latticeml.nn.load_model` (a ``Detector`` or
        ``Regressor`` whose ``.net`` has a ``.convs`` stack of convolution + activation
        pairs), or a bare network with ``.convs``.
    x : torch.Tensor or ndarray, shape (4, N_t, N_x)
        One configuration, channels ``(k_t, k_x, l_t, l_x)``.
    defects : array-like of int, shape (n, 2), optional
        ``(t, x)`` sites to mark; default: the sites where the divergence of ``k = x[:2]``
        (computed with :func:`latticeml.observables.flux.divergence`) is non-zero.

    Returns
    -------
    matplotlib.figure.Figure
        Figure with ``(1 + n_layers) * len(models)`` axes (``n_layers``: the largest number of
        convolution layers of the models).

    Raises
    ------
    ParameterError
        If ``models`` is empty or a model has no ``convs``, ``x`` is not ``(4, N_t, N_x)`` or
        ``defects`` is not a list of sites on the lattice.
    """
    config, convs = _check_feature_inputs(models, x)
    from latticeml.observables.flux import divergence

    n_t, n_x = config.shape[1:]
    k = np.rint(np.moveaxis(config[:2].numpy(), 0, -1)).astype(np.int64)
    div = divergence(k)
    sites = np.argwhere(div != 0) if defects is None else _check_defects(defects, n_t, n_x)
    results = {label: _activations(models[label], convs[label], config) for label in models}
    n_layers = max([len(r["maps"]) for r in results.values()] + [len(c) for c in
                                                                  _layer_modules_all(convs)])
    panel_w = min(3.2, (DOUBLE_COLUMN - 0.4) / len(models))
    panel_h = float(np.clip(panel_w * n_x / n_t, 0.42, 1.5)) + 0.3
    title_h = 0.12  # the top row has one more title line: give it the room
    fig = Figure(figsize=(max(SINGLE_COLUMN, panel_w * len(models) + 0.4),
                          panel_h * (1 + n_layers) + title_h + 0.45), layout="constrained")
    axes = fig.subplots(1 + n_layers, len(models), squeeze=False,
                        height_ratios=[panel_h + title_h] + [panel_h] * n_layers)
    extent = (-0.5, n_t - 0.5, -0.5, n_x - 0.5)
    vmax = max(1, int(np.abs(div).max()))
    for j, (label, result) in enumerate(results.items()):
        ax = axes[0, j]
        ax.imshow(div.T, origin="lower", cmap="RdBu_r", vmin=-vmax, vmax=vmax, extent=extent,
                  aspect="auto", interpolation="nearest")
        _mark(ax, sites)
        ax.set_title(f"{label}: {result['output']}\n" + rf"input $\nabla\cdot k$ "
                     f"({len(sites)} defect{'s' * (len(sites) != 1)})", fontsize=_SMALL)
        for i in range(n_layers):
            ax = axes[1 + i, j]
            if i >= len(result["maps"]):
                ax.set_axis_off()
                if i == 0 and result["error"]:
                    _note(ax, f"not applicable:\n{result['error']}")
                continue
            amap, channels = result["maps"][i]
            ax.imshow(amap.T, origin="lower", cmap="viridis", extent=extent, aspect="auto",
                      interpolation="nearest", vmin=min(0.0, float(amap.min())),
                      vmax=max(float(amap.max()), 1e-12))
            _mark(ax, sites)
            ax.set_title(f"layer {i + 1}: max over {channels} channels (peak "
                         f"{float(amap.max()):.2g})", fontsize=_SMALL)
    for ax in axes.ravel():
        if ax.axison:
            ax.set_xticks([0, n_t - 1])
            ax.set_yticks([0, n_x - 1])
            ax.tick_params(labelsize=_SMALL, length=2, pad=1)
            ax.grid(False)
    for j in range(len(models)):
        [ax for ax in axes[:, j] if ax.axison][-1].set_xlabel("$t$", labelpad=0)
    for i in range(1 + n_layers):
        axes[i, 0].set_ylabel("$x$", labelpad=0)
    fig.suptitle(f"feature maps on a {n_t}×{n_x} lattice ($N_t \\times N_x$)")
    return fig


def _check_feature_inputs(models: object, x: object):
    import torch

    if not isinstance(models, Mapping) or not models:
        raise ParameterError("models", "a non-empty mapping {label: model}", models)
    convs = {}
    for label, model in models.items():
        stack = getattr(getattr(model, "net", model), "convs", None)
        if not isinstance(stack, torch.nn.Module):
            raise ParameterError("models", "scalar models whose network has a .convs stack",
                                 f"{label!r}: {type(model).__name__}")
        convs[str(label)] = stack
    try:
        config = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
    except (TypeError, ValueError):
        raise ParameterError("x", "one configuration (4, N_t, N_x)", type(x).__name__) from None
    if config.ndim != 3 or config.shape[0] != 4 or config.is_complex() or min(config.shape) < 1:
        raise ParameterError("x", "a real configuration of shape (4, N_t, N_x)",
                             tuple(config.shape))
    return config.detach().cpu().to(torch.float64), convs


def _check_defects(defects: object, n_t: int, n_x: int) -> np.ndarray:
    try:
        sites = np.asarray(defects, dtype=np.int64).reshape(-1, 2)
    except (TypeError, ValueError):
        raise ParameterError("defects", "(t, x) sites, shape (n, 2)", defects) from None
    inside = (sites >= 0).all() and (sites[:, 0] < n_t).all() and (sites[:, 1] < n_x).all()
    if not inside:
        raise ParameterError("defects", f"sites inside the {n_t}x{n_x} lattice",
                             sites.tolist())
    return sites


def _layer_modules(stack) -> list:
    """Return the module whose output is each conv layer's activation (the conv if alone)."""
    from latticeml.nn.baselines import CircularConv

    children = list(stack.children())
    convs = [i for i, m in enumerate(children) if isinstance(m, CircularConv)]
    if not convs:  # unknown stack: every child is a layer
        return children
    return [children[i + 1] if i + 1 < len(children) and not isinstance(children[i + 1],
                                                                         CircularConv)
            else children[i] for i in convs]


def _layer_modules_all(convs: dict) -> list[list]:
    return [_layer_modules(stack) for stack in convs.values()]


def _activations(model, stack, config) -> dict:
    """Run ``model`` once; return the per-layer channel maxima, its output text and an error."""
    import torch

    params = next(iter(model.parameters()), None)
    dtype = params.dtype if params is not None else torch.get_default_dtype()
    device = params.device if params is not None else torch.device("cpu")
    recorded: list[tuple[np.ndarray, int]] = []

    def hook(_module, _inputs, output):
        out = output[0].detach().double().cpu()  # (C, N_t', N_x')
        recorded.append((out.amax(dim=0).numpy(), int(out.shape[0])))

    handles = [m.register_forward_hook(hook) for m in _layer_modules(stack)]
    training = model.training
    model.eval()
    try:
        with torch.no_grad():
            y = model(config.to(device=device, dtype=dtype).unsqueeze(0))
    except ParameterError as exc:  # ModelInputError: e.g. FL on another lattice size
        return {"maps": [], "output": "not applicable", "error": _short(str(exc))}
    finally:
        for h in handles:
            h.remove()
        model.train(training)
    value = float(y.reshape(-1)[0])
    if getattr(model, "task", "") == "classification":
        text = f"p(violated) = {value:.3f}"
    else:
        text = f"{getattr(model, 'target', 'output')} = {value:.3g}"
    return {"maps": recorded, "output": text, "error": ""}


def _short(message: str, width: int = 40) -> str:
    words, lines, line = message.split(), [], ""
    for word in words:
        if line and len(line) + len(word) > width:
            lines.append(line)
            line = ""
        line = f"{line} {word}".strip()
    return "\n".join((lines + [line])[:4])


def _mark(ax: Axes, sites: np.ndarray) -> None:
    if len(sites):
        ax.scatter(sites[:, 0], sites[:, 1], s=28, marker="o", facecolors="none",
                   edgecolors="#e41a1c", linewidths=1.0, zorder=3,
                   path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")])

