"""Normal modes of an elastic network: the softest eigenvectors, mean-square fluctuations, NMD files.

:func:`softest_modes` gives eigenvalues and eigenvectors (dense LAPACK for networks up to
:data:`DENSE_MODES_MAX` degrees of freedom, shift-invert Lanczos beyond);
:func:`sq_fluctuations` the mean-square fluctuation of each residue, ``sum_k u_ik^2 / lambda_k``
over the nonzero modes (ANM: summed over x, y, z), in the units of ProDy's ``calcSqFlucts``
(``k_B T / gamma`` = 1); :func:`bfactor_correlation` its Pearson correlation with the
crystallographic B-factors; :func:`write_nmd` the modes in ProDy's NMD format for VMD's NMWiz.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.linalg as sl
import scipy.sparse as sp
import scipy.sparse.linalg as sla

from enmspec.eigen import largest_eigenvalue
from enmspec.errors import EnmspecError
from enmspec.hessian import RIGID_BODY_MODES, network_matrix
from enmspec.settings import AUTO, ZERO_MODE_RTOL, AnalysisSettings, resolve_cutoff
from enmspec.spectrum import _coords_of, count_zero_modes
from enmspec.springs import DEFAULT_GAMMA, UNIFORM
from enmspec.structure import Structure

#: Networks up to this many degrees of freedom get their modes from LAPACK on the dense matrix.
DENSE_MODES_MAX = 4000


@dataclass(frozen=True)
class NormalModes:
    """The softest nonzero modes of an elastic network.

    Attributes
    ----------
    eigenvalues : ndarray, shape (m,), float64
        Ascending, all nonzero.
    vectors : ndarray, shape (d, m), float64
        Unit eigenvectors as columns; ``d = 3 n`` (ANM, node ``i`` in rows ``3i:3i+3``) or ``n`` (GNM).
    model : str
        ``"anm"`` or ``"gnm"``.
    n_zero : int
        Zero modes left out.
    cutoff : float or None
        The network's cutoff (None: every pair).
    """

    eigenvalues: np.ndarray
    vectors: np.ndarray
    model: str
    n_zero: int
    cutoff: float | None

    def save(self, path: str | os.PathLike) -> None:
        """Write ``eigenvalues``, ``vectors``, ``model``, ``n_zero``, ``cutoff`` to an ``.npz`` (no pickles).

        Parameters
        ----------
        path : str or path-like
        """
        np.savez_compressed(
            path,
            eigenvalues=self.eigenvalues,
            vectors=self.vectors,
            model=np.array(self.model),
            n_zero=np.int64(self.n_zero),
            cutoff=np.float64(np.nan if self.cutoff is None else self.cutoff),
        )


def _eigenpairs(matrix: sp.csr_matrix, count: int | None, rigid: int, seed: int) -> tuple:
    """Ascending eigenvalues and vectors: all (dense), or the lowest ``count + rigid`` (more if needed)."""
    n = matrix.shape[0]
    if count is None or n <= DENSE_MODES_MAX or count + rigid >= n // 2:
        w, v = sl.eigh(matrix.toarray(), driver="evd", check_finite=False)
        return w, v, float(w[-1])
    rng = np.random.default_rng(seed)
    lambda_max = largest_eigenvalue(matrix, rng)
    k = count + rigid
    while True:
        w, v = sla.eigsh(
            matrix.tocsc(), k=min(k, n - 2), sigma=-1e-6 * lambda_max, which="LM", v0=rng.standard_normal(n)
        )
        order = np.argsort(w)
        w, v = w[order], v[:, order]
        if np.sum(w < ZERO_MODE_RTOL * lambda_max) + count <= w.size or k >= n - 2:
            return w, v, lambda_max
        k *= 2  # more zero modes than expected (a floppy network kept on purpose)


def softest_modes(
    structure_or_coords: Structure | np.ndarray,
    n_modes: int | None = None,
    *,
    model: str = "anm",
    springs: str = UNIFORM,
    cutoff: float | str | None = AUTO,
    gamma: float = DEFAULT_GAMMA,
    allow_floppy: bool = False,
    seed: int = 0,
) -> NormalModes:
    """The ``n_modes`` softest nonzero modes (all of them by default) of the network of a structure.

    Parameters
    ----------
    structure_or_coords : Structure or ndarray, shape (n, 3)
        C-alpha trace.
    n_modes : int, optional
        How many; default every nonzero mode.
    model, springs, cutoff, gamma, allow_floppy
        As for :func:`enmspec.inverse_spectrum`.
    seed : int
        Start vectors of the Lanczos solver (large networks only).

    Returns
    -------
    NormalModes

    Raises
    ------
    FloppyNetworkError
        More zero modes than a connected network has, and not ``allow_floppy``.
    EnmspecError
        More modes asked for than the network has.
    """
    coords, label, _ = _coords_of(structure_or_coords, None)
    cutoff = resolve_cutoff(cutoff, model, springs)
    matrix = network_matrix(coords, model=model, springs=springs, cutoff=cutoff, gamma=gamma)
    rigid = RIGID_BODY_MODES[model]
    if n_modes is not None and not (isinstance(n_modes, int) and 1 <= n_modes <= matrix.shape[0] - rigid):
        raise EnmspecError(
            f"{label}: n_modes must be an int in [1, {matrix.shape[0] - rigid}], got {n_modes!r}"
        )
    w, v, lambda_max = _eigenpairs(matrix, n_modes, rigid, seed)
    n_zero = count_zero_modes(
        label,
        w,
        lambda_max,
        zero_rtol=ZERO_MODE_RTOL,
        cutoff=cutoff,
        allow_floppy=allow_floppy,
        rigid=rigid,
    )
    stop = w.size if n_modes is None else n_zero + n_modes
    return NormalModes(
        eigenvalues=w[n_zero:stop],
        vectors=np.ascontiguousarray(v[:, n_zero:stop]),
        model=model,
        n_zero=n_zero,
        cutoff=cutoff,
    )


def fluctuations_of(modes: NormalModes) -> np.ndarray:
    """Mean-square fluctuation of each node, ``sum_k u_ik^2 / lambda_k`` (ANM: over x, y, z).

    Parameters
    ----------
    modes : NormalModes

    Returns
    -------
    ndarray, shape (n,), float64
    """
    per_dof = (modes.vectors * modes.vectors) @ (1.0 / modes.eigenvalues)
    return per_dof.reshape(-1, 3).sum(axis=1) if modes.model == "anm" else per_dof


def sq_fluctuations(
    structure_or_coords: Structure | np.ndarray,
    *,
    model: str = "anm",
    springs: str = UNIFORM,
    cutoff: float | str | None = AUTO,
    gamma: float = DEFAULT_GAMMA,
    n_modes: int | None = None,
    allow_floppy: bool = False,
) -> np.ndarray:
    """Mean-square fluctuation of each residue predicted by the elastic network (ProDy's ``calcSqFlucts``).

    Parameters
    ----------
    structure_or_coords : Structure or ndarray, shape (n, 3)
        C-alpha trace.
    model, springs, cutoff, gamma, allow_floppy
        As for :func:`enmspec.inverse_spectrum` (cutoff ``"auto"``: 9 A ANM, 7.3 A GNM).
    n_modes : int, optional
        Sum over the softest ``n_modes`` only; default every nonzero mode.

    Returns
    -------
    ndarray, shape (n,), float64
        In units of ``k_B T / gamma`` (A^2 for gamma in the same units); the GNM's is the
        diagonal of the Kirchhoff matrix's pseudo-inverse, the ANM's the trace of each 3 x 3
        diagonal block of the Hessian's.

    Examples
    --------
    >>> from enmspec import example_structures, load_structure
    >>> msf = sq_fluctuations(load_structure(example_structures()["1PWC"]), model="gnm")
    >>> msf.shape
    (345,)
    """
    modes = softest_modes(
        structure_or_coords,
        n_modes,
        model=model,
        springs=springs,
        cutoff=cutoff,
        gamma=gamma,
        allow_floppy=allow_floppy,
    )
    return fluctuations_of(modes)


def bfactor_correlation(fluctuations: np.ndarray, b_factors: np.ndarray | None) -> float | None:
    """Pearson correlation of predicted fluctuations with B-factors (None where it is undefined).

    Parameters
    ----------
    fluctuations : ndarray, shape (n,), float64
    b_factors : ndarray, shape (n,), float64, optional

    Returns
    -------
    float or None
        None without B-factors, or where they are all equal (NMR and predicted models often
        carry zeros or constants).
    """
    if b_factors is None:
        return None
    b = np.asarray(b_factors, dtype=np.float64)
    if b.shape != fluctuations.shape or not np.isfinite(b).all() or np.ptp(b) == 0:
        return None
    return float(np.corrcoef(fluctuations, b)[0, 1])


def write_nmd(
    path: str | os.PathLike, structure: Structure, modes: NormalModes, *, name: str | None = None
) -> Path:
    """Write ANM modes in ProDy's NMD format (``prody/dynamics/nmdfile.py``: ``writeNMD``), for VMD's NMWiz.

    Lines: ``nmwiz_load <file>``, ``name``, ``atomnames``, ``resnames``, ``resids``,
    ``chainids``, ``bfactors`` (``%.2f``), ``coordinates`` (``%.3f``), then per mode
    ``mode <index> <scale> <3n components>`` with index from 1, scale ``lambda^-1/2`` (``%.2f``:
    ProDy's square root of the mode's variance) and the unit eigenvector (``%.3f``).

    Parameters
    ----------
    path : str or path-like
        The file to write (``.nmd``).
    structure : Structure
        Its C-alpha trace (the modes' nodes).
    modes : NormalModes
        ANM modes of ``structure``.
    name : str, optional
        The ``name`` line; default the entry id.

    Returns
    -------
    pathlib.Path
    """
    if modes.model != "anm":
        raise EnmspecError(f"{path}: NMD files hold 3-D modes; GNM modes are one number a residue")
    n = len(structure)
    if modes.vectors.shape[0] != 3 * n:
        raise EnmspecError(f"{path}: {modes.vectors.shape[0]} mode components for {n} residues")
    target = Path(path)
    label = (name or structure.entry_id).replace(" ", "_").replace(".", "_")
    b = structure.b_factors if structure.b_factors is not None else np.zeros(n)
    lines = [
        f"nmwiz_load {target.name}",
        f"name {label}",
        "atomnames " + " ".join(["CA"] * n),
        "resnames " + " ".join(structure.residue_names),
        "resids " + " ".join(str(int(r)) for r in structure.residue_numbers),
        "chainids " + " ".join(structure.chain_ids),
        "bfactors " + " ".join(f"{x:.2f}" for x in b),
        "coordinates " + " ".join(f"{x:.3f}" for x in structure.coords.ravel()),
    ]
    for index, (w, u) in enumerate(zip(modes.eigenvalues, modes.vectors.T, strict=True), start=1):
        lines.append(f"mode {index} {w**-0.5:.2f} " + " ".join(f"{x:.3f}" for x in u))
    target.write_text("\n".join(lines) + "\n", encoding="ascii")
    return target


#: Suffixes of the files :func:`entry_extras` writes beside a spectrum.
MODES_SUFFIX = ".modes.npz"
NMD_SUFFIX = ".nmd"


def entry_extras(
    structure: Structure,
    settings: AnalysisSettings,
    cutoff: float | None,
    folder: Path | None,
    spectrum_name: str,
) -> dict:
    """A batch row's mode cells: ``bfactor_r`` (with ``settings.bfactors``) and the ``modes`` file.

    Parameters
    ----------
    structure : Structure
        The entry.
    settings : AnalysisSettings
        ``bfactors`` and ``modes`` say what to compute; the network is the settings' at ``cutoff``.
    cutoff : float or None
        The row's cutoff.
    folder : pathlib.Path, optional
        Where the spectrum files go; the modes are written beside them (None: not written).
    spectrum_name : str
        The row's spectrum file name (``<key>.spectrum.npz``); the modes file takes its stem.

    Returns
    -------
    dict
        ``bfactor_r`` and ``modes`` where computed (an empty dict when neither is asked for).
    """
    cells: dict = {}
    if not settings.bfactors and not settings.modes:
        return cells
    options = dict(
        model=settings.model,
        springs=settings.springs,
        cutoff=cutoff,
        gamma=settings.gamma,
        allow_floppy=settings.allow_floppy,
    )
    every = softest_modes(structure, None, **options) if settings.bfactors else None
    if every is not None:
        cells["bfactor_r"] = bfactor_correlation(fluctuations_of(every), structure.b_factors)
    if settings.modes and folder is not None:
        count = min(settings.modes, _max_modes(structure, settings))
        if every is not None:
            modes = NormalModes(
                every.eigenvalues[:count], every.vectors[:, :count], every.model, every.n_zero, every.cutoff
            )
        else:
            modes = softest_modes(structure, count, **options)
        stem = spectrum_name.removesuffix(".spectrum.npz")
        modes.save(folder / f"{stem}{MODES_SUFFIX}")
        if settings.model == "anm":
            write_nmd(folder / f"{stem}{NMD_SUFFIX}", structure, modes)
        cells["modes"] = f"{stem}{MODES_SUFFIX}"
    return cells


def _max_modes(structure: Structure, settings: AnalysisSettings) -> int:
    dof = 3 * len(structure) if settings.model == "anm" else len(structure)
    return dof - RIGID_BODY_MODES[settings.model]
