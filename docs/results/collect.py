"""Package a finished gauge study of the workflow into docs/results/<study>/.

Usage::

    python docs/results/collect.py --config config/lcnn-su2-4d.yaml --study su2_4d_4x8x8x8 \
        --out docs/results/lcnn-su2-4d [--results results-paper]

Copies the config, the study's evaluation.csv, predictions_best.csv, summary.csv/.md, the
figures, every replica's training curve (training/<experiment>/r<k>.csv), the best replica on
validation of every experiment as models/<target>_<arch>.pt, and the wall time of every job
(timings.csv, from the Snakemake benchmark files). The README of the study is written by hand.
"""

from __future__ import annotations

import argparse
import csv
import shutil
from pathlib import Path

import yaml

from latticeml.nn import load_model


def _arch(model) -> str:
    if isinstance(model, str):
        return model
    if "preset" in model:
        return str(model["preset"])
    return str(model.get("kind", "model"))


def _model_stem(experiment: dict) -> str:
    """File stem of an experiment's committed model: target and architecture.

    Named by the architecture (``W_2x2_W2x2-small``, ``W_2x2_cnn``), except the retrained
    architectures of a search and the models at the published protocol (experiments named
    ``*_searched`` or ``*_published``), named by the experiment name after its target prefix
    (``W2x2_cnn_searched`` -> ``W_2x2_cnn_searched``) so that they do not replace the model of
    the same kind.
    """
    if experiment["name"].endswith(("_searched", "_published")):
        return f"{experiment['target']}_{experiment['name'].split('_', 1)[-1]}"
    return f"{experiment['target']}_{_arch(experiment['model'])}"


def main() -> None:
    """Collect the study named by the command line."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--study", required=True, help="training ensemble (the study's name)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--results", default=None, help="results directory (default: config's)")
    ap.add_argument("--max-model-mb", type=float, default=2.0,
                    help="do not copy best models larger than this (default 2 MB)")
    args = ap.parse_args()
    cfg = yaml.safe_load(Path(args.config).read_text())
    res = Path(args.results or cfg.get("results", "results"))
    out = Path(args.out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    (out / "models").mkdir(exist_ok=True)
    shutil.copy(args.config, out / "config.yaml")
    ev = res / "evaluation" / args.study
    for name in ("evaluation.csv", "predictions_best.csv", "summary.csv", "summary.md"):
        if (ev / name).is_file():
            shutil.copy(ev / name, out / name)
    for f in sorted((res / "plots" / args.study).glob("*.p*")):
        shutil.copy(f, out / "figures" / f.name)
    timings = []
    for e in cfg["experiments"]:
        if e["ensemble"] != args.study:
            continue
        name = e["name"]
        runs = sorted((res / "train" / name).glob("r*/model.pt"))
        (out / "training" / name).mkdir(parents=True, exist_ok=True)
        for m in runs:
            shutil.copy(m.parent / "metrics.csv", out / "training" / name / f"{m.parent.name}.csv")
        if runs:
            best = min(runs, key=lambda p: load_model(p).info["best_val_loss"])
            size_mb = best.stat().st_size / 2**20
            if size_mb > args.max_model_mb:
                print(f"not copied: {best} ({size_mb:.1f} MB > --max-model-mb)")
            else:
                shutil.copy(best, out / "models" / f"{_model_stem(e)}.pt")
        for rule in ("train", "train_grid", "evaluate"):
            base = res / "benchmarks" / rule / name
            files = sorted(base.glob("*.tsv")) if base.is_dir() else []
            files += [base.with_suffix(".tsv")] if base.with_suffix(".tsv").is_file() else []
            for tsv in files:
                with open(tsv) as fh:
                    row = next(csv.DictReader(fh, delimiter="\t"))
                job = rule if tsv.parent.name != name else f"{rule}/{tsv.stem}"
                timings.append((name, job, float(row["s"])))
    with open(out / "timings.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["experiment", "job", "seconds"])
        w.writerows((n, j, f"{s:.1f}") for n, j, s in timings)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
