"""Every Python block of the README runs as written, in order, in a fresh folder."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_python_examples():
    assert len(python_blocks()) >= 3


def test_readme_python_blocks_run(tmp_path):
    pytest.importorskip("torch")
    script = "\n\n".join(python_blocks())
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "1PWC: K = 102, beta = 2.172 +/- 0.116, s = 0.853" in proc.stdout
    assert (tmp_path / "1pwc-rank-size.png").stat().st_size > 1000
    assert (tmp_path / "mynet.spectrum.npz").is_file()
