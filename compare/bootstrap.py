"""Goodness-of-fit p-values of a power-law fit, and percentile intervals of its exponent.

The p-value is the fraction of synthetic data sets, drawn from the fitted law, whose KS distance
(computed exactly as for the data) is at least the observed one (Clauset, Shalizi and Newman
2009, section 4.1). Which synthetic sets depends on how x_min was chosen (``fit.xmin_method``):

* ``"fixed"`` (K or a fraction chosen a priori): K values from the fitted law, beta refitted with
  x_min = the K-th value. For the continuous law this null is free of beta and x_min
  (:func:`compare.ks_null_distribution`); for the discrete law it is simulated.
* ``"scanned"`` (x_min chosen by :func:`compare.scan_xmin`): CSN's semi-parametric bootstrap. Each
  synthetic set has the data's size n; each of its values comes with probability ``n_tail / n``
  from the fitted law above x_min, else uniformly from the observed values below x_min; x_min is
  then re-estimated on it by the same scan (same ``k_min``, ``ks``, ``discrete``, ``grid``). Choosing
  x_min by least distance lowers the distance, so a fixed-K null gives p-values that are too high
  after a scan (by 0.2 to 0.4 on CSN's data sets).

Replicates are seeded from ``numpy.random.SeedSequence(seed).spawn(n_sim)`` (replicate i always
gets the i-th child), so a result does not depend on ``jobs``; blocks of replicates run in
joblib workers, with a tqdm progress bar on request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from compare.discrete import sample_discrete_power_law
from compare.fit import PowerLawFit, fit_power_law, resolve_k
from compare.ks import ks_null_distribution
from compare.scan import scan_xmin
from compare.spectrum import validate_values
from compare.validation import Interval, check_scalar

if TYPE_CHECKING:
    import numpy.typing as npt

#: The null of each ``xmin_method``, in words (report and CLI).
NULL_NAMES: dict[str, str] = {
    "fixed": "fixed-K null (x_min fixed, beta refitted)",
    "scanned": "semi-parametric null (x_min re-scanned, CSN 4.1)",
}
#: Short labels of the nulls, for table columns.
NULL_LABELS: dict[str, str] = {"fixed": "fixed-K", "scanned": "x_min re-scanned"}
#: Replicates per joblib task (several per worker keep the overhead small).
_BLOCKS_PER_JOB = 4


@dataclass(frozen=True)
class GoodnessOfFit:
    """Result of :func:`goodness_of_fit`.

    Attributes
    ----------
    p_value : float
        Fraction of synthetic distances at or above ``d_ks``.
    null : {"fixed", "scanned"}
        The null used (the fit's ``xmin_method``): see :data:`NULL_NAMES`.
    d_ks : float
        The observed distance.
    n_sim : int
        Synthetic sets whose distance counted (a synthetic set with no tail to fit is dropped).
    distances : ndarray, shape (n_sim,), float64
        The synthetic distances, in replicate order (sorted for the fixed continuous null).
    seed : int
        Seed of the replicates.
    """

    p_value: float
    null: str
    d_ks: float
    n_sim: int
    distances: np.ndarray
    seed: int

    @property
    def description(self) -> str:
        """The null in words (:data:`NULL_NAMES`)."""
        return NULL_NAMES[self.null]


@dataclass(frozen=True)
class _Null:
    """What one synthetic set needs: the law, the body below x_min and the scan's settings."""

    n: int
    k: int
    beta: float
    x_min: float
    body: np.ndarray
    discrete: bool
    ks: str
    scanned: bool
    k_min: int
    grid: int | None


def goodness_of_fit(
    fit: PowerLawFit,
    *,
    values: npt.ArrayLike | None = None,
    n_sim: int = 2000,
    seed: int = 0,
    jobs: int = 1,
    progress: bool = False,
) -> GoodnessOfFit:
    """Bootstrap p-value of the power-law hypothesis, with the null that matches ``fit``.

    Parameters
    ----------
    fit : PowerLawFit
        A fit from :func:`compare.fit_power_law` (fixed x_min) or :func:`compare.scan_xmin`
        (scanned).
    values : array_like, shape (n,), optional
        The data the fit was made on (sorted descending). Needed for scanned fits and for
        discrete fixed fits (their body and size); unused by the continuous fixed null.
    n_sim : int
        Synthetic sets (>= 20; >= 100 for the continuous fixed-K null). CSN: 2500 for
        two-decimal p-values.
    seed : int
        Seed of the replicates; the result does not depend on ``jobs``.
    jobs : int
        Worker processes (joblib) for the simulated nulls.
    progress : bool
        Show a tqdm progress bar over the replicates.

    Returns
    -------
    GoodnessOfFit
        The p-value, the null used and the synthetic distances.

    Raises
    ------
    ValueError
        A scanned (or discrete) fit without ``values``, values that do not match the fit, or
        bad options.
    """
    n_sim = int(check_scalar(n_sim, "n_sim", int, interval=Interval(20)))
    jobs = int(check_scalar(jobs, "jobs", int, interval=Interval(1)))
    if fit.xmin_method == "fixed" and not fit.discrete:
        table = ks_null_distribution(fit.k, n_sim=n_sim, seed=seed, ks=fit.ks)
        return _result(fit, table, seed)
    if values is None:
        raise ValueError(
            f"values: the data are needed for the {NULL_NAMES[fit.xmin_method]}"
            + (" of a discrete fit" if fit.xmin_method == "fixed" else "")
        )
    null = _null_of(fit, validate_values(values))
    children = np.random.SeedSequence(seed).spawn(n_sim)
    distances = _run_replicates(null, children, jobs=jobs, progress=progress)
    return _result(fit, distances, seed)


def ks_p_value(
    fit: PowerLawFit,
    *,
    values: npt.ArrayLike | None = None,
    n_sim: int = 2000,
    seed: int = 0,
    jobs: int = 1,
    progress: bool = False,
) -> float:
    """Bootstrap p-value of the power-law hypothesis (:func:`goodness_of_fit`'s ``p_value``).

    Fixed-K null for a fit with x_min fixed a priori; CSN's semi-parametric bootstrap, x_min
    re-scanned on every synthetic set, for a scanned fit (then ``values`` is required). Small p
    (< 0.1, CSN's rule) rejects.

    Parameters
    ----------
    fit : PowerLawFit
        The fit (its ``k``, ``d_ks``, ``xmin_method`` and settings).
    values : array_like, shape (n,), optional
        The data (scanned and discrete fits).
    n_sim : int
        Simulated samples (>= 100).
    seed : int
        Seed of the simulation; the result is reproducible.
    jobs : int
        Worker processes for the simulated nulls.
    progress : bool
        Show a progress bar.

    Returns
    -------
    float
        The p-value, in [0, 1].
    """
    return goodness_of_fit(fit, values=values, n_sim=n_sim, seed=seed, jobs=jobs, progress=progress).p_value


def _result(fit: PowerLawFit, distances: np.ndarray, seed: int) -> GoodnessOfFit:
    kept = distances[np.isfinite(distances)]
    p = float(np.mean(kept >= fit.d_ks)) if kept.size else math.nan
    return GoodnessOfFit(
        p_value=p, null=fit.xmin_method, d_ks=fit.d_ks, n_sim=int(kept.size), distances=kept, seed=int(seed)
    )


def _null_of(fit: PowerLawFit, x: np.ndarray) -> _Null:
    """The synthetic-set recipe of ``fit`` on data ``x``, checked against the fit."""
    if fit.k > x.size or x[fit.k - 1] != fit.x_min:
        raise ValueError(
            f"values: do not match the fit (its K = {fit.k}, x_min = {fit.x_min!r}; "
            f"the data hold {x.size} values)"
        )
    return _Null(
        n=int(x.size),
        k=int(fit.k),
        beta=float(fit.beta),
        x_min=float(fit.x_min),
        body=np.ascontiguousarray(x[fit.k :]),
        discrete=bool(fit.discrete),
        ks=fit.ks,
        scanned=fit.xmin_method == "scanned",
        k_min=int(fit.k_min or 10),
        grid=fit.grid,
    )


def _run_replicates(
    null: _Null, children: list[np.random.SeedSequence], *, jobs: int, progress: bool
) -> np.ndarray:
    """Distances of the synthetic sets seeded by ``children``, in blocks over ``jobs`` workers."""
    from tqdm.auto import tqdm

    n_blocks = min(len(children), max(1, jobs * _BLOCKS_PER_JOB)) if jobs > 1 else 1
    n_blocks = max(n_blocks, math.ceil(len(children) / 100))
    blocks = np.array_split(np.arange(len(children)), n_blocks)
    tasks = [[children[i] for i in block] for block in blocks]
    bar = tqdm(total=len(children), desc="bootstrap", unit="set", disable=not progress)
    out = []
    if jobs > 1:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=jobs, return_as="generator")(
            delayed(_replicate_block)(null, t) for t in tasks
        )
    else:
        results = (_replicate_block(null, t) for t in tasks)
    for block in results:
        out.append(block)
        bar.update(block.size)
    bar.close()
    return np.concatenate(out)


def _replicate_block(null: _Null, seeds: list[np.random.SeedSequence]) -> np.ndarray:
    """KS distances of one block of synthetic sets."""
    return np.array([_replicate(null, np.random.default_rng(s)) for s in seeds])


def _draw_tail(null: _Null, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` draws from the fitted law above x_min."""
    if null.discrete:
        return sample_discrete_power_law(size, null.beta, null.x_min, rng)
    return null.x_min * (1.0 - rng.random(size)) ** (-1.0 / (null.beta - 1.0))


def _replicate(null: _Null, rng: np.random.Generator) -> float:
    """The KS distance of one synthetic set (NaN when it has no tail to fit)."""
    if not null.scanned:
        synthetic = np.sort(_draw_tail(null, null.k, rng))[::-1]
        try:
            return fit_power_law(synthetic, discrete=null.discrete, ks=null.ks).d_ks
        except ValueError:
            return math.nan
    n_tail = int(rng.binomial(null.n, null.k / null.n)) if null.body.size else null.n
    body = null.body[rng.integers(0, null.body.size, null.n - n_tail)] if null.body.size else null.body
    synthetic = np.sort(np.concatenate([_draw_tail(null, n_tail, rng), body]))[::-1]
    try:
        scan = scan_xmin(
            synthetic,
            k_min=min(null.k_min, synthetic.size),
            discrete=null.discrete,
            ks=null.ks,
            grid=null.grid,
        )
    except ValueError:
        return math.nan
    return scan.fit.d_ks


@dataclass(frozen=True)
class BootstrapInterval:
    """Percentile bootstrap intervals of beta and s at ``level``.

    Attributes
    ----------
    beta : tuple of (float, float)
        Lower and upper ends for beta.
    s : tuple of (float, float)
        Lower and upper ends for s.
    level : float
        Confidence level.
    n_boot : int
        Resamples drawn.
    """

    beta: tuple[float, float]
    s: tuple[float, float]
    level: float
    n_boot: int


def bootstrap_interval(
    values: npt.ArrayLike,
    *,
    k: int | None = None,
    fraction: float | None = None,
    level: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
) -> BootstrapInterval:
    """Percentile bootstrap confidence intervals for beta and s of :func:`fit_power_law`.

    The K kept values are resampled with replacement ``n_boot`` times (seeded) and refitted
    with all of them kept (x_min = the resample's minimum).

    Parameters
    ----------
    values : array_like, shape (n,)
        Positive, finite values sorted descending.
    k : int, optional
        Keep the ``k`` largest values. Default: all values.
    fraction : float, optional
        Keep ``floor(fraction * n)`` values. Not together with ``k``.
    level : float in (0, 1)
        Confidence level.
    n_boot : int
        Resamples (>= 100).
    seed : int
        Seed of the resampling; the result is reproducible.

    Returns
    -------
    BootstrapInterval
        The intervals of beta and s.
    """
    x = validate_values(values)
    kk = resolve_k(x.size, k=k, fraction=fraction)
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if int(n_boot) < 100:
        raise ValueError(f"n_boot must be >= 100, got {n_boot!r}")
    tail = x[:kk]
    rng = np.random.default_rng(seed)
    logs = np.log(tail)
    betas = np.empty(int(n_boot))
    for b in range(int(n_boot)):
        sample = logs[rng.integers(0, kk, kk)]
        log_sum = float(np.sum(sample - sample.min()))
        betas[b] = 1.0 + kk / log_sum if log_sum > 0 else np.inf
    lo, hi = np.quantile(betas, [(1 - level) / 2, (1 + level) / 2])
    return BootstrapInterval(
        beta=(float(lo), float(hi)),
        s=(float(1 / (hi - 1)), float(1 / (lo - 1))),
        level=float(level),
        n_boot=int(n_boot),
    )
