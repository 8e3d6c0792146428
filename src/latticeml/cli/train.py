"""``latticeml model train``: train one model on a gauge or scalar dataset (stage 3)."""

from __future__ import annotations

import argparse
import sys

from latticeml.cli._common import add_command, add_out_dir, add_switch, resolve_out_dir

__all__ = ["add"]


def add(sub: argparse._SubParsersAction, name: str = "train", *,
        replacement: str | None = None) -> None:
    """Add the train command to ``sub`` (``replacement``: see :func:`add_command`)."""
    p = add_command(
        sub, name, replacement=replacement,
        help="train an L-CNN or CNN on a dataset (stage 3)",
        description="Train one model (AdamW with amsgrad, a schedule, early stopping on the "
        "validation curve, optionally full-batch L-BFGS). Writes DIR/model.pt "
        "(best-on-validation weights), DIR/checkpoint.pt after every epoch and "
        "DIR/metrics.csv. Running the same command after a kill resumes from the checkpoint "
        "and ends with the same weights.",
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
    add_out_dir(p, "output directory (model.pt, metrics.csv, checkpoint.pt)")
    add_switch(p, "--force", "replace an existing DIR/model.pt")
    add_switch(p, "--restart", "ignore an existing checkpoint")
    add_switch(p, "--keep-checkpoint", "keep DIR/checkpoint.pt after a successful run")
    add_switch(p, "--progress", "show a progress bar", default=True)
    p.set_defaults(func=_train)


def _train(args: argparse.Namespace) -> int:
    from latticeml.catalog.training import SEARCHED_TRAINING
    from latticeml.cli._fields import given_options
    from latticeml.errors import ParameterError
    from latticeml.train import TrainParams, parse_model_spec, train

    out_dir = resolve_out_dir(args)
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
    params = TrainParams(model=parse_model_spec(args.model), out=out_dir, **values)
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
    result = train(params, progress=args.progress, force=args.force,
                   restart=args.restart, keep_checkpoint=args.keep_checkpoint)
    print(f"wrote {result.model_path} (best epoch {result.best_epoch} of {result.epochs_run}, "
          f"val loss {result.best_val_loss:.4e}, ended by {result.ended_by})", file=sys.stderr)
    return 0
