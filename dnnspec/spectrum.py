"""Top-k loss-Hessian spectrum of any PyTorch model, as a :class:`compare.Spectrum`."""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from compare import meta as keys
from compare.spectrum import Spectrum
from dnnspec.hvp import HessianOperator, loss_hessian
from dnnspec.lanczos import RESIDUAL_RTOL, block_lanczos, hutchinson_trace, power_iteration

if TYPE_CHECKING:
    from dnnspec.train import Checkpoint

log = logging.getLogger(__name__)

#: Relative agreement demanded between power iteration and Lanczos on the top eigenvalues.
POWER_CHECK_RTOL = 1e-3
#: Largest network ``solver="auto"`` takes the exact dense Hessian of (P products, a P x P eigh).
DENSE_MAX_PARAMS = 4000


def hessian_spectrum(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    data: tuple[torch.Tensor, torch.Tensor] | Iterable[Sequence[torch.Tensor]],
    *,
    k: int = 100,
    name: str = "network",
    dtype: torch.dtype | None = None,
    device: str | torch.device | None = None,
    method: str = "auto",
    block_size: int | None = None,
    tol: float = RESIDUAL_RTOL,
    max_products: int | None = None,
    power_check: int = 0,
    trace_samples: int = 0,
    seed: int = 0,
    meta: dict | None = None,
    progress: bool = False,
    solver: str = "lanczos",
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
    device : str or torch.device, optional
        Where products run (default the model's device; ``"cuda"`` for a GPU).
    method : {"auto", "func", "graph"}
        Product implementation, see :mod:`dnnspec.hvp` (``"auto"``: the kept gradient graph
        up to 10,000 samples, measured 1.4x faster per product on LeNet, torch.func above).
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
    solver : {"lanczos", "dense", "auto"}
        ``"lanczos"``: block Lanczos on products. ``"dense"``: the exact Hessian from P
        products with the unit vectors and LAPACK's ``eigh`` in float64 (for nets of a few
        thousand parameters: the reference, and every eigenvalue at once; the trace is then
        exact). ``"auto"``: dense up to :data:`DENSE_MAX_PARAMS` parameters.

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
    if solver not in ("lanczos", "dense", "auto"):
        raise ValueError(f"solver must be 'lanczos', 'dense' or 'auto', got {solver!r}")
    op = loss_hessian(model, loss_fn, data, dtype=dtype, device=device, method=method)
    if k > op.n_params:
        raise ValueError(f"k = {k} exceeds the number of parameters ({op.n_params})")
    if solver == "dense" or (solver == "auto" and op.n_params <= DENSE_MAX_PARAMS):
        return _dense_spectrum(op, k=k, name=name, meta=meta, start=start)
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
        "hvp_method": op.method,
        "block_size": block_size,
        "device": str(op.device),
        "k_requested": k,
        "tol": tol,
        "seed": seed,
        keys.TOP_EIGENVALUE: float(result.eigenvalues[0]),
        **result.as_dict(),
    }
    if power_check:
        try:
            check = power_iteration(
                op.matmat, op.n_params, k=power_check, seed=seed + 1, device=op.device, progress=progress
            )
        except ConvergenceError as exc:
            raise ConvergenceError(
                f"{name}: the power-iteration check of the top {power_check} did not converge ({exc}); "
                "close eigenvalues converge slowly: power_check=0 (--power-check 0) skips the check, "
                "Lanczos's own residuals are in the spectrum's meta",
                n_converged=exc.n_converged,
                steps=exc.steps,
            ) from None
        ref = np.sort(check.eigenvalues)[::-1]
        diff = np.abs(ref - result.eigenvalues[:power_check]) / np.abs(result.eigenvalues[:power_check])
        if (diff > POWER_CHECK_RTOL).any():
            raise ConvergenceError(
                f"{name}: power iteration disagrees with Lanczos on the top {power_check} eigenvalues "
                f"(largest relative difference {diff.max():.2e} > {POWER_CHECK_RTOL:g})"
            )
        info["power_check"] = {"k": power_check, "max_relative_difference": float(diff.max())}
    if trace_samples:
        trace = hutchinson_trace(
            op.matmat, op.n_params, samples=trace_samples, seed=seed, device=op.device, progress=progress
        )
        info[keys.TRACE] = trace.value
        info["trace_stderr"] = trace.stderr
        info["trace_samples"] = trace.samples
    return _finish(result.eigenvalues, info, k=k, name=name, op=op, start=start)


def _finish(
    values: np.ndarray, info: dict, *, k: int, name: str, op: HessianOperator, start: float
) -> Spectrum:
    """The positive values as a Spectrum, the rest counted (and warned about)."""
    positive = values[values > 0]
    if positive.size < values.size:
        warnings.warn(
            f"{name}: {values.size - positive.size} of the top {k} Hessian eigenvalues are <= 0 "
            "and are left out of the spectrum",
            stacklevel=3,
        )
    info["n_nonpositive"] = int(values.size - positive.size)
    info["seconds_total"] = round(time.perf_counter() - start, 3)
    info["hvp_total"] = op.n_products
    log.info("%s: top %d eigenvalues in %.1f s (%d products)", name, k, info["seconds_total"], op.n_products)
    if positive.size == 0:
        raise ValueError(f"{name}: none of the top {k} Hessian eigenvalues is positive")
    return Spectrum(name, "network", positive, info)


def _dense_spectrum(op: HessianOperator, *, k: int, name: str, meta: dict | None, start: float) -> Spectrum:
    """Top ``k`` of the exact Hessian's eigenvalues (``solver="dense"``)."""
    from dnnspec.hvp import dense_hessian

    h = dense_hessian(op, block_size=256).to(torch.float64).cpu().numpy()
    solve_start = time.perf_counter()
    every = np.linalg.eigvalsh(h)[::-1]
    values = every[:k].copy()
    info = {
        **(meta or {}),
        "n_params": op.n_params,
        "n_samples": op.n_samples,
        "hvp_dtype": str(op.dtype).replace("torch.", ""),
        "hvp_method": op.method,
        "device": str(op.device),
        "k_requested": k,
        keys.TOP_EIGENVALUE: float(values[0]),
        "solver": "dense",
        "steps": 0,
        "n_products": op.n_products,
        "max_relative_residual": 0.0,
        "seconds": round(time.perf_counter() - solve_start, 3),
        keys.TRACE: float(np.trace(h)),
        "trace_stderr": 0.0,
        "trace_samples": 0,
    }
    return _finish(values, info, k=k, name=name, op=op, start=start)


#: Names the paper's tables use, so that the comparison report can find the matching row.
PAPER_DATASETS = {
    "mnist": "MNIST",
    "mnist5k": "MNIST",
    "digits": "Digits",
    "fashion-mnist": "Fashion-MNIST",
    "cifar10": "CIFAR-10",
    "cifar100": "CIFAR-100",
}
PAPER_MODELS = {
    "lenet": "LeNet",
    "fcn1": "1Layer-FCN",
    "fcn2": "2Layer-FCN",
    "fcn4": "4Layer-FCN",
    "linear4": "4Layer-LNN",
    "linear4-bn": "4Layer-LNN",
    "resnet18": "ResNet18",
}
PAPER_OPTIMIZERS = {
    "sgd": "SGD",
    "vanilla-sgd": "Vanilla SGD",
    "adam": "Adam",
    "amsgrad": "AMSGrad",
    "radam": "RAdam",
}


def experiment_labels(
    *, model_name: str, model_kwargs: dict, data_settings: dict, train_settings: dict
) -> dict[str, str]:
    """Dataset, model, training and setting labels in the vocabulary of the paper's tables.

    ``setting`` joins whatever differs from the paper's baseline (batch 128, full training
    set, clean labels, width 100): e.g. ``"B=512"``, ``"N=1000"``, ``"40% Label Noise"``.

    Parameters
    ----------
    model_name : str
        A name of :func:`dnnspec.models.build_model` (``"lenet"``, ``"fcn"``, ...).
    model_kwargs : dict
        Its options (``depth``, ``width``, ``batch_norm``, ``activation``).
    data_settings : dict
        :meth:`dnnspec.data.DataSettings.as_dict`.
    train_settings : dict
        :meth:`dnnspec.train.TrainSettings.as_dict`.

    Returns
    -------
    dict of str to str
        ``dataset``, ``model``, ``training`` (optimizer, or ``"Random"`` for 0 epochs) and
        ``setting`` (``"-"`` for the baseline).
    """
    model = model_name.lower()
    if model in ("fcn",):
        model = f"fcn{model_kwargs.get('depth', 2)}"
    settings = []
    name = data_settings.get("name", "")
    if data_settings.get("random_labels"):
        settings.append("Random Labels")
    if data_settings.get("label_noise"):
        settings.append(f"{round(100 * data_settings['label_noise'])}% Label Noise")
    if data_settings.get("n_train"):
        settings.append(f"N={data_settings['n_train']}")
    if train_settings.get("batch_size", 128) != 128:
        settings.append(f"B={train_settings['batch_size']}")
    if model.startswith("fcn") and model_kwargs.get("width", 100) != 100:
        settings.append(f"Width={model_kwargs['width']}")
    if model_kwargs.get("batch_norm") or model == "linear4-bn":
        settings.append("w/ BatchNorm")
    if model.startswith("linear") and model_kwargs.get("activation") == "relu":
        settings.append("w/ ReLu")
    optimizer = train_settings.get("optimizer", "sgd")
    training = (
        "Random" if train_settings.get("epochs", 1) == 0 else PAPER_OPTIMIZERS.get(optimizer, optimizer)
    )
    return {
        keys.DATASET: PAPER_DATASETS.get(name, name) + (" (5k subset)" if name == "mnist5k" else ""),
        keys.MODEL: PAPER_MODELS.get(model, model_name),
        keys.TRAINING: training,
        keys.SETTING: ", ".join(settings) or "-",
    }


def checkpoint_spectrum(
    checkpoint: str | os.PathLike | Checkpoint,
    *,
    k: int = 100,
    chunk_size: int = 1000,
    name: str | None = None,
    **options,
) -> Spectrum:
    """:func:`hessian_spectrum` of a ``dnnspec train`` checkpoint over its own training set.

    Parameters
    ----------
    checkpoint : str, os.PathLike or dnnspec.train.Checkpoint
        A checkpoint file written by ``dnnspec train``, or one already loaded.
    k : int
        Eigenvalues wanted.
    chunk_size : int
        Samples per chunk of the loss (bounds memory).
    name : str, optional
        Default: the checkpoint's file stem.
    **options
        Passed to :func:`hessian_spectrum` (dtype, device, method, tol, power_check, ...).

    Returns
    -------
    Spectrum
        With the paper-style labels of :func:`experiment_labels`, the data and training
        settings, the final metrics and the checkpoint path in ``meta``.
    """
    import torch.nn.functional as F

    from dnnspec.hvp import split_chunks

    ckpt, dataset, meta = checkpoint_inputs(checkpoint, options.pop("meta", None))
    data = split_chunks(dataset.x_train, dataset.y_train, chunk_size=chunk_size)
    return hessian_spectrum(
        ckpt.model, F.cross_entropy, data, k=k, name=name or ckpt.path.stem, meta=meta, **options
    )


def checkpoint_inputs(checkpoint: str | os.PathLike | Checkpoint, meta: dict | None = None) -> tuple:
    """A checkpoint, its training set, and the provenance its spectra carry.

    Parameters
    ----------
    checkpoint : str, os.PathLike or dnnspec.train.Checkpoint
        A ``dnnspec train`` checkpoint file, or one already loaded.
    meta : dict, optional
        Extra provenance, added last.

    Returns
    -------
    (Checkpoint, Dataset, dict)
        The loaded checkpoint, its data set (:func:`dnnspec.data.load_dataset`) and the meta:
        the paper-style labels of :func:`experiment_labels`, the data and training settings,
        the final metrics and the checkpoint path.
    """
    from dnnspec.data import load_dataset
    from dnnspec.train import Checkpoint, load_checkpoint

    ckpt = checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)
    dataset = load_dataset(ckpt.data_settings)
    data_settings = ckpt.data_settings.as_dict()
    train_settings = ckpt.train_settings.as_dict()
    meta = {
        **experiment_labels(
            model_name=ckpt.model_name,
            model_kwargs=ckpt.model_kwargs,
            data_settings=data_settings,
            train_settings=train_settings,
        ),
        "checkpoint": str(ckpt.path),
        "model_name": ckpt.model_name,
        "model_kwargs": _plain(ckpt.model_kwargs),
        "data_settings": _plain(data_settings),
        "train_settings": _plain(train_settings),
        "metrics": _plain(ckpt.metrics),
        **dict(meta or {}),
    }
    return ckpt, dataset, meta


def _plain(value: object) -> object:
    """JSON-plain copy: tuples to lists, paths to str, numbers to float/int."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    return str(value)
