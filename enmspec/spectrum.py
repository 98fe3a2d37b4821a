"""Inverse elastic-network spectra: structure -> network matrix -> lowest modes -> :class:`compare.Spectrum`.

The network matrix is the ANM Hessian (3N x 3N) or the GNM Kirchhoff matrix (N x N).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from compare import meta as keys
from compare.powerlaw import PowerLawFit, fit_power_law, resolve_k
from compare.spectrum import Spectrum
from enmspec.confidence import drop_low_plddt, plddt_weights
from enmspec.eigen import (
    SOLVERS,
    LowestModes,
    dense_eigenvalues,
    sliced_eigenvalues,
    solver_for_device,
    torch_eigenvalues,
)
from enmspec.errors import EnmspecError, FloppyNetworkError, StructureError
from enmspec.hessian import DEFAULT_GAMMA, network_matrix
from enmspec.memory import MEMORY_SHARE, check_size, memory_estimate, memory_limit
from enmspec.settings import (
    AUTO,
    MIN_RESIDUES,
    PAPER_FRACTION,
    RIGID_BODY_MODES,
    ZERO_MODE_RTOL,
    AnalysisSettings,
    NetworkSpec,
    resolve_cutoff,
)
from enmspec.springs import UNIFORM
from enmspec.structure import Structure, load_structure

__all__ = [
    "entry_meta",
    "plddt_meta",
    "prepare_structure",
    "MEMORY_SHARE",
    "MIN_RESIDUES",
    "PAPER_FRACTION",
    "RIGID_BODY_MODES",
    "ZERO_MODE_RTOL",
    "AnalysisSettings",
    "NetworkSpec",
    "StructureAnalysis",
    "analyze_structure",
    "check_size",
    "count_zero_modes",
    "inverse_spectrum",
    "memory_estimate",
    "memory_limit",
    "resolve_cutoff",
]

#: Networks with at least this many degrees of freedom use the sliced solver when it is
#: asked for at most ``SLICED_MAX_FRACTION`` of the modes (measured crossover, bench/bench_anm.py).
SLICED_MIN_DOF = 1500
#: The same crossover for the GNM's Kirchhoff matrix (one degree of freedom a node, sparser
#: factors): sliced / dense = 0.54-0.90 from 624 to 933 nodes at 7.3-9 A, 0.91-1.3 at 574-584,
#: 1.3-2 below 500 (bench/bench_models.py, 2026-12-02).
SLICED_MIN_DOF_GNM = 600
SLICED_MAX_FRACTION = 0.25
#: Below :data:`SLICED_LARGE_DOF` degrees of freedom the sliced solver is taken only up to this
#: cutoff (angstrom): the sparse factors fill in as the contacts grow, and LAPACK on the dense
#: matrix wins from 12 A on (19HC, 3HSY: sliced / dense = 0.5-0.9 at 9-10 A, 1.3-3.2 at 12-15 A,
#: measured on the loaded 2-core machine, 2026-12-02). Larger networks keep the sliced solver
#: (unmeasured beyond 11 A).
SLICED_MAX_CUTOFF = 11.0
SLICED_LARGE_DOF = 4000


def _isolated_residues(matrix: sp.csr_matrix | np.ndarray, dof_per_node: int) -> int:
    """Residues without a spring: their diagonal block is zero."""
    diagonal = np.asarray(matrix.diagonal()).reshape(-1, dof_per_node)
    return int(np.count_nonzero(~diagonal.any(axis=1)))


def _choose_solver(
    solver: str, n_dof: int, wanted: int | None, cutoff: float | None = 1.0, dof_per_node: int = 3
) -> str:
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    if solver != "auto":
        return solver
    # Springs between every pair make the matrix dense: the sliced solver's sparse factors then
    # cost more than LAPACK on the whole (bench/bench_models.py).
    if cutoff is None or (cutoff > SLICED_MAX_CUTOFF and n_dof < SLICED_LARGE_DOF):
        return "dense"
    min_dof = SLICED_MIN_DOF if dof_per_node == 3 else SLICED_MIN_DOF_GNM
    if wanted is not None and n_dof >= min_dof and wanted <= SLICED_MAX_FRACTION * n_dof:
        return "sliced"
    return "dense"


def _wanted_modes(
    n_dof: int, top: int | None, fraction: float | None, rigid: int = RIGID_BODY_MODES
) -> int | None:
    """Nonzero modes to compute, assuming a connected network; None means all."""
    if top is None and fraction is None:
        return None
    return resolve_k(n_dof - rigid, k=top, fraction=fraction)


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
    return dense_eigenvalues(hessian, overwrite=True)


def count_zero_modes(
    label: str,
    eigenvalues: np.ndarray,
    lambda_max: float,
    *,
    zero_rtol: float,
    cutoff: float | None,
    allow_floppy: bool,
    rigid: int = RIGID_BODY_MODES,
) -> int:
    """Zero modes (``lambda < zero_rtol * lambda_max``); more than ``rigid`` is a floppy network.

    Parameters
    ----------
    label : str
        Names the network in messages.
    eigenvalues : ndarray, shape (m,), float64
        The lowest eigenvalues, ascending.
    lambda_max : float
        The largest eigenvalue.
    zero_rtol : float
        Relative zero-mode tolerance.
    cutoff : float or None
        The network's cutoff (for the message).
    allow_floppy : bool
        Accept more zero modes than ``rigid``.
    rigid : int
        Zero modes of a connected network: 6 (ANM) or 1 (GNM, one per connected component).

    Returns
    -------
    int

    Raises
    ------
    FloppyNetworkError
        More than ``rigid`` zero modes and not ``allow_floppy``.
    EnmspecError
        Fewer than ``rigid``.
    """
    n_zero = int(np.sum(eigenvalues < zero_rtol * lambda_max))
    if n_zero > rigid and not allow_floppy:
        raise FloppyNetworkError(label, n_zero, cutoff, expected=rigid)
    if n_zero < rigid:
        raise EnmspecError(
            f"{label}: only {n_zero} zero modes found ({rigid} expected); the matrix is not a valid "
            f"elastic network or zero_rtol={zero_rtol:g} is too small"
        )
    return n_zero


def _prepare(
    structure_or_coords: Structure | np.ndarray,
    spec: NetworkSpec,
    name: str | None,
    max_residues: int | None,
    cutoff: float | None,
) -> tuple[np.ndarray, str, int | None, str, int | None]:
    """Checked input, and the solver and mode count, refused early if too large."""
    coords, label, n_chains = _coords_of(structure_or_coords, name)
    if not (isinstance(spec.zero_rtol, float) and 0 < spec.zero_rtol < 1e-3):
        raise ValueError(f"zero_rtol must be a float in (0, 1e-3), got {spec.zero_rtol!r}")
    n_res = coords.shape[0]
    n_dof = spec.dof_per_node * n_res
    try:
        wanted = _wanted_modes(n_dof, spec.top, spec.fraction, spec.rigid)
    except ValueError as exc:
        raise EnmspecError(f"{label}: {exc} ({n_dof - spec.rigid} nonzero modes)") from None
    chosen = _choose_solver(
        solver_for_device(spec.solver, spec.device), n_dof, wanted, cutoff, spec.dof_per_node
    )
    check_size(label, n_res, chosen, max_residues=max_residues, dof_per_node=spec.dof_per_node)
    return coords, label, n_chains, chosen, wanted


def _spectrum_of(
    matrix: sp.csr_matrix,
    spec: NetworkSpec,
    *,
    label: str,
    n_chains: int | None,
    cutoff: float | None,
    chosen: str,
    wanted: int | None,
    started: float,
    extra_meta: dict | None = None,
) -> Spectrum:
    """The inverse spectrum of one network matrix (ANM Hessian or GNM Kirchhoff matrix), consumed.

    A dense ``matrix`` is overwritten by the dense solver (its tridiagonal reduction).
    """
    dof = spec.dof_per_node
    n_dof = matrix.shape[0]
    n_res = n_dof // dof
    isolated = _isolated_residues(matrix, dof)
    if isolated and (not spec.allow_floppy or isolated == n_res):
        n_zero = min(n_dof, spec.rigid + dof * isolated)
        raise FloppyNetworkError(label, n_zero, cutoff, isolated, expected=spec.rigid)
    modes = _lowest_modes(
        matrix, chosen, wanted, zero_rtol=spec.zero_rtol, seed=spec.seed, device=spec.device
    )
    n_zero = count_zero_modes(
        label,
        modes.eigenvalues,
        modes.lambda_max,
        zero_rtol=spec.zero_rtol,
        cutoff=cutoff,
        allow_floppy=spec.allow_floppy,
        rigid=spec.rigid,
    )
    n_modes = n_dof - n_zero
    nonzero = modes.eigenvalues[n_zero:]
    if wanted is None:
        keep = n_modes
    elif spec.fraction is not None:
        keep = int(math.floor(spec.fraction * n_modes))
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
        keys.ENM_MODEL: spec.model,
        keys.SPRINGS: spec.springs,
        keys.CUTOFF: None if cutoff is None else float(cutoff),
        "gamma": float(spec.gamma),
        keys.SOLVER: modes.solver,
        "n_slices": modes.n_slices,
        "lambda_max": float(modes.lambda_max),
        "zero_rtol": float(spec.zero_rtol),
        "top": spec.top,
        "fraction": spec.fraction,
        "seconds": round(time.perf_counter() - started, 6),
        **(extra_meta or {}),
    }
    return Spectrum(name=label, kind="protein", values=values, meta=meta)


def inverse_spectrum(
    structure_or_coords: Structure | np.ndarray,
    cutoff: float | str | None = AUTO,
    gamma: float = DEFAULT_GAMMA,
    top: int | None = None,
    fraction: float | None = None,
    *,
    model: str = "anm",
    springs: str = UNIFORM,
    name: str | None = None,
    solver: str = "auto",
    device: str | None = None,
    allow_floppy: bool = False,
    zero_rtol: float = ZERO_MODE_RTOL,
    seed: int = 0,
    max_residues: int | None = None,
    weights: np.ndarray | None = None,
) -> Spectrum:
    """Largest inverse eigenvalues ``1 / lambda`` of the nonzero modes of an elastic network.

    Parameters
    ----------
    structure_or_coords : Structure or ndarray, shape (n, 3)
        A :class:`~enmspec.structure.Structure` from :func:`load_structure`, or C-alpha
        coordinates in angstrom.
    cutoff : float, "auto" or None
        Spring cutoff in angstrom; ``"auto"``: 9 A for the ANM, 7.3 A for the GNM, every pair
        for the distance-dependent spring laws; None: every pair.
    gamma : float
        Spring constant of the network (the scale of the spring law).
    top : int, optional
        Keep the ``top`` largest inverse eigenvalues.
    fraction : float, optional
        Keep ``floor(fraction * n_modes)`` of them (the paper uses 0.1). Not with ``top``.
        Default (neither): every nonzero mode.
    model : {"anm", "gnm"}
        Anisotropic network (3N x 3N Hessian, six zero modes when connected) or Gaussian network
        (N x N Kirchhoff matrix, one zero mode per connected component).
    springs : {"uniform", "pf", "hinsen"}
        Spring law (:mod:`enmspec.springs`): equal springs, the parameter-free ``1/r^2``, or
        Hinsen's C-alpha force field.
    name : str, optional
        Spectrum name; default the structure's entry id (``"coords"`` for bare arrays).
    solver : {"auto", "dense", "sliced", "torch"}
        Eigensolver (see :mod:`enmspec.eigen`); ``auto`` takes ``sliced`` for networks with a
        cutoff of at least 1500 degrees of freedom when at most a quarter of the modes are kept,
        ``dense`` otherwise (always for springs between every pair: the matrix is dense).
    device : str, optional
        Torch device for the ``torch`` solver (``"cuda"``, ``"cuda:1"``, ``"cpu"``); setting
        it with ``solver="auto"`` picks ``torch``. Default: CUDA when torch sees a GPU.
    allow_floppy : bool
        Fit networks with more zero modes than a connected one (floppy or disconnected at the
        cutoff), dropping every zero mode, instead of raising :class:`FloppyNetworkError`.
    zero_rtol : float
        Zero-mode tolerance relative to the largest eigenvalue.
    seed : int
        Start vectors of the iterative solver.
    max_residues : int, optional
        Refuse larger structures (:class:`TooLargeError`); structures whose solver would need
        more than :data:`MEMORY_SHARE` of the machine's memory are refused in any case.

    Returns
    -------
    compare.Spectrum
        ``kind="protein"``, values ``1 / lambda`` descending; ``meta`` holds ``n_residues``,
        ``n_chains``, ``n_modes`` (nonzero modes), ``n_zero``, ``enm_model``, ``springs``,
        ``cutoff`` (None: every pair), ``gamma``, ``solver``, ``lambda_max``, ``zero_rtol``,
        ``seconds``, ``spring_weights`` (whether ``weights`` were given), and for a
        :class:`Structure` what its file says about the entry
        (:data:`compare.meta.ENTRY_COLUMNS`) and its mean pLDDT (predicted models).

    Raises
    ------
    FloppyNetworkError
        More zero modes than a connected network has, and ``allow_floppy`` is false.
    EnmspecError
        Fewer than four residues, NaN coordinates, ``top`` larger than the number of modes.
    """
    started = time.perf_counter()
    spec = NetworkSpec(
        model=model,
        springs=springs,
        gamma=gamma,
        top=top,
        fraction=fraction,
        solver=solver,
        device=device,
        allow_floppy=allow_floppy,
        zero_rtol=zero_rtol,
        seed=seed,
    )
    cutoff = resolve_cutoff(cutoff, model, springs)
    coords, label, n_chains, chosen, wanted = _prepare(structure_or_coords, spec, name, max_residues, cutoff)
    matrix = network_matrix(
        coords,
        model=model,
        springs=springs,
        cutoff=cutoff,
        gamma=gamma,
        weights=weights,
        dense=chosen == "dense",
    )
    extra = {"spring_weights": weights is not None}
    if isinstance(structure_or_coords, Structure):
        extra.update(entry_meta(structure_or_coords))
    return _spectrum_of(
        matrix,
        spec,
        label=label,
        n_chains=n_chains,
        cutoff=cutoff,
        chosen=chosen,
        wanted=wanted,
        started=started,
        extra_meta=extra,
    )


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
    structure, n_low, weights = prepare_structure(path, settings)
    try:
        if settings.is_study:
            raise ValueError(f"{settings.cutoffs}: several cutoffs are a study; use enmspec.analyze_study")
        spectrum = inverse_spectrum(
            structure,
            cutoff=settings.cutoff,
            gamma=settings.gamma,
            top=settings.top,
            fraction=settings.fraction,
            model=settings.model,
            springs=settings.springs,
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
    spectrum = dataclasses.replace(spectrum, meta={**spectrum.meta, **plddt_meta(settings, n_low)})
    return StructureAnalysis(structure, spectrum, fit)


def prepare_structure(
    path: str | os.PathLike, settings: AnalysisSettings
) -> tuple[Structure, int | None, np.ndarray | None]:
    """Read a structure as the settings ask: its chains, pLDDT filtering and spring weights.

    Parameters
    ----------
    path : str or path-like
        PDB or mmCIF file, optionally gzipped.
    settings : AnalysisSettings

    Returns
    -------
    structure : Structure
        With the residues below ``settings.min_plddt`` dropped.
    n_low : int or None
        Residues dropped (None: no threshold).
    weights : ndarray, shape (n,), float64, or None
        Per-residue spring weights with ``settings.plddt_weights``.
    """
    structure = load_structure(path, chains=settings.chains)
    n_low = None
    if settings.min_plddt is not None:
        structure, n_low = drop_low_plddt(structure, settings.min_plddt)
    weights = plddt_weights(structure) if settings.plddt_weights else None
    return structure, n_low, weights


def plddt_meta(settings: AnalysisSettings, n_low: int | None) -> dict[str, object]:
    """The pLDDT options of a spectrum's meta and row: the threshold, residues dropped, weighting.

    Parameters
    ----------
    settings : AnalysisSettings
    n_low : int or None
        Residues :func:`prepare_structure` dropped.

    Returns
    -------
    dict
    """
    return {
        keys.MIN_PLDDT: settings.min_plddt,
        keys.N_LOW_PLDDT: n_low,
        keys.PLDDT_WEIGHTS: settings.plddt_weights,
    }
