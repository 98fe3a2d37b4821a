"""Normal modes, mean-square fluctuations and NMD files against ProDy (golden files of make_golden.py)."""

from __future__ import annotations

import numpy as np
import pytest

from enmspec import (
    FloppyNetworkError,
    bfactor_correlation,
    example_structures,
    load_structure,
    softest_modes,
    sq_fluctuations,
    write_nmd,
)
from enmspec.hessian import network_matrix
from enmspec.modes import DENSE_MODES_MAX, _eigenpairs
from tests.golden import GOLDEN, calpha, golden_npz

ENTRIES = ["19HC", "1A28", "1HVR", "1PWC", "3HSY", "4E43"]
MODELS = [("anm_9A", "anm", 9.0), ("gnm_7.3A", "gnm", 7.3)]


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("key,model,cutoff", MODELS)
def test_sq_fluctuations_equal_prody(entry, key, model, cutoff):
    coords = calpha(entry)["coords"]
    golden = golden_npz("prody_sqflucts.npz")
    ref_all = golden[f"{entry}_{key}_all"]
    ours = sq_fluctuations(coords, model=model, cutoff=cutoff)
    assert np.max(np.abs(ours - ref_all)) <= 1e-8 * np.max(ref_all)
    ref_20 = golden[f"{entry}_{key}_20"]
    ours_20 = sq_fluctuations(coords, model=model, cutoff=cutoff, n_modes=20)
    assert np.max(np.abs(ours_20 - ref_20)) <= 1e-8 * np.max(ref_20)


def test_sq_fluctuations_is_the_pseudo_inverse_diagonal():
    """An independent route: the diagonal of numpy's pseudo-inverse of the Kirchhoff matrix."""
    coords = calpha("1HVR")["coords"]
    kirchhoff = network_matrix(coords, model="gnm", cutoff=7.3).toarray()
    np.testing.assert_allclose(
        sq_fluctuations(coords, model="gnm"), np.diag(np.linalg.pinv(kirchhoff, hermitian=True)), rtol=1e-9
    )


@pytest.mark.parametrize("key,model,cutoff", MODELS)
def test_softest_modes_equal_prody(key, model, cutoff):
    coords = calpha("1PWC")["coords"]
    golden = golden_npz("prody_sqflucts.npz")
    modes = softest_modes(coords, 10, model=model, cutoff=cutoff)
    np.testing.assert_allclose(modes.eigenvalues, golden[f"1PWC_{key}_eigvals10"], rtol=1e-10)
    ref = golden[f"1PWC_{key}_eigvecs10"]
    overlap = np.abs(np.sum(modes.vectors * ref, axis=0))  # the same vectors up to sign
    np.testing.assert_allclose(overlap, 1.0, atol=1e-8)


def test_lanczos_path_equals_dense(monkeypatch):
    coords = calpha("3HSY")["coords"]
    matrix = network_matrix(coords, model="anm", cutoff=9.0)
    w_dense, v_dense, _ = _eigenpairs(matrix, None, 6, 0)
    monkeypatch.setattr("enmspec.modes.DENSE_MODES_MAX", 100)
    assert DENSE_MODES_MAX > 100
    w, v, lambda_max = _eigenpairs(matrix, 12, 6, 0)
    np.testing.assert_allclose(w[6:18], w_dense[6:18], rtol=1e-10)
    assert lambda_max == pytest.approx(w_dense[-1], rel=1e-6)
    overlap = np.abs(np.sum(v[:, 6:18] * v_dense[:, 6:18], axis=0))
    np.testing.assert_allclose(overlap, 1.0, atol=1e-6)


def test_floppy_network_refused():
    coords = calpha("1PWC")["coords"]
    with pytest.raises(FloppyNetworkError):
        sq_fluctuations(np.vstack([coords, coords + 300.0]), model="gnm")


@pytest.mark.parametrize("model", ["anm", "gnm"])
def test_bfactor_correlation_on_shipped_entries(model):
    """The usual check of an elastic network: r of 0.5-0.6 against X-ray B-factors, here recomputed."""
    structure = load_structure(example_structures()["1PWC"])
    msf = sq_fluctuations(structure, model=model)
    r = bfactor_correlation(msf, structure.b_factors)
    b = structure.b_factors
    expected = np.sum((msf - msf.mean()) * (b - b.mean())) / np.sqrt(
        np.sum((msf - msf.mean()) ** 2) * np.sum((b - b.mean()) ** 2)
    )
    assert r == pytest.approx(expected, rel=1e-12)
    assert 0.3 < r < 0.9
    assert bfactor_correlation(msf, np.full_like(msf, 20.0)) is None
    assert bfactor_correlation(msf, None) is None


def parse_nmd(text: str) -> dict[str, list[str]]:
    return {
        line.split(" ", 1)[0] + (line.split()[1] if line.startswith("mode") else ""): line.split()[1:]
        for line in text.splitlines()
    }


def test_nmd_equals_prody(tmp_path):
    """ProDy's writeNMD output for 1PWC's three softest ANM modes, line by line (signs may differ)."""
    structure = load_structure(example_structures()["1PWC"])  # 1PWC: ProDy's coordinates are ours exactly
    modes = softest_modes(structure, 3, model="anm", cutoff=9.0)
    ours = parse_nmd(write_nmd(tmp_path / "1pwc.nmd", structure, modes).read_text())
    ref = parse_nmd((GOLDEN / "prody_anm_9A_modes3_1pwc.nmd").read_text())
    for key in ("name", "atomnames", "resnames", "resids", "chainids", "bfactors", "coordinates"):
        assert ours[key] == ref[key], key
    for index in ("1", "2", "3"):
        assert ours[f"mode{index}"][:2] == ref[f"mode{index}"][:2]
        a = np.array(ours[f"mode{index}"][2:], dtype=float)
        b = np.array(ref[f"mode{index}"][2:], dtype=float)
        sign = np.sign(a @ b)
        assert np.max(np.abs(a - sign * b)) <= 0.0011  # written to 3 decimals
