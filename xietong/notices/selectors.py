"""Reads of notices; each costs a fixed number of queries whatever the data size."""

from __future__ import annotations

import dataclasses

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from xietong.common import clock
from xietong.notices.models import Notice, NoticeRecipient
from xietong.org.models import Person

LIST_FILTERS = ("", "unread", "to_ack", "mine", "drafts", "withdrawn")


def with_counts(notices: QuerySet[Notice]) -> QuerySet[Notice]:
    """Annotate each notice's ``recipient_count`` and ``ack_count`` (subqueries: no extra query)."""
    recipients = NoticeRecipient.objects.filter(notice=OuterRef("pk")).order_by().values("notice")
    return notices.annotate(
        recipient_count=Subquery(recipients.annotate(n=Count("pk")).values("n")[:1]),
        ack_count=Subquery(recipients.filter(acknowledged_at__isnull=False).annotate(n=Count("pk")).values("n")[:1]),
    )


def notice_list(
    *, notices: QuerySet[Notice], viewer: Person, query: str = "", show: str = "", department_id: int | None = None
) -> QuerySet[Notice]:
    """Notices (from a ``notices_visible_to`` queryset), pinned first, then newest, each annotated with
    the viewer's own state (``is_recipient``, ``my_read_at``, ``my_ack_at``) and its counts
    (``recipient_count``, ``ack_count``). ``show="any"`` keeps every state. One query."""
    mine = NoticeRecipient.objects.filter(notice=OuterRef("pk"), person=viewer)
    qs = with_counts(notices.select_related("author")).annotate(
        is_recipient=Exists(mine),
        my_read_at=Subquery(mine.values("read_at")[:1]),
        my_ack_at=Subquery(mine.values("acknowledged_at")[:1]),
    )
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(body__icontains=query) | Q(ref__icontains=query))
    if department_id is not None:
        qs = qs.filter(Q(audience_all=True) | Q(audience_departments=department_id)).distinct()
    if show == "unread":
        qs = qs.filter(Exists(mine.filter(read_at__isnull=True)), state=Notice.State.PUBLISHED)
    elif show == "to_ack":
        qs = qs.filter(
            Exists(mine.filter(acknowledged_at__isnull=True)), state=Notice.State.PUBLISHED, requires_ack=True
        )
    elif show == "mine":
        qs = qs.filter(author=viewer)
    elif show == "drafts":
        qs = qs.filter(state__in=(Notice.State.DRAFT, Notice.State.SCHEDULED))
    elif show == "withdrawn":
        qs = qs.filter(state=Notice.State.WITHDRAWN)
    elif show != "any":
        qs = qs.exclude(state__in=(Notice.State.DRAFT, Notice.State.SCHEDULED, Notice.State.WITHDRAWN))
    return qs.order_by("-is_pinned", "-published_at", "-publish_at", "-pk")


def to_acknowledge(*, person: Person) -> QuerySet[NoticeRecipient]:
    """The person's open acknowledgements: published notices requiring it, not acknowledged yet,
    soonest deadline first (one query)."""
    return (
        NoticeRecipient.objects.filter(
            person=person,
            acknowledged_at__isnull=True,
            notice__state=Notice.State.PUBLISHED,
            notice__requires_ack=True,
        )
        .select_related("notice", "notice__author")
        .order_by("notice__due_at", "notice__pk")
    )


def to_acknowledge_count(*, person: Person) -> int:
    return to_acknowledge(person=person).count()


def to_acknowledge_counts(person: Person) -> tuple[int, int]:
    """(notices waiting for my acknowledgement, how many of them are past their deadline): one query."""
    if not getattr(person, "is_authenticated", False):
        return 0, 0
    counts = (
        to_acknowledge(person=person)
        .order_by()
        .aggregate(total=Count("pk"), late=Count("pk", filter=Q(notice__due_at__lt=clock.now())))
    )
    return counts["total"], counts["late"]


@dataclasses.dataclass
class DepartmentRate:
    department_id: int | None
    code: str
    name: str
    recipients: int
    read: int
    acknowledged: int
    on_time: int

    @property
    def rate(self) -> float | None:
        return self.acknowledged / self.recipients if self.recipients else None

    @property
    def percent(self) -> int:
        return round(100 * self.acknowledged / self.recipients) if self.recipients else 0

    @property
    def pending(self) -> int:
        return self.recipients - self.acknowledged


@dataclasses.dataclass
class ReadRateReport:
    notice: Notice
    departments: list[DepartmentRate]
    pending: list[NoticeRecipient]
    total: DepartmentRate


def notice_read_rate(*, notice: Notice, department_ids: set[int] | None = None) -> ReadRateReport:
    """The acknowledgement report: per department (the recipients' departments at publication), how
    many were asked, have read, have acknowledged (on time), and who has not acknowledged yet. Only
    the rows of ``department_ids`` when given. Two queries."""
    recipients = NoticeRecipient.objects.filter(notice=notice)
    if department_ids is not None:
        recipients = recipients.filter(department__in=department_ids)
    on_time = Q(acknowledged_at__isnull=False)
    if notice.due_at is not None:
        on_time &= Q(acknowledged_at__lte=notice.due_at)
    rows = (
        recipients.order_by()
        .values("department", "department__code", "department__name")
        .annotate(
            n=Count("pk"),
            read=Count("pk", filter=Q(read_at__isnull=False)),
            acked=Count("pk", filter=Q(acknowledged_at__isnull=False)),
            on_time=Count("pk", filter=on_time),
        )
        .order_by("department__code")
    )
    departments = [
        DepartmentRate(
            r["department"],
            r["department__code"] or "",
            r["department__name"] or "—",
            r["n"],
            r["read"],
            r["acked"],
            r["on_time"],
        )
        for r in rows
    ]
    pending = list(
        recipients.filter(acknowledged_at__isnull=True)
        .select_related("person", "department")
        .order_by("department__code", "person__name", "pk")
    )
    total = DepartmentRate(
        None,
        "",
        "",
        sum(d.recipients for d in departments),
        sum(d.read for d in departments),
        sum(d.acknowledged for d in departments),
        sum(d.on_time for d in departments),
    )
    return ReadRateReport(notice, departments, pending, total)


def recent_with_acks(*, notices: QuerySet[Notice], limit: int = 10) -> list[Notice]:
    """The latest published (or withdrawn) notices requiring acknowledgement, with their counts (one query)."""
    return list(
        with_counts(notices.filter(requires_ack=True, published_at__isnull=False))
        .select_related("author")
        .order_by("-published_at", "-pk")[:limit]
    )
