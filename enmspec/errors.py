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
    """The elastic network has more zero modes than a connected one (six for an ANM, one for a GNM).

    Parameters
    ----------
    entry : str
        The structure's id.
    n_zero : int
        Number of zero modes found.
    cutoff : float
        Spring cutoff in angstrom.
    isolated : int
        Residues without any contact within the cutoff (each adds three zero modes, one in a GNM).
    expected : int
        Zero modes of a connected network: 6 (ANM) or 1 (GNM).
    """

    def __init__(
        self, entry: str, n_zero: int, cutoff: float | None, isolated: int = 0, expected: int = 6
    ) -> None:
        self.entry = entry
        self.n_zero = int(n_zero)
        self.cutoff = None if cutoff is None else float(cutoff)
        self.isolated = int(isolated)
        self.expected = int(expected)
        super().__init__(self.describe(entry, n_zero, cutoff, isolated, expected))

    def __reduce__(self):  # keep the attributes when a worker process sends the error back
        return (type(self), (self.entry, self.n_zero, self.cutoff, self.isolated, self.expected))

    @staticmethod
    def describe(entry: str, n_zero: int, cutoff: float | None, isolated: int = 0, expected: int = 6) -> str:
        """The one-line message for a network with ``n_zero`` zero modes.

        Parameters
        ----------
        entry : str
            The structure's id.
        n_zero : int
            Number of zero modes found.
        cutoff : float or None
            Spring cutoff in angstrom (None: springs between every pair).
        isolated : int
            Residues without any contact within the cutoff.
        expected : int
            Zero modes of a connected network (6 ANM, 1 GNM).

        Returns
        -------
        str
        """
        if isolated:
            return (
                f"{entry}: {isolated} residue(s) have no contact within the cutoff of {cutoff:g} A "
                f"({n_zero} zero modes, {expected} expected): the elastic network is disconnected; pass "
                f"allow_floppy=True (--keep-disconnected) to fit the nonzero modes anyway"
            )
        where = "without cutoff" if cutoff is None else f"at cutoff {cutoff:g} A"
        return (
            f"{entry}: the elastic network {where} has {n_zero} zero modes "
            f"({expected} expected): floppy or disconnected parts; pass allow_floppy=True "
            f"(--keep-disconnected) to fit the nonzero modes anyway"
        )


class TooLargeError(EnmspecError):
    """A structure is too large to compute within the memory limit (or ``max_residues``)."""


class FetchError(RuntimeFailure):
    """An entry could not be downloaded, or the download was not a valid structure (exit 1)."""
