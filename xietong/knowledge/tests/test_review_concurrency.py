"""Several workers ticking at the same instant tell each page's owner exactly once (PostgreSQL)."""

import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from xietong.knowledge import services
from xietong.knowledge.tests.factories import PageFactory, SpaceFactory
from xietong.notify.models import Notification

TZ = ZoneInfo("Asia/Shanghai")
WORKERS = 4

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's in-memory test database is per connection"),
]


def test_concurrent_review_ticks_flag_each_page_once(world):
    # given: twelve pages past their review date, owned by two people
    space = SpaceFactory()
    for n in range(12):
        PageFactory(space=space, owner=world.liaison if n % 2 else world.head, review_by=date(2026, 3, 1))
    barrier = threading.Barrier(WORKERS)
    results, errors = [], []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(services.review_tick(now=datetime(2026, 3, 2, 9, tzinfo=TZ)))
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
    assert sum(r["flagged"] for r in results) == 12
    assert Notification.objects.filter(kind="knowledge.page_review_due").count() == 12
    assert Notification.objects.filter(kind="knowledge.page_review_due", recipient=world.liaison).count() == 6
