"""Crash-safe file writing and journal reading, shared by enmspec, dnnspec and compare.

A file is written under a temporary name beside its target and renamed over it only once
complete (``os.replace`` is atomic on POSIX and Windows), so a crash never leaves a half
written result under the real name.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    r"""A temporary path beside ``path`` to write to; renamed to ``path`` when the block succeeds.

    The parent folder is created. On an exception the temporary file is removed and the
    exception propagates; ``path`` is untouched. The file gets the permissions of a normal
    ``open()`` (0666 less the umask), not the 0600 of :func:`tempfile.mkstemp`.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> with atomic_path(out) as tmp:
    ...     pd.DataFrame({"a": [1]}).to_csv(tmp, index=False)
    >>> out.read_text()
    'a\\n1\\n'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def atomic_write_json(path: str | os.PathLike, record: object) -> Path:
    """Write ``record`` as indented JSON (NaN allowed) to ``path`` atomically; returns the path."""
    return atomic_write_text(path, json.dumps(record, indent=2, allow_nan=True) + "\n")


def read_jsonl(path: str | os.PathLike, *, key: str | tuple[str, ...]) -> dict[str, dict]:
    """Rows of a JSON-lines journal by ``row[key]``, the last row of each key winning.

    A journal is a log: its damage must not cost the batch. A final line cut short by a crash
    (no newline) is dropped silently (only the row in flight can be lost that way); any other
    line that is not UTF-8, not JSON or not an object is skipped with one warning naming the
    file and the line numbers, and that entry is recomputed.

    Parameters
    ----------
    path : path-like
        The journal (``rows.jsonl``); a missing file gives ``{}``.
    key : str or tuple of str
        Field that keys a row; with several, the first present one is used.

    Returns
    -------
    dict of str to dict
        Key -> the last row recorded for it, in the order first recorded.
    """
    keys = (key,) if isinstance(key, str) else tuple(key)
    rows: dict[str, dict] = {}
    path = Path(path)
    if not path.is_file():
        return rows
    damaged: list[int] = []
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.endswith(b"\n"):
                break
            try:
                row = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                damaged.append(number)
                continue
            if not isinstance(row, dict):
                damaged.append(number)
                continue
            for k in keys:
                if row.get(k) is not None:
                    rows[str(row[k])] = row
                    break
    if damaged:
        shown = ", ".join(map(str, damaged[:10])) + (" ..." if len(damaged) > 10 else "")
        warnings.warn(
            f"{path}: skipped {len(damaged)} damaged line(s) (not UTF-8 JSON rows: line {shown}); "
            "their entries are recomputed",
            stacklevel=2,
        )
    return rows
