"""compare report: every table value is fit_power_law's; files written, readable and self-contained."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from compare import Spectrum, fit_power_law, fitted_critical_value, ks_p_value
from compare.cli import main
from compare.report.plots import DPI, FIGSIZE, RANK_FIGSIZE
from compare.report.render import format_number
from compare.report.tables import KRule, fit_many, read_paper_reference
from compare.report.writer import FIGURE_NAMES, TABLE_NAMES, ReportSettings, collect_inputs, write_report
from enmspec import example_structures

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = 200


def pareto(rng, n: int, beta: float = 2.0) -> np.ndarray:
    return np.sort((1.0 - rng.random(n)) ** (-1.0 / (beta - 1.0)))[::-1]


def synthetic_spectra(seed: int = 0) -> list[Spectrum]:
    rng = np.random.default_rng(seed)
    lenet = {"dataset": "MNIST", "model": "LeNet"}
    return [
        Spectrum("net-pl", "network", pareto(rng, 3000), {**lenet, "training": "SGD", "trace": 812.5}),
        Spectrum(
            "net-lognormal",
            "network",
            np.sort(rng.lognormal(0, 1, 1500))[::-1],
            {**lenet, "optimizer": "Random"},
        ),
        Spectrum("net-short", "network", pareto(rng, 400, 2.2), {"model": "FCN", "trace": 40.0}),
        Spectrum("prot-pl", "protein", pareto(rng, 900), {"n_residues": 302, "n_modes": 900}),
        Spectrum("prot-exp", "protein", np.sort(rng.exponential(1.0, 600) + 1.0)[::-1], {"n_residues": 202}),
    ]


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory) -> Path:
    """A real enmspec batch folder: two shipped structures and one broken file (a failed row)."""
    from enmspec.batch import run_batch

    root = tmp_path_factory.mktemp("batch")
    broken = root / "broken.pdb"
    broken.write_text("HEADER    NOT A STRUCTURE\n")
    out = root / "out"
    shipped = example_structures()
    run_batch([shipped["1HVR"], shipped["4E43"], broken], out, jobs=1, progress=False)
    return out


@pytest.fixture(scope="module")
def spectra_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("spectra")
    for s in synthetic_spectra():
        s.save(folder / ("nested" if s.kind == "protein" else ".") / f"{s.name}.spectrum.npz")
    return folder


@pytest.fixture(scope="module")
def report(tmp_path_factory, batch_dir, spectra_dir) -> Path:
    out = tmp_path_factory.mktemp("report")
    settings = ReportSettings(bootstrap=BOOTSTRAP, seed=3, lr=True)
    write_report([batch_dir, spectra_dir], out, settings=settings)
    return out


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path)  # pandas >= 2 parses floats to the nearest double: exact round trip


def _expected_k(s: Spectrum) -> int:
    if s.kind == "protein":
        return int(0.1 * s.meta.get("n_modes", len(s)))
    return min(1000, len(s))


def test_fit_many_equals_fit_power_law():
    spectra = synthetic_spectra(1)
    fits = fit_many(spectra, bootstrap=BOOTSTRAP, seed=5, alpha=0.1)
    assert list(fits["name"]) == [s.name for s in spectra]
    for s, row in zip(spectra, fits.to_dict("records"), strict=True):
        assert row["k"] == _expected_k(s)
        ref = fit_power_law(s.values, k=row["k"], alpha=0.1)
        for q in ("x_min", "beta", "sigma", "s", "d_ks", "d_c", "is_power_law"):
            assert row[q] == getattr(ref, q), (s.name, q)
        assert row["d_c_fitted"] == fitted_critical_value(row["k"], 0.1, seed=5)
        assert row["is_power_law_fitted"] == (ref.d_ks < row["d_c_fitted"])
        assert row["p_value"] == ks_p_value(ref, n_sim=BOOTSTRAP, seed=5)
        assert row["x_1"] == s.values[0]
    short = fits.set_index("name").loc["net-short"]
    assert short["k"] == 400 and "all kept" in short["note"]
    assert fits.set_index("name").loc["net-lognormal", "training"] == "Random"  # meta "optimizer"


def test_fit_many_rules_and_errors():
    spectra = synthetic_spectra(2)
    fits = fit_many(spectra, k=300)
    assert set(fits["k"]) == {300}
    with pytest.raises(ValueError, match="net-short.*fewer than K = 500"):
        fit_many(spectra, k=500)
    fits = fit_many(spectra, rules={"protein": KRule(top=50), "network": KRule(fraction=0.5)})
    assert list(fits["k"]) == [1500, 750, 200, 50, 50]
    with pytest.raises(ValueError, match="bootstrap"):
        fit_many(spectra, bootstrap=10)
    with pytest.raises(ValueError, match="alpha"):
        fit_many(spectra, alpha=0.3)


def test_fit_many_jobs_agree():
    spectra = synthetic_spectra(3)[:3]
    pd.testing.assert_frame_equal(fit_many(spectra, jobs=2), fit_many(spectra, jobs=1))


def test_tables_equal_fits_and_round_trip(report, batch_dir, spectra_dir):
    collected = collect_inputs([batch_dir, spectra_dir])
    names = [s.name for s in collected.spectra]
    assert sorted(names) == sorted(["1HVR", "4E43", *(s.name for s in synthetic_spectra())])
    expected = fit_many(list(collected.spectra), bootstrap=BOOTSTRAP, seed=3, sources=collected.sources)
    written = _read(report / "tables" / "fits.csv")
    numeric = [c for c in expected if expected[c].dtype.kind in "fib"]
    pd.testing.assert_frame_equal(written[numeric], expected[numeric], check_dtype=False)
    text = [c for c in expected if c not in numeric]

    def as_text(frame):
        return frame.astype(object).where(frame.notna(), "").astype(str)

    assert as_text(written[text]).equals(as_text(expected[text]))
    by_name = {s.name: s for s in collected.spectra}
    for table in ("networks", "proteins"):
        rows = _read(report / "tables" / f"{table}.csv")
        assert set(rows["kind"]) == {table[:-1]}
        for row in rows.to_dict("records"):
            ref = fit_power_law(by_name[row["name"]].values, k=int(row["k"]))
            assert (row["beta"], row["sigma"], row["s"], row["d_ks"], row["d_c"]) == (
                ref.beta,
                ref.sigma,
                ref.s,
                ref.d_ks,
                ref.d_c,
            )
    # the batch's stored rows agree with the refit (same K: the top tenth)
    stored = pd.read_parquet(batch_dir / "results.parquet").set_index("id")
    proteins = _read(report / "tables" / "proteins.csv").set_index("name")
    for entry in ("1HVR", "4E43"):
        assert proteins.loc[entry, "k"] == stored.loc[entry, "k"]
        assert proteins.loc[entry, "beta"] == pytest.approx(stored.loc[entry, "beta"], rel=1e-12)


def test_size_bins_and_kind_comparison(report):
    fits = _read(report / "tables" / "fits.csv")
    bins = _read(report / "tables" / "protein_size_bins.csv").set_index("bin")
    proteins = fits[fits["kind"] == "protein"]
    assert bins.loc["all", "n"] == len(proteins)
    assert bins.loc["all", "beta_mean"] == pytest.approx(proteins["beta"].mean(), rel=1e-12)
    small = proteins[(3 * proteins["n_residues"] >= 300) & (3 * proteins["n_residues"] < 1000)]
    assert bins.loc["300-1000", "n"] == len(small)
    assert bins.loc["300-1000", "s_mean"] == pytest.approx(small["s"].mean(), rel=1e-12)
    assert bins.loc["all", "s_mean_paper"] == 1.045
    assert bins.loc["all", "s_mean_diff"] == pytest.approx(proteins["s"].mean() - 1.045, rel=1e-12)
    kinds = _read(report / "tables" / "proteins_vs_networks.csv").set_index("statistic")
    networks = fits[fits["kind"] == "network"]
    assert kinds.loc["s median", "network"] == pytest.approx(networks["s"].median(), rel=1e-12)
    assert kinds.loc["pass rate (Massey d_c)", "protein"] == proteins["is_power_law"].mean()


def test_paper_comparison_network_row(report):
    comparison = _read(report / "tables" / "paper_comparison.csv")
    # net-pl has MNIST / LeNet / SGD and no setting: Table 6's SGD row and its Eigengap row
    rows = comparison[comparison["name"] == "net-pl"].set_index("experiment")
    assert set(rows.index) == {"MNIST / LeNet / SGD / -", "MNIST / LeNet / SGD / Eigengap"}
    row = rows.loc["MNIST / LeNet / SGD / -"]
    spectrum = synthetic_spectra()[0]
    ref = fit_power_law(spectrum.values, k=1000)
    assert row["beta"] == ref.beta and row["beta_paper"] == 1.991
    assert row["beta_diff"] == pytest.approx(ref.beta - 1.991, rel=1e-12)
    random = comparison[comparison["name"] == "net-lognormal"]
    assert list(random["d_ks_paper"]) == [0.0796]


def test_paper_comparison_subset_of_a_dataset():
    """ "MNIST (5k subset)" meets the paper's MNIST rows, with a note; CIFAR-10 never meets CIFAR-100."""
    from compare.report.reference import paper_comparison

    reference = read_paper_reference()
    values = synthetic_spectra()[0].values
    subset = Spectrum(
        "sub", "network", values, {"dataset": "MNIST (5k subset)", "model": "LeNet", "training": "SGD"}
    )
    rows = paper_comparison([subset], reference).set_index("experiment")
    assert set(rows.index) == {"MNIST / LeNet / SGD / -", "MNIST / LeNet / SGD / Eigengap"}
    assert rows.loc["MNIST / LeNet / SGD / -", "note"] == "our data: MNIST (5k subset); the paper's: MNIST"
    assert rows.loc["MNIST / LeNet / SGD / -", "s_paper"] == 1.009
    exact = Spectrum("full", "network", values, {"dataset": "MNIST", "model": "LeNet", "training": "SGD"})
    assert (
        paper_comparison([exact], reference).set_index("experiment").loc["MNIST / LeNet / SGD / -", "note"]
        == ""
    )
    other = Spectrum("c10", "network", values, {"dataset": "CIFAR-10", "model": "LeNet", "training": "SGD"})
    assert set(paper_comparison([other], reference)["experiment"]) == {"CIFAR-10 / LeNet / SGD / -"}


def test_figures_decode(report):
    from PIL import Image

    pngs = sorted((report / "figures").glob("*.png"))
    names = {p.stem for p in pngs}
    assert {"rank_size", "eigengaps", "s_histogram", "ratio_histogram", "s_versus_size"} <= names
    assert {"s_versus_top_eigenvalue", "s_versus_trace"} <= names
    for png in pngs:
        with Image.open(png) as im:
            size = RANK_FIGSIZE if png.stem in ("rank_size", "eigengaps") else FIGSIZE
            assert im.size == (round(size[0] * DPI), round(size[1] * DPI)), png.name
            pixels = np.asarray(im.convert("L"))
        assert pixels.std() > 5 and (pixels < 128).mean() > 0.005, f"{png.name} looks blank"
        svg = png.with_suffix(".svg")
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg")


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.images, self.cells, self.refs = 0, [], [], []
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tables += tag == "table"
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        for key in ("src", "href"):
            if key in attrs:
                self.refs.append(attrs[key])
        self._in_cell = tag == "td"

    def handle_data(self, data):
        if self._in_cell:
            self.cells.append(data)

    def handle_endtag(self, tag):
        self._in_cell = False


def test_html_self_contained(report):
    text = (report / "report.html").read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(text)
    summary = json.loads((report / "summary.json").read_text())
    assert set(summary["tables"]) <= set(TABLE_NAMES)
    assert {Path(p).stem for p in summary["figures"]} <= set(FIGURE_NAMES)
    assert parser.tables == len(summary["tables"]) - 1  # every table but the raw fits.csv
    assert len(parser.images) == len(summary["figures"])
    assert all(src.startswith("data:image/png;base64,") for src in parser.images)
    assert all(ref.startswith("data:") for ref in parser.refs)
    assert "http://" not in text and "https://" not in text
    proteins = _read(report / "tables" / "proteins.csv").set_index("name")
    hvr = proteins.loc["1HVR"]
    assert f"{hvr['beta']:.3f} ± {hvr['sigma']:.3f}" in parser.cells
    assert format_number(hvr["d_ks"], 3) in parser.cells
    assert "broken" in " ".join(parser.cells)  # the failed batch row, not analysed
    markdown = (report / "report.md").read_text(encoding="utf-8")
    assert f"| 1HVR | {hvr['network']} | {int(hvr['n_residues'])} |" in markdown
    assert "![" in markdown and "(figures/rank_size.png)" in markdown
    for name in summary["tables"]:
        if name != "fits":
            assert f"`tables/{name}.csv`" in markdown


def test_not_analysed_lists_failed_rows(report):
    failed = _read(report / "tables" / "not_analysed.csv")
    assert list(failed["status"]) == ["failed"]
    assert "broken" in failed["source"][0] and failed["error"][0]


def test_likelihood_table(report):
    from compare.likelihood import likelihood_ratio_tests

    table = _read(report / "tables" / "likelihood_ratios.csv")
    spectrum = synthetic_spectra()[1]
    rows = table[table["name"] == spectrum.name]
    expected = likelihood_ratio_tests(spectrum.values, k=1000)
    assert list(rows["alternative"]) == [t.alternative for t in expected]
    assert list(rows["ratio"]) == [t.ratio for t in expected]
    assert list(rows["favours"]) == [t.favours() for t in expected]


def test_paper_columns_for_4hhb(tmp_path, pdb_4hhb):
    from enmspec import inverse_spectrum, load_structure

    spectrum = inverse_spectrum(load_structure(pdb_4hhb))  # all 1716 modes
    path = spectrum.save(tmp_path / "in" / "4hhb.spectrum.npz")
    write_report(path, tmp_path / "out", settings=ReportSettings(figures=False))
    row = _read(tmp_path / "out" / "tables" / "paper_comparison.csv").iloc[0]
    assert (row["name"], row["paper_table"], row["k"], row["k_paper"]) == ("4HHB", 11, 1000, 1000)
    assert (row["beta_paper"], row["s_paper"], row["d_ks_paper"]) == (2.008, 0.992, 0.0145)
    assert row["beta"] == pytest.approx(2.008, abs=6e-4) and row["d_ks"] == pytest.approx(0.0145, abs=6e-5)
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert '<td class="num">2.008</td>' in html and '<td class="num">0.0145</td>' in html
    # the protein table itself keeps the report's own rule (top tenth)
    assert _read(tmp_path / "out" / "tables" / "proteins.csv")["k"][0] == 171


def test_cli_report_json(tmp_path, spectra_dir, capsys):
    out = tmp_path / "r"
    args = ["report", str(spectra_dir), "--out", str(out), "--no-figures", "--json", "--network-top", "300"]
    assert main([*args, "--protein-fraction", "0.2", "--alpha", "0.1"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["kinds"]["network"]["spectra"] == 3 and summary["figures"] == []
    fits = _read(out / "tables" / "fits.csv").set_index("name")
    assert fits.loc["net-pl", "k"] == 300 and fits.loc["prot-pl", "k"] == 180
    assert fits.loc["net-pl", "d_c"] == pytest.approx(1.22 / math.sqrt(300), rel=1e-12)
    settings = json.loads((out / "settings.json").read_text())
    assert settings["alpha"] == 0.1 and settings["network"]["top"] == 300


@pytest.mark.parametrize("case", ["empty", "text", "missing", "short", "empty-folder", "bad-npz"])
def test_cli_bad_inputs_one_line(tmp_path, capsys, case):
    if case == "empty":
        bad = tmp_path / "empty.spectrum.npz"
        bad.write_bytes(b"")
    elif case == "text":
        bad = tmp_path / "notes.txt"
        bad.write_text("1.0\n2.0\n")
    elif case == "missing":
        bad = tmp_path / "nowhere.spectrum.npz"
    elif case == "short":
        bad = Spectrum("tiny", "network", pareto(np.random.default_rng(0), 100)).save(
            tmp_path / "tiny.spectrum.npz"
        )
    elif case == "empty-folder":
        bad = tmp_path / "folder"
        bad.mkdir()
    else:
        bad = tmp_path / "junk.spectrum.npz"
        bad.write_bytes(b"PK\x03\x04 not really a zip")
    args = ["report", str(bad), "--out", str(tmp_path / "out"), "--no-figures", "--network-top", "500"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and bad.name in err and err.startswith("compare: error:")


def test_paper_reference_is_the_published_tables():
    reference = read_paper_reference()
    assert len(reference) == 92 and set(reference["table"]) == {6, 7, 8, 9, 10, 11, 13}
    hhb = reference[(reference["table"] == 11)].iloc[0]
    assert (hhb["name"], hhb["k"], hhb["beta"], hhb["sigma"], hhb["s"], hhb["d_ks"]) == (
        "4HHB",
        1000,
        2.008,
        0.032,
        0.992,
        0.0145,
    )


def test_shipped_reference_agrees_with_the_shared_tables():
    """The shipped copy agrees with the paper's machine-readable tables in ../shared/paper."""
    shared = REPO.parent / "shared" / "paper" / "dnn_tables.csv"
    if not shared.is_file():
        pytest.skip(f"reference file {shared} is absent")
    reference = read_paper_reference()
    dnn = pd.read_csv(shared)
    ours = reference[reference["kind"] == "network"].reset_index(drop=True)
    assert list(ours["d_ks"]) == list(dnn["d_ks"]) and list(ours["setting"]) == list(dnn["setting"])
    pd.testing.assert_series_equal(ours["beta"], dnn["beta"], check_names=False)


def test_batch_without_table_or_spectrum(tmp_path, batch_dir):
    """An interrupted batch (journal only) is read from rows.jsonl; a missing spectrum is not analysed."""
    import shutil

    copy = tmp_path / "batch"
    shutil.copytree(batch_dir, copy)
    (copy / "results.parquet").unlink()
    (spectrum,) = (copy / "spectra").glob("4e43-*.spectrum.npz")  # named by entry and path digest
    spectrum.unlink()
    collected = collect_inputs([copy])
    assert [s.name for s in collected.spectra] == ["1HVR"]
    statuses = {row["name"]: row["status"] for row in collected.not_analysed}
    assert statuses["4E43"] == "no spectrum" and statuses["broken"] == "failed"
    assert collected.batches[0]["settings"]["fraction"] == 0.1


def test_reference_option_replaces_the_shipped_table(tmp_path, spectra_dir):
    from compare.report.tables import paper_reference_path

    shipped = paper_reference_path()
    assert shipped.is_file() and shipped.parent.name == "report"  # package data, not the checkout
    custom = tmp_path / "mine.csv"
    lines = shipped.read_text(encoding="utf-8").splitlines()
    custom.write_text("\n".join(line for line in lines if "LeNet" not in line) + "\n", encoding="utf-8")
    write_report(spectra_dir, tmp_path / "out", settings=ReportSettings(figures=False, reference=str(custom)))
    settings = json.loads((tmp_path / "out" / "settings.json").read_text())
    assert str(custom) in json.dumps(settings)
    with pytest.raises(FileNotFoundError, match="absent.csv"):
        write_report(
            spectra_dir,
            tmp_path / "o2",
            settings=ReportSettings(figures=False, reference=str(tmp_path / "absent.csv")),
        )
