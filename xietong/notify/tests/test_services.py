"""notify's services: who is told, once; what is marked read, and only one's own."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from xietong.common import clock
from xietong.notify import channels, services
from xietong.notify.channels import Message
from xietong.notify.models import Notification
from xietong.notify.tests.factories import NotificationFactory
from xietong.org.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

AT = datetime(2025, 3, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _notify(recipients: Any, **kwargs: Any) -> int:
    values = {"kind": "process.step_overdue", "title": "步骤已超时", "url": "/processes/cases/1/"} | kwargs
    return services.notify(recipients=recipients, **values)


def _inbox(person: Any) -> list[tuple[str, str, str, str, str | None, datetime | None]]:
    return list(
        Notification.objects.filter(recipient=person)
        .order_by("pk")
        .values_list("kind", "title", "body", "url", "dedupe_key", "read_at")
    )


# ── notify ──────────────────────────────────────────────────────────────────────────────────────


def test_notify_creates_one_unread_notification_per_recipient(world):
    # when
    with clock.freeze(AT):
        created = services.notify(
            recipients=[world.employee, world.head],
            kind="process.step_overdue",
            title="步骤“评审”已超时",
            body="请尽快处理。",
            url="/processes/cases/7/",
        )
    # then
    assert created == 2
    expected = [("process.step_overdue", "步骤“评审”已超时", "请尽快处理。", "/processes/cases/7/", None, None)]
    assert _inbox(world.employee) == expected
    assert _inbox(world.head) == expected
    assert set(Notification.objects.values_list("created_at", flat=True)) == {AT}
    assert Notification.objects.count() == 2


def test_notify_accepts_ids_and_people_and_tells_each_person_once(world):
    # when
    created = _notify([world.employee, world.employee.pk, world.head.pk, world.head])
    # then
    assert created == 2
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == ["employee", "head"]


def test_notify_skips_people_who_left_and_unknown_ids(world):
    # given
    left = PersonFactory(department=world.rd, is_active=False)
    # when
    created = _notify([world.employee, left, 999_999])
    # then
    assert created == 1
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [world.employee.pk]


def test_notify_nobody_costs_no_query(world, django_assert_num_queries):
    # when
    with django_assert_num_queries(0):
        created = _notify([])
    # then
    assert created == 0
    assert Notification.objects.exists() is False


def test_notify_with_the_same_dedupe_key_twice_notifies_once(world):
    # given
    first = _notify([world.employee, world.head], dedupe_key="case:7:step:3:overdue")
    # when
    second = _notify([world.employee, world.head], dedupe_key="case:7:step:3:overdue")
    # then
    assert (first, second) == (2, 0)
    assert Notification.objects.count() == 2


def test_notify_with_a_dedupe_key_tells_only_who_has_not_had_it(world):
    # given
    _notify([world.employee], dedupe_key="k")
    # when
    created = _notify([world.employee, world.head], dedupe_key="k")
    # then
    assert created == 1
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == ["employee", "head"]


def test_a_dedupe_key_is_per_recipient_and_other_keys_or_none_notify_again(world):
    # given
    _notify([world.employee], dedupe_key="k1")
    # when
    created = [_notify([world.employee], dedupe_key="k2"), _notify([world.employee]), _notify([world.employee])]
    # then
    assert created == [1, 1, 1]
    assert sorted(Notification.objects.values_list("dedupe_key", flat=True), key=lambda k: k or "") == [
        None,
        None,
        "k1",
        "k2",
    ]


def test_notify_inside_a_transaction_that_already_wrote_the_key_does_not_raise(world):
    # given: a rerun inside one transaction (the pre-check sees the row, the constraint is the backstop)
    with transaction.atomic():
        _notify([world.employee], dedupe_key="k")
        # when
        created = _notify([world.employee], dedupe_key="k")
        # then: the transaction is still usable
        assert Notification.objects.filter(recipient=world.employee).count() == 1
    assert created == 0


def test_notify_shortens_a_long_title_and_trims_whitespace(world):
    # when
    _notify([world.employee], title="  案例  " + "长" * 300, body="  正文\n")
    # then
    notification = Notification.objects.get()
    assert len(notification.title) == 200
    assert notification.title == "案例 " + "长" * 196 + "…"
    assert notification.body == "正文"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "Process.Overdue"),
        ("kind", "overdue"),
        ("kind", "process." + "x" * 60),
        ("title", "   "),
        ("url", "https://evil.example/"),
        ("url", "//evil.example/"),
        ("url", "/\\evil.example/"),
        ("url", "javascript:alert(1)"),
        ("url", "org/people/"),
        ("dedupe_key", ""),
        ("dedupe_key", "k" * 201),
    ],
)
def test_notify_refuses_a_malformed_message_and_writes_nothing(world, field, value):
    # when / then
    with pytest.raises(ValueError, match=field if field != "title" else "title"):
        _notify([world.employee], **{field: value})
    assert Notification.objects.exists() is False


def test_notify_runs_other_registered_channels_with_the_active_recipients(world):
    # given
    left = PersonFactory(department=world.rd, is_active=False)
    seen: list[tuple[list[int], Message]] = []

    class Recorder:
        name = "recorder"

        def deliver(self, *, recipient_ids: Any, message: Message) -> int:
            seen.append((list(recipient_ids), message))
            return len(recipient_ids)

    channels.register(Recorder())
    try:
        # when
        created = _notify([world.head, world.employee, left], title="标题", dedupe_key="k")
    finally:
        channels.unregister("recorder")
    # then
    assert created == 2
    assert seen == [
        (
            sorted([world.employee.pk, world.head.pk]),
            Message(
                kind="process.step_overdue",
                title="标题",
                url="/processes/cases/1/",
                dedupe_key="k",
                language="zh-hans",
            ),
        )
    ]


def test_the_in_app_channel_cannot_be_replaced():
    class Impostor:
        name = "in_app"

        def deliver(self, *, recipient_ids: Any, message: Message) -> int:
            return 0

    with pytest.raises(ValueError, match="in-app"):
        channels.register(Impostor())


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_one_key_neither_raises_and_one_notification_is_kept(world):
    # given: worker A has inserted the notification and not committed yet; worker B's check cannot
    # see that row, so B's insert meets A's (it waits for A's commit, then does nothing)
    inserted = threading.Event()
    results: dict[str, int] = {}
    errors: list[BaseException] = []

    def worker(name: str, hold: bool) -> None:
        try:
            if not hold:
                inserted.wait(timeout=10)
            with transaction.atomic():
                results[name] = _notify([world.employee], dedupe_key="case:7:overdue")
                if hold:
                    inserted.set()
                    time.sleep(0.5)
        except BaseException as exc:
            errors.append(exc)
            inserted.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=("a", True)), threading.Thread(target=worker, args=("b", False))]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then: nobody raised, one notification; B counted the row A wrote (services.notify says so)
    assert errors == []
    assert results == {"a": 1, "b": 1}
    assert Notification.objects.filter(recipient=world.employee, dedupe_key="case:7:overdue").count() == 1


# ── notify_on_commit ────────────────────────────────────────────────────────────────────────────


def test_notify_on_commit_notifies_only_after_the_commit(world, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        services.notify_on_commit(recipients=[world.employee], kind="process.case_started", title="案例已启动")
        before_commit = Notification.objects.count()
    # then
    assert (before_commit, len(callbacks)) == (0, 1)
    callbacks[0]()
    assert _inbox(world.employee) == [("process.case_started", "案例已启动", "", "", None, None)]


def test_notify_on_commit_run_twice_with_a_key_notifies_once(world, django_capture_on_commit_callbacks):
    # when: two workers report the same event
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for _ in range(2):
            services.notify_on_commit(
                recipients=[world.employee.pk], kind="process.step_overdue", title="超时", dedupe_key="k"
            )
    # then
    assert len(callbacks) == 2
    assert Notification.objects.count() == 1


def test_notify_on_commit_tells_nobody_when_the_transaction_rolls_back(world, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                services.notify_on_commit(recipients=[world.employee], kind="process.case_started", title="案例")
                raise RuntimeError("the caller's change failed")
        except RuntimeError:
            pass
    # then
    assert callbacks == []
    assert Notification.objects.exists() is False


def test_notify_on_commit_checks_its_arguments_at_the_call(world, django_capture_on_commit_callbacks):
    # when / then
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValueError, match="url"):
        services.notify_on_commit(recipients=[world.employee], kind="process.x", title="t", url="https://evil.example")
    assert callbacks == []


def test_notify_on_commit_to_nobody_schedules_nothing(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        services.notify_on_commit(recipients=[], kind="process.case_started", title="案例")
    assert callbacks == []


# ── marking read ────────────────────────────────────────────────────────────────────────────────


def test_mark_read_marks_all_of_ones_own_unread_notifications(world):
    # given
    mine = NotificationFactory.create_batch(3, recipient=world.employee)
    earlier = AT - timedelta(days=1)
    already = NotificationFactory(recipient=world.employee, read_at=earlier)
    theirs = NotificationFactory(recipient=world.head)
    # when
    with clock.freeze(AT):
        marked = services.notification_mark_read(person=world.employee)
    # then
    assert marked == 3
    read = dict(Notification.objects.values_list("pk", "read_at"))
    assert [read[n.pk] for n in mine] == [AT, AT, AT]
    assert (read[already.pk], read[theirs.pk]) == (earlier, None)


def test_mark_read_with_ids_marks_only_those_of_ones_own(world):
    # given
    first, second = NotificationFactory.create_batch(2, recipient=world.employee)
    theirs = NotificationFactory(recipient=world.head)
    # when
    with clock.freeze(AT):
        marked = services.notification_mark_read(person=world.employee, ids=[first.pk, theirs.pk])
    # then
    assert marked == 1
    read = dict(Notification.objects.values_list("pk", "read_at"))
    assert read == {first.pk: AT, second.pk: None, theirs.pk: None}


def test_mark_read_with_no_ids_marks_nothing(world, django_assert_num_queries):
    # given
    NotificationFactory(recipient=world.employee)
    # when
    with django_assert_num_queries(0):
        marked = services.notification_mark_read(person=world.employee, ids=[])
    # then
    assert marked == 0
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_mark_one_read_keeps_the_first_time_it_was_read(world):
    # given
    notification = NotificationFactory(recipient=world.employee)
    with clock.freeze(AT):
        services.notification_mark_one_read(notification=notification)
    # when
    with clock.freeze(AT + timedelta(hours=1)):
        again = services.notification_mark_one_read(notification=Notification.objects.get(pk=notification.pk))
    # then
    assert again.read_at == AT
    assert Notification.objects.get(pk=notification.pk).read_at == AT


def test_mark_one_read_of_a_stale_copy_keeps_the_time_it_was_read_meanwhile(world):
    # given: read in another tab after this copy was loaded
    notification = NotificationFactory(recipient=world.employee)
    Notification.objects.filter(pk=notification.pk).update(read_at=AT)
    # when
    with clock.freeze(AT + timedelta(hours=1)):
        result = services.notification_mark_one_read(notification=notification)
    # then
    assert result.read_at == AT
    assert Notification.objects.get(pk=notification.pk).read_at == AT


def test_a_lazy_title_is_written_in_each_recipients_language(world):
    # given: one person reads English, the others the organization's Chinese
    from django.utils.translation import gettext_lazy

    from xietong.notify.models import Notification
    from xietong.notify.services import notify

    world.other_department.language = "en"
    world.other_department.save(update_fields=["language"])
    # when
    notify(
        recipients=[world.employee, world.other_department],
        kind="process.case_completed",
        title=gettext_lazy("{case} is completed"),
        params={"case": "SO-1"},
    )
    # then
    titles = dict(Notification.objects.values_list("recipient__username", "title"))
    assert titles == {"employee": "SO-1 已完成", "other": "SO-1 is completed"}
