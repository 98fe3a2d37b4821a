"""What to compute for each structure: the elastic network's options, validated on creation.

:class:`NetworkSpec` holds what :func:`enmspec.inverse_spectrum` needs besides the cutoff;
:class:`AnalysisSettings` adds the cutoff (or a cutoff study), the power-law fit's options and
what a batch writes, and is the identity a batch folder is locked to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compare.powerlaw import critical_value
from compare.validation import Interval, check_choice, check_scalar, check_top_or_fraction
from enmspec.eigen import SOLVERS, solver_for_device
from enmspec.hessian import MODELS
from enmspec.hessian import RIGID_BODY_MODES as RIGID_BODY_MODES_OF
from enmspec.springs import DEFAULT_GAMMA, SPRING_LAWS, UNIFORM, default_cutoff

#: An eigenvalue below ``ZERO_MODE_RTOL * lambda_max`` is a zero mode. Rigid-body modes come
#: out near 1e-15 * lambda_max in float64; genuine soft modes of real proteins stay above
#: 1e-7 * lambda_max (7PBL's two softest: 7e-7), so 1e-9 separates them with margin both ways.
ZERO_MODE_RTOL = 1e-9
MIN_RESIDUES = 4
#: Zero modes of a connected ANM (three translations, three rotations).
RIGID_BODY_MODES = 6
#: ``cutoff="auto"``: the model's and spring law's own cutoff (:func:`enmspec.springs.default_cutoff`).
AUTO = "auto"


#: The paper keeps the top tenth of each inverse spectrum.
PAPER_FRACTION = 0.1


def resolve_cutoff(cutoff: float | str | None, model: str, springs: str) -> float | None:
    """The cutoff in angstrom that ``cutoff`` means for a model and spring law.

    Parameters
    ----------
    cutoff : float, "auto" or None
        A distance; ``"auto"`` for the default (9 A ANM, 7.3 A GNM, none for the
        distance-dependent laws); None for springs between every pair.
    model : {"anm", "gnm"}
    springs : {"uniform", "pf", "hinsen"}

    Returns
    -------
    float or None
    """
    check_choice(model, "model", MODELS)
    check_choice(springs, "springs", SPRING_LAWS)
    if isinstance(cutoff, str):
        if cutoff != AUTO:
            raise ValueError(f"cutoff must be a number, 'auto' or None, got {cutoff!r}")
        return default_cutoff(model, springs)
    if cutoff is None:
        if springs == UNIFORM:
            raise ValueError(
                "cutoff=None (every pair) needs a distance-dependent spring law ('pf' or 'hinsen')"
            )
        return None
    return check_scalar(cutoff, "cutoff", float, interval=Interval(0, None, "neither"))


@dataclass(frozen=True)
class NetworkSpec:
    """What network to build and how to solve it: the options of :func:`inverse_spectrum` but the cutoff.

    Parameters
    ----------
    model : {"anm", "gnm"}
    springs : {"uniform", "pf", "hinsen"}
    gamma : float
    top, fraction : int or float, optional
    solver : str
    device : str, optional
    allow_floppy : bool
    zero_rtol : float
    seed : int
    """

    model: str = "anm"
    springs: str = UNIFORM
    gamma: float = DEFAULT_GAMMA
    top: int | None = None
    fraction: float | None = None
    solver: str = "auto"
    device: str | None = None
    allow_floppy: bool = False
    zero_rtol: float = ZERO_MODE_RTOL
    seed: int = 0

    @property
    def dof_per_node(self) -> int:
        """3 for the ANM, 1 for the GNM."""
        return 3 if self.model == "anm" else 1

    @property
    def rigid(self) -> int:
        """Zero modes of a connected network."""
        return RIGID_BODY_MODES_OF[self.model]


@dataclass(frozen=True)
class AnalysisSettings:
    """How each structure is turned into a fitted spectrum; validated on creation.

    Parameters
    ----------
    cutoff : float, "auto", None, or a sequence of floats
        Spring cutoff in angstrom; ``"auto"`` (default): the model's own (9 A ANM, 7.3 A GNM,
        every pair for the distance-dependent laws), resolved on creation; None: every pair. A
        sequence of several cutoffs is a cutoff study (:func:`cutoff_study`): one spectrum and
        one result row per cutoff, stored sorted as a tuple.
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
        Fit networks with more zero modes than a connected one instead of excluding them.
    chains : str, optional
        Author chain ids to keep (default all).
    device : str, optional
        Torch device of the ``torch`` solver; not part of a batch's identity (a batch begun
        on the CPU may be resumed on a GPU).
    max_residues : int, optional
        Refuse structures with more residues (a batch records them as failed); not part of a
        batch's identity.
    model : {"anm", "gnm"}
        Elastic network model.
    springs : {"uniform", "pf", "hinsen"}
        Spring law (:mod:`enmspec.springs`).
    modes : int
        Save this many softest nonzero modes (eigenvectors) beside each spectrum, and an NMD
        file (0: none).
    bfactors : bool
        Correlate each entry's mean-square fluctuations with its B-factors (a batch column).
    min_plddt : float, optional
        Drop the residues of a predicted model with pLDDT below this (0-100) before the network
        is built (:func:`enmspec.confidence.drop_low_plddt`); an entry without pLDDT fails.
    plddt_weights : bool
        Scale each spring by ``w_i * w_j`` with ``w = pLDDT / 100``
        (:func:`enmspec.confidence.plddt_weights`).
    """

    cutoff: float | str | tuple | None = AUTO
    gamma: float = DEFAULT_GAMMA
    top: int | None = None
    fraction: float | None = None
    alpha: float = 0.05
    solver: str = "auto"
    allow_floppy: bool = False
    chains: str | None = None
    device: str | None = None
    max_residues: int | None = None
    model: str = "anm"
    springs: str = UNIFORM
    modes: int = 0
    bfactors: bool = False
    min_plddt: float | None = None
    plddt_weights: bool = False

    def __post_init__(self) -> None:
        top, fraction = check_top_or_fraction(self.top, self.fraction, default_fraction=PAPER_FRACTION)
        object.__setattr__(self, "top", top)
        object.__setattr__(self, "fraction", fraction)
        if isinstance(self.cutoff, (list, tuple, np.ndarray)):
            values = tuple(sorted({resolve_cutoff(float(c), self.model, self.springs) for c in self.cutoff}))
            if not values:
                raise ValueError("cutoff: an empty list of cutoffs")
            object.__setattr__(self, "cutoff", values if len(values) > 1 else values[0])
        else:
            object.__setattr__(self, "cutoff", resolve_cutoff(self.cutoff, self.model, self.springs))
        object.__setattr__(
            self, "gamma", check_scalar(self.gamma, "gamma", float, interval=Interval(0, None, "neither"))
        )
        check_choice(self.solver, "solver", SOLVERS)
        check_scalar(self.allow_floppy, "allow_floppy", bool)
        check_scalar(self.bfactors, "bfactors", bool)
        check_scalar(self.modes, "modes", int, interval=Interval(0))
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

    @property
    def cutoffs(self) -> tuple[float | None, ...]:
        """The cutoffs to compute: one, or the study's (ascending)."""
        return self.cutoff if isinstance(self.cutoff, tuple) else (self.cutoff,)

    @property
    def is_study(self) -> bool:
        """Whether several cutoffs are computed (one row each)."""
        return isinstance(self.cutoff, tuple)

    def network_spec(self) -> NetworkSpec:
        """The network options of these settings.

        Returns
        -------
        NetworkSpec
        """
        return NetworkSpec(
            model=self.model,
            springs=self.springs,
            gamma=self.gamma,
            top=self.top,
            fraction=self.fraction,
            solver=self.solver,
            device=self.device,
            allow_floppy=self.allow_floppy,
        )
