"""The case pages: list, case page and its actions, opening a case, my work, hand-offs.

The role × route statuses are in route_matrix_cases.py; these tests check what the pages do and show,
and that the list pages cost a fixed number of queries whatever the number of cases.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from xietong.common import clock
from xietong.processes.models import Case, CaseEvent, StepRun
from xietong.processes.tests.factories import CaseFactory, StepRunFactory
from xietong.processes.tests.route_matrix_cases import hw_case, hw_process, sales_case, sales_process
from xietong.processes.views import cases as cases_views

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def zh(message: str, **values: Any) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(message).format(**values)


def messages_of(response: Any) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def case_snapshot(case: Case) -> tuple[Any, ...]:
    return (
        Case.objects.filter(pk=case.pk).values_list("state", "closed_at", "held_since").get(),
        list(StepRun.objects.filter(case=case).order_by("position").values_list("completed_at", "assignee", "due_at")),
        CaseEvent.objects.filter(case=case).count(),
    )


# ── Opening and completing ──────────────────────────────────────────────────────────────────────


def test_a_case_opened_on_the_page_runs_step_by_step_to_completion(client, world):
    # given: HW-FIX (RD-HW diagnoses, RD reviews)
    process = hw_process(world)
    client.force_login(world.employee)
    # when: an RD-HW employee opens a case
    with clock.freeze(at("2026-03-02T09:00")):
        response = client.post(
            reverse("processes:case_open", args=[process.pk]),
            {"title": "主板烧毁", "ref": "HW-7", "description": "客户退回"},
        )
    # then: it runs its first step and the browser goes to its page
    case = Case.objects.get(process=process)
    assert response.status_code == 302
    assert response["Location"] == reverse("processes:case_detail", args=[case.pk])
    assert (case.ref, case.title, case.description, case.opened_by_id) == (
        "HW-7",
        "主板烧毁",
        "客户退回",
        world.employee.pk,
    )

    # when: RD-HW completes the first step, then RD (its head) the second
    with clock.freeze(at("2026-03-02T11:00")):
        first = client.post(reverse("processes:step_complete", args=[case.pk]), {"note": "电源模块损坏"})
    client.force_login(world.head)
    with clock.freeze(at("2026-03-02T14:00")):
        second = client.post(reverse("processes:step_complete", args=[case.pk]), {"note": "同意更换"})

    # then: the case is completed, each step with its output
    assert (first.status_code, second.status_code) == (302, 302)
    case.refresh_from_db()
    assert (case.state, case.closed_at) == (Case.State.COMPLETED, at("2026-03-02T14:00"))
    assert list(case.step_runs.order_by("position").values_list("output_note", "completed_at")) == [
        ("电源模块损坏", at("2026-03-02T11:00")),
        ("同意更换", at("2026-03-02T14:00")),
    ]
    assert list(case.events.order_by("at", "pk").values_list("kind", flat=True)) == [
        "opened",
        "step_started",
        "step_completed",
        "step_started",
        "step_completed",
        "completed",
    ]
    # and: the case page shows it completed, both steps on time, with no action left
    page = client.get(reverse("processes:case_detail", args=[case.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-state="completed"' in html
    assert html.count(zh("on time")) == 2
    assert 'id="case-actions"' not in html


def test_a_refused_completion_changes_nothing_and_shows_the_services_message(client, world):
    # given: a case whose running step belongs to RD-HW
    with clock.freeze(at("2026-03-02T09:00")):
        case = hw_case(world)
    before = case_snapshot(case)
    client.force_login(world.head)  # RD sees the case but does not run RD-HW's step
    # when
    response = client.post(reverse("processes:step_complete", args=[case.pk]), {"note": "越权"})
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("processes:case_detail", args=[case.pk])
    assert case_snapshot(case) == before
    assert messages_of(response) == [
        (
            "error",
            zh("Only the people of {department} or the step's assignee complete this step.", department="硬件研发部"),
        )
    ]


def test_opening_a_case_with_a_used_reference_shows_the_error_and_opens_nothing(client, world):
    # given
    case = hw_case(world)
    client.force_login(world.employee)
    # when
    response = client.post(reverse("processes:case_open", args=[case.process_id]), {"title": "重复", "ref": "HW-1"})
    # then
    assert response.status_code == 200
    assert Case.objects.count() == 1
    assert response.context["form"].errors == {"ref": [zh("Already used.")]}


def test_the_case_page_offers_only_the_actions_the_person_may_take(client, world):
    # given: a running case opened by the coordinator, its step run by RD-HW
    case = hw_case(world)
    url = reverse("processes:case_detail", args=[case.pk])
    forms = ("complete-form", "assign-form", "hold-form", "resume-form", "cancel-form")

    def offered(user: Any) -> list[str]:
        client.force_login(user)
        html = client.get(url).content.decode()
        return [form for form in forms if f'id="{form}"' in html]

    # then: RD-HW completes; RD's head and the coordinator (who opened it) steer; the admin steers
    assert offered(world.employee) == ["complete-form"]
    assert offered(world.head) == ["assign-form", "hold-form", "cancel-form"]
    assert offered(world.coordinator) == ["assign-form", "hold-form", "cancel-form"]
    assert offered(world.admin) == ["assign-form", "hold-form", "cancel-form"]


def test_the_head_assigns_holds_and_resumes_and_the_clock_stops_while_on_hold(client, world):
    # given: a case opened Monday 09:00; its first step (1d) is due Monday 18:00
    with clock.freeze(at("2026-03-02T09:00")):
        case = hw_case(world)
    run = case.step_runs.get()
    assert run.due_at == at("2026-03-02T18:00")
    client.force_login(world.head)
    # when: RD's head assigns it, holds it at 10:00 and resumes it at 15:00 (4 working hours later)
    client.post(reverse("processes:step_assign", args=[case.pk]), {"assignee": world.employee.pk})
    with clock.freeze(at("2026-03-02T10:00")):
        client.post(reverse("processes:case_hold", args=[case.pk]), {"reason": "等待备件"})
    with clock.freeze(at("2026-03-02T15:00")):
        resumed = client.post(reverse("processes:case_resume", args=[case.pk]))
    # then: assigned, running again, and due 4 working hours later (Tuesday 09-12, 13-14)
    run.refresh_from_db()
    case.refresh_from_db()
    assert run.assignee_id == world.employee.pk
    assert (case.state, case.held_since) == (Case.State.RUNNING, None)
    assert run.due_at == at("2026-03-03T14:00")
    assert messages_of(resumed)[-1] == ("success", zh("The case runs again."))


def test_assigning_someone_outside_the_steps_department_is_refused(client, world):
    # given
    case = hw_case(world)
    before = case_snapshot(case)
    client.force_login(world.coordinator)
    # when: SALES's person is not among RD-HW's people
    response = client.post(reverse("processes:step_assign", args=[case.pk]), {"assignee": world.other_department.pk})
    # then
    assert response.status_code == 302
    assert case_snapshot(case) == before
    assert [level for level, _text in messages_of(response)] == ["error"]


def test_cancelling_without_a_reason_is_refused_with_the_services_message(client, world):
    # given
    case = hw_case(world)
    before = case_snapshot(case)
    client.force_login(world.coordinator)
    # when
    response = client.post(reverse("processes:case_cancel", args=[case.pk]), {"reason": "  "})
    # then
    assert case_snapshot(case) == before
    assert messages_of(response) == [("error", zh("Say why the case is cancelled."))]


# ── Lists: the case list and my work ────────────────────────────────────────────────────────────


def overdue_and_fresh(world: Any) -> tuple[Case, Case]:
    """Two HW-FIX cases at RD-HW's first step: one due long ago, one due far ahead."""
    process = hw_process(world)
    version = process.versions.get()
    first = version.steps.get(position=0)
    late = CaseFactory(version=version, ref="LATE", title="逾期的")
    StepRunFactory(case=late, step=first, started_at=at("2026-03-02T09:00"), due_at=at("2026-03-02T18:00"))
    fresh = CaseFactory(version=version, ref="FRESH", title="新的")
    StepRunFactory(case=fresh, step=first, started_at=at("2026-03-09T09:00"), due_at=at("2026-03-10T18:00"))
    return late, fresh


def test_the_case_list_highlights_overdue_cases_and_filters_them(client, world):
    # given: at Tuesday 2026-03-10 09:00, LATE is 5 working days overdue and FRESH has one left
    overdue_and_fresh(world)
    sales_case(world)
    client.force_login(world.employee)
    # when
    with clock.freeze(at("2026-03-10T09:00")):
        everything = client.get(reverse("processes:case_list"))
        overdue = client.get(reverse("processes:case_list"), {"overdue": "1"})
    # then: the employee sees RD-HW's cases only (not SALES's), LATE highlighted
    rows = [(case.ref, case.is_overdue, left.text) for case, left in everything.context["rows"]]
    assert rows == [
        ("FRESH", False, zh("{amount} left", amount=zh("{n} working days", n="1.0"))),
        ("LATE", True, zh("{amount} overdue", amount=zh("{n} working days", n="5.0"))),
    ]
    assert [case.ref for case, _left in overdue.context["rows"]] == ["LATE"]
    assert everything.content.decode().count('class="table-danger" data-overdue="1"') == 1


def test_the_case_list_counts_up_to_a_cap_and_pages_through_what_it_counted(client, world, monkeypatch):
    # given: 9 cases, and a cap of 3 (the list counts at most cap + 1 rows, whatever their number)
    grow(world, 1)
    monkeypatch.setattr(cases_views, "COUNT_CAP", 3)
    monkeypatch.setattr(cases_views, "PAGE_SIZE", 2)
    client.force_login(world.coordinator)
    # when
    first = client.get(reverse("processes:case_list"))
    second = client.get(reverse("processes:case_list"), {"page": "2"})
    # then: "more than 3", newest first, the pages joining up without a gap or a repeat
    assert first.context["page"].paginator.capped
    assert "More than 3 cases" in first.content.decode() or "超过 3" in first.content.decode()
    ordered = list(Case.objects.order_by("-opened_at", "-pk").values_list("ref", flat=True))
    shown = [case.ref for case, _left in first.context["rows"]] + [c.ref for c, _l in second.context["rows"]]
    assert shown == ordered[:4]


def test_a_short_case_list_shows_its_exact_count(client, world):
    # given
    overdue_and_fresh(world)
    client.force_login(world.coordinator)
    # when
    page = client.get(reverse("processes:case_list")).context["page"]
    # then
    assert (page.paginator.count, page.paginator.capped) == (2, False)


def test_my_work_lists_my_departments_steps_overdue_first_in_working_time(client, world):
    # given: LATE (due 03-02) and FRESH (due 03-10) at RD-HW; a SALES case due 03-09 18:00
    overdue_and_fresh(world)
    with clock.freeze(at("2026-03-09T09:00")):
        sales = sales_case(world)
    # when: they open my work on Tuesday 03-10 at 09:00
    pages = {}
    for role in ("employee", "head", "other_department", "coordinator"):
        client.force_login(world.user(role))
        with clock.freeze(at("2026-03-10T09:00")):
            rows = client.get(reverse("processes:my_work")).context["rows"]
        pages[role] = [(run.case.ref, run.is_overdue, left.text) for run, left in rows]
    # then: overdue first; RD's head sees its sub-tree (RD-HW); SALES its own; coordinators every department
    late_row = ("LATE", True, zh("{amount} overdue", amount=zh("{n} working days", n="5.0")))
    fresh_row = ("FRESH", False, zh("{amount} left", amount=zh("{n} working days", n="1.0")))
    sales_row = ("Q-1", True, zh("{amount} overdue", amount=zh("{n} working hours", n="0.0")))
    assert pages["employee"] == [late_row, fresh_row]
    assert pages["head"] == [late_row, fresh_row]
    assert pages["other_department"] == [sales_row]
    assert pages["coordinator"] == [late_row, sales_row, fresh_row]
    assert sales.ref == "Q-1"


def test_a_coordinator_filters_my_work_by_department(client, world):
    # given
    overdue_and_fresh(world)
    sales = sales_case(world)
    client.force_login(world.coordinator)
    # when
    response = client.get(reverse("processes:my_work"), {"department": world.sales.pk})
    # then
    assert [run.case.ref for run, _left in response.context["rows"]] == [sales.ref]


def test_an_employee_cannot_widen_my_work_to_another_department(client, world):
    # given
    overdue_and_fresh(world)
    sales_case(world)
    client.force_login(world.employee)
    # when: the employee asks for SALES
    response = client.get(reverse("processes:my_work"), {"department": world.sales.pk})
    # then: they still get their own department's steps only
    assert sorted(run.case.ref for run, _left in response.context["rows"]) == ["FRESH", "LATE"]


def grow(world: Any, scale: int) -> None:
    """``scale`` × (4 running cases at RD-HW, 2 at SALES, 1 completed, 1 on hold at RD, 1 cancelled)."""
    hw = hw_process(world).versions.get()
    sq = sales_process(world).versions.get()
    h1, h2 = hw.steps.order_by("position")
    q1 = sq.steps.get()
    start, due = at("2026-03-02T09:00"), at("2026-03-03T09:00")
    for i in range(scale):
        for n in range(4):
            StepRunFactory(case=CaseFactory(version=hw, ref=f"R{i}-{n}"), step=h1, started_at=start, due_at=due)
        for n in range(2):
            StepRunFactory(case=CaseFactory(version=sq, ref=f"S{i}-{n}"), step=q1, started_at=start, due_at=due)
        done = CaseFactory(version=hw, ref=f"D{i}", state=Case.State.COMPLETED, closed_at=due)
        StepRunFactory(case=done, step=h1, started_at=start, due_at=due, completed_at=start, assignee=world.employee)
        StepRunFactory(case=done, step=h2, started_at=start, due_at=due, completed_at=due)
        held = CaseFactory(version=hw, ref=f"H{i}", state=Case.State.ON_HOLD, held_since=start)
        StepRunFactory(case=held, step=h1, started_at=start, due_at=due, completed_at=start)
        StepRunFactory(case=held, step=h2, started_at=start, due_at=due, assignee=world.head)
        cancelled = CaseFactory(version=sq, ref=f"C{i}", state=Case.State.CANCELLED, closed_at=due)
        StepRunFactory(case=cancelled, step=q1, started_at=start, due_at=due)


def queries_for(client: Any, world: Any, role: str, url: str, scale: int) -> int:
    grow(world, scale)
    client.force_login(world.user(role))
    client.get(url)  # warm the caches every request would find warm (schedules, the organization)
    with CaptureQueriesContext(connection) as queries, clock.freeze(at("2026-03-04T09:00")):
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


LIST_PAGES = [
    ("case list", "coordinator", "/processes/cases/"),
    ("case list, filtered", "head", "/processes/cases/?state=running&overdue=1"),
    ("case list as an employee", "employee", "/processes/cases/"),
    ("my work", "coordinator", "/processes/my-work/"),
    ("my work as a head", "head", "/processes/my-work/"),
]


@pytest.mark.parametrize(("what", "role", "url"), LIST_PAGES, ids=[p[0] for p in LIST_PAGES])
def test_list_pages_cost_the_same_queries_at_two_sizes(client, world, django_db_blocker, what, role, url):
    # when
    small = queries_for(client, world, role, url, 1)
    Case.objects.all().delete()
    large = queries_for(client, world, role, url, 5)
    # then
    assert small == large


EXPECTED_QUERIES = {"/processes/cases/": 7, "/processes/my-work/": 6}


@pytest.mark.parametrize("url", sorted(EXPECTED_QUERIES))
def test_list_pages_cost_a_stated_number_of_queries(client, world, url):
    # then: session, person, the bell, the page's COUNT and rows, and the filters' choices
    assert queries_for(client, world, "coordinator", url, 3) == EXPECTED_QUERIES[url]


# ── Hand-offs ───────────────────────────────────────────────────────────────────────────────────


def test_handoffs_show_the_median_working_hours_per_department_pair(client, world):
    # given: two RD-HW → RD hand-offs of 3 and 2 working hours
    process = hw_process(world)
    version = process.versions.get()
    h1, h2 = version.steps.order_by("position")
    for ref, completed, started in (
        ("A", "2026-03-02T10:00", "2026-03-02T14:00"),  # 10-12, 13-14: 3h
        ("B", "2026-03-03T17:00", "2026-03-04T10:00"),  # 17-18, 09-10: 2h
    ):
        case = CaseFactory(version=version, ref=ref)
        StepRunFactory(case=case, step=h1, started_at=at(completed) - timedelta(hours=1), completed_at=at(completed))
        StepRunFactory(case=case, step=h2, started_at=at(started))
    client.force_login(world.coordinator)
    # when
    with clock.freeze(at("2026-04-01T09:00")):
        response = client.get(reverse("processes:handoffs"), {"months": "6"})
    # then
    assert [
        (p.from_department.code, p.to_department.code, p.count, p.median_hours) for p in response.context["pairs"]
    ] == [("RD-HW", "RD", 2, 2.5)]
    assert response.context["months"] == 6
