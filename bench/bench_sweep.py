"""A sweep's overhead over its runs, and the speed-up of two workers over one (issue: sweeps).

Runs one preset twice into fresh folders: with one worker (one torch thread), then with two
workers (one thread each). Prints

* overhead = wall time of the one-worker sweep / sum of its runs' train and spectrum times - 1
  (goal < 5 %): what the sweep adds (planning, data loading, checkpoints, journal, table);
* speed-up = one-worker wall time / two-worker wall time (goal >= 1.8x on 2 cores);
* peak resident memory of each worker (the ``peak_rss_mib`` column of the two-worker rows) and
  of the one-worker sweep's own process.

Run:  python bench/bench_sweep.py --preset trained-vs-random --scale ci
      python bench/bench_sweep.py --preset label-noise --scale cpu --keep runs/bench-label-noise
(``--keep`` leaves both sweep folders, ``one/`` and ``two/``, for ``compare report``.)
"""

from __future__ import annotations

import argparse
import platform
import resource
import tempfile
import time
from pathlib import Path

import torch

from dnnspec.presets import preset_grid
from dnnspec.sweep import run_sweep


def timed_sweep(grid, out: Path, jobs: int) -> tuple[float, object]:
    started = time.perf_counter()
    table = run_sweep(grid, out, jobs=jobs, threads=1)
    return time.perf_counter() - started, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="trained-vs-random")
    parser.add_argument("--scale", default="ci")
    parser.add_argument("--keep", type=Path, help="keep the two sweep folders here (must not exist)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    grid = preset_grid(args.preset, args.scale)
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        t1, one = timed_sweep(grid, where / "one", jobs=1)
        self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t2, two = timed_sweep(grid, where / "two", jobs=2)
    assert (one["status"] == "done").all() and (two["status"] == "done").all(), one["error"].tolist()
    work = float((one["train_seconds"] + one["spectrum_seconds"]).sum())
    print(f"{platform.machine()}, torch {torch.__version__}, {len(one)} runs of {args.preset} ({args.scale})")
    overhead = 100 * (t1 / work - 1)
    print(f"one worker:  {t1:8.1f} s wall; runs' train + spectrum {work:.1f} s; overhead {overhead:+.1f} %")
    print(f"two workers: {t2:8.1f} s wall; speed-up {t1 / t2:.2f}x")
    peaks = two["peak_rss_mib"].astype(float)
    print(f"peak RSS: one-worker sweep process (runs in process) {self_peak:.0f} MiB; ", end="")
    print(f"each of the two workers {peaks.min():.0f}-{peaks.max():.0f} MiB (largest run's worker)")
    print(two[["id", "train_seconds", "spectrum_seconds", "peak_rss_mib"]].to_string(index=False))


if __name__ == "__main__":
    main()
