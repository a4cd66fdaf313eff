"""The process figures of metrics.md on hand-computed cases."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from xietong.common.worktime import Schedule
from xietong.org.tests.factories import DepartmentFactory
from xietong.processes.figures import process_figures
from xietong.processes.models import Case, Process, ProcessVersion, Step, StepRun

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
SCHEDULE = Schedule.from_spec({"working_hours": ["09:00-12:00", "13:00-18:00"], "days": "cn"}, TZ)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def make_process(code: str, steps: list[tuple[str, object, str]], number: int = 1) -> ProcessVersion:
    process, _ = Process.objects.get_or_create(code=code, defaults={"name": code})
    version = ProcessVersion.objects.create(process=process, number=number, published_at=at("2026-01-01T09:00"))
    for position, (step_code, department, limit) in enumerate(steps):
        Step.objects.create(
            version=version, position=position, code=step_code, name=step_code, responsible=department, time_limit=limit
        )
    return version


def make_case(version: ProcessVersion, ref: str, runs: list[tuple[str, str, str | None]]) -> Case:
    """runs: (started_at, due_at, completed_at) of the first steps, in order."""
    case = Case.objects.create(process=version.process, version=version, ref=ref, opened_at=at(runs[0][0]))
    steps = list(version.steps.order_by("position"))
    for step, (started, due, completed) in zip(steps, runs, strict=False):
        StepRun.objects.create(
            case=case,
            step=step,
            position=step.position,
            responsible=step.responsible,
            started_at=at(started),
            due_at=at(due),
            completed_at=at(completed) if completed else None,
        )
    return case


@pytest.fixture
def complaint():
    cs, qa = DepartmentFactory(code="CS"), DepartmentFactory(code="QA")
    version = make_process("COMPLAINT", [("CP-1", cs, "4h"), ("CP-2", qa, "2d"), ("CP-3", cs, "1d")])
    # the worked example's case TS-0001 (due instants as computed by the import)
    make_case(
        version,
        "TS-0001",
        [
            ("2026-03-02T09:30", "2026-03-02T14:30", "2026-03-02T11:00"),
            ("2026-03-02T13:00", "2026-03-04T12:00", "2026-03-05T10:00"),
            ("2026-03-05T10:00", "2026-03-06T10:00", None),
        ],
    )
    return version


def test_the_worked_example_figures(complaint):
    # when
    figures = process_figures(at("2026-04-01T00:00"), SCHEDULE)
    # then: examples/demo-package.report-2026-04-01.json, processes.COMPLAINT
    assert figures == {
        "COMPLAINT": {
            "bottleneck_step": "CP-2",
            "cases_completed": 0,
            "cases_total": 1,
            "handoff_hours_median": 0.5,
            "median_cycle_hours": None,
            "on_time_rate": 0.5,
            "overdue_open_steps": 1,
            "steps_completed": 2,
            "steps_on_time": 1,
        }
    }


def test_only_what_happened_by_as_of_counts(complaint):
    # when: CP-2 is running and past its due instant (12:00), CP-3 has not started
    figures = process_figures(at("2026-03-04T13:00"), SCHEDULE)["COMPLAINT"]
    # then
    assert (figures["steps_completed"], figures["steps_on_time"], figures["overdue_open_steps"]) == (1, 1, 1)
    assert figures["bottleneck_step"] is None
    assert figures["handoff_hours_median"] == 1.0  # 11:00 → 13:00 across lunch
    # and before the case was opened nothing exists
    assert process_figures(at("2026-03-02T09:00"), SCHEDULE)["COMPLAINT"]["cases_total"] == 0


def test_a_step_due_exactly_at_as_of_is_not_overdue(complaint):
    figures = process_figures(at("2026-03-04T12:00"), SCHEDULE)["COMPLAINT"]
    assert figures["overdue_open_steps"] == 0


def test_completed_cases_give_the_median_cycle_in_working_hours():
    # given: two complete cases of a one-step process, one across the Spring Festival
    rd = DepartmentFactory(code="RD")
    version = make_process("NPI", [("N-1", rd, "1d")])
    make_case(version, "A", [("2026-03-02T09:00", "2026-03-02T18:00", "2026-03-02T17:00")])  # 7h
    # Friday 13 Feb 17:00 → Saturday 14 Feb (make-up day) 10:00: 1h + 1h = 2h
    make_case(version, "B", [("2026-02-13T17:00", "2026-02-14T17:00", "2026-02-14T10:00")])
    # when
    figures = process_figures(at("2026-04-01T00:00"), SCHEDULE)["NPI"]
    # then
    assert figures["cases_completed"] == 2
    assert figures["median_cycle_hours"] == 4.5
    assert figures["on_time_rate"] == 1.0
    assert figures["handoff_hours_median"] is None  # one step: no hand-off


def test_a_cancelled_case_has_no_hand_offs_and_its_runs_do_not_count():
    # given: hand-offs from CS to QA of 1 hour (A: Monday 11:00 → 12:00) and 3 working hours (B and C:
    # 10:00 → 14:00 over lunch), C cancelled on Tuesday
    cs, qa = DepartmentFactory(code="CS"), DepartmentFactory(code="QA")
    version = make_process("H", [("H-1", cs, "1d"), ("H-2", qa, "1d")])
    make_case(
        version,
        "A",
        [("2026-03-02T09:00", "2026-03-02T18:00", "2026-03-02T11:00"), ("2026-03-02T12:00", "2026-03-03T12:00", None)],
    )
    make_case(
        version,
        "B",
        [("2026-03-02T09:00", "2026-03-02T18:00", "2026-03-02T10:00"), ("2026-03-02T14:00", "2026-03-03T14:00", None)],
    )
    gone = make_case(
        version,
        "C",
        [("2026-03-02T09:00", "2026-03-02T18:00", "2026-03-02T10:00"), ("2026-03-02T14:00", "2026-03-03T14:00", None)],
    )
    Case.objects.filter(pk=gone.pk).update(state=Case.State.CANCELLED, closed_at=at("2026-03-03T09:00"))
    # when
    before, after = (process_figures(at(moment), SCHEDULE)["H"] for moment in ("2026-03-02T20:00", "2026-03-04T09:00"))
    # then: before the cancellation, the median of 1h, 3h, 3h; after it, of 1h and 3h (C is gone)
    assert (before["handoff_hours_median"], before["steps_completed"]) == (3.0, 3)
    assert (after["handoff_hours_median"], after["steps_completed"]) == (2.0, 2)
    assert after["cases_total"] == 3  # opened, even if cancelled since


def test_the_hand_off_median_of_an_even_count_is_the_mean_of_the_middle_two():
    # given: hand-offs of 1h and 2h
    cs, qa = DepartmentFactory(code="CS"), DepartmentFactory(code="QA")
    version = make_process("E", [("E-1", cs, "1d"), ("E-2", qa, "1d")])
    make_case(
        version,
        "A",
        [("2026-03-02T09:00", "2026-03-02T18:00", "2026-03-02T10:00"), ("2026-03-02T11:00", "2026-03-03T12:00", None)],
    )
    make_case(
        version,
        "B",
        [("2026-03-02T09:00", "2026-03-02T18:00", "2026-03-02T10:00"), ("2026-03-02T14:00", "2026-03-03T14:00", None)],
    )
    # when: 10:00 → 11:00 is 1h; 10:00 → 14:00 is 3h of working time (lunch 12-13)
    figures = process_figures(at("2026-03-04T09:00"), SCHEDULE)["E"]
    # then
    assert figures["handoff_hours_median"] == 2.0


def test_a_process_without_cases_has_zero_counts_and_null_figures():
    make_process("EMPTY", [("E-1", DepartmentFactory(code="X"), "1h")])
    assert process_figures(at("2026-04-01T00:00"), SCHEDULE)["EMPTY"] == {
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


def test_bottleneck_ties_go_to_the_larger_late_count_then_the_step_order():
    # given: S-2 late 1 of 2 (share 1/2), S-1 late 2 of 4 (share 1/2, larger late), S-3 late 1 of 2
    a, b = DepartmentFactory(code="A"), DepartmentFactory(code="B")
    version = make_process("P", [("S-1", a, "1h"), ("S-2", b, "1h"), ("S-3", a, "1h")])
    slots = [("09:00", "10:00"), ("11:00", "12:00"), ("14:00", "15:00")]  # (start, due) of each step

    def run(step: int, is_late: bool) -> tuple[str, str, str]:
        start, due = slots[step]
        done = "10:59" if step == 0 and is_late else f"{due[:2]}:30" if is_late else f"{start[:2]}:30"
        return (f"2026-03-02T{start}", f"2026-03-02T{due}", f"2026-03-02T{done}")

    plans = [(True, True, True), (True, False, False), (False,), (False,)]
    for n, plan in enumerate(plans):
        make_case(version, f"C{n}", [run(step, is_late) for step, is_late in enumerate(plan)])
    # when
    figures = process_figures(at("2026-04-01T00:00"), SCHEDULE)["P"]
    # then
    assert figures["bottleneck_step"] == "S-1"


def test_equal_shares_and_counts_go_to_the_step_that_comes_first():
    a = DepartmentFactory(code="A")
    version = make_process("Q", [("Q-1", a, "1h"), ("Q-2", a, "1h")])
    make_case(
        version,
        "C",
        [
            ("2026-03-02T09:00", "2026-03-02T10:00", "2026-03-02T11:00"),
            ("2026-03-02T11:00", "2026-03-02T12:00", "2026-03-02T14:00"),
        ],
    )
    assert process_figures(at("2026-04-01T00:00"), SCHEDULE)["Q"]["bottleneck_step"] == "Q-1"


def test_the_figures_cost_a_fixed_number_of_queries(complaint, django_assert_num_queries):
    # given: many more cases
    for n in range(20):
        make_case(complaint, f"X{n}", [("2026-03-02T09:30", "2026-03-02T14:30", "2026-03-02T15:00")])
    # then: the processes, the cases per process, the runs per step, the steps, the two medians (the
    # calendar is built in memory and joined as a parameter: no query of its own)
    with django_assert_num_queries(5):
        process_figures(at("2026-04-01T00:00"), SCHEDULE)


def test_a_step_on_hold_is_not_overdue_unless_it_already_was(complaint):
    # given: TS-0001's running step CP-3 (due 2026-03-06 10:00) put on hold before its deadline
    case = Case.objects.get(ref="TS-0001")
    Case.objects.filter(pk=case.pk).update(state=Case.State.ON_HOLD, held_since=at("2026-03-06T09:00"))
    # then: the clock stopped
    assert process_figures(at("2026-04-01T00:00"), SCHEDULE)["COMPLAINT"]["overdue_open_steps"] == 0
    # and a hold that began after the deadline does not hide the overdue step
    Case.objects.filter(pk=case.pk).update(held_since=at("2026-03-06T11:00"))
    assert process_figures(at("2026-04-01T00:00"), SCHEDULE)["COMPLAINT"]["overdue_open_steps"] == 1
