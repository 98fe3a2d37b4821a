"""Command line: ``dnnspec train``, ``dnnspec spectrum`` and ``dnnspec sweep``. No numerics here."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from compare.files import atomic_write_json
from compare.shell import EXIT_FAILURE, EXIT_OK, ArgumentParser, add_common_options, main_for
from compare.validation import Interval, check_scalar
from dnnspec.names import ACTIVATION_NAMES, DATASETS, MODEL_NAMES, OPTIMIZER_ALIASES


def _add_train_parser(sub: argparse._SubParsersAction) -> None:
    tp = sub.add_parser("train", help="train a network and write a checkpoint (CHECKPOINT.json: settings)")
    data = tp.add_argument_group("data")
    data.add_argument("--data", choices=DATASETS, default="mnist5k", help="data set (mnist5k)")
    data.add_argument(
        "--root",
        help="folder holding the data set files (default: mnist5k and digits ship with the package)",
    )
    data.add_argument("--n-train", type=int, metavar="N", help="stratified subsample of N training images")
    data.add_argument("--test-fraction", type=float, default=0.2, help="held out by mnist5k and digits (0.2)")
    noise = data.add_mutually_exclusive_group()
    noise.add_argument(
        "--label-noise", type=float, default=0.0, metavar="RATE", help="flip this share of labels"
    )
    noise.add_argument("--random-labels", action="store_true", help="shuffle the training labels")
    model = tp.add_argument_group("model")
    model.add_argument(
        "--model", type=str.lower, choices=MODEL_NAMES, default="lenet", help="network (lenet)"
    )
    model.add_argument(
        "--width", type=int, help="hidden units (fcn, linear: 100) or base channels (resnet18: 64)"
    )
    model.add_argument("--depth", type=int, help="hidden layers of --model fcn (2)")
    model.add_argument("--batch-norm", action="store_true", help="BatchNorm after each hidden layer")
    model.add_argument("--activation", choices=ACTIVATION_NAMES, help="(relu; identity for linear nets)")
    opt = tp.add_argument_group("training")
    opt.add_argument(
        "--optimizer",
        type=str.lower,
        default="sgd",
        metavar="NAME",
        help=f"the paper's {', '.join(OPTIMIZER_ALIASES)}, or any torch.optim class by name (sgd)",
    )
    opt.add_argument("--lr", type=float, help="learning rate (0.1 for SGD, 0.001 otherwise)")
    opt.add_argument("--momentum", type=float, help="(0.9 for sgd)")
    opt.add_argument("--weight-decay", type=float, default=5e-4, help="(5e-4)")
    opt.add_argument("--batch-size", type=int, default=128, help="(128)")
    opt.add_argument("--epochs", type=int, default=50, help="0 writes the random initialisation (50)")
    opt.add_argument(
        "--milestones",
        type=float,
        nargs="*",
        default=[0.4, 0.8],
        metavar="F",
        help="fractions of training after which the lr is multiplied by --gamma (0.4 0.8)",
    )
    opt.add_argument("--gamma", type=float, default=0.1, help="(0.1)")
    opt.add_argument("--augment", action="store_true", help="random crop (pad 4) and horizontal flip")
    opt.add_argument(
        "--seed", type=int, default=0, help="seeds the split, the initialisation and shuffling (0)"
    )
    tp.add_argument("--out", metavar="CHECKPOINT", help="(runs/<model>-<data>-seed<seed>.pt)")
    tp.add_argument("--threads", type=int, metavar="N", help="torch CPU threads (default: torch's choice)")
    add_common_options(tp)


def _add_spectrum_parser(sub: argparse._SubParsersAction) -> None:
    sp = sub.add_parser(
        "spectrum",
        help="top-k eigenvalues of a checkpoint's training-loss Hessian (writes a .spectrum.npz)",
    )
    sp.add_argument("checkpoint", help="a checkpoint written by dnnspec train")
    sp.add_argument("--top", type=int, default=100, metavar="K", help="eigenvalues to compute (100)")
    sp.add_argument("--out", metavar="FILE", help="(CHECKPOINT with .spectrum.npz)")
    sp.add_argument(
        "--dtype",
        choices=("float32", "float64"),
        default="float64",
        help="precision of the products (float64)",
    )
    sp.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ... (cpu)")
    sp.add_argument(
        "--method",
        choices=("auto", "func", "graph"),
        default="auto",
        help="Hessian-vector products by torch.func (bounded memory) or a kept gradient graph "
        "(auto: graph up to 10,000 samples)",
    )
    sp.add_argument("--chunk-size", type=int, default=1000, metavar="N", help="samples per loss chunk (1000)")
    sp.add_argument("--block-size", type=int, metavar="B", help="Lanczos block (1 on a CPU, 16 on a GPU)")
    sp.add_argument("--tol", type=float, default=1e-5, help="relative residual of every kept value (1e-5)")
    sp.add_argument("--max-products", type=int, metavar="N", help="Hessian-vector product budget")
    sp.add_argument(
        "--power-check",
        type=int,
        default=3,
        metavar="N",
        help="check the top N by power iteration (3; 0 = off)",
    )
    sp.add_argument(
        "--trace-samples", type=int, default=64, metavar="N", help="Hutchinson probes (64; 0 = off)"
    )
    sp.add_argument("--alpha", type=float, default=0.05, help="KS significance of the printed fit (0.05)")
    sp.add_argument("--seed", type=int, default=0, help="seeds the Lanczos start, checks and probes (0)")
    sp.add_argument("--threads", type=int, metavar="N", help="torch CPU threads (default: torch's choice)")
    add_common_options(sp)


def _add_sweep_parser(sub: argparse._SubParsersAction) -> None:
    from dnnspec.grid import DEFAULTS, setting_type
    from dnnspec.presets import PRESETS, SCALES

    wp = sub.add_parser(
        "sweep",
        help="train many nets over a grid of settings, take and fit each spectrum (resumable)",
        description="A grid from a preset of the paper's experiments, a TOML file, or both, with "
        "settings and --vary on top. Rerun the same command to resume; results in OUT/results.parquet.",
    )
    wp.add_argument("grid", nargs="?", help="grid file (TOML: preset, scale, [base], [vary], [[case]])")
    wp.add_argument("--preset", choices=tuple(PRESETS), help="one of the paper's experiments")
    wp.add_argument("--scale", choices=SCALES, help="ci (a minute), cpu (about an hour), paper (GPU); (ci)")
    wp.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="NAME=V1,V2",
        help="vary a setting over these values (repeatable; the runs take every combination)",
    )
    wp.add_argument("--out", required=True, metavar="DIR", help="the sweep folder")
    wp.add_argument("--jobs", type=int, default=1, help="worker processes (-1: all cores; 1)")
    wp.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler (tcp://host:8786)")
    wp.add_argument("--device", help="where the spectra's products run (cuda; default cpu)")
    wp.add_argument("--threads", type=int, metavar="N", help="torch threads per run (cores / jobs)")
    wp.add_argument("--csv", action="store_true", help="also write results.csv")
    wp.add_argument("--list", action="store_true", help="print the runs of the grid and exit")
    settings = wp.add_argument_group("settings of every run (override the preset and the grid file)")
    for name, default in DEFAULTS.items():
        kind = setting_type(name)
        shown = ":".join(map(str, default)) if isinstance(default, tuple) else default
        settings.add_argument(
            f"--{name.replace('_', '-')}",
            dest=f"set_{name}",
            default=argparse.SUPPRESS,
            metavar=kind.__name__.upper() if kind is not bool else "BOOL",
            help=f"({shown})",
        )
    add_common_options(wp)


def build_parser() -> argparse.ArgumentParser:
    """The ``dnnspec`` argument parser with its ``train``, ``spectrum`` and ``sweep`` subcommands.

    Returns
    -------
    argparse.ArgumentParser
        A :class:`compare.shell.ArgumentParser` (usage errors exit with status 2).
    """
    parser = ArgumentParser(prog="dnnspec", description="Loss-Hessian spectra of deep networks.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)
    _add_train_parser(sub)
    _add_spectrum_parser(sub)
    _add_sweep_parser(sub)
    return parser


def _set_threads(threads: int | None) -> None:
    import torch

    if threads is not None:
        torch.set_num_threads(int(check_scalar(threads, "--threads", int, interval=Interval(1))))


def _train(args: argparse.Namespace) -> int:
    from dnnspec.data import DataSettings, load_dataset
    from dnnspec.models import build_model
    from dnnspec.train import TrainSettings, save_checkpoint, train

    data_settings = DataSettings(
        name=args.data,
        n_train=args.n_train,
        test_fraction=args.test_fraction,
        label_noise=args.label_noise,
        random_labels=args.random_labels,
        seed=args.seed,
        root=args.root,
    )
    train_settings = TrainSettings(
        optimizer=args.optimizer,
        lr=args.lr,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        batch_size=args.batch_size,
        epochs=args.epochs,
        milestones=tuple(args.milestones),
        gamma=args.gamma,
        seed=args.seed,
        augment=args.augment,
    )
    _set_threads(args.threads)
    out = Path(args.out or f"runs/{args.model}-{args.data}-seed{args.seed}.pt")
    dataset = load_dataset(data_settings)
    model_kwargs = {
        "input_shape": list(dataset.input_shape),
        "n_classes": dataset.n_classes,
        "width": args.width,
        "depth": args.depth,
        "batch_norm": args.batch_norm,
        "activation": args.activation,
    }
    model_kwargs = {k: v for k, v in model_kwargs.items() if v is not None}
    model = build_model(args.model, **{**model_kwargs, "input_shape": dataset.input_shape}, seed=args.seed)
    result = train(model, dataset, train_settings, progress=not args.quiet)
    metrics = result.metrics()
    save_checkpoint(
        out,
        model_name=args.model,
        model_kwargs=model_kwargs,
        model=result.model,
        data_settings=data_settings,
        train_settings=train_settings,
        history=result.history,
        metrics=metrics,
    )
    settings_path = out.with_suffix(".json")
    record = {
        "checkpoint": str(out),
        "model_name": args.model,
        "model_kwargs": model_kwargs,
        "n_parameters": sum(p.numel() for p in result.model.parameters()),
        "n_train": len(dataset.y_train),
        "n_test": len(dataset.y_test),
        "data_settings": data_settings.as_dict(),
        "train_settings": train_settings.as_dict(),
        "metrics": metrics,
        "history": [h.as_dict() for h in result.history],
    }
    atomic_write_json(settings_path, record)
    if args.json:
        print(
            json.dumps({k: v for k, v in record.items() if k != "history"} | {"settings": str(settings_path)})
        )
    else:
        print(
            f"{args.model} on {args.data} ({len(dataset.y_train)} images, {train_settings.epochs} epochs, "
            f"{train_settings.optimizer}): train accuracy {metrics['train_accuracy']:.4f}, "
            f"test accuracy {metrics['test_accuracy']:.4f}, train loss {metrics['train_loss']:.4g}; "
            f"checkpoint {out}, settings {settings_path}"
        )
    return EXIT_OK


def _spectrum(args: argparse.Namespace) -> int:
    import torch

    from compare.powerlaw import fit_power_law
    from dnnspec.spectrum import checkpoint_spectrum

    _set_threads(args.threads)
    check_scalar(args.top, "--top", int, interval=Interval(1))
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"--device {args.device}: no CUDA device is available to torch here")
    checkpoint = Path(args.checkpoint)
    out = Path(args.out) if args.out else checkpoint.with_name(checkpoint.stem + ".spectrum.npz")
    spectrum = checkpoint_spectrum(
        checkpoint,
        k=args.top,
        chunk_size=args.chunk_size,
        dtype=getattr(torch, args.dtype),
        device=args.device,
        method=args.method,
        block_size=args.block_size,
        tol=args.tol,
        max_products=args.max_products,
        power_check=min(args.power_check, args.top),
        trace_samples=args.trace_samples,
        seed=args.seed,
        progress=not args.quiet,
    )
    spectrum.save(out)
    fit = fit_power_law(spectrum.values, alpha=args.alpha)
    meta = spectrum.meta
    if args.json:
        print(
            json.dumps(
                {
                    "spectrum": str(out),
                    "name": spectrum.name,
                    "n": len(spectrum),
                    **fit.as_dict(),
                    "solver": {
                        k: meta[k] for k in ("steps", "n_products", "max_relative_residual", "seconds")
                    },
                    "trace": meta.get("trace"),
                    "top_eigenvalue": meta["top_eigenvalue"],
                }
            )
        )
    else:
        verdict = "power law" if fit.is_power_law else "no power law"
        trace = f", trace {meta['trace']:.4g} ± {meta['trace_stderr']:.2g}" if "trace" in meta else ""
        print(
            f"{spectrum.name}: top {len(spectrum)} of {meta['n_params']} eigenvalues "
            f"in {meta['seconds']:.1f} s "
            f"({meta['n_products']} Hessian-vector products, max relative residual "
            f"{meta['max_relative_residual']:.1e}); lambda_1 {meta['top_eigenvalue']:.4g}{trace}"
            + _extra_seconds(meta)
        )
        print(
            f"K {fit.k}: beta {fit.beta:.3f} ± {fit.sigma:.3f}, s {fit.s:.3f}, d_ks {fit.d_ks:.4f}, "
            f"d_c {fit.d_c:.4f}: {verdict}; spectrum {out}"
        )
    return EXIT_OK


def _extra_seconds(meta: dict) -> str:
    """The whole run's time where the power-iteration check and the trace added to the solver's."""
    total, solve = meta.get("seconds_total"), meta.get("seconds")
    if total is None or solve is None or total - solve < 0.05 * total:
        return ""
    parts = [
        name
        for key, name in (("power_check", "power-iteration check"), ("trace_samples", "trace"))
        if meta.get(key)
    ]
    return f"; {total:.1f} s in all" + (f" with the {' and the '.join(parts)}" if parts else "")


def _sweep_grid(args: argparse.Namespace) -> object:
    from compare.errors import InputError
    from dnnspec.grid import SweepGrid, coerce, parse_assignment, read_grid
    from dnnspec.presets import preset_grid

    if args.scale and not args.preset and not args.grid:
        raise InputError("--scale needs --preset (or a grid file naming a preset)")
    grid = preset_grid(args.preset, args.scale or "ci") if args.preset else SweepGrid()
    if args.grid:
        from_file = read_grid(args.grid)
        if args.preset and from_file.preset and from_file.preset != args.preset:
            raise InputError(f"--preset {args.preset} and {args.grid}'s preset {from_file.preset} differ")
        grid = from_file if not args.preset else grid.updated(base=from_file.base, vary=from_file.vary)
    base = {
        k[4:]: coerce(k[4:], v, where=f"--{k[4:].replace('_', '-')}")
        for k, v in vars(args).items()
        if k.startswith("set_")
    }
    vary = dict(parse_assignment(text, many=True) for text in args.vary)
    return grid.updated(base=base, vary=vary)


def _sweep(args: argparse.Namespace) -> int:
    from dnnspec.sweep import run_sweep

    grid = _sweep_grid(args)
    runs = grid.runs()
    if args.list:
        for run in runs:
            print(run.key, json.dumps({k: v for k, v in run.settings.items() if k in grid.varied()}))
        return EXIT_OK
    table = run_sweep(
        grid,
        args.out,
        jobs=args.jobs,
        scheduler=args.scheduler,
        device=args.device,
        threads=args.threads,
        write_csv=args.csv,
        progress=not args.quiet,
    )
    failed = table[table["status"] != "done"]
    if args.json:
        print(json.dumps({"out": str(args.out), "runs": len(table), "failed": len(failed), **grid.as_dict()}))
    else:
        _print_sweep(table)
        for r in failed.itertuples():
            print(f"{r.id}: {r.status}: {r.error}", file=sys.stderr)
        print(
            f"{len(table) - len(failed)} of {len(table)} runs done ({table.attrs.get('skipped', 0)} from an "
            f"earlier run); results in {Path(args.out) / 'results.parquet'}"
        )
    return EXIT_FAILURE if len(failed) else EXIT_OK


def _print_sweep(table: object) -> None:
    header = ("run", "train acc", "K", "d_ks", "d_c", "verdict", "beta ± sigma", "s")
    width = max([len(header[0]), *(len(str(i)) for i in table["id"])])
    print(f"{header[0]:<{width}}  " + "  ".join(f"{h:>12}" for h in header[1:]))
    for r in table.itertuples():
        if r.status != "done":
            print(f"{r.id:<{width}}  {'failed':>12}")
            continue
        verdict = "power law" if r.is_power_law else "no"
        cells = (
            f"{r.train_accuracy:.3f}", r.k, f"{r.d_ks:.4f}", f"{r.d_c:.4f}", verdict,
            f"{r.beta:.3f} ± {r.sigma:.3f}", f"{r.s:.3f}",
        )  # fmt: skip
        print(f"{r.id:<{width}}  " + "  ".join(f"{c!s:>12}" for c in cells))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dnnspec`` console script.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 done, 1 runtime failure (training, solver, torch missing), 2 bad input.
    """
    handlers = {"train": _train, "spectrum": _spectrum, "sweep": _sweep}
    return main_for("dnnspec", build_parser(), handlers, argv, interrupted="interrupted; nothing was written")


if __name__ == "__main__":
    sys.exit(main())
