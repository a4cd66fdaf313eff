"""The benchmark's work inside Django, on the database the environment names (bench/run.py calls it).

    DATABASE_URL=… XIETONG_DATA_DIR=… .venv/bin/python bench/dbside.py prepare --password P
    DATABASE_URL=… XIETONG_DATA_DIR=… .venv/bin/python bench/dbside.py floor --repeat 3

``prepare`` picks the people and objects the load phase requests (a department head whose queue is
large, the coordinator, the busiest process, the notice with the most recipients), gives the two
people the password P (imported people have no usable one) and counts the data. ``floor`` times one
hand-written SQL aggregate over every step run: the fastest the figures could be on this database.
Each prints one JSON object on standard output. run.py starts one process per database because
Django reads its settings once per process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402

from xietong.disputes.models import Dispute  # noqa: E402
from xietong.knowledge.models import Page  # noqa: E402
from xietong.notices.models import Notice, NoticeRecipient  # noqa: E402
from xietong.org.models import Department, Person  # noqa: E402
from xietong.processes.models import Case, Process, StepRun  # noqa: E402
from xietong.search.models import Document  # noqa: E402

# The floor: one scan of the step runs, grouped by process step (count, completed, late, the sum of
# their durations in seconds), written by hand for each database. Figures cannot be cheaper than this.
FLOOR_SQL = {
    "sqlite": """
        SELECT s.id, s.code, COUNT(*), COUNT(r.completed_at),
               SUM(CASE WHEN r.completed_at > r.due_at THEN 1 ELSE 0 END),
               SUM((julianday(r.completed_at) - julianday(r.started_at)) * 86400.0)
        FROM processes_steprun r JOIN processes_step s ON s.id = r.step_id
        GROUP BY s.id, s.code
    """,
    "postgresql": """
        SELECT s.id, s.code, COUNT(*), COUNT(r.completed_at),
               SUM(CASE WHEN r.completed_at > r.due_at THEN 1 ELSE 0 END),
               SUM(EXTRACT(EPOCH FROM r.completed_at - r.started_at))
        FROM processes_steprun r JOIN processes_step s ON s.id = r.step_id
        GROUP BY s.id, s.code
    """,
}


def _database() -> dict[str, str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
        else:
            cursor.execute("SHOW server_version")
        version = str(cursor.fetchone()[0])
    return {"vendor": connection.vendor, "version": version}


def _counts() -> dict[str, int]:
    return {
        "departments": Department.objects.count(),
        "people": Person.objects.count(),
        "processes": Process.objects.count(),
        "cases": Case.objects.count(),
        "step_runs": StepRun.objects.count(),
        "running_step_runs": StepRun.objects.filter(completed_at__isnull=True).count(),
        "disputes": Dispute.objects.count(),
        "notices": Notice.objects.count(),
        "notice_recipients": NoticeRecipient.objects.count(),
        "knowledge_pages": Page.objects.count(),
        "search_documents": Document.objects.count(),
    }


def _busiest_head() -> tuple[Person, Department, int]:
    """The manager-level head whose sub-tree has the most running steps: the largest "my department's
    queue" that does not come from seeing every department (executives, coordinators)."""
    running = Counter(
        dict(
            StepRun.objects.filter(completed_at__isnull=True)
            .values_list("responsible")
            .annotate(n=Count("id"))
            .values_list("responsible", "n")
        )
    )
    parents = dict(Department.objects.values_list("pk", "parent_id"))
    subtree: Counter[int] = Counter()
    for department_id, n in running.items():
        node: int | None = department_id
        while node is not None:
            subtree[node] += n
            node = parents.get(node)
    headed = Department.objects.filter(is_active=True, head__isnull=False, head__is_active=True).select_related("head")
    departments = [d for d in headed if d.head is not None and d.head.level == Person.Level.MANAGER] or list(headed)
    best = max(departments, key=lambda d: (subtree[d.pk], -d.pk), default=None)  # tiny companies: executives only
    if best is None or best.head is None:
        sys.exit("bench: no department has a head; generate the data with xietong generate")
    return best.head, best, subtree[best.pk]


def prepare(password: str) -> dict[str, Any]:
    head, department, queue = _busiest_head()
    coordinator = Person.objects.filter(is_coordinator=True, is_active=True).order_by("pk").first()
    if coordinator is None:
        sys.exit("bench: nobody is coordinator; generate the data with xietong generate")
    process = Process.objects.annotate(n=Count("cases")).order_by("-n", "pk").first()
    notice = (
        Notice.objects.filter(published_at__isnull=False).annotate(n=Count("recipients")).order_by("-n", "pk").first()
    )
    if process is None or notice is None:
        sys.exit("bench: the data has no process or no published notice")
    for person in (head, coordinator):
        person.set_password(password)
        person.save(update_fields=["password"])
    return {
        "database": _database(),
        "counts": _counts(),
        "head": {
            "username": head.username,
            "department": department.code,
            "running_steps_in_subtree": queue,
        },
        "coordinator": {"username": coordinator.username},
        "process": {"pk": process.pk, "code": process.code, "cases": process.n},
        "notice": {"pk": notice.pk, "recipients": notice.n},
    }


def floor(repeat: int) -> dict[str, Any]:
    sql = FLOOR_SQL[connection.vendor]
    runs = []
    rows: list[Any] = []
    for _ in range(repeat):
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(sql)
            rows = cursor.fetchall()
            runs.append(time.perf_counter() - started)
    return {
        "sql": " ".join(sql.split()),
        "runs_s": runs,
        "groups": len(rows),
        "step_runs": sum(int(row[2]) for row in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare").add_argument("--password", required=True)
    sub.add_parser("floor").add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result = prepare(args.password) if args.command == "prepare" else floor(args.repeat)
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
