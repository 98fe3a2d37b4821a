"""Download PDB entries into a local mirror-like cache. The only network code of the package.

Cache layout, as in a PDB mirror: ``CACHE/ab/1abc.cif.gz`` (``ab`` = the middle two
characters of the lower-case id), ``.pdb.gz`` for the legacy format. A file enters the cache
only after it has been checked (gzip intact, parseable, the id inside matches) and then
renamed into place, so the cache never holds a partial or corrupt file and a cached entry is
never downloaded again.
"""

from __future__ import annotations

import csv
import gzip
import logging
import os
import re
import tempfile
import threading
import time
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from enmspec.errors import FetchError, StructureError
from enmspec.structure import load_structure

log = logging.getLogger(__name__)

#: URL templates; ``{ID}`` upper-case id, ``{id}`` lower-case, ``{ab}`` middle two characters.
MIRRORS = {
    "rcsb": "https://files.rcsb.org/download/{ID}.{ext}",
    "wwpdb": "https://files.wwpdb.org/pub/pdb/data/structures/divided/{dir}/{ab}/{prefix}{id}.{wwext}",
}
FORMATS = {"cif": "cif.gz", "pdb": "pdb.gz"}
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_PDB_ID = re.compile(r"^[0-9][A-Za-z0-9]{3}$")
FAILURES_NAME = "fetch-failures.tsv"
#: Hidden folder of the cache where downloads are checked before they are renamed into place.
PARTIAL_DIR = ".partial"


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
            raise ValueError(f"fmt must be one of {sorted(FORMATS)}, got {self.fmt!r}")
        if self.jobs < 1:
            raise ValueError(f"jobs must be >= 1, got {self.jobs}")
        if not self.timeout > 0:
            raise ValueError(f"timeout must be > 0, got {self.timeout}")
        if self.retries < 0:
            raise ValueError(f"retries must be >= 0, got {self.retries}")

    def url(self, entry: str) -> str:
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
    """What :func:`fetch` did: paths of the entries now cached, and the ones that failed."""

    paths: dict = field(default_factory=dict)  # id -> Path, every entry available in the cache
    downloaded: tuple = ()
    already_cached: tuple = ()
    failed: dict = field(default_factory=dict)  # id -> reason
    bytes_downloaded: int = 0


def cache_path(cache: str | os.PathLike, entry: str, fmt: str = "cif") -> Path:
    """Where ``entry`` lives in the cache: ``cache/ab/1abc.cif.gz``."""
    lower = entry.lower()
    return Path(cache) / lower[1:3] / f"{lower}.{FORMATS[fmt]}"


def read_ids(path: str | os.PathLike) -> list[str]:
    """PDB ids from a text file: one or more per line (commas or blanks), ``#`` comments.

    Entity ids such as ``1ABC_1`` become entries; duplicates are dropped, order kept.
    """
    ids: list[str] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            for token in re.split(r"[\s,;]+", line.split("#", 1)[0].strip()):
                if not token:
                    continue
                entry = token.split("_", 1)[0].upper()
                if not _PDB_ID.match(entry):
                    raise ValueError(f"{path}: line {lineno}: {token!r} is not a PDB id")
                if entry not in seen:
                    seen.add(entry)
                    ids.append(entry)
    return ids


def validate_file(path: Path, entry: str) -> None:
    """Raise :class:`FetchError` unless ``path`` is an intact gzip of a structure of ``entry``."""
    try:
        with gzip.open(path, "rb") as fh:
            while fh.read(1 << 20):
                pass
    except (OSError, EOFError, zlib.error) as exc:
        raise FetchError(f"{entry}: corrupt download: not a complete gzip file ({exc})") from None
    try:
        structure = load_structure(path)
    except StructureError as exc:
        raise FetchError(f"{entry}: corrupt download: {exc}") from None
    if structure.entry_id.upper() != entry.upper():
        raise FetchError(f"{entry}: the file holds entry {structure.entry_id}, not {entry}")


def _retry_after(response, attempt: int, settings: FetchSettings) -> float:
    header = response.headers.get("Retry-After") if response is not None else None
    if header:
        try:
            return min(settings.max_backoff, max(0.0, float(header)))
        except ValueError:
            pass
    return min(settings.max_backoff, settings.backoff * 2**attempt)


def _download_one(session, entry: str, target: Path, settings: FetchSettings) -> int:
    """Download, validate and move one entry into place; returns the bytes received."""
    import requests

    url = settings.url(entry)
    last = "no attempt"
    for attempt in range(settings.retries + 1):
        response = None
        try:
            response = session.get(url, timeout=settings.timeout, stream=False)
            status = response.status_code
            if status == 200:
                # Validate in a private folder inside the cache (same file system, so the final
                # rename is atomic) under the entry's own name, which is its id of last resort.
                staging = target.parent.parent / PARTIAL_DIR
                staging.mkdir(parents=True, exist_ok=True)
                with tempfile.TemporaryDirectory(dir=staging) as folder:
                    tmp = Path(folder) / target.name
                    tmp.write_bytes(response.content)
                    try:
                        validate_file(tmp, entry)
                    except FetchError as exc:
                        last = str(exc)
                    else:
                        target.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(tmp, target)
                        return len(response.content)
            elif status == 404 or status == 410:
                raise FetchError(f"{entry}: not found at {url} (HTTP {status}): obsolete or unknown id")
            elif status in RETRY_STATUS:
                last = f"{entry}: HTTP {status} from {url}"
            else:
                raise FetchError(f"{entry}: HTTP {status} from {url}")
        except (requests.Timeout, requests.ConnectionError) as exc:
            last = f"{entry}: {type(exc).__name__} after {settings.timeout:g} s from {url}"
        if attempt < settings.retries:
            delay = _retry_after(response, attempt, settings)
            log.info("%s; retrying in %.1f s", last, delay)
            time.sleep(delay)
    raise FetchError(f"{last} (gave up after {settings.retries + 1} attempts)")


def _session(jobs: int):
    import requests
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=jobs, pool_maxsize=jobs)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "hessian-spectra (enmspec fetch)"
    return session


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
        PDB ids (``"4HHB"``; entity ids ``"4HHB_1"`` are reduced to entries).
    cache : path-like
        Cache folder; entries already there are not downloaded again.
    settings : FetchSettings, optional
        Mirror (``"rcsb"``, ``"wwpdb"``, or a URL template with ``{ID}``, ``{id}``, ``{ab}``),
        format (``"cif"`` or ``"pdb"``), parallel downloads, timeout, retries and backoff.
        Timeouts, connection errors, HTTP 429 (honouring ``Retry-After``) and 5xx are retried
        with exponential backoff, and so is a download that fails validation.
    progress : bool
        Show a progress bar (entries, megabytes, ETA).

    Returns
    -------
    FetchReport
        Each entry is either in ``paths`` or in ``failed`` with its reason; the failures are
        also written to ``cache/fetch-failures.tsv``.
    """
    settings = settings or FetchSettings()
    wanted = []
    for raw in ids:
        entry = str(raw).strip().split("_", 1)[0].upper()
        if not _PDB_ID.match(entry):
            raise ValueError(f"{raw!r} is not a PDB id")
        if entry not in wanted:
            wanted.append(entry)
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    cached = []
    todo = []
    for entry in wanted:
        target = cache_path(cache, entry, settings.fmt)
        if target.is_file():
            paths[entry] = target
            cached.append(entry)
        else:
            todo.append(entry)
    downloaded: list[str] = []
    failed: dict[str, str] = {}
    total_bytes = 0
    lock = threading.Lock()
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="entry", desc="enmspec fetch")
    session = _session(settings.jobs)
    try:
        with ThreadPoolExecutor(max_workers=settings.jobs) as pool:
            futures = {
                pool.submit(_download_one, session, e, cache_path(cache, e, settings.fmt), settings): e
                for e in todo
            }
            for future in as_completed(futures):
                entry = futures[future]
                try:
                    size = future.result()
                except FetchError as exc:
                    failed[entry] = str(exc)
                    log.warning("%s", exc)
                else:
                    with lock:
                        total_bytes += size
                    downloaded.append(entry)
                    paths[entry] = cache_path(cache, entry, settings.fmt)
                if bar is not None:
                    bar.set_postfix(failed=len(failed), MB=f"{total_bytes / 1e6:.1f}")
                    bar.update(1)
    finally:
        session.close()
        if bar is not None:
            bar.close()
    _write_failures(cache / FAILURES_NAME, failed)
    return FetchReport(
        paths={e: paths[e] for e in wanted if e in paths},
        downloaded=tuple(e for e in wanted if e in set(downloaded)),
        already_cached=tuple(cached),
        failed={e: failed[e] for e in wanted if e in failed},
        bytes_downloaded=total_bytes,
    )


def _write_failures(path: Path, failed: dict[str, str]) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t")
        writer.writerow(["id", "reason"])
        for entry, reason in sorted(failed.items()):
            writer.writerow([entry, reason])
    os.replace(tmp, path)
