"""The eigengap rule: which gaps are fitted, and the s + 1 law on exact rank-size sequences."""

from __future__ import annotations

import numpy as np
import pytest

from compare.eigengap import fit_eigengaps, gap_k
from compare.powerlaw import eigengaps, fit_power_law


def test_gap_k_rule():
    assert gap_k(299, 1000) == 149  # a spectrum of 300 values fitted at K = 300 (all of it)
    assert gap_k(1715, 171) == 171  # a protein: plenty of gaps beyond K
    assert gap_k(299, 1000, span=1) == 299  # the older rule: as many gaps as values
    with pytest.raises(ValueError, match="span"):
        gap_k(10, 5, span=0.5)


@pytest.mark.parametrize("s", [0.8, 1.0, 1.5])
def test_gap_slope_of_an_exact_rank_size_law_is_s_plus_1(s):
    # x_k = k^-s: delta_k = k^-s - (k+1)^-s ~ s k^-(s+1), so the gaps' Zipf slope tends to s + 1
    x = np.arange(1, 2002, dtype=float) ** (-s)
    fit = fit_eigengaps(x, k=1000)
    assert fit.k == 1000 and fit.s == pytest.approx(s + 1, abs=0.03)


def test_fit_is_that_of_the_largest_gaps():
    rng = np.random.default_rng(3)
    x = np.sort(rng.pareto(1.0, 500) + 1)[::-1]
    fit = fit_eigengaps(x, k=400)
    gaps = eigengaps(x)
    reference = fit_power_law(gaps, k=gaps.size // 2)
    assert (fit.k, fit.beta, fit.d_ks) == (reference.k, reference.beta, reference.d_ks)
    with pytest.raises(ValueError, match="too few"):
        fit_eigengaps([3.0, 2.0, 1.0], k=3)
