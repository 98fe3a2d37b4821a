"""Spring laws of elastic network models: one spring constant per pair of nodes, from its distance.

``uniform``
    Equal springs ``gamma`` within a cutoff: Tirion's model as the ANM (Atilgan et al. 2001)
    and the GNM (Bahar, Atilgan and Erman 1997) use it, and the paper's setting (ANM, 9 A).
``pf``
    The parameter-free law of Yang, Song and Jernigan (2009, PNAS 106:12347), ``k = gamma / r^2``
    between every pair (pfANM, pfGNM); bio3d's ``ff.pfanm``.
``hinsen``
    Hinsen's C-alpha force field (Hinsen, Petrescu, Dellerue, Bellissent-Funel and Kneller 2000,
    Chem. Phys. 261:25), fitted to a molecular-dynamics force field: for ``r < 4 A`` (bonded
    neighbours) ``k = 8.6e5 kJ mol^-1 nm^-3 * r - 2.39e5 kJ mol^-1 nm^-2``, beyond
    ``k = 128 kJ mol^-1 nm^4 * r^-6``; in bio3d's units (kJ mol^-1 A^-2, r in A),
    ``k = 860 r - 2390`` and ``k = 1.28e6 r^-6``, with distances below 2.9 A raised to 2.9 A
    (bio3d's ``ff.calpha``, ``rmin = 2.9``). Every pair, no cutoff. Unlike bio3d we do not
    mass-weight the Hessian (the spectrum is that of the stiffness matrix, as for the other
    laws).
"""

from __future__ import annotations

import numpy as np

UNIFORM = "uniform"
PARAMETER_FREE = "pf"
HINSEN = "hinsen"
SPRING_LAWS = (UNIFORM, PARAMETER_FREE, HINSEN)
#: Spring constant (scale of every law).
DEFAULT_GAMMA = 1.0
#: The paper's ANM cutoff (angstrom).
ANM_CUTOFF = 9.0
#: GNM's cutoff (angstrom): 7.3 A, the value of the iGNM database and the DynOmics servers
#: (Yang et al. 2005; Li et al. 2016); Bahar et al. (1997) used 7 A and ProDy's
#: ``GNM.buildKirchhoff`` defaults to 10 A.
GNM_CUTOFF = 7.3
#: Hinsen's law in kJ mol^-1 A^-2 with r in A: near-neighbour slope and intercept, the r^-6
#: amplitude, the distance where the two branches meet, and bio3d's floor on the distance.
HINSEN_SLOPE = 860.0
HINSEN_INTERCEPT = 2390.0
HINSEN_AMPLITUDE = 1.28e6
HINSEN_SWITCH = 4.0
HINSEN_RMIN = 2.9


def default_cutoff(model: str, springs: str) -> float | None:
    """The cutoff a model and spring law use unless told otherwise.

    Parameters
    ----------
    model : {"anm", "gnm"}
    springs : {"uniform", "pf", "hinsen"}

    Returns
    -------
    float or None
        9 A (ANM) or 7.3 A (GNM) for equal springs; None (every pair) for the
        distance-dependent laws.
    """
    if springs not in SPRING_LAWS:
        raise ValueError(f"springs must be one of {SPRING_LAWS}, got {springs!r}")
    if springs != UNIFORM:
        return None
    return GNM_CUTOFF if model == "gnm" else ANM_CUTOFF


def hinsen_constants(r: np.ndarray) -> np.ndarray:
    """Hinsen's C-alpha force constants (kJ mol^-1 A^-2) at distances ``r`` (A).

    Parameters
    ----------
    r : ndarray, shape (p,), float64
        Distances in angstrom.

    Returns
    -------
    ndarray, shape (p,), float64

    Examples
    --------
    >>> hinsen_constants(np.array([3.8, 10.0]))
    array([878.  ,   1.28])
    """
    r = np.maximum(np.asarray(r, dtype=np.float64), HINSEN_RMIN)
    near = HINSEN_SLOPE * r - HINSEN_INTERCEPT
    with np.errstate(over="ignore"):
        far = HINSEN_AMPLITUDE / r**6
    return np.where(r < HINSEN_SWITCH, near, far)


def spring_constants(
    dist2: np.ndarray, *, springs: str = UNIFORM, gamma: float = DEFAULT_GAMMA
) -> np.ndarray:
    """Spring constant of each pair from its squared distance.

    Parameters
    ----------
    dist2 : ndarray, shape (p,), float64
        Squared distances (A^2), > 0.
    springs : {"uniform", "pf", "hinsen"}
        The law (see the module's description).
    gamma : float
        Scale of every constant.

    Returns
    -------
    ndarray, shape (p,), float64
    """
    dist2 = np.asarray(dist2, dtype=np.float64)
    if springs == UNIFORM:
        return np.full(dist2.shape, float(gamma))
    if springs == PARAMETER_FREE:
        return gamma / dist2
    if springs == HINSEN:
        return gamma * hinsen_constants(np.sqrt(dist2))
    raise ValueError(f"springs must be one of {SPRING_LAWS}, got {springs!r}")
