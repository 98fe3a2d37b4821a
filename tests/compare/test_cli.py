"""compare fit: spectrum files and plain columns; one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from compare import Spectrum, fit_power_law
from compare.cli import main


def test_fit_spectrum_file_json(tmp_path, capsys):
    values = 1.0 / np.arange(1.0, 501.0) ** 1.1
    path = Spectrum("toy", "network", values).save(tmp_path / "toy.spectrum.npz")
    assert main(["fit", str(path), "--top", "200", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    ref = fit_power_law(values, k=200)
    assert record["k"] == 200 and record["beta"] == ref.beta and record["d_ks"] == ref.d_ks
    assert record["name"] == "toy" and record["n"] == 500


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".npy"])
def test_fit_plain_columns_any_order(tmp_path, capsys, suffix):
    values = np.random.default_rng(0).pareto(1.0, 300) + 1.0
    path = tmp_path / f"eig{suffix}"
    if suffix == ".npy":
        np.save(path, values)
    elif suffix == ".csv":
        path.write_text("eigenvalue,index\n" + "".join(f"{float(v)!r},{i}\n" for i, v in enumerate(values)))
    else:
        path.write_text("".join(f"{float(v)!r}\n" for v in values))
    assert main(["fit", str(path), "--fraction", "0.5", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    ref = fit_power_law(np.sort(values)[::-1], fraction=0.5)
    assert record["beta"] == pytest.approx(ref.beta, rel=1e-15)


@pytest.mark.parametrize(
    "content,cause",
    [
        ("", "the file is empty"),
        ("1.0\nabc\n", "line 2: expected a number"),
        ("2.0\n-1.0\n", "> 0"),
        ("nan\n1\n", "NaN"),
    ],
)
def test_bad_files_one_line(tmp_path, capsys, content, cause):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    assert main(["fit", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bad.txt" in err and cause in err


def test_spectrum_shorter_than_k(tmp_path, capsys):
    path = tmp_path / "short.txt"
    path.write_text("3\n2\n1\n")
    assert main(["fit", str(path), "--top", "10"]) == 2
    err = capsys.readouterr().err
    assert "short.txt" in err and "fewer than K = 10" in err


def test_table_output(tmp_path, capsys):
    path = tmp_path / "v.txt"
    path.write_text("\n".join(str(1 / k) for k in range(1, 101)))
    assert main(["fit", str(path)]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert row.split()[:3] == ["v", "100", "100"]


def test_one_k_rule_for_a_stored_top_of_a_spectrum(tmp_path, capsys):
    """A fraction is of the modes recorded in the meta, in compare fit and in the report alike."""
    import numpy as np

    from compare import KRule, Spectrum

    values = np.sort(np.random.default_rng(0).pareto(1.0, 171) + 1.0)[::-1]
    spectrum = Spectrum("top", "protein", values, {"n_modes": 1000})
    path = spectrum.save(tmp_path / "top.spectrum.npz")
    assert main(["fit", str(path), "--fraction", "0.1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["k"] == 100 == KRule(fraction=0.1).resolve(spectrum)[0]
    assert main(["fit", str(path), "--fraction", "0.5"]) == 2  # 500 asked, 171 stored
    assert "holds 171 values, fewer than K = 500 (0.5 of 1000 modes)" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:  # never both: a usage error
        main(["fit", str(path), "--top", "5", "--fraction", "0.1"])
    assert info.value.code == 2
