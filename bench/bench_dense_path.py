"""Benchmark: the dense path's pieces: ``dsytrd``'s block size and the contact search.

``dense_eigenvalues`` gives ``dsytrd`` a workspace of ``sytrd_block(n) * n``, so that it blocks
by 8 (below 700), 16 (below 1,800) or 32. LAPACK's workspace query asks for 32 at every size.
For each order this times, interleaved and with one BLAS thread, the reduction with every block
in ``--blocks`` and with the query's workspace, on a random symmetric matrix (the reduction's
cost does not depend on the values), and prints each time over the query's: below 1 is faster.
Then the whole dense eigenvalue stage (``dense_eigenvalues``) against ``scipy.linalg.eigh``
(``eigvals_only``, driver ``evd``), which runs the same two LAPACK routines.

Then the contact search at 7.3, 9 and 15 A on the shipped entries: every pair by ``pdist``
(what ``contact_pairs`` does up to ``PDIST_MAX_NODES`` nodes) over the KD-tree, same pairs and
squared distances.

Last, the dense GNM Kirchhoff matrix of equal springs at 7.3 and 9 A: ``dense_uniform_kirchhoff``
(every distance by ``cdist``, what ``network_matrix(model="gnm", dense=True)`` does up to
``DENSE_KIRCHHOFF_MAX_NODES`` nodes) over the pair path it replaced there (``contact_pairs`` then
``gnm_from_pairs(dense=True)``), the same matrix.

Run:  python bench/bench_dense_path.py [--sizes 100,200,400,600,800,1000,1300,1600,2000]
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.linalg as sl  # noqa: E402

import enmspec.hessian as hessian  # noqa: E402
from enmspec import example_structures, load_structure  # noqa: E402
from enmspec.eigen import dense_eigenvalues, sytrd_block  # noqa: E402
from enmspec.hessian import PDIST_MAX_NODES, dense_uniform_kirchhoff, gnm_from_pairs  # noqa: E402


def median_times(fns: list, repeats: int) -> list[float]:
    """Median seconds of each function, run in turn ``repeats`` times after one untimed round."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for slot, fn in zip(times, fns, strict=True):
            start = time.perf_counter()
            fn()
            slot.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def repeats_for(n: int, budget: float) -> int:
    """About ``budget`` seconds of one reduction's repeats, 3 to 200."""
    est = 1.3e-10 * n**3 + 1e-5
    return int(min(200, max(3, budget / est)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,200,300,400,600,800,1000,1300,1600,2000")
    parser.add_argument("--blocks", default="4,8,16,32")
    parser.add_argument("--budget", type=float, default=0.5, help="seconds per timing series")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    blocks = [int(b) for b in args.blocks.split(",")]
    print(f"cpu_count={os.cpu_count()} machine={platform.machine()} python={platform.python_version()}")
    print(f"numpy={np.__version__} scipy={scipy.__version__} BLAS threads=1")
    sytrd, query = sl.get_lapack_funcs(("sytrd", "sytrd_lwork"), (np.zeros(1),))
    rng = np.random.default_rng(0)

    print("\n1. dsytrd time over the time with LAPACK's queried workspace (block 32)")
    print(
        f"{'n':>5} {'query_ms':>9} "
        + " ".join(f"{'nb=' + str(b):>7}" for b in blocks)
        + f" {'rule':>5} {'rule/query':>10}"
    )
    for n in sizes:
        a = rng.standard_normal((n, n))
        a = np.asfortranarray(a + a.T)
        lwork = int(query(n, lower=1)[0])
        rule = sytrd_block(n)
        works = [lwork] + [b * n for b in blocks] + [rule * n]
        fns = [partial(sytrd, a, lower=1, lwork=w) for w in works]
        t = median_times(fns, repeats_for(n, args.budget))
        ratios = " ".join(f"{x / t[0]:>7.2f}" for x in t[1:-1])
        print(f"{n:>5} {t[0] * 1e3:>9.3f} {ratios} {rule:>5} {t[-1] / t[0]:>10.2f}")

    print("\n2. dense_eigenvalues over scipy.linalg.eigh(eigvals_only=True, driver='evd')")
    print(f"{'n':>5} {'eigh_ms':>9} {'ours_ms':>9} {'ours/eigh':>10} {'max_diff/max':>13}")
    for n in sizes:
        a = rng.standard_normal((n, n))
        a = a + a.T
        t_eigh, t_ours = median_times(
            [partial(sl.eigh, a, eigvals_only=True, driver="evd"), partial(dense_eigenvalues, a)],
            repeats_for(n, 2 * args.budget),
        )
        ref = sl.eigh(a, eigvals_only=True, driver="evd")
        diff = float(np.max(np.abs(dense_eigenvalues(a).eigenvalues - ref)) / np.max(np.abs(ref)))
        print(f"{n:>5} {t_eigh * 1e3:>9.3f} {t_ours * 1e3:>9.3f} {t_ours / t_eigh:>10.2f} {diff:>13.1e}")

    print(f"\n3. Contact search, every pair (pdist) over the KD-tree (pdist up to {PDIST_MAX_NODES} nodes)")
    print(f"{'id':<6} {'N':>5} " + " ".join(f"{str(c) + ' A':>7}" for c in (7.3, 9.0, 15.0)))
    for name, path in example_structures().items():
        xyz = load_structure(path).coords
        cells = []
        for cutoff in (7.3, 9.0, 15.0):
            tree, every = median_times(
                [partial(search, xyz, cutoff, 0), partial(search, xyz, cutoff, 10**6)], 200
            )
            (p_tree, d_tree), (p_all, d_all) = search(xyz, cutoff, 0), search(xyz, cutoff, 10**6)
            assert np.array_equal(p_tree, p_all) and np.array_equal(d_tree, d_all)
            cells.append(f"{every / tree:>7.2f}")
        print(f"{name:<6} {len(xyz):>5} " + " ".join(cells))

    print(
        "\n4. Dense GNM Kirchhoff, equal springs: every distance (cdist) over contact pairs + gnm_from_pairs"
    )
    print(f"{'id':<6} {'N':>5} {'pairs_us':>9} {'cdist_us':>9} {'cdist/pairs':>12}  (7.3 A; 9 A)")
    for name, path in example_structures().items():
        xyz = load_structure(path).coords
        cells = []
        for cutoff in (7.3, 9.0):
            pairs_way, cdist_way = median_times(
                [
                    partial(kirchhoff_from_pairs, xyz, cutoff),
                    partial(dense_uniform_kirchhoff, xyz, cutoff, 1.0),
                ],
                300,
            )
            assert np.array_equal(
                kirchhoff_from_pairs(xyz, cutoff), dense_uniform_kirchhoff(xyz, cutoff, 1.0)
            )
            cells.append(f"{pairs_way * 1e6:>9.1f} {cdist_way * 1e6:>9.1f} {cdist_way / pairs_way:>12.2f}")
        print(f"{name:<6} {len(xyz):>5} " + " ;".join(cells))


def search(xyz: np.ndarray, cutoff: float, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """``contact_pairs`` by every pair (``limit`` at least the size) or by the KD-tree (``limit`` 0)."""
    saved, hessian.PDIST_MAX_NODES = hessian.PDIST_MAX_NODES, limit
    try:
        return hessian._contact_pairs(xyz, cutoff)
    finally:
        hessian.PDIST_MAX_NODES = saved


def kirchhoff_from_pairs(xyz: np.ndarray, cutoff: float) -> np.ndarray:
    """The dense Kirchhoff matrix the pair way: what the small dense GNM did before."""
    pairs, _ = hessian._contact_pairs(xyz, cutoff)
    return gnm_from_pairs(len(xyz), pairs, np.ones(len(pairs)), dense=True)


if __name__ == "__main__":
    main()
