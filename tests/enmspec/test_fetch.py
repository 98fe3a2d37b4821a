"""enmspec.fetch against a loopback HTTP server that injects faults."""

from __future__ import annotations

import csv
import gzip
import http.client
import http.server
import importlib
import os
import random
import socket
import struct
import threading
import time

import pytest
import requests
import urllib3

from compare.errors import RuntimeFailure
from enmspec import example_structures
from enmspec.errors import EnmspecError, FetchError
from enmspec.fetch import FAILURES_NAME, PARTIAL_DIR, FetchSettings, cache_path, fetch, read_ids
from tests.conftest import example_pdb_bytes

# the module (``enmspec.fetch`` the attribute is the function, re-exported by the package)
fetch_module = importlib.import_module("enmspec.fetch")

ENTRIES = ("1PWC", "3HSY", "1A28", "1HVR")  # shipped with the package


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
    files = {entry: gzip.compress(example_pdb_bytes(entry)) for entry in ENTRIES}

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
            "1A28": ["stall", "ok"],
            "1HVR": ["wrong"],
        }
    )
    report = fetch(["1PWC", "3HSY", "1A28", "1HVR", "9XYZ"], cache=tmp_path, settings=settings_for(url))
    assert set(report.paths) == {"1PWC", "3HSY", "1A28"}
    assert report.downloaded == ("1PWC", "3HSY", "1A28")
    assert set(report.failed) == {"1HVR", "9XYZ"}
    assert "not 1HVR" in report.failed["1HVR"] and "gave up after 4 attempts" in report.failed["1HVR"]
    assert "HTTP 404" in report.failed["9XYZ"]
    assert server.requests["9XYZ"] == 1  # a 404 is not retried
    assert server.requests["1PWC"] == 3
    for entry, path in report.paths.items():
        assert path == cache_path(tmp_path, entry, "pdb") and path.parent.name == entry.lower()[1:3]
        assert gzip.decompress(path.read_bytes()) == example_pdb_bytes(entry)
    # nothing half-written anywhere in the cache
    assert not any((tmp_path / PARTIAL_DIR).iterdir())  # nothing left half-written
    failures = (tmp_path / "fetch-failures.tsv").read_text().splitlines()
    assert failures[0] == "id\treason" and len(failures) == 3


def test_cached_entries_are_not_downloaded_again(serve, tmp_path):
    server, url = serve({})
    first = fetch(["1PWC", "1A28"], cache=tmp_path, settings=settings_for(url))
    assert first.downloaded == ("1PWC", "1A28")
    second = fetch(["1A28", "1PWC", "1pwc_1"], cache=tmp_path, settings=settings_for(url))
    assert second.downloaded == () and second.already_cached == ("1A28", "1PWC")
    assert server.requests == {"1PWC": 1, "1A28": 1}


def test_persistent_server_error_gives_up_with_reason(serve, tmp_path):
    server, url = serve({"1PWC": [503]})
    report = fetch(["1PWC"], cache=tmp_path, settings=settings_for(url))
    assert report.failed["1PWC"].endswith("(gave up after 4 attempts)")
    assert "HTTP 500" not in report.failed["1PWC"] and server.requests["1PWC"] == 4


def test_timeouts_exhaust_retries(serve, tmp_path):
    server, url = serve({"1A28": ["stall"]})
    settings = FetchSettings(base_url=url, fmt="pdb", jobs=1, timeout=0.3, retries=1, backoff=0.01)
    report = fetch(["1A28"], cache=tmp_path, settings=settings)
    assert "ReadTimeout after 0.3 s" in report.failed["1A28"]
    assert report.failed["1A28"].endswith("(gave up after 2 attempts)")
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
    assert main(argv) == 1  # some entries failed: exit 1, the rest is cached
    captured = capsys.readouterr()
    assert "2 downloaded" in captured.out and "1 failed" in captured.out
    assert "9XYZ: not found" in captured.err
    assert main(["batch", str(cache), "--out", str(tmp_path / "out"), "--jobs", "1", "--quiet"]) == 0
    assert "2 done" in capsys.readouterr().out


def test_batch_over_an_id_list_fetches_missing_entries(serve, tmp_path):
    from enmspec.batch import run_batch

    server, url = serve({"1A28": [500, "ok"]})
    ids = tmp_path / "ids.txt"
    ids.write_text("1PWC 1A28\n9XYZ\n")
    cache = tmp_path / "cache"
    settings = settings_for(url)
    table = run_batch([ids], tmp_path / "out", jobs=1, cache=cache, fetch_settings=settings)
    status = dict(zip(table["id"], table["status"], strict=True))
    assert status == {"1PWC": "done", "1A28": "done", "9XYZ": "failed"}
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


def test_fetch_error_is_a_runtime_failure_not_an_input_error():
    assert issubclass(FetchError, RuntimeFailure) and not issubclass(FetchError, ValueError)
    assert issubclass(EnmspecError, ValueError)


# --- faults injected at random: a connection that breaks mid-download ---------------------

FAULTS = ("reset", "short", "chunked", "5xx", "slow")
FAULT_RATE = 0.3
SEED = 3  # a seed whose plan injects every kind of fault and defeats one entry


def entry_file(entry: str) -> bytes:
    """A real structure (1HVR as shipped) whose HEADER id code (columns 63-66) is ``entry``."""
    lines = example_structures()["1HVR"].read_bytes().split(b"\n")
    assert lines[0].startswith(b"HEADER") and lines[0][62:66] == b"1HVR"
    lines[0] = lines[0][:62] + entry.encode() + lines[0][66:]
    return b"\n".join(lines)


def planned_fault(entry: str, n: int):
    """The fault of request ``n`` (1, 2, ...) for ``entry``, or None: seeded per entry and
    request, so the plan does not depend on the order in which threads ask."""
    rng = random.Random(f"{SEED}:{entry}:{n}")
    return rng.choice(FAULTS) if rng.random() < FAULT_RATE else None


class RandomFaultServer(http.server.ThreadingHTTPServer):
    """HTTP/1.1 (keep-alive) server of ``/{ID}.pdb.gz``; each request faulty per
    :func:`planned_fault`, entries in ``always`` always so; ids without a file get 404."""

    daemon_threads = True

    def __init__(self, files: dict[str, bytes], always: dict[str, str] | None = None, plan=None, stall=0.6):
        super().__init__(("127.0.0.1", 0), FaultHandler)
        self.files = files
        self.always = always or {}
        self.plan = plan or planned_fault
        self.stall = stall
        self.requests: dict[str, int] = {}
        self.injected: dict[str, int] = {}
        self.lock = threading.Lock()

    def next_action(self, entry: str):
        with self.lock:
            n = self.requests[entry] = self.requests.get(entry, 0) + 1
            if entry in self.always:
                return self.always[entry]
            fault = self.plan(entry, n)
            if fault:
                self.injected[fault] = self.injected.get(fault, 0) + 1
            return fault


class FaultHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no delayed-ACK stalls

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        server: RandomFaultServer = self.server  # type: ignore[assignment]
        entry = self.path.strip("/").split(".")[0].upper()
        body = server.files.get(entry)
        if body is None:
            return self.answer(404, b"no such entry")
        fault = server.next_action(entry)
        try:
            if fault == "5xx":
                return self.answer(503, b"busy")
            if fault == "slow":
                time.sleep(server.stall)  # past the client's timeout
                return self.answer(200, body)
            if fault == "reset":  # headers, a little of the body, then a TCP reset
                self.head(200, {"Content-Length": str(len(body))})
                self.wfile.write(body[:100])
                self.wfile.flush()
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                os.close(self.connection.detach())  # no FIN first: the peer sees ECONNRESET
                self.close_connection = True
                return
            if fault == "short":  # a body shorter than its Content-Length, then a clean close
                self.head(200, {"Content-Length": str(len(body))})
                self.wfile.write(body[: len(body) // 3])
                self.close_connection = True
                return
            if fault == "chunked":  # chunked encoding that stops mid-stream (no last chunk)
                self.head(200, {"Transfer-Encoding": "chunked"})
                half = body[: len(body) // 2]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(half), half))
                self.wfile.write(b"%x\r\n%s" % (len(body), body[:10]))
                self.close_connection = True
                return
            if fault == "badgzip":  # declares a gzip content encoding, sends bytes that are not
                self.head(200, {"Content-Encoding": "gzip", "Content-Length": "64"})
                self.wfile.write(b"\x1f\x8b" + b"not gzip at all" * 4 + b"!!")
                return
            return self.answer(200, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def head(self, status: int, headers: dict):
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()

    def answer(self, status: int, body: bytes):
        try:
            self.head(status, {"Content-Length": str(len(body)), "Content-Type": "application/octet-stream"})
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def synthetic_ids(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    ids: dict[str, None] = {}
    while len(ids) < n:
        ids[rng.choice("123456789") + "".join(rng.choice(chars) for _ in range(3))] = None
    return list(ids)


def expected_attempts(entry: str, attempts: int) -> tuple[int, bool]:
    """(requests made, cached in the end) for an entry under the seeded plan."""
    for n in range(1, attempts + 1):
        if planned_fault(entry, n) is None:
            return n, True
    return attempts, False


def test_random_mid_download_faults_every_entry_cached_or_listed(start_server, tmp_path):
    ids = synthetic_ids(30, seed=SEED)
    always_reset, always_short, missing = "9RST", "9SHT", "9NOT"
    files = {e: gzip.compress(entry_file(e)) for e in [*ids, always_reset, always_short]}
    server = RandomFaultServer(files, always={always_reset: "reset", always_short: "short"}, stall=1.5)
    url = start_server(server) + "/{ID}.{ext}"
    settings = FetchSettings(base_url=url, fmt="pdb", jobs=4, timeout=1.0, retries=3, backoff=0.01)
    everything = [*ids, always_reset, always_short, missing]

    report = fetch(everything, cache=tmp_path, settings=settings)

    # the seeded plan injected every kind of fault
    assert set(server.injected) == set(FAULTS), server.injected
    plan = {e: expected_attempts(e, settings.retries + 1) for e in ids}
    recoverable = [e for e in ids if plan[e][1]]
    assert list(report.paths) == recoverable and report.downloaded == tuple(recoverable)
    assert {e: server.requests[e] for e in ids} == {e: plan[e][0] for e in ids}
    # every entry is cached or failed, never both, never neither
    assert set(report.paths) | set(report.failed) == set(everything)
    assert not set(report.paths) & set(report.failed)
    for entry in recoverable:  # cached intact, at its mirror path
        path = report.paths[entry]
        assert path == cache_path(tmp_path, entry, "pdb")
        assert gzip.decompress(path.read_bytes()) == entry_file(entry)
    assert "connection broken mid-download" in report.failed[always_reset]
    assert report.failed[always_reset].endswith("(gave up after 4 attempts)")
    short = report.failed[always_short]
    assert "gave up after 4 attempts" in short
    assert "connection broken mid-download" in short or "short body" in short
    assert "HTTP 404" in report.failed[missing] and server.requests.get(missing) is None
    assert server.requests[always_reset] == server.requests[always_short] == 4
    with open(tmp_path / FAILURES_NAME, newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    assert rows[0] == ["id", "reason"]
    assert dict(rows[1:]) == report.failed and all("\n" not in r for _, r in rows[1:])
    # the cache holds whole entries only: nothing partial, nothing left in the staging folder
    files_in_cache = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert files_in_cache == {FAILURES_NAME} | {
        cache_path(tmp_path, e, "pdb").relative_to(tmp_path).as_posix() for e in recoverable
    }
    assert not any((tmp_path / PARTIAL_DIR).iterdir())

    # a second run downloads nothing and asks the server nothing for cached entries
    before = dict(server.requests)
    again = fetch(list(report.paths), cache=tmp_path, settings=settings)
    assert again.downloaded == () and again.already_cached == tuple(recoverable) and not again.failed
    assert server.requests == before
    rerun = fetch(everything, cache=tmp_path, settings=settings)
    assert not set(rerun.downloaded) & set(recoverable)
    assert all(server.requests[e] == before[e] for e in recoverable)


def test_reset_after_headers_is_retried_and_the_rest_still_fetched(start_server, tmp_path):
    # One entry always breaks mid-download, with one job: the entries after it are fetched.
    ids = ["1AAA", "1BBB", "1CCC"]
    files = {e: gzip.compress(entry_file(e)) for e in ids}
    server = RandomFaultServer(files, always={"1AAA": "reset"}, plan=lambda entry, n: None)
    url = start_server(server) + "/{ID}.{ext}"
    settings = FetchSettings(base_url=url, fmt="pdb", jobs=1, timeout=2, retries=2, backoff=0.01)
    report = fetch(ids, cache=tmp_path, settings=settings)
    assert report.downloaded == ("1BBB", "1CCC")
    assert list(report.failed) == ["1AAA"] and server.requests["1AAA"] == 3
    assert "connection broken mid-download" in report.failed["1AAA"]


def test_undecodable_content_encoding_is_retried(start_server, tmp_path):
    files = {"1AAA": gzip.compress(entry_file("1AAA"))}
    server = RandomFaultServer(files, plan=lambda entry, n: "badgzip" if n == 1 else None)
    url = start_server(server) + "/{ID}.{ext}"
    report = fetch(["1AAA"], cache=tmp_path, settings=settings_for(url))
    assert report.downloaded == ("1AAA",) and server.requests["1AAA"] == 2
    assert gzip.decompress(report.paths["1AAA"].read_bytes()) == entry_file("1AAA")


@pytest.mark.parametrize(
    "error",
    [
        http.client.IncompleteRead(b"partial", 100),
        requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"),
        urllib3.exceptions.ProtocolError("Connection broken", ConnectionResetError(104, "reset")),
        requests.exceptions.ContentDecodingError("Received response with content-encoding: gzip"),
        ConnectionResetError(104, "Connection reset by peer"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_each_kind_of_broken_connection_is_retried(serve, tmp_path, error):
    server, url = serve({})
    real = requests.Session()

    class BreaksOnce:
        calls = 0

        def get(self, *args, **kw):
            self.calls += 1
            if self.calls == 1:
                raise error
            return real.get(*args, **kw)

    session = BreaksOnce()
    target = cache_path(tmp_path, "1PWC", "pdb")
    try:
        size = fetch_module._download_one(session, "1PWC", target, settings_for(url))
    finally:
        real.close()
    assert session.calls == 2 and size == target.stat().st_size
    assert gzip.decompress(target.read_bytes()) == example_pdb_bytes("1PWC")


def test_an_unexpected_error_in_one_entry_fails_that_entry_only(serve, tmp_path, monkeypatch):
    server, url = serve({})
    real = fetch_module.validate_file

    def flaky(path, entry):
        if entry == "1A28":
            raise KeyError("boom")
        return real(path, entry)

    monkeypatch.setattr(fetch_module, "validate_file", flaky)
    report = fetch(["1PWC", "1A28", "3HSY"], cache=tmp_path, settings=settings_for(url))
    assert report.downloaded == ("1PWC", "3HSY")
    assert report.failed == {"1A28": "1A28: KeyError: 'boom'"}
    assert server.requests["1A28"] == 1  # an unknown error is not retried
    assert not cache_path(tmp_path, "1A28", "pdb").exists()
    assert "1A28\t1A28: KeyError: 'boom'" in (tmp_path / FAILURES_NAME).read_text()


# --- bookkeeping: behaviour of the per-entry structures (no timings) ----------------------


def fake_download(calls: list, fail: set):
    """A stand-in for ``_download_one`` that writes a small file, or fails for ``fail``."""

    def download(session, entry, target, settings, stop=None):
        calls.append(entry)
        if entry in fail:
            raise FetchError(f"{entry}: HTTP 503 from nowhere (gave up after 1 attempts)")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"x")
        return 1

    return download


def test_bookkeeping_duplicates_once_order_kept(tmp_path, monkeypatch):
    ids = synthetic_ids(600, seed=1)
    cached = set(ids[::7])
    for entry in cached:
        path = cache_path(tmp_path, entry, "cif")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"cached")
    fail = set(ids[3::11]) - cached
    calls: list[str] = []
    monkeypatch.setattr(fetch_module, "_download_one", fake_download(calls, fail))
    # duplicates in every spelling: lower case, entity ids, blanks; given as a one-pass generator
    noisy = [*ids, *(e.lower() for e in ids[:50]), *(f"{e}_2" for e in ids[100:150]), f" {ids[0]} "]
    report = fetch((x for x in noisy), cache=tmp_path, settings=FetchSettings(jobs=3))

    todo = [e for e in ids if e not in cached]
    assert sorted(calls) == sorted(todo) and len(calls) == len(set(calls))  # each fetched once
    assert report.already_cached == tuple(e for e in ids if e in cached)
    assert report.downloaded == tuple(e for e in todo if e not in fail)
    assert list(report.failed) == [e for e in todo if e in fail]
    assert list(report.paths) == [e for e in ids if e not in fail]  # input order, each once
    assert report.bytes_downloaded == len(report.downloaded)
    assert set(report.paths).isdisjoint(report.failed)
    assert len(report.paths) + len(report.failed) == len(ids)


def test_downloaded_in_input_order_whatever_the_completion_order(tmp_path, monkeypatch):
    ids = ["1AAA", "2BBB", "3CCC", "4DDD", "5EEE", "6FFF"]
    calls: list[str] = []
    inner = fake_download(calls, set())

    def slow_first(session, entry, target, settings, stop=None):
        time.sleep(0.05 * (len(ids) - ids.index(entry)))  # the first finishes last
        return inner(session, entry, target, settings)

    monkeypatch.setattr(fetch_module, "_download_one", slow_first)
    report = fetch(ids, cache=tmp_path, settings=FetchSettings(jobs=6))
    assert calls[0] == "6FFF"
    assert report.downloaded == tuple(ids) and list(report.paths) == ids


def test_interrupted_fetch_lists_what_was_not_fetched(tmp_path, monkeypatch):
    ids = synthetic_ids(40, seed=2)
    calls: list[str] = []
    inner = fake_download(calls, set())

    def download(session, entry, target, settings, stop=None):
        if entry == ids[5]:
            raise KeyboardInterrupt
        return inner(session, entry, target, settings)

    monkeypatch.setattr(fetch_module, "_download_one", download)
    with pytest.raises(KeyboardInterrupt):
        fetch(ids, cache=tmp_path, settings=FetchSettings(jobs=1))
    with open(tmp_path / FAILURES_NAME, newline="") as fh:
        listed = dict(list(csv.reader(fh, delimiter="\t"))[1:])
    cached = {e for e in ids if cache_path(tmp_path, e, "cif").is_file()}
    assert set(ids[:5]) <= cached
    assert cached | set(listed) == set(ids) and not cached & set(listed)
    assert all("interrupted" in listed[e] for e in listed)


def test_no_ids_fetches_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_module, "_download_one", fake_download([], set()))
    report = fetch([], cache=tmp_path)
    assert report == fetch_module.FetchReport()
    assert (tmp_path / FAILURES_NAME).read_text().splitlines() == ["id\treason"]


# --- bad input: an input error (exit 2) naming the file and the cause in one line ---------


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        (None, "no such id list"),
        (b"4HHB\n\xff\xfe1ABC\n", "not UTF-8"),
        (b"", "no PDB ids"),
        (b"# only a comment\n\n  \n", "no PDB ids"),
        (gzip.compress(b"4HHB\n"), "not UTF-8"),
        (b"4HHB\nhello\n", "line 2"),
    ],
)
def test_bad_id_list_is_an_input_error_naming_the_file(tmp_path, capsys, content, cause):
    path = tmp_path / "ids.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(EnmspecError, match=cause) as info:
        read_ids(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    from enmspec.cli import main

    assert main(["fetch", str(path), "--cache", str(tmp_path / "cache"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and cause in err
    assert not (tmp_path / "cache" / FAILURES_NAME).exists()


def test_id_list_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "ids.txt"
    path.write_bytes("\ufeff4hhb, 1abc_1\n".encode())
    assert read_ids(path) == ["4HHB", "1ABC"]


def test_bad_ids_and_mirrors_are_input_errors(tmp_path):
    with pytest.raises(EnmspecError, match="not a PDB id"):
        fetch(["4HHB", "hello"], cache=tmp_path)
    with pytest.raises(EnmspecError, match="mirror"):
        FetchSettings(base_url="http://example.org/{nope}.gz")
    with pytest.raises(EnmspecError, match="http"):
        FetchSettings(base_url="ftp://example.org/{ID}.{ext}")


def test_cli_fetch_shows_the_first_reasons_and_counts_the_rest(serve, tmp_path, capsys):
    from enmspec.cli import MAX_REASONS_SHOWN, main

    server, url = serve({})
    ids = tmp_path / "ids.txt"
    unknown = [f"9A{i:02d}" for i in range(MAX_REASONS_SHOWN + 5)]
    ids.write_text("\n".join(unknown) + "\n")
    cache = tmp_path / "cache"
    argv = ["fetch", str(ids), "--cache", str(cache), "--format", "pdb", "--mirror", url, "--quiet"]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert sum("not found" in line for line in err) == MAX_REASONS_SHOWN
    assert f"... and 5 more, see {cache / FAILURES_NAME}" in err
    assert err[-1] == f"enmspec fetch: {len(unknown)} of {len(unknown)} entries failed"
    assert len((cache / FAILURES_NAME).read_text().splitlines()) >= len(unknown)
