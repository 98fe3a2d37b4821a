"""The report's model and cutoff-study sections, recomputed from the spectra they summarise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from compare import Spectrum, fit_power_law
from compare.report import write_report
from compare.report.models import cutoff_curve_table, model_table


def power_law_values(beta: float, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort((1 - rng.random(n)) ** (-1 / (beta - 1)))[::-1]


def spectra() -> list[Spectrum]:
    """Two entries studied at three cutoffs (ANM), one GNM spectrum, one older spectrum without a model."""
    out = []
    for entry, seed in (("AAAA", 1), ("BBBB", 2)):
        for i, cutoff in enumerate((8.0, 9.0, 10.0)):
            meta = {"n_modes": 4000, "enm_model": "anm", "springs": "uniform", "cutoff": cutoff}
            values = power_law_values(1.8 + 0.2 * i, 4000, seed + 10 * i)
            out.append(Spectrum(name=entry, kind="protein", values=values, meta=meta))
    gnm = {"n_modes": 4000, "enm_model": "gnm", "springs": "pf", "cutoff": None}
    out.append(Spectrum(name="CCCC", kind="protein", values=power_law_values(2.1, 4000, 5), meta=gnm))
    old = {"n_modes": 4000, "cutoff": 9.0}
    out.append(Spectrum(name="DDDD", kind="protein", values=power_law_values(2.0, 4000, 6), meta=old))
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    html = write_report(spectra(), out)
    return out, html


def test_model_table_recomputed(report):
    out, _ = report
    table = pd.read_csv(out / "tables" / "models.csv", keep_default_na=False)
    rows = {(r.model, r.springs, str(r.cutoff_label)): r for r in table.itertuples()}
    assert set(rows) == {
        ("anm", "uniform", "8"),
        ("anm", "uniform", "9"),
        ("anm", "uniform", "10"),
        ("gnm", "pf", "none"),
    }
    at9 = rows[("anm", "uniform", "9")]
    assert at9.n == 3  # AAAA, BBBB and the older spectrum read as ANM
    s = [fit_power_law(sp.values, fraction=0.1).s for sp in spectra() if sp.meta.get("cutoff") == 9.0]
    assert at9.s_mean == pytest.approx(np.mean(s), rel=1e-12)
    assert float(at9.s_sd) == pytest.approx(np.std(s, ddof=1), rel=1e-12)


def test_cutoff_curve_recomputed(report):
    out, html = report
    curve = pd.read_csv(out / "tables" / "cutoff_curve.csv")
    assert list(curve["cutoff"]) == [8.0, 9.0, 10.0] and set(curve["model"]) == {"anm"}
    for row in curve.itertuples():
        fits = [
            fit_power_law(sp.values, fraction=0.1) for sp in spectra()[:6] if sp.meta["cutoff"] == row.cutoff
        ]
        fits += [fit_power_law(spectra()[-1].values, fraction=0.1)] if row.cutoff == 9.0 else []
        assert row.n == len(fits)
        assert row.beta_mean == pytest.approx(np.mean([f.beta for f in fits]), rel=1e-12)
        assert row.pass_rate == pytest.approx(np.mean([f.is_power_law for f in fits]))
    assert (out / "figures" / "cutoff_curves.png").stat().st_size > 10_000
    text = html.read_text()
    assert "<h2>Elastic network models</h2>" in text and "<h2>Cutoff study</h2>" in text


def test_no_curve_without_a_study():
    from compare.report.tables import fit_many

    fits = fit_many(spectra()[-2:])
    assert cutoff_curve_table(fits).empty
    assert len(model_table(fits)) == 2


def mixed_networks() -> list[Spectrum]:
    """The same three entries in the paper's network and in a GNM, one ANM at 8 A, one unrecorded."""
    out = []
    for entry, n_res, seed in (("AAAA", 200, 1), ("BBBB", 400, 2), ("CCCC", 800, 3)):
        for model, cutoff, beta in (("anm", 9.0, 2.0), ("gnm", 7.3, 2.2)):
            n_modes = 3 * n_res - 6 if model == "anm" else n_res - 1
            meta = {"n_modes": n_modes, "n_residues": n_res, "enm_model": model, "springs": "uniform"}
            values = power_law_values(beta, n_modes, seed + (model == "gnm"))
            out.append(Spectrum(name=entry, kind="protein", values=values, meta={**meta, "cutoff": cutoff}))
    anm8 = {"n_modes": 1194, "n_residues": 400, "enm_model": "anm", "springs": "uniform", "cutoff": 8.0}
    out.append(Spectrum(name="DDDD", kind="protein", values=power_law_values(1.9, 1194, 7), meta=anm8))
    bare = {"n_modes": 894, "n_residues": 300}
    out.append(Spectrum(name="EEEE", kind="protein", values=power_law_values(2.0, 894, 8), meta=bare))
    return out


def test_paper_tables_take_only_the_papers_network(tmp_path):
    """Table 13 and s-versus-size hold the ANM 9 A rows (and the unrecorded one), not the GNM or 8 A."""
    import html as html_module

    html = html_module.unescape(write_report(mixed_networks(), tmp_path).read_text())
    proteins = pd.read_csv(tmp_path / "tables" / "proteins.csv")
    assert dict(
        zip(proteins["name"] + "/" + proteins["network"], proteins["paper_network"], strict=True)
    ) == {
        "AAAA/ANM 9 Å": True,
        "AAAA/GNM 7.3 Å": False,
        "BBBB/ANM 9 Å": True,
        "BBBB/GNM 7.3 Å": False,
        "CCCC/ANM 9 Å": True,
        "CCCC/GNM 7.3 Å": False,
        "DDDD/ANM 8 Å": False,
        "EEEE/not recorded": True,
    }
    bins = pd.read_csv(tmp_path / "tables" / "protein_size_bins.csv").set_index("bin")
    paper = [sp for sp in mixed_networks() if sp.meta.get("cutoff", 9.0) == 9.0]
    assert bins.loc["all", "n"] == len(paper) == 4
    s = [fit_power_law(sp.values, fraction=0.1).s for sp in paper]
    assert bins.loc["all", "s_mean"] == pytest.approx(np.mean(s), rel=1e-12)
    assert "Table 13 and the figure take only the 4 spectra of the paper's network" in html
    gnm = [
        fit_power_law(sp.values, fraction=0.1).s
        for sp in mixed_networks()
        if sp.meta.get("enm_model") == "gnm"
    ]
    assert f"GNM 7.3 Å {np.mean(gnm):.3f} (3)" in html  # the summary's line per network
    kinds = pd.read_csv(tmp_path / "tables" / "proteins_vs_networks.csv").set_index("statistic")
    assert list(kinds.columns) == ["protein: ANM 8 Å", "protein: ANM 9 Å", "protein: GNM 7.3 Å"]
    assert kinds.loc["spectra"].tolist() == [1, 4, 3]
    assert kinds.loc["s mean", "protein: GNM 7.3 Å"] == pytest.approx(np.mean(gnm), rel=1e-12)
    assert "proteins, GNM 7.3 Å" in html  # its header


def test_overlays_name_the_network_and_a_gnm_report_has_no_table_13(tmp_path):
    from compare.report.plots import report_figures
    from compare.report.tables import fit_many

    spectra = mixed_networks()
    figures = {name: fig for name, fig, _ in report_figures(spectra, fit_many(spectra), overlay=8)}
    legend = [t.get_text() for t in figures["rank_size"].axes[0].get_legend().get_texts()]
    assert any(t.startswith("AAAA, GNM 7.3 Å") for t in legend)
    assert any(t.startswith("AAAA, ANM 9 Å") for t in legend)
    hist = [t.get_text() for t in figures["s_histogram"].axes[0].get_legend().get_texts()]
    assert "proteins, GNM 7.3 Å (n = 3)" in hist and "proteins, ANM 9 Å (n = 4)" in hist
    only_gnm = [sp for sp in spectra if sp.meta.get("enm_model") == "gnm"]
    write_report(only_gnm, tmp_path)
    assert not (tmp_path / "tables" / "protein_size_bins.csv").exists()
    assert not (tmp_path / "figures" / "s_versus_size.png").exists()
    assert (tmp_path / "tables" / "proteins.csv").exists()


def test_groups_and_pairs_keep_the_networks_apart():
    """With ANM and GNM spectra, a group-by table summarises each network apart, and a predicted
    model is set beside the experimental entry of its own network only."""
    from compare.report.groups import group_summary, predicted_beside_experimental
    from compare.report.tables import fit_many

    spectra = []
    for model, cutoff, n_modes in (("anm", 9.0, 894), ("gnm", 7.3, 299)):
        for name, kind, seed in (("1ABC", "experimental", 1), ("AF-P12345-F1", "predicted", 2)):
            meta = {
                "n_modes": n_modes,
                "n_residues": 300,
                "enm_model": model,
                "springs": "uniform",
                "cutoff": cutoff,
                "structure_type": kind,
                "uniprot": "P12345",
            }
            values = power_law_values(2.0 + (model == "gnm") * 0.2, n_modes, seed)
            spectra.append(Spectrum(name=name, kind="protein", values=values, meta=meta))
    fits = fit_many(spectra)
    table = group_summary(fits, "structure_type")
    assert sorted(zip(table["network"], table["group"], table["n"], strict=True)) == [
        ("ANM 9 Å", "experimental", 1),
        ("ANM 9 Å", "predicted", 1),
        ("GNM 7.3 Å", "experimental", 1),
        ("GNM 7.3 Å", "predicted", 1),
    ]
    gnm = table[(table["network"] == "GNM 7.3 Å") & (table["group"] == "predicted")].iloc[0]
    assert gnm["s_mean"] == pytest.approx(fit_power_law(spectra[3].values, fraction=0.1).s, rel=1e-12)
    pairs = predicted_beside_experimental(fits)
    assert list(pairs["network"]) == ["ANM 9 Å", "GNM 7.3 Å"]
    expected = (
        fit_power_law(spectra[3].values, fraction=0.1).s - fit_power_law(spectra[2].values, fraction=0.1).s
    )
    assert pairs.iloc[1]["s_diff"] == pytest.approx(expected, rel=1e-12)
    one_network = fit_many(spectra[:2])
    assert set(group_summary(one_network, "structure_type")["network"]) == {""}
    assert list(predicted_beside_experimental(one_network)["network"]) == [""]


def test_a_cutoff_study_splits_by_model_only(tmp_path):
    """Seven networks (two cutoff studies) are split by model, each named with its cutoff range."""
    from compare.report.models import network_columns
    from compare.report.tables import fit_many

    spectra = []
    for model, cutoffs in (("anm", (7.0, 8.0, 9.0, 10.0, 11.0)), ("gnm", (7.0, 8.0))):
        for i, cutoff in enumerate(cutoffs):
            meta = {
                "n_modes": 900,
                "n_residues": 302,
                "enm_model": model,
                "springs": "uniform",
                "cutoff": cutoff,
            }
            spectra.append(
                Spectrum(name="AAAA", kind="protein", values=power_law_values(2.0, 900, i), meta=meta)
            )
    network = network_columns(fit_many(spectra))
    assert network["network"].nunique() == 7
    assert network["network_group"].tolist() == ["ANM 7-11 Å"] * 5 + ["GNM 7-8 Å"] * 2
    assert network["paper_network"].tolist() == [False, False, True, False, False, False, False]
    write_report(spectra, tmp_path)
    kinds = pd.read_csv(tmp_path / "tables" / "proteins_vs_networks.csv")
    assert list(kinds.columns) == ["statistic", "protein: ANM 7-11 Å", "protein: GNM 7-8 Å"]
    bins = pd.read_csv(tmp_path / "tables" / "protein_size_bins.csv").set_index("bin")
    assert bins.loc["all", "n"] == 1  # the 9 A spectrum


def test_settings_row_names_the_batch_network():
    from compare.report.writer import _batch_network

    assert _batch_network({"cutoff": 9.0, "gamma": 1.0}) == "ANM, cutoff 9 Å"  # older batches: ANM
    assert _batch_network({"model": "gnm", "cutoff": [7.0, 7.5, 15.0]}) == "GNM, cutoffs 7-15 Å (3)"
    assert _batch_network({"model": "anm", "springs": "pf", "cutoff": None}) == "ANM pf, every pair"
