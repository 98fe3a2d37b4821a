"""The :attr:`compare.Spectrum.meta` keys that more than one package reads.

A protein spectrum (``enmspec``) and a network spectrum (``dnnspec``) each carry their own
details in ``meta``; the keys below are the ones :mod:`compare` and the report read, so the
producers write them by these names. Other keys are free-form and kept as written.
"""

from __future__ import annotations

from typing import TypedDict

#: The structure's id (proteins).
ENTRY = "entry"
#: C-alpha residues of the structure (proteins).
N_RESIDUES = "n_residues"
#: Chains kept (proteins).
N_CHAINS = "n_chains"
#: Nonzero modes of the full spectrum, of which ``values`` may hold only the top: a ``fraction``
#: K rule is a fraction of this number wherever it is applied.
N_MODES = "n_modes"
#: Zero modes found (proteins; 6 for a connected network).
N_ZERO = "n_zero"
#: Eigensolver used.
SOLVER = "solver"
#: Elastic network model ("anm" or "gnm"), spring law ("uniform", "pf", "hinsen") and cutoff in
#: angstrom (None: springs between every pair) of a protein spectrum.
ENM_MODEL = "enm_model"
SPRINGS = "springs"
CUTOFF = "cutoff"
#: The experiment's labels in the paper's vocabulary (networks): data set, model, training
#: (optimizer, or "Random" for an untrained net) and setting ("B=512", "-" for the baseline).
DATASET = "dataset"
MODEL = "model"
TRAINING = "training"
SETTING = "setting"
#: Older spectra name the training by optimizer only.
OPTIMIZER = "optimizer"
#: Hutchinson estimate of the Hessian's trace, and the largest eigenvalue (networks).
TRACE = "trace"
TOP_EIGENVALUE = "top_eigenvalue"

#: What a protein's structure file says about its entry (``enmspec.metadata``; empty where the
#: file says nothing): experimental method, resolution (angstrom), source organism, first release
#: and deposition dates (ISO), polymer entities and chains of the file, UniProt accessions
#: (``;``-joined) and ``structure_type`` ("experimental" or "predicted").
METHOD = "method"
RESOLUTION = "resolution"
ORGANISM = "organism"
RELEASE_DATE = "release_date"
DEPOSITION_DATE = "deposition_date"
N_ENTITIES = "n_entities"
N_CHAINS_FILE = "n_chains_file"
UNIPROT = "uniprot"
STRUCTURE_TYPE = "structure_type"
ENTRY_COLUMNS = (
    METHOD,
    RESOLUTION,
    ORGANISM,
    RELEASE_DATE,
    DEPOSITION_DATE,
    N_ENTITIES,
    N_CHAINS_FILE,
    UNIPROT,
    STRUCTURE_TYPE,
)
#: Predicted models' confidence: mean pLDDT of the residues kept, the ``min_plddt`` threshold
#: applied, the residues it dropped before the network was built, and whether springs were
#: weighted by pLDDT.
PLDDT_MEAN = "plddt_mean"
MIN_PLDDT = "min_plddt"
N_LOW_PLDDT = "n_low_plddt"
PLDDT_WEIGHTS = "plddt_weights"
PLDDT_COLUMNS = (PLDDT_MEAN, MIN_PLDDT, N_LOW_PLDDT, PLDDT_WEIGHTS)

#: Meta keys copied into a report's fit table.
REPORT_COLUMNS = (
    DATASET,
    MODEL,
    TRAINING,
    SETTING,
    TRACE,
    N_RESIDUES,
    N_CHAINS,
    *ENTRY_COLUMNS,
    *PLDDT_COLUMNS,
    ENM_MODEL,
    SPRINGS,
    CUTOFF,
)


class ProteinMeta(TypedDict, total=False):
    """The shared keys of a protein spectrum's meta (written by :func:`enmspec.inverse_spectrum`).

    Attributes
    ----------
    entry : str
        The structure's id.
    n_residues : int
        C-alpha residues.
    n_chains : int
        Chains kept.
    n_modes : int
        Nonzero modes of the full spectrum.
    n_zero : int
        Zero modes found.
    solver : str
        Eigensolver used.
    method, organism, release_date, deposition_date, uniprot, structure_type : str
        What the structure file says about the entry (:data:`ENTRY_COLUMNS`).
    resolution : float or None
        Angstrom.
    n_entities, n_chains_file : int or None
        Polymer entities and chains of the file.
    plddt_mean : float or None
        Mean pLDDT of the residues kept (predicted models).
    min_plddt : float or None
        pLDDT threshold applied before the network was built.
    n_low_plddt : int or None
        Residues it dropped.
    plddt_weights : bool
        Springs scaled by ``w_i w_j``, ``w = pLDDT / 100``.
    enm_model : str
        ``"anm"`` or ``"gnm"``.
    springs : str
        Spring law (``"uniform"``, ``"pf"``, ``"hinsen"``).
    cutoff : float or None
        Cutoff in angstrom (None: springs between every pair).
    """

    entry: str
    n_residues: int
    n_chains: int
    n_modes: int
    n_zero: int
    solver: str
    method: str
    resolution: float | None
    organism: str
    release_date: str
    deposition_date: str
    n_entities: int | None
    n_chains_file: int | None
    uniprot: str
    structure_type: str
    plddt_mean: float | None
    min_plddt: float | None
    n_low_plddt: int | None
    plddt_weights: bool
    enm_model: str
    springs: str
    cutoff: float | None


class NetworkMeta(TypedDict, total=False):
    """The shared keys of a network spectrum's meta (written by :func:`dnnspec.hessian_spectrum`).

    Attributes
    ----------
    dataset, model, training, setting : str
        The experiment's labels in the paper's vocabulary.
    optimizer : str
        Older spectra's name for the training.
    trace : float
        Hutchinson estimate of the Hessian's trace.
    top_eigenvalue : float
        The largest eigenvalue.
    """

    dataset: str
    model: str
    training: str
    setting: str
    optimizer: str
    trace: float
    top_eigenvalue: float
