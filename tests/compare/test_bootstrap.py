"""Goodness-of-fit p-values: the null follows how x_min was chosen; calibration; reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from compare import fit_power_law, goodness_of_fit, ks_null_distribution, ks_p_value, scan_xmin


def power_law(n: int, beta: float, x_min: float, rng: np.random.Generator) -> np.ndarray:
    return np.sort(x_min * (1.0 - rng.random(n)) ** (-1.0 / (beta - 1.0)))[::-1]


def body_and_tail(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(np.concatenate([power_law(150, 2.4, 2.0, rng), rng.uniform(0.2, 2.0, 150)]))[::-1]


def test_fixed_fit_keeps_the_fixed_k_null():
    values = power_law(400, 2.0, 1.0, np.random.default_rng(0))
    fit = fit_power_law(values, k=200)
    result = goodness_of_fit(fit, n_sim=500, seed=4)
    table = ks_null_distribution(200, n_sim=500, seed=4)
    assert result.null == "fixed" and "fixed-K" in result.description
    assert result.p_value == np.mean(table >= fit.d_ks) == ks_p_value(fit, n_sim=500, seed=4)
    two_sided = fit_power_law(values, k=200, ks="two-sided")
    assert two_sided.d_ks >= fit.d_ks
    expected = np.mean(ks_null_distribution(200, n_sim=500, seed=4, ks="two-sided") >= two_sided.d_ks)
    assert ks_p_value(two_sided, n_sim=500, seed=4) == expected


def test_scanned_fit_needs_its_data():
    values = body_and_tail(1)
    fit = scan_xmin(values).fit
    with pytest.raises(ValueError, match="semi-parametric"):
        ks_p_value(fit)
    with pytest.raises(ValueError, match="do not match"):
        ks_p_value(fit, values=values[5:], n_sim=20)


def test_semi_parametric_replicate_by_hand():
    """Replicate i: its own child of SeedSequence(seed); body resampled below x_min, tail from the
    law with probability n_tail / n, x_min re-scanned."""
    values = body_and_tail(2)
    fit = scan_xmin(values).fit
    result = goodness_of_fit(fit, values=values, n_sim=20, seed=11)
    rng = np.random.default_rng(np.random.SeedSequence(11).spawn(20)[3])
    n_tail = rng.binomial(values.size, fit.k / values.size)
    body = values[fit.k :][rng.integers(0, values.size - fit.k, values.size - n_tail)]
    tail = fit.x_min * (1.0 - rng.random(n_tail)) ** (-1.0 / (fit.beta - 1.0))
    synthetic = np.sort(np.concatenate([tail, body]))[::-1]
    assert result.distances[3] == scan_xmin(synthetic).fit.d_ks
    assert result.p_value == np.mean(result.distances >= fit.d_ks)


def test_results_do_not_depend_on_jobs_and_are_seeded(capsys):
    values = body_and_tail(3)
    fit = scan_xmin(values).fit
    one = goodness_of_fit(fit, values=values, n_sim=30, seed=5, jobs=1)
    two = goodness_of_fit(fit, values=values, n_sim=30, seed=5, jobs=2, progress=True)
    np.testing.assert_array_equal(one.distances, two.distances)
    assert "bootstrap" in capsys.readouterr().err  # the progress bar
    other = goodness_of_fit(fit, values=values, n_sim=30, seed=6)
    assert not np.array_equal(one.distances, other.distances)


@pytest.mark.slow
def test_scanned_p_value_is_uniform_on_power_laws_and_rejects_lognormals():
    """150 exact power-law samples: KS test of the p-values against U(0, 1). Lognormal samples of
    the same size (n = 300) are rejected. k_min = n / 2 keeps the scan off tiny tails, where no
    test at this size can tell a lognormal from a power law."""
    p_values = []
    for seed in range(150):
        values = power_law(300, 2.5, 1.0, np.random.default_rng(1000 + seed))
        fit = scan_xmin(values, k_min=150).fit
        p_values.append(goodness_of_fit(fit, values=values, n_sim=40, seed=seed).p_value)
    assert stats.kstest(p_values, "uniform").pvalue > 0.01
    assert 0.03 < np.mean(np.array(p_values) < 0.1) < 0.2
    rejected = []
    for seed in range(6):
        values = np.sort(np.random.default_rng(seed).lognormal(0.0, 1.0, 300))[::-1]
        fit = scan_xmin(values, k_min=150).fit
        rejected.append(goodness_of_fit(fit, values=values, n_sim=40, seed=seed).p_value)
    assert np.median(rejected) <= 0.05 and max(rejected) < 0.2


def test_fixed_null_after_a_scan_is_too_lenient():
    """The fixed-K null of the scanned x_min gives larger p-values on average (CSN section 4.1)."""
    scanned, fixed = [], []
    for seed in range(25):
        values = body_and_tail(100 + seed)
        fit = scan_xmin(values).fit
        scanned.append(goodness_of_fit(fit, values=values, n_sim=40, seed=seed).p_value)
        fixed.append(ks_p_value(fit_power_law(values, k=fit.k), n_sim=400, seed=seed))
    assert np.mean(fixed) - np.mean(scanned) > 0.1


def test_discrete_fits():
    rng = np.random.default_rng(8)
    counts = np.sort(np.floor(3.0 * (1.0 - rng.random(400)) ** (-1.0 / 1.3)))[::-1]
    fixed = fit_power_law(counts, discrete=True)
    with pytest.raises(ValueError, match="discrete"):
        goodness_of_fit(fixed, n_sim=40)
    p_fixed = goodness_of_fit(fixed, values=counts, n_sim=60, seed=1)
    assert p_fixed.null == "fixed" and 0 <= p_fixed.p_value <= 1
    geometric = np.sort(rng.geometric(0.2, 400).astype(float))[::-1]
    fit = scan_xmin(geometric, discrete=True, k_min=100).fit
    assert goodness_of_fit(fit, values=geometric, n_sim=40, seed=1).p_value < 0.05
