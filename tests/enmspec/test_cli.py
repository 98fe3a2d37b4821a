"""The enmspec command line: output, exit codes, one-line errors for every bad input."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys

import numpy as np
import pytest

from enmspec.cli import main

JSON_KEYS = {"id", "n_residues", "n_modes", "k", "beta", "sigma", "s", "d_ks", "d_c", "is_power_law"}


def test_spectrum_table_row_4hhb(pdb_4hhb, capsys):
    assert main(["spectrum", str(pdb_4hhb), "--top", "1000"]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:4] == ["entry", "N", "n_modes", "K"]
    assert row.split() == [
        "4HHB",
        "574",
        "1716",
        "1000",
        "0.0145",
        "0.0430",
        "power",
        "law",
        "2.008",
        "±",
        "0.032",
        "0.992",
    ]


def test_spectrum_json_plot_and_save(pdb_1pwc, tmp_path, capsys):
    png = tmp_path / "rank.png"
    npz = tmp_path / "1pwc.spectrum.npz"
    assert main(["spectrum", str(pdb_1pwc), "--json", "--plot", str(png), "--save", str(npz)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert JSON_KEYS <= set(record)
    assert record["id"] == "1PWC" and record["n_residues"] == 345
    assert record["k"] == (3 * 345 - 6) // 10  # the paper's top tenth by default
    from compare import fit_power_law, load_spectrum

    fit = fit_power_law(load_spectrum(npz).values)
    assert record["beta"] == fit.beta and record["d_ks"] == fit.d_ks
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    height, width = matplotlib.image.imread(png).shape[:2]
    assert width > 400 and height > 300


def write_bad_inputs(folder, pdb_1pwc):
    lines = [ln for ln in pdb_1pwc.read_text().splitlines(keepends=True) if ln.startswith("ATOM")]
    files = {}
    files["empty"] = folder / "empty.pdb"
    files["empty"].touch()
    files["text"] = folder / "text.pdb"
    files["text"].write_text("just some words\n")
    gz = gzip.compress(pdb_1pwc.read_bytes())
    files["truncated"] = folder / "cut.pdb.gz"
    files["truncated"].write_bytes(gz[: len(gz) // 3])
    files["water"] = folder / "water.pdb"
    files["water"].write_text(
        "HETATM    1  O   HOH A   1      10.000  10.000  10.000  1.00 20.00           O\n"
    )
    few = [ln for ln in lines if int(ln[22:26]) <= 5]
    files["few"] = folder / "few.pdb"
    files["few"].write_text("".join(few))
    nan = list(lines[:50])
    nan[1] = nan[1][:30] + "     nan" + nan[1][38:]
    files["nan"] = folder / "nan.pdb"
    files["nan"].write_text("".join(nan))
    files["duplicate"] = folder / "dup.pdb"
    files["duplicate"].write_text("".join(lines[:60] + lines[:8]))
    # Two copies of 1PWC 100 A apart: a disconnected network (12 zero modes).
    moved = [ln[:21] + "B" + ln[22:30] + f"{float(ln[30:38]) + 100.0:8.3f}" + ln[38:] for ln in lines]
    files["disconnected"] = folder / "twin.pdb"
    files["disconnected"].write_text("".join(lines + moved))
    return files


BAD_CAUSES = {
    "empty": "the file is empty",
    "text": "no atoms found",
    "truncated": "corrupt or truncated gzip",
    "water": "no protein C-alpha atoms",
    "few": "residue(s); an elastic network needs at least 4",
    "nan": "NaN",
    "duplicate": "appears twice",
    "disconnected": "12 zero modes",
}


@pytest.mark.parametrize("case", sorted(BAD_CAUSES))
def test_bad_input_one_line_exit_2(case, tmp_path, pdb_1pwc, capsys):
    path = write_bad_inputs(tmp_path, pdb_1pwc)[case]
    assert main(["spectrum", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("enmspec: error: ")
    assert BAD_CAUSES[case] in lines[0]
    assert str(path) in lines[0]


def test_missing_file_exit_2(tmp_path, capsys):
    assert main(["spectrum", str(tmp_path / "nope.pdb")]) == 2
    assert "nope.pdb: no such file" in capsys.readouterr().err


def test_bad_usage_exit_2(pdb_1pwc, capsys):
    with pytest.raises(SystemExit) as info:
        main(["spectrum", str(pdb_1pwc), "--top", "10", "--fraction", "0.1"])
    assert info.value.code == 2
    assert main(["spectrum", str(pdb_1pwc), "--alpha", "0.3"]) == 2
    assert "alpha must be one of" in capsys.readouterr().err
    assert main(["spectrum", str(pdb_1pwc), "--solver", "dense", "--device", "cpu"]) == 2
    assert "needs solver 'torch'" in capsys.readouterr().err


def test_device_option(pdb_1pwc, capsys):
    torch = pytest.importorskip("torch")
    assert main(["spectrum", str(pdb_1pwc), "--device", "cpu", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["solver"] == "torch"
    if not torch.cuda.is_available():
        assert main(["spectrum", str(pdb_1pwc), "--device", "cuda"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "sees no CUDA device" in err[0]


def test_disconnected_opt_in(tmp_path, pdb_1pwc, capsys):
    path = write_bad_inputs(tmp_path, pdb_1pwc)["disconnected"]
    assert main(["spectrum", str(path), "--keep-disconnected", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["n_zero"] == 12 and record["n_modes"] == 3 * 690 - 12


def test_no_traceback_from_console_script(tmp_path):
    """The installed entry point, run as a program: one line on stderr, exit 2."""
    path = tmp_path / "empty.cif"
    path.touch()
    proc = subprocess.run(
        [sys.executable, "-m", "enmspec.cli", "spectrum", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr


def test_batch_records_failures_and_goes_on(tmp_path, pdb_1pwc, pdb_3hsy, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    bad = write_bad_inputs(inputs, pdb_1pwc)
    (inputs / "1pwc.pdb").write_bytes(pdb_1pwc.read_bytes())
    (inputs / "3hsy.pdb").write_bytes(pdb_3hsy.read_bytes())
    out = tmp_path / "out"
    # some entries failed: a runtime failure of the batch, exit 1, every row written
    assert main(["batch", str(inputs), "--out", str(out), "--jobs", "2", "--quiet", "--csv"]) == 1
    with open(out / "results.csv") as fh:
        rows = {r["path"].rsplit("/", 1)[-1]: r for r in csv.DictReader(fh)}
    assert len(rows) == len(bad) + 2
    assert rows["1pwc.pdb"]["status"] == "done" and rows["3hsy.pdb"]["status"] == "done"
    assert rows["twin.pdb"]["status"] == "excluded" and rows["twin.pdb"]["n_zero"] == "12"
    for case, cause in BAD_CAUSES.items():
        if case != "disconnected":
            row = rows[bad[case].name]
            assert row["status"] == "failed" and cause in row["error"]
    from compare import fit_power_law, load_spectrum

    spectrum = load_spectrum(out / "spectra" / rows["3hsy.pdb"]["spectrum"])
    fit = fit_power_law(spectrum.values)
    assert float(rows["3hsy.pdb"]["beta"]) == pytest.approx(fit.beta, rel=1e-12)
    assert int(rows["3hsy.pdb"]["k"]) == (3 * 730 - 6) // 10
    kept = sorted(p.name for p in (out / "spectra").iterdir())
    assert kept == sorted([rows["1pwc.pdb"]["spectrum"], rows["3hsy.pdb"]["spectrum"]])
    assert all(r["spectrum"] == "" for r in rows.values() if r["status"] != "done")
    captured = capsys.readouterr()
    output = captured.out
    assert "2 done" in output and "1 excluded" in output and f"{len(bad) - 1} failed" in output
    assert f"{len(bad) - 1} of {len(bad) + 2} entries failed" in captured.err


def test_batch_parallel_equals_serial(tmp_path, pdb_1pwc, pdb_3hsy):
    from enmspec.batch import run_batch

    a = run_batch([pdb_1pwc, pdb_3hsy], tmp_path / "a", jobs=1)
    b = run_batch([pdb_1pwc, pdb_3hsy], tmp_path / "b", jobs=2)
    # workers run one BLAS thread: round-off may differ, nothing else
    exact = ["id", "k", "is_power_law", "status"]
    assert a[exact].equals(b[exact])
    for key in ("beta", "sigma", "s", "d_ks", "x_min"):
        np.testing.assert_allclose(a[key].astype(float), b[key].astype(float), rtol=1e-9)


def test_output_paths_are_checked_before_computing(pdb_1pwc, tmp_path, capsys):
    target = tmp_path / "nodir" / "x.png"
    assert main(["spectrum", str(pdb_1pwc), "--plot", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"enmspec: error: --plot {target}: no such folder {target.parent}"
    assert main(["spectrum", str(pdb_1pwc), "--save", str(tmp_path)]) == 2
    assert "is a folder, not a file" in capsys.readouterr().err
