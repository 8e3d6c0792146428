# Validation of the config, seeds and paths shared by all rules. The checks and the job
# policy live in the package (latticeml.workflow_policy, importable without numpy or torch).
import itertools
import os
import json
import re
import shlex
import sys
import zlib

import yaml
from snakemake.utils import validate

sys.path.insert(0, f"{workflow.basedir}/src")
from latticeml.workflow_config import (
    check_config,
    check_finite,
    check_schema,
    config_origins,
    fmt_beta,
    fmt_mu,
    imported_files,
)
from latticeml.workflow_policy import gauge_job_threads
from latticeml.catalog import models as model_catalog
from latticeml.catalog import targets as catalog
from latticeml.catalog.figures import figure_stems, figures
from latticeml.catalog.training import SEARCHED_TRAINING
from latticeml.fields import cli_options, command_flags
from latticeml.gauge.params import GaugeParams
from latticeml.scalar.params import ScalarParams
from latticeml.search.params import SearchParams
from latticeml.train.params import TrainParams

# which file each top-level key comes from (a --configfile stands alone; see the Snakefile)
_config_files = [str(f) for f in workflow.overwrite_configfiles] or [
    f"{workflow.basedir}/config.yaml"
]
print(
    config_origins(config, _config_files, dict(workflow.config_settings.config)),
    file=sys.stderr,
)
# the config is checked before any job starts; every message names the key
check_finite(config)
with open(f"{workflow.basedir}/workflow/schemas/config.schema.yaml") as _schema:
    check_schema(config, yaml.safe_load(_schema))
validate(config, schema="../schemas/config.schema.yaml")  # fills in the defaults
check_config(config)

RESULTS = config["results"]
ENV = "../../envs/latticeml.yaml"
# Every rule runs the package of this checkout, in the project venv (activated) or in the conda
# environment of envs/ (--sdm conda), which holds the dependencies but not latticeml itself.
# (every path reaches the shell quoted: `{output:q}` in the rules, shlex.quote here)
SRC_PATH = f"PYTHONPATH={shlex.quote(f'{workflow.basedir}/src')}${{{{PYTHONPATH:+:$PYTHONPATH}}}}"
LATTICEML = f"{SRC_PATH} python -m latticeml"
# training jobs with `processes: N > 1` run N data-parallel processes under torchrun
LATTICEML_TRAIN = f"{SRC_PATH} {{params.launch}}"


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


# ---- gauge ensembles ------------------------------------------------------------------------
GAUGE = {e["name"]: e for e in config["gauge"]["ensembles"]}


def gauge_threads(wildcards):
    """Threads of a gauge job (policy: latticeml.workflow_policy.gauge_job_threads)."""
    return gauge_job_threads(GAUGE[wildcards.ensemble]["shape"], config["threads"])


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


def scalar_setting(name, key):
    """A scalar ensemble's setting: its own value, else the scalar section's default."""
    return SCALAR_ENS[name].get(key, SCALAR.get(key))


# ensembles of external files (`import:`) come from `latticeml gauge import`, the others from
# the generator; the two rules write the same paths, told apart by the ensemble's name
IMPORTED_GAUGE = [n for n, e in GAUGE.items() if "import" in e]
GENERATED_GAUGE = [n for n, e in GAUGE.items() if "import" not in e]


def names_regex(names):
    """A wildcard constraint matching exactly these names (none: matches nothing)."""
    return "|".join(re.escape(n) for n in names) if names else "(?!)"


def imported_inputs(w):
    return imported_files(GAUGE[w.ensemble]["import"]["files"][w.split])


def gauge_import_flags(w):
    """`latticeml gauge import` options of one imported split."""
    e = GAUGE[w.ensemble]
    imp = e["import"]
    flags = ["--format", imp["format"], "--beta", w.beta]
    if imp["format"] == "ildg":  # files without a format record need these; checked otherwise
        flags += ["--shape", ",".join(map(str, e["shape"])), "--group", e["group"]]
        if "precision" in imp:
            flags += ["--precision", str(imp["precision"])]
    return shlex.join(flags)


def gauge_generate_flags(w):
    """`latticeml gauge generate` options of one file, spelled by GaugeParams' fields."""
    e = GAUGE[w.ensemble]
    values = {
        "group": e["group"],
        "shape": e["shape"],
        "beta": w.beta,
        "seed": derive_seed("gauge", w.ensemble, w.beta, w.split),
        "algorithm": e["algorithm"],
        "n_overrelax": e["overrelax"],
        "metropolis_hits": e["metropolis_hits"],
        "metropolis_step": e["metropolis_step"],
        "hmc_length": e["hmc_length"],
        "hmc_steps": e["hmc_steps"],
        "hmc_integrator": e["hmc_integrator"],
        "hmc_action": e["hmc_action"],
        "hmc_action_model": e.get("hmc_action_model"),
        "start": e["start"],
        "backend": config["gauge"]["backend"],
        "n_configs": e["splits"][w.split],
        "n_therm": e["n_therm"],
        "n_skip": e["n_skip"],
    }
    return command_flags(GaugeParams, values)


def gauge_action_model(w):
    """The action model file a generation samples (hmc_action: model), else nothing."""
    path = GAUGE[w.ensemble].get("hmc_action_model")
    return [path] if path else []


def fixed_point_flags(w):
    """`latticeml dataset build` fixed-point flags (empty unless datasets.gauge.fixed_point)."""
    fp = config["datasets"]["gauge"]["fixed_point"]
    if not fp["enabled"]:
        return ""
    return f"--fixed-point --fp-c {fp['c']} --fp-kappa {fp['kappa']} --fp-tol {fp['tol']}"


def gauge_checkpoint(w):
    """The checkpoint file of one generate_gauge job (kept only while the job runs)."""
    return f"{RESULTS}/checkpoints/gauge/{w.ensemble}/beta{w.beta}_{w.split}.h5"


def scalar_generate_flags(w):
    """`latticeml scalar generate` options of one file, spelled by ScalarParams' fields."""
    values = {
        "shape": SCALAR_ENS[w.ensemble]["shape"],
        "mu": w.mu,
        "eta": SCALAR["eta"],
        "lam": SCALAR["lam"],
        "n_configs": SCALAR_ENS[w.ensemble]["splits"][w.split],
        "n_therm": scalar_setting(w.ensemble, "n_therm"),
        "n_skip": scalar_setting(w.ensemble, "n_skip"),
        "seed": derive_seed("scalar", w.ensemble, w.mu, w.worms, w.split),
        "n_worms": scalar_setting(w.ensemble, "n_worms") or None,
        "open_worms": w.worms,
    }
    return command_flags(ScalarParams, values)


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
    return [
        {**base, **dict(zip(keys, values))}
        for values in itertools.product(*(grid[k] for k in keys))
    ]


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
    """Experiments grouped by their training ensemble (one summary and figure set each);
    action experiments (fixed_point_action) are checked instead (`action_check_targets`)."""
    out = {}
    for name, e in EXPERIMENTS.items():
        if catalog.task_of(e["target"]) != "action":
            out.setdefault(e["ensemble"], []).append(name)
    return out


def action_experiments():
    return [n for n, e in EXPERIMENTS.items() if catalog.task_of(e["target"]) == "action"]


def action_check_targets():
    """One table of `latticeml model check-action` per replica of every action experiment."""
    return [
        f"{RESULTS}/checks/{e}/r{r}.csv"
        for e in action_experiments()
        for r in experiment_replicas(e)
    ]


def action_check_flags(w):
    """The `latticeml model check-action` options (evaluation.action_checks)."""
    c = EVALUATION["action_checks"]
    rho = ["--rho", ",".join(map(str, c["rho"]))] if c["rho"] else ["--rho", ""]
    return shlex.join(
        [
            "--residuals",
            str(c["residuals"]),
            "--fp-tol",
            str(c["tol"]),
            *rho,
            "--instanton-size",
            str(c["instanton_size"]),
            "--goal",
            str(c["goal"]),
        ]
    )


def study_tasks(study):
    """{'regression', 'classification'} of a scalar study's experiments (by target)."""
    return {catalog.task_of(EXPERIMENTS[e]["target"]) for e in studies()[study]}


def extrapolation_sets(study):
    """Test ensembles of a scalar study whose every mu lies above the evaluation mu range."""
    hi = EVALUATION["mu_range"][1]
    names = {t for e in studies()[study] for t in EXPERIMENTS[e]["test"]}
    return sorted(t for t in names if is_scalar(t) and min(SCALAR_ENS[t]["mu"]) > hi + 1e-9)


def detector_feature_models(study):
    """Every replica of the study's EQ, ST and max-pooled detectors (the plot picks the best
    of each experiment), or of all its detectors if it has none of those."""
    detectors = [
        e for e in studies()[study] if catalog.task_of(EXPERIMENTS[e]["target"]) == "classification"
    ]
    conv = [
        e
        for e in detectors
        if isinstance(EXPERIMENTS[e]["model"], dict)
        and model_catalog.kind_of(EXPERIMENTS[e]["model"])
        in model_catalog.kinds("scalar", feature_maps=True)
    ]
    return [m for e in (conv or detectors) for m in model_targets(e)]


def detector_feature_data(study):
    """The first test set of the study's first detector (its first violated configuration)."""
    for e in studies()[study]:
        if catalog.task_of(EXPERIMENTS[e]["target"]) == "classification":
            return dataset_path(EXPERIMENTS[e]["test"][0], "test")
    return []


def scalar_figure_stems(study):
    """The figures of a scalar study: the groups (plot rules) its experiments support."""
    groups = ["training"]
    if "regression" in study_tasks(study):
        groups.append("regression")
        if extrapolation_sets(study):
            groups.append("extrapolation")
    if "classification" in study_tasks(study):
        groups.append("detector")
    return [stem for group in groups for stem in figure_stems("scalar", group)]


def plot_targets():
    out = []
    for study in studies():
        stems = scalar_figure_stems(study) if scalar_study(study) else figure_stems("gauge")
        out += [f"{RESULTS}/plots/{study}/{stem}.png" for stem in stems]
    return out


def study_pattern(scalar):
    """A regex matching exactly the gauge (or scalar) study names (never-matching if none)."""
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
        return {
            "spec": search_best(searched(w.exp)),
            "best": f"{search_dir(searched(w.exp))}/best/best.yaml",
        }
    if "grid" in EXPERIMENTS[w.exp]:
        return {"spec": f"{RESULTS}/train/{w.exp}/best.yaml"}
    if init_source(w):
        return {"init": init_source(w)}
    return {}


def init_source(w):
    """The model that starts this replica (`init_from: <experiment>`): the same replica of that
    experiment (modulo its replica count), or None."""
    source = EXPERIMENTS[w.exp].get("init_from")
    if not source:
        return None
    n = training_value(source, "replicas")
    return f"{train_dir(source, int(w.replica) % n)}/model.pt"


def train_extra_flags(w):
    """`--training-from best.yaml` when an experiment trains a searched architecture;
    `--init-from model.pt` when it starts from another experiment's weights."""
    if searched(w.exp):
        best = f"{search_dir(searched(w.exp))}/best/best.yaml"
        return f" --training-from {shlex.quote(best)}"
    if init_source(w):
        return f" --init-from {shlex.quote(init_source(w))}"
    return ""


def evaluate_inputs(w):
    """Gauge studies fit the conditional-mean baseline on the training set."""
    ens = EXPERIMENTS[w.exp]["ensemble"]
    return {} if is_scalar(ens) else {"train": dataset_path(ens, "train")}


def evaluate_flags(w):
    """The `latticeml model evaluate` options of an experiment (gauge or scalar)."""
    ens = EXPERIMENTS[w.exp]["ensemble"]
    e = EVALUATION
    if is_scalar(ens):
        return f"--batch-size {e['scalar_batch_size']}"
    # one seed per training ensemble: all models of a study meet the same transformations
    return (
        f"--train-set {shlex.quote(dataset_path(ens, 'train'))} --batch-size {e['batch_size']}"
        f" --gauge-configs {e['gauge_configs']}"
        f" --alphas {','.join(str(a) for a in e['alphas'])}"
        f" --adversarial-steps {e['adversarial_steps']} --adversarial-lr {e['adversarial_lr']}"
        f" --seed {derive_seed('evaluate', ens)}"
    )


def train_model_flag(w):
    if searched(w.exp):
        return shlex.quote(search_best(searched(w.exp)))
    if "grid" in EXPERIMENTS[w.exp]:
        return shlex.quote(f"{RESULTS}/train/{w.exp}/best.yaml")
    return model_arg(EXPERIMENTS[w.exp]["model"])


TRAIN_FLAGS = (
    " --target {params.target} --plane {params.plane}{params.t} --seed {params.seed}"
    " --threads $(( ({threads} + {params.processes} - 1) / {params.processes} ))"
)


def train_processes(w):
    return training_value(w.exp, "processes")


def train_launch(w):
    """The command of a training job: one process, or N under torchrun (one machine)."""
    n = train_processes(w)
    if n == 1:
        return "python -m latticeml"
    return f"python -m torch.distributed.run --standalone --nproc-per-node={n} -m latticeml"


def train_threads(w):
    """Cores of a training job: `threads` per process."""
    return training_value(w.exp, "threads") * train_processes(w)


# The settings that reach the command line: every key of the config's training section that
# is a TrainParams option (latticeml.fields), under that option's flag. Replicas and resources do
# not change a run's result, so they are not params (changing them reruns nothing); threads are
# per process (TRAIN_FLAGS). A searched architecture takes lr, batch size, ... from its
# best.yaml (--training-from), so those flags are left out of its command.
TRAIN_OPTIONS = {o.name: o.flag for o in cli_options(TrainParams)}
TRAIN_KEYS = tuple(k for k in TRAINING if k in TRAIN_OPTIONS and k != "threads")


def training_settings(w):
    skip = SEARCHED_TRAINING if searched(w.exp) else ()
    values = {k: training_value(w.exp, k) for k in TRAIN_KEYS if k not in skip}
    return f" {command_flags(TrainParams, values)}"


# ---- searches -------------------------------------------------------------------------------
SEARCHES = {s["name"]: s for s in config.get("searches", [])}


def search_space_input(w):
    space = SEARCHES[w.search]["space"]
    return [space] if isinstance(space, str) else []


def search_space_arg(name):
    space = SEARCHES[name]["space"]
    return shlex.quote(space) if isinstance(space, str) else model_arg(space)


# A search worker's settings: every key of its config entry that is a SearchParams option
# (latticeml.fields), spelled by that option's flag; the data, the study name, the seeds and the
# threads are per job.
SEARCH_PER_JOB = ("train", "val", "study_name", "seed", "worker", "threads", "storage")


def search_settings(w):
    entry = SEARCHES[w.search]
    values = {
        o.name: entry[o.name]
        for o in cli_options(SearchParams)
        if o.name in entry and o.name not in SEARCH_PER_JOB
    }
    values.update(
        study_name=w.search,
        seed=derive_seed("search", w.search),
        worker=int(w.worker),
    )
    return command_flags(SearchParams, values)


def search_worker_targets(name):
    return [f"{search_dir(name)}/workers/w{k}.json" for k in range(SEARCHES[name]["workers"])]


SEARCH_FIGURES = ("history", "importances", "loss_vs_parameters")


def search_targets():
    return [f"{search_dir(n)}/best/{stem}.png" for n in SEARCHES for stem in SEARCH_FIGURES]


# ---- report: figures (PNG) with captions in workflow/report/, one category per study -----
def study_figure(stem, caption, subcategory, label):
    """A study figure's PNG, marked for the report (the PDF beside it is not)."""
    return report(
        f"{RESULTS}/plots/{{study}}/{stem}.png",
        caption=f"../report/{caption}.rst",
        category="Study {study}",
        subcategory=subcategory,
        labels={"figure": label},
    )


def study_pdf(stem):
    return f"{RESULTS}/plots/{{study}}/{stem}.pdf"


def figure_outputs(field, group):
    """PNG (for the report) and PDF of every catalogue figure of one plot rule's group."""
    out = []
    for f in figures(field, group):
        out += [study_figure(f.stem, f.caption, f.subcategory, f.label), study_pdf(f.stem)]
    return out


def figure_flags(group):
    """``--figures`` of a scalar plot rule: the stems of its group."""
    return ",".join(figure_stems("scalar", group))


def search_figure(stem, label):
    """A search figure's PNG, marked for the report (the PDF beside it is not)."""
    return report(
        f"{RESULTS}/search/{{search}}/best/{stem}.png",
        caption=f"../report/search_{stem}.rst",
        category="Search {search}",
        subcategory="Figures",
        labels={"item": label},
    )


# ---- loop analysis --------------------------------------------------------------------------
LOOPS = config["loops"]


def loops_ensembles(exp):
    """The stage-1 files of an explained experiment's training ensemble, one per coupling:
    its thermalised configurations, read rather than generated again."""
    name = EXPERIMENTS[exp]["ensemble"]
    return [gauge_ensemble_path(name, beta, "train") for beta in GAUGE[name]["betas"]]


def loops_targets():
    return [f"{RESULTS}/loops/{e}/{e}_summary.json" for e in LOOPS["explain"]]


def loops_category(w):
    """The report category of an explained experiment: its study (training ensemble)."""
    return f"Study {EXPERIMENTS[w.exp]['ensemble']}"


# ---- gradient flow --------------------------------------------------------------------------
FLOW = config["flow"]


def flow_tables():
    """One flow table per file of every ensemble listed in `flow: ensembles:`."""
    return [
        f"{RESULTS}/flow/{name}/beta{fmt_beta(beta)}_{split}.csv"
        for name in FLOW["ensembles"]
        for beta in GAUGE[name]["betas"]
        for split in GAUGE[name]["splits"]
    ]


def flow_targets():
    return [f"{RESULTS}/flow/summary.csv"] if FLOW["ensembles"] else []
