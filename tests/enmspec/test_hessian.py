"""anm_hessian against ProDy's Hessians (golden files), a naive double loop and the ANM invariants."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from enmspec import anm_hessian, contact_pairs, load_structure
from tests.golden import calpha, dense_from_blocks, hessian_blocks


def assert_equals_prody(ours, golden: dict[str, np.ndarray]) -> None:
    """Ours, all of it (no symmetrising), against ProDy's blocks: same nonzero blocks, same values."""
    n = int(golden["n"])
    dense = ours.toarray()
    assert dense.shape == (3 * n, 3 * n)
    nonzero = np.any(dense.reshape(n, 3, n, 3) != 0.0, axis=(1, 3))
    expected = np.zeros((n, n), dtype=bool)
    expected[golden["i"], golden["j"]] = expected[golden["j"], golden["i"]] = True
    assert np.array_equal(nonzero, expected)  # the same contacts, no block more or less
    ref = dense_from_blocks(golden)
    assert np.max(np.abs(dense - ref)) <= 1e-12 * np.max(np.abs(ref))


@pytest.mark.parametrize("cutoff,gamma", [(9.0, 1.0), (7.5, 1.0), (12.0, 0.5)])
def test_equals_prody(cutoff, gamma):
    coords = calpha("1PWC")["coords"]
    assert_equals_prody(
        anm_hessian(coords, cutoff=cutoff, gamma=gamma), hessian_blocks("1PWC", cutoff, gamma)
    )


def test_equals_prody_multichain():
    coords = calpha("3HSY")["coords"]
    assert_equals_prody(anm_hessian(coords), hessian_blocks("3HSY", 9.0, 1.0))


def test_equals_prody_live():
    """ProDy itself, where no golden file is: 1A28 at another cutoff and gamma."""
    prody = pytest.importorskip("prody")
    prody.confProDy(verbosity="none")
    coords = calpha("1A28")["coords"]
    anm = prody.ANM()
    anm.buildHessian(coords, cutoff=10.5, gamma=2.0)
    ref = anm.getHessian()
    ours = anm_hessian(coords, cutoff=10.5, gamma=2.0).toarray()
    assert np.max(np.abs(ours - ref)) <= 1e-12 * np.max(np.abs(ref))


def naive_hessian(coords: np.ndarray, cutoff: float, gamma: float) -> np.ndarray:
    """The textbook double loop over every ordered pair, as an independent oracle (no mirroring)."""
    n = len(coords)
    h = np.zeros((3 * n, 3 * n))
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            d = coords[j] - coords[i]
            s2 = d @ d
            if s2 <= cutoff**2:
                block = -gamma / s2 * np.outer(d, d)
                h[3 * i : 3 * i + 3, 3 * j : 3 * j + 3] = block
                h[3 * i : 3 * i + 3, 3 * i : 3 * i + 3] -= block
    return h


@pytest.mark.parametrize("cutoff,gamma", [(7.0, 1.0), (11.0, 0.3)])
def test_equals_naive_loop_on_random_cloud(cutoff, gamma):
    rng = np.random.default_rng(0)
    coords = rng.uniform(0, 20, size=(60, 3))
    ours = anm_hessian(coords, cutoff=cutoff, gamma=gamma).toarray()
    np.testing.assert_allclose(ours, naive_hessian(coords, cutoff, gamma), rtol=0, atol=1e-13)


def test_invariants(pdb_1pwc):
    coords = load_structure(pdb_1pwc).coords
    h = anm_hessian(coords)
    dense = h.toarray()
    assert h.shape == (3 * len(coords), 3 * len(coords))
    assert abs(h - h.T).max() == 0
    assert np.max(np.abs(dense.sum(axis=1))) < 1e-12 * np.max(np.abs(dense))
    w = np.linalg.eigvalsh(dense)
    assert np.sum(w < 1e-9 * w[-1]) == 6
    assert w[0] > -1e-12 * w[-1]
    # Rigid motions leave the spectrum unchanged.
    moved = Rotation.from_euler("zyx", [30, -50, 110], degrees=True).apply(coords) + [5.0, -3.0, 100.0]
    np.testing.assert_allclose(np.linalg.eigvalsh(anm_hessian(moved).toarray())[6:], w[6:], rtol=1e-9)


def test_cutoff_is_inclusive():
    coords = np.array([[0.0, 0.0, 0.0], [9.0, 0.0, 0.0], [0.0, 9.0 + 1e-9, 0.0]])
    pairs, dist2 = contact_pairs(coords, cutoff=9.0)
    assert pairs.tolist() == [[0, 1]]
    assert dist2.tolist() == [81.0]


@pytest.mark.parametrize("n_nodes", [3, 700])
def test_every_pair_search_and_tree_search_agree(monkeypatch, n_nodes):
    """Both contact searches (every pair up to PDIST_MAX_NODES, KD-tree above) give the same pairs,
    sorted, with ties at the cutoff kept by both, and none against a naive double loop."""
    import enmspec.hessian as hessian

    rng = np.random.default_rng(7)
    xyz = np.round(rng.uniform(0, 3 * n_nodes ** (1 / 3) * 2.5, size=(n_nodes, 3)), 1)
    xyz[1] = xyz[0] + [9.0, 0.0, 0.0]  # a pair exactly at the cutoff
    found = {}
    for limit in (10**6, 0):  # every pair; KD-tree
        monkeypatch.setattr(hessian, "PDIST_MAX_NODES", limit)
        found[limit] = contact_pairs(xyz, cutoff=9.0)
    (p_all, d_all), (p_tree, d_tree) = found.values()
    assert np.array_equal(p_all, p_tree) and np.array_equal(d_all, d_tree)
    d2 = ((xyz[:, None, :] - xyz[None, :, :]) ** 2).sum(-1)
    i, j = np.nonzero(np.triu(d2 <= 81.0, k=1))
    assert p_all.tolist() == np.stack([i, j], axis=1).tolist()
    assert [0, 1] in p_all.tolist()


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        anm_hessian(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="NaN"):
        anm_hessian([[0, 0, 0], [np.nan, 1, 1]])
    with pytest.raises(ValueError, match="gamma"):
        anm_hessian(np.eye(3), gamma=-1.0)
    with pytest.raises(ValueError, match="cutoff"):
        anm_hessian(np.eye(3), cutoff=0.0)
    with pytest.raises(ValueError, match="coincide"):
        anm_hessian([[0, 0, 0], [0, 0, 0], [1, 0, 0]])
