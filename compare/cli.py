"""Command line: ``compare fit FILE``. No numerics here."""

from __future__ import annotations

import argparse
import json
import sys

from compare.errors import SpectrumFileError
from compare.io import read_values
from compare.powerlaw import MASSEY_COEFFICIENTS, fit_power_law

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="compare", description="Power-law statistics of spectra.")
    sub = parser.add_subparsers(dest="command", required=True)
    fp = sub.add_parser("fit", help="fit one spectrum file (.spectrum.npz, .npy, or a text/CSV column)")
    fp.add_argument("path")
    k = fp.add_mutually_exclusive_group()
    k.add_argument("--top", type=int, metavar="K", help="keep the K largest values (default: all)")
    k.add_argument("--fraction", type=float, metavar="F", help="keep floor(F * n) values")
    fp.add_argument(
        "--alpha", type=float, default=0.05, help=f"KS significance, one of {sorted(MASSEY_COEFFICIENTS)}"
    )
    fp.add_argument("--json", action="store_true", help="print one JSON object")
    fp.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def _fit(args: argparse.Namespace) -> int:
    spectrum = read_values(args.path)
    try:
        fit = fit_power_law(spectrum.values, k=args.top, fraction=args.fraction, alpha=args.alpha)
    except (TypeError, ValueError) as exc:
        raise SpectrumFileError(f"{args.path}: {exc}") from None
    if args.json:
        print(json.dumps({"name": spectrum.name, "kind": spectrum.kind, "n": len(spectrum), **fit.as_dict()}))
    else:
        verdict = "power law" if fit.is_power_law else "no power law"
        print(
            f"{'name':<20} {'n':>7} {'K':>6} {'d_ks':>8} {'d_c':>8} {'verdict':>13} "
            f"{'beta ± sigma':>15} {'s':>7}"
        )
        print(
            f"{spectrum.name:<20} {len(spectrum):>7} {fit.k:>6} {fit.d_ks:>8.4f} {fit.d_c:>8.4f} "
            f"{verdict:>13} {f'{fit.beta:.3f} ± {fit.sigma:.3f}':>15} {fit.s:>7.3f}"
        )
    return EXIT_OK


def run_command(
    prog: str,
    handler,
    args: argparse.Namespace,
    *,
    usage_errors: tuple = (ValueError,),
    runtime_errors: tuple = (OSError,),
    interrupted: str | None = None,
) -> int:
    """Run ``handler(args)`` with the house CLI conventions; returns the exit status.

    Bad input (``usage_errors``) prints one line and gives 2, a runtime failure 1, an
    interrupt 130 (with ``interrupted`` as the hint); ``args.debug`` re-raises instead.
    Shared by the ``compare`` and ``enmspec`` command lines.
    """
    debug = getattr(args, "debug", False)
    try:
        return handler(args)
    except usage_errors as exc:
        if debug:
            raise
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        if debug or interrupted is None:
            raise
        print(f"{prog}: {interrupted}", file=sys.stderr)
        return 130
    except runtime_errors as exc:
        if debug:
            raise
        print(f"{prog}: failed: {exc}", file=sys.stderr)
        return EXIT_FAILURE


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``compare`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    return run_command(
        "compare", {"fit": _fit}[args.command], args, usage_errors=(SpectrumFileError, ValueError)
    )


if __name__ == "__main__":
    sys.exit(main())
