"""Package boundaries of STYLE.md: enmspec -> compare <- dnnspec; torch lazily; network only in fetch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def imports(package: str) -> list[tuple[str, int, str, bool]]:
    """(file, line, imported module, at module top level) for every import in a package."""
    found = []
    for path in sorted((REPO / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        top_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                found.append((path.name, node.lineno, name.split(".")[0], id(node) in top_level))
    return found


@pytest.mark.parametrize(
    "package,forbidden",
    [("compare", {"enmspec", "dnnspec", "torch"}), ("enmspec", {"dnnspec"}), ("dnnspec", {"enmspec"})],
)
def test_dependency_direction(package, forbidden):
    bad = [i for i in imports(package) if i[2] in forbidden]
    assert not bad, f"{package} imports {bad}"


def test_torch_only_lazily_in_enmspec():
    bad = [i for i in imports("enmspec") if i[2] == "torch" and i[3]]
    assert not bad


def test_network_code_only_in_fetch():
    for package in ("enmspec", "compare"):
        bad = [
            i
            for i in imports(package)
            if i[2] in {"requests", "urllib", "http", "socket"} and i[0] != "fetch.py"
        ]
        assert not bad, bad


def test_import_without_torch_or_matplotlib():
    # a finder that refuses the imports (sys.modules[name] = None would confuse scipy's
    # array-API checks, which look torch up in sys.modules)
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('torch', 'matplotlib'):\n"
        "            raise ImportError(f'blocked: {name}')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import enmspec, compare, dnnspec\n"
        "assert 'torch' not in sys.modules and 'matplotlib' not in sys.modules\n"
        "try:\n"
        "    dnnspec.hessian_spectrum\n"
        "except ImportError as exc:\n"
        "    assert 'hessian-spectra[torch]' in str(exc), exc\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.stdout.strip() == "ok", proc.stderr


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    return set(proc.stdout.split())


def test_batch_worker_imports_no_report_stack():
    """A batch worker needs the parser, the Hessian, the solver and the fit: no report, no plots."""
    loaded = _loaded_after("import enmspec; from enmspec.batch import process_entry")
    heavy = {m for m in loaded if m.split(".")[0] in ("matplotlib", "pandas", "torch")}
    report = {m for m in loaded if m.startswith("compare.report")}
    assert not heavy and not report, sorted(heavy | report)


def test_compare_core_does_not_import_its_report():
    """The core (record, formats, statistics, contracts) never imports compare.report at top level."""
    bad = [
        (path.name, node.lineno)
        for path in sorted((REPO / "compare").glob("*.py"))
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("compare.report")
    ]
    assert not bad, bad


@pytest.mark.parametrize("package", ["enmspec", "dnnspec", "compare"])
def test_one_home_for_the_contracts(package):
    """Batch-folder names, exit codes and the parser class are defined in compare only."""
    text = "\n".join(p.read_text() for p in (REPO / package).rglob("*.py"))
    if package != "compare":
        for literal in ('"results.parquet"', '"rows.jsonl"', '"settings.json"', "EXIT_USAGE = 2"):
            assert literal not in text, f"{package} redefines {literal}"
        assert "class _Parser" not in text


def test_shipped_data_is_package_data():
    """Every file the packages read at run time lies inside a package and is listed as package data."""
    import tomllib

    data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert not (REPO / "data").exists() or not any((REPO / "data").rglob("*.*"))
    from compare.report.tables import paper_reference_path
    from enmspec import example_structures

    assert paper_reference_path().is_file()
    assert len(example_structures()) == 6
    assert set(data) == {"enmspec", "dnnspec", "compare.report"}


_WITHOUT_TORCH = (
    "import sys, importlib\n"
    "class Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] == 'torch':\n"
    "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
    "sys.meta_path.insert(0, Block())\n"
    "prog, args = sys.argv[1], sys.argv[2:]\n"
    "sys.exit(importlib.import_module(prog + '.cli').main(args))\n"
)


@pytest.mark.parametrize(
    "argv,status",
    [
        (["dnnspec", "--help"], 0),
        (["dnnspec", "train", "--data", "digits", "--epochs", "1"], 1),
        (["enmspec", "spectrum", "enmspec/examples/1hvr.pdb", "--solver", "torch"], 1),
    ],
)
def test_without_torch_help_works_and_use_names_the_extra(argv, status):
    proc = subprocess.run(
        [sys.executable, "-c", _WITHOUT_TORCH, *argv], capture_output=True, text=True, cwd=REPO
    )
    assert proc.returncode == status, proc.stderr
    if status:
        assert (
            proc.stderr.strip() == f"{argv[0]} {argv[1]} needs PyTorch: pip install 'hessian-spectra[torch]'"
        )
    else:
        assert "Loss-Hessian spectra" in proc.stdout
