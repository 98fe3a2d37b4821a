"""The power law of the eigengaps, with the rule that says how many gaps to fit.

The paper (its Table 6 "Eigengap" rows, Figure 2) fits the gaps delta_k = x_k - x_{k+1} of the
spectrum, re-sorted descending, and finds their Zipf slope near s + 1 (LeNet on MNIST: s = 1.009,
gap slope 1.817). Which gaps enter the fit decides the number. Fitting all the gaps of the top K
values, as the spectrum's own fit keeps K values, lets the smallest gaps in: near-degenerate
pairs at the end of a computed spectrum, whose gaps are orders of magnitude below the rest and
drag beta towards 1 (a gap slope of 4-5 on our networks, every fit rejected by the KS test).

The rule here: take the gaps of ``span`` times as many values as are fitted, so that the fitted
gaps are the largest ``K_gap = min(K, floor(m / span))`` of the ``m`` positive gaps available.
With ``span = 2`` (the default) on the 64-20-20-10 network's exact spectrum, the gap slope is
1.82 at K = 100 (s + 1 = 2.14) and 2.48 at K = 300 (s + 1 = 2.57), against 2.45 and 4.39 when
all K gaps of the top K + 1 values are fitted; ``span = 1`` restores that older rule.
"""

from __future__ import annotations

import math

import numpy.typing as npt

from compare.powerlaw import PowerLawFit, eigengaps, fit_power_law

__all__ = ["GAP_SPAN", "fit_eigengaps", "gap_k"]

#: Values per fitted gap (see the module's description).
GAP_SPAN = 2.0


def gap_k(n_gaps: int, k: int, *, span: float = GAP_SPAN) -> int:
    """How many of the largest gaps to fit.

    Parameters
    ----------
    n_gaps : int
        Positive gaps available.
    k : int
        The K of the spectrum's own fit.
    span : float >= 1
        Gaps available per fitted gap.

    Returns
    -------
    int
        ``min(k, floor(n_gaps / span))``.

    Examples
    --------
    >>> gap_k(299, 1000), gap_k(1715, 171), gap_k(299, 1000, span=1)
    (149, 171, 299)
    """
    if not (isinstance(span, (int, float)) and math.isfinite(span) and span >= 1):
        raise ValueError(f"span must be a number >= 1, got {span!r}")
    return int(min(k, math.floor(n_gaps / span)))


def fit_eigengaps(
    values: npt.ArrayLike, *, k: int, span: float = GAP_SPAN, alpha: float = 0.05
) -> PowerLawFit:
    """Power-law fit of the largest gaps of a spectrum (the rule of :func:`gap_k`).

    Parameters
    ----------
    values : array_like, shape (n,)
        The spectrum (any order; sorted descending first).
    k : int
        The K of the spectrum's own fit.
    span : float >= 1
        Gaps available per fitted gap (default :data:`GAP_SPAN`).
    alpha : float
        KS significance.

    Returns
    -------
    PowerLawFit
        Of the ``gap_k`` largest gaps.

    Raises
    ------
    ValueError
        Fewer than two gaps to fit.
    """
    gaps = eigengaps(values)
    kk = gap_k(gaps.size, k, span=span)
    if kk < 2:
        raise ValueError(f"{gaps.size} positive gaps: too few to fit with span {span:g}")
    return fit_power_law(gaps, k=kk, alpha=alpha)
