"""Several workers ticking at once escalate a due dispute exactly once, with one set of notifications
(PostgreSQL: SQLite's in-memory test database is per connection)."""

import threading

import pytest
from django.db import connection, connections

from xietong.disputes import services
from xietong.disputes.models import Dispute, DisputeEvent
from xietong.disputes.tests.conftest import raise_dispute
from xietong.disputes.tests.factories import at
from xietong.notify.models import Notification

WORKERS = 4

pytestmark = [
    pytest.mark.usefixtures("monday_morning"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's in-memory test database is per connection"),
]


def race(function, *args, **kwargs):
    barrier = threading.Barrier(WORKERS)
    results, errors = [], []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(function(*args, **kwargs))
        except Exception as exc:  # reported below
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


def test_racing_ticks_escalate_a_due_dispute_once_and_notify_once(d):
    # given: level 1 due Monday 18:00
    dispute = raise_dispute(d, "2026-03-02T09:00")
    Notification.objects.all().delete()
    # when: four workers tick a minute after the due instant
    results = race(services.escalation_tick, now=at("2026-03-02T18:01"))
    # then
    assert sum(r["escalated"] for r in results) == 1
    dispute.refresh_from_db()
    assert (dispute.level, dispute.level_entered_at) == (2, at("2026-03-02T18:00"))
    assert DisputeEvent.objects.filter(dispute=dispute, kind=DisputeEvent.Kind.AUTO_ESCALATE).count() == 1
    # boss (the new handler), the parties' heads and liaison, the raiser: one notification each
    assert sorted(
        Notification.objects.filter(kind="dispute.escalated").values_list("recipient__username", flat=True)
    ) == [
        "boss",
        "employee",
        "head",
        "liaison",
        "sales_head",
    ]


def test_racing_ticks_catch_up_several_levels_and_claim_the_overdue_notice_once(d):
    disputes = [raise_dispute(d, "2026-02-13T15:00") for _ in range(3)]
    Notification.objects.all().delete()
    results = race(services.escalation_tick, now=at("2026-03-10T09:00"))
    assert sum(r["escalated"] for r in results) == 6
    assert sum(r["overdue"] for r in results) == 3
    assert sorted(Dispute.objects.values_list("level", flat=True)) == [3, 3, 3]
    assert DisputeEvent.objects.filter(kind=DisputeEvent.Kind.AUTO_ESCALATE).count() == 6
    assert DisputeEvent.objects.filter(kind=DisputeEvent.Kind.OVERDUE).count() == 3
    # leadership (boss) and the coordinator, once per dispute
    assert Notification.objects.filter(kind="dispute.overdue").count() == 2 * len(disputes)
    assert Notification.objects.filter(kind="dispute.escalated").count() == 6 * len(disputes)


def test_a_tick_racing_a_service_on_the_same_dispute_escalates_once(d):
    dispute = raise_dispute(d, "2026-03-02T09:00")
    from xietong.common import clock

    def comment():
        with clock.freeze(at("2026-03-02T18:01")):
            return services.dispute_comment(actor=d.world.head, dispute=dispute, note="迟到的意见").level

    def tick():
        return services.escalation_tick(now=at("2026-03-02T18:01"))

    barrier = threading.Barrier(2)
    out, errors = [], []

    def run(function):
        try:
            barrier.wait()
            out.append(function())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(f,)) for f in (comment, tick)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert 2 in out  # the comment was made at level 2
    assert DisputeEvent.objects.filter(dispute=dispute, kind=DisputeEvent.Kind.AUTO_ESCALATE).count() == 1
