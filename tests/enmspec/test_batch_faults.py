"""A batch keeps every promise when inputs are bad, names collide or its journal is damaged."""

from __future__ import annotations

import gzip
import json
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

from compare.batchdir import BatchFolder
from compare.errors import ConvergenceError, InputError
from compare.spectrum import load_spectrum
from enmspec import AnalysisSettings, example_structures, run_batch
from enmspec.errors import TooLargeError


def write_ca_pdb(path, coords) -> None:
    lines = [
        f"ATOM  {i + 1:5d}  CA  ALA A{i + 1:4d}    {x:8.3f}{y:8.3f}{z:8.3f}  1.00  0.00           C"
        for i, (x, y, z) in enumerate(coords)
    ]
    path.write_text("\n".join([*lines, "END"]) + "\n")


@pytest.fixture
def two_good(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shipped = example_structures()
    for entry in ("1HVR", "4E43"):
        shutil.copy(shipped[entry], folder / shipped[entry].name)
    return folder


def test_any_exception_of_one_entry_is_a_row(two_good, tmp_path, monkeypatch):
    """An IndexError from a parser's C++ layer or a solver's ConvergenceError: a failed row each."""
    import enmspec.batch

    real = enmspec.batch.analyze_structure
    (two_good / "empty_stream.pdb.gz").write_bytes(gzip.compress(b""))
    shutil.copy(example_structures()["1PWC"], two_good / "boom.pdb.gz")
    shutil.copy(example_structures()["1PWC"], two_good / "slow.pdb.gz")

    def flaky(path, settings):
        if path.name == "boom.pdb.gz":
            raise IndexError("vector::_M_range_check")
        if path.name == "slow.pdb.gz":
            raise ConvergenceError("shift-invert Lanczos converged 3 of 40", n_converged=3)
        return real(path, settings)

    monkeypatch.setattr(enmspec.batch, "analyze_structure", flaky)
    table = run_batch([two_good], tmp_path / "out", jobs=1).set_index("path")
    rows = {p.rsplit("/", 1)[-1]: r for p, r in table.iterrows()}
    assert rows["1hvr.pdb"]["status"] == rows["4e43.pdb"]["status"] == "done"
    assert rows["boom.pdb.gz"]["status"] == "failed"
    assert rows["boom.pdb.gz"]["error"].endswith("IndexError: vector::_M_range_check")
    assert "ConvergenceError: shift-invert Lanczos converged 3 of 40" in rows["slow.pdb.gz"]["error"]
    assert "no atoms found" in rows["empty_stream.pdb.gz"]["error"]
    assert all(str(two_good) in rows[name]["error"] for name in ("boom.pdb.gz", "slow.pdb.gz"))


def test_same_file_name_in_two_folders_gets_two_spectra(tmp_path):
    shipped = example_structures()
    for folder, entry in (("run_a", "1HVR"), ("run_b", "4E43")):
        (tmp_path / folder).mkdir()
        shutil.copy(shipped[entry], tmp_path / folder / "model.pdb")
    inputs = [tmp_path / "run_a", tmp_path / "run_b"]
    out = tmp_path / "out"
    table = run_batch(inputs, out, jobs=1)
    assert list(table["id"]) == ["1HVR", "4E43"] and table["spectrum"].nunique() == 2
    for row in table.itertuples():
        stored = load_spectrum(out / "spectra" / row.spectrum)
        assert stored.name == row.id and stored.meta["n_residues"] == row.n_residues
    again = run_batch(inputs, out, jobs=1)  # resuming keeps the mapping
    assert again.attrs["skipped"] == 2 and list(again["spectrum"]) == list(table["spectrum"])


def test_damaged_journal_lines_are_skipped_and_recomputed(two_good, tmp_path):
    out = tmp_path / "out"
    reference = run_batch([two_good], out, jobs=1)
    journal = BatchFolder(out).journal
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"\xff\xfe not utf-8\n" + lines[0] + b"{not json\n" + b"[1, 2]\n")
    with pytest.warns(UserWarning, match=r"skipped 3 damaged line\(s\).*line 1, 3, 4"):
        resumed = run_batch([two_good], out, jobs=1)
    assert resumed.attrs["skipped"] == 1  # the intact row; the other entry recomputed
    keep = ["id", "k", "beta", "sigma", "d_ks", "status", "spectrum"]
    pd.testing.assert_frame_equal(resumed[keep], reference[keep])


def test_damaged_settings_file_names_the_file(two_good, tmp_path):
    out = tmp_path / "out"
    run_batch([two_good / "1hvr.pdb"], out, jobs=1)
    (out / "settings.json").write_bytes(b"\x00garbage")
    with pytest.raises(InputError, match=r"settings.json: damaged settings file"):
        run_batch([two_good / "1hvr.pdb"], out, jobs=1)


def test_no_inputs_leave_nothing_behind(tmp_path):
    (tmp_path / "empty").mkdir()
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="no structure files found"):
        run_batch([tmp_path / "empty"], out, jobs=1)
    assert not out.exists()


def test_unusable_output_folder_stops_the_batch(two_good, tmp_path):
    target = tmp_path / "a_file"
    target.write_text("x")
    with pytest.raises(ValueError, match="not a folder"):
        run_batch([two_good], target, jobs=1)


def test_network_without_contacts_is_excluded_with_its_cause(two_good, tmp_path):
    write_ca_pdb(two_good / "apart.pdb", np.arange(50)[:, None] * np.array([10.0, 0.0, 0.0]))
    table = run_batch([two_good], tmp_path / "out", jobs=1).set_index("id")
    row = table.loc["apart"]
    assert row["status"] == "excluded"
    assert "50 residue(s) have no contact within the cutoff of 9 A" in row["error"]
    cut = run_batch(
        [two_good / "1hvr.pdb"], tmp_path / "cut", jobs=1, settings=AnalysisSettings(cutoff=0.01)
    ).iloc[0]
    assert cut["status"] == "excluded" and "198 residue(s) have no contact" in cut["error"]


def test_too_large_is_refused_before_computing(two_good, tmp_path):
    table = run_batch(
        [two_good], tmp_path / "out", jobs=1, settings=AnalysisSettings(max_residues=200)
    ).set_index("id")
    assert table.loc["1HVR", "status"] == "done"  # 198 residues
    assert table.loc["4e43", "status"] == "failed"  # a failed row keeps the file stem
    assert "204 residues, more than max_residues=200" in table.loc["4e43", "error"]
    from enmspec.spectrum import check_size

    with pytest.raises(TooLargeError, match=r"big: 600000 residues need about .* GiB with the dense solver"):
        check_size("big", 600_000, "dense")


def test_summary_counts_skipped_entries(two_good, tmp_path):
    out = tmp_path / "out"
    run_batch([two_good], out, jobs=1)
    run_batch([two_good], out, jobs=1)
    assert json.loads((out / "summary.json").read_text())["skipped"] == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BatchFolder(out).read_journal()  # an intact journal warns of nothing


_KILL_PARENT = """
import json, os, signal, sys
import psutil
from enmspec.batch import run_batch

inputs, out, pids = sys.argv[1], sys.argv[2], sys.argv[3]


def stop(row):
    children = [(p.pid, " ".join(p.cmdline())[-120:]) for p in psutil.Process().children(recursive=True)]
    with open(pids, "w") as fh:
        json.dump(children, fh)
    os.kill(os.getpid(), signal.SIGKILL)


run_batch([inputs], out, jobs=2, on_row=stop)
"""


def test_workers_exit_soon_after_kill_9_of_the_batch(two_good, tmp_path):
    psutil = pytest.importorskip("psutil")
    import subprocess
    import sys
    import time

    for i in range(4):
        shutil.copy(example_structures()["3HSY"], two_good / f"copy{i}.pdb.gz")
    pids = tmp_path / "pids.json"
    # no pipes: orphaned workers would hold them open and make the wait itself hang
    with open(tmp_path / "stderr.txt", "wb") as err:
        proc = subprocess.run(
            [sys.executable, "-c", _KILL_PARENT, str(two_good), str(tmp_path / "out"), str(pids)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            timeout=300,
        )
    assert proc.returncode == -9, (tmp_path / "stderr.txt").read_text()[-500:]
    children = [pid for pid, _ in json.loads(pids.read_text())]  # workers and their trackers
    assert children, "the batch ran no worker processes"
    deadline = time.monotonic() + 20
    alive = children
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [
            pid for pid in children if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
        ]
    names = [" ".join(psutil.Process(pid).cmdline())[-60:] for pid in alive]
    assert not alive, f"{len(alive)} of {len(children)} worker processes outlived the batch by 20 s: {names}"
