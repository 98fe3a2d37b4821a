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
import math
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from compare import fit_power_law
from compare.files import atomic_path, atomic_write_text, read_jsonl
from compare.powerlaw import critical_value
from enmspec.eigen import SOLVERS, solver_for_device, torch_device
from enmspec.errors import EnmspecError, FloppyNetworkError
from enmspec.hessian import DEFAULT_CUTOFF, DEFAULT_GAMMA
from enmspec.spectrum import inverse_spectrum
from enmspec.structure import load_structure, strip_suffixes

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
)
INT_COLUMNS = ("n_residues", "n_chains", "n_modes", "n_zero", "k")
RESULTS_NAME = "results.parquet"
CSV_NAME = "results.csv"
JOURNAL_NAME = "rows.jsonl"
SETTINGS_NAME = "settings.json"
SUMMARY_NAME = "summary.json"
SPECTRA_DIR = "spectra"
ID_LIST_SUFFIXES = (".txt", ".ids", ".list")
#: Rows a rerun does not redo; ``failed`` ones are retried.
FINAL_STATUSES = ("done", "excluded")
#: The paper keeps the top tenth of each inverse spectrum.
PAPER_FRACTION = 0.1


@dataclass(frozen=True)
class AnalysisSettings:
    """How each structure is turned into a fitted spectrum.

    Exactly one of ``top`` and ``fraction`` is set (``fraction=0.1`` by default, the paper's
    rule). Validated on creation.
    """

    cutoff: float = DEFAULT_CUTOFF
    gamma: float = DEFAULT_GAMMA
    top: int | None = None
    fraction: float | None = PAPER_FRACTION
    alpha: float = 0.05
    solver: str = "auto"
    allow_floppy: bool = False
    chains: str | None = None
    #: Torch device of the ``torch`` solver; not part of a batch's identity (a batch begun on
    #: the CPU may be resumed on a GPU).
    device: str | None = None

    def __post_init__(self) -> None:
        if self.top is not None and self.fraction is not None:
            object.__setattr__(self, "fraction", None)
        if self.top is None and self.fraction is None:
            raise ValueError("set top or fraction")
        if self.top is not None and (isinstance(self.top, bool) or int(self.top) < 2):
            raise ValueError(f"top must be an int >= 2, got {self.top!r}")
        if self.fraction is not None and not 0 < self.fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], got {self.fraction!r}")
        if not (self.cutoff > 0 and math.isfinite(self.cutoff)):
            raise ValueError(f"cutoff must be a positive number, got {self.cutoff!r}")
        if not (self.gamma > 0 and math.isfinite(self.gamma)):
            raise ValueError(f"gamma must be a positive number, got {self.gamma!r}")
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")
        solver_for_device(self.solver, self.device)
        critical_value(2, self.alpha)  # validates alpha


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
    seen: set[Path] = set()
    unique = []
    for p in found:
        if p not in seen:
            seen.add(p)
            unique.append(p)
    return unique


def analyze_structure(path: str | os.PathLike, settings: AnalysisSettings):
    """Structure file -> (Structure, Spectrum, PowerLawFit); raises on bad input."""
    structure = load_structure(path, chains=settings.chains)
    try:
        spectrum = inverse_spectrum(
            structure,
            cutoff=settings.cutoff,
            gamma=settings.gamma,
            top=settings.top,
            fraction=settings.fraction,
            solver=settings.solver,
            device=settings.device,
            allow_floppy=settings.allow_floppy,
        )
        fit = fit_power_law(spectrum.values, alpha=settings.alpha)
    except ValueError as exc:
        # Name the file, not only the entry id, so that a user can find the input.
        message = str(exc)
        prefix = f"{structure.entry_id}: "
        if message.startswith(prefix):
            message = message[len(prefix) :]
        exc.args = (f"{path} ({structure.entry_id}): {message}",)
        raise
    return structure, spectrum, fit


def process_entry(path: str | os.PathLike, settings: AnalysisSettings, spectra_dir: Path | None) -> dict:
    """One structure file -> one result row; bad input becomes a row with its reason.

    ``status`` is ``done``, ``excluded`` (more than six zero modes, as the paper excluded
    them) or ``failed`` (the ``error`` column says why).
    """
    path = Path(path)
    started = time.perf_counter()
    row: dict = {c: None for c in COLUMNS}
    row.update(id=entry_name(path), path=str(path))
    try:
        structure, spectrum, fit = analyze_structure(path, settings)
    except FloppyNetworkError as exc:
        row.update(id=exc.entry, status="excluded", n_zero=exc.n_zero, error=str(exc))
    except (EnmspecError, ValueError, MemoryError) as exc:
        row.update(status="failed", error=str(exc) or type(exc).__name__)
    else:
        meta = spectrum.meta
        row.update(
            id=structure.entry_id,
            n_residues=meta["n_residues"],
            n_chains=meta["n_chains"],
            n_modes=meta["n_modes"],
            n_zero=meta["n_zero"],
            solver=meta["solver"],
            status="done",
            **{k: v for k, v in fit.as_dict().items() if k in COLUMNS},
        )
        if spectra_dir is not None:
            spectrum.save(spectra_dir / f"{entry_name(path)}.spectrum.npz")
    row["seconds"] = round(time.perf_counter() - started, 4)
    return row


def _rows(
    paths: list[Path], settings: AnalysisSettings, spectra_dir: Path, jobs: int, scheduler: str | None
) -> Iterator[dict]:
    if scheduler is None and (jobs == 1 or len(paths) <= 1):
        for p in paths:
            yield process_entry(p, settings, spectra_dir)
        return
    from joblib import Parallel, delayed, parallel_config

    tasks = (delayed(process_entry)(p, settings, spectra_dir) for p in paths)
    if scheduler is not None:
        from distributed import Client  # the optional 'dask' extra

        with Client(scheduler), parallel_config(backend="dask"):
            yield from Parallel(return_as="generator_unordered")(tasks)
        return
    # loky limits each worker's BLAS to cores / jobs threads: no oversubscription.
    yield from Parallel(n_jobs=jobs, return_as="generator_unordered")(tasks)


def read_journal(path: Path) -> dict[str, dict]:
    """Rows already recorded in ``rows.jsonl`` (the last row of each input wins).

    A line cut short by a crash is ignored: rows are appended one whole line at a time, so
    only the entry in flight can be lost.
    """
    return read_jsonl(path, key="path")


def _repair_journal(path: Path) -> None:
    """Cut a line left unfinished by a crash, so that the next row starts on a line of its own."""
    if not path.is_file():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as fh:
            fh.truncate(data.rfind(b"\n") + 1)


def _append(fh, row: dict) -> None:
    fh.write(json.dumps(row) + "\n")
    fh.flush()
    os.fsync(fh.fileno())


#: Settings that may differ between a batch and its resumption.
_RESUMABLE_ACROSS = ("device",)


def _check_settings(out: Path, settings: AnalysisSettings) -> None:
    """Refuse to mix rows made with other settings into one results table."""
    path = out / SETTINGS_NAME
    current = {k: v for k, v in asdict(settings).items() if k not in _RESUMABLE_ACROSS}
    if path.is_file():
        previous = json.loads(path.read_text())
        if previous != current:
            changed = sorted(k for k in current if previous.get(k) != current[k])
            raise ValueError(
                f"{out} holds a batch made with other settings ({', '.join(changed)}); "
                f"use another --out folder or the same settings to resume"
            )
    else:
        atomic_write_text(path, json.dumps(current, indent=2) + "\n")


def _resolve_inputs(inputs, cache, fetch_settings, progress) -> tuple[list[Path], list[dict]]:
    """Structure paths from files, folders and id lists (``*.txt``: fetched into ``cache``)."""
    paths: list[Path] = []
    failures: list[dict] = []
    for item in inputs:
        item = Path(item)
        if item.is_file() and item.suffix.lower() in ID_LIST_SUFFIXES:
            if cache is None:
                raise ValueError(f"{item} is a list of PDB ids: give --cache DIR to fetch them into")
            from enmspec.fetch import fetch, read_ids

            report = fetch(read_ids(item), cache=cache, settings=fetch_settings, progress=progress)
            paths.extend(report.paths.values())
            for entry, reason in report.failed.items():
                row = {c: None for c in COLUMNS}
                row.update(id=entry, path=f"{item}#{entry}", status="failed", error=reason)
                failures.append(row)
        else:
            paths.extend(discover_inputs([item]))
    return list(dict.fromkeys(paths)), failures


#: Default worker processes on a CUDA device: each holds its own CUDA context (several hundred
#: MB of GPU memory), and a few workers keep one GPU busy while the others parse and build
#: Hessians on the CPU.
GPU_JOBS = 4


def resolve_jobs(jobs: int | None, settings: AnalysisSettings) -> int:
    """Worker processes for ``jobs`` (None: the default for ``settings.device``; -1: all cores)."""
    if jobs is None:
        jobs = GPU_JOBS if (settings.device or "").startswith("cuda") else -1
    if jobs == 0 or jobs < -1:
        raise ValueError(f"jobs must be >= 1 or -1, got {jobs}")
    return (os.cpu_count() or 1) if jobs == -1 else jobs


def run_batch(
    inputs: Iterable[str | os.PathLike],
    out: str | os.PathLike,
    *,
    settings: AnalysisSettings | None = None,
    jobs: int | None = None,
    cache: str | os.PathLike | None = None,
    fetch_settings=None,
    scheduler: str | None = None,
    write_csv: bool = False,
    progress: bool = False,
):
    """Fit every structure of ``inputs`` in parallel; resumable; returns the results table.

    Parameters
    ----------
    inputs : iterable of path-like
        Structure files, folders (searched recursively for ``.pdb``, ``.ent``, ``.cif``,
        optionally ``.gz``; hidden ones skipped) and id lists (``.txt``, ``.ids``, ``.list``:
        one or more PDB ids per line), whose entries come from ``cache``, downloaded first
        where missing.
    out : path-like
        Output folder: ``results.parquet`` (and ``results.csv`` with ``write_csv``), one row
        per input in input order with columns :data:`COLUMNS`; ``spectra/<entry>.spectrum.npz``
        for every fitted entry; ``summary.json``; ``settings.json``; ``rows.jsonl``, the
        journal that makes the batch resumable.
    settings : AnalysisSettings, optional
        Default: cutoff 9 A, gamma 1, top tenth of the inverse spectrum, alpha 0.05.
    jobs : int, optional
        Worker processes (-1: all cores), each with one BLAS thread per core it owns.
        Default: all cores, or :data:`GPU_JOBS` when ``settings.device`` is a CUDA device
        (each worker holds its own CUDA context).
    cache : path-like, optional
        Entry cache for id lists (see :func:`enmspec.fetch`).
    fetch_settings : enmspec.fetch.FetchSettings, optional
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:8786``): the same batch runs
        on its workers through joblib's dask backend (needs the ``dask`` extra).
    write_csv : bool
        Also write ``results.csv``.
    progress : bool
        Progress bar with done and failed counts and ETA.

    Returns
    -------
    pandas.DataFrame
        The results table.

    Notes
    -----
    Resumable and safe: each finished row is appended to ``rows.jsonl`` (flushed and synced)
    after its spectrum file is in place, and every table is written to a temporary file and
    renamed. A rerun with the same ``out`` skips inputs already ``done`` or ``excluded`` and
    retries the ``failed`` ones; killing the process loses only the entries in flight. The
    largest files go first so that big entries do not straggle at the end.
    """
    import pandas as pd

    from compare.summary import summarize

    settings = settings or AnalysisSettings()
    jobs = resolve_jobs(jobs, settings)
    if settings.device is not None and scheduler is None:
        torch_device(settings.device)  # a missing GPU is one error here, not a failed row per entry
    out = Path(out)
    spectra_dir = out / SPECTRA_DIR
    spectra_dir.mkdir(parents=True, exist_ok=True)
    _check_settings(out, settings)
    paths, fetch_failures = _resolve_inputs(inputs, cache, fetch_settings, progress)
    if not paths and not fetch_failures:
        raise ValueError("no structure files found in the inputs")
    journal_path = out / JOURNAL_NAME
    _repair_journal(journal_path)
    recorded = read_journal(journal_path)
    keys = [str(p) for p in paths] + [r["path"] for r in fetch_failures]
    todo = [p for p in paths if recorded.get(str(p), {}).get("status") not in FINAL_STATUSES]
    todo.sort(key=lambda p: p.stat().st_size if p.exists() else 0, reverse=True)
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="entry", desc="enmspec batch")
    n_failed = 0
    with open(journal_path, "a", encoding="utf-8") as journal:
        for row in fetch_failures:
            _append(journal, row)
            recorded[row["path"]] = row
        for row in _rows(todo, settings, spectra_dir, jobs, scheduler):
            _append(journal, row)
            recorded[row["path"]] = row
            if row["status"] != "done":
                n_failed += 1
                log.warning("%s: %s", row["id"], row["error"])
            if bar is not None:
                bar.set_postfix(done=bar.n + 1 - n_failed, failed=n_failed)
                bar.update(1)
    if bar is not None:
        bar.close()
    table = pd.DataFrame([recorded[k] for k in keys], columns=list(COLUMNS))
    # Counts stay integers where a failed row leaves them empty (pandas' nullable types).
    table = table.astype({c: "Int64" for c in INT_COLUMNS} | {"is_power_law": "boolean"})
    _write_atomic(table, out / RESULTS_NAME, "parquet")
    if write_csv:
        _write_atomic(table, out / CSV_NAME, "csv")
    summary = summarize(table)
    atomic_write_text(out / SUMMARY_NAME, json.dumps(summary, indent=2) + "\n")
    return table


def _write_atomic(table, path: Path, kind: str) -> None:
    with atomic_path(path) as tmp:
        if kind == "parquet":
            table.to_parquet(tmp, index=False)
        else:
            table.to_csv(tmp, index=False)
