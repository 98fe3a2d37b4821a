"""Exceptions raised by :mod:`dnnspec`.

Input errors derive from ``ValueError`` (a bad dataset folder, checkpoint or option);
numerical failures (a NaN loss, an eigensolver that did not converge) from ``RuntimeError``.
"""

from __future__ import annotations


class DnnspecError(ValueError):
    """Base class of dnnspec's input errors."""


class DatasetError(DnnspecError):
    """A dataset is missing, unreadable, or not in the expected format; the message names the path."""


class CheckpointError(DnnspecError):
    """A checkpoint file is missing, unreadable, or not written by ``dnnspec train``."""


class TrainingError(RuntimeError):
    """Training failed numerically (for example the loss became NaN or infinite)."""


class ConvergenceError(RuntimeError):
    """An iterative eigensolver stopped before every requested eigenvalue converged.

    Attributes
    ----------
    n_converged : int
        How many of the requested eigenvalues met the tolerance.
    steps : int
        Krylov steps (or iterations) taken.
    """

    def __init__(self, message: str, *, n_converged: int = 0, steps: int = 0) -> None:
        super().__init__(message)
        self.n_converged = n_converged
        self.steps = steps
