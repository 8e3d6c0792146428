"""``explain_model_file``: expansion, verification and explanation of one trained model.

Steps (timed separately): read the model file and rebuild it in float64 (refusing networks
that are not polynomials in the links before any work); expand it
(:func:`~latticeml.loops.expand.expand`); verify the expansion against the float64 network on
Haar-random configurations of a lattice on which no loop wraps; compare it with the target
``(1/N) Re Tr W`` on those configurations and, if asked, on thermalised ones at given
couplings; rewrite it modulo the SU(N) trace identities
(:func:`~latticeml.loops.explain.reduce_by_identities`).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from latticeml.errors import ParameterError
from latticeml.loops import weighted as Wt
from latticeml.loops.evaluate import evaluate_expansion, relative_residual
from latticeml.loops.expand import expand, load_float64
from latticeml.loops.explain import (
    DEFAULT_MAX_TERMS,
    Explanation,
    lattice_for,
    parse_target,
    reduce_by_identities,
    sample_links,
    target_residual,
)

__all__ = ["ExplainReport", "network_output", "verify_expansion", "explain_model_file"]


@dataclass
class ExplainReport:
    """Everything ``latticeml loops explain`` prints and writes.

    Attributes
    ----------
    path : str
        The model file.
    table : pandas.DataFrame
        The expansion (see :mod:`latticeml.loops.expand`).
    target_word : str or None
        The target loop at the output site, if the target is a Wilson loop.
    shape : tuple of int
        Lattice of the random configurations.
    verification : float
        ``max |expansion - network| / max |network|`` on Haar-random configurations.
    target_residuals : dict
        ``{"haar": {...}, "beta=<b>": {...}}`` from
        :func:`~latticeml.loops.explain.target_residual`.
    explanation : Explanation or None
        The reduction modulo identities (None if skipped, see ``skipped``).
    skipped : str
        Why the reduction was skipped ("" if it ran).
    timings : dict
        Seconds per step.
    """

    path: str
    table: pd.DataFrame
    target_word: str | None
    shape: tuple[int, ...]
    verification: float
    target_residuals: dict[str, dict[str, float]]
    explanation: Explanation | None
    skipped: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self, top: int = 10) -> dict:
        """Plain-data summary (for ``--json``)."""
        t = self.table
        body = t[t["word"].map(lambda w: isinstance(w, str) and bool(w))]
        out = {
            "model": self.path, "target": t.attrs.get("target"),
            "target_word": self.target_word, "n_colors": t.attrs["n_colors"],
            "dim": t.attrs["dim"], "n_words": t.attrs["n_words"], "n_terms": len(body),
            "n_loops": int(body["loop"].nunique()), "constant": t.attrs["constant"],
            "mean": t.attrs["mean"], "std": t.attrs["std"], "pooled": t.attrs["pooled"],
            "shape": list(self.shape), "verification_residual": self.verification,
            "target_residuals": self.target_residuals, "timings": self.timings,
            "top": [{k: (None if isinstance(v, float) and math.isnan(v) else v)
                     for k, v in row.items()}
                    for row in body.head(top)[["word", "base", "loop", "length", "area", "re",
                                               "im", "re_n"]].to_dict("records")],
            "identities": None, "identities_skipped": self.skipped or None,
        }
        e = self.explanation
        if e is not None:
            out["identities"] = {
                "n_terms": e.n_terms, "rank": e.rank, "n_identities": e.n_identities,
                "target_direct": e.direct, "target_reduced": e.reduced,
                "target_reshuffled": e.reshuffled, "constant_direct": e.constant_direct,
                "constant_reduced": e.constant_reduced, "rest_rms": e.rest_rms,
                "reduction_error": e.reduction_error, "max_imag": e.max_imag,
                "contributions": e.contributions.head(top).to_dict("records"),
                "reduced_top": e.reduced_table.head(top).to_dict("records"),
            }
        return out


def network_output(model, links) -> np.ndarray:
    """Float64 output of a (float64) network or regressor on links ``(B, *shape, D, N, N)``."""
    import torch

    u = torch.as_tensor(np.asarray(links, dtype=np.complex128))
    with torch.no_grad():
        return model(u).double().numpy()


def verify_expansion(table: pd.DataFrame, model, links) -> float:
    """``max |expansion - model| / max |model|`` on the given configurations.

    A pooled (``head='mean'``) model is compared with the site average of the expansion.
    """
    y = evaluate_expansion(table, links)
    if table.attrs.get("pooled"):
        y = y.reshape(y.shape[0], -1).mean(axis=1)
    return relative_residual(y, network_output(model, links))


def _ensemble_links(paths: tuple[str, ...], n_colors: int, shape: tuple[int, ...],
                    n_configs: int):
    """Yield ``("beta=<b>", links)`` of stage-1 files, checked against the expansion's needs."""
    from latticeml.data import read_gauge_ensemble

    for path in paths:
        arrays, attrs = read_gauge_ensemble(path)  # digests and SU(N) checked
        links = arrays["links"][:n_configs]
        got = tuple(int(s) for s in attrs["shape"])
        if int(attrs["n_colors"]) != n_colors or len(got) != len(shape):
            raise ParameterError("--ensembles", f"SU({n_colors}) ensembles in {len(shape)}D "
                                 "like the model", f"{path}: SU({attrs['n_colors']}), "
                                 f"{len(got)}D")
        if min(got) < min(shape):
            raise ParameterError("--ensembles", f"lattices of at least {min(shape)} sites per "
                                 "direction (no loop of the expansion may wrap around)",
                                 f"{path}: {'x'.join(map(str, got))}")
        yield f"beta={float(attrs['beta']):g}", links


def explain_model_file(path: str | os.PathLike, *, n_configs: int = 4, seed: int = 0,
                       betas: tuple[float, ...] = (), identities: bool = True,
                       max_terms: int = DEFAULT_MAX_TERMS, top: int = 10,
                       max_pairs: int = Wt.DEFAULT_MAX_PAIRS,
                       ensembles: tuple[str, ...] = ()) -> ExplainReport:
    """Expand, verify and explain a trained L-CNN model file.

    Parameters
    ----------
    path : path-like
        ``model.pt``.
    n_configs : int
        Haar-random configurations for the verification and the target residual (>= 1).
    seed : int
        Seed of those configurations and of the identity samples (>= 0).
    betas : tuple of float
        Also compare with the target on ``n_configs`` heat-bath configurations at these
        couplings (SU(2)/SU(3), 200 thermalisation sweeps, 10 between configurations),
        generated here; prefer ``ensembles``.
    ensembles : tuple of str
        Stage-1 gauge ensemble files (``latticeml gauge generate``, e.g. the training
        ensemble's, one per coupling): the target is also compared on their first
        ``n_configs`` configurations, one residual per file under ``beta=<its beta>``. Their
        group must be the model's and their lattice at least as large as the expansion's.
    identities : bool
        Run :func:`~latticeml.loops.explain.reduce_by_identities`.
    max_terms : int
        Skip the reduction (with a note) above this many functions.
    top : int
        Rows kept in the explanation's contribution table.
    max_pairs : int
        Bound on the product block of one layer.

    Raises
    ------
    FileFormatError
        Missing or damaged model file.
    ParameterError
        Bad numbers, or a network that is not a polynomial in the links (before any work).
    """
    if int(n_configs) < 1:
        raise ParameterError("--configs", "an integer >= 1", n_configs)
    if int(seed) < 0:
        raise ParameterError("--seed", "an integer >= 0", seed)
    for b in betas:
        if not (math.isfinite(float(b)) and float(b) >= 0):
            raise ParameterError("--beta", "finite couplings >= 0", b)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    model, content = load_float64(path)
    if betas and int(model.net.n_colors) not in (2, 3):
        raise ParameterError("--beta", "SU(2) or SU(3) models (heat bath)",
                             f"SU({model.net.n_colors})")
    timings["load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    table = expand(model, max_pairs=max_pairs)
    table.attrs.update({"target": content["target"], "plane": int(content["plane"]),
                        "spec": content["spec"]})
    timings["expand"] = time.perf_counter() - t0
    n, dim = int(table.attrs["n_colors"]), int(table.attrs["dim"])
    try:
        target_word = parse_target(content["target"], int(content["plane"]), dim)
    except ParameterError:
        target_word = None
    shape = lattice_for(table, dim)
    t0 = time.perf_counter()
    links = sample_links(n, shape, int(n_configs), int(seed))
    verification = verify_expansion(table, model, links)
    timings["verify"] = time.perf_counter() - t0
    residuals: dict[str, dict[str, float]] = {}
    if target_word is not None and not table.attrs["pooled"]:
        residuals["haar"] = target_residual(table, target_word, links)
        t0 = time.perf_counter()
        for b in betas:
            therm = sample_links(n, shape, int(n_configs), int(seed), beta=float(b))
            residuals[f"beta={float(b):g}"] = target_residual(table, target_word, therm)
        for label, therm in _ensemble_links(ensembles, n, shape, int(n_configs)):
            residuals[label] = target_residual(table, target_word, therm)
        if betas or ensembles:
            timings["thermalised"] = time.perf_counter() - t0
    explanation, skipped = None, ""
    if identities:
        body = int((table["word"].map(lambda w: isinstance(w, str) and bool(w))).sum())
        m = body * (2 if n > 2 else 1)
        if m > max_terms:
            skipped = f"{m} functions > max_terms {max_terms}"
        else:
            t0 = time.perf_counter()
            # a pooled model predicts a site average: no per-site target to reduce towards
            explanation = reduce_by_identities(
                table, target=None if table.attrs["pooled"] else target_word,
                seed=int(seed) + 1, max_terms=max_terms, top=top)
            timings["identities"] = time.perf_counter() - t0
    return ExplainReport(str(path), table, target_word, shape, verification, residuals,
                         explanation, skipped, timings)
