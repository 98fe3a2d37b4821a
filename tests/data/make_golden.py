"""Write the golden reference files of tests/data from ProDy and powerlaw (see README.md beside this).

Run from anywhere with ProDy and powerlaw installed (the files were made with ProDy 2.6.1, powerlaw
2.0.0, numpy 2.4 and Python 3.11)::

    python tests/data/make_golden.py

Nothing of this repository's own code is imported: the inputs are the PDB files in enmspec/examples
(read by ProDy) and seeded numpy samples whose generators are written out here; every sample's
sha256 is stored beside the reference numbers, and the tests check that they generate the same
bytes. The output is deterministic (the .npz archives carry a fixed time stamp), so rerunning the
script with the same versions rewrites the same bytes. It prints each file it writes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import powerlaw
import prody

OUT = Path(__file__).resolve().parent
EXAMPLES = Path(__file__).resolve().parents[2] / "enmspec" / "examples"
EXAMPLE_FILES = {
    "19HC": "19hc.pdb.gz",
    "1A28": "1a28.pdb",
    "1HVR": "1hvr.pdb",
    "1PWC": "1pwc.pdb.gz",
    "3HSY": "3hsy.pdb.gz",
    "4E43": "4e43.pdb",
}
# (entry, cutoff, gamma) of the Hessians stored block by block
HESSIANS = [("1PWC", 9.0, 1.0), ("1PWC", 7.5, 1.0), ("1PWC", 12.0, 0.5), ("3HSY", 9.0, 1.0)]
VERSIONS = f"ProDy {prody.__version__}, powerlaw {powerlaw.__version__}, numpy {np.__version__}"


# --------------------------------------------------------------------------- writing


def sha256_of(values: np.ndarray) -> str:
    """sha256 of the little-endian float64 bytes of ``values`` (C order)."""
    return hashlib.sha256(np.ascontiguousarray(values, dtype="<f8").tobytes()).hexdigest()


def identity(values: np.ndarray) -> dict:
    """A generated sample's sha256 and fingerprint (fsum, first, middle and last value).

    numpy's exp, log and pow differ in the last bit between CPUs (its SIMD paths), so the same
    generator gives another sha256 on another machine: the tests then accept a sample whose
    fingerprint agrees to 1e-12 (tests/golden.py: same_sample).
    """
    fingerprint = [math.fsum(values), float(values[0]), float(values[values.size // 2]), float(values[-1])]
    return {"sha256": sha256_of(values), "fingerprint": fingerprint}


def save_npz(name: str, **arrays: np.ndarray) -> None:
    """np.savez_compressed's layout, with a fixed time stamp so that the bytes are reproducible."""
    path = OUT / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asanyarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue(), compresslevel=9)
    report(path)


def save_json(name: str, content: dict) -> None:
    path = OUT / name
    # floats as repr: the shortest string that reads back to the same double
    path.write_text(json.dumps(content, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    report(path)


def report(path: Path) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    print(f"wrote {path.relative_to(OUT.parents[1])}  {path.stat().st_size:>8} bytes  sha256 {digest}...")


def quiet():
    """powerlaw's warnings and its stderr chatter off."""
    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
    return stack


# --------------------------------------------------------------------------- ProDy


def calpha(entry: str):
    return prody.parsePDB(str(EXAMPLES / EXAMPLE_FILES[entry])).select("calpha")


def prody_hessian(coords: np.ndarray, cutoff: float, gamma: float) -> np.ndarray:
    anm = prody.ANM()
    anm.buildHessian(coords, cutoff=cutoff, gamma=gamma)
    h = anm.getHessian()
    assert h.dtype == np.float64 and np.array_equal(h, h.T), "ProDy's Hessian is exactly symmetric"
    return h


def write_calpha(entry: str) -> np.ndarray:
    atoms = calpha(entry)
    coords = atoms.getCoords().astype(np.float64)
    save_npz(
        f"prody_calpha_{entry.lower()}.npz",
        coords=coords,
        resnums=atoms.getResnums().astype(np.int64),
        resnames=np.array(atoms.getResnames(), dtype=str),
        chids=np.array(atoms.getChids(), dtype=str),
        provenance=np.array(
            f"{VERSIONS}: prody.parsePDB('enmspec/examples/{EXAMPLE_FILES[entry]}').select('calpha')"
        ),
    )
    return coords


def hessian_name(entry: str, cutoff: float, gamma: float) -> str:
    gamma_part = "" if gamma == 1.0 else f"_gamma{gamma:g}"
    return f"prody_anm_{cutoff:g}A{gamma_part}_hessian_{entry.lower()}.npz"


def write_hessian(entry: str, coords: np.ndarray, cutoff: float, gamma: float) -> None:
    h = prody_hessian(coords, cutoff, gamma)
    n = len(coords)
    blocks = h.reshape(n, 3, n, 3).transpose(0, 2, 1, 3)  # blocks[i, j] = H[3i:3i+3, 3j:3j+3]
    i, j = np.nonzero(np.triu(np.any(blocks != 0.0, axis=(2, 3))))
    save_npz(
        hessian_name(entry, cutoff, gamma),
        i=i.astype(np.int32),
        j=j.astype(np.int32),
        blocks=np.ascontiguousarray(blocks[i, j]),
        n=np.int64(n),
        cutoff=np.float64(cutoff),
        gamma=np.float64(gamma),
        provenance=np.array(
            f"{VERSIONS}: anm = prody.ANM(); anm.buildHessian(coords, cutoff={cutoff:g}, gamma={gamma:g}) "
            f"on the coords of prody_calpha_{entry.lower()}.npz; the 3x3 blocks (i <= j) of "
            "anm.getHessian() with a nonzero entry"
        ),
    )


def write_eigenvalues(entry: str, coords: np.ndarray) -> np.ndarray:
    w = np.linalg.eigvalsh(prody_hessian(coords, 9.0, 1.0))
    save_npz(
        f"prody_anm_9A_eigvals_{entry.lower()}.npz",
        eigvals=w,
        provenance=np.array(
            f"{VERSIONS}: numpy.linalg.eigvalsh(H), H from prody.ANM().buildHessian(coords, cutoff=9, "
            f"gamma=1) on the coords of prody_calpha_{entry.lower()}.npz; ascending"
        ),
    )
    return w


def powerlaw_fit(values: np.ndarray, k: int) -> dict:
    """powerlaw.Fit(values, xmin=values[k - 1]).power_law: alpha, standard error, KS distance D."""
    with quiet():
        fit = powerlaw.Fit(values, xmin=values[k - 1], verbose=False)
        pl = fit.power_law
        return {"k": k, "xmin": float(fit.xmin), "alpha": pl.alpha, "sigma": pl.standard_err, "D": pl.D}


def write_protein_fits(eigenvalues: dict[str, np.ndarray]) -> None:
    entries = {}
    for entry, w in eigenvalues.items():
        inverse = np.sort(1.0 / w[6:])[::-1]
        k = inverse.size // 10
        entries[entry] = powerlaw_fit(inverse[:k], k)
    save_json(
        "powerlaw_fits_prody_anm_9A_top10pct.json",
        {
            "provenance": (
                f"{VERSIONS}: w = prody_anm_9A_eigvals_<id>.npz; inverse = sort(1 / w[6:]) descending; "
                "k = inverse.size // 10; powerlaw.Fit(inverse[:k], xmin=inverse[k - 1]).power_law "
                "(alpha, standard_err as sigma, D)"
            ),
            "entries": entries,
        },
    )


# --------------------------------------------------------------------------- samples


def power_law_sample(n: int, beta: float, x_min: float, rng: np.random.Generator) -> np.ndarray:
    """Exact continuous power law by inverse transform, sorted descending (as in the tests)."""
    return np.sort(x_min * (1.0 - rng.random(n)) ** (-1.0 / (beta - 1.0)))[::-1]


def body_and_tail(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    tail = power_law_sample(600, 2.2, 5.0, rng)
    body = rng.uniform(0.5, 5.0, 1400)
    return np.sort(np.concatenate([tail, body]))[::-1]


def write_sample_fits() -> None:
    fixed = []
    for n, k, beta in [(60, 60, 2.0), (500, 100, 1.8), (3000, 1000, 2.2), (20000, 2000, 2.6)]:
        for seed in (0, 1, 2):
            values = power_law_sample(n, beta, 1.0, np.random.default_rng(seed))
            data = {"generator": "power_law", "n": n, "beta": beta, "x_min": 1.0, "seed": seed}
            fixed.append({"data": data, **identity(values), **powerlaw_fit(values, k)})
    values = np.sort(np.random.default_rng(7).lognormal(0.0, 0.5, 5000))[::-1]
    data = {"generator": "lognormal", "n": 5000, "mu": 0.0, "sigma": 0.5, "seed": 7}
    fixed.append({"data": data, **identity(values), **powerlaw_fit(values, 3000)})
    ties = np.array([9.0, 9.0, 7.0, 4.0, 4.0, 4.0, 3.0, 2.0, 2.0, 1.5, 1.0])
    fixed.append(
        {"data": {"generator": "values", "values": ties.tolist()}, "sha256": sha256_of(ties)}
        | powerlaw_fit(ties, ties.size)
    )
    scanned = []
    for seed in range(4):
        values = body_and_tail(seed)
        with quiet():
            fit = powerlaw.Fit(values, verbose=False)
            entry = {"xmin": float(fit.xmin), "alpha": fit.power_law.alpha, "D": fit.power_law.D}
        scanned.append({"data": {"generator": "body_and_tail", "seed": seed}, **identity(values)} | entry)
    save_json(
        "powerlaw_fits_samples.json",
        {
            "provenance": (
                f"{VERSIONS}. fixed_xmin: powerlaw.Fit(values, xmin=values[k - 1]).power_law (alpha, "
                "standard_err as sigma, D); scanned_xmin: powerlaw.Fit(values) (its own x_min scan). "
                "values: see tests/data/make_golden.py (power_law_sample, body_and_tail)"
            ),
            "fixed_xmin": fixed,
            "scanned_xmin": scanned,
        },
    )


def write_loglikelihood_ratios() -> None:
    from powerlaw.statistics import loglikelihood_ratio

    rng = np.random.default_rng(0)
    draws = []
    for index in range(20):
        a, b = rng.normal(size=(2, int(rng.integers(5, 500))))
        entry = {"index": index, "n": a.size, "sha256": sha256_of(np.stack([a, b]))}
        for nested in (False, True):
            r, p = loglikelihood_ratio(a.copy(), b.copy(), nested=nested)
            rn, _ = loglikelihood_ratio(a.copy(), b.copy(), nested=nested, normalized_ratio=True)
            entry["nested" if nested else "not_nested"] = {
                "R": float(r),
                "R_normalized": float(rn),
                "p": float(p),
            }
        draws.append(entry)
    save_json(
        "powerlaw_loglikelihood_ratio_normal_draws.json",
        {
            "provenance": (
                f"{VERSIONS}: rng = numpy.random.default_rng(0); 20 times a, b = "
                "rng.normal(size=(2, int(rng.integers(5, 500)))); powerlaw.statistics.loglikelihood_ratio"
                "(a, b, nested=...) and with normalized_ratio=True; sha256 of stack([a, b])"
            ),
            "draws": draws,
        },
    )


# --- the likelihood-ratio data sets of tests/compare/test_likelihood.py


def lognormal_tail(n: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.lognormal(0.0, 1.0, 2 * n))[::-1] * 1e3


def spectrum_like(n: int, rng: np.random.Generator) -> np.ndarray:
    ranks = np.arange(1, 10 * n + 1)
    return np.sort(np.exp(-np.log(ranks) + 0.1 * rng.standard_normal(ranks.size)))[::-1]


def exponential_sample(n: int, shift: float, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.exponential(1.0, n) + shift)[::-1]


def dataset(name: str, n: int, seed: int) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng(seed)
    if name.startswith("power_law_"):
        return power_law_sample(n, float(name.rsplit("_", 1)[1]), 3.7e-3, rng), n
    if name == "lognormal":
        return lognormal_tail(n, rng), n
    if name == "spectrum":
        return spectrum_like(n, rng), n
    if name == "exponential":
        return exponential_sample(n, 5.0, rng), n
    raise KeyError(name)


LIKELIHOOD_DATASETS = [
    ("power_law_2.8", 100, 0),
    ("power_law_2.8", 100, 1),
    ("power_law_2.2", 100, 2),
    ("power_law_2.2", 1000, 0),
    ("power_law_2.2", 1000, 3),
    ("power_law_1.8", 1000, 1),
    ("power_law_1.8", 1000, 2),
    ("power_law_2.8", 5000, 0),
    ("spectrum", 1000, 0),
    ("lognormal", 100, 0),
    ("lognormal", 1000, 1),
    ("lognormal", 5000, 2),
    ("exponential", 1000, 0),
    ("power_law_2.2", 1000, 5),
]
ALTERNATIVES = ("exponential", "lognormal", "truncated_power_law")


def write_distribution_compare() -> None:
    cases = []
    for name, n, seed in LIKELIHOOD_DATASETS:
        values, k = dataset(name, n, seed)
        case = {"data": {"generator": name, "n": n, "seed": seed}, "k": k, **identity(values)}
        with quiet():
            fit = powerlaw.Fit(values, xmin=values[k - 1], verbose=False)
            case["power_law_alpha"] = fit.power_law.alpha
            for alternative in ALTERNATIVES:
                ratio, p = fit.distribution_compare("power_law", alternative)
                normalized, _ = fit.distribution_compare("power_law", alternative, normalized_ratio=True)
                dist = getattr(fit, alternative)
                case[alternative] = {
                    "R": float(ratio),
                    "R_normalized": float(normalized),
                    "p": float(p),
                    "parameters": {key: float(value) for key, value in dist.parameters.items()},
                    "loglikelihood_sum": math.fsum(dist.loglikelihoods(fit.data)),
                }
        cases.append(case)
    # the nested-flag precedence of Fit.distribution_compare (see test_powerlaw_nested_precedence_bug)
    values, k = dataset("lognormal", 100, 0)
    with quiet():
        fit = powerlaw.Fit(values, xmin=values[k - 1], verbose=False)
        r, p_nested = fit.distribution_compare("power_law", "truncated_power_law", nested=True)
        r_forced, p_forced = fit.distribution_compare("power_law", "truncated_power_law", nested=False)
        r_reversed, p_reversed = fit.distribution_compare("truncated_power_law", "power_law", nested=False)
    nested = {
        "data": {"generator": "lognormal", "n": 100, "seed": 0},
        "k": k,
        "sha256": sha256_of(values),
        "R": float(r),
        "p_nested": float(p_nested),
        "R_forced": float(r_forced),
        "p_forced": float(p_forced),
        "R_reversed": float(r_reversed),
        "p_reversed": float(p_reversed),
    }
    save_json(
        "powerlaw_distribution_compare.json",
        {
            "provenance": (
                f"{VERSIONS}: fit = powerlaw.Fit(values, xmin=values[k - 1]); for each alternative "
                "fit.distribution_compare('power_law', alternative) -> R, p; with normalized_ratio=True -> "
                "R_normalized; getattr(fit, alternative).parameters; math.fsum(getattr(fit, alternative)"
                ".loglikelihoods(fit.data)). values: dataset(generator, n, seed) of make_golden.py "
                "(= tests/compare/test_likelihood.py), K = n. nested_precedence: distribution_compare("
                "'power_law', 'truncated_power_law', nested=True / nested=False) and "
                "('truncated_power_law', 'power_law', nested=False)"
            ),
            "cases": cases,
            "nested_precedence": nested,
        },
    )


# --------------------------------------------------------------------------- ProDy: other models

GNM_CUTOFFS = (7.3, 9.0)
# Springs between every pair: a cutoff longer than any shipped protein (ProDy's KD-tree search).
EVERY_PAIR = 1000.0


def pf_gamma(dist2, i, j):
    """Yang, Song and Jernigan's (2009) parameter-free spring: k = 1 / r^2."""
    return 1.0 / dist2


def hinsen_gamma(dist2, i, j):
    """Hinsen et al. (2000) C-alpha force field as bio3d's ff.calpha writes it (kJ/mol/A^2, r in A).

    Written here from the paper's constants (k = 8.6e5 nm^-3 r - 2.39e5 nm^-2 below 4 A,
    128 nm^4 r^-6 beyond, kJ/mol), converted to angstrom, with bio3d's floor rmin = 2.9 A.
    """
    r = max(math.sqrt(dist2), 2.9)
    if r < 4.0:
        return 8.6e5 * (r / 10.0) / 100.0 - 2.39e5 / 100.0
    return 128.0 * (r / 10.0) ** -6 / 100.0


def prody_kirchhoff(coords: np.ndarray, cutoff: float, gamma) -> np.ndarray:
    gnm = prody.GNM()
    # kdtree=False: ProDy's KD-tree hands the spring function distances of single precision
    # (relative error ~1e-7, seen on every shipped entry with k = 1/r^2); its pair loop is exact.
    gnm.buildKirchhoff(coords, cutoff=cutoff, gamma=gamma, kdtree=False)
    k = gnm.getKirchhoff()
    assert np.array_equal(k, k.T), "ProDy's Kirchhoff matrix is exactly symmetric"
    return k


def write_gnm(coords: dict[str, np.ndarray]) -> None:
    arrays = {}
    for entry, xyz in coords.items():
        for cutoff in GNM_CUTOFFS:
            arrays[f"{entry}_{cutoff:g}A"] = np.linalg.eigvalsh(prody_kirchhoff(xyz, cutoff, 1.0))
        arrays[f"{entry}_pf"] = np.linalg.eigvalsh(prody_kirchhoff(xyz, EVERY_PAIR, pf_gamma))
    save_npz(
        "prody_gnm_eigvals.npz",
        **arrays,
        provenance=np.array(
            f"{VERSIONS}: numpy.linalg.eigvalsh(gnm.getKirchhoff()) after gnm = prody.GNM(); "
            "gnm.buildKirchhoff(coords, cutoff=C, gamma=1, kdtree=False) with C = 7.3 and 9 "
            "(keys <id>_7.3A, <id>_9A), "
            f"and cutoff={EVERY_PAIR:g}, gamma=pf_gamma (k = 1/r^2, every pair; key <id>_pf), on the coords "
            "of prody_calpha_<id>.npz"
        ),
    )
    for entry in ("1PWC", "3HSY"):
        k = prody_kirchhoff(coords[entry], 7.3, 1.0)
        i, j = np.nonzero(np.triu(k))
        save_npz(
            f"prody_gnm_7.3A_kirchhoff_{entry.lower()}.npz",
            i=i.astype(np.int32),
            j=j.astype(np.int32),
            values=k[i, j],
            n=np.int64(len(k)),
            provenance=np.array(
                f"{VERSIONS}: the nonzero upper triangle (i <= j) of gnm.getKirchhoff() after "
                f"gnm.buildKirchhoff(coords, cutoff=7.3, gamma=1, kdtree=False) on the coords of "
                f"prody_calpha_{entry.lower()}.npz"
            ),
        )


def write_spring_laws(coords: dict[str, np.ndarray]) -> None:
    for law, gamma in (("pf", pf_gamma), ("hinsen", hinsen_gamma)):
        arrays = {e: np.linalg.eigvalsh(prody_hessian(xyz, EVERY_PAIR, gamma)) for e, xyz in coords.items()}
        save_npz(
            f"prody_anm_{law}_eigvals.npz",
            **arrays,
            provenance=np.array(
                f"{VERSIONS}: numpy.linalg.eigvalsh(anm.getHessian()) after anm.buildHessian(coords, "
                f"cutoff={EVERY_PAIR:g}, gamma={gamma.__name__}) (every pair; the spring function is in "
                "make_golden.py), keyed by example id, on the coords of prody_calpha_<id>.npz"
            ),
        )
    k = prody_hessian(coords["1PWC"], EVERY_PAIR, hinsen_gamma)
    save_npz(
        "prody_anm_hinsen_hessian_diagonal_blocks_1pwc.npz",
        blocks=np.stack([k[3 * i : 3 * i + 3, 3 * i : 3 * i + 3] for i in range(len(k) // 3)]),
        offdiag=k[:3, 3:],
        provenance=np.array(
            f"{VERSIONS}: anm.buildHessian(coords, cutoff={EVERY_PAIR:g}, gamma=hinsen_gamma) on "
            "prody_calpha_1pwc.npz: every 3x3 diagonal block, and rows 0-2 of the off-diagonal part"
        ),
    )


def write_fluctuations(coords: dict[str, np.ndarray]) -> None:
    arrays = {}
    for entry, xyz in coords.items():
        for name, model, cutoff in (("anm_9A", prody.ANM, 9.0), ("gnm_7.3A", prody.GNM, 7.3)):
            nma = model()
            if model is prody.ANM:
                nma.buildHessian(xyz, cutoff=cutoff, gamma=1.0)
            else:
                nma.buildKirchhoff(xyz, cutoff=cutoff, gamma=1.0)
            nma.calcModes(n_modes=None)
            arrays[f"{entry}_{name}_all"] = prody.calcSqFlucts(nma)
            nma.calcModes(n_modes=20)
            arrays[f"{entry}_{name}_20"] = prody.calcSqFlucts(nma)
            if entry == "1PWC":
                arrays[f"{entry}_{name}_eigvecs10"] = nma.getEigvecs()[:, :10]
                arrays[f"{entry}_{name}_eigvals10"] = nma.getEigvals()[:10]
    save_npz(
        "prody_sqflucts.npz",
        **arrays,
        provenance=np.array(
            f"{VERSIONS}: prody.calcSqFlucts(nma) after nma.buildHessian(coords, cutoff=9, gamma=1) "
            "(ANM, keys "
            "<id>_anm_9A_*) or nma.buildKirchhoff(coords, cutoff=7.3, gamma=1) (GNM, <id>_gnm_7.3A_*) and "
            "nma.calcModes(n_modes=None) (every nonzero mode, *_all) or calcModes(n_modes=20) (*_20); "
            "1PWC also: the 10 softest nonzero eigenvectors and eigenvalues (*_eigvecs10, *_eigvals10); "
            "on the coords of prody_calpha_<id>.npz"
        ),
    )


def write_nmd() -> None:
    atoms = calpha("1PWC")
    anm = prody.ANM("1PWC")
    anm.buildHessian(atoms, cutoff=9.0, gamma=1.0)
    anm.calcModes(n_modes=3)
    path = prody.writeNMD(str(OUT / "prody_anm_9A_modes3_1pwc.nmd"), anm, atoms)
    # the first line names the absolute path of the file; keep only its name
    lines = Path(path).read_text().splitlines()
    lines[0] = "nmwiz_load prody_anm_9A_modes3_1pwc.nmd"
    Path(path).write_text("\n".join(lines) + "\n")
    report(Path(path))


def main() -> int:
    prody.confProDy(verbosity="none")
    OUT.mkdir(exist_ok=True)
    coords = {entry: write_calpha(entry) for entry in EXAMPLE_FILES}
    for entry, cutoff, gamma in HESSIANS:
        write_hessian(entry, coords[entry], cutoff, gamma)
    eigenvalues = {entry: write_eigenvalues(entry, coords[entry]) for entry in EXAMPLE_FILES}
    write_protein_fits(eigenvalues)
    write_sample_fits()
    write_loglikelihood_ratios()
    write_distribution_compare()
    write_gnm(coords)
    write_spring_laws(coords)
    write_fluctuations(coords)
    write_nmd()
    return 0


if __name__ == "__main__":
    sys.exit(main())
