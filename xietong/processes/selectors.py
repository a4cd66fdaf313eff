"""Reads of processes and their versions that span relations; each costs a fixed number of queries."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as Case_
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from xietong.common.calendar import WorkingMicros, ensure_calendar, working_days
from xietong.common.sql import middle_values
from xietong.common.worktime import Schedule
from xietong.org.models import Department, Person
from xietong.org.permissions import is_admin, is_coordinator
from xietong.org.selectors import department_schedule
from xietong.processes.models import Case, CaseEvent, Process, ProcessVersion, Step, StepRun
from xietong.processes.permissions import user_department_ids


def current_versions(*, process_ids: Iterable[int] | None = None) -> dict[int, ProcessVersion]:
    """The current version of each process that has one: its highest-numbered published version.
    Keyed by process id (one query)."""
    qs = ProcessVersion.objects.filter(published_at__isnull=False).order_by("process_id", "number")
    if process_ids is not None:
        qs = qs.filter(process_id__in=list(process_ids))
    return {version.process_id: version for version in qs}  # the highest number comes last


def versions_with_steps(*, process_codes: Iterable[str]) -> QuerySet[ProcessVersion]:
    """Every version (published or draft) of these processes, with their steps in order, each step's
    responsible department and cooperating departments (three queries)."""
    steps = Step.objects.select_related("responsible").prefetch_related("cooperating").order_by("position")
    return (
        ProcessVersion.objects.filter(process__code__in=list(process_codes))
        .select_related("process")
        .prefetch_related(Prefetch("steps", queryset=steps))
        .order_by("process__code", "number")
    )


def published_steps(*, process_codes: Iterable[str]) -> dict[tuple[str, int], list[Step]]:
    """The steps of every published version of these processes, in order, keyed by
    (process code, version number); each step with its version and process (one query)."""
    rows = (
        Step.objects.filter(version__process__code__in=list(process_codes), version__published_at__isnull=False)
        .select_related("version__process")
        .order_by("version__process__code", "version__number", "position")
    )
    steps: dict[tuple[str, int], list[Step]] = {}
    for step in rows:
        steps.setdefault((step.version.process.code, step.version.number), []).append(step)
    return steps


# ── Cases, queues and hand-offs (the case pages) ────────────────────────────────────────────────

CASE_OPEN_STATES = (Case.State.RUNNING, Case.State.ON_HOLD)


def _running_run() -> QuerySet[StepRun]:
    """The running step run of the outer case (its steps run one at a time)."""
    return StepRun.objects.filter(case=OuterRef("pk"), completed_at__isnull=True).order_by("position")


def overdue_q(now: datetime, prefix: str = "") -> Q:
    """A running step past its due instant: for a case on hold the clock stopped when it was put on
    hold, so it is overdue only if it was already late then. ``prefix`` reaches the step run's fields
    (``""`` on StepRun, ``"current_"`` on the annotated case list)."""
    due, case = f"{prefix}due_at", "" if prefix else "case__"
    return Q(**{f"{case}state": Case.State.RUNNING, f"{due}__lt": now}) | Q(
        **{f"{case}state": Case.State.ON_HOLD, f"{due}__lt": F(f"{case}held_since")}
    )


def case_list(
    *,
    cases: QuerySet[Case],
    now: datetime,
    process_id: int | None = None,
    state: str | None = None,
    department_id: int | None = None,
    overdue: bool = False,
    annotate: bool = True,
) -> QuerySet[Case]:
    """The cases (already narrowed to what the user sees), newest first, each with its running step
    annotated (unless ``annotate`` is False, see :func:`with_running_step`).

    The filters on the running step are EXISTS on the step runs (the unique running run of an open
    case), not filters on the annotations, so the database need not compute the annotations of every
    case to pick a page: paginate the unannotated list and annotate only the page's rows."""
    qs = cases
    if process_id is not None:
        qs = qs.filter(process_id=process_id)
    if state:
        qs = qs.filter(state=state)
    if department_id is not None:
        qs = qs.filter(state__in=CASE_OPEN_STATES).filter(Exists(_running_run().filter(responsible_id=department_id)))
    if overdue:
        qs = qs.alias(
            has_late_step=Exists(_running_run().filter(due_at__lt=now)),
            held_late_step=Exists(_running_run().filter(due_at__lt=OuterRef("held_since"))),
        ).filter(Q(state=Case.State.RUNNING, has_late_step=True) | Q(state=Case.State.ON_HOLD, held_late_step=True))
    qs = qs.order_by("-opened_at", "-pk")
    return with_running_step(qs, now) if annotate else qs


def with_running_step(cases: QuerySet[Case], now: datetime) -> QuerySet[Case]:
    """The cases, each with its process and version and its running step annotated:
    ``current_step_name``, ``current_department_id``, ``current_department_name``, ``current_due_at``
    (None when the case is closed) and ``is_overdue``; one query."""
    running = _running_run().filter(case__state__in=CASE_OPEN_STATES)
    return (
        cases.select_related("process", "version")
        .annotate(
            current_step_name=Subquery(running.values("step__name")[:1]),
            current_department_id=Subquery(running.values("responsible_id")[:1]),
            current_department_name=Subquery(running.values("responsible__name")[:1]),
            current_due_at=Subquery(running.values("due_at")[:1]),
        )
        .annotate(
            is_overdue=Case_(
                When(Q(current_due_at__isnull=False) & overdue_q(now, "current_"), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )


def case_page(cases: QuerySet[Case], now: datetime) -> list[Case]:
    """The rows of one page of :func:`case_list` (``annotate=False``, sliced by the paginator),
    annotated by :func:`with_running_step`: one query, which picks the page's ids first (by the index
    on the order, skipping rows without computing anything for them) and annotates only those."""
    page_ids = cases.values("pk")
    return list(with_running_step(Case.objects.filter(pk__in=Subquery(page_ids)), now).order_by("-opened_at", "-pk"))


def case_runs(case: Case) -> QuerySet[StepRun]:
    """The step runs of a case in order, with their step, department and assignee (one query)."""
    return case.step_runs.select_related("step", "responsible", "assignee").order_by("position")


def case_steps(case: Case) -> QuerySet[Step]:
    """The steps of the version a case runs on, in order, with their responsible department (one query)."""
    return Step.objects.filter(version_id=case.version_id).select_related("responsible").order_by("position")


def case_timeline(case: Case, runs: list[StepRun]) -> list[CaseEvent]:
    """The case's events, oldest first (newest last), with who did them and on which step (one query).

    A case imported from a package has no recorded events: its timeline is then told by its step
    runs (opened, each step started and completed, the case completed), as unsaved events.
    """
    events = list(case.events.select_related("actor", "step_run__step").order_by("at", "pk"))
    if events:
        return events
    told = [CaseEvent(case=case, at=case.opened_at, kind=CaseEvent.Kind.OPENED)]
    for run in sorted(runs, key=lambda r: r.position):
        told.append(CaseEvent(case=case, at=run.started_at, kind=CaseEvent.Kind.STEP_STARTED, step_run=run))
        if run.completed_at is not None:
            told.append(CaseEvent(case=case, at=run.completed_at, kind=CaseEvent.Kind.STEP_COMPLETED, step_run=run))
    if case.state == Case.State.COMPLETED and case.closed_at is not None:
        told.append(CaseEvent(case=case, at=case.closed_at, kind=CaseEvent.Kind.COMPLETED))
    return told


def assignable_people(department_id: int) -> QuerySet[Person]:
    """The active people of a department, who may be assigned its steps."""
    return Person.objects.filter(department_id=department_id, is_active=True).order_by("name", "pk")


def work_queue(*, now: datetime, department_ids: Iterable[int] | None) -> QuerySet[StepRun]:
    """Running steps (of cases running or on hold) whose responsible department is one of
    ``department_ids`` (every department when None); overdue first, then by due instant. Each run
    with its case, process, step, department and assignee, and ``is_overdue`` (one query a page)."""
    qs = StepRun.objects.filter(completed_at__isnull=True, case__state__in=CASE_OPEN_STATES)
    if department_ids is not None:
        qs = qs.filter(responsible_id__in=list(department_ids))
    return (
        qs.select_related("case__process", "step", "responsible", "assignee")
        .annotate(
            is_overdue=Case_(When(overdue_q(now), then=Value(True)), default=Value(False), output_field=BooleanField())
        )
        .order_by("-is_overdue", "due_at", "pk")
    )


@dataclasses.dataclass(frozen=True)
class TimeLeft:
    """Working time until a due instant (``overdue`` False) or since it passed (``overdue`` True)."""

    overdue: bool
    working: timedelta
    day_length: timedelta

    @property
    def hours(self) -> float:
        return self.working / timedelta(hours=1)

    @property
    def days(self) -> float:
        return self.working / self.day_length if self.day_length else 0.0

    @property
    def text(self) -> str:
        """ "3.5 working hours" under one working day, else "1.3 working days"."""
        if self.day_length and self.working >= self.day_length:
            amount = _("{n} working days").format(n=f"{self.days:.1f}")
        else:
            amount = _("{n} working hours").format(n=f"{self.hours:.1f}")
        return _("{amount} overdue").format(amount=amount) if self.overdue else _("{amount} left").format(amount=amount)


def working_time_left(
    due_at: datetime, department_id: int, now: datetime, *, schedules: dict[int, Schedule] | None = None
) -> TimeLeft:
    """The working time left until ``due_at`` on the department's schedule, or how long it is
    overdue. ``schedules`` caches the schedule of each department across the rows of one page."""
    cache = schedules if schedules is not None else {}
    schedule = cache.get(department_id)
    if schedule is None:
        schedule = cache[department_id] = department_schedule(department_id)
    low, high = sorted((due_at, now))
    # the calendar of those years, built once per process: no loop over the days in between
    local = schedule.tz
    days = working_days(schedule, low.astimezone(local).date(), high.astimezone(local).date())
    working = days.working_time(low, high)
    if working is None:  # pragma: no cover - the calendar covers whole years around both instants
        working = schedule.working_time(low, high)
    return TimeLeft(due_at < now, working, schedule.day_length)


@dataclasses.dataclass(frozen=True)
class HandoffPair:
    """Hand-offs from one department to another: how many, and their median in working hours."""

    from_department: Department
    to_department: Department
    count: int
    median_hours: float


def handoff_pairs(*, since: datetime, schedule: Schedule) -> list[HandoffPair]:
    """Per (from department, to department): the hand-offs between consecutive steps of a case with
    different responsible departments, whose later step started at or after ``since``, timed in
    working hours on ``schedule`` (the organization's, metrics.md) from the earlier step's completion
    to the later step's start; sorted by median, longest first. Cancelled cases are left out, as in
    the process figures.

    Four queries: the range of instants to time, the calendar (:func:`ensure_calendar`, one query
    once built), the count and middle hand-off(s) of each pair (working time and median in SQL, by
    window functions) and the departments' names.
    """
    # (case, position) is unique: no ordering (the default one would join the case to sort by it)
    previous = StepRun.objects.filter(case=OuterRef("case"), position=OuterRef("position") - 1).order_by()
    rows = (
        StepRun.objects.filter(started_at__gte=since)
        .exclude(case__state=Case.State.CANCELLED)
        .annotate(
            prev_completed=Subquery(previous.values("completed_at")[:1]),
            prev_responsible=Subquery(previous.values("responsible")[:1]),
        )
        .filter(prev_completed__isnull=False)
        .exclude(prev_responsible=F("responsible"))
    )
    span = rows.aggregate(first=Min("prev_completed"), last=Max("started_at"))
    if span["first"] is None:
        return []
    local = schedule.tz
    calendar = ensure_calendar(
        schedule,
        min(span["first"], span["last"]).astimezone(local).date() - timedelta(days=1),
        max(span["first"], span["last"]).astimezone(local).date() + timedelta(days=1),
    )
    timed = rows.annotate(handoff_us=WorkingMicros("prev_completed", "started_at", calendar))
    middles = middle_values(timed, partition=["prev_responsible", "responsible"], value="handoff_us")
    ids = {pk for pair in middles for pk in pair}
    departments = Department.objects.in_bulk(ids)
    # the median as a timedelta (the mean of two middle values rounded to the microsecond), in hours
    pairs = [
        HandoffPair(
            departments[a],
            departments[b],
            middle.size,
            (timedelta(microseconds=middle.low) + timedelta(microseconds=middle.high)) / 2 / timedelta(hours=1),
        )
        for (a, b), middle in middles.items()
    ]
    return sorted(pairs, key=lambda p: (-p.median_hours, -p.count, p.from_department.code, p.to_department.code))


# ── The catalogue ──────────────────────────────────────────────────────────────────────────────


def _count(qs: QuerySet[Any], group: str) -> Coalesce:
    """COUNT(*) of ``qs`` per outer row, as a scalar subquery (no join fan-out)."""
    counted = qs.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def catalogue_processes(*, include_drafts: bool, now: datetime) -> QuerySet[Process]:
    """Processes with their owner, current version number and step count, whether they have a draft,
    and their cases open (running or on hold) and overdue now (running with a step past its due
    instant). Only processes with a published version unless ``include_drafts`` (one query)."""
    published = ProcessVersion.objects.filter(process=OuterRef("pk"), published_at__isnull=False).order_by("-number")
    draft = ProcessVersion.objects.filter(process=OuterRef("pk"), published_at__isnull=True)
    late_step = StepRun.objects.filter(case=OuterRef("pk"), completed_at__isnull=True, due_at__lt=now)
    qs = (
        Process.objects.select_related("owner")
        .annotate(
            current_pk=Subquery(published.values("pk")[:1]),
            current_number=Subquery(published.values("number")[:1]),
            has_draft=Exists(draft),
        )
        .annotate(
            step_count=_count(Step.objects.filter(version=OuterRef("current_pk")), "version"),
            open_cases=_count(Case.objects.filter(process=OuterRef("pk"), state__in=CASE_OPEN_STATES), "process"),
            overdue_cases=_count(
                Case.objects.filter(process=OuterRef("pk"), state=Case.State.RUNNING).filter(Exists(late_step)),
                "process",
            ),
        )
        .order_by("code")
    )
    if not include_drafts:
        qs = qs.filter(current_number__isnull=False)
    return qs


@dataclasses.dataclass
class Lane:
    """One department's row of the swimlane: for each step, "responsible", "cooperating" or ""."""

    department: Department
    cells: list[tuple[str, Step]]


def swimlane(steps: list[Step]) -> list[Lane]:
    """One lane per department involved (responsible or cooperating), in order of first appearance
    along the steps (responsible before cooperating within a step); one cell per step."""
    departments: dict[int, Department] = {}
    for step in steps:
        departments.setdefault(step.responsible_id, step.responsible)
        for department in sorted(step.cooperating.all(), key=lambda d: d.code):
            departments.setdefault(department.pk, department)
    lanes = []
    for pk, department in departments.items():
        cells = []
        for step in steps:
            if step.responsible_id == pk:
                role = "responsible"
            elif any(d.pk == pk for d in step.cooperating.all()):
                role = "cooperating"
            else:
                role = ""
            cells.append((role, step))
        lanes.append(Lane(department, cells))
    return lanes


def my_work_counts(user: Any, *, now: datetime) -> tuple[int, int]:
    """(running steps of my departments, how many of them are overdue): the start page's tile, one query.
    Coordinators and administrators see every department's work, as on "My work"."""
    department_ids = None if (is_coordinator(user) or is_admin(user)) else user_department_ids(user)
    if department_ids is not None and not department_ids:
        return 0, 0
    counts = (
        work_queue(now=now, department_ids=department_ids)
        .order_by()
        .aggregate(total=Count("pk"), overdue=Count("pk", filter=overdue_q(now)))
    )
    return counts["total"], counts["overdue"]
