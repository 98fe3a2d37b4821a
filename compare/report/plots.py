"""Figures (matplotlib, imported inside each function so that statistics need no plotting stack).

Every function draws on ``ax`` when given, else on a new :class:`matplotlib.figure.Figure`
of :data:`FIGSIZE` inches (no pyplot state, so any backend or none works), and returns the
Axes; ``ax.figure`` is the Figure. :func:`figure_bytes` and :func:`save_figure` write PNG and
SVG reproducibly (fixed SVG hash salt, no date or software stamp).
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from compare.powerlaw import PowerLawFit
from compare.spectrum import KIND_LABELS, KINDS, Spectrum

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Size of a new figure in inches; at :data:`DPI` a PNG is 770 x 484 pixels.
FIGSIZE = (7.0, 4.4)
#: Rank plots are larger: their legend sits below the axes. 880 x 660 pixels at :data:`DPI`.
RANK_FIGSIZE = (8.0, 6.0)
DPI = 110
#: Rank-size plots draw at most this many points per spectrum (log-spaced ranks), so that
#: spectra of thousands of values stay legible and light in SVG.
MAX_POINTS = 300
#: SVG element ids are hashed with this salt instead of a random one (reproducible files).
SVG_HASHSALT = "hessian-spectra"
MARKERS = {"protein": "o", "network": "^", "gradient-noise": "s"}
KIND_COLORS = {"protein": "tab:blue", "network": "tab:orange", "gradient-noise": "tab:red"}
#: tab10 colours per kind: cool ones for proteins, warm ones for networks, so that the two
#: families stay apart in an overlay while every spectrum has its own colour.
KIND_PALETTES = {
    "protein": ("tab:blue", "tab:green", "tab:purple", "tab:cyan", "tab:olive", "tab:gray", "navy", "teal"),
    "network": ("tab:orange", "tab:red", "tab:brown", "tab:pink", "gold", "darkred", "coral", "maroon"),
    "gradient-noise": ("tab:red", "darkred", "tab:pink", "coral", "maroon", "tab:brown", "gold", "salmon"),
}


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = FIGSIZE) -> Axes:
    """``ax``, or the Axes of a new Figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig.add_subplot()


def _thin(n: int, max_points: int) -> np.ndarray:
    """Indices 0..n-1, log-spaced down to about ``max_points`` when n is larger."""
    if n <= max_points:
        return np.arange(n)
    idx = np.unique(np.round(np.logspace(0, math.log10(n), max_points)).astype(int) - 1)
    return idx[idx < n]


def _palette(kinds: Sequence[str]) -> list:
    """A colour per spectrum, from its kind's family (:data:`KIND_PALETTES`), cycling when exhausted."""
    used = {kind: 0 for kind in KIND_PALETTES}
    colors = []
    for kind in kinds:
        family = KIND_PALETTES.get(kind, KIND_PALETTES["protein"])
        colors.append(family[used.get(kind, 0) % len(family)])
        used[kind] = used.get(kind, 0) + 1
    return colors


def _rank_lines(
    ax: Axes,
    series: Sequence[tuple[str, str, np.ndarray]],
    fits: Sequence[PowerLawFit | None],
    colors: Sequence[str],
    max_points: int,
    what: str,
) -> None:
    """Draw normalised (label, kind, values) series with their fitted lines; ``what`` names the y axis."""
    lowest = 1.0
    for (label, kind, values), fit, color in zip(series, fits, colors, strict=True):
        y = values / values[0]
        idx = _thin(y.size, max_points)
        lowest = min(lowest, float(y[-1]))
        text = f"{label} ({kind})"
        if fit is not None:
            verdict = "power law" if fit.is_power_law else "not a power law"
            text += f": s = {fit.s:.3g}, K = {fit.k}, {verdict}"
        ax.loglog(
            idx + 1, y[idx], MARKERS.get(kind, "."), ms=3, color=color, alpha=0.8, mec="none", label=text
        )
        if fit is not None:
            k = np.unique(np.round(np.logspace(0, math.log10(fit.k), 60)))
            ax.loglog(k, fit.x_min / values[0] * (k / fit.k) ** (-fit.s), "-", color=color, lw=1.3)
            ax.axvline(fit.k, color=color, ls=":", lw=0.9)
    # A poor fit's line can run decades away from the data; keep the data's range in view.
    ax.set_ylim(lowest / 2.0, 2.0)
    ax.set_xlabel("rank k")
    ax.set_ylabel(f"normalised value  ${what}_k / {what}_1$")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(
        fontsize=7.5, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2, markerscale=2.5
    )


def _as_list(
    spectra: Sequence[Spectrum] | Spectrum,
    fits: Sequence[PowerLawFit | None] | PowerLawFit | None,
    colors: Sequence[str] | None,
) -> tuple[list[Spectrum], list[PowerLawFit | None], list[str]]:
    """Spectra, fits and colours as lists of one length (one fit or None for all; default colours)."""
    if isinstance(spectra, Spectrum):
        spectra = [spectra]
    if fits is None or isinstance(fits, PowerLawFit):
        fits = [fits] * len(spectra)
    if len(fits) != len(spectra):
        raise ValueError(f"got {len(spectra)} spectra but {len(fits)} fits")
    if colors is None:
        colors = _palette([s.kind for s in spectra])
    elif len(colors) != len(spectra):
        raise ValueError(f"got {len(spectra)} spectra but {len(colors)} colours")
    return list(spectra), list(fits), list(colors)


def rank_size(
    spectra: Sequence[Spectrum] | Spectrum,
    fits: Sequence[PowerLawFit | None] | PowerLawFit | None = None,
    *,
    ax: Axes | None = None,
    colors: Sequence[str] | None = None,
    max_points: int = MAX_POINTS,
    title: str | None = None,
) -> Axes:
    """Rank-size plot of normalised spectra ``x_k / x_1`` on log-log axes, with fitted lines.

    The fitted power law appears as its rank-size line: a fraction ``(x / x_min)^(1 - beta)``
    of the K kept values exceeds ``x``, so ``x_k = x_min (k / K)^(-s)``, drawn over the kept
    ranks ``1..K``; a dotted vertical line marks ``K`` (paper Figures 1 and 9). Spectra are
    told apart by colour (one each) and marker (circle: protein, triangle: network).

    Parameters
    ----------
    spectra : Spectrum or sequence of Spectrum
        The spectra drawn.
    fits : PowerLawFit or sequence (same length, None entries allowed), optional
        Their fits, drawn as lines (None: no line).
    ax : matplotlib Axes, optional
        Draw here; default a new figure.
    colors : sequence of matplotlib colours, optional
        One per spectrum; default cool colours for proteins, warm ones for networks.
    max_points : int
        Points drawn per spectrum (log-spaced ranks); the fit uses every value.
    title : str, optional
        Default: a description of the lines.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; ``ax.figure`` is its Figure.
    """
    spectra, fits, colors = _as_list(spectra, fits, colors)
    ax = _new_axes(ax, RANK_FIGSIZE)
    series = [(s.name, s.kind, s.values) for s in spectra]
    _rank_lines(ax, series, fits, colors, max_points, "x")
    ax.set_title(title or "Rank-size plot (solid: fitted power law; dotted: K, the last kept value)")
    return ax


def eigengap_rank(
    spectra: Sequence[Spectrum] | Spectrum,
    fits: Sequence[PowerLawFit | None] | PowerLawFit | None = None,
    *,
    ax: Axes | None = None,
    colors: Sequence[str] | None = None,
    max_points: int = MAX_POINTS,
    title: str | None = None,
) -> Axes:
    """Rank plot of the normalised eigengaps ``delta_k / delta_1`` (paper Figure 2).

    ``delta`` is :func:`compare.eigengaps` of each spectrum; ``fits`` are fits of those gaps
    (e.g. ``fit_power_law(eigengaps(values), k=K)``), drawn as in :func:`rank_size`.

    Parameters
    ----------
    spectra : Spectrum or sequence of Spectrum
        The spectra whose gaps are drawn; each needs a positive gap.
    fits : PowerLawFit or sequence (same length, None entries allowed), optional
        Fits of the gaps, drawn as lines (None: no line).
    ax : matplotlib Axes, optional
        Draw here; default a new figure.
    colors : sequence of matplotlib colours, optional
        One per spectrum; default cool colours for proteins, warm ones for networks.
    max_points : int
        Points drawn per spectrum (log-spaced ranks).
    title : str, optional
        Default: a description of the lines.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; ``ax.figure`` is its Figure.

    Raises
    ------
    ValueError
        A spectrum has no positive eigengap.
    """
    from compare.powerlaw import eigengaps

    spectra, fits, colors = _as_list(spectra, fits, colors)
    ax = _new_axes(ax, RANK_FIGSIZE)
    series = []
    for s in spectra:
        gaps = eigengaps(s.values)
        if gaps.size == 0:
            raise ValueError(f"spectrum {s.name!r} has no positive eigengap")
        series.append((s.name, s.kind, gaps))
    _rank_lines(ax, series, fits, colors, max_points, r"\delta")
    ax.set_title(title or r"Eigengaps $\delta_k = x_k - x_{k+1}$, sorted (solid: fit; dotted: K)")
    return ax


def _by_kind(fits: pd.DataFrame, column: str) -> Iterator[tuple[str, str, np.ndarray]]:
    """(label, colour, float values of ``column``) per kind present, missing values left out.

    Proteins of several elastic networks come one group per network, in the proteins' palette.
    """
    from compare.report.models import network_columns

    network = network_columns(fits) if "kind" in fits and (fits["kind"] == "protein").any() else None
    for kind in KINDS:
        part = fits[(fits["kind"] == kind) & fits[column].notna()]
        if not len(part):
            continue
        if kind == "protein" and network is not None and network["network_group"].nunique() > 1:
            for index, (label, group) in enumerate(network.groupby("network_group", sort=True)):
                x = part.loc[part.index.intersection(group.index), column].astype(float).to_numpy()
                if x.size:
                    palette = KIND_PALETTES["protein"]
                    yield f"{KIND_LABELS[kind]}, {label}", palette[index % len(palette)], x
            continue
        yield KIND_LABELS[kind], KIND_COLORS[kind], part[column].astype(float).to_numpy()


def s_histogram(fits: pd.DataFrame, *, ax: Axes | None = None, bins: int = 30) -> Axes:
    """Histogram of the Zipf slope s, one colour per kind, with s = 1 marked (paper Figure 10).

    Parameters
    ----------
    fits : pandas.DataFrame
        Columns ``kind`` and ``s`` (e.g. :func:`compare.report.fit_many`).
    ax : matplotlib Axes, optional
        Draw here; default a new figure.
    bins : int
        Histogram bins, shared by the kinds.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    ValueError
        No s value to plot.
    """
    ax = _new_axes(ax)
    groups = list(_by_kind(fits, "s"))
    if not groups:
        raise ValueError("no s values to plot")
    edges = np.histogram_bin_edges(np.concatenate([g for _, _, g in groups]), bins=bins)
    for name, color, x in groups:
        ax.hist(x, bins=edges, alpha=0.6, color=color, label=f"{name} (n = {x.size})")
    ax.axvline(1.0, color="black", ls="--", lw=1, label="s = 1")
    ax.set_xlabel("Zipf slope s = 1 / (β − 1)")
    ax.set_title("Distribution of the power-law slope s")
    _count_axis(ax)
    return ax


def _count_axis(ax: Axes) -> None:
    """Integer counts on y, and headroom above the bars for the legend."""
    from matplotlib.ticker import MaxNLocator

    ax.set_ylabel("number of spectra")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, ax.get_ylim()[1] * 1.45)
    ax.legend(fontsize=8, loc="upper right", framealpha=0.95, edgecolor="none")


def ratio_histogram(fits: pd.DataFrame, *, ax: Axes | None = None, bins: int = 30) -> Axes:
    """Histogram of d_ks / d_c (Massey's d_c; outlined: the fitted-beta d_c) with d_ks = d_c marked.

    Spectra to the left of the line pass the KS test (paper Figure 10).

    Parameters
    ----------
    fits : pandas.DataFrame
        Columns ``kind``, ``d_ks_over_d_c`` and (optionally) ``d_ks_over_d_c_fitted``.
    ax : matplotlib Axes, optional
        Draw here; default a new figure.
    bins : int
        Histogram bins, shared by the kinds.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    ValueError
        No d_ks / d_c value to plot.
    """
    ax = _new_axes(ax)
    groups = list(_by_kind(fits, "d_ks_over_d_c"))
    if not groups:
        raise ValueError("no d_ks / d_c values to plot")
    fitted = (
        {name: x for name, _, x in _by_kind(fits, "d_ks_over_d_c_fitted")}
        if "d_ks_over_d_c_fitted" in fits
        else {}
    )
    pooled = np.concatenate([g for _, _, g in groups] + list(fitted.values()) + [np.array([0.0, 1.05])])
    edges = np.histogram_bin_edges(pooled, bins=bins)
    for name, color, x in groups:
        ax.hist(x, bins=edges, alpha=0.6, color=color, label=f"{name}, Massey d_c (n = {x.size})")
        if name in fitted:
            ax.hist(
                fitted[name], bins=edges, histtype="step", lw=1.3, color=color, label=f"{name}, fitted-β d_c"
            )
    ax.axvline(1.0, color="tab:red", ls="--", lw=1.2, label="d_ks = d_c (rejected to the right)")
    ax.set_xlabel("KS distance over its critical value, d_ks / d_c")
    ax.set_title("KS test: d_ks / d_c (below 1: power law)")
    _count_axis(ax)
    return ax


def s_versus_size(
    fits: pd.DataFrame, *, ax: Axes | None = None, reference: pd.DataFrame | None = None
) -> Axes:
    """The slope s against protein size 3N, with the Table-13 bins and (optionally) the paper's bin means.

    Parameters
    ----------
    fits : pandas.DataFrame
        Columns ``kind``, ``n_residues``, ``s``, ``sigma``, ``beta``; protein rows with
        ``n_residues`` are drawn, error bars ``s^2 sigma`` (the standard error of s).
    ax : matplotlib Axes, optional
        Draw here; default a new figure.
    reference : pandas.DataFrame, optional
        :func:`compare.report.tables.read_paper_reference`; Table 13's mean s per bin is drawn.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    ValueError
        No protein with a known size.
    """
    from compare.summary import SIZE_BINS

    ax = _new_axes(ax)
    part = fits[(fits["kind"] == "protein") & fits["n_residues"].notna()]
    if not len(part):
        raise ValueError("no protein with a known size (meta n_residues) to plot")
    three_n = 3 * part["n_residues"].astype(float).to_numpy()
    s = part["s"].astype(float).to_numpy()
    err = s**2 * part["sigma"].astype(float).to_numpy()
    ax.errorbar(
        three_n,
        s,
        yerr=err,
        fmt="o",
        ms=4,
        color=KIND_COLORS["protein"],
        elinewidth=0.8,
        capsize=2,
        label=f"proteins (n = {s.size}), ± standard error",
    )
    for low, _ in SIZE_BINS[1:]:
        ax.axvline(low, color="grey", ls=":", lw=0.8)
    if reference is not None:
        paper = reference[(reference["kind"] == "protein") & (reference["table"] == 13)].set_index("name")
        for i, (low, high) in enumerate(SIZE_BINS):
            label = f"{low}-{high}"
            if label in paper.index:
                ax.hlines(
                    paper.loc[label, "s"],
                    low,
                    high,
                    color="black",
                    lw=1.5,
                    label="paper, mean s per 3N bin (Table 13)" if i == 0 else None,
                )
    ax.set_xscale("log")
    ax.set_xlabel("protein size 3N (N = C-alpha atoms; log scale)")
    ax.set_ylabel("Zipf slope s")
    ax.set_title("s against protein size (dotted: Table 13 bin edges)")
    ax.legend(fontsize=8, frameon=False)
    return ax


def s_versus(
    fits: pd.DataFrame,
    column: str,
    *,
    ax: Axes | None = None,
    xlabel: str | None = None,
    kind: str = "network",
) -> Axes:
    """The slope s of the ``kind`` rows against ``column`` (log x), points labelled by name (paper Figure 16).

    Parameters
    ----------
    fits : pandas.DataFrame
        Columns ``kind``, ``name``, ``s``, ``is_power_law`` and ``column``.
    column : str
        E.g. ``"x_1"`` (the top eigenvalue) or ``"trace"`` (Hessian trace from the meta).
    ax : matplotlib Axes, optional
        Draw here; default a new figure.
    xlabel : str, optional
        Default: ``column``.
    kind : {"network", "protein"}
        The rows drawn.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    ValueError
        No row of ``kind`` with a value of ``column``.
    """
    ax = _new_axes(ax)
    part = fits[(fits["kind"] == kind) & fits[column].notna()]
    if not len(part):
        raise ValueError(f"no {kind} spectrum with a value of {column!r} to plot")
    x = part[column].astype(float).to_numpy()
    s = part["s"].astype(float).to_numpy()
    colors = ["tab:green" if ok else "tab:red" for ok in part["is_power_law"].astype(bool)]
    ax.scatter(x, s, c=colors, s=25, zorder=3)
    for xi, si, name in zip(x, s, part["name"], strict=True):
        ax.annotate(str(name), (xi, si), fontsize=7, xytext=(4, 3), textcoords="offset points")
    ax.scatter([], [], c="tab:green", s=25, label="power law (KS passed)")
    ax.scatter([], [], c="tab:red", s=25, label="not a power law")
    if np.all(x > 0):
        ax.set_xscale("log")
    ax.margins(x=0.2, y=0.15)
    ax.set_xlabel(xlabel or column)
    ax.set_ylabel("Zipf slope s")
    ax.set_title(f"s against {xlabel or column} ({KIND_LABELS[kind]})")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(True, alpha=0.3)
    return ax


def _overlay(fits: pd.DataFrame, kind: str, limit: int) -> list[int]:
    """Up to ``limit`` row positions of ``kind``, spread evenly over the spectrum sizes."""
    part = fits[fits["kind"] == kind].sort_values("n_modes", kind="stable")
    positions = [fits.index.get_loc(i) for i in part.index]
    if len(positions) <= limit:
        return positions
    picks = (
        sorted({round(j * (len(positions) - 1) / (limit - 1)) for j in range(limit)}) if limit > 1 else [0]
    )
    return [positions[j] for j in picks]


def report_figures(
    spectra: Sequence[Spectrum],
    fits: pd.DataFrame,
    *,
    reference: pd.DataFrame | None = None,
    alpha: float = 0.05,
    overlay: int = 6,
    gap_span: float = 2.0,
) -> list[tuple[str, Figure, str]]:
    """The figures of ``compare report``: (name, Figure, caption) for each that the data allow.

    Parameters
    ----------
    spectra : sequence of Spectrum
    fits : pandas.DataFrame
        :func:`compare.report.tables.fit_many` of ``spectra`` (same order).
    reference : pandas.DataFrame, optional
        The paper's table (:func:`compare.report.tables.read_paper_reference`).
    alpha : float
        KS significance of the fits drawn.
    overlay : int
        Spectra of each kind in the rank-size and eigengap overlays, spread over sizes.
    gap_span : float
        The eigengap rule (:func:`compare.eigengap.gap_k`).

    Returns
    -------
    list of (str, matplotlib.figure.Figure, str)
        ``(name, figure, caption)``; names among :data:`compare.report.writer.FIGURE_NAMES`.
    """
    from compare.eigengap import gap_k
    from compare.powerlaw import eigengaps, fit_power_law
    from compare.report.models import network_columns

    figures = []
    chosen = [i for kind in KINDS for i in _overlay(fits, kind, overlay)]
    network = network_columns(fits)
    subset = [spectra[i] for i in chosen]
    if network["network_group"].nunique() > 1:  # name each protein's network where several are drawn
        names = network["network"]
        subset = [
            dataclasses.replace(s, name=f"{s.name}, {names[fits.index[i]]}") if s.kind == "protein" else s
            for s, i in zip(subset, chosen, strict=True)
        ]
    ks = [int(fits.iloc[i]["k"]) for i in chosen]
    shown = (
        ""
        if len(chosen) == len(spectra)
        else f" ({len(chosen)} of {len(spectra)} spectra, spread over sizes)"
    )
    spectrum_fits = [fit_power_law(s.values, k=k, alpha=alpha) for s, k in zip(subset, ks, strict=True)]
    ax = rank_size(subset, spectrum_fits)
    figures.append(
        (
            "rank_size",
            ax.figure,
            "Rank-size plot of the normalised spectra x_k / x_1 on log-log axes, "
            f"with each fitted power law (solid) and its K (dotted){shown}. Paper Figures 1 and 9.",
        )
    )
    gap_fits = []
    for s, k in zip(subset, ks, strict=True):
        gaps = eigengaps(s.values)
        kk = gap_k(gaps.size, k, span=gap_span)
        gap_fits.append(fit_power_law(gaps, k=kk, alpha=alpha) if kk >= 2 else None)
    ax = eigengap_rank(subset, gap_fits)
    figures.append(
        (
            "eigengaps",
            ax.figure,
            "Eigengaps δ_k = x_k − x_{k+1} of the same spectra, sorted descending "
            f"and normalised by the largest, with their power-law fits{shown}. Paper Figure 2: the gap "
            "slope is near s + 1.",
        )
    )
    ax = s_histogram(fits)
    figures.append(("s_histogram", ax.figure, "Distribution of the Zipf slope s, by kind (paper Figure 10)."))
    ax = ratio_histogram(fits)
    figures.append(
        (
            "ratio_histogram",
            ax.figure,
            "d_ks / d_c by kind: filled, Massey's d_c; outlined, the "
            "fitted-β d_c. Spectra left of the dashed line pass the KS test (paper Figure 10).",
        )
    )
    proteins = fits.loc[network.index[network["paper_network"]]]
    if len(proteins) and proteins["n_residues"].notna().any():
        ax = s_versus_size(proteins, reference=reference)
        others = len(network) - len(proteins)
        also = (
            f" Only the paper's network (ANM, equal springs, 9 Å): {others} other protein spectra left out."
            if others
            else ""
        )
        figures.append(
            (
                "s_versus_size",
                ax.figure,
                "s against protein size 3N with its standard error; black "
                f"segments: the paper's mean s per Table-13 bin (9166 proteins).{also}",
            )
        )
    networks = fits[fits["kind"] == "network"]
    if len(networks):
        ax = s_versus(fits, "x_1", xlabel="top eigenvalue λ_1")
        figures.append(
            (
                "s_versus_top_eigenvalue",
                ax.figure,
                "Networks: s against the top Hessian eigenvalue (paper Figure 16).",
            )
        )
        if networks["trace"].notna().any():
            ax = s_versus(fits, "trace", xlabel="Hessian trace (meta 'trace')")
            figures.append(
                ("s_versus_trace", ax.figure, "Networks: s against the Hessian trace (paper Figure 16).")
            )
    return figures


def _figure(ax_or_fig: Axes | Figure) -> Figure:
    """The Figure itself, or the Figure holding an Axes."""
    return ax_or_fig if hasattr(ax_or_fig, "savefig") else ax_or_fig.figure


def figure_bytes(ax_or_fig: Axes | Figure, fmt: str, *, dpi: int = DPI) -> bytes:
    """The figure as ``fmt`` ("png" or "svg") bytes, reproducibly (no date, fixed SVG ids).

    A figure of :data:`FIGSIZE` gives a PNG of ``FIGSIZE * dpi`` pixels.

    Parameters
    ----------
    ax_or_fig : matplotlib Axes or Figure
        The figure, or an Axes of it.
    fmt : {"png", "svg"}
        The file format.
    dpi : int
        Resolution of a PNG.

    Returns
    -------
    bytes
        The file's contents.

    Raises
    ------
    ValueError
        Another format.
    """
    import matplotlib

    if fmt not in ("png", "svg"):
        raise ValueError(f"fmt must be 'png' or 'svg', got {fmt!r}")
    metadata = {"Date": None, "Creator": None} if fmt == "svg" else {"Software": None}
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": SVG_HASHSALT, "svg.fonttype": "path"}):
        _figure(ax_or_fig).savefig(buf, format=fmt, dpi=dpi, metadata=metadata)
    return buf.getvalue()


def save_figure(ax: Axes | Figure, path: str | os.PathLike, *, dpi: int = 150) -> None:
    """Save the figure holding ``ax`` (an Axes or a Figure; format from the suffix) and close it.

    PNG and SVG are written reproducibly (:func:`figure_bytes`); other suffixes by
    matplotlib's ``savefig``. A figure made by pyplot is closed.

    Parameters
    ----------
    ax : matplotlib Axes or Figure
        The figure, or an Axes of it.
    path : str or path-like
        The file; its suffix chooses the format.
    dpi : int
        Resolution of raster formats.
    """
    fig = _figure(ax)
    suffix = os.fspath(path).rsplit(".", 1)[-1].lower()
    if suffix in ("png", "svg"):
        with open(path, "wb") as fh:
            fh.write(figure_bytes(fig, suffix, dpi=dpi))
    else:
        fig.savefig(path, dpi=dpi)
    if "matplotlib.pyplot" in sys.modules:  # a figure made by pyplot is held by it until closed
        sys.modules["matplotlib.pyplot"].close(fig)
