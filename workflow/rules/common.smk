# Validation of the config, seeds and paths shared by all rules.
import math
import os
import zlib

from snakemake.utils import validate


class ConfigError(ValueError):
    """An inconsistent or non-finite config value, reported before any job starts."""


def _config_key(path):
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def check_finite(value, path=()):
    """Refuse NaN and infinities anywhere in the config (JSON-schema ranges let them pass)."""
    if isinstance(value, dict):
        for key, item in value.items():
            check_finite(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_finite(item, (*path, i))
    elif isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"config key {_config_key(path)}: expected a finite number, got {value}")


def check_unique(values, key, what, fmt=str):
    """Refuse a list whose entries (as formatted into paths) repeat."""
    seen = {}
    for i, value in enumerate(values):
        text = fmt(value)
        if text in seen:
            raise ConfigError(
                f"config key {key}: {what} {value!r} (entry {i}) repeats entry {seen[text]} "
                f"({values[seen[text]]!r}), both written as {text!r}; every entry becomes "
                "one file or target, and listed twice its samples would be duplicated"
            )
        seen[text] = i


def check_loops_fit(loops, shape, key):
    """A Wilson loop a x b takes a steps along mu and b along nu (mu < nu) in every plane."""
    a_max, b_max = min(shape[:-1]), min(shape[1:])
    for a, b in loops:
        if a > a_max or b > b_max:
            raise ConfigError(
                f"config key datasets.gauge.loops: loop {a}x{b} is larger than the lattice "
                f"{'x'.join(map(str, shape))} of {key} (needs a <= {a_max}, b <= {b_max})"
            )


check_finite(config)
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


# a named constant: `snakemake --lint` reads a quoted slash followed by code as a path
SEED_SEPARATOR = "/"


def derive_seed(*keys):
    """A stable per-job seed from the base seed and the job's identity (never hash())."""
    text = SEED_SEPARATOR.join(str(k) for k in (config["seed"], *keys))
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
SCALAR_ENS = {e["name"]: e for e in SCALAR["ensembles"]}
_both = sorted(set(GAUGE) & set(SCALAR_ENS))
if _both:
    raise ValueError(f"ensemble names used for both a gauge and a scalar ensemble: {_both}")


def scalar_setting(name, key):
    """A scalar ensemble's setting: its own value, else the scalar section's default."""
    return SCALAR_ENS[name].get(key, SCALAR.get(key))


def scalar_ensemble_path(name, mu, worms, split):
    return f"{RESULTS}/ensembles/scalar/{name}/mu{fmt_mu(mu)}_open{worms}_{split}.h5"


def scalar_ensemble_targets():
    return [
        scalar_ensemble_path(name, mu, worms, split)
        for name, e in SCALAR_ENS.items()
        for mu in e["mu"]
        for worms in e["open_worms"]
        for split in e["splits"]
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
        f"{RESULTS}/datasets/scalar/{name}/{split}.h5"
        for name, e in SCALAR_ENS.items()
        for split in e["splits"]
    ]


# ---- experiments (stage 3-5) ----------------------------------------------------------------
import itertools
import json

EXPERIMENTS = {e["name"]: e for e in config.get("experiments", [])}
TRAINING = config["training"]
EVALUATION = config["evaluation"]

# ---- consistency of the config (before any job starts; every message names the key) -------
_LOOPS = [tuple(loop) for loop in config["datasets"]["gauge"]["loops"]]
check_unique(_LOOPS, "datasets.gauge.loops", "loop", fmt=lambda x: f"{x[0]}x{x[1]}")
for _kind, _list in (("gauge", config["gauge"]["ensembles"]),
                     ("scalar", config["scalar"]["ensembles"])):
    check_unique([e["name"] for e in _list], f"{_kind}.ensembles", "ensemble name")
for _i, _g in enumerate(config["gauge"]["ensembles"]):
    _key = f"gauge.ensembles[{_i}] ({_g['name']})"
    check_unique(_g["betas"], f"{_key}.betas", "beta", fmt=fmt_beta)
    check_loops_fit(_LOOPS, _g["shape"], _key)
for _i, _s in enumerate(config["scalar"]["ensembles"]):
    _key = f"scalar.ensembles[{_i}] ({_s['name']})"
    check_unique(_s["mu"], f"{_key}.mu", "mu", fmt=fmt_mu)
    check_unique(_s["open_worms"], f"{_key}.open_worms", "open-worm count")
    _volume = _s["shape"][0] * _s["shape"][1]
    if max(_s["open_worms"]) > _volume // 4:
        raise ConfigError(
            f"config key {_key}.open_worms: at most V/4 = {_volume // 4} open worms on the "
            f"lattice {_s['shape'][0]}x{_s['shape'][1]}, got {max(_s['open_worms'])}"
        )
if EVALUATION["mu_range"][0] > EVALUATION["mu_range"][1]:
    raise ConfigError(
        f"config key evaluation.mu_range: expected [low, high], got {EVALUATION['mu_range']}"
    )
check_unique([e["name"] for e in config["experiments"]], "experiments", "experiment name")
_SCALAR_TARGETS = ("n", "phi2", "flux_violated", "open_worms")


def _dataset_targets(ensemble):
    """Target names the dataset of an ensemble holds (what `latticeml dataset` writes)."""
    if ensemble in SCALAR_ENS:
        return _SCALAR_TARGETS
    names = [f"W_{a}x{b}" for a, b in _LOOPS] + ["polyakov_loop"]
    if len(GAUGE[ensemble]["shape"]) == 4:
        names.append("topological_charge_density")
    return tuple(names)


def _ensemble_splits(name):
    return (GAUGE.get(name) or SCALAR_ENS[name])["splits"]


for _e in EXPERIMENTS.values():
    for _name in (_e["ensemble"], *_e["test"]):
        if _name not in GAUGE and _name not in SCALAR_ENS:
            raise ValueError(
                f"experiment {_e['name']}: no gauge or scalar ensemble named {_name!r} "
                "(a --configfile replaces the lists of config.yaml; define the ensembles there)"
            )
    _kinds = {_name in SCALAR_ENS for _name in (_e["ensemble"], *_e["test"])}
    if len(_kinds) > 1:
        raise ValueError(
            f"experiment {_e['name']}: training and test ensembles must all be gauge or all "
            "scalar ensembles"
        )
    _key = f"experiments ({_e['name']})"
    check_unique(_e["test"], f"{_key}.test", "test ensemble")
    _missing = [s for s in ("train", "val") if s not in _ensemble_splits(_e["ensemble"])]
    if _missing:
        raise ConfigError(
            f"config key {_key}.ensemble: ensemble {_e['ensemble']!r} has no "
            f"{' or '.join(_missing)} split, so the experiment names a dataset that is never "
            f"built (add splits: {', '.join(_missing)} to the ensemble)"
        )
    for _t in _e["test"]:
        if "test" not in _ensemble_splits(_t):
            raise ConfigError(
                f"config key {_key}.test: ensemble {_t!r} has no test split, so the "
                "experiment names a dataset that is never built (add splits: test)"
            )
    _targets = _dataset_targets(_e["ensemble"])
    if _e["target"] not in _targets:
        raise ConfigError(
            f"config key {_key}.target: {_e['target']!r} is not in the datasets of "
            f"{_e['ensemble']!r} (they hold {', '.join(_targets)}; Wilson loops come from "
            "datasets.gauge.loops)"
        )
    if _e["target"] == "flux_violated" and max(SCALAR_ENS[_e["ensemble"]]["open_worms"]) == 0:
        raise ConfigError(
            f"config key {_key}.target: a flux_violated detector needs open-worm chains, but "
            f"scalar ensemble {_e['ensemble']!r} has open_worms {SCALAR_ENS[_e['ensemble']]['open_worms']}"
            " (add a count M > 0)"
        )
    if "grid" in _e and _e["grid"] not in config["cnn_grids"]:
        raise ConfigError(
            f"config key {_key}.grid: no cnn_grids entry named {_e['grid']!r}"
        )
    if _e["ensemble"] in GAUGE:
        _d = len(GAUGE[_e["ensemble"]]["shape"])
        if _e["plane"] >= _d * (_d - 1) // 2:
            raise ConfigError(
                f"config key {_key}.plane: {_e['plane']} is not a plane of a {_d}D lattice "
                f"(0..{_d * (_d - 1) // 2 - 1})"
            )


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
    escaped = text.replace("'", "'\\''")
    return f"'{escaped}'"


def is_scalar(ensemble):
    return ensemble in SCALAR_ENS


def dataset_path(ensemble, split):
    kind = "scalar" if is_scalar(ensemble) else "gauge"
    return f"{RESULTS}/datasets/{kind}/{ensemble}/{split}.h5"


def scalar_study(study):
    return is_scalar(study)


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


def study_tasks(study):
    """{'regression', 'classification'} of a scalar study's experiments (by target)."""
    return {
        "classification" if EXPERIMENTS[e]["target"] == "flux_violated" else "regression"
        for e in studies()[study]
    }


def extrapolation_sets(study):
    """Test ensembles of a scalar study whose every mu lies above the evaluation mu range."""
    hi = EVALUATION["mu_range"][1]
    names = {t for e in studies()[study] for t in EXPERIMENTS[e]["test"]}
    return sorted(
        t for t in names if is_scalar(t) and min(SCALAR_ENS[t]["mu"]) > hi + 1e-9
    )


def detector_feature_models(study):
    """Every replica of the study's EQ, ST and max-pooled detectors (the plot picks the best
    of each experiment), or of all its detectors if it has none of those."""
    detectors = [e for e in studies()[study] if EXPERIMENTS[e]["target"] == "flux_violated"]
    conv = [
        e
        for e in detectors
        if isinstance(EXPERIMENTS[e]["model"], dict)
        and str(EXPERIMENTS[e]["model"].get("kind", "")).lower() in ("eq", "st", "flux")
    ]
    return [m for e in (conv or detectors) for m in model_targets(e)]


def detector_feature_data(study):
    """The first test set of the study's first detector (its first violated configuration)."""
    for e in studies()[study]:
        if EXPERIMENTS[e]["target"] == "flux_violated":
            return dataset_path(EXPERIMENTS[e]["test"][0], "test")
    return []


def scalar_figure_stems(study):
    stems = ["training_curves"]
    if "regression" in study_tasks(study):
        stems += ["observable_vs_mu", "error_vs_size", "predicted_vs_true"]
        if extrapolation_sets(study):
            stems.append("extrapolation")
    if "classification" in study_tasks(study):
        stems += ["classifier_accuracy", "feature_maps"]
    return stems


def plot_targets():
    out = []
    for study in studies():
        stems = scalar_figure_stems(study) if scalar_study(study) else ["error_vs_size"]
        out += [f"{RESULTS}/plots/{study}/{stem}.png" for stem in stems]
    return out


def study_pattern(scalar):
    """A regex matching exactly the gauge (or scalar) study names (never-matching if none)."""
    import re

    names = [s for s in studies() if scalar_study(s) == scalar]
    return "|".join(re.escape(n) for n in names) if names else "(?!)"


def summary_targets():
    return [f"{RESULTS}/evaluation/{study}/summary.csv" for study in studies()]


# ---- dataset rules --------------------------------------------------------------------------
def dataset_gauge_inputs(w):
    e = GAUGE[w.ensemble]
    return [gauge_ensemble_path(w.ensemble, beta, w.split) for beta in e["betas"]]


def dataset_scalar_inputs(w):
    e = SCALAR_ENS[w.ensemble]
    return [
        scalar_ensemble_path(w.ensemble, mu, worms, w.split)
        for mu in e["mu"]
        for worms in e["open_worms"]
    ]


# ---- training rules -------------------------------------------------------------------------
def searched(exp):
    """The search whose best architecture an experiment trains (None: its model/grid)."""
    return EXPERIMENTS[exp].get("search") if config["use_searches"] else None


def search_dir(name):
    return f"{RESULTS}/search/{name}"


def search_best(name):
    return f"{search_dir(name)}/best/best_model.yaml"


def train_model_input(w):
    if searched(w.exp):
        return {"spec": search_best(searched(w.exp)),
                "best": f"{search_dir(searched(w.exp))}/best/best.yaml"}
    if "grid" in EXPERIMENTS[w.exp]:
        return {"spec": f"{RESULTS}/train/{w.exp}/best.yaml"}
    return {}


def train_extra_flags(w):
    """`--training-from best.yaml` when an experiment trains a searched architecture."""
    if searched(w.exp):
        return f" --training-from {search_dir(searched(w.exp))}/best/best.yaml"
    return ""


def evaluate_inputs(w):
    """Gauge studies fit the conditional-mean baseline on the training set."""
    ens = EXPERIMENTS[w.exp]["ensemble"]
    return {} if is_scalar(ens) else {"train": dataset_path(ens, "train")}


def evaluate_flags(w):
    """The `latticeml evaluate` options of an experiment (gauge or scalar)."""
    ens = EXPERIMENTS[w.exp]["ensemble"]
    e = EVALUATION
    if is_scalar(ens):
        return f"--batch-size {e['scalar_batch_size']}"
    # one seed per training ensemble: all models of a study meet the same transformations
    return (
        f"--train-set {dataset_path(ens, 'train')} --batch-size {e['batch_size']}"
        f" --gauge-configs {e['gauge_configs']}"
        f" --alphas {','.join(str(a) for a in e['alphas'])}"
        f" --adversarial-steps {e['adversarial_steps']} --adversarial-lr {e['adversarial_lr']}"
        f" --seed {derive_seed('evaluate', ens)}"
    )


def train_model_flag(w):
    if searched(w.exp):
        return search_best(searched(w.exp))
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


# ---- searches -------------------------------------------------------------------------------
SEARCHES = {s["name"]: s for s in config.get("searches", [])}
check_unique([s["name"] for s in config.get("searches", [])], "searches", "search name")
for _s in SEARCHES.values():
    _key = f"searches ({_s['name']})"
    if _s["ensemble"] not in GAUGE and _s["ensemble"] not in SCALAR_ENS:
        raise ConfigError(f"config key {_key}.ensemble: no gauge or scalar ensemble named "
                          f"{_s['ensemble']!r}")
    _missing = [x for x in ("train", "val") if x not in _ensemble_splits(_s["ensemble"])]
    if _missing:
        raise ConfigError(f"config key {_key}.ensemble: ensemble {_s['ensemble']!r} has no "
                          f"{' or '.join(_missing)} split (add splits: {', '.join(_missing)})")
    if _s["target"] not in _dataset_targets(_s["ensemble"]):
        raise ConfigError(f"config key {_key}.target: {_s['target']!r} is not in the datasets "
                          f"of {_s['ensemble']!r} ({', '.join(_dataset_targets(_s['ensemble']))})")
    if isinstance(_s["space"], str) and not os.path.isfile(_s["space"]):
        raise ConfigError(f"config key {_key}.space: no such file {_s['space']!r} (a path "
                          "relative to the working directory, or an inline mapping)")
for _e in EXPERIMENTS.values():
    if "search" in _e:
        if _e["search"] not in SEARCHES:
            raise ConfigError(f"config key experiments ({_e['name']}).search: no searches "
                              f"entry named {_e['search']!r}")
        _s = SEARCHES[_e["search"]]
        if (_s["ensemble"], _s["target"]) != (_e["ensemble"], _e["target"]):
            raise ConfigError(f"config key experiments ({_e['name']}).search: search "
                              f"{_s['name']!r} is on {_s['ensemble']}/{_s['target']}, the "
                              f"experiment on {_e['ensemble']}/{_e['target']}")


def search_space_input(w):
    space = SEARCHES[w.search]["space"]
    return [space] if isinstance(space, str) else []


def search_space_arg(name):
    space = SEARCHES[name]["space"]
    return space if isinstance(space, str) else model_arg(space)


SEARCH_KEYS = ("n_trials", "seeds", "epochs", "patience", "batch_size", "lr", "loss",
               "schedule", "dtype", "train_limit", "pruner", "timeout", "plane")


def search_settings(w):
    return {k: SEARCHES[w.search][k] for k in SEARCH_KEYS}


def search_worker_targets(name):
    return [f"{search_dir(name)}/workers/w{k}.json" for k in range(SEARCHES[name]["workers"])]


SEARCH_FIGURES = ("history", "importances", "loss_vs_parameters")


def search_targets():
    return [f"{search_dir(n)}/best/{stem}.png" for n in SEARCHES for stem in SEARCH_FIGURES]
