"""Report sections for elastic network models and cutoff studies.

Protein spectra carry their network in ``meta`` (``enm_model``, ``springs``, ``cutoff``; older
spectra only ``cutoff``, read as the ANM with equal springs). :func:`model_table` groups the
proteins by network, :func:`cutoff_curve_table` follows s, beta and the pass rate along the
cutoffs of a study (mean and spread over the entries), and :func:`cutoff_curves` draws them,
one thin line per entry, so that the paper's fixed 9 A can be judged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from compare import meta as keys

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "MODEL_DISPLAY",
    "PAPER_NETWORK",
    "cutoff_curve_table",
    "cutoff_curves",
    "model_figures",
    "model_table",
    "network_columns",
]

#: The paper's network: the ANM, equal springs, 9 A (model, springs, cutoff).
PAPER_NETWORK = ("anm", "uniform", 9.0)
#: More distinct networks than this (a cutoff study) are split by model and spring law only.
MAX_NETWORK_GROUPS = 4
#: The label of a protein row whose spectrum records no network (counted as the paper's).
UNRECORDED = "not recorded"

#: How the two tables are displayed (see :func:`compare.report.render.format_table`).
MODEL_DISPLAY = {
    "models": (
        "Protein spectra by elastic network: model, spring law and cutoff "
        "(none: springs between every pair).",
        (
            ("model", "text", "model"),
            ("springs", "text", "springs"),
            ("cutoff (Å)", "text", "cutoff_label"),
            ("spectra", "int", "n"),
            ("pass rate", "pct", "pass_rate"),
            ("s mean", "f3", "s_mean"),
            ("s sd", "f3", "s_sd"),
            ("β mean", "f3", "beta_mean"),
            ("β sd", "f3", "beta_sd"),
            ("d_ks / d_c", "f3", "dks_over_dc_mean"),
        ),
    ),
    "cutoff_curve": (
        "A cutoff study: s, β and the KS pass rate at each cutoff, mean and standard deviation "
        "over the entries.",
        (
            ("model", "text", "model"),
            ("springs", "text", "springs"),
            ("cutoff (Å)", "g3", "cutoff"),
            ("entries", "int", "n"),
            ("pass rate", "pct", "pass_rate"),
            ("s mean", "f3", "s_mean"),
            ("s sd", "f3", "s_sd"),
            ("β mean", "f3", "beta_mean"),
            ("β sd", "f3", "beta_sd"),
        ),
    ),
}


def _networks(fits: pd.DataFrame) -> pd.DataFrame:
    """The protein rows with ``model``, ``springs``, ``cutoff`` filled in (older spectra: ANM, uniform)."""
    proteins = fits[fits["kind"] == "protein"].copy()
    model = proteins.get(keys.ENM_MODEL)
    springs = proteins.get(keys.SPRINGS)
    proteins["model"] = "anm" if model is None else model.fillna("anm").astype(str)
    proteins["springs"] = "uniform" if springs is None else springs.fillna("uniform").astype(str)
    cutoff = proteins.get(keys.CUTOFF)
    proteins["cutoff"] = np.nan if cutoff is None else cutoff.astype(float)
    return proteins


def network_label(model: str, springs: str, cutoff: float) -> str:
    """A network in words: ``"ANM 9 Å"``, ``"GNM 7.3 Å"``, ``"ANM pf, all pairs"``."""
    where = "all pairs" if np.isnan(cutoff) else f"{cutoff:g} Å"
    return f"{model.upper()} {where}" if springs == "uniform" else f"{model.upper()} {springs}, {where}"


def network_columns(fits: pd.DataFrame) -> pd.DataFrame:
    """Each protein row's network in words and whether it is the paper's (ANM, equal springs, 9 Å).

    A spectrum that records none of ``enm_model``, ``springs`` and ``cutoff`` is labelled
    :data:`UNRECORDED` and counted as the paper's network.

    Parameters
    ----------
    fits : pandas.DataFrame
        :func:`compare.report.tables.fit_many` output.

    Returns
    -------
    pandas.DataFrame
        Indexed like the protein rows of ``fits``; columns ``network`` (str), ``paper_network``
        (bool) and ``network_group`` (what the report splits the proteins by: ``network``, with
        the paper's label for unrecorded rows; above :data:`MAX_NETWORK_GROUPS` networks, one
        group per model and spring law, named with its range of cutoffs, ``"ANM 7-15 Å"``).
    """
    import pandas as pd

    proteins = _networks(fits)
    recorded = pd.Series(False, index=proteins.index)
    for column in (keys.ENM_MODEL, keys.SPRINGS, keys.CUTOFF):
        if column in fits:
            recorded |= fits.loc[proteins.index, column].notna()
    model, springs, cutoff = PAPER_NETWORK
    paper = (
        (proteins["model"] == model)
        & (proteins["springs"] == springs)
        & np.isclose(proteins["cutoff"].astype(float), cutoff)
    )
    labels = [
        network_label(m, sp, c) if r else UNRECORDED
        for m, sp, c, r in zip(
            proteins["model"], proteins["springs"], proteins["cutoff"], recorded, strict=True
        )
    ]
    group = [label if r else network_label(*PAPER_NETWORK) for label, r in zip(labels, recorded, strict=True)]
    if len(set(group)) > MAX_NETWORK_GROUPS:  # cutoff studies: one group per model and spring law
        family = pd.Series(
            [
                f"{m.upper()}" if sp == "uniform" else f"{m.upper()} {sp}"
                for m, sp in zip(
                    proteins["model"].where(recorded, model),
                    proteins["springs"].where(recorded, springs),
                    strict=True,
                )
            ],
            index=proteins.index,
        )
        cutoffs = proteins["cutoff"].astype(float).where(recorded, cutoff)
        spans = {}
        for name, part in cutoffs.groupby(family):
            low, high = part.min(), part.max()
            spans[name] = (
                "all pairs" if np.isnan(low) else f"{low:g} Å" if low == high else f"{low:g}-{high:g} Å"
            )
        group = [f"{name} {spans[name]}" for name in family]
    return pd.DataFrame(
        {"network": labels, "paper_network": paper | ~recorded, "network_group": group}, index=proteins.index
    )


def _stats(group: pd.DataFrame) -> dict:
    n = int(len(group))
    s, beta = group["s"].astype(float), group["beta"].astype(float)
    return {
        "n": n,
        "pass_rate": float(group["is_power_law"].astype(bool).mean()),
        "s_mean": float(s.mean()),
        "s_sd": float(s.std(ddof=1)) if n > 1 else np.nan,
        "beta_mean": float(beta.mean()),
        "beta_sd": float(beta.std(ddof=1)) if n > 1 else np.nan,
        "dks_over_dc_mean": float(group["d_ks_over_d_c"].astype(float).mean()),
    }


def model_table(fits: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, springs, cutoff) of the protein spectra: counts, pass rate, s and beta.

    Parameters
    ----------
    fits : pandas.DataFrame
        :func:`compare.report.tables.fit_many` output (with the meta columns).

    Returns
    -------
    pandas.DataFrame
        Columns ``model, springs, cutoff, cutoff_label, n, pass_rate, s_mean, s_sd, beta_mean,
        beta_sd, dks_over_dc_mean``; empty without protein spectra.
    """
    import pandas as pd

    proteins = _networks(fits)
    rows = []
    for (model, springs, cutoff), group in proteins.groupby(
        ["model", "springs", "cutoff"], dropna=False, sort=True
    ):
        label = "none" if np.isnan(cutoff) else f"{cutoff:g}"
        rows.append(
            {"model": model, "springs": springs, "cutoff": cutoff, "cutoff_label": label, **_stats(group)}
        )
    columns = ["model", "springs", "cutoff", "cutoff_label", *_stats(proteins.iloc[:0]).keys()]
    return pd.DataFrame(rows, columns=columns)


def cutoff_curve_table(fits: pd.DataFrame) -> pd.DataFrame:
    """Rows of :func:`model_table` for the networks studied at two cutoffs or more.

    Parameters
    ----------
    fits : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        Columns ``model, springs, cutoff, n, pass_rate, s_mean, s_sd, beta_mean, beta_sd``,
        ascending in cutoff; empty when no network has several cutoffs.
    """
    table = model_table(fits)
    table = table[table["cutoff"].notna()]
    counts = table.groupby(["model", "springs"])["cutoff"].transform("nunique")
    curve = table[counts >= 2].drop(columns=["cutoff_label", "dks_over_dc_mean"])
    return curve.sort_values(["model", "springs", "cutoff"]).reset_index(drop=True)


def cutoff_curves(fits: pd.DataFrame) -> Figure:
    """s, beta and the pass rate against the cutoff: one thin line per entry, the mean with +/- 1 sd.

    Parameters
    ----------
    fits : pandas.DataFrame
        With at least one network studied at several cutoffs (:func:`cutoff_curve_table`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    curve = cutoff_curve_table(fits)
    proteins = _networks(fits)
    fig = Figure(figsize=(10.0, 3.4), layout="constrained")
    axes = fig.subplots(1, 3)
    for index, ((model, springs), group) in enumerate(curve.groupby(["model", "springs"], sort=True)):
        color = f"C{index}"
        label = f"{model.upper()}, {springs}"
        entries = proteins[(proteins["model"] == model) & (proteins["springs"] == springs)]
        for ax, column in zip(axes[:2], ("s", "beta"), strict=False):
            for _, entry in entries.groupby("name"):
                entry = entry.sort_values("cutoff")
                ax.plot(entry["cutoff"], entry[column], color=color, alpha=0.25, linewidth=0.8)
            mean, sd = group[f"{column}_mean"], group[f"{column}_sd"].fillna(0.0)
            ax.plot(group["cutoff"], mean, color=color, linewidth=2.0, label=f"{label} (mean ± sd)")
            ax.fill_between(group["cutoff"], mean - sd, mean + sd, color=color, alpha=0.15, linewidth=0)
        marker = "osD^v"[index % 5]  # lines that coincide (both at 100 %) stay visible
        size = 3 + 2 * (len(curve.groupby(["model", "springs"])) - 1 - index)
        axes[2].plot(
            group["cutoff"],
            100 * group["pass_rate"],
            color=color,
            marker=marker,
            markersize=size,
            markerfacecolor="none",
            label=label,
        )
    for ax, ylabel in zip(axes, ("s", "β", "KS pass rate (%)"), strict=True):
        ax.set_xlabel("cutoff (Å)")
        ax.set_ylabel(ylabel)
        ax.axvline(9.0, color="0.5", linestyle=":", linewidth=1.0)
    axes[0].axhline(1.0, color="0.5", linestyle="--", linewidth=0.8)
    axes[2].set_ylim(-5, 105)
    axes[0].legend(fontsize=7, loc="best")
    return fig


def model_figures(fits: pd.DataFrame) -> list[tuple[str, Figure, str]]:
    """The cutoff-curve figure where the fits hold a cutoff study, else nothing.

    Parameters
    ----------
    fits : pandas.DataFrame

    Returns
    -------
    list of (str, matplotlib.figure.Figure, str)
    """
    if cutoff_curve_table(fits).empty:
        return []
    caption = (
        "s, β and the KS pass rate against the spring cutoff: thin lines one entry each, thick the mean "
        "with ± 1 sd; dotted, the paper's 9 Å; dashed, s = 1."
    )
    return [("cutoff_curves", cutoff_curves(fits), caption)]


def model_sections(
    tables: dict[str, pd.DataFrame],
    shown: Callable[..., list[tuple[str, bytes, str]]],
    format_table: Callable,
    section: type,
) -> list:
    """The "Elastic network models" and "Cutoff study" sections, for the tables present.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        The report's tables (``models``, ``cutoff_curve`` optional).
    shown : callable
        The figures of the given names that were drawn.
    format_table : callable
        :func:`compare.report.render.format_table`.
    section : type
        :class:`compare.report.render.Section`.

    Returns
    -------
    list of Section
    """
    sections = []
    if "models" in tables:
        sections.append(section("Elastic network models", tables=[format_table("models", tables["models"])]))
    if "cutoff_curve" in tables:
        sections.append(
            section(
                "Cutoff study",
                tables=[format_table("cutoff_curve", tables["cutoff_curve"])],
                figures=shown("cutoff_curves"),
            )
        )
    return sections
