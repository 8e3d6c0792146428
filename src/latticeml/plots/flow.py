"""Gradient-flow figures: ``t^2 E(t)`` per ensemble and the autocorrelation (freezing) plot."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from latticeml.errors import ParameterError
from latticeml.plots.style import DOUBLE_COLUMN, SINGLE_COLUMN, with_paper_style

__all__ = ["t2e_figure", "freezing_figure"]

_ALGO_STYLE = {"heatbath": ("C0", "o", "-"), "metropolis": ("C2", "s", "-."),
               "hmc": ("C1", "^", "--")}


def _algo_style(name: str) -> tuple[str, str, str]:
    return _ALGO_STYLE.get(name, ("C3", "D", ":"))


@with_paper_style
def t2e_figure(tables: Mapping[str, pd.DataFrame], summary: pd.DataFrame,
               level: float = 0.3) -> Figure:
    """Plot the ensemble mean of ``t^2 E(t)`` with its error, one curve per summary row.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Flow tables by source label (as given to
        :func:`latticeml.evaluate.flow.summarize_flow`).
    summary : DataFrame
        Their summary (for ``t0`` with its error and the labels); a pooled row draws the
        configurations of all its chains.
    level : float
        The ``t^2 E`` that defines ``t0`` (drawn as a horizontal line).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from latticeml.evaluate.flow import t2e_curve

    if not tables:
        raise ParameterError("tables", "at least one flow table", "none")
    fig = Figure(figsize=(SINGLE_COLUMN, 2.6), layout="constrained")
    ax = fig.add_subplot()
    for k, (_, row) in enumerate(summary.iterrows()):
        # a pooled row (summarize_flow(pool=True)) names its chains joined by "+"
        names = [row["source"]] if row["source"] in tables else row["source"].split("+")
        curves = [t2e_curve(tables[name]) for name in names]
        t, which = curves[0][0], curves[0][2]
        t2e = np.concatenate([c[1] for c in curves])
        mean = t2e.mean(axis=0)
        err = t2e.std(axis=0, ddof=1) / np.sqrt(len(t2e)) if len(t2e) > 1 else 0 * mean
        colour = f"C{k % 10}"
        label = (f"{row['group'].upper()} {row['shape']}, $\\beta$ = {row['beta']:g}, "
                 f"{row['algorithm']}")
        ax.plot(t, mean, color=colour, label=label)
        ax.fill_between(t, mean - err, mean + err, color=colour, alpha=0.3, lw=0)
        if np.isfinite(row["t0"]):
            ax.errorbar([row["t0"]], [level], xerr=[[row["t0_err"]], [row["t0_err"]]]
                        if np.isfinite(row["t0_err"]) else None, color=colour, marker="o",
                        ms=3, capsize=2)
    ax.axhline(level, color="0.5", lw=0.6, ls=":")
    ax.set_xlabel(r"flow time $t/a^2$")
    ax.set_ylabel(rf"$t^2\langle E\rangle$ ({which})")
    ax.legend(fontsize="small", frameon=False)
    return fig


@with_paper_style
def freezing_figure(summary: pd.DataFrame) -> Figure:
    """Plot the autocorrelation times of ``Q`` and ``t^2 E`` against ``a^2/t_0``.

    One panel per observable, one line per algorithm; ensembles whose charge never changed
    are drawn as open markers at the top of the ``Q`` panel, labelled "frozen".

    Parameters
    ----------
    summary : DataFrame
        From :func:`latticeml.evaluate.flow.summarize_flow`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if summary.empty:
        raise ParameterError("summary", "at least one ensemble", "none")
    fig = Figure(figsize=(DOUBLE_COLUMN, 2.6), layout="constrained")
    axes = fig.subplots(1, 2)
    panels = (("tau_int_q", r"$\tau_\mathrm{int}(Q)$ at $t_0$ [updates]"),
              ("tau_int_t2e", r"$\tau_\mathrm{int}(t^2E)$ at $t_0$ [updates]"))
    finite = summary[["tau_int_q", "tau_int_t2e"]].to_numpy(float)
    top = np.nanmax(finite) * 2 if np.isfinite(finite).any() else 10.0
    for ax, (col, ylabel) in zip(axes, panels, strict=True):
        for algo, group in summary.groupby("algorithm", sort=True):
            g = group.sort_values("a2_over_t0")
            colour, marker, ls = _algo_style(str(algo))
            ax.errorbar(g["a2_over_t0"], g[col], yerr=g[f"{col}_err"], color=colour,
                        marker=marker, ls=ls, ms=4, capsize=2, label=str(algo))
            if col == "tau_int_q" and g["q_frozen"].any():
                frozen = g[g["q_frozen"]]
                ax.plot(frozen["a2_over_t0"], np.full(len(frozen), top), ls="none",
                        marker=marker, mfc="none", color=colour,
                        label=f"{algo}: Q never changed")
        ax.set_xlabel(r"$a^2/t_0$ (coarser $\rightarrow$)")
        ax.set_ylabel(ylabel)
        ax.set_yscale("log")
        ax.legend(fontsize="small", frameon=False)
    return fig
