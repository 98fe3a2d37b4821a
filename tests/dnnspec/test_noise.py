"""The gradient-noise covariance spectrum against the covariance built from a loop of backward passes."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

from dnnspec.noise import gradient_noise_operator, gradient_noise_spectrum  # noqa: E402


def tiny():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3)).double()
    x = torch.randn(70, 6, dtype=torch.float64)
    y = torch.randint(0, 3, (70,))
    return model, x, y


def loop_covariance(model, x, y):
    rows = []
    for xi, yi in zip(x, y, strict=True):
        model.zero_grad()
        F.cross_entropy(model(xi[None]), yi[None]).backward()
        rows.append(torch.cat([p.grad.reshape(-1) for p in model.parameters()]).clone())
    g = torch.stack(rows).numpy()
    centred = g - g.mean(0)
    return centred.T @ centred / len(y), g.mean(0)


@pytest.mark.parametrize("cache_bytes", [0, 10**9])  # recomputed per product, and kept
def test_products_equal_the_explicit_covariance(cache_bytes):
    model, x, y = tiny()
    cov, mean = loop_covariance(model, x, y)
    matmat, n_params, got_mean = gradient_noise_operator(
        model, F.cross_entropy, x, y, chunk_size=16, cache_bytes=cache_bytes
    )
    v = torch.randn(n_params, 4, dtype=torch.float64)
    np.testing.assert_allclose(matmat(v).numpy(), cov @ v.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(got_mean.numpy(), mean, rtol=1e-12, atol=1e-14)


def test_spectrum_is_the_top_of_eigvalsh():
    model, x, y = tiny()
    cov, _ = loop_covariance(model, x, y)
    exact = np.sort(np.linalg.eigvalsh(cov))[::-1]
    spectrum = gradient_noise_spectrum(model, F.cross_entropy, x, y, k=10, chunk_size=32)
    np.testing.assert_allclose(spectrum.values, exact[:10], rtol=1e-7)
    assert spectrum.meta["matrix"] == "gradient-noise covariance"
    assert spectrum.meta["trace"] == pytest.approx(np.trace(cov), rel=1e-10)
    from compare import fit_power_law

    assert fit_power_law(spectrum.values).k == 10  # compare fits it like any spectrum
