"""The eigensolvers agree with LAPACK on real ANM Hessians."""

from __future__ import annotations

import numpy as np
import pytest

from enmspec import anm_hessian, load_structure
from enmspec.eigen import dense_eigenvalues, sliced_eigenvalues


@pytest.fixture(scope="module")
def hessian_3hsy(pdb_3hsy):
    return anm_hessian(load_structure(pdb_3hsy).coords)


@pytest.fixture(scope="module")
def eigenvalues_3hsy(hessian_3hsy):
    return np.linalg.eigvalsh(hessian_3hsy.toarray())


@pytest.mark.parametrize("count,chunk", [(218, 96), (60, 24), (300, 64)])
def test_sliced_equals_dense(hessian_3hsy, eigenvalues_3hsy, count, chunk):
    ref = eigenvalues_3hsy
    got = sliced_eigenvalues(hessian_3hsy, count, zero_rtol=1e-9, chunk=chunk)
    lam = got.eigenvalues
    assert np.sum(lam < 1e-9 * got.lambda_max) == 6
    assert lam.size >= count + 6
    # contiguous from the bottom: exactly the smallest eigenvalues, none missing or doubled
    np.testing.assert_allclose(lam[6:], ref[6 : lam.size], rtol=1e-9)
    assert got.lambda_max == pytest.approx(ref[-1], rel=1e-5)
    assert got.n_slices >= 1 and got.n_solves > 0


def test_sliced_counts_extra_zero_modes():
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 25, size=(250, 3))
    coords = np.vstack([a, a + [200.0, 0, 0]])  # two identical, disconnected copies
    h = anm_hessian(coords, cutoff=9.0)
    ref = np.linalg.eigvalsh(h.toarray())
    n_zero_ref = int(np.sum(ref < 1e-9 * ref[-1]))
    got = sliced_eigenvalues(h, 40, zero_rtol=1e-9, chunk=32)
    assert np.sum(got.eigenvalues < 1e-9 * got.lambda_max) == n_zero_ref >= 12
    # every nonzero eigenvalue of the two copies is double: slicing must keep both copies
    np.testing.assert_allclose(
        got.eigenvalues[n_zero_ref : n_zero_ref + 40], ref[n_zero_ref : n_zero_ref + 40], rtol=1e-8
    )


def test_dense_returns_everything(pdb_1pwc):
    h = anm_hessian(load_structure(pdb_1pwc).coords)
    got = dense_eigenvalues(h)
    assert got.eigenvalues.size == h.shape[0]
    assert got.solver == "dense"
    np.testing.assert_allclose(got.eigenvalues, np.linalg.eigvalsh(h.toarray()), rtol=0, atol=1e-12)


def test_dense_leaves_its_input_and_takes_any_layout(pdb_1pwc):
    """``dsytrd`` + ``dsterf`` on a copy: C or Fortran order, the caller's array unchanged."""
    h = anm_hessian(load_structure(pdb_1pwc).coords).toarray()
    before = h.copy()
    ref = np.linalg.eigvalsh(h)
    for matrix in (h, np.asfortranarray(h)):
        got = dense_eigenvalues(matrix).eigenvalues
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * ref[-1])
    np.testing.assert_array_equal(h, before)
    assert dense_eigenvalues(np.array([[2.5]])).eigenvalues.tolist() == [2.5]
    for matrix in (h.copy(), np.asfortranarray(h), h.astype(np.float32)):
        got = dense_eigenvalues(matrix, overwrite=True).eigenvalues
        tol = 1e-12 if matrix.dtype == np.float64 else 1e-6
        np.testing.assert_allclose(got, ref, rtol=0, atol=tol * ref[-1])


@pytest.mark.parametrize("block", [1, 2, 8, 16, 32, 64])
def test_dense_is_the_same_for_any_dsytrd_block(pdb_1pwc, monkeypatch, block):
    """The block size only reorders the reduction: every block gives LAPACK's eigenvalues."""
    import enmspec.eigen as eigen

    h = anm_hessian(load_structure(pdb_1pwc).coords, cutoff=7.0).toarray()[:450, :450]
    ref = np.linalg.eigvalsh(h)
    monkeypatch.setattr(eigen, "sytrd_block", lambda n: block)
    got = dense_eigenvalues(h).eigenvalues
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * ref[-1])


def test_dsytrd_block_rule():
    from enmspec.eigen import sytrd_block

    assert [sytrd_block(n) for n in (2, 699, 700, 1799, 1800, 5000)] == [8, 8, 16, 16, 32, 32]


def test_gnm_takes_the_sliced_solver_from_fewer_nodes():
    """The measured crossovers: 600 nodes for a Kirchhoff matrix, 1,500 degrees of freedom for ANM."""
    from enmspec.spectrum import SLICED_MIN_DOF_GNM, _choose_solver

    assert _choose_solver("auto", SLICED_MIN_DOF_GNM, 60, 7.3, dof_per_node=1) == "sliced"
    assert _choose_solver("auto", SLICED_MIN_DOF_GNM - 1, 60, 7.3, dof_per_node=1) == "dense"
    assert _choose_solver("auto", SLICED_MIN_DOF_GNM, 60, 7.3, dof_per_node=3) == "dense"
    assert _choose_solver("auto", 900, 90, 12.0, dof_per_node=1) == "dense"


def test_torch_backend_matches_dense(pdb_1pwc):
    pytest.importorskip("torch")
    from enmspec.eigen import torch_eigenvalues

    h = anm_hessian(load_structure(pdb_1pwc).coords)
    got = torch_eigenvalues(h, device="cpu")
    assert got.solver == "torch" and got.eigenvalues.dtype == np.float64
    np.testing.assert_allclose(got.eigenvalues, np.linalg.eigvalsh(h.toarray()), rtol=0, atol=1e-11)


def test_device_selects_torch_and_names_a_missing_gpu(pdb_1pwc):
    torch = pytest.importorskip("torch")
    from enmspec import inverse_spectrum
    from enmspec.errors import EnmspecError

    structure = load_structure(pdb_1pwc)
    ref = inverse_spectrum(structure, fraction=0.1, solver="dense")
    got = inverse_spectrum(structure, fraction=0.1, device="cpu")
    assert got.meta["solver"] == "torch"
    np.testing.assert_allclose(got.values, ref.values, rtol=1e-9)
    with pytest.raises(ValueError, match="needs solver 'torch'"):
        inverse_spectrum(structure, fraction=0.1, solver="sliced", device="cpu")
    with pytest.raises(EnmspecError, match="not a torch device"):
        inverse_spectrum(structure, fraction=0.1, device="gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(EnmspecError, match="'cuda' asked for, but torch .* sees no CUDA device"):
            inverse_spectrum(structure, fraction=0.1, device="cuda")
