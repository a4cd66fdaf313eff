"""Reads of notices; each costs a fixed number of queries whatever the data size."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from xietong.common import clock
from xietong.notices.models import Notice, NoticeRecipient
from xietong.org.models import Department, Person

# What the "not acknowledged" list shows: narrow rows sort faster (the list is sorted by the database).
PENDING_FIELDS = (
    "read_at",
    "person__username",
    "person__name",
    "person__is_active",
    "department__code",
    "department__name",
)
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


class Counted:
    """Rows of a queryset whose number is already known: a ``Paginator`` pages through it without
    counting them again (each page is one query)."""

    def __init__(self, rows: QuerySet[Any], count: int) -> None:
        self.rows = rows
        self.total = count

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: slice) -> list[Any]:
        return list(self.rows[index])


@dataclasses.dataclass
class ReadRateReport:
    notice: Notice
    total: DepartmentRate  # every row the reader may see
    departments: DepartmentRows  # ordered by department code: page it
    department: DepartmentRate | None  # the row the "not acknowledged" list is narrowed to, if any
    pending: Counted  # of NoticeRecipient (with person and department), not acknowledged yet: page it


def _rate(row: dict[str, Any]) -> DepartmentRate:
    return DepartmentRate(
        row["department"],
        row["department__code"] or "",
        row["department__name"] or "—",
        row["n"],
        row["read"],
        row["acked"],
        row["on_time"],
    )


class DepartmentRows:
    """The report's rows, one per department (by code; the recipients without one last), computed a
    page at a time: a page of the departments that recipients were in (one query), then the counts of
    those departments only (one query, on the (notice, department, acknowledged_at, read_at) index),
    and the row of the recipients without a department when the page reaches it (one more)."""

    def __init__(
        self, recipients: QuerySet[NoticeRecipient], counts: dict[str, Any], *, named: int, unnamed: bool
    ) -> None:
        self.recipients = recipients
        self.counts = counts
        self.named = named
        self.unnamed = unnamed

    def count(self) -> int:
        return self.named + (1 if self.unnamed else 0)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[DepartmentRate]:
        start = index.start or 0
        stop = self.count() if index.stop is None else min(index.stop, self.count())
        rows: list[DepartmentRate] = []
        if start < self.named:
            page = list(
                Department.objects.filter(pk__in=self.recipients.values("department"))
                .order_by("code")
                .values_list("pk", "code", "name")[start : min(stop, self.named)]
            )
            figures = {
                row["department"]: row
                for row in self.recipients.filter(department__in=[pk for pk, _code, _name in page])
                .values("department")
                .annotate(**self.counts)
            }
            for pk, code, name in page:
                row = figures.get(pk, {"n": 0, "read": 0, "acked": 0, "on_time": 0})
                rows.append(DepartmentRate(pk, code, name, row["n"], row["read"], row["acked"], row["on_time"]))
        if self.unnamed and stop > self.named:
            row = self.recipients.filter(department__isnull=True).aggregate(**self.counts)
            rows.append(DepartmentRate(None, "", "—", row["n"], row["read"], row["acked"], row["on_time"]))
        return rows


def notice_read_rate(
    *, notice: Notice, department_ids: set[int] | None = None, department_code: str | None = None
) -> ReadRateReport:
    """The acknowledgement report: per department (the recipients' departments at publication), how
    many were asked, have read, have acknowledged (on time), and who has not acknowledged yet (of
    ``department_code`` only, when given). Only the rows of ``department_ids`` when given.

    Counting is done by the database, never in Python: the totals cost one query, the department
    narrowed to one more, and each page of departments two (three with the recipients without a
    department) and of people one, whatever the number of recipients."""
    recipients = NoticeRecipient.objects.filter(notice=notice).order_by()
    if department_ids is not None:
        recipients = recipients.filter(department__in=department_ids)
    on_time = Q(acknowledged_at__isnull=False)
    if notice.due_at is not None:
        on_time &= Q(acknowledged_at__lte=notice.due_at)
    counts = {
        "n": Count("pk"),
        "read": Count("pk", filter=Q(read_at__isnull=False)),
        "acked": Count("pk", filter=Q(acknowledged_at__isnull=False)),
        "on_time": Count("pk", filter=on_time),
    }
    figures = recipients.aggregate(
        **counts,
        departments=Count("department", distinct=True),
        without_department=Count("pk", filter=Q(department__isnull=True)),
    )
    total = DepartmentRate(None, "", "", figures["n"], figures["read"], figures["acked"], figures["on_time"])
    departments = DepartmentRows(
        recipients, counts, named=figures["departments"], unnamed=bool(figures["without_department"])
    )
    pending = recipients.filter(acknowledged_at__isnull=True)
    department = None
    if department_code is not None:
        found = (
            recipients.filter(department__code=department_code)
            .values("department", "department__code", "department__name")
            .annotate(**counts)
            .order_by("department")
            .first()
        )
        department = _rate(found) if found else None
        pending = pending.filter(department__code=department_code)
    waiting = department.pending if department else (0 if department_code is not None else total.pending)
    pending = (
        pending.select_related("person", "department")
        .only(*PENDING_FIELDS)
        .order_by("department__code", "person__name", "pk")
    )
    return ReadRateReport(notice, total, departments, department, Counted(pending, waiting))


def recent_with_acks(*, notices: QuerySet[Notice], limit: int = 10) -> list[Notice]:
    """The latest published (or withdrawn) notices requiring acknowledgement, with their counts (one query)."""
    return list(
        with_counts(notices.filter(requires_ack=True, published_at__isnull=False))
        .select_related("author")
        .order_by("-published_at", "-pk")[:limit]
    )
