"""pLDDT options: dropping low-confidence residues and confidence-weighted springs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from enmspec import example_structures, inverse_spectrum
from enmspec.cli import main
from enmspec.confidence import drop_low_plddt, plddt_weights
from enmspec.errors import StructureError
from enmspec.hessian import anm_hessian
from enmspec.spectrum import AnalysisSettings, analyze_structure
from enmspec.structure import load_structure

AFDB_FILE = Path(__file__).resolve().parents[1] / "data" / "afdb_format_P15555_from_1pwc.cif"


def naive_weighted_hessian(
    coords: np.ndarray, weights: np.ndarray, cutoff: float, gamma: float
) -> np.ndarray:
    """The ANM Hessian with k_ij = gamma * w_i * w_j, by a double loop over pairs (the oracle)."""
    n = len(coords)
    h = np.zeros((3 * n, 3 * n))
    for i in range(n):
        for j in range(i + 1, n):
            d = coords[j] - coords[i]
            r2 = float(d @ d)
            if r2 > cutoff * cutoff:
                continue
            block = -gamma * weights[i] * weights[j] / r2 * np.outer(d, d)
            h[3 * i : 3 * i + 3, 3 * j : 3 * j + 3] = block
            h[3 * j : 3 * j + 3, 3 * i : 3 * i + 3] = block
            h[3 * i : 3 * i + 3, 3 * i : 3 * i + 3] -= block
            h[3 * j : 3 * j + 3, 3 * j : 3 * j + 3] -= block
    return h


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weighted_hessian_against_the_double_loop(seed):
    rng = np.random.default_rng(seed)
    coords = rng.uniform(0, 15, size=(40, 3))
    weights = rng.uniform(0.2, 1.0, size=40)
    fast = anm_hessian(coords, cutoff=9.0, gamma=0.7, weights=weights).toarray()
    np.testing.assert_allclose(
        fast, naive_weighted_hessian(coords, weights, 9.0, 0.7), rtol=1e-12, atol=1e-14
    )
    np.testing.assert_array_equal(fast, fast.T)


def test_unit_weights_change_nothing_and_a_constant_scales_by_its_square():
    coords = load_structure(example_structures()["1PWC"]).coords
    plain = anm_hessian(coords).toarray()
    np.testing.assert_array_equal(anm_hessian(coords, weights=np.ones(len(coords))).toarray(), plain)
    np.testing.assert_allclose(anm_hessian(coords, weights=np.full(len(coords), 0.5)).toarray(), 0.25 * plain)


@pytest.mark.parametrize("bad", [np.ones(3), np.array([1.0, 0.0, 1.0, 1.0]), np.array([1, np.nan, 1, 1])])
def test_bad_weights(bad):
    coords = np.array([[0.0, 0, 0], [3.8, 0, 0], [0, 3.8, 0], [0, 0, 3.8]])
    with pytest.raises(ValueError, match="weights"):
        anm_hessian(coords, weights=bad)


def test_plddt_weights_spectrum_against_the_oracle():
    """inverse_spectrum with pLDDT weights = eigvalsh of the double-loop Hessian of the same model."""
    model = load_structure(AFDB_FILE)
    w = plddt_weights(model)
    np.testing.assert_allclose(w, model.plddt / 100)
    spectrum = inverse_spectrum(model, weights=w, solver="dense")
    eig = np.linalg.eigvalsh(naive_weighted_hessian(model.coords, w, 9.0, 1.0))
    expected = np.sort(1.0 / eig[6:])[::-1]
    np.testing.assert_allclose(spectrum.values, expected, rtol=1e-9)
    assert spectrum.meta["spring_weights"] is True


def test_drop_low_plddt_counts_and_keeps_order():
    model = load_structure(AFDB_FILE)
    kept, dropped = drop_low_plddt(model, 70)
    assert dropped == int(np.sum(model.plddt < 70)) == 14
    assert len(kept) == 331 and (kept.plddt >= 70).all()
    np.testing.assert_array_equal(kept.coords, model.coords[model.plddt >= 70])


def test_experimental_entry_has_no_plddt():
    with pytest.raises(StructureError, match="--min-plddt needs a predicted model"):
        analyze_structure(example_structures()["1PWC"], AnalysisSettings(min_plddt=70))


def test_analysis_records_what_was_dropped():
    _, spectrum, fit = analyze_structure(AFDB_FILE, AnalysisSettings(min_plddt=70, plddt_weights=True))
    meta = spectrum.meta
    assert (meta["min_plddt"], meta["n_low_plddt"], meta["plddt_weights"]) == (70.0, 14, True)
    assert meta["n_residues"] == 331 and meta["structure_type"] == "predicted"
    plddt = load_structure(AFDB_FILE).plddt
    assert meta["plddt_mean"] == pytest.approx(float(np.mean(plddt[plddt >= 70])), abs=1e-4)
    # the same model unfiltered and unweighted is the 1PWC crystal's C-alpha trace: the same spectrum
    _, same, _ = analyze_structure(AFDB_FILE)
    _, crystal, _ = analyze_structure(example_structures()["1PWC"])
    np.testing.assert_allclose(same.values, crystal.values, rtol=1e-12)


@pytest.mark.parametrize("value", ["-1", "101", "nan"])
def test_min_plddt_out_of_range_is_a_usage_error(value, capsys):
    assert main(["spectrum", str(AFDB_FILE), f"--min-plddt={value}"]) == 2
    assert "min_plddt" in capsys.readouterr().err


def test_cli_spectrum_on_a_model(capsys):
    assert main(["spectrum", str(AFDB_FILE), "--min-plddt", "70", "--plddt-weights", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"n_residues": 331' in out
