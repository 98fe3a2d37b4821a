"""AlphaFold DB models by UniProt accession, into the same cache, with fetch's downloads and retries.

The AlphaFold Protein Structure Database (EMBL-EBI and Google DeepMind, CC-BY 4.0) serves one
model per UniProt accession (sequences up to 2,700 residues; longer human ones in fragments F2,
F3, ... of which only F1 is fetched here) as ``AF-<ACCESSION>-F1-model_v<N>.cif``; version 6
(2025) is current. Its API ``/api/prediction/<ACCESSION>`` answers a JSON list of the models of
the accession, each with ``cifUrl`` (the current file), ``latestVersion``, ``entryId`` and
``uniprotAccession``; :func:`fetch_afdb` asks it for the file's URL, unless a mirror template
gives the URL directly (``{accession}``, ``{version}``). Files go to ``CACHE/afdb/`` under the
name AlphaFold DB gives them, are checked (parseable, the accession inside matches) in
``CACHE/.partial/`` before they are renamed into place, and are never downloaded twice; timeouts,
429 and 5xx are retried as for PDB entries (:mod:`enmspec.fetch` does every request), and the
accessions that cannot be had are listed with the reason in ``CACHE/afdb/fetch-failures.tsv``.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from enmspec.errors import EnmspecError, FetchError, StructureError
from enmspec.fetch import (
    FAILURES_NAME,
    FetchReport,
    FetchSettings,
    _download_one,
    _Downloads,
    _one_line,
    _write_failures,
    get_json,
    read_ids,
)
from enmspec.structure import load_structure

log = logging.getLogger(__name__)

#: The API and file locations of AlphaFold DB, and its current model version.
AFDB_API = "https://alphafold.ebi.ac.uk/api/prediction/{accession}"
AFDB_FILES = "https://alphafold.ebi.ac.uk/files/AF-{accession}-F1-model_v{version}.cif"
AFDB_VERSION = 6
#: Subfolder of the cache holding AlphaFold DB models.
AFDB_DIR = "afdb"
#: UniProt accession (uniprot.org/help/accession_numbers).
ACCESSION = re.compile(r"[OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9](?:[A-Z][A-Z0-9]{2}[0-9]){1,2}")
_MODEL_NAME = re.compile(r"AF-([A-Z0-9]+)-F([0-9]+)-model_v([0-9]+)\.cif", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class AfdbSource:
    """Where AlphaFold DB models come from.

    Parameters
    ----------
    api : str
        The prediction API, ``{accession}`` in it (default AlphaFold DB's).
    mirror : str, optional
        A URL template of the model files (``{accession}``, optionally ``{version}``): the
        files are taken from it without asking the API (a local mirror, or AlphaFold DB's
        own :data:`AFDB_FILES` for a pinned version).
    version : int
        The model version a mirror template's ``{version}`` gets (default :data:`AFDB_VERSION`).
    """

    api: str = AFDB_API
    mirror: str | None = None
    version: int = AFDB_VERSION

    def __post_init__(self) -> None:
        for name, template in (("api", self.api), ("mirror", self.mirror)):
            if template is None:
                continue
            if "{accession}" not in template:
                raise EnmspecError(
                    f"AlphaFold DB {name} {template!r}: needs {{accession}} in the URL template"
                )
            try:
                url = template.format(accession="P69905", version=self.version)
            except (KeyError, IndexError, ValueError) as exc:
                raise EnmspecError(
                    f"AlphaFold DB {name} {template!r}: only {{accession}} and {{version}} may be used "
                    f"({type(exc).__name__}: {exc})"
                ) from None
            if not url.startswith(("http://", "https://")):
                raise EnmspecError(f"AlphaFold DB {name} {template!r}: not an http:// or https:// URL")
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise EnmspecError(f"AlphaFold DB version must be an int >= 1, got {self.version!r}")

    def file_url(self, accession: str) -> str:
        """The mirror's URL of ``accession``'s model (a mirror only).

        Parameters
        ----------
        accession : str

        Returns
        -------
        str
        """
        return str(self.mirror).format(accession=accession, version=self.version)

    def api_url(self, accession: str) -> str:
        """The API's URL for ``accession``.

        Parameters
        ----------
        accession : str

        Returns
        -------
        str
        """
        return self.api.format(accession=accession, version=self.version)


def is_accession(token: str) -> bool:
    """Whether ``token`` is a UniProt accession (never true of a 4-character PDB id).

    Parameters
    ----------
    token : str

    Returns
    -------
    bool
    """
    return bool(ACCESSION.fullmatch(token.upper()))


def read_accessions(path: str | os.PathLike) -> list[str]:
    """UniProt accessions from a text file: one or more per line (commas or blanks), ``#`` comments.

    ``AF-P69905-F1`` and ``AF-P69905-F1-model_v6`` are read as ``P69905``; duplicates dropped.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    list of str
        Upper case, in file order.

    Raises
    ------
    EnmspecError
        Missing or unreadable file, a token that is not an accession, no accessions.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise EnmspecError(f"{path}: cannot read the accession list ({exc})") from None
    found: dict[str, None] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        for token in _SEPARATORS.split(line.split("#", 1)[0].strip()):
            if not token:
                continue
            accession = token.upper()
            if accession.startswith("AF-"):
                accession = accession[3:].split("-", 1)[0]
            if not is_accession(accession):
                raise EnmspecError(f"{path}: line {lineno}: {token[:40]!r} is not a UniProt accession")
            found[accession] = None
    if not found:
        raise EnmspecError(f"{path}: no UniProt accessions in the list (empty, or only comments)")
    return list(found)


def read_entry_list(path: str | os.PathLike) -> tuple[str, list[str]]:
    """An id list of either kind: ``("pdb", ids)`` or ``("afdb", accessions)``.

    PDB ids (4 characters, a digit first) and UniProt accessions (6 or 10) cannot be confused,
    so the list says which it is; a list mixing both is refused.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    tuple of (str, list of str)

    Raises
    ------
    EnmspecError
        Neither kind (the message of the PDB reading, with a word on accessions).
    """
    try:
        return "pdb", read_ids(path)
    except EnmspecError as pdb_error:
        try:
            return "afdb", read_accessions(path)
        except EnmspecError:
            raise EnmspecError(f"{pdb_error} (nor a list of UniProt accessions)") from None


def validate_model(path: Path, accession: str) -> None:
    """Raise :class:`FetchError` unless ``path`` is a readable model of ``accession``.

    Parameters
    ----------
    path : pathlib.Path
        The downloaded file.
    accession : str
        The UniProt accession asked for; the file's ``_entry.id`` (``AF-<acc>-F1``) or its
        UniProt references (``_ma_target_ref_db_details``, ``_struct_ref``) must name it.
    """
    try:
        structure = load_structure(path)
    except StructureError as exc:
        raise FetchError(f"{accession}: corrupt download: {exc}") from None
    named = structure.entry_id.upper().startswith(f"AF-{accession.upper()}-")
    if not (named or accession.upper() in structure.metadata.uniprot):
        raise FetchError(
            f"{accession}: the file holds {structure.entry_id} "
            f"(UniProt {', '.join(structure.metadata.uniprot) or 'none'}), not {accession}"
        )


def model_file_name(url: str, accession: str, version: int = AFDB_VERSION) -> str:
    """The cache name of a model: the URL's own ``AF-...-model_vN.cif`` name, else AlphaFold DB's form.

    Parameters
    ----------
    url : str
    accession : str
    version : int

    Returns
    -------
    str
    """
    name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    match = _MODEL_NAME.fullmatch(name)
    if match and match.group(1).upper() == accession.upper():
        return name
    return f"AF-{accession}-F1-model_v{version}.cif"


def cached_models(cache: str | os.PathLike) -> dict[str, Path]:
    """The F1 models in ``cache/afdb/``, by accession (the highest version where several are).

    Parameters
    ----------
    cache : path-like

    Returns
    -------
    dict of str to pathlib.Path
    """
    folder = Path(cache) / AFDB_DIR
    best: dict[str, tuple[int, Path]] = {}
    try:
        with os.scandir(folder) as listing:
            for item in listing:
                match = _MODEL_NAME.fullmatch(item.name)
                if match and match.group(2) == "1" and item.is_file():
                    accession, version = match.group(1).upper(), int(match.group(3))
                    if accession not in best or version > best[accession][0]:
                        best[accession] = (version, folder / item.name)
    except FileNotFoundError:
        return {}
    return {a: p for a, (_, p) in best.items()}


def _model_url(session: object, accession: str, settings: FetchSettings, source: AfdbSource) -> str:
    """The current model file of ``accession``, from the API's answer."""
    url = source.api_url(accession)
    answer = get_json(session, url, settings, accession)
    records = answer if isinstance(answer, list) else [answer]
    candidates = [r for r in records if isinstance(r, dict) and r.get("cifUrl")]
    if not candidates:
        raise FetchError(f"{accession}: no model file in the answer of {url}")
    preferred = [
        r
        for r in candidates
        if str(r.get("uniprotAccession", "")).upper() == accession
        and str(r.get("entryId", "")).endswith("-F1")
    ]
    return str((preferred or candidates)[0]["cifUrl"])


def _fetch_model(
    session: object,
    accession: str,
    folder: Path,
    settings: FetchSettings,
    stop: threading.Event,
    source: AfdbSource,
) -> tuple[int, str | None, Path | None]:
    """(bytes, None, path) once ``accession``'s model is cached, else (0, reason, None)."""
    try:
        url = (
            source.file_url(accession) if source.mirror else _model_url(session, accession, settings, source)
        )
        target = folder / model_file_name(url, accession, source.version)
        size = _download_one(session, accession, target, settings, stop, url=url, validate=validate_model)
        return size, None, target
    except FetchError as exc:
        return 0, _one_line(exc), None
    except Exception as exc:  # noqa: BLE001 - one accession's fault, whatever it is
        log.debug("%s: unexpected error", accession, exc_info=True)
        return 0, _one_line(f"{accession}: {type(exc).__name__}: {exc}"), None


def fetch_afdb(
    accessions: Iterable[str],
    *,
    cache: str | os.PathLike,
    settings: FetchSettings | None = None,
    source: AfdbSource | None = None,
    progress: bool = False,
) -> FetchReport:
    """Download AlphaFold DB models (F1) of UniProt accessions into ``cache/afdb/``.

    Parameters
    ----------
    accessions : iterable of str
        UniProt accessions (``"P69905"``; ``"AF-P69905-F1"`` is read as ``"P69905"``).
    cache : path-like
        The cache folder (the same as for PDB entries); models already there are not fetched.
    settings : FetchSettings, optional
        Parallel downloads, timeout, retries and backoff (its mirror and format are not used).
    source : AfdbSource, optional
        The API, or a mirror template (default: AlphaFold DB's API).
    progress : bool
        Show a progress bar.

    Returns
    -------
    FetchReport
        Every accession is in ``paths`` or in ``failed`` (also written to
        ``cache/afdb/fetch-failures.tsv``).

    Raises
    ------
    EnmspecError
        (an input error) A token that is not a UniProt accession.
    """
    settings = settings or FetchSettings()
    source = source or AfdbSource()
    wanted: dict[str, None] = {}
    for raw in accessions:
        accession = str(raw).strip().upper()
        accession = accession[3:].split("-", 1)[0] if accession.startswith("AF-") else accession
        if not is_accession(accession):
            raise EnmspecError(f"{str(raw)[:40]!r} is not a UniProt accession")
        wanted[accession] = None
    folder = Path(cache) / AFDB_DIR
    folder.mkdir(parents=True, exist_ok=True)
    present = cached_models(cache)
    paths = {a: present[a] for a in wanted if a in present}
    todo = {a: folder for a in wanted if a not in present}

    def fetch_entry(
        session: object, accession: str, target: Path, fs: FetchSettings, stop: threading.Event
    ) -> tuple[int, str | None, Path | None]:
        return _fetch_model(session, accession, target, fs, stop, source)

    run = _Downloads(todo, settings, fetch_entry)
    try:
        run.run(progress)
    finally:
        _write_failures(folder / FAILURES_NAME, run.failed)
    paths.update(run.paths)
    return FetchReport(
        paths={a: paths[a] for a in wanted if a in paths},
        downloaded=tuple(a for a in todo if a in run.paths),
        already_cached=tuple(a for a in wanted if a in present),
        failed={a: run.failed[a] for a in todo if a in run.failed},
        bytes_downloaded=run.total_bytes,
    )
