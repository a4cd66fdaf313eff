"""The benchmark end to end at tiny sizes (`bench/run.py --smoke`): every measurement is there and sane.

No timing is asserted (CI machines differ); what is asserted is that one run generates, imports,
reports, serves, signs in and measures every page with only 200 answers, and writes the JSON that
docs/benchmark.md describes. On SQLite in the SQLite half of the suite; on PostgreSQL when
DATABASE_URL names PostgreSQL, in a database of its own (the test database's name + ``_bench``)
that the run creates and drops.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "bench" / "run.py"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
PAGES = {
    "ceiling (/healthz)",
    "case list",
    "my department's queue",
    "process page with figures",
    "dispute list",
    "notice acknowledgement report",
    "search “升级”",
}


def _bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _smoke(tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    results = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, str(RUN), "--smoke", "--results", str(results), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, f"bench/run.py --smoke failed:\n{done.stdout}\n{done.stderr}"
    files = sorted(results.glob("*-smoke.json"))
    assert files, f"no JSON written:\n{done.stdout}"
    assert "| measurement" in done.stdout  # the table
    return [json.loads(path.read_text(encoding="utf-8")) for path in files]


def _assert_sane(result: dict[str, Any], vendor: str) -> None:
    assert result["database"]["vendor"] == vendor
    assert result["smoke"] is True
    data = result["data"]
    assert data["people"] == 40
    assert data["step_runs"] > 0
    assert data["search_documents"] > 0
    assert result["import"]["seconds"] > 0
    assert result["import"]["peak_rss_mb"] > 0
    report = result["report"]
    assert report["seconds"] > 0
    assert report["floor_s"] > 0
    assert report["floor_step_runs"] == data["step_runs"]  # the floor read every step run
    assert report["ratio_to_floor"] > 0
    assert {endpoint["name"] for endpoint in result["endpoints"]} == PAGES
    assert result["failures"] == []
    for endpoint in result["endpoints"]:
        assert endpoint["status"] == 200
        assert "failed" not in endpoint
        assert endpoint["bytes"] > 0
        for phase in ("sequential", "concurrent"):
            measured = endpoint[phase]
            assert measured["requests"] > 0, (endpoint["name"], phase)
            assert measured["not_200"] == 0
            assert measured["errors"] == 0
            assert measured["rps"] > 0
            assert 0 < measured["median_ms"] <= measured["p95_ms"]
    memory = result["web_worker_memory"]
    assert len(memory["workers"]) == 2  # gunicorn with 2 workers, as in production
    assert all(worker["vmhwm_mb"] > 0 for worker in memory["workers"])
    assert memory["peak_mb"] == max(worker["vmhwm_mb"] for worker in memory["workers"])


@pytest.mark.skipif(
    DATABASE_URL.startswith(("postgres://", "postgresql://")),
    reason="the SQLite run belongs to the SQLite half of the suite",
)
def test_smoke_run_on_sqlite_measures_everything(tmp_path: Path) -> None:
    # when
    results = _smoke(tmp_path, "--db", "sqlite")
    # then
    assert len(results) == 1
    _assert_sane(results[0], "sqlite")


@pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://")),
    reason="set DATABASE_URL=postgres://… to run the benchmark on PostgreSQL too",
)
def test_smoke_run_on_postgresql_measures_everything_in_its_own_database(tmp_path: Path) -> None:
    # given: the test database's name + "_bench" (pytest-django: test_<name>, _gw<n> under xdist)
    parts = urllib.parse.urlsplit(DATABASE_URL)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    name = f"test_{parts.path.lstrip('/')}{f'_{worker}' if worker else ''}_bench"
    url = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    bench = _bench_module()
    bench.postgres_drop(url)  # left over by an interrupted run
    try:
        # when
        results = _smoke(tmp_path, "--db", "postgresql", "--postgres-url", url)
        # then: measured, and the database is gone
        assert len(results) == 1
        _assert_sane(results[0], "postgresql")
        assert not _database_exists(url)
    finally:
        bench.postgres_drop(url)


def _database_exists(url: str) -> bool:
    import psycopg

    name = urllib.parse.urlsplit(url).path.lstrip("/")
    admin = urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


# ── The harness fails loudly on a page that does not answer 200 ──────────────────────────────────


class _Pages(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/ok":
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        else:  # what login_required answers to a visitor without a session
            self.send_response(302)
            self.send_header("Location", "/accounts/login/?next=" + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def pages_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_page_redirecting_to_sign_in_fails_the_run(pages_server: int) -> None:
    # given
    bench = _bench_module()
    cookies = {"head": "sessionid=x"}
    # when
    checked = bench.check_pages(pages_server, [("fine", "/ok", "head")], cookies)
    with pytest.raises(bench.BenchFailed, match=r"case list /processes/cases/ as head answered 302 /accounts/login/"):
        bench.check_pages(pages_server, [("fine", "/ok", "head"), ("case list", "/processes/cases/", "head")], cookies)
    # then
    assert checked == [("fine", "/ok", "head", 2)]


def test_a_load_phase_with_answers_other_than_200_fails_the_run(pages_server: int) -> None:
    # given
    bench = _bench_module()
    loadclient = sys.modules["loadclient"]
    clients = [True] + ([False] if loadclient.wrk_path() else [])  # Python, and wrk where installed
    # when
    measured = [
        loadclient.measure("127.0.0.1", pages_server, "/elsewhere", "", connections=2, seconds=1, use_python=python)
        for python in clients
    ]
    # then
    for result in measured:
        assert result["requests"] > 0
        assert result["not_200"] == result["requests"]
        assert result["first_not_200"] == 302
        with pytest.raises(bench.BenchFailed, match="not 200 \\(first: 302\\)"):
            bench.check_load("dispute list", "/elsewhere", result)
    bench.check_load(
        "fine",
        "/ok",
        loadclient.measure("127.0.0.1", pages_server, "/ok", "", connections=1, seconds=1, use_python=True),
    )


class _Busy(http.server.BaseHTTPRequestHandler):
    """/healthz answers at once once ``free_at`` has passed, slowly before."""

    free_at = 0.0

    def do_GET(self) -> None:
        import time

        if time.monotonic() < self.free_at:
            time.sleep(1.5)  # a worker still busy with a slow page's request
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_the_next_page_waits_until_the_workers_are_free_again() -> None:
    # given a server busy for about two more seconds
    import time

    bench = _bench_module()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Busy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _Busy.free_at = time.monotonic() + 2
        # when
        waited = bench.drain(server.server_address[1])
        # then: it waited for the workers, and not longer than needed
        assert 1.5 <= waited < 10
        assert bench.drain(server.server_address[1]) < 1
    finally:
        server.shutdown()
        server.server_close()
