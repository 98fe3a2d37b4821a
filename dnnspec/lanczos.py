"""Top eigenvalues of a symmetric operator known only by its products: block Lanczos.

Everything here takes ``matmat(V) -> H @ V`` for ``V`` of shape (n, b) (torch tensors), so it
serves the loss Hessian of :mod:`dnnspec.hvp`, a dense matrix in a test, or any user operator.

:func:`block_lanczos`
    block Lanczos with full reorthogonalisation (two passes of classical Gram-Schmidt
    against the whole basis, kept in float64), no restarts: the basis grows until each of the
    ``k`` largest Ritz values has a relative residual ``||H y - theta y|| / |theta| <= tol``
    (computed from the last block of the block-tridiagonal matrix, the standard Lanczos
    estimate), or raises :class:`~dnnspec.errors.ConvergenceError` at ``max_products``. A
    Ritz value with relative residual ``r`` is within about ``r**2 * |theta| / gap`` of an
    eigenvalue, so ``tol = 1e-5`` gives eigenvalues far more accurate than 1e-5.
    Blocks of ``b`` vectors let :func:`torch.func.vmap` batch the products (one pass over the
    data per block); ``b = 1`` is plain Lanczos.
:func:`power_iteration`
    the top few eigenpairs by power iteration with deflation: slow but independent, used
    as a check.
:func:`hutchinson_trace`
    the trace by Hutchinson's estimator with seeded Rademacher probes.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from dnnspec.errors import ConvergenceError

if TYPE_CHECKING:
    from tqdm import tqdm

log = logging.getLogger(__name__)

#: Default relative residual every kept Ritz value must reach.
RESIDUAL_RTOL = 1e-5
#: A new Krylov direction shorter than this (relative) is treated as already in the basis.
BREAKDOWN_RTOL = 1e-10

MatMat = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class LanczosResult:
    """Outcome of :func:`block_lanczos`.

    Attributes
    ----------
    eigenvalues : ndarray, shape (k,), float64
        The k largest eigenvalues, descending.
    residuals : ndarray, shape (k,), float64
        Relative residual ``||H y - theta y|| / |theta|`` of each.
    steps : int
        Block steps taken (basis size is ``steps * block_size`` at most).
    n_products : int
        Operator-vector products used.
    seconds : float
        Wall time.
    eigenvectors : Tensor or None, shape (n, k)
        Ritz vectors when asked for.
    """

    eigenvalues: np.ndarray
    residuals: np.ndarray
    steps: int
    n_products: int
    seconds: float
    eigenvectors: Tensor | None = None

    def as_dict(self) -> dict[str, str | int | float]:
        """Convergence report as plain JSON values.

        Returns
        -------
        dict
            ``solver``, ``steps``, ``n_products``, ``max_relative_residual`` and ``seconds``.
        """
        return {
            "solver": "block-lanczos",
            "steps": self.steps,
            "n_products": self.n_products,
            "max_relative_residual": float(self.residuals.max()) if self.residuals.size else 0.0,
            "seconds": round(self.seconds, 3),
        }


def _random_block(
    n: int, b: int, gen: torch.Generator, *, dtype: torch.dtype, device: str | torch.device
) -> Tensor:
    """``n x b`` standard normal entries drawn in float64 on the CPU (device-independent), then cast."""
    return torch.randn(n, b, generator=gen, dtype=torch.float64).to(dtype=dtype, device=device)


def _orthogonalize(w: Tensor, basis: Tensor) -> Tensor:
    """Remove the components of ``w`` along the (orthonormal) columns of ``basis``, twice."""
    if basis.shape[1] == 0:
        return w
    for _ in range(2):
        w = w - basis @ (basis.T @ w)
    return w


def _next_block(w: Tensor, basis: Tensor, gen: torch.Generator, scale: float) -> tuple[Tensor, Tensor]:
    """Orthonormal ``q`` spanning ``w`` beyond ``basis`` and ``b = q.T @ w``.

    Directions of ``w`` that vanish (invariant subspace found, or a rank-deficient block) are
    replaced by random ones orthogonal to everything so far; their rows of ``b`` are ~0.
    """
    n, width = w.shape
    w = _orthogonalize(w, basis)
    q, r = torch.linalg.qr(w)
    weak = torch.abs(torch.diagonal(r)) <= BREAKDOWN_RTOL * max(scale, 1e-300)
    if bool(weak.any()):
        fresh = _random_block(n, int(weak.sum()), gen, dtype=w.dtype, device=w.device)
        keep = q[:, ~weak]
        fresh = _orthogonalize(fresh, torch.cat([basis, keep], dim=1))
        fresh, _ = torch.linalg.qr(fresh)
        q = torch.cat([keep, fresh], dim=1)
    q = _orthogonalize(q, basis)
    q, _ = torch.linalg.qr(q)
    return q, q.T @ w


def _converged(theta: np.ndarray, resid: np.ndarray, *, tol: float) -> np.ndarray:
    """Which Ritz values meet ``resid <= tol * |theta|``."""
    return resid <= tol * np.abs(theta)


def _ritz(alphas: list[Tensor], betas: list[Tensor], k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-k Ritz values (descending), their eigenvectors in T, and the residual norms."""
    widths = [a.shape[0] for a in alphas]
    m = sum(widths)
    if max(widths) == 1:
        return _ritz_tridiagonal(alphas, betas, k)
    t = np.zeros((m, m))
    offsets = np.concatenate([[0], np.cumsum(widths)])
    for j, a in enumerate(alphas):
        o = offsets[j]
        t[o : o + widths[j], o : o + widths[j]] = a.cpu().numpy()
        if j + 1 < len(alphas):
            bj = betas[j].cpu().numpy()  # (w_{j+1}, w_j)
            o2 = offsets[j + 1]
            t[o2 : o2 + widths[j + 1], o : o + widths[j]] = bj
            t[o : o + widths[j], o2 : o2 + widths[j + 1]] = bj.T
    theta, s = np.linalg.eigh((t + t.T) / 2)
    order = np.argsort(theta)[::-1][:k]
    theta, s = theta[order], s[:, order]
    last = betas[len(alphas) - 1].cpu().numpy() if len(betas) >= len(alphas) else np.zeros((0, widths[-1]))
    resid = np.linalg.norm(last @ s[-widths[-1] :, :], axis=0)
    return theta, s, resid


def _ritz_tridiagonal(
    alphas: list[Tensor], betas: list[Tensor], k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`_ritz` for plain Lanczos: LAPACK's tridiagonal solver, top-k vectors only."""
    from scipy.linalg import eigh_tridiagonal

    m = len(alphas)
    diag = np.array([float(a) for a in alphas])
    off = np.array([float(b) for b in betas[: m - 1]])
    k = min(k, m)
    theta, s = eigh_tridiagonal(diag, off, select="i", select_range=(m - k, m - 1))
    order = np.argsort(theta)[::-1]
    theta, s = theta[order], s[:, order]
    last = float(betas[m - 1]) if len(betas) >= m else 0.0
    return theta, s, np.abs(last * s[-1, :])


@dataclass
class _Krylov:
    """The state of one :func:`block_lanczos` run: the basis and the block-tridiagonal matrix.

    Attributes
    ----------
    basis : Tensor, shape (n, capacity)
        Storage of the orthonormal Krylov basis; columns ``:m`` are filled.
    m : int
        Basis vectors so far.
    products : int
        Operator-vector products so far.
    scale : float
        Largest spectral norm of a diagonal block so far (the breakdown threshold's scale).
    alphas, betas : list of Tensor
        Diagonal blocks ``Q_j^T H Q_j`` and subdiagonal blocks of the block-tridiagonal matrix.
    """

    basis: Tensor
    m: int = 0
    products: int = 0
    scale: float = 0.0
    alphas: list[Tensor] = field(default_factory=list)
    betas: list[Tensor] = field(default_factory=list)


def _lanczos_budget(n: int, k: int, block_size: int, tol: float, max_products: int | None) -> int:
    """Check the arguments of :func:`block_lanczos`; the product budget."""
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and n = {n}, got {k}")
    if block_size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")
    if not 0 < tol < 1:
        raise ValueError(f"tol must be in (0, 1), got {tol}")
    budget = max_products if max_products is not None else min(n, max(6 * k, k + 200) + block_size)
    return min(budget, n + block_size)


def _tqdm(**options: object) -> tqdm:
    """A tqdm bar (imported here: progress is optional)."""
    from tqdm.auto import tqdm

    return tqdm(**options)


def _progress_bar(budget: int) -> tqdm:
    """A tqdm bar of Lanczos products, up to ``budget``."""
    from tqdm.auto import tqdm

    return tqdm(total=budget, desc="Lanczos products", unit="hvp", leave=False)


def _lanczos_step(
    matmat: MatMat, q: Tensor, krylov: _Krylov, *, block_size: int, gen: torch.Generator, bar: tqdm | None
) -> Tensor | None:
    """Add block ``q`` to the basis, multiply it, and return the next block (None: basis complete)."""
    n = krylov.basis.shape[0]
    dtype, device = krylov.basis.dtype, krylov.basis.device
    width = q.shape[1]
    m = krylov.m
    krylov.basis[:, m : m + width] = q
    m = krylov.m = m + width
    w = matmat(q).to(dtype=dtype, device=device)
    krylov.products += width
    if bar is not None:
        bar.update(width)
    a = q.T @ w
    a = (a + a.T) / 2
    alphas, betas = krylov.alphas, krylov.betas
    alphas.append(a)
    krylov.scale = max(krylov.scale, float(torch.linalg.matrix_norm(a, ord=2)))
    w = w - q @ a
    if len(betas) == len(alphas) - 1 and len(alphas) > 1:
        prev = krylov.basis[:, m - width - betas[-1].shape[1] : m - width]
        w = w - prev @ betas[-1].T
    if m >= n:
        return None
    room = min(block_size, n - m)
    w_next, b = _next_block(w, krylov.basis[:, :m], gen, krylov.scale)
    if room < width:
        w_next, b = w_next[:, :room], b[:room]
    betas.append(b)
    return w_next


def _check_ritz(
    krylov: _Krylov, *, k: int, tol: float, exhausted: bool, budget: int, bar: tqdm | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Ritz values, their vectors in T, residual norms, and whether all ``k`` converged.

    Raises :class:`~dnnspec.errors.ConvergenceError` when the budget is spent first.
    """
    theta, s, resid = _ritz(krylov.alphas, krylov.betas, min(k, krylov.m))
    if exhausted:
        resid = np.zeros_like(theta)
    ok = _converged(theta, resid, tol=tol)
    done = theta.size == k and bool(ok.all())
    log.debug(
        "lanczos m=%d products=%d converged %d/%d, max residual/theta_1 %.2e",
        krylov.m,
        krylov.products,
        int(ok.sum()),
        k,
        resid.max() / max(abs(theta[0]), 1e-300),
    )
    if bar is not None:
        bar.set_postfix(converged=f"{int(ok.sum())}/{k}")
    if not (done or exhausted) and krylov.products >= budget:
        raise ConvergenceError(
            f"block Lanczos: only {int(ok.sum())} of the top {k} eigenvalues reached "
            f"relative residual {tol:g} after {krylov.products} products (max {budget}); "
            f"raise max_products",
            n_converged=int(ok.sum()),
            steps=len(krylov.alphas),
        )
    return theta, s, resid, done


def _next_check(m: int, block_size: int) -> int:
    """Basis size at which to compute the Ritz values next.

    Plain Lanczos: the tridiagonal check is O(m k), so look often (overshoot <= 3 %); blocks:
    a dense eigendecomposition of T, O(m^3), so every 15 %.
    """
    return m + max(block_size, int((0.03 if block_size == 1 else 0.15) * m))


def block_lanczos(
    matmat: MatMat,
    n: int,
    *,
    k: int,
    block_size: int = 1,
    tol: float = RESIDUAL_RTOL,
    max_products: int | None = None,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    device: str | torch.device = "cpu",
    return_vectors: bool = False,
    progress: bool = False,
) -> LanczosResult:
    """The ``k`` largest eigenvalues of a symmetric operator by block Lanczos.

    Parameters
    ----------
    matmat : callable
        ``matmat(V)`` returns ``H @ V`` for ``V`` of shape (n, b); ``H`` symmetric.
    n : int
        Dimension of ``H``.
    k : int
        Eigenvalues wanted, ``1 <= k <= n``.
    block_size : int
        Vectors per product call (1: plain Lanczos).
    tol : float
        Relative residual each of the top ``k`` Ritz values must reach.
    max_products : int, optional
        Budget of products; default ``min(n, max(6 k, k + 200) + block_size)``.
    seed : int
        Seeds the random start block.
    dtype : torch.dtype
        Of the Krylov basis (float64 recommended); products see vectors in this dtype.
    device : str or torch.device
        Where the Krylov basis lives.
    return_vectors : bool
        Also return the Ritz vectors (costs one (n, m) @ (m, k) product).
    progress : bool
        Show a tqdm bar of products.

    Returns
    -------
    LanczosResult
        The top ``k`` eigenvalues (descending), their relative residuals, the work done and,
        with ``return_vectors``, the Ritz vectors.

    Raises
    ------
    ConvergenceError
        When ``max_products`` is spent before all ``k`` Ritz values converged.
    ValueError
        Bad ``k``, ``n``, ``block_size`` or ``tol``.

    Examples
    --------
    >>> import torch
    >>> h = torch.diag(torch.arange(1.0, 51.0, dtype=torch.float64))
    >>> block_lanczos(lambda v: h @ v, 50, k=3).eigenvalues.round(8)
    array([50., 49., 48.])
    """
    budget = _lanczos_budget(n, k, block_size, tol, max_products)
    start = time.perf_counter()
    gen = torch.Generator().manual_seed(seed)
    device = torch.device(device)
    krylov = _Krylov(torch.empty(n, min(n, budget) + block_size, dtype=dtype, device=device))
    q = _random_block(n, min(block_size, n), gen, dtype=dtype, device=device)
    q, _ = torch.linalg.qr(q)
    next_check = max(k + block_size, 2 * block_size)
    bar = _progress_bar(budget) if progress else None
    try:
        while True:
            q_next = _lanczos_step(matmat, q, krylov, block_size=block_size, gen=gen, bar=bar)
            exhausted = q_next is None
            if exhausted or krylov.m >= next_check or krylov.products >= budget:
                theta, s, resid, done = _check_ritz(
                    krylov, k=k, tol=tol, exhausted=exhausted, budget=budget, bar=bar
                )
                if done or exhausted:
                    break
                next_check = _next_check(krylov.m, block_size)
            q = q_next
    finally:
        if bar is not None:
            bar.close()
    return _lanczos_result(krylov, theta, s, resid, k=k, start=start, return_vectors=return_vectors)


def _lanczos_result(
    krylov: _Krylov,
    theta: np.ndarray,
    s: np.ndarray,
    resid: np.ndarray,
    *,
    k: int,
    start: float,
    return_vectors: bool,
) -> LanczosResult:
    """The :class:`LanczosResult` of a finished run (relative residuals, Ritz vectors if asked)."""
    if theta.size < k:
        raise ConvergenceError(
            f"block Lanczos: Krylov space of dimension {krylov.m} < k = {k}", steps=len(krylov.alphas)
        )
    rel = resid / np.maximum(np.abs(theta), np.finfo(float).tiny)
    vectors = None
    if return_vectors:
        basis = krylov.basis[:, : krylov.m]
        vectors = basis @ torch.as_tensor(s, dtype=basis.dtype, device=basis.device)
    return LanczosResult(
        eigenvalues=theta.copy(),
        residuals=rel,
        steps=len(krylov.alphas),
        n_products=krylov.products,
        seconds=time.perf_counter() - start,
        eigenvectors=vectors,
    )


@dataclass(frozen=True)
class PowerIterationResult:
    """Outcome of :func:`power_iteration`.

    Attributes
    ----------
    eigenvalues : ndarray, shape (k,), float64
        Eigenvalues in the order found (largest magnitude first).
    residuals : ndarray, shape (k,), float64
        Relative residual ``||H v - theta v|| / |theta|`` of each.
    iterations : tuple of int
        Iterations each eigenpair took.
    n_products : int
        Operator-vector products used.
    """

    eigenvalues: np.ndarray
    residuals: np.ndarray
    iterations: tuple[int, ...]
    n_products: int


def power_iteration(
    matmat: MatMat,
    n: int,
    *,
    k: int = 3,
    tol: float = 1e-4,
    max_iter: int = 2000,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    device: str | torch.device = "cpu",
    progress: bool = False,
) -> PowerIterationResult:
    """The ``k`` eigenvalues of largest magnitude by power iteration with deflation.

    Each eigenpair is iterated on ``H - sum_j theta_j v_j v_j^T`` (earlier pairs deflated)
    until the relative residual ``||H v - theta v|| / |theta|`` is below ``tol``. Independent
    of :func:`block_lanczos`, hence a check of its top values (for a loss Hessian the largest
    eigenvalues dominate the negative ones in magnitude).

    Parameters
    ----------
    matmat : callable
        ``matmat(V)`` returns ``H @ V`` for ``V`` of shape (n, b); ``H`` symmetric.
    n : int
        Dimension of ``H``.
    k : int
        Eigenpairs wanted, ``1 <= k <= n``.
    tol : float
        Relative residual each eigenpair must reach.
    max_iter : int
        Iterations allowed per eigenpair.
    seed : int
        Seeds the random start vectors.
    dtype : torch.dtype
        Of the iterated vectors.
    device : str or torch.device
        Where the vectors live.
    progress : bool
        A progress bar of the eigenpairs (with the current residual).

    Returns
    -------
    PowerIterationResult
        The eigenvalues in the order found, their relative residuals and the work done.

    Raises
    ------
    ConvergenceError
        When an eigenpair does not converge within ``max_iter`` iterations.
    """
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and n = {n}, got {k}")
    gen = torch.Generator().manual_seed(seed)
    found_vals: list[float] = []
    found_vecs: list[Tensor] = []
    residuals, iterations, products = [], [], 0
    bar = _tqdm(total=k, unit="pair", desc="power-iteration check", leave=False) if progress else None
    for i in range(k):
        v = _random_block(n, 1, gen, dtype=dtype, device=device)[:, 0]
        v = v / torch.linalg.norm(v)
        theta, rel = 0.0, math.inf
        for iteration in range(1, max_iter + 1):  # noqa: B007 (read after the loop)
            hv = matmat(v.reshape(-1, 1)).to(dtype=dtype, device=device)[:, 0]
            products += 1
            for val, vec in zip(found_vals, found_vecs, strict=True):
                hv = hv - val * (vec @ v) * vec
            theta = float(v @ hv)
            rel = float(torch.linalg.norm(hv - theta * v)) / max(abs(theta), np.finfo(float).tiny)
            if rel <= tol:
                break
            if bar is not None and iteration % 10 == 0:
                bar.set_postfix(residual=f"{rel:.1e}", iterations=iteration)
            v = hv / torch.linalg.norm(hv)
        else:
            if bar is not None:
                bar.close()
            raise ConvergenceError(
                f"power iteration: eigenvalue {i + 1} reached relative residual {rel:.2e} > {tol:g} "
                f"after {max_iter} iterations",
                n_converged=i,
                steps=max_iter,
            )
        found_vals.append(theta)
        found_vecs.append(v)
        residuals.append(rel)
        iterations.append(iteration)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return PowerIterationResult(
        eigenvalues=np.array(found_vals),
        residuals=np.array(residuals),
        iterations=tuple(iterations),
        n_products=products,
    )


@dataclass(frozen=True)
class TraceEstimate:
    """Hutchinson estimate of a trace.

    Attributes
    ----------
    value : float
        Mean of ``z^T H z`` over the probes.
    stderr : float
        Its standard error (sample standard deviation over ``sqrt(samples)``).
    samples : int
        Probes used.
    """

    value: float
    stderr: float
    samples: int


def hutchinson_trace(
    matmat: MatMat,
    n: int,
    *,
    samples: int = 64,
    block_size: int = 16,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    device: str | torch.device = "cpu",
    progress: bool = False,
) -> TraceEstimate:
    """Hutchinson's trace estimator ``mean(z^T H z)`` with seeded Rademacher probes ``z``.

    Parameters
    ----------
    matmat : callable
        ``matmat(V)`` returns ``H @ V`` for ``V`` of shape (n, b).
    n : int
        Dimension of ``H``.
    samples : int
        Probes, >= 2 (for a standard error).
    block_size : int
        Probes per product call.
    seed : int
        Seeds the probes.
    dtype : torch.dtype
        Of the probe vectors.
    device : str or torch.device
        Where the probes live.
    progress : bool
        A progress bar of the probes.

    Returns
    -------
    TraceEstimate
        The estimate, its standard error and the number of probes.
    """
    if samples < 2:
        raise ValueError(f"samples must be >= 2 for a standard error, got {samples}")
    gen = torch.Generator().manual_seed(seed)
    quads = []
    bar = _tqdm(total=samples, unit="probe", desc="Hutchinson trace", leave=False) if progress else None
    for start in range(0, samples, block_size):
        b = min(block_size, samples - start)
        z = (torch.randint(0, 2, (n, b), generator=gen) * 2 - 1).to(dtype=dtype, device=device)
        hz = matmat(z).to(dtype=dtype, device=device)
        quads.append((z * hz).sum(0).cpu().numpy())
        if bar is not None:
            bar.update(b)
    if bar is not None:
        bar.close()
    q = np.concatenate(quads)
    stderr = float(q.std(ddof=1) / math.sqrt(q.size))
    return TraceEstimate(value=float(q.mean()), stderr=stderr, samples=samples)
