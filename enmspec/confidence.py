"""Per-residue confidence of predicted models (pLDDT): read it, drop what is uncertain, weight springs.

AlphaFold writes its predicted local distance difference test (pLDDT, 0-100) twice: per residue
in the ModelCIF category ``_ma_qa_metric_local`` (the metric whose ``_ma_qa_metric`` row is a
``local`` ``pLDDT``), and per atom in the B-factor column (the residue's value on every atom),
which is all a PDB-format model has. AlphaFold DB's bands: >= 90 very high, 70-90 confident,
50-70 low, < 50 very low.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from enmspec.errors import StructureError

if TYPE_CHECKING:
    import gemmi

    from enmspec.structure import Structure

#: AlphaFold DB's confidence bands (lower bounds), for the report's ``plddt-bin``.
PLDDT_BANDS = (50.0, 70.0, 90.0)


def cif_local_plddt(block: gemmi.cif.Block) -> dict[tuple[str, int], float]:
    """Per-residue pLDDT of a ModelCIF block, by (``label_asym_id``, ``label_seq_id``).

    Parameters
    ----------
    block : gemmi.cif.Block
        The file's data block.

    Returns
    -------
    dict
        Empty when the block has no local pLDDT metric.
    """
    metrics = block.find("_ma_qa_metric.", ["id", "mode", "name"])
    wanted = {row.str(0) for row in metrics if row.str(1) == "local" and row.str(2).lower() == "plddt"}
    if not wanted:
        return {}
    values = {}
    table = block.find("_ma_qa_metric_local.", ["label_asym_id", "label_seq_id", "metric_id", "metric_value"])
    for row in table:
        if row.str(2) not in wanted:
            continue
        try:
            values[(row.str(0), int(row.str(1)))] = float(row.str(3))
        except ValueError:
            continue
    return values


def drop_low_plddt(structure: Structure, min_plddt: float) -> tuple[Structure, int]:
    """Keep the residues with pLDDT >= ``min_plddt``.

    Parameters
    ----------
    structure : Structure
        A predicted model (its :attr:`~enmspec.structure.Structure.plddt` set).
    min_plddt : float
        Threshold on the 0-100 scale (70: AlphaFold DB's "confident").

    Returns
    -------
    structure : Structure
        The residues kept, in order.
    n_dropped : int
        Residues removed.

    Raises
    ------
    StructureError
        The structure has no pLDDT (an experimental entry).
    """
    plddt = require_plddt(structure, "--min-plddt")
    keep = plddt >= float(min_plddt)
    return structure.subset(keep), int(np.count_nonzero(~keep))


def plddt_weights(structure: Structure) -> np.ndarray:
    """Per-residue spring weights ``w_i = pLDDT_i / 100`` for ``k_ij = gamma * w_i * w_j``.

    Parameters
    ----------
    structure : Structure
        A predicted model.

    Returns
    -------
    ndarray, shape (n,), float64
        In (0, 1]; a residue of pLDDT 0 gets the smallest positive weight so that it stays
        connected (its springs are then about 1e-6 of a confident pair's).

    Raises
    ------
    StructureError
        The structure has no pLDDT.
    """
    plddt = require_plddt(structure, "--plddt-weights")
    return np.clip(plddt / 100.0, 1e-3, 1.0)


def require_plddt(structure: Structure, option: str) -> np.ndarray:
    """The pLDDT of ``structure``, or a one-line error naming the file and ``option``.

    Parameters
    ----------
    structure : Structure
    option : str
        The option that needs pLDDT, for the message.

    Returns
    -------
    ndarray, shape (n,), float64
    """
    if structure.plddt is None:
        raise StructureError(
            f"{structure.source or structure.entry_id}: {option} needs a predicted model with pLDDT "
            f"(ModelCIF _ma_qa_metric_local or an AlphaFold PDB file); this file has none"
        )
    return structure.plddt
