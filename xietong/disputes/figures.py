"""The dispute figures of metrics.md ("Dispute figures"), as of an instant.

Counts are aggregated in the database, and so is the median resolution time: the working time of
each resolved dispute is counted in SQL on the organization's materialised calendar
(``xietong.common.calendar``) and only the one or two middle values leave the database
(``xietong.common.sql.middle_values``).

The timeline is the record: every level change is an event (``escalate`` or ``auto_escalate``), and a
stored dispute is complete up to its last escalation event (the escalation engine records automatic
escalations at their instants; a service acting on a dispute applies those already due first; an
import records those its records imply). What can be missing at ``as_of`` are the automatic
escalations due at or before ``as_of`` that are not recorded yet (the tick runs up to a minute late,
or ``as_of`` lies in the future): they are derived, for the disputes open at ``as_of`` whose last
escalation event (if any) lies at or before ``as_of`` and whose kept due instant has passed by then.
Only those few disputes are walked in Python.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.db.models import Case, Count, Exists, F, IntegerField, Min, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, TruncMonth

from xietong.common.calendar import WorkingMicros, ensure_calendar
from xietong.common.sql import middle_values
from xietong.common.worktime import Schedule
from xietong.disputes.models import Dispute, DisputeEvent, LadderLevel
from xietong.org.selectors import organization_schedule

ESCALATIONS = (DisputeEvent.Kind.ESCALATE, DisputeEvent.Kind.AUTO_ESCALATE)


def _open_at(as_of: datetime) -> QuerySet[Dispute]:
    """Disputes that exist at ``as_of`` and are not closed by then."""
    return Dispute.objects.filter(opened_at__lte=as_of).exclude(closed_at__lte=as_of)


def _level_count() -> Coalesce:
    counted = (
        LadderLevel.objects.filter(ladder=OuterRef("ladder"))
        .order_by()
        .values("ladder")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def dispute_figures(as_of: datetime, schedule: Schedule | None = None) -> dict[str, Any]:
    """metrics.md's ``disputes`` section as of ``as_of`` (on the organization's schedule)."""
    schedule = schedule or organization_schedule()
    figures: dict[str, Any] = {
        "total": 0,
        "resolved": 0,
        "withdrawn": 0,
        "resolved_at_level_1": 0,
        "escalations": 0,
        "auto_escalations": 0,
        "median_resolution_working_days": None,
        "open_overdue": 0,
        "open_by_level": {},
    }
    opened = Dispute.objects.filter(opened_at__lte=as_of)
    closed = Q(closed_at__lte=as_of)
    counts = opened.aggregate(
        total=Count("pk"),
        resolved=Count("pk", filter=closed & Q(state=Dispute.State.RESOLVED)),
        withdrawn=Count("pk", filter=closed & Q(state=Dispute.State.WITHDRAWN)),
        first=Min("opened_at"),
    )
    if not counts["total"]:
        return figures
    figures.update({k: counts[k] for k in ("total", "resolved", "withdrawn")})
    events = DisputeEvent.objects.filter(at__lte=as_of).aggregate(
        resolved_at_level_1=Count("pk", filter=Q(kind=DisputeEvent.Kind.RESOLVE, level=1)),
        escalations=Count("pk", filter=Q(kind__in=ESCALATIONS)),
        auto_escalations=Count("pk", filter=Q(kind=DisputeEvent.Kind.AUTO_ESCALATE)),
    )
    figures.update(events)
    _open_levels(figures, as_of, schedule)
    if figures["resolved"]:
        figures["median_resolution_working_days"] = _median_resolution(as_of, schedule, counts["first"])
    return figures


def _open_levels(figures: dict[str, Any], as_of: datetime, schedule: Schedule) -> None:
    """``open_by_level`` and ``open_overdue``, with the automatic escalations due by ``as_of`` that are
    not recorded yet (added to ``escalations`` and ``auto_escalations``). Three queries: the counts by
    level, aggregated in the database; the disputes whose escalations must be derived; their ladders'
    time limits (none without such disputes)."""
    last_escalation = DisputeEvent.objects.filter(dispute=OuterRef("pk"), kind__in=ESCALATIONS, at__lte=as_of).order_by(
        "-at", "-pk"
    )
    later_escalation = DisputeEvent.objects.filter(dispute=OuterRef("pk"), kind__in=ESCALATIONS, at__gt=as_of)
    # Open at as_of. With an escalation event after as_of, the record is complete up to it: its level
    # at as_of is that of its last escalation event by then (or 1), and nothing is derived. Without
    # one, the kept level and due instant are its state at as_of, and the escalations due by as_of
    # from there are derived (the few disputes for which the tick has not run yet, or a future as_of).
    annotated = _open_at(as_of).annotate(
        escalated_later=Exists(later_escalation),
        level_count=_level_count(),
    )
    derive = Q(escalated_later=False, due_at__lte=as_of, level__lt=F("level_count"))
    counted = (
        annotated.exclude(derive)
        .annotate(
            level_at=Case(
                When(
                    escalated_later=True,
                    then=Coalesce(Subquery(last_escalation.values("level")[:1]), Value(1)),
                ),
                default=F("level"),
                output_field=IntegerField(),
            )
        )
        .order_by()
        .values("level_at")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=Q(escalated_later=False, level__gte=F("level_count"), due_at__lt=as_of)),
        )
    )
    by_level: dict[int, int] = {}
    for row in counted:
        by_level[row["level_at"]] = row["n"]
        figures["open_overdue"] += row["overdue"]
    to_derive = list(annotated.filter(derive).values("ladder", "level", "due_at"))
    if to_derive:
        limits: dict[int, dict[int, str]] = {}
        for ladder_id, number, limit in LadderLevel.objects.filter(
            ladder__in={row["ladder"] for row in to_derive}
        ).values_list("ladder", "number", "time_limit"):
            limits.setdefault(ladder_id, {})[number] = limit
        for row in to_derive:
            level, due = row["level"], row["due_at"]
            ladder_limits = limits[row["ladder"]]
            # an automatic escalation due exactly at as_of has happened (metrics.md)
            while due <= as_of and level + 1 in ladder_limits:
                level += 1
                due = schedule.due(due, ladder_limits[level])
                figures["escalations"] += 1
                figures["auto_escalations"] += 1
            by_level[level] = by_level.get(level, 0) + 1
            if level + 1 not in ladder_limits and as_of > due:
                figures["open_overdue"] += 1
    figures["open_by_level"] = {str(level): by_level[level] for level in sorted(by_level)}


def _median_resolution(as_of: datetime, schedule: Schedule, first: datetime) -> float | None:
    """The median of working days from opening to resolution, over disputes resolved by ``as_of``."""
    local = schedule.tz
    calendar = ensure_calendar(
        schedule,
        first.astimezone(local).date() - timedelta(days=1),
        as_of.astimezone(local).date() + timedelta(days=1),
    )
    resolved = Dispute.objects.filter(state=Dispute.State.RESOLVED, closed_at__lte=as_of).annotate(
        everything=Value(1, output_field=IntegerField()),
        resolution_us=WorkingMicros("opened_at", "closed_at", calendar),
    )
    middles = middle_values(resolved, partition=["everything"], value="resolution_us")
    middle = middles.get((1,))
    if middle is None:
        return None
    day_us = schedule.day_length // timedelta(microseconds=1)
    return (middle.low + middle.high) / (2 * day_us)


def dispute_series(as_of: datetime, tz: tzinfo | None = None, *, months: int = 12) -> list[dict[str, Any]]:
    """Month by month (in ``tz``, the organization's by default) up to ``as_of``, the last ``months``
    months: disputes raised, resolved, and escalations recorded (manual and automatic). Three queries,
    aggregated in the database. Each row: ``{"month": "YYYY-MM", "raised", "resolved", "escalations"}``."""
    tz = tz or organization_schedule().tz
    local = as_of.astimezone(tz)
    year, month = local.year, local.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    start = local.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)
    keys: list[str] = []
    y, m = year, month
    for _n in range(months):
        keys.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    rows = {key: {"month": key, "raised": 0, "resolved": 0, "escalations": 0} for key in keys}

    def add(queryset: QuerySet[Any], field: str, column: str) -> None:
        monthly = (
            queryset.annotate(month=TruncMonth(field, tzinfo=tz)).values("month").annotate(n=Count("pk")).order_by()
        )
        for row in monthly:
            key = f"{row['month'].astimezone(tz):%Y-%m}" if row["month"].tzinfo else f"{row['month']:%Y-%m}"
            if key in rows:
                rows[key][column] += row["n"]

    add(Dispute.objects.filter(opened_at__gte=start, opened_at__lte=as_of), "opened_at", "raised")
    add(
        Dispute.objects.filter(state=Dispute.State.RESOLVED, closed_at__gte=start, closed_at__lte=as_of),
        "closed_at",
        "resolved",
    )
    add(DisputeEvent.objects.filter(kind__in=ESCALATIONS, at__gte=start, at__lte=as_of), "at", "escalations")
    return [rows[key] for key in keys]
