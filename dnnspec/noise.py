"""The spectrum of the gradient-noise covariance (the paper's Figure 20).

The covariance of the per-sample gradients g_i of the training loss at the trained weights,

    C = (1/n) sum_i (g_i - g)(g_i - g)^T,   g = (1/n) sum_i g_i,

is the second moment of stochastic-gradient noise. Its top eigenvalues come from the same block
Lanczos as the Hessian's (:func:`dnnspec.lanczos.block_lanczos`), on the product

    C V = (1/n) G^T (G V) - g (g^T V),

with G the (n, P) matrix of per-sample gradients, computed by ``torch.func.vmap(grad(...))`` one
chunk of samples at a time. When G fits in ``cache_bytes`` it is computed once and kept;
otherwise every product recomputes it chunk by chunk (memory bounded by one chunk).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from compare import meta as keys
from compare.spectrum import Spectrum
from dnnspec.lanczos import RESIDUAL_RTOL, block_lanczos

if TYPE_CHECKING:
    from dnnspec.train import Checkpoint

__all__ = [
    "CACHE_BYTES",
    "KIND",
    "checkpoint_noise_spectrum",
    "gradient_noise_operator",
    "gradient_noise_spectrum",
    "per_sample_gradients",
]

#: The :class:`compare.Spectrum` kind of these spectra (not ``"network"``: they are not Hessian
#: spectra, and the report never sets them beside the paper's Hessian rows).
KIND = "gradient-noise"

#: Largest per-sample gradient matrix kept in memory between products (bytes).
CACHE_BYTES = 512 * 2**20


def per_sample_gradients(
    model: torch.nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    x: Tensor,
    y: Tensor,
    *,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """The gradient of each sample's loss with respect to every parameter, flattened.

    Parameters
    ----------
    model : torch.nn.Module
        Evaluated in ``eval()`` mode on a copy of its parameters; not modified.
    loss_fn : callable
        ``loss_fn(outputs, targets)``, the mean loss of a batch (one sample here).
    x : Tensor, shape (b, ...)
        Inputs.
    y : Tensor, shape (b,)
        Targets.
    dtype : torch.dtype, optional
        Of the parameters and gradients (default the model's).

    Returns
    -------
    Tensor, shape (b, P)
        Row i is the gradient of sample i's loss, parameters in ``named_parameters`` order.
    """
    from torch.func import functional_call, grad, vmap

    params = {n: p.detach().to(dtype or p.dtype) for n, p in model.named_parameters()}
    buffers = {n: b.detach() for n, b in model.named_buffers()}
    was_training = model.training
    model.eval()
    try:

        def one(p: dict, xi: Tensor, yi: Tensor) -> Tensor:
            out = functional_call(model, (p, buffers), (xi.unsqueeze(0).to(next(iter(p.values())).dtype),))
            return loss_fn(out, yi.unsqueeze(0))

        grads = vmap(grad(one), in_dims=(None, 0, 0))(params, x, y)
    finally:
        model.train(was_training)
    return torch.cat([grads[n].reshape(len(y), -1) for n in params], dim=1)


def gradient_noise_operator(
    model: torch.nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    x: Tensor,
    y: Tensor,
    *,
    chunk_size: int = 256,
    dtype: torch.dtype = torch.float64,
    cache_bytes: int = CACHE_BYTES,
) -> tuple[Callable[[Tensor], Tensor], int, Tensor]:
    """The covariance of the per-sample gradients as a product closure.

    Parameters
    ----------
    model : torch.nn.Module
    loss_fn : callable
        ``loss_fn(outputs, targets)``, a mean loss.
    x : Tensor, shape (n, ...)
        The training inputs.
    y : Tensor, shape (n,)
        Their targets.
    chunk_size : int
        Samples per vmap call (bounds memory).
    dtype : torch.dtype
        Of the gradients and products.
    cache_bytes : int
        Keep the (n, P) gradient matrix when it is at most this large.

    Returns
    -------
    matmat : callable
        ``matmat(V)`` = ``C @ V`` for ``V`` of shape (P, b).
    n_params : int
        P.
    mean : Tensor, shape (P,)
        The mean gradient g (the full-batch gradient of the loss).
    """
    n = len(y)
    if n < 2:
        raise ValueError(f"the covariance needs at least 2 samples, got {n}")
    starts = range(0, n, chunk_size)

    def chunk(i: int) -> Tensor:
        return per_sample_gradients(model, loss_fn, x[i : i + chunk_size], y[i : i + chunk_size], dtype=dtype)

    first = chunk(0)
    n_params = first.shape[1]
    keep = n * n_params * first.element_size() <= cache_bytes
    cached = torch.cat([first] + [chunk(i) for i in starts[1:]]) if keep else None
    mean = (cached.mean(0) if keep else sum(chunk(i).sum(0) for i in starts) / n).detach()

    def matmat(vectors: Tensor) -> Tensor:
        v = vectors.to(dtype)
        if cached is not None:
            out = cached.T @ (cached @ v)
        else:
            out = sum(g.T @ (g @ v) for g in (chunk(i) for i in starts))
        return out / n - mean[:, None] @ (mean[None, :] @ v)

    return matmat, n_params, mean


def gradient_noise_spectrum(
    model: torch.nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    x: Tensor,
    y: Tensor,
    *,
    k: int = 100,
    name: str = "gradient noise",
    chunk_size: int = 256,
    dtype: torch.dtype = torch.float64,
    tol: float = RESIDUAL_RTOL,
    max_products: int | None = None,
    seed: int = 0,
    meta: dict | None = None,
    progress: bool = False,
) -> Spectrum:
    """The ``k`` largest eigenvalues of the gradient-noise covariance, as a Spectrum.

    Parameters
    ----------
    model : torch.nn.Module
        The trained network; not modified.
    loss_fn : callable
        ``loss_fn(outputs, targets)``, e.g. ``torch.nn.functional.cross_entropy``.
    x : Tensor, shape (n, ...)
        The training inputs.
    y : Tensor, shape (n,)
        Their targets.
    k : int
        Eigenvalues wanted.
    name : str
        Of the spectrum.
    chunk_size : int
        Samples per per-sample-gradient call.
    dtype : torch.dtype
        Of the gradients and products (the Krylov basis is float64).
    tol : float
        Relative residual of every kept eigenvalue.
    max_products : int, optional
        Product budget (:func:`dnnspec.lanczos.block_lanczos`).
    seed : int
        Seeds the Lanczos start.
    meta : dict, optional
        Extra plain-JSON provenance.
    progress : bool
        Progress bar of products.

    Returns
    -------
    Spectrum
        Kind ``"gradient-noise"`` (:data:`KIND`) with ``meta["matrix"] = "gradient-noise
        covariance"``, the positive eigenvalues descending, the solver report,
        ``trace`` (the exact trace of C: the mean squared deviation of the gradients) and
        ``top_eigenvalue``.
    """
    start = time.perf_counter()
    matmat, n_params, mean = gradient_noise_operator(model, loss_fn, x, y, chunk_size=chunk_size, dtype=dtype)
    if not 1 <= k <= n_params:
        raise ValueError(f"k must be in [1, {n_params}], got {k}")
    result = block_lanczos(
        matmat, n_params, k=k, tol=tol, max_products=max_products, seed=seed, progress=progress
    )
    values = np.asarray(result.eigenvalues)
    positive = values[values > 0]
    if positive.size == 0:
        raise ValueError(f"{name}: none of the top {k} covariance eigenvalues is positive")
    trace = _trace(model, loss_fn, x, y, chunk_size=chunk_size, dtype=dtype, mean=mean)
    info = {
        **(meta or {}),
        "matrix": "gradient-noise covariance",
        "n_params": n_params,
        "n_samples": int(len(y)),
        "k_requested": k,
        keys.TOP_EIGENVALUE: float(positive[0]),
        keys.TRACE: trace,
        "mean_gradient_norm": float(torch.linalg.vector_norm(mean)),
        **result.as_dict(),
        "seconds_total": round(time.perf_counter() - start, 3),
    }
    return Spectrum(name, KIND, positive, info)


def checkpoint_noise_spectrum(
    checkpoint: str | os.PathLike | Checkpoint,
    *,
    k: int = 100,
    chunk_size: int = 256,
    name: str | None = None,
    **options,
) -> Spectrum:
    """:func:`gradient_noise_spectrum` of a ``dnnspec train`` checkpoint over its own training set.

    Parameters
    ----------
    checkpoint : str, os.PathLike or dnnspec.train.Checkpoint
        A checkpoint file written by ``dnnspec train``, or one already loaded.
    k : int
        Eigenvalues wanted.
    chunk_size : int
        Samples per per-sample-gradient call.
    name : str, optional
        Default: the checkpoint's file stem and ``" gradient noise"``.
    **options
        Passed to :func:`gradient_noise_spectrum` (dtype, tol, max_products, seed, meta, ...).

    Returns
    -------
    Spectrum
        Kind ``"gradient-noise"``, with the checkpoint's provenance in ``meta`` (as
        :func:`dnnspec.checkpoint_spectrum` gives its Hessian spectrum).
    """
    import torch.nn.functional as F

    from dnnspec.spectrum import checkpoint_inputs

    ckpt, dataset, meta = checkpoint_inputs(checkpoint, options.pop("meta", None))
    return gradient_noise_spectrum(
        ckpt.model,
        F.cross_entropy,
        dataset.x_train,
        dataset.y_train,
        k=k,
        chunk_size=chunk_size,
        name=name or f"{ckpt.path.stem} gradient noise",
        meta=meta,
        **options,
    )


def _trace(
    model: torch.nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    x: Tensor,
    y: Tensor,
    *,
    chunk_size: int,
    dtype: torch.dtype,
    mean: Tensor,
) -> float:
    """The trace of C, (1/n) sum_i |g_i|^2 - |g|^2, exactly, one pass over the samples."""
    total = 0.0
    for i in range(0, len(y), chunk_size):
        g = per_sample_gradients(model, loss_fn, x[i : i + chunk_size], y[i : i + chunk_size], dtype=dtype)
        total += float((g * g).sum())
    return total / len(y) - float(mean @ mean)
