"""Loss-Hessian spectra of deep networks (PyTorch), written as :class:`compare.Spectrum` records.

Needs the ``torch`` extra (``pip install "hessian-spectra[torch]"``). ``import dnnspec`` itself
does not import torch; the names below load their modules (and torch) on first use.

Main entry points
-----------------
``hessian_spectrum(model, loss_fn, data, *, k, ...)``
    top-k eigenvalues of the training-loss Hessian of any model, as a Spectrum of kind "network".
``loss_hessian(model, loss_fn, data, ...)``
    the Hessian as a product closure (``HessianOperator.matmat``).
``block_lanczos``, ``power_iteration``, ``hutchinson_trace``
    the eigensolver, its independent check, and the trace estimator, on any product closure.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "hessian_spectrum": "dnnspec.spectrum",
    "loss_hessian": "dnnspec.hvp",
    "HessianOperator": "dnnspec.hvp",
    "dense_hessian": "dnnspec.hvp",
    "split_chunks": "dnnspec.hvp",
    "block_lanczos": "dnnspec.lanczos",
    "LanczosResult": "dnnspec.lanczos",
    "power_iteration": "dnnspec.lanczos",
    "hutchinson_trace": "dnnspec.lanczos",
    "ConvergenceError": "dnnspec.errors",
    "CheckpointError": "dnnspec.errors",
    "DatasetError": "dnnspec.errors",
    "TrainingError": "dnnspec.errors",
    "DnnspecError": "dnnspec.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'dnnspec' has no attribute {name!r}") from None
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as exc:
        if "torch" in str(exc):
            raise ImportError(
                f"dnnspec.{name} needs PyTorch: pip install 'hessian-spectra[torch]' ({exc})"
            ) from exc
        raise
