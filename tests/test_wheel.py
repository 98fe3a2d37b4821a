"""The installed package: build the wheel, install it into a fresh environment, run the README's
main job, the report (with the paper comparison) and a training run from a folder outside the
checkout. This is what a user gets from ``pip install``; nothing may depend on the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        cwd=out,
    )
    (path,) = out.glob("hessian_spectra-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A virtual environment with the wheel; its dependencies come from this interpreter's."""
    env = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env)
    python = env / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--ignore-installed",  # the environment sees this interpreter's packages, maybe this one
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return env


def run(env: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(
        [str(env / "bin" / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=600,
    )


def test_wheel_holds_the_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "compare/report/paper_reference.csv" in names
    assert {"dnnspec/datasets/digits.csv.gz", "dnnspec/datasets/mnist_5k.csv.gz"} <= names
    assert sum(n.startswith("enmspec/examples/") and ".pdb" in n for n in names) == 6
    assert not any(n.startswith(("tests/", "bench/", "data/")) for n in names)


def test_installed_package_runs_outside_the_checkout(installed, tmp_path):
    where = run(
        installed, "python", "-c", "import enmspec, compare, dnnspec; print(enmspec.__file__)", cwd=tmp_path
    )
    assert where.returncode == 0, where.stderr
    assert str(installed) in where.stdout and str(REPO) not in where.stdout

    batch = run(
        installed, "enmspec", "batch", "--examples", "--out", "batch", "--jobs", "1", "--quiet", cwd=tmp_path
    )
    assert batch.returncode == 0, batch.stderr
    assert "6 done" in batch.stdout

    report = run(
        installed, "compare", "report", "batch", "--out", "report", "--no-figures", "--json", cwd=tmp_path
    )
    assert report.returncode == 0, report.stderr
    json.loads(report.stdout)
    # the paper's Table 13 beside ours, read from the installed package data
    bins = (tmp_path / "report" / "tables" / "protein_size_bins.csv").read_text().splitlines()
    header = bins[0].split(",")
    first = dict(zip(header, bins[1].split(","), strict=True))
    assert first["bin"] == "300-1000" and float(first["beta_mean_paper"]) == 1.976
    markdown = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert f"{installed}" in markdown and "site-packages/compare/report/paper_reference.csv" in markdown

    train = run(
        installed,
        "dnnspec",
        "train",
        "--data",
        "digits",
        "--model",
        "fcn",
        "--epochs",
        "1",
        "--out",
        "digits.pt",
        "--quiet",
        "--json",
        cwd=tmp_path,
    )
    assert train.returncode == 0, train.stderr
    assert json.loads(train.stdout)["n_train"] == 1438


def test_installed_mnist5k_needs_no_download(installed, tmp_path):
    args = ("dnnspec", "train", "--data", "mnist5k", "--n-train", "200", "--model", "lenet", "--epochs", "1")
    train = run(installed, *args, "--out", "m.pt", "--quiet", "--json", cwd=tmp_path)
    assert train.returncode == 0, train.stderr
    assert json.loads(train.stdout)["n_train"] == 200
