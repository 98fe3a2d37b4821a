"""GNM and the spring laws against ProDy (golden files and live), a naive loop, and their invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from enmspec import AnalysisSettings, FloppyNetworkError, gnm_kirchhoff, inverse_spectrum, network_matrix
from enmspec.springs import GNM_CUTOFF, hinsen_constants
from tests.golden import calpha, golden_npz, kirchhoff_golden

ENTRIES = ["19HC", "1A28", "1HVR", "1PWC", "3HSY", "4E43"]
EVERY_PAIR = None


def bio3d_calpha(r: float) -> float:
    """Hinsen et al. (2000), Chem. Phys. 261:25: the C-alpha force field in kJ mol^-1 nm^-2 (r in nm).

    Then per A^2, with bio3d's floor of 2.9 A on r. Written independently of enmspec.springs.
    """
    r_nm = max(r, 2.9) / 10.0
    k_nm = 8.6e5 * r_nm - 2.39e5 if r_nm < 0.4 else 128.0 * r_nm**-6
    return k_nm / 100.0


@pytest.mark.parametrize("entry", ["1PWC", "3HSY"])
def test_kirchhoff_equals_prody(entry):
    coords = calpha(entry)["coords"]
    ours = gnm_kirchhoff(coords).toarray()
    ref = kirchhoff_golden(entry)
    assert np.array_equal(ours != 0, ref != 0)
    assert np.max(np.abs(ours - ref)) <= 1e-12 * np.max(np.abs(ref))


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("cutoff", [7.3, 9.0])
def test_gnm_spectrum_equals_prody(entry, cutoff):
    coords = calpha(entry)["coords"]
    w = golden_npz("prody_gnm_eigvals.npz")[f"{entry}_{cutoff:g}A"]
    spectrum = inverse_spectrum(coords, cutoff=cutoff, model="gnm", name=entry)
    assert spectrum.meta["n_zero"] == 1 and spectrum.meta["n_modes"] == len(coords) - 1
    assert spectrum.meta["enm_model"] == "gnm" and spectrum.meta["cutoff"] == cutoff
    expected = np.sort(1.0 / w[1:])[::-1]
    assert np.max(np.abs(1.0 / spectrum.values - 1.0 / expected)) <= 1e-12 * w[-1]


def test_gnm_default_cutoff_is_7_3():
    coords = calpha("1PWC")["coords"]
    assert GNM_CUTOFF == 7.3
    assert inverse_spectrum(coords, model="gnm").meta["cutoff"] == 7.3
    assert inverse_spectrum(coords).meta["cutoff"] == 9.0
    assert AnalysisSettings(model="gnm").cutoff == 7.3
    assert AnalysisSettings(model="gnm", cutoff=9).cutoff == 9.0
    assert AnalysisSettings(springs="pf").cutoff is None


def naive_kirchhoff(coords: np.ndarray, cutoff: float) -> np.ndarray:
    n = len(coords)
    k = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j and np.sum((coords[j] - coords[i]) ** 2) <= cutoff**2:
                k[i, j] = -1.0
                k[i, i] += 1.0
    return k


def test_kirchhoff_equals_naive_loop_and_invariants():
    rng = np.random.default_rng(1)
    coords = rng.uniform(0, 25, size=(80, 3))
    ours = gnm_kirchhoff(coords, cutoff=8.0)
    np.testing.assert_array_equal(ours.toarray(), naive_kirchhoff(coords, 8.0))
    # the dense assembly (what the dense eigensolver gets) holds the same numbers, for both models
    np.testing.assert_array_equal(network_matrix(coords, model="gnm", cutoff=8.0, dense=True), ours.toarray())
    anm = network_matrix(coords, model="anm", cutoff=8.0)
    np.testing.assert_array_equal(network_matrix(coords, model="anm", cutoff=8.0, dense=True), anm.toarray())
    moved = Rotation.from_euler("xyz", [10, 70, -30], degrees=True).apply(coords) + 40.0
    np.testing.assert_allclose(
        np.linalg.eigvalsh(gnm_kirchhoff(moved, cutoff=8.0).toarray()),
        np.linalg.eigvalsh(ours.toarray()),
        atol=1e-12,
    )


def test_gnm_one_zero_mode_per_component():
    coords = calpha("1PWC")["coords"]
    twin = np.vstack([coords, coords + [400.0, 0, 0], coords - [400.0, 0, 0]])
    with pytest.raises(FloppyNetworkError, match="3 zero modes .1 expected") as info:
        inverse_spectrum(twin, model="gnm", name="three")
    assert info.value.n_zero == 3 and info.value.expected == 1
    kept = inverse_spectrum(twin, model="gnm", allow_floppy=True, top=30)
    assert kept.meta["n_zero"] == 3
    single = inverse_spectrum(coords, model="gnm", top=10)
    np.testing.assert_allclose(kept.values[::3], single.values, rtol=1e-9)


def test_gnm_isolated_residue():
    coords = np.vstack([calpha("1PWC")["coords"], [[500.0, 500.0, 500.0]]])
    with pytest.raises(FloppyNetworkError, match=r"1 residue.*\(2 zero modes, 1 expected\)"):
        inverse_spectrum(coords, model="gnm")


@pytest.mark.parametrize("entry", ENTRIES)
def test_pf_anm_equals_prody(entry):
    """Parameter-free ANM (k = 1/r^2, every pair) against ProDy with gamma(dist2) = 1/dist2."""
    coords = calpha(entry)["coords"]
    w = golden_npz("prody_anm_pf_eigvals.npz")[entry]
    spectrum = inverse_spectrum(coords, springs="pf", name=entry)
    assert spectrum.meta["cutoff"] is None and spectrum.meta["n_zero"] == 6
    assert spectrum.meta["solver"] == "dense"
    np.testing.assert_allclose(1.0 / spectrum.values, np.sort(w[6:]), rtol=0, atol=1e-10 * w[-1])


@pytest.mark.parametrize("entry", ENTRIES)
def test_pf_gnm_equals_prody(entry):
    coords = calpha(entry)["coords"]
    w = golden_npz("prody_gnm_eigvals.npz")[f"{entry}_pf"]
    spectrum = inverse_spectrum(coords, model="gnm", springs="pf", name=entry)
    np.testing.assert_allclose(1.0 / spectrum.values, np.sort(w[1:]), rtol=0, atol=1e-10 * w[-1])


@pytest.mark.parametrize("entry", ENTRIES)
def test_hinsen_anm_equals_prody(entry):
    """Hinsen's C-alpha force field against ProDy with bio3d's formula as its gamma function."""
    coords = calpha(entry)["coords"]
    w = golden_npz("prody_anm_hinsen_eigvals.npz")[entry]
    spectrum = inverse_spectrum(coords, springs="hinsen", name=entry)
    np.testing.assert_allclose(1.0 / spectrum.values, np.sort(w[6:]), rtol=0, atol=1e-10 * w[-1])


def test_hinsen_hessian_blocks_equal_prody():
    coords = calpha("1PWC")["coords"]
    golden = golden_npz("prody_anm_hinsen_hessian_diagonal_blocks_1pwc.npz")
    h = network_matrix(coords, springs="hinsen", cutoff=None).toarray()
    n = len(coords)
    ours = np.stack([h[3 * i : 3 * i + 3, 3 * i : 3 * i + 3] for i in range(n)])
    scale = np.max(np.abs(golden["blocks"]))
    assert np.max(np.abs(ours - golden["blocks"])) <= 1e-10 * scale
    assert np.max(np.abs(h[:3, 3:] - golden["offdiag"])) <= 1e-10 * scale


def test_hinsen_constants_against_the_paper():
    """The published numbers: 8.6e5 * 0.38 - 2.39e5 kJ/mol/nm^2 at 3.8 A; 128 nm^4 / (1 nm)^6 at 10 A."""
    r = np.array([2.0, 2.9, 3.8, 3.99, 4.0, 6.0, 10.0])
    expected = np.array([bio3d_calpha(x) for x in r])
    np.testing.assert_allclose(hinsen_constants(r), expected, rtol=1e-14)
    assert hinsen_constants(np.array([3.8]))[0] == pytest.approx((8.6e5 * 0.38 - 2.39e5) / 100)
    assert hinsen_constants(np.array([10.0]))[0] == pytest.approx(128.0 / 1.0**6 / 100)  # r = 1 nm


def test_hinsen_live_prody_on_a_random_cloud():
    """ProDy itself with the independent formula, where no golden file is (a random cloud)."""
    prody = pytest.importorskip("prody")
    prody.confProDy(verbosity="none")
    rng = np.random.default_rng(3)
    coords = np.cumsum(rng.normal(0, 2.2, size=(60, 3)), axis=0)

    def gamma(dist2, i, j):
        return bio3d_calpha(math.sqrt(dist2))

    anm = prody.ANM()
    anm.buildHessian(coords, cutoff=1000.0, gamma=gamma)
    ref = anm.getHessian()
    ours = network_matrix(coords, springs="hinsen", cutoff=None).toarray()
    assert np.max(np.abs(ours - ref)) <= 1e-10 * np.max(np.abs(ref))


def test_spring_law_with_a_cutoff_drops_far_pairs():
    coords = calpha("1PWC")["coords"]
    full = network_matrix(coords, springs="pf", cutoff=None).toarray()
    cut = network_matrix(coords, springs="pf", cutoff=12.0).toarray()
    d2 = np.sum((coords[:, None] - coords[None]) ** 2, axis=-1)
    far = np.repeat(np.repeat(d2 > 144.0, 3, axis=0), 3, axis=1)
    assert np.all(cut[far] == 0) and np.any(full[far] != 0)
    near = ~far & ~np.kron(np.eye(len(coords), dtype=bool), np.ones((3, 3), dtype=bool))
    np.testing.assert_array_equal(cut[near], full[near])


def test_bad_model_and_springs():
    coords = calpha("1PWC")["coords"]
    with pytest.raises(ValueError, match="model"):
        inverse_spectrum(coords, model="tnm")
    with pytest.raises(ValueError, match="springs"):
        inverse_spectrum(coords, springs="hooke")
    with pytest.raises(ValueError, match="distance-dependent"):
        inverse_spectrum(coords, cutoff=None)
    with pytest.raises(ValueError, match="model"):
        AnalysisSettings(model="xnm")


@pytest.mark.parametrize("entry", ENTRIES)
def test_dense_uniform_kirchhoff_equals_the_pair_assembly(entry):
    """The dense GNM assembly from every distance holds the pair path's numbers: the same contacts
    (decided on the same squared distances) and degrees, exactly for gamma 1."""
    from enmspec.hessian import contact_pairs, dense_uniform_kirchhoff, gnm_from_pairs

    coords = calpha(entry)["coords"]
    for cutoff, gamma in ((7.3, 1.0), (9.0, 1.0), (7.3, 0.3)):
        pairs, _ = contact_pairs(coords, cutoff=cutoff)
        ref = gnm_from_pairs(len(coords), pairs, np.full(len(pairs), gamma), dense=True)
        ours = dense_uniform_kirchhoff(coords, cutoff, gamma)
        assert np.array_equal(ours != 0, ref != 0)
        if gamma == 1.0:
            assert np.array_equal(ours, ref)
        else:  # degrees: gamma times the count against a sum of gammas
            np.testing.assert_allclose(ours, ref, rtol=1e-14, atol=0)


def test_dense_uniform_kirchhoff_ties_coincident_nodes_and_size_limit(monkeypatch):
    import enmspec.hessian as hessian

    rng = np.random.default_rng(3)
    coords = np.round(rng.uniform(0, 30, size=(120, 3)), 3)
    coords[1] = coords[0] + [7.3, 0.0, 0.0]  # exactly at the GNM cutoff: a spring, in both paths
    coords[2] = coords[0] + [0.0, 4.2, 6.0]  # 7.3237... : none
    dense = hessian.dense_uniform_kirchhoff(coords, 7.3, 1.0)
    assert dense[0, 1] == -1.0 and dense[0, 2] == 0.0
    np.testing.assert_array_equal(dense, naive_kirchhoff(coords, 7.3))
    np.testing.assert_array_equal(network_matrix(coords, model="gnm", cutoff=7.3, dense=True), dense)
    # the squared distances every search decides on are pdist's, to the bit
    from scipy.spatial.distance import pdist

    i, j = np.triu_indices(len(coords), k=1)
    assert np.array_equal(hessian.squared_lengths(coords[j] - coords[i]), pdist(coords, "sqeuclidean"))
    twin = coords.copy()
    twin[7] = twin[3]
    with pytest.raises(ValueError, match="nodes 3 and 7 coincide"):
        network_matrix(twin, model="gnm", cutoff=7.3, dense=True)
    with pytest.raises(ValueError, match="nodes 3 and 7 coincide"):
        network_matrix(twin, model="gnm", cutoff=7.3)
    # above DENSE_KIRCHHOFF_MAX_NODES, and with weights or other springs, the pair path assembles it
    called = []
    monkeypatch.setattr(hessian, "dense_uniform_kirchhoff", lambda *a: called.append(a))
    weighted = network_matrix(coords[:20], model="gnm", cutoff=7.3, dense=True, weights=np.ones(20))
    np.testing.assert_array_equal(weighted, naive_kirchhoff(coords[:20], 7.3))
    assert not called
    monkeypatch.setattr(hessian, "DENSE_KIRCHHOFF_MAX_NODES", 100)
    np.testing.assert_array_equal(network_matrix(coords, model="gnm", cutoff=7.3, dense=True), dense)
    assert not called
