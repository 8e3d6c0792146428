"""Input checks at the entry of the models: layout, dtype, D, N and the gauge group.

A wrong input must fail here with a message that says what was expected, what arrived and
how to fix it, not with a shape error deep inside a layer.

Layout and dtype checks read only tensor metadata and are free.  The group check (are the
links SU(N)?) reads values, i.e. it needs one host read of a device result: on the CPU that
is a memory read and it runs on every call; on an accelerator (CUDA, MPS, ...) it would
synchronise the device in every training step, so there it runs once per (device, dtype,
lattice shape, N) and is skipped for later batches of the same layout.  Code that moves data
to an accelerator can call :func:`check_su_n` at that boundary to check every batch.
"""

from __future__ import annotations

import torch

from latticeml.errors import ParameterError

__all__ = [
    "ModelInputError",
    "check_links",
    "check_scalar_input",
    "check_su_n",
    "complex_dtype_of",
]

_N_CHECK = 512
_COMPLEX_OF = {torch.float32: torch.complex64, torch.float64: torch.complex128}
#: Layouts ``(device, dtype, lattice shape, N)`` whose group check passed on an accelerator.
_CHECKED_ON_DEVICE: set[tuple[str, torch.dtype, tuple[int, ...], int]] = set()


class ModelInputError(ParameterError):
    """The tensor given to a model does not have the layout, dtype or group the model expects."""


def complex_dtype_of(real: torch.dtype) -> torch.dtype:
    """Return the complex dtype of a real one (float32 -> complex64, float64 -> complex128)."""
    try:
        return _COMPLEX_OF[real]
    except KeyError:
        raise ModelInputError(
            "dtype",
            "model parameters in float32 or float64",
            str(real),
            "convert the model with .float() or .double()",
        ) from None


def _det(m: torch.Tensor) -> torch.Tensor:
    n = m.shape[-1]
    if n == 2:
        return m[..., 0, 0] * m[..., 1, 1] - m[..., 0, 1] * m[..., 1, 0]
    if n == 3:
        a = m[..., 0, :]
        b = m[..., 1, :]
        c = m[..., 2, :]
        cross = torch.stack(
            [
                b[..., 1] * c[..., 2] - b[..., 2] * c[..., 1],
                b[..., 2] * c[..., 0] - b[..., 0] * c[..., 2],
                b[..., 0] * c[..., 1] - b[..., 1] * c[..., 0],
            ],
            dim=-1,
        )
        return (a * cross).sum(-1)
    return torch.linalg.det(m)


def _group_violation(links: torch.Tensor, n_colors: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``max |UU^+ - 1|`` and ``max |det U - 1|`` (0-d tensors on the links' device)."""
    with torch.no_grad():
        u = links.detach()[:1].reshape(-1, n_colors, n_colors)[:_N_CHECK]
        if not u.numel():
            zero = torch.zeros((), dtype=links.real.dtype, device=links.device)
            return zero, zero
        eye = torch.eye(n_colors, dtype=links.dtype, device=links.device)
        return (u @ u.mH - eye).abs().amax(), (_det(u) - 1).abs().amax()


def _group_tolerance(dtype: torch.dtype) -> float:
    return 1e-4 if dtype == torch.complex64 else 1e-9


def _host_bool(flag: torch.Tensor) -> bool:
    """Read a 0-d boolean result on the host (the only host read of the success path)."""
    return bool(flag)


def check_su_n(links: torch.Tensor, n_colors: int, *, name: str = "links") -> torch.Tensor:
    """Check that the first links (up to 512) of the first configuration are SU(N).

    Unlike the check inside :func:`check_links` this one always runs, so on an accelerator it
    costs one device synchronisation: call it where data enters the device (a data loader,
    an evaluation entry point), not in a forward pass.

    Parameters
    ----------
    links : torch.Tensor
        ``(B, *shape, D, N, N)`` complex, layout already checked.
    n_colors : int
        ``N``.
    name : str
        Name used in error messages.

    Returns
    -------
    torch.Tensor
        ``links`` unchanged.

    Raises
    ------
    ModelInputError
        If ``max |UU^+ - 1|`` or ``max |det U - 1|`` reaches the tolerance (1e-4 in complex64,
        1e-9 in complex128) or is not finite.
    """
    unit_err, det_err = _group_violation(links, n_colors)
    tol = _group_tolerance(links.dtype)
    if not _host_bool((unit_err < tol) & (det_err < tol)):
        raise ModelInputError(
            f"{name} (group)",
            f"SU({n_colors}) matrices (|UU^+ - 1| and |det U - 1| < {tol:g})",
            f"max |UU^+ - 1| = {float(unit_err):.3g}, max |det U - 1| = {float(det_err):.3g}",
            "pass gauge links, not e.g. plaquettes or U(N)/SO(N) matrices; re-unitarize the "
            "links or build the model with check_group=False",
        )
    return links


def _check_group_once(links: torch.Tensor, n_colors: int, name: str) -> None:
    """Group check of :func:`check_links`: every call on the CPU, once per layout elsewhere."""
    if links.device.type == "cpu":
        check_su_n(links, n_colors, name=name)
        return
    key = (str(links.device), links.dtype, tuple(links.shape[1:-3]), int(n_colors))
    if key in _CHECKED_ON_DEVICE:
        return
    check_su_n(links, n_colors, name=name)
    _CHECKED_ON_DEVICE.add(key)


def check_links(
    links: object,
    *,
    dim: int,
    n_colors: int,
    real_dtype: torch.dtype | None = None,
    check_group: bool = True,
    name: str = "links",
) -> torch.Tensor:
    """Check a batch of gauge links ``(B, *shape, D, N, N)`` against a model's expectations.

    Parameters
    ----------
    links : object
        What the caller passed.
    dim : int
        Number of lattice dimensions ``D`` the model was built for.
    n_colors : int
        ``N`` of SU(N) the model was built for.
    real_dtype : torch.dtype, optional
        Dtype of the model's parameters; the links must be its complex counterpart.
    check_group : bool
        Also check that the first links (up to 512) of the first configuration are unitary
        with unit determinant (dtype-aware tolerance).  This catches the usual mistakes
        (plaquettes, U(N) or SO(N) matrices, a wrong unpacking of the data) at a small fixed
        cost, independent of the batch and lattice size.  CPU tensors are checked on every
        call; on an accelerator the check runs for the first batch of each (device, dtype,
        lattice shape) only, so that the forward pass does not synchronise the device (see
        the module docstring and :func:`check_su_n`).
    name : str
        Name used in error messages.

    Returns
    -------
    torch.Tensor
        ``links`` unchanged.

    Raises
    ------
    ModelInputError
        On any mismatch.
    """
    if not isinstance(links, torch.Tensor):
        raise ModelInputError(
            name, "a torch.Tensor", type(links).__name__, "convert with torch.as_tensor(links)"
        )
    layout = f"(batch, *shape, D={dim}, N={n_colors}, N={n_colors})"
    if not links.is_complex():
        hint = "links are complex SU(N) matrices; convert with .to(torch.complex64)"
        if links.shape[-1:] == (2,):
            hint = "a trailing axis of 2 looks like (re, im); use torch.view_as_complex first"
        raise ModelInputError(f"{name}.dtype", "complex64 or complex128", str(links.dtype), hint)
    if links.ndim != dim + 4:
        raise ModelInputError(
            f"{name}.shape",
            f"{dim + 4} axes {layout}",
            tuple(links.shape),
            "add a batch axis with links.unsqueeze(0) for a single configuration"
            if links.ndim == dim + 3
            else "check the lattice dimension of the data and the model",
        )
    if links.shape[-3] != dim:
        raise ModelInputError(
            f"{name}.shape[-3] (D)",
            f"D = {dim}",
            int(links.shape[-3]),
            f"the model was built for D = {dim}; build another for this data",
        )
    if links.shape[-1] != links.shape[-2] or links.shape[-1] != n_colors:
        raise ModelInputError(
            f"{name}.shape[-2:] (N, N)",
            f"({n_colors}, {n_colors}) for SU({n_colors})",
            tuple(links.shape[-2:]),
            f"the model was built for SU({n_colors})",
        )
    if real_dtype is not None:
        want = complex_dtype_of(real_dtype)
        if links.dtype != want:
            raise ModelInputError(
                f"{name}.dtype",
                f"{want} (model parameters are {real_dtype})",
                str(links.dtype),
                f"convert the data with .to({want}) or the model with "
                f"{'.double()' if links.dtype == torch.complex128 else '.float()'}",
            )
    if check_group:
        _check_group_once(links, n_colors, name)
    return links


def check_scalar_input(
    x: object, *, channels: int, name: str = "x", shape: tuple[int, ...] | None = None
) -> torch.Tensor:
    """Check a scalar-field batch ``(B, C, N_t, N_x)`` (real).

    Parameters
    ----------
    x : object
        What the caller passed.
    channels : int
        Expected number of channels.
    name : str
        Name used in error messages.
    shape : tuple of int, optional
        Required lattice shape (models that only work on one size).

    Returns
    -------
    torch.Tensor
        ``x`` unchanged.
    """
    if not isinstance(x, torch.Tensor):
        raise ModelInputError(name, "a torch.Tensor", type(x).__name__)
    if x.is_complex() or not x.is_floating_point():
        raise ModelInputError(
            f"{name}.dtype",
            "a real floating dtype",
            str(x.dtype),
            "convert with .float() (integer fields k, l as floats)",
        )
    if x.ndim != 4 or x.shape[1] != channels:
        raise ModelInputError(
            f"{name}.shape",
            f"(batch, {channels}, N_t, N_x)",
            tuple(x.shape),
            "channels are (k_t, k_x, l_t, l_x)" if channels == 4 else "",
        )
    if shape is not None and tuple(x.shape[2:]) != tuple(shape):
        raise ModelInputError(
            f"{name}.shape[2:] (lattice)",
            f"{tuple(shape)}, the one size this model was built for",
            tuple(x.shape[2:]),
            "a flatten+dense (FL) model works on one lattice size only; use an EQ model "
            "(global pooling) to evaluate on other sizes",
        )
    return x
