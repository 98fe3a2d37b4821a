"""Select and download PDB entries. The only network code of the package.

:func:`select` asks the RCSB Search API (v2) for the paper's set of entries;
:func:`fetch` downloads entries into a local mirror-like cache.

Cache layout, as in a PDB mirror: ``CACHE/ab/1abc.cif.gz`` (``ab`` = the middle two
characters of the lower-case id), ``.pdb.gz`` for the legacy format. A file enters the cache
only after it has been checked (gzip intact, parseable, the id inside matches) and then
renamed into place, so the cache never holds a partial or corrupt file and a cached entry is
never downloaded again.
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
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from compare.files import atomic_path
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
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t")
        writer.writerow(["id", "reason"])
        for entry, reason in sorted(failed.items()):
            writer.writerow([entry, reason])


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
            raise ValueError(f"identity must be one of {IDENTITY_CUTOFFS} (RCSB clusters) or None")
        if not 0 < self.min_length <= self.max_length:
            raise ValueError(f"need 0 < min_length <= max_length, got {self.min_length}, {self.max_length}")
        if not self.max_resolution > 0:
            raise ValueError(f"max_resolution must be > 0, got {self.max_resolution}")
        if not 1 <= self.rows <= 10000:
            raise ValueError(f"rows must be in 1..10000, got {self.rows}")


def _terminal(attribute: str, operator: str, value) -> dict:
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
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{e}\n" for e in self.ids))
        record = {
            "url": self.url,
            "date": self.date,
            "n_entries": len(self.ids),
            "n_hits": self.n_hits,
            "query": self.query,
        }
        meta = path.with_name(path.name + ".json")
        meta.write_text(json.dumps(record, indent=2) + "\n")
        return path, meta


def _post_json(session, url: str, body: dict, settings: FetchSettings) -> dict | None:
    """POST with retries on timeouts, 429 and 5xx; None for HTTP 204 (no hits)."""
    import requests

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
                raise FetchError(f"search: HTTP {response.status_code} from {url}: {response.text[:200]}")
            last = f"search: HTTP {response.status_code} from {url}"
        except (requests.Timeout, requests.ConnectionError) as exc:
            last = f"search: {type(exc).__name__} from {url}"
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
        HTTP errors after the retries, or an answer that is not the Search API's JSON.
    """
    criteria = criteria or SelectCriteria()
    settings = settings or FetchSettings()
    session = _session(1)
    ids: list[str] = []
    seen: set[str] = set()
    start = 0
    n_hits = 0
    try:
        while True:
            body = build_query(criteria, start=start)
            answer = _post_json(session, url, body, settings)
            if answer is None:
                break
            try:
                page = [hit["identifier"] for hit in answer.get("result_set", [])]
                count = answer["group_by_count"] if criteria.identity is not None else answer["total_count"]
            except (KeyError, TypeError) as exc:
                raise FetchError(f"search: unexpected answer from {url} (missing {exc})") from None
            n_hits += len(page)
            for identifier in page:
                entry = str(identifier).split("_", 1)[0].upper()
                if entry not in seen:
                    seen.add(entry)
                    ids.append(entry)
            start += criteria.rows
            if not page or start >= int(count):
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
