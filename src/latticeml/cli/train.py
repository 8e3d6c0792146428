"""``latticeml train``: train one model on a gauge dataset (stage 3)."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``train`` command to ``sub``."""
    p = sub.add_parser(
        "train",
        help="train an L-CNN or CNN on a gauge dataset (stage 3)",
        description="Train one model (AdamW with amsgrad, early stopping on the validation "
        "loss). Writes OUT/model.pt (best-on-validation weights), OUT/checkpoint.pt after every "
        "epoch and OUT/metrics.csv. Running the same command after a kill resumes from the "
        "checkpoint and ends with the same weights.",
    )
    from latticeml.catalog.training import SEARCHED_TRAINING
    from latticeml.cli._fields import add_options
    from latticeml.train.params import TrainParams

    p.add_argument("--model", required=True,
                   help="preset name (W2x2-small), inline mapping ('{kind: cnn, channels: "
                   "[8, 8]}') or YAML file")
    # every run parameter is declared once, on TrainParams (latticeml.fields.option)
    add_options(p, TrainParams, detect=SEARCHED_TRAINING)
    p.add_argument("--training-from", metavar="best.yaml",
                   help="take lr, batch size, weight decay and schedule from the training block "
                   "of a search's best.yaml (then those flags may not be given)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--force", action="store_true", help="replace an existing DIR/model.pt")
    p.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
    p.add_argument("--keep-checkpoint", action="store_true",
                   help="keep DIR/checkpoint.pt after a successful run (default: remove it)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_train)


def _train(args: argparse.Namespace) -> int:
    from latticeml.catalog.training import SEARCHED_TRAINING
    from latticeml.cli._fields import given_options
    from latticeml.errors import ParameterError
    from latticeml.train import TrainParams, parse_model_spec, train

    values = given_options(args, TrainParams)
    if args.training_from:
        from latticeml.search.export import read_best_training

        clash = sorted(set(values) & set(SEARCHED_TRAINING))
        if clash:
            raise ParameterError(
                "--training-from", "no " + ", ".join(f"--{k.replace('_', '-')}" for k in clash)
                + " beside it (best.yaml sets them)", args.training_from,
                "drop those flags, or drop --training-from to choose them yourself")
        values.update(read_best_training(args.training_from))
    params = TrainParams(model=parse_model_spec(args.model), out=args.out, **values)
    from latticeml.errors import LatticeMLError
    from latticeml.nn.build import build_model

    try:  # a bad spec fails here, before any data is read
        spec = params.model_spec()
        if str(spec.get("kind", "")).lower() == "fl":  # its lattice comes from --train
            spec.setdefault("input_shape", [2, 2])
        build_model(spec)
    except LatticeMLError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise ParameterError("--model", "a valid model spec", args.model,
                             str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    result = train(params, progress=not args.no_progress, force=args.force,
                   restart=args.restart, keep_checkpoint=args.keep_checkpoint)
    print(f"wrote {result.model_path} (best epoch {result.best_epoch} of {result.epochs_run}, "
          f"val loss {result.best_val_loss:.4e}, ended by {result.ended_by})", file=sys.stderr)
    return 0
