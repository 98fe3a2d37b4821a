"""Benchmark: the per-entry bookkeeping of ``enmspec.fetch`` at PDB scale, this tree against a baseline.

The baseline is ``enmspec/fetch.py`` as committed at ``--baseline`` (default ``HEAD``), written
to a temporary file and imported beside the working tree's module, so both run in the same
process, on the same machine, over the same ids and the same cache.

Ids: synthetic 4-character PDB-like ids (a digit, then three of A-Z0-9) from a seeded generator.

(a) Planning: ``fetch`` of ``--n-plan`` ids (default 200,000, the whole PDB) with every entry
    already in the cache, so no request is made: the whole call is bookkeeping (parsing the
    ids, removing duplicates, one ``stat`` per entry, the report, the failures file). Cached
    files are trusted (not validated), so the cache is filled with empty files. The baseline
    is quadratic here (a list membership test per id), so it is timed at ``--n-baseline`` and
    twice that, the new code at the same sizes; the baseline at ``--n-plan`` is extrapolated
    with the exponent measured between its two sizes (marked "extrapolated").
(b) Downloads: ``--n-download`` entries (default 2,000) from a loopback HTTP server started
    here (127.0.0.1, HTTP/1.1 keep-alive), which serves for any id a tiny gzipped PDB file: the
    HEADER and the first 60 ATOM records of the shipped 1HVR entry, the HEADER's id code
    rewritten to the id asked for (``validate_file`` checks that id). Reported: wall time per
    entry of the whole fetch (network, validation, rename into the cache included), and the
    bookkeeping alone: the same fetch with the download replaced by a stub that returns at
    once (thread pool hand-off, report, failures file), at ``--n-download`` and at 9,166 (the
    paper's count), where the baseline's report rebuilt a set per entry.
    Also: ``read_ids`` of a ``--n-plan``-line id list.

Run:  python bench/bench_bookkeeping.py [--n-plan 200000] [--n-download 2000] [--json out.json]
(about 30-60 s; the cache lives in a temporary folder that is removed at the end).
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import importlib
import importlib.util
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from enmspec import example_structures  # noqa: E402

NEW = importlib.import_module("enmspec.fetch")  # the module (enmspec.fetch the attribute is the function)
PAPER_ENTRIES = 9166
CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def synthetic_ids(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    ids: dict[str, None] = {}
    while len(ids) < n:
        ids[rng.choice("123456789") + "".join(rng.choice(CHARS) for _ in range(3))] = None
    return list(ids)


def load_baseline(rev: str, folder: Path):
    source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{rev}:enmspec/fetch.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = folder / "fetch_baseline.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("fetch_baseline", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def tiny_pdb_template() -> list[bytes]:
    lines = example_structures()["1HVR"].read_bytes().split(b"\n")
    assert lines[0].startswith(b"HEADER") and lines[0][62:66] == b"1HVR"
    atoms = [line for line in lines if line.startswith(b"ATOM")][:60]
    return [lines[0], *atoms, b"END", b""]


class TinyServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), TinyHandler)
        self.template = tiny_pdb_template()
        self.requests = 0
        self.lock = threading.Lock()

    def body(self, entry: str) -> bytes:
        header = self.template[0]
        lines = [header[:62] + entry.encode() + header[66:], *self.template[1:]]
        return gzip.compress(b"\n".join(lines), compresslevel=1)


class TinyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall
    wbufsize = 1 << 16  # ... and one send per answer (flushed after each request)

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        server: TinyServer = self.server  # type: ignore[assignment]
        with server.lock:
            server.requests += 1
        body = server.body(self.path.strip("/").split(".")[0].upper())
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        self.wfile.write(body)


def fill_cache(cache: Path, ids: list[str], fmt: str = "pdb") -> None:
    """An empty file per entry (cached files are not validated): hard links to a few sources."""
    ext = NEW.FORMATS[fmt]
    made: set[str] = set()
    source = None
    for i, entry in enumerate(ids):
        if i % 50_000 == 0:  # stay below the file systems' limits on links per inode
            source = os.path.join(cache, f".source-{i}")
            os.makedirs(cache, exist_ok=True)
            os.close(os.open(source, os.O_CREAT | os.O_WRONLY, 0o644))
        lower = entry.lower()
        folder = os.path.join(cache, lower[1:3])
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        os.link(source, os.path.join(folder, f"{lower}.{ext}"))


def timed(fn, repeats: int = 1) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def plan_time(module, ids: list[str], cache: Path, settings, repeats: int) -> float:
    def run():
        report = module.fetch(ids, cache=cache, settings=settings)
        assert len(report.already_cached) == len(ids) and not report.downloaded and not report.failed

    return timed(run, repeats)


def stub_bookkeeping(module, ids: list[str], cache: Path, settings) -> float:
    """fetch() of ``ids`` (none cached) with the download replaced by an instant stub."""
    original = module._download_one

    def stub(session, entry, target, settings, stop=None):
        return 1

    module._download_one = stub
    try:
        start = time.perf_counter()
        report = module.fetch(ids, cache=cache, settings=settings)
        elapsed = time.perf_counter() - start
    finally:
        module._download_one = original
    assert len(report.downloaded) == len(ids), len(report.downloaded)
    return elapsed


def download_time(module, ids: list[str], cache: Path, settings, server: TinyServer) -> float:
    before = server.requests
    start = time.perf_counter()
    report = module.fetch(ids, cache=cache, settings=settings)
    elapsed = time.perf_counter() - start
    assert len(report.downloaded) == len(ids) and not report.failed, list(report.failed.items())[:3]
    assert server.requests - before == len(ids)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-plan", type=int, default=200_000)
    parser.add_argument("--n-baseline", type=int, default=20_000, help="baseline planning size (and 2x)")
    parser.add_argument("--n-download", type=int, default=2_000)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", default="HEAD", help="git revision of the baseline fetch.py")
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args()

    results: dict = {"n_plan": args.n_plan, "n_download": args.n_download, "jobs": args.jobs}
    work = Path(tempfile.mkdtemp(prefix="bench-bookkeeping-"))
    server = TinyServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{{ID}}.{{ext}}"
    try:
        old = load_baseline(args.baseline, work)
        new_settings = NEW.FetchSettings(base_url=url, fmt="pdb", jobs=args.jobs, timeout=10, retries=1)
        old_settings = old.FetchSettings(base_url=url, fmt="pdb", jobs=args.jobs, timeout=10, retries=1)
        ids = synthetic_ids(args.n_plan + 2 * args.n_download + PAPER_ENTRIES, seed=1)
        plan_ids = ids[: args.n_plan]
        rest = ids[args.n_plan :]

        # (a) planning, every entry cached
        cache = work / "cache"
        start = time.perf_counter()
        fill_cache(cache, plan_ids)
        print(f"cache of {args.n_plan:,} empty entry files made in {time.perf_counter() - start:.1f} s")
        t_new = plan_time(NEW, plan_ids, cache, new_settings, args.repeats)
        results["plan_new_s"] = t_new
        per_id = t_new / args.n_plan * 1e6
        print(f"(a) planning {args.n_plan:,} cached ids: new {t_new:.2f} s ({per_id:.1f} us/id)")
        sizes = (args.n_baseline, 2 * args.n_baseline)
        baseline = {}
        for n in sizes:
            t_o = plan_time(old, plan_ids[:n], cache, old_settings, 1)
            t_n = plan_time(NEW, plan_ids[:n], cache, new_settings, args.repeats)
            baseline[n] = t_o
            results[f"plan_{n}_old_s"], results[f"plan_{n}_new_s"] = t_o, t_n
            print(f"    at {n:,} ids: baseline {t_o:.2f} s, new {t_n:.3f} s, ratio {t_o / t_n:.0f}x")
        exponent = max(1.0, math.log(baseline[sizes[1]] / baseline[sizes[0]], 2))
        t_old_full = baseline[sizes[1]] * (args.n_plan / sizes[1]) ** exponent
        results["plan_old_exponent"] = exponent
        results["plan_old_extrapolated_s"] = t_old_full
        print(
            f"    baseline at {args.n_plan:,} ids: ~{t_old_full:.0f} s extrapolated (t ~ n^{exponent:.2f}), "
            f"ratio ~{t_old_full / t_new:.0f}x"
        )

        # read_ids of a whole-PDB id list
        id_list = work / "ids.txt"
        id_list.write_text("".join(f"{e}\n" for e in plan_ids))
        t_read_new = timed(lambda: NEW.read_ids(id_list), args.repeats)
        t_read_old = timed(lambda: old.read_ids(id_list), args.repeats)
        results["read_ids_new_s"], results["read_ids_old_s"] = t_read_new, t_read_old
        print(f"    read_ids of {args.n_plan:,} lines: new {t_read_new:.2f} s, baseline {t_read_old:.2f} s")

        # (b) downloads from the loopback server, then the bookkeeping alone (stub download)
        n = args.n_download
        warm = synthetic_ids(50, seed=99)
        download_time(NEW, warm, work / "warm", new_settings, server)  # imports, gemmi, connections
        t_dl_new = download_time(NEW, rest[:n], work / "dl-new", new_settings, server)
        t_dl_old = download_time(old, rest[n : 2 * n], work / "dl-old", old_settings, server)
        results["download_new_s"], results["download_old_s"] = t_dl_new, t_dl_old
        print(
            f"(b) {n:,} downloads over loopback, jobs={args.jobs}: new {t_dl_new:.2f} s "
            f"({t_dl_new / n * 1e3:.2f} ms/entry), "
            f"baseline {t_dl_old:.2f} s ({t_dl_old / n * 1e3:.2f} ms/entry)"
        )
        for m in (n, PAPER_ENTRIES):
            stub_ids = rest[:m]
            t_s_new = stub_bookkeeping(NEW, stub_ids, work / f"stub-new-{m}", new_settings)
            t_s_old = stub_bookkeeping(old, stub_ids, work / f"stub-old-{m}", old_settings)
            results[f"bookkeeping_{m}_new_s"], results[f"bookkeeping_{m}_old_s"] = t_s_new, t_s_old
            print(
                f"    bookkeeping alone, {m:,} entries (stub download): new {t_s_new:.2f} s "
                f"({t_s_new / m * 1e6:.0f} us/entry), baseline {t_s_old:.2f} s "
                f"({t_s_old / m * 1e6:.0f} us/entry), ratio {t_s_old / t_s_new:.1f}x"
            )
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
