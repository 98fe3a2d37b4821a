"""Top-k loss-Hessian spectrum of any PyTorch model, as a :class:`compare.Spectrum`."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Iterable

import numpy as np
import torch

from compare.spectrum import Spectrum
from dnnspec.hvp import loss_hessian
from dnnspec.lanczos import RESIDUAL_RTOL, block_lanczos, hutchinson_trace, power_iteration

log = logging.getLogger(__name__)

#: Relative agreement demanded between power iteration and Lanczos on the top eigenvalues.
POWER_CHECK_RTOL = 1e-3


def hessian_spectrum(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    data: Iterable,
    *,
    k: int = 100,
    name: str = "network",
    dtype: torch.dtype | None = None,
    device: str | torch.device | None = None,
    method: str = "func",
    block_size: int | None = None,
    tol: float = RESIDUAL_RTOL,
    max_products: int | None = None,
    power_check: int = 0,
    trace_samples: int = 0,
    seed: int = 0,
    meta: dict | None = None,
    progress: bool = False,
) -> Spectrum:
    """The ``k`` largest eigenvalues of the training-loss Hessian of ``model``.

    Parameters
    ----------
    model : torch.nn.Module
        Any model; not modified (a copy is evaluated in ``eval()`` mode).
    loss_fn : callable
        ``loss_fn(outputs, targets)`` giving the mean loss of a chunk, e.g.
        ``torch.nn.functional.cross_entropy``.
    data : (x, y) or iterable of (x, y)
        The whole training set in chunks (a list, or a DataLoader without shuffling); the
        loss is the mean over every sample.
    k : int
        Eigenvalues wanted (the paper: 1000 for LeNet and FCNs, 50 for ResNet18).
    name : str
        Name of the returned spectrum.
    dtype : torch.dtype, optional
        Precision of the Hessian-vector products (default the model's); the Krylov basis is
        always float64.
    device : optional
        Where products run (default the model's device; ``"cuda"`` for a GPU).
    method : {"func", "graph"}
        Product implementation, see :mod:`dnnspec.hvp`.
    block_size : int, optional
        Vectors per product call in block Lanczos. Default 1 (plain Lanczos) on a CPU, where
        batching products through vmap measured no faster per product, and 16 on a GPU.
    tol : float
        Relative residual every kept eigenvalue must reach.
    max_products : int, optional
        Product budget; :class:`~dnnspec.errors.ConvergenceError` when spent.
    power_check : int
        Check this many top eigenvalues by power iteration with deflation (0: no check);
        a disagreement beyond ``POWER_CHECK_RTOL`` raises ``ConvergenceError``.
    trace_samples : int
        Rademacher probes of Hutchinson's trace estimate (0: none).
    seed : int
        Seeds the Lanczos start block, the power iteration and the trace probes.
    meta : dict, optional
        Extra plain-JSON provenance (model, data and training settings) merged into ``meta``.
    progress : bool
        Progress bar of Hessian-vector products.

    Returns
    -------
    Spectrum
        Kind ``"network"``, the positive eigenvalues among the top ``k``, descending. ``meta``
        holds the solver report (steps, products, largest relative residual, seconds), the
        number of parameters and samples, ``top_eigenvalue``, and ``trace``/``trace_stderr``
        when estimated.
    """
    from dnnspec.errors import ConvergenceError

    start = time.perf_counter()
    op = loss_hessian(model, loss_fn, data, dtype=dtype, device=device, method=method)
    if k > op.n_params:
        raise ValueError(f"k = {k} exceeds the number of parameters ({op.n_params})")
    if block_size is None:
        block_size = 1 if op.device.type == "cpu" else 16
    result = block_lanczos(
        op.matmat,
        op.n_params,
        k=k,
        block_size=block_size,
        tol=tol,
        max_products=max_products,
        seed=seed,
        device=op.device,
        progress=progress,
    )
    info = {
        **(meta or {}),
        "n_params": op.n_params,
        "n_samples": op.n_samples,
        "hvp_dtype": str(op.dtype).replace("torch.", ""),
        "hvp_method": method,
        "block_size": block_size,
        "device": str(op.device),
        "k_requested": k,
        "tol": tol,
        "seed": seed,
        "top_eigenvalue": float(result.eigenvalues[0]),
        **result.as_dict(),
    }
    if power_check:
        check = power_iteration(op.matmat, op.n_params, k=power_check, seed=seed + 1, device=op.device)
        ref = np.sort(check.eigenvalues)[::-1]
        diff = np.abs(ref - result.eigenvalues[:power_check]) / np.abs(result.eigenvalues[:power_check])
        if (diff > POWER_CHECK_RTOL).any():
            raise ConvergenceError(
                f"{name}: power iteration disagrees with Lanczos on the top {power_check} eigenvalues "
                f"(largest relative difference {diff.max():.2e} > {POWER_CHECK_RTOL:g})"
            )
        info["power_check"] = {"k": power_check, "max_relative_difference": float(diff.max())}
    if trace_samples:
        trace = hutchinson_trace(op.matmat, op.n_params, samples=trace_samples, seed=seed, device=op.device)
        info["trace"] = trace.value
        info["trace_stderr"] = trace.stderr
        info["trace_samples"] = trace.samples
    values = result.eigenvalues
    positive = values[values > 0]
    if positive.size < values.size:
        warnings.warn(
            f"{name}: {values.size - positive.size} of the top {k} Hessian eigenvalues are <= 0 "
            "and are left out of the spectrum",
            stacklevel=2,
        )
    info["n_nonpositive"] = int(values.size - positive.size)
    info["seconds_total"] = round(time.perf_counter() - start, 3)
    info["hvp_total"] = op.n_products
    log.info("%s: top %d eigenvalues in %.1f s (%d products)", name, k, info["seconds_total"], op.n_products)
    if positive.size == 0:
        raise ValueError(f"{name}: none of the top {k} Hessian eigenvalues is positive")
    return Spectrum(name, "network", positive, info)
