"""Exceptions raised by :mod:`dnnspec`.

Input errors (a bad dataset folder, checkpoint or option) derive from
:class:`compare.errors.InputError` (exit status 2); numerical failures (a NaN loss, an
eigensolver that did not converge) from :class:`compare.errors.RuntimeFailure` (exit 1).
"""

from __future__ import annotations

from compare.errors import ConvergenceError, InputError, RuntimeFailure

__all__ = ["CheckpointError", "ConvergenceError", "DatasetError", "DnnspecError", "TrainingError"]


class DnnspecError(InputError):
    """Base class of dnnspec's input errors."""


class DatasetError(DnnspecError):
    """A dataset is missing, unreadable, or not in the expected format; the message names the path."""


class CheckpointError(DnnspecError):
    """A checkpoint file is missing, unreadable, or not written by ``dnnspec train``."""


class TrainingError(RuntimeFailure):
    """Training failed numerically (for example the loss became NaN or infinite)."""
