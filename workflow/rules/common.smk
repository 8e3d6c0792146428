# Validation of the config, seeds and paths shared by all rules.
import zlib

from snakemake.utils import validate


validate(config, schema="../schemas/config.schema.yaml")

RESULTS = config["results"]
ENV = "../../envs/latticeml.yaml"
# Every rule runs the package of this checkout, in the project venv (activated) or in the conda
# environment of envs/ (--sdm conda), which holds the dependencies but not latticeml itself.
LATTICEML = (
    f"PYTHONPATH={workflow.basedir}/src${{{{PYTHONPATH:+:$PYTHONPATH}}}} python -m latticeml"
)


wildcard_constraints:
    ensemble=r"[A-Za-z0-9_\-]+",
    beta=r"[0-9]+\.[0-9]+",
    split=r"train|val|test",
    mu=r"-?[0-9]+\.[0-9]+",
    nt=r"[0-9]+",
    nx=r"[0-9]+",
    worms=r"[0-9]+",
    exp=r"[A-Za-z0-9_.\-]+",
    study=r"[A-Za-z0-9_\-]+",
    replica=r"[0-9]+",
    point=r"[0-9]+",


def derive_seed(*keys):
    """A stable per-job seed from the base seed and the job's identity (never hash())."""
    text = "/".join(str(k) for k in (config["seed"], *keys))
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def fmt_beta(beta):
    return f"{float(beta):.4f}"


def fmt_mu(mu):
    return f"{float(mu):.4f}"


# ---- gauge ensembles ------------------------------------------------------------------------
GAUGE = {e["name"]: e for e in config["gauge"]["ensembles"]}


def gauge_threads(wildcards):
    """Threads of a gauge job: the config's, but one per 1024 sites of a checkerboard substep
    at most (the generator's own default), so small lattices do not pay for idle threads."""
    shape = GAUGE[wildcards.ensemble]["shape"]
    sites = 1
    for s in shape:
        sites *= s
    return max(1, min(config["threads"], sites // 2 // 1024))


def gauge_ensemble_path(name, beta, split):
    return f"{RESULTS}/ensembles/gauge/{name}/beta{fmt_beta(beta)}_{split}.h5"


def gauge_ensemble_targets():
    return [
        gauge_ensemble_path(name, beta, split)
        for name, e in GAUGE.items()
        for beta in e["betas"]
        for split in e["splits"]
    ]


# ---- scalar ensembles -----------------------------------------------------------------------
SCALAR = config["scalar"]


def scalar_ensemble_path(nt, nx, mu, worms, split):
    return f"{RESULTS}/ensembles/scalar/{nt}x{nx}/mu{fmt_mu(mu)}_open{worms}_{split}.h5"


def scalar_ensemble_targets():
    return [
        scalar_ensemble_path(nt, nx, mu, worms, split)
        for nt, nx in SCALAR["shapes"]
        for mu in SCALAR["mu"]
        for worms in SCALAR["open_worms"]
        for split in SCALAR["splits"]
    ]


# ---- datasets -------------------------------------------------------------------------------
def gauge_dataset_targets():
    return [
        f"{RESULTS}/datasets/gauge/{name}/{split}.h5"
        for name, e in GAUGE.items()
        for split in e["splits"]
    ]


def scalar_dataset_targets():
    return [
        f"{RESULTS}/datasets/scalar/{nt}x{nx}/open{worms}_{split}.h5"
        for nt, nx in SCALAR["shapes"]
        for worms in SCALAR["open_worms"]
        for split in SCALAR["splits"]
    ]


# ---- experiments (stage 3-5) ----------------------------------------------------------------
import itertools
import json

EXPERIMENTS = {e["name"]: e for e in config.get("experiments", [])}
TRAINING = config["training"]
EVALUATION = config["evaluation"]


def training_value(exp, key):
    """An experiment's training setting: its override, else the config-wide default."""
    return EXPERIMENTS[exp].get("training", {}).get(key, TRAINING[key])


def experiment_replicas(exp):
    return range(training_value(exp, "replicas"))


def grid_points(exp):
    """The model specs of an experiment's CNN grid (Cartesian product of the grid's lists)."""
    grid = config["cnn_grids"][EXPERIMENTS[exp]["grid"]]
    keys = sorted(grid)
    base = EXPERIMENTS[exp]["model"]
    return [{**base, **dict(zip(keys, values))} for values in itertools.product(*(grid[k] for k in keys))]


def model_arg(spec):
    """A model spec as one shell-quoted `--model` value (preset name or inline JSON)."""
    text = spec if isinstance(spec, str) else json.dumps(spec, sort_keys=True)
    return "'" + text.replace("'", "'\\''") + "'"


def dataset_path(ensemble, split):
    return f"{RESULTS}/datasets/gauge/{ensemble}/{split}.h5"


def train_dir(exp, replica):
    return f"{RESULTS}/train/{exp}/r{replica}"


def model_targets(exp):
    return [f"{train_dir(exp, r)}/model.pt" for r in experiment_replicas(exp)]


def studies():
    """Experiments grouped by their training ensemble (one summary and figure set each)."""
    out = {}
    for name, e in EXPERIMENTS.items():
        out.setdefault(e["ensemble"], []).append(name)
    return out


def plot_targets():
    return [
        f"{RESULTS}/plots/{study}/error_vs_size.png"
        for study in studies()
    ]


def summary_targets():
    return [f"{RESULTS}/evaluation/{study}/summary.csv" for study in studies()]


# ---- dataset rules --------------------------------------------------------------------------
def dataset_gauge_inputs(w):
    e = GAUGE[w.ensemble]
    return [gauge_ensemble_path(w.ensemble, beta, w.split) for beta in e["betas"]]


def dataset_scalar_inputs(w):
    return [
        scalar_ensemble_path(w.nt, w.nx, mu, w.worms, w.split) for mu in SCALAR["mu"]
    ]


# ---- training rules -------------------------------------------------------------------------
def train_model_input(w):
    if "grid" in EXPERIMENTS[w.exp]:
        return {"spec": f"{RESULTS}/train/{w.exp}/best.yaml"}
    return {}


def train_model_flag(w):
    if "grid" in EXPERIMENTS[w.exp]:
        return f"{RESULTS}/train/{w.exp}/best.yaml"
    return model_arg(EXPERIMENTS[w.exp]["model"])


TRAIN_FLAGS = (
    " --target {params.target} --plane {params.plane}"
    " --epochs {params.t[epochs]} --batch-size {params.t[batch_size]} --lr {params.t[lr]}"
    " --weight-decay {params.t[weight_decay]} --patience {params.t[patience]}"
    " --loss {params.t[loss]} --schedule {params.t[schedule]} --min-lr {params.t[min_lr]}"
    " --plateau-patience {params.t[plateau_patience]} --dtype {params.t[dtype]}"
    " --device {params.t[device]} --threads {threads} --seed {params.seed}"
)


# the settings that reach the command line (replicas, resources and threads do not change a
# run's result, so they are not params: changing them reruns nothing)
TRAIN_KEYS = ("epochs", "batch_size", "lr", "weight_decay", "patience", "loss", "schedule",
              "min_lr", "plateau_patience", "dtype", "device")


def training_settings(w):
    return {k: training_value(w.exp, k) for k in TRAIN_KEYS}
