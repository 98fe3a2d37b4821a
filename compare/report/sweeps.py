"""The report's sections for a ``dnnspec sweep`` folder: one per swept setting, and the correlations.

For each setting the sweep varied (batch size, optimizer, width, ...): the table in the form of
the paper's Tables 3 and 6 (one row per run, the paper's numbers beside ours where it reports the
same experiment), s and d_ks / d_c against the setting with the pass line marked, and the rank-size
overlay of the runs' spectra (paper Figures 5-7, 18). Across all runs: Spearman's rank correlation
of s with the test accuracy, the top eigenvalue and the trace (paper Figures 3 and 16). For a
numeric setting: the phase boundary, the largest value whose runs all pass and the smallest whose
runs all fail (paper Table 3).

Pure functions of the sweep's rows (:func:`sweep_tables`, :func:`phase_boundary`,
:func:`correlations`); :func:`sweep_sections` draws and lays them out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from compare.report.render import DisplayTable, Section, format_number

if TYPE_CHECKING:
    import pandas as pd

    from compare.spectrum import Spectrum

__all__ = ["SWEEP_KIND", "correlations", "is_sweep", "phase_boundary", "sweep_sections", "sweep_tables"]

#: ``settings.json["kind"]`` of a sweep folder.
SWEEP_KIND = "dnnspec-sweep"
#: Quantities s is correlated with (column, label).
CORRELATED = (("test_accuracy", "test accuracy"), ("lambda_1", "top eigenvalue λ_1"), ("trace", "trace"))
_TABLE_COLUMNS = (
    "id", "seed", "train_accuracy", "test_accuracy", "lambda_1", "trace", "k", "d_ks", "d_c",
    "is_power_law", "beta", "sigma", "s",
)  # fmt: skip


def is_sweep(settings: dict) -> bool:
    """Whether a batch folder's settings are a sweep's.

    Parameters
    ----------
    settings : dict
        Its ``settings.json``.

    Returns
    -------
    bool
    """
    return settings.get("kind") == SWEEP_KIND


def swept_settings(settings: dict) -> list[str]:
    """The settings a sweep varied, in its grid order (seeds last, as repetitions).

    Parameters
    ----------
    settings : dict
        The sweep's ``settings.json``.

    Returns
    -------
    list of str
    """
    names = [n for n in settings.get("vary", {}) if n != "seed"]
    return names + ([CASE] if settings.get("cases") else [])


#: The pseudo-setting of a sweep's cases (settings that vary together): its value names the case.
CASE = "case"


def case_label(row: dict, settings: dict) -> str | None:
    """The case of a sweep's row: its ``case`` column, else the first case whose settings it has.

    Parameters
    ----------
    row : dict
        A row of the sweep.
    settings : dict
        The sweep's ``settings.json``.

    Returns
    -------
    str or None
        ``"label_noise=0.4"`` (the case's settings, joined by spaces); None when none matches.
    """
    if row.get(CASE):
        return str(row[CASE])
    for case in settings.get("cases", []):
        if all(row.get(k) == v for k, v in case.items()):
            return " ".join(f"{k}={v}" for k, v in case.items())
    return None


def _value(row: dict, name: str, settings: dict) -> object:
    return case_label(row, settings) if name == CASE else row.get(name)


def _sort_key(value: object) -> tuple:
    return (
        (0, float(value), "")
        if isinstance(value, (int, float)) and not isinstance(value, bool)
        else (1, 0, str(value))
    )


def sweep_tables(rows: Sequence[dict], settings: dict, reference: pd.DataFrame | None = None) -> dict:
    """One table per swept setting: a row per done run, sorted by the setting, the paper's beside.

    Parameters
    ----------
    rows : sequence of dict
        The sweep's rows (``results.parquet`` or the journal).
    settings : dict
        Its ``settings.json``.
    reference : pandas.DataFrame, optional
        The paper's table (:func:`compare.report.tables.read_paper_reference`): rows with the
        same model, training and setting (dataset up to a subset's parenthesis) give the
        ``paper_d_ks``, ``paper_beta`` and ``paper_s`` columns.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``{setting: table}`` with the setting's column first, then :data:`_TABLE_COLUMNS`,
        ``d_ks_over_d_c``, the paper's columns, and where the runs took their gradient-noise
        spectrum (``noise_top``) its fit's :data:`_NOISE` columns.
    """
    import pandas as pd

    done = [r for r in rows if r.get("status") == "done"]
    noise = _NOISE if any(r.get("noise_spectrum") for r in done) else ()
    out = {}
    for name in swept_settings(settings):
        records = []
        ordered = (
            done  # cases in grid order
            if name == CASE
            else sorted(done, key=lambda r: (_sort_key(r.get(name)), r.get("seed") or 0))
        )
        for r in ordered:
            record = {name: _value(r, name, settings), **{c: r.get(c) for c in _TABLE_COLUMNS}}
            record["d_ks_over_d_c"] = float(r["d_ks"]) / float(r["d_c"])
            record.update(_paper_numbers(r, reference))
            record.update({c: r.get(c) for c in noise})
            records.append(record)
        columns = [name, *_TABLE_COLUMNS, "d_ks_over_d_c", *_PAPER, *noise]
        out[name] = pd.DataFrame(records, columns=columns)
    return out


_PAPER = ("paper_d_ks", "paper_beta", "paper_s")
#: The fit of a run's gradient-noise covariance spectrum (the paper's Figure 20).
_NOISE = ("noise_k", "noise_d_ks", "noise_d_c", "noise_is_power_law", "noise_s")


def _paper_numbers(row: dict, reference: pd.DataFrame | None) -> dict:
    from compare.report.reference import _base_dataset, _key

    empty = dict.fromkeys(_PAPER)
    if reference is None or not len(reference):
        return empty
    want = (
        _key(_base_dataset(row.get("paper_dataset"))),
        _key(row.get("paper_model")),
        _key(row.get("paper_training")),
        _key(row.get("paper_setting")),
    )
    for r in reference[reference["kind"] == "network"].to_dict("records"):
        if (_key(r["dataset"]), _key(r["model"]), _key(r["training"]), _key(r["setting"])) == want:
            return {"paper_d_ks": r.get("d_ks"), "paper_beta": r.get("beta"), "paper_s": r.get("s")}
    return empty


def phase_boundary(table: pd.DataFrame, name: str) -> dict | None:
    """Where along a numeric setting the runs change from passing the KS test to failing it (Table 3).

    Parameters
    ----------
    table : pandas.DataFrame
        A :func:`sweep_tables` table.
    name : str
        Its setting.

    Returns
    -------
    dict or None
        ``passing`` and ``failing`` (the values whose runs all pass, all fail), ``mixed`` (the
        others), and ``boundary``: ``(largest passing, smallest failing)`` when every passing
        value lies below every failing one (the paper's batch-size phases), the reverse pair
        when every failing value lies below, else None. None for a setting that is not numeric.
    """
    values = table[name]
    if not len(values) or not all(_number(v) for v in values):
        return None
    passing, failing, mixed = [], [], []
    for value, group in table.groupby(name):
        verdicts = group["is_power_law"].astype(bool)
        (passing if verdicts.all() else failing if not verdicts.any() else mixed).append(value)
    boundary = None
    if passing and failing and not mixed:
        if max(passing) < min(failing):
            boundary = (max(passing), min(failing))
        elif max(failing) < min(passing):
            boundary = (max(failing), min(passing))
    return {"passing": passing, "failing": failing, "mixed": mixed, "boundary": boundary}


def _boundary_text(name: str, found: dict) -> str:
    def listed(values: list) -> str:
        return ", ".join(format_number(v) for v in values) or "none"

    text = (
        f"Along {name}: all runs pass at {listed(found['passing'])}; all fail at {listed(found['failing'])}"
    )
    if found["mixed"]:
        text += f"; mixed at {listed(found['mixed'])}"
    if found["boundary"]:
        low, high = found["boundary"]
        text += f". The verdict changes between {format_number(low)} and {format_number(high)}."
    return text + "."


def correlations(rows: Sequence[dict]) -> pd.DataFrame:
    """Spearman's rank correlation of s with the test accuracy, λ_1 and the trace over the done runs.

    Parameters
    ----------
    rows : sequence of dict
        The sweep's rows.

    Returns
    -------
    pandas.DataFrame
        ``quantity, n, rho, p_value`` (NaN where fewer than three runs have the quantity).
    """
    import pandas as pd
    from scipy.stats import spearmanr

    done = [r for r in rows if r.get("status") == "done"]
    out = []
    for column, label in CORRELATED:
        pairs = [
            (float(r["s"]), float(r[column])) for r in done if _number(r.get(column)) and _number(r.get("s"))
        ]
        rho = p = math.nan
        if len(pairs) >= 3 and len({b for _, b in pairs}) > 1 and len({a for a, _ in pairs}) > 1:
            result = spearmanr([a for a, _ in pairs], [b for _, b in pairs])
            rho, p = float(result.statistic), float(result.pvalue)
        out.append({"quantity": label, "column": column, "n": len(pairs), "rho": rho, "p_value": p})
    return pd.DataFrame(out)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _display(name: str, table: pd.DataFrame, caption: str) -> DisplayTable:
    header = (
        name, "seed", "train acc", "test acc", "λ_1", "trace", "K", "d_ks", "d_c", "d_ks / d_c",
        "power law", "β ± σ", "s", "paper d_ks", "paper β", "paper s",
    )  # fmt: skip
    three = ("train_accuracy", "test_accuracy", "lambda_1", "trace")
    rows = []
    for r in table.to_dict("records"):
        cells = [format_number(r[name]), format_number(r["seed"])]
        cells += [format_number(r[c], 3) for c in three]
        cells += [format_number(r["k"])] + [format_number(r[c], 3) for c in ("d_ks", "d_c", "d_ks_over_d_c")]
        cells += [
            "yes" if r["is_power_law"] else "no",
            f"{r['beta']:.3f} ± {r['sigma']:.3f}",
            f"{r['s']:.3f}",
        ]
        cells += [format_number(r["paper_d_ks"], 3), format_number(r["paper_beta"], 4)]
        cells += [format_number(r["paper_s"], 4)]
        if "noise_s" in table:
            passed = r["noise_is_power_law"]
            cells += [format_number(r["noise_k"]), format_number(r["noise_d_ks"], 3)]
            cells += ["–" if passed is None or passed != passed else "yes" if passed else "no"]
            cells += [format_number(r["noise_s"], 3)]
        rows.append(tuple(cells))
    if "noise_s" in table:
        header += ("noise K", "noise d_ks", "noise power law", "noise s")
    numeric = (False, *([True] * (len(header) - 1)))
    return DisplayTable(f"sweep_{name}", caption, header, tuple(rows), numeric)


def _against_setting(table: pd.DataFrame, name: str) -> object:
    """The slope s (± σ) and d_ks / d_c against the setting, the pass line d_ks / d_c = 1 dashed."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.0, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    values = list(table[name])
    numeric = all(_number(v) for v in values)
    if numeric:
        x = np.asarray(values, dtype=float)
        log = bool(np.all(x > 0) and x.max() / x.min() >= 10)
    else:
        levels = list(dict.fromkeys(str(v) for v in values))
        x = np.asarray([levels.index(str(v)) for v in values], dtype=float)
        log = False
    passed = table["is_power_law"].astype(bool).to_numpy()
    colors = np.where(passed, "tab:green", "tab:red")
    left.errorbar(
        x, table["s"], yerr=table["sigma"] / (table["beta"] - 1) ** 2, fmt="none", ecolor="0.6", zorder=2
    )
    left.scatter(x, table["s"], c=colors, zorder=3, s=28)
    left.set_ylabel("Zipf slope s")
    right.scatter(x, table["d_ks_over_d_c"], c=colors, zorder=3, s=28)
    right.axhline(1.0, ls="--", color="0.3", lw=1)
    right.set_ylabel("d_ks / d_c (pass below the line)")
    for ax in (left, right):
        ax.set_xlabel(name)
        ax.grid(True, alpha=0.3)
        if log:
            ax.set_xscale("log")
        if not numeric:
            ax.set_xticks(range(len(levels)), levels, rotation=45, ha="right", fontsize=8)
    return fig


def _overlay(spectra: dict, name: str) -> object:
    """Rank-size x_k / x_1 of one run per value of the setting (the first seed), coloured by value."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 4.4), layout="constrained")
    ax = fig.add_subplot()
    cmap = colormaps["viridis"]
    items = list(spectra.items())
    for i, (value, spectrum) in enumerate(items):
        y = spectrum.values / spectrum.values[0]
        ax.loglog(
            np.arange(1, y.size + 1),
            y,
            color=cmap(i / max(1, len(items) - 1)),
            lw=1.2,
            label=f"{name}={value}",
        )
    ax.set_xlabel("rank k")
    ax.set_ylabel("x_k / x_1")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, frameon=False, ncol=2)
    return fig


def _correlation_figure(rows: Sequence[dict], table: pd.DataFrame) -> object:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10.0, 3.6), layout="constrained")
    axes = fig.subplots(1, len(CORRELATED))
    done = [r for r in rows if r.get("status") == "done"]
    for ax, (column, label), record in zip(axes, CORRELATED, table.to_dict("records"), strict=True):
        pts = [
            (float(r[column]), float(r["s"]), bool(r["is_power_law"])) for r in done if _number(r.get(column))
        ]
        if pts:
            ax.scatter(
                [p[0] for p in pts],
                [p[1] for p in pts],
                c=["tab:green" if p[2] else "tab:red" for p in pts],
                s=22,
            )
            xs = [p[0] for p in pts]
            if column != "test_accuracy" and min(xs) > 0 and max(xs) >= 10 * min(xs):
                ax.set_xscale("log")
        rho = (
            "–"
            if math.isnan(record["rho"])
            else f"{record['rho']:.2f} (p = {format_number(record['p_value'], 2)})"
        )
        ax.set_title(f"ρ = {rho}", fontsize=9)
        ax.set_xlabel(label)
        ax.set_ylabel("s")
        ax.grid(True, alpha=0.3)
    return fig


def sweep_sections(
    rows: Sequence[dict],
    settings: dict,
    spectra: dict[str, Spectrum],
    *,
    reference: pd.DataFrame | None = None,
    figures: bool = True,
) -> tuple[list[Section], dict, list]:
    """The report's sections for one sweep, its tables by name and its figures.

    Parameters
    ----------
    rows : sequence of dict
        The sweep's rows.
    settings : dict
        Its ``settings.json``.
    spectra : dict of str to Spectrum
        The done runs' spectra by their ``spectrum`` file name.
    reference : pandas.DataFrame, optional
        The paper's table.
    figures : bool
        Draw the figures.

    Returns
    -------
    sections : list of Section
    tables : dict of str to pandas.DataFrame
        ``sweep_<setting>`` and ``sweep_correlations`` (for ``tables/*.csv``).
    figures : list of (str, matplotlib.figure.Figure, bytes, str)
        ``(name, figure, PNG bytes, caption)``.
    """
    from compare.report.plots import figure_bytes

    preset, scale = settings.get("preset") or "–", settings.get("scale") or "–"
    header = f"preset {preset}, scale {scale}: {settings.get('note') or ''}"
    sections, tables, drawn = [], {}, []
    for name, table in sweep_tables(rows, settings, reference).items():
        tables[f"sweep_{name}"] = table
        paragraphs = [header]
        found = phase_boundary(table, name)
        if found:
            paragraphs.append(_boundary_text(name, found))
        figs = []
        if figures and len(table):
            fig = _against_setting(table, name)
            figs.append(
                (
                    f"sweep_{name}",
                    fig,
                    f"s (± its standard error) and d_ks / d_c against {name}; green: the KS test passes.",
                )
            )
            first = {}
            for r in sorted((r for r in rows if r.get("status") == "done"), key=lambda r: r.get("seed") or 0):
                first.setdefault(_value(r, name, settings), spectra.get(str(r.get("spectrum"))))
            first = {v: s for v, s in sorted(first.items(), key=lambda kv: _sort_key(kv[0])) if s is not None}
            if first:
                figs.append(
                    (
                        f"sweep_{name}_rank_size",
                        _overlay(first, name),
                        f"Rank-size plots of the spectra by {name} (first seed).",
                    )
                )
        figs = [(n, f, figure_bytes(f, "png"), c) for n, f, c in figs]  # each PNG drawn once
        drawn += figs
        sections.append(
            Section(
                f"Sweep over {name}",
                paragraphs=paragraphs,
                tables=[
                    _display(
                        name,
                        table,
                        f"One row per run of the sweep over {name}, sorted by {name}; the paper's numbers "
                        "where it reports the same experiment.",
                    )
                ],
                figures=[(n, png, c) for n, _, png, c in figs],
            )
        )
    corr = correlations(rows)
    tables["sweep_correlations"] = corr
    corr_rows = tuple(
        (r["quantity"], str(r["n"]), format_number(r["rho"], 3), format_number(r["p_value"], 3))
        for r in corr.to_dict("records")
    )
    figs = (
        [
            (
                "sweep_correlations",
                _correlation_figure(rows, corr),
                "s against test accuracy, λ_1 and the trace over every run, with Spearman's ρ "
                "(paper Figures 3 and 16).",
            )
        ]
        if figures
        else []
    )
    figs = [(n, f, figure_bytes(f, "png"), c) for n, f, c in figs]
    drawn += figs
    sections.append(
        Section(
            "Sweep: s against accuracy, λ_1 and the trace",
            tables=[
                DisplayTable(
                    "sweep_correlations",
                    "Spearman's rank correlation of s with each quantity over the sweep's done runs.",
                    ("quantity", "runs", "ρ", "p"),
                    corr_rows,
                    (False, True, True, True),
                )
            ],
            figures=[(n, png, c) for n, _, png, c in figs],
        )
    )
    return sections, tables, drawn
