"""Several workers ticking at the same instant publish each scheduled notice, send each reminder and
each late list exactly once (PostgreSQL)."""

import threading
from datetime import datetime

import pytest
from django.db import connection, connections

from xietong.common import clock
from xietong.notices import services
from xietong.notices.models import Notice, NoticeRecipient
from xietong.notices.tests.factories import MONDAY_9, TZ, publish
from xietong.notify.models import Notification

WORKERS = 4

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's in-memory test database is per connection"),
]


def _race(now: datetime) -> list[dict[str, int]]:
    barrier = threading.Barrier(WORKERS)
    results: list[dict[str, int]] = []
    errors: list[Exception] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(services.notices_tick(now=now))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_concurrent_ticks_publish_remind_and_list_the_late_once(world):
    # given: five notices scheduled for Monday 09:00, to RD (head, liaison, employee), requiring acknowledgement
    with clock.freeze(datetime(2026, 3, 1, 9, tzinfo=TZ)):
        for n in range(5):
            publish(
                world.coordinator,
                title=f"通知{n}",
                departments=[world.rd],
                mode=services.SCHEDULE,
                publish_at=MONDAY_9,
            )
    # when: publication, then the reminders (75% of 2d: Tuesday 14:00), then the late lists
    published = _race(MONDAY_9)
    reminded = _race(datetime(2026, 3, 3, 14, 30, tzinfo=TZ))
    late = _race(datetime(2026, 3, 3, 18, 30, tzinfo=TZ))
    # then
    assert sum(r["published"] for r in published) == 5
    assert Notice.objects.filter(state=Notice.State.PUBLISHED).count() == 5
    assert NoticeRecipient.objects.count() == 15  # no notice got its recipients twice
    assert Notification.objects.filter(kind="notice.published").count() == 15
    assert sum(r["reminded"] for r in reminded) == 5
    assert Notification.objects.filter(kind="notice.reminder").count() == 15
    # RD's list (head, liaison) and RD-HW's (employee) go to RD's liaison: two per notice
    assert sum(r["late_lists"] for r in late) == 10
    assert Notification.objects.filter(kind="notice.late").count() == 10
