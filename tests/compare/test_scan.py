"""The vectorised x_min scan against a loop over fit_power_law, the two KS conventions, the grid."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compare import critical_value, fit_power_law, fitted_critical_value, ks_distance, scan_xmin


def rounded_mixture(seed: int, decimals: int) -> np.ndarray:
    """A power-law tail on a uniform body, rounded (ties everywhere when decimals is small)."""
    rng = np.random.default_rng(seed)
    tail = 2.0 * (1.0 - rng.random(300)) ** (-1.0 / 1.4)
    values = np.round(np.concatenate([tail, rng.uniform(0.3, 2.0, 500)]), decimals)
    return np.sort(values[values > 0])[::-1]


def brute_force_scan(values: np.ndarray, k_min: int, ks: str) -> tuple[int, float]:
    """The K of least distance (largest on ties) by a loop over every candidate."""
    best_k, best_d = 0, np.inf
    for k in range(k_min, values.size + 1):
        if k < values.size and values[k - 1] == values[k]:
            continue
        try:
            d = fit_power_law(values, k=k, ks=ks).d_ks
        except ValueError:  # every kept value equal: no fit, not a candidate
            continue
        if d <= best_d:
            best_k, best_d = k, d
    return best_k, best_d


@pytest.mark.parametrize("ks", ["left", "two-sided"])
@pytest.mark.parametrize(("seed", "decimals"), [(0, 1), (1, 2), (2, 12)])
def test_scan_equals_a_loop_over_candidates(seed, decimals, ks):
    values = rounded_mixture(seed, decimals)
    scan = scan_xmin(values, ks=ks)
    k, d = brute_force_scan(values, 10, ks)
    assert scan.fit.k == k and scan.fit.d_ks == pytest.approx(d, rel=1e-12)
    assert scan.fit.ks == ks and scan.fit.xmin_method == "scanned"
    full = scan_xmin(values, ks=ks, curve=True)
    assert np.isfinite(full.d_ks).all()
    for kk, dd in list(zip(full.k_values, full.d_ks, strict=True))[::7]:
        assert dd == pytest.approx(fit_power_law(values, k=int(kk), ks=ks).d_ks, rel=1e-10, abs=1e-15)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(12, 120), st.sampled_from(["left", "two-sided"]))
def test_pruned_scan_finds_the_least_distance_for_any_seed(seed, n, ks):
    rng = np.random.default_rng(seed)
    values = np.sort(np.round(rng.pareto(1.0 + rng.random(), n) + 1.0, int(rng.integers(0, 4))))[::-1]
    if np.unique(values[:-1]).size < 3:
        return
    try:
        scan = scan_xmin(values, k_min=2, ks=ks)
    except ValueError:
        return
    k, d = brute_force_scan(values, 2, ks)
    assert scan.fit.k == k


def sup_distance(tail: np.ndarray, beta: float) -> float:
    """sup_x |F_n(x) - F(x)| by evaluating both CDFs at each value and just below it."""
    x_min = tail[-1]
    points = np.unique(tail)
    below = np.nextafter(points, 0)
    asc = np.sort(tail)

    def law(x):
        return np.where(x >= x_min, 1.0 - (x / x_min) ** (1.0 - beta), 0.0)

    at = np.abs(np.searchsorted(asc, points, side="right") / tail.size - law(points))
    under = np.abs(np.searchsorted(asc, below, side="right") / tail.size - law(below))
    return float(max(at.max(), under.max()))


def test_two_sided_distance_is_the_supremum():
    values = rounded_mixture(4, 1)[:400]
    fit = fit_power_law(values, ks="two-sided")
    assert fit.d_ks == pytest.approx(sup_distance(values, fit.beta), rel=1e-9)
    # without ties, the two conventions differ by at most 1 / K
    smooth = rounded_mixture(4, 12)[:400]
    left, two = (ks_distance(smooth, 2.0, ks=ks) for ks in ("left", "two-sided"))
    assert left <= two <= left + 1 / 400 + 1e-15


def test_critical_values_follow_the_convention():
    left = fitted_critical_value(500, 0.05, n_sim=1000)
    two = fitted_critical_value(500, 0.05, n_sim=1000, ks="two-sided")
    assert left < two < critical_value(500)
    with pytest.raises(ValueError, match="ks must be"):
        fitted_critical_value(500, ks="right")


def test_grid_for_large_inputs():
    rng = np.random.default_rng(9)
    values = np.sort(
        np.concatenate([3.0 * (1 - rng.random(30_000)) ** (-1 / 1.5), rng.uniform(0.1, 3, 70_000)])
    )
    values = values[::-1]
    scan = scan_xmin(values, grid=300)
    assert scan.grid == 300 and scan.fit.grid == 300 and scan.k_values.size <= 300
    assert np.all(np.diff(scan.k_values) > 0)
    exact = scan_xmin(values)
    # the grid's winner is within a few percent of the full scan's tail, its distance close
    assert abs(scan.fit.k - exact.fit.k) < 0.05 * exact.fit.k
    assert exact.fit.d_ks <= scan.fit.d_ks < exact.fit.d_ks + 2e-3
    with pytest.raises(ValueError, match="grid"):
        scan_xmin(values, grid=3)
