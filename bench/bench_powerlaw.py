"""Benchmark: compare's power-law statistics against the ``powerlaw`` package (2.0), same run, same data.

(a) ``scan_xmin`` on n = 1e4, 1e5, 1e6 values (a power-law tail, beta 2.5 above 3, on a uniform
    body: 30 % tail), against ``powerlaw.Fit(values)`` (its x_min scan, one candidate per distinct
    value, like ours with k_min = 2). At n <= ``--full-peer`` the peer scans everything; above, it
    scans a window of ``--window`` candidates around our x_min (``Fit(values, xmin=(lo, hi))``),
    which must give our x_min and alpha, and its full time is extrapolated from that window's time
    per candidate (marked "extrapolated"; its cost per candidate grows with the tail, so this is a
    fair middle: the window sits at K ~ 0.3 n, the mean K of all candidates is 0.5 n).
(b) The semi-parametric bootstrap (x_min re-scanned on each synthetic set) with ``--replicates``
    (1000) sets on n = 1e4: ours with jobs 1 and 2; the peer has no goodness-of-fit test (its
    issue #29), so its cost is that of the same loop, ``powerlaw.Fit`` on each synthetic set,
    measured on ``--peer-replicates`` of them and extrapolated.
(c) ``compare.report.fit_many`` over ``--spectra`` (10,000) synthetic spectra of 500 values
    (rank-size 1/k with 10 % noise, the top tenth kept: K = 50) against a loop of
    ``powerlaw.Fit(values, xmin=x_K)`` over the same spectra (``--peer-spectra`` of them timed,
    the rest extrapolated); and ``fit_many`` over 9,166 spectra of the study's sizes (3N from 300
    to 6,000), which builds one fitted-beta null table per distinct K.

Run:  python bench/bench_powerlaw.py [--quick] [--json out.json]   (a few minutes; --quick: 1 min)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from compare import Spectrum, goodness_of_fit, scan_xmin  # noqa: E402
from compare.report.tables import fit_many  # noqa: E402


def mixture(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    tail = 3.0 * (1.0 - rng.random(n * 3 // 10)) ** (-1.0 / 1.5)
    body = rng.uniform(0.1, 3.0, n - tail.size)
    return np.sort(np.concatenate([tail, body]))[::-1]


def peer_fit(values: np.ndarray, **kwargs):
    import powerlaw

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return powerlaw.Fit(values, verbose=False, **kwargs)


def bench_scan(sizes: list[int], window: int, full_peer: int) -> list[dict]:
    rows = []
    for n in sizes:
        values = mixture(n, seed=n)
        t0 = time.perf_counter()
        ours = scan_xmin(values, k_min=2).fit
        t_ours = time.perf_counter() - t0
        candidates = np.unique(values).size - 1
        if n <= full_peer:
            t0 = time.perf_counter()
            ref = peer_fit(values)
            t_peer, tried, note = time.perf_counter() - t0, candidates, "full"
        else:
            k_hi, k_lo = max(2, ours.k - window // 2), min(n, ours.k + window // 2)
            lo, hi = values[k_lo - 1], values[k_hi - 1]
            t0 = time.perf_counter()
            ref = peer_fit(values, xmin=(lo, hi))
            t_window = time.perf_counter() - t0
            tried = int(np.sum((values >= lo) & (values < hi)))
            t_peer, note = t_window / tried * candidates, f"extrapolated from {tried} candidates"
        rows.append(
            {
                "n": n,
                "candidates": candidates,
                "ours_s": t_ours,
                "peer_s": t_peer,
                "ratio": t_peer / t_ours,
                "same_xmin": bool(ref.xmin == ours.x_min),
                "rel_alpha": abs(ref.power_law.alpha - ours.beta) / ours.beta,
                "peer": note,
            }
        )
        print(
            f"scan n={n:>8}  ours {t_ours:8.2f} s  powerlaw {t_peer:9.1f} s  ratio {t_peer / t_ours:7.0f}  "
            f"same x_min {rows[-1]['same_xmin']}  rel alpha {rows[-1]['rel_alpha']:.1e}  ({note})",
            flush=True,
        )
    return rows


def bench_bootstrap(n: int, replicates: int, peer_replicates: int) -> dict:
    values = mixture(n, seed=7)
    fit = scan_xmin(values).fit
    timings = {}
    for jobs in (1, 2):
        t0 = time.perf_counter()
        result = goodness_of_fit(fit, values=values, n_sim=replicates, seed=1, jobs=jobs)
        timings[jobs] = time.perf_counter() - t0
    # the peer's loop: powerlaw.Fit on the same kind of synthetic sets
    rng = np.random.default_rng(3)
    body = values[fit.k :]
    t0 = time.perf_counter()
    for _ in range(peer_replicates):
        n_tail = rng.binomial(n, fit.k / n)
        tail = fit.x_min * (1.0 - rng.random(n_tail)) ** (-1.0 / (fit.beta - 1.0))
        peer_fit(np.concatenate([tail, body[rng.integers(0, body.size, n - n_tail)]]))
    t_peer = (time.perf_counter() - t0) / peer_replicates * replicates
    row = {
        "n": n,
        "replicates": replicates,
        "p_value": result.p_value,
        "ours_jobs1_s": timings[1],
        "ours_jobs2_s": timings[2],
        "peer_s_extrapolated": t_peer,
        "ratio_jobs1": t_peer / timings[1],
    }
    print(
        f"bootstrap n={n} x {replicates}: ours {timings[1]:.1f} s (jobs 1), {timings[2]:.1f} s (jobs 2); "
        f"powerlaw loop {t_peer:.0f} s (extrapolated from {peer_replicates}); "
        f"ratio {t_peer / timings[1]:.0f} (p = {result.p_value:.3f})",
        flush=True,
    )
    return row


def synthetic_spectra(count: int, sizes: np.ndarray, seed: int) -> list[Spectrum]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        m = int(sizes[i % sizes.size])
        values = np.sort((1.0 / np.arange(1, m + 1)) * (1.0 + 0.1 * rng.random(m)))[::-1]
        out.append(Spectrum(values=values, name=f"s{i}", kind="protein", meta={"n_modes": m}))
    return out


def bench_fit_many(count: int, peer_count: int) -> dict:
    spectra = synthetic_spectra(count, np.array([500]), seed=0)
    t0 = time.perf_counter()
    fits = fit_many(spectra)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    worst = 0.0
    for s, row in zip(spectra[:peer_count], fits.to_dict("records"), strict=False):
        ref = peer_fit(s.values, xmin=s.values[row["k"] - 1])
        worst = max(worst, abs(ref.power_law.alpha - row["beta"]) / row["beta"])
    t_peer = (time.perf_counter() - t0) / peer_count * count
    rng = np.random.default_rng(1)
    study = synthetic_spectra(9166, rng.integers(300, 6001, 9166), seed=2)
    t0 = time.perf_counter()
    study_fits = fit_many(study)
    t_study = time.perf_counter() - t0
    row = {
        "spectra": count,
        "ours_s": t_ours,
        "peer_s_extrapolated": t_peer,
        "ratio": t_peer / t_ours,
        "rel_alpha_max": worst,
        "study_spectra": 9166,
        "study_distinct_k": int(study_fits["k"].nunique()),
        "study_s": t_study,
    }
    print(
        f"fit_many {count} x 500: ours {t_ours:.2f} s, powerlaw loop {t_peer:.1f} s (extrapolated from "
        f"{peer_count}), ratio {t_peer / t_ours:.0f}, max rel alpha {worst:.1e}; 9,166 study-sized "
        f"spectra ({row['study_distinct_k']} distinct K): {t_study:.1f} s",
        flush=True,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (about a minute)")
    parser.add_argument("--window", type=int, default=400)
    parser.add_argument("--full-peer", type=int, default=10_000, help="largest n the peer scans in full")
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--peer-replicates", type=int, default=3)
    parser.add_argument("--spectra", type=int, default=10_000)
    parser.add_argument("--peer-spectra", type=int, default=1000)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    import powerlaw
    import scipy

    print(
        f"cpu_count={os.cpu_count()} machine={platform.machine()} python={platform.python_version()} "
        f"numpy={np.__version__} scipy={scipy.__version__} powerlaw={powerlaw.__version__}"
    )
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    replicates = 200 if args.quick else args.replicates
    out = {
        "scan": bench_scan(sizes, args.window, args.full_peer),
        "bootstrap": bench_bootstrap(10_000, replicates, 1 if args.quick else args.peer_replicates),
        "fit_many": bench_fit_many(
            2000 if args.quick else args.spectra, 200 if args.quick else args.peer_spectra
        ),
    }
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
