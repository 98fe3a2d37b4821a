"""Exceptions raised by :mod:`enmspec`.

All derive from ``ValueError`` because each one reports bad input (a file, a structure
or a network), so callers that already catch ``ValueError`` keep working.
"""

from __future__ import annotations


class EnmspecError(ValueError):
    """Base class of enmspec's input errors."""


class StructureError(EnmspecError):
    """A structure file is missing, unreadable, or holds no usable protein C-alpha trace."""


class FloppyNetworkError(EnmspecError):
    """The elastic network has more than the six rigid-body zero modes.

    Attributes
    ----------
    entry : str
        The structure's id.
    n_zero : int
        Number of zero modes found.
    """

    def __init__(self, entry: str, n_zero: int, cutoff: float) -> None:
        self.entry = entry
        self.n_zero = int(n_zero)
        self.cutoff = float(cutoff)
        super().__init__(self.describe(entry, n_zero, cutoff))

    def __reduce__(self):  # keep the attributes when a worker process sends the error back
        return (type(self), (self.entry, self.n_zero, self.cutoff))

    @staticmethod
    def describe(entry: str, n_zero: int, cutoff: float) -> str:
        return (
            f"{entry}: the elastic network at cutoff {cutoff:g} A has {n_zero} zero modes "
            f"(6 expected): floppy or disconnected parts; pass allow_floppy=True "
            f"(--keep-disconnected) to fit the nonzero modes anyway"
        )


class ConvergenceError(RuntimeError):
    """An iterative eigensolver did not reach the requested accuracy (a runtime failure,
    not bad input)."""


class FetchError(EnmspecError):
    """An entry could not be downloaded or the download was not a valid structure."""
