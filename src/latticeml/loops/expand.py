"""What a trained L-CNN computes: its output as a linear combination of traced Wilson loops.

An L-CNN without ``L-Act`` (Plaq -> L-Conv / L-Bilin / L-CB -> Trace -> linear head) is a
polynomial in the links.  Propagating the actual weights through the layers on formal sums of
paths (:mod:`latticeml.loops.weighted`) gives, at every site ``x``,

    output(x) = sum_l ( re_l Re Tr l(x + b_l) + im_l Im Tr l(x + b_l) ) + constant,

with the target normalisation undone (``output = net * std + mean``).  A term is a traced loop
*at a position*: the word ``l`` started at the site ``x + b_l`` (``b_l`` is the base site
relative to the output site).  Words that are cyclic rotations (a moved base point on the same
loop) or conjugates ``u l u^{-1}`` (a tail walked there and back) of each other are one term;
``Tr l^dagger = conj Tr l`` folds the two orientations into one row (the ``im`` coefficient then
refers to the orientation shown).  The table (:func:`expand`) has one row per term:

=========  ==========================================================================
column     meaning (rows ordered by ``|re| + |im|``, by ``|re|`` for SU(2))
=========  ==========================================================================
``word``   the loop, started at its vertex closest to the output site
``base``   that vertex relative to the output site, e.g. ``"0,0"`` or ``"1,-1"``
``loop``   canonical key of the traced loop up to translation (smallest rotation of the
           orientation whose smallest rotation is smaller; see :mod:`~latticeml.loops.words`)
``length`` number of links
``area``   signed area enclosed in its plane (NaN for a loop spanning three axes)
``re``     coefficient of ``Re Tr word(x + base)``
``im``     coefficient of ``Im Tr word(x + base)``
``re_n``   ``N * re``: coefficient of the normalised trace ``(1/N) Re Tr`` (the units of
           the Wilson-loop targets ``W^{(a x b)}``)
=========  ==========================================================================

The first row is the constant (``word == ""``; ``re * Re Tr 1 = re * N`` is the constant).
``DataFrame.attrs`` holds ``n_colors``, ``dim``, ``constant``, ``mean``, ``std``, ``pooled``,
``n_words`` (distinct words before the trace), ``n_terms`` (rows besides the constant) and, for
model files, ``target``, ``plane`` and ``spec``.
:func:`latticeml.loops.evaluate.evaluate_expansion` evaluates a table on links.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from latticeml.catalog import models as model_catalog
from latticeml.errors import ParameterError
from latticeml.loops import weighted as Wt
from latticeml.loops.words import LETTERS, cyclic_reduce, inverse, signed_area

__all__ = ["COLUMNS", "positioned_loop", "expand", "expand_file", "load_float64", "check_net",
           "terms_table", "display_loop", "format_base", "parse_base"]

COLUMNS = ("word", "base", "loop", "length", "area", "re", "im", "re_n")


def _disp(word: str, dim: int) -> np.ndarray:
    d = np.zeros(dim, dtype=np.int64)
    for c in word:
        d[LETTERS.index(c.lower())] += 1 if c.islower() else -1
    return d


def format_base(pos) -> str:
    """``(1, -1)`` -> ``"1,-1"``."""
    return ",".join(str(int(v)) for v in pos)


def parse_base(text: str, dim: int | None = None) -> tuple[int, ...]:
    """``"1,-1"`` -> ``(1, -1)``; checks the number of entries against ``dim`` if given."""
    try:
        pos = tuple(int(v) for v in str(text).split(","))
    except ValueError:
        raise ParameterError("base", "comma-separated integers such as '0,1'", text) from None
    if dim is not None and len(pos) != dim:
        raise ParameterError("base", f"{dim} comma-separated integers", text)
    return pos


def _smallest_rotation(c: str) -> int:
    n = len(c)
    d = c + c
    return min(range(n), key=lambda i: d[i : i + n])


_CACHE: dict[tuple[str, int], tuple[str, tuple[int, ...], int]] = {}


def _rep(c: str, dim: int) -> tuple[str, tuple[int, ...], int]:
    """Key, base offset (relative to the start of ``c``) and orientation sign of a loop."""
    hit = _CACHE.get((c, dim))
    if hit is not None:
        return hit
    best = None
    for sign, cc in ((1, c), (-1, inverse(c))):
        i = _smallest_rotation(cc)
        key = cc[i:] + cc[:i]
        if best is None or key < best[0]:
            best = (key, tuple(int(v) for v in _disp(cc[:i], dim)), sign)
    if len(_CACHE) > 500_000:
        _CACHE.clear()
    _CACHE[(c, dim)] = best
    return best


def positioned_loop(word: str, dim: int) -> tuple[str, tuple[int, ...], int]:
    """Return the traced loop of a closed path from ``x`` as (key, base, sign).

    ``Tr word(x) = Tr key(x + base)`` if ``sign == 1`` and its complex conjugate if
    ``sign == -1``; ``key`` is the smaller of the canonical forms of the two orientations
    (``""`` for ``Tr 1``).
    """
    c = cyclic_reduce(word)
    if not c:
        return "", (0,) * dim, 1
    k = (len(word) - len(c)) // 2
    key, off, sign = _rep(c, dim)
    start = _disp(word[:k], dim) + np.asarray(off)
    return key, tuple(int(v) for v in start), sign


def display_loop(key: str, base: tuple[int, ...], dim: int) -> tuple[str, tuple[int, ...]]:
    """Return the rotation of ``key`` started at its vertex closest to the output site (and it)."""
    pos = np.asarray(base)
    best = None
    for j, c in enumerate(key):
        score = (int(np.abs(pos).sum()), int((pos * pos).sum()), j)
        if best is None or score < best[0]:
            best = (score, j, tuple(int(v) for v in pos))
        pos = pos + _disp(c, dim)
    _, j, vertex = best
    return key[j:] + key[:j], vertex


def _area(word: str) -> float:
    axes = sorted({LETTERS.index(c.lower()) for c in word})
    if len(axes) != 2:
        return 0.0 if not axes else math.nan
    return float(signed_area(word, axes[0], axes[1]))


# ------------------------------------------------------------------ the network as layers


def _refuse(what: str, got: object, why: str) -> ParameterError:
    return ParameterError(what, "an L-CNN without L-Act (Plaq, L-Conv, L-Bilin, L-CB, Trace, "
                          "one linear head)", got, why)


def check_net(net) -> None:
    """Refuse networks that are not polynomials in the links (typed error, no work done).

    Raises
    ------
    ParameterError
        For scalar/CNN models, ``L-Act``/``L-Exp`` layers, Polyakov inputs, a head with hidden
        layers or several outputs, max pooling.
    """
    from torch import nn

    from latticeml.nn.gauge_net import GaugeNet
    from latticeml.nn.gauge_pointwise import LAct
    from latticeml.nn.models import LCNN

    if not isinstance(net, (LCNN, GaugeNet)):
        raise _refuse("model", type(net).__name__, "only gauge-equivariant L-CNNs are "
                      "polynomials in the links")
    if net.poly is not None:
        raise _refuse("model.polyakov", True, "Polyakov loops wind around the finite lattice")
    if isinstance(net, LCNN):
        if any(isinstance(a, LAct) for a in net.acts):
            raise _refuse("model.activation", "L-Act", "L-Act (a gate g(Re Tr W) W) is not a "
                          "polynomial in the links: there is no finite loop expansion")
    else:
        for kind, _ in net.kinds:
            if kind in ("lact", "lexp"):
                raise _refuse("model.layers", kind, f"{kind} is not a polynomial in the links: "
                              "there is no finite loop expansion")
    lin = list(net.head.net)
    if len(lin) != 1 or not isinstance(lin[0], nn.Linear):
        raise _refuse("model.hidden", f"{len(lin)} head layers", "a head MLP with hidden "
                      "layers is not linear in the traces")
    if lin[0].out_features != 1:
        raise _refuse("model.out_features", lin[0].out_features, "expand one output at a time")
    if getattr(net.head, "pool", "mean") == "max":
        raise _refuse("model.head", "max", "max pooling is not linear")


def _np(t) -> np.ndarray:
    return t.detach().cpu().double().numpy()


def _ops(net) -> tuple[Wt.Sums, list[tuple[str, np.ndarray, dict, str]]]:
    """Input channels and ``(kind, weight, options, partner)`` per mixing layer."""
    from latticeml.nn.models import LCNN

    planes = net.plaq.planes
    if isinstance(net, LCNN):
        # input_conjugates: channels [W_0..W_k, W_0^dagger..W_k^dagger], as the network
        s0 = Wt.plaq(net.dim, planes, conjugates=net.input_conjugates)
        layers = [("lcb", layer, "") for layer in net.layers]
    else:
        s0 = Wt.plaq(net.dim, planes)
        layers = [(k, layer, p) for layer, (k, p) in zip(net.layers, net.kinds, strict=True)]
    ops = []
    for kind, layer, partner in layers:
        if kind == "lcb":
            opts = {"kernel_size": layer.kernel_size, "dilation": layer.dilation,
                    "offsets": layer.offsets_mode, "local": layer.local, "unit": layer.unit,
                    "conjugates": layer.conjugates}
        elif kind == "lconv":
            opts = {"kernel_size": layer.kernel_size, "dilation": layer.dilation,
                    "offsets": layer.offsets_mode, "local": layer.local, "unit": layer.unit}
        else:
            opts = {"unit": layer.unit, "conjugates": layer.conjugates}
        ops.append((kind, _np(layer.weight), opts, partner))
    return s0, ops


def _apply(kind: str, s: Wt.Sums, prev: Wt.Sums, weight: np.ndarray, opts: dict, partner: str,
           dim: int, max_pairs: int) -> Wt.Sums:
    if kind == "lcb":
        o = dict(opts)
        return Wt.lcb(s, weight, o.pop("kernel_size"), dim=dim, max_pairs=max_pairs, **o)
    if kind == "lconv":
        o = dict(opts)
        return Wt.lconv(s, weight, o.pop("kernel_size"), dim=dim, **o)
    other = prev if partner == "input" else s
    return Wt.lbilin(s, other, weight, max_pairs=max_pairs, **opts)


def _net_and_norm(model) -> tuple[object, float, float]:
    from latticeml.nn.modelfile import Regressor

    if isinstance(model, Regressor):
        return model.net, float(model.mean), float(model.std)
    return model, 0.0, 1.0


def expand(model, *, mean: float | None = None, std: float | None = None,
           max_pairs: int = Wt.DEFAULT_MAX_PAIRS) -> pd.DataFrame:
    """Expand a network into traced Wilson loops with its actual weights.

    Parameters
    ----------
    model : LCNN, GaugeNet or Regressor
        The network (a :class:`~latticeml.nn.modelfile.Regressor` brings its normalisation).
    mean, std : float, optional
        Undo ``(y - mean) / std`` (default: the Regressor's, else 0 and 1).
    max_pairs : int
        Bound on the product block of one layer (:class:`~latticeml.loops.TooManyTermsError`).

    Returns
    -------
    pandas.DataFrame
        One row per term (columns :data:`COLUMNS`, constant first, then by ``|re| + |im|``
        descending); metadata in ``attrs``.

    Raises
    ------
    ParameterError
        For networks that are not polynomials in the links (see :func:`check_net`).
    """
    net, m0, s0 = _net_and_norm(model)
    check_net(net)
    mean = m0 if mean is None else float(mean)
    std = s0 if std is None else float(std)
    dim, n = int(net.dim), int(net.n_colors)
    state, ops = _ops(net)
    lin = list(net.head.net)[0]
    h = _np(lin.weight)[0]
    bias = float(_np(lin.bias)[0]) if lin.bias is not None else 0.0
    c_last = len(h) // 2
    prev = state
    for i, (kind, weight, opts, partner) in enumerate(ops):
        if i == len(ops) - 1:  # fold the head: channels Re-part, Im-part
            weight = np.stack([np.tensordot(h[:c_last], weight, 1),
                               np.tensordot(h[c_last:], weight, 1)])
        prev, state = state, _apply(kind, state, prev, weight, opts, partner, dim, max_pairs)
    return _table(state, dim, n, bias, mean, std, pooled=hasattr(net.head, "pool"))


def _table(state: Wt.Sums, dim: int, n: int, bias: float, mean: float, std: float,
           pooled: bool) -> pd.DataFrame:
    re: dict[tuple[str, tuple[int, ...]], float] = {}
    im: dict[tuple[str, tuple[int, ...]], float] = {}
    const = bias
    for w, cr, ci in zip(state.words, state.coef[0], state.coef[1], strict=True):
        key, base, sign = positioned_loop(w, dim)
        if not key:
            const += n * cr
            continue
        k = (key, base)
        re[k] = re.get(k, 0.0) + cr
        im[k] = im.get(k, 0.0) + sign * ci
    const = std * const + mean
    rows = [("", format_base((0,) * dim), "", 0, 0.0, const / n, 0.0, const)]
    terms = []
    for k in re:
        r, i = std * re[k], std * im[k]
        if r == 0.0 and i == 0.0:
            continue
        word, vertex = display_loop(k[0], k[1], dim)
        terms.append((word, format_base(vertex), k[0], len(word), _area(word), r, i, n * r))
    # for SU(2) Im Tr vanishes identically: order by the real parts only
    weight_im = 1.0 if n > 2 else 0.0
    terms.sort(key=lambda t: (-(abs(t[5]) + weight_im * abs(t[6])), t[3], t[2], t[1]))
    df = pd.DataFrame(rows + terms, columns=list(COLUMNS))
    df.attrs.update({"n_colors": n, "dim": dim, "constant": const, "mean": mean, "std": std,
                     "pooled": pooled, "n_words": len(state.words), "n_terms": len(terms)})
    return df


def terms_table(terms: Mapping[str, float], *, n_colors: int, dim: int = 2,
                imag: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Return the expansion table of a hand-written sum ``sum_w c_w Re Tr w(x) (+ Im parts)``.

    Parameters
    ----------
    terms : mapping
        ``{word: coefficient of Re Tr word(x)}``; words are closed paths from ``x`` (any
        rotation or tail; ``""`` is ``Tr 1 = N``).
    n_colors, dim : int
        ``N`` and ``D``.
    imag : mapping, optional
        ``{word: coefficient of Im Tr word(x)}``.

    Returns
    -------
    pandas.DataFrame
        As :func:`expand` (``mean = 0``, ``std = 1``).
    """
    from latticeml.loops.words import check_word, reduce_word

    imag = dict(imag or {})
    words = sorted(set(terms) | set(imag))
    for w in words:
        check_word(w, dim)
    coef = np.array([[float(terms.get(w, 0.0)) for w in words],
                     [float(imag.get(w, 0.0)) for w in words]])
    state = Wt.Sums(tuple(reduce_word(w) for w in words), coef)
    return _table(state, int(dim), int(n_colors), 0.0, 0.0, 1.0, pooled=False)


# ------------------------------------------------------------------ model files


def load_float64(path: str | os.PathLike, *, check_version: bool = True):
    """Read a model file and rebuild its network in float64 (for exact comparisons).

    Returns
    -------
    (Regressor, dict)
        The float64 regressor (eval mode) and the verified file content.

    Raises
    ------
    FileFormatError
        Missing/damaged file or weights that do not fit the spec.
    ParameterError
        For networks :func:`expand` refuses (checked before any expansion).
    """
    import torch

    from latticeml.errors import FileFormatError
    from latticeml.nn.build import build_model
    from latticeml.nn.modelfile import Regressor, read_model_file

    content = read_model_file(path, check_version=check_version)
    if content.get("task", "regression") != "regression":
        raise _refuse("model.task", content.get("task"), "a classifier's output is a "
                      "probability of scalar-field inputs, not a gauge regressor")
    spec = dict(content["spec"])
    kind = model_catalog.kind_of(spec)
    if kind not in model_catalog.kinds(explainable=True):
        raise _refuse("model.kind", kind or None, "only gauge-equivariant L-CNNs are "
                      "polynomials in the links")
    spec["dtype"] = "float64"
    try:
        net = build_model(spec)
        state = {k: v.to(torch.float64) if v.is_floating_point() else v
                 for k, v in content["state_dict"].items()}
        net.load_state_dict(state)
    except (RuntimeError, TypeError) as exc:
        first = str(exc).splitlines()[0]
        raise FileFormatError(path, f"weights do not fit the stored spec ({first[:160]})") from None
    check_net(net)
    norm = content["normalisation"]
    model = Regressor(net, norm["mean"], norm["std"]).eval()
    return model, content


def expand_file(path: str | os.PathLike, *, max_pairs: int = Wt.DEFAULT_MAX_PAIRS,
                check_version: bool = True) -> pd.DataFrame:
    """:func:`expand` a trained model file (``model.pt``); adds ``target``/``plane`` attrs."""
    model, content = load_float64(path, check_version=check_version)
    df = expand(model, max_pairs=max_pairs)
    df.attrs.update({"target": content["target"], "plane": int(content["plane"]),
                     "spec": dict(content["spec"]) if isinstance(content["spec"], Mapping)
                     else content["spec"]})
    return df
