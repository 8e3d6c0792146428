"""Comparison figures of the committed searches: validation loss against parameter count.

One axes per target with every family searched on it (``latticeml.plots.search.families``).

Usage::

    python docs/results/search/figures.py   # writes docs/results/search/families_<target>.png/.pdf
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from latticeml.plots.search import families

HERE = Path(__file__).resolve().parent
#: Validation loss of the conditional mean E[W_2x2 | β] (per-β mean of the 1000 evenly spaced
#: training samples the trials train on, per-site MSE on the validation set divided by the
#: variance of those training samples: the normalisation of the search objective), measured on
#: the PRL-protocol 8×8 sets (this folder's README.md).
CONDITIONAL_MEAN_W2X2 = 0.946
PANELS = {
    "W2x2": ("W_2x2 (SU(2), 8×8)", {"CNN": "cnn_W2x2", "L-CNN": "lcnn_W2x2"},
             {"E[W | β]": CONDITIONAL_MEAN_W2X2}),
    "n": ("n (dual φ⁴, 60×4, μ = 1.05)", {"EQ": "eq_n", "ST": "st_n", "FL": "fl_n"}, {}),
    "phi2": ("|φ|² (dual φ⁴, 60×4, μ = 1.05)", {"EQ": "eq_phi2", "ST": "st_phi2",
                                                "FL": "fl_phi2"}, {}),
}


def main() -> None:
    """Write one figure per target (PNG and PDF) next to this script."""
    for stem, (title, studies, baselines) in PANELS.items():
        tables = {label: pd.read_csv(HERE / name / "trials.csv") for label, name in studies.items()}
        fig = families(tables, title=title, baselines=baselines)
        for ext in ("png", "pdf"):
            out = HERE / f"families_{stem}.{ext}"
            tmp = out.with_suffix(f".tmp.{ext}")
            fig.savefig(tmp, dpi=200)
            tmp.replace(out)
            print(f"wrote {out.relative_to(HERE.parents[2])}")


if __name__ == "__main__":
    main()
