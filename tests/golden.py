"""Readers of the golden reference files in tests/data (made by tests/data/make_golden.py)."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).resolve().parent / "data"


def golden_npz(name: str) -> dict[str, np.ndarray]:
    """The arrays of ``tests/data/<name>`` (no pickles)."""
    with np.load(GOLDEN / name, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def golden_json(name: str) -> dict:
    return json.loads((GOLDEN / name).read_text(encoding="utf-8"))


def sha256_of(values: np.ndarray) -> str:
    """sha256 of the little-endian float64 bytes of ``values``: how the golden files name their inputs."""
    return hashlib.sha256(np.ascontiguousarray(values, dtype="<f8").tobytes()).hexdigest()


def same_sample(values: np.ndarray, case: dict) -> bool:
    """Whether ``values`` is a golden case's sample: the same sha256, or (where the case has one)
    a fingerprint (fsum, first, middle, last) equal to 1e-12: exp and log differ in the last bit
    between CPUs."""
    if sha256_of(values) == case["sha256"]:
        return True
    if "fingerprint" not in case:
        return False
    ours = [math.fsum(values), values[0], values[values.size // 2], values[-1]]
    return bool(np.allclose(ours, case["fingerprint"], rtol=1e-12, atol=0))


def calpha(entry: str) -> dict[str, np.ndarray]:
    """ProDy's C-alpha atoms of a shipped example: coords, resnums, resnames, chids."""
    return golden_npz(f"prody_calpha_{entry.lower()}.npz")


def hessian_file(entry: str, cutoff: float, gamma: float) -> str:
    gamma_part = "" if gamma == 1.0 else f"_gamma{gamma:g}"
    return f"prody_anm_{cutoff:g}A{gamma_part}_hessian_{entry.lower()}.npz"


def hessian_blocks(entry: str, cutoff: float, gamma: float) -> dict[str, np.ndarray]:
    """ProDy's Hessian as its nonzero 3x3 blocks with i <= j: arrays i, j, blocks (m, 3, 3), n."""
    golden = golden_npz(hessian_file(entry, cutoff, gamma))
    assert float(golden["cutoff"]) == cutoff and float(golden["gamma"]) == gamma
    return golden


def dense_from_blocks(golden: dict[str, np.ndarray]) -> np.ndarray:
    """The full (3n, 3n) matrix of the stored upper blocks (ProDy's Hessian is exactly symmetric)."""
    n = int(golden["n"])
    h = np.zeros((n, n, 3, 3))
    i, j, blocks = golden["i"], golden["j"], golden["blocks"]
    h[j, i] = blocks.transpose(0, 2, 1)
    h[i, j] = blocks
    return h.transpose(0, 2, 1, 3).reshape(3 * n, 3 * n)


def eigenvalues(entry: str) -> np.ndarray:
    """numpy.linalg.eigvalsh of ProDy's 9 A ANM Hessian of a shipped example, ascending."""
    return golden_npz(f"prody_anm_9A_eigvals_{entry.lower()}.npz")["eigvals"]


def kirchhoff_golden(entry: str) -> np.ndarray:
    """ProDy's 7.3 A, gamma 1 GNM Kirchhoff matrix of a shipped example (1PWC, 3HSY), dense."""
    golden = golden_npz(f"prody_gnm_7.3A_kirchhoff_{entry.lower()}.npz")
    n = int(golden["n"])
    k = np.zeros((n, n))
    k[golden["j"], golden["i"]] = golden["values"]
    k[golden["i"], golden["j"]] = golden["values"]
    return k
