"""Write the AlphaFold-DB-format test model ``afdb_format_P15555_from_1pwc.cif`` (see README.md).

No package on the registries ships a real AlphaFold DB file that this project may redistribute
(checked: ProDy, biotite, gemmi and MDAnalysisTests test data), so the test model is written here,
in the exact layout of an AlphaFold DB v6 mmCIF file (the ModelCIF categories, item order and
``_atom_site`` columns that AlphaFold DB writes, e.g. in ``AF-P00441-F1-model_v6.cif``), from a
real structure: chain A of the shipped X-ray entry 1PWC (the DD-peptidase of Streptomyces R61,
UniProt P15555; its 345 modelled residues 3-347 are UniProt 34-378 by its DBREF record), numbered
1-345 as AlphaFold DB numbers a model from 1. Only the protein's atoms are kept (no water, no
penicillin; of alternate locations the first), and the pLDDT of each residue is made from its
C-alpha B-factor by a fixed rule,

    pLDDT = clip(100 - 2.5 * (B - 6), 20, 98.5), rounded to 2 decimals,

written, as AlphaFold DB does, both in ``_ma_qa_metric_local`` and on every atom of the residue
in the B-factor column. It is NOT an AlphaFold prediction: the coordinates are the crystal's.

    python tests/data/make_afdb.py     # needs gemmi; rewrites the same bytes
"""

from __future__ import annotations

from pathlib import Path

import gemmi
import numpy as np

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[1] / "enmspec" / "examples" / "1pwc.pdb.gz"
OUT = HERE / "afdb_format_P15555_from_1pwc.cif"
ACCESSION, DB_CODE, ALIGN_BEGIN = "P15555", "DAC_STRSR", 34
ENTRY = f"AF-{ACCESSION}-F1"
ONE = gemmi.find_tabulated_residue


def plddt_of(b_factor: float) -> float:
    """The fixed rule of the module docstring."""
    return round(float(np.clip(100.0 - 2.5 * (b_factor - 6.0), 20.0, 98.5)), 2)


def residues() -> list[tuple[str, float, list]]:
    """(name, pLDDT, atoms) of chain A; atoms as (name, element, x, y, z)."""
    st = gemmi.read_structure(str(SOURCE))
    st.remove_alternative_conformations()  # AlphaFold models have one conformer (gemmi keeps the first)
    out = []
    for res in st[0]["A"]:
        name = "CYS" if res.name == "CSO" else res.name
        info = ONE(name)
        if info is None or not info.is_amino_acid():
            continue
        ca = res.find_atom("CA", "*")
        atoms = [
            (a.name, a.element.name, a.pos.x, a.pos.y, a.pos.z)
            for a in res
            if a.element.name != "H" and not (res.name == "CSO" and a.name == "OD")
        ]
        out.append((name, plddt_of(ca.b_iso), atoms))
    return out


def loop(tags: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(tags))]
    body = "".join(" ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " \n" for r in rows)
    return "loop_\n" + "".join(t + "\n" for t in tags) + body + "#\n"


def pairs(prefix: str, items: list[tuple[str, str]]) -> str:
    width = max(len(prefix + k) for k, _ in items)
    return "".join(f"{(prefix + k).ljust(width)} {v}\n" for k, v in items) + "#\n"


def main() -> None:
    res = residues()
    n = len(res)
    seq = "".join(ONE(name).one_letter_code.upper() for name, _, _ in res)
    seq_lines = "\n".join(seq[i : i + 80] for i in range(0, n, 80))
    mean = round(float(np.mean([p for _, p, _ in res])), 2)
    text = [
        f"data_{ENTRY}\n#\n",
        "# Written by tests/data/make_afdb.py in the AlphaFold DB v6 format from PDB entry 1PWC chain A\n",
        "# (crystal coordinates; pLDDT derived from the B-factors). Not an AlphaFold prediction.\n#\n",
        f"_entry.id {ENTRY}\n#\n",
        loop(["_atom_type.symbol"], [[e] for e in sorted({a[1] for _, _, atoms in res for a in atoms})]),
        pairs("_database_2.", [("database_code", ENTRY), ("database_id", "AlphaFoldDB")]),
        pairs(
            "_entity.",
            [
                ("id", "1"),
                ("pdbx_description", '"D-alanyl-D-alanine carboxypeptidase"'),
                ("src_method", "man"),
                ("type", "polymer"),
            ],
        ),
        "_entity_poly.entity_id                    1\n",
        f"_entity_poly.pdbx_seq_one_letter_code     \n;{seq_lines}\n;\n",
        "_entity_poly.pdbx_strand_id               A\n",
        "_entity_poly.type                         polypeptide(L)\n#\n",
        loop(
            [
                "_entity_poly_seq.entity_id",
                "_entity_poly_seq.hetero",
                "_entity_poly_seq.mon_id",
                "_entity_poly_seq.num",
            ],
            [["1", "n", name, str(i)] for i, (name, _, _) in enumerate(res, 1)],
        ),
        pairs(
            "_ma_model_list.",
            [
                ("data_id", "1"),
                ("model_group_id", "1"),
                ("model_group_name", '"AlphaFold Monomer v2.0 model"'),
                ("model_id", "1"),
                ("model_name", '"Top ranked model"'),
                ("model_type", '"Ab initio model"'),
                ("ordinal_id", "1"),
            ],
        ),
        loop(
            [
                "_ma_qa_metric.id",
                "_ma_qa_metric.mode",
                "_ma_qa_metric.name",
                "_ma_qa_metric.software_group_id",
                "_ma_qa_metric.type",
            ],
            [["1", "global", "pLDDT", "1", "pLDDT"], ["2", "local", "pLDDT", "1", "pLDDT"]],
        ),
        pairs(
            "_ma_qa_metric_global.",
            [("metric_id", "1"), ("metric_value", f"{mean:.2f}"), ("model_id", "1"), ("ordinal_id", "1")],
        ),
        loop(
            [
                f"_ma_qa_metric_local.{t}"
                for t in (
                    "label_asym_id",
                    "label_comp_id",
                    "label_seq_id",
                    "metric_id",
                    "metric_value",
                    "model_id",
                    "ordinal_id",
                )
            ],
            [["A", name, str(i), "2", f"{p:.2f}", "1", str(i)] for i, (name, p, _) in enumerate(res, 1)],
        ),
        pairs(
            "_ma_target_entity.", [("data_id", "1"), ("entity_id", "1"), ("origin", '"reference database"')]
        ),
        pairs(
            "_ma_target_ref_db_details.",
            [
                ("db_accession", ACCESSION),
                ("db_code", DB_CODE),
                ("db_name", "UNP"),
                ("ncbi_taxonomy_id", "31952"),
                (
                    "organism_scientific",
                    '"Streptomyces sp. (strain R61)"',
                ),
                ("seq_db_align_begin", str(ALIGN_BEGIN)),
                ("seq_db_align_end", str(ALIGN_BEGIN + n - 1)),
                ("target_entity_id", "1"),
            ],
        ),
        loop(
            [
                "_pdbx_audit_revision_history.data_content_type",
                "_pdbx_audit_revision_history.major_revision",
                "_pdbx_audit_revision_history.minor_revision",
                "_pdbx_audit_revision_history.ordinal",
                "_pdbx_audit_revision_history.revision_date",
            ],
            [
                ['"Structure model"', "1", "0", "1", "2021-07-01"],
                ['"Structure model"', "6", "0", "2", "2025-08-01"],
            ],
        ),
        pairs(
            "_pdbx_database_status.",
            [("entry_id", ENTRY), ("recvd_initial_deposition_date", "2025-08-01"), ("status_code", "REL")],
        ),
        pairs("_struct_asym.", [("entity_id", "1"), ("id", "A")]),
        pairs(
            "_struct_ref.",
            [
                ("db_code", DB_CODE),
                ("db_name", "UNP"),
                ("entity_id", "1"),
                ("id", "1"),
                ("pdbx_align_begin", str(ALIGN_BEGIN)),
                ("pdbx_align_end", str(ALIGN_BEGIN + n - 1)),
                ("pdbx_db_accession", ACCESSION),
            ],
        ),
    ]
    columns = [
        "group_PDB",
        "id",
        "type_symbol",
        "label_atom_id",
        "label_alt_id",
        "label_comp_id",
        "label_asym_id",
        "label_entity_id",
        "label_seq_id",
        "pdbx_PDB_ins_code",
        "Cartn_x",
        "Cartn_y",
        "Cartn_z",
        "occupancy",
        "B_iso_or_equiv",
        "pdbx_formal_charge",
        "auth_seq_id",
        "auth_comp_id",
        "auth_asym_id",
        "auth_atom_id",
        "pdbx_PDB_model_num",
        "pdbx_sifts_xref_db_acc",
        "pdbx_sifts_xref_db_name",
        "pdbx_sifts_xref_db_num",
        "pdbx_sifts_xref_db_res",
    ]
    rows, serial = [], 0
    for i, (name, p, atoms) in enumerate(res, 1):
        letter = ONE(name).one_letter_code.upper()
        for atom, element, x, y, z in atoms:
            serial += 1
            rows.append(
                [
                    "ATOM",
                    str(serial),
                    element,
                    atom,
                    ".",
                    name,
                    "A",
                    "1",
                    str(i),
                    "?",
                    f"{x:.3f}",
                    f"{y:.3f}",
                    f"{z:.3f}",
                    "1.00",
                    f"{p:.2f}",
                    "?",
                    str(i),
                    name,
                    "A",
                    atom,
                    "1",
                    ACCESSION,
                    "UNP",
                    str(ALIGN_BEGIN + i - 1),
                    letter,
                ]
            )
    text.append(loop([f"_atom_site.{c}" for c in columns], rows))
    OUT.write_text("".join(text), encoding="ascii")
    print(f"{OUT.name}: {n} residues, {serial} atoms, mean pLDDT {mean}")


if __name__ == "__main__":
    main()
