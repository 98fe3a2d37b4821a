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
