"""Two `xietong serve` processes on one PostgreSQL database and one Redis: no lost, no doubled work.

Each server is what a production machine runs (docs/deployment.md): gunicorn, an RQ task worker and
the tick scheduler. With both running, and load going through both web servers (API comments that
apply the dispute escalations already due before they act, list reads, pages), every piece of
time-driven work that is due — SLA warnings and overdue notices, automatic dispute escalations and
overdue notices, notice reminders, lists of the late and scheduled publications — must be done
exactly once: the events and audit entries, written once per claim, are counted per item.

Runs on PostgreSQL only (the PostgreSQL half of ./dev.sh test); it creates and drops a database of
its own and uses Redis database 14, serialised across concurrent runs by a lock key.
"""

from __future__ import annotations

import ast
import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("probe.py")
REDIS_DB = 14  # the multi-server test's own Redis database (test_tasks_redis uses 15)
LOCK_KEY = "xt-multiserver-lock"
TICK_SECONDS = 2
DATABASE_URL = os.environ.get("DATABASE_URL", "")

needs_postgresql = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://")),
    reason="two servers against one database need PostgreSQL: set DATABASE_URL=postgres://… "
    "(the PostgreSQL half of ./dev.sh test runs it)",
)


# ── plumbing ──────────────────────────────────────────────────────────────────────────────────────


def _wait_for(what: str, check: Callable[[], Any], *, timeout: float, every: float = 0.25) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def _redis(*args: str) -> str:
    done = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-n", str(REDIS_DB), *args], capture_output=True, text=True, timeout=10
    )
    assert done.returncode == 0, f"redis-cli {args}: {done.stderr}"
    return done.stdout.strip()


@contextlib.contextmanager
def _redis_database() -> Iterator[None]:
    """Redis database REDIS_DB, empty, for this run alone (a lock key keeps concurrent runs apart)."""
    token = secrets.token_hex(8)
    _wait_for(
        "the Redis lock of another multi-server run",
        lambda: _redis("set", LOCK_KEY, token, "NX", "EX", "300") == "OK",
        timeout=240,
        every=1,
    )
    try:
        _redis(
            "eval",
            "for _, k in ipairs(redis.call('keys', '*')) do if k ~= ARGV[1] then redis.call('del', k) end end",
            "0",
            LOCK_KEY,
        )
        yield
    finally:
        _redis("flushdb")  # the lock goes too


def _database_url(name: str) -> str:
    parts = urllib.parse.urlsplit(DATABASE_URL)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def _connect(name: str = "postgres") -> Any:
    """A psycopg connection to database ``name`` of DATABASE_URL's server (autocommit)."""
    import psycopg

    parts = urllib.parse.urlsplit(DATABASE_URL)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=urllib.parse.unquote(parts.username or "postgres"),
        password=urllib.parse.unquote(parts.password or "") or None,
        dbname=name,
        autocommit=True,
    )


@contextlib.contextmanager
def _own_database() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards (with whatever is still connected to it)."""
    name = f"xt_multiserver_{secrets.token_hex(4)}"
    with _connect() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with _connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


CLAIMS = """
    SELECT (SELECT count(*) FROM processes_caseevent WHERE kind IN ('step_warned', 'step_overdue')),
           (SELECT count(*) FROM disputes_disputeevent WHERE kind IN ('auto_escalate', 'overdue')),
           (SELECT count(*) FROM notices_notice WHERE state = 'published'),
           (SELECT count(*) FROM notices_notice WHERE reminded_at IS NOT NULL),
           (SELECT count(*) FROM notices_notice WHERE late_notified_at IS NOT NULL)
"""


def _claims(name: str) -> dict[str, int]:
    """How much due work is done so far: one cheap query, polled while the servers run."""
    with _connect(name) as connection:
        row = connection.execute(CLAIMS).fetchone()
    assert row is not None
    return dict(zip(("steps", "disputes", "published", "reminded", "late"), row, strict=True))


def _expected_claims(seeded: dict[str, Any]) -> dict[str, int]:
    runs, disputes, notices = seeded["runs"], seeded["disputes"], seeded["notices"]
    return {
        "steps": sum(len(group) for group in runs.values()),
        "disputes": 3 * len(disputes["far"]) + len(disputes["soon"]),
        "published": sum(len(group) for group in notices.values()),
        "reminded": len(notices["remind"]) + len(notices["late"]),
        "late": len(notices["late"]),
    }


FALL_DUE = (  # (table, column, seeded group): the "soon" items, moved to fall due during the run
    ("processes_steprun", "warn_at", "runs", "warn_soon"),
    ("processes_steprun", "due_at", "runs", "overdue_soon"),
    ("disputes_dispute", "due_at", "disputes", "soon"),
    ("notices_notice", "publish_at", "notices", "scheduled"),
)


def _fall_due_soon(name: str, seeded: dict[str, Any]) -> None:
    """The "soon" items fall due 3 to 4 s from now, in three waves, while the servers run."""
    with _connect(name) as connection:
        for table, column, kind, group in FALL_DUE:
            connection.execute(
                f"UPDATE {table} SET {column} = now() + interval '3 s' + mod(id, 3) * interval '500 ms'"
                " WHERE id = ANY(%s)",
                [seeded[kind][group]],
            )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(command: str, env: dict[str, str]) -> Any:
    done = subprocess.run(
        [sys.executable, str(PROBE), command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"probe {command}: {done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


class Server:
    """One `xietong serve` (gunicorn + RQ worker + tick scheduler) in a process group of its own."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"{name}.log"
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "xietong.cli", "serve", "--no-migrate", "--bind", f"127.0.0.1:{self.port}"],
            env={**env, "XIETONG_DATA_DIR": str(log_dir / name), "XIETONG_WORKERS": "2"},
            cwd=ROOT,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: gunicorn, the worker, the scheduler, work horses
        )

    def is_ready(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"{self.log.name} exited with {self.process.returncode}:\n{self.tail()}")
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        """TERM the whole group and give it 15 s to go (gunicorn finishes its requests, the RQ worker
        waits for its work horse, which runs in a group of its own), then KILL what is left."""
        group = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
        deadline = time.monotonic() + 15
        while _group_alive(group) and time.monotonic() < deadline:
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        self._log_file.close()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


class Proxy:
    """nginx with deploy/nginx.conf in front of both servers, as in deploy/docker-compose.yml."""

    def __init__(self, servers: list[Server], directory: Path) -> None:
        directory.mkdir()
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        site = (ROOT / "deploy" / "nginx.conf").read_text()
        for name, server in zip(("web1", "web2"), servers, strict=True):
            site = site.replace(f"server {name}:8000", f"server 127.0.0.1:{server.port}")
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.port};")
        (directory / "site.conf").write_text(site)
        (directory / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")  # the workers read this test's private directory
            + f"daemon off;\npid {directory}/nginx.pid;\nerror_log {directory}/error.log;\nevents {{}}\n"
            f"http {{ access_log off; client_body_temp_path {directory}/body; proxy_temp_path {directory}/proxy;\n"
            f"include {directory}/site.conf; }}\n"
        )
        self.process = subprocess.Popen(
            ["nginx", "-p", str(directory), "-c", str(directory / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def is_ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


class Load:
    """Threads that drive requests through both servers until stopped, and count the answers."""

    def __init__(self, servers: list[Any], seeded: dict[str, Any], threads: int = 6) -> None:
        self.servers, self.seeded = servers, seeded
        self.statuses: Counter[str] = Counter()
        self.comments = 0
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._work, args=(n,), daemon=True) for n in range(threads)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _session(self, server: Any) -> urllib.request.OpenerDirector:
        """A signed-in browser session (the sign-in form, CSRF and all) on ``server``."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(f"{server.url}/accounts/login/", timeout=30) as answer:
            page = answer.read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert csrf, "no CSRF token on the sign-in page"
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": csrf.group(1),
                "username": self.seeded["username"],
                "password": self.seeded["password"],
            }
        ).encode()
        request = urllib.request.Request(f"{server.url}/accounts/login/", data=form, headers={"Referer": server.url})
        with opener.open(request, timeout=30) as answer:
            assert "/accounts/login/" not in answer.url, "the sign-in failed"
        return opener

    def _work(self, n: int) -> None:
        disputes = [pk for group in self.seeded["disputes"].values() for pk in group]
        api = {"Authorization": f"Token {self.seeded['token']}"}
        sessions: dict[str, urllib.request.OpenerDirector] = {}
        plain = urllib.request.build_opener()
        i = n
        while not self._stop.is_set():
            server = self.servers[i % len(self.servers)]
            i += 1
            kind = ("comment", "comment", "api", "page")[i % 4]
            try:
                if kind == "comment":
                    dispute = disputes[(i * 7 + n) % len(disputes)]
                    request = urllib.request.Request(
                        f"{server.url}/api/v1/disputes/disputes/{dispute}/comment/",
                        data=json.dumps({"note": f"催办 {n}-{i}"}).encode(),
                        headers={**api, "Content-Type": "application/json"},
                    )
                    opener: Any = plain
                elif kind == "api":
                    path = ("/api/v1/disputes/disputes/", "/api/v1/processes/cases/", "/api/v1/notices/")[i % 3]
                    request = urllib.request.Request(f"{server.url}{path}", headers=api)
                    opener = plain
                else:
                    if server.url not in sessions:
                        sessions[server.url] = self._session(server)
                    path = ("/disputes/", "/processes/", "/notices/", "/")[i % 4]
                    request = urllib.request.Request(f"{server.url}{path}")
                    opener = sessions[server.url]
                with opener.open(request, timeout=30) as answer:
                    answer.read()
                    status = answer.status
            except urllib.error.HTTPError as error:
                status = error.code
                with self._lock:
                    self.errors.append(f"{kind} {request.full_url}: {error.code} {error.read()[:300]!r}")
            except Exception as error:  # any failure is the test's to report, not the thread's to die of
                status = 0
                with self._lock:
                    self.errors.append(f"{kind} on {server.url}: {error!r}")
            with self._lock:
                self.statuses[f"{kind} {status}"] += 1
                self.statuses[f"{server.url} {status}"] += 1
                if kind == "comment" and status == 200:
                    self.comments += 1


# ── what "exactly once" means, item by item ──────────────────────────────────────────────────────


def expected_work(seeded: dict[str, Any]) -> dict[str, int]:
    """Every (item, piece of work) → how many times it must have been done."""
    runs, disputes, notices = seeded["runs"], seeded["disputes"], seeded["notices"]
    expected: dict[str, int] = {}
    for run in runs["warn_now"] + runs["warn_soon"]:
        expected[f"step {run}:step_warned"] = 1
    for run in runs["overdue_now"] + runs["overdue_soon"]:
        expected[f"step {run}:step_overdue"] = 1
    for dispute in disputes["far"]:  # level 1 → 2 → 3 at their instants, then overdue at the last level
        expected[f"dispute {dispute}:auto_escalate"] = 2
        expected[f"dispute {dispute}:overdue"] = 1
        expected[f"dispute {dispute}:audit auto_escalate"] = 2
        expected[f"dispute {dispute}:level"] = 3
    for dispute in disputes["soon"]:  # level 1 → 2 during the run; level 2 lasts a working hour
        expected[f"dispute {dispute}:auto_escalate"] = 1
        expected[f"dispute {dispute}:audit auto_escalate"] = 1
        expected[f"dispute {dispute}:level"] = 2
    for notice in notices["remind"] + notices["late"]:  # the late ones' reminder was claimed at seeding
        expected[f"notice {notice}:reminded"] = 1
    for notice in notices["late"]:
        expected[f"notice {notice}:late"] = 1
    for notice in notices["remind"] + notices["late"] + notices["scheduled"]:
        expected[f"notice {notice}:publish audit"] = 1
        expected[f"notice {notice}:recipients"] = seeded["audience"]
    return expected


def done_work(counted: dict[str, Any]) -> dict[str, int]:
    """The same keys as ``expected_work``, from what the database holds (``probe.py count``)."""
    done: dict[str, int] = {}
    for key, n in counted["step_events"].items():
        done[f"step {key}"] = n
    for key, n in counted["dispute_events"].items():
        if not key.endswith(":comment"):
            done[f"dispute {key}"] = n
    for key, n in counted["dispute_audit"].items():
        dispute, action = key.split(":")
        done[f"dispute {dispute}:audit {action}"] = n
    for dispute, level in counted["dispute_levels"].items():
        done[f"dispute {dispute}:level"] = level
    for notice, state in counted["notices"].items():
        if state["reminded"]:
            done[f"notice {notice}:reminded"] = 1
        if state["late"]:
            done[f"notice {notice}:late"] = 1
    for notice, n in counted["notice_publish_audit"].items():
        done[f"notice {notice}:publish audit"] = n
    for notice, n in counted["notice_recipients"].items():
        done[f"notice {notice}:recipients"] = n
    return done


def differences(expected: dict[str, int], done: dict[str, int]) -> list[str]:
    """What was lost, doubled or done that should not have been: [] when the work was exactly right.
    Levels 1 (not escalated) are the dispute's starting point, not work done."""
    keys = sorted(set(expected) | {k for k, v in done.items() if not (k.endswith(":level") and v == 1)})
    return [
        f"{k}: expected {expected.get(k, 0)}, found {done.get(k, 0)}"
        for k in keys
        if expected.get(k, 0) != done.get(k, 0)
    ]


def tick_totals(logs: list[str]) -> Counter[str]:
    """The sum over every worker's log of what each tick reported doing ("tick <instant>: {…}")."""
    totals: Counter[str] = Counter()
    for text in logs:
        for match in re.finditer(r"tick \S+: (\{.*\})$", text, flags=re.MULTILINE):
            for name, counts in ast.literal_eval(match.group(1)).items():
                for what, n in counts.items():
                    totals[f"{name}.{what}"] += n
    return totals


# ── the test ──────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.multiserver
@needs_postgresql
def test_two_servers_and_two_workers_do_the_due_work_exactly_once_under_load(tmp_path: Path) -> None:
    # given: a database and a Redis database of the run's own, migrated and seeded
    with _own_database() as name, _redis_database():
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "xietong.config.settings",
            "DATABASE_URL": _database_url(name),
            "DATABASE_POOL": "true",  # the web servers take their connections from a pool
            "SECRET_KEY": secrets.token_urlsafe(50),  # one key for every server
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CACHE_URL": f"rediscache://127.0.0.1:6379/{REDIS_DB}?key_prefix={name}",
            "TASKS_BACKEND": "django_tasks_rq.RQBackend",
            "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
            "XIETONG_TICK_SECONDS": str(TICK_SECONDS),
            "XIETONG_MANIFEST_STATIC": "false",  # not under test here, and hashing every file costs seconds
            "XIETONG_DATA_DIR": str(tmp_path / "setup"),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        migrate = subprocess.run(
            [sys.executable, "-m", "xietong.cli", "migrate", "-v0"], env=env, cwd=ROOT, capture_output=True, text=True
        )
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        servers: list[Server] = []
        proxy: Proxy | None = None
        try:
            # the servers start while the data is seeded (in one transaction: the workers see all of it or none)
            servers = [Server(n, env, tmp_path) for n in ("a", "b")]
            seeded = _run("seed", {**env, "TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend"})
            expected = expected_work(seeded)
            expected_claims = _expected_claims(seeded)
            _wait_for("both servers to answer /healthz", lambda: all(s.is_ready() for s in servers), timeout=90)
            targets: list[Any] = list(servers)
            if shutil.which("nginx"):  # and through deploy/nginx.conf in front of both, where nginx is installed
                proxy = Proxy(servers, tmp_path / "nginx")
                _wait_for("nginx to answer /healthz", proxy.is_ready, timeout=20)
                targets.append(proxy)

            # when: load goes straight to both servers (and through nginx) while the "soon" items fall due
            with Load(targets, seeded) as load:
                _fall_due_soon(name, seeded)

                def all_done() -> bool:
                    return all(n >= expected_claims[what] for what, n in _claims(name).items())

                _wait_for("every due item to be done", all_done, timeout=90, every=1)
                # two more tick periods of load and ticks: a late double would show now
                _wait_for("a few more comments", lambda: load.comments >= 20, timeout=30)
                time.sleep(2 * TICK_SECONDS)
        finally:
            if proxy is not None:
                proxy.stop()
            for server in servers:
                server.stop()
        logs = [server.log.read_text(errors="replace") for server in servers]

        # then: every piece of time-driven work was done exactly once
        counted = _run("count", env)
        assert differences(expected, done_work(counted)) == []
        # the tick reports agree: nothing was done twice by two workers and then hidden
        totals = tick_totals(logs)
        assert totals["processes.sla.warned"] == len(seeded["runs"]["warn_now"]) + len(seeded["runs"]["warn_soon"])
        assert totals["processes.sla.overdue"] == len(seeded["runs"]["overdue_now"]) + len(
            seeded["runs"]["overdue_soon"]
        )
        assert totals["notices.reminders.reminded"] == len(seeded["notices"]["remind"])
        assert totals["notices.reminders.published"] == len(seeded["notices"]["scheduled"])
        assert totals["notices.reminders.late_lists"] == len(seeded["notices"]["late"]) * 2  # one per department
        # both task workers ran ticks (each server's scheduler enqueues them; either worker takes them)
        assert all("Successfully completed xietong.common.tasks.tick_task()" in log for log in logs)
        # both servers served, and every comment that was answered 200 is on its dispute once
        assert load.errors == []
        comments = sum(n for key, n in counted["dispute_events"].items() if key.endswith(":comment"))
        assert comments == load.comments
        assert all(load.statuses[f"{target.url} 200"] >= 10 for target in targets), load.statuses
        # one notification per person and item of work, however many workers raced for it
        assert counted["notifications_total"] == counted["notifications_distinct"]
        assert counted["notifications"]["dispute.overdue"] == len(seeded["disputes"]["far"]) * seeded["leadership"]
        assert counted["notifications"]["notice.reminder"] == len(seeded["notices"]["remind"]) * seeded["audience"]


def test_the_check_sees_a_doubled_or_a_lost_piece_of_work() -> None:
    # given: what a run should leave, and exactly that
    seeded = {
        "runs": {"warn_now": [1], "warn_soon": [2], "overdue_now": [3], "overdue_soon": [4]},
        "disputes": {"far": [10], "soon": [11]},
        "notices": {"remind": [20], "late": [21], "scheduled": [22]},
        "audience": 3,
    }
    counted: dict[str, Any] = {
        "step_events": {"1:step_warned": 1, "2:step_warned": 1, "3:step_overdue": 1, "4:step_overdue": 1},
        "dispute_events": {"10:auto_escalate": 2, "10:overdue": 1, "11:auto_escalate": 1, "11:comment": 5},
        "dispute_audit": {"10:auto_escalate": 2, "11:auto_escalate": 1},
        "dispute_levels": {"10": 3, "11": 2, "12": 1},
        "notices": {
            "20": {"reminded": True, "late": False},
            "21": {"reminded": True, "late": True},
            "22": {"reminded": False, "late": False},
        },
        "notice_publish_audit": {"20": 1, "21": 1, "22": 1},
        "notice_recipients": {"20": 3, "21": 3, "22": 3},
    }
    expected = expected_work(seeded)
    assert differences(expected, done_work(counted)) == []
    # when: one warning twice, one escalation lost, one reminder sent for a notice that had none due
    counted["step_events"]["1:step_warned"] = 2
    counted["dispute_events"]["11:auto_escalate"] = 0
    counted["notices"]["22"]["reminded"] = True
    # then
    assert differences(expected, done_work(counted)) == [
        "dispute 11:auto_escalate: expected 1, found 0",
        "notice 22:reminded: expected 0, found 1",
        "step 1:step_warned: expected 1, found 2",
    ]
    # and the tick reports are summed across logs, so a tick that did the same warning in two workers shows
    log = "INFO tick 2026-11-27T10:00:00+00:00: {'processes.sla': {'warned': 1, 'overdue': 0}}\n"
    assert tick_totals([log, log])["processes.sla.warned"] == 2
