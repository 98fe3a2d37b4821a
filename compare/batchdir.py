"""The batch folder: its file names, and reading and writing it.

One layout, written by ``enmspec batch`` (and by sweeps) and read by ``compare report``::

    DIR/settings.json          the resolved settings; a rerun with others is refused
    DIR/rows.jsonl             the journal: one JSON row per finished entry, appended and synced
    DIR/spectra/KEY.spectrum.npz  one spectrum file per kept entry, KEY recorded in its row
    DIR/results.parquet        the table, one row per input (results.csv with --csv)
    DIR/summary.json           counts and summary statistics

Every file is written to a temporary name and renamed; the journal makes the batch resumable.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compare.errors import InputError
from compare.files import atomic_path, atomic_write_text, read_jsonl
from compare.spectrum import SUFFIX

if TYPE_CHECKING:
    import pandas as pd

RESULTS_NAME = "results.parquet"
CSV_NAME = "results.csv"
JOURNAL_NAME = "rows.jsonl"
SETTINGS_NAME = "settings.json"
SUMMARY_NAME = "summary.json"
SPECTRA_DIR = "spectra"
#: Row column naming the row's spectrum file, relative to the spectra folder.
SPECTRUM_COLUMN = "spectrum"
#: Further spectrum columns a row may carry, each with the prefix of its fit's columns in the
#: row (``noise_spectrum``: the gradient-noise covariance spectrum of a ``dnnspec sweep`` run,
#: fitted into ``noise_k``, ``noise_beta``, ``noise_s``, ...).
EXTRA_SPECTRUM_COLUMNS = {"noise_spectrum": "noise_"}

__all__ = [
    "CSV_NAME",
    "EXTRA_SPECTRUM_COLUMNS",
    "JOURNAL_NAME",
    "RESULTS_NAME",
    "SETTINGS_NAME",
    "SPECTRA_DIR",
    "SPECTRUM_COLUMN",
    "SUMMARY_NAME",
    "BatchFolder",
    "spectrum_key",
]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def spectrum_key(entry: str, source: str | os.PathLike) -> str:
    """The spectrum file name of one input: its entry name and a digest of its resolved path.

    Two inputs with the same file name in different folders (``run_a/model.pdb``,
    ``run_b/model.pdb``) get different keys; the same input always gets the same one, so a
    resumed batch finds its files again.

    Parameters
    ----------
    entry : str
        The entry's name (a file stem or PDB id).
    source : str or path-like
        Where the input came from (a path, or ``list.txt#1abc`` for a fetched id).

    Returns
    -------
    str
        ``"<entry>-<8 hex digits>.spectrum.npz"``.

    Examples
    --------
    >>> spectrum_key("model", "/a/model.pdb") != spectrum_key("model", "/b/model.pdb")
    True
    """
    text = str(source)
    try:
        text = str(Path(text).resolve())
    except (OSError, RuntimeError):
        pass
    digest = hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    stem = _UNSAFE.sub("_", entry).strip("._") or "entry"
    return f"{stem}-{digest}{SUFFIX}"


@dataclass(frozen=True)
class BatchFolder:
    """A batch output folder and the paths of its files.

    Parameters
    ----------
    root : pathlib.Path
        The folder (``--out``).
    """

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def results(self) -> Path:
        """``results.parquet``.

        Returns
        -------
        pathlib.Path
            The file inside :attr:`root`.
        """
        return self.root / RESULTS_NAME

    @property
    def csv(self) -> Path:
        """``results.csv``.

        Returns
        -------
        pathlib.Path
            The file inside :attr:`root`.
        """
        return self.root / CSV_NAME

    @property
    def journal(self) -> Path:
        """``rows.jsonl``.

        Returns
        -------
        pathlib.Path
            The file inside :attr:`root`.
        """
        return self.root / JOURNAL_NAME

    @property
    def settings(self) -> Path:
        """``settings.json``.

        Returns
        -------
        pathlib.Path
            The file inside :attr:`root`.
        """
        return self.root / SETTINGS_NAME

    @property
    def summary(self) -> Path:
        """``summary.json``.

        Returns
        -------
        pathlib.Path
            The file inside :attr:`root`.
        """
        return self.root / SUMMARY_NAME

    @property
    def spectra(self) -> Path:
        """``spectra/``.

        Returns
        -------
        pathlib.Path
            The folder inside :attr:`root`.
        """
        return self.root / SPECTRA_DIR

    def is_batch(self) -> bool:
        """Whether the folder holds a batch (a results table, or a journal beside ``spectra/``).

        Returns
        -------
        bool
        """
        return self.results.is_file() or (self.journal.is_file() and self.spectra.is_dir())

    def read_settings(self) -> dict[str, Any] | None:
        """The recorded settings, or None when there are none yet.

        Returns
        -------
        dict or None

        Raises
        ------
        compare.errors.InputError
            ``settings.json`` is not a JSON object.
        """
        if not self.settings.is_file():
            return None
        try:
            value = json.loads(self.settings.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(
                f"{self.settings}: damaged settings file ({type(exc).__name__}: {exc}); "
                "remove it to start the batch afresh in this folder"
            ) from None
        if not isinstance(value, dict):
            raise InputError(f"{self.settings}: damaged settings file (not a JSON object)")
        return value

    def write_settings(self, settings: dict[str, Any]) -> None:
        """Write ``settings.json`` atomically.

        Parameters
        ----------
        settings : dict
            JSON-serialisable settings.
        """
        atomic_write_text(self.settings, json.dumps(settings, indent=2) + "\n")

    def read_journal(self, *, key: str | tuple[str, ...] = "path") -> dict[str, dict]:
        """Rows recorded in the journal, the last of each key winning (see :func:`compare.files.read_jsonl`).

        Parameters
        ----------
        key : str or tuple of str
            Field that keys a row.

        Returns
        -------
        dict of str to dict
        """
        return read_jsonl(self.journal, key=key)

    def repair_journal(self) -> None:
        """Cut a line left unfinished by a crash, so that the next row starts on a line of its own."""
        if not self.journal.is_file():
            return
        data = self.journal.read_bytes()
        if data and not data.endswith(b"\n"):
            with open(self.journal, "r+b") as fh:
                fh.truncate(data.rfind(b"\n") + 1)

    @contextmanager
    def appending(self) -> Iterator[Callable[[dict], None]]:
        """The journal opened for appending; ``append(row)`` writes one row and syncs it.

        Yields
        ------
        callable
            ``append(row: dict) -> None``.
        """
        self.repair_journal()
        with open(self.journal, "a", encoding="utf-8") as fh:

            def append(row: dict) -> None:
                fh.write(json.dumps(row) + "\n")
                fh.flush()
                os.fsync(fh.fileno())

            yield append

    def read_rows(self) -> list[dict]:
        """The batch's rows: from ``results.parquet``, else from the journal of an unfinished batch.

        Returns
        -------
        list of dict
            Plain Python values (None for missing).

        Raises
        ------
        compare.errors.InputError
            ``results.parquet`` is unreadable.
        """
        if self.results.is_file():
            import pandas as pd

            try:
                table = pd.read_parquet(self.results)
            except (OSError, ValueError) as exc:
                raise InputError(f"{self.results}: unreadable ({exc})") from None
            return [{k: _plain(v) for k, v in r.items()} for r in table.to_dict("records")]
        return list(self.read_journal(key=("key", "path", "id")).values())  # a cutoff study: path#cutoff=C

    def spectrum_path(self, row: dict) -> Path | None:
        """The spectrum file of a row: its ``spectrum`` column, else (older batches) by entry name.

        Parameters
        ----------
        row : dict
            A result row.

        Returns
        -------
        pathlib.Path or None
            The file, or None when it does not exist.
        """
        key = row.get(SPECTRUM_COLUMN)
        if key:
            path = self.spectra / str(key)
            return path if path.is_file() else None
        for name in (_entry_stem(str(row.get("path") or "")), str(row.get("id") or "")):
            if name and (self.spectra / f"{name}{SUFFIX}").is_file():
                return self.spectra / f"{name}{SUFFIX}"
            if name and (self.spectra / f"{name.lower()}{SUFFIX}").is_file():
                return self.spectra / f"{name.lower()}{SUFFIX}"
        return None

    def extra_spectra(self, row: dict) -> list[tuple[Path | None, dict]]:
        """A row's further spectra (:data:`EXTRA_SPECTRUM_COLUMNS`), each with its own row.

        Parameters
        ----------
        row : dict
            A result row.

        Returns
        -------
        list of (pathlib.Path or None, dict)
            Per further spectrum the row names: its file (None when missing) and the row's
            columns of its fit under the standard names (``noise_beta`` as ``beta``, ...), with
            the row's other columns.
        """
        found = []
        for column, prefix in EXTRA_SPECTRUM_COLUMNS.items():
            key = row.get(column)
            if not key:
                continue
            own = {k[len(prefix) :]: v for k, v in row.items() if k.startswith(prefix) and k != column}
            fitted = ("k", "x_min", "beta", "sigma", "s", "d_ks", "d_c", "is_power_law")
            base = {k: v for k, v in row.items() if k not in fitted}
            own_row = {**base, **own, SPECTRUM_COLUMN: key}
            found.append((self.spectrum_path(own_row), own_row))
        return found

    def write_table(self, table: pd.DataFrame, *, csv: bool = False) -> None:
        """Write ``results.parquet`` (and ``results.csv``) atomically.

        Parameters
        ----------
        table : pandas.DataFrame
            One row per input.
        csv : bool
            Also write ``results.csv``.
        """
        with atomic_path(self.results) as tmp:
            table.to_parquet(tmp, index=False)
        if csv:
            with atomic_path(self.csv) as tmp:
                table.to_csv(tmp, index=False)

    def write_summary(self, summary: dict) -> None:
        """Write ``summary.json`` atomically.

        Parameters
        ----------
        summary : dict
            JSON-serialisable summary.
        """
        atomic_write_text(self.summary, json.dumps(summary, indent=2) + "\n")


def _entry_stem(path: str) -> str:
    """The file name without folder, ``.gz`` and the last suffix."""
    base = Path(path).name
    if base.lower().endswith(".gz"):
        base = base[:-3]
    return os.path.splitext(base)[0]


def _plain(value: object) -> object:
    """pandas/numpy scalars and missing values -> plain Python (None for missing)."""
    if value is None:
        return None
    if hasattr(value, "tolist") and getattr(value, "ndim", 0) > 0:
        return value.tolist()  # a list column (a sweep's milestones)
    if hasattr(value, "item"):
        value = value.item()
    try:
        if value != value:  # NaN; pd.NA raises TypeError
            return None
    except TypeError:
        return None
    return value
