"""Cutoff studies: one structure's inverse spectrum at many cutoffs, from one neighbour search.

The pairs within the largest cutoff are found once (a KD-tree); each smaller cutoff keeps those
with ``dist2 <= cutoff^2``, exactly the pairs :func:`enmspec.contact_pairs` would find for it,
so every spectrum of a study equals the one :func:`enmspec.inverse_spectrum` gives at that cutoff.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from compare.powerlaw import PowerLawFit, fit_power_law
from compare.spectrum import Spectrum
from enmspec.eigen import solver_for_device
from enmspec.errors import EnmspecError, FloppyNetworkError
from enmspec.hessian import _node_weights, anm_from_pairs, contact_pairs, gnm_from_pairs
from enmspec.settings import AnalysisSettings, NetworkSpec
from enmspec.spectrum import _choose_solver, _prepare, _spectrum_of, entry_meta, plddt_meta, prepare_structure
from enmspec.springs import DEFAULT_GAMMA, UNIFORM, spring_constants
from enmspec.structure import Structure

#: Most cutoffs one study may hold (a typo such as ``7:15:0.0005`` is refused, not run).
MAX_CUTOFFS = 200
_RANGE = re.compile(r"^\s*([0-9.]+)\s*:\s*([0-9.]+)\s*:\s*([0-9.]+)\s*$")


def parse_cutoffs(text: str) -> float | tuple[float, ...]:
    """``"9"``, ``"7,9,12"`` or ``"7:15:0.5"`` (start:stop:step, both ends included) -> cutoffs.

    Parameters
    ----------
    text : str
        One cutoff, a comma-separated list, or a range.

    Returns
    -------
    float or tuple of float
        One cutoff, or several, ascending and distinct.

    Raises
    ------
    ValueError
        Not a number, a list or a range; a step <= 0; more than :data:`MAX_CUTOFFS` values.

    Examples
    --------
    >>> parse_cutoffs("7:9:0.5")
    (7.0, 7.5, 8.0, 8.5, 9.0)
    >>> parse_cutoffs("9")
    9.0
    """
    match = _RANGE.match(text)
    try:
        if match:
            start, stop, step = (float(g) for g in match.groups())
            if not step > 0 or stop < start:
                raise ValueError("needs step > 0 and stop >= start")
            count = int(np.floor((stop - start) / step + 1e-9)) + 1
            if count > MAX_CUTOFFS:
                raise ValueError(f"{count} cutoffs, more than {MAX_CUTOFFS}")
            values = [round(start + i * step, 10) for i in range(count)]
        else:
            values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise ValueError(f"cutoff {text!r}: {exc} (give 9, 7,9,12 or 7:15:0.5)") from None
    if not values:
        raise ValueError(f"cutoff {text!r}: no value")
    unique = tuple(sorted(set(values)))
    return unique[0] if len(unique) == 1 else unique


@dataclass(frozen=True)
class CutoffResult:
    """One cutoff of a study: the spectrum, or why the network could not be used there.

    Attributes
    ----------
    cutoff : float
        Angstrom.
    spectrum : compare.Spectrum or None
        None where the network is floppy or disconnected (``error`` says how).
    error : EnmspecError or None
    """

    cutoff: float
    spectrum: Spectrum | None
    error: EnmspecError | None = None


def cutoff_study(
    structure_or_coords: Structure | np.ndarray,
    cutoffs: Sequence[float],
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
    seed: int = 0,
    max_residues: int | None = None,
    weights: np.ndarray | None = None,
) -> tuple[CutoffResult, ...]:
    """The inverse spectrum at each cutoff, from one neighbour search at the largest.

    Parameters
    ----------
    structure_or_coords : Structure or ndarray, shape (n, 3)
        As for :func:`enmspec.inverse_spectrum`.
    cutoffs : sequence of float
        Cutoffs in angstrom (> 0); computed in ascending order.
    gamma, top, fraction, model, springs, name, solver, device, allow_floppy, seed, max_residues, weights
        As for :func:`enmspec.inverse_spectrum`.

    Returns
    -------
    tuple of CutoffResult
        One per distinct cutoff, ascending. A floppy or disconnected network at a cutoff is a
        result with its :class:`FloppyNetworkError`, not an exception: the other cutoffs stand.

    Raises
    ------
    EnmspecError
        Bad input (as :func:`enmspec.inverse_spectrum`), or no cutoff.
    """
    values = sorted({float(c) for c in cutoffs})
    if not values or values[0] <= 0:
        raise EnmspecError(f"cutoffs must be positive numbers, got {list(cutoffs)!r}")
    spec = NetworkSpec(
        model=model,
        springs=springs,
        gamma=gamma,
        top=top,
        fraction=fraction,
        solver=solver,
        device=device,
        allow_floppy=allow_floppy,
        seed=seed,
    )
    coords, label, n_chains, _, wanted = _prepare(structure_or_coords, spec, name, max_residues, values[-1])
    pairs, dist2 = contact_pairs(coords, cutoff=values[-1])
    if np.any(dist2 == 0):
        p = pairs[np.flatnonzero(dist2 == 0)[0]]
        raise EnmspecError(f"{label}: nodes {p[0]} and {p[1]} coincide (distance 0)")
    w = None if weights is None else _node_weights(weights, len(coords))
    extra = {"spring_weights": weights is not None}
    if isinstance(structure_or_coords, Structure):
        extra.update(entry_meta(structure_or_coords))
    results = []
    for cutoff in values:
        started = time.perf_counter()
        keep = dist2 <= cutoff * cutoff
        k = spring_constants(dist2[keep], springs=springs, gamma=gamma)
        if w is not None:
            k = k * (w[pairs[keep, 0]] * w[pairs[keep, 1]])
        # each cutoff its own solver; the largest cutoff's, checked for memory, needs the most
        here = _choose_solver(
            solver_for_device(solver, device),
            spec.dof_per_node * len(coords),
            wanted,
            cutoff,
            spec.dof_per_node,
        )
        if model == "gnm":
            matrix = gnm_from_pairs(len(coords), pairs[keep], k, dense=here == "dense")
        else:
            matrix = anm_from_pairs(coords, pairs[keep], dist2[keep], k)
        try:
            spectrum = _spectrum_of(
                matrix,
                spec,
                label=label,
                n_chains=n_chains,
                cutoff=cutoff,
                chosen=here,
                wanted=wanted,
                started=started,
                extra_meta=extra,
            )
        except FloppyNetworkError as exc:
            results.append(CutoffResult(cutoff, None, exc))
            continue
        results.append(CutoffResult(cutoff, spectrum))
    return tuple(results)


@dataclass(frozen=True)
class StudyAnalysis:
    """One structure's cutoff study: the structure, and per cutoff the spectrum and its fit.

    Attributes
    ----------
    structure : Structure
    results : tuple of CutoffResult
    fits : tuple of (compare.PowerLawFit or None)
        The fit of each result's spectrum (None where it has none).
    """

    structure: Structure
    results: tuple
    fits: tuple

    def fit_at(self, cutoff: float) -> PowerLawFit | None:
        """The fit at one of the study's cutoffs.

        Parameters
        ----------
        cutoff : float

        Returns
        -------
        compare.PowerLawFit or None
        """
        for result, fit in zip(self.results, self.fits, strict=True):
            if result.cutoff == cutoff:
                return fit
        raise KeyError(cutoff)


def analyze_study(path: str | os.PathLike, settings: AnalysisSettings) -> StudyAnalysis:
    """File -> C-alpha trace -> a spectrum and a fit per cutoff of ``settings.cutoffs``.

    Parameters
    ----------
    path : str or path-like
        PDB or mmCIF file, optionally gzipped.
    settings : AnalysisSettings
        With one cutoff or several.

    Returns
    -------
    StudyAnalysis
    """
    structure, n_low, weights = prepare_structure(path, settings)
    cutoffs = settings.cutoffs
    if any(c is None for c in cutoffs):
        raise EnmspecError(f"{path}: a cutoff study needs cutoffs in angstrom, got {cutoffs}")
    results = cutoff_study(
        structure,
        cutoffs,
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
    options = plddt_meta(settings, n_low)
    results = tuple(
        r
        if r.spectrum is None
        else replace(r, spectrum=replace(r.spectrum, meta={**r.spectrum.meta, **options}))
        for r in results
    )
    fits = tuple(
        None if r.spectrum is None else fit_power_law(r.spectrum.values, alpha=settings.alpha)
        for r in results
    )
    return StudyAnalysis(structure, results, fits)


def _with_meta(spectrum: Spectrum, extra: dict) -> Spectrum:
    return replace(spectrum, meta={**spectrum.meta, **extra})
