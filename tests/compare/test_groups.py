"""compare report --group-by and predicted models beside experimental entries."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from compare.cli import main as compare_main
from compare.report import write_report
from compare.report.groups import group_labels, group_summary, predicted_beside_experimental
from compare.report.writer import ReportSettings
from enmspec import example_structures
from enmspec.batch import run_batch
from enmspec.spectrum import AnalysisSettings

AFDB_FILE = Path(__file__).resolve().parents[1] / "data" / "afdb_format_P15555_from_1pwc.cif"


def _fits(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    rng = np.random.default_rng(0)
    base = {
        "name": [f"E{i}" for i in range(n)],
        "kind": ["protein"] * n,
        "beta": rng.uniform(1.8, 2.4, n),
        "is_power_law": rng.uniform(size=n) < 0.7,
        "is_power_law_fitted": rng.uniform(size=n) < 0.5,
        "d_ks_over_d_c": rng.uniform(0.2, 1.2, n),
    }
    base["s"] = 1 / (base["beta"] - 1)
    return pd.DataFrame({**base, **columns})


def test_resolution_bins_at_their_edges():
    fits = _fits(resolution=[1.49, 1.5, 1.99, 2.0, 2.5, 3.0, 4.2, None])
    labels = list(group_labels(fits, "resolution-bin"))
    assert labels == ["< 1.5 Å", "1.5-2 Å", "1.5-2 Å", "2-2.5 Å", "2.5-3 Å", ">= 3 Å", ">= 3 Å", "none"]


def test_plddt_bins_year_and_size():
    fits = _fits(
        plddt_mean=[49.9, 50.0, 70.0, 90.0, None],
        release_date=["1984-07-17", "2021-07-01", "", None, "2004-07-13"],
        n_residues=[99, 100, 345, 2001, 2000],
    )
    assert list(group_labels(fits, "plddt-bin")) == ["< 50", "50-70", "70-90", ">= 90", "none"]
    assert list(group_labels(fits, "release-year")) == ["1984", "2021", "none", "none", "2004"]
    assert list(group_labels(fits, "size-bin")) == ["< 300", "300-1000", "1000-3000", "> 6000", "3000-6000"]


@pytest.mark.parametrize("seed", [0, 1])
def test_group_summary_against_a_direct_recomputation(seed):
    rng = np.random.default_rng(seed)
    organisms = rng.choice(["Homo sapiens", "Rattus norvegicus", ""], size=30)
    fits = _fits(organism=list(organisms))
    table = group_summary(fits, "organism").set_index("group")
    for label, want in (
        ("Homo sapiens", "Homo sapiens"),
        ("Rattus norvegicus", "Rattus norvegicus"),
        ("none", ""),
    ):
        part = fits[organisms == want]
        if not len(part):
            continue
        row = table.loc[label]
        assert row["n"] == len(part)
        assert row["pass_rate"] == pytest.approx(np.mean(part["is_power_law"]))
        assert row["pass_rate_fitted"] == pytest.approx(np.mean(part["is_power_law_fitted"]))
        assert row["s_mean"] == pytest.approx(np.mean(part["s"]), rel=1e-12)
        assert (
            row["beta_sd"] == pytest.approx(np.std(part["beta"], ddof=1), rel=1e-12)
            if len(part) > 1
            else True
        )
    assert table["n"].sum() == 30


def test_unknown_column():
    with pytest.raises(ValueError, match="--group-by nope: no such column"):
        group_labels(_fits(organism=["x"]), "nope")


def test_pairs_by_accession():
    fits = _fits(
        name=["4HHB", "AF-P69905-F1", "AF-P68871-F1", "AF-Q00000-F1", "1PWC"],
        structure_type=["experimental", "predicted", "predicted", "predicted", "experimental"],
        uniprot=["P69905;P68871", "P69905", "P68871", "Q00000", "P15555"],
        n_residues=[574, 142, 147, 100, 345],
    )
    table = predicted_beside_experimental(fits)
    assert list(zip(table["uniprot"], table["predicted"], table["experimental"], strict=True)) == [
        ("P68871", "AF-P68871-F1", "4HHB"),
        ("P69905", "AF-P69905-F1", "4HHB"),
    ]
    s = dict(zip(fits["name"], fits["s"], strict=True))
    assert table["s_diff"].iloc[0] == pytest.approx(s["AF-P68871-F1"] - s["4HHB"])


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("batch")
    examples = example_structures()
    inputs = [examples["1PWC"], examples["1HVR"], examples["4E43"], AFDB_FILE]
    run_batch(inputs, out / "plain", jobs=1)
    run_batch([AFDB_FILE], out / "confident", settings=AnalysisSettings(min_plddt=70.0), jobs=1)
    return out


def test_report_with_groups_and_pairs(batch, tmp_path):
    settings = ReportSettings(group_by=("resolution-bin", "structure_type", "organism"), figures=False)
    html = write_report([batch / "plain", batch / "confident"], tmp_path / "report", settings=settings)
    tables = tmp_path / "report" / "tables"
    fits = pd.read_csv(tables / "fits.csv")
    by_type = pd.read_csv(tables / "group_by_structure_type.csv").set_index("group")
    assert by_type.loc["experimental", "n"] == 3 and by_type.loc["predicted", "n"] == 2
    predicted = fits[fits["structure_type"] == "predicted"]
    assert by_type.loc["predicted", "s_mean"] == pytest.approx(predicted["s"].mean(), rel=1e-12)
    by_resolution = pd.read_csv(tables / "group_by_resolution_bin.csv").set_index("group")
    # 1PWC 1.10 A; 1HVR 1.80 and 4E43 1.54 A; the models have no resolution
    assert dict(by_resolution["n"]) == {"1.5-2 Å": 2, "< 1.5 Å": 1, "none": 2}
    pairs = pd.read_csv(tables / "predicted_vs_experimental.csv")
    assert set(pairs["experimental"]) == {"1PWC"} and set(pairs["uniprot"]) == {"P15555"}
    # the written model carries 1PWC's own C-alpha trace: unfiltered, its s is the crystal's
    unfiltered = pairs[pairs["n_residues_predicted"] == 345]
    assert math.isclose(unfiltered["s_diff"].iloc[0], 0.0, abs_tol=1e-12)
    assert set(pairs["n_residues_predicted"]) == {345, 331}
    text = html.read_text()
    assert "Grouped by entry metadata" in text and "Predicted models beside experimental structures" in text


def test_cli_group_by_unknown_column_is_a_usage_error(batch, tmp_path, capsys):
    code = compare_main(
        ["report", str(batch / "plain"), "--out", str(tmp_path / "r"), "--no-figures", "--group-by", "x"]
    )
    assert code == 2
    assert "--group-by x: no such column" in capsys.readouterr().err


def test_cli_group_by(batch, tmp_path):
    out = tmp_path / "r"
    argv = ["report", str(batch / "plain"), "--out", str(out), "--no-figures", "--group-by", "release-year"]
    assert compare_main(argv) == 0
    years = pd.read_csv(out / "tables" / "group_by_release_year.csv")
    assert sorted(years["group"].astype(str)) == ["1995", "2004", "2012", "2021"]
