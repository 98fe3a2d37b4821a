"""enmspec.afdb against a loopback server playing AlphaFold DB's API and file store, faults included."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pytest

from enmspec.afdb import (
    AFDB_DIR,
    AfdbSource,
    cached_models,
    fetch_afdb,
    model_file_name,
    read_accessions,
    read_entry_list,
)
from enmspec.batch import run_batch
from enmspec.cli import main
from enmspec.errors import EnmspecError
from enmspec.fetch import FAILURES_NAME, PARTIAL_DIR, FetchSettings

MODEL = (Path(__file__).resolve().parents[1] / "data" / "afdb_format_P15555_from_1pwc.cif").read_bytes()


def model_of(accession: str) -> bytes:
    """The written AlphaFold-DB-format model, relabelled as the model of ``accession``."""
    return MODEL.replace(b"P15555", accession.encode())


class AfdbServer(http.server.ThreadingHTTPServer):
    """``/api/prediction/<ACC>`` (JSON, as AlphaFold DB answers) and ``/files/AF-<ACC>-F1-model_v6.cif``.

    ``script[key]`` lists the actions of successive requests (the last repeats), ``key`` being
    ``api:<ACC>`` or ``file:<ACC>``: "ok", 404, 500, "429", "truncated", "wrong" (another
    protein's model), "junk" (not JSON / not a model).
    """

    daemon_threads = True

    def __init__(self, accessions: set[str], script: dict[str, list]):
        super().__init__(("127.0.0.1", 0), AfdbHandler)
        self.accessions = accessions
        self.script = {k: list(v) for k, v in script.items()}
        self.requests: dict[str, int] = {}
        self.lock = threading.Lock()

    def next_action(self, key: str):
        with self.lock:
            self.requests[key] = self.requests.get(key, 0) + 1
            actions = self.script.get(key, ["ok"])
            return actions.pop(0) if len(actions) > 1 else actions[0]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class AfdbHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 (http.server's naming)
        server: AfdbServer = self.server  # type: ignore[assignment]
        if self.path.startswith("/api/prediction/"):
            accession = self.path.rsplit("/", 1)[-1]
            key, body = f"api:{accession}", self.api_answer(server, accession)
        else:
            name = self.path.rsplit("/", 1)[-1]
            accession = name.split("-")[1] if name.startswith("AF-") else name.split(".")[0]
            key, body = f"file:{accession}", model_of(accession)
        action = server.next_action(key)
        if accession not in server.accessions or action == 404:
            return self.reply(404, b'{"error": "not found"}')
        if isinstance(action, int):
            return self.reply(action, b"server trouble")
        if action == "429":
            return self.reply(429, b"slow down", {"Retry-After": "0"})
        if action == "truncated":
            return self.reply(200, body[: len(body) // 2])
        if action == "wrong":
            return self.reply(200, model_of("Q9RN68"))
        if action == "junk":
            return self.reply(200, b"<html>maintenance</html>")
        return self.reply(200, body)

    def api_answer(self, server: AfdbServer, accession: str) -> bytes:
        record = {
            "entryId": f"AF-{accession}-F1",
            "uniprotAccession": accession,
            "latestVersion": 6,
            "cifUrl": f"{server.base}/files/AF-{accession}-F1-model_v6.cif",
            "pdbUrl": f"{server.base}/files/AF-{accession}-F1-model_v6.pdb",
        }
        return json.dumps([record]).encode()

    def reply(self, status: int, body: bytes, headers: dict | None = None):
        try:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def afdb(start_server):
    def start(script: dict | None = None, accessions=("P15555", "P69905", "Q9RN68")):
        server = AfdbServer(set(accessions), script or {})
        start_server(server)
        return server, AfdbSource(api=server.base + "/api/prediction/{accession}")

    return start


SETTINGS = FetchSettings(jobs=3, timeout=2.0, retries=3, backoff=0.01)


def test_models_through_the_api_with_faults(afdb, tmp_path):
    server, source = afdb({"api:P69905": [500, "ok"], "file:P15555": ["429", "truncated", "ok"]})
    report = fetch_afdb(
        ["P15555", "af-p69905-f1", "A0A000", "P15555"], cache=tmp_path, settings=SETTINGS, source=source
    )
    assert report.downloaded == ("P15555", "P69905")
    assert set(report.failed) == {"A0A000"} and "HTTP 404" in report.failed["A0A000"]
    assert server.requests["api:A0A000"] == 1  # a 404 is not retried
    assert server.requests["api:P69905"] == 2 and server.requests["file:P15555"] == 3
    for accession, path in report.paths.items():
        assert path == tmp_path / AFDB_DIR / f"AF-{accession}-F1-model_v6.cif"
        assert path.read_bytes() == model_of(accession)
    assert not any((tmp_path / PARTIAL_DIR).iterdir())
    failures = (tmp_path / AFDB_DIR / FAILURES_NAME).read_text().splitlines()
    assert failures[0] == "id\treason" and failures[1].startswith("A0A000\t")


def test_cached_models_are_not_fetched_again(afdb, tmp_path):
    server, source = afdb()
    fetch_afdb(["P15555"], cache=tmp_path, settings=SETTINGS, source=source)
    again = fetch_afdb(["P15555"], cache=tmp_path, settings=SETTINGS, source=source)
    assert again.downloaded == () and again.already_cached == ("P15555",)
    assert server.requests == {"api:P15555": 1, "file:P15555": 1}
    assert cached_models(tmp_path) == {"P15555": tmp_path / AFDB_DIR / "AF-P15555-F1-model_v6.cif"}


def test_a_model_of_another_protein_is_refused_after_the_retries(afdb, tmp_path):
    server, source = afdb({"file:P69905": ["wrong"], "api:P15555": ["junk"]})
    report = fetch_afdb(["P69905", "P15555"], cache=tmp_path, settings=SETTINGS, source=source)
    assert "not P69905" in report.failed["P69905"] and "gave up after 4 attempts" in report.failed["P69905"]
    assert server.requests["file:P69905"] == 4
    assert "not JSON" in report.failed["P15555"]
    assert cached_models(tmp_path) == {}


def test_mirror_template_needs_no_api(afdb, tmp_path):
    server, _ = afdb()
    source = AfdbSource(mirror=server.base + "/files/AF-{accession}-F1-model_v{version}.cif")
    report = fetch_afdb(["P15555"], cache=tmp_path, settings=SETTINGS, source=source)
    assert report.downloaded == ("P15555",)
    assert server.requests == {"file:P15555": 1}


@pytest.mark.parametrize(
    "template,match",
    [
        ("https://x/{id}.cif", "needs {accession}"),
        ("ftp://x/{accession}", "not an http"),
        ("https://x/{accession}{z}", "only"),
    ],
)
def test_bad_templates(template, match):
    with pytest.raises(EnmspecError, match=match):
        AfdbSource(mirror=template)


def test_accession_lists(tmp_path):
    path = tmp_path / "acc.txt"
    path.write_text("# models\nP69905, AF-P68871-F1\nA0A087WUL8  p69905\n")
    assert read_accessions(path) == ["P69905", "P68871", "A0A087WUL8"]
    assert read_entry_list(path) == ("afdb", ["P69905", "P68871", "A0A087WUL8"])
    pdb = tmp_path / "pdb.txt"
    pdb.write_text("4HHB 1pwc\n")
    assert read_entry_list(pdb) == ("pdb", ["4HHB", "1PWC"])
    mixed = tmp_path / "mixed.txt"
    mixed.write_text("4HHB P69905\n")
    with pytest.raises(EnmspecError, match="nor a list of UniProt accessions"):
        read_entry_list(mixed)


def test_file_names():
    assert (
        model_file_name("https://h/files/AF-P69905-F1-model_v6.cif", "P69905") == "AF-P69905-F1-model_v6.cif"
    )
    assert model_file_name("https://h/m/P69905.cif?x=1", "P69905", 4) == "AF-P69905-F1-model_v4.cif"


def test_cli_fetch_afdb(afdb, tmp_path, capsys):
    server, source = afdb()
    ids = tmp_path / "acc.txt"
    ids.write_text("P15555\nA0A000\n")
    argv = ["fetch", str(ids), "--source", "afdb", "--cache", str(tmp_path / "c"), "--afdb-api", source.api]
    assert main([*argv, "--quiet", "--retries", "0"]) == 1
    captured = capsys.readouterr()
    assert "1 downloaded" in captured.out and "1 failed" in captured.out
    assert "A0A000: not found" in captured.err
    assert (tmp_path / "c" / AFDB_DIR / "AF-P15555-F1-model_v6.cif").is_file()


def test_batch_over_an_accession_list(afdb, tmp_path):
    server, source = afdb()
    ids = tmp_path / "models.txt"
    ids.write_text("P15555\nA0A000\n")
    table = run_batch([ids], tmp_path / "out", cache=tmp_path / "cache", jobs=1, afdb_source=source)
    done = table[table["status"] == "done"].iloc[0]
    assert done["id"] == "AF-P15555-F1" and done["structure_type"] == "predicted"
    assert done["uniprot"] == "P15555" and done["n_residues"] == 345
    failed = table[table["status"] == "failed"].iloc[0]
    assert failed["id"] == "A0A000" and "HTTP 404" in failed["error"]
