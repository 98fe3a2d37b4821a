"""Exceptions raised by :mod:`enmspec`.

Input errors derive from :class:`compare.errors.InputError` (a ``ValueError``, exit status 2);
runtime failures (a download, a solver) from :class:`compare.errors.RuntimeFailure` (exit 1).
"""

from __future__ import annotations

from compare.errors import ConvergenceError, InputError, RuntimeFailure

__all__ = [
    "ConvergenceError",
    "EnmspecError",
    "FetchError",
    "FloppyNetworkError",
    "StructureError",
    "TooLargeError",
]


class EnmspecError(InputError):
    """Base class of enmspec's input errors."""


class StructureError(EnmspecError):
    """A structure file is missing, unreadable, or holds no usable protein C-alpha trace."""


class FloppyNetworkError(EnmspecError):
    """The elastic network has more than the six rigid-body zero modes.

    Parameters
    ----------
    entry : str
        The structure's id.
    n_zero : int
        Number of zero modes found.
    cutoff : float
        Spring cutoff in angstrom.
    isolated : int
        Residues without any contact within the cutoff (each adds three zero modes).
    """

    def __init__(self, entry: str, n_zero: int, cutoff: float, isolated: int = 0) -> None:
        self.entry = entry
        self.n_zero = int(n_zero)
        self.cutoff = float(cutoff)
        self.isolated = int(isolated)
        super().__init__(self.describe(entry, n_zero, cutoff, isolated))

    def __reduce__(self):  # keep the attributes when a worker process sends the error back
        return (type(self), (self.entry, self.n_zero, self.cutoff, self.isolated))

    @staticmethod
    def describe(entry: str, n_zero: int, cutoff: float, isolated: int = 0) -> str:
        """The one-line message for a network with ``n_zero`` zero modes.

        Parameters
        ----------
        entry : str
            The structure's id.
        n_zero : int
            Number of zero modes found.
        cutoff : float
            Spring cutoff in angstrom.
        isolated : int
            Residues without any contact within the cutoff.

        Returns
        -------
        str
        """
        if isolated:
            return (
                f"{entry}: {isolated} residue(s) have no contact within the cutoff of {cutoff:g} A "
                f"({n_zero} zero modes, 6 expected): the elastic network is disconnected; pass "
                f"allow_floppy=True (--keep-disconnected) to fit the nonzero modes anyway"
            )
        return (
            f"{entry}: the elastic network at cutoff {cutoff:g} A has {n_zero} zero modes "
            f"(6 expected): floppy or disconnected parts; pass allow_floppy=True "
            f"(--keep-disconnected) to fit the nonzero modes anyway"
        )


class TooLargeError(EnmspecError):
    """A structure is too large to compute within the memory limit (or ``max_residues``)."""


class FetchError(RuntimeFailure):
    """An entry could not be downloaded, or the download was not a valid structure (exit 1)."""
