"""The case selectors: the case list's running step, work queues, working time left, hand-offs."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from xietong.org.selectors import organization_schedule
from xietong.processes import selectors
from xietong.processes.models import Case
from xietong.processes.tests.factories import CaseFactory, ProcessVersionFactory, StepFactory, StepRunFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=TZ)  # a Tuesday


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def steps(world):
    """A version whose steps run at RD-HW, then RD, then RD again, then SALES."""
    version = ProcessVersionFactory()
    return [
        StepFactory(version=version, position=n, responsible=department)
        for n, department in enumerate((world.rd_hw, world.rd, world.rd, world.sales))
    ]


def running(step, ref, due, **case_fields):
    case = CaseFactory(version=step.version, ref=ref, **case_fields)
    StepRunFactory(case=case, step=step, started_at=at("2026-03-02T09:00"), due_at=at(due))
    return case


def test_case_list_annotates_the_running_step_and_filters_by_department_state_and_overdue(world, steps):
    # given
    running(steps[0], "LATE", "2026-03-09T18:00")
    running(steps[0], "FRESH", "2026-03-11T18:00")
    # on hold since before its due instant: its clock stopped in time, so it is not overdue
    running(steps[0], "HELD", "2026-03-09T18:00", state=Case.State.ON_HOLD, held_since=at("2026-03-09T10:00"))
    # on hold after it was already late: overdue
    running(steps[0], "HELD-LATE", "2026-03-05T18:00", state=Case.State.ON_HOLD, held_since=at("2026-03-06T10:00"))
    running(steps[1], "AT-RD", "2026-03-09T18:00")
    running(steps[0], "GONE", "2026-03-01T18:00", state=Case.State.CANCELLED, closed_at=at("2026-03-03T09:00"))
    every = Case.objects.all()

    def refs(**filters):
        return sorted(c.ref for c in selectors.case_list(cases=every, now=NOW, **filters))

    # then
    assert refs(overdue=True) == ["AT-RD", "HELD-LATE", "LATE"]
    assert refs(department_id=world.rd.pk) == ["AT-RD"]
    assert refs(state="on_hold") == ["HELD", "HELD-LATE"]
    assert refs(process_id=steps[0].version.process_id, department_id=world.rd_hw.pk, overdue=True) == [
        "HELD-LATE",
        "LATE",
    ]
    # a cancelled case has no current step, even though its last run never completed
    gone = selectors.case_list(cases=every, now=NOW).get(ref="GONE")
    assert (gone.current_step_name, gone.current_department_id, gone.current_due_at, gone.is_overdue) == (
        None,
        None,
        None,
        False,
    )
    late = selectors.case_list(cases=every, now=NOW).get(ref="LATE")
    assert (late.current_step_name, late.current_department_name, late.current_due_at) == (
        steps[0].name,
        "硬件研发部",
        at("2026-03-09T18:00"),
    )


def test_work_queue_puts_overdue_first_then_the_nearest_due_and_leaves_closed_cases_out(world, steps):
    # given
    running(steps[0], "LATER", "2026-03-12T18:00")
    running(steps[0], "SOON", "2026-03-10T18:00")
    running(steps[0], "LATE", "2026-03-09T18:00")
    running(steps[0], "VERY-LATE", "2026-03-03T18:00")
    running(steps[0], "HELD", "2026-03-09T18:00", state=Case.State.ON_HOLD, held_since=at("2026-03-09T10:00"))
    running(steps[0], "GONE", "2026-03-01T18:00", state=Case.State.CANCELLED, closed_at=at("2026-03-03T09:00"))
    running(steps[3], "SALES", "2026-03-01T18:00")
    # when
    queue = selectors.work_queue(now=NOW, department_ids={world.rd_hw.pk})
    # then
    assert [(r.case.ref, r.is_overdue) for r in queue] == [
        ("VERY-LATE", True),
        ("LATE", True),
        ("HELD", False),
        ("SOON", False),
        ("LATER", False),
    ]
    assert [r.case.ref for r in selectors.work_queue(now=NOW, department_ids=None)][:2] == ["SALES", "VERY-LATE"]


def test_working_time_left_counts_working_time_only(world):
    # when: Monday 17:00 → Tuesday 10:00 counts 17-18 and 09-10 only
    left = selectors.working_time_left(at("2026-03-03T10:00"), world.rd_hw.pk, at("2026-03-02T17:00"))
    late = selectors.working_time_left(at("2026-03-02T11:00"), world.rd_hw.pk, at("2026-03-04T14:00"))
    # then
    assert (left.overdue, left.working) == (False, timedelta(hours=2))
    # 11-12, 13-18 on Monday, 8h on Tuesday, 09-12 and 13-14 on Wednesday: 18h = 2.25 days
    assert (late.overdue, late.working, late.days) == (True, timedelta(hours=18), 2.25)


def test_handoff_pairs_give_the_median_per_department_pair_in_working_hours(world, steps):
    # given
    def case_with(ref, *runs, **fields):
        case = CaseFactory(version=steps[0].version, ref=ref, **fields)
        for position, started, completed in runs:
            StepRunFactory(
                case=case,
                step=steps[position],
                started_at=at(started),
                completed_at=at(completed) if completed else None,
            )

    # RD-HW → RD: 3h (Mon 10:00 → 14:00) and 2h (Tue 17:00 → Wed 10:00); RD → RD: not a hand-off;
    # RD → SALES: 9h (Wed 09:00 → Thu 10:00)
    case_with(
        "A",
        (0, "2026-03-02T09:00", "2026-03-02T10:00"),
        (1, "2026-03-02T14:00", "2026-03-02T15:00"),
        (2, "2026-03-02T16:00", "2026-03-04T09:00"),
        (3, "2026-03-05T10:00", None),
    )
    case_with("B", (0, "2026-03-03T09:00", "2026-03-03T17:00"), (1, "2026-03-04T10:00", None))
    # before the period, and in a cancelled case: left out
    case_with("OLD", (0, "2025-01-06T09:00", "2025-01-06T10:00"), (1, "2025-01-07T10:00", None))
    case_with(
        "GONE",
        (0, "2026-03-02T09:00", "2026-03-02T10:00"),
        (1, "2026-03-03T18:00", None),
        state=Case.State.CANCELLED,
    )
    # when
    pairs = selectors.handoff_pairs(since=at("2025-09-10T09:00"), schedule=organization_schedule())
    # then: the longest median first
    assert [(p.from_department.code, p.to_department.code, p.count, p.median_hours) for p in pairs] == [
        ("RD", "SALES", 1, 9.0),
        ("RD-HW", "RD", 2, 2.5),
    ]


def test_an_imported_case_without_events_is_told_by_its_step_runs(world):
    # given: a case as an import stores it: step runs, no events
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from xietong.processes.models import Case, Process, ProcessVersion, Step, StepRun
    from xietong.processes.selectors import case_timeline

    tz = ZoneInfo("Asia/Shanghai")
    process = Process.objects.create(code="IMP", name="导入流程")
    version = ProcessVersion.objects.create(process=process, number=1, published_at=datetime(2026, 1, 5, tzinfo=tz))
    step = Step.objects.create(
        version=version, position=0, code="I-1", name="登记", responsible=world.rd, time_limit="1h"
    )
    case = Case.objects.create(
        process=process,
        version=version,
        ref="A",
        opened_at=datetime(2026, 3, 2, 9, tzinfo=tz),
        state=Case.State.COMPLETED,
        closed_at=datetime(2026, 3, 2, 9, 30, tzinfo=tz),
    )
    run = StepRun.objects.create(
        case=case,
        step=step,
        position=0,
        responsible=world.rd,
        started_at=datetime(2026, 3, 2, 9, tzinfo=tz),
        due_at=datetime(2026, 3, 2, 10, tzinfo=tz),
        completed_at=datetime(2026, 3, 2, 9, 30, tzinfo=tz),
    )
    # when
    timeline = case_timeline(case, [run])
    # then
    assert [(e.kind, e.at.astimezone(tz).strftime("%H:%M")) for e in timeline] == [
        ("opened", "09:00"),
        ("step_started", "09:00"),
        ("step_completed", "09:30"),
        ("completed", "09:30"),
    ]
    assert all(e.pk is None for e in timeline)
