"""Many independent runs into one batch folder: the machinery ``enmspec batch`` and ``dnnspec sweep`` share.

A run is any picklable task and a function that turns it into one result row (a dict) and never
raises: a failure is a row whose ``status`` is ``failed`` and whose ``error`` says why. This module
holds what does not depend on what a task is:

- :func:`prepare_folder` and :func:`lock_settings`: the output folder, locked to the settings of
  its first run (a rerun with other settings is refused);
- :func:`plan_runs`: which tasks already have a final row in the journal, and the others in
  descending order of their estimated cost (the largest first, so that none straggles at the end);
- :func:`map_unordered`: the tasks on joblib's loky workers (each with its share of the cores and a
  watchdog that ends it when the batch dies) or on a Dask cluster;
- :func:`record_rows`: each row appended to the journal as it arrives, with a progress bar
  counting done and failed runs.

The folder layout and the journal itself are :class:`compare.batchdir.BatchFolder`'s.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from compare.batchdir import BatchFolder
from compare.errors import InputError

log = logging.getLogger(__name__)

__all__ = [
    "FINAL_STATUSES",
    "RunPlan",
    "describe_failure",
    "lock_settings",
    "map_unordered",
    "plan_runs",
    "prepare_folder",
    "record_rows",
    "resolve_jobs",
    "row_key",
    "watch_parent",
]

#: Rows a rerun does not redo; ``failed`` ones are retried.
FINAL_STATUSES = ("done", "excluded")
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


def describe_failure(exc: BaseException, source: object) -> str:
    """One line for a failed run.

    The message, with the exception's type unless it is an input error, and the run's source
    (a file, a run key) when the message does not already give it.

    Parameters
    ----------
    exc : BaseException
        What was raised.
    source : object
        What the run was of; its ``str`` names it.

    Returns
    -------
    str
    """
    message = " ".join(str(exc).split())
    if not isinstance(exc, InputError):
        message = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    if str(source) not in message:
        message = f"{source}: {message}"
    return message


def resolve_jobs(jobs: int | None, *, default: int = -1) -> int:
    """Worker processes for ``jobs``.

    Parameters
    ----------
    jobs : int, optional
        None: ``default``; -1: all cores; else at least 1.
    default : int
        The default (-1: all cores).

    Returns
    -------
    int

    Raises
    ------
    ValueError
        ``jobs`` is not an int >= 1 or -1.
    """
    if jobs is None:
        jobs = default
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs == 0 or jobs < -1:
        raise ValueError(f"jobs must be an int >= 1 or -1 (all cores), got {jobs!r}")
    return (os.cpu_count() or 1) if jobs == -1 else jobs


def prepare_folder(folder: BatchFolder) -> None:
    """Create the output folder and its ``spectra/``; refuse one that is unusable.

    Parameters
    ----------
    folder : BatchFolder

    Raises
    ------
    compare.errors.InputError
        The path is a file, cannot be created or is not writable.
    """
    if folder.root.exists() and not folder.root.is_dir():
        raise InputError(f"{folder.root}: not a folder (--out must be a folder)")
    try:
        folder.spectra.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{folder.root}: cannot create the output folder ({exc.strerror or exc})") from None
    if not os.access(folder.root, os.W_OK):
        raise InputError(f"{folder.root}: the output folder is not writable")


def lock_settings(
    folder: BatchFolder,
    settings: dict[str, Any],
    *,
    resumable_across: Sequence[str] = (),
    defaults: dict[str, Any] | None = None,
) -> None:
    """Record the settings of a folder's first run; refuse a rerun with other ones.

    Parameters
    ----------
    folder : BatchFolder
    settings : dict
        JSON-plain settings of this run.
    resumable_across : sequence of str
        Keys that may differ between a run and its resumption (where the work runs, not what
        it computes); they are not recorded.
    defaults : dict, optional
        Each setting's default: a key the recorded settings lack (a folder written before the
        setting existed) matches when this run leaves it at its default.

    Raises
    ------
    compare.errors.InputError
        The folder holds rows made with other settings.
    """
    # through JSON, as settings.json holds them (a tuple reads back as a list)
    current = json.loads(json.dumps({k: v for k, v in settings.items() if k not in resumable_across}))
    defaults = json.loads(json.dumps(defaults or {}))
    previous = folder.read_settings()
    if previous is None:
        folder.write_settings(current)
        return
    missing = object()
    changed = sorted(
        k
        for k in set(current) | set(previous)
        if previous.get(k, defaults.get(k, missing)) != current.get(k, defaults.get(k, missing))
        and k not in resumable_across
    )
    if changed:
        raise InputError(
            f"{folder.root} holds a batch made with other settings ({', '.join(changed)}); "
            f"use another --out folder or the same settings to resume"
        )


@dataclass(frozen=True)
class RunPlan:
    """What a run of a batch will do: every task's key, and the tasks still to compute.

    Parameters
    ----------
    keys : tuple of str
        The rows' keys, in input order (the rows of the results table).
    todo : tuple
        Tasks without a final row, the most costly first.
    recorded : dict
        Rows already in the journal, by key.
    """

    keys: tuple
    todo: tuple
    recorded: dict

    @property
    def n_skipped(self) -> int:
        """Tasks with a final row from an earlier run (done or excluded)."""
        return sum(self.recorded.get(k, {}).get("status") in FINAL_STATUSES for k in set(self.keys))


def plan_runs(
    tasks: Sequence,
    folder: BatchFolder,
    *,
    key: Callable[[Any], str],
    cost: Callable[[Any], float],
    key_field: str | tuple[str, ...] = "path",
) -> RunPlan:
    """Match the tasks against the journal: which rows are final, which are to compute.

    Parameters
    ----------
    tasks : sequence
        In input order.
    folder : BatchFolder
        The output folder (its journal is read).
    key : callable
        ``key(task)``: the value of the row's ``key_field`` that task produces, or a tuple of
        them for a task that gives several rows.
    cost : callable
        ``cost(task)``: its estimated cost, in any unit; larger runs first.
    key_field : str or tuple of str
        The row field that identifies a row (several: the first present).

    Returns
    -------
    RunPlan
    """
    recorded = folder.read_journal(key=key_field)
    per_task = [(k,) if isinstance(k, str) else tuple(k) for k in map(key, tasks)]
    keys = tuple(k for ks in per_task for k in ks)
    todo = [
        t
        for t, ks in zip(tasks, per_task, strict=True)
        if any(recorded.get(k, {}).get("status") not in FINAL_STATUSES for k in ks)
    ]
    costs = [cost(t) for t in todo]
    order = sorted(range(len(todo)), key=lambda i: costs[i], reverse=True)  # stable among equal costs
    return RunPlan(keys=keys, todo=tuple(todo[i] for i in order), recorded=recorded)


def map_unordered(
    func: Callable[..., dict],
    tasks: Sequence,
    *,
    args: tuple = (),
    jobs: int = 1,
    scheduler: str | None = None,
) -> Iterator[dict]:
    """``func(task, *args)`` for every task, yielded as each finishes.

    Parameters
    ----------
    func : callable
        Picklable (a module-level function); must not raise (a failure is a row).
    tasks : sequence
        Picklable tasks.
    args : tuple
        Further arguments of every call.
    jobs : int
        Worker processes (1: in this process, in order).
    scheduler : str, optional
        Address of a Dask distributed scheduler: the calls run on its workers through
        joblib's dask backend (the ``dask`` extra), one task per worker slot.

    Yields
    ------
    dict
        Each call's row, in completion order.
    """
    if scheduler is None and (jobs == 1 or len(tasks) <= 1):
        for task in tasks:
            yield func(task, *args)
        return
    from joblib import Parallel, delayed, parallel_config

    calls = (delayed(func)(task, *args) for task in tasks)
    if scheduler is not None:
        from distributed import Client  # the optional 'dask' extra

        with Client(scheduler), parallel_config(backend="dask"):
            yield from Parallel(return_as="generator_unordered")(calls)
        return
    # loky limits each worker's BLAS (and OpenMP, which torch reads) to cores / jobs threads: no
    # oversubscription. Each worker starts its parent watchdog as it starts, before it has a task.
    with parallel_config(backend="loky", initializer=watch_parent, initargs=(os.getpid(),)):
        yield from Parallel(n_jobs=jobs, return_as="generator_unordered")(calls)


def row_key(row: dict, key_field: str | tuple[str, ...]) -> str:
    """A row's key: its ``key_field``, or the first of several present (not None).

    Parameters
    ----------
    row : dict
    key_field : str or tuple of str

    Returns
    -------
    str
    """
    for name in (key_field,) if isinstance(key_field, str) else key_field:
        if row.get(name) is not None:
            return str(row[name])
    raise KeyError(f"row has none of the key fields {key_field}")


def record_rows(
    rows: Iterable[dict],
    folder: BatchFolder,
    recorded: dict,
    *,
    key_field: str | tuple[str, ...] = "path",
    total: int | None = None,
    progress: bool = False,
    desc: str = "batch",
    unit: str = "run",
    on_row: Callable[[dict], None] | None = None,
) -> int:
    """Append each row to the journal as it arrives (and to ``recorded``); count the failures.

    Parameters
    ----------
    rows : iterable of dict
        Typically :func:`map_unordered`'s.
    folder : BatchFolder
        Whose journal receives them (flushed and synced per row).
    recorded : dict
        Rows by key, updated in place (the caller's table of this run).
    key_field : str or tuple of str
        The row field that keys ``recorded`` (several: the first present).
    total : int, optional
        Expected number of rows (for the progress bar and its ETA).
    progress : bool
        A tqdm bar with done and failed counts and the ETA.
    desc, unit : str
        The bar's label and unit.
    on_row : callable, optional
        Called with each row once it is in the journal.

    Returns
    -------
    int
        Rows whose status is not ``done``.
    """
    bar = None
    if progress and total:
        from tqdm import tqdm

        bar = tqdm(total=total, unit=unit, desc=desc)
    n_failed = 0
    try:
        with folder.appending() as append:
            for row in rows:
                append(row)
                recorded[row_key(row, key_field)] = row
                if row.get("status") != "done":
                    n_failed += 1
                    log.warning("%s: %s", row.get("id", row_key(row, key_field)), row.get("error"))
                if bar is not None:
                    bar.set_postfix(done=bar.n + 1 - n_failed, failed=n_failed)
                    bar.update(1)
                if on_row is not None:
                    on_row(row)
    finally:
        if bar is not None:
            bar.close()
    return n_failed
