"""A sweep's overhead over its runs, and the speed-up of two workers over one (issue: sweeps).

Runs one preset twice into fresh folders: with one worker (one torch thread), then with two
workers (one thread each). Prints

* overhead = wall time of the one-worker sweep / sum of its runs' train and spectrum times - 1
  (goal < 5 %): what the sweep adds (planning, data loading, checkpoints, journal, table);
* speed-up = one-worker wall time / two-worker wall time (goal >= 1.8x on 2 cores);
* peak resident memory of the sweep process and of its worker processes.

Run:  python bench/bench_sweep.py --preset trained-vs-random --scale ci
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
    args = parser.parse_args()
    torch.set_num_threads(1)
    grid = preset_grid(args.preset, args.scale)
    with tempfile.TemporaryDirectory() as tmp:
        t1, one = timed_sweep(grid, Path(tmp) / "one", jobs=1)
        self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t2, two = timed_sweep(grid, Path(tmp) / "two", jobs=2)
        worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # reaped children only
    assert (one["status"] == "done").all() and (two["status"] == "done").all(), one["error"].tolist()
    work = float((one["train_seconds"] + one["spectrum_seconds"]).sum())
    print(f"{platform.machine()}, torch {torch.__version__}, {len(one)} runs of {args.preset} ({args.scale})")
    overhead = 100 * (t1 / work - 1)
    print(f"one worker:  {t1:8.1f} s wall; runs' train + spectrum {work:.1f} s; overhead {overhead:+.1f} %")
    print(f"two workers: {t2:8.1f} s wall; speed-up {t1 / t2:.2f}x")
    print(f"peak RSS: sweep process (in-process runs) {self_peak:.0f} MiB", end="")
    print(f", reaped workers {worker_peak:.0f} MiB")


if __name__ == "__main__":
    main()
