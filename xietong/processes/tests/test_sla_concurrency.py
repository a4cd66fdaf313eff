"""Several workers ticking at the same instant send each SLA notice exactly once (PostgreSQL)."""

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from xietong.common import clock
from xietong.notify.models import Notification
from xietong.processes import services
from xietong.processes.models import CaseEvent, Process, ProcessVersion, Step

TZ = ZoneInfo("Asia/Shanghai")
WORKERS = 4

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's in-memory test database is per connection"),
]


def test_concurrent_ticks_send_each_warning_and_overdue_notice_once(world):
    # given: ten running cases whose first step is overdue (and was never warned)
    process = Process.objects.create(code="ORDER", name="订单交付")
    version = ProcessVersion.objects.create(process=process, number=1, published_at=datetime(2026, 1, 5, 9, tzinfo=TZ))
    Step.objects.create(version=version, position=0, code="O-1", name="方案设计", responsible=world.rd, time_limit="4h")
    with clock.freeze(datetime(2026, 3, 2, 9, tzinfo=TZ)):
        for n in range(10):
            services.case_open(actor=world.head, process=process, title=f"订单{n}", ref=f"SO-{n}")
    Notification.objects.all().delete()
    barrier = threading.Barrier(WORKERS)
    results, errors = [], []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(services.sla_tick(now=datetime(2026, 3, 2, 12, 30, tzinfo=TZ)))  # warnings due
            barrier.wait()
            results.append(services.sla_tick(now=datetime(2026, 3, 3, 9, tzinfo=TZ)))  # overdue
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    # when
    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert errors == []
    assert sum(r["warned"] for r in results) == 10
    assert sum(r["overdue"] for r in results) == 10
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.STEP_WARNED).count() == 10
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.STEP_OVERDUE).count() == 10
    # RD has a head and a liaison: two people hear of each notice, once
    assert Notification.objects.filter(kind="process.step_warned").count() == 20
    assert Notification.objects.filter(kind="process.step_overdue").count() == 20
