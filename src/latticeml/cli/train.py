"""``latticeml train``: train one model on a gauge dataset (stage 3)."""

from __future__ import annotations

import argparse
import sys

from latticeml.cli._common import float_arg, int_arg

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
    p.add_argument("--train", required=True, metavar="F.h5", help="training dataset")
    p.add_argument("--val", required=True, metavar="F.h5", help="validation dataset")
    p.add_argument("--target", required=True, help="target, e.g. W_2x2")
    p.add_argument("--plane", type=int_arg, default=0,
                   help="plane of Wilson-loop targets for D > 2 (0 = (0,1); default 0)")
    p.add_argument("--model", required=True,
                   help="preset name (W2x2-small), inline mapping ('{kind: cnn, channels: "
                   "[8, 8]}') or YAML file")
    p.add_argument("--epochs", type=int_arg, default=100, help="maximal epochs (default 100)")
    p.add_argument("--batch-size", type=int_arg, default=25, help="default 25")
    p.add_argument("--lr", type=float_arg, default=1e-2, help="learning rate (default 1e-2)")
    p.add_argument("--weight-decay", type=float_arg, default=0.0, help="AdamW weight decay (0)")
    p.add_argument("--schedule", default="none", help="none (default), cosine or plateau")
    p.add_argument("--min-lr", type=float_arg, default=1e-6,
                   help="lowest learning rate of the schedules (default 1e-6)")
    p.add_argument("--plateau-patience", type=int_arg, default=5,
                   help="epochs without improvement before 'plateau' halves the rate (5)")
    p.add_argument("--patience", type=int_arg, default=20,
                   help="stop after this many epochs without a lower validation loss (20; 0 = "
                   "never)")
    p.add_argument("--warmup-epochs", type=int_arg, default=0, metavar="E",
                   help="linear learning-rate warm-up over the steps of the first E epochs "
                   "(default 0)")
    p.add_argument("--clip-grad-norm", type=float_arg, default=0.0, metavar="C",
                   help="clip the gradient norm to C before each step (default 0 = off)")
    p.add_argument("--stop-window", type=int_arg, default=0, metavar="W",
                   help="stop rule: end when the last W epochs lowered the best validation "
                   "loss by less than --stop-min-improvement (default 0 = off)")
    p.add_argument("--stop-min-improvement", type=float_arg, default=0.01, metavar="R",
                   help="relative improvement over --stop-window epochs that goes on (0.01)")
    p.add_argument("--time-budget", type=float_arg, default=0.0, metavar="SECONDS",
                   help="wall-clock budget of the run, resumed runs included (default 0 = "
                   "none; with --lbfgs-steps, half of it is L-BFGS's)")
    p.add_argument("--lbfgs-steps", type=int_arg, default=0, metavar="K",
                   help="second stage: K outer steps of full-batch L-BFGS (strong Wolfe) "
                   "from the best weights (default 0 = none)")
    p.add_argument("--lbfgs-max-iter", type=int_arg, default=20, metavar="I",
                   help="iterations per outer L-BFGS step (default 20)")
    p.add_argument("--init-from", default="", metavar="MODEL.pt",
                   help="start from the weights of this model file (same model spec) instead "
                   "of a random initialisation: fine-tuning, curricula")
    p.add_argument("--lbfgs-samples", type=int_arg, default=0, metavar="N",
                   help="full batch of L-BFGS: N training samples evenly spaced (default 0 = "
                   "all)")
    p.add_argument("--loss", default="site",
                   help="site (MSE per site, default) or mean (MSE of lattice averages)")
    p.add_argument("--seed", type=int_arg, default=0, help="weights and shuffling (default 0)")
    p.add_argument("--dtype", default="float32", help="float32 (default) or float64")
    p.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    p.add_argument("--threads", type=int_arg, default=0,
                   help="torch CPU threads (default: torch's choice)")
    p.add_argument("--name", default="", help="experiment label stored in the model file")
    p.add_argument("--replica", type=int_arg, default=0, help="replica label (default 0)")
    p.add_argument("--train-limit", type=int_arg, default=0, metavar="N",
                   help="train on N samples evenly spaced through --train (default 0 = all)")
    p.add_argument("--training-from", metavar="best.yaml",
                   help="take lr, batch size, weight decay and schedule from the training block "
                   "of a search's best.yaml (they override the flags)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--force", action="store_true", help="replace an existing DIR/model.pt")
    p.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
    p.add_argument("--keep-checkpoint", action="store_true",
                   help="keep DIR/checkpoint.pt after a successful run (default: remove it)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_train)


def _train(args: argparse.Namespace) -> int:
    from latticeml.train import TrainParams, parse_model_spec, train

    overrides = {}
    if args.training_from:
        from latticeml.search.export import read_best_training

        overrides = read_best_training(args.training_from)
    flags = dict(lr=args.lr, batch_size=args.batch_size, weight_decay=args.weight_decay,
                 schedule=args.schedule)
    flags.update(overrides)
    params = TrainParams(
        train=args.train, val=args.val, target=args.target, model=parse_model_spec(args.model),
        out=args.out, plane=args.plane, epochs=args.epochs, batch_size=flags["batch_size"],
        lr=flags["lr"], weight_decay=flags["weight_decay"], patience=args.patience,
        loss=args.loss, schedule=flags["schedule"], min_lr=args.min_lr,
        plateau_patience=args.plateau_patience,
        seed=args.seed, dtype=args.dtype, device=args.device, threads=args.threads,
        name=args.name, replica=args.replica, train_limit=args.train_limit,
        warmup_epochs=args.warmup_epochs, clip_grad_norm=args.clip_grad_norm,
        stop_window=args.stop_window, stop_min_improvement=args.stop_min_improvement,
        time_budget=args.time_budget, lbfgs_steps=args.lbfgs_steps,
        lbfgs_max_iter=args.lbfgs_max_iter, lbfgs_samples=args.lbfgs_samples,
        init_from=args.init_from,
    )
    from latticeml.errors import LatticeMLError, ParameterError
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
