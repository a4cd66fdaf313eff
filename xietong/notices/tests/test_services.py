"""Publishing, acknowledging, withdrawing, and the time-driven work (scheduled publication, reminders,
late lists)."""

from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xietong.attachments.models import Attachment
from xietong.audit.models import AuditEntry
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.notices import services
from xietong.notices.models import Notice, NoticeRecipient
from xietong.notices.tests.factories import MONDAY_9, TZ, publish
from xietong.notify.models import Notification
from xietong.org.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _recipients(notice):
    return sorted(NoticeRecipient.objects.filter(notice=notice).values_list("person__username", flat=True))


def test_publishing_to_a_department_fixes_its_subtree_as_recipients_with_their_departments(world):
    # when
    notice = publish(world.head, departments=[world.rd], at=MONDAY_9)
    # then: RD and RD-HW, the author included (he is in RD)
    assert _recipients(notice) == ["employee", "head", "liaison"]
    rows = NoticeRecipient.objects.filter(notice=notice)
    assert dict(rows.values_list("person__username", "department__code")) == {
        "employee": "RD-HW",
        "head": "RD",
        "liaison": "RD",
    }
    notice.refresh_from_db()
    assert notice.state == Notice.State.PUBLISHED
    assert notice.published_at == MONDAY_9
    # 2 working days of 8 hours from Monday 09:00: Tuesday 18:00; the reminder at 75%: Tuesday 14:00
    assert notice.due_at == datetime(2026, 3, 3, 18, 0, tzinfo=TZ)
    assert notice.remind_at == datetime(2026, 3, 3, 14, 0, tzinfo=TZ)
    assert AuditEntry.objects.filter(action="publish", object_id=str(notice.pk)).count() == 1


def test_publishing_tells_every_recipient_but_the_author_after_commit(world, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        notice = publish(world.head, departments=[world.rd])
    # then
    told = Notification.objects.filter(kind="notice.published")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["employee", "liaison"]
    assert told.first().url == f"/notices/{notice.pk}/"


def test_people_who_join_later_are_not_asked_and_people_who_leave_keep_their_record(world):
    # given
    notice = publish(world.coordinator)
    # when
    newcomer = PersonFactory(username="newcomer", department=world.rd)
    world.employee.is_active = False
    world.employee.save(update_fields=["is_active"])
    # then
    assert "newcomer" not in _recipients(notice)
    assert "employee" in _recipients(notice)
    assert newcomer.pk not in NoticeRecipient.objects.values_list("person", flat=True)


def test_everyone_means_every_active_person_of_a_department(world):
    # given
    PersonFactory(username="gone", department=world.sales, is_active=False)
    # when
    notice = publish(world.coordinator)
    # then
    assert _recipients(notice) == ["admin", "coordinator", "employee", "head", "liaison", "other"]


def test_a_recipient_acknowledges_once_and_a_second_time_is_refused(world):
    # given
    notice = publish(world.head, departments=[world.rd], at=MONDAY_9)
    # when
    with clock.freeze(datetime(2026, 3, 2, 10, 0, tzinfo=TZ)):
        row = services.notice_acknowledge(actor=world.employee, notice=notice)
    # then
    assert row.acknowledged_at == datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
    assert row.read_at == row.acknowledged_at
    with pytest.raises(ApplicationError, match="already acknowledged") as refused:
        services.notice_acknowledge(actor=world.employee, notice=notice)
    assert refused.value.code == "already_acknowledged"
    row.refresh_from_db()
    assert row.acknowledged_at == datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
    assert AuditEntry.objects.filter(action="acknowledge").count() == 1


def test_someone_outside_the_recipients_cannot_acknowledge(world):
    # given
    notice = publish(world.head, departments=[world.rd])
    # when / then
    with pytest.raises(ApplicationError) as refused:
        services.notice_acknowledge(actor=world.other_department, notice=notice)
    assert refused.value.code == "forbidden"
    assert NoticeRecipient.objects.filter(acknowledged_at__isnull=False).count() == 0


@pytest.mark.parametrize("mode", [services.SAVE_DRAFT, services.SCHEDULE])
def test_nobody_acknowledges_before_publication(world, mode):
    # given
    with clock.freeze(MONDAY_9):
        notice = publish(
            world.coordinator, mode=mode, publish_at=datetime(2026, 3, 3, 9, tzinfo=TZ) if mode == "schedule" else None
        )
    # when / then
    with pytest.raises(ApplicationError, match="not published yet"):
        services.notice_acknowledge(actor=world.coordinator, notice=notice)
    assert NoticeRecipient.objects.filter(notice=notice).count() == 0


def test_a_withdrawn_notice_takes_no_more_acknowledgements_and_stays_in_history(world):
    # given
    notice = publish(world.head, departments=[world.rd])
    # when
    services.notice_withdraw(actor=world.head, notice=notice)
    # then
    notice.refresh_from_db()
    assert notice.state == Notice.State.WITHDRAWN
    assert notice.withdrawn_by == world.head
    assert _recipients(notice) == ["employee", "head", "liaison"]
    with pytest.raises(ApplicationError, match="withdrawn"):
        services.notice_acknowledge(actor=world.employee, notice=notice)
    with pytest.raises(ApplicationError, match="already withdrawn"):
        services.notice_withdraw(actor=world.head, notice=notice)


def test_only_the_author_and_managers_withdraw(world):
    notice = publish(world.head, departments=[world.rd])
    with pytest.raises(ApplicationError) as refused:
        services.notice_withdraw(actor=world.liaison, notice=notice)
    assert refused.value.code == "forbidden"
    notice.refresh_from_db()
    assert notice.state == Notice.State.PUBLISHED


def test_a_plain_employee_cannot_publish(world):
    with pytest.raises(ApplicationError) as refused:
        publish(world.employee)
    assert refused.value.code == "forbidden"
    assert Notice.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"ack_within": "2 days"}, "ack_within"),
        ({"ack_within": "0h"}, "ack_within"),
        ({"ack_within": "31d"}, "ack_within"),
        ({"mode": "schedule", "publish_at": None}, "publish_at"),
        ({"mode": "schedule", "publish_at": datetime(2026, 3, 1, 9, tzinfo=TZ)}, "publish_at"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_changes_nothing(world, changes, field):
    with pytest.raises(ApplicationError) as refused, clock.freeze(MONDAY_9):
        publish(world.coordinator, **changes)
    assert field in refused.value.field_errors
    assert Notice.objects.count() == 0


def test_an_audience_is_required_and_closed_departments_take_none(world):
    with pytest.raises(ApplicationError) as refused:
        services.notice_create(actor=world.coordinator, title="t", audience_all=False, departments=[])
    assert "departments" in refused.value.field_errors
    world.sales.is_active = False
    world.sales.save(update_fields=["is_active"])
    with pytest.raises(ApplicationError, match="Closed departments"):
        services.notice_create(actor=world.coordinator, title="t", departments=[world.sales])
    assert Notice.objects.count() == 0


def test_a_refused_attachment_refuses_the_notice(world):
    bad = SimpleUploadedFile("x.html", b"<html><script>alert(1)</script></html>", content_type="text/html")
    with pytest.raises(ApplicationError):
        publish(world.coordinator, files=[bad])
    assert Notice.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_attachments_are_kept_with_the_notice(world):
    pdf = SimpleUploadedFile("规范.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", content_type="application/pdf")
    notice = publish(world.coordinator, files=[pdf])
    assert list(Attachment.objects.filter(object_id=str(notice.pk)).values_list("filename", flat=True)) == ["规范.pdf"]


def test_pinning_and_unpinning(world):
    notice = publish(world.coordinator)
    services.notice_pin(actor=world.coordinator, notice=notice, pinned=True)
    notice.refresh_from_db()
    assert notice.is_pinned is True
    with pytest.raises(ApplicationError):
        services.notice_pin(actor=world.employee, notice=notice, pinned=False)
    notice.refresh_from_db()
    assert notice.is_pinned is True


# ── the tick ─────────────────────────────────────────────────────────────────────────────────────


def test_the_tick_publishes_a_scheduled_notice_once_and_fixes_its_recipients_then(
    world, django_capture_on_commit_callbacks
):
    # given
    with clock.freeze(MONDAY_9):
        notice = publish(
            world.coordinator,
            departments=[world.sales],
            mode=services.SCHEDULE,
            publish_at=datetime(2026, 3, 2, 14, tzinfo=TZ),
        )
    late_joiner = PersonFactory(username="late", department=world.sales)
    # when: before, at and after the scheduled instant
    with django_capture_on_commit_callbacks(execute=True):
        early = services.notices_tick(now=datetime(2026, 3, 2, 13, 59, tzinfo=TZ))
        first = services.notices_tick(now=datetime(2026, 3, 2, 14, 0, tzinfo=TZ))
        again = services.notices_tick(now=datetime(2026, 3, 2, 14, 1, tzinfo=TZ))
    # then
    assert (early["published"], first["published"], again["published"]) == (0, 1, 0)
    notice.refresh_from_db()
    assert notice.state == Notice.State.PUBLISHED
    assert notice.published_at == datetime(2026, 3, 2, 14, 0, tzinfo=TZ)
    assert _recipients(notice) == [late_joiner.username, "other"]
    assert Notification.objects.filter(kind="notice.published").count() == 2


def test_a_withdrawn_scheduled_notice_is_never_published(world):
    with clock.freeze(MONDAY_9):
        notice = publish(world.coordinator, mode=services.SCHEDULE, publish_at=datetime(2026, 3, 2, 14, tzinfo=TZ))
        services.notice_withdraw(actor=world.coordinator, notice=notice)
    assert services.notices_tick(now=datetime(2026, 3, 3, 9, tzinfo=TZ))["published"] == 0
    notice.refresh_from_db()
    assert (notice.state, notice.published_at) == (Notice.State.WITHDRAWN, None)


def test_reminders_go_to_those_who_have_not_acknowledged_at_75_percent_once(world, django_capture_on_commit_callbacks):
    # given: due Tuesday 18:00, reminder at Tuesday 14:00; the employee acknowledged
    notice = publish(world.head, departments=[world.rd], at=MONDAY_9)
    with clock.freeze(datetime(2026, 3, 2, 10, tzinfo=TZ)):
        services.notice_acknowledge(actor=world.employee, notice=notice)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        before = services.notices_tick(now=datetime(2026, 3, 3, 13, 59, tzinfo=TZ))
        at = services.notices_tick(now=datetime(2026, 3, 3, 14, 0, tzinfo=TZ))
        again = services.notices_tick(now=datetime(2026, 3, 3, 15, 0, tzinfo=TZ))
    # then
    assert (before["reminded"], at["reminded"], again["reminded"]) == (0, 1, 0)
    reminded = Notification.objects.filter(kind="notice.reminder")
    assert sorted(reminded.values_list("recipient__username", flat=True)) == ["head", "liaison"]


def test_after_the_deadline_each_department_liaison_or_else_head_gets_its_late_list_once(
    world, django_capture_on_commit_callbacks
):
    # given: RD has a liaison; RD-HW has neither, so its list goes to RD's liaison; SALES has a head only;
    # GM (coordinator, admin) has nobody above it: nobody is told
    world.sales.head = world.other_department
    world.sales.save(update_fields=["head"])
    notice = publish(world.coordinator, at=MONDAY_9)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        not_yet = services.notices_tick(now=datetime(2026, 3, 3, 18, 0, tzinfo=TZ))  # due exactly now: not late
        first = services.notices_tick(now=datetime(2026, 3, 3, 18, 1, tzinfo=TZ))
        again = services.notices_tick(now=datetime(2026, 3, 4, 9, 0, tzinfo=TZ))
    # then
    assert (not_yet["late_lists"], first["late_lists"], again["late_lists"]) == (0, 3, 0)
    lists = Notification.objects.filter(kind="notice.late").select_related("recipient").order_by("dedupe_key")
    told = sorted((n.recipient.username, n.body) for n in lists)
    assert [username for username, _body in told] == ["liaison", "liaison", "other"]
    assert any("刘洋" in body and "陈浩" in body for _u, body in told)  # RD's list
    assert any("王建国" in body for _u, body in told)  # RD-HW's list, to RD's liaison
    assert {n.url for n in lists} == {f"/notices/{notice.pk}/report/"}


def test_a_withdrawn_notice_gets_no_reminders_nor_late_lists(world):
    notice = publish(world.coordinator, at=MONDAY_9)
    services.notice_withdraw(actor=world.coordinator, notice=notice)
    result = services.notices_tick(now=datetime(2026, 3, 10, 9, tzinfo=TZ))
    assert result == {"published": 0, "reminded": 0, "late_lists": 0}
    assert Notification.objects.filter(kind__in=["notice.reminder", "notice.late"]).count() == 0


def test_the_tick_is_registered():
    from xietong.common.ticks import _ticks

    assert _ticks["notices.reminders"] is services.notices_tick


def test_updating_a_published_notice_is_refused(world):
    notice = publish(world.coordinator)
    with pytest.raises(ApplicationError, match="only drafts and scheduled notices"):
        services.notice_update(actor=world.coordinator, notice=notice, title="改", audience_all=True)
    notice.refresh_from_db()
    assert notice.title == "跨部门协作流程正式发布"


def test_updating_a_draft_by_someone_else_is_refused(world):
    draft = publish(world.head, mode=services.SAVE_DRAFT)
    with pytest.raises(ApplicationError) as refused:
        services.notice_update(actor=world.liaison, notice=draft, title="改", audience_all=True)
    assert refused.value.code == "forbidden"


def test_rescheduling_a_draft(world):
    with clock.freeze(MONDAY_9):
        draft = publish(world.head, mode=services.SAVE_DRAFT)
        services.notice_update(
            actor=world.head,
            notice=draft,
            title="改期",
            audience_all=True,
            mode=services.SCHEDULE,
            publish_at=datetime(2026, 3, 4, 9, tzinfo=TZ),
        )
    draft.refresh_from_db()
    assert (draft.state, draft.publish_at, draft.title) == (
        Notice.State.SCHEDULED,
        datetime(2026, 3, 4, 9, tzinfo=TZ),
        "改期",
    )
    assert AuditEntry.objects.filter(action="update", object_id=str(draft.pk)).get().changes["state"] == [
        "draft",
        "scheduled",
    ]
