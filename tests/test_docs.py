"""The documentation site builds with warnings as errors, offline, and documents everything public.

One build (``python -m sphinx -W -b html docs OUT``, the tutorials executed) serves every test:
the API reference must hold every name of the packages' ``__all__`` with its parameters, the
command-line reference every subcommand and option of the argparse parsers, the tutorials
their real outputs and figures.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PACKAGES = ("compare", "compare.report", "enmspec", "dnnspec")
PROGRAMS = ("compare", "enmspec", "dnnspec")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    for module in ("sphinx", "myst_nb", "numpydoc", "pydata_sphinx_theme", "torch"):
        pytest.importorskip(module)
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, HESSIAN_SPECTRA_DOCS_OFFLINE="1", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    command += ["-d", str(out / "doctrees"), str(DOCS), str(out / "html")]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    return out / "html"


def inventory(site: Path) -> dict[str, dict[str, str]]:
    """``{role: {name: uri}}`` from the built site's objects.inv."""
    from sphinx.util.inventory import InventoryFile

    with open(site / "objects.inv", "rb") as fh:
        inv = InventoryFile.load(fh, "", lambda base, uri: uri)
    data = inv.data if hasattr(inv, "data") else inv
    return {role: {name: item[2] if isinstance(item, tuple) else item.uri for name, item in items.items()}
            for role, items in data.items()}  # fmt: skip


def python_objects(site: Path) -> dict[str, str]:
    return {name: uri for role, items in inventory(site).items() if role.startswith("py:") for name, uri in
            items.items()}  # fmt: skip


def resolve(qualified: str) -> object:
    module, _, name = qualified.rpartition(".")
    return getattr(importlib.import_module(module), name)


def public_names() -> list[str]:
    return [f"{package}.{name}" for package in PACKAGES for name in importlib.import_module(package).__all__]


def test_every_public_name_is_in_the_api_reference(site):
    documented = python_objects(site)
    by_object = {}
    for name in documented:
        try:
            by_object.setdefault(id(resolve(name)), name)
        except (ImportError, AttributeError, ValueError):
            continue  # methods and attributes: not top-level names
    missing = []
    for qualified in public_names():
        if qualified in documented:
            continue
        # The same object exported by two packages (enmspec.ConvergenceError is
        # compare.ConvergenceError) is documented once and named on the other package's page.
        package = qualified.rpartition(".")[0]
        page = (site / "api" / "_auto" / f"{package}.html").read_text(encoding="utf-8")
        obj = resolve(qualified)
        if inspect.isclass(obj) or callable(obj):
            if id(obj) in by_object and qualified in page:
                continue
        missing.append(qualified)
    assert not missing, f"not in the API reference: {missing}"


def test_public_callables_show_their_parameters(site):
    documented = python_objects(site)
    missing = []
    for qualified in public_names():
        obj = resolve(qualified)
        if qualified not in documented or not callable(obj):
            continue
        try:
            parameters = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            continue
        uri = documented[qualified].split("#")[0]
        html = (site / uri).read_text(encoding="utf-8")
        missing += [f"{qualified}({name})" for name in parameters if f">{name}<" not in html]
    assert not missing, f"parameters missing from their pages: {missing}"


def test_public_modules_have_pages(site):
    documented = inventory(site)["py:module"]
    for top in PROGRAMS:
        package = importlib.import_module(top)
        for path in Path(package.__path__[0]).rglob("*.py"):
            parts = path.relative_to(Path(package.__path__[0]).parent).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join(parts)
            if any(part.startswith("_") for part in parts) or name == "enmspec.fetch":
                continue  # enmspec.fetch: the module shares its name with the function it exports
            assert name in documented, f"module {name} has no page"
    assert (site / "api" / "_auto" / "module" / "enmspec.fetch.html").is_file()


def test_every_subcommand_and_option_is_in_the_cli_reference(site):
    options = inventory(site)["std:cmdoption"]
    cli = (site / "api" / "_auto" / "cli.html").read_text(encoding="utf-8")
    missing = []
    for prog in PROGRAMS:
        parser = importlib.import_module(f"{prog}.cli").build_parser()
        (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        assert len(sub.choices) >= 2
        for command, subparser in sub.choices.items():
            if f"{prog} {command}" not in cli:
                missing.append(f"{prog} {command}")
            for action in subparser._actions:
                missing += [
                    f"{prog} {command} {option}"
                    for option in action.option_strings
                    if option not in ("-h", "--help") and f"{prog}-{command}.{option}" not in options
                ]
    assert not missing, f"not in the CLI reference: {missing}"


def test_tutorials_ran_and_show_their_figures(site):
    pages = sorted((site / "tutorials").glob("0*.html"))
    assert len(pages) == len(sorted((DOCS / "tutorials").glob("0*.md"))) >= 4
    for page in pages:
        html = page.read_text(encoding="utf-8")
        images = re.findall(r'<img[^>]+src="([^"]+\.png)"', html)
        assert images, f"{page.name} shows no figure"
        for src in images:
            assert (page.parent / src).resolve().stat().st_size > 5000, src
        assert "Traceback" not in html and "output stderr" not in html, f"{page.name}: an error or a warning"
    # The executed output is the real fit: the README's 1PWC numbers (checked against ProDy
    # and powerlaw by the enmspec tests).
    one = (site / "tutorials" / "01_one_protein.html").read_text(encoding="utf-8")
    assert "K = 102, beta = 2.172 ± 0.116, s = 0.853" in one
    network = (site / "tutorials" / "03_network_spectrum.html").read_text(encoding="utf-8")
    network = re.sub(r"<[^>]+>", "", network)
    difference = float(re.search(r"largest relative difference: ([0-9.e+-]+)", network).group(1))
    assert difference < 1e-8  # Lanczos against LAPACK on the dense Hessian


def test_every_page_and_the_example_report_are_in_the_site(site):
    for page in DOCS.glob("*.md"):
        assert (site / f"{page.stem}.html").is_file(), page.name
    assert (site / "benchmarks.html").is_file() and (site / "dnn_reproduction.html").is_file()
    report = (site / "example-report" / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64" in report
    assert 'href="example-report/report.html"' in (site / "report.html").read_text(encoding="utf-8")
    for figure in (DOCS / "example-report" / "figures").glob("*.png"):
        assert figure.name in (site / "report.html").read_text(encoding="utf-8"), figure.name
