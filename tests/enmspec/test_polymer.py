"""Which residues are the protein: the file's sequence records decide; cut files are refused."""

from __future__ import annotations

import gzip

import pytest

from enmspec import load_structure
from enmspec.errors import StructureError
from enmspec.structure import RULE_SEQUENCE, RULE_TABLE


def atom(serial: int, name: str, res: str, chain: str, num: int, xyz, element: str, het: bool = False) -> str:
    record = "HETATM" if het else "ATOM  "
    x, y, z = xyz
    return (
        f"{record}{serial:5d} {name:<4s} {res:>3s} {chain}{num:4d}    {x:8.3f}{y:8.3f}{z:8.3f}"
        f"  1.00 20.00          {element:>2s}"
    )


def helix(n: int):
    """C-alpha positions 3.8 A apart along a straight line, bent a little so no two coincide."""
    return [(3.8 * i, 0.3 * (i % 2), 0.0) for i in range(n)]


def pdb_text(*, seqres: bool, modres: bool, ligand_ca: bool, calcium: bool, end: bool = True) -> str:
    names = ["ALA", "GLY", "XYZ", "LEU", "SER", "VAL", "ALA", "GLY"]  # XYZ: an unusual modified residue
    lines = ["HEADER    TEST STRUCTURE                          01-JAN-26   9XYZ              "]
    if seqres:
        lines.append(f"SEQRES   1 A    8  {' '.join(names)}")
    if modres:
        lines.append("MODRES 9XYZ XYZ A    3  LYS  modified lysine")
    if modres or seqres:
        lines.append("HET    XYZ  A   3       9")
    serial = 1
    for i, (name, xyz) in enumerate(zip(names, helix(len(names)), strict=True), start=1):
        lines.append(atom(serial, "CA", name, "A", i, xyz, "C", het=name == "XYZ"))
        serial += 1
    lines.append(f"TER    {serial:4d}      GLY A   8")
    serial += 1
    if ligand_ca:  # a ligand with an atom named CA, near the chain
        lines.append(atom(serial, "CA", "LIG", "A", 101, (5.0, 4.0, 0.0), "C", het=True))
        serial += 1
    if calcium:  # a calcium ion: residue CA, atom CA, element CA
        lines.append(atom(serial, "CA", "CA", "A", 102, (9.0, 4.0, 0.0), "CA", het=True))
        serial += 1
    if end:
        lines.append("END")
    return "\n".join(lines) + "\n"


def test_sequence_records_decide_membership(tmp_path):
    path = tmp_path / "9xyz.pdb"
    path.write_text(pdb_text(seqres=True, modres=True, ligand_ca=True, calcium=True))
    structure = load_structure(path)
    assert structure.polymer_rule == RULE_SEQUENCE
    assert list(structure.residue_names) == ["ALA", "GLY", "XYZ", "LEU", "SER", "VAL", "ALA", "GLY"]
    assert list(structure.residue_numbers) == list(range(1, 9))


def test_without_sequence_records_the_residue_table_applies(tmp_path):
    path = tmp_path / "9xyz.pdb"
    path.write_text(pdb_text(seqres=False, modres=False, ligand_ca=True, calcium=True))
    structure = load_structure(path)
    assert structure.polymer_rule == RULE_TABLE
    # the unknown code is not an amino acid by name; the ligand and the ion are left out too
    assert list(structure.residue_names) == ["ALA", "GLY", "LEU", "SER", "VAL", "ALA", "GLY"]


def test_calcium_ion_is_never_a_residue(tmp_path):
    for seqres in (True, False):
        path = tmp_path / f"ion{seqres}.pdb"
        path.write_text(pdb_text(seqres=seqres, modres=seqres, ligand_ca=False, calcium=True))
        assert "CA" not in set(load_structure(path).residue_names)


@pytest.mark.parametrize("where", ["mid-record", "between-records"])
@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_file_cut_short_is_refused(tmp_path, where, compressed):
    text = pdb_text(seqres=True, modres=True, ligand_ca=False, calcium=False)
    if where == "mid-record":
        cut = text[: text.index("LEU A   4") + 20]
        match = "truncated: the last record is incomplete"
    else:
        cut = text[: text.index("ATOM      5")]
        match = "truncated: a PDB entry ends with an END record"
    path = tmp_path / ("cut.pdb.gz" if compressed else "cut.pdb")
    path.write_bytes(gzip.compress(cut.encode()) if compressed else cut.encode())
    with pytest.raises(StructureError, match=match) as info:
        load_structure(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_file_without_header_or_end_is_accepted(tmp_path):
    """Files written by other tools often have neither: only an unfinished line is a cut."""
    text = pdb_text(seqres=False, modres=False, ligand_ca=False, calcium=False, end=False)
    path = tmp_path / "model.pdb"
    path.write_text("\n".join(text.splitlines()[1:]) + "\n")
    assert len(load_structure(path)) == 7


def test_repr_is_one_line(tmp_path):
    path = tmp_path / "9xyz.pdb"
    path.write_text(pdb_text(seqres=True, modres=True, ligand_ca=False, calcium=False))
    text = repr(load_structure(path))
    assert text.startswith("Structure('9XYZ', 8 residues, 1 chains") and "\n" not in text
