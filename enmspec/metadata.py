"""What a structure file says about its entry: method, resolution, organism, dates, references.

Read from the file's header by gemmi: the mmCIF categories of the PDB exchange dictionary
(``_exptl``, ``_refine``/``_reflns``/``_em_3d_reconstruction`` through gemmi's resolution,
``_entity_src_gen``/``_entity_src_nat``/``_pdbx_entity_src_syn``, ``_pdbx_audit_revision_history``,
``_struct_ref``) and of ModelCIF, which AlphaFold DB writes (``_ma_target_ref_db_details``,
``_ma_qa_metric``); for PDB-format files the records before the coordinates (EXPDTA,
REMARK 2 through gemmi; SOURCE, REVDAT and DBREF read here, since gemmi keeps only some of
them). A field the file does not give is empty (``""``, ``None`` or ``()``), never guessed.
"""

from __future__ import annotations

import datetime
import gzip
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import gemmi

#: :attr:`EntryMetadata.structure_type` of a model from a structure predictor (ModelCIF file,
#: or a PDB file whose EXPDTA says THEORETICAL MODEL), and of everything else.
PREDICTED = "predicted"
EXPERIMENTAL = "experimental"
#: mmCIF items naming the source organism, in the order they are read (first occurrence wins).
_ORGANISM_TAGS = (
    "_entity_src_gen.pdbx_gene_src_scientific_name",
    "_entity_src_nat.pdbx_organism_scientific",
    "_pdbx_entity_src_syn.organism_scientific",
    "_ma_target_ref_db_details.organism_scientific",
)
_MONTHS = {m: i for i, m in enumerate(("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC").split(), 1)}
_COORDINATE_RECORDS = (b"ATOM  ", b"HETATM", b"MODEL ")


@dataclass(frozen=True)
class EntryMetadata:
    """The entry as its file describes it; empty where the file says nothing.

    Attributes
    ----------
    method : str
        Experimental method(s) as written (``"X-RAY DIFFRACTION"``; several joined by ``"; "``);
        ``""`` where the file has none (AlphaFold DB models have no ``_exptl``).
    resolution : float or None
        Resolution in angstrom (REMARK 2, ``_refine.ls_d_res_high`` and the like, as gemmi
        reads it); None for NMR entries, predicted models and files without one.
    organism : str
        Scientific name(s) of the source organism, ``"; "``-joined when entities differ.
        Upper-case PDB records are put in sentence case (``HOMO SAPIENS`` -> ``Homo sapiens``),
        so that PDB and mmCIF files of one organism group together.
    release_date : str
        ISO date of the first release (REVDAT 1; ``_pdbx_audit_revision_history`` ordinal 1).
    deposition_date : str
        ISO date of deposition (HEADER; ``_pdbx_database_status.recvd_initial_deposition_date``).
    n_entities : int or None
        Polymer entities of the file.
    n_chains : int or None
        Polymer chains of the file's first model (all of them, whatever ``chains`` kept).
    uniprot : tuple of str
        UniProt accessions the file refers to (DBREF; ``_struct_ref``;
        ``_ma_target_ref_db_details``), each once, in file order.
    structure_type : {"experimental", "predicted"}
        ``predicted`` for a ModelCIF file (``_ma_model_list`` or ``_ma_qa_metric`` present, as
        in every AlphaFold DB model) or a THEORETICAL MODEL.
    """

    method: str = ""
    resolution: float | None = None
    organism: str = ""
    release_date: str = ""
    deposition_date: str = ""
    n_entities: int | None = None
    n_chains: int | None = None
    uniprot: tuple[str, ...] = ()
    structure_type: str = EXPERIMENTAL

    def as_dict(self) -> dict[str, object]:
        """The fields as plain values for a spectrum's meta or a table row (``uniprot`` joined by ``;``).

        Returns
        -------
        dict
        """
        return {
            "method": self.method,
            "resolution": self.resolution,
            "organism": self.organism,
            "release_date": self.release_date,
            "deposition_date": self.deposition_date,
            "n_entities": self.n_entities,
            "n_chains_file": self.n_chains,
            "uniprot": ";".join(self.uniprot),
            "structure_type": self.structure_type,
        }


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _sentence_case(name: str) -> str:
    """``HOMO SAPIENS`` -> ``Homo sapiens``; names with lower-case letters are kept."""
    return name[:1].upper() + name[1:].lower() if name.isupper() else name


def _counts(st: gemmi.Structure) -> tuple[int, int]:
    """(polymer entities, polymer chains of the first model)."""
    import gemmi

    n_entities = sum(1 for e in st.entities if e.entity_type == gemmi.EntityType.Polymer)
    n_chains = sum(1 for ch in st[0] if len(ch.get_polymer())) if len(st) else 0
    return n_entities, n_chains


def _resolution(st: gemmi.Structure) -> float | None:
    return round(float(st.resolution), 4) if st.resolution and st.resolution > 0 else None


def _cif_values(block: gemmi.cif.Block, tag: str) -> list[str]:
    import gemmi

    return [gemmi.cif.as_string(v) for v in block.find_values(tag) if not gemmi.cif.is_null(v)]


def _cif_release_date(block: gemmi.cif.Block) -> str:
    """The revision date of ordinal 1 (else the earliest) of ``_pdbx_audit_revision_history``."""
    table = block.find("_pdbx_audit_revision_history.", ["ordinal", "revision_date"])
    dates = []
    for row in table:
        try:
            dates.append((int(row.str(0)), row.str(1)))
        except ValueError:
            continue
    return min(dates)[1] if dates else ""


def _cif_uniprot(block: gemmi.cif.Block) -> list[str]:
    found = []
    for prefix, name, accession in (
        ("_struct_ref.", "db_name", "pdbx_db_accession"),
        ("_ma_target_ref_db_details.", "db_name", "db_accession"),
    ):
        for row in block.find(prefix, [name, accession]):
            if row.str(0).upper() == "UNP":
                found.append(row.str(1))
    return _unique(found)


def metadata_from_cif(st: gemmi.Structure, block: gemmi.cif.Block) -> EntryMetadata:
    """The entry's metadata from an mmCIF (or ModelCIF) block.

    Parameters
    ----------
    st : gemmi.Structure
        The structure made from ``block`` (entities set up).
    block : gemmi.cif.Block
        The file's data block.

    Returns
    -------
    EntryMetadata
    """
    methods = _unique(_cif_values(block, "_exptl.method"))
    organisms = _unique([_sentence_case(v) for tag in _ORGANISM_TAGS for v in _cif_values(block, tag)])
    predicted = bool(block.find_mmcif_category("_ma_model_list.")) or bool(
        block.find_mmcif_category("_ma_qa_metric.")
    )
    predicted = predicted or any("THEORETICAL MODEL" in m.upper() for m in methods)
    deposition = _cif_values(block, "_pdbx_database_status.recvd_initial_deposition_date")
    n_entities, n_chains = _counts(st)
    return EntryMetadata(
        method="; ".join(methods),
        resolution=_resolution(st),
        organism="; ".join(organisms),
        release_date=_cif_release_date(block),
        deposition_date=deposition[0] if deposition else "",
        n_entities=n_entities,
        n_chains=n_chains,
        uniprot=tuple(_cif_uniprot(block)),
        structure_type=PREDICTED if predicted else EXPERIMENTAL,
    )


def pdb_header_lines(path: Path) -> list[bytes]:
    """The records of a PDB-format file before its first ATOM, HETATM or MODEL record.

    Parameters
    ----------
    path : pathlib.Path
        A ``.pdb`` file, plain or gzip.

    Returns
    -------
    list of bytes
        The lines, without line ends.
    """
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    lines = []
    with opener(path, "rb") as fh:
        for line in fh:
            if line.startswith(_COORDINATE_RECORDS):
                break
            lines.append(line.rstrip(b"\r\n"))
    return lines


def _pdb_date(text: str) -> str:
    """``13-JUL-04`` -> ``2004-07-13`` (two-digit years from 70 are 19xx: the PDB began in 1971)."""
    match = re.fullmatch(r"(\d{2})-([A-Z]{3})-(\d{2})", text.strip())
    if not match or match.group(2) not in _MONTHS:
        return ""
    year = int(match.group(3))
    year += 1900 if year >= 70 else 2000
    try:
        return datetime.date(year, _MONTHS[match.group(2)], int(match.group(1))).isoformat()
    except ValueError:
        return ""


def _pdb_organisms(lines: list[str]) -> list[str]:
    """ORGANISM_SCIENTIFIC tokens of the SOURCE records (continuations joined first)."""
    text = " ".join(line[10:80].strip() for line in lines if line.startswith("SOURCE"))
    names = []
    for token in text.split(";"):
        key, _, value = token.partition(":")
        if key.strip() == "ORGANISM_SCIENTIFIC":
            names.append(_sentence_case(" ".join(value.split())))
    return _unique(names)


def _pdb_uniprot(lines: list[str]) -> list[str]:
    """UniProt accessions of DBREF records (DBREF1/DBREF2 pairs included)."""
    found = []
    long_form = False
    for line in lines:
        if line.startswith("DBREF "):
            if line[26:32].strip() == "UNP":
                found.append(line[33:41].strip())
        elif line.startswith("DBREF1"):
            long_form = line[26:32].strip() == "UNP"
        elif line.startswith("DBREF2") and long_form:
            found.append(line[18:40].strip())
    return _unique(found)


def metadata_from_pdb(st: gemmi.Structure, header: list[bytes]) -> EntryMetadata:
    """The entry's metadata from a PDB-format file.

    Parameters
    ----------
    st : gemmi.Structure
        The structure gemmi read (entities set up): method and resolution.
    header : list of bytes
        The records before the coordinates (:func:`pdb_header_lines`): SOURCE, REVDAT, DBREF.

    Returns
    -------
    EntryMetadata
    """
    lines = [line.decode("ascii", "replace") for line in header]
    method = st.info["_exptl.method"] if "_exptl.method" in st.info else ""
    release = ""
    for line in lines:
        if line.startswith("REVDAT") and line[7:10].strip() == "1":
            release = _pdb_date(line[13:22])
            break
    deposition = ""
    if "_pdbx_database_status.recvd_initial_deposition_date" in st.info:
        deposition = st.info["_pdbx_database_status.recvd_initial_deposition_date"]
    title = " ".join(line[10:80].strip() for line in lines if line.startswith("TITLE"))
    predicted = "THEORETICAL MODEL" in method.upper() or "ALPHAFOLD" in title.upper()
    n_entities, n_chains = _counts(st)
    return EntryMetadata(
        method=method,
        resolution=_resolution(st),
        organism="; ".join(_pdb_organisms(lines)),
        release_date=release,
        deposition_date=deposition,
        n_entities=n_entities,
        n_chains=n_chains,
        uniprot=tuple(_pdb_uniprot(lines)),
        structure_type=PREDICTED if predicted else EXPERIMENTAL,
    )
