"""The Anisotropic Network Model Hessian, vectorised."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

DEFAULT_CUTOFF = 9.0
DEFAULT_GAMMA = 1.0


def _check_coords(coords) -> np.ndarray:
    xyz = np.asarray(coords, dtype=np.float64)
    if xyz.ndim != 2 or xyz.shape[1] != 3:
        raise ValueError(f"coords: expected shape (n, 3), got {xyz.shape}")
    if not np.isfinite(xyz).all():
        row = int(np.flatnonzero(~np.isfinite(xyz).all(axis=1))[0])
        raise ValueError(f"coords: NaN or inf coordinates (first at row {row})")
    return xyz


def contact_pairs(coords, *, cutoff: float = DEFAULT_CUTOFF) -> tuple[np.ndarray, np.ndarray]:
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


def anm_hessian(coords, *, cutoff: float = DEFAULT_CUTOFF, gamma: float = DEFAULT_GAMMA) -> sp.csr_matrix:
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
    blocks = -(gamma / dist2)[:, None, None] * d[:, :, None] * d[:, None, :]  # (p, 3, 3)

    base = np.arange(3)
    ri = 3 * i[:, None] + base  # (p, 3) rows of node i
    rj = 3 * j[:, None] + base
    shape = blocks.shape

    def grid(r: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (np.broadcast_to(r[:, :, None], shape).ravel(), np.broadcast_to(c[:, None, :], shape).ravel())

    parts = [grid(ri, rj), grid(rj, ri), grid(ri, ri), grid(rj, rj)]
    rows = np.concatenate([p[0] for p in parts])
    cols = np.concatenate([p[1] for p in parts])
    flat = blocks.ravel()
    # Block (j, i) is the transpose of (i, j); every block d d^T is symmetric, so the same data serves.
    data = np.concatenate([flat, flat, -flat, -flat])
    hessian = sp.coo_matrix((data, (rows, cols)), shape=(3 * n, 3 * n)).tocsr()
    hessian.sum_duplicates()
    # Diagonal blocks are sums whose order differs between (a, b) and (b, a); average them
    # so that H is symmetric to the last bit, as the symmetric solvers assume.
    return ((hessian + hessian.T) * 0.5).tocsr()
