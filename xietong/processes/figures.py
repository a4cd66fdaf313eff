"""The process figures of metrics.md ("Process figures"), as of an instant.

Everything is aggregated in the database, in a fixed number of queries whatever the data, each
reading the step runs at most once: the counts per step (summed per process and per step code in
Python, a few rows a step), and both working-time medians in one pass over the runs in (case,
position) order, where window functions reach the neighbouring runs and the working time is a
difference of two lookups joined from the organization's calendar by date
(``xietong.common.calendar.WorkingDays``); only the middle values of each process leave the database
(``xietong.common.sql.middles_of_sql``). docs/performance.md tells the design.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.db import connections
from django.db.models import Count, F, Min, Q, QuerySet

from xietong.common.calendar import WorkingDays, instant_columns, working_days
from xietong.common.sql import LocalMonth, middles_of_sql
from xietong.common.worktime import Schedule
from xietong.processes.models import Case, Process, Step, StepRun


def _live_runs(as_of: datetime) -> QuerySet[StepRun]:
    """Step runs that exist at ``as_of``: started at or before it, in a case not cancelled by then."""
    return StepRun.objects.filter(started_at__lte=as_of).exclude(
        case__state=Case.State.CANCELLED, case__closed_at__lte=as_of
    )


def process_figures(
    as_of: datetime, schedule: Schedule, *, process_ids: list[int] | None = None
) -> dict[str, dict[str, Any]]:
    """One entry per process (those without cases too), keyed by process code; only the given
    processes when ``process_ids`` is set. Five queries at most: the processes, the cases per
    process, the step runs per step, the steps, and the two medians."""
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
    for row in opened.values("process").annotate(n=Count("pk"), first=Min("opened_at")).order_by():
        figures[row["process"]]["cases_total"] = row["n"]
        earliest.append(row["first"])

    runs = _live_runs(as_of)
    if process_ids is not None:
        runs = runs.filter(case__process__in=process_ids)
    done = Q(completed_at__lte=as_of)
    # A case on hold has its clock stopped: its step is not overdue unless it already was when the
    # hold began (its due instant moves by the time paused when it resumes; metrics.md).
    paused = Q(case__state=Case.State.ON_HOLD, case__held_since__lte=as_of, due_at__gte=F("case__held_since"))
    # per step (each belongs to one version of one process): one pass over the runs gives both the
    # process's counts and, summed per step code, the bottleneck's
    per_step = list(
        runs.values("step")
        .annotate(
            completed=Count("pk", filter=done),
            on_time=Count("pk", filter=done & Q(completed_at__lte=F("due_at"))),
            overdue=Count("pk", filter=~done & Q(due_at__lt=as_of) & ~paused),
            first=Min("started_at"),
        )
        .order_by()
    )
    if per_step:
        _step_figures(figures, per_step)
        earliest.extend(row["first"] for row in per_step)
    if earliest:  # else there is nothing to time
        # Every instant timed lies between a case's opening or a step's start and as_of (a day either
        # side covers any local date).
        local = schedule.tz
        first_day = min(moment.astimezone(local).date() for moment in earliest) - timedelta(days=1)
        days = working_days(schedule, first_day, as_of.astimezone(local).date() + timedelta(days=1))
        _medians(figures, as_of, days, process_ids)
    return {code: figures[pk] for pk, code in processes}


def _step_figures(figures: dict[int, dict[str, Any]], per_step: list[dict[str, Any]]) -> None:
    """Each process's step counts and bottleneck step code, from the counts of its steps; one query
    (the steps of those processes' versions: their codes, and the current version's order)."""
    steps = Step.objects.filter(version__process__in={*figures}, version__published_at__isnull=False).values_list(
        "pk", "code", "position", "version__process", "version__number"
    )
    step_of: dict[int, tuple[int, str]] = {}
    current: dict[int, tuple[int, dict[str, int]]] = {}  # process → (version number, code → position)
    for pk, code, position, process, number in steps:
        step_of[pk] = (process, code)
        seen = current.get(process)
        if seen is None or number > seen[0]:
            current[process] = seen = (number, {})
        if number == seen[0]:
            seen[1][code] = position
    # a run of a draft's step (a draft never runs, but be exact) is read from its own row
    missing = [row["step"] for row in per_step if row["step"] not in step_of]
    if missing:  # pragma: no cover - published versions are the only ones cases run on
        for pk, code, process in Step.objects.filter(pk__in=missing).values_list("pk", "code", "version__process"):
            step_of[pk] = (process, code)
    per_code: dict[int, dict[str, list[int]]] = {}  # process → code → [late, completed]
    for row in per_step:
        process, code = step_of[row["step"]]
        entry = figures[process]
        entry["steps_completed"] += row["completed"]
        entry["steps_on_time"] += row["on_time"]
        entry["overdue_open_steps"] += row["overdue"]
        counts = per_code.setdefault(process, {}).setdefault(code, [0, 0])
        counts[0] += row["completed"] - row["on_time"]  # completed and not on time: late
        counts[1] += row["completed"]
    for entry in figures.values():
        if entry["steps_completed"]:
            entry["on_time_rate"] = entry["steps_on_time"] / entry["steps_completed"]
    for process, codes in per_code.items():
        candidates = [(code, late, completed) for code, (late, completed) in sorted(codes.items()) if late]
        if candidates:
            _bottleneck(figures, process, candidates, current.get(process, (0, {}))[1])


def _bottleneck(
    figures: dict[int, dict[str, Any]], process: int, codes: list[tuple[str, int, int]], positions: dict[str, int]
) -> None:
    """The step code with the highest late share among ``codes`` ((code, late, completed), each with
    a late run; metrics.md); ``positions`` is the current version's order of codes."""

    def tie_rank(item: tuple[str, int, int]) -> tuple[Any, ...]:
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


def _medians(
    figures: dict[int, dict[str, Any]], as_of: datetime, days: WorkingDays, process_ids: list[int] | None
) -> None:
    """``cases_completed`` and ``median_cycle_hours``, and ``handoff_hours_median``; one query.

    One pass over the step runs started by ``as_of`` in (case, position) order (the unique index's):
    each run's start and completion become working time since the calendar's start, by joining their
    dates' rows of ``days`` (two lookups a run), and window functions over the case reach the
    neighbouring runs. A hand-off is a run's start minus the previous run's completion (metrics.md:
    consecutive steps, different responsible departments, the later started by ``as_of``, the case
    not cancelled by then); a case's cycle is its last run's completion minus its first run's start,
    when as many of its runs completed by ``as_of`` as its version has steps. Only the middle values
    leave the database."""
    using = Case.objects.db
    connection = connections[using]
    vendor, quote = connection.vendor, connection.ops.quote_name

    def col(model: Any, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    run, case, step = (quote(model._meta.db_table) for model in (StepRun, Case, Step))
    r_case, r_pos, r_resp = col(StepRun, "case"), col(StepRun, "position"), col(StepRun, "responsible")
    r_start, r_done = col(StepRun, "started_at"), col(StepRun, "completed_at")
    c_pk, c_version, c_process = col(Case, "id"), col(Case, "version"), col(Case, "process")
    c_opened, c_state, c_closed = col(Case, "opened_at"), col(Case, "state"), col(Case, "closed_at")
    s_version = col(Step, "version")
    where: list[str] = [f"r.{r_start} <= %s"]
    where_params: list[Any] = [as_of]
    if process_ids is not None:
        where.append(f"c.{c_process} IN ({', '.join(['%s'] * len(process_ids))})")
        where_params.extend(process_ids)
    # every run in (case, position) order, off the unique index; for some processes, their cases first
    # (SQLite's CROSS JOIN keeps that order of the loops; without statistics it would read every run)
    join = "CROSS JOIN" if vendor == "sqlite" else "INNER JOIN"
    source = f"{run} r {join} {case} c ON c.{c_pk} = r.{r_case}"
    if process_ids is not None:
        source = f"{case} c {join} {run} r ON r.{r_case} = c.{c_pk}"
    # and the number of steps of each case's version (a handful of rows, joined by version)
    source += (
        f" {join} (SELECT {s_version} AS version_id, COUNT(*) AS steps FROM {step} GROUP BY {s_version}) n"
        f" ON n.version_id = c.{c_version}"
    )
    # the runs, each instant as the key of its UTC date and its time of day (instant_columns), and
    # as flags: the case cancelled by as_of; the run completed by as_of in a case opened by then
    runs = (
        f"SELECT r.{r_case} AS case_id, r.{r_pos} AS position, r.{r_resp} AS responsible, "
        f"c.{c_process} AS process, n.steps AS steps, "
        f"CASE WHEN c.{c_state} = %s AND c.{c_closed} <= %s THEN 1 ELSE 0 END AS cancelled, "
        f"CASE WHEN r.{r_done} <= %s AND c.{c_opened} <= %s THEN 1 ELSE 0 END AS done, "
        f"{instant_columns(vendor, f'r.{r_start}', 'start')}, {instant_columns(vendor, f'r.{r_done}', 'end')} "
        f"FROM {source} WHERE {' AND '.join(where)}"
    )
    runs_params: list[Any] = [Case.State.CANCELLED, as_of, as_of, as_of, *where_params]
    # the working time from the calendar's start to each run's start and completion: each a lookup of
    # its date's row, joined (a hash join) on PostgreSQL; on SQLite a scalar subquery, which it serves
    # from an automatic index on the calendar (for joins, it would build one for only one of the two)
    if vendor == "sqlite":
        start_clock, end_clock = (
            f"(SELECT {days.clock_sql(vendor, 'd', f't.{name}_tod')} FROM working_days d WHERE d.day = t.{name}_day)"
            for name in ("start", "end")
        )
        joins = ""
    else:
        start_clock, end_clock = days.clock_sql(vendor, "ds", "t.start_tod"), days.clock_sql(vendor, "de", "t.end_tod")
        joins = " LEFT JOIN working_days ds ON ds.day = t.start_day LEFT JOIN working_days de ON de.day = t.end_day"
    # a derived table of its own (OFFSET 0), so each lookup runs once a run, not again for each window
    # function reading it; as narrow as can be, for the sort by (case, position)
    fence = "LIMIT -1 OFFSET 0" if vendor == "sqlite" else "OFFSET 0"
    clocked = (
        "SELECT t.case_id, t.position, t.responsible, t.process, t.steps, t.cancelled, t.done, "
        f"{start_clock} AS start_clock, {end_clock} AS end_clock FROM ({runs}) t{joins} "
        f"ORDER BY t.case_id, t.position {fence}"
    )
    # Every window function over the same window, so the database computes them in one sorted pass.
    # A case's runs follow its version's steps one after the other (positions 0, 1, …), each started
    # when the one before completed (services and import enforce it), so: the run before is the
    # previous step's; a case has completed all its steps by as_of when the run numbered as many as
    # its version's steps completed by then.
    w = "OVER (PARTITION BY case_id ORDER BY position)"
    neighbours = (
        "SELECT process, responsible, cancelled, steps, done, start_clock, end_clock, "
        f"LAG(end_clock) {w} AS prev_clock, LAG(responsible) {w} AS prev_responsible, "
        f"FIRST_VALUE(start_clock) {w} AS first_clock, ROW_NUMBER() {w} AS run_number FROM ({clocked}) u"
    )
    # each run gives at most a hand-off (kind 0) and a cycle (kind 1): one row per value, so the
    # medians rank the values in one sort, by (process, kind), and rows without a value are left out
    handoff = "cancelled = 0 AND prev_clock IS NOT NULL AND prev_responsible <> responsible"
    cycle = "done = 1 AND run_number = steps"
    values = (
        f"SELECT process, kind, CASE WHEN kind = 0 THEN start_clock - prev_clock ELSE end_clock - first_clock END "
        f"AS value FROM ({neighbours}) v CROSS JOIN (SELECT 0 AS kind UNION ALL SELECT 1 AS kind) k "
        f"WHERE (kind = 0 AND {handoff}) OR (kind = 1 AND {cycle})"
    )
    materialized = "MATERIALIZED " if vendor == "sqlite" else ""
    sql = f"WITH working_days AS {materialized}({days.table_sql(vendor)}) {values}"
    params = [days.payload(vendor), *runs_params]  # in the order of the placeholders
    found = middles_of_sql(sql, params, groups=["process", "kind"], values=["value"], using=using)["value"]
    for (process, kind), middle in found.items():
        if kind == 0:
            figures[process]["handoff_hours_median"] = middle.median_hours
        else:
            figures[process]["cases_completed"] = middle.size
            figures[process]["median_cycle_hours"] = middle.median_hours


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
        done.annotate(month=LocalMonth("completed_at", tz, until=as_of))
        .values("month")
        .annotate(completed=Count("pk"), on_time=on_time)
        .order_by("month")
    )

    def row(completed: int, on_time: int, **key: Any) -> dict[str, Any]:
        return key | {"completed": completed, "on_time": on_time, "rate": on_time / completed if completed else None}

    return {
        "by_step": [row(r["completed"], r["on_time"], code=r["step__code"]) for r in by_step],
        "by_month": [row(r["completed"], r["on_time"], month=r["month"]) for r in by_month],
    }
