"""Checks of the workflow config, run while Snakemake parses the workflow (no job started yet).

``workflow/rules/common.smk`` calls :func:`check_finite` and :func:`check_schema` on the raw
config, lets Snakemake fill in the schema's defaults, then calls :func:`check_config` for what
a JSON schema cannot say: names that must exist or be unique, targets that the datasets hold,
planes and loops that fit the lattice, files that must exist. Every problem is a
:class:`ConfigError` whose message starts with ``config key <key>:``.

Importable without numpy, torch or numba (Snakemake may run in an environment without them).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from latticeml.catalog import models as model_catalog
from latticeml.catalog import targets as catalog
from latticeml.errors import LatticeMLError
from latticeml.workflow_policy import preset_names

__all__ = [
    "SCALAR_TARGETS",
    "ConfigError",
    "check_config",
    "imported_files",
    "check_finite",
    "check_results_path",
    "config_origins",
    "check_schema",
    "config_key",
    "dataset_targets",
    "fmt_beta",
    "fmt_mu",
]

#: Targets of every scalar dataset (what ``latticeml dataset build`` writes).
SCALAR_TARGETS = catalog.SCALAR_TARGETS


class ConfigError(LatticeMLError, ValueError):
    """An invalid or inconsistent workflow config value.

    Parameters
    ----------
    key : str
        The config key as a path, e.g. ``experiments (W1x1_cnn).grid`` or
        ``gauge.ensembles[0].shape[1]``.
    problem : str
        What is wrong and how to fix it.
    """

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        super().__init__(f"config key {key}: {problem}")


def config_key(path: Iterable[object]) -> str:
    """Format a path of mapping keys and list indices as ``a.b[0].c``."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def fmt_beta(beta: float) -> str:
    """Format a coupling as written into file names."""
    return f"{float(beta):.4f}"


def fmt_mu(mu: float) -> str:
    """Format a chemical potential as written into file names."""
    return f"{float(mu):.4f}"


def check_finite(value: object, path: Sequence[object] = ()) -> None:
    """Refuse NaN and infinities anywhere in the config (JSON-schema ranges let them pass)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            check_finite(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_finite(item, (*path, i))
    elif isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(config_key(path), f"expected a finite number, got {value}")


def check_schema(config: Mapping, schema: Mapping) -> None:
    """Validate ``config`` against the JSON schema; the error names its key in one line.

    Snakemake's ``validate`` (which also fills in the defaults) prints the whole schema with an
    error; this check runs first and says which key is wrong and what it accepts.
    ``jsonschema`` comes with Snakemake.

    Raises
    ------
    ConfigError
        For the most relevant violation (``jsonschema.exceptions.best_match``).
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    # a missing key whose schema gives a default is filled in by snakemake's validate() later
    errors = [e for e in validator.iter_errors(config) if not _defaulted(e)]
    error = jsonschema.exceptions.best_match(errors)
    if error is None:
        return
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in known)
        key = config_key([*path, extra[0]]) if extra else config_key(path)
        expected = f"one of {', '.join(known)}" if known else "no further keys"
        raise ConfigError(key, f"unknown key (expected {expected})")
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        raise ConfigError(config_key([*path, missing]), "required but missing")
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    hint = f" ({' '.join(description.split())})" if description else ""
    raise ConfigError(config_key(path) or "(top level)", f"{error.message}{hint}")


def _defaulted(error) -> bool:
    """Return True for a 'required' violation of a key that has a default in the schema."""
    if error.validator != "required" or "'" not in error.message:
        return False
    missing = error.message.split("'")[1]
    props = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    prop = props.get(missing)
    return isinstance(prop, dict) and "default" in prop


def _check_unique(
    values: Sequence[object], key: str, what: str, fmt: Callable[[object], str] = str
) -> None:
    """Refuse a list whose entries (as formatted into paths) repeat."""
    seen: dict[str, int] = {}
    for i, value in enumerate(values):
        text = fmt(value)
        if text in seen:
            raise ConfigError(
                key,
                f"{what} {value!r} (entry {i}) repeats entry {seen[text]} "
                f"({values[seen[text]]!r}), both written as {text!r}; every entry becomes one "
                "file or target, and listed twice its samples would be duplicated",
            )
        seen[text] = i


def dataset_targets(config: Mapping, ensemble: str) -> tuple[str, ...]:
    """Target names the dataset of an ensemble holds (what ``latticeml dataset`` writes)."""
    if ensemble in {e["name"] for e in config["scalar"]["ensembles"]}:
        return SCALAR_TARGETS
    shape = next(e["shape"] for e in config["gauge"]["ensembles"] if e["name"] == ensemble)
    return catalog.gauge_dataset_targets(config["datasets"]["gauge"], len(shape))


class _Ensembles:
    """Gauge and scalar ensembles of a config by name."""

    def __init__(self, config: Mapping) -> None:
        self.config = config
        self.gauge = {e["name"]: e for e in config["gauge"]["ensembles"]}
        self.scalar = {e["name"]: e for e in config["scalar"]["ensembles"]}

    def require(self, name: str, key: str, splits: Sequence[str]) -> None:
        if name not in self.gauge and name not in self.scalar:
            raise ConfigError(
                key,
                f"no gauge or scalar ensemble named {name!r} (defined: "
                f"{', '.join([*self.gauge, *self.scalar]) or 'none'}; a --configfile replaces "
                "the lists of config.yaml, so define the ensembles there)",
            )
        have = (self.gauge.get(name) or self.scalar[name])["splits"]
        missing = [s for s in splits if s not in have]
        if missing:
            raise ConfigError(
                key,
                f"ensemble {name!r} has no {' or '.join(missing)} split, so this names a "
                f"dataset that is never built (add splits: {', '.join(missing)} to the ensemble)",
            )

    def require_target(self, name: str, target: str, key: str) -> None:
        targets = dataset_targets(self.config, name)
        if target not in targets:
            options = ", ".join(f"datasets.gauge.{f.option}" for f in catalog.GAUGE_FAMILIES)
            raise ConfigError(
                key,
                f"{target!r} is not in the datasets of {name!r} (they hold "
                f"{', '.join(targets)}; per-site gauge targets come from {options})",
            )
        if not catalog.trainable(target):
            fam = catalog.lookup(target).family
            can = [t for t in targets if catalog.trainable(t)]
            raise ConfigError(
                key,
                f"{target!r} is stored for analysis ({fam.geometry} geometry, task "
                f"{fam.task}), not a training target; models learn {', '.join(can)}",
            )

    def require_plane(self, name: str, plane: int, key: str) -> None:
        if name in self.gauge:
            d = len(self.gauge[name]["shape"])
            n_planes = d * (d - 1) // 2
            if plane >= n_planes:
                raise ConfigError(
                    key, f"{plane} is not a plane of the {d}D lattice {name!r} (0..{n_planes - 1})"
                )


def _check_ensembles(config: Mapping) -> None:
    loops = [tuple(loop) for loop in config["datasets"]["gauge"]["loops"]]
    _check_unique(loops, "datasets.gauge.loops", "loop", fmt=lambda x: f"{x[0]}x{x[1]}")
    for kind in ("gauge", "scalar"):
        names = [e["name"] for e in config[kind]["ensembles"]]
        _check_unique(names, f"{kind}.ensembles", "ensemble name")
    both = sorted(
        {e["name"] for e in config["gauge"]["ensembles"]}
        & {e["name"] for e in config["scalar"]["ensembles"]}
    )
    if both:
        raise ConfigError(
            "scalar.ensembles",
            f"the names {both} are used for gauge ensembles too; every name is one directory "
            "of datasets",
        )
    for i, g in enumerate(config["gauge"]["ensembles"]):
        key = f"gauge.ensembles[{i}] ({g['name']})"
        _check_unique(g["betas"], f"{key}.betas", "beta", fmt=fmt_beta)
        for fam, why in catalog.misfits(config["datasets"]["gauge"], g["shape"])[:1]:
            raise ConfigError(f"datasets.gauge.{fam.option}", f"{why}, for {key}")
        if "import" in g:
            _check_import(g, key)
        _check_action(g, key)
    for i, s in enumerate(config["scalar"]["ensembles"]):
        key = f"scalar.ensembles[{i}] ({s['name']})"
        _check_unique(s["mu"], f"{key}.mu", "mu", fmt=fmt_mu)
        _check_unique(s["open_worms"], f"{key}.open_worms", "open-worm count")
        volume = s["shape"][0] * s["shape"][1]
        if max(s["open_worms"]) > volume // 4:
            raise ConfigError(
                f"{key}.open_worms",
                f"at most V/4 = {volume // 4} open worms on the lattice "
                f"{s['shape'][0]}x{s['shape'][1]}, got {max(s['open_worms'])}",
            )


def _check_action(g: Mapping, key: str) -> None:
    """Another action than Wilson's needs HMC without overrelaxation; a model its file."""
    action = g.get("hmc_action", "wilson")
    if action != "wilson" and "import" not in g:
        if g["algorithm"] != "hmc":
            raise ConfigError(f"{key}.algorithm", f"hmc for hmc_action {action} (heat bath and "
                              f"Metropolis sample the Wilson action only), got {g['algorithm']}")
        if g["overrelax"]:
            raise ConfigError(f"{key}.overrelax", f"0 with hmc_action {action} (overrelaxation "
                              f"keeps only the Wilson action invariant), got {g['overrelax']}")
    if (action == "model") != bool(g.get("hmc_action_model")):
        if action == "model":
            raise ConfigError(f"{key}.hmc_action_model", "the action model file (model.pt) "
                              "that hmc_action model samples")
        raise ConfigError(f"{key}.hmc_action_model", f"no model file unless hmc_action is "
                          f"model, got hmc_action {action}")


def imported_files(pattern: str) -> list[str]:
    """Return the files of an imported split: the glob's matches, sorted (cwd-relative)."""
    import glob

    return sorted(glob.glob(pattern))


def _check_import(g: Mapping, key: str) -> None:
    """Check an imported ensemble: 4D, one beta, a glob per split matching its count."""
    imp = g["import"]
    if len(g["shape"]) != 4:
        raise ConfigError(f"{key}.import", f"a 4D ensemble (the formats are 4D), got shape "
                          f"{g['shape']}")
    if len(g["betas"]) != 1:
        raise ConfigError(f"{key}.betas", f"one beta for imported files, got {g['betas']}")
    if set(imp["files"]) != set(g["splits"]):
        raise ConfigError(f"{key}.import.files", f"a glob for each split "
                          f"({', '.join(g['splits'])}), got {', '.join(imp['files'])}")
    for split, pattern in imp["files"].items():
        found = imported_files(pattern)
        if len(found) != g["splits"][split]:
            raise ConfigError(f"{key}.import.files.{split}", f"{g['splits'][split]} files (the "
                              f"split's count), {pattern!r} matches {len(found)} in the working "
                              "directory")


def _check_init_from(e: Mapping, config: Mapping, key: str) -> None:
    """``init_from`` names another experiment of the same target and model, without a cycle."""
    by_name = {x["name"]: x for x in config["experiments"]}
    source = by_name.get(e["init_from"])
    if source is None or source is e:
        raise ConfigError(
            f"{key}.init_from",
            f"the name of another experiment, got {e['init_from']!r} (defined: "
            f"{', '.join(n for n in by_name if n != e['name'])})",
        )
    for what in ("target", "model"):
        if source[what] != e[what]:
            raise ConfigError(
                f"{key}.init_from",
                f"an experiment with the same {what} ({e[what]!r}); {source['name']!r} has "
                f"{source[what]!r}",
            )
    dtype = lambda x: x.get("training", {}).get("dtype", config["training"]["dtype"])  # noqa: E731
    if dtype(source) != dtype(e):
        raise ConfigError(
            f"{key}.init_from",
            f"an experiment trained in {dtype(e)} like this one; {source['name']!r} is "
            f"{dtype(source)}",
        )
    if "grid" in source or "search" in source or "grid" in e or "search" in e:
        raise ConfigError(f"{key}.init_from",
                          "experiments with a fixed model (no grid, no search)")
    path, x = [e["name"], source["name"]], source
    while x.get("init_from"):
        path.append(x["init_from"])
        if x["init_from"] in path[:-1]:
            raise ConfigError(f"{key}.init_from", f"no cycle, got {' -> '.join(path)}")
        x = by_name.get(x["init_from"], {})


def _check_experiment(e: Mapping, ens: _Ensembles, config: Mapping) -> None:
    key = f"experiments ({e['name']})"
    ens.require(e["ensemble"], f"{key}.ensemble", ("train", "val"))
    for t in e["test"]:
        ens.require(t, f"{key}.test", ("test",))
    if len({name in ens.scalar for name in (e["ensemble"], *e["test"])}) > 1:
        raise ConfigError(
            f"{key}.test",
            "training and test ensembles must all be gauge or all scalar ensembles",
        )
    _check_unique(e["test"], f"{key}.test", "test ensemble")
    ens.require_target(e["ensemble"], e["target"], f"{key}.target")
    detector = catalog.task_of(e["target"]) == "classification"
    if detector and max(ens.scalar[e["ensemble"]]["open_worms"]) == 0:
        raise ConfigError(
            f"{key}.target",
            "a flux_violated detector needs open-worm chains, but scalar ensemble "
            f"{e['ensemble']!r} has open_worms {ens.scalar[e['ensemble']]['open_worms']} "
            "(add a count M > 0)",
        )
    if "grid" in e and e["grid"] not in config["cnn_grids"]:
        raise ConfigError(
            f"{key}.grid",
            f"no cnn_grids entry named {e['grid']!r} (defined: "
            f"{', '.join(config['cnn_grids']) or 'none'})",
        )
    ens.require_plane(e["ensemble"], e["plane"], f"{key}.plane")
    _check_test_groups(e, ens, key)
    model = e["model"]
    _check_model_kind(model, e["ensemble"] in ens.scalar, f"{key}.model")
    if isinstance(model, str):
        names = preset_names()
        if model not in names:
            raise ConfigError(
                f"{key}.model",
                f"unknown model preset {model!r} (presets: {', '.join(names)}; or a "
                "build_model mapping such as {kind: cnn, channels: [8]})",
            )
        if "grid" in e:
            raise ConfigError(
                f"{key}.model",
                f"a grid's points are merged into a model mapping, not into the preset "
                f"{model!r} (give a mapping such as {{kind: cnn}})",
            )
    if e.get("init_from"):
        _check_init_from(e, config, key)
    if "search" in e:
        search = next((s for s in config["searches"] if s["name"] == e["search"]), None)
        if search is None:
            raise ConfigError(
                f"{key}.search",
                f"no searches entry named {e['search']!r} (defined: "
                f"{', '.join(s['name'] for s in config['searches']) or 'none'})",
            )
        if (search["ensemble"], search["target"]) != (e["ensemble"], e["target"]):
            raise ConfigError(
                f"{key}.search",
                f"search {search['name']!r} is on {search['ensemble']}/{search['target']}, "
                f"the experiment on {e['ensemble']}/{e['target']}",
            )


def _check_test_groups(e: Mapping, ens: _Ensembles, key: str) -> None:
    """Gauge test ensembles must have the training ensemble's group and dimension."""
    if e["ensemble"] not in ens.gauge:
        return
    train = ens.gauge[e["ensemble"]]
    for t in e["test"]:
        g = ens.gauge.get(t)
        if g is None:
            continue
        if g["group"] != train["group"] or len(g["shape"]) != len(train["shape"]):
            raise ConfigError(
                f"{key}.test",
                f"test ensemble {t!r} is {g['group']} in {len(g['shape'])}D, the training "
                f"ensemble {e['ensemble']!r} {train['group']} in {len(train['shape'])}D: a "
                "model applies only to its own group and dimension",
            )


_GAUGE_KINDS = set(model_catalog.kinds("gauge"))
_SCALAR_KINDS = set(model_catalog.kinds("scalar"))


def _check_model_kind(model, scalar: bool, key: str) -> None:
    """Refuse a model family that does not fit the ensemble's kind, or bad channel counts."""
    if isinstance(model, str):
        if scalar:
            raise ConfigError(key, f"the preset {model!r} is a gauge L-CNN; a scalar experiment "
                              "needs a mapping with kind eq, st, fl or flux")
        return
    if not isinstance(model, Mapping):
        return
    kind = str(model.get("kind", "")).lower()
    if "preset" in model and scalar:
        raise ConfigError(key, f"the preset {model['preset']!r} is a gauge L-CNN; a scalar "
                          "experiment needs kind eq, st, fl or flux")
    if kind and scalar and kind not in _SCALAR_KINDS:
        raise ConfigError(key, f"kind {kind!r} is a gauge model; a scalar experiment needs "
                          f"one of {', '.join(sorted(_SCALAR_KINDS))}")
    if kind and not scalar and kind in _SCALAR_KINDS:
        raise ConfigError(key, f"kind {kind!r} is a scalar model; a gauge experiment needs "
                          f"one of {', '.join(sorted(_GAUGE_KINDS))} or a preset")
    for name in ("channels", "hidden"):
        values = model.get(name)
        if values is None:
            continue
        values = values if isinstance(values, list) else [values]
        bad = [v for v in values if isinstance(v, bool) or not isinstance(v, int) or v < 1]
        if bad:
            raise ConfigError(f"{key}.{name}", f"expected positive integers, got {values}")


#: The largest ensemble array a job may allocate (half of a 24 GB machine's memory).
MEMORY_LIMIT_BYTES = 12 * 2**30


def ensemble_bytes(shape: Sequence[int], n_colors: int, n_configs: int) -> int:
    """Bytes of an ensemble's links in memory (complex128 ``(n, *shape, D, N, N)``)."""
    sites = 1
    for s in shape:
        sites *= int(s)
    return 16 * n_configs * sites * len(shape) * n_colors**2


def _check_memory(config: Mapping) -> None:
    """Refuse ensembles whose links cannot fit in memory, before any job is planned."""
    for i, g in enumerate(config["gauge"]["ensembles"]):
        n = {"su2": 2, "su3": 3}.get(str(g["group"]).lower(), 3)
        for split, count in g["splits"].items():
            need = ensemble_bytes(g["shape"], n, int(count))
            if need > MEMORY_LIMIT_BYTES:
                raise ConfigError(
                    f"gauge.ensembles[{i}] ({g['name']}).splits.{split}",
                    f"{count} configurations of {'x'.join(map(str, g['shape']))} "
                    f"{g['group']} need {need / 2**30:.1f} GiB of links in memory (limit "
                    f"{MEMORY_LIMIT_BYTES / 2**30:.0f} GiB); split them over more ensembles "
                    "or use fewer configurations",
                )


def _check_search(s: Mapping, ens: _Ensembles) -> None:
    key = f"searches ({s['name']})"
    ens.require(s["ensemble"], f"{key}.ensemble", ("train", "val"))
    ens.require_target(s["ensemble"], s["target"], f"{key}.target")
    ens.require_plane(s["ensemble"], s["plane"], f"{key}.plane")
    if isinstance(s["space"], str) and not os.path.isfile(s["space"]):
        raise ConfigError(
            f"{key}.space",
            f"no such file {s['space']!r} (a path relative to the working directory "
            f"{os.getcwd()!r}, or an inline mapping)",
        )


def config_origins(config: Mapping, files: Sequence[str], overrides: Mapping | None = None
                   ) -> str:
    """Say where each top-level key of the run's config came from, in one line.

    Parameters
    ----------
    config : Mapping
        The config as the workflow sees it (before the schema's defaults are filled in).
    files : sequence of str
        The config files read, in the order they were merged (a later one wins).
    overrides : Mapping, optional
        ``--config KEY=VALUE`` values (they win over every file).

    Returns
    -------
    str
        ``config: results, seed from my.yaml; gauge from config.yaml; --config: threads;
        schema defaults for the rest``.
    """
    import yaml

    origin: dict[str, str] = {}
    for f in files:
        try:
            with open(f) as fh:
                data = yaml.safe_load(fh) or {}
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, Mapping):
            for key in data:
                origin[str(key)] = os.path.basename(f) if len(
                    {os.path.basename(x) for x in files}) == len(files) else str(f)
    for key in overrides or {}:
        origin[str(key)] = "--config"
    by_source: dict[str, list[str]] = {}
    for key in config:
        by_source.setdefault(origin.get(str(key), "--config"), []).append(str(key))
    parts = [f"{', '.join(keys)} from {src}" for src, keys in by_source.items()
             if src != "--config"]
    if "--config" in by_source:
        parts.append(f"--config: {', '.join(by_source['--config'])}")
    return "config: " + "; ".join(parts) + "; schema defaults for the rest"


_PATH_FORBIDDEN = set("$`'\"\\")


def check_results_path(results: str, outside: bool = False) -> None:
    """Refuse a ``results:`` folder that no job should write to.

    Parameters
    ----------
    results : str
        The configured folder.
    outside : bool
        ``results_outside_workdir``: an absolute path, or one that leaves the working
        directory, is meant.

    Raises
    ------
    ConfigError
        Empty or blank; control characters (newline, tab, NUL), ``$``, backquotes, quotes or
        backslashes (shell syntax, never part of a path a workflow should write); absolute or
        leaving the working directory through ``..`` without ``outside``.
    """
    if not isinstance(results, str) or not results.strip():
        raise ConfigError("results", f"expected a folder name such as 'results', got "
                          f"{results!r} (an empty path would put every output at the root)")
    bad = sorted({c for c in results if c in _PATH_FORBIDDEN or ord(c) < 32 or ord(c) == 127})
    if bad:
        raise ConfigError("results", f"expected a plain path, got {results!r}, which holds "
                          f"{', '.join(repr(c) for c in bad)}; choose a name without them")
    parts = Path(results).parts
    leaves = Path(results).is_absolute() or ".." in parts
    if leaves and not outside:
        raise ConfigError("results", f"expected a path inside the working directory, got "
                          f"{results!r}; set results_outside_workdir: true if that is meant")


def check_config(config: Mapping) -> None:
    """Check what the schema cannot: references, uniqueness, fit to the lattice, files.

    ``config`` is the validated config with the schema's defaults filled in. Relative paths
    (search spaces) are resolved against the working directory, as the jobs see them.

    Raises
    ------
    ConfigError
        For the first problem found; the message names the key.
    """
    check_results_path(config.get("results", "results"),
                       bool(config.get("results_outside_workdir", False)))
    if not (config.get("gauge", {}).get("ensembles")
            or config.get("scalar", {}).get("ensembles")):
        raise ConfigError("gauge.ensembles / scalar.ensembles", "this config declares no "
                          "ensemble, so the run would do nothing. A config given with "
                          "--configfile stands alone: declare the ensembles (and experiments) "
                          "it runs, or layer it on the default with --configfile config.yaml "
                          "FILE")
    _check_ensembles(config)
    _check_memory(config)
    mu_range = config["evaluation"]["mu_range"]
    if mu_range[0] > mu_range[1]:
        raise ConfigError("evaluation.mu_range", f"expected [low, high], got {mu_range}")
    ens = _Ensembles(config)
    _check_unique([s["name"] for s in config["searches"]], "searches", "search name")
    for s in config["searches"]:
        _check_search(s, ens)
    _check_unique([e["name"] for e in config["experiments"]], "experiments", "experiment name")
    for e in config["experiments"]:
        _check_experiment(e, ens, config)
    experiments = {e["name"]: e for e in config["experiments"]}
    for name in config.get("loops", {}).get("explain", []):
        if name not in experiments:
            raise ConfigError(
                "loops.explain",
                f"no experiment named {name!r} (defined: {', '.join(experiments) or 'none'})",
            )
        if experiments[name]["ensemble"] in ens.scalar:
            raise ConfigError(
                "loops.explain",
                f"{name!r} is a scalar-field experiment; only L-CNNs expand into Wilson loops",
            )
    _check_flow(config)


def _check_flow(config: Mapping) -> None:
    """`flow: ensembles:` names 4D gauge ensembles; the step fits the flow time."""
    flow = config.get("flow", {})
    gauge = {g["name"]: g for g in config.get("gauge", {}).get("ensembles", [])}
    _check_unique(flow.get("ensembles", []), "flow.ensembles", "ensemble")
    for name in flow.get("ensembles", []):
        if name not in gauge:
            raise ConfigError("flow.ensembles", f"no gauge ensemble named {name!r} (defined: "
                              f"{', '.join(gauge) or 'none'})")
        if len(gauge[name]["shape"]) != 4:
            raise ConfigError("flow.ensembles", f"{name!r} is {len(gauge[name]['shape'])}D; "
                              "the flow's charge and clover energy need 4D ensembles")
    if flow.get("ensembles") and flow["eps"] > flow["t_max"]:
        raise ConfigError("flow.eps", f"the step {flow['eps']} exceeds flow.t_max "
                          f"{flow['t_max']}")
