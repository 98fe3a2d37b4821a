"""Eigensolvers for the lowest modes of a sparse positive semi-definite ANM Hessian.

Three interchangeable solvers return the ``count`` smallest eigenvalues, ascending:

``dense``
    LAPACK (``dsytrd`` + ``dsterf``) on the dense matrix: every eigenvalue,
    always available; the cheapest choice for small networks or when most modes are kept.
``sliced``
    Spectrum slicing with shift-invert Lanczos (ARPACK) on sparse ``LDL``-like factors:
    consecutive shifts each find the eigenvalues nearest to them, and the slices are
    stitched where they overlap. Work grows with the number of modes kept, not with
    ``n^3``, so it wins for large proteins when only the low end (the top of the inverse
    spectrum) is needed.
``torch``
    :func:`torch.linalg.eigvalsh` in float64 (MKL on CPU, cuSOLVER on a GPU); optional,
    imported only when asked for.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.linalg as sl
import scipy.sparse as sp
import scipy.sparse.linalg as sla

from enmspec.errors import ConvergenceError, EnmspecError

if TYPE_CHECKING:
    import torch

#: Relative residual ``||Op u - theta u|| / |theta|`` every kept shift-invert Ritz pair must reach.
SLICE_TOL = 1e-10
#: Eigenvalues per slice in the ``sliced`` solver (measured on 1A28, 4HHB, 19HC, 3HSY and
#: 7PBL: 96 was best or within 15 % of the best; 85 cost 1.3x on 4HHB, so the optimum is erratic).
SLICE_CHUNK = 96
#: ARPACK's Lanczos basis size, relative to the eigenvalues sought per slice.
NCV_FACTOR = 1.5
#: The first shift sits this far below zero, relative to the largest eigenvalue.
FIRST_SHIFT_RTOL = 1e-6
SOLVERS = ("auto", "dense", "sliced", "torch")


@dataclass(frozen=True)
class LowestModes:
    """The smallest eigenvalues of a symmetric matrix and how they were found.

    Attributes
    ----------
    eigenvalues : ndarray, shape (m,), float64
        Ascending; at least the ``count`` requested (the dense solvers return all ``n``).
    lambda_max : float
        The largest eigenvalue (used for the relative zero-mode tolerance).
    solver : str
        ``"dense"``, ``"sliced"`` or ``"torch"``.
    n_slices : int
        Shifts used by the sliced solver (0 otherwise).
    n_solves : int
        Sparse triangular solves used by the sliced solver (0 otherwise).
    """

    eigenvalues: np.ndarray
    lambda_max: float
    solver: str
    n_slices: int = 0
    n_solves: int = 0


def dense_eigenvalues(hessian: sp.spmatrix | np.ndarray, *, overwrite: bool = False) -> LowestModes:
    """All eigenvalues by LAPACK: ``dsytrd`` (Householder tridiagonal) then ``dsterf`` (QL/QR).

    This is what :func:`scipy.linalg.eigh` does for ``eigvals_only`` (``dsyevd`` calls the same
    two routines), without its wrapper and workspace query and with a smaller block for small
    matrices (:func:`sytrd_block`), the same eigenvalues to rounding. For every-eigenvalue
    problems ``dsterf`` was faster than MRRR (``dstemr``) and bisection (``dstebz``), even for
    a tenth of the spectrum (measured on the GNM of 1HVR to 19HC, 2026-12-02).

    Parameters
    ----------
    hessian : sparse matrix or ndarray, shape (m, m), float64
        The symmetric matrix (ANM Hessian or GNM Kirchhoff matrix); left unchanged unless
        ``overwrite``.
    overwrite : bool
        Let the reduction work in a dense float64 ``hessian`` itself (C or Fortran order)
        instead of a copy; its contents are then lost. Saves a copy and its memory.

    Returns
    -------
    LowestModes
        Every eigenvalue, ascending.

    Raises
    ------
    ConvergenceError
        ``dsterf`` did not converge.
    """
    owned = overwrite and isinstance(hessian, np.ndarray) and hessian.dtype == np.float64
    if sp.issparse(hessian):
        matrix = hessian.toarray(order="F")
    elif owned and hessian.flags.f_contiguous:
        matrix = hessian
    elif owned and hessian.flags.c_contiguous:
        matrix = hessian.T  # symmetric: the same matrix, in Fortran order
    else:
        matrix = np.array(hessian, dtype=np.float64, order="F")
    w = _tridiagonal_eigenvalues(matrix)
    return LowestModes(eigenvalues=w, lambda_max=float(w[-1]), solver="dense")


def _tridiagonal_eigenvalues(matrix: np.ndarray) -> np.ndarray:
    """Eigenvalues of a dense symmetric ``matrix`` (overwritten), ascending."""
    n = matrix.shape[0]
    if n == 1:  # scipy's dsterf wrapper refuses an empty off-diagonal
        return matrix.reshape(1).copy()
    sytrd, sterf = _sytrd_sterf()
    _, d, e, _, info = sytrd(matrix, lower=1, lwork=sytrd_block(n) * n, overwrite_a=1)
    if info != 0:
        raise ValueError(f"dsytrd: illegal argument {-info}")
    w, info = sterf(d, e, overwrite_d=1, overwrite_e=1)
    if info != 0:
        raise ConvergenceError(f"dsterf: {info} off-diagonal elements did not converge")
    return w


@functools.cache
def _sytrd_sterf() -> tuple:
    """LAPACK's double-precision ``dsytrd`` and ``dsterf``, looked up once (26 us a lookup cold)."""
    return tuple(sl.get_lapack_funcs(("sytrd", "sterf"), dtype=np.float64))


def sytrd_block(n: int) -> int:
    """Block size for ``dsytrd`` at order ``n``: 8 below 700, 16 below 1,800, 32 (LAPACK's) beyond.

    ``dsytrd`` takes its block size from the workspace it is given (``lwork // n``). LAPACK's
    own choice, 32, is never faster: with one OpenBLAS thread a block of 8 took 10-21 % less
    time from 100 to 600, 16 took 5-6 % less at 800-1,000 and the same from 1,300 on
    (``bench/bench_dense_path.py``, 2026-12-02; the same reduction, blocked differently).
    """
    if n < 700:
        return 8
    if n < 1800:
        return 16
    return 32


def solver_for_device(solver: str, device: str | None) -> str:
    """The solver a torch ``device`` implies: ``auto`` becomes ``torch``; others are an error."""
    if device is None:
        return solver
    if solver in ("auto", "torch"):
        return "torch"
    raise ValueError(f"device={device!r} needs solver 'torch' (or 'auto'), got {solver!r}")


def torch_device(device: str | None = None) -> torch.device:
    """``torch.device`` for ``device`` (default: CUDA when torch sees a GPU, else the CPU).

    A device torch cannot use is an :class:`EnmspecError` naming it, not a silent fall back
    to the CPU.
    """
    try:
        import torch
    except ImportError:
        raise EnmspecError(
            "solver='torch' needs PyTorch; install it with `pip install hessian-spectra[torch]`"
        ) from None
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        target = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise EnmspecError(f"device {device!r} is not a torch device: {exc}") from None
    if target.type == "cuda" and not torch.cuda.is_available():
        raise EnmspecError(
            f"device {device!r} asked for, but torch {torch.__version__} sees no CUDA device "
            "(a CPU-only build, or no GPU on this machine)"
        )
    return target


def torch_eigenvalues(hessian: sp.spmatrix | np.ndarray, *, device: str | None = None) -> LowestModes:
    """All eigenvalues by :func:`torch.linalg.eigvalsh` in float64 on :func:`torch_device`.

    Parameters
    ----------
    hessian : sparse matrix or ndarray, shape (3n, 3n), float64
        The symmetric ANM Hessian.
    device : str, optional
        Torch device (default: CUDA when torch sees a GPU).

    Returns
    -------
    LowestModes
        Every eigenvalue, ascending.
    """
    import torch

    target = torch_device(device)
    matrix = hessian.toarray() if sp.issparse(hessian) else np.asarray(hessian, dtype=np.float64)
    w = torch.linalg.eigvalsh(torch.from_numpy(matrix).to(target)).cpu().numpy()
    return LowestModes(eigenvalues=w.astype(np.float64), lambda_max=float(w[-1]), solver="torch")


def largest_eigenvalue(
    hessian: sp.spmatrix | np.ndarray, rng: np.random.Generator, *, steps: int = 40
) -> float:
    """The largest eigenvalue of a symmetric matrix, from a short Lanczos run.

    ``steps`` Lanczos steps with full reorthogonalisation; the largest Ritz value is a lower
    bound that converges fast at the edge of the spectrum (relative error well below 1e-6
    after 40 steps on ANM Hessians). It only scales the zero-mode tolerance, which has six
    orders of magnitude of margin, so no tighter value is needed. ARPACK's ``eigsh`` for the
    same number costs several times more on matrices of a few thousand rows.
    """
    from scipy.linalg import eigh_tridiagonal

    n = hessian.shape[0]
    steps = min(steps, n)
    basis = np.empty((steps, n))
    alpha = np.empty(steps)
    beta = np.empty(steps)
    q = rng.standard_normal(n)
    q /= np.linalg.norm(q)
    m = steps
    for j in range(steps):
        basis[j] = q
        w = hessian @ q
        done = basis[: j + 1]
        h = done @ w
        w -= done.T @ h
        h2 = done @ w
        w -= done.T @ h2
        alpha[j] = h[j] + h2[j]
        beta[j] = np.linalg.norm(w)
        if beta[j] <= 1e-12 * abs(alpha[j]):
            m = j + 1
            break
        q = w / beta[j]
    theta = eigh_tridiagonal(alpha[:m], beta[: m - 1], eigvals_only=True)
    return float(theta[-1])


class _Slice:
    """Eigenvalues of ``hessian`` nearest to ``shift``, by Lanczos on ``(H - shift I)^-1``."""

    def __init__(self, hessian: sp.csc_matrix, shift: float, count: int, rng: np.random.Generator):
        n = hessian.shape[0]
        shifted = (hessian - shift * sp.identity(n, format="csc")).tocsc()
        # Symmetric ordering and no pivoting: SuperLU then behaves like a sparse LDL^T,
        # with half the fill of its default COLAMD ordering on ANM Hessians.
        try:
            lu = sla.splu(
                shifted,
                permc_spec="MMD_AT_PLUS_A",
                diag_pivot_thresh=0.0,
                options={"SymmetricMode": True},
            )
        except RuntimeError:  # exactly singular at this shift: let SuperLU pivot
            lu = sla.splu(shifted)
        self.n_solves = 0

        def solve(x: np.ndarray) -> np.ndarray:
            self.n_solves += 1
            return lu.solve(np.asarray(x, dtype=np.float64))

        op = sla.LinearOperator((n, n), matvec=solve, dtype=np.float64)
        count = min(count, n - 2)
        ncv = min(n, max(int(NCV_FACTOR * count) + 1, count + 24))
        try:
            theta = sla.eigsh(
                op,
                k=count,
                which="LM",
                ncv=ncv,
                tol=SLICE_TOL,
                v0=rng.standard_normal(n),
                maxiter=100 * n,
                return_eigenvectors=False,
            )
        except sla.ArpackNoConvergence as exc:
            raise ConvergenceError(
                f"shift-invert Lanczos at shift {shift:.6g} converged {len(exc.eigenvalues)} of "
                f"{count} eigenvalues"
            ) from None
        self.shift = shift
        self.values = np.sort(shift + 1.0 / theta)
        self.radius = float(np.max(np.abs(self.values - shift)))


def sliced_eigenvalues(
    hessian: sp.spmatrix,
    count: int,
    *,
    zero_rtol: float,
    chunk: int = SLICE_CHUNK,
    seed: int = 0,
) -> LowestModes:
    """The ``count`` smallest nonzero eigenvalues (and all zero ones) by spectrum slicing.

    Parameters
    ----------
    hessian : sparse matrix, shape (n, n), float64
        Symmetric positive semi-definite.
    count : int
        Number of nonzero eigenvalues wanted (``>= 1``).
    zero_rtol : float
        Eigenvalues below ``zero_rtol * lambda_max`` are zero modes; they are returned
        in addition to the ``count`` nonzero ones.
    chunk : int
        Eigenvalues sought per shift.
    seed : int
        Seeds the Lanczos start vectors (results do not depend on it beyond round-off).

    Returns
    -------
    LowestModes
        ``eigenvalues`` ascending: every zero mode, then at least ``count`` nonzero ones,
        contiguous (no eigenvalue below the largest returned one is missing).

    Notes
    -----
    Each slice ``j`` finds the ``chunk`` eigenvalues nearest to a shift ``s_j``, so it
    covers the interval ``[s_j - r_j, s_j + r_j]`` completely (``r_j`` the largest distance
    found). The next shift is placed so that its interval overlaps the covered range by
    about a tenth of a chunk; the two slices are joined in the widest spectral gap inside
    the overlap, so no eigenvalue is lost or counted twice. The first shift sits just
    below zero, where the matrix is positive definite.
    """
    h = sp.csc_matrix(hessian, dtype=np.float64)
    n = h.shape[0]
    rng = np.random.default_rng(seed)
    lambda_max = largest_eigenvalue(h, rng)
    n_slices = 0
    n_solves = 0

    # First slice: just below zero; grow it until it reaches past the zero modes.
    # One slice when the request is little more than a chunk: a second factorisation and
    # Lanczos run for a handful of values costs more than a longer first run.
    first = count + 6 if count + 6 <= 1.5 * chunk else chunk + 6
    while True:
        sl0 = _Slice(h, -FIRST_SHIFT_RTOL * lambda_max, first, rng)
        n_slices += 1
        n_solves += sl0.n_solves
        n_zero = int(np.sum(sl0.values < zero_rtol * lambda_max))
        if n_zero < sl0.values.size - 1 or first >= n - 1:
            break
        first = min(n - 1, 2 * first)
    accepted = sl0.values
    n_zero = int(np.sum(accepted < zero_rtol * lambda_max))

    while accepted.size - n_zero < count and accepted.size < n - 1:
        tail = accepted[-max(2, min(chunk // 2, accepted.size - n_zero)) :]
        spacing = (tail[-1] - tail[0]) / max(1, tail.size - 1)
        step = 0.4 * chunk * spacing
        while True:
            shift = accepted[-1] + step
            piece = _Slice(h, shift, chunk, rng)
            n_slices += 1
            n_solves += piece.n_solves
            low = shift - piece.radius
            overlap = accepted[accepted >= low]
            if overlap.size >= 3:
                break
            step *= 0.5  # too little overlap: move the shift back and try again
            if step <= 0 or n_slices > 10 * n:
                raise ConvergenceError("spectrum slicing could not make its slices overlap")
        # Join in the widest gap inside the overlap, away from every eigenvalue.
        gaps = np.diff(overlap)
        g = int(np.argmax(gaps))
        join = 0.5 * (overlap[g] + overlap[g + 1])
        accepted = np.concatenate([accepted[accepted < join], piece.values[piece.values > join]])

    return LowestModes(
        eigenvalues=accepted,
        lambda_max=lambda_max,
        solver="sliced",
        n_slices=n_slices,
        n_solves=n_solves,
    )
