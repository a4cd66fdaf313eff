"""The process figures of metrics.md ("Process figures"), as of an instant.

Counts are aggregated in the database, and so are the two working-time medians: the working time
of each interval is counted in SQL on the organization's materialised calendar
(``xietong.common.calendar``), and only the one or two middle values of each process leave the
database (``xietong.common.sql.middle_values``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.db.models import Count, F, IntegerField, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncMonth

from xietong.common.calendar import WorkingMicros, ensure_calendar
from xietong.common.sql import middle_values
from xietong.common.worktime import Schedule
from xietong.processes.models import Case, Process, ProcessVersion, Step, StepRun


def _live_runs(as_of: datetime) -> QuerySet[StepRun]:
    """Step runs that exist at ``as_of``: started at or before it, in a case not cancelled by then."""
    return StepRun.objects.filter(started_at__lte=as_of).exclude(
        case__state=Case.State.CANCELLED, case__closed_at__lte=as_of
    )


def process_figures(
    as_of: datetime, schedule: Schedule, *, process_ids: list[int] | None = None
) -> dict[str, dict[str, Any]]:
    """One entry per process (those without cases too), keyed by process code; only the given
    processes when ``process_ids`` is set."""
    chosen = Process.objects.all() if process_ids is None else Process.objects.filter(pk__in=process_ids)
    processes = list(chosen.order_by("code").values_list("pk", "code"))
    figures: dict[int, dict[str, Any]] = {
        pk: {
            "cases_total": 0,
            "cases_completed": 0,
            "steps_completed": 0,
            "steps_on_time": 0,
            "on_time_rate": None,
            "median_cycle_hours": None,
            "overdue_open_steps": 0,
            "bottleneck_step": None,
            "handoff_hours_median": None,
        }
        for pk, _code in processes
    }

    opened = Case.objects.filter(opened_at__lte=as_of)
    if process_ids is not None:
        opened = opened.filter(process__in=process_ids)
    earliest: list[datetime] = []  # the first instants the working-time medians may time
    for row in opened.values("process").annotate(n=Count("pk"), first=Min("opened_at")):
        figures[row["process"]]["cases_total"] = row["n"]
        earliest.append(row["first"])

    runs = _live_runs(as_of)
    if process_ids is not None:
        runs = runs.filter(case__process__in=process_ids)
    done = Q(completed_at__lte=as_of)
    # A case on hold has its clock stopped: its step is not overdue unless it already was when the
    # hold began (its due instant moves by the time paused when it resumes; metrics.md).
    paused = Q(case__state=Case.State.ON_HOLD, case__held_since__lte=as_of, due_at__gte=F("case__held_since"))
    step_counts = runs.values("case__process").annotate(
        completed=Count("pk", filter=done),
        on_time=Count("pk", filter=done & Q(completed_at__lte=F("due_at"))),
        overdue=Count("pk", filter=~done & Q(due_at__lt=as_of) & ~paused),
        first=Min("started_at"),
    )
    for row in step_counts:
        earliest.append(row["first"])
        entry = figures[row["case__process"]]
        entry["steps_completed"], entry["steps_on_time"] = row["completed"], row["on_time"]
        entry["overdue_open_steps"] = row["overdue"]
        if row["completed"]:
            entry["on_time_rate"] = row["on_time"] / row["completed"]

    _bottlenecks(figures, runs.filter(done), as_of)
    if earliest:  # else there is nothing to time (and no calendar to build)
        # Every instant timed lies between a case's opening or a step's start and as_of (a day either
        # side covers any local date); the calendar is read once, built only when it must grow.
        local = schedule.tz
        first_day = min(moment.astimezone(local).date() for moment in earliest) - timedelta(days=1)
        calendar = ensure_calendar(schedule, first_day, as_of.astimezone(local).date() + timedelta(days=1))
        _cases_completed(figures, opened, as_of, calendar)
        _handoffs(figures, runs, calendar)
    return {code: figures[pk] for pk, code in processes}


def _cases_completed(
    figures: dict[int, dict[str, Any]], opened: QuerySet[Case], as_of: datetime, calendar: str
) -> None:
    """Cases all of whose version steps completed by ``as_of``, and the median of their cycle
    (first step's start to last step's completion) in working hours; one query."""
    steps_in_version = (
        Step.objects.filter(version=OuterRef("version"))
        .order_by()
        .values("version")
        .annotate(n=Count("pk"))
        .values("n")
    )
    runs_done = (
        StepRun.objects.filter(case=OuterRef("pk"), completed_at__lte=as_of)
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # counted by subqueries, not a join and GROUP BY, so the window functions below rank plain rows
    completed = opened.annotate(
        done=Coalesce(Subquery(runs_done, output_field=IntegerField()), 0),
        total=Coalesce(Subquery(steps_in_version, output_field=IntegerField()), 0),
    ).filter(done=F("total"), total__gt=0)
    first_start = StepRun.objects.filter(case=OuterRef("pk")).order_by("position").values("started_at")[:1]
    last_end = StepRun.objects.filter(case=OuterRef("pk")).order_by("-position").values("completed_at")[:1]
    cycles = completed.annotate(start=Subquery(first_start), end=Subquery(last_end)).annotate(
        cycle_us=WorkingMicros("start", "end", calendar)
    )
    for (process,), middle in middle_values(cycles, partition=["process"], value="cycle_us").items():
        figures[process]["cases_completed"] = middle.size
        figures[process]["median_cycle_hours"] = middle.median_hours


def _bottlenecks(figures: dict[int, dict[str, Any]], completed_runs: QuerySet[StepRun], as_of: datetime) -> None:
    """The step code with the highest late share among codes with a late run (metrics.md)."""
    per_code = (
        completed_runs.values("case__process", "step__code")
        .annotate(completed=Count("pk"), late=Count("pk", filter=Q(completed_at__gt=F("due_at"))))
        .filter(late__gt=0)
    )
    candidates: dict[int, list[tuple[str, int, int]]] = {}
    for row in per_code:
        candidates.setdefault(row["case__process"], []).append((row["step__code"], row["late"], row["completed"]))
    if not candidates:
        return
    order = _current_step_order(list(candidates))
    for process, codes in candidates.items():
        positions = order.get(process, {})

        def tie_rank(item: tuple[str, int, int], positions: dict[str, int] = positions) -> tuple[Any, ...]:
            code, late, _completed = item
            # equal shares: the larger late, then the current version's order, then codes only in
            # older versions, in code order
            return (-late, code not in positions, positions.get(code, 0), code)

        # Shares compared exactly: late_a / completed_a vs late_b / completed_b, cross-multiplied.
        best = codes[0]
        for item in codes[1:]:
            lhs, rhs = item[1] * best[2], best[1] * item[2]
            if lhs > rhs or (lhs == rhs and tie_rank(item) < tie_rank(best)):
                best = item
        figures[process]["bottleneck_step"] = best[0]


def _current_step_order(process_ids: list[int]) -> dict[int, dict[str, int]]:
    current = (
        ProcessVersion.objects.filter(process=OuterRef("version__process"), published_at__isnull=False)
        .order_by("-number")
        .values("pk")[:1]
    )
    order: dict[int, dict[str, int]] = {}
    rows = Step.objects.filter(version__process__in=process_ids, version=Subquery(current)).values_list(
        "version__process", "code", "position"
    )
    for process, code, position in rows:
        order.setdefault(process, {})[code] = position
    return order


def _handoffs(figures: dict[int, dict[str, Any]], runs: QuerySet[StepRun], calendar: str) -> None:
    """Median working hours from a step's completion to the next step's start, over consecutive
    steps of a case with different responsible departments, the later one started by ``as_of``
    (``runs`` are those that exist at ``as_of``); one query."""
    # (case, position) is unique: no ordering (the default one would join the case to sort by it)
    previous = StepRun.objects.filter(case=OuterRef("case"), position=OuterRef("position") - 1).order_by()
    pairs = (
        runs.annotate(
            prev_completed=Subquery(previous.values("completed_at")[:1]),
            prev_responsible=Subquery(previous.values("responsible")[:1]),
        )
        .filter(prev_completed__isnull=False)
        .exclude(prev_responsible=F("responsible"))
        .annotate(handoff_us=WorkingMicros("prev_completed", "started_at", calendar))
    )
    for (process,), middle in middle_values(pairs, partition=["case__process"], value="handoff_us").items():
        figures[process]["handoff_hours_median"] = middle.median_hours


def process_series(process_id: int, as_of: datetime, tz: tzinfo) -> dict[str, list[dict[str, Any]]]:
    """The on-time rate of one process's completed step runs (as in ``on_time_rate`` above), by
    step code and by month of completion in ``tz`` (two queries, aggregated in the database).

    ``by_step`` is ordered by the earliest position a code has in any version, then code;
    ``by_month`` by month (``"YYYY-MM"``). Each row: completed, on_time, rate (null when none)."""
    done = _live_runs(as_of).filter(case__process_id=process_id, completed_at__lte=as_of)
    on_time = Count("pk", filter=Q(completed_at__lte=F("due_at")))
    by_step = (
        done.values("step__code")
        .annotate(completed=Count("pk"), on_time=on_time, first_position=Min("position"))
        .order_by("first_position", "step__code")
    )
    by_month = (
        done.annotate(month=TruncMonth("completed_at", tzinfo=tz))
        .values("month")
        .annotate(completed=Count("pk"), on_time=on_time)
        .order_by("month")
    )

    def row(completed: int, on_time: int, **key: Any) -> dict[str, Any]:
        return key | {"completed": completed, "on_time": on_time, "rate": on_time / completed if completed else None}

    return {
        "by_step": [row(r["completed"], r["on_time"], code=r["step__code"]) for r in by_step],
        "by_month": [row(r["completed"], r["on_time"], month=f"{r['month']:%Y-%m}") for r in by_month],
    }
