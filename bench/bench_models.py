"""Benchmark: GNM against ANM, the eigen path of the all-pairs models, cutoff studies, sq_fluctuations.

Four measurements, each a ratio of two timings taken in the same run, interleaved (A, B, A, B...)
so that a shared machine's load falls on both; one BLAS thread; median of ``--repeats``.

1. ``gnm_over_anm``: ``inverse_spectrum(fraction=0.1)`` with ``model="gnm"`` (7.3 A) over
   ``model="anm"`` (9 A), solver ``auto`` for both; twice: interleaved (one ANM, one GNM, ...),
   and as a batch of one model runs them (blocks of five, each spectrum after parsing its file;
   the ANM's 3N x 3N sweeps no longer evict the GNM's code and data from the core's cache).
2. ``sliced_over_dense``: the parameter-free ANM (springs between every pair) with the sliced
   solver over the dense one (the matrix is dense, so ``auto`` takes ``dense``).
3. ``study_over_singles``: a 17-cutoff study (7:15:0.5, ``cutoff_study``) over the sum of 17
   single ``inverse_spectrum`` runs at the same cutoffs (the issue asks for <= 1.05).
4. ``ours_over_prody``: ``sq_fluctuations`` over ProDy's ``buildHessian``/``buildKirchhoff`` +
   ``calcModes(n_modes=None)`` + ``calcSqFlucts`` on the same coordinates (ANM 9 A, GNM 7.3 A),
   with the largest difference of the two results.

Run:  python bench/bench_models.py [--quick] [--repeats 3]
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402

from enmspec import (  # noqa: E402
    cutoff_study,
    example_structures,
    inverse_spectrum,
    load_structure,
    parse_cutoffs,
    sq_fluctuations,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
STUDY = parse_cutoffs("7:15:0.5")


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def paired(a, b, repeats: int) -> tuple[float, float]:
    """Median seconds of ``a`` and of ``b``, interleaved, after one untimed run of each."""
    a()
    b()
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(timed(a))
        tb.append(timed(b))
    return statistics.median(ta), statistics.median(tb)


def entry_paths(quick: bool) -> dict:
    paths = dict(example_structures())
    if quick:
        paths = {k: paths[k] for k in ("1HVR", "1PWC")}
    elif (SHARED / "4hhb.pdb").is_file():
        paths["4HHB"] = SHARED / "4hhb.pdb"
    return paths


def batch_like(path, blocks: int, size: int = 5) -> tuple[float, float]:
    """Median seconds of one spectrum as a batch of one model runs it, ANM blocks beside GNM blocks.

    Each spectrum follows the parse of its file (what a batch does before every spectrum); the
    two models run in alternating blocks of ``size``, and the first spectrum of each block, which
    follows the other model's, is not counted.
    """
    times = {"anm": [], "gnm": []}
    for _ in range(blocks):
        for m in ("anm", "gnm"):
            for r in range(size):
                st = load_structure(path)
                t = timed(lambda st=st, m=m: inverse_spectrum(st, fraction=0.1, model=m))
                if r:
                    times[m].append(t)
    return statistics.median(times["anm"]), statistics.median(times["gnm"])


def bench_gnm(found: dict, repeats: int, paths: dict) -> None:
    print("\n1. GNM (7.3 A) against ANM (9 A), inverse_spectrum(fraction=0.1), solver auto")
    print("   interleaved: one ANM, one GNM, ...; in a batch: blocks of 5 of one model, each after a parse")
    print(
        f"{'id':<6} {'N':>5} {'solver':>7} {'anm_s':>8} {'gnm_s':>8} {'anm/gnm':>8} "
        f"{'batch_anm':>10} {'batch_gnm':>10} {'anm/gnm':>8}"
    )
    for name, st in found.items():
        anm, gnm = paired(
            lambda st=st: inverse_spectrum(st, fraction=0.1),
            lambda st=st: inverse_spectrum(st, fraction=0.1, model="gnm"),
            repeats,
        )
        b_anm, b_gnm = batch_like(paths[name], max(2, repeats // 2))
        solver = inverse_spectrum(st, fraction=0.1).meta["solver"]
        print(
            f"{name:<6} {len(st):>5} {solver:>7} {anm:>8.4f} {gnm:>8.4f} {anm / gnm:>8.1f} "
            f"{b_anm:>10.4f} {b_gnm:>10.4f} {b_anm / b_gnm:>8.1f}"
        )


def bench_all_pairs(found: dict, repeats: int) -> None:
    print("\n2. Parameter-free ANM (every pair): sliced against dense, fraction=0.1")
    print(f"{'id':<6} {'N':>5} {'dense_s':>8} {'sliced_s':>9} {'sliced/dense':>13} {'max_rel':>8}")
    for name in [n for n in ("1PWC", "1A28", "3HSY") if n in found]:
        st = found[name]
        dense, sliced = paired(
            lambda st=st: inverse_spectrum(st, fraction=0.1, springs="pf", solver="dense"),
            lambda st=st: inverse_spectrum(st, fraction=0.1, springs="pf", solver="sliced"),
            max(1, repeats // 2),
        )
        a = inverse_spectrum(st, fraction=0.1, springs="pf", solver="dense").values
        b = inverse_spectrum(st, fraction=0.1, springs="pf", solver="sliced").values
        rel = float(np.max(np.abs(a - b) / a))
        print(f"{name:<6} {len(st):>5} {dense:>8.3f} {sliced:>9.3f} {sliced / dense:>13.2f} {rel:>8.1e}")


def bench_study(found: dict, repeats: int) -> None:
    print(f"\n3. Cutoff study, {len(STUDY)} cutoffs 7:15:0.5, against {len(STUDY)} single runs (ANM)")
    print(f"{'id':<6} {'N':>5} {'singles_s':>10} {'study_s':>8} {'study/singles':>14}")
    total_single = total_study = 0.0
    for name, st in found.items():

        def singles(st=st):
            for c in STUDY:
                try:
                    inverse_spectrum(st, cutoff=c, fraction=0.1)
                except ValueError:  # a floppy network at a small cutoff: the study records it too
                    pass

        single, study = paired(singles, lambda st=st: cutoff_study(st, STUDY, fraction=0.1), repeats)
        total_single += single
        total_study += study
        print(f"{name:<6} {len(st):>5} {single:>10.3f} {study:>8.3f} {study / single:>14.3f}")
    print(f"{'all':<6} {'':>5} {total_single:>10.3f} {total_study:>8.3f} {total_study / total_single:>14.3f}")


def bench_fluctuations(found: dict, repeats: int) -> None:
    import prody

    prody.confProDy(verbosity="none")
    print("\n4. sq_fluctuations against ProDy's calcModes(n_modes=None) + calcSqFlucts")
    print(f"{'id':<6} {'model':<5} {'N':>5} {'prody_s':>8} {'ours_s':>8} {'prody/ours':>11} {'max_rel':>8}")
    for name, st in found.items():
        for model, cutoff in (("anm", 9.0), ("gnm", 7.3)):

            def theirs(st=st, model=model, cutoff=cutoff):
                nma = prody.ANM() if model == "anm" else prody.GNM()
                if model == "anm":
                    nma.buildHessian(st.coords, cutoff=cutoff, gamma=1.0)
                else:
                    nma.buildKirchhoff(st.coords, cutoff=cutoff, gamma=1.0)
                nma.calcModes(n_modes=None)
                return prody.calcSqFlucts(nma)

            def ours(st=st, model=model, cutoff=cutoff):
                return sq_fluctuations(st, model=model, cutoff=cutoff)

            t_prody, t_ours = paired(theirs, ours, repeats)
            a, b = ours(), theirs()
            rel = float(np.max(np.abs(a - b)) / np.max(b))
            print(
                f"{name:<6} {model:<5} {len(st):>5} {t_prody:>8.3f} {t_ours:>8.3f} "
                f"{t_prody / t_ours:>11.2f} {rel:>8.1e}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two small entries")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=("gnm", "pairs", "study", "flucts"), help="one measurement")
    parser.add_argument("--entries", help="comma-separated ids (default: all shipped, and 4HHB if present)")
    args = parser.parse_args()
    print(f"cpu_count={os.cpu_count()} machine={platform.machine()} python={platform.python_version()}")
    print(f"numpy={np.__version__} scipy={scipy.__version__} BLAS threads=1 repeats={args.repeats}")
    paths = entry_paths(args.quick)
    if args.entries:
        paths = {k: v for k, v in paths.items() if k in args.entries.upper().split(",")}
    found = {k: load_structure(v) for k, v in paths.items()}
    steps = {"gnm": bench_gnm, "pairs": bench_all_pairs, "study": bench_study, "flucts": bench_fluctuations}
    for key, step in steps.items():
        if args.only in (None, key):
            if key == "gnm":
                step(found, args.repeats, paths)
            else:
                step(found, args.repeats)


if __name__ == "__main__":
    main()
