"""Input checks at the entry of the models: layout, dtype, D, N and the gauge group.

A wrong input must fail here with a message that says what was expected, what arrived and
how to fix it, not with a shape error deep inside a layer.
"""

from __future__ import annotations

import torch

from latticeml.errors import ParameterError

__all__ = ["ModelInputError", "check_links", "check_scalar_input", "complex_dtype_of"]

_N_CHECK = 512
_COMPLEX_OF = {torch.float32: torch.complex64, torch.float64: torch.complex128}


class ModelInputError(ParameterError):
    """The tensor given to a model does not have the layout, dtype or group the model expects."""


def complex_dtype_of(real: torch.dtype) -> torch.dtype:
    """Return the complex dtype of a real one (float32 -> complex64, float64 -> complex128)."""
    try:
        return _COMPLEX_OF[real]
    except KeyError:
        raise ModelInputError(
            "dtype", "model parameters in float32 or float64", str(real),
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
        cost, independent of the batch and lattice size.
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
        raise ModelInputError(name, "a torch.Tensor", type(links).__name__,
                              "convert with torch.as_tensor(links)")
    layout = f"(batch, *shape, D={dim}, N={n_colors}, N={n_colors})"
    if not links.is_complex():
        hint = "links are complex SU(N) matrices; convert with .to(torch.complex64)"
        if links.shape[-1:] == (2,):
            hint = "a trailing axis of 2 looks like (re, im); use torch.view_as_complex first"
        raise ModelInputError(f"{name}.dtype", "complex64 or complex128", str(links.dtype), hint)
    if links.ndim != dim + 4:
        raise ModelInputError(
            f"{name}.shape", f"{dim + 4} axes {layout}", tuple(links.shape),
            "add a batch axis with links.unsqueeze(0) for a single configuration"
            if links.ndim == dim + 3 else "check the lattice dimension of the data and the model",
        )
    if links.shape[-3] != dim:
        raise ModelInputError(f"{name}.shape[-3] (D)", f"D = {dim}", int(links.shape[-3]),
                              f"the model was built for D = {dim}; build another for this data")
    if links.shape[-1] != links.shape[-2] or links.shape[-1] != n_colors:
        raise ModelInputError(
            f"{name}.shape[-2:] (N, N)", f"({n_colors}, {n_colors}) for SU({n_colors})",
            tuple(links.shape[-2:]), f"the model was built for SU({n_colors})",
        )
    if real_dtype is not None:
        want = complex_dtype_of(real_dtype)
        if links.dtype != want:
            raise ModelInputError(
                f"{name}.dtype", f"{want} (model parameters are {real_dtype})", str(links.dtype),
                f"convert the data with .to({want}) or the model with "
                f"{'.double()' if links.dtype == torch.complex128 else '.float()'}",
            )
    if check_group:
        with torch.no_grad():
            u = links.detach()[:1].reshape(-1, n_colors, n_colors)[:_N_CHECK]
            tol = 1e-4 if links.dtype == torch.complex64 else 1e-9
            eye = torch.eye(n_colors, dtype=links.dtype, device=links.device)
            unit_err = (u @ u.mH - eye).abs().amax().item() if u.numel() else 0.0
            det_err = (_det(u) - 1).abs().amax().item() if u.numel() else 0.0
        if not (unit_err < tol and det_err < tol):
            raise ModelInputError(
                f"{name} (group)",
                f"SU({n_colors}) matrices (|UU^+ - 1| and |det U - 1| < {tol:g})",
                f"max |UU^+ - 1| = {unit_err:.3g}, max |det U - 1| = {det_err:.3g}",
                "pass gauge links, not e.g. plaquettes or U(N)/SO(N) matrices; re-unitarize the "
                "links or build the model with check_group=False",
            )
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
        raise ModelInputError(f"{name}.dtype", "a real floating dtype", str(x.dtype),
                              "convert with .float() (integer fields k, l as floats)")
    if x.ndim != 4 or x.shape[1] != channels:
        raise ModelInputError(f"{name}.shape", f"(batch, {channels}, N_t, N_x)", tuple(x.shape),
                              "channels are (k_t, k_x, l_t, l_x)" if channels == 4 else "")
    if shape is not None and tuple(x.shape[2:]) != tuple(shape):
        raise ModelInputError(
            f"{name}.shape[2:] (lattice)", f"{tuple(shape)}, the one size this model was built for",
            tuple(x.shape[2:]),
            "a flatten+dense (FL) model works on one lattice size only; use an EQ model "
            "(global pooling) to evaluate on other sizes",
        )
    return x
