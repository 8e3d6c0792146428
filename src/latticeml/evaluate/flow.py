"""Summaries of gradient-flow tables: scales with errors and autocorrelation times.

Input: the tables of ``latticeml gauge flow`` (one row per configuration and flow time, with
the ensemble's ``beta``, ``group``, ``shape``, ``algorithm`` and ``n_skip``). Per table:

* ``t0`` and ``w0`` from the ensemble average of ``t^2 E(t)`` (clover ``E`` in 4D, else the
  plaquette one), errors by a jackknife over blocks of configurations (block length twice
  the integrated autocorrelation time of ``t^2 E`` at ``t0``, at least one);
* the integrated autocorrelation times (Wolff's Gamma method,
  :func:`latticeml.observables.autocorr.gamma_analysis`) of the flowed charge ``Q`` and of
  ``t^2 E`` at the measured flow time closest to ``t0``, in Monte Carlo updates (sweeps or
  trajectories: saved-configuration units times ``n_skip``); a charge that never changes gives
  NaN and ``q_frozen = True`` instead of the meaningless 1/2 of a constant series;
* ``<Q>``, ``<Q^2>``, and how close the flowed charges are to integers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from latticeml.errors import ParameterError

__all__ = ["FLOW_COLUMNS", "summarize_flow", "summarize_flow_files", "t2e_curve"]

#: Columns a flow table must have.
FLOW_COLUMNS = ("config", "t", "t2e_plaquette", "t2e_clover", "charge", "beta", "group", "shape",
                "algorithm", "n_skip")


def _check(table: pd.DataFrame, name: str) -> None:
    missing = [c for c in FLOW_COLUMNS if c not in table.columns]
    if missing:
        raise ParameterError(name, "a table of `latticeml gauge flow` with the columns "
                             + ", ".join(FLOW_COLUMNS), "no " + ", ".join(missing))


def t2e_curve(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, str]:
    """Return flow times, ``t^2 E`` per configuration ``(n_configs, n_t)`` and which ``E``."""
    which = "t2e_clover" if table["t2e_clover"].notna().all() else "t2e_plaquette"
    wide = table.pivot(index="config", columns="t", values=which).sort_index()
    return wide.columns.to_numpy(float), wide.to_numpy(float), which.removeprefix("t2e_")


def _crossing(t: np.ndarray, y: np.ndarray, level: float) -> float:
    above = np.nonzero(y >= level)[0]
    if above.size == 0 or above[0] == 0:
        return math.nan
    k = above[0]
    return float(t[k - 1] + (level - y[k - 1]) * (t[k] - t[k - 1]) / (y[k] - y[k - 1]))


def _scales(t: np.ndarray, mean_t2e: np.ndarray, level: float) -> tuple[float, float]:
    t0 = _crossing(t, mean_t2e, level)
    w = t * np.gradient(mean_t2e, t)  # t d(t^2 E)/dt
    tw = _crossing(t, w, level)
    return t0, math.sqrt(tw) if tw == tw else math.nan


def _tau(chains: list[np.ndarray], n_skip: int) -> tuple[float, float]:
    from latticeml.observables.autocorr import gamma_analysis_replicas

    every = np.concatenate(chains)
    if every.size < 4 or np.ptp(every) == 0:
        return math.nan, math.nan
    g = gamma_analysis_replicas(chains)
    return g.tau_int * n_skip, g.tau_int_error * n_skip


#: Columns that must agree for tables to be pooled as chains of one ensemble.
_ENSEMBLE_KEYS = ("group", "shape", "beta", "algorithm", "n_skip")


def _one(chains: list[pd.DataFrame], level: float) -> dict:
    """Summary of one ensemble from one or more independent chains (tables in MC order)."""
    curves = [t2e_curve(table) for table in chains]
    t, _, which = curves[0]
    for other_t, _, other_which in curves[1:]:
        if other_t.shape != t.shape or not np.allclose(other_t, t) or other_which != which:
            raise ParameterError("tables", "chains of one ensemble measured at the same flow "
                                 "times with the same energy", "different flow-time grids")
    t2e_chains = [c[1] for c in curves]
    t2e = np.concatenate(t2e_chains)
    n_cfg = t2e.shape[0]
    meta = chains[0].iloc[0]
    n_skip = int(meta["n_skip"])
    t0, w0 = _scales(t, t2e.mean(axis=0), level)
    k0 = int(np.argmin(np.abs(t - t0))) if t0 == t0 else len(t) - 1
    tau_e, tau_e_err = _tau([c[:, k0] for c in t2e_chains], n_skip)
    charges = [table.pivot(index="config", columns="t", values="charge").sort_index().to_numpy()
               for table in chains]
    q_chains = [c[:, k0] for c in charges]
    tau_q, tau_q_err = ((math.nan, math.nan) if not all(np.isfinite(q).all() for q in q_chains)
                        else _tau(q_chains, n_skip))
    q = np.concatenate(q_chains)
    # jackknife over blocks of about 2 tau_int(t^2 E) saved configurations, each block inside
    # one chain
    block = max(1, math.ceil(2 * tau_e / n_skip)) if tau_e == tau_e else 1
    blocks = [c[: (c.shape[0] // block) * block].reshape(-1, block, c.shape[1]).sum(axis=1)
              for c in t2e_chains]
    usable = np.concatenate(blocks)
    n_blocks = usable.shape[0]
    t0_err = w0_err = math.nan
    if n_blocks >= 2:
        total = usable.sum(axis=0)
        jack = np.array([_scales(t, (total - usable[b]) / (block * (n_blocks - 1)), level)
                         for b in range(n_blocks)])
        errs = []
        for col in jack.T:  # each scale on its own: w0 may not be reached where t0 is
            spread = col - col.mean()
            errs.append(float(np.sqrt((n_blocks - 1) / n_blocks * np.sum(spread**2)))
                        if np.isfinite(col).all() else math.nan)
        t0_err, w0_err = errs
    q_last = np.concatenate([c[:, -1] for c in charges])
    return {
        "group": meta["group"], "shape": meta["shape"], "beta": float(meta["beta"]),
        "algorithm": meta["algorithm"], "n_skip": n_skip, "n_chains": len(chains),
        "n_configs": n_cfg,
        "energy": which, "t_max": float(t[-1]), "t0": t0, "t0_err": float(t0_err),
        "w0": w0, "w0_err": float(w0_err),
        "a2_over_t0": 1.0 / t0 if t0 == t0 else math.nan,
        "t_ref": float(t[k0]), "tau_int_t2e": tau_e, "tau_int_t2e_err": tau_e_err,
        "tau_int_q": tau_q, "tau_int_q_err": tau_q_err,
        "q_frozen": bool(np.isfinite(q).all() and np.ptp(q) == 0),
        "q_mean": float(np.mean(q_last)), "q2_mean": float(np.mean(q_last**2)),
        "q_integer_distance": float(np.median(np.abs(q_last - np.round(q_last)))),
        "q_nonzero_fraction": float(np.mean(np.abs(np.round(q_last)) >= 1)),
    }


def summarize_flow(tables: dict[str, pd.DataFrame], *, level: float = 0.3,
                   pool: bool = False) -> pd.DataFrame:
    """Summarise flow tables, one row each (or one per ensemble with ``pool``).

    Parameters
    ----------
    tables : dict of str to DataFrame
        Flow tables by a label (e.g. the file name), each from one Markov chain in order.
    level : float
        The value of ``t^2 E`` that defines ``t0`` (and of ``t d(t^2 E)/dt`` for ``w0``); 0.3
        is the usual SU(3) choice.
    pool : bool
        Treat tables of the same group, shape, coupling, algorithm and ``n_skip`` as
        independent Markov chains of one ensemble: one row for them, with averages over all
        their configurations, autocorrelation times from the Gamma method with replicas
        (:func:`latticeml.observables.autocorr.gamma_analysis_replicas`), jackknife blocks
        inside each chain, and ``source`` their labels joined by ``+``.

    Returns
    -------
    DataFrame
        One row per table (per ensemble with ``pool``): ``source``, the ensemble's
        parameters, ``n_chains``, ``n_configs``, ``t0``/``w0`` with errors,
        ``a2_over_t0``, autocorrelation times of ``t^2 E`` and ``Q`` (in updates) at
        ``t_ref`` (the measured time closest to ``t0``), ``q_frozen``, ``<Q>``, ``<Q^2>``, the
        median distance of ``Q`` to the nearest integer and the fraction of configurations
        whose rounded ``Q`` is not 0, at the last flow time (a small box has almost only
        ``Q = 0``, and then the autocorrelation time of ``Q`` says little).

    Raises
    ------
    ParameterError
        A table without the columns of ``latticeml gauge flow``, or none at all.
    """
    if not tables:
        raise ParameterError("tables", "at least one flow table", "none")
    groups: dict[tuple, list[str]] = {}
    for name, table in tables.items():
        _check(table, name)
        key = (tuple(str(table.iloc[0][k]) for k in _ENSEMBLE_KEYS) if pool else (name,))
        groups.setdefault(key, []).append(name)
    rows = []
    for names in groups.values():
        rows.append({"source": "+".join(names), **_one([tables[n] for n in names], level)})
    return pd.DataFrame(rows).sort_values(["group", "algorithm", "beta", "source"],
                                          ignore_index=True)


def summarize_flow_files(tables, out, *, out_dir=None, level: float = 0.3, pool: bool = False,
                         force: bool = False) -> pd.DataFrame:
    """Summarise flow tables from files; write the summary CSV (and the figures).

    Parameters
    ----------
    tables : list of path-like
        Tables of ``latticeml gauge flow`` (``.csv`` or ``.csv.gz``); each is labelled
        ``<folder>/<name without the suffixes>``.
    out : path-like
        The summary CSV (written atomically).
    out_dir : path-like, optional
        Folder for the figures ``t2e`` and ``freezing`` (PNG and PDF; created).
    level : float
        The ``t^2 E`` that defines ``t0``.
    pool : bool
        Pool tables of one ensemble as independent chains (:func:`summarize_flow`).
    force : bool
        Replace existing outputs.

    Returns
    -------
    DataFrame
        The summary (:func:`summarize_flow`).

    Raises
    ------
    ParameterError
        A level outside (0, 10), a missing table, an output that exists or is an input.
    """
    from pathlib import Path

    from latticeml.evaluate.request import check_outputs
    from latticeml.evaluate.tables import write_csv

    if not 0 < level < 10:
        raise ParameterError("--level", "a value of t^2 E in (0, 10)", level)
    check_outputs([out], tables, force)
    frames = {}
    for path in tables:
        p = Path(path)
        if not p.is_file():
            raise ParameterError("FLOW.csv", "an existing table of `latticeml gauge flow`",
                                 str(path))
        stem = p.name.removesuffix(".gz").removesuffix(".csv")  # gzipped tables read as well
        frames[f"{p.parent.name}/{stem}" if p.parent.name else stem] = pd.read_csv(p)
    summary = summarize_flow(frames, level=level, pool=pool)
    write_csv(summary, out)
    if out_dir is not None:
        from latticeml.plots.flow import freezing_figure, t2e_figure
        from latticeml.plots.style import save_figure

        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        save_figure(t2e_figure(frames, summary, level), folder / "t2e")
        save_figure(freezing_figure(summary), folder / "freezing")
    return summary
