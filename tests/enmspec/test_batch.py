"""run_batch: resumable journal, kill and resume, settings guard, summary, Dask."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from compare.batchdir import JOURNAL_NAME, BatchFolder
from compare.summary import SIZE_BINS, summarize_by_size
from enmspec import example_structures
from enmspec.batch import GPU_JOBS, AnalysisSettings, resolve_jobs, run_batch
from enmspec.errors import EnmspecError

# split is 1HVR with chain B moved 100 A away: two rigid bodies, 12 zero modes, "excluded".
STATUSES = {"1PWC": "done", "1HVR": "done", "4E43": "done", "split": "excluded"}


def read_journal(path):
    return BatchFolder(path.parent).read_journal()


def write_split_structure(path) -> None:
    """1HVR without its HEADER (the id comes from the file name), chain B shifted by +100 A in x."""
    lines = []
    for line in example_structures()["1HVR"].read_text().splitlines():
        if line.startswith("HEADER"):
            continue
        if line.startswith(("ATOM", "HETATM")) and line[21] == "B":
            line = f"{line[:30]}{float(line[30:38]) + 100.0:8.3f}{line[38:]}"
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def structures(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shipped = example_structures()
    (folder / "1pwc.pdb").write_bytes(gzip.decompress(shipped["1PWC"].read_bytes()))
    for entry in ("1HVR", "4E43"):
        shutil.copy(shipped[entry], folder / shipped[entry].name)
    write_split_structure(folder / "split.pdb")
    return folder


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=["seconds"]).reset_index(drop=True)


def test_rerun_skips_done_entries(structures, tmp_path):
    out = tmp_path / "out"
    first = run_batch([structures], out, jobs=1)
    assert dict(zip(first["id"], first["status"], strict=True)) == STATUSES
    assert first.set_index("id").loc["split", "n_zero"] > 6
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
    shutil.copy(example_structures()["1A28"], broken)
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


_KILLER = """
import os, signal, sys
from enmspec.batch import run_batch

inputs, out, after, sig = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
seen = []


def stop(row):
    seen.append(row)
    if len(seen) == after:
        os.kill(os.getpid(), sig)


run_batch([inputs], out, jobs=1, on_row=stop)
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_kill_and_resume_gives_the_same_table(structures, tmp_path, sig):
    """Killed after the second row (a hook, no clock), rerun: the table equals an uninterrupted run's."""
    reference = run_batch([structures], tmp_path / "ref", jobs=1)
    out = tmp_path / "out"
    # A shell's background job inherits SIGINT ignored, and Python then never raises
    # KeyboardInterrupt: give the child the default disposition, as a terminal would.
    proc = subprocess.run(
        [sys.executable, "-c", _KILLER, str(structures), str(out), "2", str(int(sig))],
        capture_output=True,
        timeout=300,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode != 0 and b"KeyboardInterrupt" in proc.stderr
    journal = out / JOURNAL_NAME
    assert len(read_journal(journal)) == 2
    assert not (out / "results.parquet").exists()
    resumed = run_batch([structures], out, jobs=1)
    assert resumed.attrs["skipped"] == 2
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


def test_a_folder_written_before_a_setting_existed_resumes_at_its_default(tmp_path):
    from compare.errors import InputError
    from enmspec import example_structures

    path = example_structures()["1PWC"]
    out = tmp_path / "b"
    run_batch([path], out, jobs=1)
    recorded = json.loads((out / "settings.json").read_text())
    del recorded["gamma"]  # as if written by a version without the option
    (out / "settings.json").write_text(json.dumps(recorded))
    assert run_batch([path], out, jobs=1).attrs["skipped"] == 1
    with pytest.raises(InputError, match="gamma"):
        run_batch([path], out, jobs=1, settings=AnalysisSettings(gamma=2.0))
