"""Fits grouped by what the files say about their entries, and predicted models beside experiments.

:func:`group_summary` groups the report's fit table by any of its columns (``organism``,
``method``, ``structure_type``, ``dataset``, ...) or by a derived bin (:data:`DERIVED_GROUPS`)
and gives, per group, the count, the pass rate and the mean and spread of beta and s.
:func:`predicted_beside_experimental` puts each predicted model beside the experimental entries
of the same protein, matched by UniProt accession (the ``uniprot`` meta of both: DBREF or
``_struct_ref`` of the experimental file, ``_ma_target_ref_db_details`` of the model).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from compare.summary import SIZE_BINS

if TYPE_CHECKING:
    import pandas as pd

#: Resolution bins (angstrom, lower bound inclusive) of ``resolution-bin``.
RESOLUTION_BINS = (1.5, 2.0, 2.5, 3.0)
#: AlphaFold DB's pLDDT bands (lower bounds) of ``plddt-bin``.
PLDDT_BINS = (50.0, 70.0, 90.0)
#: Groups computed from a column: name -> (column, description).
DERIVED_GROUPS = {
    "resolution-bin": (
        "resolution",
        "resolution in angstrom: < 1.5, 1.5-2.0, 2.0-2.5, 2.5-3.0, >= 3.0, none",
    ),
    "release-year": ("release_date", "year of first release"),
    "plddt-bin": ("plddt_mean", "mean pLDDT: < 50, 50-70, 70-90, >= 90 (AlphaFold DB's bands), none"),
    "size-bin": ("n_residues", "3N bins of the paper's Table 13"),
}
#: The label of an entry without the value grouped on.
NONE_LABEL = "none"
#: Report tables of :func:`group_summary` are named ``group_by_<name>`` (``-`` as ``_``).
GROUP_PREFIX = "group_by_"


#: Display forms (caption, columns) of the tables of this module, for :mod:`compare.report.render`;
#: ``group_by`` serves every ``group_by_<name>`` table, ``{by}`` replaced by the name.
GROUP_DISPLAY = {
    "group_by": (
        "Fits grouped by {by}: count, pass rates and mean ± sd of β and s per group.",
        (
            ("kind", "text", "kind"),
            ("network", "text", "network"),
            ("{by}", "text", "group"),
            ("spectra", "int", "n"),
            ("pass (Massey)", "pct", "pass_rate"),
            ("pass (fitted β)", "pct", "pass_rate_fitted"),
            ("β mean ± sd", "pm", "beta_mean", "beta_sd"),
            ("s mean ± sd", "pm", "s_mean", "s_sd"),
            ("mean d_ks / d_c", "f3", "dks_over_dc_mean"),
        ),
    ),
    "predicted_vs_experimental": (
        "Predicted models beside the experimental entries of the same protein (matched by UniProt "
        "accession); Δ = predicted − experimental.",
        (
            ("UniProt", "text", "uniprot"),
            ("network", "text", "network"),
            ("predicted", "text", "predicted"),
            ("experimental", "text", "experimental"),
            ("N pred.", "int", "n_residues_predicted"),
            ("N exp.", "int", "n_residues_experimental"),
            ("s pred.", "f3", "s_predicted"),
            ("s exp.", "f3", "s_experimental"),
            ("Δ s", "d3", "s_diff"),
            ("β pred.", "f3", "beta_predicted"),
            ("β exp.", "f3", "beta_experimental"),
            ("Δ β", "d3", "beta_diff"),
            ("power law pred.", "yn", "power_law_predicted"),
            ("power law exp.", "yn", "power_law_experimental"),
            ("min pLDDT", "g3", "min_plddt"),
            ("pLDDT springs", "yn", "plddt_weights"),
        ),
    ),
}


def group_table_name(by: str) -> str:
    """``resolution-bin`` -> ``group_by_resolution_bin``: the report table (and CSV file) of a group.

    Parameters
    ----------
    by : str

    Returns
    -------
    str
    """
    return GROUP_PREFIX + by.replace("-", "_")


def _missing(value: object) -> bool:
    """None, NaN (pandas' missing value in a float or object column) or an empty string."""
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _bin_label(value: object, edges: tuple[float, ...], unit: str = "") -> str:
    if _missing(value):
        return NONE_LABEL
    x = float(value)
    if x < edges[0]:
        return f"< {edges[0]:g}{unit}"
    for low, high in zip(edges, edges[1:], strict=False):
        if low <= x < high:
            return f"{low:g}-{high:g}{unit}"
    return f">= {edges[-1]:g}{unit}"


def _size_label(value: object) -> str:
    if _missing(value):
        return NONE_LABEL
    three_n = 3 * int(value)
    for i, (low, high) in enumerate(SIZE_BINS):
        if low <= three_n < high or (i == len(SIZE_BINS) - 1 and three_n == high):
            return f"{low}-{high}"
    return f"< {SIZE_BINS[0][0]}" if three_n < SIZE_BINS[0][0] else f"> {SIZE_BINS[-1][1]}"


def group_labels(fits: pd.DataFrame, by: str) -> pd.Series:
    """The group of each row of ``fits`` for ``by``.

    Parameters
    ----------
    fits : pandas.DataFrame
        A fit table (:func:`compare.report.fit_many`).
    by : str
        A column of ``fits`` or a derived group of :data:`DERIVED_GROUPS`.

    Returns
    -------
    pandas.Series of str
        ``"none"`` where the value is missing.

    Raises
    ------
    ValueError
        ``by`` is neither.
    """
    if by in DERIVED_GROUPS:
        column = DERIVED_GROUPS[by][0]
        values = fits[column] if column in fits else [None] * len(fits)
        if by == "resolution-bin":
            labels = [_bin_label(v, RESOLUTION_BINS, " Å") for v in values]
        elif by == "plddt-bin":
            labels = [_bin_label(v, PLDDT_BINS) for v in values]
        elif by == "release-year":
            labels = [NONE_LABEL if _missing(v) else str(v)[:4] for v in values]
        else:
            labels = [_size_label(v) for v in values]
    elif by in fits:
        labels = [NONE_LABEL if _missing(v) else str(v) for v in fits[by]]
    else:
        choices = ", ".join([*DERIVED_GROUPS, *fits.columns])
        raise ValueError(f"--group-by {by}: no such column or derived group (choose from {choices})")
    import pandas as pd

    return pd.Series(labels, index=fits.index, dtype=object)


def group_summary(fits: pd.DataFrame, by: str) -> pd.DataFrame:
    """Count, pass rates and mean +/- sd of beta and s per group of ``by``, for each kind.

    Parameters
    ----------
    fits : pandas.DataFrame
        A fit table.
    by : str
        As for :func:`group_labels`.

    Returns
    -------
    pandas.DataFrame
        ``by`` (the name grouped on), ``kind, network, group, n, pass_rate, pass_rate_fitted,
        beta_mean, beta_sd, s_mean, s_sd, dks_over_dc_mean`` (sd NaN for a group of one), sorted
        by kind, network and group. ``network`` is empty unless the proteins hold several
        elastic networks, which are then summarised apart.
    """
    import pandas as pd

    labels = group_labels(fits, by)
    networks = _split_networks(fits)
    rows = []
    for (kind, network, group), part in fits.groupby([fits["kind"], networks, labels], sort=True):
        beta, s = part["beta"].astype(float), part["s"].astype(float)
        rows.append(
            {
                "by": by,
                "kind": kind,
                "network": network,
                "group": group,
                "n": int(len(part)),
                "pass_rate": float(part["is_power_law"].astype(bool).mean()),
                "pass_rate_fitted": float(part["is_power_law_fitted"].astype(bool).mean()),
                "beta_mean": float(beta.mean()),
                "beta_sd": float(beta.std(ddof=1)) if len(part) > 1 else math.nan,
                "s_mean": float(s.mean()),
                "s_sd": float(s.std(ddof=1)) if len(part) > 1 else math.nan,
                "dks_over_dc_mean": float(part["d_ks_over_d_c"].astype(float).mean()),
            }
        )
    columns = [
        "by",
        "kind",
        "network",
        "group",
        "n",
        "pass_rate",
        "pass_rate_fitted",
        "beta_mean",
        "beta_sd",
        "s_mean",
        "s_sd",
    ]
    return pd.DataFrame(rows, columns=[*columns, "dks_over_dc_mean"])


def _split_networks(fits: pd.DataFrame) -> pd.Series:
    """Each row's elastic network where the proteins hold several (else, and for non-proteins, "")."""
    import pandas as pd

    from compare.report.models import network_columns

    out = pd.Series("", index=fits.index, dtype=object)
    network = network_columns(fits)
    if network["network_group"].nunique() > 1:
        out.loc[network.index] = network["network_group"]
    return out


def _accessions(value: object) -> list[str]:
    return [] if _missing(value) else [a for a in str(value).split(";") if a]


def predicted_beside_experimental(fits: pd.DataFrame) -> pd.DataFrame:
    """Each predicted model beside each experimental entry that refers to the same UniProt accession.

    Parameters
    ----------
    fits : pandas.DataFrame
        A fit table with the ``structure_type`` and ``uniprot`` meta columns.

    Returns
    -------
    pandas.DataFrame
        One row per (accession, predicted, experimental) triple of the same elastic network
        (``network``: empty unless the proteins hold several): ``uniprot, network, predicted,
        experimental, n_residues_predicted, n_residues_experimental, s_predicted,
        s_experimental, s_diff`` (predicted - experimental), the same for ``beta``,
        ``power_law_predicted, power_law_experimental``, and the model's ``min_plddt``,
        ``plddt_weights`` and ``source_predicted`` (its spectrum file). Empty when nothing pairs.
    """
    import pandas as pd

    columns = [
        "uniprot",
        "network",
        "predicted",
        "experimental",
        "n_residues_predicted",
        "n_residues_experimental",
        "s_predicted",
        "s_experimental",
        "s_diff",
        "beta_predicted",
        "beta_experimental",
        "beta_diff",
        "power_law_predicted",
        "power_law_experimental",
        "min_plddt",
        "plddt_weights",
        "source_predicted",
    ]
    if "structure_type" not in fits or "uniprot" not in fits:
        return pd.DataFrame(columns=columns)
    proteins = fits[fits["kind"] == "protein"].assign(network=_split_networks(fits))
    experimental: dict[tuple[str, str], list[dict]] = {}
    for row in proteins[proteins["structure_type"] == "experimental"].to_dict("records"):
        for accession in _accessions(row["uniprot"]):
            experimental.setdefault((accession, row["network"]), []).append(row)
    rows = []
    for model in proteins[proteins["structure_type"] == "predicted"].to_dict("records"):
        for accession in _accessions(model["uniprot"]):
            for entry in experimental.get((accession, model["network"]), []):  # the same network
                rows.append(
                    {
                        "uniprot": accession,
                        "network": model["network"],
                        "predicted": model["name"],
                        "experimental": entry["name"],
                        "n_residues_predicted": model.get("n_residues"),
                        "n_residues_experimental": entry.get("n_residues"),
                        "s_predicted": model["s"],
                        "s_experimental": entry["s"],
                        "s_diff": float(model["s"]) - float(entry["s"]),
                        "beta_predicted": model["beta"],
                        "beta_experimental": entry["beta"],
                        "beta_diff": float(model["beta"]) - float(entry["beta"]),
                        "power_law_predicted": bool(model["is_power_law"]),
                        "power_law_experimental": bool(entry["is_power_law"]),
                        "min_plddt": model.get("min_plddt"),
                        "plddt_weights": model.get("plddt_weights"),
                        "source_predicted": model.get("source"),
                    }
                )
    table = pd.DataFrame(rows, columns=columns)
    order = ["uniprot", "network", "predicted", "experimental"]
    return table.sort_values(order, kind="stable").reset_index(drop=True)


def check_group_names(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Group names as given, each a non-empty string (their columns are checked against the fit table).

    Parameters
    ----------
    names : sequence of str

    Returns
    -------
    tuple of str
    """
    names = tuple(names)
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"group_by: expected column names, got {name!r}")
    return tuple(dict.fromkeys(n.strip() for n in names))


__all__ = [
    "DERIVED_GROUPS",
    "GROUP_PREFIX",
    "group_table_name",
    "check_group_names",
    "group_labels",
    "group_summary",
    "predicted_beside_experimental",
]
