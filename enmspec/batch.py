"""Many structures in parallel: one result row per entry, a failure is a row, never a crash.

Data flow: ``discover_inputs`` lists the structure files (id lists are fetched into a
cache first); ``process_entry`` turns one file into one row (and one spectrum file);
``run_batch`` maps it over the files with joblib (or a Dask cluster), appends each row to a
journal as soon as it arrives, and writes the results table and summary at the end, so an
interrupted run keeps every finished entry and a rerun picks up where it stopped.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from compare import meta as keys
from compare.batchdir import SPECTRUM_COLUMN, BatchFolder, spectrum_key
from compare.errors import InputError
from compare.powerlaw import PowerLawFit
from compare.spectrum import Spectrum
from enmspec.eigen import torch_device
from enmspec.errors import FloppyNetworkError
from enmspec.modes import entry_extras
from enmspec.spectrum import AnalysisSettings, analyze_structure
from enmspec.structure import strip_suffixes
from enmspec.study import analyze_study

if TYPE_CHECKING:
    import pandas as pd

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
    "model",
    "springs",
    "cutoff",
    "bfactor_r",
    "modes",
)
INT_COLUMNS = ("n_residues", "n_chains", "n_modes", "n_zero", "k")
ID_LIST_SUFFIXES = (".txt", ".ids", ".list")
#: Rows a rerun does not redo; ``failed`` ones are retried.
FINAL_STATUSES = ("done", "excluded")


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


#: Seconds between a worker's checks that the batch that started it is still alive.
PARENT_POLL_SECONDS = 0.5
_watchdog_started = threading.Event()  # per process: a worker starts its watchdog once


def _exit_with_parent(parent: int) -> None:
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(1)  # the batch was killed: an orphaned worker only holds memory


def watch_parent(parent: int) -> None:
    """In a loky worker, exit as soon as the batch that started it dies.

    Pool workers otherwise wait out an idle timeout of minutes after a ``kill -9`` of the
    batch, holding their memory. The loky workers' initializer; once per process. (Dask
    workers belong to their cluster, which outlives a batch.)

    Parameters
    ----------
    parent : int
        The batch's process id, passed by the batch itself: a worker that starts after its
        parent died would otherwise take its new parent, init, for the batch.
    """
    if _watchdog_started.is_set():
        return
    _watchdog_started.set()
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


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


def describe_failure(exc: BaseException, path: Path) -> str:
    """One line for a failed entry.

    The message, with the exception's type unless it is an input error, and the file's name
    when the message does not already give it.

    Parameters
    ----------
    exc : BaseException
        What was raised.
    path : pathlib.Path
        The entry's file.

    Returns
    -------
    str
    """
    message = " ".join(str(exc).split())
    if not isinstance(exc, InputError):
        message = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    if str(path) not in message:
        message = f"{path}: {message}"
    return message


def _rows(
    paths: list[Path], settings: AnalysisSettings, spectra_dir: Path, jobs: int, scheduler: str | None
) -> Iterator[dict]:
    if scheduler is None and (jobs == 1 or len(paths) <= 1):
        for p in paths:
            yield from process_entry(p, settings, spectra_dir)
        return
    from joblib import Parallel, delayed, parallel_config

    tasks = (delayed(process_entry)(p, settings, spectra_dir) for p in paths)
    if scheduler is not None:
        from distributed import Client  # the optional 'dask' extra

        with Client(scheduler), parallel_config(backend="dask"):
            for rows in Parallel(return_as="generator_unordered")(tasks):
                yield from rows
        return
    # loky limits each worker's BLAS to cores / jobs threads: no oversubscription. Each worker
    # starts its parent watchdog as it starts, before it has any task.
    with parallel_config(backend="loky", initializer=watch_parent, initargs=(os.getpid(),)):
        for rows in Parallel(n_jobs=jobs, return_as="generator_unordered")(tasks):
            yield from rows


#: Settings that may differ between a batch and its resumption.
_RESUMABLE_ACROSS = ("device", "max_residues")


def _check_settings(folder: BatchFolder, settings: AnalysisSettings) -> None:
    """Refuse to mix rows made with other settings into one results table."""
    # through JSON, as settings.json holds them (a cutoff study's tuple reads back as a list)
    current = json.loads(
        json.dumps({k: v for k, v in asdict(settings).items() if k not in _RESUMABLE_ACROSS})
    )
    previous = folder.read_settings()
    if previous is None:
        folder.write_settings(current)
    elif previous != current:
        changed = sorted(k for k in current if previous.get(k) != current[k])
        raise InputError(
            f"{folder.root} holds a batch made with other settings ({', '.join(changed)}); "
            f"use another --out folder or the same settings to resume"
        )


def _fetch_failure_row(id_list: Path, entry: str, reason: str) -> dict:
    row = {c: None for c in COLUMNS}
    row.update(id=entry, path=f"{id_list}#{entry}", status="failed", error=reason)
    return row


def _resolve_inputs(
    inputs: list, cache: str | os.PathLike | None, fetch_settings: FetchSettings | None, progress: bool
) -> tuple[list[Path], list[dict]]:
    """Structure paths from files, folders and id lists (``*.txt``: fetched into ``cache``)."""
    paths: list[Path] = []
    failures: list[dict] = []
    for item in inputs:
        item = Path(item)
        if item.is_file() and item.suffix.lower() in ID_LIST_SUFFIXES:
            if cache is None:
                raise InputError(f"{item} is a list of PDB ids: give --cache DIR to fetch them into")
            from enmspec.fetch import fetch, read_ids

            report = fetch(read_ids(item), cache=cache, settings=fetch_settings, progress=progress)
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
    if jobs is None:
        jobs = GPU_JOBS if (settings.device or "").startswith("cuda") else -1
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs == 0 or jobs < -1:
        raise ValueError(f"jobs must be an int >= 1 or -1 (all cores), got {jobs!r}")
    return (os.cpu_count() or 1) if jobs == -1 else jobs


@dataclass(frozen=True)
class BatchPlan:
    """What a run of a batch will do: every input's key, and the inputs still to compute.

    Parameters
    ----------
    keys : tuple of str
        One key per input, in input order (the rows of the results table).
    todo : tuple of pathlib.Path
        Inputs without a final row, largest file first.
    recorded : dict
        Rows already in the journal, by key.
    fetch_failures : tuple of dict
        Rows of id-list entries that could not be fetched.
    todo_rows : int, optional
        Rows the inputs still to compute will give (default one each; a cutoff study's give one
        per cutoff).
    """

    keys: tuple
    todo: tuple
    recorded: dict
    fetch_failures: tuple
    todo_rows: int | None = None

    @property
    def n_skipped(self) -> int:
        """Rows already final from an earlier run (done or excluded)."""
        todo = len(self.todo) if self.todo_rows is None else self.todo_rows
        return len(self.keys) - todo - len(self.fetch_failures)


def plan_batch(
    paths: list[Path],
    fetch_failures: list[dict],
    folder: BatchFolder,
    *,
    keys_of: Callable[[Path], list[str]] | None = None,
) -> BatchPlan:
    """Match the inputs against the journal: which rows are final, which are to compute.

    Parameters
    ----------
    paths : list of pathlib.Path
        Structure files, in input order.
    fetch_failures : list of dict
        Failed rows of fetched id lists.
    folder : BatchFolder
        The output folder (its journal is read).
    keys_of : callable, optional
        The keys of one input's rows (a cutoff study has one per cutoff); default its path.

    Returns
    -------
    BatchPlan
    """
    keys_of = keys_of or (lambda p: [str(p)])
    recorded = folder.read_journal(key=("key", "path"))
    per_path = {p: keys_of(p) for p in paths}
    keys = tuple([k for p in paths for k in per_path[p]] + [r["path"] for r in fetch_failures])
    todo = [
        p for p in paths if any(recorded.get(k, {}).get("status") not in FINAL_STATUSES for k in per_path[p])
    ]
    sizes = {p: (p.stat().st_size if p.exists() else 0) for p in todo}
    todo.sort(key=sizes.__getitem__, reverse=True)
    return BatchPlan(
        keys=keys,
        todo=tuple(todo),
        recorded=recorded,
        fetch_failures=tuple(fetch_failures),
        todo_rows=sum(len(per_path[p]) for p in todo),
    )


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
) -> pd.DataFrame:
    """Fit every structure of ``inputs`` in parallel; resumable; returns the results table.

    Parameters
    ----------
    inputs : iterable of path-like
        Structure files, folders (searched recursively for ``.pdb``, ``.ent``, ``.cif``,
        optionally ``.gz``; hidden ones skipped) and id lists (``.txt``, ``.ids``, ``.list``:
        one or more PDB ids per line), whose entries come from ``cache``, downloaded first
        where missing. :func:`enmspec.example_structures` gives the shipped examples.
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
    paths, fetch_failures = _resolve_inputs(inputs, cache, fetch_settings, progress)
    if not paths and not fetch_failures:
        raise InputError(f"no structure files found in {', '.join(map(str, inputs))}")
    _prepare_folder(folder)
    _check_settings(folder, settings)
    plan = plan_batch(
        paths, fetch_failures, folder, keys_of=lambda p: [row_key(p, c, settings) for c in settings.cutoffs]
    )
    recorded = dict(plan.recorded)
    _compute(plan, recorded, folder, settings, jobs, scheduler, progress, on_row)
    return _write_results(folder, plan, recorded, write_csv)


def _prepare_folder(folder: BatchFolder) -> None:
    if folder.root.exists() and not folder.root.is_dir():
        raise InputError(f"{folder.root}: not a folder (--out must be a folder)")
    try:
        folder.spectra.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{folder.root}: cannot create the output folder ({exc.strerror or exc})") from None
    if not os.access(folder.root, os.W_OK):
        raise InputError(f"{folder.root}: the output folder is not writable")


def _compute(
    plan: BatchPlan,
    recorded: dict,
    folder: BatchFolder,
    settings: AnalysisSettings,
    jobs: int,
    scheduler: str | None,
    progress: bool,
    on_row: Callable[[dict], None] | None,
) -> None:
    bar = None
    if progress and plan.todo:
        from tqdm import tqdm

        bar = tqdm(total=len(plan.todo), unit="entry", desc="enmspec batch")
    n_failed = 0
    try:
        with folder.appending() as append:
            for row in plan.fetch_failures:
                append(row)
                recorded[row["path"]] = row
            for row in _rows(list(plan.todo), settings, folder.spectra, jobs, scheduler):
                append(row)
                recorded[row["key"]] = row
                if row["status"] != "done":
                    n_failed += 1
                    log.warning("%s: %s", row["id"], row["error"])
                if bar is not None:
                    bar.set_postfix(done=bar.n + 1 - n_failed, failed=n_failed)
                    bar.update(1)
                if on_row is not None:
                    on_row(row)
    finally:
        if bar is not None:
            bar.close()


def _write_results(folder: BatchFolder, plan: BatchPlan, recorded: dict, write_csv: bool) -> pd.DataFrame:
    import pandas as pd

    from compare.summary import summarize

    table = pd.DataFrame([recorded[k] for k in plan.keys], columns=list(COLUMNS))
    # Counts stay integers where a failed row leaves them empty (pandas' nullable types).
    table = table.astype({c: "Int64" for c in INT_COLUMNS} | {"is_power_law": "boolean"})
    folder.write_table(table, csv=write_csv)
    summary = summarize(table)
    summary["skipped"] = plan.n_skipped
    folder.write_summary(summary)
    table.attrs["skipped"] = plan.n_skipped
    return table
