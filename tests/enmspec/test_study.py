"""Cutoff studies, GNM and mode batches end to end: the API, `enmspec spectrum` and `enmspec batch`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from compare.batchdir import BatchFolder
from compare.powerlaw import fit_power_law
from compare.spectrum import load_spectrum
from enmspec import (
    AnalysisSettings,
    bfactor_correlation,
    cutoff_study,
    example_structures,
    inverse_spectrum,
    load_structure,
    parse_cutoffs,
    run_batch,
    sq_fluctuations,
)
from enmspec.cli import main
from tests.golden import calpha, golden_npz

CUTOFFS = (7.0, 8.5, 9.0, 12.0)


def test_parse_cutoffs():
    assert parse_cutoffs("7:15:0.5") == tuple(7.0 + 0.5 * i for i in range(17))
    assert parse_cutoffs("12, 7,9") == (7.0, 9.0, 12.0)
    assert parse_cutoffs("9") == 9.0
    assert parse_cutoffs("9,9") == 9.0
    for bad in ("7:15:0", "15:7:1", "nine", "7:15:0.0001", ""):
        with pytest.raises(ValueError, match="cutoff"):
            parse_cutoffs(bad)


@pytest.mark.parametrize("model", ["anm", "gnm"])
def test_study_equals_single_runs(model):
    """Every cutoff of a study gives the spectrum inverse_spectrum gives alone, bit for bit."""
    structure = load_structure(example_structures()["1PWC"])
    results = cutoff_study(structure, CUTOFFS[::-1], model=model, fraction=0.1, allow_floppy=True)
    assert [r.cutoff for r in results] == list(CUTOFFS)
    for result in results:
        alone = inverse_spectrum(
            structure, cutoff=result.cutoff, model=model, fraction=0.1, allow_floppy=True
        )
        np.testing.assert_array_equal(result.spectrum.values, alone.values)
        assert result.spectrum.meta["cutoff"] == result.cutoff
        assert result.spectrum.meta["n_zero"] == alone.meta["n_zero"]


def test_study_keeps_going_past_a_floppy_cutoff():
    structure = load_structure(example_structures()["1PWC"])
    results = cutoff_study(structure, [7.0, 9.0])
    assert results[0].spectrum is None and results[0].error.n_zero == 7  # 1PWC at 7 A: one floppy mode
    assert results[1].spectrum is not None and results[1].error is None


def test_gnm_batch_against_prody(tmp_path):
    """`enmspec batch --model gnm`: one zero mode each, 1PWC's spectrum equal to ProDy's Kirchhoff's."""
    shipped = example_structures()
    out = tmp_path / "gnm"
    code = main(["batch", str(shipped["1PWC"]), str(shipped["1HVR"]), "--model", "gnm", "--out", str(out)])
    assert code == 0
    table = pd.read_parquet(out / "results.parquet").set_index("id")
    assert set(table["model"]) == {"gnm"} and set(table["cutoff"]) == {7.3}
    assert list(table["n_zero"]) == [1, 1]
    assert json.loads((out / "settings.json").read_text())["model"] == "gnm"
    spectrum = load_spectrum(BatchFolder(out).spectra / table.loc["1PWC", "spectrum"])
    w = golden_npz("prody_gnm_eigvals.npz")["1PWC_7.3A"]
    expected = np.sort(1.0 / w[1:])[::-1][: spectrum.values.size]
    assert np.max(np.abs(1.0 / spectrum.values - 1.0 / expected)) <= 1e-12 * w[-1]
    assert main(["batch", str(shipped["1PWC"]), "--out", str(out)]) == 2  # the folder is locked to GNM


def test_cutoff_study_batch_rows_resume_and_lock(tmp_path):
    shipped = example_structures()
    out = tmp_path / "study"
    settings = AnalysisSettings(cutoff=[9.0, 7.0, 12.0])
    assert settings.cutoff == (7.0, 9.0, 12.0) and settings.is_study
    table = run_batch([shipped["1PWC"], shipped["4E43"]], out, settings=settings, jobs=1)
    assert len(table) == 6
    assert list(table["cutoff"]) == [7.0, 9.0, 12.0, 7.0, 9.0, 12.0]
    assert list(table["status"]) == ["excluded", "done", "done", "excluded", "done", "done"]
    done = table[table["status"] == "done"]
    assert done["spectrum"].nunique() == 4
    structure = load_structure(shipped["1PWC"])
    for row in done[done["id"] == "1PWC"].itertuples():
        alone = inverse_spectrum(structure, cutoff=row.cutoff, fraction=0.1)
        assert row.beta == fit_power_law(alone.values).beta
    again = run_batch([shipped["1PWC"], shipped["4E43"]], out, settings=settings, jobs=1)
    assert again.attrs["skipped"] == 6  # every row is final: done, or excluded (floppy at 7 A)
    pd.testing.assert_frame_equal(again.drop(columns="seconds"), table.drop(columns="seconds"))
    with pytest.raises(ValueError, match=r"other settings \(cutoff\)"):
        run_batch([shipped["1PWC"]], out, settings=AnalysisSettings(cutoff=[7.0, 9.0]), jobs=1)
    (out / "results.parquet").unlink()  # an interrupted batch: the report reads the journal
    assert sorted((r["id"], r["cutoff"]) for r in BatchFolder(out).read_rows()) == sorted(
        zip(table["id"], table["cutoff"], strict=True)
    )


def test_batch_cli_summarises_a_study_per_cutoff(tmp_path, capsys):
    """`enmspec batch --cutoff 7,9,12` prints one summary line per cutoff, not the cutoffs pooled."""
    shipped = example_structures()
    out = tmp_path / "study"
    args = ["batch", str(shipped["1PWC"]), str(shipped["4E43"]), "--cutoff", "7,9,12", "--out", str(out)]
    assert main([*args, "--quiet"]) == 0
    printed = capsys.readouterr().out
    table = pd.read_parquet(out / "results.parquet")
    for cutoff in (9.0, 12.0):
        done = table[(table["cutoff"] == cutoff) & (table["status"] == "done")]
        line = next(x for x in printed.splitlines() if x.startswith(f"{cutoff:g} A "))
        assert f"{done['s'].mean():.3f} ± {done['s'].std(ddof=1):.3f}" in line
        assert line.split()[2] == "2" and line.split()[-1] == "0"  # "9 A", n, ..., excluded
    seven = next(x for x in printed.splitlines() if x.startswith("7 A "))
    assert seven.split() == ["7", "A", "0", "2"]  # both floppy at 7 A: excluded
    assert "3N" not in printed


def test_spectrum_cli_cutoff_range(capsys):
    code = main(
        ["spectrum", str(example_structures()["1HVR"]), "--cutoff", "9:10:0.5", "--model", "gnm", "--json"]
    )
    assert code == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["cutoff"] for r in records] == [9.0, 9.5, 10.0]
    coords = load_structure(example_structures()["1HVR"])
    for record in records:
        alone = inverse_spectrum(coords, cutoff=record["cutoff"], model="gnm", fraction=0.1)
        assert record["n_modes"] == alone.meta["n_modes"]


def test_bad_cutoff_option_exit_2(capsys):
    assert main(["spectrum", str(example_structures()["1HVR"]), "--cutoff", "7:15:0"]) == 2
    assert "--cutoff" in capsys.readouterr().err


def test_modes_and_bfactors_in_batch(tmp_path):
    shipped = example_structures()
    out = tmp_path / "modes"
    settings = AnalysisSettings(modes=4, bfactors=True)
    table = run_batch([shipped["1PWC"]], out, settings=settings, jobs=1)
    row = table.iloc[0]
    structure = load_structure(shipped["1PWC"])
    expected = bfactor_correlation(sq_fluctuations(structure), structure.b_factors)
    assert row["bfactor_r"] == pytest.approx(expected, rel=1e-12)
    assert 0.4 < row["bfactor_r"] < 0.8
    with np.load(out / "spectra" / row["modes"], allow_pickle=False) as modes:
        assert modes["vectors"].shape == (3 * 345, 4)
        ref = golden_npz("prody_sqflucts.npz")["1PWC_anm_9A_eigvals10"][:4]
        np.testing.assert_allclose(modes["eigenvalues"], ref, rtol=1e-10)
    nmd = (out / "spectra" / row["modes"].replace(".modes.npz", ".nmd")).read_text().splitlines()
    assert [line.split()[0] for line in nmd].count("mode") == 4
    assert nmd[7].startswith("coordinates ") and len(nmd[7].split()) == 1 + 3 * 345


def test_gnm_modes_without_nmd(tmp_path, capsys):
    save = tmp_path / "1pwc.spectrum.npz"
    code = main(
        ["spectrum", str(example_structures()["1PWC"]), "--model", "gnm", "--modes", "3", "--save", str(save)]
    )
    assert code == 0
    assert (tmp_path / "1pwc.modes.npz").is_file() and not (tmp_path / "1pwc.nmd").exists()
    with np.load(tmp_path / "1pwc.modes.npz") as modes:
        ref = golden_npz("prody_sqflucts.npz")["1PWC_gnm_7.3A_eigvals10"][:3]
        np.testing.assert_allclose(modes["eigenvalues"], ref, rtol=1e-10)
    assert main(["spectrum", str(example_structures()["1PWC"]), "--modes", "3"]) == 2
    assert "--save" in capsys.readouterr().err


def test_calpha_coordinates_of_1pwc_are_prodys():
    """The batch tests above compare our files with goldens on ProDy's coordinates: the same for 1PWC."""
    np.testing.assert_array_equal(
        load_structure(example_structures()["1PWC"]).coords, calpha("1PWC")["coords"]
    )


def test_study_chooses_the_solver_per_cutoff():
    """auto: sliced up to 11 A for a network of 2190 degrees of freedom, dense beyond (denser factors)."""
    structure = load_structure(example_structures()["3HSY"])
    results = cutoff_study(structure, [9.0, 12.0], fraction=0.1)
    assert [r.spectrum.meta["solver"] for r in results] == ["sliced", "dense"]
    assert inverse_spectrum(structure, cutoff=12.0, fraction=0.1).meta["solver"] == "dense"
    assert inverse_spectrum(structure, springs="pf", fraction=0.1).meta["solver"] == "dense"


def test_a_study_with_spring_weights_equals_weighted_single_runs():
    from enmspec import example_structures, inverse_spectrum, load_structure
    from enmspec.study import cutoff_study

    structure = load_structure(example_structures()["1PWC"])
    weights = np.random.default_rng(0).uniform(0.5, 1.0, len(structure))
    results = cutoff_study(structure, [9.0, 12.0], fraction=0.1, weights=weights)
    for r in results:
        single = inverse_spectrum(structure, cutoff=r.cutoff, fraction=0.1, weights=weights)
        np.testing.assert_allclose(r.spectrum.values, single.values, rtol=1e-10)
        assert r.spectrum.meta["spring_weights"] is True
        unweighted = inverse_spectrum(structure, cutoff=r.cutoff, fraction=0.1)
        assert not np.allclose(r.spectrum.values, unweighted.values)
