"""Hessian-vector products against dense Hessians from torch.func.hessian on tiny networks."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from dnnspec.hvp import dense_hessian, loss_hessian, split_chunks  # noqa: E402
from dnnspec.spectrum import hessian_spectrum  # noqa: E402


def tiny_problem(seed: int = 0, n: int = 60):
    """A 5-8-3 tanh MLP (75 parameters) on random data, float64."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    x = torch.randn(n, 5, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (n,), generator=g)
    return model, x, y


def reference_hessian(model, x, y) -> np.ndarray:
    """Dense Hessian of the mean loss over all of (x, y) with torch.func.hessian."""
    from torch.func import functional_call, hessian

    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    sizes = [p.numel() for _, p in model.named_parameters()]
    flat = torch.cat([p.detach().reshape(-1) for _, p in model.named_parameters()])

    def loss(w):
        params = {n: t.view(s) for n, t, s in zip(names, torch.split(w, sizes), shapes, strict=True)}
        return F.cross_entropy(functional_call(model, params, (x,)), y)

    return hessian(loss)(flat).numpy()


@pytest.mark.parametrize("method", ["func", "graph"])
@pytest.mark.parametrize("chunk", [60, 7])
def test_dense_hessian_from_products_equals_torch_func_hessian(method, chunk):
    model, x, y = tiny_problem()
    op = loss_hessian(model, F.cross_entropy, split_chunks(x, y, chunk_size=chunk), method=method)
    assert op.n_params == 75 and op.n_samples == 60
    ref = reference_hessian(model, x, y)
    # the products themselves, H e_i column by column: dense_hessian symmetrises, which would hide
    # an error of the products that is antisymmetric (a transposed block, a wrong sign off the diagonal)
    raw = op.matmat(torch.eye(op.n_params, dtype=torch.float64)).numpy()
    assert np.abs(raw - ref).max() <= 1e-12 * np.abs(ref).max()
    h = dense_hessian(op, block_size=16).numpy()
    np.testing.assert_allclose(h, (raw + raw.T) / 2, rtol=0, atol=1e-14 * np.abs(ref).max())


def test_products_are_deterministic_and_linear():
    model, x, y = tiny_problem(1)
    op = loss_hessian(model, F.cross_entropy, (x, y))
    g = torch.Generator().manual_seed(3)
    v = torch.randn(op.n_params, 4, generator=g, dtype=torch.float64)
    a, b = op.matmat(v), op.matmat(v)
    assert torch.equal(a, b)
    # a vmap'd block equals the columns one at a time
    cols = torch.stack([op.matvec(v[:, j]) for j in range(4)], dim=1)
    assert torch.allclose(a, cols, rtol=1e-12, atol=1e-14)
    assert op.n_products == 12


def test_model_is_not_modified_and_keeps_train_mode():
    model, x, y = tiny_problem(2)
    model.train()
    before = [p.detach().clone() for p in model.parameters()]
    hessian_spectrum(model, F.cross_entropy, (x, y), k=5, block_size=4)
    assert model.training
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before, strict=True))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_top_k_equals_dense_eigenvalues(seed):
    model, x, y = tiny_problem(seed)
    ref = np.sort(np.linalg.eigvalsh(reference_hessian(model, x, y)))[::-1]
    spec = hessian_spectrum(
        model,
        F.cross_entropy,
        split_chunks(x, y, chunk_size=25),
        k=20,
        block_size=4,
        power_check=2,
        trace_samples=32,
    )
    k = len(spec.values)
    assert k == int((ref[:20] > 0).sum())
    assert np.abs(spec.values - ref[:k]).max() <= 1e-8 * ref[0]
    assert spec.kind == "network"
    assert spec.meta["n_params"] == 75
    assert spec.meta["max_relative_residual"] <= 1e-5
    assert spec.meta["power_check"]["max_relative_difference"] < 1e-3
    # Hutchinson's estimate within 4 standard errors of the exact trace
    assert abs(spec.meta["trace"] - ref.sum()) <= 4 * spec.meta["trace_stderr"]


def test_data_loader_gives_the_same_spectrum_as_tensors():
    model, x, y = tiny_problem(3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16, shuffle=False)
    a = hessian_spectrum(model, F.cross_entropy, loader, k=8, block_size=2)
    b = hessian_spectrum(model, F.cross_entropy, (x, y), k=8, block_size=2)
    assert a.meta["n_samples"] == 60
    assert np.allclose(a.values, b.values, rtol=1e-10)


def test_float32_products_agree_with_float64():
    model, x, y = tiny_problem(4)
    ref = hessian_spectrum(model, F.cross_entropy, (x, y), k=10, block_size=4)
    low = hessian_spectrum(model.float(), F.cross_entropy, (x.float(), y), k=10, block_size=4, tol=1e-3)
    assert low.meta["hvp_dtype"] == "float32"
    assert np.abs(low.values - ref.values).max() <= 1e-4 * ref.values[0]


def test_nan_loss_is_a_clear_error():
    model, x, y = tiny_problem()
    with torch.no_grad():
        model[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="training loss is nan on data chunk 0"):
        hessian_spectrum(model, F.cross_entropy, (x, y), k=3)


def test_bad_arguments():
    model, x, y = tiny_problem()
    with pytest.raises(ValueError, match="method"):
        loss_hessian(model, F.cross_entropy, (x, y), method="magic")
    with pytest.raises(ValueError, match="exceeds the number of parameters"):
        hessian_spectrum(model, F.cross_entropy, (x, y), k=500)
    with pytest.raises(ValueError, match="no samples"):
        loss_hessian(model, F.cross_entropy, [])
    with pytest.raises(TypeError, match=r"\(x, y\) pairs"):
        loss_hessian(model, F.cross_entropy, [x])
