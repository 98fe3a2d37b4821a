"""Block Lanczos, power iteration and Hutchinson against numpy on matrices with known spectra."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dnnspec.errors import ConvergenceError  # noqa: E402
from dnnspec.lanczos import block_lanczos, hutchinson_trace, power_iteration  # noqa: E402


def with_spectrum(eigenvalues: np.ndarray, seed: int) -> torch.Tensor:
    """A dense symmetric matrix Q diag(eigenvalues) Q^T with a random orthogonal Q."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((eigenvalues.size, eigenvalues.size)))
    return torch.tensor((q * eigenvalues) @ q.T)


def spectra(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    # repeated and nearly repeated top eigenvalues above a decaying bulk, as in loss Hessians
    clustered = np.concatenate([[10.0, 10.0, 10.0 - 1e-7, 9.0, 9.0], 5.0 / np.arange(1, n - 4.0)])
    return {
        "power law": 50.0 * np.arange(1, n + 1.0) ** -1.0,
        "clustered": clustered,
        "random SPD": np.linalg.eigvalsh(np.cov(rng.standard_normal((n, 2 * n)))),
        "indefinite": rng.standard_normal(n) * np.linspace(1, 3, n),
    }


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("block_size", [1, 3, 8])
@pytest.mark.parametrize("kind", ["power law", "clustered", "random SPD", "indefinite"])
def test_top_k_equal_eigvalsh(kind, block_size, seed):
    n, k = 300, 25
    ev = spectra(n, seed)[kind]
    h = with_spectrum(ev, seed)
    ref = np.sort(np.linalg.eigvalsh(h.numpy()))[::-1][:k]
    res = block_lanczos(lambda v: h @ v, n, k=k, block_size=block_size, seed=seed)
    assert res.eigenvalues.shape == (k,)
    assert np.all(np.diff(res.eigenvalues) <= 0)
    assert np.abs(res.eigenvalues - ref).max() <= 1e-9 * np.abs(ref).max()
    assert res.residuals.max() <= 1e-5
    # one product per basis vector: full blocks only (the basis never reaches n here), within budget
    assert res.n_products == block_size * res.steps < n


def test_ritz_vectors_are_eigenvectors():
    n = 120
    h = with_spectrum(np.linspace(1.0, 100.0, n), 3)
    res = block_lanczos(lambda v: h @ v, n, k=5, block_size=2, return_vectors=True, tol=1e-8)
    v = res.eigenvectors
    assert v.shape == (n, 5)
    resid = torch.linalg.norm(h @ v - v * torch.tensor(res.eigenvalues), dim=0).numpy()
    assert resid.max() <= 1e-6 * 100
    assert torch.allclose(v.T @ v, torch.eye(5, dtype=v.dtype), atol=1e-10)


def test_krylov_space_exhausted_gives_exact_values():
    h = with_spectrum(np.arange(1.0, 13.0), 0)
    res = block_lanczos(lambda v: h @ v, 12, k=12, block_size=5)
    assert np.allclose(res.eigenvalues, np.arange(12.0, 0.0, -1.0), rtol=0, atol=1e-12)


def test_raises_when_budget_is_spent():
    n = 400
    h = with_spectrum(50.0 * np.arange(1, n + 1.0) ** -0.3, 0)  # slowly decaying: hard
    with pytest.raises(ConvergenceError, match="raise max_products") as info:
        block_lanczos(lambda v: h @ v, n, k=40, max_products=50)
    assert info.value.n_converged < 40


def test_same_seed_same_result():
    h = with_spectrum(np.linspace(-1.0, 5.0, 200), 2)
    a = block_lanczos(lambda v: h @ v, 200, k=10, block_size=4, seed=7)
    b = block_lanczos(lambda v: h @ v, 200, k=10, block_size=4, seed=7)
    assert np.array_equal(a.eigenvalues, b.eigenvalues) and a.n_products == b.n_products


def test_power_iteration_matches_top_three():
    n = 200
    ev = 10.0 * np.arange(1, n + 1.0) ** -1.0
    h = with_spectrum(ev, 1)
    res = power_iteration(lambda v: h @ v, n, k=3, tol=1e-6)
    assert np.allclose(np.sort(res.eigenvalues)[::-1], ev[:3], rtol=1e-9)
    with pytest.raises(ConvergenceError, match="power iteration"):
        power_iteration(lambda v: h @ v, n, k=1, tol=1e-12, max_iter=3)


def test_hutchinson_is_unbiased_within_its_error():
    n = 150
    ev = np.random.default_rng(0).uniform(0, 2, n)
    h = with_spectrum(ev, 4)
    est = hutchinson_trace(lambda v: h @ v, n, samples=400, seed=1)
    assert abs(est.value - ev.sum()) <= 4 * est.stderr
    assert 0 < est.stderr < 0.1 * ev.sum()


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"k": 0}, "k must be"),
        ({"k": 11}, "k must be"),
        ({"k": 2, "block_size": 0}, "block_size"),
        ({"k": 2, "tol": 0.0}, "tol"),
    ],
)
def test_bad_arguments(kwargs, match):
    h = torch.eye(10, dtype=torch.float64)
    with pytest.raises(ValueError, match=match):
        block_lanczos(lambda v: h @ v, 10, **kwargs)


def test_noisy_products_give_eigenvalues_at_the_noise_level():
    """float32 products: the Lanczos residual estimates do not see rounding in the products
    (they converge anyway), and the eigenvalues are those of an operator perturbed by about the
    rounding level, so they are accurate to that level in absolute terms."""
    n = 200
    ev = 10.0 * np.arange(1, n + 1.0) ** -1.0
    h = with_spectrum(ev, 5)
    gen = torch.Generator().manual_seed(0)

    def noisy(v):  # relative noise 1e-6 of ||H v||-scale, coarser than float32 rounding
        return h @ v + 1e-6 * ev[0] * torch.randn(v.shape, generator=gen, dtype=v.dtype)

    res = block_lanczos(noisy, n, k=20, tol=1e-6)
    assert np.abs(res.eigenvalues - ev[:20]).max() <= 1e-4 * ev[0]
