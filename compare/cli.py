"""Command line: ``compare fit FILE`` and ``compare report INPUTS --out DIR``. No numerics here."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from compare.discrete import is_integer_valued
from compare.errors import InputError, SpectrumFileError
from compare.io import read_values
from compare.krule import KRule
from compare.powerlaw import KS_CONVENTIONS, MASSEY_COEFFICIENTS, fit_power_law, goodness_of_fit, scan_xmin
from compare.shell import EXIT_OK, ArgumentParser, add_common_options, main_for


def build_parser() -> argparse.ArgumentParser:
    """The ``compare`` parser (subcommands ``fit`` and ``report``).

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = ArgumentParser(prog="compare", description="Power-law statistics of spectra.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)
    fp = sub.add_parser("fit", help="fit one spectrum file (.spectrum.npz, .npy, or a text/CSV column)")
    fp.add_argument("path")
    k = fp.add_mutually_exclusive_group()
    k.add_argument("--top", type=int, metavar="K", help="keep the K largest values (default: all)")
    k.add_argument(
        "--fraction",
        type=float,
        metavar="F",
        help="keep floor(F * n_modes) values, n_modes from the file's meta (else the values in the file)",
    )
    k.add_argument(
        "--scan",
        action="store_true",
        help="choose x_min by the least KS distance (Clauset et al. 2009) instead of a fixed K",
    )
    fp.add_argument(
        "--alpha", type=float, default=0.05, help=f"KS significance, one of {sorted(MASSEY_COEFFICIENTS)}"
    )
    _add_statistics_options(fp)
    add_common_options(fp, quiet=True)
    _add_report_parser(sub)
    return parser


def _add_statistics_options(fp: argparse.ArgumentParser) -> None:
    """``compare fit``'s law, KS convention, scan and bootstrap options."""
    fp.add_argument(
        "--discrete",
        action="store_true",
        help="fit the discrete power law x^-beta / zeta(beta, x_min) (integer data: counts, degrees)",
    )
    fp.add_argument(
        "--ks",
        choices=KS_CONVENTIONS,
        default="left",
        help="KS distance: 'left' (the powerlaw package's, the paper's) or 'two-sided' (Clauset's, "
        "counts ties) (default left)",
    )
    fp.add_argument("--k-min", type=int, metavar="K", help="--scan: smallest tail tried (default 10)")
    fp.add_argument(
        "--grid", type=int, metavar="G", help="--scan: try only about G candidates, log-spaced (large inputs)"
    )
    fp.add_argument(
        "--bootstrap",
        type=int,
        default=0,
        metavar="N",
        help="goodness-of-fit p-value from N synthetic sets: fixed-K null for a fixed K, "
        "semi-parametric with x_min re-scanned for --scan (0: off)",
    )
    fp.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (0)")
    fp.add_argument("--jobs", type=int, default=1, help="processes for the bootstrap (1)")


def _add_report_parser(sub: argparse._SubParsersAction) -> None:
    rp = sub.add_parser(
        "report",
        help="fit many spectra and write an HTML + Markdown report with tables (CSV) and figures",
        description="INPUTS: spectrum files (*.spectrum.npz), folders of them (recursive) and "
        "protein batch folders of 'enmspec batch'. Writes OUT/report.html (self-contained), "
        "OUT/report.md, OUT/tables/*.csv, OUT/figures/*.png|svg, settings.json, summary.json.",
    )
    rp.add_argument("inputs", nargs="+", metavar="INPUT")
    rp.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    pk = rp.add_mutually_exclusive_group()
    pk.add_argument("--protein-top", type=int, metavar="K", help="proteins: keep the K largest values")
    pk.add_argument(
        "--protein-fraction",
        type=float,
        metavar="F",
        help="proteins: keep floor(F * modes) values (default 0.1, the paper's top tenth)",
    )
    nk = rp.add_mutually_exclusive_group()
    nk.add_argument(
        "--network-top",
        type=int,
        metavar="K",
        help="networks: keep the K largest (default 1000, all if fewer)",
    )
    nk.add_argument("--network-fraction", type=float, metavar="F", help="networks: keep floor(F * n) values")
    rp.add_argument(
        "--alpha", type=float, default=0.05, help=f"KS significance, one of {sorted(MASSEY_COEFFICIENTS)}"
    )
    rp.add_argument(
        "--bootstrap", type=int, default=0, metavar="N", help="bootstrap p-value with N samples (0: off)"
    )
    rp.add_argument("--seed", type=int, default=0, help="seed of the simulated KS null distributions (0)")
    rp.add_argument("--jobs", type=int, default=1, help="processes for the null distributions (1)")
    rp.add_argument("--lr", action="store_true", help="add likelihood-ratio tests against alternatives")
    rp.add_argument("--no-figures", action="store_true", help="tables only (faster)")
    rp.add_argument(
        "--gap-span",
        type=float,
        default=2.0,
        metavar="R",
        help="eigengaps: fit the largest min(K, m / R) of the m gaps (2; 1 fits K gaps)",
    )
    rp.add_argument("--title", default="Power-law Hessian spectra", help="report title")
    rp.add_argument(
        "--group-by",
        action="append",
        default=[],
        metavar="COLUMN",
        help="summarise s, beta and the pass rate by a fit-table column (organism, method, structure_type, "
        "...) or a derived bin (resolution-bin, release-year, plddt-bin, size-bin); repeatable",
    )
    rp.add_argument(
        "--reference",
        metavar="FILE",
        help="the paper's numbers to compare with (CSV; default: the copy shipped with the package)",
    )
    add_common_options(rp, quiet=False)


def _report(args: argparse.Namespace) -> int:
    from compare.report.writer import ReportSettings, write_report

    if args.reference is not None and not Path(args.reference).is_file():
        raise InputError(f"--reference {args.reference}: no such file")
    protein = (
        KRule(top=args.protein_top)
        if args.protein_top is not None
        else KRule(fraction=args.protein_fraction if args.protein_fraction is not None else 0.1)
    )
    if args.network_fraction is not None:
        network = KRule(fraction=args.network_fraction)
    elif args.network_top is not None:
        network = KRule(top=args.network_top)
    else:
        network = KRule(top=1000, strict=False)
    settings = ReportSettings(
        protein=protein,
        network=network,
        alpha=args.alpha,
        bootstrap=args.bootstrap,
        seed=args.seed,
        jobs=args.jobs,
        lr=args.lr,
        figures=not args.no_figures,
        gap_span=args.gap_span,
        title=args.title,
        reference=args.reference,
        group_by=tuple(args.group_by),
    )
    path = write_report(args.inputs, args.out, settings=settings)
    summary = json.loads((path.parent / "summary.json").read_text())
    if args.json:
        print(json.dumps(summary))
    else:
        for kind, s in summary["kinds"].items():
            print(
                f"{s['spectra']} {kind} spectra: {100 * s['pass_rate']:.0f} % pass (Massey d_c), "
                f"{100 * s['pass_rate_fitted']:.0f} % (fitted-beta d_c); mean s = {s['s_mean']:.3f}"
            )
        if summary["not_analysed"]:
            print(f"{summary['not_analysed']} batch row(s) not analysed")
        print(f"report: {path}")
    return EXIT_OK


def _fit(args: argparse.Namespace) -> int:
    if not args.scan and (args.k_min is not None or args.grid is not None):
        raise InputError("--k-min and --grid apply to --scan only")
    spectrum = read_values(args.path)
    try:
        if args.scan:
            fit = scan_xmin(
                spectrum.values,
                k_min=min(10 if args.k_min is None else args.k_min, len(spectrum)),
                alpha=args.alpha,
                discrete=args.discrete,
                ks=args.ks,
                grid=args.grid,
            ).fit
        else:
            k = None
            if args.top is not None or args.fraction is not None:
                k, _ = KRule(top=args.top, fraction=args.fraction).resolve(spectrum)
            fit = fit_power_law(spectrum.values, k=k, alpha=args.alpha, discrete=args.discrete, ks=args.ks)
        gof = None
        if args.bootstrap:
            gof = goodness_of_fit(
                fit,
                values=spectrum.values,
                n_sim=args.bootstrap,
                seed=args.seed,
                jobs=args.jobs,
                progress=not (args.quiet or args.json),
            )
    except (TypeError, ValueError) as exc:
        raise SpectrumFileError(f"{args.path}: {exc}") from None
    if not args.discrete and is_integer_valued(spectrum.values[: fit.k]):
        print(
            f"note: the {fit.k} fitted values are all integers; if they are counts, "
            "--discrete fits the discrete law (the continuous one is then an approximation)",
            file=sys.stderr,
        )
    extra = {} if gof is None else {"p_value": gof.p_value, "null": gof.null, "n_sim": gof.n_sim}
    if args.json:
        record = {"name": spectrum.name, "kind": spectrum.kind, "n": len(spectrum), **fit.as_dict(), **extra}
        print(json.dumps(record))
        return EXIT_OK
    verdict = "power law" if fit.is_power_law else "no power law"
    p_head = f" {'p':>6}" if gof is not None else ""
    p_cell = f" {gof.p_value:>6.3f}" if gof is not None else ""
    print(
        f"{'name':<20} {'n':>7} {'K':>6} {'x_min':>10} {'d_ks':>8} {'d_c':>8} {'verdict':>13} "
        f"{'beta ± sigma':>15} {'s':>7}{p_head}"
    )
    print(
        f"{spectrum.name:<20} {len(spectrum):>7} {fit.k:>6} {fit.x_min:>10.4g} {fit.d_ks:>8.4f} "
        f"{fit.d_c:>8.4f} {verdict:>13} {f'{fit.beta:.3f} ± {fit.sigma:.3f}':>15} {fit.s:>7.3f}{p_cell}"
    )
    if fit.discrete or fit.xmin_method == "scanned" or fit.ks != "left" or gof is not None:
        law = "discrete" if fit.discrete else "continuous"
        how = f"scanned (k_min {fit.k_min})" if fit.xmin_method == "scanned" else "fixed"
        print(f"{law} law, x_min {how}, KS {fit.ks}")
    if gof is not None:
        print(f"p-value: {gof.n_sim} synthetic sets, {gof.description}, seed {gof.seed}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``compare`` console script.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 done, 1 runtime failure, 2 bad usage or input.
    """
    return main_for("compare", build_parser(), {"fit": _fit, "report": _report}, argv)


if __name__ == "__main__":
    sys.exit(main())
