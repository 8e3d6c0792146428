"""Every target latticeml knows, declared once: name, geometry, dtype, task, field, label.

A *family* is one kind of target (Wilson loops, Polyakov-loop correlators, ``n``, ...); a
*target* is one member, named by the family's pattern (``W_2x2``, ``polyakov_corr_r2``). The
dataset builder, its checks, the training data, the evaluation, the figures and the workflow's
config check all read these declarations instead of spelling names themselves, so a new target
is one entry here, the function that computes it, and its option in the config schema.

Pure Python (no numpy, no torch): the Snakemake workflow imports it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "FAMILIES",
    "GAUGE_FAMILIES",
    "SCALAR_TARGETS",
    "Target",
    "TargetFamily",
    "gauge_dataset_targets",
    "gauge_option_flags",
    "lookup",
    "target_label",
    "target_sort_key",
    "task_of",
    "trainable",
]

_GEOMETRIES = ("site", "slice", "config", "link")
_TASKS = ("regression", "classification", "action", "none")


@dataclass(frozen=True)
class TargetFamily:
    """One kind of target.

    Attributes
    ----------
    name : str
        Family name (``wilson_loop``, ``polyakov_correlator``, ...).
    field : {'gauge', 'scalar'}
        The field its datasets are built from.
    geometry : {'site', 'slice', 'config', 'link'}
        One value per lattice site, per site of the hyperplane orthogonal to axis 0, per
        configuration, or one su(N) matrix per link ``(*shape, D, N, N)``. Gauge regressors
        predict per-site targets, scalar models per-configuration ones; ``slice`` and
        ``link`` targets are stored, not trained.
    dtype : str
        NumPy dtype of the stored values.
    task : {'regression', 'classification', 'action', 'none'}
        How a model learns it (``action``: a per-configuration action learned together with
        its derivative; ``none``: stored for analysis only).
    pattern : str
        Regular expression of its target names; groups are the integer parameters.
    template : str
        ``str.format`` template of a name from the parameters (``W_{0}x{1}``).
    label : str
        Mathtext template of a figure label, formatted with the parameters.
    description : str
        What one value is (stored as the HDF5 dataset's description).
    per_plane : bool
        Stored with one value per plane ``mu < nu`` (``(n, n_planes, *shape)``); training
        selects one plane.
    bounds : tuple of float or None
        Values must lie in ``[lo, hi]`` (checked when a dataset is read).
    compute : str or None
        ``"module:function"`` computing it from links ``(B, *shape, D, N, N)`` and the
        parameters (gauge families built by ``latticeml dataset build``).
    option : str or None
        Config key under ``datasets.gauge`` and field of ``GaugeDatasetParams`` listing the
        members to build (each a tuple of the parameters).
    flag : str or None
        The ``latticeml dataset build`` flag of ``option``.
    sort_rank : int
        Figures order targets by family rank, then parameters.
    noun : str
        ``str.format`` template naming the values in messages (``{0}x{1} Wilson loops``).
    misfit : callable or None
        ``misfit(params, shape)`` says why a member does not fit a lattice (``""`` if it
        does); the config check and the dataset builder both ask it.
    check : str or None
        ``"module:function"`` returning, for an array of rows, the index of the first row that
        is not a valid value of the family and why (``None`` when all are): checked whenever
        a dataset is read.
    """

    name: str
    field: str
    geometry: str
    dtype: str
    task: str
    pattern: str
    template: str
    label: str
    description: str
    per_plane: bool = False
    bounds: tuple[float, float] | None = None
    compute: str | None = None
    option: str | None = None
    flag: str | None = None
    sort_rank: int = 9
    misfit: Callable[[tuple[int, ...], Sequence[int]], str] | None = None
    noun: str = ""
    check: str | None = None
    _regex: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.geometry not in _GEOMETRIES or self.task not in _TASKS:
            raise ValueError(f"target family {self.name}: geometry {self.geometry!r}, "
                             f"task {self.task!r}")
        object.__setattr__(self, "_regex", re.compile(f"^{self.pattern}$"))

    def match(self, name: str) -> tuple[int, ...] | None:
        """Return the parameters of ``name`` if it belongs to this family, else ``None``."""
        m = self._regex.match(name)
        return None if m is None else tuple(int(g) for g in m.groups())

    def target_name(self, *params: int) -> str:
        """Return the name of the member with these parameters."""
        return self.template.format(*(int(p) for p in params))


@dataclass(frozen=True)
class Target:
    """One named target: its family and parameters."""

    name: str
    family: TargetFamily
    params: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        """Figure label (mathtext)."""
        return self.family.label.format(*self.params)

    @property
    def noun(self) -> str:
        """What the values are, for messages (the name if the family has no noun)."""
        return self.family.noun.format(*self.params) if self.family.noun else self.name


def _wilson_misfit(params: tuple[int, ...], shape: Sequence[int]) -> str:
    a, b = params
    a_max, b_max = min(shape[:-1]), min(shape[1:])
    if a > a_max or b > b_max:
        return (f"loop {a}x{b} is larger than the lattice {'x'.join(map(str, shape))} (needs "
                f"a <= {a_max}, b <= {b_max}; a longer loop wraps onto itself)")
    return ""


def _correlator_misfit(params: tuple[int, ...], shape: Sequence[int]) -> str:
    (r,) = params
    r_max = min(shape[1:]) // 2 if len(shape) > 1 else 0
    if not 1 <= r <= r_max:
        return (f"separation {r} does not fit the lattice {'x'.join(map(str, shape))} (needs "
                f"1 <= r <= {r_max}, half the smallest spatial extent; larger r repeat "
                "smaller ones)")
    return ""


WILSON_LOOP = TargetFamily(
    name="wilson_loop", field="gauge", geometry="site", dtype="float64", task="regression",
    pattern=r"W_(\d+)x(\d+)", template="W_{0}x{1}", label=r"$W_{{{0}\times {1}}}$",
    description="per-site Wilson loop Re Tr W^(axb) / N, a steps along mu, b along nu",
    per_plane=True, bounds=(-1.0, 1.0), compute="latticeml.observables.wilson:wilson_loops",
    option="loops", flag="--loops", sort_rank=0, misfit=_wilson_misfit,
    noun="{0}x{1} Wilson loops",
)
POLYAKOV_CORRELATOR = TargetFamily(
    name="polyakov_correlator", field="gauge", geometry="site", dtype="float64",
    task="regression", pattern=r"polyakov_corr_r(\d+)", template="polyakov_corr_r{0}",
    label=r"$C_P(r={0})$",
    description="per-site Polyakov-loop correlator Re[Tr P(x) Tr P(x + r e)^*] / N^2, "
    "averaged over the spatial directions e (constant along axis 0)",
    bounds=(-1.0, 1.0), compute="latticeml.observables.polyakov:polyakov_correlator",
    option="polyakov_separations", flag="--polyakov-separations", sort_rank=1,
    misfit=_correlator_misfit, noun="Polyakov-loop correlators at r = {0}",
)
POLYAKOV_LOOP = TargetFamily(
    name="polyakov_loop", field="gauge", geometry="slice", dtype="complex128", task="none",
    pattern="polyakov_loop", template="polyakov_loop", label=r"$P$",
    description="traced Polyakov loop Tr P / N along axis 0", bounds=(-1.0, 1.0), sort_rank=2,
)
TOPOLOGICAL = TargetFamily(
    name="topological_charge_density", field="gauge", geometry="site", dtype="float64",
    task="regression", pattern="topological_charge_density",
    template="topological_charge_density", label=r"$q(x)$",
    description="clover topological charge density q(x)", sort_rank=3,
)
N = TargetFamily(
    name="n", field="scalar", geometry="config", dtype="float64", task="regression",
    pattern="n", template="n", label=r"$n$",
    description="particle-number density n = sum_x k_t(x) / V (closed configurations)",
    sort_rank=4,
)
PHI2 = TargetFamily(
    name="phi2", field="scalar", geometry="config", dtype="float64", task="regression",
    pattern="phi2", template="phi2", label=r"$|\phi|^2$",
    description="|phi|^2 = sum_x W(f_x + 2) / W(f_x) / V (closed configurations)",
    sort_rank=5,
)
FLUX_VIOLATED = TargetFamily(
    name="flux_violated", field="scalar", geometry="config", dtype="int8",
    task="classification", pattern="flux_violated", template="flux_violated",
    label=r"flux violated", description="1 if the k field has an open string, else 0",
    bounds=(0.0, 1.0), sort_rank=6,
)
OPEN_WORMS = TargetFamily(
    name="open_worms", field="scalar", geometry="config", dtype="int64", task="none",
    pattern="open_worms", template="open_worms", label=r"open worms",
    description="number of open strings (worms) in the configuration", sort_rank=7,
)

FIXED_POINT_ACTION = TargetFamily(
    name="fixed_point_action", field="gauge", geometry="config", dtype="float64", task="action",
    pattern="fixed_point_action", template="fixed_point_action", label=r"$A^\mathrm{FP}$",
    description="fixed-point action A[V] = min_U {w A_fine[U] + T[U, V]} of the "
    "configuration (classical limit, units S = beta A; latticeml.fixedpoint)",
    bounds=(0.0, float("inf")), sort_rank=8, noun="fixed-point actions",
)
FIXED_POINT_DERIVATIVE = TargetFamily(
    name="fixed_point_derivative", field="gauge", geometry="link", dtype="complex128",
    task="none", pattern="fixed_point_derivative", template="fixed_point_derivative",
    label=r"$\partial A^\mathrm{FP}$",
    description="derivative D = TA(V G^dagger) of the fixed-point action per link (dA = "
    "Tr(X D) along V -> exp(X) V), traceless anti-hermitian",
    sort_rank=8, check="latticeml.data.physics:algebra_problem",
    noun="fixed-point action derivatives",
)
FIXED_POINT_GRAD_NORM = TargetFamily(
    name="fixed_point_grad_norm", field="gauge", geometry="config", dtype="float64",
    task="none", pattern="fixed_point_grad_norm", template="fixed_point_grad_norm",
    label=r"$|\nabla_U|$",
    description="largest algebra-gradient norm over the fine links at the end of the "
    "minimisation (its distance from the minimum)",
    bounds=(0.0, float("inf")), sort_rank=8,
)

#: Every family, in figure order.
FAMILIES: tuple[TargetFamily, ...] = (WILSON_LOOP, POLYAKOV_CORRELATOR, POLYAKOV_LOOP,
                                      TOPOLOGICAL, N, PHI2, FLUX_VIOLATED, OPEN_WORMS,
                                      FIXED_POINT_ACTION, FIXED_POINT_DERIVATIVE,
                                      FIXED_POINT_GRAD_NORM)
#: Gauge families built from a list of members (``option``) by ``latticeml dataset build``.
GAUGE_FAMILIES: tuple[TargetFamily, ...] = tuple(f for f in FAMILIES if f.option)
#: What every scalar dataset holds.
SCALAR_TARGETS: tuple[str, ...] = tuple(f.template for f in FAMILIES if f.field == "scalar")


def lookup(name: str) -> Target | None:
    """Return the target called ``name``, or ``None`` if no family has such a member."""
    for fam in FAMILIES:
        params = fam.match(str(name))
        if params is not None:
            return Target(str(name), fam, params)
    return None


def trainable(name: str) -> bool:
    """Whether a model can be trained on ``name``.

    A per-site gauge target, a per-configuration scalar one, or a gauge action (with its
    derivative).
    """
    t = lookup(name)
    if t is None or t.family.task == "none":
        return False
    if t.family.task == "action":
        return t.family.field == "gauge"
    return t.family.geometry == ("site" if t.family.field == "gauge" else "config")


def task_of(name: str) -> str:
    """Return how ``name`` is learned: ``regression``, ``classification`` or ``action``.

    ``classification`` for 0/1 labels such as ``flux_violated``, ``action`` for actions learned
    with their derivatives (``fixed_point_action``).
    """
    t = lookup(name)
    if t is not None and t.family.task in ("classification", "action"):
        return t.family.task
    return "regression"


def target_label(name: str) -> str:
    """Figure label of a target (mathtext); unknown names are returned unchanged."""
    t = lookup(name)
    return name if t is None else t.label


def target_sort_key(name: str) -> tuple:
    """Order targets by family, then by size (W_1x1 < W_1x2 < W_2x2 < W_4x4), unknown last."""
    t = lookup(name)
    if t is None:
        return (99, 0, 0, name)
    p = t.params
    size = 1
    for v in p:
        size *= v
    return (t.family.sort_rank, size, max(p, default=0), name)


def _members(value: object) -> tuple[tuple[int, ...], ...]:
    out = []
    for v in value or ():
        out.append(tuple(int(x) for x in v) if isinstance(v, (list, tuple)) else (int(v),))
    return tuple(out)


def gauge_dataset_targets(options: Mapping, dim: int, *, polyakov: bool = True,
                          topological: bool | None = None) -> tuple[str, ...]:
    """Target names a gauge dataset holds.

    Parameters
    ----------
    options : mapping
        ``datasets.gauge`` of a config, or any mapping with the families' ``option`` keys
        (``loops``: ``[[a, b], ...]``, ``polyakov_separations``: ``[r, ...]``; the
        fixed-point targets with ``fixed_point: {enabled: true}`` or ``fixed_point: true``).
    dim : int
        Number of lattice dimensions.
    polyakov : bool
        The Polyakov loop is stored (``latticeml dataset build`` default).
    topological : bool or None
        The topological charge density is stored; ``None``: in 4D.
    """
    names = [fam.target_name(*m) for fam in GAUGE_FAMILIES
             for m in _members(options.get(fam.option))]
    if polyakov:
        names.append(POLYAKOV_LOOP.template)
    if (dim == 4) if topological is None else topological:
        names.append(TOPOLOGICAL.template)
    fp = options.get("fixed_point")
    if fp.get("enabled") if isinstance(fp, Mapping) else bool(fp):  # config or build params
        names += [f.template for f in (FIXED_POINT_ACTION, FIXED_POINT_DERIVATIVE,
                                       FIXED_POINT_GRAD_NORM)]
    return tuple(names)


def members(options: Mapping, family: TargetFamily) -> tuple[tuple[int, ...], ...]:
    """Return the members of ``family`` listed in ``options`` (``datasets.gauge``, params)."""
    return _members(options.get(family.option))


def misfits(options: Mapping, shape: Sequence[int]) -> list[tuple[TargetFamily, str]]:
    """Every listed member that does not fit the lattice ``shape``, with the reason."""
    shape = tuple(int(s) for s in shape)
    return [(fam, why) for fam in GAUGE_FAMILIES if fam.misfit is not None
            for m in _members(options.get(fam.option)) if (why := fam.misfit(m, shape))]


def gauge_option_flags(options: Mapping) -> list[str]:
    """``latticeml dataset build`` flags for the families listed in ``options``.

    ``{"loops": [[1, 1], [2, 2]], "polyakov_separations": [1]}`` gives
    ``["--loops", "1x1,2x2", "--polyakov-separations", "1"]``; empty lists give no flag.
    """
    flags: list[str] = []
    for fam in GAUGE_FAMILIES:
        members = _members(options.get(fam.option))
        if members:
            flags += [fam.flag, ",".join("x".join(str(v) for v in m) for m in members)]
    return flags


def parse_members(family: TargetFamily, text: str) -> tuple[tuple[int, ...], ...]:
    """Parse a flag value such as ``1x1,2x2`` (two parameters) or ``1,2`` (one).

    Raises
    ------
    ValueError
        With what was expected, if an entry does not have the family's number of parameters.
    """
    arity = re.compile(family.pattern).groups
    out = []
    for item in (s.strip() for s in str(text).split(",")):
        if not item:
            continue
        parts = item.split("x")
        if len(parts) != arity or not all(p.strip().isdigit() for p in parts):
            want = "sizes like 1x1,1x2,2x2" if arity == 2 else "integers like 1,2,3"
            raise ValueError(f"{want} (got {item!r})")
        out.append(tuple(int(p) for p in parts))
    return tuple(out)


__all__ += ["members", "misfits", "parse_members", "WILSON_LOOP", "POLYAKOV_CORRELATOR",
            "POLYAKOV_LOOP", "TOPOLOGICAL"]
