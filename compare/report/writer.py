"""``compare report``: fit many spectra and write one self-contained HTML report with its tables and figures.

Inputs are spectrum files (``*.spectrum.npz``), folders searched recursively for them, and
protein batch result folders of ``enmspec batch`` (recognised by ``results.parquet``, or
``rows.jsonl`` beside ``spectra/``), whose failed or excluded rows are listed as not analysed.
Every number is refitted from the spectrum values (:func:`compare.report.tables.fit_many`); rows a
batch stored are checked against the refit. The output folder receives ``report.html`` (tables
and PNG figures embedded: one file that opens offline), ``report.md``, ``tables/*.csv``,
``figures/*.png`` and ``*.svg``, ``settings.json`` and ``summary.json``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from compare.batchdir import SPECTRUM_COLUMN, BatchFolder
from compare.errors import SpectrumFileError
from compare.files import atomic_write_text
from compare.powerlaw import MASSEY_COEFFICIENTS, critical_value
from compare.report.groups import (
    GROUP_PREFIX,
    check_group_names,
    group_summary,
    group_table_name,
    predicted_beside_experimental,
)
from compare.report.models import cutoff_curve_table, model_figures, model_table, network_columns
from compare.report.reference import paper_comparison
from compare.report.render import render_html, render_markdown, report_sections
from compare.report.tables import (
    FITTED_N_SIM,
    KRule,
    default_rules,
    eigengap_fits,
    fit_many,
    kind_comparison,
    likelihood_table,
    paper_reference_path,
    read_paper_reference,
    size_summary,
)
from compare.spectrum import KINDS, SUFFIX, Spectrum, load_spectrum

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ReportSettings", "collect_inputs", "fit_many", "write_report"]

#: Every table and figure a report may write; a rerun into the same folder removes those it
#: no longer writes, so that the folder never mixes two reports.
TABLE_NAMES = (
    "settings", "fits", "networks", "proteins", "protein_size_bins", "proteins_vs_networks",
    "paper_comparison", "eigengaps", "likelihood_ratios", "not_analysed", "predicted_vs_experimental",
    "models", "cutoff_curve",
)  # fmt: skip
FIGURE_NAMES = (
    "rank_size", "eigengaps", "s_histogram", "ratio_histogram", "s_versus_size",
    "s_versus_top_eigenvalue", "s_versus_trace", "cutoff_curves",
)  # fmt: skip
#: Relative tolerance of the check of a batch's stored row against our refit.
STORED_ROW_RTOL = 1e-9


@dataclass(frozen=True)
class ReportSettings:
    """Options of :func:`write_report`, validated on creation.

    Attributes
    ----------
    protein, network : KRule
        K rule per kind: default proteins the paper's top 10 % of the modes, networks
        K = 1000 (all values, with a note, when a spectrum has fewer).
    alpha : float
        KS significance (Massey's table: 0.2, 0.15, 0.1, 0.05, 0.01).
    bootstrap : int
        Samples of the bootstrap p-value (0: off; else >= 100).
    seed : int
        Seed of the simulated KS null distributions.
    jobs : int
        Processes for the null distributions.
    lr : bool
        Add likelihood-ratio tests (:mod:`compare.likelihood`).
    figures : bool
        Draw the figures.
    overlay : int
        Spectra of each kind drawn in the rank-size and eigengap overlays (spread over sizes).
    gap_span : float
        Eigengaps: the largest ``min(K, m / gap_span)`` of the ``m`` gaps are fitted
        (:func:`compare.eigengap.fit_eigengaps`; 1 fits K gaps).
    reference : str, optional
        The paper's table (default: the shipped copy, :func:`compare.report.tables.paper_reference_path`).
    title : str
        The report's title.
    group_by : tuple of str
        Fit-table columns (``organism``, ``method``, ``structure_type``, ...) or derived groups
        (``resolution-bin``, ``release-year``, ``plddt-bin``, ``size-bin``:
        :data:`compare.report.groups.DERIVED_GROUPS`) to summarise s, beta and the pass rate
        by; one table ``group_by_<name>`` each.
    """

    protein: KRule = field(default_factory=lambda: default_rules()["protein"])
    network: KRule = field(default_factory=lambda: default_rules()["network"])
    alpha: float = 0.05
    bootstrap: int = 0
    seed: int = 0
    jobs: int = 1
    lr: bool = False
    figures: bool = True
    overlay: int = 6
    gap_span: float = 2.0
    reference: str | None = None
    title: str = "Power-law Hessian spectra"
    group_by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "group_by", check_group_names(self.group_by))
        for name in ("protein", "network"):
            if not isinstance(getattr(self, name), KRule):
                raise TypeError(f"{name} must be a KRule, got {type(getattr(self, name)).__name__}")
        critical_value(2, self.alpha)
        if isinstance(self.bootstrap, bool) or not (self.bootstrap == 0 or self.bootstrap >= 100):
            raise ValueError(f"bootstrap must be 0 (off) or >= 100, got {self.bootstrap!r}")
        if isinstance(self.jobs, bool) or int(self.jobs) < 1:
            raise ValueError(f"jobs must be >= 1, got {self.jobs!r}")
        if int(self.overlay) < 1:
            raise ValueError(f"overlay must be >= 1, got {self.overlay!r}")
        from compare.eigengap import gap_k

        gap_k(1, 1, span=self.gap_span)  # refuses a span < 1


@dataclass(frozen=True)
class CollectedInputs:
    """Spectra found in the inputs, where each came from, and what could not be analysed.

    Attributes
    ----------
    spectra : tuple of Spectrum
        Every spectrum found, in input order.
    sources : tuple of str
        The file of each (``"(in memory)"`` for a :class:`Spectrum` given).
    stored_rows : tuple of dict or None
        The batch's result row of each spectrum read from a batch, else None.
    not_analysed : tuple of dict
        Batch rows without a usable spectrum: ``name, source, status, error``.
    batches : tuple of dict
        Per batch folder read: ``path``, ``rows`` (count) and ``settings``.
    """

    spectra: tuple[Spectrum, ...]
    sources: tuple[str, ...]
    stored_rows: tuple[dict | None, ...]
    not_analysed: tuple[dict, ...]
    batches: tuple[dict, ...]


@dataclass(frozen=True)
class BatchContents:
    """What :func:`read_batch` found in a batch folder.

    Attributes
    ----------
    spectra : tuple of Spectrum
        The spectrum of each ``done`` row whose file could be read.
    sources : tuple of str
        The spectrum file of each.
    stored_rows : tuple of dict
        The batch's result row of each.
    not_analysed : tuple of dict
        The other rows (another status, or a missing or unreadable spectrum file):
        ``name, source, status, error``.
    info : dict
        ``path`` (the folder), ``rows`` (their count) and ``settings`` (the batch's, or ``{}``).
    """

    spectra: tuple[Spectrum, ...]
    sources: tuple[str, ...]
    stored_rows: tuple[dict, ...]
    not_analysed: tuple[dict, ...]
    info: dict


def _is_batch(folder: Path) -> bool:
    """Whether ``folder`` holds a batch (:meth:`compare.batchdir.BatchFolder.is_batch`)."""
    return BatchFolder(folder).is_batch()


def read_batch(folder: str | os.PathLike) -> BatchContents:
    """A protein batch folder's spectra, their stored rows, and the rows not analysed.

    Parameters
    ----------
    folder : str or path-like
        An ``enmspec batch`` output folder (:class:`compare.batchdir.BatchFolder`).

    Returns
    -------
    BatchContents
        The rows come from ``results.parquet`` (else from the ``rows.jsonl`` journal of an
        interrupted batch); each ``done`` row's values from its spectrum file, and from the
        further spectrum files it names (a sweep run's gradient-noise spectrum), each with its
        own fit columns as its stored row. Rows with
        another status, or whose spectrum file is missing or unreadable, are returned as not
        analysed, with their error.
    """
    batch = BatchFolder(Path(folder))
    rows = batch.read_rows()
    settings = batch.read_settings() or {}
    spectra, sources, stored, missing = [], [], [], []
    for row in rows:
        name = str(row.get("id") or Path(str(row.get("path", "?"))).name)
        source = str(row.get("path"))
        if row.get("status") != "done":
            missing.append(
                {"name": name, "source": source, "status": row.get("status"), "error": row.get("error") or ""}
            )
            continue
        main = (batch.spectrum_path(row), row, f"no {SUFFIX} file for this entry in {batch.spectra}")
        extras = [
            (p, r, f"no file {r[SPECTRUM_COLUMN]} in {batch.spectra}") for p, r in batch.extra_spectra(row)
        ]
        for path, own_row, absent in (main, *extras):
            if path is None:
                missing.append({"name": name, "source": source, "status": "no spectrum", "error": absent})
                continue
            try:
                spectrum = load_spectrum(path)
            except SpectrumFileError as exc:
                missing.append({"name": name, "source": str(path), "status": "unreadable", "error": str(exc)})
                continue
            spectra.append(spectrum)
            sources.append(str(path))
            stored.append(own_row)
    info = {"path": str(batch.root), "rows": len(rows), "settings": settings}
    return BatchContents(tuple(spectra), tuple(sources), tuple(stored), tuple(missing), info)


def _spectrum_files(folder: Path) -> Iterator[Path]:
    """Spectrum files under ``folder``, recursively, in sorted order, hidden names skipped."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(SUFFIX) and not name.startswith("."):
                yield Path(root) / name


def _expand_input(path: Path) -> tuple[list[Path], list[Path]]:
    """The batch folders and the spectrum files one input path stands for."""
    if path.is_dir():
        if _is_batch(path):
            return [path], []
        found = list(_spectrum_files(path))
        batch_dirs = sorted({p.parent.parent for p in found if _is_batch(p.parent.parent)})
        if not found:
            raise SpectrumFileError(f"{path}: no {SUFFIX} files and not a batch result folder")
        return batch_dirs, [p for p in found if p.parent.parent not in batch_dirs]
    if path.is_file():
        if not path.name.endswith(".npz"):
            raise SpectrumFileError(
                f"{path}: not a spectrum file (expected {SUFFIX}, a folder of them or a batch folder)"
            )
        if path.stat().st_size == 0:
            raise SpectrumFileError(f"{path}: the file is empty")
        return [], [path]
    raise SpectrumFileError(f"{path}: no such file or folder")


@dataclass
class _Collector:
    """The inputs collected so far by :func:`collect_inputs`; a path seen twice counts once."""

    spectra: list[Spectrum] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    stored: list[dict | None] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)
    batches: list[dict] = field(default_factory=list)
    seen: set[Path] = field(default_factory=set)

    def add(self, spectrum: Spectrum, source: str, row: dict | None = None) -> None:
        """Keep one spectrum, its source and its stored row."""
        self.spectra.append(spectrum)
        self.sources.append(source)
        self.stored.append(row)

    def add_batch(self, folder: Path) -> None:
        """Keep a batch folder's spectra and rows not analysed, unless it was read already."""
        if folder.resolve() in self.seen:
            return
        self.seen.add(folder.resolve())
        batch = read_batch(folder)
        for spectrum, source, row in zip(batch.spectra, batch.sources, batch.stored_rows, strict=True):
            self.seen.add(Path(source).resolve())
            self.add(spectrum, source, row)
        self.missing.extend(batch.not_analysed)
        self.batches.append(batch.info)

    def add_file(self, file: Path) -> None:
        """Read and keep a spectrum file, unless it was read already."""
        if file.resolve() not in self.seen:
            self.seen.add(file.resolve())
            self.add(load_spectrum(file), str(file))

    def result(self) -> CollectedInputs:
        """The collected inputs, frozen."""
        return CollectedInputs(
            tuple(self.spectra),
            tuple(self.sources),
            tuple(self.stored),
            tuple(self.missing),
            tuple(self.batches),
        )


def collect_inputs(inputs: Iterable[str | os.PathLike | Spectrum]) -> CollectedInputs:
    """Spectra from spectrum files, folders of them, batch folders and :class:`Spectrum` objects.

    A folder is a batch when it holds ``results.parquet`` (or ``rows.jsonl`` and ``spectra/``);
    otherwise it is searched recursively (hidden names skipped) and any batch folder inside
    it is read as a batch. A file found twice counts once.

    Parameters
    ----------
    inputs : iterable of str, path-like or Spectrum
        Spectrum files, folders (recursive), batch result folders, Spectrum objects.

    Returns
    -------
    CollectedInputs
        The spectra in input order, their sources and stored rows, the batch rows not
        analysed, and the batches read.

    Raises
    ------
    SpectrumFileError
        A missing path, a file that is not a readable spectrum, a folder without any; the
        message names the path.
    ValueError
        No spectrum at all.
    """
    collector = _Collector()
    for item in inputs:
        if isinstance(item, Spectrum):
            collector.add(item, "(in memory)")
            continue
        batch_dirs, files = _expand_input(Path(item))
        for folder in batch_dirs:
            collector.add_batch(folder)
        for file in files:
            collector.add_file(file)
    if not collector.spectra:
        raise ValueError(
            "no spectrum to report on" + (" (no batch row was analysed)" if collector.missing else "")
        )
    return collector.result()


def _reference_label(path: str | os.PathLike) -> str:
    """The paper table's name in the report: its path, said to be the package's own where it is."""
    if Path(path).resolve() == paper_reference_path().resolve():
        return f"the package's own table, {path}"
    return str(path)


def _check_stored(fits: pd.DataFrame, stored_rows: Sequence[dict | None]) -> list[str]:
    """Compare a batch's stored fit with our refit where K agrees; notes for the report."""
    notes, checked = [], 0
    for i, row in enumerate(stored_rows):
        if row is None or row.get("k") is None or int(row["k"]) != int(fits.iloc[i]["k"]):
            continue
        checked += 1
        for q in ("beta", "d_ks", "s"):
            ours, theirs = float(fits.iloc[i][q]), row.get(q)
            if theirs is None or not math.isclose(ours, float(theirs), rel_tol=STORED_ROW_RTOL):
                notes.append(
                    f"{fits.iloc[i]['name']}: refitted {q} = {ours:.6g} differs from the batch's "
                    f"stored {theirs!r}"
                )
    if checked:
        notes.insert(
            0,
            f"{checked} batch row(s) refitted at the batch's own K: "
            + ("all agree with the stored values." if not notes else "see the differences below."),
        )
    return notes


def _batch_network(settings: dict) -> str:
    """A batch's network from its settings: ``"GNM, cutoff 7.3 Å"``, ``"ANM pf, every pair"``."""
    model = str(settings.get("model") or "anm").upper()
    springs = settings.get("springs") or "uniform"
    cutoff = settings.get("cutoff", "?")
    if isinstance(cutoff, list) and cutoff:
        where = f"cutoffs {min(cutoff):g}-{max(cutoff):g} Å ({len(cutoff)})"
    elif cutoff is None:
        where = "every pair"
    elif isinstance(cutoff, (int, float)):
        where = f"cutoff {cutoff:g} Å"
    else:
        where = f"cutoff {cutoff}"
    law = "" if springs == "uniform" else f" {springs}"
    return f"{model}{law}, {where}"


def _settings_rows(
    settings: ReportSettings, collected: CollectedInputs, reference_path: str
) -> list[tuple[str, str]]:
    """The rows of the settings table: K rules, significance, options, and each batch's settings."""
    rows = [
        ("K rule, proteins", settings.protein.describe()),
        ("K rule, networks", settings.network.describe()),
        ("KS significance α", f"{settings.alpha:g}: Massey d_c = {MASSEY_COEFFICIENTS[settings.alpha]} / √K"),
        (
            "fitted-β critical value",
            f"(1 − α) quantile of {FITTED_N_SIM} simulated d_ks with β refitted "
            f"(compare.fitted_critical_value), seed {settings.seed}",
        ),
        (
            "bootstrap p-value",
            f"{settings.bootstrap} samples, fixed-K null: K set by the rule, β refitted "
            f"(compare.ks_p_value of a fixed-K fit), seed {settings.seed}"
            if settings.bootstrap
            else "off (--bootstrap N)",
        ),
        ("likelihood-ratio tests", "on" if settings.lr else "off (--lr)"),
        (
            "eigengaps fitted",
            f"the largest min(K, m / {settings.gap_span:g}) of a spectrum's m gaps (--gap-span)",
        ),
        ("grouped by", ", ".join(settings.group_by) or "off (--group-by COLUMN)"),
        ("paper numbers", f"{_reference_label(reference_path)} (Xie et al. 2022, Tables 6-11, 13)"),
    ]
    for info in collected.batches:
        s = info["settings"]
        if s.get("kind") == "dnnspec-sweep":
            varied = ", ".join(list(s.get("vary", {})) + sorted({n for c in s.get("cases", []) for n in c}))
            rows.append(
                (
                    f"sweep {info['path']}",
                    f"{info['rows']} runs; preset {s.get('preset') or '–'}, scale {s.get('scale') or '–'}; "
                    f"varied: {varied}; {s.get('note') or ''}",
                )
            )
            continue
        rule = (
            f"top {s['top']}"
            if s.get("top")
            else f"top {100 * s['fraction']:g} %"
            if s.get("fraction")
            else "?"
        )
        rows.append(
            (
                f"batch {info['path']}",
                f"{info['rows']} rows; {_batch_network(s)}, "
                f"γ {s.get('gamma', '?')}, batch K rule {rule}, α {s.get('alpha', '?')}, "
                f"solver {s.get('solver', '?')}, chains {s.get('chains') or 'all'}"
                + (f", min pLDDT {s['min_plddt']:g}" if s.get("min_plddt") is not None else "")
                + (", pLDDT-weighted springs" if s.get("plddt_weights") else ""),
            )
        )
    return rows


def write_report(
    inputs: Iterable | str | os.PathLike | Spectrum,
    out: str | os.PathLike,
    *,
    settings: ReportSettings | None = None,
) -> Path:
    """Fit every input spectrum and write the report folder.

    Parameters
    ----------
    inputs : path-like, Spectrum, or an iterable of them
        Spectrum files, folders (recursive), batch result folders, Spectrum objects.
    out : path-like
        Output folder (created): ``report.html``, ``report.md``, ``tables/*.csv``,
        ``figures/*.png|svg``, ``settings.json``, ``summary.json``.
    settings : ReportSettings, optional
        The report's options (default ``ReportSettings()``).

    Returns
    -------
    pathlib.Path
        The path of ``report.html``.

    Raises
    ------
    SpectrumFileError, ValueError
        Bad inputs (named in the message) or a spectrum shorter than its K.
    RuntimeError
        ``lr`` asked for and :mod:`compare.likelihood` unavailable.
    """
    settings = settings or ReportSettings()
    inputs = [inputs] if isinstance(inputs, (str, os.PathLike, Spectrum)) else list(inputs)
    collected = collect_inputs(inputs)
    spectra = list(collected.spectra)
    _check_rules(collected, settings)
    fits = fit_many(
        spectra,
        rules={"protein": settings.protein, "network": settings.network},
        alpha=settings.alpha,
        bootstrap=settings.bootstrap,
        seed=settings.seed,
        jobs=settings.jobs,
        sources=collected.sources,
    )
    reference_path = str(settings.reference or paper_reference_path())
    notes = _check_stored(fits, collected.stored_rows)
    reference = read_paper_reference(reference_path)
    notes += [f"{r['name']}: {r['note']}" for r in fits.to_dict("records") if r["note"]]
    tables = _report_tables(spectra, fits, reference, collected, settings, reference_path)
    sweep_sections, sweep_tables, sweep_figures = _sweep_parts(collected, reference, settings)
    tables.update(sweep_tables)
    out = Path(out)
    _write_tables(out, tables)
    figures = _write_figures(out, spectra, fits, reference, settings) if settings.figures else []
    for name, fig, png, caption in sweep_figures:
        _save_figure(out, name, fig, png)
        figures.append((name, png, caption))
    sections = report_sections(
        tables,
        figures,
        notes,
        bootstrap=settings.bootstrap > 0,
        not_analysed=len(collected.not_analysed),
        extra=sweep_sections,
    )
    (out / "report.md").write_text(render_markdown(settings.title, sections), encoding="utf-8")
    summary = _summary(out, tables, figures, notes)
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    resolved = {k: (asdict(v) if isinstance(v, KRule) else v) for k, v in settings.__dict__.items()}
    resolved["inputs"] = [str(i) if not isinstance(i, Spectrum) else f"Spectrum({i.name!r})" for i in inputs]
    atomic_write_text(out / "settings.json", json.dumps(resolved, indent=2) + "\n")
    html_path = out / "report.html"
    html_path.write_text(render_html(settings.title, sections), encoding="utf-8")
    return html_path


def _sweep_parts(
    collected: CollectedInputs, reference: pd.DataFrame | None, settings: ReportSettings
) -> tuple[list, dict, list]:
    """Sections, tables and figures of every ``dnnspec sweep`` folder among the inputs."""
    from compare.report.sweeps import is_sweep, sweep_sections

    by_file = {Path(src).name: s for s, src in zip(collected.spectra, collected.sources, strict=True)}
    sections, tables, figures = [], {}, []
    sweeps = [info for info in collected.batches if is_sweep(info["settings"])]
    for i, info in enumerate(sweeps):
        rows = BatchFolder(Path(info["path"])).read_rows()
        secs, tabs, figs = sweep_sections(
            rows, info["settings"], by_file, reference=reference, figures=settings.figures
        )
        suffix = "" if len(sweeps) == 1 else f"_{i + 1}"
        sections += secs
        tables.update({f"{name}{suffix}": t for name, t in tabs.items()})
        figures += [(f"{name}{suffix}", fig, png, caption) for name, fig, png, caption in figs]
    return sections, tables, figures


def _save_figure(out: Path, name: str, fig: object, png: bytes) -> None:
    from compare.report.plots import figure_bytes

    (out / "figures").mkdir(exist_ok=True)
    (out / "figures" / f"{name}.png").write_bytes(png)
    (out / "figures" / f"{name}.svg").write_bytes(figure_bytes(fig, "svg"))


def _check_rules(collected: CollectedInputs, settings: ReportSettings) -> None:
    """Refuse, naming its source, a spectrum that its kind's K rule cannot be applied to."""
    for spectrum, source in zip(collected.spectra, collected.sources, strict=True):
        rule = settings.protein if spectrum.kind == "protein" else settings.network
        try:
            rule.resolve(spectrum)
        except ValueError as exc:
            raise SpectrumFileError(f"{source}: {exc}") from None


def _report_tables(
    spectra: list[Spectrum],
    fits: pd.DataFrame,
    reference: pd.DataFrame,
    collected: CollectedInputs,
    settings: ReportSettings,
    reference_path: str,
) -> dict[str, pd.DataFrame]:
    """Every table of the report by name, in the order written (see :data:`TABLE_NAMES`)."""
    import pandas as pd

    tables = {"fits": fits}
    networks = fits[fits["kind"] == "network"]
    proteins = fits[fits["kind"] == "protein"]
    if len(networks):
        tables["networks"] = networks.reset_index(drop=True)
    if len(proteins):
        network = network_columns(fits)
        tables["proteins"] = proteins.join(network.drop(columns="network_group")).reset_index(drop=True)
        paper_rows = proteins[network["paper_network"]]
        if len(paper_rows):  # Table 13 is the paper's network: the others are in "models"
            tables["protein_size_bins"] = size_summary(paper_rows, reference)
        tables["models"] = model_table(fits)
        curve = cutoff_curve_table(fits)
        if len(curve):
            tables["cutoff_curve"] = curve
    tables["proteins_vs_networks"] = kind_comparison(fits)
    comparison = paper_comparison(spectra, reference) if reference is not None else []
    if len(comparison):
        tables["paper_comparison"] = comparison
    tables["eigengaps"] = eigengap_fits(spectra, fits, alpha=settings.alpha, span=settings.gap_span)
    if settings.lr:
        tables["likelihood_ratios"] = likelihood_table(spectra, fits)
    not_analysed = pd.DataFrame(list(collected.not_analysed), columns=["name", "source", "status", "error"])
    if len(not_analysed):
        tables["not_analysed"] = not_analysed
    for by in settings.group_by:
        tables[group_table_name(by)] = group_summary(fits, by)
    paired = predicted_beside_experimental(fits)
    if len(paired):
        tables["predicted_vs_experimental"] = paired
    settings_rows = _settings_rows(settings, collected, reference_path)
    tables["settings"] = pd.DataFrame(settings_rows, columns=["setting", "value"])
    return tables


def _write_tables(out: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Write ``tables/<name>.csv``, after removing the files of an earlier report into ``out``."""
    (out / "tables").mkdir(parents=True, exist_ok=True)
    _remove_stale(out, tables)
    for name, table in tables.items():
        table.to_csv(out / "tables" / f"{name}.csv", index=False)


def _write_figures(
    out: Path, spectra: list[Spectrum], fits: pd.DataFrame, reference: pd.DataFrame, settings: ReportSettings
) -> list[tuple[str, bytes, str]]:
    """Draw the figures, write ``figures/<name>.png`` and ``.svg``; (name, PNG bytes, caption) of each."""
    from compare.report.plots import figure_bytes, report_figures

    (out / "figures").mkdir(exist_ok=True)
    figures = []
    for name, fig, caption in report_figures(
        spectra,
        fits,
        reference=reference,
        alpha=settings.alpha,
        overlay=settings.overlay,
        gap_span=settings.gap_span,
    ) + model_figures(fits):
        png = figure_bytes(fig, "png")
        (out / "figures" / f"{name}.png").write_bytes(png)
        (out / "figures" / f"{name}.svg").write_bytes(figure_bytes(fig, "svg"))
        figures.append((name, png, caption))
    return figures


def _remove_stale(out: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Delete the report files of an earlier run into ``out`` (known names only) before writing."""
    stale = [out / "tables" / f"{name}.csv" for name in TABLE_NAMES if name not in tables]
    stale += [p for p in (out / "tables").glob(f"{GROUP_PREFIX}*.csv") if p.stem not in tables]
    stale += [out / "figures" / f"{name}.{ext}" for name in FIGURE_NAMES for ext in ("png", "svg")]
    stale += [p for p in (out / "tables").glob("sweep_*.csv") if p.stem not in tables]
    stale += list((out / "figures").glob("sweep_*.png")) + list((out / "figures").glob("sweep_*.svg"))
    for path in stale:
        path.unlink(missing_ok=True)


def _summary(
    out: Path, tables: dict[str, pd.DataFrame], figures: list[tuple[str, bytes, str]], notes: list[str]
) -> dict[str, object]:
    """The contents of ``summary.json``: the files written, per-kind statistics and the notes."""
    fits = tables["fits"]
    kinds = {}
    for kind in KINDS:
        part = fits[fits["kind"] == kind]
        if len(part):
            kinds[kind] = {
                "spectra": int(len(part)),
                "pass_rate": float(part["is_power_law"].mean()),
                "pass_rate_fitted": float(part["is_power_law_fitted"].mean()),
                "s_mean": float(part["s"].mean()),
                "beta_mean": float(part["beta"].mean()),
            }
    return {
        "report": str(out / "report.html"),
        "markdown": str(out / "report.md"),
        "tables": {name: str(out / "tables" / f"{name}.csv") for name in tables},
        "figures": [str(out / "figures" / f"{name}.png") for name, _, _ in figures],
        "kinds": kinds,
        "not_analysed": int(len(tables.get("not_analysed", []))),
        "notes": notes,
    }
