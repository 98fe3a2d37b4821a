"""enmspec.select against a loopback server replaying the Search API's response shapes."""

from __future__ import annotations

import http.server
import json
import os
import socket
import struct
from pathlib import Path

import pytest

from compare.errors import RuntimeFailure
from enmspec.errors import EnmspecError, FetchError
from enmspec.fetch import FetchSettings, SelectCriteria, build_query, select

SHARED_QUERY = Path(__file__).resolve().parents[3] / "shared" / "rcsb" / "paper_set_query.json"

# Grouped answers carry entity ids; total_count counts ungrouped hits, group_by_count the groups.
HITS = ["4HHB_1", "1PWC_1", "4HHB_2", "3HSY_1", "1A28_1", "19HC_1", "1HVR_1"]


class SearchServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, hits, failures=0, status_first=None, broken=0, answer=None):
        super().__init__(("127.0.0.1", 0), SearchHandler)
        self.hits = hits
        self.bodies = []
        self.failures = failures
        self.status_first = status_first
        self.broken = broken  # first requests answered with headers, part of the body, a reset
        self.answer = answer  # a fixed JSON answer instead of the hits


class SearchHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802
        server: SearchServer = self.server  # type: ignore[assignment]
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server.bodies.append(body)
        if server.failures:
            server.failures -= 1
            return self.send(server.status_first or 503, b"busy", {"Retry-After": "0"})
        if server.broken:
            server.broken -= 1
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"query_id": "x", "result_')
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            os.close(self.connection.detach())  # a reset, no FIN first
            self.close_connection = True
            return
        if server.answer is not None:
            return self.send(200, json.dumps(server.answer).encode())
        if not server.hits:
            return self.send(204, b"")
        page = body["request_options"]["paginate"]
        rows = server.hits[page["start"] : page["start"] + page["rows"]]
        answer = {
            "query_id": "x",
            "result_type": "polymer_entity",
            "total_count": 5 * len(server.hits),
            "group_by_count": len(server.hits),
            "result_set": [{"identifier": h, "score": 1.0} for h in rows],
        }
        self.send(200, json.dumps(answer).encode(), {"Content-Type": "application/json"})

    def send(self, status, body, headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def search_server(start_server):
    def start(*args, **kw):
        server = SearchServer(*args, **kw)
        return server, start_server(server) + "/rcsbsearch/v2/query"

    return start


FAST = FetchSettings(timeout=2, retries=2, backoff=0.01)


def test_default_query_is_the_paper_set():
    if not SHARED_QUERY.is_file():
        pytest.skip(f"{SHARED_QUERY} is absent")
    assert build_query(SelectCriteria()) == json.loads(SHARED_QUERY.read_text())


def test_paginates_until_group_count_and_maps_entities(search_server, tmp_path):
    server, url = search_server(HITS)
    result = select(SelectCriteria(rows=3), url=url, settings=FAST)
    assert [b["request_options"]["paginate"]["start"] for b in server.bodies] == [0, 3, 6]
    assert result.ids == ("4HHB", "1PWC", "3HSY", "1A28", "19HC", "1HVR")
    assert result.n_hits == 7
    ids_path, meta_path = result.write(tmp_path / "paper_set.txt")
    assert ids_path.read_text().split() == list(result.ids)
    meta = json.loads(meta_path.read_text())
    assert meta["n_entries"] == 6 and meta["query"]["request_options"]["group_by"]["similarity_cutoff"] == 30
    assert meta["date"][:2] == "20"


def test_options_change_the_query(search_server):
    server, url = search_server(HITS[:2])
    criteria = SelectCriteria(max_resolution=2.5, min_length=50, max_length=500, identity=None)
    select(criteria, url=url, settings=FAST)
    body = server.bodies[0]
    nodes = {n["parameters"]["attribute"]: n["parameters"]["value"] for n in body["query"]["nodes"]}
    assert nodes["rcsb_entry_info.resolution_combined"] == 2.5
    assert nodes["entity_poly.rcsb_sample_sequence_length"]["from"] == 50
    assert "group_by" not in body["request_options"]


def test_no_hits_is_204(search_server):
    server, url = search_server([])
    assert select(url=url, settings=FAST).ids == ()


def test_retries_then_succeeds(search_server):
    server, url = search_server(HITS[:3], failures=2, status_first=429)
    assert select(url=url, settings=FAST).ids == ("4HHB", "1PWC")
    assert len(server.bodies) == 3


def test_persistent_failure_is_a_clear_error(search_server):
    server, url = search_server(HITS, failures=10)
    with pytest.raises(FetchError, match="HTTP 503 .*gave up after 3 attempts"):
        select(url=url, settings=FAST)


def test_bad_identity():
    with pytest.raises(ValueError, match="identity"):
        SelectCriteria(identity=40)


def test_cli_select(search_server, tmp_path, capsys):
    from enmspec.cli import main

    server, url = search_server(HITS)
    out = tmp_path / "ids.txt"
    assert main(["select", "--out", str(out), "--url", url, "--timeout", "2"]) == 0
    assert out.read_text().split() == ["4HHB", "1PWC", "3HSY", "1A28", "19HC", "1HVR"]
    assert (tmp_path / "ids.txt.json").is_file()
    assert "6 entries (7 hits)" in capsys.readouterr().out
    assert main(["select", "--out", str(out), "--url", url, "--identity", "40"]) == 2
    assert "identity must be one of" in capsys.readouterr().err


def test_a_connection_broken_mid_answer_is_retried(search_server):
    server, url = search_server(HITS[:3], broken=2)
    assert select(url=url, settings=FAST).ids == ("4HHB", "1PWC")
    assert len(server.bodies) == 3


def test_always_broken_is_a_runtime_failure(search_server):
    server, url = search_server(HITS, broken=10)
    with pytest.raises(FetchError, match="connection broken mid-download .*gave up after 3 attempts") as info:
        select(url=url, settings=FAST)
    assert isinstance(info.value, RuntimeFailure) and not isinstance(info.value, ValueError)


@pytest.mark.parametrize("answer", [[1, 2], {"result_set": [{"score": 1}]}, {"group_by_count": "many"}])
def test_an_answer_of_another_shape_is_a_fetch_error(search_server, answer):
    server, url = search_server(HITS, answer=answer)
    with pytest.raises(FetchError, match="unexpected answer"):
        select(url=url, settings=FAST)


def test_duplicates_across_pages_kept_once_in_rank_order(search_server):
    hits = ["2AAA_1", "1BBB_1", "2AAA_2", "3CCC_1", "1BBB_3", "2AAA_3", "4DDD_1"]
    server, url = search_server(hits)
    result = select(SelectCriteria(rows=2), url=url, settings=FAST)
    assert result.ids == ("2AAA", "1BBB", "3CCC", "4DDD") and result.n_hits == 7


def test_a_url_that_is_not_http_is_an_input_error():
    with pytest.raises(EnmspecError, match="not an http"):
        select(url="search.rcsb.org/query", settings=FAST)


def test_cli_select_exit_status_1_on_a_failing_server(search_server, tmp_path, capsys):
    from enmspec.cli import main

    server, url = search_server(HITS, failures=10)
    out = tmp_path / "ids.txt"
    assert main(["select", "--out", str(out), "--url", url, "--timeout", "2"]) == 1
    assert "HTTP 503" in capsys.readouterr().err and not out.exists()
