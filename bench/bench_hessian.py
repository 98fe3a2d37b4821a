"""Benchmark: time to the top-k loss-Hessian eigenvalues of LeNet, ours against curvlinops + ARPACK.

Same model (LeNet, 61,706 parameters, trained briefly with SGD or loaded from a checkpoint),
same data (the MNIST 5k subset shipped in dnnspec/datasets, ``--n-train`` samples, standardised),
same float precision (``--dtype``), same chunking, measured in the same run:

* peer: ``curvlinops.HessianLinearOperator(model, CrossEntropyLoss(), params, chunks)``
  ``.to_scipy()`` handed to ``scipy.sparse.linalg.eigsh(k=K, which="LA", tol=--eigsh-tol)``
  (ARPACK, implicitly restarted Lanczos; its tol is the same criterion as ours,
  ``||H y - theta y|| <= tol |theta|``, and defaults to ours);
* ours: ``dnnspec.hessian_spectrum(model, cross_entropy, chunks, k=K, tol=--tol)``
  (block Lanczos with full reorthogonalisation, stops when every kept Ritz value reaches the
  relative residual ``tol``).

Printed per K: wall seconds and Hessian-vector products of each, the ratio peer/ours, and the
largest relative difference of the K eigenvalues between the two.

Run:  python bench/bench_hessian.py [--top 100 200] [--threads 1] [--dtype float64] [--json out.json]
      python bench/bench_hessian.py --device cuda --top 100 1000 --skip-peer-above 200   (GPU)
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def build_problem(args):
    from dnnspec.data import DataSettings, load_dataset
    from dnnspec.hvp import split_chunks
    from dnnspec.models import build_model
    from dnnspec.train import TrainSettings, load_checkpoint, train

    if args.checkpoint:
        ckpt = load_checkpoint(args.checkpoint)
        model, dataset = ckpt.model, load_dataset(ckpt.data_settings)
    else:
        dataset = load_dataset(DataSettings(name="mnist5k", n_train=args.n_train, seed=0))
        model = build_model("lenet", input_shape=dataset.input_shape, n_classes=10, seed=0)
        if args.epochs:
            model = train(model, dataset, TrainSettings(epochs=args.epochs, seed=0), progress=False).model
    dtype = getattr(torch, args.dtype)
    model = model.to(dtype=dtype, device=args.device).eval()
    x = dataset.x_train.to(dtype=dtype, device=args.device)
    y = dataset.y_train.to(device=args.device)
    return model, split_chunks(x, y, chunk_size=args.chunk)


def run_ours(model, chunks, k, args):
    from dnnspec.spectrum import hessian_spectrum

    if args.device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    spec = hessian_spectrum(
        model,
        F.cross_entropy,
        chunks,
        k=k,
        tol=args.tol,
        method=args.method,
        block_size=args.block_size,
        max_products=args.max_products,
        seed=0,
    )
    if args.device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    values = np.sort(np.asarray(spec.values))[::-1]
    return values, seconds, spec.meta["n_products"]


def run_peer(model, chunks, k, args):
    from curvlinops import HessianLinearOperator
    from scipy.sparse.linalg import eigsh

    params = [p for p in model.parameters() if p.requires_grad]
    start = time.perf_counter()
    op = HessianLinearOperator(model, torch.nn.CrossEntropyLoss(), params, chunks, check_deterministic=False)
    scipy_op = op.to_scipy()
    counter = [0]
    matvec = scipy_op.matvec

    def counted(v):
        counter[0] += 1
        return matvec(v)

    from scipy.sparse.linalg import LinearOperator

    wrapped = LinearOperator(scipy_op.shape, matvec=counted, dtype=scipy_op.dtype)
    vals = eigsh(wrapped, k=k, which="LA", tol=args.eigsh_tol, return_eigenvectors=False)
    seconds = time.perf_counter() - start
    return np.sort(vals)[::-1], seconds, counter[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, nargs="+", default=[100, 200])
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=5, help="SGD epochs before measuring (0: random init)")
    parser.add_argument("--checkpoint", help="a dnnspec train checkpoint instead of the quick training")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--method", default="func", choices=["func", "graph"])
    parser.add_argument("--block-size", type=int, default=None)
    parser.add_argument("--tol", type=float, default=1e-5)
    parser.add_argument("--max-products", type=int, default=None)
    parser.add_argument(
        "--eigsh-tol", type=float, help="ARPACK's tol (default: --tol, the same residual criterion as ours)"
    )
    parser.add_argument("--skip-peer-above", type=int, default=10**9, help="run the peer only for K <= this")
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.eigsh_tol is None:
        args.eigsh_tol = args.tol
    sys.stdout.reconfigure(line_buffering=True)
    torch.set_num_threads(args.threads)
    model, chunks = build_problem(args)
    n_params = sum(p.numel() for p in model.parameters())
    n = sum(len(x) for x, _ in chunks)
    print(
        f"LeNet {n_params} parameters, {n} samples, {args.dtype}, {args.device}, {args.threads} thread(s), "
        f"torch {torch.__version__}, {platform.processor() or platform.machine()}"
    )
    heads = ("ours s", "ours hvp", "peer s", "peer hvp")
    print(f"{'K':>6} " + " ".join(f"{h:>9}" for h in heads) + f" {'peer/ours':>10} {'max rel diff':>13}")
    rows = []
    for k in args.top:
        ours, t_ours, p_ours = run_ours(model, chunks, k, args)
        row = {"k": k, "ours_s": t_ours, "ours_hvp": p_ours}
        if k <= args.skip_peer_above:
            peer, t_peer, p_peer = run_peer(model, chunks, k, args)
            diff = float(np.max(np.abs(ours - peer) / np.abs(peer)))
            row.update(peer_s=t_peer, peer_hvp=p_peer, ratio=t_peer / t_ours, max_rel_diff=diff)
            print(
                f"{k:>6} {t_ours:>9.1f} {p_ours:>9} {t_peer:>9.1f} {p_peer:>9} {t_peer / t_ours:>10.2f} "
                f"{diff:>13.2e}"
            )
        else:
            print(f"{k:>6} {t_ours:>9.1f} {p_ours:>9} {'-':>9} {'-':>9} {'-':>10} {'-':>13}")
        rows.append(row)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"args": vars(args), "rows": rows}, fh, indent=1)


if __name__ == "__main__":
    main()
