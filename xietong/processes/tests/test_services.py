"""Running cases: open, complete, hold, resume, cancel, assign, and the SLA warnings."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.notify.models import Notification
from xietong.processes import services
from xietong.processes.models import Case, CaseEvent, Process, ProcessVersion, Step, StepRun

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def process(world):
    """ORDER: RD-HW designs (4h), SALES confirms (1d, RD cooperating)."""
    process = Process.objects.create(code="ORDER", name="订单交付")
    version = ProcessVersion.objects.create(process=process, number=1, published_at=at("2026-01-05T09:00"))
    Step.objects.create(
        version=version, position=0, code="O-1", name="方案设计", responsible=world.rd_hw, time_limit="4h"
    )
    confirm = Step.objects.create(
        version=version, position=1, code="O-2", name="客户确认", responsible=world.sales, time_limit="1d"
    )
    confirm.cooperating.add(world.rd)
    return process


def open_case(world, process, when="2026-03-02T09:00"):
    with clock.freeze(at(when)):
        return services.case_open(actor=world.employee, process=process, title="华东客户订单", ref="SO-1")


def test_opening_a_case_starts_its_first_step_with_working_time_deadlines(
    world, process, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        case = open_case(world, process, "2026-03-02T11:00")
    # then: 4h from Monday 11:00 across lunch → 16:00; 75% (3h) → 15:00
    run = case.step_runs.get()
    assert (run.step.code, run.started_at, run.due_at, run.warn_at) == (
        "O-1",
        at("2026-03-02T11:00"),
        at("2026-03-02T16:00"),
        at("2026-03-02T15:00"),
    )
    assert list(case.events.values_list("kind", flat=True)) == ["opened", "step_started"]
    # RD-HW has no head or liaison: its people hear of it
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["employee"]


def test_only_people_of_a_responsible_department_open_a_case(world, process):
    with pytest.raises(ApplicationError):
        services.case_open(actor=world.head, process=process, title="x")  # RD is only cooperating
    assert Case.objects.count() == 0


def test_completing_each_step_moves_the_case_to_the_end(world, process):
    # given
    case = open_case(world, process)
    # when
    with clock.freeze(at("2026-03-02T10:00")):
        services.step_complete(actor=world.employee, run=case.step_runs.get(), note="方案已发出")
    with clock.freeze(at("2026-03-03T10:00")):
        services.step_complete(actor=world.other_department, run=case.step_runs.get(position=1))
    # then
    case.refresh_from_db()
    assert (case.state, case.closed_at) == (Case.State.COMPLETED, at("2026-03-03T10:00"))
    assert [r.completed_at for r in case.step_runs.order_by("position")] == [
        at("2026-03-02T10:00"),
        at("2026-03-03T10:00"),
    ]
    assert list(case.events.values_list("kind", flat=True)) == [
        "opened",
        "step_started",
        "step_completed",
        "step_started",
        "step_completed",
        "completed",
    ]


def test_a_step_of_another_department_cannot_be_completed(world, process):
    case = open_case(world, process)
    with pytest.raises(ApplicationError):
        services.step_complete(actor=world.other_department, run=case.step_runs.get())
    assert case.step_runs.get().completed_at is None
    assert case.events.count() == 2


def test_the_assignee_may_complete_a_step_of_another_department(world, process):
    case = open_case(world, process)
    run = case.step_runs.get()
    services.step_assign(actor=world.coordinator, run=run, assignee=world.other_department)
    services.step_complete(actor=world.other_department, run=run)
    assert StepRun.objects.get(pk=run.pk).completed_at is not None


def test_a_finished_case_cannot_be_completed_again(world, process):
    case = open_case(world, process)
    run = case.step_runs.get()
    services.case_cancel(actor=world.employee, case=case, reason="客户撤单")
    with pytest.raises(ApplicationError):
        services.step_complete(actor=world.employee, run=run)
    assert StepRun.objects.get(pk=run.pk).completed_at is None


def test_hold_stops_the_clock_in_working_time(world, process):
    # given: opened Monday 09:00, due 13:00+1h = 14:00 (lunch), held 10:00 → resumed Tuesday 10:00
    case = open_case(world, process)
    with clock.freeze(at("2026-03-02T10:00")):
        services.case_hold(actor=world.employee, case=case, reason="等待客户图纸")
    with clock.freeze(at("2026-03-03T10:00")):
        services.case_resume(actor=world.employee, case=case)
    # then: 8h paused (Monday 10–18 minus lunch = 7h, Tuesday 09–10 = 1h) → due moves 8 working hours
    run = case.step_runs.get()
    assert run.due_at == at("2026-03-03T14:00")
    assert list(case.events.values_list("kind", flat=True))[-2:] == ["held", "resumed"]


def test_hold_needs_a_reason_and_a_running_case(world, process):
    case = open_case(world, process)
    with pytest.raises(ApplicationError):
        services.case_hold(actor=world.employee, case=case, reason=" ")
    with pytest.raises(ApplicationError):
        services.case_resume(actor=world.employee, case=case)
    case.refresh_from_db()
    assert case.state == Case.State.RUNNING


def test_someone_outside_the_case_cannot_cancel_it(world, process):
    case = open_case(world, process)
    with pytest.raises(ApplicationError):
        services.case_cancel(actor=world.other_department, case=case, reason="x")
    case.refresh_from_db()
    assert case.state == Case.State.RUNNING


def test_the_sla_tick_warns_and_flags_overdue_once_each(world, process, django_capture_on_commit_callbacks):
    # given: due Monday 14:00 (09:00 + 4h across lunch), warning at 12:00 (3h)
    case = open_case(world, process)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        at_warning = services.sla_tick(now=at("2026-03-02T12:00"))
        again = services.sla_tick(now=at("2026-03-02T12:30"))
        at_overdue = services.sla_tick(now=at("2026-03-02T14:00:01"))
        later = services.sla_tick(now=at("2026-03-03T09:00"))
    # then
    assert (at_warning, again, at_overdue, later) == (
        {"warned": 1, "overdue": 0},
        {"warned": 0, "overdue": 0},
        {"warned": 0, "overdue": 1},
        {"warned": 0, "overdue": 0},
    )
    assert case.events.filter(kind__in=[CaseEvent.Kind.STEP_WARNED, CaseEvent.Kind.STEP_OVERDUE]).count() == 2
    assert Notification.objects.filter(kind__in=["process.step_warned", "process.step_overdue"]).count() == 2


def test_a_step_found_overdue_is_not_also_warned(world, process):
    open_case(world, process)
    assert services.sla_tick(now=at("2026-03-03T09:00")) == {"warned": 0, "overdue": 1}
