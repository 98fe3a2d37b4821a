"""Select and download PDB entries. The only network code of the package.

:func:`select` asks the RCSB Search API (v2) for the paper's set of entries;
:func:`fetch` downloads entries into a local mirror-like cache.

Cache layout, as in a PDB mirror: ``CACHE/ab/1abc.cif.gz`` (``ab`` = the middle two
characters of the lower-case id), ``.pdb.gz`` for the legacy format. A file enters the cache
only after it has been checked (gzip intact, parseable, the id inside matches) and then
renamed into place, so the cache never holds a partial or corrupt file and a cached entry is
never downloaded again.

Every per-entry structure is a dict or a set, so planning and bookkeeping take time linear
in the number of ids (the whole PDB, some 200,000 entries, plans in about a second).
"""

from __future__ import annotations

import csv
import datetime
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from compare.files import atomic_path
from enmspec.errors import EnmspecError, FetchError, StructureError
from enmspec.structure import load_structure

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

#: URL templates; ``{ID}`` upper-case id, ``{id}`` lower-case, ``{ab}`` middle two characters.
MIRRORS = {
    "rcsb": "https://files.rcsb.org/download/{ID}.{ext}",
    "wwpdb": "https://files.wwpdb.org/pub/pdb/data/structures/divided/{dir}/{ab}/{prefix}{id}.{wwext}",
}
FORMATS = {"cif": "cif.gz", "pdb": "pdb.gz"}
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_PDB_ID = re.compile(r"[0-9][A-Za-z0-9]{3}")
_SEPARATORS = re.compile(r"[\s,;]+")
FAILURES_NAME = "fetch-failures.tsv"
#: Hidden folder of the cache where downloads are checked before they are renamed into place.
PARTIAL_DIR = ".partial"
#: Downloads submitted to the thread pool at a time, per job (bounds memory for long lists).
_QUEUE_PER_JOB = 4
#: A cache folder holding at least this many of the wanted entries is listed once, not stat-ed per entry.
_LIST_FOLDER_FROM = 16
_CHUNK = 1 << 16


@dataclass(frozen=True)
class FetchSettings:
    """How to download: mirror or URL template, format, concurrency, timeouts and retries."""

    base_url: str = "rcsb"
    fmt: str = "cif"
    jobs: int = 4
    timeout: float = 30.0
    retries: int = 5
    backoff: float = 1.0
    max_backoff: float = 60.0

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise EnmspecError(f"fmt must be one of {sorted(FORMATS)}, got {self.fmt!r}")
        if self.jobs < 1:
            raise EnmspecError(f"jobs must be >= 1, got {self.jobs}")
        if not self.timeout > 0:
            raise EnmspecError(f"timeout must be > 0, got {self.timeout}")
        if self.retries < 0:
            raise EnmspecError(f"retries must be >= 0, got {self.retries}")
        if not (self.backoff >= 0 and self.max_backoff >= 0):
            raise EnmspecError(
                f"backoff and max_backoff must be >= 0, got {self.backoff}, {self.max_backoff}"
            )
        try:
            example = self.url("1abc")
        except (KeyError, IndexError, ValueError) as exc:
            raise EnmspecError(
                f"mirror {self.base_url!r}: not rcsb, wwpdb or a URL template with "
                f"{{ID}}, {{id}}, {{ab}}, {{ext}} ({type(exc).__name__}: {exc})"
            ) from None
        if urlsplit(example).scheme not in ("http", "https"):
            raise EnmspecError(f"mirror {self.base_url!r}: not an http:// or https:// URL")

    def url(self, entry: str) -> str:
        """The download URL of ``entry``.

        Parameters
        ----------
        entry : str
            PDB id, any case.

        Returns
        -------
        str
        """
        template = MIRRORS.get(self.base_url, self.base_url)
        if "{" not in template:  # a bare base URL: RCSB's file naming under it
            template = template.rstrip("/") + "/{ID}.{ext}"
        lower = entry.lower()
        return template.format(
            ID=entry.upper(),
            id=lower,
            ab=lower[1:3],
            ext=FORMATS[self.fmt],
            dir="mmCIF" if self.fmt == "cif" else "pdb",
            prefix="" if self.fmt == "cif" else "pdb",
            wwext="cif.gz" if self.fmt == "cif" else "ent.gz",
        )


@dataclass(frozen=True)
class FetchReport:
    """What :func:`fetch` did: paths of the entries now cached, and the ones that failed.

    Every entry asked for is in exactly one of ``paths`` and ``failed``; all fields list the
    entries in the order they were asked for.
    """

    paths: dict = field(default_factory=dict)  # id -> Path, every entry available in the cache
    downloaded: tuple = ()
    already_cached: tuple = ()
    failed: dict = field(default_factory=dict)  # id -> reason (one line)
    bytes_downloaded: int = 0


def cache_path(cache: str | os.PathLike, entry: str, fmt: str = "cif") -> Path:
    """Where ``entry`` lives in the cache: ``cache/ab/1abc.cif.gz``."""
    lower = entry.lower()
    return Path(cache) / lower[1:3] / f"{lower}.{FORMATS[fmt]}"


def read_ids(path: str | os.PathLike) -> list[str]:
    """PDB ids from a text file: one or more per line (commas or blanks), ``#`` comments.

    Entity ids such as ``1ABC_1`` become entries; duplicates are dropped, order kept.

    Raises
    ------
    EnmspecError
        (an input error) The file is missing or unreadable, not UTF-8 text, holds a token
        that is not a PDB id, or holds no ids; the one-line message names the file and the cause.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise EnmspecError(f"{path}: no such id list") from None
    except IsADirectoryError:
        raise EnmspecError(f"{path}: is a folder, not an id list") from None
    except OSError as exc:
        raise EnmspecError(f"{path}: cannot read the id list ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EnmspecError(
            f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); "
            f"an id list is plain text with PDB ids such as 4HHB"
        ) from None
    ids: dict[str, None] = {}  # insertion-ordered set
    for lineno, line in enumerate(text.splitlines(), 1):
        for token in _SEPARATORS.split(line.split("#", 1)[0].strip()):
            if not token:
                continue
            entry = token.split("_", 1)[0].upper()
            if not _PDB_ID.fullmatch(entry):
                raise EnmspecError(
                    f"{path}: line {lineno}: {token[:40]!r} is not a PDB id (4 characters, a digit first)"
                )
            ids[entry] = None
    if not ids:
        raise EnmspecError(f"{path}: no PDB ids in the id list (empty, or only comments)")
    return list(ids)


def validate_file(path: Path, entry: str) -> None:
    """Raise :class:`FetchError` unless ``path`` is an intact gzip of a structure of ``entry``.

    :func:`load_structure` reads a ``.gz`` file to its end first, so a truncated transfer is
    caught there, as is content that is not a structure.
    """
    try:
        structure = load_structure(path)
    except StructureError as exc:
        raise FetchError(f"{entry}: corrupt download: {exc}") from None
    if structure.entry_id.upper() != entry.upper():
        raise FetchError(f"{entry}: the file holds entry {structure.entry_id}, not {entry}")


class _Retry(FetchError):
    """A download that arrived incomplete or invalid: retried like a 5xx."""


class _Stopped(FetchError):
    """The run was interrupted: a download stops at its next chunk or retry."""

    def __init__(self, entry: str) -> None:
        super().__init__(f"{entry}: not fetched: the run was interrupted")


def _transient_errors() -> tuple[type[BaseException], ...]:
    """Network faults retried with backoff.

    Timeouts, refused or reset connections, and a connection that breaks after the headers
    (a reset, a body shorter than its ``Content-Length``, broken chunked encoding,
    undecodable content).
    """
    import http.client

    import requests
    import urllib3

    return (
        requests.Timeout,
        requests.ConnectionError,
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError,
        urllib3.exceptions.HTTPError,  # ProtocolError, IncompleteRead, DecodeError, ...
        http.client.HTTPException,  # IncompleteRead, RemoteDisconnected
        ConnectionError,  # ConnectionResetError, BrokenPipeError, ...
        TimeoutError,
    )


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe_transient(entry: str, exc: BaseException, url: str, settings: FetchSettings) -> str:
    import requests

    name = type(exc).__name__
    if isinstance(exc, (requests.Timeout, TimeoutError)):
        return f"{entry}: {name} after {settings.timeout:g} s from {url}"
    if isinstance(exc, requests.ConnectionError) and not isinstance(
        exc, requests.exceptions.ChunkedEncodingError
    ):
        return f"{entry}: {name} from {url}: {_one_line(exc, 160)}"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return f"{entry}: undecodable content from {url} ({name}: {_one_line(exc, 160)})"
    return f"{entry}: connection broken mid-download from {url} ({name}: {_one_line(exc, 160)})"


def _retry_after(response: requests.Response | None, attempt: int, settings: FetchSettings) -> float:
    header = response.headers.get("Retry-After") if response is not None else None
    if header:
        try:
            return min(settings.max_backoff, max(0.0, float(header)))
        except ValueError:
            pass
    return min(settings.max_backoff, settings.backoff * 2**attempt)


def _receive(
    response: requests.Response,
    entry: str,
    url: str,
    target: Path,
    stop: threading.Event | None = None,
    validate: Callable[[Path, str], None] | None = None,
) -> int:
    """Stream the body of a 200 answer to a private file, check it (``validate``), rename it into place."""
    # Validate in a private folder inside the cache (same file system, so the final rename is
    # atomic) under the entry's own name, which is its id of last resort.
    staging = target.parent.parent / PARTIAL_DIR
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=staging) as folder:
        tmp = Path(folder) / target.name
        size = 0
        with open(tmp, "wb") as fh:
            for chunk in response.iter_content(chunk_size=_CHUNK):
                if stop is not None and stop.is_set():
                    raise _Stopped(entry)
                fh.write(chunk)
                size += len(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        declared = response.headers.get("Content-Length")
        if declared is not None and "Content-Encoding" not in response.headers:
            try:
                expected = int(declared)
            except ValueError:
                expected = size
            if size != expected:
                raise _Retry(f"{entry}: short body from {url}: {size} of {expected} bytes")
        try:
            (validate or validate_file)(tmp, entry)  # looked up at call time (tests patch it)
        except FetchError as exc:
            raise _Retry(str(exc)) from None
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
    return size


def _download_one(
    session: requests.Session,
    entry: str,
    target: Path,
    settings: FetchSettings,
    stop: threading.Event | None = None,
    *,
    url: str | None = None,
    validate: Callable[[Path, str], None] | None = None,
) -> int:
    """Download, validate and move one entry into place; returns the bytes received.

    Raises :class:`FetchError` for a 404/410 or another non-retried status at once, and after
    the retries for timeouts, broken connections, 429, 5xx and invalid downloads; at the next
    chunk or retry once ``stop`` is set. ``url`` (default: the mirror's URL of ``entry``) and
    ``validate`` (default :func:`validate_file`) let other sources (:mod:`enmspec.afdb`) reuse it.
    """
    url = url or settings.url(entry)
    transient = _transient_errors()
    last = "no attempt"
    for attempt in range(settings.retries + 1):
        if stop is not None and stop.is_set():
            raise _Stopped(entry)
        response = None
        try:
            with session.get(url, timeout=settings.timeout, stream=True) as response:
                status = response.status_code
                if status == 200:
                    return _receive(response, entry, url, target, stop, validate)
                if status == 404 or status == 410:
                    raise FetchError(f"{entry}: not found at {url} (HTTP {status}): obsolete or unknown id")
                if status not in RETRY_STATUS:
                    raise FetchError(f"{entry}: HTTP {status} from {url}")
                last = f"{entry}: HTTP {status} from {url}"
        except _Retry as exc:
            last = str(exc)
        except transient as exc:
            last = _describe_transient(entry, exc, url, settings)
        if attempt < settings.retries:
            delay = _retry_after(response, attempt, settings)
            log.info("%s; retrying in %.1f s", last, delay)
            if stop is None:
                time.sleep(delay)
            elif stop.wait(delay):
                raise _Stopped(entry)
    raise FetchError(f"{last} (gave up after {settings.retries + 1} attempts)")


def _fetch_entry(
    session: requests.Session, entry: str, target: Path, settings: FetchSettings, stop: threading.Event
) -> tuple[int, str | None]:
    """(bytes, None) when ``entry`` is cached now, else (0, reason).

    Any exception of one entry's download is that entry's failure, never the end of the run.
    """
    try:
        return _download_one(session, entry, target, settings, stop), None
    except FetchError as exc:
        return 0, _one_line(exc)
    except Exception as exc:  # noqa: BLE001 - one entry's fault, whatever it is
        log.debug("%s: unexpected error", entry, exc_info=True)
        return 0, _one_line(f"{entry}: {type(exc).__name__}: {exc}")


def _session(jobs: int) -> requests.Session:
    import requests
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=jobs, pool_maxsize=jobs)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "hessian-spectra (enmspec fetch)"
    return session


def _wanted(ids: Iterable[str]) -> dict[str, None]:
    """Entries of ``ids``, upper case, entity suffixes dropped, first occurrence kept (ordered)."""
    wanted: dict[str, None] = {}
    for raw in ids:
        entry = str(raw).strip().split("_", 1)[0].upper()
        if not _PDB_ID.fullmatch(entry):
            raise EnmspecError(f"{str(raw)[:40]!r} is not a PDB id (4 characters, a digit first)")
        wanted[entry] = None
    return wanted


def fetch(
    ids: Iterable[str],
    *,
    cache: str | os.PathLike,
    settings: FetchSettings | None = None,
    progress: bool = False,
) -> FetchReport:
    """Download PDB entries into ``cache`` (mirror layout), several at a time, with retries.

    Parameters
    ----------
    ids : iterable of str
        PDB ids (``"4HHB"``; entity ids ``"4HHB_1"`` are reduced to entries). Duplicates are
        fetched once; the report keeps the order of first occurrence.
    cache : path-like
        Cache folder; entries already there are not downloaded again.
    settings : FetchSettings, optional
        Mirror (``"rcsb"``, ``"wwpdb"``, or a URL template with ``{ID}``, ``{id}``, ``{ab}``),
        format (``"cif"`` or ``"pdb"``), parallel downloads, timeout, retries and backoff.
        Timeouts, connection errors (also a connection that breaks mid-download: a reset
        after the headers, a body shorter than its ``Content-Length``, broken chunked
        encoding, undecodable content), HTTP 429 (honouring ``Retry-After``) and 5xx are
        retried with exponential backoff, and so is a download that fails validation.
    progress : bool
        Show a progress bar (entries, megabytes, ETA).

    Returns
    -------
    FetchReport
        Each entry is either in ``paths`` or in ``failed`` with its reason (any unexpected
        error of one entry's download included); the failures are also written to
        ``cache/fetch-failures.tsv``, also when the run is interrupted.

    Raises
    ------
    EnmspecError
        (an input error) An id that is not a PDB id.
    """
    settings = settings or FetchSettings()
    wanted = _wanted(ids)
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    paths, todo = _plan(wanted, cache, settings.fmt)
    cached = tuple(paths)
    run = _Downloads(todo, settings)
    try:
        run.run(progress)
    finally:
        _write_failures(cache / FAILURES_NAME, run.failed)
    paths.update(run.paths)
    return FetchReport(
        paths={e: paths[e] for e in wanted if e in paths},
        downloaded=tuple(e for e in todo if e in run.paths),
        already_cached=cached,
        failed={e: run.failed[e] for e in todo if e in run.failed},
        bytes_downloaded=run.total_bytes,
    )


def _plan(wanted: Iterable[str], cache: Path, fmt: str) -> tuple[dict[str, Path], dict[str, Path]]:
    """Split ``wanted`` into the entries in the cache and those to download (id -> path).

    A cached file is trusted (it was checked before it was renamed in). A cache folder that
    holds many of the wanted entries is listed once; for the others, one ``stat`` per entry.
    """
    root = os.fspath(cache)
    suffix = "." + FORMATS[fmt]
    by_folder: dict[str, list[str]] = {}
    for entry in wanted:
        by_folder.setdefault(entry[1:3].lower(), []).append(entry)
    present: set[str] = set()
    for sub, entries in by_folder.items():
        folder = os.path.join(root, sub)
        names = None
        if len(entries) >= _LIST_FOLDER_FROM:
            try:
                with os.scandir(folder) as listing:
                    names = {item.name for item in listing if item.is_file()}
            except FileNotFoundError:
                continue  # nothing of this folder is cached
            except OSError:
                names = None  # unreadable listing: stat each entry instead
        if names is None:
            present.update(e for e in entries if os.path.isfile(os.path.join(folder, e.lower() + suffix)))
        else:
            present.update(e for e in entries if e.lower() + suffix in names)
    parents = {sub: cache / sub for sub in by_folder}
    cached: dict[str, Path] = {}
    todo: dict[str, Path] = {}
    for entry in wanted:
        lower = entry.lower()
        (cached if entry in present else todo)[entry] = parents[lower[1:3]].joinpath(lower + suffix)
    return cached, todo


class _Downloads:
    """The downloads of one :func:`fetch`: a thread pool fed a bounded window of entries.

    Every entry of ``todo`` ends in ``paths`` or in ``failed``, also when the run is
    interrupted (Ctrl-C): the downloads under way then stop at their next chunk or retry, and
    the entries not fetched are failures ``not fetched: the run was interrupted``.
    """

    def __init__(
        self,
        todo: dict[str, Path],
        settings: FetchSettings,
        fetch_entry: Callable[..., tuple] | None = None,
    ) -> None:
        self.todo = todo
        self.settings = settings
        # (session, entry, todo[entry], settings, stop) -> (bytes, reason[, path]); the path, when
        # given, is where the entry landed (a source whose file name is known only after a lookup).
        self.fetch_entry = fetch_entry or _fetch_entry
        self.paths: dict[str, Path] = {}
        self.failed: dict[str, str] = {}
        self.total_bytes = 0
        self.stop = threading.Event()

    def record(self, entry: str, size: int, reason: str | None, path: Path | None = None) -> None:
        """Book one finished entry: cached (``reason`` None, at ``path`` or its todo path) or failed."""
        if reason is None:
            self.total_bytes += size
            self.paths[entry] = path or self.todo[entry]
        else:
            self.failed[entry] = reason
            log.warning("%s", reason)

    def run(self, progress: bool) -> None:
        """Download every entry of ``todo``; re-raises an interruption after the bookkeeping."""
        if not self.todo:
            return
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(self.todo), unit="entry", desc="enmspec fetch")
        session = _session(self.settings.jobs)
        pool = ThreadPoolExecutor(max_workers=self.settings.jobs)
        pending: dict = {}  # future -> entry, at most jobs * _QUEUE_PER_JOB at a time
        try:
            self._loop(pool, session, pending, bar)
        except BaseException as exc:  # Ctrl-C (or a bug): stop, book what was not fetched
            self.stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            for future, entry in pending.items():
                if future.done() and not future.cancelled() and future.exception() is None:
                    self.record(entry, *future.result())
            why = f"not fetched: the run was interrupted ({type(exc).__name__})"
            for entry in self.todo:
                if entry not in self.paths and entry not in self.failed:
                    self.failed[entry] = f"{entry}: {why}"
            raise
        finally:
            pool.shutdown(wait=True)
            session.close()
            if bar is not None:
                bar.close()

    def _loop(
        self, pool: ThreadPoolExecutor, session: requests.Session, pending: dict, bar: object | None
    ) -> None:
        queue = iter(self.todo.items())

        def submit_next() -> None:
            item = next(queue, None)
            if item is not None:
                future = pool.submit(self.fetch_entry, session, item[0], item[1], self.settings, self.stop)
                pending[future] = item[0]

        for _ in range(self.settings.jobs * _QUEUE_PER_JOB):
            submit_next()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                self.record(pending.pop(future), *future.result())
                if bar is not None:
                    bar.set_postfix(
                        failed=len(self.failed), MB=f"{self.total_bytes / 1e6:.1f}", refresh=False
                    )
                    bar.update(1)
                submit_next()


def _write_failures(path: Path, failed: dict[str, str]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter="\t")
        writer.writerow(["id", "reason"])
        for entry, reason in sorted(failed.items()):
            writer.writerow([entry, _one_line(reason, 1000)])


SEARCH_URL = "https://search.rcsb.org/rcsbsearch/v2/query"
IDENTITY_CUTOFFS = (100, 95, 90, 70, 50, 30)


@dataclass(frozen=True)
class SelectCriteria:
    """The paper's entry set, each criterion an option (defaults: the paper's values)."""

    method: str = "X-RAY DIFFRACTION"
    max_resolution: float = 2.0
    min_length: int = 100
    max_length: int = 2000
    identity: int | None = 30
    rows: int = 10000

    def __post_init__(self) -> None:
        if self.identity is not None and self.identity not in IDENTITY_CUTOFFS:
            raise EnmspecError(f"identity must be one of {IDENTITY_CUTOFFS} (RCSB clusters) or None")
        if not 0 < self.min_length <= self.max_length:
            raise EnmspecError(f"need 0 < min_length <= max_length, got {self.min_length}, {self.max_length}")
        if not self.max_resolution > 0:
            raise EnmspecError(f"max_resolution must be > 0, got {self.max_resolution}")
        if not 1 <= self.rows <= 10000:
            raise EnmspecError(f"rows must be in 1..10000, got {self.rows}")


def _terminal(attribute: str, operator: str, value: object) -> dict:
    return {
        "type": "terminal",
        "service": "text",
        "parameters": {"attribute": attribute, "operator": operator, "value": value},
    }


def build_query(criteria: SelectCriteria, *, start: int = 0) -> dict:
    """The Search API request for ``criteria`` (one page starting at ``start``).

    Protein entities of the given length in entries of the given method and resolution with
    no nucleic-acid or hybrid entities; with ``identity``, one representative per sequence
    cluster (best resolution first), which needs ``return_type`` ``polymer_entity``.
    """
    nodes = [
        _terminal("exptl.method", "exact_match", criteria.method),
        _terminal("rcsb_entry_info.resolution_combined", "less_or_equal", criteria.max_resolution),
        _terminal("rcsb_entry_info.polymer_entity_count_nucleic_acid", "equals", 0),
        _terminal("rcsb_entry_info.polymer_entity_count_nucleic_acid_hybrid", "equals", 0),
        _terminal("entity_poly.rcsb_entity_polymer_type", "exact_match", "Protein"),
        _terminal(
            "entity_poly.rcsb_sample_sequence_length",
            "range",
            {
                "from": criteria.min_length,
                "to": criteria.max_length,
                "include_lower": True,
                "include_upper": True,
            },
        ),
    ]
    options: dict = {"results_content_type": ["experimental"]}
    if criteria.identity is not None:
        options["group_by"] = {
            "aggregation_method": "sequence_identity",
            "similarity_cutoff": criteria.identity,
            "ranking_criteria_type": {"sort_by": "rcsb_entry_info.resolution_combined", "direction": "asc"},
        }
        options["group_by_return_type"] = "representatives"
    options["results_verbosity"] = "minimal"
    options["paginate"] = {"start": start, "rows": criteria.rows}
    return {
        "query": {"type": "group", "logical_operator": "and", "nodes": nodes},
        "return_type": "polymer_entity",
        "request_options": options,
    }


@dataclass(frozen=True)
class SelectResult:
    """Entry ids (entities mapped to entries, duplicates removed, in rank order) and provenance."""

    ids: tuple
    n_hits: int
    query: dict
    url: str
    date: str

    def write(self, path: str | os.PathLike) -> tuple[Path, Path]:
        """Write the id list (one per line) and ``<path>.json`` with the query, date and counts."""
        path = Path(path)
        with atomic_path(path) as tmp:  # never a half-written id list for a later fetch
            tmp.write_text("".join(f"{e}\n" for e in self.ids), encoding="utf-8")
        record = {
            "url": self.url,
            "date": self.date,
            "n_entries": len(self.ids),
            "n_hits": self.n_hits,
            "query": self.query,
        }
        meta = path.with_name(path.name + ".json")
        with atomic_path(meta) as tmp:
            tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        return path, meta


def get_json(session: requests.Session, url: str, settings: FetchSettings, label: str) -> object:
    """GET a JSON document with retries on timeouts, broken connections, 429 and 5xx.

    Parameters
    ----------
    session : requests.Session
        From the download pool.
    url : str
        The document.
    settings : FetchSettings
        Timeout, retries and backoff.
    label : str
        Names the request in messages (an entry or accession).

    Returns
    -------
    object
        The decoded JSON.

    Raises
    ------
    FetchError
        404/410 (not found), another non-retried status, a body that is not JSON, or the
        retries spent.
    """
    transient = _transient_errors()
    last = "no attempt"
    for attempt in range(settings.retries + 1):
        response = None
        try:
            response = session.get(url, timeout=settings.timeout)
            status = response.status_code
            if status == 200:
                try:
                    return response.json()
                except ValueError:
                    raise FetchError(
                        f"{label}: {url} answered HTTP 200 with a body that is not JSON"
                    ) from None
            if status in (404, 410):
                raise FetchError(f"{label}: not found at {url} (HTTP {status})")
            if status not in RETRY_STATUS:
                raise FetchError(f"{label}: HTTP {status} from {url}")
            last = f"{label}: HTTP {status} from {url}"
        except transient as exc:
            last = _describe_transient(label, exc, url, settings)
        if attempt < settings.retries:
            time.sleep(_retry_after(response, attempt, settings))
    raise FetchError(f"{last} (gave up after {settings.retries + 1} attempts)")


def _post_json(session: requests.Session, url: str, body: dict, settings: FetchSettings) -> dict | None:
    """POST with retries on timeouts, broken connections, 429 and 5xx; None for HTTP 204."""
    transient = _transient_errors()
    last = "no attempt"
    for attempt in range(settings.retries + 1):
        response = None
        try:
            response = session.post(url, json=body, timeout=settings.timeout)
            if response.status_code == 204:
                return None
            if response.status_code == 200:
                try:
                    return response.json()
                except ValueError:
                    raise FetchError(
                        f"search: {url} answered HTTP 200 with a body that is not JSON"
                    ) from None
            if response.status_code not in RETRY_STATUS:
                raise FetchError(
                    f"search: HTTP {response.status_code} from {url}: {_one_line(response.text, 200)}"
                )
            last = f"search: HTTP {response.status_code} from {url}"
        except transient as exc:
            last = _describe_transient("search", exc, url, settings)
        if attempt < settings.retries:
            time.sleep(_retry_after(response, attempt, settings))
    raise FetchError(f"{last} (gave up after {settings.retries + 1} attempts)")


def select(
    criteria: SelectCriteria | None = None,
    *,
    url: str = SEARCH_URL,
    settings: FetchSettings | None = None,
) -> SelectResult:
    """Ask the RCSB Search API for the entries matching ``criteria`` (the paper's by default).

    Pages through the results (``rows`` a page) until the reported count, maps entity ids
    (``1ABC_1``) to entries and removes duplicates. Note: the length criterion counts the
    sample sequence; count modelled C-alpha atoms after download to apply it exactly.

    Raises
    ------
    FetchError
        HTTP errors or broken connections after the retries, or an answer that is not the
        Search API's JSON (a runtime failure, exit status 1).
    EnmspecError
        A ``url`` that is not http(s) (an input error).
    """
    criteria = criteria or SelectCriteria()
    settings = settings or FetchSettings()
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise EnmspecError(f"search URL {url!r}: not an http:// or https:// URL")
    session = _session(1)
    ids: dict[str, None] = {}  # entries in rank order, each once
    start = 0
    n_hits = 0
    try:
        while True:
            body = build_query(criteria, start=start)
            answer = _post_json(session, url, body, settings)
            if answer is None:
                break
            try:
                page = [str(hit["identifier"]) for hit in answer.get("result_set", [])]
                count = int(
                    answer["group_by_count"] if criteria.identity is not None else answer["total_count"]
                )
            except (KeyError, TypeError, AttributeError, ValueError) as exc:
                raise FetchError(
                    f"search: unexpected answer from {url} ({type(exc).__name__}: {_one_line(exc, 100)})"
                ) from None
            n_hits += len(page)
            for identifier in page:
                ids[identifier.split("_", 1)[0].upper()] = None
            start += criteria.rows
            if not page or start >= count:
                break
    finally:
        session.close()
    return SelectResult(
        ids=tuple(ids),
        n_hits=n_hits,
        query=build_query(criteria),
        url=url,
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    )
