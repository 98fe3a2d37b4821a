"""inverse_spectrum: the paper's 4HHB numbers, ProDy + powerlaw on the shipped entries, zero modes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from compare import fit_power_law
from enmspec import (
    EnmspecError,
    FloppyNetworkError,
    StructureError,
    example_structures,
    inverse_spectrum,
    load_structure,
)
from tests.golden import calpha, eigenvalues, golden_json

PROTEIN_FITS = golden_json("powerlaw_fits_prody_anm_9A_top10pct.json")["entries"]


def prody_powerlaw_reference(coords: np.ndarray, k: int):
    """Independent path, live: ProDy's Hessian, numpy eigvalsh, powerlaw.Fit at x_min = x_K."""
    prody = pytest.importorskip("prody")
    powerlaw = pytest.importorskip("powerlaw")
    prody.confProDy(verbosity="none")
    anm = prody.ANM()
    anm.buildHessian(coords, cutoff=9.0, gamma=1.0)
    w = np.linalg.eigvalsh(anm.getHessian())
    inverse = np.sort(1.0 / w[6:])[::-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = powerlaw.Fit(inverse[:k], xmin=inverse[k - 1], verbose=False).power_law
    return inverse[:k], fit.alpha, fit.standard_err, fit.D


def test_4hhb_reproduces_table_11(pdb_4hhb):
    spectrum = inverse_spectrum(load_structure(pdb_4hhb), top=1000)
    fit = fit_power_law(spectrum.values)
    assert spectrum.meta["n_residues"] == 574
    assert spectrum.meta["n_modes"] == 1716
    assert spectrum.meta["n_zero"] == 6
    assert fit.k == 1000
    # Table 11 of the paper, to the printed digits.
    assert f"{fit.beta:.3f}" == "2.008"
    assert f"{fit.sigma:.3f}" == "0.032"
    assert f"{fit.d_ks:.4f}" == "0.0145"
    assert f"{fit.s:.3f}" == "0.992"
    assert f"{fit.d_c:.4f}" == "0.0430"
    assert fit.is_power_law


@pytest.mark.parametrize("solver", ["dense", "sliced"])
def test_4hhb_against_prody_and_powerlaw(pdb_4hhb, solver):
    """Live: 4HHB is in no golden file (the reference file stays outside the project)."""
    coords = load_structure(pdb_4hhb).coords
    ref_values, alpha, err, d = prody_powerlaw_reference(coords, 1000)
    spectrum = inverse_spectrum(coords, top=1000, solver=solver)
    np.testing.assert_allclose(spectrum.values, ref_values, rtol=1e-8)
    fit = fit_power_law(spectrum.values)
    assert fit.beta == pytest.approx(alpha, rel=1e-8)
    assert fit.sigma == pytest.approx(err, rel=1e-8)
    assert fit.d_ks == pytest.approx(d, rel=1e-6)


def test_golden_files_cover_every_shipped_entry():
    assert (
        sorted(PROTEIN_FITS)
        == sorted(example_structures())
        == ["19HC", "1A28", "1HVR", "1PWC", "3HSY", "4E43"]
    )


@pytest.mark.parametrize("entry", sorted(PROTEIN_FITS))
def test_shipped_entries_against_prody_and_powerlaw(entry):
    """Top tenth of the inverse spectrum, as in the paper's large study, on ProDy's C-alpha coordinates."""
    coords = calpha(entry)["coords"]
    spectrum = inverse_spectrum(coords, fraction=0.1)
    n_modes = 3 * len(coords) - 6
    k = n_modes // 10
    reference = PROTEIN_FITS[entry]
    assert spectrum.values.size == k == reference["k"]
    assert spectrum.meta["n_zero"] == 6 and spectrum.meta["n_modes"] == n_modes
    w = eigenvalues(entry)
    ref_values = np.sort(1.0 / w[6:])[::-1][:k]
    np.testing.assert_allclose(spectrum.values, ref_values, rtol=1e-8)
    fit = fit_power_law(spectrum.values)
    assert fit.x_min == pytest.approx(reference["xmin"], rel=1e-8)
    assert fit.beta == pytest.approx(reference["alpha"], rel=1e-8)
    assert fit.sigma == pytest.approx(reference["sigma"], rel=1e-8)
    assert fit.d_ks == pytest.approx(reference["D"], rel=1e-6)


def test_solvers_agree(pdb_3hsy):
    structure = load_structure(pdb_3hsy)
    dense = inverse_spectrum(structure, fraction=0.1, solver="dense")
    sliced = inverse_spectrum(structure, fraction=0.1, solver="sliced")
    assert dense.meta["solver"] == "dense" and sliced.meta["solver"] == "sliced"
    np.testing.assert_allclose(sliced.values, dense.values, rtol=1e-9)
    auto = inverse_spectrum(structure, fraction=0.1)
    assert auto.meta["solver"] == "sliced"  # 2190 degrees of freedom, a tenth of the modes


def test_all_modes_by_default(pdb_1pwc):
    spectrum = inverse_spectrum(load_structure(pdb_1pwc))
    assert spectrum.values.size == 3 * 345 - 6
    assert spectrum.kind == "protein" and spectrum.name == "1PWC"
    assert np.all(np.diff(spectrum.values) <= 0)
    # every mode, against ProDy's eigenvalues (1PWC: ProDy's C-alpha coordinates are ours exactly)
    np.testing.assert_allclose(spectrum.values, np.sort(1.0 / eigenvalues("1PWC")[6:])[::-1], rtol=1e-8)


def two_copies(coords: np.ndarray) -> np.ndarray:
    return np.vstack([coords, coords + np.array([500.0, 0.0, 0.0])])


def test_disconnected_network_raises_with_count(pdb_1pwc):
    coords = two_copies(load_structure(pdb_1pwc).coords)
    with pytest.raises(FloppyNetworkError, match="12 zero modes") as info:
        inverse_spectrum(coords, name="twin")
    assert info.value.n_zero == 12 and info.value.entry == "twin"


@pytest.mark.parametrize("solver", ["dense", "sliced"])
def test_disconnected_network_opt_in(pdb_1pwc, solver):
    coords = two_copies(load_structure(pdb_1pwc).coords)
    spectrum = inverse_spectrum(coords, top=50, allow_floppy=True, solver=solver)
    assert spectrum.meta["n_zero"] == 12
    assert spectrum.meta["n_modes"] == 3 * 690 - 12
    single = inverse_spectrum(load_structure(pdb_1pwc).coords, top=25)
    # every mode of one copy appears twice in the pair
    np.testing.assert_allclose(spectrum.values[::2], single.values, rtol=1e-8)


def test_too_few_residues():
    with pytest.raises(StructureError, match="3 residue"):
        inverse_spectrum(np.eye(3), name="tiny")


def test_top_too_large(pdb_1pwc):
    with pytest.raises(EnmspecError, match="exceeds"):
        inverse_spectrum(load_structure(pdb_1pwc), top=5000)
    with pytest.raises(EnmspecError, match="not both"):
        inverse_spectrum(load_structure(pdb_1pwc), top=10, fraction=0.1)
