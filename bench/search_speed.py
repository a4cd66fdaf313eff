"""Search speed over 100,000 documents, on the database the environment names.

    XIETONG_DATA_DIR=/tmp/xt-bench .venv/bin/python bench/search_speed.py [--docs 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xt_bench XIETONG_DATA_DIR=/tmp/xt-bench \\
        .venv/bin/python bench/search_speed.py

It migrates that database, fills it with N published processes of generated Chinese business text
(bulk inserts), times ``xietong reindex --kind process`` (the index built from scratch, then again
with nothing changed), and times whole searches (the per-kind counts plus the first page of 20,
highlighted, exactly as the search page does) for two-character queries as an employee (scope:
published processes, a subquery) and as a coordinator. Use a scratch database: the script refuses
to run where processes other than its own exist, and deletes its own when it starts.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from xietong.common.corpus import VOCABULARY, document  # noqa: E402
from xietong.org.models import Department, Person  # noqa: E402
from xietong.processes.models import Process, ProcessVersion  # noqa: E402
from xietong.search.models import Document  # noqa: E402
from xietong.search.selectors import search  # noqa: E402
from xietong.search.services import search_refresh  # noqa: E402

PREFIX = "BENCH"


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def fill(count: int, seed: int) -> None:
    if Process.objects.exclude(code__startswith=PREFIX).exists():
        sys.exit("This database holds real processes: run the benchmark on a scratch database.")
    Document.objects.filter(kind="process").delete()
    ProcessVersion.objects.filter(process__code__startswith=PREFIX).delete()
    Process.objects.filter(code__startswith=PREFIX).delete()
    rng = random.Random(seed)
    started = time.monotonic()
    for start in range(0, count, 5000):
        batch = []
        for i in range(start, min(count, start + 5000)):
            title, body = document(rng)
            batch.append(Process(code=f"{PREFIX}{i:06d}", name=title[:200], description=body))
        created = Process.objects.bulk_create(batch)
        ProcessVersion.objects.bulk_create(
            [ProcessVersion(process=p, number=1, published_at="2026-01-05T01:00:00Z") for p in created]
        )
    say(f"filled {count} processes in {time.monotonic() - started:.1f}s")


def people() -> tuple[Person, Person]:
    department, _ = Department.objects.get_or_create(code=f"{PREFIX}-D", defaults={"name": "基准测试部"})
    employee, _ = Person.objects.get_or_create(
        username="bench-employee", defaults={"name": "基准员工", "department": department}
    )
    coordinator, _ = Person.objects.get_or_create(
        username="bench-coordinator", defaults={"name": "基准协调人", "department": department, "is_coordinator": True}
    )
    return employee, coordinator


CPU: list[float] = []  # CPU time of each timed search: this process's, plus the PostgreSQL backend's


def cpu_seconds() -> float:
    """CPU time of this process, plus that of its PostgreSQL backend when the server runs on this
    machine (read from /proc): what a search costs, whatever else the machine is doing."""
    total = time.process_time()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


def timed_search(user: Person, query: str) -> tuple[float, int]:
    cpu = cpu_seconds()
    started = time.perf_counter()
    results = search(user, query)
    hits = results[0:20]
    elapsed = time.perf_counter() - started
    CPU.append((cpu_seconds() - cpu) * 1000)
    assert len(hits) == min(20, results.count())
    return elapsed * 1000, results.count()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    fill(args.docs, args.seed)
    started, cpu = time.monotonic(), cpu_seconds()
    first = search_refresh("process")
    built, built_cpu = time.monotonic() - started, cpu_seconds() - cpu
    started = time.monotonic()
    search_refresh("process")
    unchanged = time.monotonic() - started
    say(
        f"reindex from scratch: {first['written']} documents in {built:.1f}s ({built_cpu:.1f}s of CPU); "
        f"again, nothing changed: {unchanged:.1f}s"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # what autovacuum does after a bulk load (this one deleted the last)
            cursor.execute("VACUUM ANALYZE search_document")
    employee, coordinator = people()
    rng = random.Random(args.seed + 1)
    two = [w for w in VOCABULARY if len(w) == 2]
    # Typical queries: any two-character word of the vocabulary. Worst case: the five most common.
    typical = [rng.choice(two) for _ in range(args.queries)]
    common = two[:5]
    for label, queries in (("typical", typical), ("most common", common * (args.queries // 10))):
        for user in (employee, coordinator):
            timed_search(user, queries[0])  # warm up
            times, counts = [], []
            CPU.clear()
            for query in queries:
                ms, count = timed_search(user, query)
                times.append(ms)
                counts.append(count)
            say(
                f"{connection.vendor} {user.username}, {label} two-character words ({len(queries)} queries over "
                f"{args.docs} documents, {statistics.median(counts):.0f} matches median, {max(counts)} max): "
                f"p50 {percentile(times, 0.5):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, max {max(times):.1f} ms "
                f"(CPU: p50 {percentile(CPU, 0.5):.1f} ms, p95 {percentile(CPU, 0.95):.1f} ms)"
            )
    for query in ["客户", "ISO9001认证", "8D报告", "2026年", "下周三", "客户投诉", "年", "鸡"]:
        ms, count = timed_search(employee, query)
        say(f"  {query}: {count} matches, {ms:.1f} ms")
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    say(f"load average while measuring: {os.getloadavg()}")
    say(
        f"machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {connection.vendor} {version}"
    )


if __name__ == "__main__":
    main()
