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

#: Meta keys copied into a report's fit table.
REPORT_COLUMNS = (DATASET, MODEL, TRAINING, SETTING, TRACE, N_RESIDUES, N_CHAINS, ENM_MODEL, SPRINGS, CUTOFF)


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
