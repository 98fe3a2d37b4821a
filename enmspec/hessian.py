"""Elastic network matrices, vectorised: the ANM Hessian (3N x 3N) and the GNM Kirchhoff matrix (N x N).

Both are built from one list of node pairs and one spring constant per pair
(:mod:`enmspec.springs`: equal springs within a cutoff, the parameter-free ``1/r^2`` law, or
Hinsen's C-alpha force field), so every model and spring law shares the same pair search and
assembly.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist, pdist

from enmspec.springs import (
    ANM_CUTOFF,
    DEFAULT_GAMMA,
    GNM_CUTOFF,
    SPRING_LAWS,
    UNIFORM,
    default_cutoff,
    spring_constants,
)

#: The paper's ANM cutoff (angstrom).
DEFAULT_CUTOFF = ANM_CUTOFF
#: The two network models: anisotropic (3 coordinates a node) and Gaussian (1 a node).
MODELS = ("anm", "gnm")
#: Zero modes of a connected network: three translations and three rotations (ANM); the
#: uniform translation (GNM).
RIGID_BODY_MODES = {"anm": 6, "gnm": 1}

__all__ = [
    "DEFAULT_CUTOFF",
    "DEFAULT_GAMMA",
    "GNM_CUTOFF",
    "MODELS",
    "RIGID_BODY_MODES",
    "SPRING_LAWS",
    "all_pairs",
    "anm_hessian",
    "contact_pairs",
    "default_cutoff",
    "gnm_kirchhoff",
    "network_matrix",
]


def _check_coords(coords: np.ndarray) -> np.ndarray:
    xyz = np.asarray(coords, dtype=np.float64)
    if xyz.ndim != 2 or xyz.shape[1] != 3:
        raise ValueError(f"coords: expected shape (n, 3), got {xyz.shape}")
    if not np.isfinite(xyz).all():
        row = int(np.flatnonzero(~np.isfinite(xyz).all(axis=1))[0])
        raise ValueError(f"coords: NaN or inf coordinates (first at row {row})")
    return xyz


def _node_weights(weights: np.ndarray, n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or not (np.isfinite(w).all() and (w > 0).all()):
        raise ValueError(f"weights: expected {n} finite positive values, got shape {w.shape}")
    return w


def contact_pairs(coords: np.ndarray, *, cutoff: float = DEFAULT_CUTOFF) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of nodes closer than ``cutoff`` (inclusive), found with a KD-tree.

    Parameters
    ----------
    coords : ndarray, shape (n, 3), float64
    cutoff : float
        Distance in angstrom; a pair is kept when ``|r_j - r_i|^2 <= cutoff^2``.

    Returns
    -------
    pairs : ndarray, shape (p, 2), int64
        ``i < j``, sorted by ``i`` then ``j``.
    dist2 : ndarray, shape (p,), float64
        Squared distances.
    """
    return _contact_pairs(_check_coords(coords), cutoff)


def _contact_pairs(xyz: np.ndarray, cutoff: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`contact_pairs` on coordinates already checked."""
    if not cutoff > 0:
        raise ValueError(f"cutoff must be > 0, got {cutoff!r}")
    if xyz.shape[0] <= PDIST_MAX_NODES:
        return _pairs_within_all(xyz, cutoff)
    # Search a hair wider, then apply the exact test on the distances every search shares.
    pairs = _pairs_within_tree(xyz, cutoff * (1 + 1e-9))
    if pairs.size == 0:
        return np.empty((0, 2), dtype=np.int64), np.empty(0)
    dist2 = squared_lengths(xyz[pairs[:, 1]] - xyz[pairs[:, 0]])
    keep = dist2 <= cutoff * cutoff
    return pairs[keep], dist2[keep]


#: Up to this many nodes, :func:`contact_pairs` tests every pair (``pdist``) instead of searching
#: a KD-tree: 0.6x the time at 200 nodes, even near 600 (``bench/bench_dense_path.py``).
PDIST_MAX_NODES = 600
#: Up to this many nodes the dense GNM of equal springs is assembled from every distance
#: (:func:`dense_uniform_kirchhoff`): 0.86-0.94x the pair path's time at 200 nodes, 1.04-1.16x at
#: 345, 1.5-2x from 500 (``bench/bench_dense_path.py``, 2026-12-02).
DENSE_KIRCHHOFF_MAX_NODES = 300


def squared_lengths(d: np.ndarray) -> np.ndarray:
    """``(dx*dx + dy*dy) + dz*dz`` of each row of ``d``, shape (p, 3).

    Summed left to right, as ``pdist``/``cdist`` (``"sqeuclidean"``) and ProDy's
    ``(i2j * i2j).sum(1)`` do, so that every contact search and the dense assembly decide a pair
    at the cutoff alike, to the last bit (``einsum`` rounds a quarter of them differently).
    """
    return (d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]) + d[:, 2] * d[:, 2]


def _pairs_within_tree(xyz: np.ndarray, radius: float) -> np.ndarray:
    """Pairs ``i < j`` within ``radius`` by a KD-tree, sorted by ``i`` then ``j``."""
    pairs = cKDTree(xyz).query_pairs(radius, output_type="ndarray").astype(np.int64)
    if pairs.size == 0:
        return pairs.reshape(0, 2)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def _pairs_within_all(xyz: np.ndarray, cutoff: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``i < j`` within ``cutoff`` and their squared distances, from every distance.

    In ``pdist``'s order: by ``i``, then ``j``.
    """
    n = xyz.shape[0]
    condensed = pdist(xyz, "sqeuclidean")
    flat = np.flatnonzero(condensed <= cutoff * cutoff)
    rows = np.arange(n, dtype=np.int64)
    starts = rows * n - rows * (rows + 1) // 2  # condensed index of (i, i + 1)
    i = np.searchsorted(starts, flat, side="right") - 1
    return np.stack([i, flat - starts[i] + i + 1], axis=1), condensed[flat]


def all_pairs(coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of nodes ``i < j`` (the springs of a model without cutoff).

    Parameters
    ----------
    coords : ndarray, shape (n, 3), float64

    Returns
    -------
    pairs : ndarray, shape (n (n - 1) / 2, 2), int64
        ``i < j``, sorted by ``i`` then ``j``.
    dist2 : ndarray, shape (n (n - 1) / 2,), float64
        Squared distances.
    """
    xyz = _check_coords(coords)
    i, j = np.triu_indices(xyz.shape[0], k=1)
    return np.stack([i, j], axis=1).astype(np.int64), squared_lengths(xyz[j] - xyz[i])


def _network_pairs(xyz: np.ndarray, cutoff: float | None) -> tuple[np.ndarray, np.ndarray]:
    pairs, dist2 = all_pairs(xyz) if cutoff is None else _contact_pairs(xyz, cutoff)
    if np.any(dist2 == 0):
        p = pairs[np.flatnonzero(dist2 == 0)[0]]
        raise ValueError(f"coords: nodes {p[0]} and {p[1]} coincide (distance 0)")
    return pairs, dist2


def _check_gamma(gamma: float) -> None:
    if isinstance(gamma, bool) or not (isinstance(gamma, (int, float, np.floating)) and gamma > 0):
        raise ValueError(f"gamma must be a positive number, got {gamma!r}")


def anm_from_pairs(xyz: np.ndarray, pairs: np.ndarray, dist2: np.ndarray, k: np.ndarray) -> sp.csr_matrix:
    """ANM Hessian of springs ``k`` between ``pairs``: ``H_ij = -k_ij d_ij d_ij^T / s_ij^2``.

    Parameters
    ----------
    xyz : ndarray, shape (n, 3), float64
        Node positions.
    pairs : ndarray, shape (p, 2), int64
        ``i < j``, no duplicates.
    dist2 : ndarray, shape (p,), float64
        Squared distances of the pairs (> 0).
    k : ndarray, shape (p,), float64
        Spring constants.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (3n, 3n), float64
        Symmetric, rows summing to zero.
    """
    n = xyz.shape[0]
    i, j = pairs[:, 0], pairs[:, 1]
    d = xyz[j] - xyz[i]
    blocks = -(k / dist2)[:, None, None] * (d[:, :, None] * d[:, None, :])  # (p, 3, 3), symmetric

    # Diagonal blocks: minus the sum of the node's off-diagonal blocks. Each block d d^T is
    # symmetric and every element is summed in the same order, so H is exactly symmetric.
    diagonal = np.zeros((n, 3, 3))
    np.add.at(diagonal, i, -blocks)
    np.add.at(diagonal, j, -blocks)
    # Assemble block-sparse rows (3 x 3 blocks) without duplicates, then convert.
    block_rows = np.concatenate([i, j, np.arange(n)])
    block_cols = np.concatenate([j, i, np.arange(n)])
    data = np.concatenate([blocks, blocks, diagonal])
    order = np.lexsort((block_cols, block_rows))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(block_rows, minlength=n))])
    hessian = sp.bsr_matrix((data[order], block_cols[order], indptr), shape=(3 * n, 3 * n))
    hessian = hessian.tocsr()
    hessian.eliminate_zeros()
    return hessian


def gnm_from_pairs(
    n: int, pairs: np.ndarray, k: np.ndarray, *, dense: bool = False
) -> sp.csr_matrix | np.ndarray:
    """Kirchhoff matrix of springs ``k`` between ``pairs``: ``G_ij = -k_ij``, ``G_ii = sum_j k_ij``.

    Parameters
    ----------
    n : int
        Nodes.
    pairs : ndarray, shape (p, 2), int64
        ``i < j``, no duplicates.
    k : ndarray, shape (p,), float64
        Spring constants.
    dense : bool
        Return a dense array (the same numbers) instead of a sparse matrix: what the dense
        eigensolver takes, without the sparse assembly (a third of a small GNM's cost).

    Returns
    -------
    scipy.sparse.csr_matrix or ndarray, shape (n, n), float64
        Symmetric, rows summing to zero.
    """
    i, j = pairs[:, 0], pairs[:, 1]
    degree = np.bincount(i, weights=k, minlength=n) + np.bincount(j, weights=k, minlength=n)
    if dense:
        kirchhoff = np.zeros((n, n))
        kirchhoff[i, j] = -k
        kirchhoff[j, i] = -k
        kirchhoff[np.arange(n), np.arange(n)] = degree
        return kirchhoff
    rows = np.concatenate([i, j, np.arange(n)])
    cols = np.concatenate([j, i, np.arange(n)])
    data = np.concatenate([-k, -k, degree])
    kirchhoff = sp.csr_matrix((data, (rows, cols)), shape=(n, n))
    kirchhoff.eliminate_zeros()
    return kirchhoff


def dense_uniform_kirchhoff(xyz: np.ndarray, cutoff: float, gamma: float) -> np.ndarray:
    """The Kirchhoff matrix of equal springs ``gamma`` within ``cutoff``, dense, from every distance.

    The same matrix as :func:`gnm_from_pairs` on :func:`contact_pairs` (the same pairs, decided
    on the same squared distances; degrees ``gamma`` times the contact count), in a tenth of the
    array calls: the small GNM's fixed cost beside LAPACK (``bench/bench_models.py``).

    Parameters
    ----------
    xyz : ndarray, shape (n, 3), float64
        Checked node positions.
    cutoff : float
        Inclusive cutoff (> 0), angstrom.
    gamma : float
        Spring constant (> 0).

    Returns
    -------
    ndarray, shape (n, n), float64, C order

    Raises
    ------
    ValueError
        Two nodes coincide.
    """
    if not cutoff > 0:
        raise ValueError(f"cutoff must be > 0, got {cutoff!r}")
    n = xyz.shape[0]
    dist2 = cdist(xyz, xyz, "sqeuclidean")
    if np.count_nonzero(dist2 <= 0.0) > n:  # beyond the diagonal
        i, j = np.argwhere(np.triu(dist2 <= 0.0, k=1))[0]
        raise ValueError(f"coords: nodes {i} and {j} coincide (distance 0)")
    kirchhoff = (dist2 <= cutoff * cutoff).astype(np.float64)  # the diagonal too: set below
    degree = kirchhoff.sum(axis=0) - 1.0
    kirchhoff *= -gamma
    kirchhoff.flat[:: n + 1] = gamma * degree
    return kirchhoff


def network_matrix(
    coords: np.ndarray,
    *,
    model: str = "anm",
    springs: str = UNIFORM,
    cutoff: float | None = DEFAULT_CUTOFF,
    gamma: float = DEFAULT_GAMMA,
    weights: np.ndarray | None = None,
    dense: bool = False,
) -> sp.csr_matrix | np.ndarray:
    """The ANM Hessian or GNM Kirchhoff matrix of ``coords`` under a spring law.

    Parameters
    ----------
    coords : ndarray, shape (n, 3), float64
        Node positions in angstrom (C-alpha atoms).
    model : {"anm", "gnm"}
        Anisotropic (3n x 3n Hessian) or Gaussian (n x n Kirchhoff matrix) network.
    springs : {"uniform", "pf", "hinsen"}
        Spring law (:func:`enmspec.springs.spring_constants`).
    cutoff : float or None
        Springs only between nodes within ``cutoff`` angstrom (inclusive); None joins every pair
        (the parameter-free and Hinsen laws' own setting).
    gamma : float
        Scale of every spring constant (> 0).
    weights : ndarray, shape (n,), float64, optional
        Per-node weights ``w_i > 0``: the spring between ``i`` and ``j`` is then multiplied by
        ``w_i * w_j`` (with ``w = pLDDT / 100`` this is the confidence-weighted network of
        :func:`enmspec.confidence.plddt_weights`). Default: none.
    dense : bool
        Return a dense ndarray (the same numbers) for the dense eigensolver.

    Returns
    -------
    scipy.sparse.csr_matrix or ndarray, shape (3n, 3n) or (n, n), float64
        Symmetric, rows summing to zero.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    xyz = _check_coords(coords)
    _check_gamma(gamma)
    if (
        dense
        and model == "gnm"
        and springs == UNIFORM
        and weights is None
        and cutoff is not None
        and xyz.shape[0] <= DENSE_KIRCHHOFF_MAX_NODES
    ):
        return dense_uniform_kirchhoff(xyz, cutoff, gamma)
    pairs, dist2 = _network_pairs(xyz, cutoff)
    k = spring_constants(dist2, springs=springs, gamma=gamma)
    if weights is not None:
        w = _node_weights(weights, xyz.shape[0])
        k = k * (w[pairs[:, 0]] * w[pairs[:, 1]])
    if model == "gnm":
        return gnm_from_pairs(xyz.shape[0], pairs, k, dense=dense)
    hessian = anm_from_pairs(xyz, pairs, dist2, k)
    return hessian.toarray() if dense else hessian


def anm_hessian(
    coords: np.ndarray,
    *,
    cutoff: float | None = DEFAULT_CUTOFF,
    gamma: float = DEFAULT_GAMMA,
    springs: str = UNIFORM,
    weights: np.ndarray | None = None,
) -> sp.csr_matrix:
    """ANM Hessian of a set of nodes joined by springs within ``cutoff``.

    Off-diagonal block ``H_ij = -k_ij / s_ij^2 * d_ij d_ij^T`` (``d_ij = r_j - r_i``)
    for ``s_ij <= cutoff``, with ``k_ij = gamma`` for equal springs; diagonal block
    ``H_ii = -sum_{j != i} H_ij``.

    Parameters
    ----------
    coords : ndarray, shape (n, 3), float64
        Node positions in angstrom (C-alpha atoms).
    cutoff : float or None
        Spring cutoff in angstrom; None: every pair.
    gamma : float
        Spring constant (> 0), the scale of the spring law.
    springs : {"uniform", "pf", "hinsen"}
        Spring law (:func:`enmspec.springs.spring_constants`).
    weights : ndarray, shape (n,), float64, optional
        Per-node weights: springs times ``w_i * w_j`` (see :func:`network_matrix`).

    Returns
    -------
    scipy.sparse.csr_matrix, shape (3n, 3n), float64
        Symmetric, rows summing to zero; node ``i`` occupies rows ``3i:3i+3``.

    Examples
    --------
    >>> H = anm_hessian([[0.0, 0.0, 0.0], [3.8, 0.0, 0.0]])
    >>> H.toarray()[0, :4]
    array([ 1.,  0.,  0., -1.])
    """
    return network_matrix(coords, model="anm", springs=springs, cutoff=cutoff, gamma=gamma, weights=weights)


def gnm_kirchhoff(
    coords: np.ndarray,
    *,
    cutoff: float | None = GNM_CUTOFF,
    gamma: float = DEFAULT_GAMMA,
    springs: str = UNIFORM,
    weights: np.ndarray | None = None,
) -> sp.csr_matrix:
    """GNM Kirchhoff (connectivity) matrix: ``G_ij = -k_ij`` within ``cutoff``, ``G_ii = sum_j k_ij``.

    Parameters
    ----------
    coords : ndarray, shape (n, 3), float64
        Node positions in angstrom (C-alpha atoms).
    cutoff : float or None
        Spring cutoff in angstrom (inclusive), default :data:`GNM_CUTOFF` (7.3 A); None: every
        pair (the setting of the distance-dependent laws).
    gamma : float
        Spring constant (> 0).
    springs : {"uniform", "pf", "hinsen"}
        Spring law.
    weights : ndarray, shape (n,), float64, optional
        Per-node weights: springs times ``w_i * w_j`` (see :func:`network_matrix`).

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n, n), float64
        Symmetric, rows summing to zero; one zero eigenvalue per connected component.

    Examples
    --------
    >>> gnm_kirchhoff([[0.0, 0.0, 0.0], [3.8, 0.0, 0.0], [20.0, 0.0, 0.0]]).toarray()
    array([[ 1., -1.,  0.],
           [-1.,  1.,  0.],
           [ 0.,  0.,  0.]])
    """
    return network_matrix(coords, model="gnm", springs=springs, cutoff=cutoff, gamma=gamma, weights=weights)
