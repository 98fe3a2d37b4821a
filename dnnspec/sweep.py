"""``dnnspec sweep``: train many networks that differ in their settings, take and fit each one's spectrum.

Each run of a :class:`~dnnspec.grid.SweepGrid` trains a net, writes its checkpoint, takes the
top-K spectrum of its training-loss Hessian, fits the power law and becomes one row with every
setting and every result. The sweep folder is a :class:`compare.batchdir.BatchFolder`, run by the
same machinery as ``enmspec batch`` (:mod:`compare.runner`): a journal appended row by row, a rerun
of the same command resuming it, the folder locked to its grid, a failure (divergence,
non-convergence) recorded as a row while the sweep goes on, the largest runs first, joblib workers
with a share of the cores each, or a Dask cluster.

Folder: ``settings.json`` (the grid), ``rows.jsonl``, ``results.parquet`` (``results.csv``),
``summary.json``, ``spectra/<run>.spectrum.npz`` and ``checkpoints/<run>.pt``. A run whose
checkpoint is already there (the sweep died while taking its spectrum) is not trained again.

With ``noise_top = K > 0`` a run also takes the top K eigenvalues of its gradient-noise
covariance (:mod:`dnnspec.noise`, the paper's Figure 20), saved as
``spectra/<run>.noise.spectrum.npz`` (kind ``"gradient-noise"``) and fitted into the ``noise_*``
columns; ``compare report`` reads it from the row's ``noise_spectrum`` column.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from compare import runner
from compare.batchdir import SPECTRUM_COLUMN, BatchFolder
from compare.errors import InputError
from compare.spectrum import SUFFIX
from dnnspec.grid import DEFAULTS, SweepGrid, SweepRun

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

__all__ = ["RESULT_COLUMNS", "SWEEP_COLUMNS", "run_one", "run_sweep"]

CHECKPOINTS_DIR = "checkpoints"
#: The results of a run, after its settings.
RESULT_COLUMNS = (
    "preset",
    "scale",
    "case",
    "paper_dataset",
    "paper_model",
    "paper_training",
    "paper_setting",
    "n_params",
    "n_samples",
    "train_loss",
    "train_accuracy",
    "test_loss",
    "test_accuracy",
    "lambda_1",
    "trace",
    "trace_stderr",
    "k",
    "x_min",
    "beta",
    "sigma",
    "s",
    "d_ks",
    "d_c",
    "is_power_law",
    "gap_k",
    "gap_beta",
    "gap_s",
    "gap_d_ks",
    "gap_d_c",
    "gap_is_power_law",
    "power_check_difference",
    # the gradient-noise covariance spectrum (setting noise_top > 0), its own fit
    "noise_k",
    "noise_beta",
    "noise_sigma",
    "noise_s",
    "noise_d_ks",
    "noise_d_c",
    "noise_is_power_law",
    "noise_lambda_1",
    "noise_trace",
    "noise_products",
    "noise_seconds",
    "noise_spectrum",
    "solver_used",
    "products",
    "residual",
    "train_seconds",
    "spectrum_seconds",
    "seconds",
    "peak_rss_mib",
    "status",
    "error",
    SPECTRUM_COLUMN,
    "checkpoint",
)
#: Every column of a sweep's table: the run's key and label, its settings, its results.
SWEEP_COLUMNS = ("run", "id", *DEFAULTS, *RESULT_COLUMNS)
_INT_COLUMNS = ("n_params", "n_samples", "k", "gap_k", "products", "noise_k", "noise_products")
#: File suffix of a run's gradient-noise spectrum, after its key (beside its Hessian spectrum).
NOISE_SUFFIX = f".noise{SUFFIX}"
#: Settings that may differ between a sweep and its resumption: where it runs, not what it computes.
RESUMABLE_ACROSS = ("device",)
#: Training-set sizes by data set, for ordering runs by cost before any data is read.
_TRAIN_SIZES = {"digits": 1438, "mnist5k": 4000, "mnist": 60000, "fashion-mnist": 60000}


def _label(run: SweepRun, varied: list[str]) -> str:
    parts = [f"{n}={run[n]}" for n in varied if n != "seed"] + [f"seed={run['seed']}"]
    return " ".join(parts)


def _train_run(run: SweepRun, path: Path, row: dict) -> object:
    """Train the run's net and write its checkpoint, or read the checkpoint a killed sweep left."""
    import torch

    from dnnspec.data import DataSettings, load_dataset
    from dnnspec.errors import CheckpointError
    from dnnspec.models import build_model
    from dnnspec.train import TrainSettings, load_checkpoint, save_checkpoint, train

    if path.is_file():
        try:
            ckpt = load_checkpoint(path)
        except CheckpointError as exc:
            log.warning("%s: training again (%s)", path, exc)
        else:
            row["train_seconds"] = ckpt.metrics.get("seconds")
            return ckpt
    seed = run["seed"]
    data = run.group("data")
    data_settings = DataSettings.from_dict({"name": data.pop("data"), **data})
    train_settings = TrainSettings.from_dict(run.group("train"))
    dataset = load_dataset(data_settings)
    options = {k: run[k] for k in ("width", "depth", "activation") if run[k] is not None}
    if run["batch_norm"]:
        options["batch_norm"] = True
    started = time.perf_counter()
    model = build_model(
        run["model"], input_shape=dataset.input_shape, n_classes=dataset.n_classes, seed=seed, **options
    )
    result = train(model, dataset, train_settings, progress=False)
    seconds = round(time.perf_counter() - started, 3)
    row["train_seconds"] = seconds
    save_checkpoint(
        path,
        model_name=run["model"],
        model_kwargs={"input_shape": list(dataset.input_shape), "n_classes": dataset.n_classes, **options},
        model=result.model,
        data_settings=data_settings,
        train_settings=train_settings,
        history=result.history,
        metrics={**result.metrics(), "seconds": seconds, "torch_threads": torch.get_num_threads()},
    )
    return load_checkpoint(path)


def run_one(
    task: SweepRun | tuple[SweepRun, str],
    root: str | os.PathLike,
    device: str | None = None,
    threads: int | None = None,
) -> dict:
    """Train, checkpoint, take the spectrum and fit one run: its row. Never raises.

    Parameters
    ----------
    task : SweepRun, or (SweepRun, str)
        The settings, and the run's label within its sweep (the spectrum's name and the row's
        ``id``; default its key).
    root : str or path-like
        The sweep folder (``checkpoints/`` and ``spectra/`` inside).
    device : str, optional
        Where the spectrum's products run (``"cuda"``); training is on the CPU.
    threads : int, optional
        torch CPU threads of this run (the worker's share of the cores).

    Returns
    -------
    dict
        The row (:data:`SWEEP_COLUMNS`); ``status`` ``done`` or ``failed`` with ``error``.
    """
    started = time.perf_counter()
    run, label = task if isinstance(task, tuple) else (task, task.key)
    row: dict = dict.fromkeys(SWEEP_COLUMNS)
    row.update(run.settings, run=run.key, id=label)
    root = Path(root)
    try:
        import torch

        from compare.powerlaw import fit_power_law
        from dnnspec.spectrum import checkpoint_spectrum

        if threads:
            torch.set_num_threads(threads)
        ckpt_path = root / CHECKPOINTS_DIR / f"{run.key}.pt"
        ckpt = _train_run(run, ckpt_path, row)
        spec_started = time.perf_counter()
        names = ("method", "tol", "power_check", "trace_samples", "block_size", "max_products")
        options = {k: run[k] for k in names}
        spectrum = checkpoint_spectrum(
            ckpt,
            k=run["top"],
            chunk_size=run["chunk_size"],
            name=label,
            dtype=getattr(torch, run["dtype"]),
            device=device,
            solver=run["solver"],
            seed=run["seed"],
            **options,
        )
        spectrum.save(root / "spectra" / f"{run.key}{SUFFIX}")
        row["spectrum_seconds"] = round(time.perf_counter() - spec_started, 3)
        fit = fit_power_law(spectrum.values)
        _fill(row, spectrum, fit, ckpt)
        if run["noise_top"]:
            _noise(run, label, ckpt, root, row)
        row[SPECTRUM_COLUMN] = f"{run.key}{SUFFIX}"
        row["checkpoint"] = f"{CHECKPOINTS_DIR}/{run.key}.pt"
        row["status"] = "done"
    except Exception as exc:  # noqa: BLE001 - one run's failure, whatever raised it, is a row
        row.update(status="failed", error=runner.describe_failure(exc, label))
    row["seconds"] = round(time.perf_counter() - started, 3)
    row["peak_rss_mib"] = _peak_rss_mib()
    return row


def _peak_rss_mib() -> float | None:
    """The peak resident memory of this process so far, in MiB (None where not measurable).

    In a worker this is the worker's peak over the runs it has done, which is what a worker
    needs; in the sweep's own process (``jobs=1``) it includes the parent's data.
    """
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def _noise(run: SweepRun, label: str, ckpt: object, root: Path, row: dict) -> None:
    """The run's gradient-noise covariance spectrum (the paper's Figure 20): saved, fitted, in the row."""
    import torch

    from compare import meta as keys
    from compare.powerlaw import fit_power_law
    from dnnspec.noise import checkpoint_noise_spectrum

    started = time.perf_counter()
    spectrum = checkpoint_noise_spectrum(
        ckpt,
        k=run["noise_top"],
        name=f"{label} gradient noise",
        dtype=getattr(torch, run["dtype"]),
        tol=run["tol"],
        max_products=run["max_products"],
        seed=run["seed"],
    )
    file = f"{run.key}{NOISE_SUFFIX}"
    spectrum.save(root / "spectra" / file)
    fit = fit_power_law(spectrum.values)
    fitted = {k: v for k, v in fit.as_dict().items() if f"noise_{k}" in RESULT_COLUMNS}
    row.update({f"noise_{k}": v for k, v in fitted.items()})
    row.update(
        noise_lambda_1=spectrum.meta[keys.TOP_EIGENVALUE],
        noise_trace=spectrum.meta[keys.TRACE],
        noise_products=spectrum.meta.get("n_products"),
        noise_seconds=round(time.perf_counter() - started, 3),
        noise_spectrum=file,
    )


def _fill(row: dict, spectrum: object, fit: object, ckpt: object) -> None:
    from compare import meta as keys
    from compare.eigengap import fit_eigengaps

    meta = spectrum.meta
    try:
        gaps = fit_eigengaps(spectrum.values, k=fit.k)
    except ValueError:
        pass  # too few gaps: the gap columns stay empty
    else:
        row.update({f"gap_{k}": v for k, v in gaps.as_dict().items() if f"gap_{k}" in RESULT_COLUMNS})
    row["power_check_difference"] = (meta.get("power_check") or {}).get("max_relative_difference")
    row.update(
        paper_dataset=meta.get(keys.DATASET),
        paper_model=meta.get(keys.MODEL),
        paper_training=meta.get(keys.TRAINING),
        paper_setting=meta.get(keys.SETTING),
        n_params=meta["n_params"],
        n_samples=meta["n_samples"],
        lambda_1=meta[keys.TOP_EIGENVALUE],
        trace=meta.get(keys.TRACE),
        trace_stderr=meta.get("trace_stderr"),
        solver_used=meta.get("solver"),
        products=meta.get("hvp_total"),
        residual=meta.get("max_relative_residual"),
        **{k: ckpt.metrics.get(k) for k in ("train_loss", "train_accuracy", "test_loss", "test_accuracy")},
        **{k: v for k, v in fit.as_dict().items() if k in RESULT_COLUMNS},
    )


def check_run(run: SweepRun) -> None:
    """Refuse a run whose settings no part accepts, before anything is trained.

    Parameters
    ----------
    run : SweepRun

    Raises
    ------
    compare.errors.InputError
        Naming the run and the bad setting.
    ImportError
        The run's optimizer needs pytorch-optimizer, which is not installed.
    """
    from compare.validation import check_choice
    from dnnspec.data import DataSettings
    from dnnspec.names import MODEL_NAMES
    from dnnspec.optimizers import require_library
    from dnnspec.train import TrainSettings

    data = run.group("data")
    try:
        DataSettings.from_dict({"name": data.pop("data"), **data})
        require_library(TrainSettings.from_dict(run.group("train")).optimizer)
        check_choice(run["model"], "model", MODEL_NAMES)
        check_choice(run["solver"], "solver", ("auto", "dense", "lanczos"))
        check_choice(run["dtype"], "dtype", ("float32", "float64"))
        check_choice(run["method"], "method", ("auto", "func", "graph"))
        for name in ("top", "chunk_size"):
            if run[name] < 1:
                raise ValueError(f"{name} must be >= 1, got {run[name]}")
        if run["noise_top"] < 0:
            raise ValueError(f"noise_top must be >= 0 (0: none), got {run['noise_top']}")
    except ValueError as exc:
        raise InputError(f"run {run.key}: {exc}") from None


def _cost(run: SweepRun) -> float:
    """A run's cost in arbitrary units: parameters x samples x (epochs + spectrum passes)."""
    from dnnspec.models import build_model

    shape, classes = ((1, 8, 8), 10) if run["data"] == "digits" else ((1, 28, 28), 10)
    if run["data"].startswith("cifar"):
        shape, classes = (3, 32, 32), (100 if run["data"] == "cifar100" else 10)
    options = {k: run[k] for k in ("width", "depth", "activation") if run[k] is not None}
    try:
        model = build_model(run["model"], input_shape=shape, n_classes=classes, **options)
        n_params = sum(p.numel() for p in model.parameters())
    except Exception:  # noqa: BLE001 - a run that cannot be built fails as a row, not here
        n_params = 0
    samples = run["n_train"] or _TRAIN_SIZES.get(run["data"], 50000)
    return float(n_params) * samples * (run["epochs"] + 4 * run["top"])


def _case_labels(grid: SweepGrid) -> dict[str, str]:
    """Run key -> the label of the grid's case it belongs to (its settings, ``"label_noise=0.4"``)."""
    labels: dict[str, str] = {}
    for case in grid.cases:
        label = " ".join(f"{k}={v}" for k, v in case.items()) or "base"
        for run in SweepGrid(grid.base, grid.vary, (case,)).runs():
            labels.setdefault(run.key, label)
    return labels


def _threads(jobs: int, threads: int | None) -> int | None:
    if threads is not None:
        return threads
    return None if jobs == 1 else max(1, (os.cpu_count() or 1) // jobs)


def run_sweep(
    grid: SweepGrid,
    out: str | os.PathLike,
    *,
    jobs: int | None = 1,
    scheduler: str | None = None,
    device: str | None = None,
    threads: int | None = None,
    write_csv: bool = False,
    progress: bool = False,
    on_row: Callable[[dict], None] | None = None,
) -> pd.DataFrame:
    """Run every run of ``grid`` into the sweep folder ``out``; resumable; returns the table.

    Parameters
    ----------
    grid : SweepGrid
        The runs (:func:`dnnspec.presets.preset_grid`, :func:`dnnspec.grid.read_grid`).
    out : str or path-like
        The sweep folder (see the module's description). Rerunning with the same grid resumes
        it; another grid is refused.
    jobs : int, optional
        Worker processes (-1: all cores). Each gets ``cores // jobs`` torch threads.
    scheduler : str, optional
        Address of a Dask scheduler: one run per worker thread slot; ``out`` must be on a
        file system the workers share.
    device : str, optional
        Where the spectra's products run (``"cuda"`` for GPU workers); not part of the lock.
    threads : int, optional
        torch threads per run (default: the worker's share of the cores).
    write_csv : bool
        Also write ``results.csv``.
    progress : bool
        Progress bar over runs, with done and failed counts and the ETA.
    on_row : callable, optional
        Called with each new row once it is in the journal.

    Returns
    -------
    pandas.DataFrame
        One row per run in grid order (:data:`SWEEP_COLUMNS`); ``attrs["skipped"]`` counts the
        runs already final from an earlier run of the sweep.
    """
    import pandas as pd

    from compare.summary import summarize_runs

    runs = grid.runs()
    if not runs:
        raise InputError("the grid has no runs")
    for run in runs:
        check_run(run)
    jobs = runner.resolve_jobs(jobs, default=1)
    folder = BatchFolder(Path(out))
    runner.prepare_folder(folder)
    (folder.root / CHECKPOINTS_DIR).mkdir(exist_ok=True)
    runner.lock_settings(folder, {**grid.as_dict(), "device": device}, resumable_across=RESUMABLE_ACROSS)
    varied = grid.varied()
    tasks = [(r, _label(r, varied)) for r in runs]
    plan = runner.plan_runs(
        tasks, folder, key=lambda t: t[0].key, cost=lambda t: _cost(t[0]), key_field="run"
    )
    recorded = dict(plan.recorded)
    rows = runner.map_unordered(
        run_one,
        plan.todo,
        args=(str(folder.root), device, _threads(jobs, threads)),
        jobs=jobs,
        scheduler=scheduler,
    )
    cases = _case_labels(grid)
    labelled = ({**r, "preset": grid.preset, "scale": grid.scale, "case": cases.get(r["run"])} for r in rows)
    runner.record_rows(
        labelled,
        folder,
        recorded,
        key_field="run",
        total=len(plan.todo),
        progress=progress,
        desc="dnnspec sweep",
        unit="run",
        on_row=on_row,
    )
    table = pd.DataFrame([recorded[k] for k in plan.keys], columns=list(SWEEP_COLUMNS))
    table = table.astype({c: "Int64" for c in _INT_COLUMNS} | {"is_power_law": "boolean"})
    folder.write_table(table, csv=write_csv)
    summary = summarize_runs(table)
    summary.update(skipped=plan.n_skipped, preset=grid.preset, scale=grid.scale, varied=varied)
    folder.write_summary(summary)
    table.attrs["skipped"] = plan.n_skipped
    return table
