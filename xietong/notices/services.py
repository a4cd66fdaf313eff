"""Every write to notices: create (as a draft, scheduled or published now), publish, pin, withdraw,
read, acknowledge; and the time-driven work (scheduled publication, reminders, the late lists).

Publication fixes the recipients (the active people then in the audience, the author included when
in it) and, when acknowledgement is required, keeps the due instant
``add_working_time(published_at, ack_within)`` and the reminder instant (75% of ``ack_within``), both
on the organization's schedule (metrics.md). Notifications go out after commit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.attachments.services import attachments_add
from xietong.audit.services import audit_record
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.common.worktime import Schedule, parse_duration
from xietong.notices.models import ACK_WITHIN_DEFAULT, Notice, NoticeRecipient
from xietong.notices.permissions import can_manage_notice, can_publish_notices
from xietong.notify.services import notify_on_commit
from xietong.org.models import Department, Person
from xietong.org.selectors import department_subtree_ids, organization_schedule
from xietong.search.services import search_index_on_commit

REMIND_SHARE = (3, 4)  # remind those who have not acknowledged when 75% of ack_within has passed
TITLE_MAX = 200
BODY_MAX = 20_000
ACK_WITHIN_MAX = "30d"
PUBLISH_NOW, SAVE_DRAFT, SCHEDULE = "now", "draft", "schedule"
TICK_BATCH = 500


def _url(notice: Notice) -> str:
    return reverse("notices:detail", args=[notice.pk])


def _report_url(notice: Notice) -> str:
    return reverse("notices:report", args=[notice.pk])


def deadlines(published_at: datetime, ack_within: str, schedule: Schedule) -> tuple[datetime, datetime]:
    """(due instant, reminder instant) of a notice published at ``published_at``."""
    limit = parse_duration(ack_within).to_timedelta(schedule)
    remind = timedelta(microseconds=(limit // timedelta(microseconds=1)) * REMIND_SHARE[0] // REMIND_SHARE[1])
    return schedule.add_working_time(published_at, limit), schedule.add_working_time(published_at, remind)


def audience_people(*, audience_all: bool, department_ids: Iterable[int]) -> list[tuple[int, int]]:
    """(person pk, department pk) of the active people now in the audience (one query)."""
    people = Person.objects.filter(is_active=True, department__isnull=False)
    if not audience_all:
        people = people.filter(department__in=department_subtree_ids(set(department_ids)))
    return [(pk, dept) for pk, dept in people.order_by("pk").values_list("pk", "department_id")]


def _clean_ack_within(text: str) -> str:
    try:
        duration = parse_duration(text.strip())
        schedule = organization_schedule()
        too_long = duration.to_timedelta(schedule) > parse_duration(ACK_WITHIN_MAX).to_timedelta(schedule)
    except ValueError as exc:
        raise ApplicationError(str(exc), field_errors={"ack_within": [str(exc)]}) from exc
    if too_long:
        message = _("At most {limit} of working time.").format(limit=ACK_WITHIN_MAX)
        raise ApplicationError(message, field_errors={"ack_within": [message]})
    return str(duration)


def _new_ref(now: datetime) -> str:
    """N-YYYYMMDD-NNNN in the organization's timezone (numbered within the day)."""
    day = f"N-{now.astimezone(organization_schedule().tz):%Y%m%d}-"
    taken = Notice.objects.filter(ref__startswith=day).count()
    return f"{day}{taken + 1:04d}"


@dataclasses.dataclass
class NoticeInput:
    """What the publish form and the API send, before the services validate it."""

    title: str
    body: str = ""
    audience_all: bool = False
    departments: Sequence[Department] = ()
    requires_ack: bool = False
    ack_within: str = ACK_WITHIN_DEFAULT
    is_pinned: bool = False
    mode: str = PUBLISH_NOW
    publish_at: datetime | None = None


def _validated(data: NoticeInput, now: datetime) -> NoticeInput:
    """The input cleaned, or ApplicationError with every field's problem."""
    errors: dict[str, list[Any]] = {}
    title = " ".join((data.title or "").split())
    if not title:
        errors["title"] = [_("Give the notice a title.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("At most {n} characters.").format(n=TITLE_MAX)]
    body = (data.body or "").replace("\r\n", "\n").strip()
    if len(body) > BODY_MAX:
        errors["body"] = [_("At most {n} characters.").format(n=BODY_MAX)]
    departments = list(dict.fromkeys(data.departments))
    if data.audience_all and departments:
        errors["departments"] = [_("Choose either everyone or departments, not both.")]
    elif not data.audience_all and not departments:
        errors["departments"] = [_("Choose the departments the notice is for, or everyone.")]
    closed = [d.name for d in departments if not d.is_active]
    if closed:
        errors["departments"] = [_("Closed departments take no notices: {names}.").format(names="、".join(closed))]
    if data.mode not in (PUBLISH_NOW, SAVE_DRAFT, SCHEDULE):
        errors["mode"] = [_("Publish now, schedule or save as a draft.")]
    if data.mode == SCHEDULE:
        if data.publish_at is None:
            errors["publish_at"] = [_("Say when to publish it.")]
        elif data.publish_at <= now:
            errors["publish_at"] = [_("A scheduled publication lies in the future.")]
    ack_within = data.ack_within or ACK_WITHIN_DEFAULT
    try:
        ack_within = _clean_ack_within(ack_within)
    except ApplicationError as exc:
        errors.update(exc.field_errors)
    if errors:
        first = next(iter(errors.values()))[0]
        raise ApplicationError(first, field_errors=errors)
    return dataclasses.replace(
        data,
        title=title,
        body=body,
        departments=departments,
        ack_within=ack_within,
        publish_at=data.publish_at if data.mode == SCHEDULE else None,
    )


def _state_of(mode: str) -> str:
    return Notice.State.SCHEDULED if mode == SCHEDULE else Notice.State.DRAFT  # "now" publishes right after


def _audience(data: NoticeInput) -> str | list[str]:
    return "all" if data.audience_all else sorted(d.code for d in data.departments)


@transaction.atomic
def notice_create(*, actor: Person, files: Sequence[Any] = (), **values: Any) -> Notice:
    """Write a notice (``NoticeInput``'s fields) and publish it now (``mode="now"``), keep it as a draft
    (``"draft"``) or schedule it for ``publish_at`` (``"schedule"``). Attachments are checked before
    anything is kept."""
    if not can_publish_notices(actor):
        raise ApplicationError(
            _("Only department heads, liaisons, coordinators and administrators publish notices."), code="forbidden"
        )
    now = clock.now()
    data = _validated(NoticeInput(**values), now)
    notice = None
    for attempt in range(5):
        ref = _new_ref(now) if attempt == 0 else f"{_new_ref(now)}-{attempt}"
        try:
            with transaction.atomic():
                notice = Notice.objects.create(
                    ref=ref,
                    title=data.title,
                    body=data.body,
                    author=actor,
                    audience_all=data.audience_all,
                    requires_ack=data.requires_ack,
                    ack_within=data.ack_within,
                    is_pinned=data.is_pinned,
                    state=_state_of(data.mode),
                    publish_at=data.publish_at,
                )
            break
        except IntegrityError:  # the same reference taken at the same moment: number again
            continue
    if notice is None:
        raise ApplicationError(_("The notice could not be numbered; try again."))
    notice.audience_departments.set(data.departments)
    attachments_add(actor=actor, owner=notice, uploads=files)
    audit_record(
        actor=actor,
        obj=notice,
        action="create",
        changes={
            "ref": [None, notice.ref],
            "title": [None, data.title],
            "audience": [None, _audience(data)],
            "requires_ack": [None, data.requires_ack],
            "ack_within": [None, data.ack_within],
            "state": [None, notice.state],
            "publish_at": [None, notice.publish_at],
        },
    )
    if data.mode == PUBLISH_NOW:
        _publish(notice, at=now, actor=actor)
    search_index_on_commit("notice", [notice.pk])
    return notice


@transaction.atomic
def notice_update(*, actor: Person, notice: Notice, files: Sequence[Any] = (), **values: Any) -> Notice:
    """Change a draft or a scheduled notice (``NoticeInput``'s fields; more attachments), then keep it
    as a draft, schedule it, or publish it now. A published notice is not edited: its recipients
    acknowledged what it said (withdraw it and publish a corrected one)."""
    notice = _locked(notice)
    if not can_manage_notice(actor, notice):
        raise ApplicationError(
            _("Only the author, coordinators and administrators edit this notice."), code="forbidden"
        )
    if notice.state not in (Notice.State.DRAFT, Notice.State.SCHEDULED):
        raise ApplicationError(
            _("This notice is {state}: only drafts and scheduled notices are edited.").format(
                state=notice.get_state_display()
            )
        )
    now = clock.now()
    data = _validated(NoticeInput(**values), now)
    before = {
        "title": notice.title,
        "body": notice.body,
        "audience": "all"
        if notice.audience_all
        else sorted(notice.audience_departments.values_list("code", flat=True)),
        "requires_ack": notice.requires_ack,
        "ack_within": notice.ack_within,
        "is_pinned": notice.is_pinned,
        "state": notice.state,
        "publish_at": notice.publish_at,
    }
    notice.title, notice.body, notice.audience_all = data.title, data.body, data.audience_all
    notice.requires_ack, notice.ack_within, notice.is_pinned = data.requires_ack, data.ack_within, data.is_pinned
    notice.state, notice.publish_at = _state_of(data.mode), data.publish_at
    notice.save()
    notice.audience_departments.set(data.departments)
    attachments_add(actor=actor, owner=notice, uploads=files)
    after = {
        "title": data.title,
        "body": data.body,
        "audience": _audience(data),
        "requires_ack": data.requires_ack,
        "ack_within": data.ack_within,
        "is_pinned": data.is_pinned,
        "state": notice.state,
        "publish_at": notice.publish_at,
    }
    audit_record(
        actor=actor,
        obj=notice,
        action="update",
        changes={key: [before[key], value] for key, value in after.items() if before[key] != value},
    )
    if data.mode == PUBLISH_NOW:
        _publish(notice, at=now, actor=actor)
    search_index_on_commit("notice", [notice.pk])
    return notice


def _publish(notice: Notice, *, at: datetime, actor: Person | None) -> None:
    """Fix the recipients, keep the deadlines, tell the recipients (the caller holds the row)."""
    department_ids = list(notice.audience_departments.values_list("pk", flat=True))
    people = audience_people(audience_all=notice.audience_all, department_ids=department_ids)
    notice.state, notice.published_at = Notice.State.PUBLISHED, at
    if notice.requires_ack:
        notice.due_at, notice.remind_at = deadlines(at, notice.ack_within, organization_schedule())
    notice.save(update_fields=["state", "published_at", "due_at", "remind_at", "updated_at"])
    NoticeRecipient.objects.bulk_create(
        [NoticeRecipient(notice=notice, person_id=pk, department_id=dept) for pk, dept in people], batch_size=1000
    )
    audit_record(
        actor=actor,
        obj=notice,
        action="publish",
        changes={"published_at": [None, at], "recipients": [None, len(people)], "due_at": [None, notice.due_at]},
    )
    told = actor.pk if actor is not None else notice.author_id  # who published it knows already
    recipients = [pk for pk, _dept in people if pk != told]
    if notice.requires_ack:
        title = gettext_lazy("Please acknowledge the notice “{title}”")
    else:
        title = gettext_lazy("New notice: “{title}”")
    notify_on_commit(
        recipients=recipients,
        kind="notice.published",
        title=title,
        params={"title": notice.title},
        url=_url(notice),
        dedupe_key=f"notice:{notice.pk}:published",
    )
    search_index_on_commit("notice", [notice.pk])


def _locked(notice: Notice) -> Notice:
    return Notice.objects.select_for_update().get(pk=notice.pk)


@transaction.atomic
def notice_publish(*, actor: Person, notice: Notice) -> Notice:
    """Publish a draft or a scheduled notice now."""
    notice = _locked(notice)
    if not can_manage_notice(actor, notice):
        raise ApplicationError(
            _("Only the author, coordinators and administrators publish this notice."), code="forbidden"
        )
    if notice.state not in (Notice.State.DRAFT, Notice.State.SCHEDULED):
        raise ApplicationError(
            _("This notice is {state}: it cannot be published again.").format(state=notice.get_state_display())
        )
    _publish(notice, at=clock.now(), actor=actor)
    return notice


@transaction.atomic
def notice_pin(*, actor: Person, notice: Notice, pinned: bool) -> Notice:
    notice = _locked(notice)
    if not can_manage_notice(actor, notice):
        raise ApplicationError(_("Only the author, coordinators and administrators pin this notice."), code="forbidden")
    if notice.state == Notice.State.WITHDRAWN and pinned:
        raise ApplicationError(_("A withdrawn notice cannot be pinned."))
    if notice.is_pinned != pinned:
        notice.is_pinned = pinned
        notice.save(update_fields=["is_pinned", "updated_at"])
        audit_record(actor=actor, obj=notice, action="pin", changes={"is_pinned": [not pinned, pinned]})
    return notice


@transaction.atomic
def notice_withdraw(*, actor: Person, notice: Notice) -> Notice:
    """Withdraw a published or scheduled notice: it stays in history, marked withdrawn, and takes no
    more acknowledgements; no reminders go out for it any more."""
    notice = _locked(notice)
    if not can_manage_notice(actor, notice):
        raise ApplicationError(
            _("Only the author, coordinators and administrators withdraw this notice."), code="forbidden"
        )
    if notice.state == Notice.State.WITHDRAWN:
        raise ApplicationError(_("This notice is already withdrawn."))
    if notice.state == Notice.State.DRAFT:
        raise ApplicationError(_("A draft is not published: there is nothing to withdraw."))
    before = notice.state
    now = clock.now()
    notice.state, notice.withdrawn_at, notice.withdrawn_by, notice.is_pinned = Notice.State.WITHDRAWN, now, actor, False
    notice.save(update_fields=["state", "withdrawn_at", "withdrawn_by", "is_pinned", "updated_at"])
    audit_record(actor=actor, obj=notice, action="withdraw", changes={"state": [before, Notice.State.WITHDRAWN]})
    search_index_on_commit("notice", [notice.pk])
    return notice


def notice_mark_read(*, person: Person, notice: Notice) -> bool:
    """Note the first time a recipient opens a published notice (one conditional UPDATE)."""
    if notice.published_at is None:
        return False
    updated = NoticeRecipient.objects.filter(notice=notice, person=person, read_at__isnull=True).update(
        read_at=clock.now()
    )
    return bool(updated)


@transaction.atomic
def notice_acknowledge(*, actor: Person, notice: Notice) -> NoticeRecipient:
    """Confirm "read and understood": once, by a recipient, while the notice is published."""
    notice = Notice.objects.select_for_update().get(pk=notice.pk)  # serialise with withdraw
    if notice.state == Notice.State.WITHDRAWN:
        raise ApplicationError(_("This notice was withdrawn: it takes no more acknowledgements."))
    if notice.state != Notice.State.PUBLISHED:
        raise ApplicationError(_("This notice is not published yet: it cannot be acknowledged."))
    if not notice.requires_ack:
        raise ApplicationError(_("This notice asks for no acknowledgement."))
    recipient = NoticeRecipient.objects.filter(notice=notice, person=actor).first()
    if recipient is None:
        raise ApplicationError(_("Only the people this notice was addressed to acknowledge it."), code="forbidden")
    now = clock.now()
    claimed = NoticeRecipient.objects.filter(pk=recipient.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, read_at=Coalesce("read_at", now)
    )
    if not claimed:
        recipient.refresh_from_db()
        assert recipient.acknowledged_at is not None
        tz = organization_schedule().tz
        raise ApplicationError(
            _("You already acknowledged this notice on {at}.").format(
                at=f"{recipient.acknowledged_at.astimezone(tz):%Y-%m-%d %H:%M}"
            ),
            code="already_acknowledged",
        )
    recipient.refresh_from_db()
    audit_record(actor=actor, obj=notice, action="acknowledge", changes={"acknowledged_at": [None, now]})
    return recipient


# ── Time-driven work ────────────────────────────────────────────────────────────────────────────


def notices_tick(*, now: datetime | None = None) -> dict[str, int]:
    """Publish the scheduled notices that are due, remind those who have not acknowledged when 75% of
    the time has passed, and after the deadline send each department's liaison (or head) its list of
    late people. Each item is claimed with a conditional UPDATE whose row count says which worker won,
    so several workers never do it twice."""
    now = now or clock.now()
    done = {"published": 0, "reminded": 0, "late_lists": 0}
    due = Notice.objects.filter(state=Notice.State.SCHEDULED, publish_at__lte=now).order_by("publish_at", "pk")
    schedule = organization_schedule()
    for pk, requires_ack, ack_within in list(due.values_list("pk", "requires_ack", "ack_within")[:TICK_BATCH]):
        due_at, remind_at = deadlines(now, ack_within, schedule) if requires_ack else (None, None)
        with transaction.atomic():
            if not Notice.objects.filter(pk=pk, state=Notice.State.SCHEDULED).update(
                state=Notice.State.PUBLISHED, published_at=now, due_at=due_at, remind_at=remind_at
            ):
                continue  # another worker published it, or it was withdrawn meanwhile
            notice = Notice.objects.select_related("author").get(pk=pk)
            _publish(notice, at=now, actor=None)
            done["published"] += 1
    open_acks = Notice.objects.filter(state=Notice.State.PUBLISHED, requires_ack=True)
    remind = open_acks.filter(reminded_at__isnull=True, remind_at__lte=now, due_at__gt=now)
    for pk in list(remind.order_by("due_at", "pk").values_list("pk", flat=True)[:TICK_BATCH]):
        with transaction.atomic():
            if not Notice.objects.filter(pk=pk, reminded_at__isnull=True, state=Notice.State.PUBLISHED).update(
                reminded_at=now
            ):
                continue
            _remind(Notice.objects.get(pk=pk))
            done["reminded"] += 1
    late = open_acks.filter(late_notified_at__isnull=True, due_at__lt=now)
    for pk in list(late.order_by("due_at", "pk").values_list("pk", flat=True)[:TICK_BATCH]):
        with transaction.atomic():
            if not Notice.objects.filter(pk=pk, late_notified_at__isnull=True, state=Notice.State.PUBLISHED).update(
                late_notified_at=now
            ):
                continue
            done["late_lists"] += _late_lists(Notice.objects.get(pk=pk))
    return done


def _remind(notice: Notice) -> None:
    pending = NoticeRecipient.objects.filter(notice=notice, acknowledged_at__isnull=True)
    tz = organization_schedule().tz
    assert notice.due_at is not None
    notify_on_commit(
        recipients=list(pending.values_list("person_id", flat=True)),
        kind="notice.reminder",
        title=gettext_lazy("Reminder: acknowledge the notice “{title}” by {due}"),
        params={"title": notice.title, "due": f"{notice.due_at.astimezone(tz):%Y-%m-%d %H:%M}"},
        url=_url(notice),
        dedupe_key=f"notice:{notice.pk}:reminder",
    )


def _contact(department_id: int, tree: dict[int, tuple[int | None, int | None, int | None]]) -> int | None:
    """The department's liaison, else its head; for a department with neither, its parent's (and so on)."""
    node: int | None = department_id
    seen: set[int] = set()
    while node is not None and node in tree and node not in seen:
        seen.add(node)
        parent, liaison, head = tree[node]
        if liaison or head:
            return liaison or head
        node = parent
    return None


def _late_lists(notice: Notice) -> int:
    """One notification per department with late people, to its liaison (else its head)."""
    pending = (
        NoticeRecipient.objects.filter(notice=notice, acknowledged_at__isnull=True)
        .select_related("person", "department")
        .order_by("department__code", "person__name")
    )
    by_department: dict[int | None, list[NoticeRecipient]] = {}
    for recipient in pending:
        by_department.setdefault(recipient.department_id, []).append(recipient)
    tree: dict[int, tuple[int | None, int | None, int | None]] = {
        pk: (parent, liaison, head)
        for pk, parent, liaison, head in Department.objects.values_list("pk", "parent_id", "liaison_id", "head_id")
    }
    sent = 0
    for department_id, late in by_department.items():
        department = late[0].department
        contact = _contact(department_id, tree) if department_id is not None else None
        if department is None or contact is None:
            continue
        notify_on_commit(
            recipients=[contact],
            kind="notice.late",
            title=gettext_lazy("{count} people of {department} have not acknowledged “{title}”"),
            body=gettext_lazy("Not acknowledged in time: {names}"),
            params={
                "count": len(late),
                "department": department.name,
                "title": notice.title,
                "names": "、".join(r.person.name for r in late),
            },
            url=_report_url(notice),
            dedupe_key=f"notice:{notice.pk}:late:{department_id}",
        )
        sent += 1
    return sent
