"""Figures (matplotlib, imported inside each function so that statistics need no plotting stack)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from compare.powerlaw import PowerLawFit
from compare.spectrum import Spectrum


def rank_size(
    spectra: Sequence[Spectrum] | Spectrum,
    fits: Sequence[PowerLawFit | None] | PowerLawFit | None = None,
    *,
    ax=None,
):
    """Rank-size plot of normalised spectra ``x_k / x_1`` on log-log axes, with fitted lines.

    The fitted power law appears as its rank-size line: a fraction ``(x / x_min)^(1 - beta)``
    of the K kept values exceeds ``x``, so ``x_k = x_min (k / K)^(-s)``, drawn over the kept
    ranks ``1..K``; a dotted vertical line marks ``K``.

    Parameters
    ----------
    spectra : Spectrum or sequence of Spectrum
    fits : PowerLawFit or sequence (same length, None entries allowed), optional
    ax : matplotlib Axes, optional
        Draw here; default a new figure.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib

    if ax is None:
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5.5, 4.2), constrained_layout=True)
    if isinstance(spectra, Spectrum):
        spectra = [spectra]
    if fits is None or isinstance(fits, PowerLawFit):
        fits = [fits] * len(spectra) if fits is not None else [None] * len(spectra)
    if len(fits) != len(spectra):
        raise ValueError(f"got {len(spectra)} spectra but {len(fits)} fits")
    for spectrum, fit in zip(spectra, fits, strict=True):
        y = spectrum.normalized()
        rank = np.arange(1, y.size + 1)
        (line,) = ax.loglog(rank, y, ".", ms=3, label=f"{spectrum.name} ({spectrum.kind})")
        if fit is not None:
            k = np.arange(1, fit.k + 1)
            verdict = "power law" if fit.is_power_law else "not a power law"
            ax.loglog(
                k,
                fit.x_min / spectrum.values[0] * (k / fit.k) ** (-fit.s),
                "-",
                color=line.get_color(),
                lw=1.2,
                label=f"fit s = {fit.s:.3f}, β = {fit.beta:.3f} ± {fit.sigma:.3f} ({verdict})",
            )
            ax.axvline(fit.k, color=line.get_color(), ls=":", lw=0.8)
    ax.set_xlabel("rank k")
    ax.set_ylabel("normalised value  x_k / x_1")
    ax.set_title("Rank-size plot (dotted line: K, the last kept value)")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(True, which="major", alpha=0.3)
    return ax


def save_figure(ax, path: str | os.PathLike, *, dpi: int = 150) -> None:
    """Save the figure holding ``ax`` (format from the suffix) and close it."""
    import matplotlib.pyplot as plt

    fig = ax.figure
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
