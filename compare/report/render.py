"""Display of a report: tables as text cells, the sections, and the HTML and Markdown pages.

The tables of :mod:`compare.report.tables` hold full-precision numbers (written as CSV); here they
become :class:`DisplayTable` text cells of 3-4 significant digits (:func:`format_table`),
are grouped into :class:`Section` objects (:func:`report_sections`), and are rendered as one
self-contained HTML page (:func:`render_html`) or as Markdown (:func:`render_markdown`).
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from compare.report.groups import GROUP_DISPLAY, GROUP_PREFIX
from compare.report.models import MODEL_DISPLAY, model_sections, network_columns
from compare.spectrum import KIND_LABELS, KINDS

if TYPE_CHECKING:
    import pandas as pd

# --- Tables as text cells, 3-4 significant digits (CSV files keep full precision) ---

#: Rows of a table shown in the HTML and Markdown report; the CSV file holds all of them.
MAX_DISPLAY_ROWS = 200


@dataclass(frozen=True)
class DisplayTable:
    """A table ready to render: text cells, which columns are numeric, and how many rows were left out.

    Attributes
    ----------
    name : str
        The table's name (its CSV file is ``tables/<name>.csv``).
    caption : str
        Shown above it.
    header : tuple of str
        Column headings.
    rows : tuple of tuple of str
        The displayed rows' cells.
    numeric : tuple of bool
        Per column: right-aligned numbers.
    omitted : int
        Rows left out of the display (all are in the CSV file).
    """

    name: str
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    omitted: int = 0


def format_number(value: object, digits: int = 4) -> str:
    """``digits`` significant digits (scientific outside [1e-3, 1e4)); ints as ints; missing as "–".

    Parameters
    ----------
    value : object
        A number, bool, None, NaN or pandas NA, or anything else (shown by ``str``).
    digits : int
        Significant digits of a float.

    Returns
    -------
    str
        The cell text (``"yes"``/``"no"`` for a bool).

    Examples
    --------
    >>> format_number(2.00812), format_number(0.04301, 3), format_number(1716), format_number(None)
    ('2.008', '0.0430', '1716', '–')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if x == 0.0:
            return "0"
        if not math.isfinite(x) or abs(x) >= 1e4 or abs(x) < 1e-3:
            return f"{x:.{digits - 1}e}"
        decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
        text = f"{x:.{decimals}f}"
        if (
            len(text.lstrip("-").replace(".", "").lstrip("0")) > digits
        ):  # rounding carried over: 9.9996 -> 10.000
            text = f"{x:.{max(0, decimals - 1)}f}"
        return text
    try:
        if value != value:  # pandas NA
            return "–"
    except TypeError:
        return "–"
    return str(value)


def _missing(x: object) -> bool:
    """None, NaN or pandas NA (anything that cannot be compared with itself)."""
    try:
        return x is None or bool(x != x)
    except TypeError:
        return True


def _fixed(value: object, decimals: int, sign: bool = False) -> str:
    """``value`` with ``decimals`` decimals (and a sign when ``sign`` and nonzero); missing as "–"."""
    if _missing(value):
        return "–"
    value = round(float(value), decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{value:+.{decimals}f}" if sign and value != 0 else f"{value:.{decimals}f}"


def _cell(style: str, row: dict, columns: tuple) -> str:
    """One display cell of ``row`` in ``style`` (see :func:`_specs`)."""
    value = row.get(columns[0])
    if style == "text":
        return format_number(value)
    if _missing(value):
        return "–"
    if style == "int":
        return str(int(value))
    if style == "yn":
        return "yes" if bool(value) else "no"
    if style in ("g3", "g4"):
        return format_number(float(value), int(style[1]))
    if style in ("f3", "d3", "d4"):
        return _fixed(value, int(style[1]), sign=style[0] == "d")
    if style == "pct":
        return f"{100 * float(value):.0f} %"
    if style == "pm":  # value ± error, three decimals
        error = row.get(columns[1])
        return _fixed(value, 3) + ("" if _missing(error) else f" ± {_fixed(error, 3)}")
    raise ValueError(f"unknown cell style {style!r}")


#: (header, style, column, [second column]) per displayed table. Styles: text, int, yn (yes/no),
#: g3/g4 (significant digits), f3 (3 decimals), d3/d4 (signed difference), pct, pm (value ± error).
_VERDICT_COLUMNS = (
    ("d_ks", "g3", "d_ks"),
    ("d_c", "g3", "d_c"),
    ("power law", "yn", "is_power_law"),
    ("d_c fitted β", "g3", "d_c_fitted"),
    ("power law (fitted β)", "yn", "is_power_law_fitted"),
)
_SLOPE_COLUMNS = (("β ± σ", "pm", "beta", "sigma"), ("s", "f3", "s"))
_DISPLAY = {
    "networks": (
        "Network spectra, one row each (the paper's Tables 1 and 6-10).",
        (
            ("name", "text", "name"),
            ("dataset", "text", "dataset"),
            ("model", "text", "model"),
            ("training", "text", "training"),
            ("setting", "text", "setting"),
            ("n", "int", "n"),
            ("K", "int", "k"),
            *_VERDICT_COLUMNS,
            "p",
            *_SLOPE_COLUMNS,
            ("λ_1", "g3", "x_1"),
            ("note", "text", "note"),
        ),
    ),
    "proteins": (
        "Protein inverse spectra, one row each (the paper's Table 11, its network ANM 9 Å); n = the "
        "nonzero modes (3N − 6 for a connected ANM, N − 1 for a GNM).",
        (
            ("entry", "text", "name"),
            ("network", "text", "network"),
            ("N (Cα)", "int", "n_residues"),
            ("n", "int", "n_modes"),
            ("K", "int", "k"),
            *_VERDICT_COLUMNS,
            "p",
            ("d_ks / d_c", "f3", "d_ks_over_d_c"),
            *_SLOPE_COLUMNS,
        ),
    ),
    "protein_size_bins": (
        "Proteins by size 3N (the paper's Table 13: 9166 proteins, top 10 % of each spectrum); "
        "Δ = ours − paper.",
        (
            ("3N", "text", "bin"),
            ("proteins", "int", "n"),
            ("pass (Massey)", "pct", "pass_rate"),
            ("pass (fitted β)", "pct", "pass_rate_fitted"),
            ("β mean ± sd", "pm", "beta_mean", "beta_sd"),
            ("paper", "pm", "beta_mean_paper", "beta_sd_paper"),
            ("Δ β", "d3", "beta_mean_diff"),
            ("s mean ± sd", "pm", "s_mean", "s_sd"),
            ("paper", "pm", "s_mean_paper", "s_sd_paper"),
            ("Δ s", "d3", "s_mean_diff"),
            ("mean d_ks / d_c", "f3", "dks_over_dc_mean"),
            ("paper", "f3", "dks_over_dc_mean_paper"),
            ("Δ", "d3", "dks_over_dc_mean_diff"),
        ),
    ),
    "paper_comparison": (
        "Our numbers beside the paper's, refitted at the paper's K and α = 0.05 (Δ = ours − paper).",
        (
            ("name", "text", "name"),
            ("paper table", "text", "paper_table"),
            ("experiment", "text", "experiment"),
            ("quantity", "text", "quantity"),
            ("ours", "text", "ours"),
            ("paper", "text", "paper"),
            ("Δ", "text", "diff"),
            ("note", "text", "note"),
        ),
    ),
    "eigengaps": (
        "Power-law fits of the eigengaps (the paper's Table 6 'Eigengap' rows: slope near s + 1).",
        (
            ("name", "text", "name"),
            ("kind", "text", "kind"),
            ("network", "text", "network"),
            ("K", "int", "k"),
            ("d_ks", "g3", "d_ks"),
            ("d_c", "g3", "d_c"),
            ("power law", "yn", "is_power_law"),
            ("β ± σ", "pm", "beta", "sigma"),
            ("s of the gaps", "f3", "s"),
            ("s + 1 of the spectrum", "f3", "s_spectrum_plus_1"),
        ),
    ),
    "likelihood_ratios": (
        "Likelihood-ratio tests of the power law against alternatives on the same K values.",
        (
            ("name", "text", "name"),
            ("kind", "text", "kind"),
            ("K", "int", "k"),
            ("alternative", "text", "alternative"),
            ("R", "g3", "ratio"),
            ("normalised R", "g3", "normalized_ratio"),
            ("p", "g3", "p_value"),
            ("nested", "yn", "nested"),
            ("converged", "yn", "converged"),
            ("favours", "text", "favours"),
        ),
    ),
    "not_analysed": (
        "Batch rows not analysed, with their reason.",
        tuple((c, "text", c) for c in ("name", "source", "status", "error")),
    ),
    "settings": ("Settings of this report.", (("setting", "text", "setting"), ("value", "text", "value"))),
    **GROUP_DISPLAY,
}


def _comparison_long(table: pd.DataFrame) -> list[dict]:
    """The wide paper comparison as one row per (spectrum, quantity): easier to read than 20 columns.

    The spectrum's name, table and experiment stand on its first row only.
    """
    rows = []
    quantities = (("d_ks", "d_ks", 4), ("d_c", "d_c", 4), ("beta", "β", 3), ("sigma", "σ", 3), ("s", "s", 3))
    for r in table.to_dict("records"):
        group = [
            {"quantity": "K", "ours": str(r["k"]), "paper": str(r["k_paper"]), "diff": "", "note": r["note"]}
        ]
        for q, label, digits in quantities:
            ours, paper, diff = (
                _fixed(r[c], digits, sign=c.endswith("diff")) for c in (q, f"{q}_paper", f"{q}_diff")
            )
            group.append({"quantity": label, "ours": ours, "paper": paper, "diff": diff, "note": ""})
        group.append(
            {
                "quantity": "power law",
                "ours": r["verdict"],
                "paper": r["verdict_paper"],
                "diff": "",
                "note": "",
            }
        )
        first = {"name": r["name"], "paper_table": str(r["paper_table"]), "experiment": r["experiment"]}
        rows += [{**(first if i == 0 else dict.fromkeys(first, "")), **g} for i, g in enumerate(group)]
    return rows


def _kinds_display(table: pd.DataFrame) -> tuple[tuple, list[dict]]:
    """Specs and text rows of :func:`kind_comparison`: counts as ints, rates in %, the rest 3 decimals."""
    kinds = [k for k in table.columns if k != "statistic"]  # kinds, or "protein: <network>"
    rows = []
    for r in table.to_dict("records"):
        stat = r["statistic"]
        style = "int" if stat == "spectra" else "pct" if ("rate" in stat or "share" in stat) else "f3"
        rows.append({"statistic": stat.replace("beta", "β"), **{k: _cell(style, r, (k,)) for k in kinds}})
    headers = [KIND_LABELS.get(k) or k.replace("protein: ", "proteins, ") for k in kinds]
    specs = (
        ("statistic", "text", "statistic"),
        *((h, "text", k) for h, k in zip(headers, kinds, strict=True)),
    )
    return specs, rows


def _shown(spec: tuple | str, table: pd.DataFrame) -> bool:
    """Whether a column is displayed: a ``network`` column only where some row names one."""
    if spec == "p" or spec[2] != "network" or "network" not in table:
        return True
    return bool(table["network"].fillna("").astype(str).str.len().gt(0).any())


def format_table(
    name: str, table: pd.DataFrame, *, bootstrap: bool = False, max_rows: int = MAX_DISPLAY_ROWS
) -> DisplayTable:
    """Report table ``name`` as a :class:`DisplayTable` of text cells (3-4 significant digits).

    Parameters
    ----------
    name : str
        One of the report's table names (``networks``, ``proteins``, ``protein_size_bins``,
        ``proteins_vs_networks``, ``paper_comparison``, ``eigengaps``, ``likelihood_ratios``,
        ``not_analysed``, ``settings``).
    table : pandas.DataFrame
        The table of that name.
    bootstrap : bool
        Show the bootstrap p column (fit tables).
    max_rows : int
        Rows displayed; the rest are counted in ``omitted``.

    Returns
    -------
    DisplayTable

    Raises
    ------
    ValueError
        No display form for ``name``.
    """
    if name == "proteins_vs_networks":
        caption = "The protein set beside the network spectra: distributions of s, β and d_ks / d_c."
        specs, records = _kinds_display(table)
        numeric = (False,) + (True,) * (len(specs) - 1)
    elif name.startswith(GROUP_PREFIX):
        by = str(table["by"].iloc[0]) if "by" in table and len(table) else name[len(GROUP_PREFIX) :]
        caption, specs = _DISPLAY["group_by"]
        caption = caption.format(by=by)
        specs = [(s[0].format(by=by), *s[1:]) for s in specs if _shown(s, table)]
        records = table.to_dict("records")
        numeric = tuple(s[1] not in ("text", "yn") for s in specs)
    elif name in _DISPLAY or name in MODEL_DISPLAY:
        caption, specs = _DISPLAY.get(name) or MODEL_DISPLAY[name]
        p_column = ("bootstrap p (fixed-K null)", "g3", "p_value")  # the report's K rules fix x_min
        specs = [p_column if s == "p" else s for s in specs if (bootstrap or s != "p") and _shown(s, table)]
        records = _comparison_long(table) if name == "paper_comparison" else table.to_dict("records")
        numeric = tuple(
            s[1] not in ("text", "yn") or s[2] in ("ours", "paper", "diff", "paper_table") for s in specs
        )
    else:
        raise ValueError(f"no display form for table {name!r}")
    rows = tuple(tuple(_cell(s[1], r, s[2:]) for s in specs) for r in records[:max_rows])
    return DisplayTable(
        name=name,
        caption=caption,
        header=tuple(s[0] for s in specs),
        rows=rows,
        numeric=numeric,
        omitted=max(0, len(records) - max_rows),
    )


# --- The report's sections and its HTML and Markdown pages ---


@dataclass(frozen=True)
class Section:
    """One part of the report: a heading, text, notes, tables and figures.

    Attributes
    ----------
    title : str
        The heading.
    paragraphs : sequence of str
        Text.
    notes : sequence of str
        Shown as a list.
    tables : sequence of DisplayTable
        The tables.
    figures : sequence of (str, bytes, str)
        ``(name, PNG bytes, caption)``.
    """

    title: str
    paragraphs: Sequence[str] = ()
    notes: Sequence[str] = ()
    tables: Sequence[DisplayTable] = ()
    figures: Sequence[tuple[str, bytes, str]] = ()


def report_sections(
    tables: dict[str, pd.DataFrame],
    figures: list[tuple[str, bytes, str]],
    notes: list[str],
    *,
    bootstrap: bool,
    not_analysed: int,
    extra: Sequence[Section] = (),
) -> list[Section]:
    """The report's sections in order, from its tables by name, figures and notes.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        The report's tables by name (``fits``, ``settings``, ``proteins_vs_networks`` and
        ``eigengaps`` always present; the others optional).
    figures : list of (str, bytes, str)
        ``(name, PNG bytes, caption)`` of each figure drawn.
    notes : list of str
        Shown in the summary section.
    bootstrap : bool
        Show the bootstrap p column.
    not_analysed : int
        Batch rows not analysed; mentioned in the summary when nonzero.
    extra : sequence of Section
        Placed after the per-kind sections (a sweep's, :mod:`compare.report.sweeps`).

    Returns
    -------
    list of Section
        Settings, Summary, Networks, Proteins, Proteins beside networks, Comparison with the
        paper, Eigengaps, Likelihood-ratio tests, Not analysed: those the tables allow.
    """
    figs = {name: (png, caption) for name, png, caption in figures}

    def shown(*names: str) -> list[tuple[str, bytes, str]]:
        return [(n, *figs[n]) for n in names if n in figs]

    sections = [
        Section("Settings", tables=[format_table("settings", tables["settings"])]),
        Section(
            "Summary",
            paragraphs=_glance(tables["fits"], not_analysed),
            notes=notes,
            figures=shown("rank_size"),
        ),
    ]
    sections += _kind_sections(tables, shown, bootstrap=bootstrap)
    sections += list(extra)
    sections.append(
        Section(
            "Proteins beside networks",
            tables=[format_table("proteins_vs_networks", tables["proteins_vs_networks"])],
            figures=shown("s_histogram", "ratio_histogram"),
        )
    )
    sections += model_sections(tables, shown, format_table, Section)
    sections += _comparison_sections(tables, shown)
    sections += _group_sections(tables)
    return sections


def _group_sections(tables: dict[str, pd.DataFrame]) -> list[Section]:
    """The grouped summaries (``--group-by``) and the predicted models beside experiments."""
    sections = []
    grouped = [format_table(n, t) for n, t in tables.items() if n.startswith(GROUP_PREFIX)]
    if grouped:
        sections.append(
            Section(
                "Grouped by entry metadata",
                tables=grouped,
                paragraphs=[
                    "What each structure file says about its entry (method, resolution, organism, release "
                    "date, entities; pLDDT of predicted models) groups the fits; 'none' collects the entries "
                    "whose file does not say."
                ],
            )
        )
    if "predicted_vs_experimental" in tables:
        sections.append(
            Section(
                "Predicted models beside experimental structures",
                tables=[format_table("predicted_vs_experimental", tables["predicted_vs_experimental"])],
            )
        )
    return sections


def _glance(fits: pd.DataFrame, not_analysed: int) -> list[str]:
    """The summary's paragraphs: pass counts and mean s and beta per kind, rows not analysed."""
    glance = []
    for kind in KINDS:
        part = fits[fits["kind"] == kind]
        if len(part):
            glance.append(
                f"{len(part)} {kind} spectra: "
                f"{int(part['is_power_law'].sum())} pass the KS test with "
                f"Massey's d_c, {int(part['is_power_law_fitted'].sum())} with the fitted-β d_c; mean s = "
                f"{part['s'].mean():.3f}, mean β = {part['beta'].mean():.3f}."
            )
    network = network_columns(fits)
    if network["network_group"].nunique() > 1:
        means = [
            f"{label} {fits.loc[group.index, 's'].mean():.3f} ({len(group)})"
            for label, group in network.groupby("network_group", sort=True)
        ]
        glance.append(f"Proteins by network, mean s (spectra): {'; '.join(means)}.")
    if not_analysed:
        glance.append(f"{not_analysed} batch row(s) not analysed (see the last table).")
    return glance


def _kind_sections(
    tables: dict[str, pd.DataFrame],
    shown: Callable[..., list[tuple[str, bytes, str]]],
    *,
    bootstrap: bool,
) -> list[Section]:
    """The Networks and Proteins sections, for the kinds present."""
    sections = []
    if "networks" in tables:
        sections.append(
            Section(
                "Networks",
                tables=[format_table("networks", tables["networks"], bootstrap=bootstrap)],
                paragraphs=[
                    "One row per network spectrum in the form of the paper's Tables 1 and 6-10; "
                    "dataset, model, training and setting come from the spectrum's meta."
                ],
                figures=shown("s_versus_top_eigenvalue", "s_versus_trace"),
            )
        )
    if "proteins" in tables:
        proteins = tables["proteins"]
        paragraph = (
            "One row per protein in the form of the paper's Table 11 (inverse spectrum σ = 1/λ), then "
            "the size-binned summary of its Table 13 beside the paper's numbers (Δ = ours − paper)."
        )
        others = int((~proteins["paper_network"].astype(bool)).sum()) if "paper_network" in proteins else 0
        if others:
            paper = len(proteins) - others
            paragraph += (
                f" Table 13 and the figure take only the {paper} spectra of the paper's network (ANM, "
                f"equal springs, 9 Å); the other {others} are compared in Elastic network models."
            )
        listed = [format_table("proteins", proteins, bootstrap=bootstrap)]
        if "protein_size_bins" in tables:
            listed.append(format_table("protein_size_bins", tables["protein_size_bins"]))
        sections.append(
            Section("Proteins", tables=listed, paragraphs=[paragraph], figures=shown("s_versus_size"))
        )
    return sections


def _comparison_sections(
    tables: dict[str, pd.DataFrame], shown: Callable[..., list[tuple[str, bytes, str]]]
) -> list[Section]:
    """The sections after the kinds: paper comparison, eigengaps, likelihood ratios, not analysed."""
    sections = []
    if "paper_comparison" in tables:
        sections.append(
            Section(
                "Comparison with the paper",
                tables=[format_table("paper_comparison", tables["paper_comparison"])],
                paragraphs=[
                    "Spectra whose experiment the paper reports, refitted at the paper's K and α = 0.05; "
                    "Δ = ours − paper. The paper prints d_c = 0.176 for K = 50, where 1.36/√50 = 0.192."
                ],
            )
        )
    sections.append(
        Section(
            "Eigengaps",
            tables=[format_table("eigengaps", tables["eigengaps"])],
            figures=shown("eigengaps"),
        )
    )
    if "likelihood_ratios" in tables:
        sections.append(
            Section(
                "Likelihood-ratio tests",
                tables=[format_table("likelihood_ratios", tables["likelihood_ratios"])],
                paragraphs=[
                    "Power law against each alternative on the same K values (Clauset et al. 2009): "
                    "R > 0 favours the power law; p is the significance of the sign of R."
                ],
            )
        )
    if "not_analysed" in tables:
        sections.append(
            Section("Not analysed", tables=[format_table("not_analysed", tables["not_analysed"])])
        )
    return sections


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 14px; color: #222;
       max-width: 1180px; margin: 1.5em auto; padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.8em;
  border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
.scroll { overflow-x: auto; margin: 0.6em 0 1.2em 0; }
table { border-collapse: collapse; font-size: 12.5px; }
.caption { font-weight: 600; padding: 0.3em 0; }
th, td { border: 1px solid #d4d4d4; padding: 2px 6px; }
th { background: #f1f3f5; font-weight: 600; vertical-align: bottom; max-width: 8em; }
td { white-space: nowrap; } td.text { white-space: normal; min-width: 4em; max-width: 24em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 0.8em 0 1.4em 0; } figure img { max-width: 100%; border: 1px solid #e4e4e4; }
figcaption { font-size: 12.5px; color: #444; max-width: 770px; }
.notes li { font-size: 12.5px; color: #6b4e00; } .omitted { font-size: 12px; color: #666; }
"""


def _html_table(table: DisplayTable) -> str:
    """A scrolling ``<table>`` with its caption and the count of rows left out."""
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in table.header)
    body = []
    for row in table.rows:
        cells = "".join(
            f'<td class="num">{esc(c)}</td>' if num else f'<td class="text">{esc(c)}</td>'
            for c, num in zip(row, table.numeric, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    more = (
        f'<p class="omitted">{table.omitted} more rows in tables/{table.name}.csv</p>'
        if table.omitted
        else ""
    )
    return (
        f'<div class="scroll"><div class="caption">{esc(table.caption)} '
        f"<small>(tables/{table.name}.csv)</small></div>"
        f'<table id="table-{table.name}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{more}</div>"
    )


def render_html(title: str, sections: Sequence[Section]) -> str:
    """One self-contained HTML page: inline CSS, figures as base64 PNG, no external reference.

    Parameters
    ----------
    title : str
        The page's title and heading.
    sections : sequence of Section
        The content, in order.

    Returns
    -------
    str
        The HTML document.
    """
    esc = html.escape
    parts = [
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f"<style>{_CSS}</style></head><body><h1>{esc(title)}</h1>"
    ]
    parts.append("<p>" + " · ".join(f"{esc(s.title)}" for s in sections) + "</p>")
    for section in sections:
        parts.append(f"<h2>{esc(section.title)}</h2>")
        parts.extend(f"<p>{esc(p)}</p>" for p in section.paragraphs)
        if section.notes:
            parts.append(
                '<ul class="notes">' + "".join(f"<li>{esc(n)}</li>" for n in section.notes) + "</ul>"
            )
        parts.extend(_html_table(table) for table in section.tables)
        for name, png, caption in section.figures:
            data = base64.b64encode(png).decode("ascii")
            parts.append(
                f'<figure id="figure-{name}"><img alt="{esc(caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{esc(caption)} <small>(figures/{name}.png, .svg)</small></figcaption>"
                "</figure>"
            )
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _md_cell(text: str) -> str:
    """A Markdown table cell: pipes escaped, on one line."""
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(title: str, sections: Sequence[Section]) -> str:
    """The report as Markdown: pipe tables, figures linked from ``figures/``.

    Parameters
    ----------
    title : str
        The top heading.
    sections : sequence of Section
        The content, in order.

    Returns
    -------
    str
        The Markdown text.
    """
    lines = [f"# {title}", ""]
    for section in sections:
        lines += [f"## {section.title}", ""]
        for p in section.paragraphs:
            lines += [p, ""]
        if section.notes:
            lines += [f"- {n}" for n in section.notes] + [""]
        for table in section.tables:
            lines += [f"**{table.caption}** (`tables/{table.name}.csv`)", ""]
            lines.append("| " + " | ".join(_md_cell(h) for h in table.header) + " |")
            lines.append("|" + "|".join("---:" if n else "---" for n in table.numeric) + "|")
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
            if table.omitted:
                lines.append(f"\n{table.omitted} more rows in `tables/{table.name}.csv`.")
            lines.append("")
        for name, _, caption in section.figures:
            lines += [f"![{caption}](figures/{name}.png)", "", f"*{caption}*", ""]
    return "\n".join(lines)
