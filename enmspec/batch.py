"""Many structures in parallel: one result row per entry, a failure is a row, never a crash.

Data flow (kept simple so that the full batch can grow from it): ``discover_inputs`` lists
the structure files; ``process_entry`` turns one file into one row (and one spectrum file);
``run_local_batch`` maps it over the files with joblib and streams each row to the results
table as soon as it arrives, so an interrupted run keeps every finished entry.
"""

from __future__ import annotations

import csv
import logging
import math
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from compare import fit_power_law
from compare.powerlaw import critical_value
from enmspec.eigen import SOLVERS
from enmspec.errors import EnmspecError, FloppyNetworkError
from enmspec.hessian import DEFAULT_CUTOFF, DEFAULT_GAMMA
from enmspec.spectrum import inverse_spectrum
from enmspec.structure import load_structure

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
RESULTS_NAME = "results.csv"
SPECTRA_DIR = "spectra"
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
        critical_value(2, self.alpha)  # validates alpha


def entry_name(path: Path) -> str:
    """File name without structure and compression suffixes."""
    name = path.name
    for suffix in sorted(STRUCTURE_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


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
        row.update(status="excluded", n_zero=exc.n_zero, error=str(exc))
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


def _rows(paths: list[Path], settings: AnalysisSettings, spectra_dir: Path, jobs: int) -> Iterator[dict]:
    if jobs == 1 or len(paths) <= 1:
        for p in paths:
            yield process_entry(p, settings, spectra_dir)
        return
    from joblib import Parallel, delayed

    # loky limits each worker's BLAS to cores / jobs threads: no oversubscription.
    parallel = Parallel(n_jobs=jobs, return_as="generator_unordered")
    yield from parallel(delayed(process_entry)(p, settings, spectra_dir) for p in paths)


def run_local_batch(
    inputs: Iterable[str | os.PathLike],
    out: str | os.PathLike,
    *,
    settings: AnalysisSettings | None = None,
    jobs: int = 1,
    progress: bool = False,
) -> list[dict]:
    """Fit every structure under ``inputs``; write ``out/results.csv`` and ``out/spectra/``.

    Parameters
    ----------
    inputs : iterable of path-like
        Structure files and folders searched recursively for ``.pdb``, ``.ent``, ``.cif``
        (optionally ``.gz``).
    out : path-like
        Output folder: ``results.csv`` (one row per entry, columns :data:`COLUMNS`),
        ``settings.json`` and one ``spectra/<entry>.spectrum.npz`` per fitted entry.
    settings : AnalysisSettings, optional
        Default: cutoff 9 A, gamma 1, top tenth of the inverse spectrum, alpha 0.05.
    jobs : int
        Worker processes (-1: all cores).
    progress : bool
        Show a progress bar.

    Returns
    -------
    list of dict
        The rows in input order.
    """
    import json

    settings = settings or AnalysisSettings()
    if jobs == 0 or jobs < -1:
        raise ValueError(f"jobs must be >= 1 or -1, got {jobs}")
    if jobs == -1:
        jobs = os.cpu_count() or 1
    out = Path(out)
    spectra_dir = out / SPECTRA_DIR
    spectra_dir.mkdir(parents=True, exist_ok=True)
    (out / "settings.json").write_text(json.dumps(asdict(settings), indent=2) + "\n")
    paths = discover_inputs(inputs)
    if not paths:
        raise ValueError("no structure files found in the inputs")
    order = {str(p): i for i, p in enumerate(paths)}
    rows: list[dict] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(paths), unit="entry", desc="enmspec batch")
    tmp = out / (RESULTS_NAME + ".partial")
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in _rows(paths, settings, spectra_dir, jobs):
            writer.writerow(row)
            fh.flush()
            rows.append(row)
            if row["status"] != "done":
                log.warning("%s: %s", row["id"], row["error"])
            if bar is not None:
                failed = sum(r["status"] != "done" for r in rows)
                bar.set_postfix(done=len(rows) - failed, failed=failed)
                bar.update(1)
    if bar is not None:
        bar.close()
    rows.sort(key=lambda r: order[r["path"]])
    final = out / (RESULTS_NAME + ".tmp")
    with open(final, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(final, out / RESULTS_NAME)
    tmp.unlink()
    return rows
