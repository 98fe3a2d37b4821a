"""Many structures in parallel: one result row per entry, a failure is a row, never a crash.

Data flow: ``discover_inputs`` lists the structure files (id lists are fetched into a
cache first); ``process_entry`` turns one file into one row (and one spectrum file);
``run_batch`` maps it over the files with joblib (or a Dask cluster), appends each row to a
journal as soon as it arrives, and writes the results table and summary at the end, so an
interrupted run keeps every finished entry and a rerun picks up where it stopped.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from compare import meta as keys
from compare import runner
from compare.batchdir import SPECTRUM_COLUMN, BatchFolder, spectrum_key
from compare.errors import InputError
from compare.powerlaw import PowerLawFit
from compare.runner import describe_failure
from compare.spectrum import Spectrum
from enmspec.confidence import drop_low_plddt
from enmspec.eigen import torch_device
from enmspec.errors import EnmspecError, FloppyNetworkError
from enmspec.modes import entry_extras
from enmspec.spectrum import AnalysisSettings, analyze_structure, entry_meta
from enmspec.structure import load_structure, strip_suffixes
from enmspec.study import analyze_study

if TYPE_CHECKING:
    import pandas as pd

    from enmspec.afdb import AfdbSource
    from enmspec.fetch import FetchSettings

log = logging.getLogger(__name__)

STRUCTURE_SUFFIXES = (".pdb", ".ent", ".cif", ".mmcif", ".pdb.gz", ".ent.gz", ".cif.gz", ".mmcif.gz")
COLUMNS = (
    "id",
    "path",
    "n_residues",
    "n_chains",
    "n_modes",
    "n_zero",
    "k",
    "x_min",
    "beta",
    "sigma",
    "s",
    "d_ks",
    "d_c",
    "is_power_law",
    "solver",
    "seconds",
    "status",
    "error",
    SPECTRUM_COLUMN,
    *keys.ENTRY_COLUMNS,
    keys.PLDDT_MEAN,
    keys.N_LOW_PLDDT,
    "model",
    "springs",
    "cutoff",
    "bfactor_r",
    "modes",
)
INT_COLUMNS = (
    "n_residues",
    "n_chains",
    "n_modes",
    "n_zero",
    "k",
    keys.N_ENTITIES,
    keys.N_CHAINS_FILE,
    keys.N_LOW_PLDDT,
)
#: Row columns copied from the spectrum's meta: what the file says about the entry, and pLDDT.
_META_ROW_COLUMNS = (*keys.ENTRY_COLUMNS, keys.PLDDT_MEAN, keys.N_LOW_PLDDT)
ID_LIST_SUFFIXES = (".txt", ".ids", ".list")


def entry_name(path: Path) -> str:
    """File name without structure and compression suffixes."""
    return strip_suffixes(path.name)


def discover_inputs(inputs: Iterable[str | os.PathLike]) -> list[Path]:
    """Structure files named directly or found (recursively) in folders, in a stable order.

    Hidden files and folders (names starting with ".", such as a fetch cache's ``.partial``)
    are skipped.

    A missing input is kept in the list so that it is reported as a failed row.
    """
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and p.name.lower().endswith(STRUCTURE_SUFFIXES)
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def process_entry(
    path: str | os.PathLike, settings: AnalysisSettings, spectra_dir: Path | None
) -> list[dict]:
    """One structure file -> its result rows (one per cutoff); any failure becomes a row with its reason.

    Parameters
    ----------
    path : str or path-like
        The structure file.
    settings : AnalysisSettings
        How to analyse it; several cutoffs (a cutoff study) give one row each.
    spectra_dir : pathlib.Path, optional
        Where to write the spectrum file (named by :func:`compare.batchdir.spectrum_key`,
        recorded in the row's ``spectrum`` column) and, with ``settings.modes``, the modes
        (``modes`` column: ``<key>.modes.npz``, and ``<key>.nmd`` for the ANM); None writes none.

    Returns
    -------
    list of dict
        The rows, with the columns :data:`COLUMNS` and the journal's ``key`` (:func:`row_key`).
        ``status`` is ``done``, ``excluded`` (more zero modes than a connected network has, as
        the paper excluded them) or ``failed`` (``error`` says why: the exception's message,
        prefixed by its type unless it is an input error).
    """
    path = Path(path)
    started = time.perf_counter()
    base: dict = {c: None for c in COLUMNS}
    base.update(id=entry_name(path), path=str(path), model=settings.model, springs=settings.springs)
    cutoffs = settings.cutoffs
    extras: dict = {}
    try:
        if settings.is_study:
            study = analyze_study(path, settings)
            structure = study.structure
            found = [
                (r.cutoff, r.spectrum, f, r.error) for r, f in zip(study.results, study.fits, strict=True)
            ]
        else:
            structure, spectrum, fit = analyze_structure(path, settings)
            found = [(settings.cutoff, spectrum, fit, None)]
        for cutoff, spectrum, _, _ in found:
            if spectrum is not None:
                name = _spectrum_name(path, cutoff, settings)
                extras[cutoff] = entry_extras(structure, settings, cutoff, spectra_dir, name)
    except FloppyNetworkError as exc:
        found = [(c, None, None, exc) for c in cutoffs]
    except Exception as exc:  # noqa: BLE001 - one entry's failure, whatever raised it, is a row
        base.update(status="failed", error=describe_failure(exc, path))
        found = [(c, None, None, None) for c in cutoffs]
    rows = []
    for cutoff, spectrum, fit, error in found:
        row = dict(base, cutoff=cutoff, key=row_key(path, cutoff, settings))
        if isinstance(error, FloppyNetworkError):
            row.update(id=error.entry, status="excluded", n_zero=error.n_zero, error=str(error))
            row.update(_entry_columns(path, settings))
        elif spectrum is not None:
            row.update(extras.get(cutoff, {}), **_done_cells(spectrum, fit, structure.entry_id))
            if spectra_dir is not None:
                row[SPECTRUM_COLUMN] = _spectrum_name(path, cutoff, settings)
                spectrum.save(spectra_dir / row[SPECTRUM_COLUMN])
        rows.append(row)
    seconds = round(time.perf_counter() - started, 4)
    for row in rows:
        row["seconds"] = seconds
    return rows


def _spectrum_name(path: Path, cutoff: float | None, settings: AnalysisSettings) -> str:
    """The spectrum file of a row (:func:`compare.batchdir.spectrum_key`; a study's names its cutoff)."""
    name = f"{entry_name(path)}-{cutoff:g}A" if settings.is_study else entry_name(path)
    return spectrum_key(name, path)


def _done_cells(spectrum: Spectrum, fit: PowerLawFit, entry_id: str) -> dict:
    meta = spectrum.meta
    return dict(
        id=entry_id,
        n_residues=meta[keys.N_RESIDUES],
        n_chains=meta[keys.N_CHAINS],
        n_modes=meta[keys.N_MODES],
        n_zero=meta[keys.N_ZERO],
        solver=meta[keys.SOLVER],
        status="done",
        **{c: meta.get(c) for c in _META_ROW_COLUMNS},
        **{k: v for k, v in fit.as_dict().items() if k in COLUMNS},
    )


def row_key(path: str | os.PathLike, cutoff: float | None, settings: AnalysisSettings) -> str:
    """The journal key of a row: its path, and in a cutoff study also its cutoff.

    Parameters
    ----------
    path : str or path-like
        The entry's file.
    cutoff : float or None
        The row's cutoff.
    settings : AnalysisSettings

    Returns
    -------
    str
        ``"<path>"``, or ``"<path>#cutoff=<cutoff>"`` in a study.
    """
    return f"{path}#cutoff={cutoff:g}" if settings.is_study else str(path)


def _entry_columns(path: Path, settings: AnalysisSettings) -> dict:
    """The metadata and pLDDT columns of an entry read but not fitted (an excluded network)."""
    try:
        structure = load_structure(path, chains=settings.chains)
        n_low = None
        if settings.min_plddt is not None:
            structure, n_low = drop_low_plddt(structure, settings.min_plddt)
    except EnmspecError:
        return {}
    return {**entry_meta(structure), keys.N_LOW_PLDDT: n_low}


#: The row field that keys the journal: ``key`` (path, and a study's cutoff), else ``path``
#: (fetch failures, and journals written before cutoff studies).
_KEY_FIELDS = ("key", "path")
#: Settings that may differ between a batch and its resumption.
_RESUMABLE_ACROSS = ("device", "max_residues")


def _fetch_failure_row(id_list: Path, entry: str, reason: str) -> dict:
    row = {c: None for c in COLUMNS}
    row.update(id=entry, path=f"{id_list}#{entry}", status="failed", error=reason)
    return row


def _resolve_inputs(
    inputs: list,
    cache: str | os.PathLike | None,
    fetch_settings: FetchSettings | None,
    progress: bool,
    afdb_source: AfdbSource | None = None,
) -> tuple[list[Path], list[dict]]:
    """Structure paths from files, folders and id lists (``*.txt``: fetched into ``cache``).

    An id list holds PDB ids (fetched from the PDB) or UniProt accessions (their AlphaFold DB
    models, :func:`enmspec.afdb.fetch_afdb`).
    """
    paths: list[Path] = []
    failures: list[dict] = []
    for item in inputs:
        item = Path(item)
        if item.is_file() and item.suffix.lower() in ID_LIST_SUFFIXES:
            if cache is None:
                raise InputError(f"{item} is a list of entry ids: give --cache DIR to fetch them into")
            from enmspec.afdb import fetch_afdb, read_entry_list
            from enmspec.fetch import fetch

            kind, ids = read_entry_list(item)
            if kind == "afdb":
                report = fetch_afdb(
                    ids, cache=cache, settings=fetch_settings, source=afdb_source, progress=progress
                )
            else:
                report = fetch(ids, cache=cache, settings=fetch_settings, progress=progress)
            paths.extend(report.paths.values())
            failures.extend(_fetch_failure_row(item, e, r) for e, r in report.failed.items())
        else:
            paths.extend(discover_inputs([item]))
    return list(dict.fromkeys(paths)), failures


#: Default worker processes on a CUDA device: each holds its own CUDA context (several hundred
#: MB of GPU memory), and a few workers keep one GPU busy while the others parse and build
#: Hessians on the CPU.
GPU_JOBS = 4


def resolve_jobs(jobs: int | None, settings: AnalysisSettings) -> int:
    """Worker processes for ``jobs``.

    Parameters
    ----------
    jobs : int, optional
        None: the default for ``settings.device`` (all cores, or :data:`GPU_JOBS` on CUDA);
        -1: all cores; else at least 1.
    settings : AnalysisSettings

    Returns
    -------
    int
    """
    default = GPU_JOBS if (settings.device or "").startswith("cuda") else -1
    return runner.resolve_jobs(jobs, default=default)


def run_batch(
    inputs: Iterable[str | os.PathLike],
    out: str | os.PathLike,
    *,
    settings: AnalysisSettings | None = None,
    jobs: int | None = None,
    cache: str | os.PathLike | None = None,
    fetch_settings: FetchSettings | None = None,
    scheduler: str | None = None,
    write_csv: bool = False,
    progress: bool = False,
    on_row: Callable[[dict], None] | None = None,
    afdb_source: AfdbSource | None = None,
) -> pd.DataFrame:
    """Fit every structure of ``inputs`` in parallel; resumable; returns the results table.

    Parameters
    ----------
    inputs : iterable of path-like
        Structure files, folders (searched recursively for ``.pdb``, ``.ent``, ``.cif``,
        optionally ``.gz``; hidden ones skipped) and id lists (``.txt``, ``.ids``, ``.list``:
        one or more PDB ids, or UniProt accessions for AlphaFold DB models, per line), whose
        entries come from ``cache``, downloaded first where missing.
        :func:`enmspec.example_structures` gives the shipped examples.
    out : path-like
        Output folder (:class:`compare.batchdir.BatchFolder`): ``results.parquet`` (and
        ``results.csv`` with ``write_csv``), one row per input in input order with columns
        :data:`COLUMNS`; ``spectra/<key>.spectrum.npz`` for every fitted entry, its name in
        the row's ``spectrum`` column; ``summary.json``; ``settings.json``; ``rows.jsonl``,
        the journal that makes the batch resumable.
    settings : AnalysisSettings, optional
        Default: cutoff 9 A, gamma 1, top tenth of the inverse spectrum, alpha 0.05.
    jobs : int, optional
        Worker processes (-1: all cores), each with one BLAS thread per core it owns.
        Default: all cores, or :data:`GPU_JOBS` when ``settings.device`` is a CUDA device
        (each worker holds its own CUDA context).
    cache : path-like, optional
        Entry cache for id lists (see :func:`enmspec.fetch`).
    fetch_settings : enmspec.fetch.FetchSettings, optional
        How id lists are downloaded.
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:8786``): the same batch runs
        on its workers through joblib's dask backend (needs the ``dask`` extra).
    write_csv : bool
        Also write ``results.csv``.
    progress : bool
        Progress bar with done and failed counts and ETA.
    on_row : callable, optional
        Called with each new row once it is in the journal (a hook for progress reporting
        and for tests that stop a batch at a given row).
    afdb_source : enmspec.afdb.AfdbSource, optional
        Where accession lists are downloaded from (default: AlphaFold DB's API).

    Returns
    -------
    pandas.DataFrame
        The results table; ``table.attrs["skipped"]`` counts the inputs already final from
        an earlier run.

    Notes
    -----
    Resumable and safe: each finished row is appended to ``rows.jsonl`` (flushed and synced)
    after its spectrum file is in place, and every table is written to a temporary file and
    renamed. A rerun with the same ``out`` skips inputs already ``done`` or ``excluded`` and
    retries the ``failed`` ones; killing the process loses only the entries in flight. The
    largest files go first so that big entries do not straggle at the end. Any exception
    raised while reading or solving one entry becomes a ``failed`` row; only usage errors
    (bad options, an unusable output folder, no inputs) stop the batch.
    """
    settings = settings or AnalysisSettings()
    jobs = resolve_jobs(jobs, settings)
    if settings.device is not None and scheduler is None:
        torch_device(settings.device)  # a missing GPU is one error here, not a failed row per entry
    folder = BatchFolder(Path(out))
    inputs = list(inputs)
    if not inputs:
        raise InputError("no inputs given")
    paths, fetch_failures = _resolve_inputs(inputs, cache, fetch_settings, progress, afdb_source)
    if not paths and not fetch_failures:
        raise InputError(f"no structure files found in {', '.join(map(str, inputs))}")
    runner.prepare_folder(folder)
    runner.lock_settings(
        folder, asdict(settings), resumable_across=_RESUMABLE_ACROSS, defaults=asdict(AnalysisSettings())
    )
    plan = runner.plan_runs(
        paths,
        folder,
        key=lambda p: tuple(row_key(p, c, settings) for c in settings.cutoffs),
        cost=_file_size,
        key_field=_KEY_FIELDS,
    )
    recorded = dict(plan.recorded)
    # Fetch failures are rows of their own, recorded first and retried by a rerun's fetch.
    runner.record_rows(fetch_failures, folder, recorded)
    per_entry = runner.map_unordered(
        process_entry, plan.todo, args=(settings, folder.spectra), jobs=jobs, scheduler=scheduler
    )
    runner.record_rows(
        (row for rows in per_entry for row in rows),  # a cutoff study gives a row per cutoff
        folder,
        recorded,
        key_field=_KEY_FIELDS,
        total=len(plan.todo) * len(settings.cutoffs),
        progress=progress,
        desc="enmspec batch",
        unit="row",
        on_row=on_row,
    )
    keys = plan.keys + tuple(r["path"] for r in fetch_failures)
    return _write_results(folder, keys, recorded, plan.n_skipped, write_csv)


def _file_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _write_results(
    folder: BatchFolder, keys: tuple, recorded: dict, n_skipped: int, write_csv: bool
) -> pd.DataFrame:
    import pandas as pd

    from compare.summary import summarize

    table = pd.DataFrame([recorded[k] for k in keys], columns=list(COLUMNS))
    # Counts stay integers where a failed row leaves them empty (pandas' nullable types).
    table = table.astype({c: "Int64" for c in INT_COLUMNS} | {"is_power_law": "boolean"})
    folder.write_table(table, csv=write_csv)
    summary = summarize(table)
    summary["skipped"] = n_skipped
    folder.write_summary(summary)
    table.attrs["skipped"] = n_skipped
    return table
