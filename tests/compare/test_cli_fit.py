"""compare fit --scan / --discrete / --ks / --bootstrap: the numbers are those of the library."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from compare import fit_power_law, goodness_of_fit, scan_xmin
from compare.cli import main

CSN = Path(__file__).resolve().parents[1] / "data" / "csn"


def test_scan_and_bootstrap_json(capsys):
    path = CSN / "blackouts.txt"
    assert main(["fit", str(path), "--scan", "--bootstrap", "50", "--seed", "3", "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    values = np.sort(np.loadtxt(path))[::-1]
    scan = scan_xmin(values)
    assert out["k"] == scan.fit.k == 59 and out["xmin_method"] == "scanned" and out["ks"] == "left"
    assert out["beta"] == scan.fit.beta
    expected = goodness_of_fit(scan.fit, values=values, n_sim=50, seed=3)
    assert out["p_value"] == expected.p_value and out["null"] == "scanned" and out["n_sim"] == 50
    assert "--discrete" in captured.err  # blackouts are integers fitted as continuous: a note


def test_discrete_two_sided_table(capsys):
    path = CSN / "terrorism.txt"
    assert main(["fit", str(path), "--scan", "--discrete", "--ks", "two-sided"]) == 0
    captured = capsys.readouterr()
    values = np.sort(np.loadtxt(path))[::-1]
    fit = scan_xmin(values, discrete=True, ks="two-sided").fit
    lines = captured.out.splitlines()
    assert lines[1].split()[2] == str(fit.k) and f"{fit.beta:.3f}" in lines[1]
    assert "discrete law, x_min scanned (k_min 10), KS two-sided" in lines[2]
    assert "note" not in captured.err


def test_fixed_k_bootstrap_names_its_null(tmp_path, capsys):
    values = np.sort(2.0 * (1 - np.random.default_rng(0).random(300)) ** (-1 / 1.2))[::-1]
    path = tmp_path / "x.txt"
    np.savetxt(path, values)
    assert main(["fit", str(path), "--top", "150", "--bootstrap", "200", "--quiet"]) == 0
    out = capsys.readouterr().out
    fit = fit_power_law(values, k=150)
    assert f"{goodness_of_fit(fit, n_sim=200).p_value:.3f}" in out.splitlines()[1]
    assert "fixed-K null" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["--scan", "--top", "10"],  # a scan chooses K itself
        ["--ks", "right"],
        ["--discrete"],  # not integers
        ["--scan", "--grid", "2"],
        ["--bootstrap", "5"],
        ["--grid", "100"],  # without --scan
        ["--scan", "--k-min", "1"],
    ],
)
def test_bad_options_exit_2(tmp_path, argv):
    path = tmp_path / "x.txt"
    np.savetxt(path, np.linspace(40.5, 1.5, 60))
    with pytest.raises(SystemExit) as err:
        raise SystemExit(main(["fit", str(path), *argv]))
    assert err.value.code == 2
