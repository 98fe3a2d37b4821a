"""Reproduce the paper's network findings (its Table 1 / Table 6 contrasts) at a scale this machine allows.

For each experiment: build the net, train it with SGD (or keep the random initialisation), take the top
K_max eigenvalues of the training-loss Hessian (block Lanczos, every kept value to relative residual
1e-5, products in float32 as in training; dense float64 ``eigvalsh`` of the exact Hessian when the
net has <= 4,000 parameters), fit the power law for each K, and print one row per (experiment, K) like
the paper's tables, with wall
times. Spectra are saved to ``--spectra DIR`` (``compare report`` reads them); the table is written as
Markdown to ``--out``.

Experiments (``--set``):
  quick  digits 64-20-20-10 trained/random, seeds 0-2, K = 100, 300 (exact Hessians; ~1 min)
  cpu    quick + digits 64-100-10 and 64-100-100-10, MNIST-5k 784-100-10, 784-100-100-10 and LeNet
         (K = 100, 300; about 75 minutes on two cores)
  gpu    cpu + LeNet on MNIST-5k with K = 1000 (use --device cuda)

``--only mnist5k-lenet`` (repeatable) keeps the experiments whose ``data-model`` name contains
the text.

Run:  python bench/reproduce_dnn.py --set cpu --spectra runs/spectra --out docs/dnn_reproduction.md
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from compare import fit_power_law
from dnnspec.data import DataSettings, load_dataset
from dnnspec.hvp import dense_hessian, loss_hessian, split_chunks
from dnnspec.models import build_model
from dnnspec.spectrum import experiment_labels, hessian_spectrum
from dnnspec.train import TrainSettings, train

DENSE_MAX_PARAMS = 4000


@dataclass(frozen=True)
class Experiment:
    data: str
    model: str
    width: int | None
    epochs: int
    ks: tuple[int, ...]
    seeds: tuple[int, ...] = (0,)


def experiments(which: str) -> list[Experiment]:
    quick = [Experiment("digits", "fcn2", 20, e, (100, 300), (0, 1, 2)) for e in (100, 0)]
    if which == "quick":
        return quick
    cpu = (
        quick
        + [Experiment("digits", "fcn1", 100, e, (100, 300)) for e in (100, 0)]
        + [Experiment("digits", "fcn2", 100, e, (100, 300)) for e in (100, 0)]
        + [Experiment("mnist5k", "fcn1", 100, e, (100, 300)) for e in (40, 0)]
        + [Experiment("mnist5k", "fcn2", 100, e, (100, 300)) for e in (40, 0)]
        + [Experiment("mnist5k", "lenet", None, e, (100, 300)) for e in (40, 0)]
    )
    if which == "cpu":
        return cpu
    return cpu + [Experiment("mnist5k", "lenet", None, e, (100, 300, 1000)) for e in (40, 0)]


def top_eigenvalues(model, dataset, k: int, *, device: str, seed: int) -> tuple[np.ndarray, dict]:
    n_params = sum(p.numel() for p in model.parameters())
    data = split_chunks(dataset.x_train, dataset.y_train, chunk_size=1000)
    if n_params <= DENSE_MAX_PARAMS:
        op = loss_hessian(model, F.cross_entropy, data, dtype=torch.float64, device=device)
        values = np.sort(np.linalg.eigvalsh(dense_hessian(op, block_size=256).cpu().numpy()))[::-1][:k]
        return values, {"solver": "dense", "n_products": op.n_products}
    method = "graph" if device != "cpu" or n_params < 200_000 else "func"
    spec = hessian_spectrum(
        model,
        F.cross_entropy,
        data,
        k=k,
        dtype=torch.float32,
        device=device,
        method=method,
        seed=seed,
        trace_samples=32,
        progress=True,
    )
    return np.asarray(spec.values), {
        "solver": "lanczos",
        "n_products": spec.meta["n_products"],
        "trace": spec.meta.get("trace"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("quick", "cpu", "gpu"), default="quick")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--spectra", help="folder to save every spectrum in (.spectrum.npz)")
    parser.add_argument("--out", help="Markdown table to write")
    parser.add_argument("--json", help="rows as JSON")
    parser.add_argument(
        "--only", action="append", metavar="TEXT", help="keep experiments whose data-model name contains TEXT"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    header = (
        "| data | model | training | setting | seed | train acc | K | d_ks | d_c | d_ks/d_c | verdict | "
        "beta ± sigma | s | solver | HVPs | train s | spectrum s |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    chosen = [
        e
        for e in experiments(args.set)
        if not args.only or any(o in f"{e.data}-{e.model}" for o in args.only)
    ]
    if not chosen:
        parser.error(f"--only {args.only} matches no experiment of --set {args.set}")
    for exp in chosen:
        for seed in exp.seeds:
            dataset = load_dataset(DataSettings(name=exp.data, seed=seed))
            kwargs = {"width": exp.width} if exp.width else {}
            model = build_model(
                exp.model, input_shape=dataset.input_shape, n_classes=dataset.n_classes, seed=seed, **kwargs
            )
            t0 = time.perf_counter()
            result = train(model, dataset, TrainSettings(epochs=exp.epochs, seed=seed), progress=False)
            t_train = time.perf_counter() - t0
            t0 = time.perf_counter()
            values, info = top_eigenvalues(result.model, dataset, max(exp.ks), device=args.device, seed=seed)
            t_spec = time.perf_counter() - t0
            labels = experiment_labels(
                model_name=exp.model,
                model_kwargs=kwargs,
                data_settings={"name": exp.data},
                train_settings={"epochs": exp.epochs, "optimizer": "sgd"},
            )
            if args.spectra:
                from compare import Spectrum

                folder = Path(args.spectra)
                folder.mkdir(parents=True, exist_ok=True)
                name = f"{exp.data}-{exp.model}{exp.width or ''}-{labels['training'].lower()}-seed{seed}"
                meta = {
                    **labels,
                    "seed": seed,
                    "epochs": exp.epochs,
                    **result.metrics(),
                    **info,
                    "top_eigenvalue": float(values[0]),
                }
                Spectrum(name, "network", values[values > 0], meta).save(folder / f"{name}.spectrum.npz")
            for k in exp.ks:
                fit = fit_power_law(values[:k])
                row = {
                    **labels,
                    "seed": seed,
                    "train_accuracy": result.metrics()["train_accuracy"],
                    "k": k,
                    "d_ks": fit.d_ks,
                    "d_c": fit.d_c,
                    "verdict": "Yes" if fit.is_power_law else "No",
                    "beta": fit.beta,
                    "sigma": fit.sigma,
                    "s": fit.s,
                    **info,
                    "train_s": t_train,
                    "spectrum_s": t_spec,
                }
                rows.append(row)
                print(
                    f"| {row['dataset']} | {row['model']} | "
                    f"{row['training']} | {row['setting']} | {seed} | {row['train_accuracy']:.3f} | {k} | "
                    f"{fit.d_ks:.4f} | {fit.d_c:.4f} | {fit.d_ks / fit.d_c:.2f} | {row['verdict']} | "
                    f"{fit.beta:.3f} ± {fit.sigma:.3f} | {fit.s:.3f} | {info['solver']} | "
                    f"{info['n_products']} | {t_train:.1f} | {t_spec:.1f} |",
                    flush=True,
                )
    env = (
        f"{platform.machine()}, {args.device}, {args.threads} torch thread(s), torch {torch.__version__}, "
        f"set {args.set}"
    )
    if args.out:
        lines = [
            f"<!-- generated by bench/reproduce_dnn.py ({env}) -->",
            header,
            "|" + "---|" * (header.count("|") - 1),
        ]
        for r in rows:
            lines.append(
                f"| {r['dataset']} | {r['model']} | {r['training']} | {r['setting']} | {r['seed']} | "
                f"{r['train_accuracy']:.3f} | {r['k']} | {r['d_ks']:.4f} | {r['d_c']:.4f} | "
                f"{r['d_ks'] / r['d_c']:.2f} | {r['verdict']} | {r['beta']:.3f} ± {r['sigma']:.3f} | "
                f"{r['s']:.3f} | {r['solver']} | {r['n_products']} | {r['train_s']:.1f} | "
                f"{r['spectrum_s']:.1f} |"
            )
        Path(args.out).write_text("\n".join(lines) + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps({"environment": env, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
