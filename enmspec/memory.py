"""Memory estimates: refuse a structure too large for this machine before anything large is allocated."""

from __future__ import annotations

import os

from enmspec.errors import TooLargeError

#: Share of the machine's physical memory one structure may use (the estimate of
#: :func:`memory_estimate` is compared with it before anything large is allocated).
MEMORY_SHARE = 0.8
#: Peak bytes per squared degree of freedom: the dense float64 matrix, LAPACK's copy and
#: workspace (dense and torch), or the sparse LU fill-in of the shift-invert slices (sliced).
_BYTES_PER_DOF2 = {"dense": 24.0, "torch": 24.0, "sliced": 4.0}


def memory_estimate(n_residues: int, solver: str, *, dof_per_node: int = 3) -> int:
    """Peak memory in bytes that the eigensolver needs for ``n_residues`` C-alpha atoms.

    Parameters
    ----------
    n_residues : int
        Residues (C-alpha atoms) of the network.
    solver : {"dense", "sliced", "torch"}
        The solver that will run.
    dof_per_node : int
        3 for the ANM, 1 for the GNM.

    Returns
    -------
    int
        Estimated peak bytes (the 3N x 3N problem dominates; parsing and the sparse Hessian
        are small beside it).
    """
    n_dof = dof_per_node * int(n_residues)
    return int(_BYTES_PER_DOF2[solver] * n_dof * n_dof)


def memory_limit() -> int | None:
    """Bytes one structure may use: :data:`MEMORY_SHARE` of physical memory (None if unknown).

    Returns
    -------
    int or None
    """
    try:
        return int(MEMORY_SHARE * os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def check_size(
    label: str, n_residues: int, solver: str, *, max_residues: int | None = None, dof_per_node: int = 3
) -> None:
    """Refuse a structure too large to compute before anything large is allocated.

    Parameters
    ----------
    label : str
        Names the input in the message.
    n_residues : int
        Its C-alpha residues.
    solver : str
        The solver that would run.
    max_residues : int, optional
        A user's limit on the size (``--max-residues``).
    dof_per_node : int
        3 for the ANM, 1 for the GNM.

    Raises
    ------
    TooLargeError
        More residues than ``max_residues``, or more memory than :func:`memory_limit`.
    """
    if max_residues is not None and n_residues > max_residues:
        raise TooLargeError(
            f"{label}: {n_residues} residues, more than max_residues={max_residues} (--max-residues)"
        )
    need, limit = memory_estimate(n_residues, solver, dof_per_node=dof_per_node), memory_limit()
    if limit is not None and need > limit:
        raise TooLargeError(
            f"{label}: {n_residues} residues need about {need / 2**30:.1f} GiB with the {solver} solver, "
            f"more than the limit of {limit / 2**30:.1f} GiB ({MEMORY_SHARE:.0%} of this machine's memory)"
        )
