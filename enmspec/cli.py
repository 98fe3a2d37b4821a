"""Command line: ``enmspec spectrum`` and ``enmspec batch``. No numerics here."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from compare.batchdir import RESULTS_NAME
from compare.errors import InputError
from compare.powerlaw import PowerLawFit
from compare.shell import EXIT_FAILURE, EXIT_OK, ArgumentParser, add_common_options, main_for
from compare.summary import summarize
from enmspec.afdb import AFDB_API, AFDB_DIR, AfdbSource, fetch_afdb, read_accessions
from enmspec.batch import GPU_JOBS, run_batch
from enmspec.eigen import SOLVERS
from enmspec.errors import EnmspecError
from enmspec.fetch import (
    FAILURES_NAME,
    FORMATS,
    SEARCH_URL,
    FetchSettings,
    SelectCriteria,
    fetch,
    read_ids,
    select,
)
from enmspec.hessian import DEFAULT_GAMMA, MODELS, SPRING_LAWS
from enmspec.modes import entry_extras
from enmspec.spectrum import PAPER_FRACTION, AnalysisSettings, analyze_structure
from enmspec.structure import example_structures
from enmspec.study import analyze_study, parse_cutoffs

#: Failure reasons ``enmspec fetch`` prints; the rest are in the failures file.
MAX_REASONS_SHOWN = 20
TABLE_HEADER = ("entry", "N", "n_modes", "K", "d_ks", "d_c", "verdict", "beta ± sigma", "s")


def _add_analysis_options(p: argparse.ArgumentParser) -> None:
    k = p.add_mutually_exclusive_group()
    k.add_argument("--top", type=int, metavar="K", help="keep the K largest inverse eigenvalues")
    k.add_argument(
        "--fraction",
        type=float,
        metavar="F",
        help=f"keep floor(F * n_modes) of them (default {PAPER_FRACTION}, the paper's rule)",
    )
    p.add_argument(
        "--cutoff",
        default="auto",
        help="spring cutoff in angstrom: auto (9 ANM, 7.3 GNM, none for pf/hinsen), none (every pair), "
        "a list 7,9,12 or a range 7:15:0.5 (a cutoff study: one row per cutoff)",
    )
    p.add_argument("--model", choices=MODELS, default="anm", help="elastic network model (anm)")
    p.add_argument(
        "--springs",
        choices=SPRING_LAWS,
        default="uniform",
        help="spring law: uniform (equal springs), pf (1/r^2, every pair), hinsen (Hinsen's C-alpha)",
    )
    p.add_argument(
        "--modes",
        type=int,
        default=0,
        metavar="N",
        help="save the N softest nonzero modes beside the spectrum (.modes.npz, and .nmd for NMWiz with ANM)",
    )
    p.add_argument(
        "--bfactors",
        action="store_true",
        help="correlate each entry's mean-square fluctuations with its B-factors (bfactor_r)",
    )
    p.add_argument("--gamma", type=float, default=DEFAULT_GAMMA, help="spring constant (1)")
    p.add_argument("--alpha", type=float, default=0.05, help="KS significance: 0.2, 0.15, 0.1, 0.05, 0.01")
    p.add_argument("--chains", help="author chain ids to keep, e.g. AB (default: all)")
    p.add_argument("--solver", choices=SOLVERS, default="auto", help="eigensolver (auto)")
    p.add_argument(
        "--device",
        help="torch device for the eigensolver, e.g. cuda or cuda:1 (implies --solver torch; needs torch)",
    )
    p.add_argument(
        "--keep-disconnected",
        action="store_true",
        help="fit disconnected networks (more zero modes than six for the ANM, one for the GNM), "
        "dropping the zero modes",
    )
    p.add_argument(
        "--max-residues",
        type=int,
        metavar="N",
        help="refuse larger structures (default: only those that would not fit in memory)",
    )
    p.add_argument(
        "--min-plddt",
        type=float,
        metavar="X",
        help="predicted models: drop residues of pLDDT below X (0-100, e.g. 70) before building the network",
    )
    p.add_argument(
        "--plddt-weights",
        action="store_true",
        help="predicted models: spring k_ij = gamma * w_i * w_j with w = pLDDT / 100",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``enmspec`` parser (``spectrum``, ``select``, ``fetch``, ``batch``).

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = ArgumentParser(
        prog="enmspec", description="ANM inverse spectra of proteins and their power laws."
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)

    sp = sub.add_parser("spectrum", help="one structure: inverse spectrum and power-law fit")
    sp.add_argument("path", help="PDB or mmCIF file, optionally .gz")
    _add_analysis_options(sp)
    add_common_options(sp, quiet=False)
    sp.add_argument("--plot", metavar="FILE", help="write the rank-size plot (PNG, SVG or PDF)")
    sp.add_argument("--save", metavar="FILE", help="write the spectrum (.spectrum.npz)")

    se = sub.add_parser("select", help="ask the RCSB Search API for the paper's set of entries")
    se.add_argument("--out", required=True, help="id list to write (one per line); OUT.json gets the query")
    se.add_argument("--method", default="X-RAY DIFFRACTION", help="experimental method (X-RAY DIFFRACTION)")
    se.add_argument("--max-resolution", type=float, default=2.0, help="angstrom (2.0)")
    se.add_argument("--min-length", type=int, default=100, help="residues per protein entity (100)")
    se.add_argument("--max-length", type=int, default=2000, help="residues per protein entity (2000)")
    se.add_argument(
        "--identity",
        type=int,
        default=30,
        help="one representative per sequence-identity cluster (100/95/90/70/50/30; 0: no clustering)",
    )
    se.add_argument("--url", default=SEARCH_URL, help="Search API endpoint")
    se.add_argument("--timeout", type=float, default=60.0, help="seconds per request (60)")
    add_common_options(se, json=False, quiet=False)

    fp = sub.add_parser("fetch", help="download PDB entries or AlphaFold DB models into a cache")
    fp.add_argument(
        "ids_file", help="text file of PDB ids, or of UniProt accessions with --source afdb (# comments)"
    )
    fp.add_argument("--cache", required=True, help="cache folder (ab/1abc.cif.gz layout; afdb/ for models)")
    fp.add_argument(
        "--source",
        choices=("pdb", "afdb"),
        default="pdb",
        help="PDB entries (default) or AlphaFold DB models",
    )
    fp.add_argument("--format", choices=sorted(FORMATS), default="cif", help="mmCIF (default) or legacy PDB")
    fp.add_argument(
        "--mirror",
        default=None,
        help="pdb: rcsb (default), wwpdb, or a URL template with {ID}, {id}, {ab}, {ext}; "
        "afdb: a URL template with {accession} and optionally {version} (default: AlphaFold DB's API)",
    )
    fp.add_argument(
        "--afdb-api", default=AFDB_API, metavar="URL", help="afdb: the prediction API ({accession})"
    )
    fp.add_argument("--jobs", type=int, default=4, help="downloads at once (4)")
    fp.add_argument("--timeout", type=float, default=30.0, help="seconds per request (30)")
    fp.add_argument("--retries", type=int, default=5, help="retries on timeouts, 429 and 5xx (5)")
    add_common_options(fp, json=False)

    bp = sub.add_parser("batch", help="many structures in parallel: one result row each")
    bp.add_argument("inputs", nargs="*", help="structure files, folders, or id lists (.txt) with --cache")
    bp.add_argument(
        "--examples",
        action="store_true",
        help="add the structures shipped with the package (six PDB entries)",
    )
    bp.add_argument(
        "--out",
        required=True,
        help="output folder (results.parquet, spectra/, summary.json); rerun to resume",
    )
    bp.add_argument(
        "--jobs",
        type=int,
        default=None,
        help=f"worker processes (default: all cores; {GPU_JOBS} with --device cuda, one GPU context each)",
    )
    bp.add_argument("--cache", help="entry cache for id lists; missing entries are downloaded")
    bp.add_argument("--mirror", default="rcsb", help="where --cache downloads from (see fetch --mirror)")
    bp.add_argument(
        "--afdb-mirror",
        metavar="TEMPLATE",
        help="where --cache downloads AlphaFold DB models of accession lists from (default: its API)",
    )
    bp.add_argument("--format", choices=sorted(FORMATS), default="cif", help="format --cache downloads")
    bp.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask distributed scheduler")
    bp.add_argument("--csv", action="store_true", help="also write results.csv")
    _add_analysis_options(bp)
    add_common_options(bp)
    return parser


def cutoff_option(text: str) -> float | str | tuple | None:
    """``--cutoff``: ``auto``, ``none``, a number, a list or a range (see :func:`enmspec.parse_cutoffs`).

    Parameters
    ----------
    text : str

    Returns
    -------
    float, "auto", None or tuple of float
    """
    word = text.strip().lower()
    if word == "auto":
        return "auto"
    if word == "none":
        return None
    try:
        return parse_cutoffs(text)
    except ValueError as exc:
        raise InputError(f"--cutoff {exc}") from None


def _settings(args: argparse.Namespace) -> AnalysisSettings:
    return AnalysisSettings(
        cutoff=cutoff_option(args.cutoff),
        model=args.model,
        springs=args.springs,
        modes=args.modes,
        bfactors=args.bfactors,
        gamma=args.gamma,
        top=args.top,
        fraction=args.fraction,
        alpha=args.alpha,
        solver=args.solver,
        device=args.device,
        allow_floppy=args.keep_disconnected,
        chains=args.chains,
        max_residues=args.max_residues,
        min_plddt=args.min_plddt,
        plddt_weights=args.plddt_weights,
    )


def row_cells(entry: str, n_residues: int, n_modes: int, fit: PowerLawFit | tuple) -> tuple:
    """The cells of one Table 11 row.

    Parameters
    ----------
    entry : str
        The structure's id.
    n_residues, n_modes : int
        Its residues and nonzero modes.
    fit : PowerLawFit or row
        Anything with ``k, d_ks, d_c, is_power_law, beta, sigma, s``.

    Returns
    -------
    tuple
        Nine cells, as :data:`TABLE_HEADER`.
    """
    verdict = "power law" if fit.is_power_law else "no power law"
    return (
        entry,
        n_residues,
        n_modes,
        fit.k,
        f"{fit.d_ks:.4f}",
        f"{fit.d_c:.4f}",
        verdict,
        f"{fit.beta:.3f} ± {fit.sigma:.3f}",
        f"{fit.s:.3f}",
    )


def format_row(cells: tuple) -> str:
    """Nine cells as one fixed-width line.

    Parameters
    ----------
    cells : tuple
        As :func:`row_cells` gives.

    Returns
    -------
    str
    """
    widths = (8, 6, 8, 6, 8, 8, 15, 15, 7)
    return "  ".join(
        str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def check_output_file(path: str | None, option: str) -> None:
    """Refuse an output file whose folder does not exist, before any work is done.

    Parameters
    ----------
    path : str, optional
        The file the user named (None: nothing to check).
    option : str
        The option that named it, for the message (``--plot``).

    Raises
    ------
    compare.errors.InputError
        The folder is missing or the path is a folder.
    """
    if path is None:
        return
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise InputError(f"{option} {path}: is a folder, not a file")
    if not parent.is_dir():
        raise InputError(f"{option} {path}: no such folder {parent}")


def _study_save_name(save: str, cutoff: float | None, study: bool) -> Path:
    """``--save x.spectrum.npz`` -> ``x-9A.spectrum.npz`` for each cutoff of a study."""
    target = Path(save)
    if not study:
        return target
    stem = target.name.removesuffix(".spectrum.npz").removesuffix(".npz")
    return target.with_name(f"{stem}-{cutoff:g}A.spectrum.npz")


def _spectrum(args: argparse.Namespace) -> int:
    settings = _settings(args)
    check_output_file(args.plot, "--plot")
    check_output_file(args.save, "--save")
    if settings.modes and not args.save:
        raise InputError("--modes N writes the modes beside the spectrum: give --save FILE.spectrum.npz too")
    if settings.is_study:
        analysis = analyze_study(args.path, settings)
        structure = analysis.structure
        found = [
            (r.cutoff, r.spectrum, f, r.error) for r, f in zip(analysis.results, analysis.fits, strict=True)
        ]
    else:
        structure, spectrum, fit = analyze_structure(args.path, settings)
        found = [(settings.cutoff, spectrum, fit, None)]
    if args.plot:
        from compare.report.plots import rank_size, save_figure

        _, spectrum, fit, _ = next((f for f in found if f[1] is not None), found[0])
        if spectrum is not None:
            save_figure(rank_size(spectrum, fit), args.plot)
    if not args.json:
        print(("cutoff  " if settings.is_study else "") + format_row(TABLE_HEADER))
    for cutoff, spectrum, fit, error in found:
        if spectrum is None:
            print(f"{structure.entry_id} at {cutoff:g} A: excluded: {error}", file=sys.stderr)
            continue
        extras = {}
        if args.save:
            target = _study_save_name(args.save, cutoff, settings.is_study)
            spectrum.save(target)
            extras = entry_extras(structure, settings, cutoff, target.parent, target.name)
        elif settings.bfactors:
            extras = entry_extras(structure, settings, cutoff, None, "")
        if args.json:
            record = {
                "id": structure.entry_id,
                "n_residues": spectrum.meta["n_residues"],
                "n_modes": spectrum.meta["n_modes"],
                **fit.as_dict(),
                "n_zero": spectrum.meta["n_zero"],
                "model": settings.model,
                "springs": settings.springs,
                "cutoff": cutoff,
                "solver": spectrum.meta["solver"],
                **{k: spectrum.meta.get(k) for k in ("structure_type", "plddt_mean", "n_low_plddt")},
                **extras,
            }
            print(json.dumps(record))
            continue
        line = format_row(row_cells(structure.entry_id, len(structure), spectrum.meta["n_modes"], fit))
        prefix = f"{cutoff:>6g}  " if settings.is_study else ""
        suffix = f"  r(B) = {extras['bfactor_r']:.3f}" if extras.get("bfactor_r") is not None else ""
        print(prefix + line + suffix)
    return EXIT_OK


def _batch(args: argparse.Namespace) -> int:
    settings = _settings(args)
    inputs = list(args.inputs) + ([str(p) for p in example_structures().values()] if args.examples else [])
    if not inputs:
        raise EnmspecError("give structure files, folders or id lists, or --examples")
    missing = [p for p in args.inputs if not Path(p).exists()]
    if missing:
        raise EnmspecError(f"no such file or folder: {', '.join(missing)}")
    table = run_batch(
        inputs,
        args.out,
        settings=settings,
        jobs=args.jobs,
        cache=args.cache,
        fetch_settings=FetchSettings(base_url=args.mirror, fmt=args.format),
        scheduler=args.scheduler,
        write_csv=args.csv,
        progress=not args.quiet,
        afdb_source=AfdbSource(mirror=args.afdb_mirror),
    )
    done = table[table["status"] == "done"]
    summary = summarize(table)
    counts = summary["counts"]
    if args.json:
        print(json.dumps({**summary, "skipped": table.attrs.get("skipped", 0), "out": str(args.out)}))
        return EXIT_FAILURE if counts["failed"] else EXIT_OK
    if not args.quiet:
        print(format_row(TABLE_HEADER))
        for r in done.itertuples():
            print(format_row(row_cells(r.id, r.n_residues, r.n_modes, r)))
    for r in table[table["status"] != "done"].itertuples():
        print(f"{r.id}: {r.status}: {r.error}", file=sys.stderr)
    skipped = table.attrs.get("skipped", 0)
    print(
        f"{counts['done']} done ({int(done['is_power_law'].astype(bool).sum())} pass the KS test), "
        f"{counts['excluded']} excluded, {counts['failed']} failed"
        + (f"; {skipped} skipped as already done in an earlier run" if skipped else "")
        + f"; results in {Path(args.out) / RESULTS_NAME}"
    )
    print(format_summary(summary))
    if counts["failed"]:
        print(f"enmspec batch: {counts['failed']} of {len(table)} entries failed", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def format_summary(summary: dict) -> str:
    """The size-binned summary as a small table (the paper's Table 13 layout); per cutoff for a study."""
    if summary.get("by_cutoff"):  # a cutoff study: pooling the cutoffs would mix different networks
        lines = [
            f"{'cutoff':<10} {'n':>6} {'beta':>16} {'s':>16} {'d_ks/d_c':>9} {'pass':>6} {'excluded':>9}"
        ]
        rows = [({**r, "bin": f"{r['cutoff']:g} A"}, f" {r['excluded']:>9}") for r in summary["by_cutoff"]]
    else:
        lines = [f"{'3N':<10} {'n':>6} {'beta':>16} {'s':>16} {'d_ks/d_c':>9} {'pass':>6}"]
        rows = [(r, "") for r in summary["by_size"]]
    for row, tail in rows:
        if not row["n"]:
            lines.append(
                f"{row['bin']:<10} {0:>6}" + (f" {'':>16} {'':>16} {'':>9} {'':>6}{tail}" if tail else "")
            )
            continue
        beta_sd = "-" if row["beta_sd"] is None else f"{row['beta_sd']:.3f}"
        s_sd = "-" if row["s_sd"] is None else f"{row['s_sd']:.3f}"
        lines.append(
            f"{row['bin']:<10} {row['n']:>6} {row['beta_mean']:>8.3f} ± {beta_sd:<5} "
            f"{row['s_mean']:>8.3f} ± {s_sd:<5} {row['dks_over_dc_mean']:>9.3f} "
            f"{row['pass_rate']:>6.1%}{tail}"
        )
    return "\n".join(lines)


def _select(args: argparse.Namespace) -> int:
    criteria = SelectCriteria(
        method=args.method,
        max_resolution=args.max_resolution,
        min_length=args.min_length,
        max_length=args.max_length,
        identity=args.identity or None,
    )
    result = select(criteria, url=args.url, settings=FetchSettings(timeout=args.timeout))
    ids_path, meta_path = result.write(args.out)
    print(f"{len(result.ids)} entries ({result.n_hits} hits) written to {ids_path}; query in {meta_path}")
    return EXIT_OK


def _fetch(args: argparse.Namespace) -> int:
    pdb_mirror = args.mirror if args.source == "pdb" and args.mirror else "rcsb"
    settings = FetchSettings(
        base_url=pdb_mirror, fmt=args.format, jobs=args.jobs, timeout=args.timeout, retries=args.retries
    )
    if args.source == "afdb":
        ids = read_accessions(args.ids_file)
        source = AfdbSource(api=args.afdb_api, mirror=args.mirror)
        report = fetch_afdb(ids, cache=args.cache, settings=settings, source=source, progress=not args.quiet)
        failures = Path(args.cache) / AFDB_DIR / FAILURES_NAME
    else:
        ids = read_ids(args.ids_file)
        report = fetch(ids, cache=args.cache, settings=settings, progress=not args.quiet)
        failures = Path(args.cache) / FAILURES_NAME
    reasons = list(report.failed.values())
    for reason in reasons[:MAX_REASONS_SHOWN]:
        print(reason, file=sys.stderr)
    if len(reasons) > MAX_REASONS_SHOWN:
        print(
            f"... and {len(reasons) - MAX_REASONS_SHOWN} more, see {failures}",
            file=sys.stderr,
        )
    print(
        f"{len(report.downloaded)} downloaded ({report.bytes_downloaded / 1e6:.1f} MB), "
        f"{len(report.already_cached)} already cached, {len(report.failed)} failed "
        f"(listed in {failures})"
    )
    if report.failed:
        print(f"enmspec fetch: {len(report.failed)} of {len(ids)} entries failed", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``enmspec`` console script.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 done, 1 runtime failure (or some entries failed), 2 bad usage or input.
    """
    handlers = {"spectrum": _spectrum, "batch": _batch, "fetch": _fetch, "select": _select}
    return main_for(
        "enmspec",
        build_parser(),
        handlers,
        argv,
        interrupted="interrupted; finished entries are kept, rerun the command to resume",
    )


if __name__ == "__main__":
    sys.exit(main())
