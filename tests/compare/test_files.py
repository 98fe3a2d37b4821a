"""Crash-safe writes and journal reading shared by the three packages."""

from __future__ import annotations

import os
import stat

import pytest

from compare.files import atomic_path, atomic_write_json, read_jsonl


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_written_file_has_umask_permissions_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write_json(tmp_path / "sub" / "a.json", {"x": float("nan")})
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert path.read_text().startswith('{\n  "x": NaN')


def test_read_jsonl_last_row_wins_and_cut_line_is_ignored(tmp_path):
    path = tmp_path / "rows.jsonl"
    lines = [
        '{"path": "a", "v": 1}',
        "not json",
        '{"id": "b", "v": 2}',
        '{"path": "a", "v": 3}',
        '{"path": "c"',
    ]
    path.write_text("\n".join(lines))
    with pytest.warns(UserWarning, match=r"rows.jsonl: skipped 1 damaged line\(s\) .*line 2\)"):
        rows = read_jsonl(path, key=("path", "id"))  # the cut last line is dropped silently
    assert rows == {"a": {"path": "a", "v": 3}, "b": {"id": "b", "v": 2}}
    assert read_jsonl(tmp_path / "missing.jsonl", key="path") == {}
