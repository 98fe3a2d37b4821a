"""Figures: every function returns Axes on a fresh or given figure; files are reproducible and decode."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from compare import Spectrum, eigengaps, fit_power_law
from compare.report.plots import (
    DPI,
    FIGSIZE,
    KIND_PALETTES,
    RANK_FIGSIZE,
    eigengap_rank,
    figure_bytes,
    rank_size,
    ratio_histogram,
    s_histogram,
    s_versus,
    s_versus_size,
    save_figure,
)
from compare.report.tables import fit_many, read_paper_reference

pytest.importorskip("matplotlib")


def _spectra() -> list[Spectrum]:
    rng = np.random.default_rng(7)
    power = np.sort((1.0 - rng.random(2000)) ** -1.0)[::-1]
    return [
        Spectrum("P1", "protein", power[:600], {"n_residues": 202}),
        Spectrum("P2", "protein", np.sort(rng.exponential(1.0, 900) + 1)[::-1], {"n_residues": 1100}),
        Spectrum("N1", "network", power, {"trace": 120.0}),
        Spectrum("N2", "network", np.sort(rng.lognormal(0, 1, 1200))[::-1], {"trace": 15.0}),
    ]


@pytest.fixture(scope="module")
def fits() -> pd.DataFrame:
    return fit_many(_spectra())


def _png_size(ax) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(figure_bytes(ax, "png"))) as im:
        return im.size


def test_rank_size_overlay_colours_and_legend():
    spectra = _spectra()
    fits = [fit_power_law(s.values, k=100) for s in spectra]
    ax = rank_size(spectra, fits)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(labels) == 4 and labels[0].startswith("P1 (protein): s = ") and "N2 (network)" in labels[3]
    colours = [line.get_color() for line in ax.get_lines() if line.get_linestyle() == "None"]
    assert colours == [
        KIND_PALETTES["protein"][0],
        KIND_PALETTES["protein"][1],
        KIND_PALETTES["network"][0],
        KIND_PALETTES["network"][1],
    ]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert _png_size(ax) == (round(RANK_FIGSIZE[0] * DPI), round(RANK_FIGSIZE[1] * DPI))


def test_rank_size_single_spectrum_and_save(tmp_path):
    """The enmspec CLI's call: one spectrum, one fit, save_figure to a path."""
    spectrum = _spectra()[0]
    ax = rank_size(spectrum, fit_power_law(spectrum.values, k=60))
    save_figure(ax, tmp_path / "one.png")
    save_figure(rank_size(spectrum), tmp_path / "one.svg")
    from PIL import Image

    with Image.open(tmp_path / "one.png") as im:
        assert im.size == (round(RANK_FIGSIZE[0] * 150), round(RANK_FIGSIZE[1] * 150))
    assert ET.parse(tmp_path / "one.svg").getroot().tag.endswith("svg")


def test_draws_on_a_given_axes():
    from matplotlib.figure import Figure

    fig = Figure()
    axes = fig.subplots(1, 2)
    spectra = _spectra()
    assert rank_size(spectra[:2], ax=axes[0]) is axes[0]
    gaps = [fit_power_law(eigengaps(s.values), k=50) for s in spectra[:2]]
    assert eigengap_rank(spectra[:2], gaps, ax=axes[1]) is axes[1]


def test_statistics_plots(fits):
    for ax, kinds in (
        (s_histogram(fits), 2),
        (ratio_histogram(fits), 2),
        (s_versus_size(fits, reference=read_paper_reference()), 1),
        (s_versus(fits, "trace", xlabel="Hessian trace"), 1),
        (s_versus(fits, "x_1"), 1),
    ):
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        assert ax.get_legend() is not None and len(ax.get_legend().get_texts()) >= kinds
        assert _png_size(ax) == (round(FIGSIZE[0] * DPI), round(FIGSIZE[1] * DPI))
    ax = ratio_histogram(fits)
    assert any(np.allclose(line.get_xdata(), 1.0) for line in ax.get_lines())  # the d_ks = d_c line


def test_missing_columns_raise(fits):
    with pytest.raises(ValueError, match="dataset"):
        s_versus(fits.assign(dataset=None), "dataset")
    with pytest.raises(ValueError, match="n_residues"):
        s_versus_size(fits.assign(n_residues=None))
    with pytest.raises(ValueError, match="fits"):
        rank_size(_spectra(), [None])


def test_figure_bytes_reproducible():
    spectrum = _spectra()[2]
    fit = fit_power_law(spectrum.values, k=500)
    first = {fmt: figure_bytes(rank_size(spectrum, fit), fmt) for fmt in ("png", "svg")}
    second = {fmt: figure_bytes(rank_size(spectrum, fit), fmt) for fmt in ("png", "svg")}
    assert first == second
    svg = first["svg"].decode()
    assert "<dc:date>" not in svg
    ET.fromstring(first["svg"])
    with pytest.raises(ValueError, match="fmt"):
        figure_bytes(rank_size(spectrum), "gif")
