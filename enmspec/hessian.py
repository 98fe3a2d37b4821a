"""The Anisotropic Network Model Hessian, vectorised."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

DEFAULT_CUTOFF = 9.0
DEFAULT_GAMMA = 1.0


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
    xyz = _check_coords(coords)
    if not cutoff > 0:
        raise ValueError(f"cutoff must be > 0, got {cutoff!r}")
    # Search a hair wider, then apply ProDy's exact test dist2 <= cutoff**2.
    pairs = cKDTree(xyz).query_pairs(cutoff * (1 + 1e-9), output_type="ndarray").astype(np.int64)
    if pairs.size == 0:
        return np.empty((0, 2), dtype=np.int64), np.empty(0)
    d = xyz[pairs[:, 1]] - xyz[pairs[:, 0]]
    dist2 = np.einsum("ij,ij->i", d, d)
    keep = dist2 <= cutoff * cutoff
    pairs, dist2 = pairs[keep], dist2[keep]
    order = np.lexsort((pairs[:, 1], pairs[:, 0]))
    return pairs[order], dist2[order]


def anm_hessian(
    coords: np.ndarray,
    *,
    cutoff: float = DEFAULT_CUTOFF,
    gamma: float = DEFAULT_GAMMA,
    weights: np.ndarray | None = None,
) -> sp.csr_matrix:
    """ANM Hessian of a set of nodes joined by equal springs within ``cutoff``.

    Off-diagonal block ``H_ij = -gamma / s_ij^2 * d_ij d_ij^T`` (``d_ij = r_j - r_i``)
    for ``s_ij <= cutoff``; diagonal block ``H_ii = -sum_{j != i} H_ij``.

    Parameters
    ----------
    coords : ndarray, shape (n, 3), float64
        Node positions in angstrom (C-alpha atoms).
    cutoff : float
        Spring cutoff in angstrom.
    gamma : float
        Spring constant (> 0).
    weights : ndarray, shape (n,), float64, optional
        Per-node weights ``w_i > 0``: the spring between ``i`` and ``j`` is then
        ``gamma * w_i * w_j`` (with ``w = pLDDT / 100`` this is the confidence-weighted network
        of :func:`enmspec.confidence.plddt_weights`). Default: all springs ``gamma``.

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
    xyz = _check_coords(coords)
    if not (isinstance(gamma, (int, float, np.floating)) and gamma > 0):
        raise ValueError(f"gamma must be a positive number, got {gamma!r}")
    n = xyz.shape[0]
    pairs, dist2 = contact_pairs(xyz, cutoff=cutoff)
    if np.any(dist2 == 0):
        p = pairs[np.flatnonzero(dist2 == 0)[0]]
        raise ValueError(f"coords: nodes {p[0]} and {p[1]} coincide (distance 0)")
    i, j = pairs[:, 0], pairs[:, 1]
    d = xyz[j] - xyz[i]
    springs = gamma / dist2
    if weights is not None:
        w = _node_weights(weights, n)
        springs = springs * (w[i] * w[j])
    blocks = -springs[:, None, None] * (d[:, :, None] * d[:, None, :])  # (p, 3, 3), symmetric

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
