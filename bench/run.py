"""The benchmark: `make bench` (full size, by hand) and `make bench-smoke` (tiny, in CI).

    .venv/bin/python bench/run.py [--db sqlite|postgresql|both] [--smoke] [--people N …]

In one run on this machine, for each database: generates a company with `xietong generate` (once,
shared by the databases), times `xietong import`, times `xietong report --as-of … --json` against one
hand-written SQL aggregate over the same step runs (the floor), serves the data with `xietong serve`
(gunicorn, 2 workers, as in production, without the background worker), signs in through the login
form as a department head and as the coordinator, and measures six pages next to `/healthz` (the
framework's ceiling): median and p95 latency with one connection, throughput with 8 connections
(wrk when installed, else a small Python client), then the peak memory (VmHWM) of the web workers.
Prints a table and writes bench/results/<timestamp>-<db>.json. Every run uses a fresh data directory
and a fresh PostgreSQL database it creates and drops. See docs/benchmark.md.

Any page that answers other than 200 (e.g. a redirect to the sign-in page) fails the run.
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import http.cookies
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadclient

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin: xietong, python
HOST = "127.0.0.1"
AS_OF = "2026-11-27T18:00:00"  # the generator's default --until, 18:00: "now" of the history
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/"


@dataclasses.dataclass(frozen=True)
class Sizes:
    departments: int
    people: int
    cases: int
    disputes: int
    notices: int
    pages: int
    processes: int = 4


FULL = Sizes(departments=5000, people=100_000, cases=190_000, disputes=5000, notices=20, pages=100_000)
SMOKE = Sizes(departments=6, people=40, cases=30, disputes=5, notices=3, pages=20)


class BenchFailed(Exception):
    pass


STARTED = time.monotonic()


def say(line: str = "") -> None:
    sys.stderr.write(f"[{time.monotonic() - STARTED:6.1f}s] {line}\n")
    sys.stderr.flush()


# ── Running commands ────────────────────────────────────────────────────────────────────────────


def run_timed(argv: list[str], env: dict[str, str], log: Path) -> tuple[float, float, str]:
    """Run a command to its end: (wall seconds, its peak RSS in MB, its standard output).
    Fails the benchmark when it fails."""
    out = log.with_suffix(".out")
    with out.open("wb") as stdout, log.open("ab") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdout=stdout, stderr=stderr, cwd=ROOT)
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    text = out.read_text(encoding="utf-8", errors="replace")
    if process.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise BenchFailed(f"{' '.join(argv[1:3])} failed ({process.returncode}); see {log}:\n{tail}")
    return seconds, usage.ru_maxrss / 1024, text  # ru_maxrss is in KB on Linux


def xietong(*args: str) -> list[str]:
    return [str(BIN / "xietong"), *args]


def generate_argv(sizes: Sizes, seed: int, output: Path) -> list[str]:
    return xietong(
        "generate",
        "--seed",
        str(seed),
        "--departments",
        str(sizes.departments),
        "--people",
        str(sizes.people),
        "--processes",
        str(sizes.processes),
        "--cases",
        str(sizes.cases),
        "--disputes",
        str(sizes.disputes),
        "--notices",
        str(sizes.notices),
        "--output",
        str(output),
    )


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def postgres_create(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise BenchFailed(f"PostgreSQL database name {name!r}: use lower-case letters, digits and _")
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            raise BenchFailed(f"PostgreSQL database {name} exists: the benchmark only uses a database it creates")
        conn.execute(f'CREATE DATABASE "{name}"')


def postgres_drop(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ── The server ───────────────────────────────────────────────────────────────────────────────────


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str, cookie: str = "") -> tuple[int, dict[str, str], bytes, list[str]]:
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), body, response.msg.get_all("Set-Cookie") or []
    finally:
        conn.close()


class Server:
    """`xietong serve` on a free loopback port, 2 gunicorn workers, as in production (the background
    worker and the tick scheduler are left out: nothing time-driven runs during the load)."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 2) -> None:
        self.port = free_port()
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                xietong(
                    "serve", "--bind", f"{HOST}:{self.port}", "--workers", str(workers), "--no-worker", "--no-migrate"
                ),
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchFailed(f"xietong serve exited ({self.process.returncode}); see {log}:\n{self._tail()}")
            try:
                if get(self.port, "/healthz")[0] == 200 and len(self.worker_pids()) >= workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise BenchFailed(f"xietong serve did not answer /healthz within 120 s; see {log}")

    def _tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the children of the master (serve --no-worker execs gunicorn)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.process.pid:
                pids.append(int(entry.name))
        return sorted(pids)

    def memory(self) -> dict[str, Any]:
        workers = []
        for pid in self.worker_pids():
            fields = {}
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    fields[key] = round(int(value.split()[0]) / 1024, 1)  # kB → MB
            workers.append({"pid": pid, "vmhwm_mb": fields.get("VmHWM"), "vmrss_mb": fields.get("VmRSS")})
        return {"workers": workers, "peak_mb": max((w["vmhwm_mb"] or 0 for w in workers), default=0)}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop; it ends its workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # our own session: the server and its workers
                self.process.wait()


def sign_in(port: int, username: str, password: str) -> str:
    """Sign in through the login form as a browser does; returns the Cookie header of the session."""
    status, _headers, body, set_cookies = get(port, "/accounts/login/")
    cookies = http.cookies.SimpleCookie()
    for header in set_cookies:
        cookies.load(header)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or match is None or "csrftoken" not in cookies:
        raise BenchFailed(f"the login page answered {status} without a CSRF token")
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        form = {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1).decode()}
        conn.request(
            "POST",
            "/accounts/login/",
            body=urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookies['csrftoken'].value}",
            },
        )
        response = conn.getresponse()
        response.read()
        for header in response.msg.get_all("Set-Cookie") or []:
            cookies.load(header)
    finally:
        conn.close()
    if response.status != 302 or "sessionid" not in cookies:
        raise BenchFailed(f"signing in as {username} failed: {response.status} (expected 302 and a session)")
    return f"sessionid={cookies['sessionid'].value}; csrftoken={cookies['csrftoken'].value}"


def check_pages(
    port: int, pages: list[tuple[str, str, str]], cookies: dict[str, str]
) -> list[tuple[str, str, str, int]]:
    """Request every page once: each must answer 200 (not a redirect to the sign-in page, not an
    error), else the run fails. Returns (name, path, who, size of the page)."""
    checked = []
    for name, path, who in pages:
        status, headers, body, _ = get(port, path, cookies[who])
        if status != 200:
            where = headers.get("Location", "")
            raise BenchFailed(f"{name} {path} as {who} answered {status} {where}: every page must answer 200")
        checked.append((name, path, who, len(body)))
    return checked


def measure_at_least_once(measure: dict[str, Any], *, connections: int, seconds: int) -> dict[str, Any]:
    """One load phase; a page slower than the whole phase (wrk drops the requests still running when
    time is up) is measured again over three times as long, up to a minute."""
    while True:
        result = loadclient.measure(**measure, connections=connections, seconds=seconds)
        if result["requests"] > 0 or seconds >= 60:
            return result
        seconds = min(60, seconds * 3)
        say(f"  no request finished: again for {seconds}s")


def check_load(name: str, path: str, measured: dict[str, Any]) -> None:
    """A load phase counts only if it made requests and every one answered 200."""
    if measured["not_200"] or measured["errors"] or measured["requests"] == 0:
        raise BenchFailed(
            f"{name} {path}: {measured['requests']} requests, {measured['not_200']} not 200 "
            f"(first: {measured['first_not_200']}), {measured['errors']} errors: every request must answer 200"
        )


# ── One database ─────────────────────────────────────────────────────────────────────────────────


@dataclasses.dataclass
class Options:
    sizes: Sizes
    seed: int
    seconds: int
    warmup: int
    repeat: int
    word: str
    as_of: str
    use_python: bool
    keep: bool
    smoke: bool


def endpoints(prepared: dict[str, Any], word: str) -> list[tuple[str, str, str]]:
    """(name, path, who): the pages measured, from the apps' urls.py; "ceiling" is /healthz with the
    head's session cookie, so it pays the same middleware (session and user lookup) as the pages."""
    return [
        ("ceiling (/healthz)", "/healthz", "head"),
        ("case list", "/processes/cases/", "head"),  # processes:case_list
        ("my department's queue", "/processes/my-work/", "head"),  # processes:my_work
        ("process page with figures", f"/processes/{prepared['process']['pk']}/", "coordinator"),
        ("dispute list", "/disputes/", "head"),  # disputes:list
        ("notice acknowledgement report", f"/notices/{prepared['notice']['pk']}/report/", "coordinator"),
        (f"search “{word}”", f"/search/?q={quote(word)}", "head"),  # search:search
    ]


def bench_database(vendor: str, database_url: str, package: Path, workdir: Path, opts: Options) -> dict[str, Any]:
    data_dir = workdir / vendor
    data_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "DJANGO_SETTINGS_MODULE")}
    env |= {
        "XIETONG_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "XIETONG_STATIC_ROOT": str(workdir / "static"),
        "PYTHONUNBUFFERED": "1",
    }
    result: dict[str, Any] = {"database_url": re.sub(r"//[^@/]*@", "//", database_url)}

    say(f"[{vendor}] migrate")
    result["migrate_s"] = round(run_timed(xietong("migrate", "-v0"), env, data_dir / "migrate.log")[0], 2)
    say(f"[{vendor}] import {package.name}")
    seconds, rss, _ = run_timed(xietong("import", str(package)), env, data_dir / "import.log")
    result["import"] = {"seconds": round(seconds, 2), "peak_rss_mb": round(rss, 1)}
    # Knowledge pages are not part of a package: the generator writes them straight to the database,
    # then indexes everything for search (a large import leaves that to the background worker, which
    # the benchmark does not run). Timed apart from the import.
    say(f"[{vendor}] knowledge pages ({opts.sizes.pages:,}) and the search index")
    seconds, rss, _ = run_timed(
        xietong("generate", "--no-package", "--pages", str(opts.sizes.pages), "--seed", str(opts.seed)),
        env,
        data_dir / "pages.log",
    )
    result["pages_and_reindex"] = {"seconds": round(seconds, 2), "peak_rss_mb": round(rss, 1)}

    say(f"[{vendor}] report ×{opts.repeat} and the SQL floor")
    startup = run_timed(xietong("report", "--help"), env, data_dir / "startup.log")[0]
    runs = []
    for _ in range(opts.repeat):
        seconds, rss, text = run_timed(xietong("report", "--as-of", opts.as_of, "--json"), env, data_dir / "report.log")
        json.loads(text)  # a report, not an error page
        runs.append(seconds)
    floor = json.loads(
        run_timed(
            [str(BIN / "python"), str(ROOT / "bench" / "dbside.py"), "floor", "--repeat", str(opts.repeat)],
            env,
            data_dir / "floor.log",
        )[2]
    )
    report_s, floor_s = statistics.median(runs), statistics.median(floor["runs_s"])
    result["report"] = {
        "seconds": round(report_s, 3),
        "runs_s": [round(r, 3) for r in runs],
        "peak_rss_mb": round(rss, 1),
        "cli_startup_s": round(startup, 3),
        "floor_s": round(floor_s, 4),
        "floor_runs_s": [round(r, 4) for r in floor["runs_s"]],
        "floor_sql": floor["sql"],
        "floor_step_runs": floor["step_runs"],
        "ratio_to_floor": round(report_s / floor_s, 1) if floor_s > 0 else None,
    }

    password = "bench-" + secrets.token_urlsafe(12)
    prepared = json.loads(
        run_timed(
            [str(BIN / "python"), str(ROOT / "bench" / "dbside.py"), "prepare", "--password", password],
            env,
            data_dir / "prepare.log",
        )[2]
    )
    result["database"] = prepared["database"]
    result["data"] = prepared["counts"]
    result["subjects"] = {k: prepared[k] for k in ("head", "coordinator", "process", "notice")}

    say(f"[{vendor}] serve (gunicorn, 2 workers) and sign in")
    server = Server(env, data_dir / "serve.log")
    say(f"[{vendor}] serving on {HOST}:{server.port}, workers {server.worker_pids()}")
    try:
        cookies = {
            "head": sign_in(server.port, prepared["head"]["username"], password),
            "coordinator": sign_in(server.port, prepared["coordinator"]["username"], password),
        }
        checked = check_pages(server.port, endpoints(prepared, opts.word), cookies)
        say(f"[{vendor}] signed in; every page answers 200")
        measured = []
        for name, path, who, size in checked:
            say(f"[{vendor}] {name}: {opts.seconds}s with 1 connection, {opts.seconds}s with 8")
            measure: dict[str, Any] = {
                "host": HOST,
                "port": server.port,
                "path": path,
                "cookie": cookies[who],
                "use_python": opts.use_python,
            }
            if opts.warmup:
                loadclient.measure(**measure, connections=2, seconds=opts.warmup)
            sequential = measure_at_least_once(measure, connections=1, seconds=opts.seconds)
            concurrent = measure_at_least_once(measure, connections=8, seconds=opts.seconds)
            drain(server.port)  # requests the client gave up on must not slow the next page down
            entry = {
                "name": name,
                "path": path,
                "user": who,
                "status": 200,
                "bytes": size,
                "sequential": sequential,
                "concurrent": concurrent,
            }
            try:
                check_load(name, path, sequential)
                check_load(name, path, concurrent)
            except BenchFailed as exc:  # e.g. gunicorn's 60 s timeout under load: measure the rest, fail at the end
                entry["failed"] = str(exc)
                say(f"[{vendor}] FAILED: {exc}")
            measured.append(entry)
        result["endpoints"] = measured
        result["failures"] = [entry["failed"] for entry in measured if "failed" in entry]
        result["web_worker_memory"] = server.memory()
    finally:
        server.stop()
    return result


def drain(port: int, *, workers: int = 2, limit: float = 120.0) -> float:
    """Wait until every web worker is free again: ``workers`` requests for /healthz at once all
    answer within a second (a slow page's requests outlive the load client's phase, up to gunicorn's
    60 s timeout). Returns the seconds waited."""
    started = time.monotonic()

    def quick() -> bool:
        connection = http.client.HTTPConnection(HOST, port, timeout=1)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    while time.monotonic() - started < limit:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            answers = list(pool.map(lambda _i: quick(), range(workers)))
        if all(answers):
            break
        time.sleep(0.5)
    waited = time.monotonic() - started
    if waited > 2:
        say(f"  waited {waited:.0f}s for the workers to finish the requests still running")
    return waited


# ── Output ───────────────────────────────────────────────────────────────────────────────────────


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(
            next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")).split()[1]
        )
    except (OSError, StopIteration):
        mem_kb = 0
    return {
        "hostname": platform.node(),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _width(text: str) -> int:
    """Columns on a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def table(results: dict[str, dict[str, Any]]) -> str:
    vendors = list(results)
    rows: list[list[str]] = [["measurement", *vendors]]

    def row(label: str, pick: Any) -> None:
        cells = []
        for vendor in vendors:
            try:
                cells.append(pick(results[vendor]))
            except (KeyError, TypeError, IndexError):
                cells.append("–")
        rows.append([label, *cells])

    row("step runs / search documents", lambda r: f"{r['data']['step_runs']:,} / {r['data']['search_documents']:,}")
    row("import", lambda r: f"{r['import']['seconds']:.1f} s, {r['import']['peak_rss_mb']:.0f} MB")
    row(
        "report --json (median)",
        lambda r: f"{r['report']['seconds']:.2f} s (CLI start {r['report']['cli_startup_s']:.2f} s)",
    )
    row(
        "SQL floor (median)",
        lambda r: f"{r['report']['floor_s'] * 1000:.1f} ms (report = {r['report']['ratio_to_floor']}×)",
    )
    names = [endpoint["name"] for endpoint in next(iter(results.values())).get("endpoints", [])]
    for index, name in enumerate(names):
        row(
            f"{name}: median / p95, 1 conn",
            lambda r, i=index: (
                f"{r['endpoints'][i]['sequential']['median_ms']:.1f} / "
                f"{r['endpoints'][i]['sequential']['p95_ms']:.1f} ms"
            ),
        )
        row(
            f"{name}: 8 conn",
            lambda r, i=index: (
                f"{r['endpoints'][i]['concurrent']['rps']:.1f} req/s"
                + (" FAILED" if "failed" in r["endpoints"][i] else "")
            ),
        )
    row("web worker peak RSS (VmHWM)", lambda r: f"{r['web_worker_memory']['peak_mb']:.0f} MB")
    widths = [max(_width(line[c]) for line in rows) for c in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(cell + " " * (widths[c] - _width(cell)) for c, cell in enumerate(line)) + " |"
        for line in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


# ── Main ─────────────────────────────────────────────────────────────────────────────────────────


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, 1-second phases: the CI smoke run")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", ""),
        help="the PostgreSQL database to create, use and drop (default: xt_bench_<timestamp> on 127.0.0.1)",
    )
    for field in dataclasses.fields(Sizes):
        parser.add_argument(
            f"--{field.name}",
            type=int,
            help=f"default {getattr(FULL, field.name):,} ({getattr(SMOKE, field.name)} with --smoke)",
        )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--package", type=Path, help="import this generated package instead of generating one")
    parser.add_argument("--seconds", type=int, help="length of each load phase (default 10, 1 with --smoke)")
    parser.add_argument("--warmup", type=int, help="warm-up seconds before each page (default 2, 0 with --smoke)")
    parser.add_argument(
        "--repeat", type=int, help="report and floor runs; the median counts (default 3, 1 with --smoke)"
    )
    parser.add_argument("--word", default="升级", help="the two-character search word")
    parser.add_argument("--as-of", default=AS_OF)
    parser.add_argument("--python-client", action="store_true", help="use the Python load client even if wrk exists")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--keep", action="store_true", help="keep the work directory and the PostgreSQL database")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    base = SMOKE if args.smoke else FULL
    sizes = dataclasses.replace(
        base, **{f.name: getattr(args, f.name) for f in dataclasses.fields(Sizes) if getattr(args, f.name) is not None}
    )
    opts = Options(
        sizes=sizes,
        seed=args.seed,
        seconds=args.seconds or (1 if args.smoke else 10),
        warmup=args.warmup if args.warmup is not None else (0 if args.smoke else 2),
        repeat=args.repeat or (1 if args.smoke else 3),
        word=args.word,
        as_of=args.as_of,
        use_python=args.python_client or loadclient.wrk_path() is None,
        keep=args.keep,
        smoke=args.smoke,
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    vendors = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    workdir = Path(tempfile.mkdtemp(prefix=f"xietong-bench-{stamp}-"))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"} | {
        "XIETONG_DATA_DIR": str(workdir / "gen")
    }
    client = loadclient.client_name(prefer_python=args.python_client)
    say(f"bench: work directory {workdir}; load client: {client}")
    results: dict[str, dict[str, Any]] = {}
    written: list[Path] = []
    try:
        common: dict[str, Any] = {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "smoke": args.smoke,
            "machine": machine(),
            "client": client,
            "sizes": dataclasses.asdict(sizes) | {"seed": args.seed},
            "phase_seconds": opts.seconds,
            "as_of": opts.as_of,
            "word": opts.word,
        }
        if args.package:
            package = args.package.resolve()
            common["generate"] = {"package": str(package)}
        else:
            package = workdir / "package.json"
            say(f"bench: generate {sizes}")
            (workdir / "gen").mkdir(exist_ok=True)
            seconds, rss, _ = run_timed(generate_argv(sizes, args.seed, package), env, workdir / "generate.log")
            common["generate"] = {
                "seconds": round(seconds, 2),
                "peak_rss_mb": round(rss, 1),
                "bytes": package.stat().st_size,
            }
        args.results.mkdir(parents=True, exist_ok=True)
        for vendor in vendors:
            if vendor == "sqlite":
                url = f"sqlite:///{workdir / 'sqlite' / 'xietong.sqlite3'}"
            else:
                url = args.postgres_url or f"{DEFAULT_POSTGRES}xt_bench_{stamp.lower()}"
                postgres_create(url)
            try:
                result = common | bench_database(vendor, url, package, workdir, opts)
            finally:
                if vendor == "postgresql" and not args.keep:
                    postgres_drop(url)
            result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
            results[vendor] = result
            path = args.results / f"{stamp}-{vendor}{'-smoke' if args.smoke else ''}.json"
            path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            written.append(path)
    except BenchFailed as exc:
        say(f"bench: FAILED: {exc}")
        say(f"bench: logs kept in {workdir}")
        return 1
    failures = [f"{vendor}: {failure}" for vendor, result in results.items() for failure in result["failures"]]
    if not args.keep and not failures:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.stdout.write(table(results) + "\n")
    box = machine()
    sys.stdout.write(
        f"\nload client: {client}; {opts.seconds} s per phase; {box['cpus']} cores, {box['cpu_model']}; "
        f"load average now {box['load_average']} (anything else running competes with the server)\n"
    )
    for path in written:
        sys.stdout.write(f"wrote {path}\n")
    if failures:
        say("bench: FAILED: " + "\n  ".join(failures))
        say(f"bench: logs kept in {workdir}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
