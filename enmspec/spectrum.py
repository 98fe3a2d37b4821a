"""Inverse ANM spectra: structure -> Hessian -> lowest modes -> :class:`compare.Spectrum`."""

from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from compare import meta as keys
from compare.powerlaw import PowerLawFit, critical_value, fit_power_law, resolve_k
from compare.spectrum import Spectrum
from compare.validation import Interval, check_choice, check_scalar, check_top_or_fraction
from enmspec.confidence import drop_low_plddt, plddt_weights
from enmspec.eigen import (
    SOLVERS,
    LowestModes,
    dense_eigenvalues,
    sliced_eigenvalues,
    solver_for_device,
    torch_eigenvalues,
)
from enmspec.errors import EnmspecError, FloppyNetworkError, StructureError, TooLargeError
from enmspec.hessian import DEFAULT_CUTOFF, DEFAULT_GAMMA, anm_hessian
from enmspec.structure import Structure, load_structure

#: An eigenvalue below ``ZERO_MODE_RTOL * lambda_max`` is a zero mode. Rigid-body modes come
#: out near 1e-15 * lambda_max in float64; genuine soft modes of real proteins stay above
#: 1e-7 * lambda_max (7PBL's two softest: 7e-7), so 1e-9 separates them with margin both ways.
ZERO_MODE_RTOL = 1e-9
#: Networks with at least this many degrees of freedom use the sliced solver when it is
#: asked for at most ``SLICED_MAX_FRACTION`` of the modes (measured crossover, bench/bench_anm.py).
SLICED_MIN_DOF = 1500
SLICED_MAX_FRACTION = 0.25
MIN_RESIDUES = 4
RIGID_BODY_MODES = 6
#: Share of the machine's physical memory one structure may use (the estimate of
#: :func:`memory_estimate` is compared with it before anything large is allocated).
MEMORY_SHARE = 0.8
#: Peak bytes per squared degree of freedom: the dense float64 matrix, LAPACK's copy and
#: workspace (dense and torch), or the sparse LU fill-in of the shift-invert slices (sliced).
_BYTES_PER_DOF2 = {"dense": 24.0, "torch": 24.0, "sliced": 4.0}


def memory_estimate(n_residues: int, solver: str) -> int:
    """Peak memory in bytes that the eigensolver needs for ``n_residues`` C-alpha atoms.

    Parameters
    ----------
    n_residues : int
        Residues (C-alpha atoms) of the network.
    solver : {"dense", "sliced", "torch"}
        The solver that will run.

    Returns
    -------
    int
        Estimated peak bytes (the 3N x 3N problem dominates; parsing and the sparse Hessian
        are small beside it).
    """
    n_dof = 3 * int(n_residues)
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


def check_size(label: str, n_residues: int, solver: str, *, max_residues: int | None = None) -> None:
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

    Raises
    ------
    TooLargeError
        More residues than ``max_residues``, or more memory than :func:`memory_limit`.
    """
    if max_residues is not None and n_residues > max_residues:
        raise TooLargeError(
            f"{label}: {n_residues} residues, more than max_residues={max_residues} (--max-residues)"
        )
    need, limit = memory_estimate(n_residues, solver), memory_limit()
    if limit is not None and need > limit:
        raise TooLargeError(
            f"{label}: {n_residues} residues need about {need / 2**30:.1f} GiB with the {solver} solver, "
            f"more than the limit of {limit / 2**30:.1f} GiB ({MEMORY_SHARE:.0%} of this machine's memory)"
        )


def _isolated_residues(hessian: sp.csr_matrix) -> int:
    """Residues without a spring: their 3 x 3 diagonal block is zero."""
    diagonal = np.asarray(hessian.diagonal()).reshape(-1, 3)
    return int(np.count_nonzero(~diagonal.any(axis=1)))


def _choose_solver(solver: str, n_dof: int, wanted: int | None) -> str:
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    if solver != "auto":
        return solver
    if wanted is not None and n_dof >= SLICED_MIN_DOF and wanted <= SLICED_MAX_FRACTION * n_dof:
        return "sliced"
    return "dense"


def _wanted_modes(n_dof: int, top: int | None, fraction: float | None) -> int | None:
    """Nonzero modes to compute, assuming six zero modes; None means all."""
    if top is None and fraction is None:
        return None
    return resolve_k(n_dof - RIGID_BODY_MODES, k=top, fraction=fraction)


def _coords_of(
    structure_or_coords: Structure | np.ndarray, name: str | None
) -> tuple[np.ndarray, str, int | None]:
    """Checked C-alpha coordinates, the label for messages, and the chain count."""
    if isinstance(structure_or_coords, Structure):
        coords = structure_or_coords.coords
        label = name or structure_or_coords.entry_id
        n_chains = structure_or_coords.n_chains
    else:
        coords = np.asarray(structure_or_coords, dtype=np.float64)
        label = name or "coords"
        n_chains = None
    if coords.ndim != 2 or coords.shape[1] != 3:
        raise EnmspecError(f"{label}: coordinates must have shape (n, 3), got {coords.shape}")
    if coords.shape[0] < MIN_RESIDUES:
        raise StructureError(
            f"{label}: {coords.shape[0]} residue(s); an elastic network needs at least {MIN_RESIDUES}"
        )
    if not np.isfinite(coords).all():
        raise StructureError(f"{label}: NaN or infinite coordinates")
    return coords, label, n_chains


def _lowest_modes(
    hessian: sp.csr_matrix,
    chosen: str,
    wanted: int | None,
    *,
    zero_rtol: float,
    seed: int,
    device: str | None,
) -> LowestModes:
    if chosen == "sliced":
        return sliced_eigenvalues(hessian, wanted, zero_rtol=zero_rtol, seed=seed)
    if chosen == "torch":
        return torch_eigenvalues(hessian, device=device)
    return dense_eigenvalues(hessian)


def _count_zero_modes(
    label: str, modes: LowestModes, *, zero_rtol: float, cutoff: float, allow_floppy: bool
) -> int:
    """Zero modes (``lambda < zero_rtol * lambda_max``); more than six is a floppy network."""
    n_zero = int(np.sum(modes.eigenvalues < zero_rtol * modes.lambda_max))
    if n_zero > RIGID_BODY_MODES and not allow_floppy:
        raise FloppyNetworkError(label, n_zero, cutoff)
    if n_zero < RIGID_BODY_MODES:
        raise EnmspecError(
            f"{label}: only {n_zero} zero modes found (6 expected); the Hessian is not a valid "
            f"elastic network or zero_rtol={zero_rtol:g} is too small"
        )
    return n_zero


def inverse_spectrum(
    structure_or_coords: Structure | np.ndarray,
    cutoff: float = DEFAULT_CUTOFF,
    gamma: float = DEFAULT_GAMMA,
    top: int | None = None,
    fraction: float | None = None,
    *,
    name: str | None = None,
    solver: str = "auto",
    device: str | None = None,
    allow_floppy: bool = False,
    zero_rtol: float = ZERO_MODE_RTOL,
    seed: int = 0,
    max_residues: int | None = None,
    weights: np.ndarray | None = None,
) -> Spectrum:
    """Largest inverse eigenvalues ``1 / lambda`` of the nonzero ANM modes.

    Parameters
    ----------
    structure_or_coords : Structure or ndarray, shape (n, 3)
        A :class:`~enmspec.structure.Structure` from :func:`load_structure`, or C-alpha
        coordinates in angstrom.
    cutoff, gamma : float
        Spring cutoff (angstrom) and spring constant of the network.
    top : int, optional
        Keep the ``top`` largest inverse eigenvalues.
    fraction : float, optional
        Keep ``floor(fraction * n_modes)`` of them (the paper uses 0.1). Not with ``top``.
        Default (neither): every nonzero mode.
    name : str, optional
        Spectrum name; default the structure's entry id (``"coords"`` for bare arrays).
    solver : {"auto", "dense", "sliced", "torch"}
        Eigensolver (see :mod:`enmspec.eigen`); ``auto`` takes ``sliced`` for networks of
        at least 1500 degrees of freedom when at most a quarter of the modes are kept,
        ``dense`` otherwise.
    device : str, optional
        Torch device for the ``torch`` solver (``"cuda"``, ``"cuda:1"``, ``"cpu"``); setting
        it with ``solver="auto"`` picks ``torch``. Default: CUDA when torch sees a GPU.
    allow_floppy : bool
        Fit networks with more than six zero modes (floppy or disconnected at the cutoff),
        dropping every zero mode, instead of raising :class:`FloppyNetworkError`.
    zero_rtol : float
        Zero-mode tolerance relative to the largest eigenvalue.
    seed : int
        Start vectors of the iterative solver.
    max_residues : int, optional
        Refuse larger structures (:class:`TooLargeError`); structures whose solver would need
        more than :data:`MEMORY_SHARE` of the machine's memory are refused in any case.
    weights : ndarray, shape (n,), float64, optional
        Per-residue spring weights: the spring between ``i`` and ``j`` is
        ``gamma * w_i * w_j`` (:func:`enmspec.hessian.anm_hessian`); e.g.
        :func:`enmspec.confidence.plddt_weights`. Default: equal springs.

    Returns
    -------
    compare.Spectrum
        ``kind="protein"``, values ``1 / lambda`` descending; ``meta`` holds ``n_residues``,
        ``n_chains``, ``n_modes`` (nonzero modes), ``n_zero``, ``cutoff``, ``gamma``,
        ``solver``, ``lambda_max``, ``zero_rtol``, ``seconds``, ``spring_weights`` (whether
        ``weights`` were given), and for a :class:`Structure` what its file says about the
        entry (:data:`compare.meta.ENTRY_COLUMNS`) and its mean pLDDT (predicted models).

    Raises
    ------
    FloppyNetworkError
        More than six zero modes and ``allow_floppy`` is false.
    EnmspecError
        Fewer than four residues, NaN coordinates, ``top`` larger than the number of modes.
    """
    started = time.perf_counter()
    coords, label, n_chains = _coords_of(structure_or_coords, name)
    if not (isinstance(zero_rtol, float) and 0 < zero_rtol < 1e-3):
        raise ValueError(f"zero_rtol must be a float in (0, 1e-3), got {zero_rtol!r}")
    n_res = coords.shape[0]
    n_dof = 3 * n_res
    try:
        wanted = _wanted_modes(n_dof, top, fraction)
    except ValueError as exc:
        raise EnmspecError(f"{label}: {exc} ({n_dof - RIGID_BODY_MODES} nonzero modes)") from None
    chosen = _choose_solver(solver_for_device(solver, device), n_dof, wanted)
    check_size(label, n_res, chosen, max_residues=max_residues)

    hessian = anm_hessian(coords, cutoff=cutoff, gamma=gamma, weights=weights)
    isolated = _isolated_residues(hessian)
    if isolated and (not allow_floppy or isolated == n_res):
        raise FloppyNetworkError(label, min(n_dof, RIGID_BODY_MODES + 3 * isolated), cutoff, isolated)
    modes = _lowest_modes(hessian, chosen, wanted, zero_rtol=zero_rtol, seed=seed, device=device)
    n_zero = _count_zero_modes(label, modes, zero_rtol=zero_rtol, cutoff=cutoff, allow_floppy=allow_floppy)
    n_modes = n_dof - n_zero
    nonzero = modes.eigenvalues[n_zero:]
    if wanted is None:
        keep = n_modes
    elif fraction is not None:
        keep = int(math.floor(fraction * n_modes))
    else:
        keep = wanted
    if keep > nonzero.size:
        raise EnmspecError(
            f"{label}: {keep} inverse eigenvalues asked for, only {nonzero.size} nonzero modes"
        )
    values = np.sort(1.0 / nonzero[:keep])[::-1]
    meta = {
        keys.ENTRY: label,
        keys.N_RESIDUES: int(n_res),
        keys.N_CHAINS: n_chains,
        keys.N_MODES: int(n_modes),
        keys.N_ZERO: n_zero,
        "cutoff": float(cutoff),
        "gamma": float(gamma),
        keys.SOLVER: modes.solver,
        "n_slices": modes.n_slices,
        "lambda_max": float(modes.lambda_max),
        "zero_rtol": float(zero_rtol),
        "top": top,
        "fraction": fraction,
        "seconds": round(time.perf_counter() - started, 6),
        "spring_weights": weights is not None,
    }
    if isinstance(structure_or_coords, Structure):
        meta.update(entry_meta(structure_or_coords))
    return Spectrum(name=label, kind="protein", values=values, meta=meta)


def entry_meta(structure: Structure) -> dict[str, object]:
    """The structure file's account of the entry, and the mean pLDDT, for a spectrum's meta or a row.

    Parameters
    ----------
    structure : Structure

    Returns
    -------
    dict
        The keys of :data:`compare.meta.ENTRY_COLUMNS` and ``plddt_mean``.
    """
    plddt = structure.plddt
    return {
        **structure.metadata.as_dict(),
        keys.PLDDT_MEAN: None if plddt is None else round(float(np.mean(plddt)), 4),
    }


#: The paper keeps the top tenth of each inverse spectrum.
PAPER_FRACTION = 0.1


@dataclass(frozen=True)
class AnalysisSettings:
    """How each structure is turned into a fitted spectrum; validated on creation.

    Parameters
    ----------
    cutoff : float
        Spring cutoff in angstrom (9).
    gamma : float
        Spring constant (1).
    top : int, optional
        Keep the ``top`` largest inverse eigenvalues. Not with ``fraction``.
    fraction : float, optional
        Keep ``floor(fraction * n_modes)`` of them; default 0.1 (the paper's rule) when
        ``top`` is not given.
    alpha : float
        KS significance (0.2, 0.15, 0.1, 0.05, 0.01).
    solver : {"auto", "dense", "sliced", "torch"}
        Eigensolver.
    allow_floppy : bool
        Fit networks with more than six zero modes instead of excluding them.
    chains : str, optional
        Author chain ids to keep (default all).
    device : str, optional
        Torch device of the ``torch`` solver; not part of a batch's identity (a batch begun
        on the CPU may be resumed on a GPU).
    max_residues : int, optional
        Refuse structures with more residues (a batch records them as failed); not part of a
        batch's identity.
    min_plddt : float, optional
        Drop the residues of a predicted model with pLDDT below this (0-100) before the network
        is built (:func:`enmspec.confidence.drop_low_plddt`); an entry without pLDDT fails.
    plddt_weights : bool
        Scale each spring by ``w_i * w_j`` with ``w = pLDDT / 100``
        (:func:`enmspec.confidence.plddt_weights`).
    """

    cutoff: float = DEFAULT_CUTOFF
    gamma: float = DEFAULT_GAMMA
    top: int | None = None
    fraction: float | None = None
    alpha: float = 0.05
    solver: str = "auto"
    allow_floppy: bool = False
    chains: str | None = None
    device: str | None = None
    max_residues: int | None = None
    min_plddt: float | None = None
    plddt_weights: bool = False

    def __post_init__(self) -> None:
        top, fraction = check_top_or_fraction(self.top, self.fraction, default_fraction=PAPER_FRACTION)
        object.__setattr__(self, "top", top)
        object.__setattr__(self, "fraction", fraction)
        object.__setattr__(
            self, "cutoff", check_scalar(self.cutoff, "cutoff", float, interval=Interval(0, None, "neither"))
        )
        object.__setattr__(
            self, "gamma", check_scalar(self.gamma, "gamma", float, interval=Interval(0, None, "neither"))
        )
        check_choice(self.solver, "solver", SOLVERS)
        check_scalar(self.allow_floppy, "allow_floppy", bool)
        if self.chains is not None:
            check_scalar(self.chains, "chains", str)
        if self.max_residues is not None:
            check_scalar(self.max_residues, "max_residues", int, interval=Interval(MIN_RESIDUES))
        if self.min_plddt is not None:
            object.__setattr__(
                self,
                "min_plddt",
                check_scalar(self.min_plddt, "min_plddt", float, interval=Interval(0, 100, "both")),
            )
        check_scalar(self.plddt_weights, "plddt_weights", bool)
        solver_for_device(self.solver, self.device)
        critical_value(2, self.alpha)  # validates alpha


@dataclass(frozen=True)
class StructureAnalysis:
    """One structure's result: the structure, its inverse spectrum and the power-law fit.

    Parameters
    ----------
    structure : Structure
    spectrum : compare.Spectrum
    fit : compare.PowerLawFit
    """

    structure: Structure
    spectrum: Spectrum
    fit: PowerLawFit

    def __iter__(self):
        """Unpack as ``structure, spectrum, fit``."""
        return iter((self.structure, self.spectrum, self.fit))


def analyze_structure(path: str | os.PathLike, settings: AnalysisSettings | None = None) -> StructureAnalysis:
    """The one-structure pipeline: file -> C-alpha trace -> inverse spectrum -> power-law fit.

    Parameters
    ----------
    path : str or path-like
        PDB or mmCIF file, optionally gzipped.
    settings : AnalysisSettings, optional
        Default: cutoff 9 A, gamma 1, the top tenth, alpha 0.05.

    Returns
    -------
    StructureAnalysis
        ``structure, spectrum, fit`` (unpacks as a tuple).

    Raises
    ------
    StructureError, FloppyNetworkError, EnmspecError
        Bad input; the message names the file.
    """
    settings = settings or AnalysisSettings()
    structure = load_structure(path, chains=settings.chains)
    n_low = None
    if settings.min_plddt is not None:
        structure, n_low = drop_low_plddt(structure, settings.min_plddt)
    weights = plddt_weights(structure) if settings.plddt_weights else None
    try:
        spectrum = inverse_spectrum(
            structure,
            cutoff=settings.cutoff,
            gamma=settings.gamma,
            top=settings.top,
            fraction=settings.fraction,
            solver=settings.solver,
            device=settings.device,
            allow_floppy=settings.allow_floppy,
            max_residues=settings.max_residues,
            weights=weights,
        )
        fit = fit_power_law(spectrum.values, alpha=settings.alpha)
    except ValueError as exc:
        # Name the file, not only the entry id, so that a user can find the input.
        message = str(exc)
        prefix = f"{structure.entry_id}: "
        if message.startswith(prefix):
            message = message[len(prefix) :]
        exc.args = (f"{path} ({structure.entry_id}): {message}",)
        raise
    plddt_meta = {
        keys.MIN_PLDDT: settings.min_plddt,
        keys.N_LOW_PLDDT: n_low,
        keys.PLDDT_WEIGHTS: settings.plddt_weights,
    }
    spectrum = dataclasses.replace(spectrum, meta={**spectrum.meta, **plddt_meta})
    return StructureAnalysis(structure, spectrum, fit)
