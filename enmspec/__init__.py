"""Elastic network model spectra of proteins (ANM and GNM).

Pipeline: :func:`load_structure` (C-alpha trace) -> :func:`anm_hessian` (sparse 3N x 3N) or
:func:`gnm_kirchhoff` (N x N)
-> :func:`inverse_spectrum` (a :class:`compare.Spectrum` of ``1 / lambda``) ->
:func:`compare.fit_power_law`.
"""

from enmspec.afdb import AfdbSource, fetch_afdb
from enmspec.batch import run_batch
from enmspec.confidence import drop_low_plddt, plddt_weights
from enmspec.errors import (
    ConvergenceError,
    EnmspecError,
    FetchError,
    FloppyNetworkError,
    StructureError,
    TooLargeError,
)
from enmspec.fetch import FetchReport, FetchSettings, SelectCriteria, SelectResult, fetch, select
from enmspec.hessian import anm_hessian, contact_pairs, gnm_kirchhoff, network_matrix
from enmspec.metadata import EntryMetadata
from enmspec.modes import NormalModes, bfactor_correlation, softest_modes, sq_fluctuations, write_nmd
from enmspec.spectrum import (
    PAPER_FRACTION,
    ZERO_MODE_RTOL,
    AnalysisSettings,
    StructureAnalysis,
    analyze_structure,
    inverse_spectrum,
)
from enmspec.structure import Structure, example_structures, load_structure
from enmspec.study import CutoffResult, StudyAnalysis, analyze_study, cutoff_study, parse_cutoffs

__all__ = [
    "AfdbSource",
    "EntryMetadata",
    "drop_low_plddt",
    "fetch_afdb",
    "plddt_weights",
    "CutoffResult",
    "NormalModes",
    "StudyAnalysis",
    "analyze_study",
    "bfactor_correlation",
    "cutoff_study",
    "parse_cutoffs",
    "softest_modes",
    "sq_fluctuations",
    "write_nmd",
    "AnalysisSettings",
    "PAPER_FRACTION",
    "StructureAnalysis",
    "ZERO_MODE_RTOL",
    "analyze_structure",
    "ConvergenceError",
    "EnmspecError",
    "FetchError",
    "FetchReport",
    "FetchSettings",
    "FloppyNetworkError",
    "SelectCriteria",
    "SelectResult",
    "Structure",
    "StructureError",
    "TooLargeError",
    "anm_hessian",
    "gnm_kirchhoff",
    "network_matrix",
    "contact_pairs",
    "example_structures",
    "fetch",
    "inverse_spectrum",
    "load_structure",
    "run_batch",
    "select",
]
